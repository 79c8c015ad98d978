/**
 * The equality check behind `npm run bench:shard` (bench/shard-check.ts): a shard merge and one
 * machine's ranked file must be byte-identical, and a difference is reported at its first line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compareFiles, compareText, describeComparison } from '../../bench/shard-check.js';

const HEADER = 'rank,subgroup,compound_id,name,smiles,desirability';
const rows = (...r: string[]) => Buffer.from(`${[HEADER, ...r].join('\n')}\n`);
const A = ['1,TP53_mut,17,m17,c1ccccc1O,0.8123456789012345', '2,TP53_mut,4,m4,CCO,0.8123456789012345', '3,TP53_mut,9,m9,CCN,0.5'];

test('identical files are identical, with their line and byte counts', () => {
  const c = compareText(rows(...A), rows(...A));
  assert.equal(c.identical, true);
  assert.equal(c.lines, 4);
  assert.equal(c.firstDifference, null);
  assert.match(describeComparison('merge', c), /byte-identical \(4 lines/);
});

test('a value that differs in its last digit is a difference (bytes, not a tolerance), at its line', () => {
  const b = [...A];
  b[2] = b[2].replace('0.5', '0.5000000000000001');
  const c = compareText(rows(...A), rows(...b));
  assert.equal(c.identical, false);
  assert.deepEqual(c.firstDifference, { line: 4, a: A[2], b: b[2] });
  assert.match(describeComparison('merge', c), /DIFFERENT .*line 4/s);
});

test('two tied rows in the other order are found at the first of them', () => {
  const c = compareText(rows(...A), rows(A[1], A[0], A[2]));
  assert.equal(c.identical, false);
  assert.equal(c.firstDifference!.line, 2);
});

test('a missing row, and a missing final newline, are differences too', () => {
  const short = compareText(rows(...A), rows(A[0], A[1]));
  assert.deepEqual(short.firstDifference, { line: 4, a: A[2], b: null });
  const text = rows(...A);
  const nl = compareText(text, text.subarray(0, text.length - 1));
  assert.equal(nl.identical, false);
  assert.equal(nl.firstDifference!.line, 4);
  assert.match(String(nl.firstDifference!.b), /no final newline/);
});

test('compareFiles reads the two files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-check-'));
  try {
    fs.writeFileSync(path.join(dir, 'a.csv'), rows(...A));
    fs.writeFileSync(path.join(dir, 'b.csv'), rows(...A.slice(0, 2), '3,TP53_mut,9,m9,CCN,0.4'));
    assert.equal(compareFiles(path.join(dir, 'a.csv'), path.join(dir, 'a.csv')).identical, true);
    assert.equal(compareFiles(path.join(dir, 'a.csv'), path.join(dir, 'b.csv')).firstDifference!.line, 4);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
