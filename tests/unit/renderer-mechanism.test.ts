/** The words the Ranking view and compound page use for the selectivity interval and the evidence tier. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evidenceText, selectivityWords } from '../../renderer/src/lib/mechanism.js';

test('an interval containing 0 is said to be indistinguishable from 0; one that excludes it gives the direction', () => {
  assert.deepEqual(selectivityWords({ selectivity: 0.3, selectivityLow: -0.2, selectivityHigh: 0.8 }), { value: '0.30 [−0.20 – 0.80]', verdict: 'indistinguishable from 0', null: true });
  assert.equal(selectivityWords({ selectivity: 0.3, selectivityLow: 0, selectivityHigh: 0.8 }).verdict, 'indistinguishable from 0', 'a bound at 0 still contains 0');
  assert.deepEqual(selectivityWords({ selectivity: 1.2, selectivityLow: 0.4, selectivityHigh: 2 }), { value: '1.20 [0.40 – 2]', verdict: 'more potent in the subgroup', null: false });
  assert.equal(selectivityWords({ selectivity: -1, selectivityLow: -1.5, selectivityHigh: -0.5 }).verdict, 'less potent in the subgroup');
});

test('a run without an interval shows the value alone and claims nothing', () => {
  assert.deepEqual(selectivityWords({ selectivity: 0.25, selectivityLow: null, selectivityHigh: null }), { value: '0.25', verdict: '', null: false });
  assert.deepEqual(selectivityWords({ selectivity: Number.NaN, selectivityLow: null, selectivityHigh: null }), { value: '', verdict: '', null: false });
});

test('every evidence tier has its own words; an unknown or missing tier reads as structure only', () => {
  const tiers = ['target', 'pathway', 'neighbour', 'structure'] as const;
  assert.equal(new Set(tiers.map((t) => evidenceText(t))).size, tiers.length);
  assert.match(evidenceText('target'), /target/);
  assert.match(evidenceText('pathway'), /pathway/);
  assert.equal(evidenceText(null), evidenceText('structure'));
  assert.equal(evidenceText('hunch' as never), evidenceText('structure'));
});
