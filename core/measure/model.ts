/**
 * The calibration basis of a model: its training drugs' measured responses (train_drugs.json) as
 * double-centred profiles over the reference cell lines, and hyperparameters fitted on a split of
 * those drugs (basis from four fifths, residuals of the other fifth against the cell-line-mean prior).
 * These hyperparameters describe the error of a prior that knows nothing about the compound; the
 * model's own predictions are closer, so intervals built on them err on the wide side until the
 * model ships hyperparameters fitted on its out-of-fold residuals. Cached per model.
 */
import { decodeResponses, trainDrugs } from '../predict/infer.js';
import type { LoadedModel } from '../predict/registry.js';
import { doubleCentre, fitHyper, profileBasis, type CalibrationHyper, type ProfileBasis } from './calibrate.js';

export interface MeasureModel {
  basis: ProfileBasis;
  hyper: CalibrationHyper;
  /** COSMIC ids of the basis rows. */
  lines: string[];
  row: Map<string, number>;
  /** Line means of the training drugs (the cell-line-mean baseline), per basis row. */
  lineMean: Float64Array;
}

const cache = new Map<string, MeasureModel>();

export function measureModel(model: LoadedModel): MeasureModel {
  const hit = cache.get(model.sha256);
  if (hit) return hit;
  const td = trainDrugs(model);
  const n = td.cellLines.length;
  const responses = td.drugs.filter((d) => d.responses).map((d) => decodeResponses(d.responses!));
  if (responses.length < 10) throw new Error(`model ${model.manifest.id}: train_drugs.json has measured responses for ${responses.length} drugs; calibration needs at least 10`);
  const all = doubleCentre(responses, n);
  const inner = responses.filter((_, i) => i % 5 !== 0);
  const held = responses.filter((_, i) => i % 5 === 0);
  const dcInner = doubleCentre(inner, n);
  const offset = dcInner.drugMean.reduce((s, v) => s + v, 0) / dcInner.drugMean.length;
  const rows = Int32Array.from({ length: n }, (_, i) => i);
  const residuals = held.map((r) => Float64Array.from(r, (v, l) => v - (dcInner.lineMean[l] + offset)));
  const hyper = fitHyper(profileBasis(dcInner.profiles, n), residuals, rows);
  const m: MeasureModel = { basis: profileBasis(all.profiles, n), hyper, lines: td.cellLines, row: new Map(td.cellLines.map((c, i) => [c, i])), lineMean: all.lineMean };
  cache.set(model.sha256, m);
  return m;
}
