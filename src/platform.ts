import { mkdirSync } from 'node:fs';
import { loadConfig, type Config, type ConfigOverrides } from './config.ts';
import { migrate, openStore, type Store } from './store/database.ts';
import { createMailer } from './notify/mailer.ts';
import { makeContext, type AppContext } from './app/context.ts';

/** Opens the configured database, applies migrations and wires the application context. */
export async function openPlatform(overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): Promise<{ config: Config; store: Store; ctx: AppContext }> {
  const config = loadConfig(overrides, env);
  mkdirSync(config.dataDir, { recursive: true });
  const store = openStore(config.db);
  try {
    await migrate(store);
  } catch (err) {
    await store.close();
    throw err;
  }
  const mailer = createMailer({ from: config.mailFrom, smtpUrl: config.smtpUrl, mailDir: config.mailDir });
  return { config, store, ctx: makeContext(store, mailer, config.dataDir) };
}
