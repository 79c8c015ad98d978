/**
 * ChemPool end to end: worker threads loading RDKit WASM through tsx, batch results, failures with
 * reasons, standardised parents that RDKit re-parsed, no leaked RDKit objects, bounded WASM heap,
 * recovery from a failed WASM module, cancellation.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { FAULT_INJECTION_PREFIX } from '../../core/chem/engine.js';
import { ChemPool } from '../../core/chem/pool.js';
import { DESCRIPTOR_NAMES, FLAG_NAMES, FP_BYTES } from '../../core/chem/types.js';

const DATA = path.resolve(import.meta.dirname, '../../../shared/data');
let pool: ChemPool;

before(async () => {
  pool = await ChemPool.create({ threads: 2 });
});
after(async () => {
  await pool.close();
});

const smiles = (texts: string[]) => ({ texts, molblock: new Uint8Array(texts.length) });

const V2000 = `ethanol
  test

  3  2  0  0  0  0  0  0  0  0999 V2000
    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    1.2990    0.7500    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    2.5981   -0.0000    0.0000 O   0  0  0  0  0  0  0  0  0  0  0  0
  1  2  1  0
  2  3  1  0
M  END
`;

test('a batch comes back in order with reasons for failures and standardised parents', async () => {
  const texts = ['c1ccccc1O', 'C1CC', 'CN(C)(C)(C)C', '', 'C'.repeat(5001), 'CC(=O)[O-].[Na+]', '[NH3+]CC(=O)[O-]', 'C[N+](C)(C)C.[Cl-]', V2000, 'O=[N+]([O-])c1ccccc1'];
  const molblock = new Uint8Array(texts.length);
  molblock[8] = 1;
  const out = await pool.process({ texts, molblock });
  assert.equal(out.n, texts.length);
  assert.deepEqual([...out.ok], [1, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  assert.match(out.error[1]!, /SMILES Parse Error: unclosed ring/);
  assert.match(out.error[2]!, /Explicit valence for atom # 1 N, 5, is greater than permitted/);
  assert.equal(out.error[3], 'empty molecule (0 atoms)');
  assert.match(out.error[4]!, /SMILES too long: 5001 characters \(limit 5000\)/);
  assert.equal(out.error[0], null);
  // standardised parents were re-parsed by RDKit, so they come back canonical
  assert.deepEqual(out.parentSmiles.slice(5, 10), ['CC(=O)O', 'NCC(=O)O', 'C[N+](C)(C)C', 'CCO', 'O=[N+]([O-])c1ccccc1']);
  assert.deepEqual(out.originalSmiles.slice(5, 8), ['CC(=O)[O-].[Na+]', '[NH3+]CC(=O)[O-]', 'C[N+](C)(C)C.[Cl-]']);
  assert.equal(out.standardisation[5], 'removed fragments: [Na+]; neutralised 1 charge');
  assert.equal(out.standardisation[6], 'neutralised 2 charges');
  assert.equal(out.standardisation[7], 'removed fragments: [Cl-]');
  assert.equal(out.standardisation[9], '');
  assert.deepEqual(out.identity, out.parentSmiles);
  // typed-array layout
  assert.equal(out.descriptors.length, texts.length * DESCRIPTOR_NAMES.length);
  assert.equal(out.flags.length, texts.length * FLAG_NAMES.length);
  assert.equal(out.fingerprints.length, texts.length * FP_BYTES);
  const d = (k: number, name: string) => out.descriptors[k * DESCRIPTOR_NAMES.length + DESCRIPTOR_NAMES.indexOf(name)];
  assert.equal(d(0, 'NumHeavyAtoms'), 7);
  assert.equal(out.heavyAtoms[5], 4, 'acetic acid, not sodium acetate');
  assert.ok(Number.isNaN(d(1, 'amw')) && out.flags[2] === 255 && out.flags[3] === 255);
  const fpBits = (k: number) => out.fingerprints.subarray(k * FP_BYTES, (k + 1) * FP_BYTES).reduce((s, b) => s + (b ? 1 : 0), 0);
  assert.ok(fpBits(0) > 0 && fpBits(1) === 0);
  assert.ok(d(0, 'QED') > 0 && d(0, 'QED') < 1);
});

test('molblock guards: atom limit (V3000; V2000 stops at 999), missing M  END, malformed counts', async () => {
  const v3000 = '\n  test\n\n  0  0  0     0  0            999 V3000\nM  V30 BEGIN CTAB\nM  V30 COUNTS 2001 0 0 0 0\nM  V30 END CTAB\nM  END\n';
  const tooFewBonds = V2000.replace('  3  2  0', '  3  3  0');
  const out = await pool.process({ texts: [v3000, V2000.replace('M  END', ''), tooFewBonds], molblock: new Uint8Array([1, 1, 1]) });
  assert.deepEqual([...out.ok], [0, 0, 0]);
  assert.match(out.error[0]!, /2001 atoms \(limit 2000\); refused before parsing/);
  assert.match(out.error[1]!, /no 'M {2}END' line/);
  // RDKit rejects this without a message; the worker says what is wrong
  assert.equal(out.error[2], 'molblock counts line declares 3 bonds, but line 10 is not a bond line (2 bond lines found)');
});

test('5,000 records with failures leave no RDKit object alive and the WASM heap bounded', async () => {
  const lines = zlib.gunzipSync(fs.readFileSync(path.join(DATA, 'libraries/moses_test.csv.gz'))).toString('utf8').split('\n').slice(1, 4801);
  const bad = ['C1CC', 'CN(C)(C)(C)C', '', 'XYZ', 'c1cccc1', 'C'.repeat(6000), '[Na+].[Cl-]', 'CC(=O)[O-].[K+]'];
  const texts = [...lines];
  for (let i = 0; i < 200; i++) texts.splice(i * 24, 0, bad[i % bad.length]);
  assert.equal(texts.length, 5000);
  const runAll = async (records: string[]) => {
    let failed = 0;
    const outs = await Promise.all(Array.from({ length: Math.ceil(records.length / 250) }, (_, b) => pool.process(smiles(records.slice(b * 250, (b + 1) * 250)))));
    for (const o of outs) for (let k = 0; k < o.n; k++) failed += o.ok[k] ? 0 : 1;
    return failed;
  };
  const failed = await runAll(texts);
  assert.equal(failed, 150, '6 of the 8 kinds of bad record fail, 25 times each');
  assert.equal(await pool.liveObjects(), 0);
  const heap1 = (await pool.stats()).workers.map((w) => w.heapBytes);
  await runAll(texts.slice(0, 1000));
  await runAll(texts.slice(0, 1000));
  const st = await pool.stats();
  assert.equal(st.liveObjects, 0);
  assert.deepEqual(st.workers.map((w) => w.heapBytes), heap1, 'running the same work twice more does not grow the heap');
  for (const h of heap1) assert.ok(h <= 64 * 2 ** 20, `heap ${h} bytes`);
});

test('depict, substructure and version', async () => {
  assert.match(await pool.rdkitVersion(), /^20\d\d\.\d\d\.\d+$/);
  const svg = await pool.depict('c1ccccc1C(=O)O', { width: 200, height: 150, highlightSmarts: 'C(=O)O' });
  assert.match(svg, /^<\?xml[\s\S]*<svg[\s\S]*<\/svg>\s*$/);
  assert.match(svg, /width='200px'/);
  const svg2 = await pool.depict('c1ccccc1C(=O)O', { highlightAtoms: [6, 7, 8] });
  assert.notEqual(svg2, await pool.depict('c1ccccc1C(=O)O'), 'highlighting changes the drawing');
  await assert.rejects(pool.depict('C1CC'), /cannot depict 'C1CC': SMILES Parse Error/);
  const r = await pool.substructure('C(=O)[OH]', ['CC(=O)O', 'CCO', 'OC(=O)c1ccccc1', 'C1CC']);
  assert.deepEqual([...r.hits], [1, 0, 1, 0]);
  assert.deepEqual(r.atoms, [[1, 2, 3], null, [1, 2, 0], null]);
  await assert.rejects(pool.substructure('[C', ['CCO']), /invalid SMARTS '\[C': SMARTS Parse Error/);
  await assert.rejects(pool.substructure('', ['CCO']), /empty SMARTS/);
  const masked = await pool.atomMaskedFingerprints('c1ccccc1O');
  assert.equal(masked.nAtoms, 7);
  assert.equal(masked.fps.length, 7 * FP_BYTES);
  const fpOf = (i: number) => [...masked.fps.subarray(i * FP_BYTES, (i + 1) * FP_BYTES)].join();
  assert.equal(new Set([0, 1, 2, 3, 4, 5, 6].map(fpOf)).size, 5, 'phenol is symmetric: masking atoms 1/3... and 2/4 give the same fingerprints');
  const phenol = await pool.process(smiles(['Oc1ccccc1']));
  assert.ok(![0, 1, 2, 3, 4, 5, 6].some((i) => fpOf(i) === [...phenol.fingerprints].join()), 'every mask changes the fingerprint');
  await assert.rejects(pool.atomMaskedFingerprints('C1CC'), /cannot mask the atoms of 'C1CC'/);
  const mbs = await pool.molblocks(['CCO', 'C1CC']);
  assert.match(mbs[0], /^\n\s+RDKit\s+2D\n\n\s+3\s+2 .*V2000[\s\S]*M {2}END/);
  assert.match(mbs[1], / {2}0 {2}0 .*V2000\nM {2}END/);
  assert.equal(await pool.liveObjects(), 0);
});

test('an aborted batch rejects and the pool keeps working', async () => {
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(pool.process(smiles(['CCO']), ac.signal), (err: Error) => err.name === 'AbortError');
  const out = await pool.process(smiles(['CCO']));
  assert.equal(out.ok[0], 1);
});

test('a WASM module failure fails that record only; the module is replaced and later batches work', async () => {
  const faulty = await ChemPool.create({ threads: 1, faultInjection: true });
  try {
    // 14k characters of polyacid SMILES overflows RDKit's WASM stack (rdkit#9115); the guard is bypassed by the hook
    const crash = FAULT_INJECTION_PREFIX + 'C(C(=O)O)'.repeat(1600);
    const out = await faulty.process(smiles(['CCO', crash, 'c1ccccc1', 'CC(=O)[O-].[Na+]']));
    assert.deepEqual([...out.ok], [1, 0, 1, 1]);
    assert.match(out.error[1]!, /RDKit WASM module failed on this record \(RuntimeError: .*\); the module was restarted/);
    assert.deepEqual(out.parentSmiles, ['CCO', '', 'c1ccccc1', 'CC(=O)O']);
    const later = await faulty.process(smiles(['CCN', 'OCCO']));
    assert.deepEqual([...later.ok], [1, 1]);
    const st = await faulty.stats();
    assert.equal(st.recycles, 1);
    assert.equal(st.liveObjects, 0);
  } finally {
    await faulty.close();
  }
  // without the test hook the same input is refused by the size guard, the module never sees it
  const out = await pool.process(smiles([FAULT_INJECTION_PREFIX + 'C(C(=O)O)'.repeat(1600)]));
  assert.match(out.error[0]!, /SMILES too long/);
  assert.equal((await pool.stats()).recycles, 0);
});

test('a closed pool refuses work', async () => {
  const p = await ChemPool.create({ threads: 1 });
  await p.close();
  await assert.rejects(p.process(smiles(['CCO'])), /closed/);
});
