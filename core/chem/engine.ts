/**
 * The per-thread chemistry engine: everything the RDKit worker does, callable in-thread too (tests,
 * benchmarks). One RDKit WASM module per engine; replaced ("recycled") when it fails.
 *
 * processBatch, phase 1, per record: size guard → parse (get_mol; molblocks with removeHs) → canonical SMILES → standardise
 * (skipped when the SMILES has no '.' and no charge: then the parent IS the parsed molecule) →
 * get_descriptors() on the parent → Morgan fingerprint → delete.
 * Phase 2, for the whole batch: QED from those descriptors plus JS pattern counts on the parent SMILES.
 * Running the JS pattern matcher back to back over the batch, rather than between WASM calls that evict
 * its code and tables from the CPU caches, makes it several times cheaper. The rare pattern the JS side
 * cannot decide re-parses the parent in RDKit.
 * Every RDKit object is counted (Kit.track) and deleted in `finally`.
 */
import fs from 'node:fs';
import type { Mol } from '@rdkit/rdkit';
import { formulaFromJson } from './formula.js';
import { QedCalculator } from './qed.js';
import type { QedRdkitFallback } from './qed.js';
import { Kit, isWasmFailure } from './rdkit.js';
import { parseSmilesGraph } from './smiles-graph.js';
import { compileSmarts, F, matchSmarts, mayMatch, newContext, T, U } from './smarts.js';
import type { CompiledSmarts, Tri } from './smarts.js';
import { moleculeScreenFp, SCREEN_FP_BYTES } from './screen-fp.js';
import { defaultAlertMatcher, RdkitAlertFallback } from './alerts.js';
import type { MolGraph } from './smiles-graph.js';
import { needsStandardisation, standardise } from './standardise.js';
import * as types from './types.js';
import type { ChemBatchInput, ChemBatchOutput, StageTimes, WorkerStats } from './types.js';

// Local bindings: under tsx's CommonJS path (worker threads) each use of an imported name is a getter call.
const {
  DESCRIPTOR_NAMES, FLAG_NAMES, FP_BYTES, LIPINSKI_VIOLATIONS_INDEX, MAX_MOLBLOCK_ATOMS, MAX_MOLBLOCK_CHARS, MAX_SMILES_CHARS,
  N_RDKIT_DESCRIPTORS, QED_INDEX, RDKIT_DESCRIPTOR_NAMES,
} = types;

export interface EngineOptions {
  /** Compiled RDKit WASM (shared by the pool); compiled in this thread when absent. */
  compiled?: WebAssembly.Module;
  /**
   * Test hook: a record whose text starts with FAULT_INJECTION_PREFIX skips the size guard, so a
   * test can feed RDKit an input that really breaks the WASM module (rdkit#9115) and check recovery.
   */
  faultInjection?: boolean;
}

export const FAULT_INJECTION_PREFIX = '__strata_fault_injection__:';

const ND = DESCRIPTOR_NAMES.length;
const NF = FLAG_NAMES.length;
const I_AMW = RDKIT_DESCRIPTOR_NAMES.indexOf('amw');
const I_LOGP = RDKIT_DESCRIPTOR_NAMES.indexOf('CrippenClogP');
const I_HBD = RDKIT_DESCRIPTOR_NAMES.indexOf('NumHBD');
const I_HBA = RDKIT_DESCRIPTOR_NAMES.indexOf('NumHBA');
const I_TPSA = RDKIT_DESCRIPTOR_NAMES.indexOf('tpsa');
const I_ROTB = RDKIT_DESCRIPTOR_NAMES.indexOf('NumRotatableBonds');
const I_HEAVY = RDKIT_DESCRIPTOR_NAMES.indexOf('NumHeavyAtoms');

/**
 * Molblocks are parsed with RDKit's removeHs (MinimalLib keeps drawn H atoms unless asked): a record that
 * draws its hydrogens (PubChem's all do) must give the molecule, descriptors and duplicate identity of the
 * same structure written without them. RDKit's default RemoveHsParameters keep the H atoms that carry
 * meaning — isotopic H ([2H], [3H]), H defining double-bond stereo, H on degree-0 or H2 — and wedge
 * stereo is perceived from the drawing before the H atoms go.
 */
const MOLBLOCK_DETAILS = JSON.stringify({ removeHs: true });

const EMPTY_MOLBLOCK = '\n     RDKit          2D\n\n  0  0  0  0  0  0  0  0  0  0999 V2000\nM  END\n';

function zeroStages(): StageTimes {
  return { parse: 0, standardise: 0, descriptors: 0, qed: 0, fingerprint: 0, screenfp: 0, smiles: 0, free: 0, other: 0 };
}

/** Thrown inside a record's processing to fail that record with a given reason. */
class RecordError extends Error {}

/**
 * Answers QED's rare undecided patterns with RDKit on the current parent, parsed only if needed
 * (one instance for the engine, so no closures per record).
 */
class RdkitQedFallback implements QedRdkitFallback {
  private smiles = '';
  private mol: Mol | null = null;
  private alertQ = new Map<number, Mol>();
  private accQ: Mol[] | null = null;
  constructor(
    private engine: ChemEngine,
    private qed: QedCalculator,
  ) {}
  /** Queries belong to a kit; after a recycle they are gone with it. */
  reset(): void {
    this.alertQ.clear();
    this.accQ = null;
    this.mol = null;
  }
  begin(smiles: string): void {
    this.smiles = smiles;
  }
  /** Deletes the parsed parent, if any. */
  end(): void {
    if (this.mol) this.engine.kit.free(this.mol);
    this.mol = null;
  }
  private parent(): Mol {
    if (!this.mol) {
      const kit = this.engine.kit;
      this.mol = kit.track(kit.R.get_mol(this.smiles));
      if (!this.mol) throw new Error(`RDKit cannot re-parse the parent SMILES ${this.smiles}`);
    }
    return this.mol;
  }
  alertMatches(i: number): boolean {
    const kit = this.engine.kit;
    let q = this.alertQ.get(i);
    if (!q) {
      q = kit.keep(kit.R.get_qmol(this.qed.alertSmarts[i]))!;
      this.alertQ.set(i, q);
    }
    this.engine.stats.alertConfirmations++;
    return this.parent().get_substruct_match(q) !== '{}';
  }
  acceptorCount(): number {
    const kit = this.engine.kit;
    this.accQ ??= this.qed.acceptorSmarts.map((sm) => kit.keep(kit.R.get_qmol(sm))!);
    let c = 0;
    for (const q of this.accQ) {
      const r = this.parent().get_substruct_matches(q);
      if (r !== '{}') c += r.split('"atoms"').length - 1;
    }
    return c;
  }
}

export class ChemEngine {
  readonly stats: WorkerStats;
  private qed = new QedCalculator();
  private fallback: RdkitQedFallback;

  private constructor(
    public kit: Kit,
    private opts: EngineOptions,
    threadId: number,
  ) {
    this.stats = {
      threadId, records: 0, failed: 0, batches: 0, recycles: 0, liveObjects: 0, persistentObjects: 0, heapBytes: 0, alertConfirmations: 0, cpuMs: 0,
      stages: zeroStages(),
    };
    this.fallback = new RdkitQedFallback(this, this.qed);
  }

  static async create(opts: EngineOptions = {}, threadId = 0): Promise<ChemEngine> {
    const kit = await Kit.create(opts.compiled);
    checkBuild(kit);
    const e = new ChemEngine(kit, opts, threadId);
    e.refreshStats();
    return e;
  }

  version(): string {
    return this.kit.R.version();
  }

  refreshStats(): WorkerStats {
    this.stats.liveObjects = this.kit.live;
    this.stats.persistentObjects = this.kit.persistent;
    this.stats.heapBytes = this.kit.heapBytes;
    return this.stats;
  }

  /** Throws the module away and instantiates a fresh one (fresh linear memory). */
  private async recycle(): Promise<void> {
    this.fallback.reset();
    this.kit = await Kit.create(this.opts.compiled);
    this.stats.recycles++;
  }

  async processBatch(input: ChemBatchInput): Promise<ChemBatchOutput> {
    const n = input.texts.length;
    const screen = input.set !== 'model';
    if (input.molblock.length !== n) throw new Error(`chem batch: ${n} texts but ${input.molblock.length} format flags`);
    const out: ChemBatchOutput = {
      n,
      ok: new Uint8Array(n),
      error: new Array<string | null>(n).fill(null),
      originalSmiles: new Array<string>(n).fill(''),
      parentSmiles: new Array<string>(n).fill(''),
      identity: new Array<string>(n).fill(''),
      standardisation: new Array<string>(n).fill(''),
      descriptors: new Float64Array(n * ND).fill(NaN),
      flags: new Uint8Array(n * NF).fill(255),
      fingerprints: new Uint8Array(n * FP_BYTES),
      screenFps: new Uint8Array(screen ? n * SCREEN_FP_BYTES : 0),
      alerts: new Array<string[] | null>(n).fill(null),
      heavyAtoms: new Uint32Array(n),
    };
    const t0 = performance.now();
    const cpu0 = threadCpuMs();
    const st = this.stats.stages;
    const before = st.parse + st.standardise + st.descriptors + st.qed + st.fingerprint + st.screenfp + st.smiles + st.free;
    const graphs: (MolGraph | null)[] = new Array<MolGraph | null>(n).fill(null);
    const fail = async (k: number, err: unknown) => {
      out.ok[k] = 0;
      out.descriptors.fill(NaN, k * ND, (k + 1) * ND);
      out.flags.fill(255, k * NF, (k + 1) * NF);
      out.fingerprints.fill(0, k * FP_BYTES, (k + 1) * FP_BYTES);
      if (screen) out.screenFps.fill(0, k * SCREEN_FP_BYTES, (k + 1) * SCREEN_FP_BYTES);
      out.alerts[k] = null;
      out.heavyAtoms[k] = 0;
      out.originalSmiles[k] = out.parentSmiles[k] = out.identity[k] = out.standardisation[k] = '';
      this.stats.failed++;
      if (err instanceof RecordError) {
        out.error[k] = err.message;
      } else if (isWasmFailure(err)) {
        out.error[k] = `RDKit WASM module failed on this record (${describe(err)}); the module was restarted`;
        await this.recycle();
      } else {
        out.error[k] = `internal error: ${describe(err)}`;
      }
    };
    // Phase 1: everything RDKit computes, record by record.
    for (let k = 0; k < n; k++) {
      try {
        graphs[k] = this.processRecord(input.texts[k], input.molblock[k] === 1, k, out);
        out.ok[k] = 1;
      } catch (err) {
        await fail(k, err);
      }
    }
    // Phase 2: QED for the batch.
    const tq = performance.now();
    for (let k = 0; k < n; k++) {
      if (!out.ok[k]) continue;
      try {
        graphs[k] = this.qedOf(k, graphs[k], out);
      } catch (err) {
        if (isWasmFailure(err)) {
          this.kit.broken = true;
          await fail(k, err);
        } else {
          // A molecule RDKit accepted is not lost over QED: QED is left empty and the reason noted.
          out.descriptors[k * ND + QED_INDEX] = NaN;
          const note = `QED not computed (${describe(err)})`;
          out.standardisation[k] = out.standardisation[k] ? `${out.standardisation[k]}; ${note}` : note;
        }
      } finally {
        this.fallback.end();
      }
    }
    st.qed += performance.now() - tq;
    // Phase 3: structural alerts (JS on the parent graphs; RDKit for what the graph cannot decide).
    const ta = performance.now();
    const matcher = defaultAlertMatcher();
    const fb = this.alertFallback();
    for (let k = 0; k < n; k++) {
      if (!out.ok[k]) continue;
      try {
        out.alerts[k] = matcher.matchIds(graphs[k] ?? parseSmilesGraph(out.parentSmiles[k]), fb.decide);
      } catch (err) {
        if (isWasmFailure(err)) {
          this.kit.broken = true;
          await fail(k, err);
        } else {
          const note = `structural alerts not computed (${describe(err)})`;
          out.standardisation[k] = out.standardisation[k] ? `${out.standardisation[k]}; ${note}` : note;
        }
      } finally {
        if (!this.kit.broken) fb.end();
      }
    }
    st.qed += performance.now() - ta;
    // Phase 4: substructure-screen fingerprints (JS, on the parent graphs phase 2 used); not for the model set.
    const ts = performance.now();
    if (screen) for (let k = 0; k < n; k++) if (out.ok[k]) this.screenFpOf(out.parentSmiles[k], graphs[k], out.screenFps, k);
    st.screenfp += performance.now() - ts;
    this.stats.records += n;
    this.stats.batches++;
    const after = st.parse + st.standardise + st.descriptors + st.qed + st.fingerprint + st.screenfp + st.smiles + st.free;
    st.other += performance.now() - t0 - (after - before);
    this.stats.cpuMs += threadCpuMs() - cpu0;
    this.refreshStats();
    return out;
  }

  /** Phase 1 of one record; returns the parent's SMILES graph when standardisation already built it. */
  private processRecord(text: string, isMolblock: boolean, k: number, out: ChemBatchOutput): MolGraph | null {
    const kit = this.kit;
    const st = this.stats.stages;
    if (this.opts.faultInjection && text.startsWith(FAULT_INJECTION_PREFIX)) {
      text = text.slice(FAULT_INJECTION_PREFIX.length);
    } else {
      guardInput(text, isMolblock);
    }
    let mol: Mol | null = null;
    let parent: Mol | null = null;
    try {
      let t = performance.now();
      kit.clearLog();
      mol = kit.track(isMolblock ? kit.R.get_mol(text, MOLBLOCK_DETAILS) : kit.R.get_mol(text));
      if (!mol) {
        const msg = kit.logMessage() || (isMolblock ? diagnoseMolblock(text) : '');
        throw new RecordError(msg || `RDKit could not parse the ${isMolblock ? 'molblock' : 'SMILES'}`);
      }
      if (mol.get_num_atoms() === 0) throw new RecordError('empty molecule (0 atoms)');
      let t2 = performance.now();
      st.parse += t2 - t;

      const original = mol.get_smiles();
      t = performance.now();
      st.smiles += t - t2;

      // Standardise (cheap test first: most records have nothing to do).
      let parentSmiles = original;
      let graph: MolGraph | null = null;
      let notes = '';
      parent = mol;
      if (needsStandardisation(original)) {
        const g0 = parseSmilesGraph(original);
        const r = standardise(g0);
        const noteList = r.notes;
        if (r.smiles !== null) {
          kit.clearLog();
          let p = kit.track(kit.R.get_mol(r.smiles));
          if (!p && r.fragmentOnly !== null && r.fragmentOnly !== r.smiles) {
            noteList.push(`charges left as given (neutralised form did not parse: ${kit.logMessage() || 'RDKit error'})`);
            p = kit.track(kit.R.get_mol(r.fragmentOnly));
          }
          if (p) {
            parent = p;
            parentSmiles = p.get_smiles();
          } else {
            noteList.push('standardisation failed (result did not parse): parent is the record as given');
            graph = g0;
          }
        } else graph = g0;
        notes = noteList.join('; ');
      }
      t2 = performance.now();
      st.standardise += t2 - t;

      // Descriptors on the parent.
      const off = k * ND;
      const dj = parent.get_descriptors();
      if (!parseDescriptors(dj, out.descriptors, off)) parseDescriptorsByName(dj, out.descriptors, off);
      const d = out.descriptors;
      const violations = (d[off + I_AMW] > 500 ? 1 : 0) + (d[off + I_LOGP] > 5 ? 1 : 0) + (d[off + I_HBD] > 5 ? 1 : 0) + (d[off + I_HBA] > 10 ? 1 : 0);
      d[off + LIPINSKI_VIOLATIONS_INDEX] = violations;
      out.flags[k * NF] = violations <= 1 ? 1 : 0;
      out.flags[k * NF + 1] = d[off + I_ROTB] <= 10 && d[off + I_TPSA] <= 140 ? 1 : 0;
      out.heavyAtoms[k] = d[off + I_HEAVY];
      t = performance.now();
      st.descriptors += t - t2;

      const fp = parent.get_morgan_fp_as_uint8array() as Uint8Array;
      if (fp.length !== FP_BYTES) throw new Error(`Morgan fingerprint has ${fp.length} bytes, expected ${FP_BYTES}`);
      out.fingerprints.set(fp, k * FP_BYTES);
      t2 = performance.now();
      st.fingerprint += t2 - t;

      out.originalSmiles[k] = original;
      out.parentSmiles[k] = parentSmiles;
      out.identity[k] = parentSmiles;
      out.standardisation[k] = notes;
      return graph;
    } catch (err) {
      // Objects of a module that has just failed die with it; never call into it again.
      if (isWasmFailure(err)) kit.broken = true;
      throw err;
    } finally {
      const t = performance.now();
      if (parent && parent !== mol) kit.free(parent);
      kit.free(mol);
      st.free += performance.now() - t;
    }
  }

  /**
   * Screen fingerprint of a stored SMILES into `out` at slot k; left all zero ("always a candidate")
   * when the JS SMILES reader does not know the string's syntax.
   */
  private screenFpOf(smiles: string, graph: MolGraph | null, out: Uint8Array, k: number): void {
    try {
      moleculeScreenFp(graph ?? parseSmilesGraph(smiles), out, k * SCREEN_FP_BYTES);
    } catch {
      out.fill(0, k * SCREEN_FP_BYTES, (k + 1) * SCREEN_FP_BYTES);
    }
  }

  /** Structural-alert ids of stored (parent, canonical) SMILES, for projects made before alerts were stored; null where not computable. */
  alertsOf(smiles: string[]): (string[] | null)[] {
    const matcher = defaultAlertMatcher();
    const fb = this.alertFallback();
    try {
      return smiles.map((s) => {
        try {
          return matcher.matchIds(parseSmilesGraph(s), fb.decide);
        } catch (err) {
          if (isWasmFailure(err)) throw err;
          return null;
        } finally {
          if (!this.kit.broken) fb.end();
        }
      });
    } finally {
      this.refreshStats();
    }
  }

  /** Screen fingerprints of stored SMILES (SCREEN_FP_BYTES each, back to back), for projects made before they existed. */
  screenFingerprints(smiles: string[]): Uint8Array {
    const out = new Uint8Array(smiles.length * SCREEN_FP_BYTES);
    for (let k = 0; k < smiles.length; k++) if (smiles[k] && smiles[k].length <= MAX_SMILES_CHARS) this.screenFpOf(smiles[k], null, out, k);
    return out;
  }

  /** QED of record k from its descriptors and the parent SMILES (graph reused when standardisation built it). */
  private qedOf(k: number, graph: MolGraph | null, out: ChemBatchOutput): MolGraph {
    const smiles = out.parentSmiles[k];
    const d = out.descriptors;
    const off = k * ND;
    this.fallback.begin(smiles);
    const g = graph ?? parseSmilesGraph(smiles);
    const q = this.qed.compute(
      g,
      { amw: d[off + I_AMW], CrippenClogP: d[off + I_LOGP], NumHBD: d[off + I_HBD], tpsa: d[off + I_TPSA], NumRotatableBonds: d[off + I_ROTB] },
      this.fallback,
    );
    d[off + QED_INDEX] = q.qed;
    return g;
  }

  private alertFb: RdkitAlertFallback | null = null;
  private alertFbKit: Kit | null = null;

  /** The RDKit fallback of the alert matcher, for the current module (a recycled module gets a new one). */
  private alertFallback(): RdkitAlertFallback {
    if (!this.alertFb || this.alertFbKit !== this.kit) {
      this.alertFb?.dispose();
      this.alertFb = new RdkitAlertFallback(this.kit);
      this.alertFbKit = this.kit;
    }
    return this.alertFb;
  }

  /** SVG depiction; highlights from a SMARTS match or explicit atom indices (bonds between them included). */
  depict(smiles: string, opts: { width?: number; height?: number; highlightSmarts?: string; highlightAtoms?: number[] } = {}): string {
    const kit = this.kit;
    guardInput(smiles, false);
    let mol: Mol | null = null;
    let q: Mol | null = null;
    try {
      kit.clearLog();
      mol = kit.track(kit.R.get_mol(smiles));
      if (!mol) throw new Error(`cannot depict '${smiles}': ${kit.logMessage() || 'RDKit could not parse it'}`);
      // minFontSize: atom labels of a small depiction (a grid's small rows) stay legible; RDKit's default, 6 px, is not.
      const details: { width: number; height: number; minFontSize: number; atoms?: number[]; bonds?: number[] } = { width: opts.width ?? 300, height: opts.height ?? 200, minFontSize: 9 };
      if (opts.highlightSmarts) {
        q = this.query(opts.highlightSmarts);
        const m = mol.get_substruct_match(q);
        if (m !== '{}') {
          const r = JSON.parse(m) as { atoms: number[]; bonds: number[] };
          details.atoms = r.atoms;
          details.bonds = r.bonds;
        }
      } else if (opts.highlightAtoms && opts.highlightAtoms.length > 0) {
        details.atoms = opts.highlightAtoms;
        details.bonds = bondsAmong(mol, opts.highlightAtoms);
      }
      return mol.get_svg_with_highlights(JSON.stringify(details));
    } finally {
      kit.free(q);
      kit.free(mol);
      this.refreshStats();
    }
  }

  private jsQueries = new Map<string, CompiledSmarts | null>();

  /** The SMARTS compiled for the JS matcher (cached), or null when the JS compiler does not read it. */
  private jsQuery(smarts: string): CompiledSmarts | null {
    let q = this.jsQueries.get(smarts);
    if (q === undefined) {
      try {
        q = compileSmarts(smarts);
      } catch {
        q = null;
      }
      if (this.jsQueries.size > 64) this.jsQueries.clear();
      this.jsQueries.set(smarts, q);
    }
    return q;
  }

  /** Parses a SMARTS query (tracked; caller frees). Throws a clear Error when invalid. */
  private query(smarts: string): Mol {
    const kit = this.kit;
    if (!smarts || !smarts.trim()) throw new Error('empty SMARTS query');
    if (smarts.length > MAX_SMILES_CHARS) throw new Error(`SMARTS query too long (${smarts.length} characters, limit ${MAX_SMILES_CHARS})`);
    kit.clearLog();
    const q = kit.track(kit.R.get_qmol(smarts));
    if (!q) throw new Error(`invalid SMARTS '${smarts}': ${kit.logMessage() || 'RDKit could not parse it'}`);
    return q;
  }

  /**
   * First match of `querySmarts` in each SMILES: hit flag and matched atom indices (in that SMILES' atom
   * order). SMILES that are canonical RDKit output (what the project stores) are screened through an
   * RDKit SubstructLibrary of "trusted" SMILES — no sanitisation, ≈ 4× faster than parsing each — and
   * only hits are parsed fully for their atoms. Queries that depend on SSSR ring counts or sizes (R2, r6,
   * x2), which trusted molecules do not perceive the same way, take the full-parse path.
   * With `atoms: false` only the hit flags are computed (no full parse of the hits; atoms all null).
   */
  substructure(querySmarts: string, smiles: string[], opts: { fullParse?: boolean; atoms?: boolean } = {}): { hits: Uint8Array; atoms: (number[] | null)[] } {
    const hits = new Uint8Array(smiles.length);
    const atoms: (number[] | null)[] = new Array<number[] | null>(smiles.length).fill(null);
    const withAtoms = opts.atoms !== false;
    const q = this.query(querySmarts);
    try {
      let todo: number[] = [];
      for (let k = 0; k < smiles.length; k++) if (smiles[k] && smiles[k].length <= MAX_SMILES_CHARS) todo.push(k);
      // Hit flags only: the JS matcher decides what it can (≈ 3× cheaper than RDKit on trusted SMILES),
      // RDKit the rest (molecules it leaves undecided, SMILES it cannot read).
      const js = !withAtoms && !opts.fullParse ? this.jsQuery(querySmarts) : null;
      if (js) todo = this.jsMatch(js, smiles, todo, hits);
      // Primitives that trusted (unsanitised) molecules do not perceive: SSSR ring counts/sizes (R2, r6,
      // x2) and hybridisation (^2).
      const ringSensitive = /\[[^\]]*([Rr]\d|x|\^)/.test(querySmarts);
      if (!opts.fullParse && !ringSensitive) this.screenTrusted(q, smiles, todo, hits, atoms, withAtoms);
      else for (const k of todo) this.matchParsed(q, smiles[k], k, hits, atoms);
    } finally {
      this.kit.free(q);
      this.refreshStats();
    }
    return { hits, atoms };
  }

  /** Sets the JS matcher's definite hits; returns the indices it leaves to RDKit (undecided or unreadable). */
  private jsMatch(js: CompiledSmarts, smiles: string[], todo: number[], hits: Uint8Array): number[] {
    const rest: number[] = [];
    for (const k of todo) {
      let r: Tri;
      try {
        const ctx = newContext(parseSmilesGraph(smiles[k]));
        r = mayMatch(ctx, js) ? matchSmarts(ctx, js) : F;
      } catch {
        r = U;
      }
      if (r === T) hits[k] = 1;
      else if (r === U) rest.push(k);
    }
    return rest;
  }

  /** RDKit on the fully parsed (sanitised) molecule: hit flag and first match's atoms of record k. */
  private matchParsed(q: Mol, smiles: string, k: number, hits: Uint8Array, atoms: (number[] | null)[]): void {
    const kit = this.kit;
    const mol = kit.track(kit.R.get_mol(smiles));
    if (!mol) return;
    try {
      const m = mol.get_substruct_match(q);
      if (m !== '{}') {
        hits[k] = 1;
        atoms[k] = (JSON.parse(m) as { atoms: number[] }).atoms;
      }
    } finally {
      kit.free(mol);
    }
  }

  /** Records `todo` through a SubstructLibrary of trusted SMILES; hits get their atoms from a full parse when asked. */
  private screenTrusted(q: Mol, smiles: string[], todo: number[], hits: Uint8Array, atoms: (number[] | null)[], withAtoms: boolean): void {
    if (!todo.length) return;
    const kit = this.kit;
    const lib = kit.track(new kit.R.SubstructLibrary(0));
    if (!lib) throw new Error('RDKit could not create a SubstructLibrary');
    try {
      // Only strings the SMILES reader accepts are trusted (a trusted parse skips RDKit's checks);
      // the rest get a full parse, which reports them as non-matching if RDKit rejects them too.
      const libIndex: number[] = [];
      for (const k of todo) {
        try {
          parseSmilesGraph(smiles[k]);
        } catch {
          this.matchParsed(q, smiles[k], k, hits, atoms);
          continue;
        }
        lib.add_trusted_smiles(smiles[k]);
        libIndex.push(k);
      }
      const found = lib.get_matches_as_uint32array(q, false, 1, Math.max(1, libIndex.length)) as Uint32Array;
      for (const i of found) {
        if (withAtoms) this.matchParsed(q, smiles[libIndex[i]], libIndex[i], hits, atoms);
        else hits[libIndex[i]] = 1;
      }
    } finally {
      kit.free(lib);
    }
  }

  /**
   * Morgan fingerprints of the molecule with each atom in turn replaced by a dummy atom '*' (atom order
   * of `smiles`), for atom-contribution maps. A variant RDKit cannot parse gets the unmasked fingerprint.
   */
  atomMaskedFingerprints(smiles: string): { nAtoms: number; fps: Uint8Array } {
    const kit = this.kit;
    guardInput(smiles, false);
    let g: MolGraph;
    try {
      g = parseSmilesGraph(smiles);
    } catch (err) {
      throw new Error(`cannot mask the atoms of '${smiles}': ${(err as Error).message}`, { cause: err });
    }
    const fps = new Uint8Array(g.n * FP_BYTES);
    const fpOf = (text: string): Uint8Array | null => {
      const mol = kit.track(kit.R.get_mol(text));
      if (!mol) return null;
      try {
        return mol.get_morgan_fp_as_uint8array() as Uint8Array;
      } finally {
        kit.free(mol);
      }
    };
    try {
      kit.clearLog();
      const base = fpOf(smiles);
      if (!base) throw new Error(`cannot mask the atoms of '${smiles}': ${kit.logMessage() || 'RDKit could not parse it'}`);
      for (let a = 0; a < g.n; a++) {
        const fp = fpOf(smiles.slice(0, g.tokStart[a]) + '*' + smiles.slice(g.tokEnd[a])) ?? base;
        fps.set(fp, a * FP_BYTES);
      }
      return { nAtoms: g.n, fps };
    } finally {
      this.refreshStats();
    }
  }

  /**
   * Molecular formula (Hill order, core/chem/formula.ts), standard InChI and InChIKey of a structure (RDKit's
   * InChI; null where RDKit cannot make one). Throws when RDKit cannot parse the SMILES.
   */
  identifiers(smiles: string): { formula: string; inchi: string | null; inchiKey: string | null } {
    const kit = this.kit;
    guardInput(smiles, false);
    let mol: Mol | null = null;
    try {
      kit.clearLog();
      mol = kit.track(kit.R.get_mol(smiles));
      if (!mol) throw new Error(`cannot read '${smiles}': ${kit.logMessage() || 'RDKit could not parse it'}`);
      const { formula } = formulaFromJson(mol.get_json());
      const inchi = mol.get_inchi() || null;
      const inchiKey = inchi ? kit.R.get_inchikey_for_inchi(inchi) || null : null;
      return { formula, inchi, inchiKey };
    } finally {
      kit.free(mol);
      this.refreshStats();
    }
  }

  /** V2000 molblocks with 2D coordinates (an empty molblock for SMILES RDKit cannot parse). */
  molblocks(smiles: string[]): string[] {
    const kit = this.kit;
    const out = new Array<string>(smiles.length);
    for (let k = 0; k < smiles.length; k++) {
      const s = smiles[k];
      const mol = s && s.length <= MAX_SMILES_CHARS ? kit.track(kit.R.get_mol(s)) : null;
      try {
        out[k] = mol ? mol.get_molblock() : EMPTY_MOLBLOCK;
      } finally {
        kit.free(mol);
      }
    }
    this.refreshStats();
    return out;
  }
}

let procStatUnavailable = false;

/** CPU time (user + system) of the calling thread in ms, from /proc/thread-self/stat (Linux); 0 elsewhere. */
export function threadCpuMs(): number {
  if (procStatUnavailable) return 0;
  try {
    const stat = fs.readFileSync('/proc/thread-self/stat', 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // after the command name: state(0) ... utime(11) stime(12), in clock ticks (100 per second)
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    procStatUnavailable = true;
    return 0;
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return typeof err === 'number' ? `C++ exception ${err}` : String(err);
}

/** Refuses inputs that could exhaust the WASM heap or stack before RDKit sees them (rdkit#9115). */
function guardInput(text: string, isMolblock: boolean): void {
  if (!isMolblock) {
    if (text.length > MAX_SMILES_CHARS) {
      throw new RecordError(`SMILES too long: ${text.length} characters (limit ${MAX_SMILES_CHARS}); refused before parsing to protect the RDKit WASM heap`);
    }
    if (text.trim() === '') throw new RecordError('empty molecule (0 atoms)');
    return;
  }
  if (text.length > MAX_MOLBLOCK_CHARS) throw new RecordError(`molblock too large: ${text.length} characters; refused before parsing`);
  if (!text.includes('M  END')) throw new RecordError("molblock has no 'M  END' line");
  const atoms = molblockAtomCount(text);
  if (atoms !== null && atoms > MAX_MOLBLOCK_ATOMS) {
    throw new RecordError(`molblock has ${atoms} atoms (limit ${MAX_MOLBLOCK_ATOMS}); refused before parsing to protect the RDKit WASM heap`);
  }
}

/** Atom count from the V3000 COUNTS line or the V2000 counts line (line 4); null if unreadable. */
export function molblockAtomCount(text: string): number | null {
  const v3 = text.indexOf('M  V30 COUNTS');
  if (v3 >= 0) {
    const m = /^M {2}V30 COUNTS\s+(\d+)/.exec(text.slice(v3, v3 + 64));
    return m ? Number(m[1]) : null;
  }
  let p = 0;
  for (let i = 0; i < 3; i++) {
    p = text.indexOf('\n', p);
    if (p < 0) return null;
    p++;
  }
  const n = Number.parseInt(text.slice(p, p + 3), 10);
  return Number.isFinite(n) ? n : null;
}

/**
 * Why a V2000 molblock is malformed, when RDKit rejected it without a message (its parser exceptions are
 * swallowed by MinimalLib): compares the counts line with the atom and bond lines. '' if no reason found.
 */
export function diagnoseMolblock(text: string): string {
  const lines = text.split(/\r?\n/);
  const counts = lines[3] ?? '';
  if (!counts.includes('V2000')) return counts.includes('V3000') ? 'RDKit could not parse the V3000 molblock' : 'molblock has no V2000/V3000 counts line (line 4)';
  const na = Number.parseInt(counts.slice(0, 3), 10), nb = Number.parseInt(counts.slice(3, 6), 10);
  if (!Number.isFinite(na) || !Number.isFinite(nb)) return `molblock counts line is not readable: '${counts.trim()}'`;
  const isAtom = (l: string | undefined) => !!l && l.length >= 34 && /^\s*-?\d+\.\d+\s+-?\d+\.\d+\s+-?\d+\.\d+\s+\S+/.test(l);
  const isBond = (l: string | undefined) => !!l && /^[\s\d]{3}[\s\d]{3}\s*\d/.test(l) && !l.startsWith('M  ');
  for (let i = 0; i < na; i++) {
    if (!isAtom(lines[4 + i])) return `molblock counts line declares ${na} atoms, but line ${5 + i} is not an atom line${i > 0 ? ` (${i} atom lines found)` : ''}`;
  }
  for (let i = 0; i < nb; i++) {
    if (!isBond(lines[4 + na + i])) return `molblock counts line declares ${nb} bonds, but line ${5 + na + i} is not a bond line (${i} bond lines found)`;
  }
  if (isAtom(lines[4 + na + nb]) || isBond(lines[4 + na + nb])) return `molblock has more atom or bond lines than its counts line declares (${na} atoms, ${nb} bonds)`;
  return '';
}

/**
 * Reads get_descriptors() JSON positionally (the build emits the keys in RDKIT_DESCRIPTOR_NAMES order,
 * checked key by key here), avoiding a 43-property object per record. False if the layout differs.
 */
export function parseDescriptors(json: string, out: Float64Array, off: number): boolean {
  let pos = 1;
  for (let j = 0; j < N_RDKIT_DESCRIPTORS; j++) {
    const key = RDKIT_DESCRIPTOR_NAMES[j];
    if (json.charCodeAt(pos) !== 34 || !json.startsWith(key, pos + 1) || json.charCodeAt(pos + 1 + key.length) !== 34 || json.charCodeAt(pos + 2 + key.length) !== 58) return false;
    pos += key.length + 3;
    const end = json.indexOf(j === N_RDKIT_DESCRIPTORS - 1 ? '}' : ',', pos);
    if (end < 0) return false;
    out[off + j] = Number(json.slice(pos, end));
    pos = end + 1;
  }
  return true;
}

function parseDescriptorsByName(json: string, out: Float64Array, off: number): void {
  const o = JSON.parse(json) as Record<string, number>;
  for (let j = 0; j < N_RDKIT_DESCRIPTORS; j++) {
    const v = o[RDKIT_DESCRIPTOR_NAMES[j]];
    out[off + j] = typeof v === 'number' ? v : NaN;
  }
}

/** Refuses to run on a build whose descriptors or fingerprint defaults differ from what the columns assume. */
function checkBuild(kit: Kit): void {
  const mol = kit.track(kit.R.get_mol('CC(=O)Nc1ccc(O)cc1'));
  if (!mol) throw new Error('RDKit self-test: cannot parse paracetamol');
  try {
    const keys = Object.keys(JSON.parse(mol.get_descriptors()) as object);
    if (keys.join(',') !== RDKIT_DESCRIPTOR_NAMES.join(',')) {
      throw new Error(`RDKit build ${kit.R.version()} emits descriptors [${keys.join(', ')}], expected [${RDKIT_DESCRIPTOR_NAMES.join(', ')}] (core/chem/types.ts)`);
    }
    const a = mol.get_morgan_fp_as_uint8array() as Uint8Array;
    const b = mol.get_morgan_fp_as_uint8array(JSON.stringify({ radius: 2, nBits: 2048 })) as Uint8Array;
    if (a.length !== FP_BYTES || b.length !== FP_BYTES || a.some((v, i) => v !== b[i])) {
      throw new Error(`RDKit build ${kit.R.version()}: default Morgan fingerprint is not radius 2 / 2048 bits`);
    }
  } finally {
    kit.free(mol);
  }
}

/** Indices of the bonds whose two atoms are both highlighted, in RDKit's bond order (from get_json). */
function bondsAmong(mol: Mol, atoms: number[]): number[] {
  const set = new Set(atoms);
  const doc = JSON.parse(mol.get_json()) as { molecules: { bonds?: { atoms: [number, number] }[] }[] };
  const out: number[] = [];
  (doc.molecules[0]?.bonds ?? []).forEach((b, i) => {
    if (set.has(b.atoms[0]) && set.has(b.atoms[1])) out.push(i);
  });
  return out;
}
