/**
 * The real `strata` command on real files: an export never replaces the project (it used to turn
 * it into a 1 KB CSV), existing files need --force, CSV cells that spreadsheets evaluate are
 * escaped, and terminal output carries no raw escape sequences from the input file.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, strataIn } from '../helpers/cli.js';

let dir: string;
let project: string;

const strata = strataIn(() => dir);

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'strata-cli-out-'));
  project = path.join(dir, 'p.strata');
  await writeFile(path.join(dir, 'lib.csv'), [
    'smiles,name',
    'CCO,"=HYPERLINK(""http://evil.example"",""x"")"',
    `CCN,"+cmd|' /C calc'!A0"`,
    'CCC,@SUM(1)',
    'c1ccccc1,\x1b]0;pwned\x07\x1b[2Jbenzene\u202e',
    '',
  ].join('\n'));
  const r = strata('import', 'lib.csv', '--project', project, '--threads', '1', '-q');
  assert.equal(r.code, 0, r.stderr);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('export onto the project, its side files or another SQLite file is refused; the project survives', async () => {
  const before = (await stat(project)).size;
  for (const out of [project, `${project}-wal`, `${project}-shm`]) {
    const r = strata('export', '--project', project, '--out', out, '--force', '-q');
    assert.notEqual(r.code, 0, out);
    assert.match(r.stderr, /strata: .*(must end in|open project|SQLite)/, out);
  }
  assert.equal((await readFile(project)).subarray(0, 15).toString('latin1'), 'SQLite format 3');
  assert.ok((await stat(project)).size >= before);
  const info = strata('info', '--project', project, '--json');
  assert.equal(info.code, 0, info.stderr);
  assert.equal(JSON.parse(info.stdout).compounds, 4);
  // The same SQLite file under an export's name (as a copy would be).
  const disguised = path.join(dir, 'copy.csv');
  await writeFile(disguised, await readFile(project));
  const r = strata('export', '--project', project, '--out', disguised, '--force', '-q');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /SQLite database/);
});

test('an existing output needs --force; CSV formulas are escaped', async () => {
  const out = path.join(dir, 'hits.csv');
  const first = strata('export', '--project', project, '--out', out, '-q');
  assert.equal(first.code, 0, first.stderr);
  const text = await readFile(out, 'utf8');
  assert.match(text, /^1,"'=HYPERLINK\(""http:\/\/evil\.example"",""x""\)",CCO,/m);
  assert.match(text, /^2,'\+cmd\|' \/C calc'!A0,CCN,/m);
  assert.match(text, /^3,'@SUM\(1\),CCC,/m);
  const again = strata('export', '--project', project, '--out', out, '-q');
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exists; add --force/);
  const forced = strata('export', '--project', project, '--out', out, '--force', '-q', '--filter', 'heavy_atoms>3');
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal((await readFile(out, 'utf8')).trim().split('\n').length, 1 + 1);
  const mismatch = strata('export', '--project', project, '--out', path.join(dir, 'hits.txt'), '-q');
  assert.equal(mismatch.code, 1);
  assert.match(mismatch.stderr, /must end in \.csv/);
});

test('panel import never writes over a project or any SQLite file; an existing panel needs --force', async () => {
  // The same data loss as export onto the project: `panel import --out p.strata` turned the project into a panel CSV.
  const vcf = path.join(ROOT, 'tests/fixtures/panel/vep_three_samples.vcf');
  const project4 = await readFile(project);
  for (const out of [project, `${project}-wal`, path.join(dir, 'copy-of-project.csv')]) {
    if (out.endsWith('.csv')) await writeFile(out, project4);
    for (const force of [[], ['--force']]) {
      const r = strata('panel', 'import', vcf, '--out', out, ...force);
      assert.equal(r.code, 1, `${out} ${force}: ${r.stdout}`);
      assert.match(r.stderr, /strata: .*(must end in \.csv|SQLite database)/, out);
    }
  }
  assert.deepEqual(await readFile(project), project4);
  assert.equal(JSON.parse(strata('info', '--project', project, '--json').stdout).compounds, 4);
  const panel = path.join(dir, 'panel.csv');
  const first = strata('panel', 'import', vcf, '--out', panel);
  assert.equal(first.code, 0, first.stderr);
  const written = await readFile(panel, 'utf8');
  assert.match(written, /^sample_id,/);
  const again = strata('panel', 'import', vcf, '--out', panel);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exists .*--force/);
  const forced = strata('panel', 'import', vcf, '--out', panel, '--force');
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(await readFile(panel, 'utf8'), written);
  assert.ok((await stat(`${panel}.report.json`)).size > 0);
});

// The raw characters the input file carries (ESC, BEL, RIGHT-TO-LEFT OVERRIDE).
// eslint-disable-next-line no-control-regex
const RAW_CONTROLS = /[\u001b\u0007\u202e]/;

test('terminal output shows control characters as visible escapes', () => {
  const human = strata('query', '--project', project);
  assert.equal(human.code, 0, human.stderr);
  assert.ok(!RAW_CONTROLS.test(human.stdout), JSON.stringify(human.stdout));
  assert.match(human.stdout, /\\x1B\]0;pwned\\x07\\x1B\[2Jbenzene\\u202E/);
  const json = strata('query', '--project', project, '--json');
  assert.ok(!RAW_CONTROLS.test(json.stdout));
  // Still the same data for a script.
  const names = JSON.parse(json.stdout).rows.map((r: { name: string }) => r.name);
  assert.ok(names.includes('\x1b]0;pwned\x07\x1b[2Jbenzene\u202e'));
});
