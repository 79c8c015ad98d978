/** Screening runs in SQL: the run row (owned by the process running it), ranked rows, their pages and the heatmap. */
import type { RankedRow } from '../api/contract.js';
import { insertProvenance } from './project.js';
import { thisOwner } from './runs.js';
import type { Store } from './store.js';

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
  /** µM; null for runs from before migration 009 (1 µM). */
  response_threshold_um: number | null;
}

export function runRow(store: Store, runId: number): RunRow | undefined {
  return store.reader.prepare('SELECT * FROM screen_runs WHERE id = ?').get(runId) as RunRow | undefined;
}

/** Ranked rows of one subgroup, joined with name, SMILES and QED. `orderBy` is one of the caller's fixed column expressions. */
export function rankedRows(store: Store, runId: number, subgroup: string, orderBy: string, limit: number, offset: number): Record<string, unknown>[] {
  return store.reader.prepare(`SELECT r.*, c.name, c.display_name, c.smiles, d."QED" FROM screen_results r JOIN compounds c ON c.id = r.compound_id LEFT JOIN descriptors d ON d.compound_id = r.compound_id
    WHERE r.run_id = ? AND r.subgroup = ? ORDER BY ${orderBy} LIMIT ? OFFSET ?`).all(runId, subgroup, limit, offset) as Record<string, unknown>[];
}

export function rankedCount(store: Store, runId: number, subgroup: string): number {
  return (store.reader.prepare('SELECT count(*) AS n FROM screen_results WHERE run_id = ? AND subgroup = ?').get(runId, subgroup) as { n: number }).n;
}

/** Columns a ranked page can be sorted by, as SQL. */
export const RANKED_SORT_SQL: ReadonlyMap<string, string> = new Map([
  ['rank', 'r.rank'], ['lnIc50', 'r.ln_ic50'], ['pIc50', 'r.ln_ic50'], ['selectivity', 'r.selectivity'], ['desirability', 'r.desirability'],
  ['domainScore', 'r.domain_score'], ['spread', 'r.spread'], ['compoundId', 'r.compound_id'], ['qed', 'd."QED"'],
  // The interval's lower bound: ranks by the selectivity the model is confident of (rows without an interval: last when descending).
  ['selectivityLow', 'r.selectivity_low'],
  // The stored probability; runs from before migration 009 have none, and their P(IC50 < 1 µM) (the interval read as
  // a normal) is monotone in (0 − mean) / half-width: the same order without computing the normal CDF.
  ['pResponse', 'coalesce(r.p_response, (0 - r.ln_ic50) / NULLIF(r.ln_ic50_high - r.ln_ic50_low, 0))'],
]);

const METRIC_SQL = { lnIc50: 'ln_ic50', selectivity: 'selectivity', desirability: 'desirability' } as const;

/** The best `limit` compounds by mean rank across subgroups, and one metric per subgroup for each. */
export function heatmapRows(store: Store, runId: number, limit: number, metric: keyof typeof METRIC_SQL) {
  const top = store.reader.prepare(`SELECT r.compound_id AS id, c.name, c.display_name, avg(r.rank) AS mr FROM screen_results r JOIN compounds c ON c.id = r.compound_id
    WHERE r.run_id = ? GROUP BY r.compound_id ORDER BY mr ASC, r.compound_id ASC LIMIT ?`).all(runId, limit) as { id: number; name: string | null; display_name: string | null }[];
  const get = store.reader.prepare(`SELECT subgroup, ${METRIC_SQL[metric]} AS v FROM screen_results WHERE run_id = ? AND compound_id = ?`);
  return top.map((t) => ({ id: t.id, name: t.name, displayName: t.display_name, values: get.all(runId, t.id) as { subgroup: string; v: number | null }[] }));
}

export function compoundRankedRows(store: Store, runId: number, compoundId: number): Record<string, unknown>[] {
  return store.reader.prepare(`SELECT r.*, c.name, c.display_name, c.smiles, d."QED" FROM screen_results r JOIN compounds c ON c.id = r.compound_id LEFT JOIN descriptors d ON d.compound_id = r.compound_id
    WHERE r.run_id = ? AND r.compound_id = ?`).all(runId, compoundId) as Record<string, unknown>[];
}

/** Records a run as started by this process: a kill leaves it `running`, and the next open marks it interrupted. */
export function startRun(store: Store, r: { modelId: string; modelSha256: string; weights: unknown; query: unknown; subgroups: unknown; responseThresholdUm: number }): Promise<number> {
  return store.write((db) => Number(db.prepare(`INSERT INTO screen_runs(at, model_id, model_sha256, weights, query, subgroups, compounds, status, owner, response_threshold_um) VALUES (?, ?, ?, ?, ?, ?, 0, 'running', ?, ?)`)
    .run(new Date().toISOString(), r.modelId, r.modelSha256, JSON.stringify(r.weights), JSON.stringify(r.query), JSON.stringify(r.subgroups), thisOwner(), r.responseThresholdUm).lastInsertRowid));
}

export function endRun(store: Store, runId: number, status: 'cancelled' | 'failed'): Promise<void> {
  return store.write((db) => {
    db.prepare('UPDATE screen_runs SET status = ?, owner = NULL WHERE id = ?').run(status, runId);
  });
}

/** Rows per INSERT statement when storing results (18 values each: well under SQLite's 32,766 parameters). */
const INSERT_ROWS = 64;

function nan(v: number): number {
  return Number.isFinite(v) ? v : 0;
}
function nanNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/**
 * The run's ranked rows, its completion and its provenance, in one transaction (several rows per
 * statement): a run is either complete with all its rows or not complete.
 */
export function completeRun(store: Store, runId: number, rows: readonly RankedRow[], done: { compounds: number; seconds: number; provenance: { params: unknown; result: unknown } }): Promise<void> {
  return store.write((db) => {
    const sql = (k: number) => `INSERT INTO screen_results(run_id, subgroup, compound_id, ln_ic50, ln_ic50_low, ln_ic50_high, spread, members, selectivity, domain_score, in_domain, alerts, desirability, rank, selectivity_low, selectivity_high, evidence, measured_lines, p_response)
      VALUES ${Array.from({ length: k }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`;
    const many = db.prepare(sql(INSERT_ROWS));
    const one = db.prepare(sql(1));
    const values: unknown[] = [];
    const add = (r: RankedRow) => {
      values.push(runId, r.subgroup, r.compoundId, r.lnIc50, r.lnIc50Low, r.lnIc50High, nan(r.spread), r.members, nanNull(r.selectivity), r.domainScore, r.inDomain ? 1 : 0, r.alerts.join(';'), r.desirability, r.rank,
        r.selectivityLow == null ? null : nanNull(r.selectivityLow), r.selectivityHigh == null ? null : nanNull(r.selectivityHigh), r.evidence ?? null, r.measured ?? 0,
        r.pResponse == null ? null : nanNull(r.pResponse));
    };
    let i = 0;
    for (; i + INSERT_ROWS <= rows.length; i += INSERT_ROWS) {
      values.length = 0;
      for (let k = i; k < i + INSERT_ROWS; k++) add(rows[k]);
      many.run(values);
    }
    for (; i < rows.length; i++) {
      values.length = 0;
      add(rows[i]);
      one.run(values);
    }
    db.prepare("UPDATE screen_runs SET status = 'complete', compounds = ?, seconds = ?, owner = NULL WHERE id = ?").run(done.compounds, done.seconds, runId);
    insertProvenance(db, 'screen.run', done.provenance.params, done.provenance.result);
  });
}

/** A run's subgroups (JSON as stored), or undefined. */
export function runSubgroupsJson(store: Store, runId: number): string | undefined {
  return store.reader.prepare('SELECT subgroups FROM screen_runs WHERE id = ?').pluck().get(runId) as string | undefined;
}

export function runModelId(store: Store, runId: number): string | undefined {
  return store.reader.prepare('SELECT model_id FROM screen_runs WHERE id = ?').pluck().get(runId) as string | undefined;
}

/** Id, SMILES, Morgan fingerprint and the given descriptor columns of one compound (its first occurrence's for a duplicate). */
export function compoundFeatures(store: Store, compoundId: number, columns: readonly string[]): Record<string, unknown> | undefined {
  return store.reader.prepare(`SELECT c.id, c.smiles, f.morgan, ${columns.map((c) => `d."${c}"`).join(', ')}
    FROM compounds c JOIN fingerprints f ON f.compound_id = coalesce(c.duplicate_of, c.id) JOIN descriptors d ON d.compound_id = coalesce(c.duplicate_of, c.id) WHERE c.id = ?`).get(compoundId) as Record<string, unknown> | undefined;
}

/**
 * Screening input of some unique compounds as arrays: id, name, SMILES, Morgan, lipinski_pass,
 * veber_pass, pains_alerts, QED, then the given descriptor columns, then targets, target_pathway and display_name.
 */
export function screenChunkRows(store: Store, ids: readonly number[], columns: readonly string[]): unknown[][] {
  const ph = ids.map(() => '?').join(',');
  const cols = columns.map((c) => `, d."${c}"`).join('');
  return store.reader.prepare(`SELECT c.id, c.name, c.smiles, f.morgan, d.lipinski_pass, d.veber_pass, d.pains_alerts, d."QED"${cols}, c.targets, c.target_pathway, c.display_name
    FROM compounds c JOIN descriptors d ON d.compound_id = c.id JOIN fingerprints f ON f.compound_id = c.id WHERE c.id IN (${ph})`).raw().all(...ids) as unknown[][];
}

/** Stored runs, newest first: complete ones, or every run with `all`. */
export function runRows(store: Store, all: boolean, limit: number): (RunRow & { seconds: number | null })[] {
  return store.reader.prepare(`SELECT * FROM screen_runs ${all ? '' : "WHERE status = 'complete'"} ORDER BY id DESC LIMIT ?`).all(limit) as (RunRow & { seconds: number | null })[];
}

/** Every stored row of one subgroup of a run as `[compound_id, ln_ic50, ln_ic50_low, ln_ic50_high, selectivity, p_response]` (at most the run's stored rows per subgroup). */
export function subgroupPredictionRows(store: Store, runId: number, subgroup: string): [number, number, number, number, number | null, number | null][] {
  return store.reader.prepare('SELECT compound_id, ln_ic50, ln_ic50_low, ln_ic50_high, selectivity, p_response FROM screen_results WHERE run_id = ? AND subgroup = ?')
    .raw().all(runId, subgroup) as [number, number, number, number, number | null, number | null][];
}
