/**
 * How much a few measured lines help an unseen drug, and whether the intervals stay calibrated, on GDSC:
 * drug-grouped folds; the basis and hyperparameters come from the training drugs only (hyperparameters
 * on an inner split of them); each held-out drug gets K random lines "measured" and the others predicted.
 * Prior: the cell-line-mean baseline (line mean + mean drug offset), i.e. no model at all, so the figures
 * isolate what the measurements add. Usage: node --import tsx bench/measure-eval.ts [dataDir] [--selectivity-only]
 */
import { loadGdsc } from '../core/train/data.js';
import { evaluateMeasured, evaluateSelectivity } from '../core/measure/evaluate.js';

const selectivityOnly = process.argv.includes('--selectivity-only');
const dataDir = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : '../shared/data/gdsc_v17';
const t0 = performance.now();
const data = loadGdsc(dataDir);
for (const choose of selectivityOnly ? [] : (['random', 'suggest'] as const)) {
  const r = evaluateMeasured(data, { folds: 5, ks: [0, 1, 3, 5, 10, 20, 40, 50], seed: 1, choose });
  console.log(`\nlines chosen: ${choose}; GDSC ${data.drugs.length} drug groups × ${data.cellLines.cosmicIds.length} lines, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log('K\tdrugs\tRMSE\tPearson\tper-drug r\tNPDP\tcov90\tmean half-width');
  for (const row of r) console.log(`${row.k}\t${row.drugs}\t${row.rmse.toFixed(3)}\t${row.pearson.toFixed(3)}\t${row.perDrugPearson.toFixed(3)}\t${row.npdp.toFixed(3)}\t${(row.coverage * 100).toFixed(1)}%\t${row.halfWidth.toFixed(2)}`);
}

// What the suggestion optimises: a subgroup's selectivity (driver-mutation subgroups with enough lines).
const subgroups = ['BRAF_mut', 'KRAS_mut', 'TP53_mut'];
const sel = { random: evaluateSelectivity(data, { folds: 5, ks: [1, 3, 5, 10, 20], seed: 1, choose: 'random', subgroups }), suggest: evaluateSelectivity(data, { folds: 5, ks: [1, 3, 5, 10, 20], seed: 1, choose: 'suggest', subgroups }) };
console.log(`\nselectivity (subgroup mean − rest, ln): random vs suggested lines, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
console.log('subgroup\tK\tdrugs\tMAE random\tMAE suggested\tcov90 random\tcov90 suggested\tmedian half-width random\tmedian half-width suggested\tpredictive cov90 random\tpredictive cov90 suggested');
sel.random.forEach((a, i) => {
  const b = sel.suggest[i];
  console.log(`${a.subgroup}\t${a.k}\t${a.drugs}\t${a.mae.toFixed(3)}\t${b.mae.toFixed(3)}\t${(a.coverage * 100).toFixed(1)}%\t${(b.coverage * 100).toFixed(1)}%\t${a.medianHalfWidth.toFixed(2)}\t${b.medianHalfWidth.toFixed(2)}\t${(a.predictiveCoverage * 100).toFixed(1)}%\t${(b.predictiveCoverage * 100).toFixed(1)}%`);
});
