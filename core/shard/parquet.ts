/**
 * Parquet through DuckDB (@duckdb/node-api; its linux-x64 binary ships inside the npm package, so it
 * installs offline). One library writes the shards' files and runs the merge: a top-K per subgroup
 * over many Parquet files is one SQL statement, and DuckDB reads only the columns it needs.
 *
 * Determinism: the writer runs with one thread and insertion order kept, so the same rows give the
 * same bytes (checked by tests/integration/shard.test.ts on reruns).
 *
 * Ranked rows are stored generically: every key of the rows becomes a column, typed from its values
 * (numbers DOUBLE — NaN kept as NaN, integers exact —, strings VARCHAR, booleans BOOLEAN, anything
 * else JSON text), so a field added to RankedRow flows through to the shard files and the merge
 * without a change here. Types of the known fields are fixed so that a column that happens to be all
 * null in one shard has the same type in every shard.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';

export type ColumnType = 'DOUBLE' | 'VARCHAR' | 'BOOLEAN' | 'BLOB' | 'JSON';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
}

let instance: Promise<DuckDBInstance> | null = null;

/** A connection to the process's in-memory DuckDB (one thread: deterministic files, and shards already use the cores). */
export async function duck(threads = 1): Promise<DuckDBConnection> {
  instance ??= DuckDBInstance.create(':memory:', { threads: String(threads) });
  return (await instance).connect();
}

export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

export function ident(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

function sqlType(t: ColumnType): string {
  return t === 'JSON' ? 'VARCHAR' : t;
}

/** Write rows (arrays in `columns` order) to a Parquet file (zstd). The caller renames it into place. */
export async function writeParquet(file: string, columns: ColumnSpec[], rows: Iterable<unknown[]>): Promise<number> {
  const con = await duck();
  const table = `t_${process.pid}_${Math.random().toString(36).slice(2)}`;
  try {
    await con.run(`CREATE TABLE ${table} (${columns.map((c) => `${ident(c.name)} ${sqlType(c.type)}`).join(', ')})`);
    const app = await con.createAppender(table);
    let n = 0;
    for (const row of rows) {
      for (let j = 0; j < columns.length; j++) {
        const v = row[j];
        if (v === null || v === undefined) {
          app.appendNull();
          continue;
        }
        switch (columns[j].type) {
          case 'DOUBLE': app.appendDouble(v as number); break;
          case 'BOOLEAN': app.appendBoolean(v as boolean); break;
          case 'BLOB': app.appendBlob(v as Uint8Array); break;
          case 'JSON': app.appendVarchar(JSON.stringify(v)); break;
          default: app.appendVarchar(String(v));
        }
      }
      app.endRow();
      n++;
    }
    app.closeSync();
    await con.run(`COPY ${table} TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`);
    return n;
  } finally {
    await con.run(`DROP TABLE IF EXISTS ${table}`);
    con.closeSync();
  }
}

/** Types of the ranked-row fields known today (see the header comment); others are inferred. */
const KNOWN: Record<string, ColumnType> = {
  compoundId: 'DOUBLE', name: 'VARCHAR', smiles: 'VARCHAR', subgroup: 'VARCHAR', lnIc50: 'DOUBLE', pIc50: 'DOUBLE', lnIc50Low: 'DOUBLE', lnIc50High: 'DOUBLE',
  spread: 'DOUBLE', members: 'DOUBLE', selectivity: 'DOUBLE', selectivityLow: 'DOUBLE', selectivityHigh: 'DOUBLE', domainScore: 'DOUBLE', inDomain: 'BOOLEAN',
  qed: 'DOUBLE', alerts: 'JSON', desirability: 'DOUBLE', rank: 'DOUBLE', evidence: 'VARCHAR', pResponse: 'DOUBLE',
};

function inferType(v: unknown): ColumnType | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return 'DOUBLE';
  if (typeof v === 'string') return 'VARCHAR';
  if (typeof v === 'boolean') return 'BOOLEAN';
  return 'JSON';
}

/** Columns for a set of row objects: every key of any row, in first-seen order. */
export function rowColumns(rows: readonly object[]): ColumnSpec[] {
  const seen = new Map<string, ColumnType | null>();
  for (const r of rows) {
    for (const [k, v] of Object.entries(r)) {
      const known = KNOWN[k];
      const prev = seen.get(k);
      if (known) seen.set(k, known);
      else if (prev === undefined || prev === null) seen.set(k, inferType(v));
      else if (inferType(v) !== null && inferType(v) !== prev) seen.set(k, 'JSON');
    }
  }
  // A field unknown here and null in every row: VARCHAR (the merge reads it back as null).
  return [...seen].map(([name, type]) => ({ name, type: type ?? 'VARCHAR' }));
}

/** Back from DuckDB's values to the row's JS values (JSON columns parsed, NULL doubles as NaN where the field is a number). */
export function decodeValue(type: ColumnType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (type === 'JSON') return JSON.parse(String(v));
  if (type === 'DOUBLE') return typeof v === 'bigint' ? Number(v) : (v as number);
  if (type === 'BLOB') return v;
  return v;
}
