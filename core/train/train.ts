/**
 * `train`: GDSC → featurise → (grouped unseen-drug cross-validation for the conformal interval) → final ensemble
 * on all pairs → models/<id>/{model.onnx, model.json, train_drugs.json, MODEL_CARD.md}.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MANIFEST_FORMAT, parseManifest, type ModelManifest } from '../predict/manifest.js';
import { sha256Bytes } from '../predict/registry.js';
import type { TrainDrugsFile } from '../predict/infer.js';
import { renderCard } from './card.js';
import { ensembleJobs, outOfFold, pairFolds, trainMembers, type Progress } from './cv.js';
import { loadGdsc, subsetGdsc } from './data.js';
import { canonicalSmiles, DESCRIPTOR_NAMES, FINGERPRINT_SPEC, loadRDKit, toHex } from './featurise.js';
import { conformalQuantile } from './metrics.js';
import { exportEnsembleOnnx, OUTPUT_NAMES } from './onnx-export.js';
import { prepareGdsc, type Prepared } from './prepare.js';
import { evalSubgroups, subgroupMeanResiduals } from './subgroups.js';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig, type TwoTower } from './twotower.js';

export const MODEL_FILE = 'model.onnx';
export const TRAIN_DRUGS_FILE = 'train_drugs.json';
export const CARD_FILE = 'MODEL_CARD.md';

/** The configuration the shipped model uses (chosen on unseen-drug cross-validation, see MODEL_CARD.md). */
export const SHIPPED_CONFIG: TrainConfig = { ...DEFAULT_TRAIN_CONFIG };
export const DEFAULT_ENSEMBLE_SIZE = 5;

export interface TrainOptions {
  /** Directory with responses.csv, drugs.csv, genomic_features.csv, cell_lines.csv. */
  dataDir: string;
  /** Models directory; the model is written to outDir/<id>/. */
  outDir: string;
  id: string;
  name?: string;
  version?: string;
  description?: string;
  seed?: number;
  ensembleSize?: number;
  config?: Partial<TrainConfig>;
  /** Unseen-drug folds used to calibrate the interval; 0 = no interval. Default 5. */
  calibrationFolds?: number;
  /** Members per fold during calibration (default: ensembleSize). */
  calibrationMembers?: number;
  /** Interval level (default 0.9). */
  intervalLevel?: number;
  /** Max-Tanimoto below which a compound is out of domain (default 0.3). */
  domainThreshold?: number;
  /** Train on the first `drugs` drug groups × first `cellLines` cell lines only (tiny models for tests). */
  subset?: { drugs: number; cellLines: number };
  /** Worker threads for training members (default: available cores; 1 = this thread). */
  threads?: number;
  signal?: AbortSignal;
}

export interface TrainResult {
  dir: string;
  manifest: ModelManifest;
  members: TwoTower[];
  prepared: Prepared;
  seconds: number;
  calibration: { folds: number; pairs: number; halfWidth: number; aggregateHalfWidth: number | null } | null;
}

export async function loadPrepared(dataDir: string, subset?: { drugs: number; cellLines: number }): Promise<Prepared> {
  if (!subset) return prepareGdsc(dataDir);
  const rdkit = await loadRDKit();
  const full = loadGdsc(dataDir, { canonicalSmiles: (s) => canonicalSmiles(rdkit, s) });
  const drugs = Array.from({ length: Math.min(subset.drugs, full.drugs.length) }, (_, i) => i);
  const cells = Array.from({ length: Math.min(subset.cellLines, full.cellLines.cosmicIds.length) }, (_, i) => i);
  return prepareGdsc(dataDir, subsetGdsc(full, drugs, cells));
}

function encodeResponses(prep: Prepared): string[] {
  const nC = prep.data.cellLines.cosmicIds.length;
  const bufs = prep.data.drugs.map(() => {
    const b = Buffer.alloc(nC * 2);
    for (let i = 0; i < nC; i++) b.writeInt16LE(-32768, i * 2);
    return b;
  });
  const { drug, cell, y } = prep.data.pairs;
  for (let p = 0; p < y.length; p++) bufs[drug[p]].writeInt16LE(Math.max(-32767, Math.min(32767, Math.round(y[p] * 1000))), cell[p] * 2);
  return bufs.map((b) => b.toString('base64'));
}

export function buildManifest(
  prep: Prepared,
  opts: { id: string; name: string; version: string; description: string; K: number; embedDim: number },
  modelSha: string,
  adSha: string,
  interval: ModelManifest['interval'],
  domainThreshold: number,
  training: Record<string, unknown>,
): ModelManifest {
  const Fc = prep.compoundDim;
  const Fg = prep.genotypeDim;
  const E = opts.embedDim + 2;
  const K = opts.K;
  const fpSpec = { type: 'morgan' as const, radius: FINGERPRINT_SPEC.radius, nBits: FINGERPRINT_SPEC.nBits, useChirality: FINGERPRINT_SPEC.useChirality, bitOrder: 'lsb-first bytes' as const };
  const m: ModelManifest = {
    format: MANIFEST_FORMAT,
    id: opts.id,
    name: opts.name,
    version: opts.version,
    description: opts.description,
    layout: 'matrix',
    inputs: {
      compound: { name: 'compound', dtype: 'float32', shape: ['N', Fc] },
      genotype: { name: 'genotype', dtype: 'float32', shape: ['M', Fg] },
    },
    outputs: {
      prediction: { name: OUTPUT_NAMES.mean, dtype: 'float32', shape: ['N', 'M'], units: 'ln IC50, µM' },
      members: { name: OUTPUT_NAMES.members, dtype: 'float32', shape: [K, 'N', 'M'] },
      compoundEmbedding: { name: OUTPUT_NAMES.compoundEmbedding, dtype: 'float32', shape: [K, 'N', E] },
      genotypeEmbedding: { name: OUTPUT_NAMES.genotypeEmbedding, dtype: 'float32', shape: [K, 'M', E] },
    },
    compoundFeatures: {
      structure: 'largest fragment (most heavy atoms) of the RDKit-canonical structure; the whole structure when no fragment has 2 heavy atoms',
      length: Fc,
      blocks: [
        { kind: 'fingerprint', ...fpSpec, encoding: '0/1' },
        { kind: 'descriptors', source: 'rdkit get_descriptors', names: [...DESCRIPTOR_NAMES], mean: prep.std.mean, std: prep.std.std, clip: prep.std.clip },
      ],
    },
    genotypeFeatures: {
      length: Fg,
      features: prep.data.genotype.features.map((f) =>
        f.column === 'TISSUE_FACTOR'
          ? { name: f.name, source: 'tissue' as const, value: f.equals! }
          : f.column === 'MSI_FACTOR'
            ? { name: f.name, source: 'msi' as const, value: 'MSI-H' }
            : { name: f.name, source: 'feature' as const },
      ),
    },
    ensemble: { size: K },
    interval,
    applicabilityDomain: { method: 'max-tanimoto', fingerprint: fpSpec, file: TRAIN_DRUGS_FILE, sha256: adSha, threshold: domainThreshold },
    model: { file: MODEL_FILE, sha256: modelSha },
    card: CARD_FILE,
    training,
  };
  return parseManifest(m, `Model ${opts.id} (being written)`);
}

export async function train(opts: TrainOptions, onProgress?: (p: Progress) => void): Promise<TrainResult> {
  const t0 = Date.now();
  const seed = opts.seed ?? 1;
  const K = opts.ensembleSize ?? DEFAULT_ENSEMBLE_SIZE;
  const cfg: TrainConfig = { ...SHIPPED_CONFIG, ...opts.config };
  const level = opts.intervalLevel ?? 0.9;
  const calFolds = opts.calibrationFolds ?? 5;
  onProgress?.({ stage: 'load', done: 0, total: null, message: `reading ${opts.dataDir}` });
  const prep = await loadPrepared(opts.dataDir, opts.subset);
  const nPairs = prep.data.pairs.y.length;
  onProgress?.({ stage: 'load', done: 1, total: 1, message: `${prep.data.drugs.length} drug groups, ${prep.data.cellLines.cosmicIds.length} cell lines, ${nPairs} pairs` });

  // Interval: split-conformal on unseen-drug out-of-fold residuals, the setting a screened compound is in.
  let interval: ModelManifest['interval'] = null;
  let calibration: TrainResult['calibration'] = null;
  if (calFolds > 1) {
    const folds = pairFolds(prep, 'unseen-drug', calFolds, seed);
    const oof = await outOfFold(prep, folds, calFolds, cfg, opts.calibrationMembers ?? K, seed, onProgress, 'calibration', { threads: opts.threads, signal: opts.signal });
    const abs = new Float64Array(nPairs);
    for (let p = 0; p < nPairs; p++) abs[p] = Math.abs(oof.pred[p] - prep.data.pairs.y[p]);
    const halfWidth = conformalQuantile(abs, level);
    const aggRes = subgroupMeanResiduals(prep.data, oof.pred, evalSubgroups(prep.data), () => true).map(Math.abs);
    const aggregateHalfWidth = aggRes.length >= 20 ? conformalQuantile(aggRes, level) : null;
    interval = {
      method: 'split-conformal, absolute residual',
      level,
      halfWidth,
      ...(aggregateHalfWidth !== null ? { aggregateHalfWidth } : {}),
      calibratedOn: `${calFolds}-fold unseen-drug cross-validation residuals (${nPairs} pairs; subgroup means over tissues and driver mutations)`,
    };
    calibration = { folds: calFolds, pairs: nPairs, halfWidth, aggregateHalfWidth };
  }

  const all = Int32Array.from({ length: nPairs }, (_, i) => i);
  const members = await trainMembers(prep, ensembleJobs(all, cfg, K, seed), {
    threads: opts.threads,
    signal: opts.signal,
    onDone: (d, t) => onProgress?.({ stage: 'train', done: d, total: t, message: `member ${d}/${t}` }),
  });

  onProgress?.({ stage: 'export', done: 0, total: 1 });
  const dir = resolve(opts.outDir, opts.id);
  mkdirSync(dir, { recursive: true });
  const onnxBytes = exportEnsembleOnnx(members, { docString: `Strata ${opts.id}: ln IC50 (µM) for compound × genotype; ${K}-member two-tower ensemble trained on GDSC v17.` });
  writeFileSync(join(dir, MODEL_FILE), onnxBytes);

  const side: TrainDrugsFile = {
    format: 'strata-train-drugs/1',
    fingerprint: { type: 'morgan', radius: FINGERPRINT_SPEC.radius, nBits: FINGERPRINT_SPEC.nBits, useChirality: FINGERPRINT_SPEC.useChirality, bitOrder: 'lsb-first bytes' },
    cellLines: Array.from(prep.data.cellLines.cosmicIds, String),
    drugs: prep.data.drugs.map((d, i) => ({ name: d.name, names: d.names, gdscIds: d.gdscIds, smiles: prep.raw[i].parentSmiles, fp: toHex(prep.raw[i].fingerprint), responses: undefined as string | undefined })),
  };
  const resp = encodeResponses(prep);
  side.drugs.forEach((d, i) => (d.responses = resp[i]));
  const sideBytes = Buffer.from(JSON.stringify(side));
  writeFileSync(join(dir, TRAIN_DRUGS_FILE), sideBytes);

  const seconds = (Date.now() - t0) / 1000;
  const training = {
    source: 'GDSC v17 (CancerRxGene/gdsctools redistribution; SMILES via GraphDRP/DeepCDR PubChem joins)',
    files: prep.data.files,
    drugGroups: prep.data.drugs.length,
    cellLines: prep.data.cellLines.cosmicIds.length,
    pairs: nPairs,
    responseRows: prep.data.responseRows,
    subset: opts.subset ?? null,
    config: cfg,
    seed,
    date: new Date().toISOString().slice(0, 10),
    seconds: Math.round(seconds),
  };
  const manifest = buildManifest(
    prep,
    {
      id: opts.id,
      name: opts.name ?? 'GDSC two-tower efficacy model',
      version: opts.version ?? '1.0.0',
      description:
        opts.description ??
        'Predicts ln IC50 (µM) of a compound in a cancer cell line from the compound structure (Morgan fingerprint + RDKit descriptors) and the cell line genotype (mutations, copy-number features, tissue, MSI). Trained on GDSC v17.',
      K,
      embedDim: cfg.embedDim,
    },
    sha256Bytes(onnxBytes),
    sha256Bytes(sideBytes),
    interval,
    opts.domainThreshold ?? 0.3,
    training,
  );
  writeFileSync(join(dir, 'model.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(
    join(dir, CARD_FILE),
    renderCard({
      manifest,
      drugs: prep.data.drugs.length,
      cellLines: prep.data.cellLines.cosmicIds.length,
      pairs: nPairs,
      responseRows: prep.data.responseRows,
      trainSeconds: seconds,
      config: { ...cfg, ensembleSize: K },
      calibration,
    }),
  );
  onProgress?.({ stage: 'export', done: 1, total: 1, message: dir });
  return { dir, manifest, members, prepared: prep, seconds, calibration };
}
