import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pResponse, reliability, residualCdf, residualDistribution, thresholdLn } from '../../core/predict/probability.js';
import { makeRng } from '../../core/train/twotower.js';

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

test('the residual CDF is monotone, bounded and matches the empirical distribution', () => {
  const r = makeRng(5);
  const res = Array.from({ length: 5000 }, () => 1.5 * gauss(r));
  const d = residualDistribution(res);
  let prev = 0;
  for (let x = -8; x <= 8; x += 0.05) {
    const c = residualCdf(d, x);
    assert.ok(c >= prev - 1e-12 && c > 0 && c < 1);
    prev = c;
  }
  for (const x of [-2, -0.5, 0, 1, 2.5]) {
    const emp = res.filter((v) => v <= x).length / res.length;
    assert.ok(Math.abs(residualCdf(d, x) - emp) < 0.015, `x=${x}: ${residualCdf(d, x)} vs ${emp}`);
  }
  assert.throws(() => residualDistribution([1, 2, 3]), /at least 20/);
  assert.equal(thresholdLn(1), 0);
  assert.throws(() => thresholdLn(0), /> 0/);
});

test('probabilities from held-out residuals are reliable on new pairs and beat the base rate', () => {
  // Truth y = signal + noise; the predictor sees the signal. Calibrate on one half, check on the other.
  const r = makeRng(9);
  const mk = (n: number) => Array.from({ length: n }, () => {
    const s = 2 * gauss(r);
    return { pred: s, y: s + gauss(r) };
  });
  const calib = mk(4000);
  const fresh = mk(4000);
  const d = residualDistribution(calib.map((c) => c.y - c.pred));
  const t = thresholdLn(1);
  const p = fresh.map((f) => pResponse(d, f.pred, t));
  const o = fresh.map((f) => (f.y < t ? 1 : 0));
  const rel = reliability(p, o);
  assert.equal(rel.n, 4000);
  for (const b of rel.bins) if (b.n >= 150) assert.ok(Math.abs(b.meanP - b.observed) < 0.08, `bin ${b.lo}: p ${b.meanP.toFixed(3)} vs observed ${b.observed.toFixed(3)} (n ${b.n})`);
  assert.ok(rel.brier < 0.7 * rel.brierBaseRate, `Brier ${rel.brier} vs base rate ${rel.brierBaseRate}`);
  // A miscalibrated distribution (residuals 3× too narrow) is caught by the same check.
  const narrow = residualDistribution(calib.map((c) => (c.y - c.pred) / 3));
  const relBad = reliability(fresh.map((f) => pResponse(narrow, f.pred, t)), o);
  assert.ok(relBad.bins.some((b) => b.n >= 150 && Math.abs(b.meanP - b.observed) > 0.08), 'overconfident probabilities show in the bins');
});

test('a ranked row\'s probability of response reads its calibrated interval as a normal distribution', async () => {
  const { pResponseOfInterval } = await import('../../core/predict/probability.js');
  const { zFor } = await import('../../core/util/normal.js');
  const z = zFor(0.9);
  // Mean at the threshold: one half. One σ more potent: Φ(1).
  assert.ok(Math.abs(pResponseOfInterval(0, -z, z)! - 0.5) < 1e-9);
  assert.ok(Math.abs(pResponseOfInterval(-1, -1 - z, -1 + z)! - 0.8413) < 1e-3);
  // Narrower interval, same mean below the threshold: more confident.
  assert.ok(pResponseOfInterval(-1, -1.5, -0.5)! > pResponseOfInterval(-1, -4, 2)!);
  assert.ok(pResponseOfInterval(2, 0, 4)! < 0.5);
  // A 10 µM threshold (ln 10) raises the probability of the same prediction.
  assert.ok(pResponseOfInterval(1, -2, 4, Math.log(10))! > pResponseOfInterval(1, -2, 4)!);
  assert.equal(pResponseOfInterval(1, 1, 1), null, 'no interval, no probability');
  assert.equal(pResponseOfInterval(NaN, 0, 1), null);
});
