/**
 * Screening: predict every library compound against every reference cell line with an ONNX model,
 * aggregate per subgroup (mean, spread, interval, selectivity vs the complement), score the
 * applicability domain, rank by desirability, and store the ranked rows with the run's provenance.
 *
 * Work is chunked over compounds so memory stays bounded (chunk × cell lines floats), and the
 * compound features are built once per chunk and shared by every subgroup.
 */
import type { DesirabilityWeights, RankedRow, ScreenRequest, ScreenResult, SubgroupPreview } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import { maxTanimoto, tanimotoIndex } from '../chem/similarity.js';
import type { TanimotoIndex } from '../chem/similarity.js';
import { FP_BYTES } from '../chem/types.js';
import type { JobContext } from '../jobs.js';
import { alertsOf } from '../library/alerts.js';
import type { QueryContext } from '../library/query.js';
import { alertsComputed, iterateIds } from '../library/query.js';
import { compoundMatrix, genotypeMatrix, trainDrugs } from '../predict/infer.js';
import type { CompoundRecord } from '../predict/infer.js';
import type { LoadedModel } from '../predict/registry.js';
import { applyDeclaredMechanism, declaredMechanism } from '../predict/declared.js';
import type { DeclaredMechanism } from '../predict/declared.js';
import { DEFAULT_THRESHOLD_UM, modelResponse, type ResponseModel } from '../predict/probability.js';
import { applyTierBounds } from './transfer.js';
import { aggregateManyFast, concatAggregates, prepareCompounds, rankSubgroup, resolveWeights } from '../rank/index.js';
import type { CompoundProfile, RankedSubgroup, SubgroupAggregate } from '../rank/index.js';
import type { GenotypePanel } from '../subgroups/index.js';
import { resolveSubgroup } from '../subgroups/index.js';
import type { GenotypeCatalogue } from '../api/contract.js';
import { DESCRIPTOR_COLUMNS } from '../store/schema.js';
import { completeRun, endRun, screenChunkRows, startRun } from '../store/screen.js';
import { inlinePredictor, workerPredictor } from './predictor.js';
import { allMeasurements } from '../store/measurements.js';
import { applyCalibratedBounds, calibrateChunk, projectMeasured } from '../measure/calibrated.js';
import type { ChunkResult } from './predictor.js';

/**
 * chunk: compounds per chunk and ONNX run (4,096 × 889 cell lines × 4 bytes ≈ 15 MB of predictions).
 * workerFrom: from this many compounds the predictions run in a worker thread, overlapping with the
 * work on the neighbouring chunks (below it, starting the worker costs more than it saves).
 * Tests lower both to run the pipelined path on a small library.
 */
export const screenTuning = { chunk: 4096, workerFrom: 8192 };
/** Ranked rows stored per subgroup (the CLI writes every row to its output file). */
export const STORED_PER_SUBGROUP = 10_000;

export interface ScreenContext {
  query: QueryContext;
  model: LoadedModel;
  panel: GenotypePanel;
  catalogue: GenotypeCatalogue;
  /** Saved subgroups by name. */
  saved: Map<string, string>;
}

export interface ResolvedGroup {
  label: string;
  rule: string;
  membership: Uint8Array;
  preview: SubgroupPreview;
}

export function resolveGroups(ctx: Pick<ScreenContext, 'panel' | 'catalogue' | 'saved'>, entries: string[]): ResolvedGroup[] {
  return entries.map((entry) => {
    const rule = ctx.saved.get(entry) ?? entry;
    const r = resolveSubgroup(rule, ctx.catalogue, ctx.panel);
    if (r.preview.members === 0) throw new ApiError('BAD_RULE', `subgroup '${entry}' matches no reference cell line: it cannot be scored`, { rule });
    return { label: ctx.saved.has(entry) ? entry : r.normalised, rule: r.normalised, membership: r.membership, preview: r.preview };
  });
}

export interface LibraryChunk {
  ids: number[];
  names: (string | null)[];
  /** Display names (pref_name, …), null where none. */
  displayNames: (string | null)[];
  smiles: string[];
  fps: Uint8Array;
  records: CompoundRecord[];
  qed: (number | null)[];
  ruleFailures: (number | null)[];
  /** Structural alerts matched (ids), null where not computed. */
  alerts: (string[] | null)[];
  /** Declared mechanism (targets, pathway) as stored in the project; null where none. */
  mechanism: DeclaredMechanism[];
}

/** Descriptor columns a model reads (those the project stores; a missing one is reported by compoundMatrix). */
export function modelDescriptorColumns(model: LoadedModel): string[] {
  const stored = new Set<string>(DESCRIPTOR_COLUMNS);
  const names = model.manifest.compoundFeatures.blocks.flatMap((b) => (b.kind === 'descriptors' ? b.names : []));
  return [...new Set(names)].filter((c) => stored.has(c) && c !== 'QED');
}

/**
 * One query per chunk for only the columns the screen uses, read as arrays (no row objects keyed by column),
 * including each compound's declared mechanism as stored in the project.
 */
export function loadChunk(ctx: Pick<QueryContext, 'store'>, ids: number[], descriptorColumns: readonly string[]): LibraryChunk {
  const rows = screenChunkRows(ctx.store, ids, descriptorColumns);
  const byId = new Map(rows.map((r) => [r[0] as number, r]));
  // Alert names only for the few compounds that have any (most have none).
  const flagged = rows.filter((r) => (r[6] as number | null) != null && (r[6] as number) > 0).map((r) => r[0] as number);
  const names = alertsOf(ctx.store, flagged);
  const out: LibraryChunk = { ids: [], names: [], displayNames: [], smiles: [], fps: new Uint8Array(ids.length * FP_BYTES), records: [], qed: [], ruleFailures: [], alerts: [], mechanism: [] };
  const D = descriptorColumns.length;
  for (const id of ids) {
    const r = byId.get(id);
    if (!r) continue;
    const k = out.ids.length;
    out.ids.push(id);
    out.names.push((r[1] as string | null) ?? null);
    out.displayNames.push((r[10 + D] as string | null) ?? null);
    out.smiles.push(r[2] as string);
    out.fps.set(r[3] as Buffer, k * FP_BYTES);
    const qed = (r[7] as number | null) ?? null;
    const descriptors: Record<string, number | null> = { QED: qed };
    for (let j = 0; j < D; j++) descriptors[descriptorColumns[j]] = r[8 + j] as number | null;
    out.alerts.push(r[6] == null ? null : (names.get(id) ?? []).map((a) => a.id));
    out.records.push({ fingerprint: out.fps.subarray(k * FP_BYTES, (k + 1) * FP_BYTES), descriptors });
    out.qed.push(qed);
    const lipinski = r[4] as number | null, veber = r[5] as number | null;
    out.ruleFailures.push(lipinski == null && veber == null ? null : (lipinski === 0 ? 1 : 0) + (veber === 0 ? 1 : 0));
    out.mechanism.push(declaredMechanism(r[8 + D] as string | null, r[9 + D] as string | null));
  }
  out.fps = out.fps.subarray(0, out.ids.length * FP_BYTES);
  return out;
}

const domainIndexes = new WeakMap<object, TanimotoIndex>();

/** The model's training-drug fingerprints indexed by bit (built once per loaded side file). */
function trainingIndex(model: LoadedModel): TanimotoIndex {
  const file = trainDrugs(model);
  let idx = domainIndexes.get(file);
  if (!idx) {
    idx = tanimotoIndex(file.drugs.map((d) => new Uint8Array(Buffer.from(d.fp, 'hex'))));
    domainIndexes.set(file, idx);
  }
  return idx;
}

/**
 * Highest Tanimoto of each compound to any training drug (maxTanimoto on the drugs indexed by bit:
 * a compound's ~50 set bits meet the drugs sharing each, instead of every drug's every bit).
 */
export function domainScores(model: LoadedModel, fps: Uint8Array, n: number): Float32Array {
  return maxTanimoto(trainingIndex(model), fps, n);
}

export interface ScreenOutput {
  result: ScreenResult;
  /**
   * Every subgroup's ranking by label, for files written by the CLI: `rows(limit)` builds the ranked
   * rows (rank order) on demand, so a screen whose caller needs none (the API) builds only those it
   * stores.
   */
  rankings: Map<string, RankedSubgroup>;
}

/** The response model of a run: the model's calibration and the requested threshold (checked). */
export function runResponse(model: LoadedModel, thresholdUm: number | undefined): ResponseModel {
  if (thresholdUm !== undefined && (typeof thresholdUm !== 'number' || !(thresholdUm > 0) || !Number.isFinite(thresholdUm))) {
    throw new ApiError('INVALID_INPUT', `response threshold ${JSON.stringify(thresholdUm)}: give an IC50 in µM > 0 (default ${DEFAULT_THRESHOLD_UM})`);
  }
  return modelResponse(model, thresholdUm ?? DEFAULT_THRESHOLD_UM);
}

export async function runScreen(ctx: ScreenContext, req: ScreenRequest, job: JobContext): Promise<ScreenOutput> {
  const groups = resolveGroups(ctx, req.subgroups);
  const weights: DesirabilityWeights = resolveWeights(req.weights);
  const response = runResponse(ctx.model, req.responseThresholdUm);
  // The run is recorded as running (owned by this process) before the work starts: a killed screen
  // leaves a row that the next open marks interrupted, instead of no trace.
  const store = ctx.query.store;
  const runId = await startRun(store, {
    modelId: ctx.model.manifest.id, modelSha256: ctx.model.sha256, weights, query: req.query ?? {},
    subgroups: groups.map((g) => ({ label: g.label, rule: g.rule, members: g.preview.members })), responseThresholdUm: response.thresholdUm,
  });
  try {
    return await screenRun(ctx, req, job, { runId, groups, weights, response });
  } catch (err) {
    await endRun(store, runId, job.signal.aborted || (err as ApiError).code === 'CANCELLED' ? 'cancelled' : 'failed').catch(() => undefined);
    throw err;
  }
}

async function screenRun(ctx: ScreenContext, req: ScreenRequest, job: JobContext, run: { runId: number; groups: ResolvedGroup[]; weights: DesirabilityWeights; response: ResponseModel }): Promise<ScreenOutput> {
  const t0 = performance.now();
  const { model, panel } = ctx;
  const store = ctx.query.store;
  const { runId, groups, weights, response } = run;
  const geno = genotypeMatrix(model.manifest, panel);
  const nSamples = panel.samples.length;
  const threshold = model.manifest.applicabilityDomain?.threshold ?? 0.3;
  const descriptorColumns = modelDescriptorColumns(model);
  const masks = groups.map((g) => g.membership);

  // Stages of the screening thread (they add up to the run's time; `wait` is the time it waits for a
  // chunk's predictions), then the ONNX time itself, which overlaps the other stages when the
  // predictions run in a worker thread.
  const timings: Record<string, number> = { ids: 0, alerts: 0, load: 0, features: 0, wait: 0, mechanism: 0, aggregate: 0, domain: 0, rank: 0, store: 0, onnx: 0 };
  let tick = performance.now();
  const lap = (stage: string) => {
    const now = performance.now();
    timings[stage] += now - tick;
    tick = now;
  };
  const ids: number[] = [];
  for await (const id of iterateIds(ctx.query, { ...(req.query ?? {}), includeDuplicates: false })) ids.push(id);
  if (ids.length === 0) throw new ApiError('INVALID_INPUT', 'no compounds to screen: import a library first (or relax the query)');
  lap('ids');
  // Projects imported before alerts were stored: compute them now (once; stored for next time).
  await new Promise<void>((resolve, reject) => {
    const signal = job.signal;
    if (signal?.aborted) return reject(signal.reason);
    signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    alertsComputed(ctx.query, (done, total) => job.progress('alerts', done, total)).then(resolve, reject);
  });
  lap('alerts');

  // Chunk-sized buffers, two pairs (features, predictions) in turn: one pair is being predicted
  // while the other chunk is loaded, featurised, aggregated and scored. Reused, not reallocated:
  // fresh ones cost a page fault per 4 KB, every chunk.
  const chunkSize = Math.min(screenTuning.chunk, ids.length);
  const F = model.manifest.compoundFeatures.length;
  const free: { x: Float32Array; out: Float32Array }[] = [0, 1].map(() => ({ x: new Float32Array(chunkSize * F), out: new Float32Array(chunkSize * nSamples) }));
  const predictorOpts = { genotypes: geno.matrix, nSamples, batchSize: chunkSize, signal: job.signal };
  const predictor = ids.length >= screenTuning.workerFrom ? workerPredictor(model, predictorOpts) : inlinePredictor(model, predictorOpts);
  const parts: SubgroupAggregate[][] = groups.map(() => []);
  const profiles: CompoundProfile[] = [];
  const halfWidth = model.manifest.interval?.halfWidth ?? null;
  // The lab's measurements of the screened structures: their predictions are calibrated by them.
  const screened = new Set(ids);
  const measured = projectMeasured(model, panel, new Map([...allMeasurements(store)].filter(([id]) => screened.has(id))));
  // The chunk whose predictions are under way; finished (aggregated, domain, profiles) once they arrive.
  let inFlight: { chunk: LibraryChunk; upto: number; result: Promise<ChunkResult> } | null = null;
  const finish = async (f: NonNullable<typeof inFlight>) => {
    tick = performance.now();
    const { x, out, ms } = await f.result;
    lap('wait');
    timings.onnx += ms;
    const { chunk } = f;
    const n = chunk.ids.length;
    // The declared mechanism meets the predictions here (core/predict/declared.ts), before they are aggregated.
    const dom = domainScores(model, chunk.fps, n);
    const { evidence, halfWidths } = await applyDeclaredMechanism({ model, n, nSamples, samples: panel.samples, mechanism: chunk.mechanism, fingerprints: chunk.fps, domain: dom, genotypes: geno.matrix, predictions: out.subarray(0, n * nSamples) });
    // Measured compounds: predictions calibrated by their measurements (the same step as `predict --measured`).
    const calibrated = measured ? calibrateChunk(measured, chunk.ids, out, nSamples) : new Map();
    lap('mechanism');
    // The interval's constant half-width is applied inside the aggregation (same float32 bounds,
    // without two more chunk-sized arrays).
    aggregateManyFast({ nCompounds: n, nSamples, values: out.subarray(0, n * nSamples), halfWidth }, masks).forEach((a, gi) => {
      // A model with tier calibration: the subgroup mean and the selectivity get the intervals of each compound's tier.
      if (halfWidths) applyTierBounds(a, halfWidths);
      if (measured) applyCalibratedBounds(measured, a, masks[gi], calibrated);
      parts[gi].push(a);
    });
    free.push({ x, out });
    lap('aggregate');
    for (let i = 0; i < n; i++) {
      profiles.push({
        compoundId: chunk.ids[i], name: chunk.names[i], displayName: chunk.displayNames[i], smiles: chunk.smiles[i], qed: chunk.qed[i],
        // PAINS alerts stored with the compound; where they are not computed (null) the alert term is
        // left out of that compound's desirability (weight redistributed) rather than taken as clean.
        alerts: chunk.alerts[i], ruleFailures: chunk.ruleFailures[i], domainScore: dom[i], inDomain: dom[i] >= threshold, evidence: evidence[i], measured: calibrated.get(i)?.rows.length ?? 0,
      });
    }
    lap('domain');
    job.progress('screen', f.upto, ids.length);
  };
  try {
    for (let from = 0; from < ids.length; from += chunkSize) {
      if (job.signal.aborted) throw new ApiError('CANCELLED', 'screen cancelled');
      tick = performance.now();
      const chunk = loadChunk(ctx.query, ids.slice(from, from + chunkSize), descriptorColumns);
      lap('load');
      const { x, out } = free.shift()!;
      compoundMatrix(model.manifest, chunk.records, (i) => `compound ${chunk.ids[i]}`, x);
      lap('features');
      const next = { chunk, upto: Math.min(ids.length, from + chunkSize), result: predictor.run({ x, n: chunk.ids.length, out }) };
      // Its failure is reported where it is awaited; if an earlier chunk fails first, it is dropped.
      next.result.catch(() => undefined);
      // Finish the previous chunk while this one is predicted.
      if (inFlight) await finish(inFlight);
      inFlight = next;
    }
    if (inFlight) await finish(inFlight);
  } finally {
    await predictor.close();
  }
  if (job.signal.aborted) throw new ApiError('CANCELLED', 'screen cancelled');

  tick = performance.now();
  const rankings = new Map<string, RankedSubgroup>();
  const prepared = prepareCompounds(profiles, weights);
  const top: { label: string; ranking: RankedSubgroup; rows: RankedRow[] }[] = groups.map((g, gi) => {
    const ranking = rankSubgroup({ subgroup: g.label, compounds: profiles, aggregate: concatAggregates(parts[gi]), prepared, response });
    parts[gi] = [];
    rankings.set(g.label, ranking);
    return { label: g.label, ranking, rows: ranking.rows(STORED_PER_SUBGROUP) };
  });
  lap('rank');
  const seconds = (performance.now() - t0) / 1000;
  // Rows, completion and provenance in one transaction (core/store/screen.ts).
  await completeRun(store, runId, top.flatMap((t) => t.rows), {
    compounds: profiles.length, seconds,
    provenance: { params: { ...req, weights, responseThresholdUm: response.thresholdUm, responseCalibration: response.calibration ? `${model.manifest.probability?.file} (${response.calibration.method})` : 'interval read as a normal' }, result: { runId, compounds: profiles.length, modelSha256: model.sha256, seconds } },
  });
  lap('store');
  const result: ScreenResult = {
    runId, modelId: model.manifest.id, modelSha256: model.sha256, weights, subgroups: groups.map((g) => ({ ...g.preview, rule: g.label })), compounds: profiles.length, seconds, timings,
    responseThresholdUm: response.thresholdUm,
  };
  return { result, rankings };
}
