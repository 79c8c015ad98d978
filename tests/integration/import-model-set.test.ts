/**
 * The model set (`library.import` `descriptors: 'model'`, what `strata shard plan --descriptors model`
 * runs): the worker leaves out only what screening and ranking never read — the substructure-screen
 * fingerprint — and every other output is the full set's. The project stays exact: SMARTS search
 * screens a compound without a screen fingerprint by RDKit alone, and the project's backfill computes
 * the missing fingerprints (the full set's bytes) when it is opened again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createClient } from '../../core/api/client.js';
import { ChemEngine } from '../../core/chem/engine.js';
import { SCREEN_FP_BYTES } from '../../core/chem/screen-fp.js';
import type { ChemBatchOutput } from '../../core/chem/types.js';
import { createEngine } from '../../core/engine.js';
import type { Engine } from '../../core/engine.js';

const DATA = path.resolve(import.meta.dirname, '../../../shared/data/libraries');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-model-set-'));

/** Approved drugs (salts, charges) and the first 1,000 MOSES SMILES, plus two records RDKit refuses. */
function records(): string[] {
  const drugs = fs.readFileSync(path.join(DATA, 'approved_drugs_chembl.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').at(-1)!);
  const moses = zlib.gunzipSync(fs.readFileSync(path.join(DATA, 'moses_test.csv.gz'))).toString('utf8').split('\n').slice(1, 1001);
  return [...drugs, ...moses, 'C1CC(', 'c1cccc1'].filter((s) => s.trim());
}

async function importProject(file: string, descriptors: 'all' | 'model'): Promise<Engine> {
  const engine = await createEngine({ projectFile: path.join(tmp, `${descriptors}.strata`), threads: 2 });
  const api = createClient(engine.dispatcher);
  const st = await api.call('job.wait', await api.call('library.import', { files: [file], descriptors }));
  assert.equal(st.status, 'done', JSON.stringify(st.error));
  return engine;
}

describe('model set', () => {
  let input: string;
  before(() => {
    input = path.join(tmp, 'lib.smi');
    fs.writeFileSync(input, `${records().map((s, i) => `${s}\tr${i + 1}`).join('\n')}\n`);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('the worker computes everything but the screen fingerprint, with the same values', async () => {
    const engine = await ChemEngine.create();
    const texts = records();
    const molblock = new Uint8Array(texts.length);
    const all: ChemBatchOutput = await engine.processBatch({ texts, molblock });
    const model: ChemBatchOutput = await engine.processBatch({ texts, molblock, set: 'model' });
    assert.equal(all.screenFps.length, texts.length * SCREEN_FP_BYTES);
    assert.ok(all.screenFps.some((b) => b !== 0));
    assert.equal(model.screenFps.length, 0);
    assert.equal(engine.stats.liveObjects, 0);
    for (const k of ['ok', 'descriptors', 'flags', 'fingerprints', 'heavyAtoms'] as const) assert.deepEqual(model[k], all[k], k);
    for (const k of ['error', 'originalSmiles', 'parentSmiles', 'identity', 'standardisation', 'alerts'] as const) assert.deepEqual(model[k], all[k], k);
    assert.equal(all.ok.filter((x) => x === 0).length, 2, 'the two broken records fail in both sets');
    assert.ok(all.alerts.some((a) => a && a.length > 0), 'some records match a structural alert');
  });

  test('an import of the model set stores no screen fingerprints, searches the same, and gets them back on reopening', async () => {
    const full = await importProject(input, 'all');
    let model = await importProject(input, 'model');
    try {
      const screens = (e: Engine) => e.db.prepare('SELECT f.screen FROM fingerprints f JOIN compounds c ON c.id = f.compound_id ORDER BY c.id').pluck().all() as (Buffer | null)[];
      assert.ok(screens(model).every((s) => s === null));
      assert.ok(screens(full).every((s) => s !== null && s.length === SCREEN_FP_BYTES));
      const descriptors = (e: Engine) => e.db.prepare('SELECT * FROM descriptors ORDER BY compound_id').raw().all();
      assert.deepEqual(descriptors(model), descriptors(full));
      const hits = async (e: Engine, smarts: string) => {
        const api = createClient(e.dispatcher);
        return (await api.call('compounds.ids', { substructure: smarts, limit: 100_000 })).ids;
      };
      for (const q of ['c1ccncc1', 'C(=O)N', '[NX3;H2]c']) {
        const want = await hits(full, q);
        assert.ok(want.length > 0, q);
        assert.deepEqual(await hits(model, q), want, q);
      }
      await model.close();
      model = await createEngine({ projectFile: path.join(tmp, 'model.strata'), threads: 2 });
      await createClient(model.dispatcher).call('compounds.ids', { substructure: 'c1ccncc1', limit: 10 }); // waits for the backfill
      assert.deepEqual(screens(model), screens(full));
    } finally {
      await full.close();
      await model.close();
    }
  });
});
