/**
 * `strata predict`: compounds from any file `import` reads × samples of a genotype panel → one CSV row
 * per pair: `compound_id,sample_id,ln_ic50_pred,ln_ic50_low,ln_ic50_high,domain_score[,measured],p_response` (a
 * stable header scripts depend on: new columns are appended; nothing is stored in a project).
 */
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { ApiError } from '../api/errors.js';
import { DESCRIPTOR_NAMES, FP_BYTES } from '../chem/types.js';
import type { Engine } from '../engine.js';
import { csvField } from '../export/export.js';
import { openLibrary } from '../ingest/index.js';
import type { RawRecord } from '../ingest/index.js';
import { compoundMatrix, genotypeMatrix, predictMatrix } from '../predict/infer.js';
import type { CompoundRecord } from '../predict/infer.js';
import { loadAnyPanel } from '../genotype/index.js';
import { APP_VERSION } from '../version.js';
import { domainScores, runResponse } from './screen.js';
import { pResponseOf, pResponseOfInterval } from '../predict/probability.js';
import { MechanismFields } from '../library/mechanism.js';
import { unknownTargets } from '../mechanism/targets.js';
import { applyDeclaredMechanism, declaredMechanism } from '../predict/declared.js';
import type { LoadedModel } from '../predict/registry.js';
import { calibrateCompound, loadMeasuredSet, type CalibratedRow, type MeasuredSet } from '../measure/apply.js';
import type { DeclaredMechanism } from '../predict/declared.js';

/** The declared mechanism of each record, from its targets/pathway columns (normalised as at import). */
export function mechanismOfRecords(fields: MechanismFields, recs: readonly RawRecord[]): DeclaredMechanism[] {
  return recs.map((r) => {
    const m = fields.read(r.props);
    return declaredMechanism(m.targets, m.pathway);
  });
}

interface BatchForCalibration {
  model: LoadedModel;
  ids: string[];
  /** Compound input rows of the batch. */
  x: Float32Array;
  mechanism: DeclaredMechanism[];
  fps: Uint8Array;
  /** Applicability-domain score per compound of the batch. */
  domain: ArrayLike<number>;
  nS: number;
  prior: Float32Array;
  sampleIds: readonly string[];
}

/** Calibrated predictions of the batch's compounds that have measurements, by index in the batch. */
async function calibrateBatch(set: MeasuredSet, b: BatchForCalibration): Promise<Map<number, CalibratedRow>> {
  const out = new Map<number, CalibratedRow>();
  const F = b.model.manifest.compoundFeatures.length;
  const nRef = set.mm.lines.length;
  for (let i = 0; i < b.ids.length; i++) {
    const measured = set.byCompound.get(b.ids[i]);
    if (!measured) continue;
    // The prior at the measured lines: the same model and mechanism step on the reference lines.
    const ref = await predictMatrix(b.model, b.x.subarray(i * F, (i + 1) * F), 1, set.referenceGenotypes, nRef, { bounds: false });
    await applyDeclaredMechanism({ model: b.model, n: 1, nSamples: nRef, samples: set.mm.lines, mechanism: [b.mechanism[i]], fingerprints: b.fps.subarray(i * FP_BYTES, (i + 1) * FP_BYTES), domain: [b.domain[i]], genotypes: set.referenceGenotypes, predictions: ref.mean });
    out.set(i, calibrateCompound(set, measured, b.prior.subarray(i * b.nS, (i + 1) * b.nS), ref.mean, b.sampleIds));
  }
  return out;
}

export const PREDICT_HEADER = ['compound_id', 'sample_id', 'ln_ic50_pred', 'ln_ic50_low', 'ln_ic50_high', 'domain_score'] as const;
const BATCH = 512;

export interface PredictFileArgs {
  compounds: string;
  panel: string;
  out: string;
  modelId?: string;
  smilesColumn?: string;
  idColumn?: string;
  /** For a VCF/MAF/copy-number panel: sample sheet, genome build of .seg files (see core/genotype/). */
  panelSamples?: string;
  genome?: string;
  vcfSamples?: string[];
  /** Column or SDF field with the declared targets (default: detected as for import). */
  targetsColumn?: string;
  /** Column or SDF field with the declared target pathway (default: detected as for import). */
  pathwayColumn?: string;
  /** A lab's measurements (core/measure/read.ts): compounds with measured lines get calibrated predictions. */
  measured?: string;
  /** Also write the measured pairs (value = the measurement), with a `measured` column (1/0). */
  echoMeasured?: boolean;
  /** Threshold of `p_response` = P(IC50 < threshold), µM (default 1). */
  responseThresholdUm?: number;
}

export async function predictFile(engine: Pick<Engine, 'model' | 'pool'>, args: PredictFileArgs, onProgress?: (stage: string, done: number, total: number | null) => void) {
  const model = await engine.model(args.modelId);
  const response = runResponse(model, args.responseThresholdUm);
  const pool = await engine.pool();
  // A panel CSV is read as it is; VCF, MAF and copy-number files go through `strata panel import`'s conversion.
  const { panel } = await loadAnyPanel([args.panel], { samples: args.panelSamples, genome: args.genome, vcfSamples: args.vcfSamples, featureOrder: model.manifest.genotypeFeatures.features.filter((f) => f.source === 'feature').map((f) => f.name) });
  // Every note names the panel file, once (the panel reader's own notes already do).
  const panelName = path.basename(args.panel);
  const warnings = panel.warnings.map((w) => (w.message.startsWith(`${panelName}:`) ? w.message : `${panelName}: ${w.message}`));
  const geno = genotypeMatrix(model.manifest, panel);
  if (panel.samples.length === 0) throw new ApiError('BAD_FILE', `${args.panel}: the panel has no samples`);
  const reader = await openLibrary(args.compounds, { smilesColumn: args.smilesColumn, idColumn: args.idColumn });
  const named = { targets: args.targetsColumn, pathway: args.pathwayColumn };
  const fields = new MechanismFields(named);
  if (reader.columns) {
    const f = fields.resolve(reader.columns.all);
    for (const [what, name, got] of [['targets', named.targets, f.targets], ['pathway', named.pathway, f.pathway]] as const) {
      if (name && !got) throw new ApiError('BAD_FILE', `${args.compounds}: no column '${name}' for the ${what} (columns: ${reader.columns.all.join(', ')})`);
    }
  }
  const declared = { compounds: 0, unknownTargets: new Map<string, number>() };
  const tmp = `${args.out}.partial`;
  const stream = fs.createWriteStream(tmp);
  const write = async (s: string) => {
    if (!stream.write(s)) await once(stream, 'drain');
  };
  const measuredSet = args.measured ? loadMeasuredSet(model, args.measured) : null;
  if (measuredSet) {
    const mf = measuredSet.file;
    for (const i of mf.issues.slice(0, 20)) warnings.push(`${path.basename(mf.file)} line ${i.line}: ${i.reason}`);
    if (mf.issues.length > 20) warnings.push(`${path.basename(mf.file)}: ${mf.issues.length - 20} more rows not used (strata measure check lists all)`);
    if (measuredSet.notInBasis) warnings.push(`${path.basename(mf.file)}: ${measuredSet.notInBasis} measurements on reference lines the model was not trained on are not used`);
  }
  const calibratedIds = new Set<string>();
  const echo = !!(measuredSet && args.echoMeasured);
  await write(`${[...PREDICT_HEADER, ...(echo ? ['measured'] : []), 'p_response'].join(',')}\n`);
  const pText = (v: number | null) => (v == null || !Number.isFinite(v) ? '' : v.toFixed(4));
  const failures: { record: number; line: number; reason: string }[] = [];
  let compounds = 0;
  let rows = 0;
  let batch: RawRecord[] = [];
  const nS = panel.samples.length;
  const hw = model.manifest.interval?.halfWidth;
  const flush = async () => {
    if (!batch.length) return;
    const out = await pool.process({ texts: batch.map((r) => r.text), molblock: Uint8Array.from(batch.map((r) => (r.format === 'molblock' ? 1 : 0))) });
    const recs: CompoundRecord[] = [];
    const ids: string[] = [];
    const declaredOfBatch = mechanismOfRecords(fields, batch);
    const mechanism: DeclaredMechanism[] = [];
    const fps = new Uint8Array(batch.length * FP_BYTES);
    batch.forEach((r, k) => {
      if (!out.ok[k]) {
        failures.push({ record: r.recordNo, line: r.line, reason: out.error[k] ?? 'not processed' });
        return;
      }
      const descriptors: Record<string, number> = {};
      DESCRIPTOR_NAMES.forEach((name, j) => (descriptors[name] = out.descriptors[k * DESCRIPTOR_NAMES.length + j]));
      const fp = out.fingerprints.slice(k * FP_BYTES, (k + 1) * FP_BYTES);
      fps.set(fp, recs.length * FP_BYTES);
      recs.push({ fingerprint: fp, descriptors });
      ids.push(r.id ?? `record-${r.recordNo}`);
      const m = declaredOfBatch[k];
      mechanism.push(m);
      if (m) {
        declared.compounds++;
        for (const t of unknownTargets(m.targets)) declared.unknownTargets.set(t, (declared.unknownTargets.get(t) ?? 0) + 1);
      }
    });
    batch = [];
    if (!recs.length) return;
    const x = compoundMatrix(model.manifest, recs, (i) => `${args.compounds} compound ${ids[i]}`);
    // Bounds are applied after the mechanism step, which may move the predictions.
    const p = await predictMatrix(model, x, recs.length, geno.matrix, nS, { bounds: false });
    // The declared mechanism meets the predictions here (core/predict/declared.ts), before they are written.
    const dom = domainScores(model, fps, recs.length);
    const { halfWidths, evidence } = await applyDeclaredMechanism({ model, n: recs.length, nSamples: nS, samples: panel.samples, mechanism, fingerprints: fps.subarray(0, recs.length * FP_BYTES), domain: dom, genotypes: geno.matrix, predictions: p.mean });
    const calibrated = measuredSet ? await calibrateBatch(measuredSet, { model, ids, x, mechanism, fps, domain: dom, nS, prior: p.mean, sampleIds: panel.samples }) : new Map<number, CalibratedRow>();
    let text = '';
    let written = 0;
    for (let i = 0; i < recs.length; i++) {
      const c = calibrated.get(i);
      if (c) calibratedIds.add(ids[i]);
      for (let s = 0; s < nS; s++) {
        const k = i * nS + s;
        if (c) {
          // Measured pairs are the lab's data, not predictions: left out unless asked for, then flagged.
          if (c.measured[s] && !echo) continue;
          // A measured pair has no probability (it is the lab's value); a calibrated prediction's is read from its posterior interval.
          const pr = c.measured[s] ? '' : pText(pResponseOfInterval(c.mean[s], c.low[s], c.high[s], response.thresholdLn));
          text += `${csvField(ids[i])},${csvField(panel.samples[s])},${c.mean[s].toFixed(4)},${c.low[s].toFixed(4)},${c.high[s].toFixed(4)},${dom[i].toFixed(4)}${echo ? `,${c.measured[s]}` : ''},${pr}\n`;
          written++;
          continue;
        }
        const v = p.mean[k];
        // The interval of the compound's evidence tier when the model calibrates per tier, else the model's constant one.
        const w = halfWidths ? halfWidths[i].pair : hw;
        const pr = pText(pResponseOf(response, 'pair', evidence[i] ?? 'structure', v, v - (w ?? NaN), v + (w ?? NaN)));
        text += `${csvField(ids[i])},${csvField(panel.samples[s])},${v.toFixed(4)},${w === undefined ? '' : Math.fround(v - w).toFixed(4)},${w === undefined ? '' : Math.fround(v + w).toFixed(4)},${dom[i].toFixed(4)}${echo ? ',0' : ''},${pr}\n`;
        written++;
      }
    }
    await write(text);
    compounds += recs.length;
    rows += written;
    onProgress?.('predict', compounds + failures.length, null);
  };
  try {
    for await (const item of reader.records) {
      if (!item.ok) {
        failures.push({ record: item.bad.recordNo, line: item.bad.line, reason: item.bad.reason });
        continue;
      }
      batch.push(item.rec);
      if (batch.length >= BATCH) await flush();
    }
    await flush();
    stream.end();
    await once(stream, 'finish');
    fs.renameSync(tmp, args.out);
  } catch (err) {
    stream.destroy();
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  const mech = {
    columns: { targets: fields.sawTargets ? (named.targets ?? 'detected') : null, pathway: fields.sawPathway ? (named.pathway ?? 'detected') : null },
    declared: declared.compounds,
    unknownTargets: Object.fromEntries(declared.unknownTargets),
  };
  for (const [t, n] of declared.unknownTargets) warnings.push(`${path.basename(args.compounds)}: target '${t}' (${n} compound${n === 1 ? '' : 's'}) matches no training drug; it carries no genotype information`);
  const measuredInfo = measuredSet
    ? { file: path.resolve(measuredSet.file.file), measurements: measuredSet.file.measurements.length, rowsNotUsed: measuredSet.file.issues.length, compoundsCalibrated: calibratedIds.size, hyper: measuredSet.mm.hyper, echoed: echo }
    : null;
  if (measuredSet) {
    const absent = [...measuredSet.byCompound.keys()].filter((id) => !calibratedIds.has(id));
    if (absent.length) warnings.push(`${path.basename(measuredSet.file.file)}: ${absent.length} compound id${absent.length === 1 ? '' : 's'} with measurements not in ${path.basename(args.compounds)} (${absent.slice(0, 5).join(', ')}${absent.length > 5 ? ', …' : ''})`);
  }
  const provenance = {
    generator: `Strata ${APP_VERSION}`, at: new Date().toISOString(), compounds: path.resolve(args.compounds), panel: path.resolve(args.panel),
    model: { id: model.manifest.id, sha256: model.sha256 }, units: 'ln IC50 in µM', interval: model.manifest.interval ?? null,
    pResponse: { thresholdUm: response.thresholdUm, method: response.calibration ? `${model.manifest.probability?.file} (${response.calibration.method} residuals per evidence tier)` : 'interval read as a normal distribution', measuredPairs: 'empty (a measurement, not a prediction)', calibratedPairs: 'posterior interval read as a normal distribution' }, mechanism: mech, measured: measuredInfo, warnings, failures,
  };
  fs.writeFileSync(`${args.out}.provenance.json`, `${JSON.stringify(provenance, null, 2)}\n`);
  for (const f of failures.slice(0, 20)) process.stderr.write(`${args.compounds} record ${f.record} (line ${f.line}): ${f.reason}\n`);
  return { rows, compounds, samples: nS, failed: failures.length, warnings, mechanism: mech, calibrated: calibratedIds.size };
}
