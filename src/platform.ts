import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, type Config, type ConfigOverrides } from './config.ts';
import { migrate, openStore, type Store } from './store/database.ts';
import { createMailer } from './notify/mailer.ts';
import { makeContext, type AppContext } from './app/context.ts';
import { DEFAULT_KINDS_FILE, KindsFileError, loadKindsFile } from './app/backoffice/kinds.ts';
import { caseFileTracker } from './app/backoffice/card-files.ts';

/** Opens the configured database, applies migrations and wires the application context. */
export async function openPlatform(
  overrides: ConfigOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ config: Config; store: Store; ctx: AppContext }> {
  const config = loadConfig(overrides, env);
  mkdirSync(config.dataDir, { recursive: true });
  const { key, createdFile } = auditKey(config.dataDir, env);
  const store = openStore(config.db, { auditKey: key, sqliteReaders: config.sqliteReaders ?? undefined });
  try {
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
  const ctx = makeContext(store, mailer, config.dataDir);
  // Case-file kinds are configuration read at start; card steps write their case files' history.
  try {
    await loadKindsFile(ctx, env['CARTES_CASE_KINDS'] || DEFAULT_KINDS_FILE);
  } catch (err) {
    await store.close();
    throw err instanceof KindsFileError ? new ConfigError(err.message) : err;
  }
  store.auditObservers.push(caseFileTracker(ctx));
  return { config, store, ctx };
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
