/**
 * Plot data (`plots.columns`, `plots.points`): numeric columns of a library query's whole filtered set as
 * arrays, evenly sampled above a point budget, with a screening run's per-subgroup predictions joined in.
 * Filters and searches are the library query's own (core/library/query.ts builds them; core/store/compounds.ts
 * says them in SQL).
 */
import type { ColumnInfo, PlotPoints, PlotPointsRequest } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import type { ColumnRef } from '../store/compounds.js';
import { compoundColumnRows, compoundIds } from '../store/compounds.js';
import { runRows, subgroupPredictionRows } from '../store/screen.js';
import type { Store } from '../store/store.js';
import { getRun, runSubgroups, storedPResponse } from '../screen/results.js';
import type { RunRow } from '../screen/results.js';
import { STORED_PER_SUBGROUP } from '../screen/screen.js';
import { alertsComputed, buildQuery } from './query.js';
import type { QueryContext } from './query.js';

/** Prediction metrics a plot can use, with their label and unit. */
const METRICS = new Map<string, { label: string; unit?: string; description: string }>([
  ['lnIc50', { label: 'predicted ln IC50', unit: 'ln µM', description: 'mean predicted ln IC50 over the subgroup\'s reference lines; lower is more potent' }],
  ['selectivity', { label: 'selectivity', unit: 'ln', description: 'complement mean − subgroup mean ln IC50; > 0: more potent in the subgroup' }],
  ['pResponse', { label: 'P(response)', description: 'probability that the subgroup mean IC50 is below the run\'s threshold' }],
]);

const PRED = /^pred:([A-Za-z0-9]+):([\s\S]+)$/;

function pickRun(store: Store, runId: number | undefined): RunRow | null {
  if (runId !== undefined) return getRun(store, runId);
  const newest = runRows(store, false, 1)[0];
  return newest ?? null;
}

/** The plottable columns: numeric and true/false library columns, then the prediction columns of a run. */
export function plotColumns(ctx: QueryContext, req: { runId?: number }): { runId: number | null; columns: ColumnInfo[] } {
  const library = ctx.columns().all().filter((c) => c.type === 'number' || c.type === 'boolean');
  const run = pickRun(ctx.store, req.runId);
  if (!run) return { runId: null, columns: library };
  const predictions: ColumnInfo[] = runSubgroups(run).flatMap((g) => [...METRICS].map(([metric, m]) => ({
    key: `pred:${metric}:${g.label}`, label: `${m.label} · ${g.label}`, kind: 'prediction' as const, type: 'number' as const, unit: m.unit,
    description: `${m.description} (run #${run.id}; stored for the top ${STORED_PER_SUBGROUP.toLocaleString('en-US')} compounds per subgroup, none for the others)`,
  })));
  return { runId: run.id, columns: [...library, ...predictions] };
}

/** Positions ⌊i·n/budget⌋ (i = 0 … budget−1) of a set of n, or all of them. */
export function samplePositions(n: number, budget: number): number[] {
  if (n <= budget) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: budget }, (_, i) => Math.floor((i * n) / budget));
}

type Wanted =
  | { kind: 'library'; key: string; ref: ColumnRef; slot: number }
  | { kind: 'prediction'; key: string; metric: string; subgroup: string };

export async function plotPoints(ctx: QueryContext, req: PlotPointsRequest): Promise<PlotPoints> {
  const t0 = performance.now();
  const resolver = ctx.columns();
  const keys = [...new Set(req.columns)];
  const refs: ColumnRef[] = [];
  const wanted: Wanted[] = [];
  let run: RunRow | null = null;
  for (const key of keys) {
    const pred = PRED.exec(key);
    if (pred) {
      if (!METRICS.has(pred[1])) throw new ApiError('INVALID_INPUT', `unknown prediction metric '${pred[1]}' in '${key}' (one of ${[...METRICS.keys()].join(', ')})`);
      run ??= pickRun(ctx.store, req.runId);
      if (!run) throw new ApiError('INVALID_INPUT', `'${key}' needs a screening run, and the project has none: rank first`);
      const groups = runSubgroups(run).map((g) => g.label);
      if (!groups.includes(pred[2])) throw new ApiError('INVALID_INPUT', `run ${run.id} has no subgroup '${pred[2]}' (it has: ${groups.join(', ')})`);
      wanted.push({ kind: 'prediction', key, metric: pred[1], subgroup: pred[2] });
      continue;
    }
    const col = resolver.resolve(key);
    if (col.info.type === 'text') throw new ApiError('INVALID_INPUT', `'${key}' is a text column: only numeric and true/false columns can be plotted`);
    if (key === 'pains_alerts') await alertsComputed(ctx);
    wanted.push({ kind: 'library', key, ref: col.ref, slot: refs.length });
    refs.push(col.ref);
  }

  // The whole filtered set, in id order (a similarity query streams by similarity).
  const b = await buildQuery(ctx, { ...req, sort: undefined });
  let all: Int32Array;
  try {
    const ids: number[] = [];
    for (const id of compoundIds(ctx.store, b.sql)) ids.push(id);
    all = Int32Array.from(ids).sort();
  } finally {
    b.release();
  }
  const sample = samplePositions(all.length, req.budget).map((i) => all[i]);
  // The sampled rows' values: the same kind of rows (with or without duplicates), no filter beyond the ids.
  const rows = compoundColumnRows(ctx.store, { filters: [], includeDuplicates: !!req.includeDuplicates }, refs, sample);
  const byId = new Map(rows.map((r) => [r[0] as number, r]));
  const present = sample.filter((id) => byId.has(id));
  const names = present.map((id) => {
    const r = byId.get(id)!;
    return ((r[3] as string | null) || (r[2] as string | null)) ?? null;
  });
  // Predictions are stored per structure: a duplicate shows its first occurrence's.
  const structureOf = (id: number) => ((byId.get(id)![1] as number | null) ?? id);
  const columns = wanted.map((w) => {
    if (w.kind === 'library') {
      return { key: w.key, values: present.map((id) => {
        const v = byId.get(id)![4 + w.slot];
        return typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'bigint' ? Number(v) : null;
      }) };
    }
    const stored = new Map<number, number | null>();
    for (const [cid, ln, low, high, sel, p] of subgroupPredictionRows(ctx.store, run!.id, w.subgroup)) {
      const v = w.metric === 'lnIc50' ? ln : w.metric === 'selectivity' ? sel : storedPResponse({ p_response: p, ln_ic50: ln, ln_ic50_low: low, ln_ic50_high: high });
      stored.set(cid, v !== null && Number.isFinite(v) ? v : null);
    }
    return { key: w.key, values: present.map((id) => stored.get(structureOf(id)) ?? null) };
  });
  const sampled = present.length;
  const sampling = all.length > req.budget
    ? `evenly sampled: ${sampled.toLocaleString('en-US')} of ${all.length.toLocaleString('en-US')} compounds, every ${(all.length / req.budget).toFixed(2)}th in id order (positions ⌊i·${all.length}/${req.budget}⌋)`
    : `all ${sampled.toLocaleString('en-US')} compounds`;
  return { ids: present, names, columns, total: all.length, sampled, sampling, runId: run?.id ?? null, elapsedMs: performance.now() - t0 };
}
