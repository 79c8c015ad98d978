/**
 * Paging through compounds: sort and filter by any column, substructure (SMARTS) and similarity
 * search. The SQL lives in core/store/compounds.ts; this module checks the query (column names, value
 * types, limits), holds the search caches, and passes each request's hit sets to SQL under a token of
 * its own (never a temp table shared by concurrent requests).
 */
import type { CompoundQuery, CompoundRow, Filter, Page, PageRequest } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import type { ChemPool } from '../chem/pool.js';
import { bulkTanimoto } from '../chem/similarity.js';
import { FP_BYTES } from '../chem/types.js';
import { compoundCount, compoundIds, compoundPage, descriptorColumnValues, descriptorRowIds, morganFingerprints, morganOf, propertiesOf } from '../store/compounds.js';
import type { SqlFilter, SqlQuery } from '../store/compounds.js';
import { structurePropertiesOf } from '../store/worklists.js';
import { FLAG_COLUMNS, isDescriptorTableColumn, NUMERIC_COLUMNS } from '../store/schema.js';
import type { Store } from '../store/store.js';
import type { ColumnResolver, ResolvedColumn } from './columns.js';
import type { Maintenance } from './maintenance.js';
import { loadScreenIndex, searchSubstructure } from './substructure.js';
import type { ScreenIndex } from './substructure.js';

export interface QueryContext {
  store: Store;
  /** Started on first use: paging, sorting and filtering never wait for the chemistry workers. */
  pool: () => Promise<ChemPool>;
  columns(): ColumnResolver;
  cache: SearchCache;
  /** Backfills and indexes (explicit jobs, never run by a read). */
  maintenance: Maintenance;
  signal?: AbortSignal;
}

/** In-memory caches for the expensive searches, invalidated whenever compounds change. */
export class SearchCache {
  fps: { ids: Int32Array; fps: Uint8Array } | null = null;
  /** Screen fingerprints and SMILES of the unique compounds, for substructure search (loading or loaded). */
  screen: Promise<ScreenIndex> | null = null;
  /** Hit ids per SMARTS. */
  substructure = new Map<string, Int32Array>();
  /** Descriptor-table columns as arrays (for counting filters in memory), in row order. */
  columns = new Map<string, Float64Array>();
  rowPos: { n: number; of: Int32Array } | null = null;
  /** Bumped by every invalidation: a search that started before a change must not cache its result. */
  generation = 0;
  /** Row counts per query (filters and searches, not sort or page): paging must not recount. */
  totals = new Map<string, number>();
  invalidate(): void {
    this.fps = null;
    this.screen = null;
    this.totals.clear();
    this.generation++;
    this.columns.clear();
    this.rowPos = null;
    this.substructure.clear();
  }
}

/** Filters in one query: each is one AND term, and SQLite's expression depth is bounded (1,000). */
export const MAX_FILTERS = 100;

export interface Built {
  sql: SqlQuery;
  countKey: string;
  /** The query's filters, when every one is on a descriptor-table column and nothing else narrows the rows (counted in memory). */
  columnFilters: Filter[] | null;
  release(): void;
}

/** Checks a filter's value against its column's type; returns the SQL form (booleans as 0/1). */
function typedFilter(col: ResolvedColumn, f: Filter): SqlFilter {
  const { type } = col.info;
  const label = `'${f.column}'`;
  if (f.op === 'is-null' || f.op === 'not-null') return { ref: col.ref, op: f.op };
  if (f.op === 'between') {
    if (type !== 'number') throw new ApiError('INVALID_INPUT', `'between' needs a numeric column; ${label} is ${type}`);
    if (typeof f.value !== 'number' || typeof f.value2 !== 'number') throw new ApiError('INVALID_INPUT', `'between' on ${label} needs numeric value and value2`);
    return { ref: col.ref, op: 'between', value: f.value, value2: f.value2 };
  }
  if (f.value === undefined) throw new ApiError('INVALID_INPUT', `filter on ${label} with '${f.op}' needs a value`);
  if (f.op === 'contains') {
    if (type !== 'text') throw new ApiError('INVALID_INPUT', `'contains' (~) is for text columns; ${label} is ${type}: compare it with < <= > >= = != instead`);
    return { ref: col.ref, op: 'contains', value: String(f.value) };
  }
  switch (type) {
    case 'number':
      if (typeof f.value !== 'number' || !Number.isFinite(f.value)) {
        throw new ApiError('INVALID_INPUT', `${label} is a numeric column: '${f.op}' needs a number, not ${JSON.stringify(f.value)}`);
      }
      return { ref: col.ref, op: f.op, value: f.value };
    case 'boolean': {
      const v = typeof f.value === 'boolean' ? (f.value ? 1 : 0) : f.value === 0 || f.value === 1 ? f.value : null;
      if (v === null) throw new ApiError('INVALID_INPUT', `${label} is a true/false column: it compares with true or false, not ${JSON.stringify(f.value)}`);
      if (f.op !== '=' && f.op !== '!=') throw new ApiError('INVALID_INPUT', `${label} is a true/false column: use = or !=`);
      return { ref: col.ref, op: f.op, value: v };
    }
    default:
      if (typeof f.value === 'boolean') throw new ApiError('INVALID_INPUT', `${label} is a text column: compare it with text, not ${f.value}`);
      return { ref: col.ref, op: f.op, value: String(f.value) };
  }
}

/** The SQL form of a query, with its hit sets registered: call `release()` when its statements are done. */
export async function buildQuery(ctx: QueryContext, q: CompoundQuery): Promise<Built> {
  const resolver = ctx.columns();
  if ((q.filters ?? []).length > MAX_FILTERS) throw new ApiError('INVALID_INPUT', `at most ${MAX_FILTERS} filters in one query (got ${q.filters!.length})`);
  if ([...(q.filters ?? []).map((f) => f.column), q.sort?.column].includes('pains_alerts')) await alertsComputed(ctx);
  const filters: SqlFilter[] = [];
  for (const f of q.filters ?? []) {
    const col = resolver.resolve(f.column);
    if (col.ref.kind === 'descriptor') ctx.maintenance.wantIndex(f.column);
    filters.push(typedFilter(col, f));
  }
  let sort: SqlQuery['sort'];
  if (q.sort) {
    const col = resolver.resolve(q.sort.column);
    if (col.ref.kind === 'descriptor') ctx.maintenance.wantIndex(q.sort.column);
    sort = { ref: col.ref, dir: q.sort.dir };
  }
  const tokens: number[] = [];
  const release = () => {
    for (const t of tokens.splice(0)) ctx.store.hitSets.release(t);
  };
  const sql: SqlQuery = { filters, sort, includeDuplicates: !!q.includeDuplicates, search: q.search, hitList: q.hitList, tag: q.tag };
  try {
    if (q.ids) {
      sql.only = ctx.store.hitSets.register(Int32Array.from(q.ids));
      tokens.push(sql.only);
    }
    if (q.substructure) {
      const hits = await substructureHits(ctx, q.substructure);
      sql.hits = ctx.store.hitSets.register(hits);
      tokens.push(sql.hits);
    }
    if (q.similarTo) {
      const s = await similarityHits(ctx, q.similarTo);
      const token = ctx.store.hitSets.register(s.ids, s.sims);
      tokens.push(token);
      sql.similar = { token, threshold: q.similarTo.threshold };
    }
  } catch (err) {
    release();
    throw err;
  }
  const countKey = JSON.stringify([q.filters ?? [], q.substructure ?? null, q.similarTo ?? null, !!q.includeDuplicates, q.search?.trim() || null, q.hitList ?? null, q.tag ?? null, q.ids ?? null]);
  const simple = !q.includeDuplicates && !q.search?.trim() && !q.substructure && !q.similarTo && q.hitList === undefined && q.tag === undefined && !q.ids && (q.filters ?? []).length > 0
    && filters.every((f, i) => f.ref.kind === 'descriptor' && isDescriptorTableColumn(q.filters![i].column) && f.op !== 'contains' && (f.value === undefined || typeof f.value === 'number'));
  return { sql, countKey, columnFilters: simple ? filters.map((f, i) => ({ ...q.filters![i], value: f.value })) : null, release };
}

export async function queryCompounds(ctx: QueryContext, q: CompoundQuery & PageRequest & { columns?: string[] }): Promise<Page<CompoundRow>> {
  const t0 = performance.now();
  const b = await buildQuery(ctx, q);
  let rows: Record<string, unknown>[];
  let total: number;
  try {
    rows = compoundPage(ctx.store, b.sql, q.limit, q.offset);
    total = countBuilt(ctx, b);
  } finally {
    b.release();
  }

  const matches = q.substructure && rows.length ? await matchAtoms(ctx, q.substructure, rows.map((r) => r.smiles as string)) : null;
  const ids = rows.map((r) => r.id as number);
  const props = new Map<number, Record<string, string>>();
  if (ids.length) {
    const wanted = q.columns?.filter((c) => c.startsWith('prop:')).map((c) => c.slice(5));
    // A structure row shows every field of its records (the first record carrying one); a duplicate row its own.
    for (const p of q.includeDuplicates ? propertiesOf(ctx.store, ids) : structurePropertiesOf(ctx.store, ids)) {
      if (wanted && !wanted.includes(p.name)) continue;
      let m = props.get(p.compound_id);
      if (!m) props.set(p.compound_id, (m = {}));
      m[p.name] = p.value;
    }
  }
  const out: CompoundRow[] = rows.map((r, i) => {
    const values: CompoundRow['values'] = {};
    for (const c of NUMERIC_COLUMNS) values[c] = (r[c] as number | null) ?? null;
    for (const c of FLAG_COLUMNS) values[c] = r[c] == null ? null : r[c] === 1;
    values.targets = (r.targets as string | null) ?? null;
    values.display_name = (r.display_name as string | null) ?? null;
    values.target_pathway = (r.target_pathway as string | null) ?? null;
    for (const [k, v] of Object.entries(props.get(r.id as number) ?? {})) {
      const n = Number(v);
      values[`prop:${k}`] = v !== '' && Number.isFinite(n) ? n : v;
    }
    const row: CompoundRow = { id: r.id as number, name: (r.name as string | null) ?? null, displayName: (r.display_name as string | null) ?? null, smiles: r.smiles as string, values, duplicateOf: (r.duplicate_of as number | null) ?? null };
    if (r._sim != null) row.similarity = r._sim as number;
    if (matches?.[i]) row.match = matches[i]!;
    return row;
  });
  return { rows: out, total, offset: q.offset, elapsedMs: performance.now() - t0 };
}

function countBuilt(ctx: QueryContext, b: Built): number {
  let n = ctx.cache.totals.get(b.countKey);
  if (n === undefined) {
    n = b.columnFilters ? countInMemory(ctx, b.columnFilters) : compoundCount(ctx.store, b.sql);
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
 * changes. Read on the reader connection (a covering scan of the column's index where it has one).
 */
function columnArray(ctx: QueryContext, column: string): Float64Array {
  let a = ctx.cache.columns.get(column);
  if (a) return a;
  const pos = rowPositions(ctx);
  a = new Float64Array(pos.n).fill(NaN);
  for (const [id, v] of descriptorColumnValues(ctx.store, column)) {
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
  const { maxId, ids } = descriptorRowIds(ctx.store);
  const of = new Int32Array(maxId + 1).fill(-1);
  let n = 0;
  for (const id of ids) of[id] = n++;
  ctx.cache.rowPos = { n, of };
  return ctx.cache.rowPos;
}

export async function countCompounds(ctx: QueryContext, q: CompoundQuery): Promise<number> {
  const b = await buildQuery(ctx, q);
  try {
    return countBuilt(ctx, b);
  } finally {
    b.release();
  }
}

/**
 * All ids matching a query, in the query's order (for export and selection). Streamed from the reader
 * connection: writes go on while a consumer (an export) takes its time.
 */
export async function* iterateIds(ctx: QueryContext, q: CompoundQuery, limit?: number): AsyncGenerator<number> {
  const b = await buildQuery(ctx, q);
  try {
    for (const id of compoundIds(ctx.store, b.sql, limit)) yield id;
  } finally {
    b.release();
  }
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
 * Resolves once every compound has its structural alerts. Computing the missing ones is the
 * maintenance job's (started when the project opens); `progress` follows that job.
 */
export function alertsComputed(ctx: Pick<QueryContext, 'maintenance'>, progress?: (done: number, total: number) => void): Promise<void> {
  return ctx.maintenance.backfilled(progress);
}

/** The substructure screen index, loaded once per change of the library (concurrent callers share the load). */
export function screenIndex(ctx: Pick<QueryContext, 'store' | 'cache' | 'maintenance'>): Promise<ScreenIndex> {
  if (!ctx.cache.screen) {
    const p = ctx.maintenance.backfilled().then(() => loadScreenIndex(ctx.store));
    ctx.cache.screen = p;
    p.catch(() => {
      if (ctx.cache.screen === p) ctx.cache.screen = null;
    });
  }
  return ctx.cache.screen;
}

async function substructureHits(ctx: QueryContext, smarts: string): Promise<Int32Array> {
  let hits = ctx.cache.substructure.get(smarts);
  if (hits) return hits;
  const generation = ctx.cache.generation;
  const index = await screenIndex(ctx);
  hits = (await searchSubstructure(index, await ctx.pool(), smarts, ctx.signal)).ids;
  // The library changed while searching (an import finished): answer with what was found, cache nothing.
  if (generation === ctx.cache.generation) {
    if (ctx.cache.substructure.size > 16) ctx.cache.substructure.clear();
    ctx.cache.substructure.set(smarts, hits);
  }
  return hits;
}

/** All fingerprints in memory (256 bytes each: 256 MB per million), loaded once per change of the library. */
export function loadFingerprints(ctx: QueryContext): { ids: Int32Array; fps: Uint8Array } {
  if (ctx.cache.fps) return ctx.cache.fps;
  const { n, rows } = morganFingerprints(ctx.store);
  const ids = new Int32Array(n);
  const fps = new Uint8Array(n * FP_BYTES);
  let i = 0;
  for (const [id, fp] of rows) {
    if (i >= n) break;
    ids[i] = id;
    fps.set(fp, i * FP_BYTES);
    i++;
  }
  ctx.cache.fps = { ids: ids.subarray(0, i), fps: fps.subarray(0, i * FP_BYTES) };
  return ctx.cache.fps;
}

/** Compounds at or above the similarity floor of any sensible threshold, with their Tanimoto similarity. */
async function similarityHits(ctx: QueryContext, sim: NonNullable<CompoundQuery['similarTo']>): Promise<{ ids: Int32Array; sims: Float64Array }> {
  // Keep only what any sensible threshold could want; the query filters by its own threshold.
  const floor = Math.min(sim.threshold, 0.2);
  let query: Uint8Array;
  if (sim.compoundId != null) {
    const morgan = morganOf(ctx.store, sim.compoundId);
    if (!morgan) throw new ApiError('NOT_FOUND', `no compound ${sim.compoundId}`);
    query = new Uint8Array(morgan);
  } else if (sim.smiles) {
    const out = await (await ctx.pool()).process({ texts: [sim.smiles], molblock: new Uint8Array(1) });
    if (!out.ok[0]) throw new ApiError('INVALID_INPUT', `similarity query '${sim.smiles}': ${out.error[0]}`);
    query = out.fingerprints.slice(0, FP_BYTES);
  } else {
    throw new ApiError('INVALID_INPUT', 'similarTo needs smiles or compoundId');
  }
  const { ids, fps } = loadFingerprints(ctx);
  const sims = bulkTanimoto(query, fps, ids.length);
  let m = 0;
  for (let i = 0; i < ids.length; i++) if (sims[i] >= floor) m++;
  const outIds = new Int32Array(m);
  const outSims = new Float64Array(m);
  for (let i = 0, j = 0; i < ids.length; i++) {
    if (sims[i] >= floor) {
      outIds[j] = ids[i];
      outSims[j++] = sims[i];
    }
  }
  return { ids: outIds, sims: outSims };
}
