/**
 * Compound queries in SQL: pages, counts, id streams, column loads, fingerprints, export rows. The
 * library (core/library/query.ts) decides what to ask; this file is the only place that says it in SQL.
 * Every read runs on the reader connection, so an id stream or a column load held open across awaits
 * never blocks a write (core/store/store.ts).
 */
import { ApiError } from '../api/errors.js';
import { DESCRIPTOR_TABLE_COLUMNS } from './schema.js';
import type { Store } from './store.js';

/** Where a column lives. Names are checked by the caller (core/library/columns.ts) before they get here. */
export type ColumnRef =
  | { kind: 'core'; field: 'id' | 'name' | 'display_name' | 'smiles' | 'heavy_atoms' | 'source_id' | 'record_no' | 'targets' | 'target_pathway' }
  | { kind: 'descriptor'; name: string }
  | { kind: 'property'; name: string; numeric: boolean };

export type FilterOp = '<' | '<=' | '>' | '>=' | '=' | '!=' | 'between' | 'is-null' | 'not-null' | 'contains';

export interface SqlFilter {
  ref: ColumnRef;
  op: FilterOp;
  /** Already of the column's type (number for numeric and flag columns, string for text). */
  value?: number | string;
  value2?: number;
}

export interface SqlQuery {
  filters: SqlFilter[];
  sort?: { ref: ColumnRef; dir: 'asc' | 'desc' };
  /** Token of a registered substructure hit set (store.hitSets). */
  hits?: number;
  /** Token of a registered similarity set, and the threshold. */
  similar?: { token: number; threshold: number };
  includeDuplicates: boolean;
  /** Quick search: case-insensitive substring of display name, external id, targets or any text property. */
  search?: string;
  /** Only structures in this hit list. */
  hitList?: number;
  /** Only structures carrying this tag. */
  tag?: string;
  /** Token of a registered id set: only these compounds (the selection, "show selected only"). */
  only?: number;
}

/**
 * SQLite joins at most 64 tables in one SELECT; each `prop:` column is one join. The cap leaves room
 * for the core tables and says so, instead of SQLite's "at most 64 tables in a join".
 */
export const MAX_PROPERTY_COLUMNS = 48;
/** Ids per `IN (…)` list: SQLite allows 32,766 variables per statement. */
export const IDS_PER_STATEMENT = 10_000;

const CORE_SQL = {
  id: 'c.id', name: 'c.name', display_name: 'c.display_name', smiles: 'c.smiles', heavy_atoms: 'c.heavy_atoms', source_id: 'c.source_id', record_no: 'c.record_no',
  targets: 'c.targets', target_pathway: 'c.target_pathway',
} as const;

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

interface Built {
  from: string;
  /** A cheaper FROM for counting: descriptors alone when nothing else is filtered on. */
  countFrom: string;
  where: string[];
  params: unknown[];
  orderBy: string;
  simSelect: string | null;
  /** SQL of the extra columns asked for (`build(q, select)`), in order. */
  select: string[];
  /** The compound id a row stands for: its own with duplicates listed, else the structure's (descriptor row's). */
  idSql: string;
}

function build(q: SqlQuery, extra: readonly ColumnRef[] = []): Built {
  const params: unknown[] = [];
  const joins: string[] = [];
  const aliases = new Map<string, string>();
  const where: string[] = [];
  const colSql = (ref: ColumnRef): string => {
    switch (ref.kind) {
      case 'core': return CORE_SQL[ref.field];
      case 'descriptor': return `d.${ident(ref.name)}`;
      case 'property': {
        let alias = aliases.get(ref.name);
        if (!alias) {
          alias = `p${aliases.size}`;
          if (aliases.size >= MAX_PROPERTY_COLUMNS) {
            throw new ApiError('INVALID_INPUT', `a query can use at most ${MAX_PROPERTY_COLUMNS} different prop: columns (SQLite joins at most 64 tables); narrow it in steps`);
          }
          aliases.set(ref.name, alias);
          // A structure row sees the field whichever of its records brought it (structure_props, migration 008);
          // with duplicates listed, each record shows its own.
          joins.push(q.includeDuplicates
            ? `LEFT JOIN properties ${alias} ON ${alias}.compound_id = c.id AND ${alias}.name = ${sqlString(ref.name)}`
            : `LEFT JOIN structure_props ${alias} ON ${alias}.structure_id = c.id AND ${alias}.name = ${sqlString(ref.name)}`);
        }
        return ref.numeric ? `${alias}.num` : `${alias}.value`;
      }
    }
  };
  // Descriptors are stored once per unique structure; a duplicate reads those of its first occurrence.
  let from = q.includeDuplicates
    ? 'compounds c JOIN descriptors d ON d.compound_id = coalesce(c.duplicate_of, c.id)'
    : 'descriptors d JOIN compounds c ON c.id = d.compound_id';
  // Without duplicates every row is a unique structure whose id is the descriptor row's key.
  const key = q.includeDuplicates ? 'coalesce(c.duplicate_of, c.id)' : 'd.compound_id';
  let needsCompounds = q.includeDuplicates;
  for (const f of q.filters) {
    const sql = colSql(f.ref);
    if (f.ref.kind !== 'descriptor') needsCompounds = true;
    where.push(filterSql(sql, f, params));
  }
  const searchWhere: string[] = [];
  if (q.search !== undefined && q.search.trim() !== '') {
    needsCompounds = true;
    // SQLite's LIKE is case-insensitive for ASCII; a property is text when it did not parse as a number.
    const like = `%${q.search.trim().replace(/[%_\\]/g, (m) => `\\${m}`)}%`;
    searchWhere.push(`(c.display_name LIKE ? ESCAPE '\\' OR c.name LIKE ? ESCAPE '\\' OR c.targets LIKE ? ESCAPE '\\'
      OR EXISTS (SELECT 1 FROM ${q.includeDuplicates ? 'properties ps WHERE ps.compound_id' : 'structure_props ps WHERE ps.structure_id'} = c.id AND ps.num IS NULL AND ps.value LIKE ? ESCAPE '\\'))`);
    params.push(like, like, like, like);
  }
  if (q.hitList !== undefined) {
    searchWhere.push(`EXISTS (SELECT 1 FROM hitlist_members hm WHERE hm.list_id = ? AND hm.compound_id = ${key})`);
    params.push(q.hitList);
  }
  if (q.tag !== undefined) {
    searchWhere.push(`EXISTS (SELECT 1 FROM compound_tags ct WHERE ct.tag = ? AND ct.compound_id = ${key})`);
    params.push(q.tag);
  }
  if (q.only !== undefined) {
    searchWhere.push(`strata_hit(?, ${q.includeDuplicates ? 'c.id' : 'd.compound_id'})`);
    params.push(q.only);
  }
  if (q.hits !== undefined) {
    searchWhere.push(`strata_hit(?, ${key})`);
    params.push(q.hits);
  }
  let orderBy = `${q.includeDuplicates ? 'c.id' : 'd.compound_id'} ASC`;
  let simSelect: string | null = null;
  if (q.similar) {
    searchWhere.push(`strata_sim(?, ${key}) >= ?`);
    params.push(q.similar.token, q.similar.threshold);
    simSelect = `strata_sim(${q.similar.token}, ${key})`;
    orderBy = `${simSelect} DESC, c.id ASC`;
  }
  if (q.sort) {
    const sql = colSql(q.sort.ref);
    const dir = q.sort.dir === 'desc' ? 'DESC' : 'ASC';
    orderBy = `${sql} ${dir}, c.id ${dir}`;
  }
  where.push(...searchWhere);
  const select = extra.map(colSql);
  from = `${from} ${joins.join(' ')}`;
  const countFrom = needsCompounds || joins.length ? from : 'descriptors d';
  return { from, countFrom, where, params, orderBy, simSelect, select, idSql: q.includeDuplicates ? 'c.id' : 'd.compound_id' };
}

function filterSql(sql: string, f: SqlFilter, params: unknown[]): string {
  switch (f.op) {
    case 'is-null': return `${sql} IS NULL`;
    case 'not-null': return `${sql} IS NOT NULL`;
    case 'between':
      params.push(f.value, f.value2);
      return `${sql} BETWEEN ? AND ?`;
    case 'contains':
      params.push(`%${String(f.value ?? '').replace(/[%_\\]/g, (m) => `\\${m}`)}%`);
      return `${sql} LIKE ? ESCAPE '\\'`;
    default:
      params.push(f.value);
      return `${sql} ${f.op} ?`;
  }
}

function whereClause(b: Built): string {
  return b.where.length ? `WHERE ${b.where.join(' AND ')}` : '';
}

export function descriptorSelect(): string {
  return DESCRIPTOR_TABLE_COLUMNS.map((c) => `d.${ident(c)}`).join(', ');
}

/** One page of compounds with every descriptor-table column (and `_sim` for a similarity query). */
export function compoundPage(store: Store, q: SqlQuery, limit: number, offset: number): Record<string, unknown>[] {
  const b = build(q);
  const sql = `SELECT c.id, c.name, c.display_name, c.smiles, c.duplicate_of, c.targets, c.target_pathway, ${descriptorSelect()}${b.simSelect ? `, ${b.simSelect} AS _sim` : ''}
    FROM ${b.from} ${whereClause(b)} ORDER BY ${b.orderBy} LIMIT ? OFFSET ?`;
  return store.reader.prepare(sql).all(...b.params, limit, offset) as Record<string, unknown>[];
}

export function compoundCount(store: Store, q: SqlQuery): number {
  const b = build(q);
  return (store.reader.prepare(`SELECT count(*) AS n FROM ${b.countFrom} ${whereClause(b)}`).get(...b.params) as { n: number }).n;
}

/** Ids of a query in its order, streamed from the reader connection. */
export function* compoundIds(store: Store, q: SqlQuery, limit?: number): Generator<number> {
  const b = build(q);
  const stmt = store.reader.prepare(`SELECT c.id FROM ${b.from} ${whereClause(b)} ORDER BY ${b.orderBy}${limit ? ` LIMIT ${Math.floor(limit)}` : ''}`).pluck();
  for (const id of stmt.iterate(...b.params)) yield id as number;
}

/**
 * Some compounds of a query's kind (with or without duplicates) and the given columns, as arrays:
 * `[id, duplicate_of, name, display_name, ...columns]`, in id order. The ids go to SQL in slices
 * under the variable limit (primary-key lookups, not a scan); the query's own filters and searches
 * apply too (none, when `ids` already are its sampled rows).
 */
export function compoundColumnRows(store: Store, q: SqlQuery, refs: readonly ColumnRef[], ids: readonly number[]): unknown[][] {
  return inSlices(ids, (slice, ph) => {
    const b = build(q, refs);
    const where = [...b.where, `${b.idSql} IN (${ph})`];
    return store.reader.prepare(`SELECT ${b.idSql}, c.duplicate_of, c.name, c.display_name${b.select.map((s) => `, ${s}`).join('')}
      FROM ${b.from} WHERE ${where.join(' AND ')} ORDER BY ${b.idSql} ASC`).raw().all(...b.params, ...slice) as unknown[][];
  });
}

/** Runs `fn` on slices of at most IDS_PER_STATEMENT ids, each with its `?,?,…` list. */
function inSlices<T>(ids: readonly number[], fn: (slice: readonly number[], ph: string) => T[]): T[] {
  const out: T[] = [];
  for (let s = 0; s < ids.length; s += IDS_PER_STATEMENT) {
    const slice = ids.slice(s, s + IDS_PER_STATEMENT);
    for (const r of fn(slice, slice.map(() => '?').join(','))) out.push(r);
  }
  return out;
}

export interface PropertyRow { compound_id: number; name: string; value: string; num: number | null }

/** The source-file fields of some compounds (any number of ids: sliced under SQLite's variable limit). */
export function propertiesOf(store: Store, ids: readonly number[]): PropertyRow[] {
  return inSlices(ids, (slice, ph) => store.reader.prepare(`SELECT compound_id, name, value, num FROM properties WHERE compound_id IN (${ph})`).all(...slice) as PropertyRow[]);
}

/** Property names with how many compounds carry each and how many of those are numeric. */
export function propertyStats(store: Store): { name: string; n: number; nn: number }[] {
  return store.reader.prepare('SELECT name, count(*) AS n, count(num) AS nn FROM properties GROUP BY name ORDER BY name').all() as { name: string; n: number; nn: number }[];
}

export function propertyNames(store: Store): string[] {
  return store.reader.prepare('SELECT DISTINCT name FROM properties ORDER BY name').pluck().all() as string[];
}

/** (compound id, value) of one descriptor-table column, every unique compound (a covering index is used where one exists). */
export function* descriptorColumnValues(store: Store, column: string): Generator<[number, number | null]> {
  if (!DESCRIPTOR_TABLE_COLUMNS.includes(column)) throw new ApiError('INVALID_INPUT', `not a descriptor column: '${column}'`);
  yield* store.reader.prepare(`SELECT compound_id, ${ident(column)} FROM descriptors`).raw().iterate() as Iterable<[number, number | null]>;
}

/** Highest descriptor-row id, and every id in row order. */
export function descriptorRowIds(store: Store): { maxId: number; ids: Iterable<number> } {
  const maxId = (store.reader.prepare('SELECT coalesce(max(compound_id), 0) FROM descriptors').pluck().get() as number) ?? 0;
  return { maxId, ids: store.reader.prepare('SELECT compound_id FROM descriptors').pluck().iterate() as Iterable<number> };
}

/** Morgan fingerprints of every unique compound, in id order. */
export function morganFingerprints(store: Store): { n: number; rows: Iterable<[number, Buffer]> } {
  const n = (store.reader.prepare('SELECT count(*) AS n FROM fingerprints').get() as { n: number }).n;
  return { n, rows: store.reader.prepare('SELECT compound_id, morgan FROM fingerprints ORDER BY compound_id').raw().iterate() as Iterable<[number, Buffer]> };
}

/** A compound's Morgan fingerprint (its first occurrence's for a duplicate), or undefined. */
export function morganOf(store: Store, compoundId: number): Buffer | undefined {
  const row = store.reader.prepare('SELECT f.morgan FROM compounds c JOIN fingerprints f ON f.compound_id = coalesce(c.duplicate_of, c.id) WHERE c.id = ?').get(compoundId) as { morgan: Buffer } | undefined;
  return row?.morgan;
}

export interface ExportRow {
  id: number;
  name: string | null;
  display_name: string | null;
  smiles: string;
  duplicate_of: number | null;
  source: string;
  record_no: number;
  targets: string | null;
  target_pathway: string | null;
  [k: string]: unknown;
}

/** Compounds with their source file name, record, declared mechanism and descriptors (of the first occurrence for a duplicate). */
export function exportRows(store: Store, ids: readonly number[]): ExportRow[] {
  const cols = descriptorSelect();
  return inSlices(ids, (slice, ph) => store.reader.prepare(`SELECT c.id, c.name, c.display_name, c.smiles, c.duplicate_of, s.name AS source, c.record_no, c.targets, c.target_pathway, ${cols}
      FROM compounds c JOIN sources s ON s.id = c.source_id LEFT JOIN descriptors d ON d.compound_id = coalesce(c.duplicate_of, c.id)
      WHERE c.id IN (${ph})`).all(...slice) as ExportRow[]);
}

/** Name and sha256 of every imported file, for provenance sidecars. */
export function sourceHashes(store: Store): { name: string; sha256: string }[] {
  return store.reader.prepare('SELECT name, sha256 FROM sources ORDER BY id').all() as { name: string; sha256: string }[];
}

/** Which descriptor-table columns have an index (a sort on the others is answered by a scan until the index job builds theirs). */
export function indexedDescriptorColumns(store: Store): Set<string> {
  const out = new Set<string>();
  for (const name of store.reader.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'descriptors' AND name LIKE 'descriptors\\_%' ESCAPE '\\'").pluck().all() as string[]) {
    out.add(name.slice('descriptors_'.length));
  }
  return out;
}

/** Creates the index a sort or filter on a descriptor-table column uses (a write: run through the queue by the index job). */
export function createDescriptorIndex(store: Store, column: string): Promise<void> {
  if (!DESCRIPTOR_TABLE_COLUMNS.includes(column)) return Promise.reject(new ApiError('INVALID_INPUT', `not a descriptor column: '${column}'`));
  return store.write((db) => {
    db.exec(`CREATE INDEX IF NOT EXISTS ${ident(`descriptors_${column}`)} ON descriptors(${ident(column)})`);
  });
}
