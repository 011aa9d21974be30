import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, type Config, type ConfigOverrides } from './config.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { appliedMigrations, migrate, openStore, pendingMigrations, type Store } from './store/database.ts';
import { classifyStoreError, storeFailureMessage } from './store/errors.ts';
import { createMailer } from './notify/mailer.ts';
import { makeContext, type AppContext } from './app/context.ts';
import type { Logger } from './logger.ts';
import { moveServiceKeysIntoDatabase } from './app/pki/key-place.ts';

export interface PlatformOptions {
  /** Where connection losses and start retries are logged (serve); silent otherwise. */
  log?: Logger;
  /** Wait for an unreachable database up to CARTES_DB_WAIT seconds, retrying with backoff (serve). */
  waitForDatabase?: boolean;
  /**
   * Runs before pending migrations are applied to a database that has data (the pre-migration
   * backup); what it returns runs once the context exists (to journal it in the migrated schema).
   */
  beforeMigration?: (p: {
    config: Config;
    store: Store;
    pending: string[];
  }) => Promise<((ctx: AppContext) => Promise<void>) | void>;
}
import { DEFAULT_KINDS_FILE, KindsFileError, loadKindsFile } from './app/backoffice/kinds.ts';
import { caseFileTracker } from './app/backoffice/card-files.ts';

/** Opens the configured database, applies migrations and wires the application context. */
export async function openPlatform(
  overrides: ConfigOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
  opts: PlatformOptions = {},
): Promise<{ config: Config; store: Store; ctx: AppContext }> {
  const config = loadConfig(overrides, env);
  mkdirSync(config.dataDir, { recursive: true });
  const { key, createdFile } = auditKey(config.dataDir, env);
  const log = opts.log;
  let afterMigration: ((ctx: AppContext) => Promise<void>) | null = null;
  const store = openStore(config.db, {
    auditKey: key,
    sqliteReaders: config.sqliteReaders ?? undefined,
    onConnectionError: (err) =>
      log?.warn({ err: { message: err.message, code: (err as { code?: string }).code } }, 'database connection lost'),
  });
  try {
    await reachDatabase(store, opts.waitForDatabase ? config.operations.dbWaitSeconds : 0, log);
    if (opts.beforeMigration) {
      const pending = await pendingMigrations(store);
      if (pending.length && (await appliedMigrations(store)).length)
        afterMigration = (await opts.beforeMigration({ config, store, pending })) ?? null;
    }
    await migrate(store);
    // A new key on a chain sealed with another one would raise false alarms and reseal the head:
    // happens when --db points at a database whose data folder (and audit.key) is elsewhere.
    const head = createdFile
      ? await store.db.selectFrom('audit_head').select('mac').where('id', '=', 1).executeTakeFirst()
      : undefined;
    if (head?.mac)
      throw new ConfigError(
        `Clé de scellement du journal d'audit introuvable (${createdFile}) alors que ce journal est déjà scellé : indiquez le dossier de données de cette base (--data ou CARTES_DATA) ou CARTES_AUDIT_KEY.`,
      );
  } catch (err) {
    await store.close();
    if (createdFile) rmSync(createdFile, { force: true });
    throw err;
  }
  const mailer = createMailer({ from: config.mailFrom, smtpUrl: config.smtpUrl, mailDir: config.mailDir });
  const offset = config.operations.clockOffsetMs;
  const now = offset ? () => new Date(Date.now() + offset) : () => new Date();
  const ctx = makeContext(store, mailer, config.dataDir, now);
  try {
    // Service keys still in files (installations older than keys in the database) move in now.
    const moved = await moveServiceKeysIntoDatabase(ctx);
    if (moved.length) log?.info({ authorities: moved }, 'service keys moved into the database');
    await afterMigration?.(ctx);
    // Case-file kinds are configuration read at start; card steps write their case files' history.
    await loadKindsFile(ctx, env['CARTES_CASE_KINDS'] || DEFAULT_KINDS_FILE);
  } catch (err) {
    await store.close();
    throw err instanceof KindsFileError ? new ConfigError(err.message) : err;
  }
  store.auditObservers.push(caseFileTracker(ctx));
  return { config, store, ctx };
}

/** Thrown when the database stays out of reach (French message, no internals). */
export class DatabaseUnreachableError extends Error {}

/**
 * First contact with the database: retried with backoff (0.5 s doubling to 10 s) while it is out of
 * reach, for at most `waitSeconds` (0: one try).
 */
async function reachDatabase(store: Store, waitSeconds: number, log: Logger | undefined): Promise<void> {
  const deadline = Date.now() + waitSeconds * 1000;
  let delay = 500;
  for (let attempt = 1; ; attempt++) {
    try {
      await sql`select 1`.execute(store.db);
      if (attempt > 1) log?.info({ attempt }, 'database reachable');
      return;
    } catch (err) {
      const kind = classifyStoreError(err);
      if (kind !== 'unavailable' && kind !== 'busy') throw err;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new DatabaseUnreachableError(
          `Base de données injoignable (${store.location})${waitSeconds ? ` après ${waitSeconds} s d'attente` : ''} : ${storeFailureMessage(kind)} Vérifiez CARTES_DB et que le serveur de base de données est démarré.`,
          { cause: err },
        );
      const wait = Math.min(delay, left);
      log?.warn(
        { attempt, retryInMs: wait, err: { message: (err as Error).message } },
        'database unreachable at start',
      );
      await sleep(wait);
      delay = Math.min(delay * 2, 10_000);
    }
  }
}

/** The audit key of a data folder or the environment, without creating one (null when there is none). */
export function readAuditKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Buffer | null {
  const fromEnv = env['CARTES_AUDIT_KEY'];
  if (fromEnv) return Buffer.from(fromEnv, 'base64');
  const file = join(dataDir, 'audit.key');
  return existsSync(file) ? Buffer.from(readFileSync(file, 'utf8').trim(), 'base64') : null;
}

/**
 * The key that seals the audit chain head: CARTES_AUDIT_KEY (base64, ≥ 32 bytes; the same on every
 * instance sharing a PostgreSQL database), else a random key kept in <data>/audit.key (mode 0600).
 */
function auditKey(dataDir: string, env: NodeJS.ProcessEnv): { key: Buffer; createdFile: string | null } {
  const fromEnv = env['CARTES_AUDIT_KEY'];
  if (fromEnv) {
    const key = Buffer.from(fromEnv, 'base64');
    if (key.length < 32) throw new ConfigError('CARTES_AUDIT_KEY : clé trop courte (32 octets au moins, en base64).');
    return { key, createdFile: null };
  }
  const file = join(dataDir, 'audit.key');
  let createdFile: string | null = null;
  if (!existsSync(file)) {
    writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    createdFile = file;
  }
  return { key: Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'), createdFile };
}
