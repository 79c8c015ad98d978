/**
 * Declaring a compound's mechanism, end to end through the API on real files: targets/pathway columns
 * detected or named at import (CSV and SDF), normalised, duplicates' annotations reaching their first
 * occurrence, unknown targets and pathways noted (not failed), `compounds.annotate`, the library columns,
 * the compound detail and the exports; and `strata predict`'s reading of the same columns.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { createEngine } from '../../core/engine.js';
import type { Engine } from '../../core/engine.js';
import { ApiCallError, createClient } from '../../core/api/client.js';
import type { ApiClient } from '../../core/api/client.js';
import type { ImportSummary, ScreenResult } from '../../core/api/contract.js';
import { openLibrary } from '../../core/ingest/index.js';
import type { RawRecord } from '../../core/ingest/index.js';
import { MechanismFields } from '../../core/library/mechanism.js';
import { loadChunk } from '../../core/screen/screen.js';
import { mechanismOfRecords, predictFile, PREDICT_HEADER } from '../../core/screen/predict-file.js';
import { normalisePathway, normaliseTargets } from '../../core/mechanism/targets.js';

const DATA = path.resolve(import.meta.dirname, '../../../shared/data');
const tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-mech-'));

interface Drug { name: string; smiles: string; targets: string; pathway: string }
/** GDSC's drug list (real annotations). */
function gdscDrugs(): Drug[] {
  const rows = parse(fs.readFileSync(path.join(DATA, 'gdsc_v17/drugs.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  return rows.map((r) => ({ name: r.drug_name, smiles: r.smiles, targets: r.targets, pathway: r.target_pathway }));
}

/** The first `n` records of a real SDF (each ending in data fields), with extra data fields appended to each. */
function sdfWithFields(src: string, n: number, fields: (i: number) => Record<string, string>): string {
  const blocks = fs.readFileSync(src, 'utf8').split(/\$\$\$\$\r?\n/).slice(0, n);
  return blocks.map((b, i) => `${b.replace(/\s*$/, '\n\n')}${Object.entries(fields(i)).map(([k, v]) => `>  <${k}>\n${v}\n\n`).join('')}$$$$\n`).join('');
}

async function importFiles(api: ApiClient, files: string[], extra: Record<string, unknown> = {}): Promise<ImportSummary> {
  const state = await api.call('job.wait', await api.call('library.import', { files, ...extra }));
  assert.equal(state.status, 'done', JSON.stringify(state.error));
  return state.result as ImportSummary;
}

const idOf = (engine: Engine, name: string) => engine.db.prepare('SELECT id FROM compounds WHERE name = ? AND duplicate_of IS NULL').pluck().get(name) as number;
const rowOf = (engine: Engine, id: number) => engine.db.prepare('SELECT targets, target_pathway FROM compounds WHERE id = ?').get(id) as { targets: string | null; target_pathway: string | null };

describe('declared mechanism at import, annotation and export', () => {
  let engine: Engine;
  let api: ApiClient;
  let drugs: Drug[];
  let gdsc: ImportSummary;
  before(async () => {
    engine = await createEngine({ projectFile: path.join(tmpdir, 'mech.strata'), threads: 2 });
    api = createClient(engine.dispatcher);
    drugs = gdscDrugs();
    gdsc = await importFiles(api, [path.join(DATA, 'gdsc_v17/drugs.csv')], { idColumn: 'drug_name' });
  });
  after(async () => engine.close());

  test('CSV: targets and target_pathway detected and stored normalised', async () => {
    assert.ok(gdsc.imported > 150);
    const sunitinib = idOf(engine, 'Sunitinib');
    assert.deepEqual(rowOf(engine, sunitinib), { targets: normaliseTargets('PDGFR, KIT, VEGFR, FLT3, RET, CSF1R'), target_pathway: 'RTK signaling' });
    // Every first occurrence carries its record's annotation, normalised exactly as the module does.
    const rows = engine.db.prepare('SELECT name, targets, target_pathway FROM compounds WHERE duplicate_of IS NULL').all() as { name: string; targets: string | null; target_pathway: string | null }[];
    assert.ok(rows.length > 150);
    let checked = 0;
    for (const r of rows) {
      const d = drugs.find((x) => x.name === r.name)!;
      if (!d || drugs.filter((x) => x.name === r.name).length > 1) continue;
      assert.equal(r.targets, normaliseTargets(d.targets), r.name);
      assert.equal(r.target_pathway, normalisePathway(d.pathway).pathway, r.name);
      checked++;
    }
    assert.ok(checked > 150, `${checked}`);
  });

  test('GDSC\'s own duplicates: a placeholder pathway neither conflicts nor overwrites; notes are not failures', async () => {
    // BMS-536924 is listed twice with one structure: 'IGFR signaling', then 'Unclassified' (a placeholder, read as none).
    const first = idOf(engine, 'BMS-536924');
    assert.equal(rowOf(engine, first).target_pathway, 'IGFR signaling');
    const dup = engine.db.prepare('SELECT targets, target_pathway FROM compounds WHERE duplicate_of = ?').get(first);
    assert.deepEqual(dup, { targets: 'IGF1R, IR', target_pathway: null });
    assert.ok(!gdsc.notes.some((n) => n.reason.includes('duplicate of')), JSON.stringify(gdsc.notes));
    // GDSC's targets are the vocabulary: none is reported unknown.
    assert.ok(!gdsc.notes.some((n) => n.reason.includes('matches no training drug')), JSON.stringify(gdsc.notes));
    assert.equal((await api.call('library.report', { offset: 0, limit: 100, kind: 'failure' })).total, gdsc.failed);
    assert.equal((await api.call('project.info', {})).failed, gdsc.failed);
  });

  test('a duplicate fills its first occurrence\'s missing annotation; unknown targets and pathways are noted with suggestions', async () => {
    const file = path.join(tmpdir, 'mine.csv');
    // Record 1: an existing structure (erlotinib) again, no annotation change; record 2: a new structure without
    // annotation; record 3: the same structure (salt form) declaring it; record 4: an unknown target and pathway.
    fs.writeFileSync(file, [
      'SMILES,ID,Targets,Target Pathway',
      'CC(C)Cc1ccc(cc1)C(C)C(=O)O,ibuprofen,,',
      'CC(C)Cc1ccc(cc1)C(C)C(=O)[O-].[Na+],ibuprofen-Na,"MEK1/2",',
      'CN1C=NC2=C1C(=O)N(C(=O)N2C)C,caffeine,ZZTOP7,Kinase signalling',
      'Cn1cnc2c1c(=O)n(C)c(=O)n2C,caffeine-2,"ADORA1; ZZTOP7",',
    ].join('\n'));
    const s = await importFiles(api, [file]);
    assert.deepEqual([s.imported, s.duplicates, s.failed], [2, 2, 0]);
    const ibu = idOf(engine, 'ibuprofen');
    assert.deepEqual(rowOf(engine, ibu), { targets: 'MEK1, MEK2', target_pathway: null });
    const caf = idOf(engine, 'caffeine');
    assert.deepEqual(rowOf(engine, caf), { targets: 'ZZTOP7', target_pathway: 'Kinase signalling' });
    const notes = s.notes.map((n) => n.reason);
    const zz = s.notes.find((n) => n.reason.startsWith("target 'ZZTOP7' matches no training drug"));
    assert.ok(zz, notes.join('\n'));
    assert.equal(zz.record, 3);
    assert.match(zz.reason, /\(2 records\)/);
    const pw = s.notes.find((n) => n.reason.startsWith("pathway 'Kinase signalling' is not a pathway of the training drugs"));
    assert.ok(pw, notes.join('\n'));
    assert.match(pw.reason, /closest: .*Other, kinases/);
    // The duplicate's targets (ADORA1; ZZTOP7) differ from its first occurrence's (ZZTOP7): noted, not overwritten.
    assert.ok(notes.some((r) => r.includes(`duplicate of compound ${caf}`) && r.includes("targets 'ADORA1, ZZTOP7'")), notes.join('\n'));
    // Known targets are not noted; each unknown one is noted once.
    assert.ok(!notes.some((r) => r.includes("'MEK")), notes.join('\n'));
    assert.equal(notes.filter((r) => r.startsWith('target ')).length, 2, notes.join('\n'));
  });

  test('SDF: data fields detected (GDSC style TARGET/TARGET_PATHWAY) or named with targetsColumn/pathwayColumn', async () => {
    const cdk2 = path.join(DATA, 'libraries/cdk2.sdf');
    const a = path.join(tmpdir, 'cdk2-a.sdf');
    fs.writeFileSync(a, sdfWithFields(cdk2, 3, (i) => ({ TARGET: i === 2 ? 'CDK2/FOOKINASE9' : 'CDK2', TARGET_PATHWAY: 'cell cycle' })));
    const sa = await importFiles(api, [a]);
    assert.equal(sa.failed, 0);
    const rows = engine.db.prepare('SELECT record_no, targets, target_pathway FROM compounds WHERE source_id = ? ORDER BY record_no').all(sa.files[0].sourceId) as { record_no: number; targets: string; target_pathway: string }[];
    assert.deepEqual(rows.map((r) => [r.targets, r.target_pathway]), [['CDK2', 'Cell cycle'], ['CDK2', 'Cell cycle'], ['CDK2, FOOKINASE9', 'Cell cycle']]);
    assert.deepEqual(sa.notes.map((n) => [n.record, n.kind, n.reason.split(' matches')[0]]), [[3, 'note', "target 'FOOKINASE9'"]]);
    const report = await api.call('library.report', { offset: 0, limit: 100, kind: 'note', sourceId: sa.files[0].sourceId });
    assert.deepEqual(report.rows.map((r) => r.id), sa.notes.map((n) => n.id));

    const b = path.join(tmpdir, 'cdk2-b.sdf');
    fs.writeFileSync(b, sdfWithFields(cdk2, 5, (i): Record<string, string> => (i < 4 ? { Mechanism: 'CDK1/2', Route: 'cell-cycle', target: 'ignored when named' } : {})).split('$$$$\n').slice(3).join('$$$$\n'));
    const sb = await importFiles(api, [b], { targetsColumn: 'mechanism', pathwayColumn: 'Route' });
    const got = engine.db.prepare('SELECT targets, target_pathway FROM compounds WHERE source_id = ? ORDER BY record_no').all(sb.files[0].sourceId) as { targets: string | null; target_pathway: string | null }[];
    assert.deepEqual(got, [{ targets: 'CDK1, CDK2', target_pathway: 'Cell cycle' }, { targets: null, target_pathway: null }]);
  });

  test('a named column a table does not have is a file error naming it and the columns', async () => {
    const file = path.join(tmpdir, 'nocol.csv');
    fs.writeFileSync(file, 'smiles,name\nCCO,ethanol\n');
    // The import fails with the file's reason, and keeps its summary.
    const state = await api.call('job.wait', await api.call('library.import', { files: [file], targetsColumn: 'moa' }));
    assert.equal(state.status, 'failed');
    assert.match(state.error?.message ?? '', /nocol\.csv: no column 'moa' for the targets/);
    const s = state.result as ImportSummary;
    assert.match(s.files[0].error ?? '', /nocol\.csv: no column 'moa' for the targets \(columns: smiles, name\)/);
  });

  test('compounds.annotate: one compound, a selection with a duplicate, clear, bad id; logged in provenance', async () => {
    const erlotinib = idOf(engine, 'Erlotinib');
    const one = await api.call('compounds.annotate', { ids: [erlotinib], targets: 'egfr; her2' });
    assert.equal(one.targets, 'EGFR, ERBB2');
    assert.equal(one.structures, 1);
    assert.deepEqual(one.unknownTargets, []);
    assert.deepEqual(rowOf(engine, erlotinib), { targets: 'EGFR, ERBB2', target_pathway: 'EGFR signaling' });

    // A selection naming a duplicate record: the structure (first occurrence and all duplicates) is written.
    const ibu = idOf(engine, 'ibuprofen');
    const ibuDup = engine.db.prepare('SELECT id FROM compounds WHERE duplicate_of = ?').pluck().get(ibu) as number;
    const many = await api.call('compounds.annotate', { ids: [erlotinib, ibuDup], pathway: 'mapk' });
    assert.equal(many.pathway, 'ERK MAPK signaling');
    assert.equal(many.pathwayKnown, true);
    assert.equal(many.structures, 2);
    assert.equal(many.compounds, 3);
    for (const id of [erlotinib, ibu, ibuDup]) assert.equal(rowOf(engine, id).target_pathway, 'ERK MAPK signaling');
    assert.equal(rowOf(engine, ibu).targets, 'MEK1, MEK2', 'a field left out is unchanged');

    const unknown = await api.call('compounds.annotate', { ids: [ibu], targets: ['MEK1', 'NOPE42'], pathway: 'Inflamation' });
    assert.deepEqual(unknown.unknownTargets, ['NOPE42']);
    assert.equal(unknown.pathwayKnown, false);

    const cleared = await api.call('compounds.annotate', { ids: [ibu], targets: null, pathway: '' });
    assert.equal(cleared.targets, null);
    assert.deepEqual([rowOf(engine, ibu), rowOf(engine, ibuDup)], [{ targets: null, target_pathway: null }, { targets: null, target_pathway: null }]);

    const before = rowOf(engine, erlotinib);
    await assert.rejects(api.call('compounds.annotate', { ids: [erlotinib, 987654], targets: 'BRAF' }),
      (e: unknown) => e instanceof ApiCallError && e.code === 'NOT_FOUND' && /no compound with id 987654; nothing was annotated/.test(e.message));
    assert.deepEqual(rowOf(engine, erlotinib), before);
    await assert.rejects(api.call('compounds.annotate', { ids: [erlotinib] } as never), (e: unknown) => e instanceof ApiCallError && e.code === 'INVALID_INPUT');
    await assert.rejects(api.call('compounds.annotate', { ids: [], targets: 'x' }), (e: unknown) => e instanceof ApiCallError && e.code === 'INVALID_INPUT');

    const log = await api.call('project.provenance', { offset: 0, limit: 20 });
    const ops = log.rows.filter((r) => r.operation === 'compounds.annotate');
    assert.equal(ops.length, 4);
    assert.deepEqual((ops.at(-1)!.params as { ids: number[] }).ids, [erlotinib]);
  });

  test('library columns: shown, sorted and filtered; compound detail; mechanismOf for screening', async () => {
    const cols = await api.call('compounds.columns', {});
    assert.ok(cols.some((c) => c.key === 'targets' && c.type === 'text') && cols.some((c) => c.key === 'target_pathway'));
    const page = await api.call('compounds.query', { offset: 0, limit: 500, filters: [{ column: 'targets', op: 'contains', value: 'braf' }], sort: { column: 'targets', dir: 'asc' } });
    assert.ok(page.total >= 3 && page.rows.length === page.total);
    const t = page.rows.map((r) => r.values.targets as string);
    assert.ok(t.every((x) => /BRAF/i.test(x)));
    assert.deepEqual(t, [...t].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    const byPathway = await api.call('compounds.count', { filters: [{ column: 'target_pathway', op: '=', value: 'Cell cycle' }] });
    const direct = engine.db.prepare("SELECT count(*) FROM compounds WHERE duplicate_of IS NULL AND target_pathway = 'Cell cycle'").pluck().get();
    assert.equal(byPathway.total, direct);

    const caf = idOf(engine, 'caffeine');
    const d = await api.call('compounds.get', { id: caf });
    assert.equal(d.targets, 'ZZTOP7');
    assert.deepEqual(d.unknownTargets, ['ZZTOP7']);
    assert.equal(d.pathwayKnown, false);
    const dup = engine.db.prepare('SELECT id FROM compounds WHERE duplicate_of = ?').pluck().get(caf) as number;
    assert.equal((await api.call('compounds.get', { id: dup })).targets, 'ZZTOP7', 'a duplicate shows its structure\'s mechanism');

    // What the screen hands to the mechanism step (core/predict/declared.ts) for each compound.
    const chunk = loadChunk({ store: engine.store }, [idOf(engine, 'Sunitinib'), idOf(engine, 'ibuprofen'), idOf(engine, 'caffeine')], []);
    assert.equal(chunk.mechanism[0]?.pathway, 'RTK signaling');
    assert.deepEqual(chunk.mechanism[0]?.targets, rowOf(engine, idOf(engine, 'Sunitinib')).targets!.split(', '));
    assert.ok(chunk.mechanism[0]!.targets.includes('KIT'));
    assert.equal(chunk.mechanism[1], null, 'cleared above: no mechanism');
    assert.deepEqual(chunk.mechanism[2], { targets: ['ZZTOP7'], pathway: 'Kinase signalling' });
  });

  test('mechanism.vocabulary: the training drugs\' pathways and targets, most common first, with the GDSC drugs\' own', async () => {
    const v = await api.call('mechanism.vocabulary', {});
    const counts = v.pathways.map((p) => p.drugs);
    assert.deepEqual(counts, [...counts].sort((a, b) => b - a));
    // Every pathway GDSC's drug list names (placeholders aside) is in the vocabulary the UI offers.
    const names = new Set(v.pathways.map((p) => p.name));
    for (const d of drugs) {
      const p = normalisePathway(d.pathway);
      if (p.pathway) assert.ok(names.has(p.pathway), d.pathway);
    }
    assert.ok(v.targets.some((t) => t.name === 'MEK1') && v.targets.every((t) => t.drugs > 0));
  });

  test('CSV, SDF and XLSX exports carry targets and target_pathway; a source field of the same name becomes prop:<name>', async () => {
    const ids = [idOf(engine, 'Sunitinib'), idOf(engine, 'caffeine')];
    const out = (ext: string) => path.join(tmpdir, `export.${ext}`);
    for (const ext of ['csv', 'sdf', 'xlsx']) {
      const st = await api.call('job.wait', await api.call('export.write', { out: out(ext), ids }));
      assert.equal(st.status, 'done', JSON.stringify(st.error));
    }
    const csv = fs.readFileSync(out('csv'), 'utf8').trim().split('\n');
    const header = csv[0].split(',');
    const ti = header.indexOf('targets');
    const pi = header.indexOf('target_pathway');
    assert.ok(ti > 0 && pi === ti + 1, header.join(','));
    assert.ok(header.includes('prop:targets') && header.includes('prop:target_pathway'), 'the files\' own columns are kept, renamed');
    assert.equal(header.filter((h) => h === 'targets').length, 1);
    assert.match(csv[2], /,ZZTOP7,Kinase signalling,/);
    const sdf = fs.readFileSync(out('sdf'), 'utf8');
    assert.match(sdf, /> {2}<targets>\nZZTOP7\n\n> {2}<target_pathway>\nKinase signalling\n/);
    assert.match(sdf, /> {2}<prop:targets>\nPDGFR, KIT, VEGFR, FLT3, RET, CSF1R\n/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(out('xlsx'));
    const sheet = wb.worksheets[0];
    const xh = (sheet.getRow(1).values as unknown[]).slice(1);
    const xt = xh.indexOf('targets');
    assert.ok(xt >= 0, xh.join(','));
    assert.equal(sheet.getRow(3).getCell(xt + 1).value, 'ZZTOP7');
  });

  test('a screen stores the selectivity interval and evidence; ranked exports carry them and the mechanism', async () => {
    const { jobId } = await api.call('screen.run', { subgroups: ['BRAF_mut AND tissue=skin'], query: { filters: [{ column: 'targets', op: 'not-null' }] } });
    const st = await api.call('job.wait', { jobId });
    assert.equal(st.status, 'done', JSON.stringify(st.error));
    const run = st.result as ScreenResult;
    const page = await api.call('screen.results', { runId: run.runId, subgroup: run.subgroups[0].rule, offset: 0, limit: 1000, sort: { column: 'selectivityLow', dir: 'desc' } });
    assert.ok(page.total > 100);
    const stored = engine.db.prepare('SELECT compound_id, selectivity_low, selectivity_high, evidence FROM screen_results WHERE run_id = ?').all(run.runId) as { compound_id: number; selectivity_low: number | null; selectivity_high: number | null; evidence: string | null }[];
    const byId = new Map(stored.map((r) => [r.compound_id, r]));
    for (const r of page.rows) {
      const s = byId.get(r.compoundId)!;
      assert.equal(s.selectivity_low, r.selectivityLow);
      assert.equal(s.selectivity_high, r.selectivityHigh);
      assert.equal(s.evidence, r.evidence, 'the stored tier is the ranked row\'s');
    }
    const lows = page.rows.map((r) => r.selectivityLow).filter((v): v is number => v != null);
    assert.deepEqual(lows, [...lows].sort((a, b) => b - a));

    const out = path.join(tmpdir, 'ranked.csv');
    const ex = await api.call('job.wait', await api.call('export.write', { out, ranking: { runId: run.runId } }));
    assert.equal(ex.status, 'done', JSON.stringify(ex.error));
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    const h = lines[0].split(',');
    const sel = h.indexOf('selectivity');
    assert.deepEqual(h.slice(sel, sel + 3), ['selectivity', 'selectivity_low', 'selectivity_high'], 'the interval stands beside selectivity');
    // The mechanism columns come after the original ones, then the probability of response, the display name and the measured lines (each added later, at the end).
    assert.deepEqual(h.slice(-6), ['evidence', 'targets', 'target_pathway', 'p_response', 'display_name', 'measured_lines']);
    const sun = idOf(engine, 'Sunitinib');
    const line = lines.find((l) => l.split(',')[2] === String(sun));
    assert.ok(line, 'Sunitinib is ranked');
    assert.match(line, new RegExp(`,"${rowOf(engine, sun).targets}",RTK signaling,(0(\\.\\d+)?|1|),[^,]*,0$`), line);
  });
});

describe('strata predict reads the mechanism columns of its compounds file', () => {
  let engine: Engine;
  before(async () => {
    engine = await createEngine({ projectFile: path.join(tmpdir, 'predict.strata'), threads: 2 });
  });
  after(async () => engine.close());

  const records = async (file: string, opts = {}): Promise<RawRecord[]> => {
    const out: RawRecord[] = [];
    for await (const it of (await openLibrary(file, opts)).records) if (it.ok) out.push(it.rec);
    return out;
  };

  test('per compound { targets, pathway } from detected or named columns; the output header is unchanged', async () => {
    const file = path.join(tmpdir, 'pred.tsv');
    fs.writeFileSync(file, 'smiles\tid\tputative_target\tPathway\tmoa\nCC(=O)Oc1ccccc1C(=O)O\taspirin\tMEK1, MEK2\tother kinases\tCOX\nCN1CCC[C@H]1c1cccnc1\tnicotine\t\t\tnAChR\nCCO\tethanol\tQQQ9\t\t\n');
    const recs = await records(file);
    assert.deepEqual(mechanismOfRecords(new MechanismFields(), recs), [
      { targets: ['MEK1', 'MEK2'], pathway: 'Other, kinases' }, null, { targets: ['QQQ9'], pathway: null },
    ]);
    assert.deepEqual(mechanismOfRecords(new MechanismFields({ targets: 'MOA' }), recs), [
      { targets: ['COX'], pathway: 'Other, kinases' }, { targets: ['nAChR'], pathway: null }, null,
    ]);

    const panel = path.join(tmpdir, 'panel.csv');
    fs.writeFileSync(panel, fs.readFileSync(path.join(DATA, 'gdsc_v17/genomic_features.csv'), 'utf8').split('\n').slice(0, 4).join('\n'));
    const out = path.join(tmpdir, 'pred.csv');
    const r = await predictFile(engine, { compounds: file, panel, out });
    assert.equal(fs.readFileSync(out, 'utf8').split('\n')[0], [...PREDICT_HEADER, 'p_response'].join(','));
    assert.equal(r.mechanism.declared, 2);
    assert.deepEqual(r.mechanism.unknownTargets, { QQQ9: 1 });
    assert.ok(r.warnings.some((w) => /target 'QQQ9' \(1 compound\) matches no training drug/.test(w)), r.warnings.join('\n'));
    const prov = JSON.parse(fs.readFileSync(`${out}.provenance.json`, 'utf8')) as { mechanism: { declared: number } };
    assert.equal(prov.mechanism.declared, 2);
    await assert.rejects(predictFile(engine, { compounds: file, panel, out, pathwayColumn: 'route' }), /pred\.tsv: no column 'route' for the pathway/);
  });
});
