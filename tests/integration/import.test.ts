/**
 * The engine end to end on real files from ../shared/data: import, accounting, duplicates, resume,
 * queries and export, all through the typed API (the same dispatcher the UI and CLI use).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createEngine } from '../../core/engine.js';
import type { Engine } from '../../core/engine.js';
import { createClient } from '../../core/api/client.js';
import type { ApiClient } from '../../core/api/client.js';
import type { ImportSummary, JobState } from '../../core/api/contract.js';

const DATA = path.resolve(import.meta.dirname, '../../../shared/data');
const tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-it-'));

async function open(name: string): Promise<{ engine: Engine; api: ApiClient }> {
  const engine = await createEngine({ projectFile: path.join(tmpdir, name), threads: 2 });
  return { engine, api: createClient(engine.dispatcher) };
}

async function importFiles(api: ApiClient, files: string[], extra: Record<string, unknown> = {}): Promise<{ state: JobState; summary: ImportSummary }> {
  const { jobId } = await api.call('library.import', { files, ...extra });
  const state = await api.call('job.wait', { jobId });
  assert.equal(state.status, 'done', JSON.stringify(state.error));
  return { state, summary: state.result as ImportSummary };
}

function assertAccounted(s: ImportSummary) {
  for (const f of s.files) assert.equal(f.read, f.imported + f.duplicates + f.failed, `${f.file}: read = imported + duplicates + failed`);
  assert.equal(s.read, s.imported + s.duplicates + s.failed);
}

describe('torture files never crash the import', () => {
  let e: { engine: Engine; api: ApiClient };
  before(async () => (e = await open('torture.strata')));
  after(async () => e.engine.close());

  test('every file imports; every record is accounted for; failures name file, record and reason', async () => {
    const dirs = ['torture/rdkit', 'torture/cdk'].map((d) => path.join(DATA, d));
    const files = dirs.flatMap((d) => fs.readdirSync(d).map((f) => path.join(d, f))).filter((f) => fs.statSync(f).isFile());
    assert.ok(files.length >= 10);
    const { summary } = await importFiles(e.api, files);
    assertAccounted(summary);
    assert.ok(summary.imported > 0);
    assert.ok(summary.failed > 0);
    for (const f of summary.failures) {
      assert.ok(f.file.length > 0 && f.record >= 1 && f.reason.length > 3, JSON.stringify(f));
    }
    // good_bad_good_bad.sdf: records 1 and 3 are good, 2 and 4 are not.
    const gbgb = summary.files.find((f) => f.file.endsWith('good_bad_good_bad.sdf'))!;
    assert.equal(gbgb.imported + gbgb.duplicates, 2);
    assert.equal(gbgb.failed, 2);
    const bad = summary.failures.filter((f) => f.file.endsWith('good_bad_good_bad.sdf')).map((f) => f.record);
    assert.deepEqual(bad, [2, 4]);
    // The engine is still healthy after all that: a normal molecule imports.
    const report = await e.api.call('library.report', { offset: 0, limit: 1000 });
    assert.equal(report.total, summary.failed);
    const info = await e.api.call('project.info', {});
    assert.equal(info.compounds, summary.imported + summary.duplicates);
  });
});

describe('a real library: approved drugs', () => {
  let e: { engine: Engine; api: ApiClient };
  let first: ImportSummary;
  const file = path.join(DATA, 'libraries/approved_drugs_chembl.csv');
  before(async () => {
    e = await open('drugs.strata');
    first = (await importFiles(e.api, [file])).summary;
  });
  after(async () => e.engine.close());

  test('counts add up and ids come from the detected id column', async () => {
    assertAccounted(first);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').length - 1;
    assert.equal(first.read, lines);
    assert.ok(first.imported > 1500, `imported ${first.imported}`);
    // Salt forms share the parent of the free base: prazosin hydrochloride is a duplicate of prazosin.
    const salt = await e.api.call('compounds.query', { offset: 0, limit: 1, includeDuplicates: true, filters: [{ column: 'name', op: '=', value: 'CHEMBL1558' }] });
    const base = await e.api.call('compounds.query', { offset: 0, limit: 1, filters: [{ column: 'name', op: '=', value: 'CHEMBL2' }] });
    assert.equal(salt.rows[0].duplicateOf, base.rows[0].id);
    const page = await e.api.call('compounds.query', { offset: 0, limit: 5, filters: [{ column: 'name', op: '=', value: 'CHEMBL3' }] });
    assert.equal(page.total, 1);
    assert.equal(page.rows[0].values['prop:pref_name'], 'NICOTINE');
    assert.equal(page.rows[0].smiles, 'CN1CCC[C@H]1c1cccnc1');
  });

  test('importing the same file again is recognised (sha256) and does nothing', async () => {
    const { summary } = await importFiles(e.api, [file]);
    assert.equal(summary.files[0].skippedAsAlreadyImported, true);
    assert.equal(summary.read, 0);
    const info = await e.api.call('project.info', {});
    assert.equal(info.compounds, first.imported + first.duplicates);
  });

  test('the same structures in another file are duplicates linked to the first occurrence', async () => {
    const rows = fs.readFileSync(file, 'utf8').trim().split('\n').slice(1, 51).map((l) => l.split(',').at(-1));
    const smi = path.join(tmpdir, 'again.smi');
    fs.writeFileSync(smi, rows.map((s, i) => `${s}\tagain-${i + 1}`).join('\n'));
    const { summary } = await importFiles(e.api, [smi]);
    assertAccounted(summary);
    assert.equal(summary.imported, 0);
    assert.equal(summary.duplicates + summary.failed, 50);
    const dup = await e.api.call('compounds.query', { offset: 0, limit: 100, includeDuplicates: true, filters: [{ column: 'name', op: 'contains', value: 'again-' }] });
    assert.equal(dup.total, summary.duplicates);
    for (const r of dup.rows) assert.ok(r.duplicateOf != null && r.duplicateOf < r.id);
    const d = await e.api.call('compounds.get', { id: dup.rows[0].id });
    assert.equal(d.duplicateOf, dup.rows[0].duplicateOf);
    const orig = await e.api.call('compounds.get', { id: d.duplicateOf! });
    assert.ok(orig.duplicates.includes(d.id));
    assert.equal(orig.smiles, d.smiles);
  });

  test('sort and filter by descriptors and properties', async () => {
    const page = await e.api.call('compounds.query', { offset: 0, limit: 50, sort: { column: 'QED', dir: 'desc' }, filters: [{ column: 'amw', op: '<', value: 400 }, { column: 'lipinski_pass', op: '=', value: true }] });
    assert.ok(page.total > 100);
    const qed = page.rows.map((r) => r.values.QED as number);
    assert.deepEqual(qed, [...qed].sort((a, b) => b - a));
    for (const r of page.rows) {
      assert.ok((r.values.amw as number) < 400);
      assert.equal(r.values.lipinski_pass, true);
    }
    const count = await e.api.call('compounds.count', { filters: [{ column: 'amw', op: '<', value: 400 }, { column: 'lipinski_pass', op: '=', value: true }] });
    assert.equal(count.total, page.total);
    const byYear = await e.api.call('compounds.query', { offset: 0, limit: 10, sort: { column: 'prop:first_approval', dir: 'asc' }, filters: [{ column: 'prop:first_approval', op: 'not-null' }] });
    const years = byYear.rows.map((r) => r.values['prop:first_approval'] as number);
    assert.deepEqual(years, [...years].sort((a, b) => a - b));
    await assert.rejects(e.api.call('compounds.query', { offset: 0, limit: 1, sort: { column: 'nonsense', dir: 'asc' } }), /unknown column 'nonsense'/);
  });

  test('similarity search finds the query itself first', async () => {
    const page = await e.api.call('compounds.query', { offset: 0, limit: 5, similarTo: { smiles: 'CN1CCC[C@H]1c1cccnc1', threshold: 0.3 } });
    assert.ok(page.total >= 1);
    assert.equal(page.rows[0].similarity, 1);
    assert.equal(page.rows[0].name, 'CHEMBL3');
    const sims = page.rows.map((r) => r.similarity!);
    assert.deepEqual(sims, [...sims].sort((a, b) => b - a));
  });

  test('substructure search returns only matches, with atoms', async () => {
    const page = await e.api.call('compounds.query', { offset: 0, limit: 20, substructure: 'c1ccncc1' });
    assert.ok(page.total > 50);
    for (const r of page.rows) assert.ok(r.match && r.match.length === 6, r.smiles);
    await assert.rejects(e.api.call('compounds.query', { offset: 0, limit: 1, substructure: 'c1cc(' }), /substructure/);
  });

  test('one compound in full, with an SVG depiction', async () => {
    const d = await e.api.call('compounds.get', { id: 1 });
    assert.match(d.svg, /<svg/);
    assert.equal(d.source.record, 1);
    assert.ok(typeof d.descriptors.tpsa === 'number');
    await assert.rejects(e.api.call('compounds.get', { id: 10_000_000 }), /no compound/);
  });

  test('CSV export streams the filtered, sorted rows with descriptors and a provenance sidecar', async () => {
    const out = path.join(tmpdir, 'out.csv');
    const query = { sort: { column: 'tpsa', dir: 'asc' as const }, filters: [{ column: 'tpsa', op: 'between' as const, value: 20, value2: 60 }] };
    const { jobId } = await e.api.call('export.write', { out, query });
    const st = await e.api.call('job.wait', { jobId });
    assert.equal(st.status, 'done', JSON.stringify(st.error));
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    const header = lines[0].split(',');
    const ti = header.indexOf('tpsa');
    const values = lines.slice(1).map((l) => Number(l.split(',')[ti]));
    const count = await e.api.call('compounds.count', query);
    assert.equal(values.length, count.total);
    assert.deepEqual(values, [...values].sort((a, b) => a - b));
    for (const v of values) assert.ok(v >= 20 && v <= 60);
    const prov = JSON.parse(fs.readFileSync(`${out}.provenance.json`, 'utf8'));
    assert.equal(prov.rows, values.length);
    assert.equal(prov.inputs[0].sha256.length, 64);
  });

  test('SDF export round-trips through the importer', async () => {
    const out = path.join(tmpdir, 'out.sdf');
    const { jobId } = await e.api.call('export.write', { out, query: { filters: [{ column: 'amw', op: '<', value: 200 }] } });
    assert.equal((await e.api.call('job.wait', { jobId })).status, 'done');
    const n = (await e.api.call('compounds.count', { filters: [{ column: 'amw', op: '<', value: 200 }] })).total;
    const back = await open('back.strata');
    try {
      const { summary } = await importFiles(back.api, [out]);
      assert.equal(summary.read, n);
      assert.equal(summary.failed, 0);
      const p = await back.api.call('compounds.query', { offset: 0, limit: 1, filters: [{ column: 'prop:amw', op: 'not-null' }] });
      assert.ok(p.total > 0);
    } finally {
      await back.engine.close();
    }
  });
});

describe('drawn hydrogens', () => {
  test('an SDF that draws its hydrogens and the SMILES of the same structures are one set of compounds: the second import is all duplicates', async (t) => {
    const src = path.join(DATA, 'reference/pubchem_compound_1_250.sdf.gz');
    if (!fs.existsSync(src)) {
      t.skip(`${src} is not in the shared data`);
      return;
    }
    // The first 40 PubChem records (every H drawn as an atom) and OpenEye's isomeric SMILES of each.
    const records = zlib.gunzipSync(fs.readFileSync(src)).toString('utf8').split(/\$\$\$\$\r?\n/).filter((r) => r.includes('M  END')).slice(0, 40);
    const sdf = path.join(tmpdir, 'drawn-h.sdf');
    fs.writeFileSync(sdf, records.map((r) => `${r}$$$$\n`).join(''));
    const smi = path.join(tmpdir, 'drawn-h.smi');
    fs.writeFileSync(smi, records.map((r, i) => `${/<PUBCHEM_OPENEYE_ISO_SMILES>\r?\n(\S+)/.exec(r)![1]}\tsmiles-${i + 1}`).join('\n'));
    const e = await open('drawn-h.strata');
    try {
      const first = (await importFiles(e.api, [sdf])).summary;
      assertAccounted(first);
      assert.equal(first.failed, 0);
      const again = (await importFiles(e.api, [smi])).summary;
      assertAccounted(again);
      assert.deepEqual([again.read, again.imported, again.duplicates, again.failed], [40, 0, 40, 0]);
      const dup = await e.api.call('compounds.query', { offset: 0, limit: 1, includeDuplicates: true, filters: [{ column: 'name', op: '=', value: 'smiles-1' }] });
      const orig = await e.api.call('compounds.get', { id: dup.rows[0].duplicateOf! });
      assert.equal(orig.smiles, dup.rows[0].smiles);
      assert.ok(!orig.smiles.includes('[H]'), orig.smiles);
    } finally {
      await e.engine.close();
    }
  });
});

describe('cancel and resume', () => {
  test('a cancelled import keeps committed batches and resumes where it stopped', async () => {
    const src = zlib.gunzipSync(fs.readFileSync(path.join(DATA, 'libraries/chembl30_sample_a.csv.gz'))).toString('utf8').trim().split('\n');
    const file = path.join(tmpdir, 'chembl_6k.csv');
    fs.writeFileSync(file, `${src.slice(0, 6001).join('\n')}\n`);
    const e = await open('resume.strata');
    try {
      const { jobId } = await e.api.call('library.import', { files: [file] });
      // Cancel as soon as some records are committed.
      await new Promise<void>((resolve) => {
        const off = e.api.on('job.progress', (p) => {
          if (p.jobId === jobId && p.stage.startsWith('import') && p.done >= 512) {
            off();
            void e.api.call('job.cancel', { jobId }).then(() => resolve());
          }
        });
      });
      const st = await e.api.call('job.wait', { jobId });
      const partial = st.result as ImportSummary;
      assert.equal(partial.cancelled, true);
      assert.ok(partial.read > 0 && partial.read < 6000, `read ${partial.read}`);
      const mid = await e.api.call('project.info', {});
      assert.equal(mid.sources[0].status, 'cancelled');
      const { summary } = await importFiles(e.api, [file]);
      assert.equal(summary.files[0].resumedFrom, partial.read);
      assert.equal(summary.read + partial.read, 6000);
      const info = await e.api.call('project.info', {});
      assert.equal(info.sources[0].status, 'complete');
      assert.equal(info.sources[0].read, 6000);
      assert.equal(info.sources[0].read, info.sources[0].imported + info.sources[0].duplicates + info.sources[0].failed);
      // No record stored twice.
      const distinct = e.engine.db.prepare('SELECT count(DISTINCT record_no) AS n, count(*) AS m FROM compounds').get() as { n: number; m: number };
      assert.equal(distinct.n, distinct.m);
    } finally {
      await e.engine.close();
    }
  });
});
