import { DatabaseSync, type StatementSync, type SQLInputValue } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

// Kysely's SqliteDialect expects a better-sqlite3-shaped database; node:sqlite is close but
// binds parameters as spread arguments and has no `reader` flag, so this thin adapter bridges it
// (no package does this for node:sqlite, and it avoids a native addon tied to the Node ABI).

const CACHE_LIMIT = 256;

function toSqlite(value: unknown): SQLInputValue {
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
  readonly #cache = new Map<string, Statement>();

  constructor(path: string) {
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
