/** Read-side of the project: summary, import report, provenance log, one compound in full. */
import type { CompoundDetail, ImportIssue, Page, ProjectInfo, SourceInfo } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import type { ChemPool } from '../chem/pool.js';
import type { Db } from '../store/db.js';
import { SCHEMA_VERSION } from '../store/migrations/index.js';
import { FLAG_COLUMNS_V1 } from '../store/migrations/001-initial.js';
import { APP_VERSION } from '../version.js';
import { alertsOf } from './alerts.js';
import { NUMERIC_COLUMNS } from './columns.js';
import { normalisePathway, splitTargets, unknownTargets } from '../mechanism/targets.js';

export function projectInfo(db: Db, path: string): ProjectInfo {
  const sources = (db.prepare('SELECT * FROM sources ORDER BY id').all() as Record<string, unknown>[]).map(toSource);
  const c = db.prepare('SELECT count(*) AS n, count(duplicate_of) AS dup FROM compounds').get() as { n: number; dup: number };
  const failed = (db.prepare("SELECT count(*) AS n FROM import_issues WHERE kind = 'failure'").get() as { n: number }).n;
  const subgroups = (db.prepare('SELECT count(*) AS n FROM subgroups').get() as { n: number }).n;
  const created = db.prepare("SELECT value FROM meta WHERE key = 'created_at'").pluck().get() as string | undefined;
  return {
    path, schemaVersion: SCHEMA_VERSION, compounds: c.n, unique: c.n - c.dup, duplicates: c.dup, failed, sources, subgroups,
    createdAt: created ?? '', appVersion: APP_VERSION,
  };
}

function toSource(r: Record<string, unknown>): SourceInfo {
  return {
    id: r.id as number, name: r.name as string, path: r.path as string, size: r.size as number, sha256: r.sha256 as string,
    format: r.format as string, importedAt: r.imported_at as string, status: r.status as SourceInfo['status'],
    read: r.n_read as number, imported: r.n_imported as number, duplicates: r.n_duplicates as number, failed: r.n_failed as number,
  };
}

export function importReport(db: Db, req: { offset: number; limit: number; sourceId?: number; search?: string; kind?: ImportIssue['kind'] }): Page<ImportIssue> {
  const t0 = performance.now();
  const where: string[] = [];
  const params: unknown[] = [];
  if (req.kind) {
    where.push('i.kind = ?');
    params.push(req.kind);
  }
  if (req.sourceId != null) {
    where.push('i.source_id = ?');
    params.push(req.sourceId);
  }
  if (req.search) {
    where.push("(i.reason LIKE ? ESCAPE '\\' OR s.name LIKE ? ESCAPE '\\' OR i.excerpt LIKE ? ESCAPE '\\')");
    const like = `%${req.search.replace(/[%_\\]/g, (m) => `\\${m}`)}%`;
    params.push(like, like, like);
  }
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const rows = db.prepare(`SELECT i.id, i.kind, i.source_id, s.name AS file, i.record_no, i.line, i.reason, i.excerpt FROM import_issues i JOIN sources s ON s.id = i.source_id ${w} ORDER BY i.source_id, i.record_no LIMIT ? OFFSET ?`)
    .all(...params, req.limit, req.offset) as { id: number; kind: ImportIssue['kind']; source_id: number; file: string; record_no: number; line: number | null; reason: string; excerpt: string | null }[];
  const total = (db.prepare(`SELECT count(*) AS n FROM import_issues i JOIN sources s ON s.id = i.source_id ${w}`).get(...params) as { n: number }).n;
  return {
    rows: rows.map((r) => ({ id: r.id, kind: r.kind, sourceId: r.source_id, file: r.file, record: r.record_no, line: r.line, reason: r.reason, excerpt: r.excerpt })),
    total, offset: req.offset, elapsedMs: performance.now() - t0,
  };
}

export function provenanceLog(db: Db, req: { offset: number; limit: number }) {
  const t0 = performance.now();
  const rows = (db.prepare('SELECT id, at, operation, params, result FROM provenance ORDER BY id DESC LIMIT ? OFFSET ?').all(req.limit, req.offset) as { id: number; at: string; operation: string; params: string; result: string | null }[])
    .map((r) => ({ id: r.id, at: r.at, operation: r.operation, params: JSON.parse(r.params) as unknown, result: r.result ? (JSON.parse(r.result) as unknown) : null }));
  const total = (db.prepare('SELECT count(*) AS n FROM provenance').get() as { n: number }).n;
  return { rows, total, offset: req.offset, elapsedMs: performance.now() - t0 };
}

export async function compoundDetail(db: Db, pool: ChemPool, id: number): Promise<CompoundDetail> {
  const c = db.prepare(`SELECT c.*, s.name AS file FROM compounds c JOIN sources s ON s.id = c.source_id WHERE c.id = ?`).get(id) as Record<string, unknown> | undefined;
  if (!c) throw new ApiError('NOT_FOUND', `no compound with id ${id}`);
  const descId = (c.duplicate_of as number | null) ?? id;
  const d = (db.prepare('SELECT * FROM descriptors WHERE compound_id = ?').get(descId) ?? {}) as Record<string, number | null>;
  const descriptors: Record<string, number | null> = {};
  for (const k of NUMERIC_COLUMNS) descriptors[k] = d[k] ?? null;
  const flags: Record<string, boolean | null> = {};
  for (const k of FLAG_COLUMNS_V1) flags[k] = d[k] == null ? null : d[k] === 1;
  const alerts = d.pains_alerts == null ? null
    : (alertsOf(db, [descId]).get(descId) ?? []);
  const properties: Record<string, string> = {};
  for (const p of db.prepare('SELECT name, value FROM properties WHERE compound_id = ? ORDER BY name').all(id) as { name: string; value: string }[]) properties[p.name] = p.value;
  const duplicates = db.prepare('SELECT id FROM compounds WHERE duplicate_of = ? ORDER BY id').pluck().all(descId) as number[];
  const svg = await pool.depict(c.smiles as string, { width: 360, height: 280 });
  // The mechanism of the structure: a duplicate shows (and screening uses) its first occurrence's.
  const mech = (descId === id ? c : db.prepare('SELECT targets, target_pathway FROM compounds WHERE id = ?').get(descId)) as { targets: string | null; target_pathway: string | null };
  const targets = mech.targets ?? null;
  const targetPathway = mech.target_pathway ?? null;
  return {
    id, name: (c.name as string | null) ?? null, smiles: c.smiles as string, originalSmiles: c.original_smiles as string,
    standardisation: (c.standardisation as string) ? (c.standardisation as string).split('; ') : [],
    source: { id: c.source_id as number, file: c.file as string, record: c.record_no as number, line: (c.line as number | null) ?? null },
    duplicateOf: (c.duplicate_of as number | null) ?? null, duplicates: duplicates.filter((x) => x !== id), descriptors, flags, alerts, properties,
    targets, targetPathway, unknownTargets: unknownTargets(splitTargets(targets)), pathwayKnown: targetPathway ? normalisePathway(targetPathway).known : null, svg,
  };
}
