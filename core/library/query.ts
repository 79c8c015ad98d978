/**
 * Paging through compounds: sort and filter by any column, substructure (SMARTS) and similarity
 * search. Sorting uses an index on the column (created on first use for columns that have none),
 * so the first page of a 1M-compound project comes back in milliseconds.
 */
import type { CompoundQuery, CompoundRow, Filter, Page, PageRequest } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import type { ChemPool } from '../chem/pool.js';
import { bulkTanimoto } from '../chem/similarity.js';
import { FP_BYTES } from '../chem/types.js';
import type { Db } from '../store/db.js';
import { loadScreenIndex, searchSubstructure } from './substructure.js';
import { ensureAlerts } from './alerts.js';
import type { ScreenIndex } from './substructure.js';
import { FLAG_COLUMNS_V1 } from '../store/migrations/001-initial.js';
import { DESCRIPTOR_TABLE_COLUMNS, NUMERIC_COLUMNS } from './columns.js';
import type { ColumnResolver } from './columns.js';

export interface QueryContext {
  db: Db;
  /** Started on first use: paging, sorting and filtering never wait for the chemistry workers. */
  pool: () => Promise<ChemPool>;
  columns(): ColumnResolver;
  cache: SearchCache;
  signal?: AbortSignal;
}

/** In-memory caches for the expensive searches, invalidated whenever compounds change. */
export class SearchCache {
  fps: { ids: Int32Array; fps: Uint8Array } | null = null;
  /** Screen fingerprints and SMILES of the unique compounds, for substructure search (loading or loaded). */
  screen: Promise<ScreenIndex> | null = null;
  /** Hit ids per SMARTS. */
  substructure = new Map<string, Int32Array>();
  tempKey = { sub: '', sim: '' };
  indexed = new Set<string>();
  /** Descriptor-table columns as arrays (for counting filters in memory), in row order. */
  columns = new Map<string, Float64Array>();
  rowPos: { n: number; of: Int32Array } | null = null;
  /** Every compound's structural alerts computed (older projects compute them on first use): one shared run. */
  alerts: Promise<void> | null = null;
  /** Bumped by every invalidation: a search that started before a change must not cache its result. */
  generation = 0;
  /** Row counts per query (filters and searches, not sort or page): paging must not recount. */
  totals = new Map<string, number>();
  invalidate(): void {
    this.fps = null;
    this.screen = null;
    this.totals.clear();
    this.alerts = null;
    this.generation++;
    this.columns.clear();
    this.rowPos = null;
    this.substructure.clear();
    this.tempKey = { sub: '', sim: '' };
  }
}

interface Built {
  from: string;
  /** A cheaper FROM for counting: descriptors alone when nothing else is filtered on. */
  countFrom: string;
  countKey: string;
  where: string[];
  params: unknown[];
  orderBy: string;
  /** The query's filters, when every one is on a descriptor-table column and nothing else narrows the rows (counted in memory). */
  columnFilters: Filter[] | null;
}

export function descriptorSelect(): string {
  return DESCRIPTOR_TABLE_COLUMNS.map((c) => `d."${c}"`).join(', ');
}

function filterSql(sql: string, f: Filter, params: unknown[], type: string): string {
  const v = type === 'boolean' && typeof f.value === 'boolean' ? (f.value ? 1 : 0) : f.value;
  const need = () => {
    if (v === undefined) throw new ApiError('INVALID_INPUT', `filter on '${f.column}' with '${f.op}' needs a value`);
    params.push(v);
  };
  switch (f.op) {
    case 'is-null': return `${sql} IS NULL`;
    case 'not-null': return `${sql} IS NOT NULL`;
    case 'between':
      if (typeof f.value !== 'number' || typeof f.value2 !== 'number') throw new ApiError('INVALID_INPUT', `'between' on '${f.column}' needs numeric value and value2`);
      params.push(f.value, f.value2);
      return `${sql} BETWEEN ? AND ?`;
    case 'contains':
      params.push(`%${String(f.value ?? '').replace(/[%_\\]/g, (m) => `\\${m}`)}%`);
      return `${sql} LIKE ? ESCAPE '\\'`;
    default:
      need();
      return `${sql} ${f.op} ?`;
  }
}

function ensureIndex(ctx: QueryContext, column: string): void {
  if (ctx.cache.indexed.has(column)) return;
  if (DESCRIPTOR_TABLE_COLUMNS.includes(column)) {
    ctx.db.exec(`CREATE INDEX IF NOT EXISTS "descriptors_${column}" ON descriptors("${column}")`);
  }
  ctx.cache.indexed.add(column);
}

async function buildQuery(ctx: QueryContext, q: CompoundQuery): Promise<Built> {
  const resolver = ctx.columns();
  if ([...(q.filters ?? []).map((f) => f.column), q.sort?.column].includes('pains_alerts')) await alertsComputed(ctx);
  const params: unknown[] = [];
  const joins: string[] = [];
  const joined = new Set<string>();
  const where: string[] = [];
  const addJoin = (j?: [string, string]) => {
    if (!j || joined.has(j[0])) return;
    joined.add(j[0]);
    joins.push(`LEFT JOIN properties ${j[0]} ON ${j[0]}.compound_id = c.id AND ${j[0]}.name = ${sqlString(j[1])}`);
  };
  // Descriptors are stored once per unique structure; a duplicate reads those of its first occurrence.
  let from = q.includeDuplicates
    ? 'compounds c JOIN descriptors d ON d.compound_id = coalesce(c.duplicate_of, c.id)'
    : 'descriptors d JOIN compounds c ON c.id = d.compound_id';
  // Without duplicates every row is a unique structure whose id is the descriptor row's key.
  const key = q.includeDuplicates ? 'coalesce(c.duplicate_of, c.id)' : 'd.compound_id';
  let needsCompounds = !!q.includeDuplicates;
  let searchJoins = '';

  for (const f of q.filters ?? []) {
    const col = resolver.resolve(f.column);
    addJoin(col.join);
    if (col.info.kind === 'descriptor' || col.info.kind === 'flag') ensureIndex(ctx, f.column);
    else needsCompounds = true;
    where.push(filterSql(col.sql, f, params, col.info.type));
  }
  if (q.substructure) {
    await ensureSubstructureTemp(ctx, q.substructure);
    searchJoins += ` JOIN temp.q_sub qs ON qs.id = ${key}`;
  }
  let orderBy = `${q.includeDuplicates ? 'c.id' : 'd.compound_id'} ASC`;
  if (q.similarTo) {
    await ensureSimilarityTemp(ctx, q.similarTo);
    searchJoins += ` JOIN temp.q_sim qm ON qm.id = ${key}`;
    where.push('qm.sim >= ?');
    params.push(q.similarTo.threshold);
    orderBy = 'qm.sim DESC, c.id ASC';
  }
  if (q.sort) {
    const col = resolver.resolve(q.sort.column);
    addJoin(col.join);
    if (col.info.kind === 'descriptor' || col.info.kind === 'flag') ensureIndex(ctx, q.sort.column);
    orderBy = `${col.sql} ${q.sort.dir === 'desc' ? 'DESC' : 'ASC'}, c.id ${q.sort.dir === 'desc' ? 'DESC' : 'ASC'}`;
  }
  from += searchJoins;
  const countFrom = needsCompounds || joins.length ? `${from} ${joins.join(' ')}` : `descriptors d${searchJoins}`;
  const countKey = JSON.stringify([q.filters ?? [], q.substructure ?? null, q.similarTo ?? null, !!q.includeDuplicates]);
  const simple = !q.includeDuplicates && !q.substructure && !q.similarTo && (q.filters ?? []).length > 0
    && (q.filters ?? []).every((f) => DESCRIPTOR_TABLE_COLUMNS.includes(f.column) && f.op !== 'contains'
      // A text value compares with SQLite's type ordering; only numbers and booleans are counted in memory.
      && (f.value === undefined || typeof f.value === 'number' || typeof f.value === 'boolean') && (f.op !== 'between' || typeof f.value2 === 'number'));
  return { from: `${from} ${joins.join(' ')}`, countFrom, countKey, where, params, orderBy, columnFilters: simple ? q.filters! : null };
}

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function whereClause(b: Built): string {
  return b.where.length ? `WHERE ${b.where.join(' AND ')}` : '';
}

export async function queryCompounds(ctx: QueryContext, q: CompoundQuery & PageRequest & { columns?: string[] }): Promise<Page<CompoundRow>> {
  const t0 = performance.now();
  const b = await buildQuery(ctx, q);
  const extra = [q.similarTo ? 'qm.sim AS _sim' : null].filter(Boolean);
  const sql = `SELECT c.id, c.name, c.smiles, c.duplicate_of, c.targets, c.target_pathway, ${descriptorSelect()}${extra.length ? `, ${extra.join(', ')}` : ''}
    FROM ${b.from} ${whereClause(b)} ORDER BY ${b.orderBy} LIMIT ? OFFSET ?`;
  const rows = ctx.db.prepare(sql).all(...b.params, q.limit, q.offset) as Record<string, unknown>[];
  const total = countBuilt(ctx, b);

  const matches = q.substructure && rows.length ? await matchAtoms(ctx, q.substructure, rows.map((r) => r.smiles as string)) : null;
  const ids = rows.map((r) => r.id as number);
  const props = new Map<number, Record<string, string>>();
  if (ids.length) {
    const wanted = q.columns?.filter((c) => c.startsWith('prop:')).map((c) => c.slice(5));
    const pRows = ctx.db.prepare(`SELECT compound_id, name, value, num FROM properties WHERE compound_id IN (${ids.map(() => '?').join(',')})`).all(...ids) as { compound_id: number; name: string; value: string; num: number | null }[];
    for (const p of pRows) {
      if (wanted && !wanted.includes(p.name)) continue;
      let m = props.get(p.compound_id);
      if (!m) props.set(p.compound_id, (m = {}));
      m[p.name] = p.value;
    }
  }
  const out: CompoundRow[] = rows.map((r, i) => {
    const values: CompoundRow['values'] = {};
    for (const c of NUMERIC_COLUMNS) values[c] = (r[c] as number | null) ?? null;
    for (const c of FLAG_COLUMNS_V1) values[c] = r[c] == null ? null : r[c] === 1;
    values.targets = (r.targets as string | null) ?? null;
    values.target_pathway = (r.target_pathway as string | null) ?? null;
    for (const [k, v] of Object.entries(props.get(r.id as number) ?? {})) {
      const n = Number(v);
      values[`prop:${k}`] = v !== '' && Number.isFinite(n) ? n : v;
    }
    const row: CompoundRow = { id: r.id as number, name: (r.name as string | null) ?? null, smiles: r.smiles as string, values, duplicateOf: (r.duplicate_of as number | null) ?? null };
    if (r._sim != null) row.similarity = r._sim as number;
    if (matches?.[i]) row.match = matches[i]!;
    return row;
  });
  return { rows: out, total, offset: q.offset, elapsedMs: performance.now() - t0 };
}

function countBuilt(ctx: QueryContext, b: Built): number {
  let n = ctx.cache.totals.get(b.countKey);
  if (n === undefined) {
    n = b.columnFilters ? countInMemory(ctx, b.columnFilters)
      : (ctx.db.prepare(`SELECT count(*) AS n FROM ${b.countFrom} ${whereClause(b)}`).get(...b.params) as { n: number }).n;
    if (ctx.cache.totals.size > 256) ctx.cache.totals.clear();
    ctx.cache.totals.set(b.countKey, n);
  }
  return n;
}

/**
 * Rows matching filters on descriptor-table columns, counted over in-memory column arrays. SQLite
 * answers a page of such a query quickly (it stops after the page), but counting a multi-column filter
 * means visiting every matching row (≈ 0.25 s per million); the arrays (8 bytes per compound per
 * column, read once per column and library change) make it a few milliseconds. NULL is NaN and, as in
 * SQL, satisfies no comparison.
 */
function countInMemory(ctx: QueryContext, filters: Filter[]): number {
  const cols = filters.map((f) => columnArray(ctx, f.column));
  const n = cols[0].length;
  const tests = filters.map((f) => {
    const v = typeof f.value === 'boolean' ? (f.value ? 1 : 0) : Number(f.value);
    const v2 = Number(f.value2);
    switch (f.op) {
      case '<': return (x: number) => x < v;
      case '<=': return (x: number) => x <= v;
      case '>': return (x: number) => x > v;
      case '>=': return (x: number) => x >= v;
      case '=': return (x: number) => x === v;
      case '!=': return (x: number) => x === x && x !== v;
      case 'between': return (x: number) => x >= v && x <= v2;
      case 'is-null': return (x: number) => x !== x;
      case 'not-null': return (x: number) => x === x;
      default: throw new ApiError('INVALID_INPUT', `filter operator '${f.op}' does not apply to '${f.column}'`);
    }
  });
  let count = 0;
  outer: for (let i = 0; i < n; i++) {
    for (let j = 0; j < cols.length; j++) if (!tests[j](cols[j][i])) continue outer;
    count++;
  }
  return count;
}

const MAX_COLUMN_ARRAYS = 16;

/**
 * One descriptor-table column for every unique compound (NaN for NULL), cached until the library
 * changes. Read from the column's index (created on first use by ensureIndex): a covering scan of
 * (value, id) pairs is several times cheaper than reading whole descriptor rows.
 */
function columnArray(ctx: QueryContext, column: string): Float64Array {
  let a = ctx.cache.columns.get(column);
  if (a) return a;
  const pos = rowPositions(ctx);
  a = new Float64Array(pos.n).fill(NaN);
  ensureIndex(ctx, column);
  const stmt = ctx.db.prepare(`SELECT compound_id, "${column}" FROM descriptors INDEXED BY "descriptors_${column}"`).raw();
  for (const [id, v] of stmt.iterate() as Iterable<[number, number | null]>) {
    const i = pos.of[id];
    if (v !== null && i >= 0) a[i] = v;
  }
  if (ctx.cache.columns.size >= MAX_COLUMN_ARRAYS) ctx.cache.columns.delete(ctx.cache.columns.keys().next().value!);
  ctx.cache.columns.set(column, a);
  return a;
}

/** A slot per descriptor row: compound id → slot (-1 for none), shared by every column array. */
function rowPositions(ctx: QueryContext): { n: number; of: Int32Array } {
  if (ctx.cache.rowPos) return ctx.cache.rowPos;
  const maxId = (ctx.db.prepare('SELECT coalesce(max(compound_id), 0) FROM descriptors').pluck().get() as number) ?? 0;
  const of = new Int32Array(maxId + 1).fill(-1);
  let n = 0;
  for (const id of ctx.db.prepare('SELECT compound_id FROM descriptors').pluck().iterate() as Iterable<number>) of[id] = n++;
  ctx.cache.rowPos = { n, of };
  return ctx.cache.rowPos;
}

export async function countCompounds(ctx: QueryContext, q: CompoundQuery): Promise<number> {
  return countBuilt(ctx, await buildQuery(ctx, q));
}

/** All ids matching a query, in the query's order (for export and selection). */
export async function* iterateIds(ctx: QueryContext, q: CompoundQuery, limit?: number): AsyncGenerator<number> {
  const b = await buildQuery(ctx, q);
  const stmt = ctx.db.prepare(`SELECT c.id FROM ${b.from} ${whereClause(b)} ORDER BY ${b.orderBy}${limit ? ` LIMIT ${Math.floor(limit)}` : ''}`).pluck();
  for (const id of stmt.iterate(...b.params)) yield id as number;
}

/** Matched atoms of a SMARTS in each of a page's SMILES (for highlighting), null where none. */
async function matchAtoms(ctx: QueryContext, smarts: string, smiles: string[]): Promise<(number[] | null)[]> {
  try {
    return (await (await ctx.pool()).substructure(smarts, smiles, ctx.signal)).atoms;
  } catch (err) {
    throw new ApiError('INVALID_INPUT', `substructure search '${smarts}': ${(err as Error).message}`);
  }
}

/**
 * Resolves once every compound has its structural alerts (computing the missing ones, once, however
 * many callers ask at the same time). `progress` reports the run this caller starts, if any.
 */
export function alertsComputed(ctx: Pick<QueryContext, 'db' | 'pool' | 'cache'>, progress?: (done: number, total: number) => void): Promise<void> {
  if (!ctx.cache.alerts) {
    const p = ensureAlerts(ctx.db, ctx.pool, { progress }).then(() => undefined);
    ctx.cache.alerts = p;
    p.catch(() => {
      if (ctx.cache.alerts === p) ctx.cache.alerts = null;
    });
  }
  return ctx.cache.alerts;
}

/** The substructure screen index, loaded once per change of the library (concurrent callers share the load). */
export function screenIndex(ctx: Pick<QueryContext, 'db' | 'pool' | 'cache'>): Promise<ScreenIndex> {
  if (!ctx.cache.screen) {
    const p = loadScreenIndex(ctx.db, ctx.pool);
    ctx.cache.screen = p;
    p.catch(() => {
      if (ctx.cache.screen === p) ctx.cache.screen = null;
    });
  }
  return ctx.cache.screen;
}

async function ensureSubstructureTemp(ctx: QueryContext, smarts: string): Promise<void> {
  if (ctx.cache.tempKey.sub === smarts) return;
  let hits = ctx.cache.substructure.get(smarts);
  if (!hits) {
    const generation = ctx.cache.generation;
    const index = await screenIndex(ctx);
    hits = (await searchSubstructure(index, await ctx.pool(), smarts, ctx.signal)).ids;
    // The library changed while searching (an import finished): answer with what was found, cache nothing.
    if (generation !== ctx.cache.generation) {
      fillSubTemp(ctx, hits);
      ctx.cache.tempKey.sub = '';
      return;
    }
    if (ctx.cache.substructure.size > 16) ctx.cache.substructure.clear();
    ctx.cache.substructure.set(smarts, hits);
  }
  fillSubTemp(ctx, hits);
  ctx.cache.tempKey.sub = smarts;
}

function fillSubTemp(ctx: QueryContext, hits: Int32Array): void {
  const db = ctx.db;
  db.exec('CREATE TEMP TABLE IF NOT EXISTS q_sub (id INTEGER PRIMARY KEY)');
  db.transaction(() => {
    db.exec('DELETE FROM temp.q_sub');
    const ins = db.prepare('INSERT INTO temp.q_sub(id) VALUES (?)');
    for (const id of hits) ins.run(id);
  })();
}

/** All fingerprints in memory (256 bytes each: 256 MB per million), loaded once per change of the library. */
export function loadFingerprints(ctx: QueryContext): { ids: Int32Array; fps: Uint8Array } {
  if (ctx.cache.fps) return ctx.cache.fps;
  const n = (ctx.db.prepare('SELECT count(*) AS n FROM fingerprints').get() as { n: number }).n;
  const ids = new Int32Array(n);
  const fps = new Uint8Array(n * FP_BYTES);
  let i = 0;
  for (const [id, fp] of ctx.db.prepare('SELECT compound_id, morgan FROM fingerprints ORDER BY compound_id').raw().iterate() as Iterable<[number, Buffer]>) {
    if (i >= n) break;
    ids[i] = id;
    fps.set(fp, i * FP_BYTES);
    i++;
  }
  ctx.cache.fps = { ids: ids.subarray(0, i), fps: fps.subarray(0, i * FP_BYTES) };
  return ctx.cache.fps;
}

async function ensureSimilarityTemp(ctx: QueryContext, sim: NonNullable<CompoundQuery['similarTo']>): Promise<void> {
  // Keep only what any sensible threshold could want; the query filters by its own threshold.
  const floor = Math.min(sim.threshold, 0.2);
  const key = JSON.stringify([sim.smiles ?? null, sim.compoundId ?? null, floor]);
  if (ctx.cache.tempKey.sim === key) return;
  let query: Uint8Array;
  if (sim.compoundId != null) {
    const row = ctx.db.prepare('SELECT f.morgan FROM compounds c JOIN fingerprints f ON f.compound_id = coalesce(c.duplicate_of, c.id) WHERE c.id = ?').get(sim.compoundId) as { morgan: Buffer } | undefined;
    if (!row) throw new ApiError('NOT_FOUND', `no compound ${sim.compoundId}`);
    query = new Uint8Array(row.morgan);
  } else if (sim.smiles) {
    const out = await (await ctx.pool()).process({ texts: [sim.smiles], molblock: new Uint8Array(1) });
    if (!out.ok[0]) throw new ApiError('INVALID_INPUT', `similarity query '${sim.smiles}': ${out.error[0]}`);
    query = out.fingerprints.slice(0, FP_BYTES);
  } else {
    throw new ApiError('INVALID_INPUT', 'similarTo needs smiles or compoundId');
  }
  const { ids, fps } = loadFingerprints(ctx);
  const sims = bulkTanimoto(query, fps, ids.length);
  const db = ctx.db;
  db.exec('CREATE TEMP TABLE IF NOT EXISTS q_sim (id INTEGER PRIMARY KEY, sim REAL)');
  db.transaction(() => {
    db.exec('DELETE FROM temp.q_sim');
    const ins = db.prepare('INSERT INTO temp.q_sim(id, sim) VALUES (?, ?)');
    for (let i = 0; i < ids.length; i++) if (sims[i] >= floor) ins.run(ids[i], sims[i]);
  })();
  ctx.cache.tempKey.sim = key;
}
