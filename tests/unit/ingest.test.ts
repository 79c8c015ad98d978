/**
 * Streaming library readers on small synthetic files: format and column detection, SMILES files with and
 * without header, CSV quoting, TSV, CRLF, BOM, Latin-1 fallback, gzip by magic bytes, truncated gzip,
 * over-long input, SDF data-item variants and broken records, resume, abort and progress.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import {
  openLibrary, detectFormat, detectColumns, looksLikeSmiles, MAX_SMILES_LENGTH, MAX_MOLBLOCK_ATOMS, EXCERPT_CHARS,
} from '../../core/ingest/index.js';
import type { BadRecord, IngestItem, RawRecord, ReadOptions, LibraryReader } from '../../core/ingest/index.js';
import { readTextBatches, readUtf8Pieces } from '../../core/ingest/source.js';
import { readTableItems } from '../../core/ingest/table.js';
import { SmilesParser } from '../../core/ingest/smiles.js';
import { SdfParser } from '../../core/ingest/sdf.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'strata-ingest-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(name: string, content: string | Buffer): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, content);
  return p;
}

interface ReadResult {
  reader: LibraryReader;
  items: IngestItem[];
  good: RawRecord[];
  bad: BadRecord[];
}

async function readAll(file: string, opts?: ReadOptions): Promise<ReadResult> {
  const reader = await openLibrary(file, opts);
  const items: IngestItem[] = [];
  for await (const it of reader.records) items.push(it);
  return {
    reader,
    items,
    good: items.flatMap((i) => (i.ok ? [i.rec] : [])),
    bad: items.flatMap((i) => (i.ok ? [] : [i.bad])),
  };
}

function openFds(): number | null {
  return fs.existsSync('/proc/self/fd') ? fs.readdirSync('/proc/self/fd').length : null;
}

/** A small valid V2000 molblock with `n` carbon atoms in a chain. */
function chainMolblock(title: string, n: number, crlf = false): string {
  const lines = [title, '  test', '', `${String(n).padStart(3)}${String(n - 1).padStart(3)}  0  0  0  0  0  0  0  0999 V2000`];
  for (let i = 0; i < n; i++) lines.push(`${(i * 1.5).toFixed(4).padStart(10)}    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0`);
  for (let i = 1; i < n; i++) lines.push(`${String(i).padStart(3)}${String(i + 1).padStart(3)}  1  0`);
  lines.push('M  END');
  return lines.join(crlf ? '\r\n' : '\n');
}

// --- detection ---------------------------------------------------------------------------------

test('detectFormat: by name, .gz stripped, content decides unknown names and .txt', () => {
  assert.equal(detectFormat('a.sdf'), 'sdf');
  assert.equal(detectFormat('A.SD'), 'sdf');
  assert.equal(detectFormat('x.mol'), 'sdf');
  assert.equal(detectFormat('lib.smi.gz'), 'smi');
  assert.equal(detectFormat('lib.smiles'), 'smi');
  assert.equal(detectFormat('/p/q/lib.csv.gz'), 'csv');
  assert.equal(detectFormat('lib.tsv'), 'tsv');
  assert.equal(detectFormat('lib.txt', 'smiles\tid\nCCO\t1\n'), 'tsv');
  assert.equal(detectFormat('lib.txt', 'CCO\tethanol\nCCC\tpropane\n'), 'smi');
  assert.equal(detectFormat('lib.gz', '\n  RDKit\n\n  1  0  0  0  0  0  0  0  0  0999 V2000\nM  END\n$$$$\n'), 'sdf');
  assert.equal(detectFormat('lib.dat', 'SMILES,id\nCCO,1\n'), 'csv');
  assert.equal(detectFormat('lib.dat', 'c1ccccc1 benzene\n'), 'smi');
  assert.equal(detectFormat('lib.dat', 'hello world, this is prose'), 'csv');
  assert.equal(detectFormat('lib.dat', 'hello world\n'), null);
  assert.equal(detectFormat('lib.dat'), null);
});

test('looksLikeSmiles tells SMILES from header words', () => {
  for (const s of ['CCO', 'c1ccccc1', 'C[C@H](N)C(=O)O', '[Na+].[Cl-]', 'Cl/C=C/Br', 'C%10CC%10', '*C(=O)O', 'OB(O)c1ccccc1']) {
    assert.equal(looksLikeSmiles(s), true, s);
  }
  for (const s of ['SMILES', 'smiles', 'Structure', 'canonical_smiles', 'mol', 'id', '', 'C[C']) {
    assert.equal(looksLikeSmiles(s), false, s);
  }
});

test('detectColumns: common names, preference, explicit options, clear errors', () => {
  assert.deepEqual(detectColumns(['first_approval', 'molecule_chembl_id', 'molecule_type', 'pref_name', 'smiles'], 'f.csv'),
    { smiles: 'smiles', id: 'molecule_chembl_id', name: 'pref_name', all: ['first_approval', 'molecule_chembl_id', 'molecule_type', 'pref_name', 'smiles'] });
  assert.deepEqual(detectColumns(['Name', 'Canonical_SMILES'], 'f.csv'), { smiles: 'Canonical_SMILES', id: 'Name', name: null, all: ['Name', 'Canonical_SMILES'] });
  assert.equal(detectColumns(['Structure', 'CID'], 'f').smiles, 'Structure');
  assert.equal(detectColumns(['Structure', 'CID'], 'f').id, 'CID');
  assert.equal(detectColumns(['mol', 'title'], 'f').id, 'title');
  assert.equal(detectColumns(['Ligand SMILES', 'x'], 'f').smiles, 'Ligand SMILES');
  assert.equal(detectColumns(['SMILES'], 'f').id, null);
  // An id is preferred to a name when both exist.
  assert.equal(detectColumns(['name', 'smiles', 'compound_id'], 'f').id, 'compound_id');
  assert.equal(detectColumns(['a', 'B'], 'f', { smilesColumn: 'b', idColumn: 'a' }).smiles, 'B');
  assert.throws(() => detectColumns(['a', 'b'], '/x/lib.csv'), (e: Error) => /\/x\/lib\.csv/.test(e.message) && /'a', 'b'/.test(e.message));
  assert.throws(() => detectColumns(['smiles'], 'f', { smilesColumn: 'structure' }), /no column named 'structure'.*'smiles'/);
  assert.throws(() => detectColumns(['smiles'], 'f', { idColumn: 'nope' }), /no column named 'nope'/);
});

// --- SMILES files ------------------------------------------------------------------------------

test('SMILES file without header: id optional, comments and blank lines skipped, line numbers kept', async () => {
  const f = await put('plain.smi', '# a comment\nCCO ethanol\n\nc1ccccc1\n  CCN   ethyl amine  \n#x\nC(=O)O\tacetic acid\tshelf 3\n');
  const { good, bad, reader } = await readAll(f);
  assert.equal(reader.format, 'smi');
  assert.equal(reader.columns, undefined);
  assert.equal(bad.length, 0);
  assert.deepEqual(good.map((r) => [r.recordNo, r.line, r.text, r.id]), [
    [1, 2, 'CCO', 'ethanol'],
    [2, 4, 'c1ccccc1', null],
    [3, 5, 'CCN', 'ethyl amine'],
    [4, 7, 'C(=O)O', 'acetic acid'],
  ]);
  assert.equal(good[0].format, 'smiles');
  assert.deepEqual(good[3].props, { column3: 'shelf 3' });
});

test('SMILES file with header line: not a record, names the columns and extra fields', async () => {
  const f = await put('hdr.smi', 'SMILES\tName\tpIC50\nCCO\tethanol\t4.2\nCCC\tpropane\t\n');
  const { good, bad, reader } = await readAll(f);
  assert.equal(bad.length, 0);
  assert.deepEqual(reader.columns, { smiles: 'SMILES', id: 'Name', name: null, all: ['SMILES', 'Name', 'pIC50'] });
  assert.deepEqual(good.map((r) => [r.recordNo, r.line, r.text, r.id, r.props]), [
    [1, 2, 'CCO', 'ethanol', { pIC50: '4.2' }],
    [2, 3, 'CCC', 'propane', { pIC50: '' }],
  ]);
  const f2 = await put('hdr2.smi', 'structure id\nCCO e\n');
  const r2 = await readAll(f2);
  assert.deepEqual(r2.good.map((r) => [r.recordNo, r.text, r.id]), [[1, 'CCO', 'e']]);
});

test('SMILES file with CRLF and a BOM', async () => {
  const f = await put('crlf.smi', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('CCO a\r\nCCC b\r\n\r\nCCN\r\n')]));
  const { good } = await readAll(f);
  assert.deepEqual(good.map((r) => [r.line, r.text, r.id]), [[1, 'CCO', 'a'], [2, 'CCC', 'b'], [4, 'CCN', null]]);
});

test('a 100k-character SMILES line is reported as too large; the next record is read', async () => {
  const f = await put('long.smi', `CCO first\n${'C'.repeat(100_000)} huge\nCCN last`);
  const { items } = await readAll(f);
  assert.equal(items.length, 3);
  assert.ok(items[0].ok);
  assert.ok(!items[1].ok);
  const bad = (items[1] as { ok: false; bad: BadRecord }).bad;
  assert.equal(bad.recordNo, 2);
  assert.equal(bad.line, 2);
  assert.match(bad.reason, new RegExp(`too large: 100000 characters, limit ${MAX_SMILES_LENGTH}`));
  assert.ok(bad.excerpt !== null && bad.excerpt.length <= EXCERPT_CHARS);
  assert.ok(items[2].ok && items[2].rec.text === 'CCN' && items[2].rec.recordNo === 3);
});

test('lines longer than the line cap are not buffered: an excerpt and the length come through', async () => {
  const stats = { lines: 0, latin1Lines: 0, firstLatin1Line: null };
  async function* chunks() {
    yield Buffer.from('CCO a\nCC');
    yield Buffer.from('C'.repeat(300));
    yield Buffer.from('C'.repeat(300) + '\nCCN b\n');
  }
  const parser = new SmilesParser(0);
  const out: IngestItem[] = [];
  for await (const b of readTextBatches(chunks(), stats, 100)) parser.pushBatch(b, out);
  parser.end(out);
  assert.equal(out.length, 3);
  assert.ok(out[0].ok && out[0].rec.text === 'CCO');
  assert.ok(!out[1].ok);
  assert.equal(out[1].bad.line, 2);
  assert.match(out[1].bad.reason, /too large: 602 bytes on one line/);
  assert.ok(out[1].bad.excerpt!.startsWith('CCC'));
  assert.ok(out[2].ok && out[2].rec.text === 'CCN' && out[2].rec.line === 3);

  // For tables an over-long line comes through as a marker (never buffered), and the table reader reports it
  // as one bad record and reads on with a fresh parser, even when a quote was open across it.
  async function* tableChunks() {
    yield Buffer.from(`smiles,id\nCC,a\n${'C'.repeat(250)}`);
    yield Buffer.from(`${'C'.repeat(250)},long\nCCO,b\n"CCN,c\n`);
    yield Buffer.from('x'.repeat(150));
    yield Buffer.from(`${'x'.repeat(150)}\nCCCl,d\n`);
  }
  const tstats = { lines: 0, latin1Lines: 0, firstLatin1Line: null };
  const pieces: unknown[] = [];
  for await (const p of readUtf8Pieces(tableChunks(), tstats, 100)) pieces.push(Buffer.isBuffer(p) ? p.toString() : p);
  assert.deepEqual(pieces[1], { overlong: true, line: 3, bytes: 505, limit: 100, excerpt: 'C'.repeat(EXCERPT_CHARS) });
  const items: IngestItem[] = [];
  for await (const batch of readTableItems(readUtf8Pieces(tableChunks(), { lines: 0, latin1Lines: 0, firstLatin1Line: null }, 100), {
    file: '/x/t.csv', delimiter: ',', columns: { smiles: 'smiles', id: 'id', name: null, all: ['smiles', 'id'] }, skipThrough: 0,
  })) items.push(...batch);
  const summary = items.map((i) => (i.ok ? `ok ${i.rec.recordNo} L${i.rec.line} ${i.rec.text} ${i.rec.id}` : `bad ${i.bad.recordNo} L${i.bad.line}: ${i.bad.reason}`));
  assert.equal(summary.length, 6, summary.join('\n'));
  assert.equal(summary[0], 'ok 1 L2 CC a');
  assert.match(summary[1], /^bad 2 L3: line 3 is 505 bytes long, more than the limit of \d+ bytes; not read$/);
  assert.equal(summary[2], 'ok 3 L4 CCO b');
  // The quote opened on line 5 is still open when the long line 6 comes: reported, then reading goes on.
  assert.match(summary[3], /^bad 4 L5: unclosed quote: the field opened at or after line 5 never closes, so lines 5-5 could not be read/);
  assert.match(summary[4], /^bad 5 L6: line 6 is 300 bytes long/);
  assert.equal(summary[5], 'ok 6 L7 CCCl d');
});

test('invalid UTF-8 lines are decoded as Latin-1 and counted', async () => {
  const f = await put('latin1.smi', Buffer.concat([Buffer.from('CCO ok\nCCC caf'), Buffer.from([0xe9]), Buffer.from('\nCCN \u00e9t\u00e9\n')]));
  const { good, reader } = await readAll(f);
  assert.deepEqual(good.map((r) => r.id), ['ok', 'caf\u00e9', '\u00e9t\u00e9']);
  assert.equal(reader.stats.latin1Lines, 1);
  assert.equal(reader.stats.firstLatin1Line, 2);
});

// --- CSV / TSV ---------------------------------------------------------------------------------

test('CSV with quoted commas and newlines: fields, props and start lines', async () => {
  const f = await put('quoted.csv', 'id,name,smiles\n1,"Doe, John",CCO\n2,"multi\nline ""name""",c1ccccc1\n\n3,plain,"C(=O)O"\n');
  const { good, bad, reader } = await readAll(f);
  assert.equal(bad.length, 0);
  assert.deepEqual(reader.columns, { smiles: 'smiles', id: 'id', name: 'name', all: ['id', 'name', 'smiles'] });
  assert.deepEqual(good.map((r) => [r.recordNo, r.line, r.text, r.id, r.props]), [
    [1, 2, 'CCO', '1', { name: 'Doe, John' }],
    [2, 3, 'c1ccccc1', '2', { name: 'multi\nline "name"' }],
    [3, 6, 'C(=O)O', '3', { name: 'plain' }],
  ]);
});

test('CSV rows with the wrong field count, empty or too-long SMILES are reported; the import goes on', async () => {
  const f = await put('rows.csv', `smiles,id\nCCO,1\nCCC,2,extra\n,3\n${'C'.repeat(MAX_SMILES_LENGTH + 1)},4\nCCN,5\n`);
  const { items } = await readAll(f);
  assert.deepEqual(items.map((i) => (i.ok ? `ok ${i.rec.recordNo}@${i.rec.line}` : `bad ${i.bad.recordNo}@${i.bad.line}`)),
    ['ok 1@2', 'bad 2@3', 'bad 3@4', 'bad 4@5', 'ok 5@6']);
  const reasons = items.flatMap((i) => (i.ok ? [] : [i.bad.reason]));
  assert.match(reasons[0], /wrong number of fields: expected 2 .* found 3/);
  assert.match(reasons[1], /empty SMILES in column 'smiles'/);
  assert.match(reasons[2], /too large: 5001 characters, limit 5000/);
});

test('CSV with an unclosed quote reports the rest of the file as one bad record', async () => {
  const f = await put('unclosed.csv', 'smiles,id\nCCO,1\n"CCC,2\nCCN,3\n');
  const { good, bad } = await readAll(f);
  assert.deepEqual(good.map((r) => r.id), ['1']);
  assert.equal(bad.length, 1);
  assert.equal(bad[0].recordNo, 2);
  assert.equal(bad[0].line, 3);
  assert.match(bad[0].reason, /unclosed quote/);
});

test('CSV with a BOM and CRLF line ends', async () => {
  const f = await put('bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('SMILES,Name\r\nCCO,eth\r\nCCC,prop\r\n')]));
  const { good, reader } = await readAll(f);
  assert.deepEqual(reader.columns, { smiles: 'SMILES', id: 'Name', name: null, all: ['SMILES', 'Name'] });
  assert.deepEqual(good.map((r) => [r.line, r.text, r.id]), [[2, 'CCO', 'eth'], [3, 'CCC', 'prop']]);
});

test('TSV: columns by option, other columns as props', async () => {
  const f = await put('lib.tsv', 'code\tstructure_text\tpIC50\nA1\tCCO\t5.5\nA2\tc1ccccc1\t\n');
  await assert.rejects(openLibrary(f), (e: Error) => e.message.includes(f) && /'code', 'structure_text', 'pIC50'/.test(e.message));
  const { good, reader } = await readAll(f, { smilesColumn: 'STRUCTURE_TEXT', idColumn: 'code' });
  assert.equal(reader.format, 'tsv');
  assert.deepEqual(good.map((r) => [r.text, r.id, r.props]), [['CCO', 'A1', { pIC50: '5.5' }], ['c1ccccc1', 'A2', { pIC50: '' }]]);
});

test('clear errors: missing file, directory, empty table, undetectable format', async () => {
  await assert.rejects(openLibrary(path.join(dir, 'nope.sdf')), /Cannot read library file .*nope\.sdf: no such file/);
  await assert.rejects(openLibrary(dir), /is a directory/);
  const empty = await put('empty.csv', '');
  await assert.rejects(openLibrary(empty), /empty\.csv: no header line found/);
  const prose = await put('notes.dat', 'hello world\n');
  await assert.rejects(openLibrary(prose), /notes\.dat: cannot tell the file format/);
});

// --- gzip --------------------------------------------------------------------------------------

test('gzip is detected by magic bytes, whatever the name', async () => {
  const f = await put('disguised.smi', zlib.gzipSync('CCO a\nCCC b\n'));
  const r = await readAll(f);
  assert.equal(r.reader.compressed, true);
  assert.deepEqual(r.good.map((x) => x.text), ['CCO', 'CCC']);
  const g = await put('library.dat', zlib.gzipSync(`${chainMolblock('m1', 2)}\n$$$$\n`));
  const s = await readAll(g);
  assert.equal(s.reader.format, 'sdf');
  assert.deepEqual(s.good.map((x) => x.id), ['m1']);
  // Concatenated gzip members (e.g. `cat a.gz b.gz`) are one stream.
  const multi = await readAll(await put('multi.smi.gz', Buffer.concat([zlib.gzipSync('CCO a\n'), zlib.gzipSync('CCN b\n')])));
  assert.deepEqual(multi.good.map((x) => [x.recordNo, x.line, x.text]), [[1, 1, 'CCO'], [2, 2, 'CCN']]);
  const plain = await readAll(await put('plain.csv.gz', 'smiles\nCCO\n'));
  assert.equal(plain.reader.compressed, false);
  assert.equal(plain.good.length, 1);
});

test('truncated gzip: records before the break are read, then one bad record says why', async () => {
  const lines = Array.from({ length: 20000 }, (_, i) => `${'C'.repeat(1 + (i % 30))}O id${i}`);
  const gz = zlib.gzipSync(`${lines.join('\n')}\n`);
  const f = await put('cut.smi.gz', gz.subarray(0, Math.floor(gz.length / 2)));
  const { items } = await readAll(f);
  const last = items[items.length - 1];
  assert.ok(!last.ok);
  assert.match(last.bad.reason, /gzip data is corrupt or truncated/);
  const good = items.slice(0, -1);
  assert.ok(good.length > 1000 && good.length < 20000);
  // Every record before the break is a whole line of the original (no cut-off SMILES passes).
  good.forEach((it, i) => {
    assert.ok(it.ok);
    assert.equal(`${it.rec.text} ${it.rec.id}`, lines[i]);
  });
  assert.equal(last.bad.recordNo, good.length + 1);

  const sdfGz = zlib.gzipSync(Array.from({ length: 300 }, (_, i) => `${chainMolblock(`m${i}`, 8)}\n> <P>\nv${i}\n\n$$$$\n`).join(''));
  const s = await readAll(await put('cut.sdf.gz', sdfGz.subarray(0, Math.floor(sdfGz.length * 0.6))));
  assert.ok(s.good.length > 10 && s.good.length < 300);
  assert.equal(s.bad.length, 1);
  assert.match(s.bad[0].reason, /gzip data is corrupt or truncated/);
  assert.equal(s.items[s.items.length - 1].ok, false);

  const csvGz = zlib.gzipSync(`smiles,id\n${lines.map((l) => l.replace(' ', ',')).join('\n')}\n`);
  const c = await readAll(await put('cut.csv.gz', csvGz.subarray(0, Math.floor(csvGz.length / 2))));
  assert.ok(c.good.length > 1000);
  assert.equal(c.bad.length, 1);
  assert.match(c.bad[0].reason, /gzip data is corrupt or truncated/);
  c.good.forEach((r, i) => assert.equal(`${r.text} ${r.id}`, lines[i]));
});

test('a file with gzip magic but garbage content is refused clearly', async () => {
  const f = await put('bad.smi.gz', Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.alloc(64, 7)]));
  await assert.rejects(openLibrary(f), /bad\.smi\.gz: gzip data is corrupt/);
});

// --- SDF ---------------------------------------------------------------------------------------

test('SDF data items: header variants, multi-line values, missing final newline and $$$$', async () => {
  const rec1 = `${chainMolblock('  first  ', 3)}\n>  <NAME>  (1) \nethane-ish\n\n> 25 <MP>\n12.5\n\n> DT12\nold style\n\n> <NOTE>\nline one\n \nline three\n\n> <__proto__>\nharmless\n\n$$$$\n`;
  const rec2 = `${chainMolblock('', 2)}\n> <EMPTY>\n\n> <LAST>\nno newline at end`;
  const { good, bad } = await readAll(await put('items.sdf', rec1 + rec2));
  assert.equal(bad.length, 0);
  assert.equal(good.length, 2);
  assert.equal(good[0].id, 'first');
  assert.equal(good[0].line, 1);
  assert.equal(good[0].format, 'molblock');
  assert.ok(good[0].text.startsWith('  first  \n  test\n'));
  assert.ok(good[0].text.endsWith('M  END'));
  assert.deepEqual(Object.keys(good[0].props), ['NAME', 'MP', 'DT12', 'NOTE', '__proto__']);
  assert.equal(good[0].props.NAME, 'ethane-ish');
  assert.equal(good[0].props.MP, '12.5');
  assert.equal(good[0].props.DT12, 'old style');
  assert.equal(good[0].props.NOTE, 'line one\n \nline three');
  assert.equal(Object.getPrototypeOf(good[0].props), Object.prototype);
  assert.equal(good[1].id, null);
  assert.equal(good[1].recordNo, 2);
  assert.equal(good[1].line, rec1.split('\n').length);
  assert.deepEqual(good[1].props, { EMPTY: '', LAST: 'no newline at end' });
});

test('SDF with CRLF: molblock and values normalised to \\n', async () => {
  const text = `${chainMolblock('crlf', 3, true)}\r\n> <A>\r\nx\r\ny\r\n\r\n$$$$\r\n${chainMolblock('two', 2, true)}\r\n$$$$\r\n`;
  const { good } = await readAll(await put('crlf.sdf', text));
  assert.equal(good.length, 2);
  assert.ok(!good[0].text.includes('\r'));
  assert.equal(good[0].text, chainMolblock('crlf', 3));
  assert.deepEqual(good[0].props, { A: 'x\ny' });
  assert.equal(good[1].line, text.split('\r\n').indexOf('two') + 1);
});

test('SDF broken records are reported and never hide the good ones after them', async () => {
  const noEnd = chainMolblock('noend', 3).replace('\nM  END', '');
  const manyAtoms = ['big', '  x', '', '  0  0  0     0  0            999 V3000', 'M  V30 BEGIN CTAB', `M  V30 COUNTS ${MAX_MOLBLOCK_ATOMS + 1} 0 0 0 0`, 'M  V30 END CTAB', 'M  END'].join('\n');
  const badCounts = chainMolblock('badcounts', 2).replace(/^( {2}2 {2}1)/m, ' x  1');
  const zeroAtoms = ['zero', '', '', '  0  0  0  0  0  0  0  0  0  0999 V2000', 'M  END'].join('\n');
  const badHeader = `${chainMolblock('badhdr', 2)}\n>  <ID\nv\n`;
  const recs = [
    chainMolblock('g1', 2), noEnd, '', chainMolblock('g2', 3), manyAtoms, badCounts, zeroAtoms, badHeader, chainMolblock('g3', 2),
  ];
  const text = `${recs.join('\n$$$$\n')}\n$$$$\n\n\n`;
  const { items } = await readAll(await put('broken.sdf', text));
  const summary = items.map((i) => (i.ok ? `ok ${i.rec.recordNo} ${i.rec.id}` : `bad ${i.bad.recordNo}: ${i.bad.reason}`));
  assert.equal(summary.length, 9, summary.join('\n'));
  assert.equal(summary[0], 'ok 1 g1');
  assert.match(summary[1], /^bad 2: no M {2}END line before \$\$\$\$/);
  assert.match(summary[2], /^bad 3: empty record/);
  assert.equal(summary[3], 'ok 4 g2');
  assert.match(summary[4], new RegExp(`^bad 5: too large: ${MAX_MOLBLOCK_ATOMS + 1} atoms, limit ${MAX_MOLBLOCK_ATOMS}`));
  assert.match(summary[5], /^bad 6: malformed counts line/);
  assert.match(summary[6], /^bad 7: empty structure/);
  assert.match(summary[7], /^bad 8: malformed data item header/);
  assert.equal(summary[8], 'ok 9 g3');
  // Bad records carry their start line and an excerpt beginning with the title.
  const b2 = (items[1] as { ok: false; bad: BadRecord }).bad;
  assert.equal(b2.line, chainMolblock('g1', 2).split('\n').length + 2);
  assert.ok(b2.excerpt!.startsWith('noend\n'));
  assert.ok(!b2.excerpt!.includes('$$$$'));
});

test('SDF: a record without M  END at the end of the file is reported as truncated', async () => {
  const text = `${chainMolblock('ok', 2)}\n$$$$\n${chainMolblock('cut', 4).split('\n').slice(0, 6).join('\n')}`;
  const { items } = await readAll(await put('trunc.sdf', text));
  assert.equal(items.length, 2);
  assert.ok(items[0].ok);
  assert.ok(!items[1].ok && /truncated record at end of file/.test(items[1].bad.reason));
});

test('SDF molblock spanning read chunks is reassembled exactly', async () => {
  const stats = { lines: 0, latin1Lines: 0, firstLatin1Line: null };
  const text = `${chainMolblock('a', 5)}\n> <P>\nmulti\nline\n\n$$$$\n${chainMolblock('b', 4)}\n$$$$\n`;
  const buf = Buffer.from(text);
  // Cut the input into 7-byte chunks: molblocks and values cross many batch boundaries.
  async function* chunks() {
    for (let i = 0; i < buf.length; i += 7) yield buf.subarray(i, i + 7);
  }
  const parser = new SdfParser(0);
  const out: IngestItem[] = [];
  for await (const b of readTextBatches(chunks(), stats)) parser.pushBatch(b, out);
  parser.end(out);
  assert.equal(out.length, 2);
  assert.ok(out[0].ok && out[1].ok);
  assert.equal(out[0].rec.text, chainMolblock('a', 5));
  assert.deepEqual(out[0].rec.props, { P: 'multi\nline' });
  assert.equal(out[1].rec.text, chainMolblock('b', 4));
  assert.equal(out[1].rec.line, text.split('\n').indexOf('b') + 1);
});

test('SDF: a record without $$$$ is reported, never merged with the next (3 records stay 3; IC50 stays with its molecule)', async () => {
  // The issue's case: record 2 lacks its $$$$, so record 3's header follows its data item.
  const text = `${chainMolblock('m1', 2)}\n> <IC50>\n1.0\n\n$$$$\n${chainMolblock('m2', 3)}\n> <IC50>\n2.0\n\n${chainMolblock('m3', 4)}\n> <IC50>\n3.0\n\n$$$$\n`;
  const f = await put('nodollars.sdf', text);
  const m3Line = text.split('\n').indexOf('m3') + 1;
  const { items } = await readAll(f);
  const summary = items.map((i) => (i.ok ? `ok ${i.rec.recordNo} ${i.rec.id} ${i.rec.props.IC50} L${i.rec.line}` : `bad ${i.bad.recordNo} L${i.bad.line}: ${i.bad.reason}`));
  assert.equal(summary.length, 3, summary.join('\n'));
  assert.equal(summary[0], 'ok 1 m1 1.0 L1');
  assert.match(summary[1], new RegExp(`^bad 2 L${text.split('\n').indexOf('m2') + 1}: no \\$\\$\\$\\$ line after this record: the next record's header starts at line ${m3Line}`));
  assert.equal(summary[2], `ok 3 m3 3.0 L${m3Line}`);
  const m3 = (items[2] as { ok: true; rec: RawRecord }).rec;
  assert.equal(m3.text, chainMolblock('m3', 4));
  const b2 = (items[1] as { ok: false; bad: BadRecord }).bad;
  assert.ok(b2.excerpt!.startsWith('m2\n'));

  // Resume after each record: the same numbers, so a resumed import never shifts or repeats records.
  for (const skip of [1, 2]) {
    const r = await readAll(f, { startAfterRecord: skip });
    assert.deepEqual(r.items.map((i) => (i.ok ? i.rec.recordNo : -i.bad.recordNo)), [-2, 3].filter((n) => Math.abs(n) > skip));
  }

  // The same file cut into 5-byte chunks: the next record's first lines come from earlier batches.
  const stats = { lines: 0, latin1Lines: 0, firstLatin1Line: null };
  const buf = Buffer.from(text);
  async function* chunks() {
    for (let i = 0; i < buf.length; i += 5) yield buf.subarray(i, i + 5);
  }
  const parser = new SdfParser(0);
  const out: IngestItem[] = [];
  for await (const b of readTextBatches(chunks(), stats)) parser.pushBatch(b, out);
  parser.end(out);
  assert.deepEqual(out.map((i) => (i.ok ? `${i.rec.id} ${i.rec.props.IC50}` : `bad ${i.bad.recordNo}`)), ['m1 1.0', 'bad 2', 'm3 3.0']);
  assert.equal((out[2] as { ok: true; rec: RawRecord }).rec.text, chainMolblock('m3', 4));
});

test('SDF: missing $$$$ right after M  END, with CRLF, with V3000, and a missing M  END too', async () => {
  const v3000 = ['v3', '  x', '', '  0  0  0     0  0            999 V3000', 'M  V30 BEGIN CTAB', 'M  V30 COUNTS 1 0 0 0 0', 'M  V30 BEGIN ATOM', 'M  V30 1 C 0 0 0 0', 'M  V30 END ATOM', 'M  V30 END CTAB', 'M  END'].join('\n');
  const noEnd = chainMolblock('noend', 3).replace('\nM  END', '');
  const text = `${chainMolblock('a', 2)}\n${chainMolblock('b', 2)}\n$$$$\n${v3000}\n${chainMolblock('c', 3)}\n$$$$\n${noEnd}\n${chainMolblock('d', 2)}\n$$$$\n`;
  for (const crlf of [false, true]) {
    const { items } = await readAll(await put(`nodollars2${crlf ? '-crlf' : ''}.sdf`, crlf ? text.replace(/\n/g, '\r\n') : text));
    const summary = items.map((i) => (i.ok ? `ok ${i.rec.recordNo} ${i.rec.id}` : `bad ${i.bad.recordNo}: ${i.bad.reason}`));
    assert.equal(summary.length, 6, summary.join('\n'));
    assert.match(summary[0], /^bad 1: no \$\$\$\$ line after this record/);
    assert.equal(summary[1], 'ok 2 b');
    assert.match(summary[2], /^bad 3: no \$\$\$\$ line after this record/);
    assert.equal(summary[3], 'ok 4 c');
    assert.match(summary[4], /^bad 5: no M {2}END and no \$\$\$\$ line: the next record's header starts at line/);
    assert.equal(summary[5], 'ok 6 d');
    const b = items[1] as { ok: true; rec: RawRecord };
    assert.equal(b.rec.text, chainMolblock('b', 2));
  }
});

test('SDF: two molblocks run together without a readable header are one bad record; blank lines before a header are no record', async () => {
  // Record 2's counts line is broken, so only its M  END shows that two records ran together.
  const broken = chainMolblock('b', 2).replace(/^( {2}2 {2}1.*)$/m, 'garbage counts');
  const text = `${chainMolblock('a', 2)}\n> <P>\n1\n\n${broken}\n> <P>\n2\n\n$$$$\n\n\n${chainMolblock('c', 2)}\n$$$$\n`;
  const { items } = await readAll(await put('twoends.sdf', text));
  const summary = items.map((i) => (i.ok ? `ok ${i.rec.recordNo} ${i.rec.id} L${i.rec.line}` : `bad ${i.bad.recordNo}: ${i.bad.reason}`));
  assert.equal(summary.length, 2, summary.join('\n'));
  assert.match(summary[0], /^bad 1: a second M {2}END on line \d+ \(the first on line 8\) with no \$\$\$\$ between them: two records run together/);
  assert.equal(summary[1], `ok 2 c L${text.split('\n').indexOf('c') + 1}`);
});

// --- resume, abort, progress -------------------------------------------------------------------

test('startAfterRecord skips records but keeps numbering and line numbers (all formats)', async () => {
  const sdf = await put('resume.sdf', Array.from({ length: 30 }, (_, i) => `${chainMolblock(`m${i + 1}`, 2 + (i % 3))}\n> <I>\n${i + 1}\n\n$$$$\n`).join('') + '$$$$\n');
  const smi = await put('resume.smi', `smiles name\n${Array.from({ length: 30 }, (_, i) => (i === 9 ? '\n# gap' : `${'C'.repeat(i + 1)} n${i + 1}`)).join('\n')}\n`);
  const csv = await put('resume.csv', `smiles,id\n${Array.from({ length: 30 }, (_, i) => (i === 12 ? `C,"two\nlines"` : `${'C'.repeat(i + 1)},${i + 1}`)).join('\n')}\n`);
  for (const f of [sdf, smi, csv]) {
    const full = await readAll(f);
    assert.ok(full.items.length >= 29, f);
    for (const k of [0, 1, 13, full.items.length - 1, full.items.length + 5]) {
      const part = await readAll(f, { startAfterRecord: k });
      const expect = full.items.filter((i) => (i.ok ? i.rec.recordNo : i.bad.recordNo) > k);
      assert.deepEqual(part.items, expect, `${path.basename(f)} after ${k}`);
    }
  }
});

test('abort stops reading promptly, throws AbortError and closes the file', async () => {
  const lines = Array.from({ length: 200_000 }, (_, i) => `CC(=O)N${'C'.repeat(i % 20)} id${i}`).join('\n');
  for (const [name, content] of [['abort.smi', lines], ['abort.smi.gz', zlib.gzipSync(lines)]] as const) {
    const f = await put(name, content);
    const fdsBefore = openFds();
    const ac = new AbortController();
    const reader = await openLibrary(f, { signal: ac.signal });
    let n = 0;
    await assert.rejects(async () => {
      for await (const _ of reader.records) {
        if (++n === 1000) ac.abort();
      }
    }, (e: Error) => e.name === 'AbortError');
    assert.equal(n, 1000, 'no record is yielded after the abort');
    if (fdsBefore !== null) assert.equal(openFds(), fdsBefore, 'the file is closed when the iteration settles');
  }
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(openLibrary(path.join(dir, 'abort.smi'), { signal: ac.signal }), (e: Error) => e.name === 'AbortError');
});

test('breaking out of the loop closes the file', async () => {
  const f = await put('break.smi', Array.from({ length: 50_000 }, (_, i) => `CCO id${i}`).join('\n'));
  const fdsBefore = openFds();
  const reader = await openLibrary(f);
  let n = 0;
  for await (const _ of reader.records) if (++n === 10) break;
  assert.equal(n, 10);
  if (fdsBefore !== null) assert.equal(openFds(), fdsBefore);
  await assert.rejects(async () => {
    for await (const _ of reader.records) void _;
  }, /can be iterated only once/);
});

test('onBytes reports progress up to the total: on-disk bytes (plain), decompressed bytes vs the gzip ISIZE (gzip)', async () => {
  const text = Array.from({ length: 100_000 }, (_, i) => `c1ccccc1C${'C'.repeat(i % 9)} m${i}`).join('\n');
  for (const [name, content] of [['prog.smi', Buffer.from(text)], ['prog.smi.gz', zlib.gzipSync(text)]] as const) {
    const f = await put(name, content);
    const calls: [number, number][] = [];
    const { good } = await readAll(f, { onBytes: (b, t) => calls.push([b, t]) });
    assert.equal(good.length, 100_000);
    assert.ok(calls.length >= 1);
    for (let i = 1; i < calls.length; i++) assert.ok(calls[i][0] >= calls[i - 1][0]);
    // gzip: the whole compressed file is consumed long before the records, so progress counts
    // decompressed bytes against the size in the gzip trailer.
    const total = name.endsWith('.gz') ? Buffer.byteLength(text) : content.length;
    assert.deepEqual(calls[calls.length - 1], [total, total]);
    if (name.endsWith('.gz')) assert.ok(calls.length > 5, 'gzip progress arrives in steps, not all at once');
  }
});
