import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  denseToSparse,
  lossAndGradients,
  makeRng,
  predictPairs,
  trainTwoTower,
  DEFAULT_TRAIN_CONFIG,
  type TrainSet,
  type TwoTower,
} from '../../core/train/twotower.js';

/** A small random problem: 6 compounds × 9 genotypes, sparse binary inputs plus one dense value. */
function problem(seed: number): TrainSet {
  const rng = makeRng(seed);
  const nc = 6;
  const ng = 9;
  const fc = 12;
  const fg = 7;
  const xc = new Float32Array(nc * fc);
  const xg = new Float32Array(ng * fg);
  for (let i = 0; i < xc.length; i++) xc[i] = rng() < 0.35 ? 1 : 0;
  for (let i = 0; i < nc; i++) xc[i * fc + fc - 1] = rng() * 2 - 1; // a standardised descriptor
  for (let i = 0; i < xg.length; i++) xg[i] = rng() < 0.4 ? 1 : 0;
  const drug: number[] = [];
  const cell: number[] = [];
  const y: number[] = [];
  for (let d = 0; d < nc; d++) {
    for (let c = 0; c < ng; c++) {
      if (rng() < 0.2) continue; // missing pairs, as in GDSC
      drug.push(d);
      cell.push(c);
      // A genotype-dependent response: feature 0 of the genotype sensitises to compounds with bit 0.
      y.push(1 + xc[d * fc] * xg[c * fg] * -2 + (rng() - 0.5) * 0.1);
    }
  }
  return {
    compounds: denseToSparse(xc, nc, fc),
    genotypes: denseToSparse(xg, ng, fg),
    drug: Int32Array.from(drug),
    cell: Int32Array.from(cell),
    y: Float32Array.from(y),
  };
}

function smallConfig(seed: number) {
  return { ...DEFAULT_TRAIN_CONFIG, embedDim: 3, hiddenCompound: 5, hiddenGenotype: 4, epochs: 3, batchSize: 16, inputDropoutCompound: 0, hiddenDropoutCompound: 0, seed };
}

for (const compoundSkip of [false, true]) test(`hand-written gradients match finite differences${compoundSkip ? ' (with the linear skip path)' : ''}`, () => {
  const data = problem(3);
  // A few epochs first so that ReLUs are in a generic state (not all at their initial values).
  const model = trainTwoTower(data, { ...smallConfig(5), compoundSkip });
  const g = lossAndGradients(model, data);
  const eps = 1e-2;
  let checked = 0;
  const params: [string, Float32Array, Float32Array][] = [
    ['compound.W1', model.compound.W1, g.compound.W1],
    ['compound.b1', model.compound.b1, g.compound.b1],
    ['compound.W2', model.compound.W2, g.compound.W2],
    ['compound.b2', model.compound.b2, g.compound.b2],
    ['genotype.W1', model.genotype.W1, g.genotype.W1],
    ['genotype.W2', model.genotype.W2, g.genotype.W2],
    ['genotype.b2', model.genotype.b2, g.genotype.b2],
  ];
  if (compoundSkip) {
    assert.ok(model.compound.W0 && g.compound.W0, 'skip weights and their gradient exist');
    assert.ok(model.compound.W0.some((v) => v !== 0), 'skip weights were trained');
    params.push(['compound.W0', model.compound.W0, g.compound.W0]);
  } else assert.equal(model.compound.W0, undefined);
  for (const [name, p, grad] of params) {
    for (let i = 0; i < p.length; i += Math.max(1, Math.floor(p.length / 7))) {
      const orig = p[i];
      p[i] = orig + eps;
      const up = lossAndGradients(model, data).loss;
      p[i] = orig - eps;
      const down = lossAndGradients(model, data).loss;
      p[i] = orig;
      const numeric = (up - down) / (2 * eps);
      // float32 forward pass: compare with a tolerance relative to the gradient's size.
      assert.ok(Math.abs(numeric - grad[i]) <= 2e-3 + 0.03 * Math.abs(numeric), `${name}[${i}]: analytic ${grad[i]} vs numeric ${numeric}`);
      checked++;
    }
  }
  const mu0 = model.mu;
  model.mu = mu0 + eps;
  const up = lossAndGradients(model, data).loss;
  model.mu = mu0 - eps;
  const down = lossAndGradients(model, data).loss;
  model.mu = mu0;
  assert.ok(Math.abs((up - down) / (2 * eps) - g.mu) < 2e-3, 'mu gradient');
  assert.ok(checked > 30);
});

test('training is deterministic for a seed and differs across seeds', () => {
  const data = problem(11);
  const a = trainTwoTower(data, smallConfig(1));
  const b = trainTwoTower(data, smallConfig(1));
  const c = trainTwoTower(data, smallConfig(2));
  assert.deepEqual(a.compound.W1, b.compound.W1);
  assert.deepEqual(a.genotype.W2, b.genotype.W2);
  assert.equal(a.mu, b.mu);
  assert.notDeepEqual(a.compound.W1, c.compound.W1);
});

test('training fits a genotype × compound interaction', () => {
  const data = problem(21);
  const cfg = { ...smallConfig(4), epochs: 300, lr: 0.01 };
  const losses: number[] = [];
  const model: TwoTower = trainTwoTower(data, cfg, (p) => losses.push(p.loss));
  assert.ok(losses[losses.length - 1] < losses[0] / 5, `loss ${losses[0]} → ${losses[losses.length - 1]}`);
  const pred = predictPairs(model, data.compounds, data.genotypes, data.drug, data.cell);
  let sse = 0;
  let sst = 0;
  let mean = 0;
  for (const v of data.y) mean += v / data.y.length;
  for (let i = 0; i < pred.length; i++) {
    sse += (pred[i] - data.y[i]) ** 2;
    sst += (data.y[i] - mean) ** 2;
  }
  assert.ok(1 - sse / sst > 0.8, `R² ${1 - sse / sst}`);
});

test('an aborted signal stops training', () => {
  const ac = new AbortController();
  ac.abort();
  assert.throws(() => trainTwoTower(problem(1), smallConfig(1), undefined, ac.signal), { name: 'AbortError' });
});
