/** Reading stored screening runs: ranked pages, the compound × subgroup heatmap. */
import type { EvidenceTier, Page, RankedRow, SortDir } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import type { Db } from '../store/db.js';

const SORTABLE: Record<string, string> = {
  rank: 'r.rank', lnIc50: 'r.ln_ic50', pIc50: 'r.ln_ic50', selectivity: 'r.selectivity', desirability: 'r.desirability',
  domainScore: 'r.domain_score', spread: 'r.spread', compoundId: 'r.compound_id', qed: 'd."QED"',
  // The interval's lower bound: ranks by the selectivity the model is confident of (rows without an interval: last when descending).
  selectivityLow: 'r.selectivity_low',
};
const LN10 = Math.log(10);

export interface RunRow {
  id: number;
  at: string;
  model_id: string;
  model_sha256: string;
  weights: string;
  query: string;
  subgroups: string;
  compounds: number;
  status: string;
}

export function getRun(db: Db, runId: number): RunRow {
  const run = db.prepare('SELECT * FROM screen_runs WHERE id = ?').get(runId) as RunRow | undefined;
  if (!run) throw new ApiError('NOT_FOUND', `no screening run ${runId}`);
  return run;
}

export function runSubgroups(run: RunRow): { label: string; rule: string; members: number }[] {
  return JSON.parse(run.subgroups) as { label: string; rule: string; members: number }[];
}

function toRow(r: Record<string, unknown>, subgroup: string): RankedRow {
  const ln = r.ln_ic50 as number;
  return {
    compoundId: r.compound_id as number, name: (r.name as string | null) ?? null, smiles: r.smiles as string, subgroup,
    lnIc50: ln, pIc50: 6 - ln / LN10, lnIc50Low: r.ln_ic50_low as number, lnIc50High: r.ln_ic50_high as number, spread: r.spread as number,
    members: r.members as number, selectivity: (r.selectivity as number | null) ?? NaN,
    selectivityLow: (r.selectivity_low as number | null | undefined) ?? null, selectivityHigh: (r.selectivity_high as number | null | undefined) ?? null,
    evidence: (r.evidence as EvidenceTier | null | undefined) ?? 'structure', domainScore: r.domain_score as number,
    inDomain: r.in_domain === 1, qed: (r.QED as number | null) ?? null, alerts: (r.alerts as string) ? (r.alerts as string).split(';') : [],
    desirability: r.desirability as number, rank: r.rank as number,
  };
}

export function screenResults(db: Db, req: { runId: number; subgroup: string; offset: number; limit: number; sort?: { column: string; dir: SortDir } }): Page<RankedRow> {
  const t0 = performance.now();
  const run = getRun(db, req.runId);
  const groups = runSubgroups(run);
  if (!groups.some((g) => g.label === req.subgroup)) throw new ApiError('NOT_FOUND', `run ${req.runId} has no subgroup '${req.subgroup}' (it has: ${groups.map((g) => g.label).join(', ')})`);
  let order = 'r.rank ASC';
  if (req.sort) {
    const col = SORTABLE[req.sort.column];
    if (!col) throw new ApiError('INVALID_INPUT', `cannot sort ranked rows by '${req.sort.column}' (one of ${Object.keys(SORTABLE).join(', ')})`);
    // pIC50 is a decreasing function of ln IC50.
    const dir = req.sort.column === 'pIc50' ? (req.sort.dir === 'asc' ? 'DESC' : 'ASC') : req.sort.dir.toUpperCase();
    order = `${col} ${dir}, r.rank ASC`;
  }
  const rows = db.prepare(`SELECT r.*, c.name, c.smiles, d."QED" FROM screen_results r JOIN compounds c ON c.id = r.compound_id LEFT JOIN descriptors d ON d.compound_id = r.compound_id
    WHERE r.run_id = ? AND r.subgroup = ? ORDER BY ${order} LIMIT ? OFFSET ?`).all(req.runId, req.subgroup, req.limit, req.offset) as Record<string, unknown>[];
  const total = (db.prepare('SELECT count(*) AS n FROM screen_results WHERE run_id = ? AND subgroup = ?').get(req.runId, req.subgroup) as { n: number }).n;
  return { rows: rows.map((r) => toRow(r, req.subgroup)), total, offset: req.offset, elapsedMs: performance.now() - t0 };
}

/** The best `limit` compounds by mean rank across subgroups, with one metric per subgroup. */
export function screenHeatmap(db: Db, req: { runId: number; limit: number; metric: 'lnIc50' | 'selectivity' | 'desirability' }) {
  const run = getRun(db, req.runId);
  const groups = runSubgroups(run).map((g) => g.label);
  const col = { lnIc50: 'ln_ic50', selectivity: 'selectivity', desirability: 'desirability' }[req.metric];
  const top = db.prepare(`SELECT r.compound_id AS id, c.name, avg(r.rank) AS mr FROM screen_results r JOIN compounds c ON c.id = r.compound_id
    WHERE r.run_id = ? GROUP BY r.compound_id ORDER BY mr ASC, r.compound_id ASC LIMIT ?`).all(req.runId, req.limit) as { id: number; name: string | null }[];
  const get = db.prepare(`SELECT subgroup, ${col} AS v FROM screen_results WHERE run_id = ? AND compound_id = ?`);
  const values = top.map((t) => {
    const m = new Map((get.all(req.runId, t.id) as { subgroup: string; v: number | null }[]).map((r) => [r.subgroup, r.v]));
    return groups.map((g) => m.get(g) ?? null);
  });
  return { compounds: top.map((t) => ({ id: t.id, name: t.name })), subgroups: groups, values };
}

/** One compound's stored rows across the subgroups of a run (subgroup order of the run). */
export function screenCompound(db: Db, req: { runId: number; compoundId: number }): RankedRow[] {
  const run = getRun(db, req.runId);
  const order = runSubgroups(run).map((g) => g.label);
  const rows = db.prepare(`SELECT r.*, c.name, c.smiles, d."QED" FROM screen_results r JOIN compounds c ON c.id = r.compound_id LEFT JOIN descriptors d ON d.compound_id = r.compound_id
    WHERE r.run_id = ? AND r.compound_id = ?`).all(req.runId, req.compoundId) as Record<string, unknown>[];
  return rows.map((r) => toRow(r, r.subgroup as string)).sort((a, b) => order.indexOf(a.subgroup) - order.indexOf(b.subgroup));
}
