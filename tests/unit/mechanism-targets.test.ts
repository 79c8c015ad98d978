import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mechanismVocabulary, normalisePathway, normaliseTargets, splitTargets, targetKey, targetsMatch, unknownTargets } from '../../core/mechanism/targets.js';

test('targets: separators, slash families, case and punctuation', () => {
  assert.deepEqual(splitTargets('MEK1/2'), ['MEK1', 'MEK2']);
  assert.deepEqual(splitTargets('MEK1, MEK2'), ['MEK1', 'MEK2']);
  assert.deepEqual(splitTargets(' cdk4/6 ; PARP1|parp1 '), ['cdk4', 'cdk6', 'PARP1']);
  assert.deepEqual(splitTargets('EGFR/ERBB2'), ['EGFR', 'ERBB2']);
  assert.deepEqual(splitTargets('VEGFR3/FLT4'), ['VEGFR3'], 'FLT4 is a synonym of VEGFR3');
  assert.deepEqual(splitTargets('others, not defined, -'), []);
  assert.deepEqual(splitTargets(null), []);
  assert.equal(targetKey('Bcl-xL'), targetKey('BCL-XL'));
  assert.equal(targetKey('HER2'), 'ERBB2');
  assert.equal(targetKey('map2k1'), 'MEK1');
});

test('targets: stored form uses the training spelling where the target is known', () => {
  assert.equal(normaliseTargets('mek1/2'), 'MEK1, MEK2');
  assert.equal(normaliseTargets('braf'), 'BRAF');
  assert.equal(normaliseTargets('MyNewKinase7'), 'MyNewKinase7');
  assert.equal(normaliseTargets(''), null);
});

test('targets: family names match members, not unrelated names', () => {
  assert.equal(targetsMatch(['MEK'], ['MEK1', 'MEK2']), 1);
  assert.equal(targetsMatch(['MEK1', 'MEK2'], ['MEK1']), 1);
  assert.equal(targetsMatch(splitTargets('MEK1/2'), ['MEK1', 'MEK2']), 2);
  assert.equal(targetsMatch(['IR'], ['IRAK1']), 0);
  assert.equal(targetsMatch(['BRAF'], ['RAF']), 0);
  assert.equal(targetsMatch(['HER2'], ['ERBB2']), 1);
  assert.deepEqual(unknownTargets(['BRAF', 'MyNewKinase7']), ['MyNewKinase7']);
});

test('pathways: vocabulary of the training drugs, with counts; matching and unknowns', () => {
  const v = mechanismVocabulary();
  assert.ok(v.pathways.length >= 20);
  const erk = v.pathways.find((p) => p.name === 'ERK MAPK signaling');
  assert.ok(erk && erk.drugs >= 5, 'ERK MAPK signaling carries the MEK and BRAF inhibitors');
  assert.deepEqual(normalisePathway('erk mapk'), { pathway: 'ERK MAPK signaling', known: true });
  assert.deepEqual(normalisePathway('ERK-MAPK Signalling'), { pathway: 'ERK MAPK signaling', known: true });
  assert.deepEqual(normalisePathway('MAPK'), { pathway: 'ERK MAPK signaling', known: true });
  assert.deepEqual(normalisePathway('  Ferroptosis '), { pathway: 'Ferroptosis', known: false });
  assert.deepEqual(normalisePathway(''), { pathway: null, known: false });
});
