/** Read-side of the project: summary, import report, provenance log, one compound in full. */
import type { CompoundDetail, ImportIssue, Page, ProjectInfo, SourceInfo } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import type { ChemPool } from '../chem/pool.js';
import { mechanismOf } from '../store/mechanism.js';
import { hitListsOf, structureFields, tagsOf } from '../store/worklists.js';
import { compoundProperties, compoundWithSource, descriptorRow, duplicatesOf, importIssues, projectCounts, provenanceRows } from '../store/project.js';
import type { SourceRecord } from '../store/project.js';
import { FLAG_COLUMNS, SCHEMA_VERSION } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { APP_VERSION } from '../version.js';
import { alertsOf } from './alerts.js';
import { NUMERIC_COLUMNS } from './columns.js';
import { normalisePathway, splitTargets, unknownTargets } from '../mechanism/targets.js';

export function projectInfo(store: Store, path: string): ProjectInfo {
  const c = projectCounts(store);
  return {
    path, schemaVersion: SCHEMA_VERSION, compounds: c.compounds, unique: c.compounds - c.duplicates, duplicates: c.duplicates, failed: c.failed,
    sources: c.sources.map(toSource), subgroups: c.subgroups, createdAt: c.createdAt, appVersion: APP_VERSION, encrypted: store.encrypted,
    ...(store.readOnly ? { readOnly: store.readOnlyReason ?? 'read-only' } : {}),
  };
}

function toSource(r: SourceRecord): SourceInfo {
  return {
    id: r.id, name: r.name, path: r.path, size: r.size, sha256: r.sha256,
    format: r.format, importedAt: r.imported_at, status: r.status as SourceInfo['status'],
    read: r.n_read, imported: r.n_imported, duplicates: r.n_duplicates, failed: r.n_failed,
  };
}

export function importReport(store: Store, req: { offset: number; limit: number; sourceId?: number; search?: string; kind?: ImportIssue['kind'] }): Page<ImportIssue> {
  const t0 = performance.now();
  const { rows, total } = importIssues(store, req);
  return {
    rows: rows.map((r) => ({ id: r.id, kind: r.kind, sourceId: r.source_id, file: r.file, record: r.record_no, line: r.line, reason: r.reason, excerpt: r.excerpt })),
    total, offset: req.offset, elapsedMs: performance.now() - t0,
  };
}

export function provenanceLog(store: Store, req: { offset: number; limit: number }) {
  const t0 = performance.now();
  const page = provenanceRows(store, req);
  const total = page.total;
  const rows = page.rows
    .map((r) => ({ id: r.id, at: r.at, operation: r.operation, params: JSON.parse(r.params) as unknown, result: r.result ? (JSON.parse(r.result) as unknown) : null }));
  return { rows, total, offset: req.offset, elapsedMs: performance.now() - t0 };
}

export async function compoundDetail(store: Store, pool: ChemPool, id: number): Promise<CompoundDetail> {
  const c = compoundWithSource(store, id);
  if (!c) throw new ApiError('NOT_FOUND', `no compound with id ${id}`);
  const descId = (c.duplicate_of as number | null) ?? id;
  const d = descriptorRow(store, descId) ?? {};
  const descriptors: Record<string, number | null> = {};
  for (const k of NUMERIC_COLUMNS) descriptors[k] = d[k] ?? null;
  const flags: Record<string, boolean | null> = {};
  for (const k of FLAG_COLUMNS) flags[k] = d[k] == null ? null : d[k] === 1;
  const alerts = d.pains_alerts == null ? null
    : (alertsOf(store, [descId]).get(descId) ?? []);
  const properties: Record<string, string> = {};
  for (const p of compoundProperties(store, id)) properties[p.name] = p.value;
  const duplicates = duplicatesOf(store, descId);
  const [svg, ids] = await Promise.all([
    pool.depict(c.smiles as string, { width: 360, height: 280 }),
    pool.identifiers(c.smiles as string).catch(() => ({ formula: null, inchi: null, inchiKey: null })),
  ]);
  // The mechanism of the structure: a duplicate shows (and screening uses) its first occurrence's.
  const mech = (descId === id ? c : mechanismOf(store, [descId]).get(descId)) as { targets: string | null; target_pathway: string | null };
  const targets = mech.targets ?? null;
  const targetPathway = mech.target_pathway ?? null;
  // A record without a name of its own shows its structure's (the first occurrence's, filled from any duplicate at import).
  const displayName = (c.display_name as string | null) ?? (descId !== id ? ((compoundWithSource(store, descId)?.display_name as string | null) ?? null) : null);
  return {
    id, name: (c.name as string | null) ?? null, displayName, smiles: c.smiles as string, originalSmiles: c.original_smiles as string,
    standardisation: (c.standardisation as string) ? (c.standardisation as string).split('; ') : [],
    source: { id: c.source_id as number, file: c.file as string, record: c.record_no as number, line: (c.line as number | null) ?? null },
    duplicateOf: (c.duplicate_of as number | null) ?? null, duplicates: duplicates.filter((x) => x !== id), descriptors, flags, alerts, properties,
    targets, targetPathway, unknownTargets: unknownTargets(splitTargets(targets)), pathwayKnown: targetPathway ? normalisePathway(targetPathway).known : null,
    fields: structureFields(store, descId).map((f) => ({ name: f.name, value: f.value, compoundId: f.compound_id, file: f.file, record: f.record_no, shown: f.shown === 1 })),
    tags: tagsOf(store, descId), hitLists: hitListsOf(store, descId), svg,
    formula: ids.formula, inchi: ids.inchi, inchiKey: ids.inchiKey,
  };
}
