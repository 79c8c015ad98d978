/**
 * Loading the RDKit MinimalLib WASM module, once per thread, from a WebAssembly.Module compiled once
 * per process (the pool compiles it and hands it to each worker, so a worker — or a module recycled
 * after a WASM failure — only instantiates: fresh linear memory, no recompilation).
 *
 * Also: counting of RDKit objects (every get_mol/get_qmol/get_frags result is tracked until delete()),
 * and RDKit's log capture, from which failure reasons are taken.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import RDKitPkg from '@rdkit/rdkit';
import type { ClassHandle, Log, MainModule } from '@rdkit/rdkit';

type Factory = (options?: unknown) => Promise<MainModule>;

/** The package is CommonJS; under ESM the factory is the default export, under tsx's CJS path it may sit on `.default`. */
function factory(): Factory {
  const pkg = RDKitPkg as unknown as Factory | { default: Factory };
  return typeof pkg === 'function' ? pkg : pkg.default;
}

export function rdkitWasmPath(): string {
  return createRequire(import.meta.url).resolve('@rdkit/rdkit/RDKit_minimal.wasm');
}

let compiledHere: Promise<WebAssembly.Module> | null = null;

/** Compiles the RDKit WASM binary (≈ 7 MB); cached per thread. */
export function compileRdkitWasm(): Promise<WebAssembly.Module> {
  compiledHere ??= WebAssembly.compile(fs.readFileSync(rdkitWasmPath()));
  return compiledHere;
}

/** One instantiated RDKit module and the bookkeeping that goes with it. */
export class Kit {
  /** Transient objects created and not yet deleted. */
  live = 0;
  /** Objects kept for the kit's lifetime (log handle, cached query molecules). */
  persistent = 0;
  private log: Log | null = null;

  private constructor(
    readonly R: MainModule,
    private memory: WebAssembly.Memory | null,
    /** Increments on every new Kit in this thread: objects from an older generation are never deleted. */
    readonly generation: number,
  ) {}

  private static generations = 0;

  static async create(compiled?: WebAssembly.Module): Promise<Kit> {
    const mod = compiled ?? (await compileRdkitWasm());
    let memory: WebAssembly.Memory | null = null;
    // Emscripten's instantiateWasm hook has no failure path: race it against our own.
    let fail!: (err: unknown) => void;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    const R = await Promise.race([
      factory()({
        instantiateWasm(imports: WebAssembly.Imports, receive: (inst: WebAssembly.Instance) => void) {
          WebAssembly.instantiate(mod, imports).then((inst) => {
            memory = (Object.values(inst.exports).find((v) => v instanceof WebAssembly.Memory) as WebAssembly.Memory | undefined) ?? null;
            receive(inst);
          }, fail);
          return {};
        },
      }),
      failed,
    ]);
    const kit = new Kit(R, memory, ++Kit.generations);
    kit.log = R.set_log_capture('rdApp.*');
    if (kit.log) kit.persistent++;
    return kit;
  }

  get heapBytes(): number {
    return this.memory?.buffer.byteLength ?? 0;
  }

  /** Counts a freshly created RDKit object (null passes through). */
  track<T extends ClassHandle>(obj: T | null | undefined): T | null {
    if (obj) this.live++;
    return obj ?? null;
  }

  /** Set when the module has trapped or aborted: nothing may call into it any more. */
  broken = false;

  /** Deletes a tracked object; safe on null. Objects of a broken module are dropped with it. */
  free(obj: ClassHandle | null | undefined): void {
    if (!obj || this.broken) return;
    this.live--;
    obj.delete();
  }

  /** Marks an object as kept for the kit's lifetime (cached queries). */
  keep<T extends ClassHandle>(obj: T | null): T | null {
    if (obj) this.persistent++;
    return obj;
  }

  clearLog(): void {
    this.log?.clear_buffer();
  }

  /**
   * RDKit's captured messages since the last clearLog(), as one line: timestamps and the echo/caret
   * lines RDKit prints under SMILES errors removed.
   */
  logMessage(): string {
    const raw = this.log?.get_buffer() ?? '';
    const lines: string[] = [];
    for (let line of raw.split('\n')) {
      line = line.replace(/^\[\d\d:\d\d:\d\d\]\s?/, '').trimEnd();
      if (!line.trim() || /^\s*[~^]+\s*$/.test(line) || /^\s*\*+\s*$/.test(line)) continue;
      if (lines.length > 0 && /^\S+$/.test(line) && !/:/.test(line)) continue; // echoed input under a position marker
      line = line.trim().replace(/\s+/g, ' ');
      if (!lines.includes(line)) lines.push(line);
    }
    const msg = lines.join(' ');
    return msg.length > 500 ? `${msg.slice(0, 500)}…` : msg;
  }
}

/**
 * Is this exception a failure of the WASM module itself (trap, abort, out of memory, C++ exception
 * escaping), after which its state cannot be trusted?
 */
export function isWasmFailure(err: unknown): boolean {
  if (err instanceof WebAssembly.RuntimeError) return true;
  if (typeof err === 'number') return true; // an escaped C++ exception pointer
  if (err instanceof Error) {
    return /Aborted|OOM|out of memory|memory access out of bounds|unreachable|table index|call stack|Cannot enlarge memory/i.test(err.message);
  }
  return false;
}
