/**
 * `strata predict --measured M.csv`: a compound's predictions calibrated by its measured cell lines.
 * The model's predictions (after the declared mechanism) are the prior; `calibrate` conditions them on
 * the measurements. The prior at a measured line that is not in the user's panel comes from a
 * prediction on the reference panel, so the measurements count wherever they were made.
 */
import { ApiError } from '../api/errors.js';
import { genotypeMatrix } from '../predict/infer.js';
import type { LoadedModel } from '../predict/registry.js';
import { loadReferencePanel } from '../subgroups/reference.js';
import { zFor } from '../util/normal.js';
import { calibrate, type MeasuredValue } from './calibrate.js';
import { measureModel, type MeasureModel } from './model.js';
import { readMeasurements, type MeasureFile } from './read.js';

export interface MeasuredSet {
  file: MeasureFile;
  mm: MeasureModel;
  /** Per compound id: measured basis rows and values. */
  byCompound: Map<string, MeasuredValue[]>;
  /** The reference panel's genotype input for the basis rows (row order = basis order). */
  referenceGenotypes: Float32Array;
  /** Measurements on lines the model was not trained on (not usable), counted. */
  notInBasis: number;
  z: number;
}

export function loadMeasuredSet(model: LoadedModel, file: string, level = 0.9): MeasuredSet {
  const mf = readMeasurements(file);
  return { file: mf, ...measuredSetOf(model, mf.measurements, level) };
}

/** A measured set without a file: the measurements come from the caller (a project's stored ones). */
export type MeasuredBasis = Omit<MeasuredSet, 'file'>;

/** The calibration basis of `model` with `measurements` grouped per compound id (what `loadMeasuredSet` builds from a file). */
export function measuredSetOf(model: LoadedModel, measurements: readonly { compoundId: string; sampleId: string; lnIc50: number }[], level = 0.9): MeasuredBasis {
  const mm = measureModel(model);
  const byCompound = new Map<string, MeasuredValue[]>();
  let notInBasis = 0;
  for (const m of measurements) {
    const row = mm.row.get(m.sampleId);
    if (row === undefined) {
      notInBasis++;
      continue;
    }
    const list = byCompound.get(m.compoundId) ?? [];
    list.push({ line: row, value: m.lnIc50 });
    byCompound.set(m.compoundId, list);
  }
  const ref = loadReferencePanel();
  const idx = new Map(ref.samples.map((s, i) => [s, i]));
  // A panel-like view of the reference lines in basis order.
  const order = mm.lines.map((c) => {
    const i = idx.get(c);
    if (i === undefined) throw new ApiError('BAD_MODEL', `model ${model.manifest.id}: training cell line ${c} is not in the reference panel`);
    return i;
  });
  const P = ref.features.length;
  const view = {
    samples: order.map((i) => ref.samples[i]),
    features: ref.features,
    tissue: order.map((i) => ref.tissue[i]),
    msi: order.map((i) => ref.msi[i]),
    matrix: (() => {
      const m = new Uint8Array(order.length * P);
      order.forEach((i, r) => m.set(ref.matrix.subarray(i * P, (i + 1) * P), r * P));
      return m;
    })(),
  };
  const referenceGenotypes = genotypeMatrix(model.manifest, view).matrix;
  return { mm, byCompound, referenceGenotypes, notInBasis, z: zFor(level) };
}

export interface CalibratedRow {
  mean: Float64Array;
  low: Float64Array;
  high: Float64Array;
  /** Per output sample: 1 when the sample is one of the compound's measured lines. */
  measured: Uint8Array;
}

/**
 * Calibrates one compound: `prior` over the user's panel samples, `priorReference` over the basis lines
 * (the model's prediction on the reference panel), `sampleIds` the panel's sample ids.
 */
export function calibrateCompound(set: Pick<MeasuredSet, 'mm' | 'z'>, measured: readonly MeasuredValue[], prior: ArrayLike<number>, priorReference: ArrayLike<number>, sampleIds: readonly string[]): CalibratedRow {
  const rows = Int32Array.from(sampleIds, (s) => set.mm.row.get(s) ?? -1);
  const c = calibrate(set.mm.basis, set.mm.hyper, prior, rows, measured, (line) => priorReference[line]);
  const mlines = new Set(measured.map((m) => m.line));
  const low = new Float64Array(prior.length);
  const high = new Float64Array(prior.length);
  const flag = new Uint8Array(prior.length);
  for (let o = 0; o < prior.length; o++) {
    low[o] = c.mean[o] - set.z * c.sd[o];
    high[o] = c.mean[o] + set.z * c.sd[o];
    flag[o] = rows[o] >= 0 && mlines.has(rows[o]) ? 1 : 0;
  }
  return { mean: c.mean, low, high, measured: flag };
}
