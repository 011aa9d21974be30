import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { availableParallelism } from 'node:os';
import { Kysely, Migrator, PostgresDialect, type Migration, type Transaction } from 'kysely';
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
import * as m009 from './migrations/009_ocsp.ts';
import * as m010 from './migrations/010_scale.ts';
import * as m011 from './migrations/011_backoffice.ts';

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
  '009_ocsp': m009,
  '010_scale': m010,
  '011_backoffice': m011,
};

export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//.test(target);
}

/** SQLite read connections on worker threads (sqlite-readers.ts): one per core, at least 2, at most 4. */
export const DEFAULT_SQLITE_READERS = Math.min(4, Math.max(2, availableParallelism()));

export function openStore(
  target: string,
  opts: { poolSize?: number; auditKey?: Buffer | null; sqliteReaders?: number } = {},
): Store {
  if (isPostgresUrl(target)) {
    // Keep 64-bit integers and numerics exact but usable: counts come back as strings otherwise.
    pg.types.setTypeParser(20, (v) => Number(v));
    const pool = new pg.Pool({ connectionString: target, max: opts.poolSize ?? 10 });
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
