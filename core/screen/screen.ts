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
import { popcount } from '../chem/similarity.js';
import { FP_BYTES } from '../chem/types.js';
import type { JobContext } from '../jobs.js';
import { logProvenance } from '../library/provenance.js';
import type { QueryContext } from '../library/query.js';
import { iterateIds } from '../library/query.js';
import { compoundMatrix, genotypeMatrix, predictMatrix } from '../predict/infer.js';
import type { CompoundRecord } from '../predict/infer.js';
import type { LoadedModel } from '../predict/registry.js';
import { trainDrugs } from '../predict/infer.js';
import { aggregateManyFast, concatAggregates, resolveWeights, scoreSubgroup } from '../rank/index.js';
import type { CompoundProfile, SubgroupAggregate } from '../rank/index.js';
import type { GenotypePanel } from '../subgroups/index.js';
import { resolveSubgroup } from '../subgroups/index.js';
import type { GenotypeCatalogue } from '../api/contract.js';
import { DESCRIPTOR_COLUMNS_V1 } from '../store/migrations/001-initial.js';

/** Compounds per ONNX run: chunk × 889 cell lines × 4 bytes ≈ 15 MB of predictions. */
const CHUNK = 4096;
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

interface LibraryChunk {
  ids: number[];
  names: (string | null)[];
  smiles: string[];
  fps: Uint8Array;
  records: CompoundRecord[];
  qed: (number | null)[];
  ruleFailures: (number | null)[];
}

function loadChunk(ctx: QueryContext, ids: number[]): LibraryChunk {
  const ph = ids.map(() => '?').join(',');
  const cols = DESCRIPTOR_COLUMNS_V1.map((c) => `d."${c}"`).join(', ');
  const rows = ctx.db.prepare(`SELECT c.id, c.name, c.smiles, f.morgan, d.lipinski_pass, d.veber_pass, ${cols}
    FROM compounds c JOIN descriptors d ON d.compound_id = c.id JOIN fingerprints f ON f.compound_id = c.id WHERE c.id IN (${ph})`).all(...ids) as Record<string, unknown>[];
  const byId = new Map(rows.map((r) => [r.id as number, r]));
  const out: LibraryChunk = { ids: [], names: [], smiles: [], fps: new Uint8Array(ids.length * FP_BYTES), records: [], qed: [], ruleFailures: [] };
  for (const id of ids) {
    const r = byId.get(id);
    if (!r) continue;
    const k = out.ids.length;
    out.ids.push(id);
    out.names.push((r.name as string | null) ?? null);
    out.smiles.push(r.smiles as string);
    const fp = r.morgan as Buffer;
    out.fps.set(fp, k * FP_BYTES);
    const descriptors: Record<string, number | null> = {};
    for (const c of DESCRIPTOR_COLUMNS_V1) descriptors[c] = r[c] as number | null;
    out.records.push({ fingerprint: out.fps.subarray(k * FP_BYTES, (k + 1) * FP_BYTES), descriptors });
    out.qed.push((r.QED as number | null) ?? null);
    const fails = (r.lipinski_pass === 0 ? 1 : 0) + (r.veber_pass === 0 ? 1 : 0);
    out.ruleFailures.push(r.lipinski_pass == null && r.veber_pass == null ? null : fails);
  }
  out.fps = out.fps.subarray(0, out.ids.length * FP_BYTES);
  return out;
}

/**
 * Highest Tanimoto of each compound to any training drug. Training drugs are sparse (tens of bits
 * of 2048), so the intersection is counted over each drug's set bits, and each compound's popcount
 * is taken once: far cheaper than one dense pass per drug.
 */
export function domainScores(model: LoadedModel, fps: Uint8Array, n: number): Float32Array {
  const drugs = trainDrugs(model).drugs.map((d) => {
    const fp = Buffer.from(d.fp, 'hex');
    const bits: number[] = [];
    for (let b = 0; b < fp.length * 8; b++) if ((fp[b >> 3] >> (b & 7)) & 1) bits.push(b);
    return Int32Array.from(bits);
  });
  const best = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * FP_BYTES;
    const pc = popcount(fps.subarray(o, o + FP_BYTES));
    let top = 0;
    for (const bits of drugs) {
      let both = 0;
      for (let k = 0; k < bits.length; k++) {
        const b = bits[k];
        both += (fps[o + (b >> 3)] >> (b & 7)) & 1;
      }
      const union = pc + bits.length - both;
      const t = union ? both / union : 0;
      if (t > top) top = t;
    }
    best[i] = top;
  }
  return best;
}

export interface ScreenOutput {
  result: ScreenResult;
  /** Every ranked row per subgroup label (rank order), for files written by the CLI. */
  rows: Map<string, RankedRow[]>;
}

export async function runScreen(ctx: ScreenContext, req: ScreenRequest, job: JobContext): Promise<ScreenOutput> {
  const t0 = performance.now();
  const { model, panel } = ctx;
  const db = ctx.query.db;
  const groups = resolveGroups(ctx, req.subgroups);
  const weights: DesirabilityWeights = resolveWeights(req.weights);
  const geno = genotypeMatrix(model.manifest, panel);
  const nSamples = panel.samples.length;
  const threshold = model.manifest.applicabilityDomain?.threshold ?? 0.3;

  const ids: number[] = [];
  for await (const id of iterateIds(ctx.query, { ...(req.query ?? {}), includeDuplicates: false })) ids.push(id);
  if (ids.length === 0) throw new ApiError('INVALID_INPUT', 'no compounds to screen: import a library first (or relax the query)');

  const timings: Record<string, number> = { load: 0, features: 0, onnx: 0, aggregate: 0, domain: 0, 'rank+store': 0 };
  let tick = performance.now();
  const lap = (stage: string) => {
    const now = performance.now();
    timings[stage] += now - tick;
    tick = now;
  };
  const parts: SubgroupAggregate[][] = groups.map(() => []);
  const profiles: CompoundProfile[] = [];
  for (let from = 0; from < ids.length; from += CHUNK) {
    if (job.signal.aborted) throw new ApiError('CANCELLED', 'screen cancelled');
    tick = performance.now();
    const chunk = loadChunk(ctx.query, ids.slice(from, from + CHUNK));
    lap('load');
    const n = chunk.ids.length;
    const x = compoundMatrix(model.manifest, chunk.records, (i) => `compound ${chunk.ids[i]}`);
    lap('features');
    const preds = await predictMatrix(model, x, n, geno.matrix, nSamples, { signal: job.signal });
    lap('onnx');
    const matrix = { nCompounds: n, nSamples, values: preds.mean, low: preds.low, high: preds.high };
    aggregateManyFast(matrix, groups.map((g) => g.membership)).forEach((a, gi) => parts[gi].push(a));
    lap('aggregate');
    const dom = domainScores(model, chunk.fps, n);
    lap('domain');
    for (let i = 0; i < n; i++) {
      profiles.push({
        compoundId: chunk.ids[i], name: chunk.names[i], smiles: chunk.smiles[i], qed: chunk.qed[i],
        // Structural alerts are not matched here yet: the alert term is left out of desirability
        // (its weight is redistributed) rather than pretending a compound is clean.
        alerts: null, ruleFailures: chunk.ruleFailures[i], domainScore: dom[i], inDomain: dom[i] >= threshold,
      });
    }
    job.progress('screen', Math.min(ids.length, from + n), ids.length);
  }

  tick = performance.now();
  const rows = new Map<string, RankedRow[]>();
  const at = new Date().toISOString();
  const runId = Number(db.prepare(`INSERT INTO screen_runs(at, model_id, model_sha256, weights, query, subgroups, compounds, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'running')`)
    .run(at, model.manifest.id, model.sha256, JSON.stringify(weights), JSON.stringify(req.query ?? {}), JSON.stringify(groups.map((g) => ({ label: g.label, rule: g.rule, members: g.preview.members }))), profiles.length).lastInsertRowid);
  const ins = db.prepare(`INSERT INTO screen_results(run_id, subgroup, compound_id, ln_ic50, ln_ic50_low, ln_ic50_high, spread, members, selectivity, domain_score, in_domain, alerts, desirability, rank)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  groups.forEach((g, gi) => {
    const agg = concatAggregates(parts[gi]);
    const ranked = scoreSubgroup({ subgroup: g.label, compounds: profiles, aggregate: agg, weights });
    rows.set(g.label, ranked);
    db.transaction(() => {
      for (const r of ranked.slice(0, STORED_PER_SUBGROUP)) {
        ins.run(runId, g.label, r.compoundId, r.lnIc50, r.lnIc50Low, r.lnIc50High, nan(r.spread), r.members, nanNull(r.selectivity), r.domainScore, r.inDomain ? 1 : 0, r.alerts.join(';'), r.desirability, r.rank);
      }
    })();
  });
  lap('rank+store');
  const seconds = (performance.now() - t0) / 1000;
  db.prepare("UPDATE screen_runs SET status = 'complete', seconds = ? WHERE id = ?").run(seconds, runId);
  const result: ScreenResult = {
    runId, modelId: model.manifest.id, modelSha256: model.sha256, weights, subgroups: groups.map((g) => ({ ...g.preview, rule: g.label })), compounds: profiles.length, seconds, timings,
  };
  logProvenance(db, 'screen.run', { ...req, weights }, { runId, compounds: profiles.length, modelSha256: model.sha256, seconds });
  return { result, rows };
}

function nan(v: number): number {
  return Number.isFinite(v) ? v : 0;
}
function nanNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
