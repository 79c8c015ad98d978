import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-measure-cli-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function strata(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/strata.mjs'), ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
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
