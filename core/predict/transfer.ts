/**
 * Mechanism-aware genotype transfer: the genotype dependence of an unseen compound's response, borrowed from the
 * training drugs that share its declared target or pathway and from its structural neighbours.
 *
 * Every training drug d carries a double-centred response profile P_d(c) = y(d,c) − drug mean − cell-line mean
 * (its genotype dependence over the reference cell lines). For a compound q with fingerprint x_q and declared
 * mechanism (targets, pathway):
 *
 *   w_d   = (a_t·J_d^j·1[shares a target] + a_p·1[shares the pathway only] + a_s·Tanimoto(q,d)^p) · r_d
 *
 * J_d: Jaccard overlap of the declared and the drug's target lists.
 *   T_q(c) = gain[tier] · Σ_{d ∈ top-k} w_d P_d(c) / (λ + Σ w_d)   (capped at the drug's own profile for a training drug itself)
 *
 * r_d = (strength_d / median strength)^γ weights reliable, strongly genotype-dependent drugs up; λ shrinks weak
 * evidence towards "no genotype dependence". The prediction is the two-tower prediction plus T_q; the tier
 * (`target` > `pathway` > `neighbour` (max Tanimoto ≥ threshold) > `structure`) picks the gain and the calibrated
 * interval. A `structure`-tier compound has gain 0: it keeps the two-tower prediction exactly.
 *
 * Samples that are not reference cell lines (a lab's own VCF/MAF panel) get P_d from a per-drug ridge fit of the
 * profile on the model's genotype features (genotype-space form); reference lines, matched by COSMIC id, use the
 * measured profile where it exists (see the card for which is better).
 *
 * Why plain typed-array maths and not ONNX: the work is a weighted sum of at most k stored vectors (and a
 * popcount per training drug for the similarities, shared with the applicability domain); a graph would need the
 * mechanism match as an input tensor and adds a session run per batch without saving any arithmetic.
 * Cost per compound: D popcounts (D = training drugs) + k × samples multiply-adds for a full matrix, or k × G for
 * G subgroup means (profiles are averaged per subgroup once per panel).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError } from '../api/errors.js';
import { keysMatch, normalisePathway, splitTargets, targetKey } from '../mechanism/targets.js';

export const TIERS = ['target', 'pathway', 'neighbour', 'structure'] as const;
export type EvidenceTier = (typeof TIERS)[number];

/** A compound's declared mechanism (targets as written; pathway as written or null). */
export interface Mechanism {
  targets: readonly string[];
  pathway: string | null;
}

export const NO_MECHANISM: Mechanism = { targets: [], pathway: null };

/** Catch-all pathway labels of the training data: sharing one says nothing about the mechanism. */
export const UNINFORMATIVE_PATHWAYS = new Set(['Other', 'Other, kinases', 'Unclassified']);

export interface TransferParams {
  targetWeight: number;
  pathwayWeight: number;
  structureWeight: number;
  simPower: number;
  lambda: number;
  topK: number;
  /** Max Tanimoto from which an unannotated compound is in the `neighbour` tier. */
  neighbourThreshold: number;
  /** γ of the reliability factor (profile strength / median)^γ. */
  strengthPower: number;
  /**
   * The target term is a_t · J^power, J = Jaccard overlap of the two target lists: a selective inhibitor of the
   * declared target transfers more than a multi-kinase drug that lists it among many.
   */
  targetJaccardPower: number;
  gain: Record<EvidenceTier, number>;
  /**
   * ρ per tier: the compound's drug-level potency moves by ρ · (evidence-weighted mean of the chosen drugs' drug
   * means − the two-tower's own), i.e. same-target drugs also inform how potent it is overall.
   */
  potency: Record<EvidenceTier, number>;
  /** Gain multiplier for samples that use the genotype-space (ridge) profiles instead of measured ones. */
  genotypeScale: number;
}

export interface TierTable {
  target: number;
  pathway: number;
  neighbour: number;
  structure: number;
}

export interface TransferIntervals {
  level: number;
  /** Conformal half-widths (ln units) per tier: one prediction, a subgroup mean, a selectivity (subgroup − rest). */
  pair: TierTable;
  aggregate: TierTable;
  selectivity: TierTable;
  /**
   * Evidence-scaled half-widths (optional; absent in older artifacts): for a tier listed here, a compound's pair
   * or subgroup-mean half-width is q · √(floor² + spread²), where spread is the evidence-weighted standard
   * deviation of the chosen training drugs' potencies ({@link TransferWeights.spread}): drugs sharing a target
   * or pathway that agree on potency leave less of the drug-level error, which dominates absolute ln IC50.
   * Calibrated by normalised split conformal on the same residuals; a tier is listed only where it made the
   * intervals at least 5 % narrower on average there. Other tiers, and compounds without chosen drugs, use the constants.
   */
  scaled?: { pair: ScaledTable; aggregate: ScaledTable };
  calibratedOn: string;
}

/** q and floor (ln units) of an evidence-scaled half-width q · √(floor² + spread²). */
export interface ScaledHalfWidth {
  q: number;
  floor: number;
}

/** The evidence-scaled half-widths of the tiers that have one. */
export type ScaledTable = Partial<Record<EvidenceTier, ScaledHalfWidth>>;

/** The model-directory file (`mechanism.json`). */
export interface TransferArtifactFile {
  format: 'strata-transfer/1';
  /** Genotype features (model manifest order) the ridge coefficients refer to. */
  features: string[];
  cellLines: { cosmicIds: string[]; trainingMean: number[] };
  /** Ridge form of the cell-line mean (float32 base64 over features) and intercept, for samples that are not reference lines. */
  lineMeanRidge: { coef: string; intercept: number };
  params: TransferParams;
  intervals: TransferIntervals;
  drugs: {
    name: string;
    targets: string[];
    pathway: string | null;
    /** Morgan fingerprint bytes, hex (the manifest's spec). */
    fp: string;
    /** Drug mean (ln IC50 minus the cell-line mean, averaged over its lines). */
    mean: number;
    /** Standard deviation of the profile over measured lines. */
    strength: number;
    /** Double-centred profile over cellLines, int16 ×1000 little-endian base64 (−32768 = not measured). */
    profile: string;
    /** Ridge coefficients over features (float32 base64) and intercept: the genotype-space profile. */
    ridge: string;
    intercept: number;
  }[];
  /** How the parameters were chosen (generated by the evaluation). */
  provenance?: unknown;
}

export interface TransferDrug {
  name: string;
  targetKeys: string[];
  pathway: string | null;
  fp: Uint8Array;
  mean: number;
  strength: number;
  /** Reliability factor r_d (depends on params.strengthPower). */
  reliability: number;
  profile: Float32Array;
  ridge: Float32Array;
  intercept: number;
}

export interface TransferModel {
  file: string;
  /** Training fingerprints as 32-bit words, drug-major, and their bit counts (for fast similarities). */
  words: Uint32Array;
  counts: Int32Array;
  features: string[];
  cosmicIds: string[];
  trainingMean: Float32Array;
  lineMeanRidge: { coef: Float32Array; intercept: number };
  params: TransferParams;
  intervals: TransferIntervals;
  drugs: (TransferDrug & Neighbour)[];
}

function bad(file: string, field: string, reason: string): never {
  throw new ApiError('BAD_MODEL', `${file}: ${field}: ${reason}`, { file, field });
}

export function decodeInt16Profile(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  const out = new Float32Array(buf.length >> 1);
  for (let i = 0; i < out.length; i++) {
    const v = buf.readInt16LE(i * 2);
    out[i] = v === -32768 ? NaN : v / 1000;
  }
  return out;
}

export function encodeInt16Profile(p: ArrayLike<number>): string {
  const b = Buffer.alloc(p.length * 2);
  for (let i = 0; i < p.length; i++) b.writeInt16LE(Number.isFinite(p[i]) ? Math.max(-32767, Math.min(32767, Math.round(p[i] * 1000))) : -32768, i * 2);
  return b.toString('base64');
}

export function encodeFloat32(a: ArrayLike<number>): string {
  const f = Float32Array.from(a);
  return Buffer.from(f.buffer).toString('base64');
}

function decodeFloat32(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  const copy = new Uint8Array(buf.length);
  copy.set(buf);
  return new Float32Array(copy.buffer, 0, buf.length >> 2);
}

function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Reliability factors r_d = (strength / median strength)^γ. */
export function reliabilities(strengths: ArrayLike<number>, gamma: number, include?: (d: number) => boolean): Float64Array {
  const s = Float64Array.from(Array.from(strengths).filter((_, d) => !include || include(d))).sort();
  const med = s.length ? s[s.length >> 1] : 1;
  return Float64Array.from(strengths, (v) => (gamma === 0 || !(med > 0) ? 1 : Math.pow(Math.max(v, 1e-6) / med, gamma)));
}

/** Parses and validates a transfer artifact; every problem names the file and the field. */
export function parseTransfer(text: string, file: string, nBits = 2048): TransferModel {
  let j: TransferArtifactFile;
  try {
    j = JSON.parse(text) as TransferArtifactFile;
  } catch (err) {
    bad(file, '(file)', `not JSON: ${(err as Error).message}`);
  }
  if (!j || typeof j !== 'object' || j.format !== 'strata-transfer/1') bad(file, 'format', `expected "strata-transfer/1", found ${JSON.stringify((j as { format?: unknown })?.format)}`);
  if (!Array.isArray(j.features) || !j.features.every((f) => typeof f === 'string')) bad(file, 'features', 'must be a list of feature names');
  const C = j.cellLines?.cosmicIds?.length;
  if (!C || !Array.isArray(j.cellLines.trainingMean) || j.cellLines.trainingMean.length !== C || !j.cellLines.trainingMean.every(finite)) {
    bad(file, 'cellLines', 'needs cosmicIds and one finite trainingMean per cell line');
  }
  const p = j.params;
  for (const k of ['targetWeight', 'pathwayWeight', 'structureWeight', 'simPower', 'lambda', 'topK', 'neighbourThreshold', 'strengthPower', 'targetJaccardPower'] as const) {
    if (!p || !finite(p[k]) || p[k] < 0) bad(file, `params.${k}`, `must be a number ≥ 0, found ${JSON.stringify(p?.[k])}`);
  }
  for (const t of TIERS) if (!finite(p.gain?.[t])) bad(file, `params.gain.${t}`, 'must be a number');
  for (const t of TIERS) if (!finite(p.potency?.[t])) bad(file, `params.potency.${t}`, 'must be a number');
  if (!finite(p.genotypeScale) || p.genotypeScale < 0) bad(file, 'params.genotypeScale', 'must be a number ≥ 0');
  const iv = j.intervals;
  if (!iv || !finite(iv.level) || iv.level <= 0 || iv.level >= 1) bad(file, 'intervals.level', 'must be in (0, 1)');
  for (const kind of ['pair', 'aggregate', 'selectivity'] as const) {
    for (const t of TIERS) if (!finite(iv[kind]?.[t]) || iv[kind][t] <= 0) bad(file, `intervals.${kind}.${t}`, 'must be a half-width > 0');
  }
  if (iv.scaled !== undefined) {
    for (const kind of ['pair', 'aggregate'] as const) {
      const tab = iv.scaled?.[kind];
      if (!tab || typeof tab !== 'object') bad(file, `intervals.scaled.${kind}`, 'must map tiers to { q, floor }');
      for (const [t, v] of Object.entries(tab)) {
        if (!(TIERS as readonly string[]).includes(t)) bad(file, `intervals.scaled.${kind}.${t}`, `is not a tier (${TIERS.join(', ')})`);
        if (!finite(v?.q) || v.q <= 0 || !finite(v?.floor) || v.floor <= 0) bad(file, `intervals.scaled.${kind}.${t}`, 'needs q > 0 and floor > 0');
      }
    }
  }
  if (!Array.isArray(j.drugs) || j.drugs.length === 0) bad(file, 'drugs', 'must list the training drugs');
  const F = j.features.length;
  const lmr = j.lineMeanRidge;
  const lmCoef = decodeFloat32(String(lmr?.coef ?? ''));
  if (lmCoef.length !== F || !finite(lmr?.intercept)) bad(file, 'lineMeanRidge', `needs ${F} coefficients and an intercept`);
  const rel = reliabilities(j.drugs.map((d) => d.strength), p.strengthPower);
  const drugs = j.drugs.map((d, i): TransferDrug & Neighbour => {
    const where = `drugs[${i}] (${d?.name ?? '?'})`;
    if (typeof d?.name !== 'string' || !Array.isArray(d.targets)) bad(file, where, 'needs name and targets');
    const fp = new Uint8Array(Buffer.from(String(d.fp ?? ''), 'hex'));
    if (fp.length * 8 !== nBits) bad(file, `${where}.fp`, `has ${fp.length * 8} bits, the model needs ${nBits}`);
    const profile = decodeInt16Profile(String(d.profile ?? ''));
    if (profile.length !== C) bad(file, `${where}.profile`, `has ${profile.length} values for ${C} cell lines`);
    const ridge = decodeFloat32(String(d.ridge ?? ''));
    if (ridge.length !== F) bad(file, `${where}.ridge`, `has ${ridge.length} coefficients for ${F} features`);
    if (!finite(d.mean) || !finite(d.strength) || !finite(d.intercept)) bad(file, where, 'mean, strength and intercept must be numbers');
    return {
      name: d.name,
      targetKeys: d.targets.map(targetKey),
      pathway: d.pathway,
      fp,
      mean: d.mean,
      strength: d.strength,
      reliability: rel[i],
      profile,
      ridge,
      intercept: d.intercept,
    };
  });
  const W = nBits / 32;
  const words = new Uint32Array(drugs.length * W);
  const counts = new Int32Array(drugs.length);
  drugs.forEach((d, i) => {
    const dv = new DataView(d.fp.buffer, d.fp.byteOffset, d.fp.byteLength);
    for (let w = 0; w < W; w++) {
      const v = dv.getUint32(w * 4, true);
      words[i * W + w] = v;
      counts[i] += popcount32(v);
    }
  });
  return { file, words, counts, features: j.features, cosmicIds: j.cellLines.cosmicIds.map(String), trainingMean: Float32Array.from(j.cellLines.trainingMean), lineMeanRidge: { coef: lmCoef, intercept: lmr.intercept }, params: p, intervals: iv, drugs };
}

const cache = new Map<string, TransferModel>();

/** Loads `<dir>/<file>` (cached per path and sha256; the registry checks the sha256 against the manifest). */
export function loadTransfer(dir: string, file: string, sha256: string, nBits = 2048): TransferModel {
  const path = join(dir, file);
  const key = `${path}\n${sha256}`;
  let m = cache.get(key);
  if (!m) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ApiError('BAD_MODEL', `${path}: cannot read the transfer artifact: ${(err as Error).message}`, { file: path });
    }
    m = parseTransfer(text, path, nBits);
    cache.set(key, m);
  }
  return m;
}

// ------------------------------------------------------------------------------------------------
// Weights (shared by the runtime and the evaluation, so both compute the same thing)
// ------------------------------------------------------------------------------------------------

/** What the weighting needs to know about one training drug. */
export interface Neighbour {
  targetKeys: readonly string[];
  pathway: string | null;
  reliability: number;
  /** Drug mean (ln IC50 minus the cell-line mean). */
  mean: number;
}

export interface TransferWeights {
  tier: EvidenceTier;
  /** Chosen training drugs (indices) and their weights. */
  idx: Int32Array;
  w: Float64Array;
  /** gain[tier] / (λ + Σ w) (at most 1 / max w for a near-identical training drug): multiply Σ w_d P_d by it. 0 in the structure tier. */
  scale: number;
  /** Σ w (the evidence weight). */
  evidence: number;
  /** Σ w · drug mean / Σ w of the chosen drugs (NaN when none): the potency they suggest, relative to the line means. */
  potency: number;
  /** ρ[tier]: how far the prediction's drug-level mean moves towards `potency`. */
  potencyWeight: number;
  /** √(Σ w · (drug mean − potency)² / Σ w): how much the chosen drugs disagree on potency (NaN when none). */
  spread: number;
  maxSimilarity: number;
  /** Training drugs sharing a declared target / the pathway. */
  targetMatches: number;
  pathwayMatches: number;
}

/** Normalised mechanism: target keys and the vocabulary pathway (null when absent or uninformative). */
export function mechanismKeys(m: Mechanism): { keys: string[]; pathway: string | null } {
  const np = normalisePathway(m.pathway).pathway;
  // Entries as written (`MEK1/2`) are split the way import splits them.
  return { keys: [...new Set(m.targets.flatMap((t) => splitTargets(t)).map(targetKey).filter((k) => k.length > 0))], pathway: np && !UNINFORMATIVE_PATHWAYS.has(np) ? np : null };
}

/** Tanimoto from which a compound counts as the training drug itself (same parent, salt, stereoisomer). */
export const NEAR_IDENTICAL = 0.9;

/**
 * Weights of the training drugs for one compound. `sims[d]`: Tanimoto to training drug d (computed by the caller
 * once, shared with the applicability domain). `exclude`: drugs not to use (the evaluation's held-out ones).
 */
export function transferWeights(params: TransferParams, drugs: readonly Neighbour[], sims: ArrayLike<number>, mech: { keys: readonly string[]; pathway: string | null }, exclude?: (d: number) => boolean): TransferWeights {
  const D = drugs.length;
  const mb = mechanismBase(params, drugs, mech);
  const { structureWeight: as, simPower } = params;
  const k = Math.min(params.topK > 0 ? params.topK : D, D);
  // Running top-k by weight (ties: lower index first), without sorting all D.
  const topW = new Float64Array(k);
  const topI = new Int32Array(k);
  let nTop = 0;
  let maxSim = 0;
  let tm = 0;
  let pm = 0;
  for (let d = 0; d < D; d++) {
    if (exclude?.(d)) continue;
    const s = sims[d];
    if (s > maxSim) maxSim = s;
    const flag = mb.flags[d];
    if (flag === 1) tm++;
    else if (flag === 2) pm++;
    const sp = simPower === 3 ? s * s * s : Math.pow(s, simPower);
    const w = (mb.base[d] + as * sp) * drugs[d].reliability;
    if (!(w > 0) || (nTop === k && w <= topW[k - 1])) continue;
    let at = nTop < k ? nTop++ : k - 1;
    while (at > 0 && topW[at - 1] < w) {
      topW[at] = topW[at - 1];
      topI[at] = topI[at - 1];
      at--;
    }
    topW[at] = w;
    topI[at] = d;
  }
  const tier: EvidenceTier = tm > 0 ? 'target' : pm > 0 ? 'pathway' : maxSim >= params.neighbourThreshold ? 'neighbour' : 'structure';
  const gain = params.gain[tier];
  if (gain === 0 && params.potency[tier] === 0) return { tier, idx: new Int32Array(0), w: new Float64Array(0), scale: 0, evidence: 0, potency: NaN, potencyWeight: 0, spread: NaN, maxSimilarity: maxSim, targetMatches: tm, pathwayMatches: pm };
  const idx = topI.slice(0, nTop);
  const w = topW.slice(0, nTop);
  let evidence = 0;
  let pot = 0;
  for (let i = 0; i < nTop; i++) {
    evidence += w[i];
    pot += w[i] * drugs[idx[i]].mean;
  }
  const potency = evidence > 0 ? pot / evidence : NaN;
  let dev = 0;
  for (let i = 0; i < nTop; i++) dev += w[i] * (drugs[idx[i]].mean - potency) ** 2;
  const spread = evidence > 0 ? Math.sqrt(dev / evidence) : NaN;
  // The gain makes up for the attenuation of averaging several drugs' profiles. A compound that is a training drug
  // (Tanimoto ≥ NEAR_IDENTICAL: the same parent, a salt, a stereoisomer) has nothing to make up for: its transferred
  // profile is capped at that drug's own measured one (scale ≤ 1 / its weight), never an amplified copy. No two
  // of the 206 training drug groups are that close (max pairwise Tanimoto < 0.9), so no held-out drug of the
  // evaluation reaches the cap and the evaluated figures stand.
  const wMax = nTop ? w[0] : 0;
  const nearIdentical = nTop > 0 && sims[idx[0]] >= NEAR_IDENTICAL;
  const scale = Math.min(gain / (params.lambda + evidence), nearIdentical && wMax > 0 ? 1 / wMax : Infinity);
  return { tier, idx, w, scale, evidence, potency, potencyWeight: Number.isFinite(potency) ? params.potency[tier] : 0, spread, maxSimilarity: maxSim, targetMatches: tm, pathwayMatches: pm };
}

interface MechanismBase {
  /** a_t·J^j (target match) or a_p (pathway only) per drug, and 1 = target, 2 = pathway, 0 = neither. */
  base: Float64Array;
  flags: Uint8Array;
}

const baseCache = new WeakMap<readonly Neighbour[], Map<string, MechanismBase>>();

/** The mechanism part of every drug's weight: depends on the declared mechanism only, so cached per mechanism. */
function mechanismBase(params: TransferParams, drugs: readonly Neighbour[], mech: { keys: readonly string[]; pathway: string | null }): MechanismBase {
  let byMech = baseCache.get(drugs);
  if (!byMech) baseCache.set(drugs, (byMech = new Map()));
  const key = `${params.targetWeight}:${params.pathwayWeight}:${params.targetJaccardPower}:${mech.keys.join('|')}#${mech.pathway ?? ''}`;
  const hit = byMech.get(key);
  if (hit) return hit;
  const D = drugs.length;
  const base = new Float64Array(D);
  const flags = new Uint8Array(D);
  for (let d = 0; d < D; d++) {
    const nb = drugs[d];
    let shared = 0;
    for (const k of mech.keys) {
      for (const t of nb.targetKeys) {
        if (keysMatch(k, t)) {
          shared++;
          break;
        }
      }
    }
    if (shared > 0) {
      const jaccard = Math.min(1, shared / Math.max(1, mech.keys.length + nb.targetKeys.length - shared));
      base[d] = params.targetWeight * Math.pow(jaccard, params.targetJaccardPower);
      flags[d] = 1;
    } else if (mech.pathway !== null && nb.pathway === mech.pathway) {
      base[d] = params.pathwayWeight;
      flags[d] = 2;
    }
  }
  // Bounded: a library declares a handful of mechanisms; a pathological one declaring thousands stays small.
  if (byMech.size > 4096) byMech.clear();
  const v = { base, flags };
  byMech.set(key, v);
  return v;
}

/** out[s] += scale · Σ w_d P_d(s) over the chosen drugs; `profiles` is [D × S] row-major. */
export function addTransfer(out: Float32Array | Float64Array, offset: number, S: number, tw: TransferWeights, profiles: Float32Array): void {
  if (tw.scale === 0) return;
  for (let i = 0; i < tw.idx.length; i++) {
    const f = tw.scale * tw.w[i];
    const base = tw.idx[i] * S;
    for (let s = 0; s < S; s++) out[offset + s] += f * profiles[base + s];
  }
}

// ------------------------------------------------------------------------------------------------
// Runtime: a panel's profiles, one compound's transfer
// ------------------------------------------------------------------------------------------------

export interface PanelProfiles {
  /** [D × S] profiles on the panel's samples (genotype-space ones already multiplied by params.genotypeScale). */
  profiles: Float32Array;
  /** Cell-line mean per sample: measured for reference lines, ridge form otherwise. */
  lineMean: Float32Array;
  nSamples: number;
  /** Samples matched to a reference line (COSMIC id): measured profiles where the drug was measured on it, the rest the ridge form. */
  measuredSamples: number;
}

/**
 * Per training drug, its profile on the panel's samples. `genotypes` is the model's genotype input for the panel
 * ([S × features], manifest order, as genotypeMatrix builds it). `useMeasured`: reference cell lines (sample id =
 * COSMIC id) take the measured profile where the drug was measured on them.
 */
export function panelProfiles(model: TransferModel, samples: readonly string[], genotypes: Float32Array, useMeasured = true): PanelProfiles {
  const S = samples.length;
  const F = model.features.length;
  if (genotypes.length !== S * F) throw new ApiError('INVALID_INPUT', `transfer: genotype input has ${genotypes.length} values, expected ${S} × ${F}`);
  const ref = new Map(model.cosmicIds.map((id, i) => [id, i]));
  const refIdx = samples.map((s) => (useMeasured ? ref.get(String(s).trim()) ?? -1 : -1));
  const D = model.drugs.length;
  const out = new Float32Array(D * S);
  const lineMean = new Float32Array(S);
  const gs = model.params.genotypeScale;
  for (let s = 0; s < S; s++) {
    const r = ref.get(String(samples[s]).trim());
    if (r !== undefined) {
      lineMean[s] = model.trainingMean[r];
      continue;
    }
    let v = model.lineMeanRidge.intercept;
    for (let f = 0; f < F; f++) if (genotypes[s * F + f] !== 0) v += genotypes[s * F + f] * model.lineMeanRidge.coef[f];
    lineMean[s] = v;
  }
  const measured = refIdx.filter((r) => r >= 0).length;
  for (let d = 0; d < D; d++) {
    const dr = model.drugs[d];
    for (let s = 0; s < S; s++) {
      const r = refIdx[s];
      const m = r >= 0 ? dr.profile[r] : NaN;
      if (Number.isFinite(m)) {
        out[d * S + s] = m;
        continue;
      }
      let v = dr.intercept;
      const o = s * F;
      for (let f = 0; f < F; f++) {
        const g = genotypes[o + f];
        if (g !== 0) v += g * dr.ridge[f];
      }
      out[d * S + s] = gs * v;
    }
  }
  return { profiles: out, lineMean, nSamples: S, measuredSamples: measured };
}

/** Group means of every drug's panel profile: [D × G] (NaN for an empty group). */
export function groupProfileMeans(pp: PanelProfiles, masks: readonly Uint8Array[]): Float32Array {
  const D = pp.profiles.length / Math.max(1, pp.nSamples);
  const G = masks.length;
  const out = new Float32Array(D * G);
  masks.forEach((mask, g) => {
    let n = 0;
    for (let s = 0; s < pp.nSamples; s++) n += mask[s] ? 1 : 0;
    for (let d = 0; d < D; d++) {
      if (!n) {
        out[d * G + g] = NaN;
        continue;
      }
      let sum = 0;
      const o = d * pp.nSamples;
      for (let s = 0; s < pp.nSamples; s++) if (mask[s]) sum += pp.profiles[o + s];
      out[d * G + g] = sum / n;
    }
  });
  return out;
}

/** Similarities (Tanimoto) of a fingerprint to the model's training drugs: word-wise popcounts. */
export function similarities(model: TransferModel, fp: Uint8Array): Float64Array {
  const D = model.counts.length;
  const W = model.words.length / Math.max(1, D);
  if (fp.length !== W * 4) throw new ApiError('INVALID_INPUT', `fingerprint has ${fp.length * 8} bits, the transfer artifact has ${W * 32}`);
  const dv = new DataView(fp.buffer, fp.byteOffset, fp.byteLength);
  const q = new Uint32Array(W);
  let cq = 0;
  for (let w = 0; w < W; w++) {
    q[w] = dv.getUint32(w * 4, true);
    cq += popcount32(q[w]);
  }
  const out = new Float64Array(D);
  for (let d = 0; d < D; d++) {
    let both = 0;
    const o = d * W;
    for (let w = 0; w < W; w++) {
      const x = q[w] & model.words[o + w];
      if (x !== 0) both += popcount32(x);
    }
    const union = cq + model.counts[d] - both;
    out[d] = union ? both / union : 0;
  }
  return out;
}

/** A compound's weights under the shipped parameters. */
export function compoundTransfer(model: TransferModel, fp: Uint8Array, mech: Mechanism, sims?: ArrayLike<number>): TransferWeights {
  return transferWeights(model.params, model.drugs, sims ?? similarities(model, fp), mechanismKeys(mech));
}

/**
 * Applies a compound's transfer to its row of two-tower predictions over the panel (in place): the genotype
 * profile, and the potency shift ρ · (potency − the row's mean relative to the line means).
 */
export function applyTransferRow(row: Float32Array, offset: number, tw: TransferWeights, pp: PanelProfiles): void {
  const S = pp.nSamples;
  if (tw.potencyWeight !== 0 && S > 0) {
    let m = 0;
    for (let s = 0; s < S; s++) m += row[offset + s] - pp.lineMean[s];
    const shift = tw.potencyWeight * (tw.potency - m / S);
    for (let s = 0; s < S; s++) row[offset + s] += shift;
  }
  addTransfer(row, offset, S, tw, pp.profiles);
}

/** q · √(floor² + spread²) where a scaled calibration exists and the spread is known, else the constant. */
export function scaledHalfWidth(constant: number, scaled: ScaledHalfWidth | null | undefined, spread: number | undefined): number {
  return scaled && spread !== undefined && Number.isFinite(spread) ? scaled.q * Math.sqrt(scaled.floor * scaled.floor + spread * spread) : constant;
}

/** One prediction, a subgroup mean, a selectivity (subgroup − rest): half-widths of the calibrated interval. */
export interface TierHalfWidths {
  pair: number;
  aggregate: number;
  selectivity: number;
}

/**
 * A compound's interval half-widths: its tier's constants, or for a tier with an evidence-scaled calibration
 * ({@link TransferIntervals.scaled}) q · √(floor² + spread²) from the spread of the training drugs its transfer
 * chose. `spread` NaN (no chosen drugs) keeps the constants. Selectivity always keeps its tier's constant:
 * a contrast cancels the drug-level error the spread speaks to.
 */
export function halfWidthsFor(iv: TransferIntervals, tier: EvidenceTier, spread: number): TierHalfWidths {
  const scaled = (kind: 'pair' | 'aggregate'): number => scaledHalfWidth(iv[kind][tier], iv.scaled?.[kind]?.[tier], spread);
  return { pair: scaled('pair'), aggregate: scaled('aggregate'), selectivity: iv.selectivity[tier] };
}
