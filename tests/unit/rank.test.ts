/**
 * Aggregation per subgroup, potency units, desirability and ranking: hand-checkable examples plus
 * property tests on seeded random data.
 */
import { pResponseOfInterval } from '../../core/predict/probability.js';
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { DesirabilityWeights, RankedRow } from '../../core/api/contract.js';
import { ApiError } from '../../core/api/errors.js';
import {
  aggregate,
  aggregateMany,
  combineGroups,
  combineTerms,
  concatAggregates,
  DEFAULT_WEIGHTS,
  DESIRABILITY_TERMS,
  desirability,
  desirabilityTerms,
  groupStatsFor,
  kthSmallest,
  lnIc50ToPIc50,
  lnIc50ToUm,
  maskIndices,
  pIc50ToLnIc50,
  ramp,
  prepareCompounds,
  rankOrder,
  rankRows,
  rankSubgroup,
  resolveWeights,
  scoreSubgroup,
  SPREAD_INTERVAL_Z,
  statsFromMoments,
  topOrder,
} from '../../core/rank/index.js';
import type { CompoundProfile, DesirabilityInput, PredictionMatrix, SubgroupAggregate } from '../../core/rank/index.js';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const close = (a: number, b: number, tol = 1e-9): boolean => Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));

function randomMatrix(rand: () => number, nC: number, nS: number, bounds: boolean): PredictionMatrix {
  const values = Float32Array.from({ length: nC * nS }, () => rand() * 12 - 5);
  if (!bounds) return { nCompounds: nC, nSamples: nS, values };
  const low = values.map((v) => v - 0.5 - rand());
  const high = values.map((v) => v + 0.5 + rand());
  return { nCompounds: nC, nSamples: nS, values, low, high };
}

describe('units', () => {
  test('pIC50 from ln IC50 (µM)', () => {
    assert.equal(lnIc50ToPIc50(0), 6); // 1 µM
    assert.ok(close(lnIc50ToPIc50(Math.log(0.01)), 8)); // 10 nM
    assert.ok(close(lnIc50ToPIc50(Math.log(100)), 4)); // 100 µM
    for (const p of [3, 4.9, 6.2, 9]) assert.ok(close(lnIc50ToPIc50(pIc50ToLnIc50(p)), p));
    assert.ok(close(lnIc50ToUm(Math.log(2.5)), 2.5));
  });
});

describe('aggregation', () => {
  test('hand-checked example: 2 compounds × 4 samples', () => {
    // Compound 0: members (samples 0,1) 1 and 3 → mean 2, sd √2; complement 5 and 7 → mean 6; selectivity 4.
    // Compound 1: members 4 and 4 → mean 4, sd 0; complement 2 and 0 → mean 1; selectivity −3.
    const preds: PredictionMatrix = { nCompounds: 2, nSamples: 4, values: Float32Array.from([1, 3, 5, 7, 4, 4, 2, 0]) };
    const agg = aggregate(preds, Uint8Array.from([1, 1, 0, 0]));
    assert.equal(agg.members, 2);
    assert.equal(agg.complement, 2);
    assert.deepEqual([...agg.mean], [2, 4]);
    assert.ok(close(agg.spread[0], Math.SQRT2));
    assert.equal(agg.spread[1], 0);
    assert.deepEqual([...agg.complementMean], [6, 1]);
    assert.deepEqual([...agg.selectivity], [4, -3]);
    assert.equal(agg.interval, 'spread');
    assert.ok(close(agg.low[0], 2 - SPREAD_INTERVAL_Z * Math.SQRT2));
    assert.ok(close(agg.high[0], 2 + SPREAD_INTERVAL_Z * Math.SQRT2));
    assert.deepEqual([agg.low[1], agg.high[1]], [4, 4]);
  });

  test('model intervals: mean of the members’ bounds', () => {
    const preds: PredictionMatrix = {
      nCompounds: 1,
      nSamples: 3,
      values: Float32Array.from([1, 2, 9]),
      low: Float32Array.from([0, 1, 8]),
      high: Float32Array.from([3, 4, 10]),
    };
    const agg = aggregate(preds, Uint8Array.from([1, 1, 0]));
    assert.equal(agg.interval, 'model');
    assert.deepEqual([agg.low[0], agg.mean[0], agg.high[0]], [0.5, 1.5, 3.5]);
  });

  test('property: aggregate equals naive means/SDs over members and complement', () => {
    const rand = rng(7);
    for (let trial = 0; trial < 25; trial++) {
      const nC = 1 + Math.floor(rand() * 12);
      const nS = 2 + Math.floor(rand() * 60);
      const preds = randomMatrix(rand, nC, nS, trial % 2 === 0);
      const mask = Uint8Array.from({ length: nS }, () => (rand() < 0.3 ? 1 : 0));
      mask[0] = 1;
      mask[1] = 0; // both groups non-empty
      const agg = aggregate(preds, mask);
      const mem = [...maskIndices(mask, 1)];
      const comp = [...maskIndices(mask, 0)];
      assert.equal(agg.members + agg.complement, nS);
      for (let c = 0; c < nC; c++) {
        const v = (s: number): number => preds.values[c * nS + s];
        const mean = mem.reduce((a, s) => a + v(s), 0) / mem.length;
        const cmean = comp.reduce((a, s) => a + v(s), 0) / comp.length;
        const sd = mem.length > 1 ? Math.sqrt(mem.reduce((a, s) => a + (v(s) - mean) ** 2, 0) / (mem.length - 1)) : 0;
        assert.ok(close(agg.mean[c], mean), `mean ${c}`);
        assert.ok(close(agg.complementMean[c], cmean), `complement ${c}`);
        assert.ok(close(agg.spread[c], sd, 1e-7), `sd ${c}`);
        assert.ok(close(agg.selectivity[c], cmean - mean), `selectivity ${c}`);
        // The mean lies within the members' range.
        const vals = mem.map(v);
        assert.ok(agg.mean[c] >= Math.min(...vals) - 1e-9 && agg.mean[c] <= Math.max(...vals) + 1e-9);
        if (preds.low) assert.ok(close(agg.low[c], mem.reduce((a, s) => a + (preds.low as Float32Array)[c * nS + s], 0) / mem.length));
      }
    }
  });

  test('property: the moments fast path and chunked aggregation agree with the direct path', () => {
    const rand = rng(11);
    const nC = 17;
    const nS = 40;
    const preds = randomMatrix(rand, nC, nS, true);
    const mask = Uint8Array.from({ length: nS }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const direct = aggregate(preds, mask);
    // A model that sums over members itself (here: by hand) feeds the same combiner.
    const moments = (value: 0 | 1) => {
      const idx = maskIndices(mask, value);
      const sum = new Float64Array(nC);
      const sumSq = new Float64Array(nC);
      const lowSum = new Float64Array(nC);
      const highSum = new Float64Array(nC);
      for (let c = 0; c < nC; c++) {
        for (const s of idx) {
          const x = preds.values[c * nS + s];
          sum[c] += x;
          sumSq[c] += x * x;
          lowSum[c] += (preds.low as Float32Array)[c * nS + s];
          highSum[c] += (preds.high as Float32Array)[c * nS + s];
        }
      }
      return { n: idx.length, sum, sumSq, lowSum, highSum };
    };
    const fast = combineGroups(statsFromMoments(moments(1)), statsFromMoments(moments(0)));
    for (const k of ['mean', 'spread', 'low', 'high', 'complementMean', 'selectivity'] as const) {
      for (let c = 0; c < nC; c++) assert.ok(close(fast[k][c], direct[k][c], 1e-6), `${k}[${c}]`);
    }
    // Chunks of compounds, aggregated separately and joined.
    const chunk = (from: number, to: number): PredictionMatrix => ({
      nCompounds: to - from,
      nSamples: nS,
      values: preds.values.slice(from * nS, to * nS),
      low: (preds.low as Float32Array).slice(from * nS, to * nS),
      high: (preds.high as Float32Array).slice(from * nS, to * nS),
    });
    const joined = concatAggregates([aggregate(chunk(0, 5), mask), aggregate(chunk(5, 6), mask), aggregate(chunk(6, nC), mask)]);
    assert.deepEqual(joined, direct);
    assert.deepEqual(aggregateMany(preds, [mask, mask]), [direct, direct]);
    assert.deepEqual(groupStatsFor(preds, maskIndices(mask, 1)).mean, direct.mean);
  });

  test('empty subgroup or complement gives NaN, not a number that looks real', () => {
    const preds: PredictionMatrix = { nCompounds: 1, nSamples: 3, values: Float32Array.from([1, 2, 3]) };
    const all = aggregate(preds, Uint8Array.from([1, 1, 1]));
    assert.equal(all.mean[0], 2);
    assert.ok(Number.isNaN(all.complementMean[0]));
    assert.ok(Number.isNaN(all.selectivity[0]));
    const none = aggregate(preds, Uint8Array.from([0, 0, 0]));
    assert.ok(Number.isNaN(none.mean[0]) && Number.isNaN(none.spread[0]) && Number.isNaN(none.selectivity[0]));
    const one = aggregate(preds, Uint8Array.from([0, 1, 0]));
    assert.equal(one.spread[0], 0);
  });

  test('shape errors are INVALID_INPUT with the numbers involved', () => {
    const preds: PredictionMatrix = { nCompounds: 2, nSamples: 3, values: new Float32Array(6) };
    assert.throws(() => aggregate(preds, new Uint8Array(4)), (e: unknown) => e instanceof ApiError && e.code === 'INVALID_INPUT' && /4 entries.*3 samples/.test(e.message));
    assert.throws(() => aggregate({ ...preds, values: new Float32Array(5) }, new Uint8Array(3)), /5 values, expected 2 compounds × 3 samples = 6/);
    assert.throws(() => aggregate({ ...preds, low: new Float32Array(2) }, new Uint8Array(3)), /low bounds/);
    const a = aggregate(preds, Uint8Array.from([1, 0, 0]));
    const b = aggregate(preds, Uint8Array.from([1, 1, 0]));
    assert.throws(() => concatAggregates([a, b]), /different subgroups/);
  });
});

describe('desirability', () => {
  const base: DesirabilityInput = { pIc50: 6, selectivity: 1, qed: 0.6, ruleFailures: 0, alerts: 0, domainScore: 0.5 };

  test('defaults are complete and documented values', () => {
    assert.deepEqual(Object.keys(DEFAULT_WEIGHTS).sort(), [...DESIRABILITY_TERMS].sort());
    assert.deepEqual(resolveWeights(), { ...DEFAULT_WEIGHTS });
    assert.deepEqual(resolveWeights({ qed: 2 }), { ...DEFAULT_WEIGHTS, qed: 2 });
  });

  test('term maps: anchors, floor, penalties', () => {
    assert.equal(ramp(3, 4, 8), 0);
    assert.equal(ramp(6, 4, 8), 0.5);
    assert.equal(ramp(9, 4, 8), 1);
    const t = desirabilityTerms({ pIc50: 8, selectivity: 2, qed: 0.9, ruleFailures: 1, alerts: 2, domainScore: 0.6 });
    assert.deepEqual(t, { potency: 1, selectivity: 1, qed: 0.9, rules: 0.5, alerts: 0.25, domain: 1 });
    const low = desirabilityTerms({ pIc50: 2, selectivity: -3, qed: 0, ruleFailures: 20, alerts: 20, domainScore: 0 });
    for (const k of DESIRABILITY_TERMS) assert.equal(low[k], 0.01, k);
    const unknown = desirabilityTerms({ pIc50: NaN, selectivity: NaN, qed: null, ruleFailures: null, alerts: null, domainScore: null });
    for (const k of DESIRABILITY_TERMS) assert.equal(unknown[k], null, k);
  });

  test('weighted geometric mean, hand-checked', () => {
    const terms = { potency: 0.5, selectivity: 0.8, qed: 0.25, rules: 1, alerts: 1, domain: null };
    const w: DesirabilityWeights = { potency: 2, selectivity: 1, qed: 1, rules: 0, alerts: 0, domain: 5 };
    // exp((2 ln .5 + ln .8 + ln .25) / 4) = (0.5² · 0.8 · 0.25)^(1/4) = 0.05^(1/4)
    assert.ok(close(combineTerms(terms, w), 0.05 ** 0.25));
    // Scaling all weights leaves the result unchanged.
    const w3 = Object.fromEntries(Object.entries(w).map(([k, v]) => [k, v * 3])) as unknown as DesirabilityWeights;
    assert.ok(close(combineTerms(terms, w3), combineTerms(terms, w)));
    assert.ok(Number.isNaN(combineTerms(terms, { potency: 0, selectivity: 0, qed: 0, rules: 0, alerts: 0, domain: 1 })));
  });

  test('property: better potency (or selectivity, QED, domain) never lowers desirability', () => {
    const rand = rng(3);
    for (let trial = 0; trial < 200; trial++) {
      const input: DesirabilityInput = {
        pIc50: 2 + rand() * 8,
        selectivity: rand() * 6 - 3,
        qed: rand() < 0.2 ? null : rand(),
        ruleFailures: Math.floor(rand() * 3),
        alerts: Math.floor(rand() * 3),
        domainScore: rand(),
      };
      const w = resolveWeights({ potency: rand() * 3, selectivity: rand() * 3, qed: rand(), rules: rand(), alerts: rand(), domain: rand() });
      const d0 = desirability(input, w).value;
      const step = rand() * 2;
      assert.ok(desirability({ ...input, pIc50: input.pIc50 + step }, w).value >= d0 - 1e-12, 'potency');
      assert.ok(desirability({ ...input, selectivity: input.selectivity + step }, w).value >= d0 - 1e-12, 'selectivity');
      assert.ok(desirability({ ...input, domainScore: Math.min(1, (input.domainScore ?? 0) + step / 4) }, w).value >= d0 - 1e-12, 'domain');
      if (input.qed !== null) assert.ok(desirability({ ...input, qed: Math.min(1, input.qed + step / 4) }, w).value >= d0 - 1e-12, 'qed');
      assert.ok(desirability({ ...input, alerts: (input.alerts ?? 0) + 1 }, w).value <= d0 + 1e-12, 'an extra alert never helps');
      assert.ok(desirability({ ...input, ruleFailures: (input.ruleFailures ?? 0) + 1 }, w).value <= d0 + 1e-12, 'an extra rule failure never helps');
      assert.ok(d0 >= 0.01 - 1e-12 && d0 <= 1, 'within [floor, 1]');
    }
    // Strictly better inside the ramp when potency has weight.
    assert.ok(desirability({ ...base, pIc50: 7 }).value > desirability(base).value);
  });

  test('a weight of 0 removes its term entirely', () => {
    for (const k of DESIRABILITY_TERMS) {
      const w = resolveWeights({ [k]: 0 });
      const variants: DesirabilityInput[] = [
        { ...base, pIc50: 3 },
        { ...base, pIc50: 9 },
        { ...base, selectivity: -2 },
        { ...base, selectivity: 5 },
        { ...base, qed: 0.01 },
        { ...base, qed: null },
        { ...base, ruleFailures: 3 },
        { ...base, alerts: 4 },
        { ...base, domainScore: 0 },
      ].filter((v) => {
        // keep only the variants that change term k
        const a = desirabilityTerms(v)[k];
        const b = desirabilityTerms(base)[k];
        return a !== b;
      });
      assert.ok(variants.length > 0, k);
      for (const v of variants) assert.ok(close(desirability(v, w).value, desirability(base, w).value), `${k} should not matter at weight 0`);
      // …and with weight > 0 it does matter.
      assert.ok(variants.some((v) => !close(desirability(v).value, desirability(base).value)), `${k} matters at its default weight`);
    }
  });

  test('unknown inputs are left out, renormalising the other weights', () => {
    const w = resolveWeights({ potency: 1, selectivity: 0, qed: 1, rules: 0, alerts: 0, domain: 0 });
    const withoutQed = desirability({ ...base, qed: null }, w).value;
    const potencyOnly = desirability(base, resolveWeights({ potency: 1, selectivity: 0, qed: 0, rules: 0, alerts: 0, domain: 0 })).value;
    assert.ok(close(withoutQed, potencyOnly));
    assert.ok(close(potencyOnly, 0.01 + 0.99 * 0.5)); // pIC50 6 is halfway between 4 and 8
  });

  test('weights are validated', () => {
    assert.throws(() => resolveWeights({ potency: -1 }), /potency must be a finite number ≥ 0/);
    assert.throws(() => resolveWeights({ qed: Number.NaN }), /qed must be/);
    assert.throws(() => resolveWeights({ potency: 0, selectivity: 0, qed: 0, rules: 0, alerts: 0, domain: 0 }), /at least one/);
    assert.throws(() => resolveWeights({ toxicity: 1 } as unknown as Partial<DesirabilityWeights>), /unknown desirability weight "toxicity"/);
  });
});

describe('ranking', () => {
  const row = (compoundId: number, lnIc50: number, selectivity: number, desirabilityValue: number): RankedRow => ({
    compoundId,
    name: null,
    displayName: null,
    smiles: 'C',
    subgroup: 's',
    lnIc50,
    pIc50: lnIc50ToPIc50(lnIc50),
    lnIc50Low: lnIc50,
    lnIc50High: lnIc50,
    spread: 0,
    members: 10,
    selectivity,
    selectivityLow: null,
    selectivityHigh: null,
    evidence: 'structure',
    pResponse: null,
    measured: 0,
    domainScore: 0.5,
    inDomain: true,
    qed: null,
    alerts: [],
    desirability: desirabilityValue,
    rank: 0,
  });

  test('order by potency, selectivity, desirability; ties by compound id; NaN last', () => {
    const rows = [row(5, 1.0, 0.5, 0.3), row(2, 1.0, 2.0, 0.9), row(9, -1.0, 0.5, NaN), row(1, NaN, NaN, 0.3), row(7, 3.0, -1.0, 0.9)];
    assert.deepEqual(rankRows(rows, 'potency').map((r) => r.compoundId), [9, 2, 5, 7, 1]);
    assert.deepEqual(rankRows(rows, 'selectivity').map((r) => r.compoundId), [2, 5, 9, 7, 1]);
    assert.deepEqual(rankRows(rows, 'desirability').map((r) => r.compoundId), [2, 7, 1, 5, 9]);
    assert.deepEqual(rankRows(rows, 'potency').map((r) => r.rank), [1, 2, 3, 4, 5]);
    // Input rows are not modified.
    assert.deepEqual(rows.map((r) => r.rank), [0, 0, 0, 0, 0]);
    assert.throws(() => rankRows(rows, 'mass' as never), /unknown ranking "mass"/);
  });

  test('property: the same rows in any order give the same ranking', () => {
    const rand = rng(99);
    // Few distinct values so that ties are common.
    const rows = Array.from({ length: 60 }, (_, i) => row(1000 - i * 7, Math.floor(rand() * 4), Math.floor(rand() * 3) - 1, Math.floor(rand() * 3) / 2));
    for (const by of ['potency', 'selectivity', 'desirability'] as const) {
      const ref = rankRows(rows, by).map((r) => r.compoundId);
      for (let k = 0; k < 5; k++) {
        const shuffled = [...rows];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = Math.floor(rand() * (i + 1));
          [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
        }
        assert.deepEqual(rankRows(shuffled, by).map((r) => r.compoundId), ref, by);
      }
      // Adjacent rows are in order: better key first, equal keys by ascending id.
      const ranked = rankRows(rows, by);
      const key = (r: RankedRow): number => (by === 'potency' ? -r.lnIc50 : by === 'selectivity' ? r.selectivity : r.desirability);
      for (let i = 1; i < ranked.length; i++) {
        const a = key(ranked[i - 1]);
        const b = key(ranked[i]);
        assert.ok(a > b || (a === b && ranked[i - 1].compoundId < ranked[i].compoundId), `${by} at ${i}`);
      }
    }
  });

  test('rankOrder on raw arrays', () => {
    assert.deepEqual([...rankOrder([3, 1, 3, NaN, 2], [10, 11, 9, 1, 12], 'lower')], [1, 4, 2, 0, 3]);
    assert.deepEqual([...rankOrder([3, 1, 3, NaN, 2], [10, 11, 9, 1, 12], 'higher')], [2, 0, 4, 1, 3]);
    assert.throws(() => rankOrder([1], [1, 2], 'higher'), /1 keys but 2 ids/);
  });

  test('scoreSubgroup: rows carry aggregate, units, desirability with weights; ranks follow rankBy', () => {
    // Three compounds over 4 samples; members are samples 0 and 1.
    const preds: PredictionMatrix = { nCompounds: 3, nSamples: 4, values: Float32Array.from([-2, -2, 2, 2, 1, 1, 1, 1, 0, 2, 0, 2]) };
    const agg = aggregate(preds, Uint8Array.from([1, 1, 0, 0]));
    const compounds: CompoundProfile[] = [
      { compoundId: 30, name: 'selective', smiles: 'CCO', qed: 0.7, alerts: [], ruleFailures: 0, domainScore: 0.8, inDomain: true },
      { compoundId: 10, name: 'flat', smiles: 'CCN', qed: 0.7, alerts: [], ruleFailures: 0, domainScore: 0.8, inDomain: true },
      { compoundId: 20, name: 'pains', smiles: 'c1ccccc1O', qed: 0.7, alerts: ['catechol_A(92)', 'quinone_A(370)'], ruleFailures: 0, domainScore: 0.8, inDomain: true },
    ];
    const rows = scoreSubgroup({ subgroup: 'BRAF_mut AND tissue=skin', compounds, aggregate: agg });
    assert.deepEqual(rows.map((r) => r.compoundId), [30, 10, 20]);
    assert.deepEqual(rows.map((r) => r.rank), [1, 2, 3]);
    const sel = rows[0];
    assert.equal(sel.lnIc50, -2);
    assert.ok(close(sel.pIc50, 6 + 2 / Math.LN10));
    assert.equal(sel.selectivity, 4);
    assert.equal(sel.members, 2);
    assert.equal(sel.subgroup, 'BRAF_mut AND tissue=skin');
    const expected = desirability({ pIc50: sel.pIc50, selectivity: 4, qed: 0.7, ruleFailures: 0, alerts: 0, domainScore: 0.8 }, DEFAULT_WEIGHTS).value;
    assert.ok(close(sel.desirability, expected));
    assert.deepEqual(rows[2].alerts, ['catechol_A(92)', 'quinone_A(370)']);
    // By potency the flat and the PAINS compound tie on mean (1); the lower id wins.
    assert.deepEqual(scoreSubgroup({ subgroup: 's', compounds, aggregate: agg, rankBy: 'potency' }).map((r) => r.compoundId), [30, 10, 20]);
    // Without the alerts term, the PAINS compound (same potency, selectivity 0) ties with the flat one; id breaks it.
    const noAlerts = scoreSubgroup({ subgroup: 's', compounds, aggregate: agg, weights: { alerts: 0 } });
    assert.ok(close(noAlerts.find((r) => r.compoundId === 20)?.desirability ?? 0, noAlerts.find((r) => r.compoundId === 10)?.desirability ?? 1));
    assert.deepEqual(noAlerts.map((r) => r.compoundId), [30, 10, 20]);
    assert.throws(() => scoreSubgroup({ subgroup: 's', compounds: compounds.slice(0, 2), aggregate: agg }), /2 compounds but the aggregate covers 3/);
  });
});

test('aggregateManyFast equals aggregateMany (members, complement, spread, interval, selectivity)', async () => {
  const { aggregateMany, aggregateManyFast } = await import('../../core/rank/index.js');
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const nC = 13, nS = 41;
  const values = Float32Array.from({ length: nC * nS }, () => rnd() * 6 - 3);
  const low = values.map((v) => v - 1 - rnd());
  const high = values.map((v) => v + 1 + rnd());
  const masks = [0.2, 0.5, 0.05].map((p) => Uint8Array.from({ length: nS }, () => (rnd() < p ? 1 : 0)));
  masks.push(Uint8Array.from({ length: nS }, (_, i) => (i === 3 ? 1 : 0)));
  for (const withBounds of [true, false]) {
    const preds = { nCompounds: nC, nSamples: nS, values, low: withBounds ? low : null, high: withBounds ? high : null };
    const a = aggregateMany(preds, masks);
    const b = aggregateManyFast(preds, masks);
    a.forEach((x, g) => {
      assert.equal(b[g].members, x.members);
      assert.equal(b[g].complement, x.complement);
      assert.equal(b[g].interval, x.interval);
      for (const key of ['mean', 'spread', 'low', 'high', 'complementMean', 'selectivity'] as const) {
        x[key].forEach((v, c) => assert.ok((Number.isNaN(v) && Number.isNaN(b[g][key][c])) || Math.abs(v - b[g][key][c]) < 1e-6, `${key}[${c}] group ${g}: ${v} vs ${b[g][key][c]}`));
      }
    });
  }
});

/**
 * The ranking as it was done row by row before the typed-array path: one desirability() per
 * compound, RankedRow objects for every compound, rankRows. rankSubgroup must give the same rows,
 * value for value (deepStrictEqual compares numbers with Object.is: NaN = NaN, 0 ≠ −0).
 */
function referenceRows(opts: { subgroup: string; compounds: CompoundProfile[]; aggregate: SubgroupAggregate; weights?: Partial<DesirabilityWeights>; rankBy?: 'potency' | 'selectivity' | 'desirability' }): RankedRow[] {
  const weights = resolveWeights(opts.weights);
  const agg = opts.aggregate;
  const rows = opts.compounds.map((c, i): RankedRow => {
    const lnIc50 = agg.mean[i];
    const pIc50 = lnIc50ToPIc50(lnIc50);
    const d = desirability({ pIc50, selectivity: agg.selectivity[i], qed: c.qed, ruleFailures: c.ruleFailures, alerts: c.alerts ? c.alerts.length : null, domainScore: c.domainScore }, weights);
    return {
      compoundId: c.compoundId, name: c.name, displayName: c.displayName ?? null, smiles: c.smiles, subgroup: opts.subgroup, lnIc50, pIc50, lnIc50Low: agg.low[i], lnIc50High: agg.high[i], spread: agg.spread[i],
      members: agg.members, selectivity: agg.selectivity[i], selectivityLow: null, selectivityHigh: null, evidence: 'structure', pResponse: pResponseOfInterval(lnIc50, agg.low[i], agg.high[i]), measured: 0, domainScore: c.domainScore ?? NaN, inDomain: c.inDomain, qed: c.qed, alerts: c.alerts ?? [], desirability: d.value, rank: 0,
    };
  });
  return rankRows(rows, opts.rankBy ?? 'desirability');
}

describe('typed-array ranking (rankSubgroup, topOrder)', () => {
  /** Random compounds and an aggregate with ties, NaNs and unknown inputs. */
  function randomCase(seed: number, n: number) {
    const rand = rng(seed);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
    const compounds: CompoundProfile[] = Array.from({ length: n }, (_, i) => ({
      compoundId: 1 + ((i * 7919) % (3 * n)),
      name: rand() < 0.5 ? null : `c${i}`,
      smiles: 'C'.repeat(1 + (i % 5)),
      qed: rand() < 0.1 ? null : pick([0.2, 0.5, rand()]),
      alerts: rand() < 0.5 ? null : pick([[], ['quinone_A(370)'], ['a', 'b']]),
      ruleFailures: rand() < 0.1 ? null : pick([0, 1, 2]),
      domainScore: rand() < 0.1 ? null : pick([0.1, 0.4, rand()]),
      inDomain: rand() < 0.5,
    }));
    const mk = (f: () => number) => Float64Array.from({ length: n }, f);
    // Few distinct values so that equal keys (ties broken by id) are common.
    const mean = mk(() => (rand() < 0.05 ? NaN : pick([-1, 0, 1.5, rand() * 8 - 3])));
    const selectivity = mk(() => (rand() < 0.05 ? NaN : pick([0, 0.5, rand() * 3 - 1])));
    const aggregate: SubgroupAggregate = {
      nCompounds: n, members: 12, complement: 30, mean, spread: mk(rand), low: mk(rand), high: mk(rand), complementMean: mk(rand), selectivity, interval: 'model',
    };
    return { compounds, aggregate };
  }
  const WEIGHTS: Partial<DesirabilityWeights>[] = [{}, { qed: 0 }, { potency: 0, selectivity: 0 }, { alerts: 2, domain: 0, rules: 1 }, { potency: 0, selectivity: 0, qed: 0, rules: 0, alerts: 0, domain: 1 }];

  test('rankSubgroup rows equal the row-by-row ranking, for every rankBy and weight set', () => {
    for (const [k, weights] of WEIGHTS.entries()) {
      const { compounds, aggregate } = randomCase(100 + k, 300);
      for (const rankBy of ['potency', 'selectivity', 'desirability'] as const) {
        const ref = referenceRows({ subgroup: 'g', compounds, aggregate, weights, rankBy });
        assert.deepStrictEqual(rankSubgroup({ subgroup: 'g', compounds, aggregate, weights, rankBy }).rows(), ref, `${rankBy} ${JSON.stringify(weights)}`);
        assert.deepStrictEqual(scoreSubgroup({ subgroup: 'g', compounds, aggregate, weights, rankBy }), ref);
      }
    }
  });

  test('one prepareCompounds shared by several subgroups gives the same rows as preparing each time', () => {
    const { compounds, aggregate } = randomCase(7, 200);
    const other = randomCase(8, 200).aggregate;
    const prepared = prepareCompounds(compounds, { qed: 0.25 });
    for (const agg of [aggregate, other]) {
      assert.deepStrictEqual(rankSubgroup({ subgroup: 'g', compounds, aggregate: agg, prepared }).rows(), referenceRows({ subgroup: 'g', compounds, aggregate: agg, weights: { qed: 0.25 } }));
    }
    assert.throws(() => rankSubgroup({ subgroup: 'g', compounds: compounds.slice(1), aggregate: { ...aggregate, nCompounds: 199 }, prepared }), /prepared for other compounds/);
  });

  test('rows(limit) is the prefix of the full ranking (ties and NaNs at the cut included)', () => {
    const { compounds, aggregate } = randomCase(21, 400);
    for (const rankBy of ['potency', 'selectivity', 'desirability'] as const) {
      const full = referenceRows({ subgroup: 'g', compounds, aggregate, rankBy });
      for (const limit of [0, 1, 2, 17, 100, 379, 380, 399, 400, 1000]) {
        // A fresh ranking each time: the top-`limit` path, not a prefix of an already sorted order.
        assert.deepStrictEqual(rankSubgroup({ subgroup: 'g', compounds, aggregate, rankBy }).rows(limit), full.slice(0, limit), `${rankBy} top ${limit}`);
      }
      const r = rankSubgroup({ subgroup: 'g', compounds, aggregate, rankBy });
      assert.deepStrictEqual(r.rows(120), full.slice(0, 120));
      assert.deepStrictEqual(r.rows(30), full.slice(0, 30), 'prefix of the cached top order');
      assert.deepStrictEqual(r.rows(200), full.slice(0, 200), 'a longer top');
      r.rows();
      assert.deepStrictEqual(r.rows(50), full.slice(0, 50), 'prefix of the cached full order');
    }
    assert.throws(() => rankSubgroup({ subgroup: 'g', compounds, aggregate, rankBy: 'mass' as never }), /unknown ranking "mass"/);
  });

  test('topOrder equals the prefix of rankOrder; kthSmallest equals sorting', () => {
    const rand = rng(5);
    for (let trial = 0; trial < 30; trial++) {
      const n = 1 + Math.floor(rand() * 200);
      const keys = Float64Array.from({ length: n }, () => (rand() < 0.1 ? NaN : rand() < 0.3 ? -0 : Math.floor(rand() * 6) - 2));
      const ids = Float64Array.from({ length: n }, () => Math.floor(rand() * 50));
      const full = rankOrder(keys, ids, 'higher');
      for (const k of [0, 1, Math.floor(n / 3), n - 1, n, n + 5]) assert.deepEqual([...topOrder(keys, ids, k)], [...full.subarray(0, k)], `n ${n} k ${k}`);
      const finite = keys.filter((v) => !Number.isNaN(v));
      if (finite.length) {
        const sorted = Float64Array.from(finite).sort();
        const k = Math.floor(rand() * finite.length);
        assert.ok(kthSmallest(Float64Array.from(finite), k) === sorted[k]);
      }
    }
    assert.throws(() => kthSmallest(new Float64Array(3), 3), /outside/);
    assert.throws(() => topOrder([1], [1, 2], 3), /1 keys but 2 ids/);
  });
});

/**
 * The one-pass aggregation as first written (member sums in index order, complement = total − members,
 * statistics through statsFromMoments/combineGroups): aggregateManyFast must reproduce it bit for bit,
 * whichever way the bounds come (arrays, or a constant half-width rounded to float32 like predictMatrix).
 */
function referenceFast(preds: PredictionMatrix, masks: Uint8Array[]): SubgroupAggregate[] {
  const { nCompounds: nC, nSamples: nS, values, low, high } = preds;
  return masks.map((mask) => {
    const idx = maskIndices(mask, 1);
    const n = idx.length;
    const z = () => new Float64Array(nC);
    const mSum = z(), mSq = z(), cSum = z(), cSq = z(), mLo = z(), mHi = z(), cLo = z(), cHi = z();
    for (let c = 0; c < nC; c++) {
      const o = c * nS;
      let tSum = 0, tSq = 0, tLo = 0, tHi = 0;
      for (let s = 0; s < nS; s++) {
        tSum += values[o + s];
        tSq += values[o + s] * values[o + s];
      }
      if (low && high) for (let s = 0; s < nS; s++) {
        tLo += low[o + s];
        tHi += high[o + s];
      }
      let sum = 0, sq = 0, lo = 0, hi = 0;
      for (let k = 0; k < n; k++) {
        const v = values[o + idx[k]];
        sum += v;
        sq += v * v;
      }
      if (low && high) for (let k = 0; k < n; k++) {
        lo += low[o + idx[k]];
        hi += high[o + idx[k]];
      }
      [mSum[c], mSq[c], cSum[c], cSq[c], mLo[c], mHi[c], cLo[c], cHi[c]] = [sum, sq, tSum - sum, tSq - sq, lo, hi, tLo - lo, tHi - hi];
    }
    const b = !!(low && high);
    return combineGroups(
      statsFromMoments({ n, sum: mSum, sumSq: mSq, lowSum: b ? mLo : null, highSum: b ? mHi : null }),
      statsFromMoments({ n: nS - n, sum: cSum, sumSq: cSq, lowSum: b ? cLo : null, highSum: b ? cHi : null }),
    );
  });
}

test('aggregateManyFast is bit-identical to the one-pass reference; a half-width gives the same bounds as float32 arrays', async () => {
  const { aggregateManyFast } = await import('../../core/rank/index.js');
  const rand = rng(2024);
  for (const [nC, nS] of [[1, 5], [2, 7], [13, 41], [64, 300]]) {
    const values = Float32Array.from({ length: nC * nS }, () => rand() * 10 - 4);
    const hw = 4.023690402507782;
    const low = values.map((v) => v - hw);
    const high = values.map((v) => v + hw);
    const masks = [0.3, 0.9, 0.02].map((p) => Uint8Array.from({ length: nS }, () => (rand() < p ? 1 : 0)));
    masks.push(new Uint8Array(nS).fill(1), new Uint8Array(nS));
    for (const [label, preds] of [
      ['arrays', { nCompounds: nC, nSamples: nS, values, low, high }],
      ['none', { nCompounds: nC, nSamples: nS, values }],
    ] as const) {
      const ref = referenceFast(preds, masks);
      assert.deepStrictEqual(aggregateManyFast(preds, masks), ref, `${label} ${nC}×${nS}`);
      if (label === 'arrays') assert.deepStrictEqual(aggregateManyFast({ nCompounds: nC, nSamples: nS, values, halfWidth: hw }, masks), ref, `half-width ${nC}×${nS}`);
    }
  }
});
