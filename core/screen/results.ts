/** Reading stored screening runs: ranked pages, the compound × subgroup heatmap. */
import { pResponseOfInterval } from '../predict/probability.js';
import type { EvidenceTier, Page, RankedRow, SortDir } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import { compoundRankedRows, heatmapRows, rankedCount, rankedRows, RANKED_SORT_SQL, runRow } from '../store/screen.js';
import type { RunRow } from '../store/screen.js';
import type { Store } from '../store/store.js';

export type { RunRow };
const LN10 = Math.log(10);

export function getRun(store: Store, runId: number): RunRow {
  const run = runRow(store, runId);
  if (!run) throw new ApiError('NOT_FOUND', `no screening run ${runId}`);
  return run;
}

export function runSubgroups(run: RunRow): { label: string; rule: string; members: number }[] {
  return JSON.parse(run.subgroups) as { label: string; rule: string; members: number }[];
}

/** The stored probability; runs from before migration 009 have none: the interval read as a normal at 1 µM, as then. */
export function storedPResponse(r: Record<string, unknown>): number | null {
  if (typeof r.p_response === 'number') return r.p_response;
  return pResponseOfInterval(r.ln_ic50 as number, r.ln_ic50_low as number, r.ln_ic50_high as number);
}

function toRow(r: Record<string, unknown>, subgroup: string): RankedRow {
  const ln = r.ln_ic50 as number;
  return {
    compoundId: r.compound_id as number, name: (r.name as string | null) ?? null, displayName: (r.display_name as string | null) ?? null, smiles: r.smiles as string, subgroup,
    lnIc50: ln, pIc50: 6 - ln / LN10, lnIc50Low: r.ln_ic50_low as number, lnIc50High: r.ln_ic50_high as number, spread: r.spread as number,
    members: r.members as number, selectivity: (r.selectivity as number | null) ?? NaN,
    selectivityLow: (r.selectivity_low as number | null | undefined) ?? null, selectivityHigh: (r.selectivity_high as number | null | undefined) ?? null,
    evidence: (r.evidence as EvidenceTier | null | undefined) ?? 'structure', pResponse: storedPResponse(r), measured: (r.measured_lines as number | null | undefined) ?? 0, domainScore: r.domain_score as number,
    inDomain: r.in_domain === 1, qed: (r.QED as number | null) ?? null, alerts: (r.alerts as string) ? (r.alerts as string).split(';') : [],
    desirability: r.desirability as number, rank: r.rank as number,
  };
}

export function screenResults(store: Store, req: { runId: number; subgroup: string; offset: number; limit: number; sort?: { column: string; dir: SortDir } }): Page<RankedRow> {
  const t0 = performance.now();
  const run = getRun(store, req.runId);
  const groups = runSubgroups(run);
  if (!groups.some((g) => g.label === req.subgroup)) throw new ApiError('NOT_FOUND', `run ${req.runId} has no subgroup '${req.subgroup}' (it has: ${groups.map((g) => g.label).join(', ')})`);
  let order = 'r.rank ASC';
  if (req.sort) {
    // A Map: a column named `constructor` is unknown, not Object's constructor.
    const col = RANKED_SORT_SQL.get(req.sort.column);
    if (!col) throw new ApiError('INVALID_INPUT', `cannot sort ranked rows by '${req.sort.column}' (one of ${[...RANKED_SORT_SQL.keys()].join(', ')})`);
    // pIC50 is a decreasing function of ln IC50.
    const dir = req.sort.column === 'pIc50' ? (req.sort.dir === 'asc' ? 'DESC' : 'ASC') : req.sort.dir.toUpperCase();
    order = `${col} ${dir}, r.rank ASC`;
  }
  const rows = rankedRows(store, req.runId, req.subgroup, order, req.limit, req.offset);
  const total = rankedCount(store, req.runId, req.subgroup);
  return { rows: rows.map((r) => toRow(r, req.subgroup)), total, offset: req.offset, elapsedMs: performance.now() - t0 };
}

/** The best `limit` compounds by mean rank across subgroups, with one metric per subgroup. */
export function screenHeatmap(store: Store, req: { runId: number; limit: number; metric: 'lnIc50' | 'selectivity' | 'desirability' }) {
  const run = getRun(store, req.runId);
  const groups = runSubgroups(run).map((g) => g.label);
  const top = heatmapRows(store, req.runId, req.limit, req.metric);
  const values = top.map((t) => {
    const m = new Map(t.values.map((r) => [r.subgroup, r.v]));
    return groups.map((g) => m.get(g) ?? null);
  });
  return { compounds: top.map((t) => ({ id: t.id, name: t.name, displayName: t.displayName })), subgroups: groups, values };
}

/** One compound's stored rows across the subgroups of a run (subgroup order of the run). */
export function screenCompound(store: Store, req: { runId: number; compoundId: number }): RankedRow[] {
  const run = getRun(store, req.runId);
  const order = runSubgroups(run).map((g) => g.label);
  const rows = compoundRankedRows(store, req.runId, req.compoundId);
  return rows.map((r) => toRow(r, r.subgroup as string)).sort((a, b) => order.indexOf(a.subgroup) - order.indexOf(b.subgroup));
}
