import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine } from '../../core/engine.js';
import { createClient, ApiCallError } from '../../core/api/client.js';

const invalid = (e: unknown) => e instanceof ApiCallError && e.code === 'INVALID_INPUT';

test('settings.get/set: stored per project, survive reopening; bad keys and oversized values are refused', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'strata-settings-')), 'p.strata');
  let engine = await createEngine({ projectFile: file, threads: 1 });
  let api = createClient(engine.dispatcher);
  try {
    assert.deepEqual(await api.call('settings.get', { key: 'grid.library' }), { key: 'grid.library', value: null });
    const grid = { widths: { amw: 120, _structure: 210 }, order: ['QED', 'amw'], rowSize: 'L' };
    assert.deepEqual(await api.call('settings.set', { key: 'grid.library', value: grid }), { key: 'grid.library' });
    assert.deepEqual((await api.call('settings.get', { key: 'grid.library' })).value, grid);
    await api.call('settings.set', { key: 'grid.ranking', value: 3 });
    assert.equal((await api.call('settings.get', { key: 'grid.ranking' })).value, 3);
    // Overwrite, then the other key is untouched.
    await api.call('settings.set', { key: 'grid.library', value: { rowSize: 'S' } });
    assert.deepEqual((await api.call('settings.get', { key: 'grid.library' })).value, { rowSize: 'S' });

    for (const key of ['', 'Grid.Library', '../x', 'grid library', 'grid.', '.grid', 'grid..x', `g${'x'.repeat(100)}`, 'grid.library\n']) {
      await assert.rejects(api.call('settings.set', { key, value: 1 }), invalid, `key ${JSON.stringify(key)}`);
      await assert.rejects(api.call('settings.get', { key }), invalid, `key ${JSON.stringify(key)}`);
    }
    await assert.rejects(api.call('settings.set', { key: 'grid.big', value: 'x'.repeat(70 * 1024) }), invalid);
    await assert.rejects(api.call('settings.set', { key: 'grid.big', value: { a: Array.from({ length: 20_000 }, (_, i) => `col${i}`) } }), invalid);
    await assert.rejects(api.call('settings.set', { key: 'grid.big' } as never), invalid);
    await assert.rejects(api.call('settings.set', { key: 'grid.big', value: 1, extra: true } as never), invalid);
    assert.equal((await api.call('settings.get', { key: 'grid.big' })).value, null, 'nothing refused was stored');
    // Just under the limit is fine.
    await api.call('settings.set', { key: 'grid.big', value: 'x'.repeat(60 * 1024) });
    assert.equal(((await api.call('settings.get', { key: 'grid.big' })).value as string).length, 60 * 1024);
    // null removes.
    await api.call('settings.set', { key: 'grid.big', value: null });
    assert.equal((await api.call('settings.get', { key: 'grid.big' })).value, null);
    assert.equal(engine.db.prepare("SELECT count(*) FROM settings WHERE key = 'grid.big'").pluck().get(), 0);

    await engine.close();
    engine = await createEngine({ projectFile: file, threads: 1 });
    api = createClient(engine.dispatcher);
    assert.deepEqual((await api.call('settings.get', { key: 'grid.library' })).value, { rowSize: 'S' });
    assert.equal((await api.call('settings.get', { key: 'grid.ranking' })).value, 3);
  } finally {
    await engine.close();
  }
});

test('settings on a read-only project: read, not written', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'strata-settings-ro-')), 'p.strata');
  const rw = await createEngine({ projectFile: file, threads: 1 });
  await createClient(rw.dispatcher).call('settings.set', { key: 'grid.library', value: { rowSize: 'M' } });
  await rw.close();
  const ro = await createEngine({ projectFile: file, threads: 1, readOnly: true });
  const api = createClient(ro.dispatcher);
  try {
    assert.deepEqual((await api.call('settings.get', { key: 'grid.library' })).value, { rowSize: 'M' });
    await assert.rejects(api.call('settings.set', { key: 'grid.library', value: 1 }), (e: unknown) => e instanceof ApiCallError && e.code === 'READ_ONLY');
  } finally {
    await ro.close();
  }
});
