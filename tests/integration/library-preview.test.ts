/**
 * `library.preview` (issue 11, import): the first records of a file as `library.import` reads them, with the
 * detected structure, id and name columns, on real files; a column chosen in the preview is what the import
 * then uses; a file the import refuses is previewed with the import's own reason, and such an import now
 * ends failed (with the reason naming the file, and its summary kept); an import of several files reports
 * where it is across all of them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { createEngine } from '../../core/engine.js';
import type { Engine } from '../../core/engine.js';
import { createClient } from '../../core/api/client.js';
import type { ApiClient } from '../../core/api/client.js';
import type { ImportSummary, JobState } from '../../core/api/contract.js';
import { pathArguments, withPathArguments } from '../../core/host/paths.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const EXAMPLE = path.join(ROOT, 'resources/examples/approved_drugs_chembl.csv');
const DATA = path.resolve(ROOT, '../shared/data');
const SOLUBILITY = path.join(DATA, 'libraries/solubility.train.sdf');
const CELL_LINES = path.join(DATA, 'gdsc_v17/cell_lines.csv');
const tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-preview-'));

describe('library.preview', () => {
  let engine: Engine;
  let api: ApiClient;
  const runImport = async (req: Parameters<ApiClient['call']>[1] & object): Promise<JobState> =>
    api.call('job.wait', await api.call('library.import', req as { files: string[] }));
  before(async () => {
    engine = await createEngine({ projectFile: path.join(tmpdir, 'preview.strata'), threads: 2 });
    api = createClient(engine.dispatcher);
  });
  after(async () => {
    await engine.close();
    fs.rmSync(tmpdir, { recursive: true, force: true });
  });

  test('the bundled ChEMBL example: csv, smiles / molecule_chembl_id / pref_name, the first 20 rows as in the file', async () => {
    const p = await api.call('library.preview', { path: EXAMPLE });
    assert.equal(p.error, undefined);
    assert.equal(p.format, 'csv');
    assert.equal(p.compressed, false);
    assert.deepEqual(p.columns, ['first_approval', 'molecule_chembl_id', 'molecule_type', 'pref_name', 'smiles']);
    assert.equal(p.structureColumn, 'smiles');
    assert.equal(p.idColumn, 'molecule_chembl_id');
    assert.equal(p.nameColumn, 'pref_name');
    assert.ok(p.choosable.name.includes('molecule_type'));
    assert.ok(!p.choosable.name.includes('smiles'));
    assert.equal(p.rows.length, 20);
    assert.equal(p.more, true);
    // Read independently of Strata's reader.
    const rows = (parse(fs.readFileSync(EXAMPLE, 'utf8'), { columns: true }) as Record<string, string>[]).slice(0, 20);
    assert.deepEqual(p.rows.map((r) => r.values), rows.map((r) => p.columns.map((c) => r[c])));
    assert.deepEqual(p.rows.map((r) => r.record), rows.map((_, i) => i + 1));
  });

  test('a column chosen in the preview is the one the import uses: names follow molecule_type', async () => {
    const p = await api.call('library.preview', { path: EXAMPLE, nameColumn: 'molecule_type', limit: 5 });
    assert.equal(p.nameColumn, 'molecule_type');
    assert.equal(p.rows.length, 5);
    const missing = await api.call('library.preview', { path: EXAMPLE, nameColumn: 'no_such_column' });
    assert.match(missing.error ?? '', /approved_drugs_chembl\.csv: no column named 'no_such_column' for the name/);
    assert.deepEqual(missing.columns, p.columns, 'a refused table still lists its header to choose from');
  });

  test('an SDF: title line as id, the NAME data field as name, the same names the import stores', async () => {
    const p = await api.call('library.preview', { path: SOLUBILITY });
    assert.equal(p.format, 'sdf');
    assert.equal(p.structureColumn, '(molblock)');
    assert.equal(p.idColumn, '(title)');
    assert.equal(p.nameColumn, 'NAME');
    assert.deepEqual(p.columns, ['(title)', 'ID', 'NAME', 'SOL', 'SOL_classification', 'smiles']);
    const state = await runImport({ files: [SOLUBILITY] });
    assert.equal(state.status, 'done', JSON.stringify(state.error));
    const stored = engine.db.prepare('SELECT display_name FROM compounds c JOIN sources s ON s.id = c.source_id WHERE s.path = ? ORDER BY c.record_no LIMIT 20').pluck().all(SOLUBILITY);
    const nameAt = p.columns.indexOf('NAME');
    assert.deepEqual(stored, p.rows.map((r) => r.values[nameAt]));
  });

  test('a malformed SDF: the bad records are listed with the reader\'s reason, the good ones as rows', async () => {
    const p = await api.call('library.preview', { path: path.join(DATA, 'torture/rdkit/sdErrors3.sdf') });
    assert.equal(p.rows.length, 0);
    assert.equal(p.bad.length, 1);
    assert.match(p.bad[0].reason, /counts line declares 9 atoms/);
    const early = await api.call('library.preview', { path: path.join(DATA, 'torture/rdkit/earlyEOF.sdf') });
    assert.ok(early.rows.length > 0);
    assert.ok(early.columns.includes('ID'));
  });

  test('a CSV without a structure column: previewed with the reason and its header; the import ends failed naming the file', async () => {
    const p = await api.call('library.preview', { path: CELL_LINES });
    assert.match(p.error ?? '', /cell_lines\.csv: no structure column found/);
    assert.equal(p.structureColumn, null);
    assert.deepEqual(p.columns.slice(0, 2), ['COSMIC_ID', 'cell_line_name']);
    const state = await runImport({ files: [CELL_LINES] });
    assert.equal(state.status, 'failed');
    assert.equal(state.error?.code, 'BAD_FILE');
    assert.match(state.error?.message ?? '', /cell_lines\.csv: no structure column found/);
    const summary = state.result as ImportSummary;
    assert.equal(summary.files.length, 1);
    assert.match(summary.files[0].error ?? '', /no structure column/);
  });

  test('a missing file: the preview is refused BAD_FILE, the import ends failed naming it', async () => {
    const gone = path.join(tmpdir, 'gone.csv');
    await assert.rejects(api.call('library.preview', { path: gone }), (e: Error & { code?: string }) => e.code === 'BAD_FILE' && e.message.includes('gone.csv: no such file'));
    const state = await runImport({ files: [gone] });
    assert.equal(state.status, 'failed');
    assert.match(state.error?.message ?? '', /gone\.csv: no such file/);
  });

  test('several files: the progress counts file i of n and the records over all of them; one bad file fails the import, the others stay imported', async () => {
    const dir = path.join(tmpdir, 'multi');
    fs.mkdirSync(dir);
    const lines = fs.readFileSync(EXAMPLE, 'utf8').trim().split(/\r?\n/);
    const parts = [lines.slice(0, 31), [lines[0], ...lines.slice(31, 71)], [lines[0], ...lines.slice(71, 81)]].map((rows, i) => {
      const f = path.join(dir, `part${i + 1}.csv`);
      fs.writeFileSync(f, rows.join('\n') + '\n');
      return f;
    });
    const state = await runImport({ files: parts });
    assert.equal(state.status, 'done', JSON.stringify(state.error));
    const summary = state.result as ImportSummary;
    assert.equal(summary.read, 80);
    const o = state.progress?.overall;
    assert.ok(o, 'the last progress has the totals over all files');
    assert.equal(o.item, 3);
    assert.equal(o.items, 3);
    assert.equal(o.itemName, 'part3.csv');
    assert.equal(o.done, 80);
    assert.equal(state.progress?.done, 10, 'the per-file count is the last file\'s');
    assert.equal(o.fraction, 1);

    const withBad = await runImport({ files: [parts[0], CELL_LINES] });
    assert.equal(withBad.status, 'failed');
    assert.match(withBad.error?.message ?? '', /^1 of 2 files could not be imported: .*cell_lines\.csv: no structure column/);
    assert.equal((withBad.result as ImportSummary).files[0].skippedAsAlreadyImported, true);
  });

  test('the path policy sees the previewed file (shared server confinement, desktop grants)', () => {
    assert.deepEqual(pathArguments('library.preview', { path: '/data/x.csv' }), { read: ['/data/x.csv'], write: [] });
    assert.deepEqual(withPathArguments('library.preview', { path: 'x.csv', limit: 5 }, { read: ['/real/x.csv'], write: [] }), { path: '/real/x.csv', limit: 5 });
  });
});
