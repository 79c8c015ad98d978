/**
 * The real `strata` command with the mechanism column options: `import --targets-column/--pathway-column`
 * take the named columns over the detected ones, an unknown target is imported and listed by `report --notes`,
 * `export` carries the stored annotation, and `predict` reads the same options (a named column the file does
 * not have is an error naming the file and the column) while its output header stays as it was.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, strataIn } from '../helpers/cli.js';
import { parse } from 'csv-parse/sync';
import { PREDICT_HEADER } from '../../core/screen/predict-file.js';

const DATA = path.resolve(ROOT, '..', 'shared', 'data');
let dir: string;
let project: string;

const strata = strataIn(() => dir);

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'strata-cli-mech-'));
  project = path.join(dir, 'p.strata');
  // A `targets` column that the options must override, the chemist's own `moa` and `route` columns.
  await writeFile(path.join(dir, 'lib.csv'), [
    'smiles,name,targets,moa,route',
    'CC(C)Cc1ccc(cc1)C(C)C(=O)O,ibuprofen,COX1,MEK1/2,mapk signalling',
    'CC(=O)Nc1ccc(O)cc1,paracetamol,COX2,QQX42,',
    'CCO,ethanol,,,',
    '',
  ].join('\n'));
  await writeFile(path.join(dir, 'panel.csv'), (await readFile(path.join(DATA, 'gdsc_v17/genomic_features.csv'), 'utf8')).split('\n').slice(0, 4).join('\n'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('import --targets-column/--pathway-column: named columns win, unknown targets are kept and reported, export carries them', async () => {
  const r = strata('import', 'lib.csv', '--project', project, '--threads', '1', '-q', '--targets-column', 'MOA', '--pathway-column', 'route', '--json');
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { imported: number; failed: number; notes: { record: number; reason: string }[] };
  assert.deepEqual([summary.imported, summary.failed], [3, 0]);
  assert.deepEqual(summary.notes.map((n) => [n.record, n.reason.split(' matches')[0]]), [[2, "target 'QQX42'"]]);

  const notes = strata('report', '--project', project, '--notes');
  assert.equal(notes.code, 0, notes.stderr);
  assert.match(notes.stdout, /^1 notes\n/);
  assert.match(notes.stdout, /lib\.csv\trecord 2\tline 3\ttarget 'QQX42' matches no training drug/);
  const failures = strata('report', '--project', project);
  assert.match(failures.stdout, /^0 failed records/);

  const out = path.join(dir, 'out.csv');
  const ex = strata('export', '--project', project, '--out', out, '-q');
  assert.equal(ex.code, 0, ex.stderr);
  const rows = parse(await readFile(out, 'utf8'), { columns: true }) as Record<string, string>[];
  const byName = new Map(rows.map((x) => [x.name, x]));
  assert.deepEqual([byName.get('ibuprofen')?.targets, byName.get('ibuprofen')?.target_pathway], ['MEK1, MEK2', 'ERK MAPK signaling']);
  assert.deepEqual([byName.get('paracetamol')?.targets, byName.get('paracetamol')?.target_pathway], ['QQX42', '']);
  assert.deepEqual([byName.get('ethanol')?.targets, byName.get('ethanol')?.target_pathway], ['', '']);
  // The file's own `targets` column is kept as a source field, not read as the declared mechanism.
  assert.equal(byName.get('ibuprofen')?.['prop:targets'], 'COX1');
});

test('predict --targets-column: read per compound, unknown targets warned, header unchanged; a missing named column is an error', async () => {
  const out = path.join(dir, 'pred.csv');
  const r = strata('predict', '--compounds', 'lib.csv', '--panel', 'panel.csv', '--out', out, '--targets-column', 'moa', '--pathway-column', 'route', '--json', '-q');
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { compounds: number; mechanism: { declared: number; unknownTargets: Record<string, number> } };
  assert.equal(s.compounds, 3);
  assert.equal(s.mechanism.declared, 2);
  assert.deepEqual(s.mechanism.unknownTargets, { QQX42: 1 });
  assert.equal((await readFile(out, 'utf8')).split('\n')[0], [...PREDICT_HEADER, 'p_response'].join(','));

  const bad = strata('predict', '--compounds', 'lib.csv', '--panel', 'panel.csv', '--out', path.join(dir, 'pred2.csv'), '--targets-column', 'mechanism', '-q');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /lib\.csv: no column 'mechanism' for the targets \(columns: smiles, name, targets, moa, route\)/);
});
