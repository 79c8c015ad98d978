export declare const ROOT: string;
/** The compiled file for a source path (`core/cli/run.ts` → out/node/core/cli/run.js), or null when it must not be used. */
export declare function compiledEntry(source: string, root?: string): string | null;
export declare function engineSources(root?: string): string[];
export declare function sourceStats(root?: string): { count: number; newest: number };
