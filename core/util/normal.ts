/** The normal distribution, for intervals and probabilities from a Gaussian predictive distribution. */

/** erf by Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7). */
export function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496735) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

/** Standard normal CDF. */
export function normalCdf(x: number): number {
  return 0.5 * (1 + erf(x / Math.SQRT2));
}

/** z such that a central interval ±z·sd holds `level` of a normal distribution (bisection; 0 < level < 1). */
export function zFor(level: number): number {
  let lo = 0;
  let hi = 10;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) - normalCdf(-mid) < level) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
