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
import { DESCRIPTOR_NAMES } from '../../core/chem/types.js';
import type { ChemBatchOutput } from '../../core/chem/types.js';

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

test('MW, HBD, HBA, rotatable bonds, TPSA vs PubChem (pubchem_compound_1_250.sdf.gz)', async (t) => {
  const file = path.join(REF, 'pubchem_compound_1_250.sdf.gz');
  if (!fs.existsSync(file)) {
    t.skip(`${file} is not in the shared data (README lists it); this comparison needs it`);
    return;
  }
  const recs = sdfRecords(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8'));
  const out = await engine.processBatch({ texts: recs.map((r) => r.molblock), molblock: new Uint8Array(recs.length).fill(1) });
  const stats = { compared: 0, mw: 0, hbd: 0, hba: 0, rotb: 0, tpsaNoSP: 0, noSP: 0 };
  for (let k = 0; k < out.n; k++) {
    if (!out.ok[k] || out.standardisation[k] !== '') continue;
    const p = recs[k].props;
    if (!p.PUBCHEM_MOLECULAR_WEIGHT) continue;
    stats.compared++;
    // PubChem's MW uses the isotope mass for labelled atoms like RDKit, but rounds to 0.01 and uses
    // slightly different standard atomic weights.
    if (Math.abs(desc(out, k, 'amw') - Number(p.PUBCHEM_MOLECULAR_WEIGHT)) <= 0.02) stats.mw++;
    // CACTVS donors = N-H and O-H groups, as RDKit's NumHBD for ordinary molecules.
    if (desc(out, k, 'NumHBD') === Number(p.PUBCHEM_CACTVS_HBOND_DONOR)) stats.hbd++;
    // CACTVS acceptors count N, O (and F) more broadly than RDKit's NumHBA (e.g. amide N, F): use N+O.
    if (Math.abs(desc(out, k, 'lipinskiHBA') - Number(p.PUBCHEM_CACTVS_HBOND_ACCEPTOR)) <= 2) stats.hba++;
    // CACTVS rotatable bonds are not RDKit's strict definition (terminal CH3/CF3, amide C-N differ).
    if (Math.abs(desc(out, k, 'NumRotatableBonds') - Number(p.PUBCHEM_CACTVS_ROTATABLE_BOND)) <= 2) stats.rotb++;
    // CACTVS TPSA includes S and P; RDKit's (and Ertl's default) does not: compare only without S/P.
    if (!/S|P/.test(out.originalSmiles[k].replace(/Cl|Si|Sn|Se|Sb|Sr|Pt|Pd|Pb/g, ''))) {
      stats.noSP++;
      if (Math.abs(desc(out, k, 'tpsa') - Number(p.PUBCHEM_CACTVS_TPSA)) <= 0.1) stats.tpsaNoSP++;
    }
  }
  assert.ok(stats.compared > 150, JSON.stringify(stats));
  assert.ok(stats.mw / stats.compared >= 0.95, JSON.stringify(stats));
  assert.ok(stats.hbd / stats.compared >= 0.85, JSON.stringify(stats));
  assert.ok(stats.hba / stats.compared >= 0.8, JSON.stringify(stats));
  assert.ok(stats.rotb / stats.compared >= 0.8, JSON.stringify(stats));
  assert.ok(stats.tpsaNoSP / stats.noSP >= 0.9, JSON.stringify(stats));
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
