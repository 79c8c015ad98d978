/** Words for the mechanism-aware fields of a ranked row. Pure; no DOM (unit-tested in Node). */
import type { EvidenceTier, RankedRow } from '../../../core/api/contract.js';
import { formatNumber } from './format.js';

/** What the genotype dependence of a prediction rests on, in words. */
export const EVIDENCE_TEXT: Record<EvidenceTier, string> = {
  target: 'genotype effect from training drugs sharing the target',
  pathway: 'genotype effect from training drugs sharing the pathway',
  neighbour: 'genotype effect from close structural neighbours',
  structure: 'structure only: no genotype information',
};

/** Short label for a table cell. */
export const EVIDENCE_SHORT: Record<EvidenceTier, string> = {
  target: 'shared target',
  pathway: 'shared pathway',
  neighbour: 'neighbours',
  structure: 'structure only',
};

export function evidenceText(tier: EvidenceTier | null | undefined): string {
  return EVIDENCE_TEXT[tier ?? 'structure'] ?? EVIDENCE_TEXT.structure;
}

export interface SelectivityWords {
  /** The value with its interval, e.g. "0.42 [0.10–0.75]"; the value alone when there is no interval. */
  value: string;
  /** "indistinguishable from 0" when the interval contains 0; "more potent in the subgroup" / "less potent …" otherwise; '' without interval. */
  verdict: string;
  /** The interval contains 0: the number carries no information about the direction. */
  null: boolean;
}

/** Selectivity with its interval, and in words whether it says anything. */
export function selectivityWords(r: Pick<RankedRow, 'selectivity' | 'selectivityLow' | 'selectivityHigh'>): SelectivityWords {
  const v = formatNumber(r.selectivity, 3);
  const lo = r.selectivityLow;
  const hi = r.selectivityHigh;
  if (lo == null || hi == null || !Number.isFinite(lo) || !Number.isFinite(hi)) return { value: v, verdict: '', null: false };
  const value = `${v} [${formatNumber(lo, 3)} – ${formatNumber(hi, 3)}]`;
  if (lo <= 0 && hi >= 0) return { value, verdict: 'indistinguishable from 0', null: true };
  return { value, verdict: lo > 0 ? 'more potent in the subgroup' : 'less potent in the subgroup', null: false };
}
