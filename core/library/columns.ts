/**
 * The columns a user can show, sort and filter by, and how each maps onto SQL.
 * Keys: core columns (`id`, `name`, `smiles`, …), RDKit descriptor names, flags, and `prop:<name>`
 * for fields carried over from the source file.
 */
import type { ColumnInfo } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import { propertyStats } from '../store/compounds.js';
import type { ColumnRef } from '../store/compounds.js';
import { DESCRIPTOR_TABLE_COLUMNS, FLAG_COLUMNS, isDescriptorTableColumn, NUMERIC_COLUMNS } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { RDKIT_DESCRIPTOR_NAMES } from '../chem/types.js';

export { DESCRIPTOR_TABLE_COLUMNS, NUMERIC_COLUMNS };

/** Readable name, unit and description per descriptor column (the column key is appended to the description below). */
const DESCRIPTOR_LABELS: Record<string, [string, string?, string?]> = {
  exactmw: ['Exact mass', 'Da', 'monoisotopic mass'],
  amw: ['Molecular weight', 'Da', 'average molecular weight'],
  lipinskiHBA: ['H-bond acceptors (Lipinski)', undefined, 'N + O count (Lipinski\'s definition)'],
  lipinskiHBD: ['H-bond donors (Lipinski)', undefined, 'NH + OH count (Lipinski\'s definition)'],
  NumRotatableBonds: ['Rotatable bonds', undefined, 'rotatable bonds (RDKit default: strict)'],
  NumHBD: ['H-bond donors', undefined, 'H-bond donors (RDKit definition)'],
  NumHBA: ['H-bond acceptors', undefined, 'H-bond acceptors (RDKit definition)'],
  NumHeavyAtoms: ['Heavy atoms', undefined, 'non-hydrogen atoms'],
  NumAtoms: ['Atoms', undefined, 'including hydrogens'],
  NumHeteroatoms: ['Heteroatoms', undefined, 'atoms other than C and H'],
  NumAmideBonds: ['Amide bonds'],
  FractionCSP3: ['Fraction sp3 carbons (Fsp3)', undefined, 'sp3 carbons / all carbons, 0..1'],
  NumRings: ['Rings', undefined, 'smallest set of smallest rings'],
  NumAromaticRings: ['Aromatic rings'],
  NumAliphaticRings: ['Aliphatic rings'],
  NumSaturatedRings: ['Saturated rings'],
  NumHeterocycles: ['Heterocycles'],
  NumAromaticHeterocycles: ['Aromatic heterocycles'],
  NumSaturatedHeterocycles: ['Saturated heterocycles'],
  NumAliphaticHeterocycles: ['Aliphatic heterocycles'],
  NumSpiroAtoms: ['Spiro atoms'],
  NumBridgeheadAtoms: ['Bridgehead atoms'],
  NumAtomStereoCenters: ['Stereocentres', undefined, 'tetrahedral stereocentres, assigned or not'],
  NumUnspecifiedAtomStereoCenters: ['Unassigned stereocentres', undefined, 'stereocentres without a specified configuration'],
  labuteASA: ['Labute ASA', 'Å²', 'approximate surface area (Labute 2000)'],
  tpsa: ['TPSA', 'Å²', 'topological polar surface area (Ertl, N and O only)'],
  CrippenClogP: ['cLogP (Crippen)', undefined, 'Wildman–Crippen logP (octanol/water, log10)'],
  CrippenMR: ['Molar refractivity (Crippen)', undefined, 'Wildman–Crippen molar refractivity'],
  chi0v: ['Chi0v connectivity index', undefined, 'Kier–Hall valence connectivity index, order 0'],
  chi1v: ['Chi1v connectivity index', undefined, 'Kier–Hall valence connectivity index, order 1'],
  chi2v: ['Chi2v connectivity index', undefined, 'Kier–Hall valence connectivity index, order 2'],
  chi3v: ['Chi3v connectivity index', undefined, 'Kier–Hall valence connectivity index, order 3'],
  chi4v: ['Chi4v connectivity index', undefined, 'Kier–Hall valence connectivity index, order 4'],
  chi0n: ['Chi0n connectivity index', undefined, 'Kier–Hall connectivity index (valence, H-suppressed), order 0'],
  chi1n: ['Chi1n connectivity index', undefined, 'Kier–Hall connectivity index (valence, H-suppressed), order 1'],
  chi2n: ['Chi2n connectivity index', undefined, 'Kier–Hall connectivity index (valence, H-suppressed), order 2'],
  chi3n: ['Chi3n connectivity index', undefined, 'Kier–Hall connectivity index (valence, H-suppressed), order 3'],
  chi4n: ['Chi4n connectivity index', undefined, 'Kier–Hall connectivity index (valence, H-suppressed), order 4'],
  hallKierAlpha: ['Hall–Kier alpha', undefined, 'Hall–Kier shape correction for atom sizes'],
  kappa1: ['Kier shape κ1', undefined, 'Kier first-order shape index'],
  kappa2: ['Kier shape κ2', undefined, 'Kier second-order shape index'],
  kappa3: ['Kier shape κ3', undefined, 'Kier third-order shape index'],
  Phi: ['Kier flexibility Φ', undefined, 'Kier molecular flexibility index, κ1·κ2 / heavy atoms'],
  QED: ['QED', undefined, 'quantitative estimate of drug-likeness (Bickerton 2012, RDKit definition), 0..1'],
  lipinski_violations: ['Ro5 violations', undefined, 'MW > 500, cLogP > 5, HBD > 5, HBA > 10 (HBD/HBA as RDKit NumHBD/NumHBA)'],
  pains_alerts: ['PAINS alerts', undefined, 'number of PAINS substructure filters (Baell & Holloway 2010, RDKit FilterCatalog A/B/C) the parent matches'],
};
const FLAG_LABELS: Record<string, [string, string]> = {
  lipinski_pass: ['Lipinski', 'at most one rule-of-five violation'],
  veber_pass: ['Veber', 'rotatable bonds ≤ 10 and TPSA ≤ 140 Å²'],
};

export const CORE_COLUMNS: ColumnInfo[] = [
  { key: 'id', label: 'ID', kind: 'core', type: 'number', description: 'compound id in this project' },
  { key: 'display_name', label: 'Name', kind: 'core', type: 'text', description: 'compound name from the source file (pref_name, name, … column or SDF field)' },
  { key: 'name', label: 'External ID', kind: 'core', type: 'text', description: 'identifier from the source file (id column or SDF title)' },
  { key: 'smiles', label: 'SMILES', kind: 'core', type: 'text', description: 'canonical SMILES of the standardised parent' },
  { key: 'heavy_atoms', label: 'Heavy atoms (parent)', kind: 'core', type: 'number' },
  { key: 'source_id', label: 'Source', kind: 'core', type: 'number' },
  { key: 'record_no', label: 'Record', kind: 'core', type: 'number', description: 'record number in the source file' },
];
/** The declared mechanism (core/library/mechanism.ts), text columns of `compounds`. */
export const MECHANISM_COLUMNS: ColumnInfo[] = [
  { key: 'targets', label: 'Targets', kind: 'core', type: 'text', description: 'declared targets (normalised, comma-separated)' },
  { key: 'target_pathway', label: 'Target pathway', kind: 'core', type: 'text', description: 'declared target pathway (the training drugs\' vocabulary where it matches)' },
];
// Maps, not object literals: a column named `constructor` or `__proto__` must not find Object's members.
const CORE_BY_KEY = new Map([...CORE_COLUMNS, ...MECHANISM_COLUMNS].map((c) => [c.key, c]));

const RDKIT_NAMES: ReadonlySet<string> = new Set(RDKIT_DESCRIPTOR_NAMES);

export const DESCRIPTOR_COLUMN_INFO: ColumnInfo[] = NUMERIC_COLUMNS.map((key) => {
  const [label, unit, description] = Object.hasOwn(DESCRIPTOR_LABELS, key) ? DESCRIPTOR_LABELS[key] : [key];
  // The column's key (what filters and exports use) closes every description: RDKit's name for RDKit's
  // descriptors; QED, Ro5 violations and the alert count are Strata's own columns, named as such.
  const name = RDKIT_NAMES.has(key) ? `RDKit: ${key}` : `column: ${key}`;
  return { key, label, kind: 'descriptor', type: 'number', unit, description: description ? `${description} (${name})` : name };
});
export const FLAG_COLUMN_INFO: ColumnInfo[] = FLAG_COLUMNS.map((key) => ({
  key, label: FLAG_LABELS[key][0], kind: 'flag', type: 'boolean', description: FLAG_LABELS[key][1],
}));

const DESCRIPTOR_INFO = new Map([...DESCRIPTOR_COLUMN_INFO, ...FLAG_COLUMN_INFO].map((c) => [c.key, c]));

export interface ResolvedColumn {
  info: ColumnInfo;
  /** Where the column lives (core/store/compounds.ts turns it into SQL). */
  ref: ColumnRef;
}

/** Property names and types present in the project; cached by the caller, refreshed after imports. */
export function propertyColumns(store: Store): ColumnInfo[] {
  const rows = propertyStats(store);
  return rows.map((r) => ({
    key: `prop:${r.name}`, label: r.name, kind: 'property', type: r.nn > 0 && r.nn >= 0.9 * r.n ? 'number' : 'text',
    description: `field from the source file (${r.n} compounds)`,
  }));
}

export class ColumnResolver {
  private props: Map<string, ColumnInfo>;
  constructor(propertyInfo: ColumnInfo[]) {
    this.props = new Map(propertyInfo.map((c) => [c.key, c]));
  }

  all(): ColumnInfo[] {
    return [...CORE_COLUMNS, ...MECHANISM_COLUMNS, ...DESCRIPTOR_COLUMN_INFO, ...FLAG_COLUMN_INFO, ...this.props.values()];
  }

  resolve(key: string): ResolvedColumn {
    const core = CORE_BY_KEY.get(key);
    if (core) return { info: core, ref: { kind: 'core', field: key as 'id' } };
    if (isDescriptorTableColumn(key)) return { info: DESCRIPTOR_INFO.get(key)!, ref: { kind: 'descriptor', name: key } };
    if (key.startsWith('prop:') && key.length > 5) {
      const info = this.props.get(key) ?? { key, label: key.slice(5), kind: 'property' as const, type: 'text' as const };
      return { info, ref: { kind: 'property', name: key.slice(5), numeric: info.type === 'number' } };
    }
    const known = this.all().map((c) => c.key);
    const near = known.filter((k) => k.toLowerCase().includes(key.toLowerCase()) || key.toLowerCase().includes(k.toLowerCase())).slice(0, 5);
    throw new ApiError('INVALID_INPUT', `unknown column '${key}'${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; see compounds.columns`);
  }
}
