/**
 * `evaluate --mechanism`: nested, drug-grouped evaluation of the two-tower model plus mechanism transfer, the
 * tier-wise interval calibration, and the shipped transfer artifact (`mechanism.json`).
 *
 * Splits: unseen drugs (drug groups) and Tanimoto ≥ 0.7 clusters. Modes: structure only (held-out drugs declare
 * nothing) and annotated (they declare their drugs.csv targets / pathway). Profile sources for the held-out drugs'
 * cell lines: measured training profiles (reference lines) and the genotype-space ridge form cross-fitted over
 * lines (what a lab's own panel gets).
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalisePathway, splitTargets } from '../mechanism/targets.js';
import { encodeFloat32, encodeInt16Profile, scaledHalfWidth, TIERS, type EvidenceTier, type ScaledHalfWidth, type ScaledTable, type TierTable, type TransferArtifactFile, type TransferIntervals, type TransferParams } from '../predict/transfer.js';
import { drugSplitFolds, nestedOutOfFold, type DrugSplit, type NestedOptions } from './oof-cache.js';
import {
  conformalQuantile,
  denseData,
  groupResiduals,
  MODES,
  neighbours,
  npdp,
  profileSet,
  ridgeProfiles,
  RIDGE_ALPHA,
  spearman,
  transferProfiles,
  tune,
  type DenseData,
  type MechanismMode,
  type ProfileSet,
  type TuneFold,
  type TuneResult,
} from './mechanism.js';
import { pearson, regressionMetrics, rmse } from './metrics.js';
import type { ProbabilityCalibrationFile } from '../predict/probability.js';
import { probabilityCheck, renderProbability, unitsOf, type ProbabilityReport } from './probability-eval.js';
import type { Prepared } from './prepare.js';
import { evalSubgroups, type EvalSubgroup } from './subgroups.js';
import type { TrainConfig } from './twotower.js';

export type ProfileSource = 'measured' | 'genotype';

export interface TierMetrics {
  drugs: number;
  pairs: number;
  npdp: number;
  twoTowerNpdp: number;
  perDrugPearson: number;
  rmse: number;
}

export interface ModeReport {
  mode: MechanismMode;
  source: ProfileSource;
  pearson: number;
  perDrugPearson: number;
  npdp: number;
  rmse: number;
  drugs: number;
  tiers: Record<EvidenceTier, TierMetrics>;
}

export interface CoverageRow {
  tier: EvidenceTier;
  units: number;
  coverage: number;
  meanHalfWidth: number;
  medianHalfWidth: number;
  /** Mean of the constant per-tier half-width on the same units (what the scaling is compared against). */
  constantMeanHalfWidth?: number;
}

export interface GenotypeCheckRow {
  drug: string;
  targets: string;
  feature: string;
  mutants: number;
  measured: number;
  twoTower: number;
  structure: number;
  annotated: number;
  tierAnnotated: EvidenceTier;
}

export interface SplitMechanismReport {
  split: DrugSplit;
  folds: number;
  drugs: number;
  baselines: { cellLineMean: { pearson: number; perDrugPearson: number; npdp: number; rmse: number }; twoTower: { pearson: number; perDrugPearson: number; npdp: number; rmse: number } };
  modes: ModeReport[];
  /** How the configuration was chosen, per outer fold (inner folds only). */
  chosen: { fold: number; testDrugs: number; params: TransferParams; innerNpdp: number; runnersUp: { point: unknown; score: number }[] }[];
  coverage: Record<MechanismMode, { pair: CoverageRow[]; aggregate: CoverageRow[]; selectivity: CoverageRow[] }>;
  /** Mean within-subgroup Spearman (across unseen drugs) of predicted selectivity vs measured contrast. */
  selectivityRanking: Record<MechanismMode | 'twoTower', { subgroups: number; meanSpearman: number; perSubgroup: { name: string; drugs: number; spearman: number }[] }>;
  genotypeChecks: GenotypeCheckRow[];
  /** Probability of response P(ln IC50 < ln threshold), checked nested (core/train/probability-eval.ts). */
  probability?: ProbabilityReport;
}

export interface MechanismReport {
  format: 'strata-mechanism-evaluation/1';
  date: string;
  seconds: number;
  level: number;
  ensembleSize: number;
  innerMembers: number;
  ridgeAlpha: number;
  splits: SplitMechanismReport[];
  shipped: { params: TransferParams; intervals: TransferIntervals; innerNpdp: number; runnersUp: { point: unknown; score: number }[] } | null;
}

/** Genotype markers by declared target: (feature pattern, expected sign of mutant − wild type). */
export const MARKER_RULES: { targets: string[]; feature: RegExp; label: string }[] = [
  { targets: ['BRAF'], feature: /^BRAF_mut$/, label: 'BRAF_mut' },
  { targets: ['MEK1', 'MEK2', 'MEK'], feature: /^BRAF_mut$/, label: 'BRAF_mut' },
  { targets: ['MEK1', 'MEK2', 'MEK'], feature: /^KRAS_mut$/, label: 'KRAS_mut' },
  { targets: ['EGFR'], feature: /^EGFR_mut$/, label: 'EGFR_mut' },
  { targets: ['ERBB2'], feature: /^gain_cnaPANCAN\d+.*\bERBB2\b/, label: 'ERBB2 gain' },
  { targets: ['MDM2'], feature: /^TP53_mut$/, label: 'TP53_mut' },
];

const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN);
const median = (a: number[]) => {
  if (!a.length) return NaN;
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface FoldState {
  fold: number;
  train: Uint8Array;
  test: number[];
  ps: ProfileSet;
  tuned: TuneResult;
}

/** Which tiers' residuals calibrate a tier: target / pathway from the annotated mode, the rest from both. */
function calibrationModes(tier: EvidenceTier): MechanismMode[] {
  return tier === 'target' || tier === 'pathway' ? ['annotated'] : MODES;
}

/** Absolute out-of-fold residuals of one held-out drug in one mode: per pair, per subgroup mean, per selectivity. */
export interface TierResiduals {
  fold: number;
  mode: MechanismMode;
  tier: EvidenceTier;
  pair: number[];
  agg: number[];
  sel: number[];
  /** Spread of the potencies of the training drugs its transfer chose (NaN when none): see `halfWidthsFor`. */
  spread?: number;
}

/**
 * The scaled form is kept only where it narrows the calibration residuals' mean half-width by at least 5 %: a
 * smaller gain is within what choosing the floor on the same residuals buys by chance, and is not worth a
 * per-compound width a reader has to understand.
 */
export const SCALE_MIN_GAIN = 0.95;

/** Floors tried for the evidence-scaled half-width q · √(floor² + spread²) (ln units). */
export const SCALE_FLOORS = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 4, 6];

/** A tier's constant conformal half-width `q`, and its evidence-scaled alternative where one is kept. */
export interface TierCalibration {
  q: number;
  scaled: ScaledHalfWidth | null;
}

/**
 * Interval calibration of a tier from the residuals of the drugs not in fold `exclude` (null: all): target and
 * pathway tiers from annotated drugs, neighbour and structure from both modes. A tier with fewer than 50
 * residuals borrows the structure tier's (the widest, least informed).
 *
 * `q` is the constant conformal half-width. For pairs and subgroup means of a tier whose drugs carry a spread,
 * `scaled` (target and pathway tiers only) is the normalised conformal alternative — q · √(floor² + spread²), the floor chosen on these same
 * calibration residuals to make the mean half-width smallest — kept only where that mean is below
 * {@link SCALE_MIN_GAIN} · `q`.
 */
export function tierCalibration(res: readonly TierResiduals[], tier: EvidenceTier, kind: 'pair' | 'agg' | 'sel', exclude: number | null, level: number): TierCalibration {
  const modesUsed = calibrationModes(tier);
  const rows = res.filter((r) => r.tier === tier && modesUsed.includes(r.mode) && r.fold !== exclude);
  const v: number[] = [];
  for (const r of rows) for (const x of r[kind]) v.push(x);
  if (v.length < 50 && tier !== 'structure') return tierCalibration(res, 'structure', kind, exclude, level);
  const q = conformalQuantile(v, level);
  // Only the mechanism tiers: the spread of drugs sharing a target or pathway is the evidence the scale stands for
  // (neighbour-tier drugs are chosen by structure, few, and scaling them cost coverage on the cluster split).
  if (kind === 'sel' || (tier !== 'target' && tier !== 'pathway')) return { q, scaled: null };
  const withSpread = rows.filter((r) => Number.isFinite(r.spread));
  const without = v.length - withSpread.reduce((a, r) => a + r[kind].length, 0);
  if (withSpread.length < 10) return { q, scaled: null };
  let best: (ScaledHalfWidth & { width: number }) | null = null;
  for (const floor of SCALE_FLOORS) {
    const z: number[] = [];
    let sumS = 0;
    for (const r of withSpread) {
      const s = Math.sqrt(floor * floor + r.spread! * r.spread!);
      for (const x of r[kind]) {
        z.push(x / s);
        sumS += s;
      }
    }
    const qs = conformalQuantile(z, level);
    const width = (qs * sumS + q * without) / v.length;
    if (!best || width < best.width) best = { q: qs, floor, width };
  }
  return { q, scaled: best && best.width < SCALE_MIN_GAIN * q ? { q: best.q, floor: best.floor } : null };
}


export interface MechanismEvalOptions extends NestedOptions {
  k?: number;
  seed?: number;
  splits?: DrugSplit[];
  level?: number;
  log?: (msg: string) => void;
}

export async function evaluateMechanism(prep: Prepared, cfg: TrainConfig, K: number, opts: MechanismEvalOptions): Promise<{ report: MechanismReport; artifact: TransferArtifactFile; probability: ProbabilityCalibrationFile | null }> {
  const t0 = Date.now();
  const k = opts.k ?? 5;
  const seed = opts.seed ?? 1;
  const level = opts.level ?? 0.9;
  const log = opts.log ?? (() => {});
  const dd = denseData(prep);
  const { D, C, Y } = dd;
  const n = prep.data.pairs.y.length;
  const pairIdx = new Int32Array(D * C).fill(-1);
  for (let p = 0; p < n; p++) pairIdx[prep.data.pairs.drug[p] * C + prep.data.pairs.cell[p]] = p;
  const sgs = evalSubgroups(prep.data);
  const hasPairs = new Uint8Array(D);
  for (let p = 0; p < n; p++) hasPairs[prep.data.pairs.drug[p]] = 1;

  const splits: SplitMechanismReport[] = [];
  let shipped: MechanismReport['shipped'] = null;
  let shippedIntervals: TransferIntervals | null = null;
  let shippedProbability: ProbabilityCalibrationFile | null = null;

  for (const split of opts.splits ?? (['unseen-drug', 'cluster'] as DrugSplit[])) {
    const drugFold = drugSplitFolds(prep, split, k, seed);
    log(`${split}: two-tower out-of-fold predictions (cache ${opts.cacheDir ?? 'off'})`);
    const nested = await nestedOutOfFold(prep, split, drugFold, k, cfg, K, seed, opts);
    const outer = nested.outer.pred;
    const states: FoldState[] = [];
    for (let f = 0; f < k; f++) {
      const train = Uint8Array.from(drugFold, (g, d) => (g !== f && hasPairs[d] ? 1 : 0));
      const test = Array.from({ length: D }, (_, d) => d).filter((d) => drugFold[d] === f && hasPairs[d]);
      const ps = profileSet(dd, train);
      const inner: TuneFold[] = [];
      for (let g = 0; g < k; g++) {
        if (g === f) continue;
        const tr = Uint8Array.from(drugFold, (h, d) => (h !== f && h !== g && hasPairs[d] ? 1 : 0));
        const te = Array.from({ length: D }, (_, d) => d).filter((d) => drugFold[d] === g && hasPairs[d]);
        const off = f * n;
        inner.push({ train: tr, test: te, ps, base: (d, c) => nested.inner[off + pairIdx[d * C + c]] });
      }
      const tuned = tune(dd, inner);
      log(`${split} fold ${f}: inner NPDP ${tuned.score.toFixed(3)} with ${JSON.stringify(tuned.params)}`);
      states.push({ fold: f, train, test, ps, tuned });
    }

    // Outer predictions per mode and profile source.
    const predOf = new Map<string, Float32Array>();
    const tierOf = new Map<MechanismMode, EvidenceTier[]>();
    // Spread of the chosen drugs' potencies (NaN where the fold's parameters use no drugs for the tier, as at run time).
    const spreadOf = new Map<MechanismMode, Float64Array>();
    const Lof: Float64Array[] = new Array(D);
    for (const st of states) for (const d of st.test) Lof[d] = st.ps.L;
    for (const mode of MODES) {
      const tiers: EvidenceTier[] = new Array(D).fill('structure');
      const spreads = new Float64Array(D).fill(NaN);
      for (const source of ['measured', 'genotype'] as ProfileSource[]) {
        const pred = Float32Array.from(outer);
        for (const st of states) {
          const nb = neighbours(dd, st.ps, st.tuned.params.strengthPower, st.train);
          const profiles = source === 'measured' ? st.ps.filled : st.ps.ridgeCv;
          const trs = transferProfiles(dd, profiles, nb, st.train, st.test, st.tuned.params, mode);
          for (const tr of trs) {
            tiers[tr.drug] = tr.tier;
            const P = st.tuned.params;
            if (source === 'measured') spreads[tr.drug] = P.gain[tr.tier] !== 0 || P.potency[tr.tier] !== 0 ? tr.spread : NaN;
            const gain = P.gain[tr.tier] * (source === 'genotype' ? P.genotypeScale : 1);
            const rho = Number.isFinite(tr.potency) ? P.potency[tr.tier] : 0;
            // The two-tower's own drug-level mean relative to the line means, over the drug's measured lines.
            let ma = 0;
            let nm = 0;
            for (let c = 0; c < C; c++) {
              const p = pairIdx[tr.drug * C + c];
              if (p < 0) continue;
              ma += outer[p] - st.ps.L[c];
              nm++;
            }
            const shift = rho && nm ? rho * (tr.potency - ma / nm) : 0;
            if (!gain && !shift) continue;
            for (let c = 0; c < C; c++) {
              const p = pairIdx[tr.drug * C + c];
              if (p >= 0) pred[p] += gain * tr.T[c] + shift;
            }
          }
        }
        predOf.set(`${mode}:${source}`, pred);
      }
      tierOf.set(mode, tiers);
      spreadOf.set(mode, spreads);
    }

    const allDrugs = Array.from({ length: D }, (_, d) => d).filter((d) => hasPairs[d]);
    const at = (arr: Float32Array | Float64Array) => (d: number, c: number) => arr[pairIdx[d * C + c]];
    const cellMeanPred = new Float32Array(n);
    for (let p = 0; p < n; p++) cellMeanPred[p] = Lof[prep.data.pairs.drug[p]][prep.data.pairs.cell[p]];
    const summary = (pred: Float32Array, drugs: number[]) => {
      const idx: number[] = [];
      const set = new Set(drugs);
      for (let p = 0; p < n; p++) if (set.has(prep.data.pairs.drug[p])) idx.push(p);
      const m = regressionMetrics(idx.map((p) => pred[p]), idx.map((p) => prep.data.pairs.y[p]), idx.map((p) => prep.data.pairs.drug[p]));
      return { pearson: m.pearson, perDrugPearson: m.perDrugPearson, npdp: npdp(dd, drugs, at(pred), (d) => Lof[d]).mean, rmse: m.rmse, pairs: idx.length };
    };
    const modes: ModeReport[] = [];
    for (const mode of MODES) {
      for (const source of ['measured', 'genotype'] as ProfileSource[]) {
        const pred = predOf.get(`${mode}:${source}`)!;
        const s = summary(pred, allDrugs);
        const tiers = {} as Record<EvidenceTier, TierMetrics>;
        for (const t of TIERS) {
          const ds = allDrugs.filter((d) => tierOf.get(mode)![d] === t);
          const m = summary(pred, ds);
          tiers[t] = { drugs: ds.length, pairs: m.pairs, npdp: m.npdp, twoTowerNpdp: npdp(dd, ds, at(outer), (d) => Lof[d]).mean, perDrugPearson: m.perDrugPearson, rmse: m.rmse };
        }
        modes.push({ mode, source, pearson: s.pearson, perDrugPearson: s.perDrugPearson, npdp: s.npdp, rmse: s.rmse, drugs: allDrugs.length, tiers });
      }
    }
    const cm = summary(cellMeanPred, allDrugs);
    const tt = summary(outer, allDrugs);

    // Interval calibration: residuals per tier (measured profiles), cross-conformal over the outer folds.
    const res: TierResiduals[] = [];
    const selRows = new Map<string, { sg: number; d: number; predicted: number; measured: number }[]>();
    for (const mode of MODES) {
      const pred = predOf.get(`${mode}:measured`)!;
      const rows: { sg: number; d: number; predicted: number; measured: number }[] = [];
      for (const d of allDrugs) {
        const pairR: number[] = [];
        for (let c = 0; c < C; c++) {
          const p = pairIdx[d * C + c];
          if (p >= 0) pairR.push(Math.abs(pred[p] - Y[d * C + c]));
        }
        const g = groupResiduals(dd, d, (c) => pred[pairIdx[d * C + c]], sgs);
        res.push({ fold: drugFold[d], mode, tier: tierOf.get(mode)![d], pair: pairR, agg: g.agg.map(Math.abs), sel: g.sel.map((s) => Math.abs(s.predicted - s.measured)), spread: spreadOf.get(mode)![d] });
        for (const s of g.sel) rows.push({ ...s, d });
      }
      selRows.set(mode, rows);
    }
    {
      const rows: { sg: number; d: number; predicted: number; measured: number }[] = [];
      for (const d of allDrugs) for (const s of groupResiduals(dd, d, (c) => outer[pairIdx[d * C + c]], sgs).sel) rows.push({ ...s, d });
      selRows.set('twoTower' as MechanismMode, rows);
    }
    const calibration = (tier: EvidenceTier, kind: 'pair' | 'agg' | 'sel', exclude: number | null) => tierCalibration(res, tier, kind, exclude, level);
    const coverage = {} as SplitMechanismReport['coverage'];
    for (const mode of MODES) {
      const rowsFor = (kind: 'pair' | 'agg' | 'sel'): CoverageRow[] =>
        TIERS.map((tier) => {
          let cov = 0;
          let units = 0;
          const hws: number[] = [];
          let constSum = 0;
          for (let f = 0; f < k; f++) {
            const cal = calibration(tier, kind, f);
            for (const r of res) {
              if (r.mode !== mode || r.tier !== tier || r.fold !== f) continue;
              const q = scaledHalfWidth(cal.q, cal.scaled, r.spread);
              for (const v of r[kind]) {
                units++;
                if (v <= q) cov++;
                hws.push(q);
                constSum += cal.q;
              }
            }
          }
          return { tier, units, coverage: units ? cov / units : NaN, meanHalfWidth: mean(hws), medianHalfWidth: median(hws), constantMeanHalfWidth: units ? constSum / units : NaN };
        });
      coverage[mode] = { pair: rowsFor('pair'), aggregate: rowsFor('agg'), selectivity: rowsFor('sel') };
    }
    // Probability of response, checked on the held-out pairs and subgroup means (core/train/probability-eval.ts).
    const probUnits = (pred: ArrayLike<number>, tier: (d: number) => EvidenceTier) =>
      unitsOf(allDrugs, C, { fold: (d) => drugFold[d], tier, pred: (d, c) => (pairIdx[d * C + c] >= 0 ? pred[pairIdx[d * C + c]] : NaN), y: (d, c) => Y[d * C + c] }, sgs);
    const { calibration: probabilityCalibration, ...probability } = probabilityCheck({
      annotated: probUnits(predOf.get('annotated:measured')!, (d) => tierOf.get('annotated')![d]),
      structure: probUnits(predOf.get('structure:measured')!, (d) => tierOf.get('structure')![d]),
      cellLineMean: probUnits(cellMeanPred, () => 'structure'),
    }, level);
    if (split === 'unseen-drug') shippedProbability = probabilityCalibration;

    if (split === 'unseen-drug') {
      // One calibration per tier and kind on all folds: its constant goes to the tier table, its scaled form (if kept) to `scaled`.
      const shipped = (kind: 'pair' | 'agg' | 'sel'): { table: TierTable; scaled: ScaledTable } => {
        const table = {} as TierTable;
        const scaled: ScaledTable = {};
        for (const tier of TIERS) {
          const cal = calibration(tier, kind, null);
          table[tier] = cal.q;
          if (cal.scaled) scaled[tier] = cal.scaled;
        }
        return { table, scaled };
      };
      const pair = shipped('pair');
      const agg = shipped('agg');
      shippedIntervals = {
        level,
        pair: pair.table,
        aggregate: agg.table,
        selectivity: shipped('sel').table,
        scaled: { pair: pair.scaled, aggregate: agg.scaled },
        calibratedOn: `nested ${k}-fold unseen-drug out-of-fold residuals per evidence tier (target/pathway: drugs declaring their drugs.csv mechanism; neighbour/structure: both modes); subgroup means and selectivities over tissues and driver mutations`,
      };
    }

    // Selectivity ranking per subgroup: Spearman across unseen drugs of predicted vs measured contrast.
    const selectivityRanking = {} as SplitMechanismReport['selectivityRanking'];
    for (const key of [...MODES, 'twoTower'] as const) {
      const rows = selRows.get(key as MechanismMode)!;
      const per = sgs.map((sg, gi) => {
        const r = rows.filter((x) => x.sg === gi);
        return { name: sg.name, drugs: r.length, spearman: r.length >= 10 ? spearman(r.map((x) => x.predicted), r.map((x) => x.measured)) : NaN };
      });
      const ok = per.filter((p) => Number.isFinite(p.spearman));
      selectivityRanking[key] = { subgroups: ok.length, meanSpearman: mean(ok.map((p) => p.spearman)), perSubgroup: per };
    }

    // Genotype checks: targeted drugs with a known marker, by their declared targets.
    const F = prep.data.genotype.features.length;
    const genotypeChecks: GenotypeCheckRow[] = [];
    for (const d of allDrugs) {
      const tk = dd.mechanisms[d].targets.map((t) => t.toUpperCase().replace(/[^A-Z0-9]/g, ''));
      for (const rule of MARKER_RULES) {
        if (!rule.targets.some((t) => tk.includes(t))) continue;
        const j = prep.data.genotype.features.findIndex((x) => rule.feature.test(x.name));
        if (j < 0) continue;
        const diff = (pred: ArrayLike<number> | null) => {
          const s = [0, 0];
          const cnt = [0, 0];
          for (let c = 0; c < C; c++) {
            const p = pairIdx[d * C + c];
            if (p < 0) continue;
            const mu = prep.data.genotype.matrix[c * F + j];
            s[mu] += pred ? pred[p] : Y[d * C + c];
            cnt[mu]++;
          }
          return { v: cnt[0] && cnt[1] ? s[1] / cnt[1] - s[0] / cnt[0] : NaN, mutants: cnt[1] };
        };
        const m = diff(null);
        if (m.mutants < 3) continue;
        genotypeChecks.push({
          drug: prep.data.drugs[d].name,
          targets: prep.data.drugs[d].targets,
          feature: rule.label,
          mutants: m.mutants,
          measured: m.v,
          twoTower: diff(outer).v,
          structure: diff(predOf.get('structure:measured')!).v,
          annotated: diff(predOf.get('annotated:measured')!).v,
          tierAnnotated: tierOf.get('annotated')![d],
        });
      }
    }

    splits.push({
      split,
      folds: k,
      drugs: allDrugs.length,
      baselines: { cellLineMean: { pearson: cm.pearson, perDrugPearson: cm.perDrugPearson, npdp: cm.npdp, rmse: cm.rmse }, twoTower: { pearson: tt.pearson, perDrugPearson: tt.perDrugPearson, npdp: tt.npdp, rmse: tt.rmse } },
      modes,
      chosen: states.map((s) => ({ fold: s.fold, testDrugs: s.test.length, params: s.tuned.params, innerNpdp: s.tuned.score, runnersUp: s.tuned.top })),
      coverage,
      selectivityRanking,
      genotypeChecks,
      probability,
    });

    if (split === 'unseen-drug') {
      // Shipped parameters: chosen on the outer folds (each predicted from the others), i.e. by plain CV on all data.
      const folds: TuneFold[] = states.map((s) => ({ train: s.train, test: s.test, ps: s.ps, base: (d, c) => outer[pairIdx[d * C + c]] }));
      const t = tune(dd, folds);
      shipped = { params: t.params, intervals: shippedIntervals!, innerNpdp: t.score, runnersUp: t.top };
      log(`shipped parameters: CV NPDP ${t.score.toFixed(3)} with ${JSON.stringify(t.params)}`);
    }
  }

  if (!shipped) throw new Error('evaluateMechanism: the unseen-drug split is needed for the shipped parameters');
  const artifact = buildArtifact(prep, dd, hasPairs, shipped.params, shipped.intervals, { innerNpdp: shipped.innerNpdp, runnersUp: shipped.runnersUp });
  const report: MechanismReport = { format: 'strata-mechanism-evaluation/1', date: new Date().toISOString().slice(0, 10), seconds: (Date.now() - t0) / 1000, level, ensembleSize: K, innerMembers: opts.innerMembers ?? 1, ridgeAlpha: RIDGE_ALPHA, splits, shipped };
  return { report, artifact, probability: shippedProbability };
}

/** The shipped artifact: every training drug's profile, ridge form, mechanism; the tuned parameters and intervals. */
export function buildArtifact(prep: Prepared, dd: DenseData, hasPairs: Uint8Array, params: TransferParams, intervals: TransferIntervals, provenance: unknown): TransferArtifactFile {
  const all = Uint8Array.from(hasPairs);
  const ps = profileSet(dd, all, 0);
  const drugs = Array.from({ length: dd.D }, (_, d) => d).filter((d) => all[d]);
  const lines = Array.from({ length: dd.C }, (_, c) => c);
  const fit = ridgeProfiles(dd, ps.P, drugs, lines, RIDGE_ALPHA);
  // The cell-line mean in ridge form too (a one-row "profile"), for samples that are not reference lines.
  const lm = new Float32Array(dd.D * dd.C);
  lm.set(Float32Array.from(ps.L), 0);
  const lmFit = ridgeProfiles(dd, lm, [0], lines, RIDGE_ALPHA);
  return {
    format: 'strata-transfer/1',
    features: prep.data.genotype.features.map((f) => f.name),
    cellLines: { cosmicIds: Array.from(prep.data.cellLines.cosmicIds, String), trainingMean: Array.from(ps.L, (v) => Math.round(v * 1e4) / 1e4) },
    lineMeanRidge: { coef: encodeFloat32(lmFit.coef.subarray(0, dd.F)), intercept: lmFit.intercept[0] },
    params,
    intervals,
    drugs: drugs.map((d) => {
      const g = prep.data.drugs[d];
      const pw = normalisePathway(g.pathway).pathway;
      return {
        name: g.name,
        targets: splitTargets(g.targets),
        pathway: pw,
        fp: Buffer.from(prep.raw[d].fingerprint).toString('hex'),
        mean: Math.round(ps.M[d] * 1e4) / 1e4,
        strength: Math.round(ps.strength[d] * 1e4) / 1e4,
        profile: encodeInt16Profile(ps.P.subarray(d * dd.C, (d + 1) * dd.C)),
        ridge: encodeFloat32(fit.coef.subarray(d * dd.F, (d + 1) * dd.F)),
        intercept: fit.intercept[d],
      };
    }),
    provenance,
  };
}

export const PROBABILITY_FILE = 'probability.json';

export function writeArtifact(dir: string, artifact: TransferArtifactFile | ProbabilityCalibrationFile, file = 'mechanism.json'): string {
  const text = `${JSON.stringify(artifact)}\n`;
  writeFileSync(join(dir, file), text);
  return createHash('sha256').update(text).digest('hex');
}

export { pearson, rmse };
export type { EvalSubgroup };

// ------------------------------------------------------------------------------------------------
// Card section and files
// ------------------------------------------------------------------------------------------------

export const MECHANISM_START = '<!-- evaluate-mechanism:start (generated by evaluate --mechanism; do not edit by hand) -->';
export const MECHANISM_END = '<!-- evaluate-mechanism:end -->';

const f3 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(3));
const f2 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(2));
const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)} %` : 'n/a');
const SPLIT_NAME: Record<DrugSplit, string> = { 'unseen-drug': 'unseen drugs (name + structure groups)', cluster: 'Tanimoto ≥ 0.7 clusters' };
const paramText = (p: TransferParams) =>
  `target Jaccard power ${p.targetJaccardPower}, λ ${p.lambda}, pathway weight ${p.pathwayWeight}, structure weight ${p.structureWeight}, top-k ${p.topK}, reliability power ${p.strengthPower}; gains target ${f2(p.gain.target)}, pathway ${f2(p.gain.pathway)}, neighbour ${f2(p.gain.neighbour)}; potency ρ ${f2(p.potency.target)} / ${f2(p.potency.pathway)} / ${f2(p.potency.neighbour)}; genotype-space scale ${f2(p.genotypeScale)}`;

/** The card's mechanism section, built from the report alone. */
export function renderMechanism(r: MechanismReport): string {
  const L: string[] = [];
  L.push('## Mechanism-aware transfer (evaluated nested, drugs held out)', '');
  L.push(
    `Generated by \`evaluate --mechanism\` on ${r.date} in ${r.seconds.toFixed(0)} s. Prediction = two-tower prediction + gain[tier] · Σ w·P / (λ + Σ w) over the training drugs' double-centred genotype profiles P (see \`core/predict/transfer.ts\`). Every figure below is out-of-fold on drugs held out of training; transfer parameters were chosen on inner folds of each outer training set only (${r.innerMembers}-member inner two-tower models; outer ensembles of ${r.ensembleSize}). **Structure only**: held-out drugs declare nothing. **Annotated**: they declare their drugs.csv targets and pathway. NPDP = normalised per-drug Pearson (each cell line's training mean subtracted from prediction and measurement; the cell-line-mean baseline scores 0). Results: \`mechanism-evaluation.json\`.`,
    '',
  );
  for (const s of r.splits) {
    L.push(`### ${SPLIT_NAME[s.split]}: ${s.drugs} drugs, ${s.folds} folds`, '');
    L.push('| predictor | profiles for the lines | Pearson | mean per-drug Pearson | **NPDP** | RMSE |', '|---|---|---|---|---|---|');
    L.push(`| cell-line mean | – | ${f3(s.baselines.cellLineMean.pearson)} | ${f3(s.baselines.cellLineMean.perDrugPearson)} | ${f3(s.baselines.cellLineMean.npdp)} | ${f3(s.baselines.cellLineMean.rmse)} |`);
    L.push(`| two-tower alone | – | ${f3(s.baselines.twoTower.pearson)} | ${f3(s.baselines.twoTower.perDrugPearson)} | ${f3(s.baselines.twoTower.npdp)} | ${f3(s.baselines.twoTower.rmse)} |`);
    for (const m of s.modes) {
      L.push(`| ${m.mode === 'annotated' ? '**annotated**' : 'structure only'} | ${m.source === 'measured' ? 'measured (reference lines)' : 'genotype-space ridge (new panel)'} | ${f3(m.pearson)} | ${f3(m.perDrugPearson)} | **${f3(m.npdp)}** | ${f3(m.rmse)} |`);
    }
    L.push('', 'Per evidence tier (measured profiles):', '');
    L.push('| mode | tier | drugs | NPDP | two-tower NPDP on the same drugs | per-drug Pearson | RMSE |', '|---|---|---|---|---|---|---|');
    for (const m of s.modes.filter((x) => x.source === 'measured')) {
      for (const t of TIERS) {
        const v = m.tiers[t];
        if (!v.drugs) continue;
        L.push(`| ${m.mode} | ${t} | ${v.drugs} | ${f3(v.npdp)} | ${f3(v.twoTowerNpdp)} | ${f3(v.perDrugPearson)} | ${f3(v.rmse)} |`);
      }
    }
    L.push('', `Intervals (nominal ${(r.level * 100).toFixed(0)} %, cross-conformal over the outer folds, per tier):`, '');
    L.push('Pair and subgroup-mean half-widths are scaled per compound by the spread of the chosen training drugs\' potencies in the mechanism tiers (target, pathway) where that narrowed them by at least 5 % on the calibration folds (see the shipped configuration); in brackets, the mean of the constant per-tier half-width on the same units.', '');
    L.push('| mode | tier | pairs: coverage | mean half-width | subgroup means: coverage | mean half-width | selectivity: coverage | median half-width |', '|---|---|---|---|---|---|---|---|');
    for (const mode of MODES) {
      const c = s.coverage[mode];
      TIERS.forEach((t, i) => {
        const p = c.pair[i];
        if (!p.units) return;
        const a = c.aggregate[i];
        const q = c.selectivity[i];
        const hw = (x: CoverageRow) => `${f2(x.meanHalfWidth)}${x.constantMeanHalfWidth !== undefined && Math.abs(x.constantMeanHalfWidth - x.meanHalfWidth) >= 0.005 ? ` (${f2(x.constantMeanHalfWidth)})` : ''}`;
        L.push(`| ${mode} | ${t} | ${pct(p.coverage)} | ${hw(p)} | ${pct(a.coverage)} | ${hw(a)} | ${pct(q.coverage)} | ${f2(q.medianHalfWidth)} |`);
      });
    }
    const sr = s.selectivityRanking;
    L.push('', `Selectivity ranking: mean within-subgroup Spearman, across unseen drugs, of predicted selectivity (rest − subgroup) vs the measured contrast — two-tower ${f3(sr.twoTower.meanSpearman)}, structure only ${f3(sr.structure.meanSpearman)}, annotated ${f3(sr.annotated.meanSpearman)} (${sr.annotated.subgroups} subgroups).`, '');
    if (s.probability && 'checks' in s.probability) L.push(renderProbability(s.probability, s.split === 'unseen-drug'));
    if (s.genotypeChecks.length) {
      L.push('Genotype checks (mean ln IC50 of marker-positive minus negative lines, drug held out):', '');
      L.push('| drug | targets | marker | positive lines | measured | two-tower | structure only | annotated | tier |', '|---|---|---|---|---|---|---|---|---|');
      for (const g of s.genotypeChecks) L.push(`| ${g.drug} | ${g.targets} | ${g.feature} | ${g.mutants} | ${f2(g.measured)} | ${f2(g.twoTower)} | ${f2(g.structure)} | ${f2(g.annotated)} | ${g.tierAnnotated} |`);
      L.push('');
    }
    L.push('How the configuration was chosen (inner folds of each outer training set; mean inner NPDP over both modes):', '');
    L.push('| outer fold | held-out drugs | chosen | inner NPDP | runner-up NPDP |', '|---|---|---|---|---|');
    for (const c of s.chosen) L.push(`| ${c.fold} | ${c.testDrugs} | ${paramText(c.params)} | ${f3(c.innerNpdp)} | ${f3(c.runnersUp[1]?.score)} |`);
    L.push('');
  }
  if (r.shipped) {
    const iv = r.shipped.intervals;
    L.push('### Shipped configuration (`mechanism.json`)', '');
    L.push(`Chosen by 5-fold drug-grouped CV on all training drugs (CV NPDP ${f3(r.shipped.innerNpdp)}): ${paramText(r.shipped.params)}; neighbour tier from max Tanimoto ≥ ${r.shipped.params.neighbourThreshold}. Ridge α ${r.ridgeAlpha} for the genotype-space profiles.`, '');
    L.push('| tier | pair half-width | subgroup-mean half-width | selectivity half-width |', '|---|---|---|---|');
    const sc = (c: ScaledHalfWidth | undefined, constant: number) => (c ? `${f2(c.q)} · √(${f2(c.floor)}² + spread²) (constant ${f2(constant)})` : f2(constant));
    for (const t of TIERS) L.push(`| ${t} | ${sc(iv.scaled?.pair[t], iv.pair[t])} | ${sc(iv.scaled?.aggregate[t], iv.aggregate[t])} | ${f2(iv.selectivity[t])} |`);
    L.push('', 'spread: the evidence-weighted standard deviation, in ln units, of the potencies (drug means relative to the line means) of the training drugs a compound\'s transfer chose; the constant applies where no drugs were chosen.');
    L.push('', iv.calibratedOn, '');
  }
  return L.join('\n');
}

export function replaceMechanismSection(card: string, section: string): string {
  const a = card.indexOf(MECHANISM_START);
  const b = card.indexOf(MECHANISM_END);
  if (a < 0 || b < a) return `${card.trimEnd()}\n\n${MECHANISM_START}\n${section}\n${MECHANISM_END}\n`;
  return `${card.slice(0, a)}${MECHANISM_START}\n${section}\n${card.slice(b)}`;
}

export interface MechanismCommandOptions {
  dataDir: string;
  modelDir: string;
  cacheDir: string | null;
  folds?: number;
  seed?: number;
  members?: number;
  innerMembers?: number;
  threads?: number;
  splits?: DrugSplit[];
  log?: (msg: string) => void;
}

/**
 * The whole command: nested evaluation, then `<modelDir>/mechanism.json` (+ its sha256 in model.json),
 * `<modelDir>/mechanism-evaluation.json` and the card's mechanism section.
 */
export async function runMechanismEvaluation(o: MechanismCommandOptions): Promise<MechanismReport> {
  const { readManifest } = await import('../predict/registry.js');
  const { loadPrepared, SHIPPED_CONFIG, CARD_FILE } = await import('./train.js');
  const { readFileSync, existsSync } = await import('node:fs');
  const manifest = readManifest(o.modelDir);
  const tc = (manifest.training as { config?: Partial<TrainConfig> } | undefined)?.config;
  if (!tc) throw new Error(`evaluate --mechanism: ${o.modelDir}/model.json has no training.config`);
  const cfg = { ...SHIPPED_CONFIG, ...tc };
  const prep = await loadPrepared(o.dataDir);
  const { report, artifact, probability } = await evaluateMechanism(prep, cfg, o.members ?? manifest.ensemble.size, {
    cacheDir: o.cacheDir,
    k: o.folds,
    seed: o.seed,
    innerMembers: o.innerMembers,
    threads: o.threads,
    splits: o.splits,
    log: o.log,
    progress: (p) => o.log?.(`${p.stage}: ${p.done}/${p.total ?? '?'}`),
  });
  const sha = writeArtifact(o.modelDir, artifact);
  // The probability calibration (null when the normal reading of the interval did best: ranked rows then use it).
  const probSha = probability ? writeArtifact(o.modelDir, probability, PROBABILITY_FILE) : null;
  const manifestPath = join(o.modelDir, 'model.json');
  const raw = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
  const ordered: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(raw)) {
    if (key === 'transfer' || key === 'probability') continue;
    ordered[key] = v;
    if (key === 'model') ordered.transfer = { method: 'mechanism-kernel-transfer', file: 'mechanism.json', sha256: sha };
    if (key === 'model' && probability && probSha) ordered.probability = { method: `${probability.method}-residuals`, file: PROBABILITY_FILE, sha256: probSha };
  }
  writeFileSync(manifestPath, `${JSON.stringify(ordered, null, 2)}\n`);
  writeFileSync(join(o.modelDir, 'mechanism-evaluation.json'), `${JSON.stringify(report, null, 2)}\n`);
  const cardPath = join(o.modelDir, CARD_FILE);
  const old = existsSync(cardPath) ? readFileSync(cardPath, 'utf8') : '# Model card\n';
  writeFileSync(cardPath, replaceMechanismSection(old, renderMechanism(report)));
  return report;
}
