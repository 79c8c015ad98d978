/**
 * Work that persists, through the API on real files: the fields of hidden duplicates (the ChEMBL sample, then
 * the bundled approved drugs, 48 of which are structures the sample had), hit lists (create, add, filter,
 * export, delete), tags, undo of edits, saved view states and the list of stored runs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { createEngine } from '../../core/engine.js';
import type { Engine } from '../../core/engine.js';
import { createClient } from '../../core/api/client.js';
import type { ApiClient } from '../../core/api/client.js';
import type { ImportSummary, ScreenResult } from '../../core/api/contract.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const APPROVED = path.join(ROOT, 'resources/examples/approved_drugs_chembl.csv');
const SAMPLE = path.resolve(ROOT, '../shared/data/libraries/chembl30_sample_a.csv.gz');
const tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-worklists-'));

/**
 * The whole sample (45k records) takes minutes to import on a shared machine; STRATA_FULL_SAMPLE=1 imports it
 * (48 approved drugs are then hidden duplicates). By default: the sample's rows whose ChEMBL id is an approved
 * drug's (33 of the 48) and its first 300 rows, as a file of the sample's own format.
 */
function chemblSample(): string {
  if (process.env.STRATA_FULL_SAMPLE === '1') return SAMPLE;
  const approved = new Set((parse(fs.readFileSync(APPROVED, 'utf8'), { columns: true }) as Record<string, string>[]).map((r) => r.molecule_chembl_id));
  const lines = zlib.gunzipSync(fs.readFileSync(SAMPLE)).toString('utf8').split(/\r?\n/).filter(Boolean);
  const idCol = lines[0].split(',').indexOf('chembl_id');
  const keep = lines.slice(1).filter((l, i) => i < 300 || approved.has(l.split(',')[idCol]));
  const out = path.join(tmpdir, 'chembl30_sample_a.csv');
  fs.writeFileSync(out, `${lines[0]}\n${keep.join('\n')}\n`);
  return out;
}
const CHEMBL = chemblSample();
const CHEMBL_FILE = path.basename(CHEMBL);

async function importFiles(api: ApiClient, files: string[]): Promise<ImportSummary> {
  const state = await api.call('job.wait', await api.call('library.import', { files }));
  assert.equal(state.status, 'done', JSON.stringify(state.error));
  return state.result as ImportSummary;
}

async function ids(api: ApiClient, q: Parameters<ApiClient['call']>[1] & object): Promise<number[]> {
  return (await api.call('compounds.ids', q as never)).ids.sort((a, b) => a - b);
}

describe('ChEMBL sample, then the approved drugs: fields of hidden duplicates', () => {
  let engine: Engine;
  let api: ApiClient;
  let summary: ImportSummary;
  before(async () => {
    engine = await createEngine({ projectFile: path.join(tmpdir, 'dups.strata'), threads: 2 });
    api = createClient(engine.dispatcher);
    await importFiles(api, [CHEMBL]);
    summary = await importFiles(api, [APPROVED]);
  });
  after(async () => engine.close());

  /** Structures (first-occurrence ids) of the approved-drug records, read from the compounds table itself. */
  /** One hidden record per structure (the first by id), so structures are distinct. */
  const distinct = () => hidden().filter((h, i, all) => all.findIndex((x) => x.first === h.first) === i);
  const approvedStructures = () => (engine.db.prepare(`SELECT DISTINCT coalesce(c.duplicate_of, c.id) FROM compounds c JOIN sources s ON s.id = c.source_id
    WHERE s.name = 'approved_drugs_chembl.csv' ORDER BY 1`).pluck().all() as number[]);
  const hidden = () => engine.db.prepare(`SELECT c.id, c.duplicate_of AS first, c.name FROM compounds c JOIN sources s ON s.id = c.source_id JOIN compounds f ON f.id = c.duplicate_of
    JOIN sources fs ON fs.id = f.source_id WHERE s.name = 'approved_drugs_chembl.csv' AND fs.name = ? ORDER BY c.id`).all(CHEMBL_FILE) as { id: number; first: number; name: string }[];

  test('approved drugs that are duplicates of sample structures (48 with the whole sample): a filter on their fields finds every one', async () => {
    if (CHEMBL === SAMPLE) assert.equal(hidden().length, 48);
    else assert.ok(hidden().length >= 20, `${hidden().length} hidden duplicates in the reduced sample`);
    assert.ok(summary.duplicates >= 48, `${summary.duplicates}`);
    const found = await ids(api, { filters: [{ column: 'prop:first_approval', op: 'not-null' }] });
    assert.deepEqual(found, approvedStructures());
    for (const h of hidden()) assert.ok(found.includes(h.first), `${h.name} (first occurrence ${h.first}) is found by its own field`);
    // The count agrees with the rows.
    assert.equal((await api.call('compounds.count', { filters: [{ column: 'prop:first_approval', op: 'not-null' }] })).total, found.length);
  });

  test('sort and quick search see a duplicate\'s fields; the grid row shows them', async () => {
    const h = hidden()[0];
    const pref = engine.db.prepare("SELECT value FROM properties WHERE compound_id = ? AND name = 'pref_name'").pluck().get(h.id) as string;
    assert.ok(pref, 'the approved record has a pref_name');
    const hit = await ids(api, { search: pref });
    assert.ok(hit.includes(h.first), `quick search '${pref}' finds the structure`);
    const page = await api.call('compounds.query', { filters: [{ column: 'id', op: '=', value: h.first }], offset: 0, limit: 1, columns: ['prop:pref_name', 'prop:molecule_type'] });
    assert.equal(page.rows[0].name, engine.db.prepare('SELECT name FROM compounds WHERE id = ?').pluck().get(h.first), 'the row is the sample\'s record');
    assert.equal(page.rows[0].values['prop:pref_name'], pref);
    assert.ok(page.rows[0].values['prop:molecule_type'], 'every field of the duplicate');
    const years = await api.call('compounds.query', { filters: [{ column: 'prop:first_approval', op: 'not-null' }], sort: { column: 'prop:first_approval', dir: 'desc' }, offset: 0, limit: 100_000, columns: ['prop:first_approval'] });
    assert.equal(years.total, approvedStructures().length);
    const vals = years.rows.map((r) => Number(r.values['prop:first_approval']));
    assert.deepEqual(vals, [...vals].sort((a, b) => b - a));
  });

  test('the compound page lists the union of its records\' fields, each with its record', async () => {
    const h = hidden()[0];
    const d = await api.call('compounds.get', { id: h.first });
    // The sample's records carry no field beyond SMILES and id; every approved record of the structure is listed.
    const records = hidden().filter((x) => x.first === h.first).map((x) => x.id);
    assert.deepEqual([...new Set(d.fields.map((f) => f.compoundId))].sort((a, b) => a - b), records);
    assert.ok(d.fields.every((f) => f.file === 'approved_drugs_chembl.csv'));
    const own = d.fields.filter((f) => f.name === 'pref_name' && f.compoundId === h.id);
    assert.equal(own.length, 1);
    assert.equal(own[0].value, engine.db.prepare("SELECT value FROM properties WHERE compound_id = ? AND name = 'pref_name'").pluck().get(h.id));
    assert.equal(own[0].shown, true, 'the first record carrying a field is the one filters use');
    assert.equal(d.fields.filter((f) => f.shown).length, 3, 'one shown value per field');
    assert.ok(d.duplicates.includes(h.id), 'the duplicate record stays one click away');
    // The duplicate's own page lists the same union.
    const dd = await api.call('compounds.get', { id: h.id });
    assert.deepEqual(dd.fields, d.fields);
  });

  test('structure_props holds, for each structure and field, the first record carrying it', () => {
    const want = engine.db.prepare(`SELECT coalesce(c.duplicate_of, c.id) AS s, p.name, min(p.compound_id) AS rec FROM properties p JOIN compounds c ON c.id = p.compound_id GROUP BY 1, 2 ORDER BY 1, 2`).all();
    const got = engine.db.prepare('SELECT structure_id AS s, name, compound_id AS rec FROM structure_props ORDER BY 1, 2').all();
    assert.equal(got.length, want.length);
    assert.deepEqual(got, want);
  });

  test('hit list round trip: create, add (a duplicate stands for its structure), filter, export, remove, undo, delete, undo', async () => {
    const h = distinct().slice(0, 3);
    const list = await api.call('hitlists.create', { name: 'Leads' });
    await assert.rejects(api.call('hitlists.create', { name: 'leads' }), /EXISTS|exists already/);
    const added = await api.call('hitlists.add', { id: list.id, ids: [h[0].id, h[1].first, h[2].first, h[2].id] });
    assert.deepEqual(added, { changed: 3, members: 3 });
    const members = h.map((x) => x.first).sort((a, b) => a - b);
    assert.deepEqual(await ids(api, { hitList: list.id }), members);
    // With duplicates listed, every record of a member structure.
    const records = engine.db.prepare(`SELECT id FROM compounds WHERE coalesce(duplicate_of, id) IN (${members.join(',')}) ORDER BY id`).pluck().all() as number[];
    assert.ok(records.length > members.length);
    assert.deepEqual(await ids(api, { hitList: list.id, includeDuplicates: true }), records);
    await assert.rejects(api.call('hitlists.add', { id: list.id, ids: [999_999_999] }), /no compound with id 999999999/);
    assert.equal((await api.call('hitlists.list', {}))[0].members, 3, 'a refused add changes nothing');

    const out = path.join(tmpdir, 'leads.csv');
    const st = await api.call('job.wait', await api.call('export.write', { out, query: { hitList: list.id } }));
    assert.equal(st.status, 'done', JSON.stringify(st.error));
    const rows = parse(fs.readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    assert.deepEqual(rows.map((r) => Number(r.id)).sort((a, b) => a - b), members);

    await api.call('hitlists.remove', { id: list.id, ids: [h[0].first] });
    assert.deepEqual(await ids(api, { hitList: list.id }), members.filter((m) => m !== h[0].first));
    const undone = await api.call('edits.undo', {});
    assert.match(undone.undone?.label ?? '', /removed 1 structure from 'Leads'/);
    assert.deepEqual(await ids(api, { hitList: list.id }), members);

    assert.equal((await api.call('compounds.get', { id: h[1].first })).hitLists[0]?.name, 'Leads');
    await api.call('hitlists.delete', { id: list.id });
    assert.equal((await api.call('hitlists.list', {})).length, 0);
    await api.call('edits.undo', {});
    assert.deepEqual((await api.call('hitlists.list', {})).map((l) => [l.name, l.members]), [['Leads', 3]]);
    assert.deepEqual(await ids(api, { hitList: list.id }), members);
  });

  test('tags on structures, a tag filter, and undo of tags and annotations in order', async () => {
    const h = distinct()[3];
    const before = engine.db.prepare('SELECT targets, target_pathway FROM compounds WHERE id IN (?, ?) ORDER BY id').all(h.first, h.id);
    await api.call('compounds.tag', { ids: [h.id], add: ['kinase', 'review'] });
    assert.deepEqual((await api.call('compounds.get', { id: h.first })).tags, ['kinase', 'review']);
    assert.deepEqual(await ids(api, { tag: 'review' }), [h.first]);
    await api.call('compounds.annotate', { ids: [h.first], targets: 'MEK1/2' });
    assert.equal((await api.call('compounds.get', { id: h.first })).targets, 'MEK1, MEK2');
    const log = await api.call('edits.list', {});
    assert.match(log[0].label, /declared targets of 1 structure/);
    assert.match(log[1].label, /tagged 'kinase', 'review'/);
    await api.call('edits.undo', {});
    assert.deepEqual(engine.db.prepare('SELECT targets, target_pathway FROM compounds WHERE id IN (?, ?) ORDER BY id').all(h.first, h.id), before);
    await api.call('edits.undo', {});
    assert.deepEqual((await api.call('compounds.get', { id: h.first })).tags, []);
    assert.deepEqual(await ids(api, { tag: 'review' }), []);
    assert.deepEqual(await api.call('tags.list', {}), []);
  });

  test('show selected only: the query keeps its sort and filters, restricted to the given ids', async () => {
    const sel = distinct().slice(0, 5).map((x) => x.first);
    const got = await ids(api, { ids: sel, filters: [{ column: 'prop:first_approval', op: 'not-null' }] });
    assert.deepEqual(got, [...sel].sort((a, b) => a - b));
    assert.deepEqual(await ids(api, { ids: sel, filters: [{ column: 'amw', op: '<', value: 0 }] }), []);
  });

  test('saved view states: a short content id, the same state gives the same id, the newest is the default', async () => {
    const a = { view: 'library', query: { sort: { column: 'QED', dir: 'desc' as const }, search: 'tinib' }, selection: [1, 2, 3], runId: null };
    const b = { view: 'ranking', query: {}, selection: [], runId: 7 };
    const ida = await api.call('ui.saveState', { state: a });
    assert.match(ida.id, /^[0-9a-f]{12}$/);
    const idb = await api.call('ui.saveState', { state: b });
    assert.notEqual(idb.id, ida.id);
    assert.deepEqual(await api.call('ui.loadState', { id: ida.id }), { id: ida.id, state: a });
    assert.deepEqual((await api.call('ui.loadState', {}))?.state, b);
    assert.deepEqual(await api.call('ui.saveState', { state: a }), ida);
    assert.deepEqual((await api.call('ui.loadState', {}))?.state, a, 'saving it again makes it the newest');
    assert.equal(await api.call('ui.loadState', { id: 'abcdef123456' }), null);
    await assert.rejects(api.call('ui.loadState', { id: '../x' }), /INVALID_INPUT|Invalid/);
  });
});

describe('stored runs', () => {
  test('screen.runs lists complete runs newest first, in the shape screen.run finished with', async () => {
    const engine = await createEngine({ projectFile: path.join(tmpdir, 'runs.strata'), threads: 2 });
    try {
      const api = createClient(engine.dispatcher);
      const small = path.join(tmpdir, 'small.csv');
      fs.writeFileSync(small, fs.readFileSync(APPROVED, 'utf8').split('\n').slice(0, 41).join('\n') + '\n');
      await importFiles(api, [small]);
      assert.deepEqual(await api.call('screen.runs', {}), []);
      const results: ScreenResult[] = [];
      for (const rule of ['BRAF_mut AND tissue=skin', 'KRAS_mut']) {
        const st = await api.call('job.wait', await api.call('screen.run', { subgroups: [rule] }));
        assert.equal(st.status, 'done', JSON.stringify(st.error));
        results.push(st.result as ScreenResult);
      }
      const runs = await api.call('screen.runs', {});
      assert.deepEqual(runs.map((r) => r.runId), results.map((r) => r.runId).reverse());
      for (const r of runs) {
        const want = results.find((x) => x.runId === r.runId)!;
        assert.equal(r.status, 'complete');
        assert.deepEqual(r.subgroups.map((g) => [g.rule, g.members]), want.subgroups.map((g) => [g.rule, g.members]));
        assert.deepEqual(r.weights, want.weights);
        assert.equal(r.modelSha256, want.modelSha256);
        assert.equal(r.compounds, want.compounds);
        // The stored label answers screen.results, as the finished result's does.
        assert.ok((await api.call('screen.results', { runId: r.runId, subgroup: r.subgroups[0].rule, offset: 0, limit: 5 })).rows.length > 0);
      }
    } finally {
      await engine.close();
    }
  });
});
