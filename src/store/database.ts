import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { availableParallelism } from 'node:os';
import { Kysely, Migrator, PostgresDialect, sql, type Migration, type Transaction } from 'kysely';
import pg from 'pg';
import { NodeSqliteDatabase, NodeSqliteDialect } from './sqlite.ts';
import type { Database } from './schema.ts';
import type { AuditEntry } from './audit.ts';
import * as m001 from './migrations/001_ground.ts';
import * as m002 from './migrations/002_pki.ts';
import * as m003 from './migrations/003_cards.ts';
import * as m005 from './migrations/005_production.ts';
import * as m004 from './migrations/004_requests.ts';
import * as m006 from './migrations/006_lifecycle.ts';
import * as m007 from './migrations/007_fixes.ts';
import * as m008 from './migrations/008_operations.ts';
import * as m009 from './migrations/009_ocsp.ts';
import * as m010 from './migrations/010_scale.ts';
import * as m011 from './migrations/011_backoffice.ts';
import * as m012 from './migrations/012_control.ts';
import * as m013 from './migrations/013_steering.ts';
import * as m014 from './migrations/014_backoffice_speed.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Where the database lives, without any password (safe to print). */
  location: string;
  /** Key sealing the audit chain head (see store/audit.ts); absent in bare stores. */
  auditKey: Buffer | null;
  /**
   * Called with every batch of audit records, inside the transaction that writes them: projections
   * that must follow the records in the same transaction (the case files' history) register here.
   */
  auditObservers: AuditObserver[];
  close(): Promise<void>;
}

export type AuditObserver = (trx: Transaction<Database> | Kysely<Database>, entries: AuditEntry[]) => Promise<void>;

const MIGRATIONS: Record<string, { up: (db: Kysely<unknown>, dialect: Dialect) => Promise<void> }> = {
  '001_ground': m001,
  '002_pki': m002,
  '003_cards': m003,
  '004_requests': m004,
  '005_production': m005,
  '006_lifecycle': m006,
  '007_fixes': m007,
  '008_operations': m008,
  '009_ocsp': m009,
  '010_scale': m010,
  '011_backoffice': m011,
  '012_control': m012,
  '013_steering': m013,
  '014_backoffice_speed': m014,
};

/** Names of the migrations this version of the code knows, in order. */
export function knownMigrations(): string[] {
  return Object.keys(MIGRATIONS).sort();
}

export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//.test(target);
}

/** SQLite read connections on worker threads (sqlite-readers.ts): one per core, at least 2, at most 4. */
export const DEFAULT_SQLITE_READERS = Math.min(4, Math.max(2, availableParallelism()));

export interface StoreOptions {
  poolSize?: number;
  auditKey?: Buffer | null;
  /**
   * Told of connection errors outside any query (PostgreSQL restarted, network cut): the pool drops
   * the dead connection and opens a new one on the next query, so these are reported, never thrown.
   */
  onConnectionError?: (err: Error) => void;
  /** How long a query waits for a connection before failing (ms; default 5000). */
  connectTimeoutMs?: number;
  /** SQLite read connections on worker threads (0 = reads on the event loop). */
  sqliteReaders?: number;
}

export function openStore(target: string, opts: StoreOptions = {}): Store {
  if (isPostgresUrl(target)) {
    // Keep 64-bit integers and numerics exact but usable: counts come back as strings otherwise.
    pg.types.setTypeParser(20, (v) => Number(v));
    const pool = new pg.Pool({
      connectionString: target,
      max: opts.poolSize ?? 10,
      // Without a bound a request would wait forever for a connection while the database is away.
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
    });
    const report = opts.onConnectionError ?? (() => {});
    // An idle connection that dies is reported on the pool; one in use emits on the client itself,
    // where node-postgres leaves no listener: without this one, the process would end on the event.
    // Either way the connection is discarded (not queryable) and the next query opens a new one.
    pool.on('error', (err) => report(err));
    pool.on('connect', (client) => {
      client.on('error', (err) => report(err));
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const url = new URL(target);
    url.password = '';
    return {
      db,
      dialect: 'postgres',
      location: url.toString(),
      auditKey: opts.auditKey ?? null,
      auditObservers: [],
      close: () => db.destroy(),
    };
  }
  if (target !== ':memory:') mkdirSync(dirname(target), { recursive: true });
  const database = new NodeSqliteDatabase(target);
  const readers = target === ':memory:' ? 0 : (opts.sqliteReaders ?? DEFAULT_SQLITE_READERS);
  const db = new Kysely<Database>({ dialect: new NodeSqliteDialect(database, readers) });
  return {
    db,
    dialect: 'sqlite',
    location: target,
    auditKey: opts.auditKey ?? null,
    auditObservers: [],
    close: () => db.destroy(),
  };
}

/** Migrations this code knows that the database has not applied yet (all of them on an empty one). */
export async function pendingMigrations(store: Store): Promise<string[]> {
  const applied = await appliedMigrations(store);
  return knownMigrations().filter((m) => !applied.includes(m));
}

/** Migrations recorded in the database (none when it is empty). */
export async function appliedMigrations(store: Store): Promise<string[]> {
  try {
    const rows = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(store.db);
    return rows.rows.map((r) => r.name);
  } catch (err) {
    // No migration table yet: an empty database. Anything else (connection lost) is an error.
    if (/kysely_migration/.test((err as Error).message ?? '') || (err as { code?: string }).code === '42P01') return [];
    throw err;
  }
}

export async function migrate(store: Store): Promise<string[]> {
  const migrations: Record<string, Migration> = {};
  for (const [name, mod] of Object.entries(MIGRATIONS)) {
    migrations[name] = { up: (db) => mod.up(db, store.dialect) };
  }
  const migrator = new Migrator({
    db: store.db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
