/**
 * Ranking compounds within a subgroup: by potency (higher pIC50 first), selectivity (larger first)
 * or desirability (larger first). Unknown values (NaN) sort last; ties — equal keys — are broken by
 * compound id ascending, so the same inputs always give the same order and ranks 1..n.
 */
import { pResponseOf, pResponseOfInterval, responseModel, type ResponseModel } from '../predict/probability.js';
import type { DesirabilityWeights, EvidenceTier, RankedRow } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import type { SubgroupAggregate } from './aggregate.js';
import { DEFAULT_ANCHORS, desirabilityTerms, ramp, resolveWeights } from './desirability.js';
import type { DesirabilityAnchors, DesirabilityInput } from './desirability.js';
import { lnIc50ToPIc50 } from './units.js';

export type RankBy = 'potency' | 'selectivity' | 'desirability';
export const RANK_BY: readonly RankBy[] = ['potency', 'selectivity', 'desirability'];

/**
 * Indices of `keys` best first. `better`: which direction wins. NaN keys go last; equal keys (and
 * NaNs among themselves) are ordered by `ids` ascending, then by index.
 */
export function rankOrder(keys: ArrayLike<number>, ids: ArrayLike<number>, better: 'higher' | 'lower'): Int32Array {
  if (keys.length !== ids.length) throw new ApiError('INVALID_INPUT', `rankOrder: ${keys.length} keys but ${ids.length} ids`);
  return sortIndices(Array.from({ length: keys.length }, (_, i) => i), keys, ids, better === 'higher');
}

/** Sort `idx` (indices into keys/ids) in rankOrder's order; returns them as an Int32Array. */
function sortIndices(idx: number[], keys: ArrayLike<number>, ids: ArrayLike<number>, higher: boolean): Int32Array {
  idx.sort((a, b) => {
    const ka = keys[a];
    const kb = keys[b];
    const na = Number.isNaN(ka);
    const nb = Number.isNaN(kb);
    if (na !== nb) return na ? 1 : -1;
    if (!na && ka !== kb) return higher ? (kb > ka ? 1 : -1) : ka > kb ? 1 : -1;
    return ids[a] - ids[b] || a - b;
  });
  return Int32Array.from(idx);
}

/**
 * The first `limit` entries of rankOrder(keys, ids, 'higher') without sorting everything: the
 * limit-th best key is found by selection (linear time), and only the indices at or above it
 * (ties included) go through the comparator. Same result as rankOrder(...).subarray(0, limit).
 */
export function topOrder(keys: ArrayLike<number>, ids: ArrayLike<number>, limit: number): Int32Array {
  if (keys.length !== ids.length) throw new ApiError('INVALID_INPUT', `topOrder: ${keys.length} keys but ${ids.length} ids`);
  const n = keys.length;
  const k = Math.max(0, Math.min(n, Math.floor(limit)));
  if (k === 0) return new Int32Array(0);
  const finite = new Float64Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) if (!Number.isNaN(keys[i])) finite[m++] = keys[i];
  if (k >= m) {
    // Every known key is in; NaNs fill the rest in id order.
    return rankOrder(keys, ids, 'higher').subarray(0, k);
  }
  const threshold = kthSmallest(finite.subarray(0, m), m - k);
  const picked: number[] = [];
  for (let i = 0; i < n; i++) if (keys[i] >= threshold) picked.push(i);
  return sortIndices(picked, keys, ids, true).subarray(0, k);
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
  /** Display name (pref_name, …) when the library has one. */
  displayName?: string | null;
  smiles: string;
  qed: number | null;
  /** Names of the structural alerts matched (e.g. PAINS); null when alerts were not computed. */
  alerts: string[] | null;
  /** Number of rule sets failed (e.g. Lipinski, Veber); null when not computed. */
  ruleFailures: number | null;
  /** Max Tanimoto to a training drug, 0..1; null when unknown. */
  domainScore: number | null;
  inDomain: boolean;
  /** What the prediction's genotype dependence rests on (default 'structure'). */
  evidence?: EvidenceTier;
  /** Lab-measured lines its predictions were calibrated by (default 0). */
  measured?: number;
}

export interface ScoreSubgroupOptions {
  subgroup: string;
  /** compounds[i] is the compound of aggregate index i. */
  compounds: readonly CompoundProfile[];
  aggregate: SubgroupAggregate;
  weights?: Partial<DesirabilityWeights>;
  anchors?: DesirabilityAnchors;
  rankBy?: RankBy;
  /** Threshold and calibration of `pResponse` (default: 1 µM, the interval read as a normal). */
  response?: ResponseModel;
}

const DEFAULT_RESPONSE = responseModel(null);

/**
 * What every subgroup of a screen shares: each compound's desirability inputs that do not depend on
 * the subgroup (QED, rule flags, alerts, domain), mapped and weighted once. `rankSubgroup` then only
 * adds the potency and selectivity terms per subgroup.
 */
export interface PreparedCompounds {
  compounds: readonly CompoundProfile[];
  weights: DesirabilityWeights;
  anchors: DesirabilityAnchors;
  /** Compound ids as numbers (tie-break order). */
  ids: Float64Array;
  /** Per compound: bit t set when term t of TAIL_TERMS is known and weighted (> 0). */
  known: Uint8Array;
  /** Per term of TAIL_TERMS and compound: weight · ln(term desirability) (0 when not known). */
  weightedLogs: Float64Array[];
}

/** The subgroup-independent terms, in the order combineTerms adds them (after potency and selectivity). */
const TAIL_TERMS = ['qed', 'rules', 'alerts', 'domain'] as const;

/** Desirability inputs of the compounds that no subgroup changes; see PreparedCompounds. */
export function prepareCompounds(compounds: readonly CompoundProfile[], weights?: Partial<DesirabilityWeights>, anchors: DesirabilityAnchors = DEFAULT_ANCHORS): PreparedCompounds {
  const w = resolveWeights(weights);
  const n = compounds.length;
  const ids = new Float64Array(n);
  const known = new Uint8Array(n);
  const weightedLogs = TAIL_TERMS.map(() => new Float64Array(n));
  const wTail = TAIL_TERMS.map((t) => w[t]);
  for (let i = 0; i < n; i++) {
    const c = compounds[i];
    ids[i] = c.compoundId;
    // The same maps as desirability(); potency and selectivity are set per subgroup.
    const terms = desirabilityTerms(profileInput(c, NaN, NaN), anchors);
    let bits = 0;
    for (let k = 0; k < TAIL_TERMS.length; k++) {
      const d = terms[TAIL_TERMS[k]];
      if (!(wTail[k] > 0) || d === null) continue;
      bits |= 1 << k;
      weightedLogs[k][i] = wTail[k] * Math.log(d);
    }
    known[i] = bits;
  }
  return { compounds, weights: w, anchors, ids, known, weightedLogs };
}

function profileInput(c: CompoundProfile, pIc50: number, selectivity: number): DesirabilityInput {
  return { pIc50, selectivity, qed: c.qed, ruleFailures: c.ruleFailures, alerts: c.alerts ? c.alerts.length : null, domainScore: c.domainScore };
}

/**
 * desirability(...).value of every compound for one subgroup, bit for bit: the same terms, summed
 * in the same order (potency, selectivity, then the prepared terms), without building objects.
 */
export function desirabilityValues(prepared: PreparedCompounds, agg: SubgroupAggregate): Float64Array {
  const { weights: w, anchors, known, weightedLogs } = prepared;
  const n = prepared.compounds.length;
  const f = anchors.floor;
  const { low: pLow, high: pHigh } = anchors.potency;
  const { low: sLow, high: sHigh } = anchors.selectivity;
  const wp = w.potency, ws = w.selectivity;
  const wTail = TAIL_TERMS.map((t) => w[t]);
  const [wq, wr, wa, wd] = wTail;
  const [lq, lr, la, ld] = weightedLogs;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sw = 0;
    let acc = 0;
    const pIc50 = lnIc50ToPIc50(agg.mean[i]);
    if (wp > 0 && Number.isFinite(pIc50)) {
      sw += wp;
      acc += wp * Math.log(f + (1 - f) * ramp(pIc50, pLow, pHigh));
    }
    const sel = agg.selectivity[i];
    if (ws > 0 && Number.isFinite(sel)) {
      sw += ws;
      acc += ws * Math.log(f + (1 - f) * ramp(sel, sLow, sHigh));
    }
    const k = known[i];
    if (k & 1) {
      sw += wq;
      acc += lq[i];
    }
    if (k & 2) {
      sw += wr;
      acc += lr[i];
    }
    if (k & 4) {
      sw += wa;
      acc += la[i];
    }
    if (k & 8) {
      sw += wd;
      acc += ld[i];
    }
    out[i] = sw > 0 ? Math.exp(acc / sw) : NaN;
  }
  return out;
}

/**
 * The value that would sit at index `k` if `a` (no NaNs) were sorted ascending; reorders `a`.
 * Quickselect with a three-way partition (many equal values stay linear).
 */
export function kthSmallest(a: Float64Array, k: number): number {
  if (!(k >= 0 && k < a.length)) throw new ApiError('INVALID_INPUT', `kthSmallest: index ${k} outside 0..${a.length - 1}`);
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    // Median of three as the pivot.
    const mid = (lo + hi) >>> 1;
    const x = a[lo], y = a[mid], z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    // a[lo..lt) < pivot, a[lt..i) == pivot, a(gt..hi] > pivot.
    let lt = lo, i = lo, gt = hi;
    while (i <= gt) {
      const v = a[i];
      if (v < pivot) {
        a[i++] = a[lt];
        a[lt++] = v;
      } else if (v > pivot) {
        a[i] = a[gt];
        a[gt--] = v;
      } else i++;
    }
    if (k < lt) hi = lt - 1;
    else if (k > gt) lo = gt + 1;
    else return pivot;
  }
  return a[k];
}

/** One subgroup's ranking; rows are built only when asked for. */
export interface RankedSubgroup {
  subgroup: string;
  /** Compounds ranked. */
  length: number;
  /** Desirability per compound, in the compounds' (aggregate) order. */
  desirability: Float64Array;
  /** Aggregate indices, best first: the first `limit` (default all). */
  order(limit?: number): Int32Array;
  /** Ranked rows 1..limit (default all), best first. */
  rows(limit?: number): RankedRow[];
}

export interface RankSubgroupOptions extends ScoreSubgroupOptions {
  /** From prepareCompounds(compounds, weights, anchors), shared across subgroups; made here when absent. */
  prepared?: PreparedCompounds;
}

/**
 * Rank one subgroup with typed arrays: desirability for every compound, then an index sort (or only
 * the top `limit` when that is all that is asked for). Rows, ranks and values are those of
 * scoreSubgroup.
 */
export function rankSubgroup(opts: RankSubgroupOptions): RankedSubgroup {
  const { compounds, aggregate: agg, subgroup } = opts;
  if (compounds.length !== agg.nCompounds) {
    throw new ApiError('INVALID_INPUT', `scoreSubgroup: ${compounds.length} compounds but the aggregate covers ${agg.nCompounds}`);
  }
  const by = opts.rankBy ?? 'desirability';
  const response = opts.response ?? DEFAULT_RESPONSE;
  if (!RANK_BY.includes(by)) throw new ApiError('INVALID_INPUT', `unknown ranking ${JSON.stringify(by)} (use ${RANK_BY.join(', ')})`);
  let prepared = opts.prepared;
  if (prepared && prepared.compounds !== compounds) throw new ApiError('INVALID_INPUT', 'rankSubgroup: prepared for other compounds');
  if (!prepared) prepared = prepareCompounds(compounds, opts.weights, opts.anchors ?? DEFAULT_ANCHORS);
  const d = desirabilityValues(prepared, agg);
  const n = compounds.length;
  let keys: ArrayLike<number> = d;
  if (by === 'potency') keys = agg.mean.map((v) => -v);
  else if (by === 'selectivity') keys = agg.selectivity;
  const ids = prepared.ids;
  // The full order once sorted, else the longest top order taken so far (a shorter top is its prefix).
  let full: Int32Array | null = null;
  let top: Int32Array | null = null;
  const order = (limit = n): Int32Array => {
    if (full) return full.subarray(0, Math.max(0, limit));
    if (limit >= n) return (full = rankOrder(keys, ids, 'higher'));
    if (top && limit <= top.length) return top.subarray(0, Math.max(0, limit));
    return (top = topOrder(keys, ids, limit));
  };
  const row = (i: number, rank: number): RankedRow => {
    const c = compounds[i];
    const lnIc50 = agg.mean[i];
    return {
      compoundId: c.compoundId,
      name: c.name,
      displayName: c.displayName ?? null,
      smiles: c.smiles,
      subgroup,
      lnIc50,
      pIc50: lnIc50ToPIc50(lnIc50),
      lnIc50Low: agg.low[i],
      lnIc50High: agg.high[i],
      spread: agg.spread[i],
      members: agg.members,
      selectivity: agg.selectivity[i],
      selectivityLow: agg.selectivityLow ? agg.selectivityLow[i] : null,
      selectivityHigh: agg.selectivityHigh ? agg.selectivityHigh[i] : null,
      evidence: c.evidence ?? 'structure',
      // A compound calibrated by lab measurements has its own posterior interval; the tier's out-of-fold residuals
      // describe uncalibrated predictions only.
      pResponse: c.measured ? pResponseOfInterval(lnIc50, agg.low[i], agg.high[i], response.thresholdLn) : pResponseOf(response, 'aggregate', c.evidence ?? 'structure', lnIc50, agg.low[i], agg.high[i]),
      measured: c.measured ?? 0,
      domainScore: c.domainScore ?? NaN,
      inDomain: c.inDomain,
      qed: c.qed,
      alerts: c.alerts ?? [],
      desirability: d[i],
      rank,
    };
  };
  const rows = (limit = n): RankedRow[] => {
    const idx = order(limit);
    const out = new Array<RankedRow>(idx.length);
    for (let k = 0; k < idx.length; k++) out[k] = row(idx[k], k + 1);
    return out;
  };
  return { subgroup, length: n, desirability: d, order, rows };
}

/**
 * Ranked rows for one subgroup: potency, interval, spread, selectivity, desirability and rank per
 * compound. Unknown numbers stay NaN (they serialise as null); ranks follow `rankBy` (default
 * desirability).
 */
export function scoreSubgroup(opts: ScoreSubgroupOptions): RankedRow[] {
  return rankSubgroup(opts).rows();
}
