/**
 * A lab's measurements in a project (issue 9): stored with provenance and read back exactly (real GDSC v17
 * values in four units, tests/fixtures/measure/, built from ../shared/data/gdsc_v17), bad rows reported with
 * file, line, reason and closest names while the good rows are kept, the same file twice stores nothing,
 * replicates kept and averaged in ln, deletion, and the predictions that use them: a screen calibrates a
 * measured compound (same numbers as `measure.compare`), its measured lines are never scored as predictions,
 * and ranked exports flag it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine } from '../../core/engine.js';
import type { Engine } from '../../core/engine.js';
import { createClient } from '../../core/api/client.js';
import type { ApiClient } from '../../core/api/client.js';
import type { ScreenResult } from '../../core/api/contract.js';
import { calibrateChunk, projectMeasured } from '../../core/measure/calibrated.js';
import { loadReferencePanel } from '../../core/subgroups/reference.js';

const FIX = path.resolve(import.meta.dirname, '../fixtures/measure');
const tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-measure-project-'));
let engine: Engine;
let api: ApiClient;
const ids = new Map<string, number>();

/** The fixture's expected ln IC50 (µM) per compound and COSMIC id: GDSC's own values. */
function expected(): Map<string, Map<string, number[]>> {
  const out = new Map<string, Map<string, number[]>>();
  for (const l of fs.readFileSync(path.join(FIX, 'expected-ln.csv'), 'utf8').trim().split('\n').slice(1)) {
    const [c, s, v] = l.split(',');
    const m = out.get(c) ?? new Map<string, number[]>();
    m.set(s, [...(m.get(s) ?? []), Number(v)]);
    out.set(c, m);
  }
  return out;
}

before(async () => {
  engine = await createEngine({ projectFile: path.join(tmpdir, 'p.strata'), threads: 2 });
  api = createClient(engine.dispatcher);
  const st = await api.call('job.wait', await api.call('library.import', { files: [path.join(FIX, 'library.csv')] }));
  assert.equal(st.status, 'done', JSON.stringify(st.error));
  const page = await api.call('compounds.query', { offset: 0, limit: 10 });
  for (const r of page.rows) ids.set(r.name!, r.id);
  assert.equal(ids.size, 3);
});

after(async () => {
  await engine.close();
  fs.rmSync(tmpdir, { recursive: true, force: true });
});

test('measure.import stores the good rows exactly, reports each bad row with file, line, reason and closest names; the same file again stores nothing', async () => {
  const file = path.join(FIX, 'lab-measurements.csv');
  const r = await api.call('measure.import', { file });
  assert.equal(r.rows, 23);
  assert.equal(r.stored, 18);
  assert.equal(r.compounds, 2);
  assert.equal(r.skippedAsAlreadyImported, false);
  assert.deepEqual(r.issues.map((i) => i.line), [4, 7, 11, 15, 18]);
  for (const i of r.issues) assert.equal(i.file, 'lab-measurements.csv');
  assert.match(r.issues[0].reason, /HT29X.*not in the reference panel.*did you mean.*HT-29/);
  assert.match(r.issues[1].reason, /compound "Dabrafenb" is not in the project \(closest: Dabrafenib/);
  assert.match(r.issues[2].reason, /"n\/a" is not a number/);
  assert.match(r.issues[3].reason, /GI50_uM.*not one Strata converts/);
  assert.match(r.issues[4].reason, /-5.*must be > 0/);

  const want = expected();
  for (const [code, lines] of want) {
    const got = await api.call('measure.list', { compoundId: ids.get(code)! });
    assert.equal(got.compoundId, ids.get(code));
    assert.equal(got.lines.length, lines.size, `${code}: one entry per measured line`);
    for (const l of got.lines) {
      const v = lines.get(l.sampleId);
      assert.ok(v, `${code}: ${l.sampleId} was measured`);
      assert.equal(l.replicates.length, v.length);
      l.replicates.forEach((x, k) => assert.ok(Math.abs(x.lnIc50 - v[k]) < 1e-9, `${code} ${l.sampleId}: ${x.lnIc50} (${x.value} ${x.unit}) = GDSC ${v[k]}`));
      // Replicates combine as their mean in ln.
      assert.ok(Math.abs(l.lnIc50 - v.reduce((a, b) => a + b, 0) / v.length) < 1e-9);
      const p = l.replicates[0];
      assert.equal(p.file, 'lab-measurements.csv');
      assert.match(p.sha256, /^[0-9a-f]{64}$/);
      assert.ok(p.row >= 2 && !Number.isNaN(Date.parse(p.importedAt)));
    }
  }
  // Selumetinib was screened twice by GDSC: two replicates per line, both kept.
  const sel = await api.call('measure.list', { compoundId: ids.get('LAB-002')! });
  assert.ok(sel.lines.every((l) => l.replicates.length === 2));

  const again = await api.call('measure.import', { file });
  assert.equal(again.skippedAsAlreadyImported, true);
  assert.equal(again.stored, 0);
  // Same bytes under another name: the same file.
  const copy = path.join(tmpdir, 'renamed.csv');
  fs.copyFileSync(file, copy);
  assert.equal((await api.call('measure.import', { file: copy })).skippedAsAlreadyImported, true);
  const n = engine.db.prepare('SELECT count(*) FROM measurements').pluck().get();
  assert.equal(n, 18);
  const prov = await api.call('project.provenance', { offset: 0, limit: 10 });
  assert.equal(prov.rows.filter((p) => p.operation === 'measure.import').length, 1);
});

test('measure.import refuses a file it cannot read with the file named, and stores nothing of it', async () => {
  await assert.rejects(api.call('measure.import', { file: path.join(tmpdir, 'nope.csv') }), /nope\.csv.*no such file/);
  const noUnit = path.join(tmpdir, 'nounit.csv');
  fs.writeFileSync(noUnit, 'compound_id,sample_id,value\nLAB-003,A375,1\n');
  await assert.rejects(api.call('measure.import', { file: noUnit }), /nounit\.csv.*no unit/);
  assert.equal((await api.call('measure.list', { compoundId: ids.get('LAB-003')! })).lines.length, 0);
});

test('calibration never scores a measured line as a prediction: its value is the measurement, flagged', async () => {
  const model = await engine.model();
  const panel = loadReferencePanel();
  const stored = new Map([[7, [{ sampleId: panel.samples[3], lnIc50: -1.25 }, { sampleId: panel.samples[3], lnIc50: -0.75 }, { sampleId: panel.samples[10], lnIc50: 2 }]]]);
  const pm = projectMeasured(model, panel, stored)!;
  const nS = panel.samples.length;
  const values = new Float32Array(2 * nS).fill(1.5);
  const cal = calibrateChunk(pm, [7, 8], values, nS);
  assert.deepEqual([...cal.keys()], [0], 'only the measured compound is calibrated');
  const c = cal.get(0)!;
  assert.equal(c.measured[3], 1);
  assert.equal(c.measured[10], 1);
  assert.equal(c.measured.reduce((a, b) => a + b, 0), 2);
  assert.ok(Math.abs(values[3] - -1) < 1e-6, 'replicates averaged in ln, the measurement replaces the prediction');
  assert.ok(Math.abs(values[10] - 2) < 1e-6);
  // Unmeasured lines moved toward the measurements (mean −1, 2 against a prior of 1.5), the other compound untouched.
  assert.ok(values.subarray(0, nS).some((v, s) => !c.measured[s] && Math.abs(v - 1.5) > 1e-3));
  assert.ok(values.subarray(nS).every((v) => v === 1.5));
});

test('a screen calibrates the measured compound like measure.compare; ranked rows and exports say it is measured', async () => {
  const rule = 'BRAF_mut';
  const { jobId } = await api.call('screen.run', { subgroups: [rule] });
  const st = await api.call('job.wait', { jobId });
  assert.equal(st.status, 'done', JSON.stringify(st.error));
  const run = st.result as ScreenResult;
  const label = run.subgroups[0].rule;
  const rows = (await api.call('screen.results', { runId: run.runId, subgroup: label, offset: 0, limit: 10 })).rows;
  const byName = new Map(rows.map((r) => [r.name, r]));
  const dab = byName.get('LAB-001')!;
  const erl = byName.get('LAB-003')!;
  const cmp = await api.call('measure.compare', { compoundId: ids.get('LAB-001')!, subgroups: [rule] });
  const used = cmp.lines.filter((l) => l.usedByCalibration).length;
  assert.ok(used >= 10, `${used} of the 12 measured lines are training lines of the model`);
  assert.equal(dab.measured, used);
  assert.equal(erl.measured, 0);
  assert.equal(cmp.calibrated, true);
  const s = cmp.subgroups[0];
  assert.ok(s.after, 'the subgroup has a calibrated estimate');
  assert.ok(Math.abs(dab.lnIc50 - s.after.lnIc50) < 1e-4, `screen ${dab.lnIc50} = compare ${s.after.lnIc50}`);
  assert.ok(Math.abs(dab.selectivity - s.after.selectivity) < 1e-4);
  assert.ok(Math.abs((dab.selectivityHigh! - dab.selectivityLow!) / 2 - (s.after.selectivityHigh - s.after.selectivityLow) / 2) < 1e-6);
  assert.ok(Math.abs(s.after.lnIc50 - s.before.lnIc50) > 1e-3, 'the measurements moved the subgroup mean');
  // The per-line comparison shows the measurement next to the model's own (uncalibrated) prediction.
  for (const l of cmp.lines) {
    assert.ok(Number.isFinite(l.predicted) && l.predictedLow < l.predicted && l.predicted < l.predictedHigh);
    assert.notEqual(l.predicted, l.measured);
    assert.ok(l.fromOthers === null || Number.isFinite(l.fromOthers));
  }
  // Measured lines pull the compound's prediction toward its measured potency (GDSC: Dabrafenib is weak outside BRAF).
  const measuredMean = cmp.lines.reduce((a, l) => a + l.measured, 0) / cmp.lines.length;
  const priorMean = cmp.lines.reduce((a, l) => a + l.predicted, 0) / cmp.lines.length;
  const fromOthers = cmp.lines.filter((l) => l.fromOthers !== null);
  const looMean = fromOthers.reduce((a, l) => a + l.fromOthers!, 0) / fromOthers.length;
  assert.ok(Math.abs(looMean - measuredMean) < Math.abs(priorMean - measuredMean), `leave-one-out mean ${looMean.toFixed(2)} is closer to the measured ${measuredMean.toFixed(2)} than the prior ${priorMean.toFixed(2)}`);

  const out = path.join(tmpdir, 'ranked.csv');
  const ex = await api.call('job.wait', await api.call('export.write', { out, ranking: { runId: run.runId, subgroup: label } }));
  assert.equal(ex.status, 'done', JSON.stringify(ex.error));
  const [head, ...lines] = fs.readFileSync(out, 'utf8').trim().split('\n');
  const cols = head.split(',');
  const mi = cols.indexOf('measured_lines');
  assert.equal(mi, cols.length - 1, 'measured_lines is appended');
  const ci = cols.indexOf('compound_id');
  const flag = new Map(lines.map((l) => l.split(',')).map((c) => [Number(c[ci]), Number(c[c.length - 1])]));
  assert.equal(flag.get(ids.get('LAB-001')!), used);
  assert.equal(flag.get(ids.get('LAB-003')!), 0);

  // The library export carries the measured values (mean of replicates, ln µM) and their count, appended.
  const lib = path.join(tmpdir, 'library.csv');
  const le = await api.call('job.wait', await api.call('export.write', { out: lib }));
  assert.equal(le.status, 'done', JSON.stringify(le.error));
  const text = fs.readFileSync(lib, 'utf8').trim().split('\n');
  assert.deepEqual(text[0].split(',').slice(-2), ['measured_lines', 'measured_ln_ic50']);
  const sel = await api.call('measure.list', { compoundId: ids.get('LAB-002')! });
  const selRow = text.find((l) => l.startsWith(`${ids.get('LAB-002')},`))!;
  const cells = selRow.slice(selRow.lastIndexOf(',', selRow.length - 2) - 2);
  assert.match(selRow, new RegExp(`,${sel.lines.length},"?[^,]*"?$`));
  for (const l of sel.lines) assert.ok(selRow.includes(`${l.sampleId}=${l.lnIc50.toFixed(4)}`), `${l.sampleId} mean in ${cells}`);
  assert.match(text.find((l) => l.startsWith(`${ids.get('LAB-003')},`))!, /,0,$/);
});

test('measure.suggest proposes unmeasured lines and narrows the interval; measure.delete removes a line, re-import does not bring it back', async () => {
  const id = ids.get('LAB-001')!;
  const measured = new Set((await api.call('measure.list', { compoundId: id })).lines.map((l) => l.sampleId));
  const sug = await api.call('measure.suggest', { compoundId: id, subgroup: 'BRAF_mut', k: 4 });
  assert.equal(sug.lines.length, 4);
  assert.ok(sug.measured >= 10);
  for (const l of sug.lines) assert.ok(!measured.has(l.sampleId), `${l.sampleId} is not measured yet`);
  assert.ok(sug.halfWidthAfter < sug.halfWidthBefore);
  const avail = await api.call('measure.suggest', { compoundId: id, k: 2, available: ['A375', 'HT-29', 'NOPE-1'] });
  assert.deepEqual(avail.unknownAvailable, ['NOPE-1']);
  assert.equal(avail.lines.length, 2);

  const line = [...measured][0];
  assert.equal((await api.call('measure.delete', { compoundId: id, sampleId: line })).deleted, 1);
  const after1 = await api.call('measure.list', { compoundId: id });
  assert.equal(after1.lines.length, measured.size - 1);
  await api.call('measure.import', { file: path.join(FIX, 'lab-measurements.csv') });
  assert.equal((await api.call('measure.list', { compoundId: id })).lines.length, measured.size - 1);
  await assert.rejects(api.call('measure.delete', {} as never), /ids, or a compoundId/);
});
