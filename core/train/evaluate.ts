/**
 * `evaluate`: cross-validated metrics of the model family on GDSC, written to JSON and to the model card.
 *
 * Three splits (5 folds each by default): random pairs, unseen drugs (drug groups held out) and unseen cell lines.
 * Every fold trains a full ensemble with the model's configuration and predicts the pairs it did not see. Reported:
 * Pearson, Spearman, RMSE (ln IC50) and the mean per-drug Pearson across cell lines; naive baselines computed on
 * the same training folds; metrics per tissue and per driver-mutation subgroup; genotype checks on held-out drugs
 * with known genotype dependence; coverage of the conformal interval on unseen drugs (cross-conformal: fold f is
 * scored with the quantile of the other folds' residuals, so no residual calibrates its own interval).
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { readManifest } from '../predict/registry.js';
import { tanimoto } from '../predict/infer.js';
import { replaceFigures, FIGURES_START } from './card.js';
import { outOfFold, pairFolds, type Progress, type SplitKind } from './cv.js';
import { normaliseDrugName } from './data.js';
import { densityScatterSvg, groupedBarSvg, histogram2d, type Histogram2d } from './figures.js';
import { conformalQuantile, pearson, regressionMetrics, type RegressionMetrics } from './metrics.js';
import type { Prepared } from './prepare.js';
import { evalSubgroups, subgroupMeanResiduals, type EvalSubgroup } from './subgroups.js';
import { CARD_FILE, DEFAULT_ENSEMBLE_SIZE, loadPrepared, SHIPPED_CONFIG } from './train.js';
import type { TrainConfig } from './twotower.js';

export const ALL_SPLITS: SplitKind[] = ['random', 'unseen-drug', 'unseen-cell-line'];

/** Published anchors (their own splits and GDSC versions, so only roughly comparable). */
export const PUBLISHED_ANCHORS = {
  'DeepCDR (Liu et al. 2020), blind drug, Pearson': 0.503,
  'DeepCDR (Liu et al. 2020), blind cell line, Pearson': 0.889,
  'GraphDRP (Nguyen et al. 2021), blind drug, Pearson': 0.32,
};

/** Drugs whose sensitivity is known to depend on a genotype feature (mutant lines more sensitive). */
export const GENOTYPE_CHECKS: { drug: string; feature: string }[] = [
  ...['Dabrafenib', 'PLX4720', 'SB590885', 'AZ628'].map((drug) => ({ drug, feature: 'BRAF_mut' })),
  ...['Selumetinib', 'Trametinib', 'Refametinib', 'PD0325901'].map((drug) => ({ drug, feature: 'BRAF_mut' })),
  ...['Selumetinib', 'Trametinib', 'Refametinib', 'PD0325901'].map((drug) => ({ drug, feature: 'KRAS_mut' })),
];

export interface EvaluateOptions {
  dataDir: string;
  /** A trained model dir: its manifest's training config and ensemble size are evaluated, and results land there. */
  modelDir?: string;
  /** Config to evaluate without a model dir (or overrides on top of the model's). */
  config?: Partial<TrainConfig>;
  ensembleSize?: number;
  folds?: number;
  seed?: number;
  splits?: SplitKind[];
  /** Where to write the JSON (default: <modelDir>/evaluation.json). */
  outFile?: string;
  /** Regenerate the evaluation section of <modelDir>/MODEL_CARD.md (default true with modelDir). */
  updateCard?: boolean;
  subset?: { drugs: number; cellLines: number };
  threads?: number;
  signal?: AbortSignal;
}

export interface SubgroupMetrics {
  name: string;
  kind: 'tissue' | 'mutation';
  cellLines: number;
  model: RegressionMetrics;
  /** The split's naive baseline on the same pairs: cell-line mean (random, unseen drugs) or drug mean (unseen cell lines). */
  baseline: RegressionMetrics;
  baselineName: string;
}

export interface SplitReport {
  split: SplitKind;
  folds: number;
  model: RegressionMetrics;
  baselines: Record<string, RegressionMetrics>;
  subgroups: SubgroupMetrics[];
}

export interface GenotypeCheck {
  drug: string;
  feature: string;
  status: 'evaluated' | 'not in data';
  /** GDSC drug group name actually matched. */
  matched?: string;
  mutants?: number;
  wildType?: number;
  /** Mean ln IC50 of mutant minus wild-type lines: measured, predicted while the drug was held out, and what the cell-line-mean baseline gives. */
  measured?: number;
  predicted?: number;
  cellLineMeanBaseline?: number;
  /** Pearson across cell lines of prediction vs measurement for this held-out drug. */
  pearson?: number;
  /** Other check drugs that were in the training folds when this drug was predicted. */
  otherCheckDrugsInTraining?: string[];
  /** Highest Tanimoto to a training drug of its fold. */
  maxSimilarityToTraining?: number;
}

export interface CoverageReport {
  level: number;
  /** Pairs (compound × cell line) of held-out drugs. */
  pairwise: { coverage: number; meanHalfWidth: number; perFold: number[] };
  /** Subgroup means (tissues, driver mutations) of held-out drugs. */
  aggregate: { coverage: number; meanHalfWidth: number; units: number };
  /** Coverage of pairs by the drug's max similarity to its training drugs. */
  byDomain: { bin: string; drugs: number; coverage: number; perDrugPearson: number; cellLineMeanPerDrugPearson: number }[];
}

export interface EvaluationReport {
  format: 'strata-evaluation/1';
  date: string;
  seconds: number;
  model: { id: string; sha256: string } | null;
  config: TrainConfig;
  ensembleSize: number;
  seed: number;
  data: { drugGroups: number; cellLines: number; pairs: number; files: { name: string; sha256: string }[] };
  splits: SplitReport[];
  genotypeChecks: GenotypeCheck[];
  coverage: CoverageReport | null;
  anchors: typeof PUBLISHED_ANCHORS;
  /** Predicted (y) vs measured (x) ln IC50 histograms of the held-out pairs, per split, for the figures. */
  scatter: ({ split: SplitKind } & Histogram2d)[];
  figures: string[];
}

/** Per-fold means from the training pairs only (global mean fallback). */
function foldMeans(prep: Prepared, folds: Int32Array, k: number, by: 'drug' | 'cell'): Float32Array {
  const { drug, cell, y } = prep.data.pairs;
  const key = by === 'drug' ? drug : cell;
  const nU = by === 'drug' ? prep.data.drugs.length : prep.data.cellLines.cosmicIds.length;
  const out = new Float32Array(y.length);
  for (let f = 0; f < k; f++) {
    const s = new Float64Array(nU);
    const n = new Float64Array(nU);
    let gs = 0;
    let gn = 0;
    for (let p = 0; p < y.length; p++) {
      if (folds[p] === f) continue;
      s[key[p]] += y[p];
      n[key[p]]++;
      gs += y[p];
      gn++;
    }
    const g = gn ? gs / gn : 0;
    for (let p = 0; p < y.length; p++) if (folds[p] === f) out[p] = n[key[p]] ? s[key[p]] / n[key[p]] : g;
  }
  return out;
}

function foldGlobalMean(prep: Prepared, folds: Int32Array, k: number): Float32Array {
  const { y } = prep.data.pairs;
  const out = new Float32Array(y.length);
  for (let f = 0; f < k; f++) {
    let s = 0;
    let n = 0;
    for (let p = 0; p < y.length; p++) if (folds[p] !== f) {
      s += y[p];
      n++;
    }
    for (let p = 0; p < y.length; p++) if (folds[p] === f) out[p] = n ? s / n : 0;
  }
  return out;
}

function metricsOn(pred: ArrayLike<number>, prep: Prepared, idx: number[]): RegressionMetrics {
  const { drug, y } = prep.data.pairs;
  return regressionMetrics(idx.map((i) => pred[i]), idx.map((i) => y[i]), idx.map((i) => drug[i]));
}

function subgroupMetrics(prep: Prepared, pred: ArrayLike<number>, base: ArrayLike<number>, baselineName: string, sgs: EvalSubgroup[]): SubgroupMetrics[] {
  const { cell, y } = prep.data.pairs;
  return sgs.map((sg) => {
    const idx: number[] = [];
    for (let p = 0; p < y.length; p++) if (sg.mask[cell[p]]) idx.push(p);
    return { name: sg.name, kind: sg.kind, cellLines: sg.members, model: metricsOn(pred, prep, idx), baseline: metricsOn(base, prep, idx), baselineName };
  });
}

/** Drug fold (−1 when the drug has no pairs) for a grouped split. */
function drugFolds(prep: Prepared, folds: Int32Array): Int32Array {
  const out = new Int32Array(prep.data.drugs.length).fill(-1);
  for (let p = 0; p < folds.length; p++) out[prep.data.pairs.drug[p]] = folds[p];
  return out;
}

function maxSimilarity(prep: Prepared, dFold: Int32Array): Float64Array {
  const nD = prep.data.drugs.length;
  const out = new Float64Array(nD);
  for (let d = 0; d < nD; d++) {
    for (let e = 0; e < nD; e++) {
      if (e === d || dFold[e] < 0 || dFold[e] === dFold[d]) continue;
      out[d] = Math.max(out[d], tanimoto(prep.raw[d].fingerprint, prep.raw[e].fingerprint));
    }
  }
  return out;
}

function genotypeChecks(prep: Prepared, pred: Float32Array, base: Float32Array, folds: Int32Array, maxSim: Float64Array): GenotypeCheck[] {
  const { drug, cell, y } = prep.data.pairs;
  const F = prep.data.genotype.features.length;
  const dFold = drugFolds(prep, folds);
  const groupOf = (name: string) => prep.data.drugs.findIndex((d) => d.names.some((n) => normaliseDrugName(n) === normaliseDrugName(name)));
  return GENOTYPE_CHECKS.map(({ drug: name, feature }) => {
    const g = groupOf(name);
    const j = prep.data.genotype.features.findIndex((f) => f.name === feature);
    if (g < 0 || j < 0 || dFold[g] < 0) return { drug: name, feature, status: 'not in data' as const };
    const sp = [0, 0];
    const sy = [0, 0];
    const sb = [0, 0];
    const n = [0, 0];
    const idx: number[] = [];
    for (let p = 0; p < y.length; p++) {
      if (drug[p] !== g) continue;
      idx.push(p);
      const mu = prep.data.genotype.matrix[cell[p] * F + j];
      sp[mu] += pred[p];
      sy[mu] += y[p];
      sb[mu] += base[p];
      n[mu]++;
    }
    const others = GENOTYPE_CHECKS.map((c) => c.drug)
      .filter((d, i, a) => a.indexOf(d) === i && d !== name)
      .filter((d) => {
        const o = groupOf(d);
        return o >= 0 && dFold[o] >= 0 && dFold[o] !== dFold[g];
      });
    const diff = (s: number[]) => (n[0] && n[1] ? s[1] / n[1] - s[0] / n[0] : NaN);
    return {
      drug: name,
      feature,
      status: 'evaluated' as const,
      matched: prep.data.drugs[g].name,
      mutants: n[1],
      wildType: n[0],
      measured: diff(sy),
      predicted: diff(sp),
      cellLineMeanBaseline: diff(sb),
      pearson: pearson(idx.map((p) => pred[p]), idx.map((p) => y[p])),
      otherCheckDrugsInTraining: others,
      maxSimilarityToTraining: maxSim[g],
    };
  });
}

function coverage(prep: Prepared, pred: Float32Array, base: Float32Array, folds: Int32Array, k: number, level: number, maxSim: Float64Array, sgs: EvalSubgroup[]): CoverageReport {
  const { drug, y } = prep.data.pairs;
  const abs = Float64Array.from(y, (v, p) => Math.abs(pred[p] - v));
  const perFold: number[] = [];
  const covered = new Uint8Array(y.length);
  let hwSum = 0;
  let aggCov = 0;
  let aggN = 0;
  let aggHw = 0;
  for (let f = 0; f < k; f++) {
    const calib: number[] = [];
    for (let p = 0; p < y.length; p++) if (folds[p] !== f) calib.push(abs[p]);
    const q = conformalQuantile(calib, level);
    let c = 0;
    let n = 0;
    for (let p = 0; p < y.length; p++) {
      if (folds[p] !== f) continue;
      n++;
      if (abs[p] <= q) {
        c++;
        covered[p] = 1;
      }
    }
    if (n) {
      perFold.push(c / n);
      hwSum += q * n;
    }
    const aggCal = subgroupMeanResiduals(prep.data, pred, sgs, (p) => folds[p] !== f).map(Math.abs);
    const aggTest = subgroupMeanResiduals(prep.data, pred, sgs, (p) => folds[p] === f).map(Math.abs);
    const qa = conformalQuantile(aggCal, level);
    for (const r of aggTest) if (r <= qa) aggCov++;
    aggN += aggTest.length;
    aggHw += qa * aggTest.length;
  }
  const bins: [number, number, string][] = [
    [0, 0.3, 'max Tanimoto < 0.3'],
    [0.3, 0.45, '0.3 – 0.45'],
    [0.45, 1.01, '≥ 0.45'],
  ];
  const byDomain = bins.map(([lo, hi, label]) => {
    let c = 0;
    let n = 0;
    const drugs = new Set<number>();
    const idx: number[] = [];
    for (let p = 0; p < y.length; p++) {
      const s = maxSim[drug[p]];
      if (s < lo || s >= hi) continue;
      drugs.add(drug[p]);
      idx.push(p);
      n++;
      c += covered[p];
    }
    return {
      bin: label,
      drugs: drugs.size,
      coverage: n ? c / n : NaN,
      perDrugPearson: metricsOn(pred, prep, idx).perDrugPearson,
      cellLineMeanPerDrugPearson: metricsOn(base, prep, idx).perDrugPearson,
    };
  });
  return {
    level,
    pairwise: { coverage: covered.reduce((a, b) => a + b, 0) / y.length, meanHalfWidth: hwSum / y.length, perFold },
    aggregate: { coverage: aggN ? aggCov / aggN : NaN, meanHalfWidth: aggN ? aggHw / aggN : NaN, units: aggN },
    byDomain,
  };
}

const f3 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(3));
const f2 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(2));

const SPLIT_LABEL: Record<SplitKind, string> = { random: 'random pairs', 'unseen-drug': 'unseen drugs', 'unseen-cell-line': 'unseen cell lines' };

/** The card's evaluation section (markdown), built only from the report. */
export function renderEvaluation(r: EvaluationReport): string {
  const L: string[] = [];
  L.push('## Evaluation', '');
  L.push(
    `Generated by \`evaluate\` on ${r.date} in ${r.seconds.toFixed(0)} s: ${r.splits[0]?.folds ?? 0}-fold cross-validation per split, a full ${r.ensembleSize}-member ensemble per fold, seed ${r.seed}, ${r.data.pairs} pairs (${r.data.drugGroups} drug groups × ${r.data.cellLines} cell lines). Results: \`evaluation.json\`.`,
    '',
  );
  L.push('### Metrics per split (ln IC50, held-out pairs)', '');
  L.push('| split | predictor | Pearson | Spearman | RMSE | mean per-drug Pearson |', '|---|---|---|---|---|---|');
  for (const s of r.splits) {
    L.push(`| ${SPLIT_LABEL[s.split]} | **model** | **${f3(s.model.pearson)}** | ${f3(s.model.spearman)} | ${f3(s.model.rmse)} | ${f3(s.model.perDrugPearson)} |`);
    for (const [name, m] of Object.entries(s.baselines)) {
      L.push(`| ${SPLIT_LABEL[s.split]} | ${name} | ${f3(m.pearson)} | ${f3(m.spearman)} | ${f3(m.rmse)} | ${f3(m.perDrugPearson)} |`);
    }
  }
  L.push('');
  L.push(
    `Published anchors (other splits, GDSC versions and features; only roughly comparable): ${Object.entries(r.anchors)
      .map(([k, v]) => `${k} ${v}`)
      .join('; ')}.`,
    '',
  );
  if (r.figures.includes('figures/splits.svg')) L.push('![Pearson per split](figures/splits.svg)', '');
  for (const s of r.splits) {
    const fig = `figures/${s.split}-scatter.svg`;
    if (r.figures.includes(fig)) L.push(`![${SPLIT_LABEL[s.split]}: predicted vs measured](${fig})`, '');
  }
  if (r.genotypeChecks.length) {
    L.push('### Genotype checks on held-out drugs', '');
    L.push(
      'Mean ln IC50 of mutant minus wild-type cell lines (negative = mutants more sensitive). "Predicted" comes from the unseen-drug split: the drug group was not in training.',
      '',
    );
    L.push('| drug | feature | mutant / wt lines | measured | predicted (drug unseen) | cell-line-mean baseline | Pearson across lines | max Tanimoto to training | other check drugs in training |', '|---|---|---|---|---|---|---|---|---|');
    for (const c of r.genotypeChecks) {
      if (c.status !== 'evaluated') {
        L.push(`| ${c.drug} | ${c.feature} | not in this data | | | | | | |`);
        continue;
      }
      L.push(
        `| ${c.matched} | ${c.feature} | ${c.mutants} / ${c.wildType} | ${f2(c.measured)} | ${f2(c.predicted)} | ${f2(c.cellLineMeanBaseline)} | ${f3(c.pearson)} | ${f2(c.maxSimilarityToTraining)} | ${c.otherCheckDrugsInTraining?.join(', ') || '–'} |`,
      );
    }
    L.push('');
    if (r.figures.includes('figures/genotype-checks.svg')) L.push('![Genotype checks](figures/genotype-checks.svg)', '');
  }
  if (r.coverage) {
    const c = r.coverage;
    L.push('### Interval coverage on unseen drugs', '');
    L.push(
      `Nominal ${(c.level * 100).toFixed(0)} %. Cross-conformal: each fold is scored with the quantile of the other folds' residuals.`,
      '',
      `- per pair: coverage **${(c.pairwise.coverage * 100).toFixed(1)} %** (per fold ${c.pairwise.perFold.map((v) => `${(v * 100).toFixed(1)} %`).join(', ')}), mean half-width ${f2(c.pairwise.meanHalfWidth)} ln units;`,
      `- per subgroup mean (${c.aggregate.units} drug × subgroup means): coverage **${(c.aggregate.coverage * 100).toFixed(1)} %**, mean half-width ${f2(c.aggregate.meanHalfWidth)}.`,
      '',
      '| held-out drug similarity to training | drugs | pair coverage | mean per-drug Pearson (model) | (cell-line mean) |',
      '|---|---|---|---|---|',
      ...c.byDomain.map((b) => `| ${b.bin} | ${b.drugs} | ${Number.isFinite(b.coverage) ? `${(b.coverage * 100).toFixed(1)} %` : 'n/a'} | ${f3(b.perDrugPearson)} | ${f3(b.cellLineMeanPerDrugPearson)} |`),
      '',
    );
  }
  for (const s of r.splits) {
    if (!s.subgroups.length) continue;
    L.push(`### Per subgroup, ${SPLIT_LABEL[s.split]}`, '');
    const bn = s.subgroups[0].baselineName;
    L.push(`| subgroup | cell lines | pairs | Pearson | RMSE | mean per-drug Pearson | ${bn}: Pearson | ${bn}: per-drug Pearson |`, '|---|---|---|---|---|---|---|---|');
    for (const g of s.subgroups) {
      L.push(`| ${g.name} | ${g.cellLines} | ${g.model.n} | ${f3(g.model.pearson)} | ${f3(g.model.rmse)} | ${f3(g.model.perDrugPearson)} | ${f3(g.baseline.pearson)} | ${f3(g.baseline.perDrugPearson)} |`);
    }
    L.push('');
  }
  return L.join('\n');
}

export async function evaluate(opts: EvaluateOptions, onProgress?: (p: Progress) => void): Promise<EvaluationReport> {
  const t0 = Date.now();
  let cfg: TrainConfig = { ...SHIPPED_CONFIG };
  let K = DEFAULT_ENSEMBLE_SIZE;
  let model: EvaluationReport['model'] = null;
  if (opts.modelDir) {
    const m = readManifest(opts.modelDir);
    const tc = (m.training as { config?: Partial<TrainConfig> } | undefined)?.config;
    if (!tc) throw new Error(`evaluate: ${opts.modelDir}/model.json has no training.config; pass config instead`);
    cfg = { ...cfg, ...tc };
    K = m.ensemble.size;
    model = { id: m.id, sha256: m.model.sha256 };
  }
  cfg = { ...cfg, ...opts.config };
  K = opts.ensembleSize ?? K;
  const k = opts.folds ?? 5;
  const seed = opts.seed ?? 1;
  const splits = opts.splits ?? ALL_SPLITS;
  const outFile = opts.outFile ?? (opts.modelDir ? join(opts.modelDir, 'evaluation.json') : null);
  if (!outFile) throw new Error('evaluate: give modelDir or outFile');

  onProgress?.({ stage: 'load', done: 0, total: null });
  const prep = await loadPrepared(opts.dataDir, opts.subset);
  const sgs = evalSubgroups(prep.data);
  const reports: SplitReport[] = [];
  let checks: GenotypeCheck[] = [];
  let cov: CoverageReport | null = null;
  const scatter: EvaluationReport['scatter'] = [];
  const level = 0.9;
  const { y } = prep.data.pairs;
  const allIdx = Array.from({ length: y.length }, (_, i) => i);

  for (const split of splits) {
    const folds = pairFolds(prep, split, k, seed);
    const oof = await outOfFold(prep, folds, k, cfg, K, seed, onProgress, `evaluate ${split}`, { threads: opts.threads, signal: opts.signal });
    const cellMean = foldMeans(prep, folds, k, 'cell');
    const drugMean = foldMeans(prep, folds, k, 'drug');
    const global = foldGlobalMean(prep, folds, k);
    const additive = cellMean.map((v, p) => v + drugMean[p] - global[p]);
    const baselines: Record<string, RegressionMetrics> = {};
    if (split !== 'unseen-cell-line') baselines['cell-line mean'] = metricsOn(cellMean, prep, allIdx);
    if (split !== 'unseen-drug') baselines['drug mean'] = metricsOn(drugMean, prep, allIdx);
    if (split === 'random') baselines['drug mean + cell-line mean'] = metricsOn(additive, prep, allIdx);
    reports.push({ split, folds: k, model: metricsOn(oof.pred, prep, allIdx), baselines, subgroups: subgroupMetrics(prep, oof.pred, split === 'unseen-cell-line' ? drugMean : cellMean, split === 'unseen-cell-line' ? 'drug mean' : 'cell-line mean', sgs) });
    scatter.push({ split, ...histogram2d(y, oof.pred) });
    if (split === 'unseen-drug') {
      const maxSim = maxSimilarity(prep, drugFolds(prep, folds));
      checks = genotypeChecks(prep, oof.pred, cellMean, folds, maxSim);
      cov = coverage(prep, oof.pred, cellMean, folds, k, level, maxSim, sgs);
    }
  }

  const report: EvaluationReport = {
    format: 'strata-evaluation/1',
    date: new Date().toISOString().slice(0, 10),
    seconds: (Date.now() - t0) / 1000,
    model,
    config: cfg,
    ensembleSize: K,
    seed,
    data: { drugGroups: prep.data.drugs.length, cellLines: prep.data.cellLines.cosmicIds.length, pairs: y.length, files: prep.data.files },
    splits: reports,
    genotypeChecks: checks,
    coverage: cov,
    anchors: PUBLISHED_ANCHORS,
    scatter,
    figures: [],
  };

  report.seconds = (Date.now() - t0) / 1000;
  writeEvaluation(report, outFile, opts.modelDir && (opts.updateCard ?? true) ? opts.modelDir : null);
  return report;
}

/**
 * Writes the report's figures (next to the JSON, in figures/), the JSON itself, and — with a model dir — the
 * evaluation section of its card. Everything is rendered from the report alone, so it can be redone from
 * evaluation.json without retraining (see rerenderEvaluation).
 */
export function writeEvaluation(report: EvaluationReport, outFile: string, cardDir: string | null): void {
  const figDir = join(dirname(outFile), 'figures');
  mkdirSync(figDir, { recursive: true });
  report.figures = [];
  const write = (name: string, svg: string) => {
    writeFileSync(join(figDir, name), svg);
    report.figures.push(`figures/${name}`);
  };
  const splits = report.splits;
  write(
    'splits.svg',
    groupedBarSvg({
      title: 'Pearson r on held-out pairs',
      yLabel: 'Pearson r (ln IC50)',
      groups: splits.map((s) => SPLIT_LABEL[s.split]),
      series: ['model', 'cell-line mean', 'drug mean', 'DeepCDR (published)'],
      values: splits.map((s) => [
        s.model.pearson,
        s.baselines['cell-line mean']?.pearson ?? NaN,
        s.baselines['drug mean']?.pearson ?? NaN,
        s.split === 'unseen-drug' ? PUBLISHED_ANCHORS['DeepCDR (Liu et al. 2020), blind drug, Pearson'] : s.split === 'unseen-cell-line' ? PUBLISHED_ANCHORS['DeepCDR (Liu et al. 2020), blind cell line, Pearson'] : NaN,
      ]),
      yMax: 1,
    }),
  );
  for (const h of report.scatter) {
    write(`${h.split}-scatter.svg`, densityScatterSvg({ hist: h, title: `${SPLIT_LABEL[h.split]}: predicted vs measured`, xLabel: 'measured ln IC50 (µM)', yLabel: 'predicted ln IC50 (µM)' }));
  }
  const evald = report.genotypeChecks.filter((c) => c.status === 'evaluated');
  if (evald.length) {
    write(
      'genotype-checks.svg',
      groupedBarSvg({
        title: 'Mutant minus wild-type mean ln IC50, drug held out',
        yLabel: 'Δ ln IC50 (mutant − wild type)',
        groups: evald.map((c) => `${c.matched}\n${c.feature}`),
        series: ['measured', 'predicted (drug unseen)', 'cell-line mean'],
        values: evald.map((c) => [c.measured ?? NaN, c.predicted ?? NaN, c.cellLineMeanBaseline ?? NaN]),
      }),
    );
  }
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
  if (cardDir) {
    const cardPath = join(cardDir, CARD_FILE);
    const old = existsSync(cardPath) ? readFileSync(cardPath, 'utf8') : `# Model card\n\n${FIGURES_START}\n`;
    writeFileSync(cardPath, replaceFigures(old, renderEvaluation(report)));
  }
}

/** Re-renders figures and the card's evaluation section from <modelDir>/evaluation.json (no training). */
export function rerenderEvaluation(modelDir: string): EvaluationReport {
  const file = join(modelDir, 'evaluation.json');
  const report = JSON.parse(readFileSync(file, 'utf8')) as EvaluationReport;
  if (report.format !== 'strata-evaluation/1' || !Array.isArray(report.scatter)) throw new Error(`${file}: not a strata-evaluation/1 report with histograms; run evaluate again`);
  writeEvaluation(report, file, modelDir);
  return report;
}
