/**
 * Ranking compounds within a subgroup: by potency (higher pIC50 first), selectivity (larger first)
 * or desirability (larger first). Unknown values (NaN) sort last; ties — equal keys — are broken by
 * compound id ascending, so the same inputs always give the same order and ranks 1..n.
 */
import type { DesirabilityWeights, RankedRow } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import type { SubgroupAggregate } from './aggregate.js';
import { DEFAULT_ANCHORS, desirability, resolveWeights } from './desirability.js';
import type { DesirabilityAnchors } from './desirability.js';
import { lnIc50ToPIc50 } from './units.js';

export type RankBy = 'potency' | 'selectivity' | 'desirability';
export const RANK_BY: readonly RankBy[] = ['potency', 'selectivity', 'desirability'];

/**
 * Indices of `keys` best first. `better`: which direction wins. NaN keys go last; equal keys (and
 * NaNs among themselves) are ordered by `ids` ascending, then by index.
 */
export function rankOrder(keys: ArrayLike<number>, ids: ArrayLike<number>, better: 'higher' | 'lower'): Int32Array {
  if (keys.length !== ids.length) throw new ApiError('INVALID_INPUT', `rankOrder: ${keys.length} keys but ${ids.length} ids`);
  const order = Array.from({ length: keys.length }, (_, i) => i);
  order.sort((a, b) => {
    const ka = keys[a];
    const kb = keys[b];
    const na = Number.isNaN(ka);
    const nb = Number.isNaN(kb);
    if (na !== nb) return na ? 1 : -1;
    if (!na && ka !== kb) return better === 'higher' ? (kb > ka ? 1 : -1) : ka > kb ? 1 : -1;
    return ids[a] - ids[b] || a - b;
  });
  return Int32Array.from(order);
}

type Rankable = Pick<RankedRow, 'compoundId' | 'lnIc50' | 'selectivity' | 'desirability' | 'rank'>;

/** The sort key of a row for `by`, oriented so that higher is better. */
export function rankKey(row: Pick<RankedRow, 'lnIc50' | 'selectivity' | 'desirability'>, by: RankBy): number {
  switch (by) {
    case 'potency':
      // Lower ln IC50 = more potent; negate so higher is better (same order as pIC50).
      return -row.lnIc50;
    case 'selectivity':
      return row.selectivity;
    case 'desirability':
      return row.desirability;
  }
}

/** Copies of `rows` sorted best first by `by`, with `rank` set to 1..n. */
export function rankRows<T extends Rankable>(rows: readonly T[], by: RankBy): T[] {
  if (!RANK_BY.includes(by)) throw new ApiError('INVALID_INPUT', `unknown ranking ${JSON.stringify(by)} (use ${RANK_BY.join(', ')})`);
  const keys = rows.map((r) => rankKey(r, by));
  const order = rankOrder(keys, rows.map((r) => r.compoundId), 'higher');
  return Array.from(order, (i, k) => ({ ...rows[i], rank: k + 1 }));
}

/** Per-compound facts the ranking needs besides the predictions (from the library and chemistry). */
export interface CompoundProfile {
  compoundId: number;
  name: string | null;
  smiles: string;
  qed: number | null;
  /** Names of the structural alerts matched (e.g. PAINS); null when alerts were not computed. */
  alerts: string[] | null;
  /** Number of rule sets failed (e.g. Lipinski, Veber); null when not computed. */
  ruleFailures: number | null;
  /** Max Tanimoto to a training drug, 0..1; null when unknown. */
  domainScore: number | null;
  inDomain: boolean;
}

export interface ScoreSubgroupOptions {
  subgroup: string;
  /** compounds[i] is the compound of aggregate index i. */
  compounds: readonly CompoundProfile[];
  aggregate: SubgroupAggregate;
  weights?: Partial<DesirabilityWeights>;
  anchors?: DesirabilityAnchors;
  rankBy?: RankBy;
}

/**
 * Ranked rows for one subgroup: potency, interval, spread, selectivity, desirability and rank per
 * compound. Unknown numbers stay NaN (they serialise as null); ranks follow `rankBy` (default
 * desirability).
 */
export function scoreSubgroup(opts: ScoreSubgroupOptions): RankedRow[] {
  const { compounds, aggregate: agg, subgroup } = opts;
  if (compounds.length !== agg.nCompounds) {
    throw new ApiError('INVALID_INPUT', `scoreSubgroup: ${compounds.length} compounds but the aggregate covers ${agg.nCompounds}`);
  }
  const weights = resolveWeights(opts.weights);
  const anchors = opts.anchors ?? DEFAULT_ANCHORS;
  const rows: RankedRow[] = compounds.map((c, i) => {
    const lnIc50 = agg.mean[i];
    const pIc50 = lnIc50ToPIc50(lnIc50);
    const d = desirability(
      { pIc50, selectivity: agg.selectivity[i], qed: c.qed, ruleFailures: c.ruleFailures, alerts: c.alerts ? c.alerts.length : null, domainScore: c.domainScore },
      weights,
      anchors,
    );
    return {
      compoundId: c.compoundId,
      name: c.name,
      smiles: c.smiles,
      subgroup,
      lnIc50,
      pIc50,
      lnIc50Low: agg.low[i],
      lnIc50High: agg.high[i],
      spread: agg.spread[i],
      members: agg.members,
      selectivity: agg.selectivity[i],
      domainScore: c.domainScore ?? NaN,
      inDomain: c.inDomain,
      qed: c.qed,
      alerts: c.alerts ?? [],
      desirability: d.value,
      rank: 0,
    };
  });
  return rankRows(rows, opts.rankBy ?? 'desirability');
}
