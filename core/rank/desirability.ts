/**
 * Multi-parameter desirability (Derringer & Suich, J Qual Technol 12:214, 1980): each property is
 * mapped to a desirability d ∈ [floor, 1], and the overall score is the weighted geometric mean
 *
 *   D = exp( Σ wᵢ · ln dᵢ / Σ wᵢ )   over the terms with wᵢ > 0 whose input is known.
 *
 * Terms and their default anchors (all documented in DEFAULT_ANCHORS):
 *   potency      linear ramp on pIC50 from 4 (IC50 100 µM; d = floor) to 8 (10 nM; d = 1). GDSC's
 *                measured responses span roughly pIC50 3–8.5 (1st–99th percentile, median 4.9).
 *   selectivity  linear ramp on complement − subgroup mean ln IC50 from 0 (no preference) to 2
 *                (≈ 7.4-fold more potent in the subgroup).
 *   qed          QED as computed (already 0..1).
 *   rules        0.5 ^ (rule sets failed), e.g. Lipinski and Veber: both pass 1, one fails 0.5.
 *   alerts       0.5 ^ (structural alerts matched, e.g. PAINS).
 *   domain       linear ramp on the applicability-domain score (max Tanimoto to a training drug)
 *                from 0.2 (unrelated) to 0.6 (close analogue).
 *
 * Why a floor (default 0.01) instead of 0: with a true zero one poor term would make D = 0 for every
 * such compound and erase the ordering among them; the floor keeps a bad term decisive but finite.
 * A term whose input is unknown (QED not computed, selectivity with an empty complement) is left
 * out and the remaining weights renormalised; a weight of 0 removes a term entirely. Better inputs
 * never lower D: every map is non-decreasing and the geometric mean is monotone in each term.
 */
import type { DesirabilityWeights } from '../api/contract.js';
import { ApiError } from '../api/errors.js';

export type DesirabilityTerm = keyof DesirabilityWeights;
export const DESIRABILITY_TERMS: readonly DesirabilityTerm[] = ['potency', 'selectivity', 'qed', 'rules', 'alerts', 'domain'];

/**
 * Default weights: potency and selectivity in the subgroup are what the screen is for; drug-likeness
 * (QED), structural alerts and the applicability domain temper them; rule-of-thumb filters weigh least.
 */
export const DEFAULT_WEIGHTS: Readonly<DesirabilityWeights> = Object.freeze({ potency: 1, selectivity: 1, qed: 0.5, rules: 0.25, alerts: 0.5, domain: 0.5 });

export interface DesirabilityAnchors {
  /** pIC50 at which potency desirability leaves the floor / reaches 1. */
  potency: { low: number; high: number };
  /** Selectivity (ln units) at which its desirability leaves the floor / reaches 1. */
  selectivity: { low: number; high: number };
  /** Domain score (0..1) at which its desirability leaves the floor / reaches 1. */
  domain: { low: number; high: number };
  /** Multiplier per failed rule set. */
  ruleFactor: number;
  /** Multiplier per structural alert. */
  alertFactor: number;
  /** Smallest value any term takes. */
  floor: number;
}

export const DEFAULT_ANCHORS: Readonly<DesirabilityAnchors> = Object.freeze({
  potency: { low: 4, high: 8 },
  selectivity: { low: 0, high: 2 },
  domain: { low: 0.2, high: 0.6 },
  ruleFactor: 0.5,
  alertFactor: 0.5,
  floor: 0.01,
});

export interface DesirabilityInput {
  /** −log10(IC50 / M) of the subgroup mean prediction. */
  pIc50: number;
  /** Complement − subgroup mean ln IC50; NaN when undefined (empty complement). */
  selectivity: number;
  qed: number | null;
  /** Number of rule sets failed (e.g. Lipinski, Veber); null when not computed. */
  ruleFailures: number | null;
  /** Number of structural alerts matched (e.g. PAINS); null when not computed. */
  alerts: number | null;
  /** Max Tanimoto similarity to a training drug, 0..1; null when unknown. */
  domainScore: number | null;
}

/** Each term's desirability, or null when its input is unknown. */
export type DesirabilityTerms = Record<DesirabilityTerm, number | null>;

/** Linear ramp: 0 at or below `low`, 1 at or above `high`. */
export function ramp(x: number, low: number, high: number): number {
  if (x <= low) return 0;
  if (x >= high) return 1;
  return (x - low) / (high - low);
}

const known = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

/** Map each input to its desirability in [floor, 1]. */
export function desirabilityTerms(input: DesirabilityInput, anchors: DesirabilityAnchors = DEFAULT_ANCHORS): DesirabilityTerms {
  const f = anchors.floor;
  const lift = (r: number): number => f + (1 - f) * r;
  const clamp = (x: number): number => Math.min(1, Math.max(f, x));
  return {
    potency: known(input.pIc50) ? lift(ramp(input.pIc50, anchors.potency.low, anchors.potency.high)) : null,
    selectivity: known(input.selectivity) ? lift(ramp(input.selectivity, anchors.selectivity.low, anchors.selectivity.high)) : null,
    qed: known(input.qed) ? clamp(input.qed) : null,
    rules: known(input.ruleFailures) ? clamp(anchors.ruleFactor ** Math.max(0, input.ruleFailures)) : null,
    alerts: known(input.alerts) ? clamp(anchors.alertFactor ** Math.max(0, input.alerts)) : null,
    domain: known(input.domainScore) ? lift(ramp(input.domainScore, anchors.domain.low, anchors.domain.high)) : null,
  };
}

/** Weighted geometric mean of the known terms with positive weight; NaN when there is none. */
export function combineTerms(terms: DesirabilityTerms, weights: DesirabilityWeights): number {
  let sw = 0;
  let acc = 0;
  for (const k of DESIRABILITY_TERMS) {
    const w = weights[k];
    const d = terms[k];
    if (!(w > 0) || d === null) continue;
    sw += w;
    acc += w * Math.log(d);
  }
  return sw > 0 ? Math.exp(acc / sw) : NaN;
}

/** Desirability of one compound in one subgroup, with its terms (for display and export). */
export function desirability(
  input: DesirabilityInput,
  weights: DesirabilityWeights = DEFAULT_WEIGHTS,
  anchors: DesirabilityAnchors = DEFAULT_ANCHORS,
): { value: number; terms: DesirabilityTerms } {
  const terms = desirabilityTerms(input, anchors);
  return { value: combineTerms(terms, weights), terms };
}

/**
 * Complete a partial weight set with the defaults and validate it: every weight finite and ≥ 0, at
 * least one positive. The result is what a screen run stores with its results.
 */
export function resolveWeights(partial: Partial<DesirabilityWeights> = {}): DesirabilityWeights {
  const out = { ...DEFAULT_WEIGHTS };
  for (const [k, v] of Object.entries(partial)) {
    if (!(DESIRABILITY_TERMS as readonly string[]).includes(k)) {
      throw new ApiError('INVALID_INPUT', `unknown desirability weight ${JSON.stringify(k)} (known: ${DESIRABILITY_TERMS.join(', ')})`);
    }
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ApiError('INVALID_INPUT', `desirability weight ${k} must be a finite number ≥ 0 (got ${String(v)})`);
    out[k as DesirabilityTerm] = v;
  }
  if (!DESIRABILITY_TERMS.some((k) => out[k] > 0)) throw new ApiError('INVALID_INPUT', 'at least one desirability weight must be greater than 0');
  return out;
}
