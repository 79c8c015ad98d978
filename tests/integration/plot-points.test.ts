/**
 * `plots.points` and `plots.columns` through the API on real files: the whole filtered set (not the first rows of a
 * sort), even and deterministic sampling above the budget, counts, columns as arrays, prediction columns of a
 * run joined per structure, and bad column names refused.
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
import type { PlotPoints, RankedRow } from '../../core/api/contract.js';
import { samplePositions } from '../../core/library/points.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-plot-points-'));

describe('plots.points', () => {
  let engine: Engine;
  let api: ApiClient;
  let total: number;
  before(async () => {
    // Every 6th approved drug (≈ 440), with the CSV's own columns (first_approval is a numeric prop:).
    const lines = fs.readFileSync(path.join(ROOT, 'resources/examples/approved_drugs_chembl.csv'), 'utf8').trim().split('\n');
    const file = path.join(tmpdir, 'drugs.csv');
    fs.writeFileSync(file, `${[lines[0], ...lines.slice(1).filter((_, i) => i % 6 === 0)].join('\n')}\n`);
    engine = await createEngine({ projectFile: path.join(tmpdir, 'p.strata'), threads: 2 });
    api = createClient(engine.dispatcher);
    const imp = await api.call('job.wait', await api.call('library.import', { files: [file] }));
    assert.equal(imp.status, 'done');
    total = (await api.call('compounds.count', {})).total;
    assert.ok(total > 300, `${total} compounds`);
  });
  after(async () => {
    await engine?.close();
    fs.rmSync(tmpdir, { recursive: true, force: true });
  });

  const values = (p: PlotPoints, key: string) => p.columns.find((c) => c.key === key)!.values;

  test('under the budget: every compound of the query, in id order, columns as arrays', async () => {
    const p = await api.call('plots.points', { columns: ['amw', 'lipinski_pass', 'prop:first_approval'], budget: 100_000 });
    const ids = (await api.call('compounds.ids', {})).ids.sort((a, b) => a - b);
    assert.deepEqual(p.ids, ids);
    assert.equal(p.total, total);
    assert.equal(p.sampled, total);
    assert.deepEqual(p.columns.map((c) => c.key), ['amw', 'lipinski_pass', 'prop:first_approval']);
    // Values are the library's: compare with compounds.query's rows.
    const page = await api.call('compounds.query', { offset: 0, limit: 5, sort: { column: 'id', dir: 'asc' }, columns: ['prop:first_approval'] });
    for (const [i, r] of page.rows.entries()) {
      assert.equal(p.ids[i], r.id);
      assert.equal(values(p, 'amw')[i], r.values.amw);
      assert.equal(values(p, 'lipinski_pass')[i], r.values.lipinski_pass === null ? null : r.values.lipinski_pass ? 1 : 0);
      assert.equal(values(p, 'prop:first_approval')[i], r.values['prop:first_approval']);
      assert.equal(p.names[i], r.displayName || r.name);
    }
    assert.ok(values(p, 'prop:first_approval').every((v) => v === null || (v > 1900 && v < 2100)));
  });

  test('the filtered set, and the sort of the query does not choose the points', async () => {
    const filters = [{ column: 'amw', op: '<' as const, value: 350 }];
    const p = await api.call('plots.points', { filters, sort: { column: 'QED', dir: 'desc' }, columns: ['amw'], budget: 100_000 });
    const expected = (await api.call('compounds.ids', { filters })).ids.sort((a, b) => a - b);
    assert.equal(p.total, expected.length);
    assert.deepEqual(p.ids, expected);
    assert.ok(values(p, 'amw').every((v) => v !== null && v < 350));
    const s = await api.call('plots.points', { search: 'mab', columns: ['amw'], budget: 100_000 });
    assert.deepEqual(s.ids, (await api.call('compounds.ids', { search: 'mab' })).ids.sort((a, b) => a - b));
  });

  test('above the budget: evenly sampled over the whole set, the same points every time', async () => {
    const budget = 50;
    const a = await api.call('plots.points', { columns: ['QED', 'id'], budget });
    const b = await api.call('plots.points', { columns: ['QED', 'id'], budget });
    assert.deepEqual(a, { ...b, elapsedMs: a.elapsedMs });
    assert.equal(a.total, total);
    assert.equal(a.sampled, budget);
    assert.match(a.sampling, /evenly sampled/);
    const all = (await api.call('compounds.ids', {})).ids.sort((x, y) => x - y);
    assert.deepEqual(a.ids, samplePositions(all.length, budget).map((i) => all[i]));
    // Spread over the whole id range, not the first rows: the last sampled point is in the last 1/budget of the set.
    assert.equal(a.ids[0], all[0]);
    assert.ok(all.indexOf(a.ids.at(-1)!) >= all.length - Math.ceil(all.length / budget));
    assert.deepEqual(values(a, 'id'), a.ids);
    assert.equal(new Set(a.ids).size, budget);
  });

  test('bad columns are refused', async () => {
    for (const column of ['constructor', '__proto__', 'toString', 'prop:__proto__', 'smiles', 'display_name', 'pred:lnIc50:anything', 'nonsense']) {
      await assert.rejects(api.call('plots.points', { columns: [column], budget: 10 }), (e: Error & { code?: string }) => e.code === 'INVALID_INPUT', column);
    }
    await assert.rejects(api.call('plots.points', { columns: [], budget: 10 }), (e: Error & { code?: string }) => e.code === 'INVALID_INPUT');
    await assert.rejects(api.call('plots.points', { columns: ['amw'], budget: 0 }), (e: Error & { code?: string }) => e.code === 'INVALID_INPUT');
  });

  test('prediction columns of a run: per subgroup, joined per compound', async () => {
    const none = await api.call('plots.columns', {});
    assert.equal(none.runId, null);
    assert.ok(none.columns.every((c) => c.type !== 'text' && c.kind !== 'prediction'));
    const st = await api.call('job.wait', await api.call('screen.run', { subgroups: ['BRAF_mut AND tissue=skin'] }));
    assert.equal(st.status, 'done', JSON.stringify(st.error));
    const cols = await api.call('plots.columns', {});
    const label = 'BRAF_mut AND tissue=skin';
    assert.ok(cols.runId !== null);
    assert.deepEqual(cols.columns.filter((c) => c.kind === 'prediction').map((c) => c.key), [`pred:lnIc50:${label}`, `pred:selectivity:${label}`, `pred:pResponse:${label}`]);
    const p = await api.call('plots.points', { columns: ['amw', `pred:lnIc50:${label}`, `pred:selectivity:${label}`, `pred:pResponse:${label}`], budget: 100_000 });
    assert.equal(p.runId, cols.runId);
    const ranked = (await api.call('screen.results', { runId: cols.runId!, subgroup: label, offset: 0, limit: 100_000 })).rows;
    const byId = new Map<number, RankedRow>(ranked.map((r) => [r.compoundId, r]));
    assert.equal(byId.size, total);
    p.ids.forEach((id, i) => {
      const r = byId.get(id)!;
      assert.equal(values(p, `pred:lnIc50:${label}`)[i], r.lnIc50);
      assert.equal(values(p, `pred:selectivity:${label}`)[i], Number.isFinite(r.selectivity) ? r.selectivity : null);
      assert.equal(values(p, `pred:pResponse:${label}`)[i], r.pResponse);
    });
    await assert.rejects(api.call('plots.points', { columns: ['pred:lnIc50:KRAS_mut'], budget: 10 }), /has no subgroup/);
    await assert.rejects(api.call('plots.points', { columns: [`pred:desirability:${label}`], budget: 10 }), /unknown prediction metric/);
    await assert.rejects(api.call('plots.points', { columns: [`pred:lnIc50:${label}`], budget: 10, runId: 999 }), (e: Error & { code?: string }) => e.code === 'NOT_FOUND');
  });
});
