/**
 * The columns a user can show, sort and filter by, and how each maps onto SQL.
 * Keys: core columns (`id`, `name`, `smiles`, …), RDKit descriptor names, flags, and `prop:<name>`
 * for fields carried over from the source file.
 */
import type { ColumnInfo } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import type { Db } from '../store/db.js';
import { DESCRIPTOR_COLUMNS_V1, FLAG_COLUMNS_V1 } from '../store/migrations/001-initial.js';
import { ALERT_COLUMNS_V3 } from '../store/migrations/003-search-alerts.js';

/** Numeric columns of the `descriptors` table: RDKit descriptors, QED, Ro5 violations, alert counts. */
export const NUMERIC_COLUMNS: readonly string[] = [...DESCRIPTOR_COLUMNS_V1, ...ALERT_COLUMNS_V3];
/** Every column of the `descriptors` table except the key, in export order (columns added later go last). */
export const DESCRIPTOR_TABLE_COLUMNS: readonly string[] = [...DESCRIPTOR_COLUMNS_V1, ...FLAG_COLUMNS_V1, ...ALERT_COLUMNS_V3];

const DESCRIPTOR_LABELS: Record<string, [string, string?, string?]> = {
  exactmw: ['Exact MW', 'Da', 'monoisotopic mass'],
  amw: ['MW', 'Da', 'average molecular weight'],
  lipinskiHBA: ['HBA (Lipinski)', undefined, 'N + O count'],
  lipinskiHBD: ['HBD (Lipinski)', undefined, 'NH + OH count'],
  NumRotatableBonds: ['Rotatable bonds'],
  NumHBD: ['HBD', undefined, 'H-bond donors (RDKit definition)'],
  NumHBA: ['HBA', undefined, 'H-bond acceptors (RDKit definition)'],
  NumHeavyAtoms: ['Heavy atoms'],
  NumAtoms: ['Atoms', undefined, 'including hydrogens'],
  tpsa: ['TPSA', 'Å²', 'topological polar surface area (Ertl, N and O only)'],
  CrippenClogP: ['cLogP', undefined, 'Wildman–Crippen logP'],
  CrippenMR: ['MR', undefined, 'Wildman–Crippen molar refractivity'],
  labuteASA: ['Labute ASA', 'Å²'],
  FractionCSP3: ['Fsp3'],
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
  { key: 'name', label: 'Name', kind: 'core', type: 'text', description: 'identifier from the source file' },
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
const CORE_SQL: Record<string, string> = {
  id: 'c.id', name: 'c.name', smiles: 'c.smiles', heavy_atoms: 'c.heavy_atoms', source_id: 'c.source_id', record_no: 'c.record_no',
  targets: 'c.targets', target_pathway: 'c.target_pathway',
};

export const DESCRIPTOR_COLUMN_INFO: ColumnInfo[] = NUMERIC_COLUMNS.map((key) => {
  const [label, unit, description] = DESCRIPTOR_LABELS[key] ?? [key];
  return { key, label, kind: 'descriptor', type: 'number', unit, description };
});
export const FLAG_COLUMN_INFO: ColumnInfo[] = FLAG_COLUMNS_V1.map((key) => ({
  key, label: FLAG_LABELS[key][0], kind: 'flag', type: 'boolean', description: FLAG_LABELS[key][1],
}));

const DESCRIPTOR_SET = new Set<string>(DESCRIPTOR_TABLE_COLUMNS);

export interface ResolvedColumn {
  info: ColumnInfo;
  /** SQL expression, valid once `joins` are added. */
  sql: string;
  /** A property join this column needs, as [alias, property name]. */
  join?: [string, string];
}

/** Property names and types present in the project; cached by the caller, refreshed after imports. */
export function propertyColumns(db: Db): ColumnInfo[] {
  const rows = db.prepare('SELECT name, count(*) AS n, count(num) AS nn FROM properties GROUP BY name ORDER BY name').all() as { name: string; n: number; nn: number }[];
  return rows.map((r) => ({
    key: `prop:${r.name}`, label: r.name, kind: 'property', type: r.nn > 0 && r.nn >= 0.9 * r.n ? 'number' : 'text',
    description: `field from the source file (${r.n} compounds)`,
  }));
}

export class ColumnResolver {
  private props: Map<string, ColumnInfo>;
  private aliases = new Map<string, string>();
  constructor(propertyInfo: ColumnInfo[]) {
    this.props = new Map(propertyInfo.map((c) => [c.key, c]));
  }

  all(): ColumnInfo[] {
    return [...CORE_COLUMNS, ...MECHANISM_COLUMNS, ...DESCRIPTOR_COLUMN_INFO, ...FLAG_COLUMN_INFO, ...this.props.values()];
  }

  resolve(key: string): ResolvedColumn {
    if (key in CORE_SQL) return { info: [...CORE_COLUMNS, ...MECHANISM_COLUMNS].find((c) => c.key === key)!, sql: CORE_SQL[key] };
    if (DESCRIPTOR_SET.has(key)) {
      const info = [...DESCRIPTOR_COLUMN_INFO, ...FLAG_COLUMN_INFO].find((c) => c.key === key)!;
      return { info, sql: `d."${key}"` };
    }
    if (key.startsWith('prop:')) {
      const info = this.props.get(key) ?? { key, label: key.slice(5), kind: 'property' as const, type: 'text' as const };
      let alias = this.aliases.get(key);
      if (!alias) {
        alias = `p${this.aliases.size}`;
        this.aliases.set(key, alias);
      }
      return { info, sql: info.type === 'number' ? `${alias}.num` : `${alias}.value`, join: [alias, key.slice(5)] };
    }
    const known = this.all().map((c) => c.key);
    const near = known.filter((k) => k.toLowerCase().includes(key.toLowerCase()) || key.toLowerCase().includes(k.toLowerCase())).slice(0, 5);
    throw new ApiError('INVALID_INPUT', `unknown column '${key}'${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; see compounds.columns`);
  }
}
