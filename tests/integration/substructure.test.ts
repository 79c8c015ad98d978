/**
 * SMARTS substructure search (screen fingerprint + JS/RDKit verification) against RDKit itself: for a
 * broad set of queries over the 5,000 NCI structures (charged, inorganic, fused, odd valences), the hits
 * the project search returns must be exactly the molecules RDKit matches when it parses each stored
 * SMILES fully. Also: projects without stored screen fingerprints get them computed on first search.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import RDKitPkg from '@rdkit/rdkit';
import { createEngine } from '../../core/engine.js';
import type { Engine } from '../../core/engine.js';
import { createClient } from '../../core/api/client.js';
import type { ApiClient } from '../../core/api/client.js';
import { compileSmarts } from '../../core/chem/smarts.js';
import { queryScreenFp, moleculeScreenFp, screenCandidates, SCREEN_FP_BYTES } from '../../core/chem/screen-fp.js';
import { parseSmilesGraph } from '../../core/chem/smiles-graph.js';

const DATA = path.resolve(import.meta.dirname, '../../../shared/data');
const tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-sub-'));

/** Queries of the kinds chemists type, and the SMARTS features that are easy to get wrong. */
const QUERIES = [
  'c1ccccc1', 'c1ccncc1', 'c1ccc2[nH]ccc2c1', 'c1ccc2ccccc2c1', 'C1CCNCC1', 'C1CC1', 'O=C1CCCN1', 's1cccc1', 'c1cocc1',
  'C(=O)N', 'C(=O)N[CH2]', 'C(=O)O', 'C(=O)[OH]', '[CX3](=O)[OX2H1]', 'O=C-N', 'C=O', 'C=C', 'C#N', 'C#C', 'N=N', 'N#N',
  '[N+](=O)[O-]', '[N+]', '[O-]', '[#7+]', '[n+]', '[S](=O)(=O)N', '[#6]S(=O)(=O)N', 'P(=O)(O)O', 'C(F)(F)F', 'c1ccc(F)cc1',
  '[Cl,Br,I]', '[F,Cl]c', 'cC', 'c-c', 'c:c', 'c~c', 'C~N', 'c-C(=O)', 'c1ccccc1-c1ccccc1', 'c-,:n', 'C-,=C',
  '[OH]c1ccccc1', '[OH]', '[NH2]', '[N;H2]', '[NX3;H2,H1;!$(NC=O)]', '[$(C=O)]N', '[$([NX3](=O)=O),$([NX3+](=O)[O-])]',
  '[R]', '[R2]', '[r5]', '[r6]', '[x3]', '[D3]', '[X4]', '[v4]', 'C@C', 'C!@C', '[#6;R]~[#7;!R]', '[!#6;!#1]', '*~*', '[a]',
  'C/C=C/C', '[C@H](N)C(=O)O', 'C.C', '[Na,K]', '[Pt]', '[#8]~[#16]~[#8]', 'O=[N+][O-]', '[CH3]C(=O)', 'c1ccc2c(c1)oc1ccccc12',
  '[$(c1ccccc1),$(c1ccncc1)]', 'C(=O)Oc1ccccc1C(=O)O', 'O=C(N)c1ccccc1', 'CCCCCCC', 'c1ccccc1.c1ccccc1',
  '[2H]', '[2H]C', '[13C]', '[#1]', '[^2]', '[C^3]', '[N^2]', '[#6^1]',
];

describe('substructure search agrees with RDKit', () => {
  let engine: Engine;
  let api: ApiClient;
  let R: {
    get_mol(s: string): { get_substruct_match(q: unknown): string; delete(): void } | null;
    get_qmol(s: string): { delete(): void } | null;
  };
  let stored: { id: number; smiles: string }[];

  before(async () => {
    R = await (RDKitPkg as unknown as () => Promise<typeof R>)();
    engine = await createEngine({ projectFile: path.join(tmpdir, 'nci.strata'), threads: 2 });
    api = createClient(engine.dispatcher);
    // NCI has no isotopes: a few labelled compounds are added.
    const extra = path.join(tmpdir, 'isotopes.smi');
    fs.writeFileSync(extra, '[2H]C([2H])([2H])Oc1ccccc1 d3-anisole\n[13CH3]c1ccccc1 13C-toluene\nOC([2H])([2H])c1ccncc1 d2-pyridylmethanol\n');
    const { jobId } = await api.call('library.import', { files: [path.join(DATA, 'reference/nci_first_5k.smi'), extra] });
    const st = await api.call('job.wait', { jobId });
    assert.equal(st.status, 'done', JSON.stringify(st.error));
    stored = engine.db.prepare('SELECT id, smiles FROM compounds WHERE duplicate_of IS NULL ORDER BY id').all() as { id: number; smiles: string }[];
    assert.ok(stored.length > 4000, `${stored.length} unique compounds`);
  });
  after(async () => {
    for (const { mol } of mols ?? []) mol.delete();
    await engine.close();
  });

  /** RDKit's answer on each stored SMILES parsed fully (each parsed once, kept for all queries). */
  let mols: { id: number; mol: { get_substruct_match(q: unknown): string; delete(): void } }[] | null = null;
  function rdkitHits(smarts: string): number[] {
    mols ??= stored.flatMap(({ id, smiles }) => {
      const mol = R.get_mol(smiles);
      return mol ? [{ id, mol }] : [];
    });
    const q = R.get_qmol(smarts)!;
    try {
      return mols.filter(({ mol }) => mol.get_substruct_match(q) !== '{}').map(({ id }) => id);
    } finally {
      q.delete();
    }
  }

  async function searchHits(smarts: string): Promise<number[]> {
    const { ids } = await api.call('compounds.ids', { substructure: smarts });
    const { total } = await api.call('compounds.count', { substructure: smarts });
    assert.equal(total, ids.length);
    return ids.sort((a, b) => a - b);
  }

  test('every query: the same hits as RDKit on fully parsed molecules', async () => {
    let total = 0, nonEmpty = 0;
    for (const smarts of QUERIES) {
      const want = rdkitHits(smarts);
      const got = await searchHits(smarts);
      const missing = want.filter((id) => !got.includes(id));
      const extra = got.filter((id) => !want.includes(id));
      assert.deepEqual({ missing: missing.slice(0, 5), extra: extra.slice(0, 5) }, { missing: [], extra: [] }, `'${smarts}': ${missing.length} missed, ${extra.length} extra`);
      total += want.length;
      if (want.length) nonEmpty++;
    }
    // The comparison means something only if the queries hit.
    assert.ok(nonEmpty >= QUERIES.length - 6, `${nonEmpty} of ${QUERIES.length} queries have hits`);
    assert.ok(total > 20_000, `${total} hits in all`);
  });

  test('page rows carry the matched atoms, in the stored SMILES atom order', async () => {
    const page = await api.call('compounds.query', { offset: 0, limit: 20, substructure: 'C(=O)N' });
    assert.ok(page.rows.length > 0);
    for (const row of page.rows) {
      assert.equal(row.match?.length, 3, `row ${row.id}`);
      const g = parseSmilesGraph(row.smiles);
      const [c, o, n] = row.match!;
      assert.deepEqual([g.z[c], g.z[o], g.z[n]], [6, 8, 7], `${row.smiles}: ${row.match}`);
    }
  });

  test('the screen skips most molecules for a selective query', () => {
    const fps = new Uint8Array(stored.length * SCREEN_FP_BYTES);
    stored.forEach((s, i) => {
      try {
        moleculeScreenFp(parseSmilesGraph(s.smiles), fps, i * SCREEN_FP_BYTES);
      } catch {
        /* left empty: always a candidate */
      }
    });
    const q = queryScreenFp(compileSmarts('c1ccc2[nH]ccc2c1'))!;
    const cand = screenCandidates(q, fps, stored.length);
    assert.ok(cand.length < stored.length * 0.05, `${cand.length} candidates of ${stored.length}`);
    assert.equal(queryScreenFp(compileSmarts('*~*')), null);
  });

  test('filter counts (counted in memory) equal SQL counts, NULLs included', async () => {
    const cases: { filters: { column: string; op: '<' | '<=' | '>' | '>=' | '=' | '!=' | 'between' | 'is-null' | 'not-null'; value?: number | boolean; value2?: number }[]; sql: string }[] = [
      { filters: [{ column: 'amw', op: 'between', value: 200, value2: 400 }, { column: 'lipinski_pass', op: '=', value: true }], sql: 'amw BETWEEN 200 AND 400 AND lipinski_pass = 1' },
      { filters: [{ column: 'QED', op: '>=', value: 0.5 }], sql: '"QED" >= 0.5' },
      { filters: [{ column: 'QED', op: 'is-null' }], sql: '"QED" IS NULL' },
      { filters: [{ column: 'QED', op: '!=', value: 0.5 }], sql: '"QED" != 0.5' },
      { filters: [{ column: 'tpsa', op: '<', value: 60 }, { column: 'CrippenClogP', op: '>', value: 2 }, { column: 'veber_pass', op: '=', value: false }], sql: 'tpsa < 60 AND "CrippenClogP" > 2 AND veber_pass = 0' },
      { filters: [{ column: 'NumHBD', op: '<=', value: 0 }, { column: 'pains_alerts', op: 'not-null' }], sql: '"NumHBD" <= 0 AND pains_alerts IS NOT NULL' },
    ];
    for (const c of cases) {
      const want = engine.db.prepare(`SELECT count(*) FROM descriptors WHERE ${c.sql}`).pluck().get() as number;
      const { total } = await api.call('compounds.count', { filters: c.filters });
      assert.equal(total, want, c.sql);
      const page = await api.call('compounds.query', { offset: 0, limit: 5, filters: c.filters });
      assert.equal(page.total, want, c.sql);
    }
  });

  test('an invalid SMARTS is a clear error', async () => {
    await assert.rejects(api.call('compounds.query', { offset: 0, limit: 10, substructure: 'C(=O' }), /substructure search 'C\(=O'.*SMARTS/i);
  });

  test('a project without screen fingerprints gets them on its first search, with the same hits', async () => {
    const want = await searchHits('c1ccncc1');
    await engine.close();
    const file = path.join(tmpdir, 'nci.strata');
    const raw = new Database(file);
    raw.exec("UPDATE fingerprints SET screen = NULL WHERE compound_id % 2 = 0; DELETE FROM meta WHERE key = 'screen_fp_version'");
    raw.close();
    engine = await createEngine({ projectFile: file, threads: 2 });
    api = createClient(engine.dispatcher);
    assert.deepEqual(await searchHits('c1ccncc1'), want);
    const nulls = engine.db.prepare('SELECT count(*) FROM fingerprints WHERE screen IS NULL').pluck().get();
    assert.equal(nulls, 0);
  });
});
