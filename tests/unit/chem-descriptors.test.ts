/**
 * Descriptors and QED of the worker engine against independent tools and RDKit's own QED.py.
 * Descriptors are computed on the standardised parent, so comparisons with values computed on the
 * record as given use only records that standardisation left unchanged (no salts, no charges edited).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { ChemEngine } from '../../core/chem/engine.js';
import { DESCRIPTOR_NAMES, FP_BYTES } from '../../core/chem/types.js';
import type { ChemBatchOutput } from '../../core/chem/types.js';
import { Kit } from '../../core/chem/rdkit.js';
import { formulaFromJson } from '../../core/chem/formula.js';
import type { Mol } from '@rdkit/rdkit';

const REF = path.resolve(import.meta.dirname, '../../../shared/data/reference');
const ND = DESCRIPTOR_NAMES.length;
let engine: ChemEngine;

function csv(file: string): { smiles: string; value: number }[] {
  // first line is a comment; SMILES never contain ','
  return fs.readFileSync(path.join(REF, file), 'utf8').split('\n').slice(1).filter(Boolean).map((l) => {
    const i = l.lastIndexOf(',');
    return { smiles: l.slice(0, i), value: Number(l.slice(i + 1)) };
  });
}
const desc = (out: ChemBatchOutput, k: number, name: string) => out.descriptors[k * ND + DESCRIPTOR_NAMES.indexOf(name)];

let nci: { smiles: string[]; out: ChemBatchOutput } | null = null;
/** The 5k NCI structures of both reference files (same SMILES, same order), processed once. */
async function nci5k(): Promise<{ smiles: string[]; out: ChemBatchOutput }> {
  if (!nci) {
    const smiles = csv('nci_first_5k.tpsa.csv').map((r) => r.smiles);
    nci = { smiles, out: await engine.processBatch({ texts: smiles, molblock: new Uint8Array(smiles.length) }) };
  }
  return nci;
}

before(async () => {
  engine = await ChemEngine.create();
});

test('TPSA equals Ertl/Daylight TPSA (N and O contributions) within 0.01 Å²', async () => {
  const ref = csv('nci_first_5k.tpsa.csv');
  const { smiles, out } = await nci5k();
  assert.deepEqual(smiles, ref.map((r) => r.smiles));
  let compared = 0;
  const off: string[] = [];
  for (let k = 0; k < out.n; k++) {
    if (!out.ok[k] || out.standardisation[k] !== '') continue;
    compared++;
    const d = desc(out, k, 'tpsa') - ref[k].value;
    if (Math.abs(d) > 0.01) off.push(`${ref[k].smiles}: ${desc(out, k, 'tpsa').toFixed(2)} vs ${ref[k].value}`);
  }
  assert.ok(compared > 4800, `${compared} records compared`);
  // Both sides use Ertl's N/O fragment table without S and P (RDKit's default, tpsa.c's default), so they
  // agree exactly except where atom typing of unusual charged N differs (1 record here: a C-nitroso ylide
  // drawn as [N+](=O)[C-], typed as nitro-like N by RDKit).
  assert.ok(off.length <= 3, `differ beyond 0.01 Å²: ${off.join('; ')}`);
});

test('QED equals RDKit QED.py (reference file) within 1e-6 for ≥ 99.9 % of the 5k NCI set', async () => {
  const ref = csv('nci_first_5k.qed_rdkit.csv');
  const { smiles, out } = await nci5k();
  const row = new Map(smiles.map((s, k) => [s, k]));
  let compared = 0, within = 0, worst = 0;
  const off: string[] = [];
  for (const r of ref) {
    const k = row.get(r.smiles);
    if (k === undefined || !out.ok[k] || out.standardisation[k] !== '') continue;
    compared++;
    const d = Math.abs(desc(out, k, 'QED') - r.value);
    if (d <= 1e-6) within++;
    else off.push(`${r.smiles}: ${desc(out, k, 'QED').toFixed(4)} vs ${r.value.toFixed(4)}`);
    worst = Math.max(worst, d);
  }
  assert.ok(compared > 4800, `${compared} records compared`);
  // The few differences (3 of 4,8xx when this was written: a porphyrin and two large fused polyaromatics)
  // come from the reference file's older RDKit: native RDKit 2022.09's QED.qed() gives our values for
  // them (its aromaticity perception and ring counts of these systems changed since). Our properties are
  // exactly QED.properties(): MW, ALOGP, HBD, PSA, ROTB straight from get_descriptors(), HBA/AROM/ALERTS
  // from the JS pattern engine (checked against RDKit in chem-smarts.test.ts).
  assert.ok(within / compared >= 0.999, `${within}/${compared} within 1e-6; off: ${off.slice(0, 10).join('; ')}`);
  assert.ok(worst < 0.1, `largest difference ${worst}`);
});

test("QED.py's documented examples", async () => {
  const texts = ['N=C(CCSCc1csc(N=C(N)N)n1)NS(N)(=O)=O', 'CNC(=NCCSCc1nc[nH]c1C)NC#N', 'CCCCCNC(=N)NN=Cc1c[nH]c2ccc(CO)cc12'];
  const out = await engine.processBatch({ texts, molblock: new Uint8Array(3) });
  assert.deepEqual([...out.ok], [1, 1, 1]);
  // the doctest prints '0.253...', '0.234...', '0.234...' (truncated)
  assert.deepEqual([0, 1, 2].map((k) => String(desc(out, k, 'QED')).slice(0, 5)), ['0.253', '0.234', '0.234']);
});

function sdfRecords(text: string): { molblock: string; props: Record<string, string> }[] {
  return text.split(/\$\$\$\$\r?\n?/).filter((r) => r.includes('M  END')).map((r) => {
    const end = r.indexOf('M  END') + 6;
    const props: Record<string, string> = {};
    for (const m of r.slice(end).matchAll(/>\s*<([^>]+)>[^\n]*\n([^\n]*)/g)) props[m[1]] = m[2].trim();
    return { molblock: r.slice(0, end), props };
  });
}

test('MW, donors, acceptors, rotatable bonds, rings vs the Daylight property set (nci_first_200.props.sdf)', async () => {
  const recs = sdfRecords(fs.readFileSync(path.join(REF, 'nci_first_200.props.sdf'), 'utf8'));
  const out = await engine.processBatch({ texts: recs.map((r) => r.molblock), molblock: new Uint8Array(recs.length).fill(1) });
  let compared = 0;
  for (let k = 0; k < out.n; k++) {
    if (!out.ok[k] || out.standardisation[k] !== '') continue;
    compared++;
    const p = recs[k].props;
    const where = `record ${k + 1} ${out.originalSmiles[k]}`;
    // Average MW: atomic-weight tables differ in the 3rd decimal (e.g. Cl 35.453 vs 35.45).
    assert.ok(Math.abs(desc(out, k, 'amw') - Number(p.AMW)) < 0.01, `${where}: MW ${desc(out, k, 'amw')} vs ${p.AMW}`);
    assert.equal(desc(out, k, 'lipinskiHBD'), Number(p.NUM_LIPINSKIHDONORS), `${where}: NH+OH`);
    assert.equal(desc(out, k, 'lipinskiHBA'), Number(p.NUM_LIPINSKIHACCEPTORS), `${where}: N+O`);
    assert.equal(desc(out, k, 'NumHBD'), Number(p.NUM_HDONORS), `${where}: donors`);
    assert.equal(desc(out, k, 'NumHBA'), Number(p.NUM_HACCEPTORS), `${where}: acceptors`);
    assert.equal(desc(out, k, 'NumRotatableBonds'), Number(p.NUM_ROTATABLEBONDS), `${where}: rotatable bonds`);
    assert.equal(desc(out, k, 'NumRings'), Number(p.NUM_RINGS), `${where}: rings`);
  }
  assert.ok(compared >= 190, `${compared} records compared`);
});

/*
 * PubChem comparison (pubchem_compound_1_250.sdf.gz: CIDs 1–250 with the values PubChem's Cactvs computed
 * when that dump was made). Cactvs and RDKit define several of these descriptors differently on purpose, so
 * each comparison first puts both sides on one definition, says which, and then asserts agreement on every
 * record; the records that still disagree are listed by class, with the reason and a check of that reason,
 * in tests/fixtures/pubchem-disagreements.json.
 *
 * The records draw every hydrogen as an atom. RDKit's rotatable-bond (and other degree-based) definitions
 * are written for the hydrogen-suppressed graph; the engine reads molblocks with RDKit's removeHs (the
 * drawn-hydrogen tests below), so it is given the records as they are.
 */
interface PubchemRecord { cid: number; molblock: string; props: Record<string, string> }
interface DisagreementClass { class: string; reason: string; smarts?: string; perMatch?: number; kekule?: boolean; cids: number[] }
type Disagreements = Record<'tpsa' | 'hba' | 'hbd' | 'rotatableBonds' | 'mw' | 'formula' | 'inchikey', DisagreementClass[]>;

const PUBCHEM_FILE = path.join(REF, 'pubchem_compound_1_250.sdf.gz');
const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/pubchem-disagreements.json');

function pubchemRecords(): PubchemRecord[] {
  return sdfRecords(zlib.gunzipSync(fs.readFileSync(PUBCHEM_FILE)).toString('utf8')).map((r) => ({ cid: Number(r.props.PUBCHEM_COMPOUND_CID), ...r }));
}

/** Substructure counts with RDKit's matcher (unique matches), query molecules cached per SMARTS. */
class Matcher {
  private q = new Map<string, Mol>();
  constructor(readonly kit: Kit) {}
  count(mol: Mol, smarts: string): number {
    let q = this.q.get(smarts);
    if (!q) {
      q = this.kit.R.get_qmol(smarts) ?? undefined;
      assert.ok(q, `bad SMARTS ${smarts}`);
      this.q.set(smarts, q);
    }
    const m = mol.get_substruct_matches(q);
    return m === '{}' ? 0 : (JSON.parse(m) as unknown[]).length;
  }
  dispose(): void {
    for (const q of this.q.values()) q.delete();
    this.q.clear();
  }
}

/** Hill-order molecular formula with PubChem's charge suffix: the engine's (core/chem/formula.ts), from RDKit's atom list. */
function hillFormula(mol: Mol): { formula: string; counts: Map<string, number> } {
  return formulaFromJson(mol.get_json());
}

/**
 * Standard atomic weights behind PubChem's MW in this dump (IUPAC 2005: H 1.00794, C 12.0107, …). RDKit uses
 * the later conventional values (H 1.008, C 12.011, S 32.067, …). The MW test computes, from the formula, the
 * difference the two tables must make and asserts that nothing else is left.
 */
const PUBCHEM_WEIGHTS: Record<string, number> = { H: 1.00794, C: 12.0107, N: 14.0067, O: 15.9994, P: 30.973762, S: 32.065, Cl: 35.453, As: 74.9216 };

/**
 * Ertl's TPSA contributions of S and P (Ertl, Rohde, Selzer, J. Med. Chem. 2000, 43, 3714, table 1), as
 * SMARTS on the hydrogen-suppressed graph. RDKit has them behind CalcTPSA(includeSandP=true), but this WASM
 * build's get_descriptors() takes no options and computes only the default N/O TPSA (its property cache key
 * is `_tpsa-0`), so the test adds the S terms itself. P terms are listed because the test shows PubChem
 * leaves them out.
 */
const TPSA_S: [string, number][] = [
  ['[#16;+0;H0;D2;!a;!$(*=*)]', 25.30], // [S](-*)-*
  ['[#16;+0;H0;D1;$(*=*)]', 32.09], // [S]=*
  ['[#16;+0;H0;D3;!a;$(*=*);!$(*(=*)=*)]', 19.21], // [S](-*)(-*)=*
  ['[#16;+0;H0;D4;$(*(=*)=*)]', 8.38], // [S](-*)(-*)(=*)=*
  ['[#16;+0;H1;D1]', 38.80], // [SH]-*
  ['[s;+0;H0;D2]', 28.24], // [s](:*):*
  ['[s;+0;H0;D3;$(*=*)]', 21.70], // [s](=*)(:*):*
];
const TPSA_P: [string, number][] = [
  ['[#15;+0;H0;D3;!$(*=*)]', 13.59], // [P](-*)(-*)-*
  ['[#15;+0;H0;D2;$(*=*)]', 34.14], // [P](-*)=*
  ['[#15;+0;H0;D4;$(*=*)]', 9.81], // [P](-*)(-*)(-*)=*
  ['[#15;+0;H1;D3;$(*=*)]', 23.47], // [PH](-*)(-*)=*
];

/**
 * PubChem gives TPSA to 3 significant figures (0.1 Å² below 100, 1 Å² from 100): half a unit of that last
 * digit, plus 0.1 Å² because Cactvs's fragment sums differ from RDKit's in the second decimal (tartronate:
 * RDKit 100.49, PubChem 101; arginine 107.49 vs 108).
 */
const tpsaTolerance = (pubchem: number) => (pubchem >= 100 ? 0.5 : 0.05) + 0.1;

/**
 * Checks `disagree` (cid → message) against the fixture's classes for one property: every disagreeing record
 * is listed, every listed record disagrees, and each class's stated reason holds (its SMARTS is present; its
 * per-match correction, or RDKit's Kekulé-form value, reproduces PubChem).
 */
function checkAgainstFixture(
  property: keyof Disagreements,
  classes: DisagreementClass[],
  compared: Map<number, Mol>,
  disagree: Map<number, string>,
  m: Matcher,
  reproduces?: (cid: number, c: DisagreementClass, mol: Mol) => string | null,
): void {
  const listed = new Map<number, DisagreementClass>();
  for (const c of classes) for (const cid of c.cids) listed.set(cid, c);
  const unexplained = [...disagree].filter(([cid]) => !listed.has(cid)).map(([cid, msg]) => `CID ${cid}: ${msg}`);
  assert.deepEqual(unexplained, [], `${property}: disagreements not listed in ${path.basename(FIXTURE)}`);
  for (const [cid, c] of listed) {
    const mol = compared.get(cid);
    if (!mol) continue; // not compared (standardisation changed it)
    assert.ok(disagree.has(cid), `${property}: CID ${cid} is listed under "${c.class}" but agrees`);
    if (c.smarts) assert.ok(m.count(mol, c.smarts) > 0, `${property}: CID ${cid} listed under "${c.class}" has no ${c.smarts}`);
    const why = reproduces?.(cid, c, mol);
    if (why) assert.fail(`${property}: CID ${cid} "${c.class}": the stated reason does not reproduce PubChem: ${why}`);
  }
}

test('PubChem (pubchem_compound_1_250.sdf.gz): MW, donors, acceptors, rotatable bonds, TPSA, formula, InChIKey', async (t) => {
  if (!fs.existsSync(PUBCHEM_FILE)) {
    t.skip(`${PUBCHEM_FILE} is not in the shared data (README lists it); this comparison needs it`);
    return;
  }
  const fixture = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Disagreements;
  const recs = pubchemRecords();
  assert.equal(recs.length, 245);
  const kit = await Kit.create();
  const m = new Matcher(kit);
  const mols: Mol[] = [];
  const mol = (text: string, opts: string) => {
    const x = kit.R.get_mol(text, opts);
    if (x) mols.push(x);
    return x;
  };
  try {
    // --- Formula, InChI and InChIKey: on the records as given, every record both tools parse (all 245 do;
    // one RDKit cannot parse would be named here with RDKit's message). RDKit's InChI is the InChI Trust
    // library inside the WASM build, PubChem's its own run of it: the full standard InChI strings must match.
    const unparsed: string[] = [];
    const formulaOff = new Map<number, string>();
    const keyOff = new Map<number, string>();
    const asGiven = new Map<number, Mol>();
    for (const r of recs) {
      kit.clearLog();
      const x = mol(r.molblock, '{}');
      if (!x) {
        unparsed.push(`CID ${r.cid}: ${kit.logMessage() || 'RDKit could not parse the molblock'}`);
        continue;
      }
      asGiven.set(r.cid, x);
      const f = hillFormula(x).formula;
      if (f !== r.props.PUBCHEM_MOLECULAR_FORMULA) formulaOff.set(r.cid, `${f} vs ${r.props.PUBCHEM_MOLECULAR_FORMULA}`);
      const inchi = x.get_inchi();
      const key = kit.R.get_inchikey_for_inchi(inchi);
      if (key !== r.props.PUBCHEM_IUPAC_INCHIKEY || inchi !== r.props.PUBCHEM_IUPAC_INCHI) {
        keyOff.set(r.cid, `${inchi} ${key} vs ${r.props.PUBCHEM_IUPAC_INCHI} ${r.props.PUBCHEM_IUPAC_INCHIKEY}`);
      }
    }
    assert.deepEqual(unparsed, [], 'records RDKit could not parse');
    checkAgainstFixture('formula', fixture.formula, asGiven, formulaOff, m);
    checkAgainstFixture('inchikey', fixture.inchikey, asGiven, keyOff, m);

    // --- Descriptors: the engine on the records as PubChem drew them (it removes the drawn H, as RDKit's
    // definitions assume); only records standardisation left unchanged (the others' descriptors describe
    // a different molecule, the neutralised parent). The test's own SMARTS counts use the same molecule.
    const stripped = recs.map((r) => mol(r.molblock, '{"removeHs":true}')!);
    const out = await engine.processBatch({ texts: recs.map((r) => r.molblock), molblock: new Uint8Array(recs.length).fill(1) });
    const compared = new Map<number, Mol>();
    const kekule = new Map<number, Mol>();
    const off = { mw: new Map<number, string>(), hbd: new Map<number, string>(), hba: new Map<number, string>(), rotb: new Map<number, string>(), tpsa: new Map<number, string>() };
    const rate = { numHBA: 0, strictRotb: 0, nonStrictRotb: 0, tpsaNO: 0, tpsaWithP: 0, withP: 0, nFree: 0 };
    const rdkitWeight = new Map<string, number>();
    const weight = (el: string) => {
      if (!rdkitWeight.has(el)) {
        const a = mol(`[${el}]`, '{}')!;
        rdkitWeight.set(el, (JSON.parse(a.get_descriptors()) as { amw: number }).amw);
      }
      return rdkitWeight.get(el)!;
    };
    for (let k = 0; k < recs.length; k++) {
      const { cid, props: p } = recs[k];
      assert.ok(out.ok[k], `CID ${cid}: ${out.error[k]}`);
      if (out.standardisation[k] !== '') continue;
      const x = stripped[k];
      compared.set(cid, x);
      const d = (name: string) => desc(out, k, name);

      // MW: RDKit's average MW minus PubChem's must be exactly what the two atomic-weight tables make it
      // (H 1.008 vs 1.00794 alone is 6e-5 per H); PubChem gives 5 decimals, RDKit sums in doubles: 1e-4.
      const { counts } = hillFormula(x);
      let tables = 0;
      for (const [el, n] of counts) {
        assert.ok(el in PUBCHEM_WEIGHTS, `CID ${cid}: no PubChem weight for ${el} in this test`);
        tables += n * (weight(el) - PUBCHEM_WEIGHTS[el]);
      }
      const dmw = d('amw') - Number(p.PUBCHEM_MOLECULAR_WEIGHT);
      if (Math.abs(dmw - tables) > 1e-4) off.mw.set(cid, `${d('amw')} vs ${p.PUBCHEM_MOLECULAR_WEIGHT} (tables explain ${tables.toFixed(5)})`);

      // Donors: both count donor atoms (not H atoms). RDKit's NumHBD counts N–H, O–H and S–H atoms
      // (and some charged N); Cactvs here counts N–H and O–H but not S–H (CIDs 98 and 132, thiols).
      const hbd = d('NumHBD') - m.count(x, '[#16X2H1]');
      if (hbd !== Number(p.PUBCHEM_CACTVS_HBOND_DONOR)) off.hbd.set(cid, `NumHBD ${d('NumHBD')} − S–H = ${hbd} vs ${p.PUBCHEM_CACTVS_HBOND_DONOR}`);

      // Acceptors: Cactvs counts every O (the file has no F), never S, Cl or P, and only some N (amine and
      // pyridine-type N yes, amide N no; in this dump not the ring N of adenine or pyrimidines either — a
      // typing we do not reproduce). So with lipinskiHBA = N + O (RDKit): O ≤ PubChem ≤ N + O on every
      // record, with equality on N-free records. RDKit's NumHBA (Lipinski.NumHAcceptors' SMARTS: no
      // carboxylic-acid OH, no amide N, but thioether/thione S and aromatic n) is a different definition:
      // its agreement rate is reported, not explained record by record.
      const pcA = Number(p.PUBCHEM_CACTVS_HBOND_ACCEPTOR);
      const nN = m.count(x, '[#7]');
      const nO = d('lipinskiHBA') - nN;
      if (pcA < nO || pcA > nO + nN || (nN === 0 && pcA !== nO)) off.hba.set(cid, `PubChem ${pcA}, O ${nO}, N ${nN}`);
      if (nN === 0) rate.nFree++;
      if (d('NumHBA') === pcA) rate.numHBA++;

      // Rotatable bonds: RDKit's NumRotatableBonds is its strict definition (acyclic single bonds between
      // non-terminal heavy atoms, not to triple bonds, not C(=X)–N/O/S of amides/esters/thioesters on a
      // [CD3] carbon, not CF3/CCl3/CBr3/tBu). Cactvs (from these data): the same except that it DOES rotate
      // ester, thioester and acyl-phosphate C(=O)–O/S, does NOT rotate formamide HC(=O)–N (RDKit's
      // amide exclusion needs [CD3]) nor bonds to carboxylate or nitro groups (symmetric ends). Applied as
      // corrections counted with SMARTS, the two agree on every record.
      const strict = d('NumRotatableBonds');
      const cactvs = strict + m.count(x, '[CD3](=[O,S])-!@[O,S;D2]') - m.count(x, '[CD2;H1](=O)-!@[#7;!D1]')
        - m.count(x, '[!D1]-!@[CX3](=O)[O-]') - m.count(x, '[!D1]-!@[N+](=O)[O-]');
      const pcR = Number(p.PUBCHEM_CACTVS_ROTATABLE_BOND);
      if (cactvs !== pcR) off.rotb.set(cid, `strict ${strict}, corrected ${cactvs} vs ${pcR}`);
      if (strict === pcR) rate.strictRotb++;
      // RDKit's NonStrict definition (its documented SMARTS; not exposed by get_descriptors()): also
      // rotates amide C–N, CF3 and the like.
      if (m.count(x, '[!$(*#*)&!D1]-&!@[!$(*#*)&!D1]') === pcR) rate.nonStrictRotb++;

      // TPSA: PubChem's includes S contributions and leaves out P (adding Ertl's P terms breaks every
      // phosphate record: counted below). Ours = RDKit tpsa (N, O) + Ertl's S terms.
      const pcT = Number(p.PUBCHEM_CACTVS_TPSA);
      const sTerms = TPSA_S.reduce((s, [q, v]) => s + m.count(x, q) * v, 0);
      const pTerms = TPSA_P.reduce((s, [q, v]) => s + m.count(x, q) * v, 0);
      const tpsa = d('tpsa') + sTerms;
      if (Math.abs(tpsa - pcT) > tpsaTolerance(pcT)) off.tpsa.set(cid, `${d('tpsa').toFixed(2)} + S ${sTerms.toFixed(2)} vs ${pcT}`);
      if (Math.abs(d('tpsa') - pcT) <= tpsaTolerance(pcT)) rate.tpsaNO++;
      if (pTerms > 0) {
        rate.withP++;
        if (Math.abs(tpsa + pTerms - pcT) <= tpsaTolerance(pcT)) rate.tpsaWithP++;
      }
      kekule.set(cid, mol(recs[k].molblock, '{"removeHs":true,"setAromaticity":false}')!);
    }
    const n = compared.size;
    // 6 are left out: 5 anions and salts that standardisation neutralises, and ammonium (→ ammonia)
    assert.ok(n >= 235, `${n} records compared`);

    checkAgainstFixture('mw', fixture.mw, compared, off.mw, m);
    checkAgainstFixture('hbd', fixture.hbd, compared, off.hbd, m);
    checkAgainstFixture('hba', fixture.hba, compared, off.hba, m);
    checkAgainstFixture('rotatableBonds', fixture.rotatableBonds, compared, off.rotb, m);
    const pubchemTpsa = new Map(recs.map((r) => [r.cid, Number(r.props.PUBCHEM_CACTVS_TPSA)]));
    checkAgainstFixture('tpsa', fixture.tpsa, compared, off.tpsa, m, (cid, c, x) => {
      const pc = pubchemTpsa.get(cid)!;
      const ours = (mm: Mol) => (JSON.parse(mm.get_descriptors()) as { tpsa: number }).tpsa + TPSA_S.reduce((s, [q, v]) => s + m.count(mm, q) * v, 0);
      if (c.perMatch !== undefined && c.smarts) {
        const v = ours(x) + c.perMatch * m.count(x, c.smarts);
        if (Math.abs(v - pc) > tpsaTolerance(pc)) return `corrected ${v.toFixed(2)} vs ${pc}`;
      }
      if (c.kekule) {
        const v = ours(kekule.get(cid)!);
        if (Math.abs(v - pc) > tpsaTolerance(pc)) return `Kekulé form ${v.toFixed(2)} vs ${pc}`;
      }
      return null;
    });

    // Rates where the definitions differ (figures in the README). Floors sit just under what was measured,
    // so a change of RDKit or of the data that moves them is noticed.
    t.diagnostic(`compared ${n}; TPSA N+O+S ${n - off.tpsa.size}/${n} (N+O only ${rate.tpsaNO}; with P ${rate.tpsaWithP}/${rate.withP} P records); ` +
      `rotatable strict ${rate.strictRotb}, non-strict ${rate.nonStrictRotb}, corrected ${n - off.rotb.size}; NumHBA ${rate.numHBA}; N-free ${rate.nFree}`);
    assert.ok(rate.tpsaWithP <= 2, `adding Ertl's P terms agrees on ${rate.tpsaWithP} of ${rate.withP} records with P: PubChem may include P after all`);
    assert.ok(rate.strictRotb >= 210 && rate.nonStrictRotb >= 195, JSON.stringify(rate));
    assert.ok(rate.numHBA >= 70, JSON.stringify(rate));
    assert.ok(rate.nFree >= 110, 'N-free records, where acceptors must agree exactly');
  } finally {
    for (const x of mols) x.delete();
    m.dispose();
  }
});

test('an SDF record with drawn hydrogens is the molecule of its SMILES: same SMILES, identity, InChIKey, descriptors, fingerprint', async (t) => {
  if (!fs.existsSync(PUBCHEM_FILE)) {
    t.skip(`${PUBCHEM_FILE} is not in the shared data`);
    return;
  }
  // PubChem draws every H as an atom; the same records carry OpenEye's isomeric SMILES (no H atoms), an
  // independent writing of the same structure.
  const recs = pubchemRecords();
  const drawn = await engine.processBatch({ texts: recs.map((r) => r.molblock), molblock: new Uint8Array(recs.length).fill(1) });
  const smiles = await engine.processBatch({ texts: recs.map((r) => r.props.PUBCHEM_OPENEYE_ISO_SMILES), molblock: new Uint8Array(recs.length) });
  const kit = await Kit.create();
  const inchikey = (s: string) => {
    const mol = kit.R.get_mol(s);
    assert.ok(mol, s);
    try {
      return kit.R.get_inchikey_for_inchi(mol.get_inchi());
    } finally {
      mol.delete();
    }
  };
  // records per field that differ (doubles compared to 1e-9)
  const differ: Record<string, number[]> = {};
  const note = (field: string, k: number) => (differ[field] ??= []).push(recs[k].cid);
  for (let k = 0; k < recs.length; k++) {
    assert.ok(drawn.ok[k] && smiles.ok[k], `CID ${recs[k].cid}: ${drawn.error[k] ?? smiles.error[k]}`);
    if (drawn.originalSmiles[k] !== smiles.originalSmiles[k]) note('canonical SMILES', k);
    if (drawn.identity[k] !== smiles.identity[k]) note('identity', k);
    if (drawn.originalSmiles[k].includes('[H]')) note('H atoms kept', k);
    if (inchikey(drawn.originalSmiles[k]) !== recs[k].props.PUBCHEM_IUPAC_INCHIKEY) note('InChIKey (PubChem)', k);
    for (const name of DESCRIPTOR_NAMES) {
      const a = desc(drawn, k, name), b = desc(smiles, k, name);
      if (!(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)))) note(name, k);
    }
    const fp = (o: ChemBatchOutput) => o.fingerprints.subarray(k * FP_BYTES, (k + 1) * FP_BYTES);
    if (!Buffer.from(fp(drawn)).equals(Buffer.from(fp(smiles)))) note('Morgan fingerprint', k);
  }
  assert.deepEqual(Object.entries(differ).map(([f, cids]) => `${f}: ${cids.length} records (CIDs ${cids.slice(0, 8).join(', ')}…)`), []);
});

test('drawn hydrogens that carry meaning stay: isotopes, H2; wedge stereo drawn on an H is kept', async () => {
  // Molblocks written by RDKit from the molecule with explicit H (coordinates and wedges computed by
  // RDKit, the wedge on the H atom at each stereocentre), read back by the engine.
  const cases = ['C[C@@H](N)C(=O)O', 'C[C@H](N)C(=O)O', 'CC[C@H](C)O', 'F/C=C/F', 'F/C=C\\F', '[2H]C([2H])([2H])O', '[3H]C(=O)O', '[H][H]', 'CC(=O)[O-].[Na+]'];
  const kit = await Kit.create();
  const molblocks = cases.map((s) => {
    const mol = kit.R.get_mol(s);
    assert.ok(mol, s);
    const withH = kit.R.get_mol(mol.add_hs());
    mol.delete();
    assert.ok(withH, s);
    try {
      return withH.get_molblock();
    } finally {
      withH.delete();
    }
  });
  assert.ok(molblocks.every((mb) => / H {3}0/.test(mb)), 'every molblock draws H atoms');
  const drawn = await engine.processBatch({ texts: molblocks, molblock: new Uint8Array(cases.length).fill(1) });
  const smiles = await engine.processBatch({ texts: cases, molblock: new Uint8Array(cases.length) });
  for (let k = 0; k < cases.length; k++) {
    assert.ok(drawn.ok[k], `${cases[k]}: ${drawn.error[k]}`);
    assert.equal(drawn.identity[k], smiles.identity[k], cases[k]);
    assert.equal(drawn.originalSmiles[k], smiles.originalSmiles[k], cases[k]);
  }
  // the two alanines stay two structures; the isotopes and H2 keep their H atoms
  assert.notEqual(drawn.identity[0], drawn.identity[1]);
  assert.deepEqual([5, 6, 7].map((k) => drawn.identity[k]), ['[2H]C([2H])([2H])O', '[3H]C(=O)O', '[H][H]']);
});

test('flags and lipinski_violations follow their definitions', async () => {
  const texts = ['CC(=O)Nc1ccc(O)cc1', 'CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC(=O)O', 'CCCCCCCCCCCCCCCCCCCC(=O)O'];
  const out = await engine.processBatch({ texts, molblock: new Uint8Array(3) });
  for (let k = 0; k < 3; k++) {
    const v = (desc(out, k, 'amw') > 500 ? 1 : 0) + (desc(out, k, 'CrippenClogP') > 5 ? 1 : 0) + (desc(out, k, 'NumHBD') > 5 ? 1 : 0) + (desc(out, k, 'NumHBA') > 10 ? 1 : 0);
    assert.equal(desc(out, k, 'lipinski_violations'), v, texts[k]);
    assert.equal(out.flags[k * 2], v <= 1 ? 1 : 0);
    assert.equal(out.flags[k * 2 + 1], desc(out, k, 'NumRotatableBonds') <= 10 && desc(out, k, 'tpsa') <= 140 ? 1 : 0);
  }
  // paracetamol passes both; the C40 acid fails both (MW, logP; 38 rotatable bonds); the C20 acid has
  // one Ro5 violation (logP) and 18 rotatable bonds
  assert.deepEqual([...out.flags], [1, 1, 0, 0, 1, 0]);
});
