/**
 * The project store: two connections to one `.strata` file and one write queue.
 *
 * - `writer` is the only connection that writes. Every write goes through `write(fn)`: a queue that runs
 *   one write transaction at a time (Actual Budget's sequential mutator), each opened with
 *   `BEGIN IMMEDIATE`. A deferred transaction that reads first gets SQLITE_BUSY_SNAPSHOT at once when
 *   another process committed meanwhile, whatever the busy timeout; an immediate one takes the write
 *   lock first, so a second process (a CLI import next to an open UI) waits its turn instead of failing.
 *   The wait is asynchronous (short SQLite busy timeout, then back-off on the event loop), so a process
 *   that waits for the lock still answers reads.
 * - `reader` is a read-only connection for every read (Signal Desktop's readable/writable split).
 *   better-sqlite3 refuses any write on a connection while one of its iterators is open, so a long
 *   read (an export streaming, a column load) on the writer connection would break every write until
 *   it ends; on the reader it cannot. In WAL mode the reader's statements see the last commit and never
 *   block the writer.
 * - Per-request state (substructure and similarity hit sets) is passed to SQL through `hitSets`, keyed
 *   by a token each request registers and releases: no temp table shared by concurrent requests.
 */
import { ApiError } from '../api/errors.js';
import type { Db } from './db.js';
import { connect } from './db.js';

export interface StoreConnections {
  writer: Db;
  /** The same object as `writer` for an in-memory project (a second connection would be another database). */
  reader: Db;
  path: string;
  readOnly: boolean;
  /** Why the project is open read-only (null when it is not). */
  readOnlyReason: string | null;
  /** Whether the file is encrypted at rest (opened with its passphrase). */
  encrypted?: boolean;
  /** Called after both connections are closed (removes a temporary copy). */
  onClose?: () => void;
}

/** How long a write waits for another process's write lock before giving up (ms). */
export const DEFAULT_WRITE_WAIT_MS = 60_000;

function isBusy(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_LOCKED' || code === 'SQLITE_BUSY_RECOVERY';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Hit sets of the requests under way, readable from SQL as `strata_hit(token, id)` (1 or 0) and
 * `strata_sim(token, id)` (the similarity, or NULL). Each request registers its own set and releases it
 * when its statements are done, so two searches at once never see each other's hits.
 */
export class HitSets {
  private next = 1;
  private sets = new Map<number, { member: Uint8Array; sim: Float64Array | null }>();

  /** Registers a set of compound ids (with a similarity each, when given); returns its token. */
  register(ids: Int32Array, sims?: Float64Array): number {
    let max = 0;
    for (const id of ids) if (id > max) max = id;
    const member = new Uint8Array(max + 1);
    const sim = sims ? new Float64Array(max + 1) : null;
    for (let i = 0; i < ids.length; i++) {
      member[ids[i]] = 1;
      if (sim) sim[ids[i]] = sims![i];
    }
    const token = this.next++;
    this.sets.set(token, { member, sim });
    return token;
  }

  release(token: number): void {
    this.sets.delete(token);
  }

  get size(): number {
    return this.sets.size;
  }

  install(db: Db): void {
    const get = (token: number) => {
      const s = this.sets.get(token);
      if (!s) throw new Error(`hit set ${token} is not registered (released before its query ran)`);
      return s;
    };
    db.function('strata_hit', { deterministic: false, varargs: false }, (token: unknown, id: unknown) => {
      const s = get(Number(token));
      const i = Number(id);
      return i >= 0 && i < s.member.length && s.member[i] === 1 ? 1 : 0;
    });
    db.function('strata_sim', { deterministic: false, varargs: false }, (token: unknown, id: unknown) => {
      const s = get(Number(token));
      const i = Number(id);
      return s.sim && i >= 0 && i < s.member.length && s.member[i] === 1 ? s.sim[i] : null;
    });
  }
}

export class Store {
  readonly writer: Db;
  readonly reader: Db;
  readonly path: string;
  readonly readOnly: boolean;
  readonly readOnlyReason: string | null;
  readonly encrypted: boolean;
  readonly hitSets = new HitSets();
  /** Tail of the write queue: each write starts when the previous one has settled. */
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private closed = false;
  private onClose?: () => void;

  constructor(
    c: StoreConnections,
    private waitMs = DEFAULT_WRITE_WAIT_MS,
  ) {
    this.writer = c.writer;
    this.reader = c.reader;
    this.path = c.path;
    this.readOnly = c.readOnly;
    this.readOnlyReason = c.readOnlyReason;
    this.encrypted = c.encrypted ?? false;
    this.onClose = c.onClose;
    this.hitSets.install(this.reader);
    if (this.writer !== this.reader) this.hitSets.install(this.writer);
  }

  get open(): boolean {
    return !this.closed && this.writer.open;
  }

  /** Writes waiting or running in this process. */
  get queued(): number {
    return this.pending;
  }

  /**
   * Runs `fn` in one `BEGIN IMMEDIATE` transaction, after every write queued before it. `fn` is
   * synchronous (better-sqlite3 is), so a transaction never spans an await. Rejects with BUSY when
   * another process holds the write lock for longer than the wait, READ_ONLY on a read-only project.
   */
  write<T>(fn: (db: Db) => T): Promise<T> {
    if (this.readOnly) return Promise.reject(new ApiError('READ_ONLY', `${this.path} is open read-only (${this.readOnlyReason}): nothing can be changed`));
    this.pending++;
    const run = this.tail.then(() => this.attempt(fn));
    this.tail = run.then(() => undefined, () => undefined);
    return run.finally(() => {
      this.pending--;
    });
  }

  /**
   * Runs `fn` on the writer in queue order but outside a transaction: for statements SQLite refuses
   * inside one (`wal_checkpoint`).
   */
  writeOutsideTransaction<T>(fn: (db: Db) => T): Promise<T> {
    if (this.readOnly) return Promise.reject(new ApiError('READ_ONLY', `${this.path} is open read-only (${this.readOnlyReason}): nothing can be changed`));
    this.pending++;
    const run = this.tail.then(() => {
      if (this.closed || !this.writer.open) throw new ApiError('NO_PROJECT', `${this.path} was closed`);
      return fn(this.writer);
    });
    this.tail = run.then(() => undefined, () => undefined);
    return run.finally(() => {
      this.pending--;
    });
  }

  private async attempt<T>(fn: (db: Db) => T): Promise<T> {
    const db = this.writer;
    const deadline = Date.now() + this.waitMs;
    for (let delay = 5; ; delay = Math.min(delay * 2, 250)) {
      if (this.closed || !db.open) throw new ApiError('NO_PROJECT', `${this.path} was closed before this change could be written`);
      try {
        db.exec('BEGIN IMMEDIATE');
        break;
      } catch (err) {
        if (!isBusy(err)) throw err;
        if (Date.now() >= deadline) {
          throw new ApiError('BUSY', `${this.path} is being changed by another process and stayed locked for ${Math.round(this.waitMs / 1000)} s; try again when it has finished`);
        }
        await sleep(delay);
      }
    }
    try {
      const out = fn(db);
      db.exec('COMMIT');
      return out;
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw err;
    }
  }

  /** Waits for the queued writes, then closes both connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.tail;
    this.closed = true;
    if (this.reader !== this.writer && this.reader.open) this.reader.close();
    if (this.writer.open) this.writer.close();
    this.onClose?.();
  }
}

/** A read-only second connection to a file project (journal mode and schema are the writer's business). */
export function openReader(path: string, key?: string): Db {
  const r = connect(path, key, { readonly: true, fileMustExist: true });
  r.pragma('busy_timeout = 5000');
  r.pragma('cache_size = -65536'); // 64 MiB page cache, as the writer
  r.pragma('temp_store = MEMORY');
  return r;
}
