/**
 * Presenting the genotype catalogue: curated drivers first, readable tissue names, presets that parse on
 * the reference panel, and the click-built rule with AND / OR / NOT.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DRIVER_GENES, driverRank, PRESET_SUBGROUPS, previewSubgroup, referenceCatalogue, loadReferencePanel, tissueLabel } from '../../core/subgroups/index.js';
import { addToRule, sortFeatures } from '../../renderer/src/lib/catalogue.js';
import type { GenotypeFeature } from '../../core/api/contract.js';

const f = (name: string, prevalence: number): GenotypeFeature => ({ name, kind: 'mutation', genes: [name.replace(/_mut$/, '')], prevalence, count: Math.round(prevalence * 889), driverRank: driverRank(name) });

test('drivers first in the curated order, then the others by prevalence', () => {
  const sorted = sortFeatures([f('TTN_mut', 0.4), f('TP53_mut', 0.6), f('MUC16_mut', 0.3), f('KRAS_mut', 0.15), f('BRAF_mut', 0.1), f('loss_cnaPANCAN1', 0.5)]);
  assert.deepEqual(sorted.map((x) => x.name), ['BRAF_mut', 'KRAS_mut', 'TP53_mut', 'loss_cnaPANCAN1', 'TTN_mut', 'MUC16_mut']);
  assert.equal(driverRank('BRAF_mut'), 0);
  assert.equal(driverRank('gain_cnaPANCAN10_(BRAF)'), null, 'copy-number features are not driver mutations');
  assert.equal(driverRank('TTN_mut'), null);
});

test('the reference catalogue: every curated driver is a feature, ranked; tissues carry readable labels', () => {
  const cat = referenceCatalogue();
  const byName = new Map(cat.features.map((x) => [x.name, x]));
  for (const [i, g] of DRIVER_GENES.entries()) assert.equal(byName.get(`${g}_mut`)?.driverRank, i, g);
  const first = sortFeatures(cat.features).slice(0, 3).map((x) => x.name);
  assert.deepEqual(first, ['BRAF_mut', 'KRAS_mut', 'NRAS_mut']);
  const labels = new Map(cat.tissues.map((t) => [t.name, t.label]));
  assert.equal(labels.get('aero_dig_tract'), 'Upper aerodigestive tract');
  assert.equal(labels.get('large_intestine'), 'Large intestine');
  assert.equal(labels.get('lung_NSCLC'), 'Lung (NSCLC)');
  for (const t of cat.tissues) assert.doesNotMatch(t.label, /_/, t.name);
  assert.equal(tissueLabel('soft_tissue_other'), 'Soft tissue other', 'fallback: spaces and a capital');
});

test('every preset parses on the reference panel and selects cell lines', () => {
  const cat = referenceCatalogue();
  const panel = loadReferencePanel();
  for (const p of PRESET_SUBGROUPS) {
    const v = previewSubgroup(p.rule, cat, panel);
    assert.ok(v.members > 0, `${p.name}: ${p.rule}`);
  }
  assert.ok(previewSubgroup('BRAF_mut AND tissue=skin', cat, panel).members >= 5);
});

test('a rule built by clicks with AND / OR / NOT reads left to right', () => {
  assert.equal(addToRule('', 'BRAF_mut'), 'BRAF_mut');
  assert.equal(addToRule('', 'TP53_mut', 'NOT'), 'NOT TP53_mut');
  assert.equal(addToRule('BRAF_mut', 'NRAS_mut', 'OR'), 'BRAF_mut OR NRAS_mut');
  assert.equal(addToRule('BRAF_mut OR NRAS_mut', 'tissue=skin', 'AND'), '(BRAF_mut OR NRAS_mut) AND tissue=skin');
  assert.equal(addToRule('(BRAF_mut OR NRAS_mut) AND tissue=skin', 'PTEN_mut', 'NOT'), '(BRAF_mut OR NRAS_mut) AND tissue=skin AND NOT PTEN_mut');
  assert.equal(addToRule('tissue="ORAL" AND KRAS_mut', 'TP53_mut', 'AND'), 'tissue="ORAL" AND KRAS_mut AND TP53_mut', 'OR inside quotes is not an operator');
  assert.equal(addToRule('A_mut || B_mut', 'C_mut'), '(A_mut || B_mut) AND C_mut');
  assert.equal(addToRule('FLOR_mut AND X_mut', 'C_mut'), 'FLOR_mut AND X_mut AND C_mut');
});
