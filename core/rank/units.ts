/**
 * Potency units. Models predict ln IC50 with IC50 in µM (GDSC's unit); people read pIC50.
 *
 *   pIC50 = −log10(IC50 / M) = −log10(IC50_µM · 1e−6) = 6 − log10(IC50_µM) = 6 − ln IC50_µM / ln 10
 */

/** pIC50 from the natural log of IC50 in µM. */
export function lnIc50ToPIc50(lnIc50Um: number): number {
  return 6 - lnIc50Um / Math.LN10;
}

/** Natural log of IC50 in µM from pIC50. */
export function pIc50ToLnIc50(pIc50: number): number {
  return (6 - pIc50) * Math.LN10;
}

/** IC50 in µM from its natural log (for display). */
export function lnIc50ToUm(lnIc50Um: number): number {
  return Math.exp(lnIc50Um);
}

/** Fold change in IC50 for a difference in ln units (selectivity 1.0 ≈ 2.7-fold). */
export function lnDiffToFold(lnDiff: number): number {
  return Math.exp(lnDiff);
}
