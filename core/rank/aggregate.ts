/**
 * From per-sample predictions to per-subgroup numbers.
 *
 * A model predicts ln IC50 (µM) for every (compound, panel sample) pair. For a subgroup (a 0/1 mask
 * over the panel's samples) each compound gets:
 *   mean         mean prediction over member samples (ln IC50, lower = more potent)
 *   spread       sample standard deviation over members (n − 1 denominator; 0 for one member)
 *   low / high   the mean of the members' per-sample interval bounds when the model gives them
 *                (an interval for a typical member, not a confidence interval of the mean); without
 *                model bounds, mean ∓ 1.96 · spread (the band covering ~95 % of members if roughly
 *                normal)
 *   complementMean  the same mean over non-members
 *   selectivity  complementMean − mean (ln units; > 0: more potent in the subgroup). NaN when the
 *                complement (or the subgroup) is empty.
 *
 * Two ways in, one way out: `aggregate` computes everything from the full prediction matrix
 * (exact two-pass statistics); a model that can produce group means directly (e.g. a linear
 * genotype term averaged over members) builds `GroupStats` or `GroupMoments` itself and calls
 * `combineGroups`. Both return the same `SubgroupAggregate`.
 */
import { ApiError } from '../api/errors.js';

type Floats = Float32Array | Float64Array;

export interface PredictionMatrix {
  nCompounds: number;
  nSamples: number;
  /** ln IC50 (µM), row-major: values[c * nSamples + s]. */
  values: Floats;
  /** Optional per-prediction lower / upper bounds (same layout and units). */
  low?: Floats | null;
  high?: Floats | null;
  /**
   * Instead of low/high arrays (aggregateManyFast only): every prediction's bounds are value ∓
   * halfWidth, rounded to float32 — exactly what predictMatrix stores for a constant-width interval,
   * without the two arrays.
   */
  halfWidth?: number | null;
}

/** Per-compound statistics of one group of samples. */
export interface GroupStats {
  /** Samples in the group. */
  n: number;
  /** Mean ln IC50 per compound (NaN when n = 0). */
  mean: Float64Array;
  /** Sample SD per compound (0 when n = 1, NaN when n = 0). */
  sd: Float64Array;
  /** Mean of per-sample lower / upper bounds per compound, or null when the model gives none. */
  low: Float64Array | null;
  high: Float64Array | null;
}

/** Sums a model can accumulate cheaply (e.g. with a matrix product against the mask). */
export interface GroupMoments {
  n: number;
  /** Σ prediction per compound over the group. */
  sum: Float64Array;
  /** Σ prediction² per compound over the group. */
  sumSq: Float64Array;
  lowSum?: Float64Array | null;
  highSum?: Float64Array | null;
}

export interface SubgroupAggregate {
  nCompounds: number;
  /** Member and complement sample counts. */
  members: number;
  complement: number;
  mean: Float64Array;
  spread: Float64Array;
  low: Float64Array;
  high: Float64Array;
  complementMean: Float64Array;
  selectivity: Float64Array;
  /** Calibrated interval of the selectivity, when the model provides one. */
  selectivityLow?: Float64Array;
  selectivityHigh?: Float64Array;
  /** Where low/high came from: the model's per-sample bounds, or mean ∓ z · spread. */
  interval: 'model' | 'spread';
}

/** z for the spread-based interval (two-sided 95 % of a normal). */
export const SPREAD_INTERVAL_Z = 1.96;

function check(preds: PredictionMatrix, mask: Uint8Array): void {
  const { nCompounds, nSamples, values } = preds;
  if (!Number.isInteger(nCompounds) || nCompounds < 0 || !Number.isInteger(nSamples) || nSamples < 0) {
    throw new ApiError('INVALID_INPUT', `prediction matrix dimensions must be non-negative integers (got ${nCompounds} × ${nSamples})`);
  }
  const want = nCompounds * nSamples;
  if (values.length !== want) throw new ApiError('INVALID_INPUT', `prediction matrix has ${values.length} values, expected ${nCompounds} compounds × ${nSamples} samples = ${want}`);
  for (const [k, a] of [['low', preds.low], ['high', preds.high]] as const) {
    if (a && a.length !== want) throw new ApiError('INVALID_INPUT', `prediction ${k} bounds have ${a.length} values, expected ${want}`);
  }
  if (mask.length !== nSamples) throw new ApiError('INVALID_INPUT', `membership mask has ${mask.length} entries but the predictions cover ${nSamples} samples`);
}

/** Indices of the samples whose mask entry is `value` (non-zero counts as 1). */
export function maskIndices(mask: Uint8Array, value: 0 | 1 = 1): Int32Array {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if ((mask[i] ? 1 : 0) === value) n++;
  const out = new Int32Array(n);
  let k = 0;
  for (let i = 0; i < mask.length; i++) if ((mask[i] ? 1 : 0) === value) out[k++] = i;
  return out;
}

/** Exact statistics of the samples `idx` for every compound (two passes: mean, then deviations). */
export function groupStatsFor(preds: PredictionMatrix, idx: Int32Array): GroupStats {
  const { nCompounds: nC, nSamples: nS, values } = preds;
  const n = idx.length;
  const mean = new Float64Array(nC);
  const sd = new Float64Array(nC);
  const low = preds.low ? new Float64Array(nC) : null;
  const high = preds.high ? new Float64Array(nC) : null;
  for (let c = 0; c < nC; c++) {
    const row = c * nS;
    if (n === 0) {
      mean[c] = NaN;
      sd[c] = NaN;
      if (low) low[c] = NaN;
      if (high) high[c] = NaN;
      continue;
    }
    let s = 0;
    for (let k = 0; k < n; k++) s += values[row + idx[k]];
    const m = s / n;
    let ss = 0;
    for (let k = 0; k < n; k++) {
      const d = values[row + idx[k]] - m;
      ss += d * d;
    }
    mean[c] = m;
    sd[c] = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
    if (low && preds.low) {
      let l = 0;
      for (let k = 0; k < n; k++) l += preds.low[row + idx[k]];
      low[c] = l / n;
    }
    if (high && preds.high) {
      let h = 0;
      for (let k = 0; k < n; k++) h += preds.high[row + idx[k]];
      high[c] = h / n;
    }
  }
  return { n, mean, sd, low, high };
}

/** Statistics from accumulated sums (the fast path). The variance is clamped at 0 against rounding. */
export function statsFromMoments(m: GroupMoments): GroupStats {
  const nC = m.sum.length;
  if (m.sumSq.length !== nC) throw new ApiError('INVALID_INPUT', `moments: sum has ${nC} compounds but sumSq has ${m.sumSq.length}`);
  const mean = new Float64Array(nC);
  const sd = new Float64Array(nC);
  const low = m.lowSum ? new Float64Array(nC) : null;
  const high = m.highSum ? new Float64Array(nC) : null;
  const n = m.n;
  for (let c = 0; c < nC; c++) {
    if (n <= 0) {
      mean[c] = sd[c] = NaN;
      if (low) low[c] = NaN;
      if (high) high[c] = NaN;
      continue;
    }
    const mu = m.sum[c] / n;
    mean[c] = mu;
    sd[c] = n > 1 ? Math.sqrt(Math.max(0, (m.sumSq[c] - n * mu * mu) / (n - 1))) : 0;
    if (low && m.lowSum) low[c] = m.lowSum[c] / n;
    if (high && m.highSum) high[c] = m.highSum[c] / n;
  }
  return { n, mean, sd, low, high };
}

/** Combine a subgroup's and its complement's statistics into the per-compound aggregate. */
export function combineGroups(members: GroupStats, complement: GroupStats): SubgroupAggregate {
  return combineWithComplement(members, complement.n, complement.mean);
}

/** combineGroups when only the complement's size and mean are known (all the aggregate uses of it). */
function combineWithComplement(members: GroupStats, complementN: number, complementMean: Float64Array): SubgroupAggregate {
  const nC = members.mean.length;
  if (complementMean.length !== nC) throw new ApiError('INVALID_INPUT', `members cover ${nC} compounds but the complement covers ${complementMean.length}`);
  const fromModel = members.low !== null && members.high !== null;
  const low = new Float64Array(nC);
  const high = new Float64Array(nC);
  const selectivity = new Float64Array(nC);
  for (let c = 0; c < nC; c++) {
    if (fromModel && members.low && members.high) {
      low[c] = members.low[c];
      high[c] = members.high[c];
    } else {
      low[c] = members.mean[c] - SPREAD_INTERVAL_Z * members.sd[c];
      high[c] = members.mean[c] + SPREAD_INTERVAL_Z * members.sd[c];
    }
    // NaN propagates when either side is empty: selectivity is undefined then.
    selectivity[c] = complementMean[c] - members.mean[c];
  }
  return {
    nCompounds: nC,
    members: members.n,
    complement: complementN,
    mean: members.mean,
    spread: members.sd,
    low,
    high,
    complementMean,
    selectivity,
    interval: fromModel ? 'model' : 'spread',
  };
}

/** Aggregate full predictions over a membership mask (1 = member). */
export function aggregate(preds: PredictionMatrix, mask: Uint8Array): SubgroupAggregate {
  check(preds, mask);
  return combineGroups(groupStatsFor(preds, maskIndices(mask, 1)), groupStatsFor(preds, maskIndices(mask, 0)));
}

/** Aggregate one prediction matrix over several subgroups. */
export function aggregateMany(preds: PredictionMatrix, masks: readonly Uint8Array[]): SubgroupAggregate[] {
  return masks.map((m) => aggregate(preds, m));
}

/**
 * Join aggregates of consecutive compound chunks (same subgroup) into one, so a large library can be
 * predicted and aggregated chunk by chunk.
 */
export function concatAggregates(parts: readonly SubgroupAggregate[]): SubgroupAggregate {
  if (parts.length === 0) throw new ApiError('INVALID_INPUT', 'concatAggregates needs at least one part');
  const { members, complement, interval } = parts[0];
  for (const p of parts) {
    if (p.members !== members || p.complement !== complement) throw new ApiError('INVALID_INPUT', 'concatAggregates: parts come from different subgroups');
    if (p.interval !== interval) throw new ApiError('INVALID_INPUT', 'concatAggregates: parts mix model and spread intervals');
  }
  const nC = parts.reduce((a, p) => a + p.nCompounds, 0);
  const join = (k: 'mean' | 'spread' | 'low' | 'high' | 'complementMean' | 'selectivity' | 'selectivityLow' | 'selectivityHigh'): Float64Array => {
    const out = new Float64Array(nC);
    let o = 0;
    for (const p of parts) {
      out.set(p[k]!, o);
      o += p.nCompounds;
    }
    return out;
  };
  // The selectivity interval is kept when every part has one (a model with tier calibration gives it to all).
  const sel = parts.every((p) => p.selectivityLow && p.selectivityHigh) ? { selectivityLow: join('selectivityLow'), selectivityHigh: join('selectivityHigh') } : {};
  return {
    nCompounds: nC,
    members,
    complement,
    mean: join('mean'),
    spread: join('spread'),
    low: join('low'),
    high: join('high'),
    complementMean: join('complementMean'),
    selectivity: join('selectivity'),
    ...sel,
    interval,
  };
}

/**
 * The same result as `aggregateMany`, in one pass over the matrix: per compound, the sums over all
 * samples are taken once, the sums over each subgroup's member indices next, and the complement's
 * sums are the difference. Several times faster when many subgroups are screened at once.
 */
export function aggregateManyFast(preds: PredictionMatrix, masks: readonly Uint8Array[]): SubgroupAggregate[] {
  for (const m of masks) check(preds, m);
  const { nCompounds: nC, nSamples: nS, values } = preds;
  const low = preds.low ?? null;
  const high = preds.high ?? null;
  // Bounds from arrays (both needed), from a constant half-width, or none.
  const hw = low && high ? null : (preds.halfWidth ?? null);
  const bounds = (low && high) || hw !== null;
  const idx = masks.map((m) => maskIndices(m, 1));
  const G = masks.length;
  const mk = () => Array.from({ length: G }, () => new Float64Array(nC));
  // Only what the aggregate reports is summed: the members' sum, squares and bounds; of the
  // complement only its mean (its spread and bounds are not part of a SubgroupAggregate).
  const mSum = mk(), mSq = mk(), cSum = mk();
  const mLo = bounds ? mk() : null, mHi = bounds ? mk() : null;
  const fr = Math.fround;
  const w = hw ?? 0;
  // Two compounds per pass (independent sums run side by side: the adds are latency-bound); every
  // sum still runs over the same samples in the same order as the two-pass version, so the results
  // do not depend on the pairing or on which bounds representation is used.
  for (let c = 0; c < nC; c += 2) {
    const pair = c + 1 < nC;
    const o0 = c * nS;
    const o1 = pair ? o0 + nS : o0;
    let t0 = 0, t1 = 0;
    for (let s = 0; s < nS; s++) {
      t0 += values[o0 + s];
      t1 += values[o1 + s];
    }
    for (let g = 0; g < G; g++) {
      const ix = idx[g];
      const K = ix.length;
      let sum0 = 0, sq0 = 0, lo0 = 0, hi0 = 0, sum1 = 0, sq1 = 0, lo1 = 0, hi1 = 0;
      if (low && high) {
        for (let k = 0; k < K; k++) {
          const j0 = o0 + ix[k];
          const j1 = o1 + ix[k];
          const v0 = values[j0];
          const v1 = values[j1];
          sum0 += v0;
          sum1 += v1;
          sq0 += v0 * v0;
          sq1 += v1 * v1;
          lo0 += low[j0];
          lo1 += low[j1];
          hi0 += high[j0];
          hi1 += high[j1];
        }
      } else {
        // Half-width bounds (without any, the bound sums are computed and not kept).
        for (let k = 0; k < K; k++) {
          const i = ix[k];
          const v0 = values[o0 + i];
          const v1 = values[o1 + i];
          sum0 += v0;
          sum1 += v1;
          sq0 += v0 * v0;
          sq1 += v1 * v1;
          lo0 += fr(v0 - w);
          lo1 += fr(v1 - w);
          hi0 += fr(v0 + w);
          hi1 += fr(v1 + w);
        }
      }
      const ms = mSum[g], mq = mSq[g], cs = cSum[g];
      ms[c] = sum0;
      mq[c] = sq0;
      cs[c] = t0 - sum0;
      if (mLo && mHi) {
        mLo[g][c] = lo0;
        mHi[g][c] = hi0;
      }
      if (pair) {
        ms[c + 1] = sum1;
        mq[c + 1] = sq1;
        cs[c + 1] = t1 - sum1;
        if (mLo && mHi) {
          mLo[g][c + 1] = lo1;
          mHi[g][c + 1] = hi1;
        }
      }
    }
  }
  return masks.map((_, g) => {
    const n = idx[g].length;
    const members = statsFromMoments({ n, sum: mSum[g], sumSq: mSq[g], lowSum: mLo?.[g] ?? null, highSum: mHi?.[g] ?? null });
    // The complement's mean as statsFromMoments computes it (sum / n; NaN when empty).
    const nComp = nS - n;
    const complementMean = cSum[g].map((v) => (nComp > 0 ? v / nComp : NaN));
    return combineWithComplement(members, nComp, complementMean);
  });
}
