/**
 * The genotype catalogue: every binary feature of a panel with its kind, genes and prevalence,
 * plus the tissue and MSI labels with their counts. Built from the shipped reference panel
 * (GDSC v17) for `subgroups.catalogue`, and used by the rule parser to resolve names.
 */
import type { GenotypeCatalogue, GenotypeFeature } from '../api/contract.js';
import type { GenotypePanel } from './panel.js';
import { driverRank, tissueLabel } from './display.js';

export type FeatureKind = GenotypeFeature['kind'];

/**
 * Kind of a feature from its name, following GDSC's naming: `<GENE>_mut` for a coding mutation,
 * `gain_cnaPANCAN…` / `loss_cnaPANCAN…` for a recurrent copy-number gain / loss. A name that is
 * neither (a lab's own column) counts as a mutation-like binary marker.
 */
export function featureKind(name: string): FeatureKind {
  if (/^gain_/i.test(name)) return 'cna_gain';
  if (/^loss_/i.test(name)) return 'cna_loss';
  return 'mutation';
}

/**
 * Genes named by a feature. Mutations: the name without `_mut` (a fusion such as `BCR-ABL` stays one
 * entry, because `HLA-A` shows a hyphen can also be part of one gene symbol). Copy-number segments:
 * the comma-separated list in parentheses, e.g. `loss_cnaPANCAN144_(BNC2,CDKN2A,JAK2,PSIP1)`;
 * merged segments without a gene list (`loss_cnaPANCAN38, loss_cnaPANCAN39`) name no gene.
 */
export function featureGenes(name: string): string[] {
  const kind = featureKind(name);
  if (kind === 'mutation') return [name.replace(/_mut$/i, '')];
  const m = /\(([^)]*)\)\s*$/.exec(name);
  if (!m) return [];
  return m[1].split(',').map((g) => g.trim()).filter((g) => g.length > 0);
}

/**
 * Copy-number segment ids inside a CNA feature name: `gain_cnaPANCAN1_(CCNE1)` → [`gain_cnaPANCAN1`],
 * `loss_cnaPANCAN38, loss_cnaPANCAN39` → both. The rule parser accepts a segment id as a short
 * name for its feature.
 */
export function segmentIds(name: string): string[] {
  const out: string[] = [];
  for (const m of name.matchAll(/\b((?:gain|loss)_cna[A-Za-z]*\d+)/gi)) out.push(m[1]);
  return out;
}

/** Label the panels use for a sample without tissue / MSI information. */
export const UNKNOWN_LABEL = 'unknown';

function countLabels(values: readonly string[]): { name: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const v of values) {
    const key = v === '' ? UNKNOWN_LABEL : v;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  // Most frequent first; ties by name so the catalogue is stable across runs.
  return [...counts].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
}

/** Build the catalogue of a panel. Features keep the panel's column order. */
export function buildCatalogue(panel: GenotypePanel, name = panel.name): GenotypeCatalogue {
  const nS = panel.samples.length;
  const nF = panel.features.length;
  const counts = new Uint32Array(nF);
  for (let s = 0; s < nS; s++) {
    const row = s * nF;
    for (let f = 0; f < nF; f++) counts[f] += panel.matrix[row + f];
  }
  const features: GenotypeFeature[] = panel.features.map((f, i) => ({
    name: f,
    kind: featureKind(f),
    genes: featureGenes(f),
    prevalence: nS > 0 ? counts[i] / nS : 0,
    count: counts[i],
    driverRank: driverRank(f),
  }));
  return {
    panel: name,
    cellLines: nS,
    features,
    tissues: panel.hasTissue ? countLabels(panel.tissue).map((t) => ({ ...t, label: tissueLabel(t.name) })) : [],
    msi: panel.hasMsi ? countLabels(panel.msi) : [],
  };
}
