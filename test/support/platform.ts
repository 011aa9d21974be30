// Test platforms on both databases: a temp SQLite file, and a fresh PostgreSQL database on the
// cluster of the run (CARTES_TEST_PG_URL, set by scripts/test.js) or on a cluster this test file
// starts itself (when run alone with `node --test`) and stops at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { openPlatform } from '../../src/platform.ts';
import { loadDemoData } from '../../src/app/demo/directory.ts';
import { personActor } from '../../src/app/access/sessions.ts';
import type { Actor, AppContext } from '../../src/app/context.ts';
import type { Config } from '../../src/config.ts';
import type { Dialect, Store } from '../../src/store/database.ts';
import { createDatabase, startPgCluster, type PgCluster } from '../../scripts/lib/pg-cluster.js';

export const DIALECTS: readonly Dialect[] = ['sqlite', 'postgres'];

export type PersonActor = Extract<Actor, { kind: 'person' }>;

export interface TestPlatform {
  dialect: Dialect;
  ctx: AppContext;
  config: Config;
  store: Store;
  /** Temp folder used as the data folder (SQLite file, mails). */
  dataDir: string;
  /** What to pass as `--db` to the CLI (SQLite path or PostgreSQL URL). */
  dbTarget: string;
  close(): Promise<void>;
}

export interface TestPlatformOptions {
  /** Load the demonstration data (default true). */
  demo?: boolean;
  /** Environment seen by the configuration (default: empty, so the caller's CARTES_* never leak in). */
  env?: NodeJS.ProcessEnv;
}

let ownCluster: Promise<PgCluster> | null = null;

after(async () => {
  if (ownCluster) await (await ownCluster).stop();
});

/** URL of a PostgreSQL server to create test databases on. */
export async function pgServerUrl(): Promise<string> {
  const shared = process.env['CARTES_TEST_PG_URL'];
  if (shared) return shared;
  ownCluster ??= startPgCluster({ log: () => {} });
  return (await ownCluster).url;
}

let counter = 0;

/** A fresh, empty PostgreSQL database with a name unique across concurrent test processes. */
export async function freshPgDatabase(label: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = await pgServerUrl();
  const name = `t_${label
    .replace(/[^a-z0-9]/gi, '')
    .slice(0, 16)
    .toLowerCase()}_${process.pid}_${++counter}_${Math.random().toString(36).slice(2, 8)}`;
  const url = await createDatabase(base, name);
  return {
    url,
    drop: async () => {
      const admin = new URL(base);
      admin.pathname = '/postgres';
      const client = new pg.Client({ connectionString: admin.toString() });
      await client.connect();
      try {
        // Not `with (force)`: a backend of a just-closed pool may still be finishing, and killing it
        // makes its client emit an error after the test. Wait for it instead (the cluster is
        // throw-away anyway, so a database still busy after a while is simply left behind).
        for (let attempt = 0; attempt < 50; attempt++) {
          try {
            await client.query(`drop database if exists ${client.escapeIdentifier(name)}`);
            return;
          } catch (err) {
            if ((err as { code?: string }).code !== '55006') throw err; // object_in_use
            await sleep(100);
          }
        }
      } finally {
        await client.end();
      }
    },
  };
}

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `cartes-${label}-`));
}

/** Opens the platform (migrated, demo data loaded unless told otherwise) on a brand-new database. */
export async function openTestPlatform(dialect: Dialect, opts: TestPlatformOptions = {}): Promise<TestPlatform> {
  const dataDir = tempDir(dialect);
  let dbTarget = join(dataDir, 'cartes.sqlite');
  let drop: (() => Promise<void>) | null = null;
  if (dialect === 'postgres') {
    const fresh = await freshPgDatabase('p');
    dbTarget = fresh.url;
    drop = fresh.drop;
  }
  const { ctx, config, store } = await openPlatform({ data: dataDir, db: dbTarget }, { ...opts.env });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    try {
      await store.close();
      await drop?.();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
  try {
    if (opts.demo ?? true) await loadDemoData(ctx);
  } catch (err) {
    await close();
    throw err;
  }
  return { dialect, ctx, config, store, dataDir, dbTarget, close };
}

/** The person with this identifier, acting with the roles they hold now. */
export const actorFor: (ctx: AppContext, identifier: string) => Promise<PersonActor> = personActor;

export async function orgId(ctx: AppContext, code: string): Promise<string> {
  const row = await ctx.store.db.selectFrom('organizations').select('id').where('code', '=', code).executeTakeFirst();
  if (!row) throw new Error(`test setup: no organisation with code ${code}`);
  return row.id;
}

export async function agentId(ctx: AppContext, identifier: string): Promise<string> {
  const row = await ctx.store.db
    .selectFrom('agents')
    .select('id')
    .where('identifier', '=', identifier)
    .executeTakeFirst();
  if (!row) throw new Error(`test setup: no agent with identifier ${identifier}`);
  return row.id;
}

/** The people with these identifiers, acting with the roles they hold now, in the same order. */
export function actorsFor<const T extends readonly string[]>(ctx: AppContext, ...ids: T) {
  return Promise.all(ids.map((id) => actorFor(ctx, id))) as Promise<{ [K in keyof T]: PersonActor }>;
}

/** The ids of the organisations with these codes, in the same order. */
export function orgIds<const T extends readonly string[]>(ctx: AppContext, ...codes: T) {
  return Promise.all(codes.map((code) => orgId(ctx, code))) as Promise<{ [K in keyof T]: string }>;
}

/** Registers `describe('<name> [sqlite]')` and `describe('<name> [postgres]')`. */
export function forEachDatabase(name: string, fn: (dialect: Dialect) => void): void {
  for (const dialect of DIALECTS) {
    describe(`${name} [${dialect}]`, () => fn(dialect));
  }
}
