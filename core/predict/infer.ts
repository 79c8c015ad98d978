/**
 * Running a registered model: build its input vectors in manifest order, run the ONNX session in batches, attach
 * intervals, aggregate over subgroups, and score the applicability domain.
 *
 * Two layouts (see manifest.ts): `matrix` models take N compounds and M samples and answer the N×M block in one
 * run; `pairwise` models take row-aligned pairs, so a block is expanded into N·M rows. The caller never sees the
 * difference.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ApiError } from '../api/errors.js';
import type { ModelManifest } from './manifest.js';
import type { LoadedModel } from './registry.js';

// ------------------------------------------------------------------------------------------------
// Feature vectors in manifest order
// ------------------------------------------------------------------------------------------------

/** What the import pipeline stores per compound: Morgan bytes and the `get_descriptors()` values. */
export interface CompoundRecord {
  /** RDKit Morgan fingerprint bytes (LSB first) with the manifest's radius/nBits/chirality. */
  fingerprint: Uint8Array;
  /** get_descriptors() keys → values (extra keys are ignored). */
  descriptors: Record<string, number | null | undefined>;
}

/**
 * Builds the compound input [n × compoundFeatures.length] exactly as the manifest declares: blocks in order,
 * fingerprint bits as 0/1, descriptors standardised and clipped. Throws naming the record and descriptor when a
 * value is missing, and when a fingerprint has the wrong length. `into`: a buffer to reuse (≥ n × features values).
 */
export function compoundMatrix(manifest: ModelManifest, records: readonly CompoundRecord[], label = (i: number) => `compound ${i}`, into?: Float32Array): Float32Array {
  const F = manifest.compoundFeatures.length;
  const size = records.length * F;
  if (into && into.length < size) throw new ApiError('INVALID_INPUT', `compoundMatrix: buffer holds ${into.length} values, needs ${size}`);
  // A reused buffer (`into`, e.g. one per screening chunk) is cleared: fresh large arrays cost page faults.
  const out = into ? into.subarray(0, size).fill(0) : new Float32Array(size);
  const blocks = manifest.compoundFeatures.blocks;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    let o = i * F;
    for (const b of blocks) {
      if (b.kind === 'fingerprint') {
        const fp = r.fingerprint;
        if (fp.length * 8 !== b.nBits) {
          throw new ApiError('INVALID_INPUT', `${label(i)}: fingerprint has ${fp.length * 8} bits, model ${manifest.id} needs ${b.nBits}`);
        }
        // The output starts at 0: write only the set bits (Morgan fingerprints are ~2 % set).
        for (let k = 0; k < fp.length; k++) {
          let v = fp[k];
          if (v === 0) continue;
          const base = o + (k << 3);
          while (v !== 0) {
            const low = v & -v;
            out[base + 31 - Math.clz32(low)] = 1;
            v ^= low;
          }
        }
        o += b.nBits;
      } else {
        const { names, mean, std, clip } = b;
        const d = r.descriptors;
        for (let j = 0; j < names.length; j++) {
          const v = d[names[j]];
          if (typeof v !== 'number' || !Number.isFinite(v)) {
            throw new ApiError('INVALID_INPUT', `${label(i)}: descriptor ${names[j]} is missing or not a number; model ${manifest.id} needs it`);
          }
          let z = (v - mean[j]) / std[j];
          if (clip !== null) z = Math.max(-clip, Math.min(clip, z));
          out[o + j] = z;
        }
        o += names.length;
      }
    }
  }
  return out;
}

/** A genotype panel (structurally compatible with core/subgroups' GenotypePanel). */
export interface PanelLike {
  samples: readonly string[];
  features: readonly string[];
  /** Row-major samples × features, 0/1. */
  matrix: Uint8Array;
  tissue: readonly string[];
  msi: readonly string[];
}

/**
 * The genotype input [samples × genotypeFeatures.length] in manifest order. A `feature` the panel lacks is 0 and
 * reported in `missing` (the caller decides whether to warn).
 */
export function genotypeMatrix(manifest: ModelManifest, panel: PanelLike): { matrix: Float32Array; missing: string[] } {
  const feats = manifest.genotypeFeatures.features;
  const F = feats.length;
  const n = panel.samples.length;
  const P = panel.features.length;
  const col = new Map(panel.features.map((f, j) => [f, j]));
  const out = new Float32Array(n * F);
  const missing: string[] = [];
  feats.forEach((f, j) => {
    if (f.source === 'feature') {
      const c = col.get(f.name);
      if (c === undefined) {
        missing.push(f.name);
        return;
      }
      for (let s = 0; s < n; s++) out[s * F + j] = panel.matrix[s * P + c];
    } else {
      const labels = f.source === 'tissue' ? panel.tissue : panel.msi;
      for (let s = 0; s < n; s++) out[s * F + j] = labels[s] === f.value ? 1 : 0;
    }
  });
  return { matrix: out, missing };
}

// ------------------------------------------------------------------------------------------------
// Prediction
// ------------------------------------------------------------------------------------------------

export interface MatrixPrediction {
  nCompounds: number;
  nSamples: number;
  /** ln IC50 (µM), row-major [compound × sample]. */
  mean: Float32Array;
  /** mean ∓ interval.halfWidth, or null when the model declares no interval. */
  low: Float32Array | null;
  high: Float32Array | null;
  /** Per-member predictions [K × nCompounds × nSamples] when requested and the model provides them. */
  members: Float32Array | null;
}

export interface PredictOptions {
  /** Compounds per session run (matrix layout) or pairs per run (pairwise). */
  batchSize?: number;
  includeMembers?: boolean;
  signal?: AbortSignal;
  /**
   * false: leave low/high null even when the model declares an interval (a caller that applies
   * interval.halfWidth itself, like aggregateManyFast's `halfWidth`, saves two arrays).
   */
  bounds?: boolean;
  /** Where to write the predictions (reused across calls to spare fresh allocations); needs ≥ nCompounds × nSamples values. */
  out?: Float32Array;
}

function checkSizes(model: LoadedModel, compounds: Float32Array, nCompounds: number, genotypes: Float32Array, nSamples: number): void {
  const m = model.manifest;
  if (compounds.length !== nCompounds * m.compoundFeatures.length) {
    throw new ApiError('INVALID_INPUT', `model ${m.id}: compound features have ${compounds.length} values, expected ${nCompounds} × ${m.compoundFeatures.length}`);
  }
  if (genotypes.length !== nSamples * m.genotypeFeatures.length) {
    throw new ApiError('INVALID_INPUT', `model ${m.id}: genotype features have ${genotypes.length} values, expected ${nSamples} × ${m.genotypeFeatures.length}`);
  }
}

function aborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
}

async function runMatrixBatch(model: LoadedModel, comp: Float32Array, n: number, geno: ort.Tensor, fetchMembers: boolean): Promise<{ mean: Float32Array; members: Float32Array | null }> {
  const m = model.manifest;
  const feeds = {
    [m.inputs.compound.name]: new ort.Tensor('float32', comp, [n, m.compoundFeatures.length]),
    [m.inputs.genotype.name]: geno,
  };
  const fetches = [m.outputs.prediction.name];
  if (fetchMembers && m.outputs.members) fetches.push(m.outputs.members.name);
  const res = await model.session.run(feeds, fetches);
  const mean = res[m.outputs.prediction.name].data as Float32Array;
  const members = fetchMembers && m.outputs.members ? (res[m.outputs.members.name].data as Float32Array) : null;
  return { mean, members };
}

/**
 * Predicts every compound × sample pair. `compounds` is [nCompounds × Fc] (see compoundMatrix), `genotypes`
 * [nSamples × Fg] (see genotypeMatrix). Batches over compounds so memory stays bounded by batch × samples.
 */
export async function predictMatrix(
  model: LoadedModel,
  compounds: Float32Array,
  nCompounds: number,
  genotypes: Float32Array,
  nSamples: number,
  opts: PredictOptions = {},
): Promise<MatrixPrediction> {
  checkSizes(model, compounds, nCompounds, genotypes, nSamples);
  const m = model.manifest;
  const Fc = m.compoundFeatures.length;
  const Fg = m.genotypeFeatures.length;
  const size = nCompounds * nSamples;
  if (opts.out && opts.out.length < size) throw new ApiError('INVALID_INPUT', `predictMatrix: output buffer holds ${opts.out.length} values, needs ${size}`);
  const mean = opts.out ? opts.out.subarray(0, size) : new Float32Array(size);
  // onnxruntime rejects zero-sized batches in some graphs; an empty request has an empty answer.
  if (nCompounds === 0 || nSamples === 0) {
    const empty = () => (m.interval && opts.bounds !== false ? new Float32Array(0) : null);
    return { nCompounds, nSamples, mean, low: empty(), high: empty(), members: null };
  }
  const K = m.ensemble.size;
  const wantMembers = !!opts.includeMembers && !!m.outputs.members;
  const members = wantMembers ? new Float32Array(K * nCompounds * nSamples) : null;
  if (m.layout === 'matrix') {
    const batch = Math.max(1, opts.batchSize ?? Math.max(1, Math.floor(2_000_000 / Math.max(1, nSamples * (wantMembers ? K + 1 : 1)))));
    const geno = new ort.Tensor('float32', genotypes, [nSamples, Fg]);
    for (let from = 0; from < nCompounds; from += batch) {
      aborted(opts.signal);
      const n = Math.min(batch, nCompounds - from);
      const r = await runMatrixBatch(model, compounds.subarray(from * Fc, (from + n) * Fc), n, geno, wantMembers);
      if (r.mean.length !== n * nSamples) throw new ApiError('BAD_MODEL', `model ${m.id}: output ${m.outputs.prediction.name} has ${r.mean.length} values, expected ${n} × ${nSamples}`);
      mean.set(r.mean, from * nSamples);
      if (members && r.members) {
        for (let k = 0; k < K; k++) members.set(r.members.subarray(k * n * nSamples, (k + 1) * n * nSamples), k * nCompounds * nSamples + from * nSamples);
      }
    }
  } else {
    // Pairwise: expand compound × sample into row-aligned pairs.
    const pairBatch = Math.max(1, opts.batchSize ?? 65536);
    const total = nCompounds * nSamples;
    for (let from = 0; from < total; from += pairBatch) {
      aborted(opts.signal);
      const B = Math.min(pairBatch, total - from);
      const c = new Float32Array(B * Fc);
      const g = new Float32Array(B * Fg);
      for (let b = 0; b < B; b++) {
        const p = from + b;
        const ci = Math.floor(p / nSamples);
        const si = p % nSamples;
        c.set(compounds.subarray(ci * Fc, (ci + 1) * Fc), b * Fc);
        g.set(genotypes.subarray(si * Fg, (si + 1) * Fg), b * Fg);
      }
      const res = await model.session.run(
        { [m.inputs.compound.name]: new ort.Tensor('float32', c, [B, Fc]), [m.inputs.genotype.name]: new ort.Tensor('float32', g, [B, Fg]) },
        [m.outputs.prediction.name],
      );
      const out = res[m.outputs.prediction.name].data as Float32Array;
      if (out.length !== B) throw new ApiError('BAD_MODEL', `model ${m.id}: output ${m.outputs.prediction.name} has ${out.length} values for ${B} pairs`);
      mean.set(out, from);
    }
  }
  const hw = opts.bounds === false ? undefined : m.interval?.halfWidth;
  let low: Float32Array | null = null;
  let high: Float32Array | null = null;
  if (hw !== undefined) {
    low = new Float32Array(mean.length);
    high = new Float32Array(mean.length);
    for (let i = 0; i < mean.length; i++) {
      low[i] = mean[i] - hw;
      high[i] = mean[i] + hw;
    }
  }
  return { nCompounds, nSamples, mean, low, high, members };
}

export interface GroupMeans {
  /** Members in the group. */
  n: number;
  /** Mean predicted ln IC50 over members, per compound (NaN when n = 0). */
  mean: Float64Array;
  /** mean ∓ interval.aggregateHalfWidth (or halfWidth), or null without an interval. */
  low: Float64Array | null;
  high: Float64Array | null;
}

/**
 * Mean prediction over each group of samples (0/1 masks over the samples), per compound.
 *
 * Fast path for models with embeddings: the prediction is bilinear, so the group mean of member k is
 * ⟨compound_embedding_k, mean over members of genotype_embedding_k⟩; the genotype side is computed once and the
 * compound side needs one session run per batch with a single dummy sample. Other models go through the full
 * matrix, batch by batch, without keeping it.
 */
export async function predictGroupMeans(
  model: LoadedModel,
  compounds: Float32Array,
  nCompounds: number,
  genotypes: Float32Array,
  nSamples: number,
  masks: readonly Uint8Array[],
  opts: PredictOptions = {},
): Promise<GroupMeans[]> {
  checkSizes(model, compounds, nCompounds, genotypes, nSamples);
  const m = model.manifest;
  for (const [gi, mask] of masks.entries()) {
    if (mask.length !== nSamples) throw new ApiError('INVALID_INPUT', `group ${gi}: mask has ${mask.length} entries for ${nSamples} samples`);
  }
  const G = masks.length;
  const counts = masks.map((mask) => mask.reduce((a, b) => a + (b ? 1 : 0), 0));
  const means = masks.map((_, g) => new Float64Array(nCompounds).fill(counts[g] ? 0 : NaN));
  if (nCompounds === 0 || nSamples === 0 || G === 0) return finishGroups(m, means, counts);
  const Fc = m.compoundFeatures.length;
  const Fg = m.genotypeFeatures.length;
  const ce = m.outputs.compoundEmbedding;
  const ge = m.outputs.genotypeEmbedding;
  if (m.layout === 'matrix' && ce && ge) {
    const K = m.ensemble.size;
    // Genotype embeddings of all samples [K, M, E], then the group mean per member [G, K, E].
    const gRes = await model.session.run(
      { [m.inputs.compound.name]: new ort.Tensor('float32', compounds.subarray(0, Fc), [1, Fc]), [m.inputs.genotype.name]: new ort.Tensor('float32', genotypes, [nSamples, Fg]) },
      [ge.name],
    );
    const gEmb = gRes[ge.name].data as Float32Array;
    const E = gEmb.length / (K * nSamples);
    const gMean = new Float64Array(G * K * E);
    masks.forEach((mask, g) => {
      if (!counts[g]) return;
      for (let k = 0; k < K; k++) {
        for (let s = 0; s < nSamples; s++) {
          if (!mask[s]) continue;
          const src = (k * nSamples + s) * E;
          const dst = (g * K + k) * E;
          for (let e = 0; e < E; e++) gMean[dst + e] += gEmb[src + e] / counts[g];
        }
      }
    });
    const batch = Math.max(1, opts.batchSize ?? 8192);
    const dummyGeno = new ort.Tensor('float32', genotypes.subarray(0, Fg), [1, Fg]);
    for (let from = 0; from < nCompounds; from += batch) {
      aborted(opts.signal);
      const n = Math.min(batch, nCompounds - from);
      const res = await model.session.run(
        { [m.inputs.compound.name]: new ort.Tensor('float32', compounds.subarray(from * Fc, (from + n) * Fc), [n, Fc]), [m.inputs.genotype.name]: dummyGeno },
        [ce.name],
      );
      const cEmb = res[ce.name].data as Float32Array;
      for (let g = 0; g < G; g++) {
        const out = means[g];
        if (!counts[g]) {
          for (let i = 0; i < n; i++) out[from + i] = NaN;
          continue;
        }
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let k = 0; k < K; k++) {
            const c0 = (k * n + i) * E;
            const g0 = (g * K + k) * E;
            for (let e = 0; e < E; e++) s += cEmb[c0 + e] * gMean[g0 + e];
          }
          out[from + i] = s / K;
        }
      }
    }
  } else {
    const batch = Math.max(1, Math.floor(1_000_000 / Math.max(1, nSamples)));
    for (let from = 0; from < nCompounds; from += batch) {
      const n = Math.min(batch, nCompounds - from);
      const p = await predictMatrix(model, compounds.subarray(from * Fc, (from + n) * Fc), n, genotypes, nSamples, { signal: opts.signal });
      masks.forEach((mask, g) => {
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let j = 0; j < nSamples; j++) if (mask[j]) s += p.mean[i * nSamples + j];
          means[g][from + i] = counts[g] ? s / counts[g] : NaN;
        }
      });
    }
  }
  return finishGroups(m, means, counts);
}

function finishGroups(m: ModelManifest, means: Float64Array[], counts: number[]): GroupMeans[] {
  const hw = m.interval ? (m.interval.aggregateHalfWidth ?? m.interval.halfWidth) : undefined;
  return means.map((mean, g) => ({
    n: counts[g],
    mean,
    low: hw === undefined ? null : mean.map((v) => v - hw),
    high: hw === undefined ? null : mean.map((v) => v + hw),
  }));
}

// ------------------------------------------------------------------------------------------------
// Applicability domain
// ------------------------------------------------------------------------------------------------

/** The side file the trainer writes (train_drugs.json). */
export interface TrainDrugsFile {
  format: 'strata-train-drugs/1';
  fingerprint: { type: 'morgan'; radius: number; nBits: number; useChirality: boolean; bitOrder: 'lsb-first bytes' };
  /** Reference cell lines (COSMIC ids) the `responses` arrays are aligned to. */
  cellLines: string[];
  drugs: {
    name: string;
    names: string[];
    gdscIds: number[];
    smiles: string;
    /** Fingerprint bytes as hex. */
    fp: string;
    /** Measured ln IC50 (µM) × 1000 as little-endian int16, base64, aligned to cellLines; -32768 = not measured. */
    responses?: string;
  }[];
}

interface DomainIndex {
  names: string[];
  /** All training fingerprints as 32-bit words, one after another (words per fingerprint = nBits / 32). */
  words: Uint32Array;
  counts: Int32Array;
  file: TrainDrugsFile;
}

// One implementation of fingerprint similarity for the whole engine (core/chem/similarity.ts).
import { popcount } from '../chem/similarity.js';

export { popcount, tanimoto } from '../chem/similarity.js';

function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** Fingerprint bytes as little-endian 32-bit words (bit order within the fingerprint does not matter here). */
function toWords(fp: Uint8Array): Uint32Array {
  const out = new Uint32Array(fp.length >> 2);
  for (let w = 0; w < out.length; w++) out[w] = (fp[4 * w] | (fp[4 * w + 1] << 8) | (fp[4 * w + 2] << 16) | (fp[4 * w + 3] << 24)) >>> 0;
  return out;
}

const domainCache = new Map<string, DomainIndex>();

function domainIndex(model: LoadedModel): DomainIndex {
  const ad = model.manifest.applicabilityDomain;
  if (!ad) throw new ApiError('BAD_MODEL', `model ${model.manifest.id} declares no applicability domain`);
  const key = `${model.dir}\n${ad.sha256}`;
  let idx = domainCache.get(key);
  if (!idx) {
    const file = JSON.parse(readFileSync(join(model.dir, ad.file), 'utf8')) as TrainDrugsFile;
    const bytes = ad.fingerprint.nBits / 8;
    const W = bytes / 4;
    const words = new Uint32Array(file.drugs.length * W);
    const counts = new Int32Array(file.drugs.length);
    file.drugs.forEach((d, i) => {
      const fp = new Uint8Array(Buffer.from(d.fp, 'hex'));
      if (fp.length !== bytes) throw new ApiError('BAD_MODEL', `model ${model.manifest.id}: ${ad.file}: drug ${d.name} has a ${fp.length * 8}-bit fingerprint, the manifest says ${ad.fingerprint.nBits}`);
      words.set(toWords(fp), i * W);
      counts[i] = popcount(fp);
    });
    idx = { names: file.drugs.map((d) => d.name), words, counts, file };
    domainCache.set(key, idx);
  }
  return idx;
}

/** The training-drug side file of a model (measured responses, fingerprints), for explanations. */
export function trainDrugs(model: LoadedModel): TrainDrugsFile {
  return domainIndex(model).file;
}

export interface DomainScore {
  /** Highest Tanimoto to a training drug, 0..1. */
  score: number;
  inDomain: boolean;
  /** The most similar training drugs, best first. */
  nearest: { drug: string; similarity: number }[];
}

/**
 * Max Tanimoto of a compound's fingerprint (manifest's spec) to the model's training drugs, with the `nearest`
 * most similar ones. Word-wise popcounts and a running top-n keep it cheap for library-scale screening.
 */
export function domainScore(model: LoadedModel, fp: Uint8Array, nearest = 3): DomainScore {
  const idx = domainIndex(model);
  const ad = model.manifest.applicabilityDomain!;
  if (fp.length * 8 !== ad.fingerprint.nBits) throw new ApiError('INVALID_INPUT', `fingerprint has ${fp.length * 8} bits, model ${model.manifest.id} needs ${ad.fingerprint.nBits}`);
  const q = toWords(fp);
  const W = q.length;
  let cq = 0;
  for (let w = 0; w < W; w++) cq += popcount32(q[w]);
  const topSim: number[] = [];
  const topIdx: number[] = [];
  let best = 0;
  const n = idx.counts.length;
  for (let i = 0; i < n; i++) {
    let both = 0;
    const o = i * W;
    for (let w = 0; w < W; w++) both += popcount32(q[w] & idx.words[o + w]);
    const union = cq + idx.counts[i] - both;
    const sim = union ? both / union : 0;
    if (sim > best) best = sim;
    // Insert into the running top-n (ties: earlier drug first, i.e. file order).
    if (nearest > 0 && (topSim.length < nearest || sim > topSim[topSim.length - 1])) {
      let at = topSim.length;
      while (at > 0 && topSim[at - 1] < sim) at--;
      topSim.splice(at, 0, sim);
      topIdx.splice(at, 0, i);
      if (topSim.length > nearest) {
        topSim.pop();
        topIdx.pop();
      }
    }
  }
  return { score: best, inDomain: best >= ad.threshold, nearest: topIdx.map((i, r) => ({ drug: idx.names[i], similarity: topSim[r] })) };
}

/** Decodes a drug's measured responses (see TrainDrugsFile); NaN where not measured. */
export function decodeResponses(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  const n = buf.length / 2;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = buf.readInt16LE(i * 2);
    out[i] = v === -32768 ? NaN : v / 1000;
  }
  return out;
}
