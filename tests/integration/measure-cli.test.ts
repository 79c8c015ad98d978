import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PREDICT_HEADER } from '../../core/screen/predict-file.js';
import { strataIn } from '../helpers/cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-measure-cli-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const run = strataIn(() => tmp);
function strata(...args: string[]) {
  const r = run(...args);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

test('strata measure check reports usable measurements and every bad row by line', () => {
  const dir = tmp;
  const f = path.join(dir, 'lab.csv');
  fs.writeFileSync(f, 'compound_id,sample_id,value,unit\nS1,A375,20,ic50_nM\nS1,SK-MEL-28,0.5,ic50_uM\nS1,HT29X,1,ic50_uM\nS2,A375,7.2,pIC50\n');
  const r = strata('measure', 'check', f, '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.rows, 4);
  assert.equal(j.measurements, 3);
  assert.equal(j.issues.length, 1);
  assert.equal(j.issues[0].line, 4);
  assert.match(j.issues[0].reason, /HT29X.*did you mean.*HT-29/);
  const missing = strata('measure', 'check', path.join(dir, 'nope.csv'));
  assert.notEqual(missing.code, 0);
  assert.match(missing.err, /nope\.csv.*no such file/);
});

test('strata measure suggest proposes only available, unmeasured lines and narrows the interval', () => {
  const dir = tmp;
  const avail = path.join(dir, 'have.txt');
  fs.writeFileSync(avail, ['sample_id', 'A375', 'SK-MEL-28', 'HT-29', 'COLO-205', 'A549', 'MCF7', 'NOPE-1', 'HCT-116', 'SW620'].join('\n'));
  const meas = path.join(dir, 'm.csv');
  fs.writeFileSync(meas, 'compound_id,sample_id,ln_ic50\nS1,A375,-2\n');
  const r = strata('measure', 'suggest', '--subgroup', 'BRAF_mut', '--k', '3', '--available', avail, '--measured', meas, '--compound', 'S1', '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.lines.length, 3);
  assert.equal(j.measuredAlready, 1);
  const names = j.lines.map((l: { name: string }) => l.name);
  assert.ok(!names.includes('A375'), 'already measured');
  for (const n of names) assert.ok(['SK-MEL-28', 'HT-29', 'COLO-205', 'A549', 'MCF7', 'HCT-116', 'SW620'].includes(n), `${n} was not available`);
  assert.ok(j.notes.some((n: string) => /NOPE-1/.test(n)));
  for (let i = 1; i < j.lines.length; i++) assert.ok(j.lines[i].halfWidthAfter <= j.lines[i - 1].halfWidthAfter + 1e-9);
  assert.ok(j.lines[2].halfWidthAfter < j.halfWidthBefore);
  const bad = strata('measure', 'suggest', '--k', '0');
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /--k 0/);
});

test('strata predict --measured calibrates the measured compound only, leaves measured pairs out (or flags them) and keeps the header', () => {
  const GF = path.resolve('../shared/data/gdsc_v17/genomic_features.csv');
  if (!fs.existsSync(GF)) return;
  // Panel: A375 and SK-MEL-5 (melanoma), HT-29 (BRAF-mutant colon), A549 and SW48 (BRAF wild type).
  const lines = fs.readFileSync(GF, 'utf8').split('\n');
  const want = ['906793', '905956', '905939', '905949', '909751'];
  fs.writeFileSync(path.join(tmp, 'panel.csv'), [lines[0], ...lines.filter((l) => want.includes(l.split(',')[0]))].join('\n') + '\n');
  fs.writeFileSync(path.join(tmp, 'c.csv'), 'id,smiles\nX1,CCCS(=O)(=O)Nc1ccc(F)c(C(=O)c2c[nH]c3ncc(-c4ccc(Cl)cc4)cc23)c1F\nX2,CC(=O)Oc1ccccc1C(=O)O\n');
  // X1 measured 50-fold more potent than anything: every unmeasured line should follow it down.
  const base = strata('predict', '-c', 'c.csv', '--panel', 'panel.csv', '-o', 'p0.csv', '-q');
  assert.equal(base.code, 0, base.err);
  const read = (f: string) => fs.readFileSync(path.join(tmp, f), 'utf8').trim().split('\n').map((l) => l.split(','));
  const p0 = read('p0.csv');
  const prior = new Map(p0.slice(1).map((r) => [`${r[0]}/${r[1]}`, Number(r[2])]));
  fs.writeFileSync(path.join(tmp, 'm.csv'), `compound_id,sample_id,ln_ic50\nX1,A375,${(prior.get('X1/906793')! - 4).toFixed(3)}\nX1,A549,${(prior.get('X1/905949')! - 4).toFixed(3)}\nX1,NOT-A-LINE,1\n`);
  const r = strata('predict', '-c', 'c.csv', '--panel', 'panel.csv', '-o', 'p1.csv', '--measured', 'm.csv', '-q');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /1 compounds calibrated/);
  assert.match(r.out, /NOT-A-LINE/);
  const p1 = read('p1.csv');
  assert.deepEqual(p1[0], [...PREDICT_HEADER, 'p_response'], 'existing columns unchanged, p_response appended');
  const got = new Map(p1.slice(1).map((x) => [`${x[0]}/${x[1]}`, x]));
  assert.ok(!got.has('X1/906793') && !got.has('X1/905949'), 'measured pairs are not written as predictions');
  for (const s of ['905956', '905939', '909751']) {
    const x = got.get(`X1/${s}`)!;
    assert.ok(Number(x[2]) < prior.get(`X1/${s}`)! - 1.5, `X1/${s}: ${x[2]} vs prior ${prior.get(`X1/${s}`)}`);
    assert.ok(Number(x[4]) - Number(x[3]) < 8.0, 'the interval narrowed');
  }
  for (const s of want) assert.equal(Number(got.get(`X2/${s}`)![2]), prior.get(`X2/${s}`), 'an unmeasured compound is unchanged');
  const e = strata('predict', '-c', 'c.csv', '--panel', 'panel.csv', '-o', 'p2.csv', '--measured', 'm.csv', '--echo-measured', '-q');
  assert.equal(e.code, 0, e.err);
  const p2 = read('p2.csv');
  assert.deepEqual(p2[0], [...PREDICT_HEADER, 'measured', 'p_response']);
  assert.equal(p2.find((x) => x[0] === 'X1' && x[1] === '906793')![7], '', 'a measured pair has no probability');
  const a375 = p2.find((x) => x[0] === 'X1' && x[1] === '906793')!;
  assert.equal(a375[6], '1');
  assert.ok(Math.abs(Number(a375[2]) - (prior.get('X1/906793')! - 4)) < 1e-3, 'the echoed pair carries the measurement');
  assert.equal(p2.filter((x) => x[6] === '1').length, 2);
});

test('strata measure import stores a file in a project, reports bad rows by file and line, and is idempotent; suggest reads the stored lines', () => {
  const fix = path.resolve(import.meta.dirname, '../fixtures/measure');
  const project = path.join(tmp, 'lab.strata');
  assert.equal(strata('import', path.join(fix, 'library.csv'), '--project', project, '-q').code, 0);
  const first = strata('measure', 'import', path.join(fix, 'lab-measurements.csv'), '--project', project);
  assert.equal(first.code, 0, first.err);
  assert.match(first.out, /23 rows, 18 measurements stored \(2 compounds/);
  assert.match(first.out, /lab-measurements\.csv line 7: compound "Dabrafenb" is not in the project \(closest: Dabrafenib\)/);
  const again = strata('measure', 'import', path.join(fix, 'lab-measurements.csv'), '--project', project, '--json');
  assert.equal(again.code, 0, again.err);
  assert.equal(JSON.parse(again.out).skippedAsAlreadyImported, true);
  const sug = strata('measure', 'suggest', '--project', project, '--compound', 'LAB-001', '--subgroup', 'BRAF_mut', '--k', '2', '--json');
  assert.equal(sug.code, 0, sug.err);
  const j = JSON.parse(sug.out);
  assert.ok(j.measured >= 10);
  assert.equal(j.lines.length, 2);
});
