/**
 * Tier-calibrated bounds for screening: a compound's subgroup mean and selectivity get the half-widths calibrated
 * for its evidence tier (core/predict/declared.ts returns them per compound), instead of the model's constant one.
 */
import type { TierHalfWidths } from '../predict/declared.js';
import type { SubgroupAggregate } from '../rank/aggregate.js';

/**
 * Replaces a subgroup aggregate's bounds (in place): mean ∓ the subgroup-mean half-width and selectivity ∓ the
 * selectivity half-width of each compound's tier (a NaN selectivity keeps NaN bounds).
 */
export function applyTierBounds(agg: SubgroupAggregate, halfWidths: readonly TierHalfWidths[]): void {
  const n = agg.nCompounds;
  if (halfWidths.length !== n) throw new Error(`applyTierBounds: ${halfWidths.length} half-widths for ${n} compounds`);
  const sl = new Float64Array(n);
  const sh = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const h = halfWidths[i];
    agg.low[i] = agg.mean[i] - h.aggregate;
    agg.high[i] = agg.mean[i] + h.aggregate;
    sl[i] = agg.selectivity[i] - h.selectivity;
    sh[i] = agg.selectivity[i] + h.selectivity;
  }
  agg.selectivityLow = sl;
  agg.selectivityHigh = sh;
  agg.interval = 'model';
}
