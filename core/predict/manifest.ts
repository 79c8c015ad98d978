/**
 * The model manifest (`models/<id>/model.json`): everything Strata needs to feed an ONNX model and read its
 * answer, checked with zod when a model is listed or loaded. models/README.md documents the format for labs that
 * bring their own model.
 *
 * Invariants checked beyond the schema (`manifestProblems`): the compound feature blocks add up to
 * compoundFeatures.length, which equals the compound input's feature dimension; the genotype feature list length
 * equals the genotype input's feature dimension; descriptor mean/std have one entry per name; the layout's
 * symbolic dimensions are used consistently; every fingerprint (compound features and applicability domain)
 * is the one projects store (PROJECT_FINGERPRINT), because screens feed the stored fingerprints and nothing
 * recomputes them for a model.
 */
import { z } from 'zod';
import { ApiError } from '../api/errors.js';
import { FP_BYTES } from '../chem/types.js';

/**
 * The fingerprint every project stores per compound (core/chem/engine.ts computes it at import): RDKit Morgan,
 * radius 2, FP_BYTES × 8 = 2048 bits, no chirality, bytes read least-significant bit first. A model must use
 * exactly this; one that wants another is refused when listed, not at its first screen.
 */
export const PROJECT_FINGERPRINT = { type: 'morgan', radius: 2, nBits: FP_BYTES * 8, useChirality: false, bitOrder: 'lsb-first bytes' } as const;

export const MANIFEST_FORMAT = 'strata-model/1';
export const PREDICTION_UNITS = 'ln IC50, µM';

/** A dimension: a fixed size, or a symbolic name for a dynamic one (N compounds, M samples, B pairs, K members). */
const dim = z.union([z.number().int().positive(), z.string().min(1)]);

const tensor = z.object({
  name: z.string().min(1),
  dtype: z.literal('float32'),
  shape: z.array(dim).min(1).max(4),
});

const fingerprintBlock = z.object({
  kind: z.literal('fingerprint'),
  type: z.literal('morgan'),
  radius: z.number().int().min(0).max(6),
  nBits: z.number().int().min(8).max(16384),
  useChirality: z.boolean(),
  /** How bits map to the RDKit byte array: bit i = byte[i >> 3] >> (i & 7) & 1. */
  bitOrder: z.literal('lsb-first bytes'),
  /** Each bit becomes one float: 0 or 1. */
  encoding: z.literal('0/1'),
});

const descriptorBlock = z.object({
  kind: z.literal('descriptors'),
  /** Keys of RDKit MinimalLib `get_descriptors()` (the native `rdMolDescriptors.Properties` names). */
  source: z.literal('rdkit get_descriptors'),
  names: z.array(z.string().min(1)).min(1),
  /** Standardisation z = (x − mean) / std, then clipped to ±clip (null: no clip). */
  mean: z.array(z.number()),
  std: z.array(z.number().positive()),
  clip: z.number().positive().nullable(),
});

export const compoundBlockSchema = z.discriminatedUnion('kind', [fingerprintBlock, descriptorBlock]);

const genotypeFeature = z.object({
  name: z.string().min(1),
  /**
   * `feature`: a 0/1 genotype column of the panel with this name (e.g. BRAF_mut); `tissue`: 1 when the sample's
   * tissue equals `value`; `msi`: 1 when the sample's MSI label equals `value` (e.g. MSI-H).
   */
  source: z.enum(['feature', 'tissue', 'msi']),
  value: z.string().optional(),
});

export const manifestSchema = z
  .object({
    format: z.literal(MANIFEST_FORMAT),
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" or "-", starting with a letter or digit'),
    name: z.string().min(1),
    version: z.string().min(1),
    description: z.string(),
    /**
     * `matrix`: inputs compound [N, Fc] and genotype [M, Fg], prediction [N, M] (every pair).
     * `pairwise`: inputs compound [B, Fc] and genotype [B, Fg] row-aligned, prediction [B] or [B, 1].
     */
    layout: z.enum(['matrix', 'pairwise']),
    inputs: z.object({ compound: tensor, genotype: tensor }),
    outputs: z.object({
      /** The point prediction (ensemble mean when there are members). */
      /** Strata ranks on ln IC50 in µM, so that is the only unit accepted: convert in the graph if needed. */
      prediction: tensor.extend({ units: z.literal(PREDICTION_UNITS, { error: `must be "${PREDICTION_UNITS}" (natural log of IC50 in µM); convert inside the ONNX graph if your model predicts another unit` }) }),
      /** Per-member predictions [K, N, M] (matrix layout only). */
      members: tensor.optional(),
      /** Embeddings with prediction_k = ⟨compound_embedding[k, n], genotype_embedding[k, m]⟩ (matrix layout only). */
      compoundEmbedding: tensor.optional(),
      genotypeEmbedding: tensor.optional(),
    }),
    compoundFeatures: z.object({
      /** Which structure the features are computed on, e.g. the largest-fragment parent. */
      structure: z.string().min(1),
      length: z.number().int().positive(),
      blocks: z.array(compoundBlockSchema).min(1),
    }),
    genotypeFeatures: z.object({
      length: z.number().int().positive(),
      features: z.array(genotypeFeature).min(1),
    }),
    ensemble: z.object({ size: z.number().int().positive() }),
    /**
     * Prediction interval: prediction ± halfWidth (ln units) for one compound × sample pair at `level`;
     * aggregateHalfWidth: for the mean over a subgroup's members. Null: the model gives no interval.
     */
    interval: z
      .object({
        method: z.string().min(1),
        level: z.number().gt(0).lt(1),
        halfWidth: z.number().nonnegative(),
        aggregateHalfWidth: z.number().nonnegative().optional(),
        calibratedOn: z.string().optional(),
      })
      .nullable(),
    /** Applicability domain: max Tanimoto to the training compounds listed in `file` (relative to the model dir). */
    applicabilityDomain: z
      .object({
        method: z.literal('max-tanimoto'),
        fingerprint: fingerprintBlock.omit({ kind: true, encoding: true }),
        file: z.string().min(1),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        /** Below this score a compound is flagged out of domain. */
        threshold: z.number().min(0).max(1),
      })
      .nullable(),
    model: z.object({
      file: z.string().min(1),
      sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits'),
    }),
    /**
     * Mechanism-aware genotype transfer (core/predict/transfer.ts): training drugs' profiles, mechanisms, tuned
     * parameters and per-evidence-tier intervals in `file` (relative to the model dir). Optional.
     */
    transfer: z
      .object({
        method: z.literal('mechanism-kernel-transfer'),
        file: z.string().min(1),
        sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits'),
      })
      .optional(),
    /**
     * Probability of response (core/predict/probability.ts): empirical residual distributions per evidence tier in
     * `file`, written by `evaluate --mechanism`. Optional: without it P(IC50 < threshold) reads the interval as a normal.
     */
    probability: z
      .object({
        method: z.enum(['empirical-residuals', 'stratified-residuals']),
        file: z.string().min(1),
        sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits'),
      })
      .optional(),
    card: z.string().min(1).nullable(),
    /** Free-form provenance (data source, file checksums, counts, date). */
    training: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type ModelManifest = z.infer<typeof manifestSchema>;
export type CompoundBlock = z.infer<typeof compoundBlockSchema>;
export type TensorSpec = z.infer<typeof tensor>;
export type GenotypeFeatureEntry = z.infer<typeof genotypeFeature>;

/** Problems the schema cannot express; each names the manifest field. Empty when consistent. */
export function manifestProblems(m: ModelManifest): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  let len = 0;
  const fpMismatch = (fp: { radius: number; nBits: number; useChirality: boolean }): string | null => {
    if (fp.radius === PROJECT_FINGERPRINT.radius && fp.nBits === PROJECT_FINGERPRINT.nBits && fp.useChirality === PROJECT_FINGERPRINT.useChirality) return null;
    return `is Morgan radius ${fp.radius}, ${fp.nBits} bits, chirality ${fp.useChirality ? 'on' : 'off'}, but projects store Morgan radius ${PROJECT_FINGERPRINT.radius}, ${PROJECT_FINGERPRINT.nBits} bits, chirality off, and Strata does not recompute fingerprints for a model: retrain or re-export the model on that fingerprint`;
  };
  m.compoundFeatures.blocks.forEach((b, i) => {
    if (b.kind === 'fingerprint') {
      len += b.nBits;
      const why = fpMismatch(b);
      if (why) out.push({ field: `compoundFeatures.blocks[${i}]`, message: why });
    } else {
      len += b.names.length;
      if (b.mean.length !== b.names.length) out.push({ field: `compoundFeatures.blocks[${i}].mean`, message: `has ${b.mean.length} values for ${b.names.length} descriptor names` });
      if (b.std.length !== b.names.length) out.push({ field: `compoundFeatures.blocks[${i}].std`, message: `has ${b.std.length} values for ${b.names.length} descriptor names` });
    }
  });
  if (m.applicabilityDomain) {
    const why = fpMismatch(m.applicabilityDomain.fingerprint);
    if (why) out.push({ field: 'applicabilityDomain.fingerprint', message: why });
  }
  if (len !== m.compoundFeatures.length) out.push({ field: 'compoundFeatures.length', message: `is ${m.compoundFeatures.length} but the blocks add up to ${len}` });
  if (m.genotypeFeatures.features.length !== m.genotypeFeatures.length) {
    out.push({ field: 'genotypeFeatures.length', message: `is ${m.genotypeFeatures.length} but ${m.genotypeFeatures.features.length} features are listed` });
  }
  m.genotypeFeatures.features.forEach((f, i) => {
    if (f.source !== 'feature' && !f.value) out.push({ field: `genotypeFeatures.features[${i}].value`, message: `is required for source "${f.source}"` });
  });
  const c = m.inputs.compound.shape;
  const g = m.inputs.genotype.shape;
  if (c.length !== 2) out.push({ field: 'inputs.compound.shape', message: `must have 2 dimensions, has ${c.length}` });
  else if (c[1] !== m.compoundFeatures.length) out.push({ field: 'inputs.compound.shape', message: `feature dimension ${String(c[1])} differs from compoundFeatures.length ${m.compoundFeatures.length}` });
  if (g.length !== 2) out.push({ field: 'inputs.genotype.shape', message: `must have 2 dimensions, has ${g.length}` });
  else if (g[1] !== m.genotypeFeatures.length) out.push({ field: 'inputs.genotype.shape', message: `feature dimension ${String(g[1])} differs from genotypeFeatures.length ${m.genotypeFeatures.length}` });
  const p = m.outputs.prediction.shape;
  if (m.layout === 'matrix') {
    if (typeof c[0] !== 'string' || typeof g[0] !== 'string' || c[0] === g[0]) {
      out.push({ field: 'inputs', message: 'matrix layout needs two different symbolic batch dimensions (e.g. N and M)' });
    } else if (p.length !== 2 || p[0] !== c[0] || p[1] !== g[0]) {
      out.push({ field: 'outputs.prediction.shape', message: `must be [${String(c[0])}, ${String(g[0])}] in matrix layout` });
    }
  } else {
    if (typeof c[0] !== 'string' || c[0] !== g[0]) out.push({ field: 'inputs', message: 'pairwise layout needs the same symbolic batch dimension on both inputs (e.g. B)' });
    else if (!(p.length === 1 && p[0] === c[0]) && !(p.length === 2 && p[0] === c[0] && p[1] === 1)) {
      out.push({ field: 'outputs.prediction.shape', message: `must be [${String(c[0])}] or [${String(c[0])}, 1] in pairwise layout` });
    }
    for (const k of ['members', 'compoundEmbedding', 'genotypeEmbedding'] as const) {
      if (m.outputs[k]) out.push({ field: `outputs.${k}`, message: 'is supported in matrix layout only' });
    }
  }
  if (!!m.outputs.compoundEmbedding !== !!m.outputs.genotypeEmbedding) {
    out.push({ field: 'outputs', message: 'compoundEmbedding and genotypeEmbedding come together' });
  }
  return out;
}

/** Parses and checks a manifest; throws an Error naming `where` and every failing field. */
export function parseManifest(json: unknown, where: string): ModelManifest {
  const r = manifestSchema.safeParse(json);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ManifestError(`${where}: invalid manifest: ${issues.join('; ')}`, where, issues.map((i) => i.split(':')[0]));
  }
  const probs = manifestProblems(r.data);
  if (probs.length) {
    throw new ManifestError(`${where}: invalid manifest: ${probs.map((p) => `${p.field} ${p.message}`).join('; ')}`, where, probs.map((p) => p.field));
  }
  return r.data;
}

/** A model refused because of its manifest or files; crosses the API as code BAD_MODEL with {where, fields}. */
export class ManifestError extends ApiError {
  override name = 'ManifestError';
  constructor(
    message: string,
    readonly where: string,
    readonly fields: string[],
  ) {
    super('BAD_MODEL', message, { where, fields });
  }
}
