/**
 * The compound page's formula, InChI and InChIKey (ChemEngine.identifiers): the hand-assembled Hill formula
 * (core/chem/formula.ts) equals the formula layer of RDKit's standard InChI on the first approved drugs of the
 * bundled example (neutral, single-component ones, where the InChI formula layer is the Hill formula), and a
 * known drug has its published InChIKey.
 */
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ChemEngine } from '../../core/chem/engine.js';
import { formulaFromJson, hillFormula } from '../../core/chem/formula.js';
import { resourcePath } from '../../core/paths.js';

let engine: ChemEngine;
before(async () => {
  engine = await ChemEngine.create();
});
after(() => assert.equal(engine.refreshStats().liveObjects, 0, 'every RDKit object freed'));

function exampleSmiles(n: number): { name: string; smiles: string }[] {
  const lines = fs.readFileSync(path.join(resourcePath('examples'), 'approved_drugs_chembl.csv'), 'utf8').split(/\r?\n/).slice(1);
  const out: { name: string; smiles: string }[] = [];
  for (const l of lines) {
    const cells = l.split(',');
    const smiles = cells[cells.length - 1];
    // Neutral, one component, no isotopes: there the InChI formula layer is the plain Hill formula.
    if (!smiles || smiles.includes('.') || /[+-]\]|\[\d/.test(smiles)) continue;
    out.push({ name: cells[3], smiles });
    if (out.length === n) break;
  }
  return out;
}

test('formula equals the formula layer of RDKit InChI on 60 approved drugs', () => {
  const drugs = exampleSmiles(60);
  assert.equal(drugs.length, 60);
  for (const d of drugs) {
    const id = engine.identifiers(d.smiles);
    assert.ok(id.inchi?.startsWith('InChI=1S/'), `${d.name}: ${id.inchi}`);
    const layer = id.inchi!.split('/')[1];
    assert.equal(id.formula, layer, `${d.name} ${d.smiles}`);
    assert.match(id.inchiKey ?? '', /^[A-Z]{14}-[A-Z]{10}-[A-Z]$/, d.name);
  }
});

test('vemurafenib: formula and InChIKey as published (PubChem CID 42611257)', () => {
  const id = engine.identifiers('CCCS(=O)(=O)Nc1ccc(F)c(C(=O)c2c[nH]c3ncc(-c4ccc(Cl)cc4)cc23)c1F');
  assert.equal(id.formula, 'C23H18ClF2N3O3S');
  assert.equal(id.inchiKey, 'GPXBXXGIAQBQNI-UHFFFAOYSA-N');
});

test('charges, no carbon, explicit hydrogens: Hill order and charge suffix', () => {
  assert.equal(engine.identifiers('CC(=O)[O-]').formula, 'C2H3O2-');
  assert.equal(engine.identifiers('O=[As]([O-])([O-])O').formula, 'AsHO4-2');
  assert.equal(engine.identifiers('[NH4+]').formula, 'H4N+');
  assert.equal(engine.identifiers('[2H]C([2H])([2H])O').formula, 'CH4O', 'isotopes count as their element');
  assert.equal(hillFormula(new Map([['Cl', 1], ['Na', 1]])), 'ClNa', 'no carbon: alphabetical');
  assert.equal(formulaFromJson(JSON.stringify({ molecules: [{ atoms: [{ z: 6, impHs: 4 }] }] })).formula, 'CH4');
  assert.throws(() => engine.identifiers('C1CC'), /cannot read/);
});
