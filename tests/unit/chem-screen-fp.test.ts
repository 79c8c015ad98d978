/**
 * The substructure screen fingerprint (core/chem/screen-fp.ts): independent of atom order, never
 * rejecting a molecule that matches, selective where the query pins atoms and bonds down.
 * (The end-to-end agreement with RDKit over 78 queries × 5k molecules is tests/integration/substructure.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSmarts } from '../../core/chem/smarts.js';
import { moleculeScreenFp, queryScreenFp, screenCandidates, SCREEN_FP_BYTES } from '../../core/chem/screen-fp.js';
import { parseSmilesGraph } from '../../core/chem/smiles-graph.js';

const fp = (smiles: string) => moleculeScreenFp(parseSmilesGraph(smiles));
const passes = (smarts: string, smiles: string) => {
  const q = queryScreenFp(compileSmarts(smarts));
  return q === null || screenCandidates(q, fp(smiles), 1).length === 1;
};

test('the same molecule written in different atom orders has the same fingerprint', () => {
  const forms = [
    ['CCO', 'OCC', 'C(O)C'],
    ['c1ccncc1', 'n1ccccc1', 'c1cnccc1'],
    ['CC(=O)Nc1ccc(O)cc1', 'Oc1ccc(NC(C)=O)cc1', 'O=C(C)Nc1ccc(cc1)O'],
    ['C1CC1C(=O)O', 'OC(=O)C1CC1'],
  ];
  for (const group of forms) {
    const ref = Buffer.from(fp(group[0]));
    for (const s of group.slice(1)) assert.ok(ref.equals(Buffer.from(fp(s))), `${s} vs ${group[0]}`);
  }
  assert.ok(!Buffer.from(fp('CCO')).equals(Buffer.from(fp('CCN'))));
});

test('matching molecules always pass the screen', () => {
  const cases: [string, string][] = [
    ['c1ccncc1', 'Cc1ccc(Cl)nc1'],
    ['C(=O)N', 'CC(=O)NC'],
    ['O=C1CCCN1', 'CN1CCCC1=O'],
    ['c1ccccc1', 'c1ccc(-c2ccccc2)cc1'],
    ['c-c', 'c1ccc(-c2ccccc2)cc1'],
    ['cc', 'c1ccc(-c2ccccc2)cc1'],
    ['C~N', 'C=N'],
    ['C~N', 'C#N'],
    ['[#6]=,#[#7]', 'CC#N'],
    ['C1CC1', 'OC(=O)C1CC1'],
    ['[N+](=O)[O-]', 'C[N+](=O)[O-]'],
    ['c1ccc2[nH]ccc2c1', 'Cc1c[nH]c2ccccc12'],
  ];
  for (const [smarts, smiles] of cases) assert.ok(passes(smarts, smiles), `${smarts} must pass ${smiles}`);
});

test('the screen rejects molecules that lack a required path or ring', () => {
  assert.ok(!passes('c1ccncc1', 'c1ccccc1'));
  assert.ok(!passes('c1ccncc1', 'c1cncnc1')); // pyrimidine has no run of five aromatic carbons
  assert.ok(!passes('C1CC1', 'CCCC'));
  assert.ok(!passes('C1CCNCC1', 'C1CCNC1'));
  assert.ok(!passes('C(=O)N', 'CC(=O)O'));
  assert.ok(!passes('C#N', 'CC=N'));
});

test('queries that pin down nothing give no bits; an empty stored fingerprint is always a candidate', () => {
  for (const s of ['*~*', '[#6]', '[C,N]~[C,N]', '[!#1]']) assert.equal(queryScreenFp(compileSmarts(s)), null, s);
  const q = queryScreenFp(compileSmarts('c1ccncc1'))!;
  const fps = new Uint8Array(3 * SCREEN_FP_BYTES);
  fps.set(fp('c1ccncc1'), 0);
  fps.set(fp('CCCC'), SCREEN_FP_BYTES);
  // third left all zero: never computed
  assert.deepEqual([...screenCandidates(q, fps, 3)], [0, 2]);
});
