/**
 * Node globals some of Ketcher's dependencies read at load time (written for webpack's polyfills).
 * Imported by StructureEditor.tsx before Ketcher, so it runs first; only in the editor's chunk.
 */
const g = globalThis as { global?: unknown };
g.global ??= globalThis;
export {};
