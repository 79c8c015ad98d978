/**
 * `strata predict --panel` with a VCF: the same conversion as `strata panel import`, so predicting on
 * the VCF and on the CSV `panel import` wrote from it gives the same rows (real processes, shipped model).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { PREDICT_HEADER } from '../../core/screen/predict-file.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FIX = path.join(ROOT, 'tests/fixtures/panel');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-panel-predict-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function strata(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/strata.mjs'), ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, `strata ${args.join(' ')}\n${r.stderr}`);
  return r;
}

test('predict --panel VCF --samples sheet equals predict on the converted CSV', () => {
  const cpds = path.join(tmp, 'cpds.smi');
  fs.writeFileSync(cpds, 'CC(C)(C)c1nc(-c2cccc(NS(=O)(=O)c3c(F)cccc3F)c2F)c(-c2ccnc(N)n2)s1 dabrafenib\nCC(=O)Oc1ccccc1C(=O)O aspirin\n');
  const vcf = path.join(FIX, 'vep_three_samples.vcf');
  // The three samples of the VCF (the fixture sheet also lists samples of other files, which would be written too).
  const sheet = path.join(tmp, 'sheet.csv');
  fs.writeFileSync(sheet, 'sample,tissue,msi\nTUMOR_A,skin,MSS\nTUMOR_B,lung_NSCLC,MSS\nTUMOR_C,large_intestine,MSI-H\n');
  const direct = path.join(tmp, 'direct.csv');
  const r = strata('predict', '--compounds', cpds, '--panel', vcf, '--samples', sheet, '--out', direct, '--quiet');
  assert.match(r.stdout, /wrote 6 predictions \(2 compounds × 3 samples\)/);
  // The conversion's findings reach the user: the gene the panel does not know, the features it lacks.
  assert.match(r.stdout, /OR4F5/);
  assert.match(r.stdout, /reference feature\(s\) are missing and are taken as 0/);

  const panel = path.join(tmp, 'panel.csv');
  strata('panel', 'import', vcf, '--samples', sheet, '--out', panel);
  const viaCsv = path.join(tmp, 'via-csv.csv');
  strata('predict', '--compounds', cpds, '--panel', panel, '--out', viaCsv, '--quiet');

  const a = fs.readFileSync(direct, 'utf8').trim().split('\n');
  const b = fs.readFileSync(viaCsv, 'utf8').trim().split('\n');
  assert.equal(a[0], [...PREDICT_HEADER, 'p_response'].join(','));
  assert.deepEqual(a.slice(1).map((l) => l.split(',').slice(0, 2).join(',')), ['dabrafenib,TUMOR_A', 'dabrafenib,TUMOR_B', 'dabrafenib,TUMOR_C', 'aspirin,TUMOR_A', 'aspirin,TUMOR_B', 'aspirin,TUMOR_C']);
  assert.deepEqual(a, b);
  // Genotype and tissue reach the model: the samples do not all get one number.
  const dab = a.slice(1, 4).map((l) => Number(l.split(',')[2]));
  assert.ok(new Set(dab).size > 1, `dabrafenib predictions differ by sample: ${dab.join(', ')}`);
});
