/**
 * Reader faults found when the engine was attacked (issue 10), each reproduced with real files on disk:
 * a file re-encoded as UTF-16 (with and without BOM, LE and BE) reads exactly like its UTF-8 original; UTF-32,
 * archives and binary data are refused with the reason; a CSV line over the 64 MiB line cap is one bad record
 * and the rows around it import; the sha256 and size are those of the bytes actually read, and a file that is
 * appended to or truncated by another process while it is read is reported as changed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { openLibrary, MAX_LINE_BYTES } from '../../core/ingest/index.js';
import type { IngestItem, LibraryReader, ReadOptions } from '../../core/ingest/index.js';

const DATA = path.resolve(import.meta.dirname, '../../../shared/data');
const DRUGS = path.join(DATA, 'libraries', 'approved_drugs_chembl.csv');
const SOLUBILITY = path.join(DATA, 'libraries', 'solubility.test.sdf');

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-faults-'));
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function readAll(file: string, opts?: ReadOptions): Promise<{ reader: LibraryReader; items: IngestItem[] }> {
  const reader = await openLibrary(file, opts);
  const items: IngestItem[] = [];
  for await (const it of reader.records) items.push(it);
  return { reader, items };
}

function utf16(text: string, be: boolean, bom: boolean): Buffer {
  const le = Buffer.from(`${bom ? '\uFEFF' : ''}${text}`, 'utf16le');
  return be ? le.swap16() : le;
}

test('UTF-16 (LE/BE, with and without BOM, plain and gzipped) reads exactly like the UTF-8 original', async () => {
  for (const src of [DRUGS, SOLUBILITY]) {
    const original = await readAll(src);
    assert.equal(original.reader.encoding, 'utf8');
    assert.ok(original.items.length > 200);
    const text = fs.readFileSync(src, 'utf8');
    for (const be of [false, true]) {
      for (const bom of [true, false]) {
        for (const gz of [false, true]) {
          const name = `${path.basename(src)}.${be ? 'be' : 'le'}${bom ? '.bom' : ''}${gz ? '.gz' : ''}`;
          const f = path.join(dir, name.replace(/\.(csv|sdf)\./, '.') + path.extname(src) + (gz ? '.gz' : ''));
          const bytes = utf16(text, be, bom);
          fs.writeFileSync(f, gz ? zlib.gzipSync(bytes) : bytes);
          const r = await readAll(f);
          assert.equal(r.reader.encoding, be ? 'utf16be' : 'utf16le', name);
          assert.deepEqual(r.reader.columns, original.reader.columns, name);
          assert.deepEqual(r.items, original.items, name);
        }
      }
    }
  }
  // Characters outside ASCII, including a surrogate pair, split at every possible chunk boundary by the 1 MiB reads.
  const rows = ['smiles,name', 'CCO,éthanol', 'c1ccccc1,苯', 'CCN,amine 𝄞'];
  const f = path.join(dir, 'names.utf16.csv');
  fs.writeFileSync(f, utf16(`${rows.join('\r\n')}\r\n`, false, true));
  const r = await readAll(f);
  assert.deepEqual(r.items.map((i) => (i.ok ? [i.rec.text, i.rec.id] : i.bad.reason)), [['CCO', 'éthanol'], ['c1ccccc1', '苯'], ['CCN', 'amine 𝄞']]);
});

test('other encodings and non-text files are refused with the reason, naming the file', async () => {
  const csv = 'smiles,id\nCCO,1\nCCN,2\n';
  const le32 = Buffer.alloc(csv.length * 4);
  for (let i = 0; i < csv.length; i++) le32.writeUInt32LE(csv.charCodeAt(i), i * 4);
  const be32 = Buffer.alloc(csv.length * 4);
  for (let i = 0; i < csv.length; i++) be32.writeUInt32BE(csv.charCodeAt(i), i * 4);
  const cases: [string, Buffer, RegExp][] = [
    ['u32le-bom.csv', Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), le32]), /it is UTF-32LE text \(byte-order mark FF FE 00 00\)/],
    ['u32be.csv', be32, /it is UTF-32BE text \(no byte-order mark\)/],
    ['u32le.csv.gz', zlib.gzipSync(le32), /it is gzip-compressed UTF-32LE text/],
    ['utf7.csv', Buffer.from('+/v8-smiles,id\n'), /it is UTF-7 text/],
    ['binary.smi', Buffer.concat([Buffer.from('CCO\n'), Buffer.alloc(500), Buffer.from('CCN\n')]), /it is binary data \(500 zero bytes in the first 508\)/],
    ['project.csv', Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(100)]), /an SQLite database/],
    ['bz.smi', Buffer.from('BZh91AY&SY'), /bzip2-compressed data/],
  ];
  // A real ZIP archive, made by the system's zip tool when it is there (an .xlsx is one).
  try {
    execFileSync('python3', ['-c', `import zipfile; zipfile.ZipFile(${JSON.stringify(path.join(dir, 'book.csv'))}, 'w').writestr('a.csv', ${JSON.stringify(csv)})`]);
    cases.push(['book.csv', fs.readFileSync(path.join(dir, 'book.csv')), /a ZIP archive \(an Excel \.xlsx/]);
  } catch {
    // No python3 on this machine: the other signatures still cover the check.
  }
  for (const [name, bytes, why] of cases) {
    const f = path.join(dir, name);
    fs.writeFileSync(f, bytes);
    await assert.rejects(openLibrary(f), (err: Error) => {
      assert.ok(err.message.startsWith(`Cannot read library file ${f}: `), err.message);
      assert.match(err.message, why);
      assert.match(err.message, /Strata reads UTF-8 .* and UTF-16 text/);
      return true;
    }, name);
  }
  // One stray NUL inside a data field is that record's problem, not the file's.
  const f = path.join(dir, 'one-nul.csv');
  fs.writeFileSync(f, Buffer.concat([Buffer.from('smiles,id\nCCO,a'), Buffer.alloc(1), Buffer.from('\nCCN,b\n')]));
  const r = await readAll(f);
  assert.equal(r.reader.encoding, 'utf8');
  assert.equal(r.items.filter((i) => i.ok).length, 2);
});

test('a CSV line over the 64 MiB line cap is one bad record; the rows before and after it are read', async () => {
  const f = path.join(dir, 'huge-line.csv');
  const fd = fs.openSync(f, 'w');
  fs.writeSync(fd, 'smiles,id\nCCO,first\n');
  // One line of MAX_LINE_BYTES + 1 MiB, written in pieces so the test itself stays small in memory.
  const piece = Buffer.alloc(1 << 20, 'C');
  for (let i = 0; i <= MAX_LINE_BYTES / piece.length; i++) fs.writeSync(fd, piece);
  fs.writeSync(fd, ',huge\nCCN,after\nc1ccccc1,last\n');
  fs.closeSync(fd);
  const { items, reader } = await readAll(f);
  const summary = items.map((i) => (i.ok ? `ok ${i.rec.recordNo} L${i.rec.line} ${i.rec.id}` : `bad ${i.bad.recordNo} L${i.bad.line}: ${i.bad.reason}`));
  assert.deepEqual(summary, [
    'ok 1 L2 first',
    `bad 2 L3: line 3 is ${MAX_LINE_BYTES + (1 << 20) + 5} bytes long, more than the limit of ${MAX_LINE_BYTES} bytes; not read`,
    'ok 3 L4 after',
    'ok 4 L5 last',
  ]);
  assert.equal((items[1] as { ok: false; bad: { excerpt: string } }).bad.excerpt, 'C'.repeat(200));
  assert.equal(reader.source.bytes, fs.statSync(f).size);
  assert.equal(reader.source.changed, null);
});

test('sha256 and size are those of the bytes read; a file appended to or truncated by another process while read is reported as changed', async () => {
  // A CSV of ~6 MiB: several 1 MiB reads, so another process can change it between two of them.
  const rows = ['smiles,id,pad'];
  for (let i = 0; i < 60_000; i++) rows.push(`${'C'.repeat(1 + (i % 30))}O,m${i},${'x'.repeat(60)}`);
  const content = `${rows.join('\n')}\n`;
  const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

  // Unchanged: the hash of what was read is the file's.
  const f0 = path.join(dir, 'stable.csv');
  fs.writeFileSync(f0, content);
  const stable = await readAll(f0);
  assert.deepEqual(stable.reader.source, { bytes: Buffer.byteLength(content), sha256: sha(content), sizeAtOpen: Buffer.byteLength(content), changed: null });

  // Gzip: sha256 and size are of the compressed bytes on disk.
  const fz = path.join(dir, 'stable.csv.gz');
  const gz = zlib.gzipSync(content);
  fs.writeFileSync(fz, gz);
  const zr = await readAll(fz);
  assert.deepEqual(zr.reader.source, { bytes: gz.length, sha256: sha(gz), sizeAtOpen: gz.length, changed: null });

  // Appended to by another process after the first read.
  const fa = path.join(dir, 'appended.csv');
  fs.writeFileSync(fa, content);
  let appended = false;
  const a = await readAll(fa, {
    onBytes: (b) => {
      if (!appended && b >= 1 << 20) {
        appended = true;
        execFileSync('sh', ['-c', 'printf "CCCl,late,y\\n" >> "$1"', 'sh', fa]);
      }
    },
  });
  assert.ok(appended);
  const after = fs.readFileSync(fa);
  assert.equal(a.reader.source.bytes, after.length);
  assert.equal(a.reader.source.sha256, sha(after));
  assert.equal(a.reader.source.sizeAtOpen, Buffer.byteLength(content));
  assert.match(a.reader.source.changed ?? '', new RegExp(`appended\\.csv changed while it was being read \\(its size went from ${Buffer.byteLength(content)} to ${after.length} bytes; it was modified\\)`));

  // Truncated by another process after the first read: fewer rows come through, and the file says so.
  const ft = path.join(dir, 'truncated.csv');
  fs.writeFileSync(ft, content);
  let cut = false;
  const t = await readAll(ft, {
    onBytes: (b) => {
      if (!cut && b >= 1 << 20) {
        cut = true;
        execFileSync('truncate', ['-s', String(2 << 20), ft]);
      }
    },
  });
  assert.ok(cut);
  assert.ok(t.items.length < 60_000, `read ${t.items.length} rows of a truncated file`);
  assert.equal(t.reader.source.bytes, 2 << 20);
  assert.equal(t.reader.source.sha256, sha(fs.readFileSync(ft)));
  assert.match(t.reader.source.changed ?? '', /truncated\.csv changed while it was being read \(its size went from \d+ to 2097152 bytes; it was modified\)/);

  // Stopped early (break): no hash is claimed for a part of the file.
  const early = await openLibrary(f0);
  for await (const _ of early.records) break;
  assert.equal(early.source.sha256, null);
});
