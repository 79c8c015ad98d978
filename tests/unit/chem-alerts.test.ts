/**
 * PAINS alerts matched in JS (core/chem/alerts.ts) against RDKit itself.
 *
 * The reference is RDKit FilterCatalog's meaning of each PAINS SMARTS: the ORIGINAL SMARTS, explicit
 * hydrogens and all, matched by RDKit against the molecule with explicit hydrogens added
 * (get_mol(mol.add_hs())). The JS side matches `smartsNoH` (the hydrogens merged into their neighbours
 * by RDKit's mergeQueryHs) on the graph of RDKit's canonical SMILES, asking RDKit only when it cannot
 * decide. Alert sets must be identical molecule by molecule.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Mol } from '@rdkit/rdkit';
import { AlertMatcher, RdkitAlertFallback, loadAlerts, namesHydrogen } from '../../core/chem/alerts.js';
import type { Alert } from '../../core/chem/alerts.js';
import { Kit } from '../../core/chem/rdkit.js';
import { compileSmarts, H_ANY } from '../../core/chem/smarts.js';
import { parseSmilesGraph } from '../../core/chem/smiles-graph.js';
import { mergeQueryHsSmarts } from '../../resources/alerts/make-pains-merged.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DATA = path.resolve(ROOT, '../shared/data');
let kit: Kit;
let matcher: AlertMatcher;
let original: Mol[] = [];

before(async () => {
  kit = await Kit.create();
  matcher = new AlertMatcher();
  original = matcher.alerts.map((a) => kit.R.get_qmol(a.smarts)!);
});
after(() => {
  for (const q of original) q.delete();
});

/** RDKit canonical SMILES of the input, or null when RDKit cannot read it. */
function canonical(smiles: string): string | null {
  const m = kit.R.get_mol(smiles);
  if (!m) return null;
  try {
    return m.get_smiles();
  } finally {
    m.delete();
  }
}

/** FilterCatalog's answer: original SMARTS on the molecule with explicit hydrogens. */
function rdkitAlerts(smiles: string): string[] {
  const m = kit.R.get_mol(smiles)!;
  const withH = kit.R.get_mol(m.add_hs(), JSON.stringify({ removeHs: false }))!;
  m.delete();
  try {
    return matcher.alerts.filter((_, i) => withH.get_substruct_match(original[i]) !== '{}').map((a) => a.id);
  } finally {
    withH.delete();
  }
}

test('pains.json: 480 alerts; smartsNoH is RDKit mergeQueryHs of the original, names no hydrogen, compiles in JS', () => {
  const alerts = loadAlerts();
  assert.equal(alerts.length, 480);
  assert.equal(new Set(alerts.map((a) => a.id)).size, 480);
  let merged = 0;
  for (const a of alerts) {
    assert.equal(a.set, 'PAINS');
    assert.ok(!namesHydrogen(a.smartsNoH), `${a.id}: ${a.smartsNoH}`);
    assert.equal(mergeQueryHsSmarts(kit.R, a.smarts), a.smartsNoH, a.id);
    if (namesHydrogen(a.smarts)) {
      merged++;
      assert.match(a.smartsNoH, /!H0/, `${a.id}: merged hydrogens become !H0 constraints`);
    } else assert.equal(a.smartsNoH, a.smarts, a.id);
    compileSmarts(a.smartsNoH);
  }
  assert.equal(merged, 386);
  // mergeQueryHs semantics on the cases the brief worried about: H on an OR query, inside $(), two H
  const noH = (s: string) => mergeQueryHsSmarts(kit.R, s);
  assert.equal(noH('[#6](-[#1])(-[#1])-[#7]'), '[#6&!H0&!H1]-[#7]');
  assert.equal(noH('[c;!H0,$(c-[#6](-[#1])-[#1])]-[#1]'), '[c;!H0,$(c-[#6&!H0&!H1]);!H0]');
  assert.equal(noH('[!#6&!#1]-[#1]'), '[!#6&!#1&!H0]');
});

test('H-count and negated-element summaries of the SMARTS compiler (used by the alert screen)', () => {
  const h = (s: string) => compileSmarts(s, true).hMasks[0];
  assert.equal(h('[#6&!H0&!H1]'), H_ANY & ~0b11);
  assert.equal(h('[#7;H2,H3]'), 0b1100);
  assert.equal(h('[c;!H0,$(c-[#6&!H0&!H1])]'), H_ANY); // the $() branch allows any H count
  assert.equal(h('[#8;!H1]'), H_ANY & ~0b10);
  assert.equal(h('[!$([#6;!H0])]'), H_ANY);
  assert.equal(h('[OH]'), 0b10);
  const mask = compileSmarts('[!#6&!#1]', true).masks[0]!;
  assert.equal(mask[6 * 2] + mask[6 * 2 + 1] + mask[1 * 2], 0);
  assert.equal(mask[7 * 2] + mask[8 * 2 + 1] + mask[16 * 2], 3);
  assert.equal(compileSmarts('[!$(C=O)]', true).masks[0], null);
});

/** RDKit-checked examples of well-known PAINS chemotypes (and clean drugs). */
const KNOWN: [string, string[]][] = [
  ['NCCc1ccc(O)c(O)c1', ['catechol_A(92)']], // dopamine
  ['O=c1c(O)c(-c2ccc(O)c(O)c2)oc2cc(O)cc(O)c12', ['catechol_A(92)']], // quercetin
  ['O=C1C=CC(=O)C=C1', ['quinone_A(370)']],
  ['CC1=CC(=O)c2ccccc2C1=O', ['quinone_A(370)']], // menadione
  ['O=C1NC(=S)SC1=Cc1ccccc1', ['ene_rhod_A(235)']], // 5-benzylidene rhodanine
  ['CN(C)c1ccc(N=Nc2ccccc2)cc1', ['anil_di_alk_A(478)', 'azo_A(324)']], // butter yellow
  ['Oc1ccccc1C=NNc1ccccc1', ['hzone_phenol_A(479)']],
  ['CN(C)Cc1ccccc1O', ['mannich_A(296)']],
  ['CCOC(=O)c1c(N)sc(C)c1C', ['thiophene_amino_Aa(45)']], // Gewald aminothiophene
  ['N#CC(C#N)=Cc1ccc(O)cc1', ['ene_cyano_A(19)']], // tyrphostin A8
  ['Nc1ccc(O)cc1', ['anil_no_alk(40)']],
  ['CC(=O)Oc1ccccc1C(=O)O', []], // aspirin
  ['Cn1c(=O)c2c(ncn2C)n(C)c1=O', []], // caffeine
  ['CC(C)Cc1ccc(C(C)C(=O)O)cc1', []], // ibuprofen
];

test('well-known PAINS chemotypes hit their families; clean drugs hit nothing (JS and RDKit)', () => {
  const fallback = new RdkitAlertFallback(kit);
  try {
    for (const [input, expected] of KNOWN) {
      const smiles = canonical(input)!;
      assert.deepEqual(rdkitAlerts(smiles), expected, `RDKit on ${smiles}`);
      assert.deepEqual(matcher.matchIds(parseSmilesGraph(smiles), fallback.decide), expected, `JS on ${smiles}`);
    }
  } finally {
    fallback.dispose();
  }
});

/** NCI structures (dyes, quinones, catechols: many PAINS) and the approved drugs shipped as the example library. */
function realMolecules(): string[] {
  const nci = fs.readFileSync(path.join(DATA, 'reference/nci_first_5k.smi'), 'utf8').split('\n').map((l) => l.split('\t')[0]).filter(Boolean);
  const drugs = (parse(fs.readFileSync(path.join(ROOT, 'resources/examples/approved_drugs_chembl.csv'), 'utf8'), { columns: true }) as { smiles: string }[]).map((r) => r.smiles).filter(Boolean);
  return [...nci, ...drugs];
}

test('JS alert sets equal RDKit FilterCatalog semantics on ≥ 7,000 real molecules', (t) => {
  const fallback = new RdkitAlertFallback(kit);
  const byAlert = new Map<string, number>();
  let molecules = 0, hits = 0, hitMolecules = 0;
  const differ: string[] = [];
  const stats0 = { ...matcher.stats };
  try {
    for (const input of realMolecules()) {
      const smiles = canonical(input);
      if (!smiles) continue;
      molecules++;
      const expected = rdkitAlerts(smiles);
      const got = matcher.matchIds(parseSmilesGraph(smiles), fallback.decide);
      fallback.end();
      if (got.join(' ') !== expected.join(' ')) differ.push(`${smiles}: JS [${got.join(' ')}] RDKit [${expected.join(' ')}]`);
      hits += expected.length;
      if (expected.length > 0) hitMolecules++;
      for (const id of expected) byAlert.set(id, (byAlert.get(id) ?? 0) + 1);
    }
  } finally {
    fallback.dispose();
  }
  const searched = matcher.stats.searched - stats0.searched, fallbacks = matcher.stats.fallbacks - stats0.fallbacks;
  t.diagnostic(
    `${molecules} molecules, ${hits} PAINS hits in ${hitMolecules} molecules over ${byAlert.size} distinct alerts; ` +
      `${differ.length} disagreements; ${searched} JS searches, ${fallbacks} RDKit fallbacks`,
  );
  assert.deepEqual(differ.slice(0, 20), [], `${differ.length} molecules differ`);
  // the comparison must be able to fail: real hits over many alerts
  assert.ok(molecules >= 7000, `${molecules} molecules`);
  assert.ok(hits >= 300, `${hits} hits`);
  assert.ok(byAlert.size >= 40, `${byAlert.size} distinct alerts`);
});

test('undecided alerts go to the RDKit fallback, never guessed; alert files are validated', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-alerts-'));
  try {
    const file = (name: string, doc: unknown) => {
      const f = path.join(dir, name);
      fs.writeFileSync(f, JSON.stringify(doc));
      return f;
    };
    // ring connectivity 'x' is one of the primitives the JS graph leaves to RDKit
    const custom = file('custom.json', {
      name: 'TEST',
      alerts: [
        { id: 'fused', smarts: '[c;x3]' },
        { id: 'ring_NH', smarts: '[#7;R]-[#1]', smartsNoH: '[#7;R&!H0]' },
      ],
    });
    const alerts: Alert[] = loadAlerts([custom]);
    assert.deepEqual(alerts.map((a) => [a.set, a.id, a.smartsNoH]), [['TEST', 'fused', '[c;x3]'], ['TEST', 'ring_NH', '[#7;R&!H0]']]);
    const m = new AlertMatcher(alerts);
    const naphthalene = parseSmilesGraph('c1ccc2ccccc2c1');
    assert.throws(() => m.match(naphthalene, null), /needs RDKit to decide/);
    const fallback = new RdkitAlertFallback(kit);
    try {
      const before = m.stats.fallbacks;
      assert.deepEqual(m.matchBatch([naphthalene, parseSmilesGraph('c1ccccc1'), parseSmilesGraph('C1CCNCC1')], fallback.decide), [['fused'], [], ['ring_NH']]);
      assert.equal(m.stats.fallbacks - before, 2); // naphthalene and benzene; piperidine has no aromatic C
    } finally {
      fallback.dispose();
    }
    assert.throws(() => loadAlerts([file('h.json', { name: 'X', alerts: [{ id: 'a', smarts: '[#6]-[#1]' }] })]), /names hydrogen atoms and has no smartsNoH/);
    assert.throws(() => loadAlerts([custom, custom]), /not unique/);
    assert.throws(() => loadAlerts([file('bad.json', { alerts: [] })]), /expected \{ name, alerts/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
