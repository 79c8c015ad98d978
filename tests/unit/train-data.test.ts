import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { groupDrugIds, loadGdsc, normaliseDrugName, subsetGdsc } from '../../core/train/data.js';
import { assignFolds, pairFolds } from '../../core/train/cv.js';
import { conformalQuantile, meanGroupPearson, pearson, rmse, spearman } from '../../core/train/metrics.js';
import type { Prepared } from '../../core/train/prepare.js';

test('drug names normalise across case and punctuation', () => {
  assert.equal(normaliseDrugName('PD-0325901'), normaliseDrugName('pd0325901'));
  assert.equal(normaliseDrugName('Obatoclax Mesylate'), 'obatoclaxmesylate');
  assert.notEqual(normaliseDrugName('AZD6482'), normaliseDrugName('AZD6244'));
});

test('drug groups join ids by name or by structure, transitively', () => {
  const groups = groupDrugIds(
    [
      { id: 1, name: 'Selumetinib', smiles: 'CCO' },
      { id: 2, name: 'AZD6244', smiles: 'OCC' }, // same structure as id 1, written differently
      { id: 3, name: 'selumetinib', smiles: 'CCN' }, // same name as id 1
      { id: 4, name: 'Other', smiles: 'CCCC' },
      { id: 5, name: 'Other2', smiles: 'CCN' }, // same structure as id 3 → joins 1, 2, 3
    ],
    (s) => (s === 'OCC' ? 'CCO' : s),
  );
  assert.equal(groups[0], groups[1]);
  assert.equal(groups[0], groups[2]);
  assert.equal(groups[0], groups[4]);
  assert.notEqual(groups[0], groups[3]);
});

function writeTinyGdsc(dir: string): void {
  writeFileSync(
    join(dir, 'drugs.csv'),
    [
      'gdsc_drug_id,drug_name,smiles,targets,target_pathway,pubchem_cid_gdsc_list',
      '10,Alpha,CCO,T1,P1,1',
      '11,Beta,c1ccccc1,T2,P2,2',
      '12,alpha,CCO,T1,P1,1',
      '13,Gamma,CCN,"T3, T4",P3,3',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'genomic_features.csv'),
    ['COSMIC_ID,TISSUE_FACTOR,MSI_FACTOR,BRAF_mut,KRAS_mut', '100,skin,0,1,0', '101,lung,1,0,1', '102,skin,0,0,0'].join('\n'),
  );
  writeFileSync(join(dir, 'cell_lines.csv'), ['COSMIC_ID,cell_line_name,tissue,tissue_subtype,tcga_type,msi_status,growth', '100,A375,skin,x,SKCM,MSI-S,Adherent'].join('\n'));
  writeFileSync(
    join(dir, 'responses.csv'),
    [
      'COSMIC_ID,gdsc_drug_id,drug_name,ln_ic50_uM',
      '100,10,Alpha,1.0',
      '100,12,alpha,3.0', // re-screen of Alpha: averaged with the row above
      '101,10,Alpha,-1.5',
      '100,11,Beta,2.5',
      '102,13,Gamma,0.5',
      '999,11,Beta,7.0', // cell line without genotype: dropped
    ].join('\n'),
  );
}

test('loadGdsc merges re-screened drugs, averages replicates and encodes genotypes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-gdsc-'));
  try {
    writeTinyGdsc(dir);
    const d = loadGdsc(dir);
    assert.deepEqual(
      d.drugs.map((g) => g.gdscIds),
      [[10, 12], [11], [13]],
    );
    assert.equal(d.drugs[2].targets, 'T3, T4');
    assert.deepEqual(
      d.genotype.features.map((f) => f.name),
      ['BRAF_mut', 'KRAS_mut', 'TISSUE_FACTOR=lung', 'TISSUE_FACTOR=skin', 'MSI_FACTOR'],
    );
    // Row of COSMIC 101: KRAS mutant, lung, MSI-H.
    assert.deepEqual(Array.from(d.genotype.matrix.subarray(5, 10)), [0, 1, 1, 0, 1]);
    assert.equal(d.cellLines.names[0], 'A375');
    assert.equal(d.cellLines.names[1], '101'); // no name in cell_lines.csv: the id stands in
    assert.equal(d.pairs.y.length, 4);
    const alpha100 = [...d.pairs.y].find((_, i) => d.pairs.drug[i] === 0 && d.pairs.cell[i] === 0);
    assert.equal(alpha100, 2.0);
    assert.equal(d.responseRows, 6);
    assert.equal(d.files.length, 4);
    assert.match(d.files[0].sha256, /^[0-9a-f]{64}$/);

    const sub = subsetGdsc(d, [2, 0], [2, 0]);
    assert.deepEqual(sub.drugs.map((g) => g.name), ['Gamma', 'Alpha']);
    assert.equal(sub.pairs.y.length, 2);
    assert.deepEqual(Array.from(sub.genotype.matrix.subarray(0, 5)), [0, 0, 0, 1, 0]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loadGdsc names the file and record of a bad value', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-gdsc-'));
  try {
    writeTinyGdsc(dir);
    writeFileSync(join(dir, 'genomic_features.csv'), ['COSMIC_ID,TISSUE_FACTOR,MSI_FACTOR,BRAF_mut', '100,skin,0,1', '101,lung,0,yes'].join('\n'));
    assert.throws(() => loadGdsc(dir), /genomic_features\.csv record 3: column BRAF_mut is not 0\/1: "yes"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('grouped folds never split a drug group', () => {
  const drug = Int32Array.from([0, 0, 1, 1, 2, 2, 2, 3]);
  const cell = Int32Array.from([0, 1, 0, 1, 0, 1, 2, 0]);
  const prep = { data: { drugs: [{}, {}, {}, {}], cellLines: { cosmicIds: new Int32Array(3) }, pairs: { drug, cell, y: new Float32Array(8) } } } as unknown as Prepared;
  const f = pairFolds(prep, 'unseen-drug', 2, 7);
  for (let p = 0; p < 8; p++) for (let q = 0; q < 8; q++) if (drug[p] === drug[q]) assert.equal(f[p], f[q]);
  const fc = pairFolds(prep, 'unseen-cell-line', 2, 7);
  for (let p = 0; p < 8; p++) for (let q = 0; q < 8; q++) if (cell[p] === cell[q]) assert.equal(fc[p], fc[q]);
  const counts = [0, 0, 0];
  for (const v of assignFolds(9, 3, 1)) counts[v]++;
  assert.deepEqual(counts, [3, 3, 3]);
});

test('metrics: Pearson, Spearman with ties, RMSE, per-group Pearson, conformal quantile', () => {
  assert.ok(Math.abs(pearson([1, 2, 3, 4], [2, 4, 6, 8]) - 1) < 1e-12);
  assert.ok(Math.abs(pearson([1, 2, 3], [3, 2, 1]) + 1) < 1e-12);
  assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])));
  // Monotone but not linear: Spearman 1, Pearson < 1.
  assert.ok(Math.abs(spearman([1, 2, 3, 4], [1, 10, 100, 1000]) - 1) < 1e-12);
  assert.ok(pearson([1, 2, 3, 4], [1, 10, 100, 1000]) < 0.95);
  // Ties get average ranks: [1, 2.5, 2.5, 4] vs [1, 2, 3, 4].
  assert.ok(Math.abs(spearman([1, 2, 2, 3], [1, 2, 3, 4]) - 0.9486832980505138) < 1e-12);
  assert.equal(rmse([1, 2], [1, 4]), Math.sqrt(2));
  const g = meanGroupPearson([1, 2, 3, 3, 2, 1], [1, 2, 3, 1, 2, 3], [0, 0, 0, 1, 1, 1], 3);
  assert.equal(g.groups, 2);
  assert.ok(Math.abs(g.mean) < 1e-12); // +1 and −1
  // n = 9, q = 0.9 → ⌈10 · 0.9⌉ = 9th smallest.
  assert.equal(conformalQuantile([9, 1, 2, 3, 4, 5, 6, 7, 8], 0.9), 9);
  assert.equal(conformalQuantile([5, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19], 0.5), 10);
});
