/**
 * Types and constants shared by the chemistry pool (main thread) and the RDKit worker.
 *
 * Layout of a batch result: record k of n occupies
 *   descriptors[k * DESCRIPTOR_NAMES.length + j], flags[k * FLAG_NAMES.length + j], fingerprints[k * FP_BYTES + b].
 * All typed arrays are transferred (not copied) from the worker.
 */

/**
 * The 43 keys of RDKit MinimalLib `get_descriptors()` (RDKit `Descriptors::Properties`, build 2026.09),
 * in the order that build emits them, then the values Strata computes itself: 'QED' (Bickerton 2012,
 * RDKit's QED.py definition) and 'lipinski_violations' (0–4: amw > 500, CrippenClogP > 5, NumHBD > 5,
 * NumHBA > 10). The worker checks at start-up that the build emits exactly these keys in this order
 * and refuses to start otherwise, so a changed RDKit build cannot silently shift columns.
 * All values are computed on the standardised parent.
 */
export const RDKIT_DESCRIPTOR_NAMES = [
  'exactmw', 'amw', 'lipinskiHBA', 'lipinskiHBD', 'NumRotatableBonds', 'NumHBD', 'NumHBA', 'NumHeavyAtoms', 'NumAtoms',
  'NumHeteroatoms', 'NumAmideBonds', 'FractionCSP3', 'NumRings', 'NumAromaticRings', 'NumAliphaticRings', 'NumSaturatedRings',
  'NumHeterocycles', 'NumAromaticHeterocycles', 'NumSaturatedHeterocycles', 'NumAliphaticHeterocycles', 'NumSpiroAtoms',
  'NumBridgeheadAtoms', 'NumAtomStereoCenters', 'NumUnspecifiedAtomStereoCenters', 'labuteASA', 'tpsa', 'CrippenClogP',
  'CrippenMR', 'chi0v', 'chi1v', 'chi2v', 'chi3v', 'chi4v', 'chi0n', 'chi1n', 'chi2n', 'chi3n', 'chi4n', 'hallKierAlpha',
  'kappa1', 'kappa2', 'kappa3', 'Phi',
] as const;

export const DESCRIPTOR_NAMES: readonly string[] = [...RDKIT_DESCRIPTOR_NAMES, 'QED', 'lipinski_violations'];
export const N_RDKIT_DESCRIPTORS = RDKIT_DESCRIPTOR_NAMES.length;
export const QED_INDEX = N_RDKIT_DESCRIPTORS;
export const LIPINSKI_VIOLATIONS_INDEX = N_RDKIT_DESCRIPTORS + 1;

/**
 * 0/1 flags (255 = not computed, i.e. the record failed).
 * - lipinski_pass: at most one Ro5 violation (amw ≤ 500, CrippenClogP ≤ 5, NumHBD ≤ 5, NumHBA ≤ 10; HBD/HBA
 *   are RDKit's NumHBD/NumHBA, as `rdkit.Chem.Lipinski.NumHDonors/NumHAcceptors`).
 * - veber_pass: NumRotatableBonds ≤ 10 and tpsa ≤ 140 Å².
 */
export const FLAG_NAMES: readonly string[] = ['lipinski_pass', 'veber_pass'];

/** Morgan fingerprint, radius 2, 2048 bits, bytes least-significant-bit first as RDKit gives them. */
export const FP_BITS = 2048;
export const FP_BYTES = 256;
export const MORGAN_RADIUS = 2;

/** Inputs above these sizes are refused before parsing: very large inputs can exhaust the WASM heap/stack (rdkit#9115). */
export const MAX_SMILES_CHARS = 5000;
export const MAX_MOLBLOCK_ATOMS = 2000;
/** A molblock longer than this cannot hold ≤ 2000 atoms and their bonds in any sane layout. */
export const MAX_MOLBLOCK_CHARS = 2_000_000;

/**
 * What a batch computes. `all` (default): everything the project stores. `model`: what screening and
 * ranking read — RDKit's descriptors (get_descriptors() computes its 43 or none, so all of them), QED,
 * rule flags, structural alerts, Morgan fingerprint, canonical SMILES and identity — but not the
 * substructure-screen fingerprint, which only the UI's SMARTS search uses (`screenFps` is then empty and
 * the store leaves it NULL for the project's background backfill).
 */
export type ChemWorkSet = 'all' | 'model';

export interface ChemBatchInput {
  texts: string[];
  /** Per record: 1 = molblock (V2000/V3000), 0 = SMILES. */
  molblock: Uint8Array;
  /** Default 'all'. */
  set?: ChemWorkSet;
}

export interface ChemBatchOutput {
  n: number;
  /** 1 processed, 0 failed. */
  ok: Uint8Array;
  /** Human-readable reason for each failed record (RDKit's own message when it logged one), null when ok. */
  error: (string | null)[];
  /** Canonical isomeric SMILES of the record as given (all fragments, charges as given); '' for failures. */
  originalSmiles: string[];
  /** Canonical isomeric SMILES of the standardised parent; '' for failures. */
  parentSmiles: string[];
  /**
   * Duplicate-detection key: the parent's canonical isomeric SMILES (RDKit 2026.09 canonicalisation).
   * So salts/counter-ions and protonation states of one parent collapse onto one identity, while
   * stereoisomers stay distinct and tautomers are NOT unified (no canonical tautomer in this build).
   */
  identity: string[];
  /**
   * '' or '; '-joined notes, e.g. "removed fragments: [Na+], Cl; neutralised 2 charges" (see
   * core/chem/standardise.ts for exactly what is and is not done). Should QED ever fail on a molecule
   * RDKit accepted, QED is NaN and a note "QED not computed (…)" is appended instead of failing the record.
   */
  standardisation: string[];
  /** n × DESCRIPTOR_NAMES.length, NaN for failures. */
  descriptors: Float64Array;
  /** n × FLAG_NAMES.length, 0/1; 255 for failures. */
  flags: Uint8Array;
  /** n × FP_BYTES. All zero for failures. */
  fingerprints: Uint8Array;
  /**
   * Ids of the structural alerts (core/chem/alerts.ts: PAINS) the parent matches; null when they could
   * not be computed for a molecule RDKit accepted (noted in `standardisation`).
   */
  alerts: (string[] | null)[];
  /**
   * Substructure-screen fingerprints of the parents (core/chem/screen-fp.ts), SCREEN_FP_BYTES each; all zero
   * when not computed for a record; empty (length 0) for a batch with `set: 'model'`.
   */
  screenFps: Uint8Array;
  /** Heavy atoms of the parent; 0 for failures. */
  heavyAtoms: Uint32Array;
}

/** Per-stage time inside a worker, in milliseconds of wall clock while the worker thread ran the stage. */
export interface StageTimes {
  parse: number;
  standardise: number;
  descriptors: number;
  qed: number;
  /** Morgan fingerprint (RDKit). */
  fingerprint: number;
  /** Substructure-screen fingerprint (JS). */
  screenfp: number;
  smiles: number;
  free: number;
  /** Everything else inside the batch call: guards, output packing, log handling. */
  other: number;
}

export interface WorkerStats {
  threadId: number;
  records: number;
  failed: number;
  batches: number;
  /** Times the RDKit module was thrown away and re-instantiated after a WASM failure. */
  recycles: number;
  /** Transient RDKit objects currently alive (should be 0 between tasks). */
  liveObjects: number;
  /** Persistent RDKit objects (cached query molecules, log handle), kept for the worker's lifetime. */
  persistentObjects: number;
  /** Current size of the WASM linear memory in bytes (it never shrinks; it grows only when needed). */
  heapBytes: number;
  /** QED structural alerts the JS matcher could not decide alone and confirmed with RDKit. */
  alertConfirmations: number;
  /**
   * CPU time of the worker thread spent in batches, ms (Linux /proc/thread-self, 10 ms ticks; 0 elsewhere).
   * Unlike the stage times (wall clock), it does not grow when other processes compete for the cores.
   */
  cpuMs: number;
  stages: StageTimes;
}
