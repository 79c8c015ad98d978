/**
 * How the genotype catalogue is presented: a curated list of cancer driver genes shown first, readable
 * names for the reference panel's tissue labels, and preset subgroups (common driver × tissue pairs).
 * Presentation only: rules keep the panel's own names (`tissue=large_intestine`, `KRAS_mut`).
 */

/**
 * Driver genes shown first in the catalogue, in this order. A short, hand-picked list of the genes most often
 * mutated in the cancers the GDSC panel covers and with approved or late-stage targeted therapy or a
 * well-established prognostic role: COSMIC Cancer Gene Census tier 1 (cancer.sanger.ac.uk/census, v99)
 * intersected with the most frequent drivers of the TCGA pan-cancer analysis (Bailey et al., Cell 2018,
 * 173:371, table S1), ordered roughly by pan-cancer frequency within actionable oncogenes, then tumour
 * suppressors. Only `<GENE>_mut` features of the panel are matched.
 */
export const DRIVER_GENES: readonly string[] = [
  'BRAF', 'KRAS', 'NRAS', 'HRAS', 'EGFR', 'ERBB2', 'PIK3CA', 'ALK', 'MET', 'KIT', 'FLT3', 'IDH1', 'CTNNB1',
  'TP53', 'PTEN', 'APC', 'CDKN2A', 'RB1', 'SMAD4', 'STK11', 'KEAP1', 'NF1', 'ARID1A', 'FBXW7', 'BRCA1', 'BRCA2', 'ATM', 'VHL', 'SMARCA4', 'NOTCH1',
];
const DRIVER_RANK = new Map(DRIVER_GENES.map((g, i) => [g, i]));

/** Position of a feature in the driver list (0 = first), null when it is not a curated driver mutation. */
export function driverRank(featureName: string): number | null {
  const m = /^(.+)_mut$/i.exec(featureName);
  return m ? (DRIVER_RANK.get(m[1].toUpperCase()) ?? null) : null;
}

/** The reference panel's (GDSC v17 TISSUE_FACTOR) tissue labels as a person reads them. */
const TISSUE_LABELS: Record<string, string> = {
  aero_dig_tract: 'Upper aerodigestive tract',
  bone: 'Bone',
  breast: 'Breast',
  digestive_system: 'Digestive system',
  kidney: 'Kidney',
  large_intestine: 'Large intestine',
  leukemia: 'Leukaemia',
  lung: 'Lung (other)',
  lung_NSCLC: 'Lung (NSCLC)',
  lung_SCLC: 'Lung (SCLC)',
  lymphoma: 'Lymphoma',
  myeloma: 'Myeloma',
  nervous_system: 'Nervous system',
  neuroblastoma: 'Neuroblastoma',
  pancreas: 'Pancreas',
  skin: 'Skin',
  soft_tissue: 'Soft tissue',
  thyroid: 'Thyroid',
  urogenital_system: 'Urogenital system',
  unknown: 'Unknown',
};

/** A tissue label for display: the curated name, else the label with underscores as spaces and a capital first letter. */
export function tissueLabel(name: string): string {
  if (Object.hasOwn(TISSUE_LABELS, name)) return TISSUE_LABELS[name];
  const s = name.replace(/_/g, ' ').trim();
  return s ? s[0].toUpperCase() + s.slice(1) : name;
}

/** Preset subgroups: a driver mutation in the tissue where it is a recognised therapeutic target. */
export const PRESET_SUBGROUPS: readonly { name: string; rule: string; note: string }[] = [
  { name: 'BRAF-mutant melanoma', rule: 'BRAF_mut AND tissue=skin', note: 'BRAF V600 inhibitors (vemurafenib, dabrafenib)' },
  { name: 'BRAF-mutant colorectal', rule: 'BRAF_mut AND tissue=large_intestine', note: 'encorafenib + cetuximab' },
  { name: 'KRAS-mutant colorectal', rule: 'KRAS_mut AND tissue=large_intestine', note: 'anti-EGFR antibodies excluded' },
  { name: 'KRAS-mutant pancreas', rule: 'KRAS_mut AND tissue=pancreas', note: 'most pancreatic adenocarcinomas' },
  { name: 'KRAS-mutant NSCLC', rule: 'KRAS_mut AND tissue=lung_NSCLC', note: 'KRAS G12C inhibitors (sotorasib)' },
  { name: 'EGFR-mutant NSCLC', rule: 'EGFR_mut AND tissue=lung_NSCLC', note: 'EGFR inhibitors (gefitinib, osimertinib)' },
  { name: 'NRAS-mutant melanoma', rule: 'NRAS_mut AND tissue=skin', note: 'MEK inhibitors' },
  { name: 'PIK3CA-mutant breast', rule: 'PIK3CA_mut AND tissue=breast', note: 'alpelisib' },
  { name: 'TP53 wild-type', rule: 'NOT TP53_mut', note: 'MDM2 inhibitors need wild-type p53' },
  { name: 'MSI-high colorectal', rule: 'msi=MSI-H AND tissue=large_intestine', note: 'checkpoint inhibitors' },
];
