/**
 * A project's measurements meet its predictions: the screen, the compound page (`measure.compare`) and
 * `measure.suggest` calibrate a measured compound exactly as `strata predict --measured` does
 * (core/measure/apply.ts `calibrateCompound`): the model's prediction after the declared mechanism is
 * the prior, the stored measurements (replicates averaged in ln) condition it. At a measured line the
 * value is the measurement, never a prediction. A subgroup mean's and a selectivity's interval come from
 * the same model (posterior variance of the contrast over the basis lines given the measured lines).
 */
import type { TierHalfWidths } from '../predict/declared.js';
import type { LoadedModel } from '../predict/registry.js';
import type { SubgroupAggregate } from '../rank/aggregate.js';
import type { GenotypePanel } from '../subgroups/index.js';
import { calibrateCompound, measuredSetOf, type MeasuredBasis } from './apply.js';
import { contrastVariance, type MeasuredValue } from './calibrate.js';

export interface ProjectMeasured {
  basis: MeasuredBasis;
  /** Per structure id: its measured basis rows and values. */
  byStructure: Map<number, MeasuredValue[]>;
  /** Basis row of each panel sample (-1: not a training line). */
  rowOfSample: Int32Array;
  /** Panel sample of each basis row. */
  sampleOfRow: Int32Array;
  panel: GenotypePanel;
}

/** The calibration basis with a project's measurements (structure id → {sampleId, lnIc50}[]); null when there are none. */
export function projectMeasured(model: LoadedModel, panel: GenotypePanel, stored: Map<number, { sampleId: string; lnIc50: number }[]>): ProjectMeasured | null {
  if (stored.size === 0) return null;
  const flat = [...stored].flatMap(([id, list]) => list.map((m) => ({ compoundId: String(id), sampleId: m.sampleId, lnIc50: m.lnIc50 })));
  const basis = measuredSetOf(model, flat);
  const byStructure = new Map<number, MeasuredValue[]>();
  for (const [k, v] of basis.byCompound) byStructure.set(Number(k), v);
  const rowOfSample = Int32Array.from(panel.samples, (s) => basis.mm.row.get(s) ?? -1);
  const idx = new Map(panel.samples.map((s, i) => [s, i]));
  const sampleOfRow = Int32Array.from(basis.mm.lines, (c) => idx.get(c) ?? -1);
  return { basis, byStructure, rowOfSample, sampleOfRow, panel };
}

export interface CalibratedPrediction {
  mean: Float64Array;
  low: Float64Array;
  high: Float64Array;
  /** 1 at the panel samples that are measured (their value is the measurement). */
  measured: Uint8Array;
  /** The measured basis rows (distinct). */
  rows: number[];
}

/**
 * Calibrates one compound's predictions over the panel (`prior`, one value per panel sample, the
 * reference panel: the prior at every basis line is read from it). Null when the structure has no
 * measurement on a training line.
 */
export function calibratePanelRow(pm: ProjectMeasured, structureId: number, prior: ArrayLike<number>): CalibratedPrediction | null {
  const measured = pm.byStructure.get(structureId);
  if (!measured?.length) return null;
  const priorRef = Float64Array.from(pm.sampleOfRow, (s) => (s >= 0 ? prior[s] : NaN));
  const c = calibrateCompound(pm.basis, measured, prior, priorRef, pm.panel.samples);
  return { ...c, rows: [...new Set(measured.map((m) => m.line))] };
}

/** Half-widths of a calibrated compound's subgroup mean and selectivity (`membership` over panel samples). */
export function calibratedHalfWidths(pm: ProjectMeasured, membership: Uint8Array, rows: readonly number[]): TierHalfWidths {
  const n = pm.basis.mm.lines.length;
  let inS = 0;
  let inC = 0;
  for (let r = 0; r < n; r++) {
    const s = pm.sampleOfRow[r];
    if (s < 0) continue;
    if (membership[s]) inS++;
    else inC++;
  }
  const mean = new Float64Array(n);
  const sel = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const s = pm.sampleOfRow[r];
    if (s < 0) continue;
    if (membership[s]) {
      mean[r] = 1 / inS;
      sel[r] = -1 / inS;
    } else if (inC) sel[r] = 1 / inC;
  }
  const { mm, z } = pm.basis;
  return {
    pair: NaN,
    aggregate: inS ? z * Math.sqrt(contrastVariance(mm.basis, mm.hyper, mean, rows)) : NaN,
    selectivity: inS && inC ? z * Math.sqrt(contrastVariance(mm.basis, mm.hyper, sel, rows)) : NaN,
  };
}

/**
 * The screen's step: calibrates, in place, the predictions of a chunk's measured compounds
 * (`values`: n × panel samples, after the declared mechanism). Returns the calibrated rows by index in the chunk.
 */
export function calibrateChunk(pm: ProjectMeasured, ids: readonly number[], values: Float32Array, nSamples: number): Map<number, CalibratedPrediction> {
  const out = new Map<number, CalibratedPrediction>();
  for (let i = 0; i < ids.length; i++) {
    const row = values.subarray(i * nSamples, (i + 1) * nSamples);
    const c = calibratePanelRow(pm, ids[i], row);
    if (!c) continue;
    row.set(c.mean);
    out.set(i, c);
  }
  return out;
}

/** Replaces the bounds of a subgroup aggregate's calibrated compounds (in place) by their calibrated ones. */
export function applyCalibratedBounds(pm: ProjectMeasured, agg: SubgroupAggregate, membership: Uint8Array, calibrated: Map<number, CalibratedPrediction>): void {
  if (calibrated.size === 0) return;
  if (!agg.selectivityLow || !agg.selectivityHigh) {
    agg.selectivityLow = new Float64Array(agg.nCompounds).fill(NaN);
    agg.selectivityHigh = new Float64Array(agg.nCompounds).fill(NaN);
  }
  for (const [i, c] of calibrated) {
    const h = calibratedHalfWidths(pm, membership, c.rows);
    agg.low[i] = agg.mean[i] - h.aggregate;
    agg.high[i] = agg.mean[i] + h.aggregate;
    agg.selectivityLow[i] = agg.selectivity[i] - h.selectivity;
    agg.selectivityHigh[i] = agg.selectivity[i] + h.selectivity;
  }
}
