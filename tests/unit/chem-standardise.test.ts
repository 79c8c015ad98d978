import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSmilesGraph } from '../../core/chem/smiles-graph.js';
import { needsStandardisation, standardise } from '../../core/chem/standardise.js';

const std = (smiles: string) => standardise(parseSmilesGraph(smiles));

test('needsStandardisation: only fragments or charged (bracket) atoms', () => {
  for (const s of ['CCO', 'c1ccccc1', 'c1ccc(-c2ccccc2)cc1', 'C/C=C/C', '[2H]C', 'C[C@H](N)C(=O)O']) assert.equal(needsStandardisation(s), false, s);
  for (const s of ['CC(=O)[O-].[Na+]', 'C[N+](C)(C)C', 'O.CCO', '[O-]c1ccccc1', 'C[NH+](C)C']) assert.equal(needsStandardisation(s), true, s);
});

test('keeps the largest organic fragment and lists what it removed', () => {
  assert.deepEqual(std('Cl.CCN'), { smiles: 'CCN', fragmentOnly: 'CCN', notes: ['removed fragments: Cl'] });
  assert.deepEqual(std('O.O.CCO').notes, ['removed fragments: O, O']);
  assert.equal(std('O.O.CCO').smiles, 'CCO');
  // organic beats larger inorganic; more heavy atoms beats fewer; ties go to the smaller SMILES string
  assert.equal(std('CC.O=S(=O)(O)O').smiles, 'CC');
  assert.equal(std('CCO.c1ccccc1').smiles, 'c1ccccc1');
  assert.equal(std('CCO.CCN').smiles, 'CCN');
  // a 2:1 salt leaves one copy of the organic part
  const r = std('OC(=O)c1ccccc1.OC(=O)c1ccccc1');
  assert.equal(r.smiles, 'OC(=O)c1ccccc1');
  assert.deepEqual(r.notes, ['removed fragments: OC(=O)c1ccccc1']);
});

test('no organic fragment: keeps the largest and says so', () => {
  const r = std('[Na+].[Cl-]');
  assert.equal(r.smiles, '[Cl-]');
  assert.ok(r.notes.includes('no organic fragment: kept the largest'), r.notes.join('; '));
});

test('neutralises protonated amines and acid anions', () => {
  assert.deepEqual(std('CC(=O)[O-].[Na+]'), { smiles: 'CC(=O)[OH]', fragmentOnly: 'CC(=O)[O-]', notes: ['removed fragments: [Na+]', 'neutralised 1 charge'] });
  assert.deepEqual(std('[NH3+]CC(=O)[O-]'), { smiles: '[NH2]CC(=O)[OH]', fragmentOnly: null, notes: ['neutralised 2 charges'] });
  assert.equal(std('c1cc[nH+]cc1').smiles, 'c1cc[n]cc1');
  assert.equal(std('CC[S-]').smiles, 'CC[SH]');
  assert.equal(std('[O-]c1ccccc1').smiles, '[OH]c1ccccc1');
  assert.equal(std('c1nn[n-]n1').smiles, 'c1nn[nH]n1');
  // isotopes survive; the chirality of the carbon is untouched, the edited N has none to keep
  assert.equal(std('C[C@H]([15NH3+])C(=O)[O-]').smiles, 'C[C@H]([15NH2])C(=O)[OH]');
});

test('never touches charge-separated groups or quaternary cations', () => {
  for (const s of ['O=[N+]([O-])c1ccccc1', 'C[N+](C)(C)[O-]', '[O-][n+]1ccccc1', 'CN=[N+]=[N-]', '[C-]#[N+]c1ccccc1']) {
    assert.deepEqual(std(s), { smiles: null, fragmentOnly: null, notes: [] }, s);
  }
  const quat = std('C[N+](C)(C)C.[Cl-]');
  assert.deepEqual(quat, { smiles: 'C[N+](C)(C)C', fragmentOnly: 'C[N+](C)(C)C', notes: ['removed fragments: [Cl-]'] });
});

test('a quaternary cation keeps its counter-charge, on the most acidic site', () => {
  // betaine: the carboxylate balances the quaternary N
  assert.deepEqual(std('C[N+](C)(C)CC(=O)[O-]'), { smiles: null, fragmentOnly: null, notes: [] });
  // one cation, two anions: the carboxylate keeps its charge, the phenolate is neutralised
  const r = std('C[N+](C)(C)Cc1ccc([O-])cc1C(=O)[O-]');
  assert.equal(r.smiles, 'C[N+](C)(C)Cc1ccc([OH])cc1C(=O)[O-]');
  assert.deepEqual(r.notes, ['neutralised 1 charge']);
});
