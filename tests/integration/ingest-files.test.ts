/**
 * Library readers on the real files in ../shared/data: every torture file is readable without throwing and
 * gives the good/bad records found by reading the files by eye (see the notes per file); the example
 * libraries give their documented record counts, columns and properties.
 *
 * Reader level only: records that RDKit will reject (bad valence, ...) are "good" here; the worker judges them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { openLibrary } from '../../core/ingest/index.js';
import type { BadRecord, IngestItem, RawRecord, ReadOptions, LibraryReader } from '../../core/ingest/index.js';

const DATA = path.resolve(import.meta.dirname, '../../../shared/data');
const TORTURE = path.join(DATA, 'torture');
const LIBS = path.join(DATA, 'libraries');

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
  return { reader, items, good: items.flatMap((i) => (i.ok ? [i.rec] : [])), bad: items.flatMap((i) => (i.ok ? [] : [i.bad])) };
}

interface Expect {
  /** recordNo → id (title) of each good record. */
  good: [number, string | null][];
  /** recordNo → line and a pattern for the reason of each bad record. */
  bad?: [number, number, RegExp][];
  check?: (r: ReadResult) => void;
}

const MOL1: Expect = { good: [[1, null]] };

/** What a careful reader sees in each file (record numbers are $$$$-separated blocks). */
const TORTURE_EXPECT: Record<string, Expect> = {
  // CRLF, a counts line with 0 atoms and 0 bonds, 13 data items: an empty structure is not a compound.
  'cdk/emptyStructure.sdf': { good: [], bad: [[1, 1, /empty structure/]] },
  'rdkit/BlankPropLines.sdf': {
    good: [[1, '48']],
    check: ({ good }) => {
      const p = good[0].props;
      // As RDKit reads it: only a truly empty line ends a value; a '>' line inside a value is part of it.
      assert.equal(p.MultiLineProperty1, 'foo\nbar\n \nbaz');
      assert.equal(p.MultiLineProperty2, 'foo\n>  <fooprop>\nbaz\n ');
      assert.equal(p.fooprop, undefined);
      assert.equal(p.CAS_RN, '15716-70-8');
      assert.equal(p.NCI_AIDS_Antiviral_Screen_EC50, '2.00E-04\tM\t>\t2.00E-04\t3');
      assert.equal(p.NSC, '48');
      assert.equal(Object.keys(p).length, 7);
      assert.match(good[0].text, /^48\n {5}RDKit {10}2D\n\n 19 20 {2}0/);
      assert.ok(good[0].text.endsWith('M  CHG  4   4   1   8   1   9   1  10   1\nM  END'));
    },
  },
  'rdkit/CH.v3k.mol': MOL1,
  'rdkit/Issue3228150.full.sdf': {
    good: [[1, '3250657']],
    check: ({ good }) => {
      assert.equal(good[0].props.PUBCHEM_COMPOUND_CID, '3250657');
      assert.equal(good[0].props.PUBCHEM_IUPAC_NAME, '1,3,4,6-tetrakis(phenylimino)-3a,6a-dihydropentalene-2,5-dione');
    },
  },
  'rdkit/Issue3432136_1.v3k.mol': MOL1,
  'rdkit/Issue3432136_2.v3k.mol': MOL1,
  'rdkit/chebi_15469.v3k.mol': { good: [[1, 'CHEBI:15469']] },
  'rdkit/chebi_57262.v3k.2.mol': { good: [[1, 'CHEBI:57262']] },
  'rdkit/chebi_57262.v3k.mol': { good: [[1, 'CHEBI:57262']] },
  // Starts with a UTF-8 BOM before an empty title line.
  'rdkit/chiral_flag.mol': { good: [[1, null]], check: ({ good }) => assert.ok(good[0].text.startsWith('\n  Mrv0541 07091305252D')) },
  // Six records, the last one without a final $$$$ (it has M  END and its data item).
  'rdkit/earlyEOF.sdf': {
    good: [[1, 'Structure1'], [2, 'Structure1'], [3, 'Structure1'], [4, 'Structure1'], [5, 'Structure1'], [6, 'Structure1']],
    check: ({ good }) => assert.deepEqual(good.map((r) => r.props.ID), ['Lig1', 'Lig2', 'Lig3', 'Lig4', 'Lig5', 'Lig6']),
  },
  'rdkit/empty2.sdf': { good: [] },
  'rdkit/github187.v3k.mol': MOL1,
  'rdkit/github741.v3k.mol': MOL1,
  // The CTAB ends with a blank line instead of M  END.
  'rdkit/github88.v3k.mol': { good: [], bad: [[1, 1, /truncated record at end of file \(no M {2}END line\)/]] },
  'rdkit/github88.v3k.sdf': { good: [[1, null]], check: ({ good }) => assert.deepEqual(good[0].props, { prop1: '4' }) },
  // Record 2 has a bad valence (RDKit's job); record 4 declares 6 bonds but lists 5.
  'rdkit/good_bad_good_bad.sdf': {
    good: [[1, 'OK'], [2, 'Sanitization Error'], [3, 'OK']],
    bad: [[4, 61, /counts line declares 6 atoms and 6 bonds but only 11 lines follow/]],
    check: ({ good }) => assert.deepEqual(good.map((r) => [r.line, r.props.ID]), [[1, 'good1'], [21, 'bad1'], [41, 'good2']]),
  },
  // Counts line "476531": 476 atoms and 531 bonds in fixed-width fields.
  'rdkit/largemol.mol': { good: [[1, null]], check: ({ good }) => assert.equal(good[0].text.split('\n').length, 1012) },
  // No newline after the last value and no $$$$.
  'rdkit/missingCR.sdf': { good: [[1, null]], check: ({ good }) => assert.deepEqual(good[0].props, { test: 'OK' }) },
  'rdkit/precision.v3k.mol': { good: [[1, 'CHEMBL506259']] },
  'rdkit/query_A.v3k.mol': MOL1,
  // '>  <ID' has no closing '>'.
  'rdkit/sdErrors1.sdf': { good: [], bad: [[1, 1, /malformed data item header on line 15/]] },
  'rdkit/sdErrors2.sdf': { good: [[1, 'Sanitization Error']] },
  // 9 atoms declared, 7 listed.
  'rdkit/sdErrors3.sdf': { good: [], bad: [[1, 1, /declares 9 atoms and 6 bonds but only 13 lines/]] },
  // 8 bonds declared, 6 listed.
  'rdkit/sdErrors4.sdf': { good: [], bad: [[1, 1, /declares 7 atoms and 8 bonds but only 13 lines/]] },
  // Junk lines after M  END and between data items are ignored (RDKit's lax mode).
  'rdkit/strictLax1.sdf': {
    good: [[1, 'Structure1'], [2, 'Structure1']],
    check: ({ good }) => assert.deepEqual(good.map((r) => r.props), [{ ID: 'Lig1', ANOTHER_PROPERTY: 'Value' }, { ID: 'Lig2', ANOTHER_PROPERTY: 'Value' }]),
  },
  'rdkit/strictLax2.sdf': {
    good: [[1, 'Structure1'], [2, 'Structure1']],
    check: ({ good }) => assert.deepEqual(good.map((r) => r.props.ANOTHER_PROPERTY), ['No blank line before dollars', 'Value2']),
  },
};

test('every torture file is readable and gives the expected good and bad records', async () => {
  const files = ['rdkit', 'cdk'].flatMap((d) => fs.readdirSync(path.join(TORTURE, d)).map((f) => `${d}/${f}`)).sort();
  assert.ok(files.length >= 27);
  for (const f of files) {
    const expect = TORTURE_EXPECT[f];
    assert.ok(expect, `no expectation written for ${f}: inspect it and add one`);
    const r = await readAll(path.join(TORTURE, f));
    assert.equal(r.reader.format, 'sdf', f);
    assert.deepEqual(r.good.map((g) => [g.recordNo, g.id]), expect.good, f);
    const bad = expect.bad ?? [];
    assert.equal(r.bad.length, bad.length, `${f}: ${JSON.stringify(r.bad)}`);
    r.bad.forEach((b, i) => {
      assert.equal(b.recordNo, bad[i][0], f);
      assert.equal(b.line, bad[i][1], f);
      assert.match(b.reason, bad[i][2], f);
      assert.ok(b.excerpt !== null && b.excerpt.length > 0, `${f}: excerpt`);
    });
    for (const g of r.good) {
      assert.equal(g.format, 'molblock');
      assert.ok(/\nM {2}END$/.test(g.text), `${f}: molblock ends with M  END`);
      assert.ok(!g.text.includes('\r') && !g.text.includes('\uFEFF'), `${f}: no CR or BOM in molblock`);
    }
    // Record numbers run 1..n over good and bad together.
    assert.deepEqual(r.items.map((i) => (i.ok ? i.rec.recordNo : i.bad.recordNo)), r.items.map((_, i) => i + 1), f);
    expect.check?.(r);
  }
});

test('approved_drugs_chembl.csv: columns detected as smiles / molecule_chembl_id / pref_name, 2628 records', async () => {
  const r = await readAll(path.join(LIBS, 'approved_drugs_chembl.csv'));
  assert.equal(r.reader.format, 'csv');
  assert.deepEqual(r.reader.columns, {
    smiles: 'smiles', id: 'molecule_chembl_id', name: 'pref_name', all: ['first_approval', 'molecule_chembl_id', 'molecule_type', 'pref_name', 'smiles'],
  });
  assert.equal(r.bad.length, 0);
  assert.equal(r.good.length, 2628);
  assert.deepEqual(r.good[0], {
    recordNo: 1, line: 2, format: 'smiles', text: 'COc1cc2nc(N3CCN(C(=O)c4ccco4)CC3)nc(N)c2cc1OC', id: 'CHEMBL2',
    props: { first_approval: '1976.0', molecule_type: 'Small molecule', pref_name: 'PRAZOSIN' },
  });
  assert.ok(r.good.every((g) => g.id !== null && g.id.startsWith('CHEMBL')));
});

test('chembl20_chiral_10k.smi.gz: 10000 records, no header, ids from the second column', async () => {
  const file = path.join(LIBS, 'chembl20_chiral_10k.smi.gz');
  const r = await readAll(file);
  assert.equal(r.reader.format, 'smi');
  assert.equal(r.reader.compressed, true);
  assert.equal(r.reader.columns, undefined);
  assert.equal(r.bad.length, 0);
  assert.equal(r.good.length, 10000);
  const lines = zlib.gunzipSync(fs.readFileSync(file)).toString('utf8').trimEnd().split('\n');
  assert.deepEqual(r.good.map((g) => `${g.text} ${g.id}`), lines);
  assert.deepEqual(r.good.map((g) => g.line), lines.map((_, i) => i + 1));
});

test('rdkit_mols_1000.sdf.gz: 1000 records with their data fields; resume after 990', async () => {
  const file = path.join(LIBS, 'rdkit_mols_1000.sdf.gz');
  const r = await readAll(file);
  assert.equal(r.reader.compressed, true);
  assert.equal(r.bad.length, 0);
  assert.equal(r.good.length, 1000);
  assert.ok(r.good.every((g) => g.props.PUBCHEM_COMPOUND_CID === g.id));
  assert.ok(r.good.every((g) => Object.keys(g.props).length >= 20));
  assert.equal(r.good[0].id, '23684363');
  const tail = await readAll(file, { startAfterRecord: 990 });
  assert.deepEqual(tail.items, r.items.slice(990));
});

test('solubility.test.sdf: 257 records, all properties kept', async () => {
  const r = await readAll(path.join(LIBS, 'solubility.test.sdf'));
  assert.equal(r.good.length, 257);
  assert.equal(r.bad.length, 0);
  assert.deepEqual(r.good[0].props, { ID: '5', NAME: '3-methylpentane', SOL: '-3.68', SMILES: 'CCC(C)CC', SOL_classification: '(A) low' });
  assert.equal(r.good[0].id, '3-methylpentane');
  assert.ok(r.good.every((g) => Object.keys(g.props).join(',') === 'ID,NAME,SOL,SMILES,SOL_classification'));
});

test('the other example libraries: documented record counts, no bad records', async () => {
  const cases: [string, number, string | null][] = [
    ['chembl30_sample_a.csv.gz', 45299, 'chembl_id'],
    ['moses_test.csv.gz', 176074, null],
    ['cdk2.sdf', 47, null],
    ['bzr.sdf', 163, null],
    ['solubility.train.sdf', 1025, null],
  ];
  for (const [name, n, idCol] of cases) {
    const file = path.join(LIBS, name);
    const size = fs.statSync(file).size;
    let last: [number, number] = [0, 0];
    const r = await readAll(file, { onBytes: (b, t) => { last = [b, t]; } });
    assert.equal(r.good.length, n, name);
    assert.equal(r.bad.length, 0, name);
    // Plain files count on-disk bytes; gzip counts decompressed bytes against the trailer's size.
    const total = name.endsWith('.gz') ? zlib.gunzipSync(fs.readFileSync(file)).length : size;
    assert.deepEqual(last, [total, total], `${name}: progress reaches the total`);
    if (r.reader.columns) assert.equal(r.reader.columns.id, idCol, name);
  }
});
