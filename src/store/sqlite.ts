import { DatabaseSync, type StatementSync, type SQLInputValue } from 'node:sqlite';
import {
  CompiledQuery,
  RawNode,
  SelectQueryNode,
  SqliteDialect,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type SqliteDatabase,
  type SqliteStatement,
} from 'kysely';
import { SqliteReaderPool } from './sqlite-readers.ts';

// Kysely's SqliteDialect expects a better-sqlite3-shaped database; node:sqlite is close but
// binds parameters as spread arguments and has no `reader` flag, so this thin adapter bridges it
// (no package does this for node:sqlite, and it avoids a native addon tied to the Node ABI).

const CACHE_LIMIT = 256;

export function toSqlite(value: unknown): SQLInputValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string') return value;
  if (value instanceof Uint8Array) return value;
  return JSON.stringify(value);
}

class Statement implements SqliteStatement {
  readonly reader: boolean;
  readonly #stmt: StatementSync;
  constructor(stmt: StatementSync) {
    this.#stmt = stmt;
    this.reader = stmt.columns().length > 0;
  }
  all(parameters: ReadonlyArray<unknown>): unknown[] {
    return this.#stmt.all(...parameters.map(toSqlite));
  }
  run(parameters: ReadonlyArray<unknown>): { changes: number | bigint; lastInsertRowid: number | bigint } {
    return this.#stmt.run(...parameters.map(toSqlite));
  }
  iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown> {
    return this.#stmt.iterate(...parameters.map(toSqlite)) as IterableIterator<unknown>;
  }
}

export class NodeSqliteDatabase implements SqliteDatabase {
  readonly raw: DatabaseSync;
  readonly path: string;
  readonly #cache = new Map<string, Statement>();

  constructor(path: string) {
    this.path = path;
    this.raw = new DatabaseSync(path, { enableForeignKeyConstraints: true, timeout: 10_000 });
    this.raw.exec('PRAGMA journal_mode = WAL');
    this.raw.exec('PRAGMA synchronous = FULL');
    this.raw.exec('PRAGMA foreign_keys = ON');
    this.raw.exec('PRAGMA busy_timeout = 10000');
    // 64 MiB page cache (default 2 MiB): bulk writes touch many index pages per transaction.
    this.raw.exec('PRAGMA cache_size = -65536');
  }

  prepare(sql: string): SqliteStatement {
    // Kysely opens transactions with a plain "begin"; take the write lock up front instead, so two
    // processes on one file wait for each other (busy_timeout) rather than fail on lock upgrade.
    if (sql === 'begin') sql = 'begin immediate';
    let stmt = this.#cache.get(sql);
    if (stmt) return stmt;
    stmt = new Statement(this.raw.prepare(sql));
    if (this.#cache.size >= CACHE_LIMIT) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.set(sql, stmt);
    return stmt;
  }

  close(): void {
    this.#cache.clear();
    if (this.raw.isOpen) this.raw.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Driver: one write connection on the event loop, reads outside transactions on the reader pool.

const quoteName = (name: string): string => `"${name.replace(/"/g, '""')}"`;

function isRead(query: CompiledQuery): boolean {
  if (SelectQueryNode.is(query.query)) return true;
  return RawNode.is(query.query) && /^\s*select\b/i.test(query.sql) && !/\breturning\b/i.test(query.sql);
}

/** The write connection is one; a mutex hands it to one transaction (or autocommit write) at a time. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();
  lock(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const ready = this.#tail.then(() => release);
    this.#tail = this.#tail.then(() => next);
    return ready;
  }
}

class MainConnection {
  readonly #db: NodeSqliteDatabase;
  constructor(db: NodeSqliteDatabase) {
    this.#db = db;
  }
  run<R>(compiled: CompiledQuery): QueryResult<R> {
    const stmt = this.#db.prepare(compiled.sql);
    if (stmt.reader) return { rows: stmt.all(compiled.parameters) as R[] };
    const { changes, lastInsertRowid } = stmt.run(compiled.parameters);
    return {
      numAffectedRows: changes !== undefined && changes !== null ? BigInt(changes) : undefined,
      insertId: lastInsertRowid !== undefined && lastInsertRowid !== null ? BigInt(lastInsertRowid) : undefined,
      rows: [],
    };
  }
  iterate(compiled: CompiledQuery): IterableIterator<unknown> {
    return this.#db.prepare(compiled.sql).iterate(compiled.parameters);
  }
}

class PooledConnection implements DatabaseConnection {
  readonly #driver: PooledSqliteDriver;
  /** Set while this connection holds the write connection (inside a transaction). */
  release: (() => void) | null = null;
  constructor(driver: PooledSqliteDriver) {
    this.#driver = driver;
  }
  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const d = this.#driver;
    if (this.release) return d.main.run<R>(compiled);
    if (d.readers && isRead(compiled))
      return { rows: (await d.readers.query(compiled.sql, compiled.parameters.map(toSqlite))) as R[] };
    const release = await d.mutex.lock();
    try {
      return d.main.run<R>(compiled);
    } finally {
      release();
    }
  }
  async *streamQuery<R>(compiled: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(compiled.query)) throw new Error('Sqlite driver only supports streaming of select queries');
    const d = this.#driver;
    const release = this.release ? null : await d.mutex.lock();
    try {
      for (const row of d.main.iterate(compiled)) yield { rows: [row as R] };
    } finally {
      release?.();
    }
  }
}

export class PooledSqliteDriver implements Driver {
  readonly main: MainConnection;
  readonly mutex = new Mutex();
  readonly readers: SqliteReaderPool | null;
  readonly #db: NodeSqliteDatabase;
  constructor(db: NodeSqliteDatabase, readers: SqliteReaderPool | null) {
    this.#db = db;
    this.main = new MainConnection(db);
    this.readers = readers;
  }
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return new PooledConnection(this);
  }
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as PooledConnection;
    c.release = await this.mutex.lock();
    try {
      this.main.run(CompiledQuery.raw('begin'));
    } catch (err) {
      this.#end(c);
      throw err;
    }
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      this.main.run(CompiledQuery.raw('commit'));
    } finally {
      this.#end(connection as PooledConnection);
    }
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      this.main.run(CompiledQuery.raw('rollback'));
    } finally {
      this.#end(connection as PooledConnection);
    }
  }
  async savepoint(c: DatabaseConnection, name: string): Promise<void> {
    await c.executeQuery(CompiledQuery.raw(`savepoint ${quoteName(name)}`));
  }
  async rollbackToSavepoint(c: DatabaseConnection, name: string): Promise<void> {
    await c.executeQuery(CompiledQuery.raw(`rollback to ${quoteName(name)}`));
  }
  async releaseSavepoint(c: DatabaseConnection, name: string): Promise<void> {
    await c.executeQuery(CompiledQuery.raw(`release ${quoteName(name)}`));
  }
  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    this.#end(connection as PooledConnection);
  }
  async destroy(): Promise<void> {
    await this.readers?.close();
    this.#db.close();
  }
  #end(c: PooledConnection): void {
    const release = c.release;
    c.release = null;
    release?.();
  }
}

/** Kysely's SQLite dialect over node:sqlite, with the reader pool when `readers` > 0. */
export class NodeSqliteDialect extends SqliteDialect {
  readonly #db: NodeSqliteDatabase;
  readonly #readers: SqliteReaderPool | null;
  constructor(db: NodeSqliteDatabase, readers: number) {
    super({ database: db });
    this.#db = db;
    this.#readers = readers > 0 ? new SqliteReaderPool(db.path, readers) : null;
  }
  override createDriver(): Driver {
    return new PooledSqliteDriver(this.#db, this.#readers);
  }
}
