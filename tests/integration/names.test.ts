/**
 * Compound names end to end through the API on real files: the bundled ChEMBL example's pref_name as the
 * display name, SDF name fields, --name-column, quick search over name, id and text properties, the compound
 * page, ranked rows and the heatmap, every export format, and a project made before names existed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { createEngine } from '../../core/engine.js';
import type { Engine } from '../../core/engine.js';
import { createClient } from '../../core/api/client.js';
import type { ApiClient } from '../../core/api/client.js';
import type { ImportSummary, ScreenResult } from '../../core/api/contract.js';
import { MIGRATIONS } from '../../core/store/migrations/index.js';
import { APPLICATION_ID } from '../../core/store/db.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const EXAMPLE = path.join(ROOT, 'resources/examples/approved_drugs_chembl.csv');
const DATA = path.resolve(ROOT, '../shared/data');
const tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-names-'));

async function importFiles(api: ApiClient, files: string[], extra: Record<string, unknown> = {}): Promise<ImportSummary> {
  const state = await api.call('job.wait', await api.call('library.import', { files, ...extra }));
  assert.equal(state.status, 'done', JSON.stringify(state.error));
  return state.result as ImportSummary;
}

/** The example file's rows, read independently of Strata's reader. */
const exampleRows = () => parse(fs.readFileSync(EXAMPLE, 'utf8'), { columns: true }) as Record<string, string>[];

describe('display names', () => {
  let engine: Engine;
  let api: ApiClient;
  let summary: ImportSummary;
  const idOf = (ext: string) => engine.db.prepare('SELECT id FROM compounds WHERE name = ? ORDER BY id LIMIT 1').pluck().get(ext) as number;
  before(async () => {
    engine = await createEngine({ projectFile: path.join(tmpdir, 'names.strata'), threads: 2 });
    api = createClient(engine.dispatcher);
    summary = await importFiles(api, [EXAMPLE]);
  });
  after(async () => engine.close());

  test('the bundled example: every record\'s pref_name is its display name, the ChEMBL id stays its id', async () => {
    assert.equal(summary.failed, 0);
    const stored = new Map((engine.db.prepare('SELECT name, display_name FROM compounds').all() as { name: string; display_name: string | null }[]).map((r) => [r.name, r.display_name]));
    let checked = 0;
    for (const r of exampleRows()) {
      if (!stored.has(r.molecule_chembl_id)) continue;
      assert.equal(stored.get(r.molecule_chembl_id), r.pref_name.trim() || null, r.molecule_chembl_id);
      checked++;
    }
    assert.ok(checked > 2000, `${checked}`);
    const page = await api.call('compounds.query', { filters: [{ column: 'name', op: '=', value: 'CHEMBL1614701' }], offset: 0, limit: 5 });
    assert.equal(page.rows.length, 1);
    assert.equal(page.rows[0].displayName, 'SELUMETINIB');
    assert.equal(page.rows[0].name, 'CHEMBL1614701');
    const detail = await api.call('compounds.get', { id: page.rows[0].id });
    assert.equal(detail.displayName, 'SELUMETINIB');
    const cols = await api.call('compounds.columns', {});
    assert.equal(cols.find((c) => c.key === 'display_name')?.label, 'Name');
  });

  test('display_name sorts and filters like any text column', async () => {
    const page = await api.call('compounds.query', { sort: { column: 'display_name', dir: 'asc' }, filters: [{ column: 'display_name', op: 'not-null' }], offset: 0, limit: 50 });
    const names = page.rows.map((r) => r.displayName!);
    assert.equal(names.length, 50);
    assert.deepEqual(names, [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });

  test('quick search: name, id and text properties, case-insensitive substring; % and _ are literal', async () => {
    const search = async (s: string) => (await api.call('compounds.query', { search: s, offset: 0, limit: 100 }));
    const vem = await search('vemuraf');
    assert.deepEqual(vem.rows.map((r) => r.name), ['CHEMBL1229517']);
    assert.equal(vem.total, 1);
    assert.deepEqual((await search('chembl1614701')).rows.map((r) => r.displayName), ['SELUMETINIB']);
    // Every compound whose name contains "tinib", counted from the file itself (first occurrences only).
    const ids = new Set((await api.call('compounds.ids', {})).ids);
    const want = exampleRows().filter((r) => /tinib/i.test(r.pref_name) || /tinib/i.test(r.molecule_chembl_id)).map((r) => idOf(r.molecule_chembl_id)).filter((id) => ids.has(id)).sort((a, b) => a - b);
    const tinib = await api.call('compounds.ids', { search: 'TINIB' });
    assert.ok(want.length > 20, `${want.length}`);
    assert.deepEqual([...tinib.ids].sort((a, b) => a - b), want);
    assert.equal((await api.call('compounds.count', { search: 'tinib' })).total, want.length);
    // A text property (molecule_type) is searched; a numeric one (first_approval) is not.
    assert.equal((await search('small MOLECULE')).total, ids.size);
    assert.equal((await search('1976.0')).total, 0);
    assert.equal((await search('%')).total, 0);
    assert.equal((await search('_')).total, 0);
    // Combined with a filter, it narrows.
    const both = await api.call('compounds.count', { search: 'tinib', filters: [{ column: 'amw', op: '<', value: 450 }] });
    assert.ok(both.total > 0 && both.total < want.length);
  });

  test('--name-column (nameColumn) wins; a missing one is a file error naming file and column', async () => {
    const file = path.join(tmpdir, 'named.csv');
    fs.writeFileSync(file, 'smiles,id,name,inn\nc1ccccc1O,P-1,phenol,hydroxybenzene\nc1ccccc1N,P-2,aniline,\n');
    const s = await importFiles(api, [file], { nameColumn: 'INN' });
    assert.equal(s.imported, 2);
    const got = engine.db.prepare('SELECT name, display_name FROM compounds WHERE source_id = ? ORDER BY record_no').all(s.files[0].sourceId);
    assert.deepEqual(got, [{ name: 'P-1', display_name: 'hydroxybenzene' }, { name: 'P-2', display_name: null }]);
    // The import fails with the file's reason, and keeps its summary.
    const state = await api.call('job.wait', await api.call('library.import', { files: [file], nameColumn: 'drug' }));
    assert.equal(state.status, 'failed');
    assert.match(state.error?.message ?? '', /named\.csv: no column named 'drug' for the name/);
    const bad = state.result as ImportSummary;
    assert.match(bad.files[0].error ?? '', /named\.csv: no column named 'drug' for the name \(columns found: 'smiles', 'id', 'name', 'inn'\)/);
  });

  test('SDF: the title stays the id and the NAME field is the name; a duplicate names its unnamed first occurrence', async () => {
    const sdf = path.join(DATA, 'libraries/solubility.test.sdf');
    const s = await importFiles(api, [sdf]);
    assert.equal(s.failed, 0);
    const blocks = fs.readFileSync(sdf, 'utf8').split('$$$$').filter((b) => b.trim());
    const nameField = (b: string) => /> <NAME>\r?\n(.*)/.exec(b)![1].trim();
    const rows = engine.db.prepare('SELECT record_no, name, display_name FROM compounds WHERE source_id = ? ORDER BY record_no').all(s.files[0].sourceId) as { record_no: number; name: string; display_name: string }[];
    assert.equal(rows.length, blocks.length);
    for (const r of rows) assert.equal(r.display_name, nameField(blocks[r.record_no - 1]), `record ${r.record_no}`);

    // Two structures arrive unnamed first (smi), then as duplicates, one named: that name reaches its first occurrence.
    const smi = path.join(tmpdir, 'unnamed.smi');
    fs.writeFileSync(smi, 'FC(F)(F)c1cc(Cl)c(Br)cc1I X-1\nIc1cc(Br)c(Cl)cc1C#N X-2\n');
    const first = await importFiles(api, [smi]);
    assert.equal(first.imported, 2);
    const named = path.join(tmpdir, 'named-dups.csv');
    fs.writeFileSync(named, 'smiles,id,compound_name\nIc1cc(Br)c(Cl)cc1C(F)(F)F,Y-1,halobenzene A\nN#Cc1cc(Cl)c(Br)cc1I,Y-2,\n');
    const dups = await importFiles(api, [named]);
    assert.equal(dups.duplicates, 2);
    const byExt = (ext: string) => engine.db.prepare('SELECT id, display_name FROM compounds WHERE name = ?').get(ext) as { id: number; display_name: string | null };
    assert.equal(byExt('X-1').display_name, 'halobenzene A');
    assert.equal(byExt('X-2').display_name, null);
    assert.equal(byExt('Y-2').display_name, null);
    assert.equal((await api.call('compounds.get', { id: byExt('X-1').id })).displayName, 'halobenzene A');
    // A duplicate without a name of its own shows its structure's.
    fs.writeFileSync(path.join(tmpdir, 'unnamed2.smi'), 'C(F)(F)(F)c1cc(Cl)c(Br)cc1I Z-1\n');
    await importFiles(api, [path.join(tmpdir, 'unnamed2.smi')]);
    assert.equal((await api.call('compounds.get', { id: byExt('Z-1').id })).displayName, 'halobenzene A');
    assert.equal(byExt('Z-1').display_name, null, 'stored as read: the record itself has no name');
  });

  test('CSV, SDF and XLSX exports carry display_name after the fixed columns; the ranked export appends it', async () => {
    const ids = [idOf('CHEMBL1614701'), idOf('CHEMBL1229517')];
    const out = (ext: string) => path.join(tmpdir, `export.${ext}`);
    for (const ext of ['csv', 'sdf', 'xlsx']) {
      const st = await api.call('job.wait', await api.call('export.write', { out: out(ext), ids }));
      assert.equal(st.status, 'done', JSON.stringify(st.error));
    }
    const csv = parse(fs.readFileSync(out('csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    assert.deepEqual(csv.map((r) => [r.name, r.display_name]), [['CHEMBL1614701', 'SELUMETINIB'], ['CHEMBL1229517', 'VEMURAFENIB']]);
    const header = fs.readFileSync(out('csv'), 'utf8').split('\n', 1)[0].split(',');
    assert.deepEqual(header.slice(0, 3), ['id', 'name', 'smiles'], 'existing columns stay where they were');
    assert.equal(header[header.indexOf('target_pathway') + 1], 'display_name', 'added after the declared mechanism, before the source fields');
    const sdf = fs.readFileSync(out('sdf'), 'utf8');
    assert.match(sdf, /^CHEMBL1614701\n/);
    assert.match(sdf, /> {2}<display_name>\nSELUMETINIB\n/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(out('xlsx'));
    const sheet = wb.worksheets[0];
    const xh = (sheet.getRow(1).values as unknown[]).slice(1);
    assert.equal(sheet.getRow(3).getCell(xh.indexOf('display_name') + 1).value, 'VEMURAFENIB');

    const { jobId } = await api.call('screen.run', { subgroups: ['BRAF_mut AND tissue=skin'], query: { search: 'tinib' } });
    const st = await api.call('job.wait', { jobId });
    assert.equal(st.status, 'done', JSON.stringify(st.error));
    const run = st.result as ScreenResult;
    const page = await api.call('screen.results', { runId: run.runId, subgroup: run.subgroups[0].rule, offset: 0, limit: 1000 });
    assert.ok(page.rows.length > 20);
    for (const r of page.rows) assert.match(`${r.displayName} ${r.name}`, /tinib/i);
    const heat = await api.call('screen.heatmap', { runId: run.runId, limit: 10, metric: 'lnIc50' });
    for (const c of heat.compounds) assert.equal(c.displayName, engine.db.prepare('SELECT display_name FROM compounds WHERE id = ?').pluck().get(c.id));
    const ranked = path.join(tmpdir, 'ranked.csv');
    const ex = await api.call('job.wait', await api.call('export.write', { out: ranked, ranking: { runId: run.runId } }));
    assert.equal(ex.status, 'done', JSON.stringify(ex.error));
    const rows = parse(fs.readFileSync(ranked, 'utf8'), { columns: true }) as Record<string, string>[];
    const rh = fs.readFileSync(ranked, 'utf8').split('\n', 1)[0].split(',');
    assert.deepEqual(rh.slice(2, 5), ['compound_id', 'name', 'smiles'], 'existing columns stay where they were');
    // display_name was appended, then measured_lines (lab measurements) after it.
    assert.deepEqual(rh.slice(-2), ['display_name', 'measured_lines']);
    const sel = rows.find((r) => r.name === 'CHEMBL1614701');
    assert.equal(sel?.display_name, 'SELUMETINIB');
  });
});

test('a project from before display names (schema 5) opens with display_name null and answers queries', async () => {
  const file = path.join(tmpdir, 'old.strata');
  const raw = new Database(file);
  raw.pragma('journal_mode = WAL');
  for (const m of MIGRATIONS.filter((x) => x.version <= 5)) {
    m.up(raw);
    raw.pragma(`user_version = ${m.version}`);
  }
  raw.pragma(`application_id = ${APPLICATION_ID}`);
  raw.close();
  // Fill it with a real import made by this version, then take the new column away as version 5 had it.
  {
    const e = await createEngine({ projectFile: path.join(tmpdir, 'fresh.strata'), threads: 1 });
    await importFiles(createClient(e.dispatcher), [EXAMPLE]);
    await e.close();
  }
  const fresh = new Database(path.join(tmpdir, 'fresh.strata'));
  const count = fresh.prepare('SELECT count(*) FROM compounds').pluck().get() as number;
  fresh.close();
  const db = new Database(file);
  db.exec(`ATTACH '${path.join(tmpdir, 'fresh.strata')}' AS f;
    INSERT INTO sources SELECT id, path, name, size, sha256, format, options, imported_at, finished_at, status, last_record, n_read, n_imported, n_duplicates, n_failed, NULL FROM f.sources;
    INSERT INTO compounds SELECT ${(db.prepare('PRAGMA table_info(compounds)').all() as { name: string }[]).map((c) => c.name).join(', ')} FROM f.compounds;
    INSERT INTO descriptors SELECT * FROM f.descriptors; INSERT INTO fingerprints SELECT * FROM f.fingerprints; INSERT INTO properties SELECT * FROM f.properties;
    DETACH f;`);
  assert.equal(db.prepare("SELECT count(*) FROM pragma_table_info('compounds') WHERE name = 'display_name'").pluck().get(), 0);
  db.close();

  const engine = await createEngine({ projectFile: file, threads: 1 });
  try {
    assert.equal(engine.db.pragma('user_version', { simple: true }), MIGRATIONS.at(-1)!.version);
    assert.equal(engine.db.prepare('SELECT count(*) FROM compounds').pluck().get(), count);
    assert.equal(engine.db.prepare('SELECT count(*) FROM compounds WHERE display_name IS NOT NULL').pluck().get(), 0);
    const plan = (engine.db.prepare('EXPLAIN QUERY PLAN SELECT id FROM compounds ORDER BY display_name COLLATE NOCASE LIMIT 5').all() as { detail: string }[]).map((r) => r.detail).join(' | ');
    assert.match(plan, /compounds_display_name/);
    const api = createClient(engine.dispatcher);
    const page = await api.call('compounds.query', { search: 'chembl1614701', offset: 0, limit: 5 });
    assert.deepEqual(page.rows.map((r) => [r.name, r.displayName]), [['CHEMBL1614701', null]]);
  } finally {
    await engine.close();
  }
});

test('CLI: import --name-column, query --search shows the name, screen prints names in its top lines', async () => {
  const { strataIn } = await import('../helpers/cli.js');
  const dir = fs.mkdtempSync(path.join(tmpdir, 'cli-'));
  const strata = strataIn(() => dir);
  const lib = path.join(dir, 'kinase.csv');
  const rows = exampleRows().filter((r) => /rafenib|metinib/i.test(r.pref_name));
  assert.ok(rows.length >= 5, `${rows.length}`);
  fs.writeFileSync(lib, `smiles,chembl,label\n${rows.map((r) => `${r.smiles},${r.molecule_chembl_id},${r.pref_name.toLowerCase()}`).join('\n')}\n`);
  const project = path.join(dir, 'p.strata');
  const missing = strata('import', lib, '--project', project, '--id-column', 'chembl', '--name-column', 'drug', '-q');
  assert.match(`${missing.stdout}${missing.stderr}`, /kinase\.csv: no column named 'drug' for the name/);
  const imp = strata('import', lib, '--project', project, '--id-column', 'chembl', '--name-column', 'label', '-q', '--json');
  assert.equal(imp.code, 0, imp.stderr);
  const q = strata('query', '--project', project, '--search', 'VEMURAF');
  assert.equal(q.code, 0, q.stderr);
  const lines = q.stdout.trim().split('\n');
  assert.match(lines[0], /^1 compounds/);
  assert.deepEqual(lines[1].split('\t').slice(0, 3), ['id', 'name', 'display_name']);
  assert.deepEqual(lines[2].split('\t').slice(1, 3), ['CHEMBL1229517', 'vemurafenib']);
  const out = path.join(dir, 'ranked.csv');
  const sc = strata('screen', '--project', project, '--subgroup', 'BRAF_mut AND tissue=skin', '--out', out, '-q');
  assert.equal(sc.code, 0, sc.stderr);
  const top = sc.stdout.split('\n').filter((l) => /^ {2}#\d+ /.test(l));
  assert.equal(top.length, 5, sc.stdout);
  for (const l of top) assert.match(l, /^ {2}#\d+ [a-z ]*(rafenib|metinib)[a-z ]* \(CHEMBL\d+\) {2}pIC50/, l);
});
