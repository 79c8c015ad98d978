/**
 * Compound featurisation for training, in-process with RDKit WASM (the ~250 training drugs do not need a pool).
 *
 * The vector is fully specified by the manifest so that screening can build it from what the import pipeline
 * stored: Morgan radius-2 2048-bit fingerprint (bytes least-significant-bit first, bit i = byte[i>>3] >> (i&7) & 1)
 * as 0/1 floats, followed by the RDKit `get_descriptors()` values named in DESCRIPTOR_NAMES, in that order,
 * standardised with the stored mean/std and clipped to ±clip.
 */
import RDKitPkg from '@rdkit/rdkit';
import type { MainModule as RDKitModule, Mol as JSMol } from '@rdkit/rdkit';

export type { RDKitModule };

/**
 * Descriptors used by the model, in vector order. A small, interpretable, mostly size/polarity/shape set from
 * RDKit's `Properties` (the 43 keys of get_descriptors()); redundant variants (chiNn vs chiNv, amw vs exactmw,
 * lipinski counts) are left out.
 */
export const DESCRIPTOR_NAMES = [
  'exactmw',
  'CrippenClogP',
  'CrippenMR',
  'tpsa',
  'labuteASA',
  'NumHBD',
  'NumHBA',
  'NumRotatableBonds',
  'NumHeavyAtoms',
  'NumHeteroatoms',
  'NumAmideBonds',
  'FractionCSP3',
  'NumRings',
  'NumAromaticRings',
  'NumAliphaticRings',
  'NumHeterocycles',
  'NumAtomStereoCenters',
  'hallKierAlpha',
  'kappa2',
  'chi1v',
] as const;

export const FINGERPRINT_SPEC = {
  type: 'morgan',
  radius: 2,
  nBits: 2048,
  useChirality: false,
  bitOrder: 'lsb-first bytes',
} as const;

/** Standardised descriptors are clipped to ±DESCRIPTOR_CLIP so one odd molecule cannot dominate a layer. */
export const DESCRIPTOR_CLIP = 5;

let rdkitPromise: Promise<RDKitModule> | null = null;

/** Loads RDKit WASM once per thread. */
export function loadRDKit(): Promise<RDKitModule> {
  // The package is CommonJS: under NodeNext its factory is the `default` property of the default import.
  rdkitPromise ??= (RDKitPkg as unknown as { default: () => Promise<RDKitModule> }).default();
  return rdkitPromise;
}

export interface RawCompoundFeatures {
  /** Canonical SMILES of the parent structure the features were computed on. */
  parentSmiles: string;
  /** 256 bytes, LSB-first. */
  fingerprint: Uint8Array;
  /** Raw (unstandardised) descriptor values in DESCRIPTOR_NAMES order. */
  descriptors: Float64Array;
}

function parseOrThrow(rdkit: RDKitModule, smiles: string, what: string): JSMol {
  if (!smiles.trim()) throw new Error(`${what}: empty SMILES`);
  const mol = rdkit.get_mol(smiles);
  if (!mol) throw new Error(`${what}: RDKit cannot parse SMILES "${smiles}"`);
  if (!mol.is_valid()) {
    mol.delete();
    throw new Error(`${what}: RDKit cannot parse SMILES "${smiles}"`);
  }
  return mol;
}

/**
 * The parent structure: the fragment with the most heavy atoms (salts and counter-ions dropped). When no fragment
 * has two heavy atoms (e.g. cisplatin, N.N.[Cl-].[Cl-].[Pt+2]) the whole structure is kept.
 */
export function parentSmiles(rdkit: RDKitModule, smiles: string, what = 'compound'): string {
  const mol = parseOrThrow(rdkit, smiles, what);
  let canonical: string;
  try {
    canonical = mol.get_smiles();
  } finally {
    mol.delete();
  }
  const frags = canonical.split('.');
  if (frags.length === 1) return canonical;
  let best = '';
  let bestAtoms = -1;
  for (const f of frags) {
    const fm = parseOrThrow(rdkit, f, what);
    let n: number;
    try {
      n = fm.get_num_atoms(true);
    } finally {
      fm.delete();
    }
    if (n > bestAtoms || (n === bestAtoms && (f.length > best.length || (f.length === best.length && f < best)))) {
      best = f;
      bestAtoms = n;
    }
  }
  return bestAtoms >= 2 ? best : canonical;
}

/** Canonical SMILES (whole structure) or null when it does not parse. */
export function canonicalSmiles(rdkit: RDKitModule, smiles: string): string | null {
  const mol = rdkit.get_mol(smiles);
  if (!mol) return null;
  try {
    return mol.is_valid() ? mol.get_smiles() : null;
  } finally {
    mol.delete();
  }
}

export function featuriseSmiles(rdkit: RDKitModule, smiles: string, what = 'compound'): RawCompoundFeatures {
  const parent = parentSmiles(rdkit, smiles, what);
  const mol = parseOrThrow(rdkit, parent, what);
  try {
    const fingerprint: Uint8Array = mol.get_morgan_fp_as_uint8array(JSON.stringify({ radius: FINGERPRINT_SPEC.radius, nBits: FINGERPRINT_SPEC.nBits }));
    if (fingerprint.length !== FINGERPRINT_SPEC.nBits / 8) throw new Error(`${what}: fingerprint has ${fingerprint.length} bytes, expected ${FINGERPRINT_SPEC.nBits / 8}`);
    const all = JSON.parse(mol.get_descriptors()) as Record<string, number>;
    const descriptors = new Float64Array(DESCRIPTOR_NAMES.length);
    DESCRIPTOR_NAMES.forEach((name, i) => {
      const v = all[name];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${what}: descriptor ${name} missing or not finite for "${parent}"`);
      descriptors[i] = v;
    });
    return { parentSmiles: parent, fingerprint: Uint8Array.from(fingerprint), descriptors };
  } finally {
    mol.delete();
  }
}

export interface Standardisation {
  mean: number[];
  std: number[];
  clip: number;
}

/** Mean and (population) std per descriptor; a constant descriptor gets std 1 so it standardises to 0. */
export function fitStandardisation(rows: Float64Array[]): Standardisation {
  const d = DESCRIPTOR_NAMES.length;
  const mean = new Array<number>(d).fill(0);
  const std = new Array<number>(d).fill(0);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] += r[j] / rows.length;
  for (const r of rows) for (let j = 0; j < d; j++) std[j] += (r[j] - mean[j]) ** 2 / rows.length;
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j]) || 1;
  return { mean, std, clip: DESCRIPTOR_CLIP };
}

export function fingerprintBit(fp: Uint8Array, bit: number): number {
  return (fp[bit >> 3] >> (bit & 7)) & 1;
}

/**
 * The model's compound vector: nBits 0/1 values then standardised, clipped descriptors. Writes into `out` at
 * `offset` (so a batch can be filled in place) and returns `out`.
 */
export function compoundVector(
  fp: Uint8Array,
  descriptors: ArrayLike<number>,
  std: Standardisation,
  out = new Float32Array(FINGERPRINT_SPEC.nBits + DESCRIPTOR_NAMES.length),
  offset = 0,
): Float32Array {
  const nBits = FINGERPRINT_SPEC.nBits;
  for (let i = 0; i < nBits; i++) out[offset + i] = fingerprintBit(fp, i);
  for (let j = 0; j < std.mean.length; j++) {
    const z = (descriptors[j] - std.mean[j]) / std.std[j];
    out[offset + nBits + j] = Math.max(-std.clip, Math.min(std.clip, z));
  }
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
