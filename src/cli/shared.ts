import { DatabaseUnreachableError, openPlatform } from '../platform.ts';
import { preMigrationBackup } from '../app/operations/backups.ts';
import { classifyStoreError, storeFailureMessage } from '../store/errors.ts';
import { KeyStoreError } from '../pki/keystore.ts';
import { ConfigError, type Config } from '../config.ts';
import { AppError } from '../app/errors.ts';
import type { Store } from '../store/database.ts';
import type { AppContext } from '../app/context.ts';

export interface GlobalOptions {
  data?: string;
  db?: string;
}

/** Opens the platform, runs a command, closes; errors become one French line and exit code 1. */
export async function runWithPlatform(
  global: GlobalOptions,
  work: (p: { config: Config; store: Store; ctx: AppContext }) => Promise<void>,
): Promise<void> {
  let platform;
  try {
    platform = await openPlatform({ data: global.data, db: global.db }, process.env, {
      beforeMigration: preMigrationBackup,
    });
  } catch (err) {
    reportError(err);
    return;
  }
  try {
    await work(platform);
  } catch (err) {
    reportError(err);
  } finally {
    await platform.store.close();
  }
}

export function reportError(err: unknown): void {
  process.exitCode = 1;
  // Key store errors (wrong PIN, missing key, PKCS#11 module unavailable) carry a French message too.
  if (err instanceof ConfigError || err instanceof AppError || err instanceof KeyStoreError) {
    console.error(`Erreur : ${err.message}`);
    if (err instanceof AppError)
      for (const e of err.errors) console.error(`  - ${e.line ? `ligne ${e.line}, ` : ''}${e.field} : ${e.reason}`);
    return;
  }
  if (err instanceof DatabaseUnreachableError) {
    console.error(`Erreur : ${err.message}`);
    return;
  }
  // The database or the disk: a French sentence; the details only when asked (CARTES_LOG_LEVEL=debug).
  const failure = classifyStoreError(err);
  if (failure) {
    console.error(`Erreur : ${storeFailureMessage(failure)}`);
    if (process.env['CARTES_LOG_LEVEL'] === 'debug') console.error(err);
    return;
  }
  console.error(`Erreur inattendue : ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
}
