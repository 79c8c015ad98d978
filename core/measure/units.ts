/**
 * Units a lab's measurements may come in, and their exact conversion to the model's unit, ln IC50 in µM.
 *
 * Accepted (case-insensitive; `-`/space/`_` interchangeable, `u` or `µ` for micro):
 *   ln_ic50 (= ln_ic50_uM)  ln of IC50 in µM            → as is
 *   log10_ic50_uM           log10 of IC50 in µM          → × ln 10
 *   ic50_uM                 IC50 in µM (> 0)             → ln(x)
 *   ic50_nM                 IC50 in nM (> 0)             → ln(x / 1000)
 *   ic50_M                  IC50 in mol/L (> 0)          → ln(x × 10⁶)
 *   pic50                   −log10 of IC50 in mol/L      → (6 − x) × ln 10
 * Nothing else is guessed: GI50/EC50/AUC are different quantities and are refused by name.
 */
export const UNITS = ['ln_ic50_uM', 'log10_ic50_uM', 'ic50_uM', 'ic50_nM', 'ic50_M', 'pic50'] as const;
export type MeasureUnit = (typeof UNITS)[number];

const LN10 = Math.log(10);

const ALIASES: Record<string, MeasureUnit> = {
  ln_ic50: 'ln_ic50_uM',
  ln_ic50_um: 'ln_ic50_uM',
  lnic50: 'ln_ic50_uM',
  log10_ic50_um: 'log10_ic50_uM',
  log_ic50_um: 'log10_ic50_uM',
  ic50_um: 'ic50_uM',
  ic50_nm: 'ic50_nM',
  ic50_m: 'ic50_M',
  pic50: 'pic50',
};

function unitKey(s: string): string {
  return s.trim().toLowerCase().replace(/µ|μ/g, 'u').replace(/[\s\-.()]+/g, '_').replace(/_+/g, '_').replace(/^_|_$/g, '');
}

/** The canonical unit for a name as written, or null when it is not one Strata converts. */
export function parseUnit(s: string): MeasureUnit | null {
  const k = unitKey(s);
  // "ic50" alone is ambiguous about the scale; only accept it with a scale.
  if (k === 'ic50') return null;
  return ALIASES[k] ?? null;
}

/** ln IC50 (µM) from a value in `unit`; null when the value is outside the unit's domain (≤ 0 concentrations, not finite). */
export function toLnIc50(value: number, unit: MeasureUnit): number | null {
  if (!Number.isFinite(value)) return null;
  switch (unit) {
    case 'ln_ic50_uM':
      return value;
    case 'log10_ic50_uM':
      return value * LN10;
    case 'ic50_uM':
      return value > 0 ? Math.log(value) : null;
    case 'ic50_nM':
      return value > 0 ? Math.log(value / 1000) : null;
    case 'ic50_M':
      return value > 0 ? Math.log(value * 1e6) : null;
    case 'pic50':
      return (6 - value) * LN10;
  }
}

/** The accepted units, for error messages. */
export function unitList(): string {
  return UNITS.join(', ');
}
