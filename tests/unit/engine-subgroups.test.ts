import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine } from '../../core/engine.js';
import { createClient, ApiCallError } from '../../core/api/client.js';

test('subgroups through the API: catalogue, preview, save (normalised), list, delete, bad rule', async () => {
  const engine = await createEngine({ projectFile: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'strata-sg-')), 'p.strata') });
  const api = createClient(engine.dispatcher);
  try {
    const cat = await api.call('subgroups.catalogue', {});
    assert.ok(cat.features.some((f) => f.name === 'BRAF_mut' && f.prevalence > 0 && f.prevalence < 1));
    const prev = await api.call('subgroups.preview', { rule: 'BRAF_mut and tissue=skin' });
    assert.ok(prev.members > 0 && prev.members + prev.complement === prev.total);
    const saved = await api.call('subgroups.save', { name: 'BRAF melanoma', rule: 'BRAF_mut and tissue=skin' });
    assert.equal(saved.rule, prev.normalised);
    assert.deepEqual((await api.call('subgroups.list', {})).map((s) => s.name), ['BRAF melanoma']);
    // A saved name previews like its rule.
    assert.equal((await api.call('subgroups.preview', { rule: 'BRAF melanoma' })).members, prev.members);
    await assert.rejects(api.call('subgroups.save', { name: 'bad', rule: 'BRAF AND' }), (e: unknown) => e instanceof ApiCallError && e.code === 'BAD_RULE');
    assert.deepEqual((await api.call('subgroups.list', {})).length, 1);
    assert.equal((await api.call('subgroups.delete', { name: 'BRAF melanoma' })).deleted, true);
    assert.equal((await api.call('subgroups.list', {})).length, 0);
    const log = await api.call('project.provenance', { offset: 0, limit: 10 });
    assert.deepEqual(log.rows.map((r) => r.operation), ['subgroups.delete', 'subgroups.save']);
  } finally {
    await engine.close();
  }
});
