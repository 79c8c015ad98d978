/**
 * Display-name detection: which column (or SDF data field) names a compound, never the id column; a named
 * column wins over detection; a named column that is not there is an error naming the file and the column.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectColumns, pickNameField } from '../../core/ingest/detect.js';
import { openLibrary } from '../../core/ingest/index.js';
import { NameFields } from '../../core/library/names.js';

const EXAMPLE = path.resolve(import.meta.dirname, '../../resources/examples/approved_drugs_chembl.csv');

test('the bundled ChEMBL example: pref_name is the name, molecule_chembl_id the id', () => {
  const header = fs.readFileSync(EXAMPLE, 'utf8').split('\n', 1)[0].split(',');
  const c = detectColumns(header, 'approved.csv');
  assert.equal(c.id, 'molecule_chembl_id');
  assert.equal(c.name, 'pref_name');
  assert.equal(c.smiles, 'smiles');
});

test('names are normalised like ids (case, spaces, punctuation) and taken in order of preference', () => {
  assert.equal(detectColumns(['SMILES', 'ID', 'Compound Name'], 'f.csv').name, 'Compound Name');
  assert.equal(detectColumns(['smiles', 'cid', 'Drug-Name', 'Title'], 'f.csv').name, 'Drug-Name');
  assert.equal(detectColumns(['smiles', 'zinc_id', 'Molecule_Name'], 'f.csv').name, 'Molecule_Name');
  assert.equal(detectColumns(['smiles', 'id', 'title', 'PREF_NAME'], 'f.csv').name, 'PREF_NAME');
  assert.equal(detectColumns(['smiles', 'id', 'activity'], 'f.csv').name, null);
  // GDSC's drug list: no id-like column but gdsc_drug_id, and drug_name is the name.
  assert.deepEqual(detectColumns(['gdsc_drug_id', 'drug_name', 'smiles', 'targets'], 'drugs.csv').name, 'drug_name');
});

test('the id column is never reused as the name', () => {
  // `name` is the only identifier: it is the id, and there is no separate name.
  const c = detectColumns(['smiles', 'name'], 'f.csv');
  assert.equal(c.id, 'name');
  assert.equal(c.name, null);
  // With --id-column on the name-like column, the next name-like column is the name.
  const d = detectColumns(['smiles', 'Name', 'title'], 'f.csv', { idColumn: 'Name' });
  assert.equal(d.id, 'Name');
  assert.equal(d.name, 'title');
  assert.equal(pickNameField(['Name', 'x'], undefined, ['Name']), null);
});

test('--name-column wins over detection (exact, then case-insensitive)', () => {
  assert.equal(detectColumns(['smiles', 'id', 'name', 'INN'], 'f.csv', { nameColumn: 'INN' }).name, 'INN');
  assert.equal(detectColumns(['smiles', 'id', 'name', 'Synonym'], 'f.csv', { nameColumn: 'synonym' }).name, 'Synonym');
});

test('a named name column that is missing, or is the id or structure column, is a clear error', () => {
  assert.throws(() => detectColumns(['smiles', 'id', 'name'], '/data/lib.csv', { nameColumn: 'drug' }),
    /\/data\/lib\.csv: no column named 'drug' for the name \(columns found: 'smiles', 'id', 'name'\)/);
  assert.throws(() => detectColumns(['smiles', 'id', 'name'], 'lib.csv', { nameColumn: 'ID' }), /lib\.csv: column 'ID' is the id column/);
  assert.throws(() => detectColumns(['smiles', 'id', 'name'], 'lib.csv', { nameColumn: 'smiles' }), /lib\.csv: column 'smiles' is the structure column/);
});

test('records: a table\'s name column and an SDF record\'s name-like data field become the display name', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-names-'));
  const csv = path.join(dir, 'lib.csv');
  fs.writeFileSync(csv, 'SMILES,Name,Compound_ID\nCCO,ethanol,C-1\nCC(=O)O,  ,C-2\n');
  const reader = await openLibrary(csv);
  assert.equal(reader.columns?.id, 'Compound_ID');
  assert.equal(reader.columns?.name, 'Name');
  const names = new NameFields();
  const got: (string | null)[] = [];
  for await (const it of reader.records) if (it.ok) got.push(`${it.rec.id}=${names.read(it.rec.props)}`);
  assert.deepEqual(got, ['C-1=ethanol', 'C-2=null'], 'a blank name is no name');

  const sdf = path.join(dir, 'lib.sdf');
  const mol = (title: string, fields: string) => `${title}\n  test\n\n  1  0  0  0  0  0  0  0  0  0999 V2000\n    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\nM  END\n${fields}$$$$\n`;
  fs.writeFileSync(sdf, mol('MOL-1', '> <NAME>\nmethane\n\n> <ID>\n5\n\n') + mol('MOL-2', '> <Activity>\n3\n\n'));
  const out: string[] = [];
  const r2 = await openLibrary(sdf);
  const n2 = new NameFields();
  const n3 = new NameFields('id');
  for await (const it of r2.records) if (it.ok) out.push(`${it.rec.id}=${n2.read(it.rec.props)}/${n3.read(it.rec.props)}`);
  // The title line stays the id; NAME is the name; a named field wins (case-insensitively); no field, no name.
  assert.deepEqual(out, ['MOL-1=methane/5', 'MOL-2=null/null']);
});
