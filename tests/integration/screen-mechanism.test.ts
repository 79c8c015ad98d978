/**
 * Screening with the shipped model's mechanism transfer (API, real project): the same structure imported twice,
 * once declared a MEK1/2 inhibitor, ranks as more BRAF-mutant-selective, carries evidence `target`, and its
 * selectivity gets the target tier's calibrated interval; the undeclared copy stays `structure` with that tier's
 * interval. The subgroup mean's bounds are the tier's aggregate half-width.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine } from '../../core/engine.js';
import type { Engine } from '../../core/engine.js';
import { createClient } from '../../core/api/client.js';
import type { ApiClient } from '../../core/api/client.js';
import type { ScreenResult } from '../../core/api/contract.js';

const tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-screen-mech-'));
const MODEL = path.resolve(import.meta.dirname, '../../models/gdsc-twotower-v1/mechanism.json');
let engine: Engine;
let api: ApiClient;

before(async () => {
  engine = await createEngine({ projectFile: path.join(tmpdir, 'p.strata'), threads: 2 });
  api = createClient(engine.dispatcher);
  // Two spellings of one made-up structure (so neither is a duplicate of the other), one declared, one not.
  const lib = path.join(tmpdir, 'lib.csv');
  fs.writeFileSync(lib, ['name,smiles,targets,target_pathway', 'declared,O=C(Nc1ccc(F)cc1)c1ccc(Cl)cc1N1CCOCC1,MEK1/2,ERK MAPK signaling', 'plain,O=C(Nc1ccc(F)cc1)c1ccc(Cl)cc1N1CCCCC1,,', ''].join('\n'));
  const st = await api.call('job.wait', await api.call('library.import', { files: [lib] }));
  assert.equal(st.status, 'done', JSON.stringify(st.error));
});

after(async () => {
  await engine.close();
  fs.rmSync(tmpdir, { recursive: true, force: true });
});

test('screen: a declared MEK inhibitor is BRAF-mutant selective with the target tier\'s intervals; the undeclared analogue is not', async () => {
  const { jobId } = await api.call('screen.run', { subgroups: ['BRAF_mut'] });
  const st = await api.call('job.wait', { jobId });
  assert.equal(st.status, 'done', JSON.stringify(st.error));
  const run = st.result as ScreenResult;
  const page = await api.call('screen.results', { runId: run.runId, subgroup: run.subgroups[0].rule, offset: 0, limit: 10 });
  const byName = new Map(page.rows.map((r) => [r.name, r]));
  const d = byName.get('declared')!;
  const p = byName.get('plain')!;
  assert.equal(d.evidence, 'target');
  assert.equal(p.evidence, 'structure');
  assert.ok(d.selectivity > p.selectivity + 0.3, `BRAF_mut selectivity declared ${d.selectivity.toFixed(2)} vs plain ${p.selectivity.toFixed(2)}`);
  const iv = (JSON.parse(fs.readFileSync(MODEL, 'utf8')) as { intervals: Record<'aggregate' | 'selectivity', Record<string, number>> }).intervals;
  for (const [r, tier] of [[d, 'target'], [p, 'structure']] as const) {
    assert.ok(r.selectivityLow != null && r.selectivityHigh != null, 'the selectivity has an interval');
    assert.ok(Math.abs((r.selectivityHigh - r.selectivityLow) / 2 - iv.selectivity[tier]) < 1e-6, `${r.name}: selectivity half-width of the ${tier} tier`);
    assert.ok(Math.abs((r.lnIc50High - r.lnIc50Low) / 2 - iv.aggregate[tier]) < 1e-4, `${r.name}: subgroup-mean half-width of the ${tier} tier`);
  }
});
