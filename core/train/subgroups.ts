/**
 * The fixed subgroups used to evaluate and calibrate the model: tissues and frequent driver mutations. (The
 * app's own subgroup rules live in core/subgroups; these are plain masks over the GDSC cell lines.)
 */
import type { GdscData } from './data.js';

/** Driver mutations reported per subgroup (those with ≥ minMembers mutant lines are used). */
export const MAJOR_MUTATIONS = ['TP53_mut', 'KRAS_mut', 'BRAF_mut', 'PIK3CA_mut', 'PTEN_mut', 'NRAS_mut', 'RB1_mut', 'NF1_mut', 'APC_mut', 'SMAD4_mut', 'EGFR_mut', 'CDKN2A_mut'];

export interface EvalSubgroup {
  name: string;
  kind: 'tissue' | 'mutation';
  /** 0/1 per cell line. */
  mask: Uint8Array;
  members: number;
}

export function evalSubgroups(data: GdscData, minMembers = 10): EvalSubgroup[] {
  const n = data.cellLines.cosmicIds.length;
  const F = data.genotype.features.length;
  const out: EvalSubgroup[] = [];
  const tissues = [...new Set(data.cellLines.tissue)].sort();
  for (const t of tissues) {
    const mask = Uint8Array.from(data.cellLines.tissue, (x) => (x === t ? 1 : 0));
    const members = mask.reduce((a, b) => a + b, 0);
    if (members >= minMembers) out.push({ name: `tissue ${t}`, kind: 'tissue', mask, members });
  }
  for (const f of MAJOR_MUTATIONS) {
    const j = data.genotype.features.findIndex((x) => x.name === f);
    if (j < 0) continue;
    const mask = new Uint8Array(n);
    for (let i = 0; i < n; i++) mask[i] = data.genotype.matrix[i * F + j];
    const members = mask.reduce((a, b) => a + b, 0);
    if (members >= minMembers) out.push({ name: f, kind: 'mutation', mask, members });
  }
  return out;
}

/**
 * Residuals of subgroup means: for every (drug, subgroup) with ≥ minPairs measured members, mean prediction
 * minus mean measurement over those members. Used to calibrate the interval of an aggregate.
 */
export function subgroupMeanResiduals(
  data: GdscData,
  pred: ArrayLike<number>,
  subgroups: EvalSubgroup[],
  pairFilter: (p: number) => boolean,
  minPairs = 5,
): number[] {
  const nD = data.drugs.length;
  const out: number[] = [];
  for (const sg of subgroups) {
    const sp = new Float64Array(nD);
    const sy = new Float64Array(nD);
    const cnt = new Int32Array(nD);
    for (let p = 0; p < data.pairs.y.length; p++) {
      if (!sg.mask[data.pairs.cell[p]] || !pairFilter(p)) continue;
      const d = data.pairs.drug[p];
      sp[d] += pred[p];
      sy[d] += data.pairs.y[p];
      cnt[d]++;
    }
    for (let d = 0; d < nD; d++) if (cnt[d] >= minPairs) out.push((sp[d] - sy[d]) / cnt[d]);
  }
  return out;
}
