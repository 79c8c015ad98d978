/**
 * `strata train --measurements M.csv --compounds F --base <model> --id <new id>`: a lab's own model from its assay
 * table (issue 9, "a lab's own assay table → its own model").
 *
 * What it learns, and why this form: the lab's compounds are added to the base model's transfer set
 * (core/predict/transfer.ts) as drugs of their own — declared targets and pathway, fingerprint, potency relative to
 * the cell-line means and double-centred profile over the lines the lab measured. A new compound of the lab's series
 * then takes its potency (and, through a shared target, its genotype profile) from its measured analogues, next to
 * the reference panel's 206 training drugs, whose genotype knowledge stays untouched. Nothing is re-fitted on the
 * lab's data: the base model's ONNX graph, transfer parameters and per-tier intervals are kept, so the lab's
 * cross-validation below never chose anything it reports (no nesting needed), and the intervals' coverage on the
 * lab's compounds is measured, not assumed. A re-trained network would need far more than a lab's table.
 *
 * Cross-validation grouped by the lab's compounds (compounds with Tanimoto ≥ 0.9 — salts, stereoisomers — are one
 * group): every fold's held-out compounds are predicted on their measured lines by the base model and by the lab
 * model built without them; the card reports RMSE, Pearson, mean per-compound Pearson, potency error and interval
 * coverage for both. Lab compounds get no genotype-space (ridge) profile: on samples that are not reference lines
 * they contribute potency only.
 *
 * The written model directory holds the base model's files unchanged except `mechanism.json` (drugs appended),
 * `train_drugs.json` (the lab compounds' fingerprints appended, without responses, so the applicability domain knows
 * them and the calibration basis of `measure` stays the reference panel's), `model.json` and `MODEL_CARD.md`.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ApiError } from '../api/errors.js';
import { tanimotoClusters } from '../chem/similarity.js';
import { DESCRIPTOR_NAMES, FP_BYTES } from '../chem/types.js';
import type { Engine } from '../engine.js';
import { openLibrary, type RawRecord } from '../ingest/index.js';
import { MechanismFields } from '../library/mechanism.js';
import { normalisePathway } from '../mechanism/targets.js';
import { declaredMechanism, type DeclaredMechanism } from '../predict/declared.js';
import { compoundMatrix, predictMatrix, type CompoundRecord, type TrainDrugsFile } from '../predict/infer.js';
import { manifestSchema, type ModelManifest } from '../predict/manifest.js';
import { applyTransferRow, encodeFloat32, encodeInt16Profile, halfWidthsFor, loadTransfer, mechanismKeys, NEAR_IDENTICAL, panelProfiles, parseTransfer, similarities, transferWeights, type EvidenceTier, type PanelProfiles, type TransferArtifactFile, type TransferModel } from '../predict/transfer.js';
import { meanGroupPearson, pearson, rmse } from '../train/metrics.js';
import { APP_VERSION } from '../version.js';
import { loadMeasuredSet } from './apply.js';

/** Below these a table cannot be validated by compound-grouped cross-validation: refused with the reason. */
export const LAB_MIN_COMPOUNDS = 8;
export const LAB_MIN_LINES = 3;
export const LAB_MIN_GROUPS = 4;

export interface LabModelOptions {
  measurements: string;
  compounds: string;
  baseId?: string;
  id: string;
  outDir: string;
  name?: string;
  folds?: number;
  smilesColumn?: string;
  idColumn?: string;
  targetsColumn?: string;
  pathwayColumn?: string;
  force?: boolean;
}

export interface LabFigures {
  pairs: number;
  compounds: number;
  rmse: number;
  pearson: number;
  /** Mean per-compound Pearson over compounds with ≥ 5 measured lines (NaN when none). */
  perCompoundPearson: number;
  /** Mean absolute error of each compound's mean over its measured lines (the potency offset). */
  potencyMae: number;
  /** Share of measured pairs inside the model's 90 % interval, and the mean half-width. */
  coverage: number;
  halfWidth: number;
  tiers: Partial<Record<EvidenceTier, number>>;
}

export interface LabModelResult {
  dir: string;
  id: string;
  base: string;
  compounds: number;
  lines: number;
  pairs: number;
  folds: number;
  cv: { base: LabFigures; lab: LabFigures };
  warnings: string[];
}

interface LabCompound {
  id: string;
  fp: Uint8Array;
  mech: DeclaredMechanism;
  /** Basis rows measured and the (replicate-averaged) ln IC50 there. */
  rows: number[];
  values: number[];
  /** Structure-only (two-tower) prediction on every basis line. */
  prior: Float32Array;
  group: number;
}

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

/** The transfer artifact of the base model with `lab` appended as drugs. */
function labArtifact(base: TransferArtifactFile, lab: readonly LabCompound[], lineIds: readonly string[], provenance?: unknown): TransferArtifactFile {
  const col = new Map(base.cellLines.cosmicIds.map((c, i) => [String(c), i]));
  const F = base.features.length;
  const zeros = encodeFloat32(new Float32Array(F));
  const drugs = lab.map((c) => {
    const profile = new Float64Array(base.cellLines.cosmicIds.length).fill(NaN);
    const rel: number[] = [];
    const at: number[] = [];
    c.rows.forEach((r, k) => {
      const i = col.get(lineIds[r]);
      if (i === undefined) return;
      rel.push(c.values[k] - base.cellLines.trainingMean[i]);
      at.push(i);
    });
    const mean = rel.reduce((a, b) => a + b, 0) / Math.max(1, rel.length);
    let ss = 0;
    at.forEach((i, k) => {
      profile[i] = rel[k] - mean;
      ss += (rel[k] - mean) ** 2;
    });
    return {
      name: `lab:${c.id}`,
      targets: c.mech?.targets ?? [],
      pathway: c.mech?.pathway ? normalisePathway(c.mech.pathway).pathway : null,
      fp: Buffer.from(c.fp).toString('hex'),
      mean,
      strength: rel.length > 1 ? Math.sqrt(ss / (rel.length - 1)) : 0,
      profile: encodeInt16Profile(profile),
      ridge: zeros,
      intercept: 0,
    };
  });
  return { ...base, drugs: [...base.drugs, ...drugs], provenance: provenance ?? base.provenance };
}

/** Held-out pairs: prediction, measurement, the compound's index in the lab table, interval half-width and tier. */
interface Held {
  pred: number[];
  y: number[];
  compound: number[];
  halfWidth: number[];
  tier: EvidenceTier[];
}

const emptyHeld = (): Held => ({ pred: [], y: [], compound: [], halfWidth: [], tier: [] });

/** Adds the predictions of `held` (indices into `lab`) on their measured lines by transfer `tm` (with the base model's prior) to `out`. */
function predictHeld(tm: TransferModel, pp: PanelProfiles, lab: readonly LabCompound[], held: readonly number[], out: Held): void {
  for (const ci of held) {
    const c = lab[ci];
    const row = Float32Array.from(c.prior);
    const tw = transferWeights(tm.params, tm.drugs, similarities(tm, c.fp), mechanismKeys(c.mech ?? { targets: [], pathway: null }));
    applyTransferRow(row, 0, tw, pp);
    c.rows.forEach((r, k) => {
      out.pred.push(row[r]);
      out.y.push(c.values[k]);
      out.compound.push(ci);
      out.halfWidth.push(halfWidthsFor(tm.intervals, tw.tier, tw.spread).pair);
      out.tier.push(tw.tier);
    });
  }
}

function figures(p: Held): LabFigures {
  const n = p.pred.length;
  const byC = new Map<number, number[]>();
  p.compound.forEach((c, i) => byC.set(c, [...(byC.get(c) ?? []), i]));
  const potErr = [...byC.values()].map((idx) => Math.abs(idx.reduce((a, i) => a + p.pred[i] - p.y[i], 0) / idx.length));
  let inside = 0;
  const tiers: Partial<Record<EvidenceTier, number>> = {};
  for (let i = 0; i < n; i++) {
    if (Math.abs(p.pred[i] - p.y[i]) <= p.halfWidth[i]) inside++;
    tiers[p.tier[i]] = (tiers[p.tier[i]] ?? 0) + 1;
  }
  const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN);
  return { pairs: n, compounds: byC.size, rmse: rmse(p.pred, p.y), pearson: pearson(p.pred, p.y), perCompoundPearson: meanGroupPearson(p.pred, p.y, p.compound, 5).mean, potencyMae: mean(potErr), coverage: n ? inside / n : NaN, halfWidth: mean(p.halfWidth), tiers };
}

async function readLabCompounds(engine: Pick<Engine, 'pool'>, opts: LabModelOptions, wanted: ReadonlySet<string>, warnings: string[]): Promise<Map<string, { fp: Uint8Array; rec: CompoundRecord; mech: DeclaredMechanism }>> {
  const reader = await openLibrary(opts.compounds, { smilesColumn: opts.smilesColumn, idColumn: opts.idColumn });
  const fields = new MechanismFields({ targets: opts.targetsColumn, pathway: opts.pathwayColumn });
  if (reader.columns) fields.resolve(reader.columns.all);
  const pool = await engine.pool();
  const out = new Map<string, { fp: Uint8Array; rec: CompoundRecord; mech: DeclaredMechanism }>();
  let batch: RawRecord[] = [];
  const flush = async () => {
    if (!batch.length) return;
    const r = await pool.process({ texts: batch.map((b) => b.text), molblock: Uint8Array.from(batch.map((b) => (b.format === 'molblock' ? 1 : 0))) });
    batch.forEach((b, k) => {
      const id = b.id ?? `record-${b.recordNo}`;
      if (!r.ok[k]) {
        warnings.push(`${path.basename(opts.compounds)} record ${b.recordNo} (${id}): ${r.error[k] ?? 'not processed'}; its measurements are not used`);
        return;
      }
      if (out.has(id)) {
        warnings.push(`${path.basename(opts.compounds)} record ${b.recordNo}: compound id ${id} appears again; the first record is used`);
        return;
      }
      const descriptors: Record<string, number> = {};
      DESCRIPTOR_NAMES.forEach((name, j) => (descriptors[name] = r.descriptors[k * DESCRIPTOR_NAMES.length + j]));
      const fp = r.fingerprints.slice(k * FP_BYTES, (k + 1) * FP_BYTES);
      const m = fields.read(b.props);
      out.set(id, { fp, rec: { fingerprint: fp, descriptors }, mech: declaredMechanism(m.targets, m.pathway) });
    });
    batch = [];
  };
  for await (const item of reader.records) {
    if (!item.ok) {
      warnings.push(`${path.basename(opts.compounds)} record ${item.bad.recordNo} (line ${item.bad.line}): ${item.bad.reason}`);
      continue;
    }
    if (item.rec.id !== undefined && item.rec.id !== null && !wanted.has(item.rec.id)) continue;
    batch.push(item.rec);
    if (batch.length >= 256) await flush();
  }
  await flush();
  return out;
}

function fmt(v: number, d = 3): string {
  return Number.isFinite(v) ? v.toFixed(d) : '–';
}

function labCard(r: LabModelResult, base: ModelManifest, measurementsSha: string, opts: LabModelOptions): string {
  const row = (label: string, f: LabFigures) => `| ${label} | ${f.pairs} | ${fmt(f.rmse)} | ${fmt(f.pearson)} | ${fmt(f.perCompoundPearson)} | ${fmt(f.potencyMae)} | ${fmt(100 * f.coverage, 1)} % | ${fmt(f.halfWidth, 2)} |`;
  return [
    `# ${r.id}: a lab model on ${base.id}`,
    '',
    `Written by \`strata train --measurements\` (Strata ${APP_VERSION}). Base model: **${base.id}** (${base.name}); its card applies to everything the lab's table does not change.`,
    '',
    '## What it is',
    `The base model plus the lab's ${r.compounds} compounds as transfer drugs of their own (potency relative to the cell-line means, double-centred profile over the lines each was measured on; ${r.lines} reference lines in all, declared targets and pathway), so a new compound of the series takes its potency — and through a shared target its genotype profile — from its measured analogues. The ONNX graph, transfer parameters and per-tier intervals are the base model's: nothing was fitted on the lab's table, so the cross-validation below chose nothing it reports.`,
    '',
    `- Measurements: \`${path.basename(opts.measurements)}\` (sha256 ${measurementsSha}), ${r.pairs} measured compound × line pairs (replicates averaged).`,
    `- Compounds: \`${path.basename(opts.compounds)}\`.`,
    '',
    '## Cross-validation grouped by the lab\'s compounds',
    `${r.folds} folds; compounds with Tanimoto ≥ ${NEAR_IDENTICAL} (salts, stereoisomers) held out together. Each held-out compound is predicted on its measured lines by the base model and by the lab model built without it. ln IC50 (µM); 90 % intervals.`,
    '',
    '| model | pairs | RMSE | Pearson | per-compound Pearson | potency MAE | coverage | mean half-width |',
    '|---|---|---|---|---|---|---|---|',
    row(`base (${base.id})`, r.cv.base),
    row(`lab (${r.id})`, r.cv.lab),
    '',
    `Evidence tiers of the held-out pairs under the lab model: ${Object.entries(r.cv.lab.tiers).map(([t, n]) => `${t} ${n}`).join(', ')}. Per-compound Pearson uses compounds with at least 5 measured lines.`,
    '',
    '## Limits',
    '- Lab compounds carry no genotype-space profile: on a lab\'s own (VCF/MAF) samples they inform potency only.',
    '- The intervals are the base model\'s per-tier intervals; their coverage on the lab\'s compounds is the figure above.',
    ...(r.warnings.length ? ['', '## Notes from reading the table', ...r.warnings.slice(0, 30).map((w) => `- ${w}`)] : []),
    '',
  ].join('\n');
}

export async function trainLabModel(engine: Pick<Engine, 'model' | 'pool'>, opts: LabModelOptions, log: (m: string) => void = () => {}): Promise<LabModelResult> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(opts.id)) throw new ApiError('INVALID_INPUT', `--id ${JSON.stringify(opts.id)}: letters, digits, ".", "_" or "-", starting with a letter or digit`);
  const base = await engine.model(opts.baseId);
  if (!base.manifest.transfer) throw new ApiError('INVALID_INPUT', `model ${base.manifest.id} has no transfer artifact: a lab model extends one (use the shipped model)`);
  if (opts.id === base.manifest.id) throw new ApiError('INVALID_INPUT', `--id ${opts.id} is the base model's id; choose a new one`);
  const dir = path.join(opts.outDir, opts.id);
  if (fs.existsSync(dir) && !opts.force) throw new ApiError('EXISTS', `${dir} exists; choose another --id or pass --force to replace it`);
  const warnings: string[] = [];
  const set = loadMeasuredSet(base, opts.measurements);
  for (const i of set.file.issues.slice(0, 20)) warnings.push(`${path.basename(opts.measurements)} line ${i.line}: ${i.reason}`);
  if (set.file.issues.length > 20) warnings.push(`${path.basename(opts.measurements)}: ${set.file.issues.length - 20} more rows not used (strata measure check lists all)`);
  if (set.notInBasis) warnings.push(`${path.basename(opts.measurements)}: ${set.notInBasis} measurements on reference lines the model was not trained on are not used`);
  log(`read ${set.file.measurements.length} measurements of ${set.byCompound.size} compounds`);

  const structures = await readLabCompounds(engine, opts, new Set(set.byCompound.keys()), warnings);
  const missing = [...set.byCompound.keys()].filter((id) => !structures.has(id));
  if (missing.length) warnings.push(`${missing.length} measured compound id(s) have no structure in ${path.basename(opts.compounds)} and are not used: ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ' …' : ''}`);

  const lineIds = set.mm.lines;
  const nRef = lineIds.length;
  const F = base.manifest.compoundFeatures.length;
  const lab: LabCompound[] = [];
  const few: string[] = [];
  for (const [id, values] of [...set.byCompound].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const s = structures.get(id);
    if (!s) continue;
    const by = new Map<number, number[]>();
    for (const v of values) if (Number.isFinite(v.value)) by.set(v.line, [...(by.get(v.line) ?? []), v.value]);
    if (by.size < LAB_MIN_LINES) {
      few.push(id);
      continue;
    }
    const rows = [...by.keys()].sort((a, b) => a - b);
    const x = compoundMatrix(base.manifest, [s.rec], () => `${opts.compounds} compound ${id}`);
    const p = await predictMatrix(base, x.subarray(0, F), 1, set.referenceGenotypes, nRef, { bounds: false });
    lab.push({ id, fp: s.fp, mech: s.mech, rows, values: rows.map((r) => by.get(r)!.reduce((a, b) => a + b, 0) / by.get(r)!.length), prior: p.mean.slice(0, nRef), group: 0 });
  }
  if (few.length) warnings.push(`${few.length} compound(s) have fewer than ${LAB_MIN_LINES} measured lines and are not used: ${few.slice(0, 8).join(', ')}${few.length > 8 ? ' …' : ''}`);
  // Salts and stereoisomers of one parent (Tanimoto ≥ NEAR_IDENTICAL, single linkage) are one group.
  const groups = tanimotoClusters(lab.map((c) => c.fp), NEAR_IDENTICAL);
  lab.forEach((c, i) => (c.group = groups[i]));
  const nGroups = new Set(groups).size;
  if (lab.length < LAB_MIN_COMPOUNDS || nGroups < LAB_MIN_GROUPS) {
    throw new ApiError('INVALID_INPUT', `${opts.measurements}: too small to validate a lab model: ${lab.length} compound(s) with structures and at least ${LAB_MIN_LINES} measured lines (${nGroups} distinct after merging salts/stereoisomers); cross-validation grouped by compound needs at least ${LAB_MIN_COMPOUNDS} compounds in ${LAB_MIN_GROUPS} distinct groups. Measure more compounds, or use \`strata predict --measured\` to calibrate single compounds`);
  }

  // The base transfer, checked against its manifest sha256 and parsed once; its profiles on the reference lines once.
  const baseTm = loadTransfer(base.dir, base.manifest.transfer.file, base.manifest.transfer.sha256);
  const basePp = panelProfiles(baseTm, lineIds, set.referenceGenotypes);
  const baseArtifact = JSON.parse(fs.readFileSync(path.join(base.dir, base.manifest.transfer.file), 'utf8')) as TransferArtifactFile;
  const folds = Math.max(2, Math.min(opts.folds ?? 5, nGroups));
  // Groups to folds: deterministic, by the group's first compound id hash (not by file order).
  const groupKey = new Map<number, string>();
  lab.forEach((c) => groupKey.set(c.group, groupKey.get(c.group) ?? sha(c.id)));
  const orderedGroups = [...groupKey].sort((a, b) => (a[1] < b[1] ? -1 : 1)).map(([g]) => g);
  const foldOf = new Map(orderedGroups.map((g, i) => [g, i % folds]));
  const baseHeld = emptyHeld();
  const labHeld = emptyHeld();
  for (let f = 0; f < folds; f++) {
    const held = lab.flatMap((c, i) => (foldOf.get(c.group) === f ? [i] : []));
    const kept = lab.filter((c) => foldOf.get(c.group) !== f);
    predictHeld(baseTm, basePp, lab, held, baseHeld);
    const foldTm = parseTransfer(JSON.stringify(labArtifact(baseArtifact, kept, lineIds)), `lab transfer (fold ${f + 1})`);
    predictHeld(foldTm, panelProfiles(foldTm, lineIds, set.referenceGenotypes), lab, held, labHeld);
    log(`fold ${f + 1}/${folds}: ${held.length} compounds held out`);
  }
  const cv = { base: figures(baseHeld), lab: figures(labHeld) };
  const measuredLines = new Set(lab.flatMap((c) => c.rows)).size;
  const result: LabModelResult = { dir, id: opts.id, base: base.manifest.id, compounds: lab.length, lines: measuredLines, pairs: lab.reduce((a, c) => a + c.rows.length, 0), folds, cv, warnings };

  // Write: a temp folder next to the target, renamed into place (a crash leaves no half-written model).
  fs.mkdirSync(opts.outDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(opts.outDir, `.${opts.id}.partial-`));
  try {
    for (const name of fs.readdirSync(base.dir)) {
      const src = path.join(base.dir, name);
      if (fs.statSync(src).isFile()) fs.copyFileSync(src, path.join(tmp, name));
    }
    const measurementsSha = sha(fs.readFileSync(opts.measurements));
    const artifact = labArtifact(baseArtifact, lab, lineIds, { base: base.manifest.id, lab: { measurements: path.basename(opts.measurements), sha256: measurementsSha, compounds: lab.length }, baseProvenance: baseArtifact.provenance });
    const artifactText = `${JSON.stringify(artifact)}\n`;
    fs.writeFileSync(path.join(tmp, base.manifest.transfer.file), artifactText);
    const manifest: ModelManifest = JSON.parse(JSON.stringify(base.manifest)) as ModelManifest;
    manifest.id = opts.id;
    manifest.name = opts.name ?? `${base.manifest.name} + lab compounds (${opts.id})`;
    manifest.description = `${base.manifest.description} Extended with a lab's ${lab.length} measured compounds (${path.basename(opts.measurements)}) as transfer drugs.`;
    manifest.transfer = { ...base.manifest.transfer, sha256: sha(artifactText) };
    if (manifest.applicabilityDomain) {
      const tdPath = path.join(base.dir, manifest.applicabilityDomain.file);
      const td = JSON.parse(fs.readFileSync(tdPath, 'utf8')) as TrainDrugsFile;
      td.drugs.push(...lab.map((c) => ({ name: `lab:${c.id}`, names: [c.id], gdscIds: [], smiles: '', fp: Buffer.from(c.fp).toString('hex') })));
      const tdText = JSON.stringify(td);
      fs.writeFileSync(path.join(tmp, manifest.applicabilityDomain.file), tdText);
      manifest.applicabilityDomain = { ...manifest.applicabilityDomain, sha256: sha(tdText) };
    }
    manifest.card = 'MODEL_CARD.md';
    manifest.training = { ...(base.manifest.training ?? {}), lab: { base: base.manifest.id, baseSha256: base.sha256, measurements: { name: path.basename(opts.measurements), sha256: measurementsSha }, compounds: lab.length, lines: measuredLines, pairs: result.pairs, cv: { folds, ...cv }, strata: APP_VERSION, date: new Date().toISOString() } };
    manifestSchema.parse(manifest);
    fs.writeFileSync(path.join(tmp, 'model.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    fs.writeFileSync(path.join(tmp, 'MODEL_CARD.md'), labCard(result, base.manifest, measurementsSha, opts));
    if (fs.existsSync(dir)) fs.rmSync(dir, { recursive: true, force: true });
    fs.chmodSync(tmp, 0o755);
    fs.renameSync(tmp, dir);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return result;
}
