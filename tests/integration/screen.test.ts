/**
 * Screening end to end through the API with the shipped model: subgroups, ranking, stored results,
 * heatmap, ranked export with provenance, and `predict`'s fixed CSV header.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine } from '../../core/engine.js';
import type { Engine } from '../../core/engine.js';
import { createClient } from '../../core/api/client.js';
import type { ApiClient } from '../../core/api/client.js';
import type { ScreenResult } from '../../core/api/contract.js';
import { predictFile, PREDICT_HEADER } from '../../core/screen/predict-file.js';
import { screenTuning } from '../../core/screen/screen.js';
import type { ScreenOutput } from '../../core/screen/screen.js';
import { writeRanked } from '../../core/cli/ranked-output.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DATA = path.resolve(ROOT, '../shared/data');
const tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-screen-'));

// Kinase inhibitors with known genotype dependence plus a slice of other approved drugs.
const KNOWN = ['CHEMBL2028663' /* dabrafenib */, 'CHEMBL1614701' /* selumetinib */, 'CHEMBL2103875' /* trametinib */];

describe('screening with the shipped model', () => {
  let engine: Engine;
  let api: ApiClient;
  let result: ScreenResult;
  before(async () => {
    const lines = fs.readFileSync(path.join(ROOT, 'resources/examples/approved_drugs_chembl.csv'), 'utf8').trim().split('\n');
    const picked = [lines[0], ...lines.slice(1).filter((l, i) => i % 12 === 0 || KNOWN.some((k) => l.includes(`,${k},`)))];
    const file = path.join(tmpdir, 'drugs.csv');
    fs.writeFileSync(file, `${picked.join('\n')}\n`);
    engine = await createEngine({ projectFile: path.join(tmpdir, 'p.strata'), threads: 2 });
    api = createClient(engine.dispatcher);
    const imp = await api.call('job.wait', await api.call('library.import', { files: [file] }));
    assert.equal(imp.status, 'done');
    await api.call('subgroups.save', { name: 'BRAF melanoma', rule: 'BRAF_mut AND tissue=skin' });
    const { jobId } = await api.call('screen.run', { subgroups: ['BRAF melanoma', 'KRAS_mut AND NOT TP53_mut'], weights: { qed: 0 } });
    const st = await api.call('job.wait', { jobId });
    assert.equal(st.status, 'done', JSON.stringify(st.error));
    result = st.result as ScreenResult;
  });
  after(async () => engine.close());

  test('the run records model, weights and subgroups', async () => {
    assert.equal(result.modelId, 'gdsc-twotower-v1');
    assert.match(result.modelSha256, /^[0-9a-f]{64}$/);
    assert.equal(result.weights.qed, 0);
    assert.deepEqual(result.subgroups.map((g) => g.rule), ['BRAF melanoma', 'KRAS_mut AND NOT TP53_mut']);
    assert.ok(result.subgroups.every((g) => g.members >= 5 && g.members + g.complement === g.total));
    const models = await api.call('models.list', {});
    assert.ok(models.some((m) => m.id === result.modelId && m.builtin && m.sha256 === result.modelSha256));
  });

  test('ranked rows are consistent: ranks, desirability order, pIC50, intervals, domain', async () => {
    const page = await api.call('screen.results', { runId: result.runId, subgroup: 'BRAF melanoma', offset: 0, limit: 1000 });
    assert.equal(page.total, result.compounds);
    page.rows.forEach((r, i) => {
      assert.equal(r.rank, i + 1);
      if (i) assert.ok(r.desirability <= page.rows[i - 1].desirability + 1e-12);
      assert.ok(Math.abs(r.pIc50 - (6 - r.lnIc50 / Math.LN10)) < 1e-9);
      assert.ok(r.lnIc50Low <= r.lnIc50 && r.lnIc50 <= r.lnIc50High);
      assert.ok(r.domainScore >= 0 && r.domainScore <= 1);
      assert.equal(r.members, result.subgroups[0].members);
    });
    const bySel = await api.call('screen.results', { runId: result.runId, subgroup: 'BRAF melanoma', offset: 0, limit: 1000, sort: { column: 'selectivity', dir: 'desc' } });
    const sel = bySel.rows.map((r) => r.selectivity);
    assert.deepEqual(sel, [...sel].sort((a, b) => b - a));
  });

  test('BRAF and MEK inhibitors are predicted selective for BRAF-mutant melanoma', async () => {
    const page = await api.call('screen.results', { runId: result.runId, subgroup: 'BRAF melanoma', offset: 0, limit: 1000, sort: { column: 'selectivity', dir: 'desc' } });
    for (const name of ['CHEMBL2028663', 'CHEMBL1614701']) {
      const row = page.rows.find((r) => r.name === name);
      assert.ok(row, `${name} screened`);
      assert.ok(row.selectivity > 0.5, `${name} selectivity ${row.selectivity}`);
      const pos = page.rows.indexOf(row);
      assert.ok(pos < page.rows.length * 0.1, `${name} is in the top 10 % by selectivity (position ${pos + 1} of ${page.rows.length})`);
    }
  });

  test('the bulk domain score equals the per-compound max Tanimoto to the training drugs', async () => {
    const { domainScore } = await import('../../core/predict/infer.js');
    const model = await engine.model();
    const page = await api.call('screen.results', { runId: result.runId, subgroup: 'BRAF melanoma', offset: 0, limit: 40 });
    for (const r of page.rows) {
      const fp = engine.db.prepare('SELECT morgan FROM fingerprints WHERE compound_id = ?').pluck().get(r.compoundId) as Buffer;
      assert.ok(Math.abs(domainScore(model, new Uint8Array(fp)).score - r.domainScore) < 1e-6, `compound ${r.compoundId}`);
    }
  });

  test('one compound across the subgroups of the run', async () => {
    const page = await api.call('screen.results', { runId: result.runId, subgroup: 'BRAF melanoma', offset: 0, limit: 1 });
    const rows = await api.call('screen.compound', { runId: result.runId, compoundId: page.rows[0].compoundId });
    assert.deepEqual(rows.map((r) => r.subgroup), ['BRAF melanoma', 'KRAS_mut AND NOT TP53_mut']);
    assert.equal(rows[0].rank, 1);
    assert.equal(rows[0].lnIc50, page.rows[0].lnIc50);
  });

  test('heatmap: best compounds × subgroups', async () => {
    const h = await api.call('screen.heatmap', { runId: result.runId, limit: 10, metric: 'desirability' });
    assert.equal(h.compounds.length, 10);
    assert.deepEqual(h.subgroups, ['BRAF melanoma', 'KRAS_mut AND NOT TP53_mut']);
    assert.ok(h.values.every((row) => row.length === 2 && row.every((v) => typeof v === 'number')));
  });

  test('explanation: nearest training drugs with measured responses, genotype effects, atom weights', async () => {
    const page = await api.call('screen.results', { runId: result.runId, subgroup: 'BRAF melanoma', offset: 0, limit: 1000 });
    const dab = page.rows.find((r) => r.name === 'CHEMBL2028663')!;
    const ex = await api.call('screen.explain', { runId: result.runId, compoundId: dab.compoundId, subgroup: 'BRAF melanoma' });
    assert.equal(ex.nearest[0].similarity, 1);
    assert.match(ex.nearest[0].drug, /dabrafenib/i);
    assert.ok(ex.nearest[0].measuredLnIc50 !== null && ex.nearest[0].members > 0);
    assert.ok(ex.genotype.some((g) => g.feature === 'BRAF_mut'));
    assert.ok(ex.atoms.length > 10);
    assert.match(ex.svg, /<svg/);
  });

  test('ranked export (CSV) carries the rows and the provenance', async () => {
    const out = path.join(tmpdir, 'ranked.csv');
    const st = await api.call('job.wait', await api.call('export.write', { out, ranking: { runId: result.runId, subgroup: 'BRAF melanoma' } }));
    assert.equal(st.status, 'done', JSON.stringify(st.error));
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    assert.equal(lines.length - 1, result.compounds);
    assert.ok(lines[0].startsWith('rank,subgroup,compound_id,name,smiles,ln_ic50,pic50,ln_ic50_low,ln_ic50_high'));
    const prov = JSON.parse(fs.readFileSync(`${out}.provenance.json`, 'utf8'));
    assert.equal(prov.model.sha256, result.modelSha256);
    assert.equal(prov.weights.qed, 0);
    assert.equal(prov.subgroups[0].rule, 'BRAF_mut AND tissue=skin');
  });

  test('a screen for the CLI keeps every ranking: rows on demand equal the stored rows and the API run, value for value', async () => {
    const st = await api.call('job.wait', await engine.startScreen({ subgroups: ['BRAF melanoma', 'KRAS_mut AND NOT TP53_mut'], weights: { qed: 0 } }));
    assert.equal(st.status, 'done', JSON.stringify(st.error));
    const out = st.result as ScreenOutput;
    assert.deepEqual([...out.rankings.keys()], ['BRAF melanoma', 'KRAS_mut AND NOT TP53_mut']);
    for (const [label, ranking] of out.rankings) {
      const all = ranking.rows();
      assert.equal(all.length, out.result.compounds);
      assert.deepStrictEqual(ranking.rows(7), all.slice(0, 7));
      // Fewer compounds than STORED_PER_SUBGROUP: every row is stored, and reads back as built.
      for (const runId of [out.result.runId, result.runId]) {
        const page = await api.call('screen.results', { runId, subgroup: label, offset: 0, limit: 1000 });
        assert.equal(page.total, all.length);
        assert.deepStrictEqual(page.rows, all, `run ${runId} ${label}`);
      }
    }
    const csv = path.join(tmpdir, 'cli-top.csv');
    await writeRanked({ engine, api }, csv, out, 3);
    const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
    assert.equal(lines.length, 1 + 2 * 3);
    assert.deepEqual(lines.slice(1).map((l) => l.split(',')[0]), ['1', '2', '3', '1', '2', '3']);
  });

  test('the pipelined path (small chunks, model work in a worker thread) stores the same rows as one in-thread chunk', async () => {
    const saved = { ...screenTuning };
    Object.assign(screenTuning, { chunk: 16, workerFrom: 1 });
    let st;
    try {
      st = await api.call('job.wait', await api.call('screen.run', { subgroups: ['BRAF melanoma', 'KRAS_mut AND NOT TP53_mut'], weights: { qed: 0 } }));
    } finally {
      Object.assign(screenTuning, saved);
    }
    assert.equal(st.status, 'done', JSON.stringify(st.error));
    const piped = st.result as ScreenResult;
    assert.ok(piped.compounds > 3 * 16, 'several chunks');
    for (const g of ['BRAF melanoma', 'KRAS_mut AND NOT TP53_mut']) {
      const a = await api.call('screen.results', { runId: result.runId, subgroup: g, offset: 0, limit: 1000 });
      const b = await api.call('screen.results', { runId: piped.runId, subgroup: g, offset: 0, limit: 1000 });
      assert.deepStrictEqual(b.rows, a.rows, g);
    }
  });

  test('cancelling a pipelined screen stops it (worker thread included) and stores no results', async () => {
    const saved = { ...screenTuning };
    Object.assign(screenTuning, { chunk: 1, workerFrom: 1 });
    try {
      // Cancel once the pipeline is under way: the first chunk's predictions have come back.
      let stop = () => {};
      const started = new Promise<void>((resolve) => {
        stop = engine.events.subscribe((event, payload) => {
          const p = payload as { stage?: string; done?: number };
          if (event === 'job.progress' && p.stage === 'screen' && (p.done ?? 0) >= 1) resolve();
        });
      });
      const { jobId } = await api.call('screen.run', { subgroups: ['BRAF melanoma'] });
      await started;
      stop();
      await api.call('job.cancel', { jobId });
      const st = await api.call('job.wait', { jobId });
      assert.equal(st.status, 'cancelled', JSON.stringify(st));
    } finally {
      Object.assign(screenTuning, saved);
    }
    const runs = engine.db.prepare("SELECT count(*) FROM screen_runs WHERE status = 'running'").pluck().get();
    assert.equal(runs, 0);
  });

  test('predict: one row per compound × sample under the fixed header', async () => {
    const panel = path.join(tmpdir, 'panel.csv');
    fs.writeFileSync(panel, fs.readFileSync(path.join(DATA, 'gdsc_v17/genomic_features.csv'), 'utf8').split('\n').slice(0, 6).join('\n'));
    const cpds = path.join(tmpdir, 'cpds.smi');
    fs.writeFileSync(cpds, 'CC(=O)Oc1ccccc1C(=O)O aspirin\nnot_a_smiles broken\nCN1CCC[C@H]1c1cccnc1 nicotine\n');
    const out = path.join(tmpdir, 'pred.csv');
    const r = await predictFile(engine, { compounds: cpds, panel, out });
    assert.deepEqual([r.compounds, r.samples, r.failed], [2, 5, 1]);
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    assert.equal(lines[0], [...PREDICT_HEADER, 'p_response'].join(','));
    assert.deepEqual(PREDICT_HEADER, ['compound_id', 'sample_id', 'ln_ic50_pred', 'ln_ic50_low', 'ln_ic50_high', 'domain_score'], 'existing columns keep their positions');
    assert.equal(lines.length, 1 + 2 * 5);
    const first = lines[1].split(',');
    assert.equal(first[0], 'aspirin');
    assert.ok(Number(first[3]) < Number(first[2]) && Number(first[2]) < Number(first[4]));
    // p_response = P(IC50 < 1 µM): a probability, higher where the prediction is more potent (same compound, same tier).
    const rows = lines.slice(1).map((l) => l.split(','));
    for (const x of rows) assert.ok(Number(x[6]) > 0 && Number(x[6]) < 1, `p_response ${x[6]}`);
    const aspirin = rows.filter((x) => x[0] === 'aspirin').sort((a, b) => Number(a[2]) - Number(b[2]));
    for (let i = 1; i < aspirin.length; i++) assert.ok(Number(aspirin[i][6]) <= Number(aspirin[i - 1][6]), 'more potent, more probable');
    // A higher threshold: every probability at least as high; the threshold is in the provenance.
    const out10 = path.join(tmpdir, 'pred10.csv');
    await predictFile(engine, { compounds: cpds, panel, out: out10, responseThresholdUm: 10 });
    const rows10 = fs.readFileSync(out10, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    rows10.forEach((x, i) => assert.ok(Number(x[6]) >= Number(rows[i][6]) && x[2] === rows[i][2], `row ${i}: ${x[6]} vs ${rows[i][6]}`));
    assert.ok(rows10.some((x, i) => Number(x[6]) > Number(rows[i][6]) + 0.01), 'the threshold moves the probabilities');
    assert.equal(JSON.parse(fs.readFileSync(`${out10}.provenance.json`, 'utf8')).pResponse.thresholdUm, 10);
    await assert.rejects(predictFile(engine, { compounds: cpds, panel, out: path.join(tmpdir, 'bad.csv'), responseThresholdUm: 0 }), /threshold 0: give an IC50 in µM > 0/);
  });
});

describe('structural alerts in screening', () => {
  let engine: Engine;
  let api: ApiClient;
  before(async () => {
    const file = path.join(tmpdir, 'alerts.smi');
    // catechol, p-benzoquinone, a rhodanine ene, an azo dye; aspirin, caffeine, ibuprofen, paracetamol
    fs.writeFileSync(file, [
      'Oc1ccccc1O catechol', 'O=C1C=CC(=O)C=C1 benzoquinone', 'O=C1NC(=S)SC1=Cc1ccccc1 rhodanine_ene', 'CN(C)c1ccc(N=Nc2ccccc2)cc1 azo',
      'CC(=O)Oc1ccccc1C(=O)O aspirin', 'Cn1cnc2c1c(=O)n(C)c(=O)n2C caffeine', 'CC(C)Cc1ccc(cc1)C(C)C(=O)O ibuprofen', 'CC(=O)Nc1ccc(O)cc1 paracetamol',
    ].join('\n'));
    engine = await createEngine({ projectFile: path.join(tmpdir, 'alerts.strata'), threads: 2 });
    api = createClient(engine.dispatcher);
    const imp = await api.call('job.wait', await api.call('library.import', { files: [file] }));
    assert.equal(imp.status, 'done');
  });
  after(async () => engine.close());

  test('ranked rows carry the PAINS alerts stored with each compound, and the alert term scores 0.5^n', async () => {
    const stored = new Map<number, string[]>();
    for (const r of engine.db.prepare("SELECT compound_id, alert_id FROM alerts WHERE alert_set = 'PAINS' ORDER BY alert_id").all() as { compound_id: number; alert_id: string }[]) {
      stored.set(r.compound_id, [...(stored.get(r.compound_id) ?? []), r.alert_id]);
    }
    assert.ok(stored.size >= 3, `${stored.size} compounds with PAINS alerts`);
    // Only the alert term weighs: desirability is 0.5^(number of alerts), 1 for a clean compound.
    const { jobId } = await api.call('screen.run', { subgroups: ['TP53_mut'], weights: { potency: 0, selectivity: 0, qed: 0, rules: 0, domain: 0, alerts: 1 } });
    const st = await api.call('job.wait', { jobId });
    assert.equal(st.status, 'done', JSON.stringify(st.error));
    const run = st.result as ScreenResult;
    const page = await api.call('screen.results', { runId: run.runId, subgroup: 'TP53_mut', offset: 0, limit: 100 });
    assert.equal(page.rows.length, 8);
    for (const r of page.rows) {
      const want = stored.get(r.compoundId) ?? [];
      assert.deepEqual([...r.alerts].sort(), want, `compound ${r.compoundId}`);
      assert.ok(Math.abs(r.desirability - Math.max(0.01, 0.5 ** want.length)) < 1e-9, `compound ${r.compoundId}: ${r.desirability} with ${want.length} alerts`);
    }
    // Clean compounds rank above flagged ones.
    const firstFlagged = page.rows.findIndex((r) => r.alerts.length > 0);
    assert.ok(page.rows.slice(firstFlagged).every((r) => r.alerts.length > 0));
  });
});
