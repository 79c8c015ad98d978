/**
 * compounds.add (the structure editor's "Draw a compound"): one structure entered by hand goes through the
 * import's pipeline — the same parent, descriptors, flags, alerts and fingerprint as the same SMILES imported
 * from a file — is a duplicate when its structure is already there, and a SMILES RDKit cannot read stores nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine } from '../../core/engine.js';
import type { Engine } from '../../core/engine.js';
import { createClient } from '../../core/api/client.js';
import type { ApiClient } from '../../core/api/client.js';

const tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-add-'));
// A salt form: standardisation keeps the largest organic fragment and neutralises it.
const SALT = 'CC(=O)Oc1ccccc1C(=O)[O-].[Na+]';

describe('compounds.add', () => {
  let drawnEngine: Engine;
  let drawn: ApiClient;
  let importedEngine: Engine;
  let imported: ApiClient;
  before(async () => {
    drawnEngine = await createEngine({ projectFile: path.join(tmpdir, 'drawn.strata'), threads: 1 });
    drawn = createClient(drawnEngine.dispatcher);
    importedEngine = await createEngine({ projectFile: path.join(tmpdir, 'imported.strata'), threads: 1 });
    imported = createClient(importedEngine.dispatcher);
    const file = path.join(tmpdir, 'one.smi');
    fs.writeFileSync(file, `${SALT} X1\n`);
    const state = await imported.call('job.wait', await imported.call('library.import', { files: [file] }));
    assert.equal(state.status, 'done', JSON.stringify(state.error));
  });
  after(async () => {
    await drawnEngine.close();
    await importedEngine.close();
    fs.rmSync(tmpdir, { recursive: true, force: true });
  });

  test('a drawn compound is stored as the imported one is: parent, descriptors, flags, fingerprint; named as given', async () => {
    const r = await drawn.call('compounds.add', { smiles: SALT, name: '  aspirin sodium ' });
    assert.equal(r.duplicateOf, null);
    const a = await drawn.call('compounds.get', { id: r.id });
    const b = await imported.call('compounds.get', { id: 1 });
    assert.equal(a.displayName, 'aspirin sodium');
    assert.equal(a.name, null);
    assert.equal(a.smiles, 'CC(=O)Oc1ccccc1C(=O)O');
    assert.equal(a.smiles, b.smiles);
    assert.deepEqual(a.standardisation, b.standardisation);
    assert.ok(a.standardisation.length > 0);
    assert.deepEqual(a.descriptors, b.descriptors);
    assert.ok(Object.keys(a.descriptors).length > 30);
    assert.deepEqual(a.flags, b.flags);
    assert.deepEqual(a.alerts, b.alerts);
    assert.equal(a.source.file, 'drawn by hand');
    const fp = (e: Engine, id: number) => e.db.prepare('SELECT morgan FROM fingerprints WHERE compound_id = ?').pluck().get(id) as Buffer;
    assert.ok(fp(drawnEngine, r.id).equals(fp(importedEngine, 1)));
    // Found by the searches like any compound.
    assert.equal((await drawn.call('compounds.count', { substructure: 'c1ccccc1C(=O)O' })).total, 1);
    assert.equal((await drawn.call('compounds.count', { search: 'aspirin' })).total, 1);
    const prov = await drawn.call('project.provenance', { offset: 0, limit: 10 });
    assert.ok(prov.rows.some((p) => p.operation === 'compounds.add'));
  });

  test('the same structure again (written differently) is a duplicate of the first, and is stored', async () => {
    const before = (await drawn.call('compounds.count', { includeDuplicates: true })).total;
    const first = (await drawn.call('compounds.query', { offset: 0, limit: 1, search: 'aspirin' })).rows[0].id;
    const r = await drawn.call('compounds.add', { smiles: 'OC(=O)c1ccccc1OC(C)=O' });
    assert.equal(r.duplicateOf, first);
    assert.equal((await drawn.call('compounds.count', { includeDuplicates: true })).total, before + 1);
    assert.equal((await drawn.call('compounds.count', {})).total, 1);
  });

  test('a SMILES RDKit cannot read, or none, is refused and stores nothing', async () => {
    const before = (await drawn.call('compounds.count', { includeDuplicates: true })).total;
    for (const smiles of ['C1CC', 'c1cccc1', '   ']) {
      await assert.rejects(drawn.call('compounds.add', { smiles }), (e: { code?: string }) => e.code === 'INVALID_INPUT', smiles);
    }
    assert.equal((await drawn.call('compounds.count', { includeDuplicates: true })).total, before);
    const sources = drawnEngine.db.prepare("SELECT count(*) FROM sources WHERE path = '(drawn)'").pluck().get();
    assert.equal(sources, 2);
  });
});
