import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseUnit, toLnIc50 } from '../../core/measure/units.js';
import { lineResolver } from '../../core/measure/lines.js';
import { parseMeasurements, readMeasurements } from '../../core/measure/read.js';
import { calibrate, contrastVariance, doubleCentre, profileBasis, suggestLines, type CalibrationHyper } from '../../core/measure/calibrate.js';
import { evaluateMeasured, evaluateSelectivity } from '../../core/measure/evaluate.js';
import { zFor } from '../../core/util/normal.js';
import { loadGdsc } from '../../core/train/data.js';

const GDSC = '../shared/data/gdsc_v17';

test('units convert exactly to ln IC50 (µM)', () => {
  assert.equal(parseUnit('IC50 (nM)'), 'ic50_nM');
  assert.equal(parseUnit('ic50_µM'), 'ic50_uM');
  assert.equal(parseUnit('pIC50'), 'pic50');
  assert.equal(parseUnit('ln_ic50'), 'ln_ic50_uM');
  assert.equal(parseUnit('ic50'), null, 'IC50 without a scale is ambiguous');
  assert.equal(parseUnit('GI50_uM'), null);
  assert.equal(toLnIc50(1, 'ic50_uM'), 0);
  assert.ok(Math.abs(toLnIc50(1000, 'ic50_nM')!) < 1e-12);
  // pIC50 6 = 1 µM; pIC50 9 = 1 nM = ln(0.001)
  assert.ok(Math.abs(toLnIc50(6, 'pic50')!) < 1e-12);
  assert.ok(Math.abs(toLnIc50(9, 'pic50')! - Math.log(0.001)) < 1e-12);
  assert.ok(Math.abs(toLnIc50(1e-6, 'ic50_M')!) < 1e-12);
  assert.ok(Math.abs(toLnIc50(2, 'log10_ic50_uM')! - Math.log(100)) < 1e-12);
  assert.equal(toLnIc50(0, 'ic50_nM'), null);
  assert.equal(toLnIc50(-3, 'ic50_uM'), null);
});

test('cell lines resolve by COSMIC id and by name, ignoring case and punctuation; unknown ones get suggestions', () => {
  const r = lineResolver();
  const i = r.resolve('HT-29');
  assert.notEqual(i, null);
  assert.equal(r.resolve('ht29'), i);
  assert.equal(r.resolve(' HT 29 '), i);
  assert.equal(r.resolve(r.panel.samples[i!]), i, 'the COSMIC id of the same line');
  assert.equal(r.resolve('NOT-A-LINE-XYZ'), null);
  assert.ok(r.suggest('HT-2').includes('HT-29') || r.suggest('HT-2').length > 0);
  assert.ok(r.suggest('A37').includes('A375'), `suggestions for A37: ${r.suggest('A37').join(', ')}`);
});

test('a measurements file keeps the good rows and names every bad one with its line and reason', () => {
  const text = [
    'compound_id,sample_id,value,unit',
    'C1,A375,50,ic50_nM',
    'C1,HT-29,5.1,pIC50',
    'C1,A37S,1,ic50_uM',
    'C2,A375,abc,ic50_uM',
    'C2,A375,0,ic50_uM',
    ',A375,1,ic50_uM',
    'C2,A375,1,GI50',
    'C2,COLO-205,-1.2,ln_ic50',
  ].join('\n');
  const f = parseMeasurements(text, 'lab.csv');
  assert.equal(f.rows, 8);
  assert.equal(f.measurements.length, 3);
  assert.deepEqual(f.measurements.map((m) => m.line), [2, 3, 9]);
  assert.ok(Math.abs(f.measurements[0].lnIc50 - Math.log(0.05)) < 1e-12);
  assert.deepEqual(f.issues.map((i) => i.line), [4, 5, 6, 7, 8]);
  assert.match(f.issues[0].reason, /A37S.*not in the reference panel.*did you mean.*A375/);
  assert.match(f.issues[1].reason, /not a number/);
  assert.match(f.issues[2].reason, /> 0/);
  assert.match(f.issues[3].reason, /no compound id/);
  assert.match(f.issues[4].reason, /GI50.*accepted/);
  // The unit as a column name; TSV.
  const g = parseMeasurements('compound\tcell_line\tic50_uM\nX\tA375\t2\n', 'lab.tsv');
  assert.equal(g.measurements.length, 1);
  assert.ok(Math.abs(g.measurements[0].lnIc50 - Math.log(2)) < 1e-12);
  assert.throws(() => parseMeasurements('compound_id,sample_id,value\nC,A375,1\n', 'nounit.csv'), /nounit\.csv.*no unit/);
  assert.throws(() => readMeasurements(join(tmpdir(), 'strata-no-such-measurements.csv')), /no such file/);
  const dir = mkdtempSync(join(tmpdir(), 'strata-measure-'));
  writeFileSync(join(dir, 'm.csv'), 'compound_id,sample_id,ln_ic50\nC,A375,1.5\n');
  assert.equal(readMeasurements(join(dir, 'm.csv')).measurements[0].lnIc50, 1.5);
});

/** A small synthetic world: drugs respond through 2 latent profiles plus noise. */
function synthetic(nDrugs: number, nLines: number, seed: number) {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const f1 = Array.from({ length: nLines }, gauss);
  const f2 = Array.from({ length: nLines }, gauss);
  const drug = () => {
    const a = 2 * gauss();
    const w1 = 1.5 * gauss();
    const w2 = 1.5 * gauss();
    return Float64Array.from({ length: nLines }, (_, l) => a + w1 * f1[l] + w2 * f2[l] + 0.5 * gauss());
  };
  return { drugs: Array.from({ length: nDrugs }, drug), drug };
}

test('measured lines move the unmeasured ones the way the training profiles co-vary, and narrow the interval', () => {
  const nL = 60;
  const w = synthetic(80, nL, 7);
  const dc = doubleCentre(w.drugs, nL);
  const basis = profileBasis(dc.profiles, nL);
  const h: CalibrationHyper = { tau2: 4, alpha: 1, beta: 0.25 };
  const rows = Int32Array.from({ length: nL }, (_, i) => i);
  const truth = w.drug();
  const prior = Float64Array.from(dc.lineMean);
  const c0 = calibrate(basis, h, prior, rows, [], (l) => prior[l]);
  assert.deepEqual([...c0.mean], [...prior], 'K = 0 returns the prior');
  const meas = [0, 5, 10, 15, 20, 25].map((l) => ({ line: l, value: truth[l] }));
  const c = calibrate(basis, h, prior, rows, meas, (l) => prior[l]);
  const err = (m: ArrayLike<number>) => Math.sqrt(rows.filter((l) => l % 5 !== 0 || l > 25).reduce((t, l) => t + (m[l] - truth[l]) ** 2, 0) / nL);
  assert.ok(err(c.mean) < 0.6 * err(prior), `error ${err(c.mean).toFixed(2)} vs prior ${err(prior).toFixed(2)}`);
  assert.ok(c.sd[1] < c0.sd[1], 'the interval narrows');
  assert.equal(c.mean[0], truth[0], 'a measured line reports its measurement');
  // Replicates are averaged, not double-counted.
  const twice = calibrate(basis, h, prior, rows, [...meas, ...meas], (l) => prior[l]);
  assert.ok(twice.sd[1] <= c.sd[1] + 1e-12 && Math.abs(twice.mean[0] - c.mean[0]) < 1e-12);
});

test('suggested lines reduce the contrast variance more than the same number of arbitrary lines', () => {
  const nL = 60;
  const w = synthetic(80, nL, 11);
  const dc = doubleCentre(w.drugs, nL);
  const basis = profileBasis(dc.profiles, nL);
  const h: CalibrationHyper = { tau2: 4, alpha: 1, beta: 0.25 };
  // Subgroup = first 10 lines vs the rest.
  const cvec = Float64Array.from({ length: nL }, (_, l) => (l < 10 ? 1 / 10 : -1 / (nL - 10)));
  const all = [...Array(nL).keys()];
  const s = suggestLines(basis, h, cvec, all, 4);
  assert.equal(s.lines.length, 4);
  assert.equal(new Set(s.lines).size, 4);
  for (let i = 1; i < s.sdAfter.length; i++) assert.ok(s.sdAfter[i] <= s.sdAfter[i - 1] + 1e-12, 'never worse after one more line');
  const vSug = contrastVariance(basis, h, cvec, s.lines);
  assert.ok(Math.abs(Math.sqrt(vSug) - s.sdAfter[3]) < 1e-9, 'reported width matches the variance');
  for (const other of [[30, 31, 32, 33], [0, 1, 2, 3], [50, 40, 20, 10]]) assert.ok(vSug <= contrastVariance(basis, h, cvec, other) + 1e-12, `suggested ${s.lines} beat ${other}`);
  // Already measured lines are not proposed again; unavailable ones never.
  const s2 = suggestLines(basis, h, cvec, all.filter((l) => l % 2 === 0), 3, [s.lines[0]]);
  assert.ok(s2.lines.every((l) => l % 2 === 0 && l !== s.lines[0]));
  const panel = suggestLines(basis, h, null, all, 3);
  assert.ok(panel.sdAfter[2] < panel.sdBefore);
});

test('on GDSC drugs held out of training, measured lines raise genotype skill and 90 % intervals stay calibrated at every K', { skip: !existsSync(GDSC) && `${GDSC} not present` }, () => {
  const data = loadGdsc(GDSC);
  const rows = evaluateMeasured(data, { folds: 3, ks: [0, 3, 10, 30], seed: 3 });
  const by = new Map(rows.map((r) => [r.k, r]));
  assert.equal(by.get(0)!.npdp, 0, 'the cell-line-mean prior has no genotype skill by definition');
  assert.ok(by.get(10)!.npdp > 0.2, `NPDP with 10 lines: ${by.get(10)!.npdp}`);
  assert.ok(by.get(30)!.npdp > by.get(10)!.npdp && by.get(10)!.npdp > by.get(3)!.npdp);
  assert.ok(by.get(30)!.rmse < by.get(0)!.rmse * 0.6);
  for (const r of rows) {
    assert.ok(r.coverage > 0.85 && r.coverage < 0.95, `K=${r.k}: coverage ${r.coverage}`);
  }
  assert.ok(by.get(30)!.halfWidth < by.get(3)!.halfWidth && by.get(3)!.halfWidth < by.get(0)!.halfWidth, 'intervals narrow as K grows');
  assert.ok(Math.abs(zFor(0.9) - 1.6449) < 1e-3);
});

test('on held-out GDSC drugs, lines suggested for a subgroup beat random ones on its selectivity error and interval width, and the interval stays calibrated', { skip: !existsSync(GDSC) && `${GDSC} not present` }, () => {
  const data = loadGdsc(GDSC);
  const opts = { folds: 3, ks: [10], seed: 3, subgroups: ['BRAF_mut'] };
  const [random] = evaluateSelectivity(data, { ...opts, choose: 'random' });
  const [suggested] = evaluateSelectivity(data, { ...opts, choose: 'suggest' });
  assert.ok(random.drugs > 150 && suggested.drugs === random.drugs, `${random.drugs} drugs`);
  assert.ok(suggested.mae < random.mae, `MAE suggested ${suggested.mae} vs random ${random.mae}`);
  assert.ok(suggested.medianHalfWidth < random.medianHalfWidth, `half-width suggested ${suggested.medianHalfWidth} vs random ${random.medianHalfWidth}`);
  for (const r of [random, suggested]) assert.ok(r.coverage > 0.8 && r.coverage < 0.97, `${r.subgroup} coverage ${r.coverage}`);
});
