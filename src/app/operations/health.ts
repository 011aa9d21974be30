// Readiness of an instance (/readyz): the database answers, its schema is this code's, the data
// folder takes writes and has room, and the service keys open. A load balancer stops sending traffic
// while one fails and resumes when all pass again.
import { randomUUID } from 'node:crypto';
import { mkdir, open, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { Config } from '../../config.ts';
import { appliedMigrations, knownMigrations } from '../../store/database.ts';
import { classifyStoreError, storeFailureMessage } from '../../store/errors.ts';
import { openServiceSigner } from '../../pki/ca-init.ts';
import type { AppContext } from '../context.ts';
import { keyPlace } from '../pki/key-place.ts';
import { tempRoot } from './crash-leftovers.ts';

export interface Check {
  ok: boolean;
  detail: string;
}

export interface Readiness {
  ready: boolean;
  checks: { database: Check; migrations: Check; disk: Check; keys: Check };
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} : pas de réponse en ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function failure(err: unknown): string {
  const kind = classifyStoreError(err);
  return kind ? storeFailureMessage(kind) : (err as Error).message;
}

/**
 * Opening the keys costs a key derivation each (scrypt), so it runs in the background: at most every
 * KEY_RECHECK_MS per database, and /readyz reads the last result (waiting for the first one a little).
 */
const KEY_RECHECK_MS = 5 * 60_000;
const keyChecks = new Map<string, { at: number; result: Promise<Check>; last: Check | null }>();

async function openKeys(ctx: AppContext, kek: Buffer): Promise<Check> {
  const rows = await ctx.store.db
    .selectFrom('certification_authorities')
    .select(['name', 'key_ref'])
    .where('kind', 'in', ['issuing', 'ocsp'])
    .where('status', '=', 'active')
    .execute();
  if (rows.length === 0) return { ok: true, detail: "pas d'autorité de certification (cartes ca init)" };
  const failed: string[] = [];
  for (const r of rows) {
    try {
      await openServiceSigner(keyPlace(ctx), r.key_ref, kek);
    } catch {
      failed.push(r.name);
    }
  }
  return failed.length
    ? { ok: false, detail: `clés non ouvertes : ${failed.join(', ')} (CARTES_CA_KEK, jeton PKCS#11)` }
    : { ok: true, detail: `${rows.length} clé(s) d'AC et de répondeur OCSP` };
}

async function checkKeys(ctx: AppContext, kek: Buffer): Promise<Check> {
  const key = ctx.store.location;
  let entry = keyChecks.get(key);
  if (!entry || Date.now() - entry.at > KEY_RECHECK_MS) {
    const previous: Check | null = entry?.last ?? null;
    const fresh: { at: number; result: Promise<Check>; last: Check | null } = {
      at: Date.now(),
      result: openKeys(ctx, kek).catch((err: unknown) => ({ ok: false, detail: failure(err) })),
      last: previous,
    };
    void fresh.result.then((c) => (fresh.last = c));
    keyChecks.set(key, fresh);
    entry = fresh;
  }
  if (entry.last) return entry.last;
  try {
    return await withTimeout(entry.result, 15_000, 'clés');
  } catch {
    return { ok: false, detail: 'ouverture des clés en cours' };
  }
}

async function checkDisk(dataDir: string, minFreeMb: number): Promise<Check> {
  const dir = tempRoot(dataDir);
  const probe = join(dir, `${process.pid}-readyz-${randomUUID()}`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const fh = await open(probe, 'w', 0o600);
    try {
      await fh.writeFile('ok');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rm(probe, { force: true });
    const fs = await statfs(dataDir);
    const freeMb = Math.floor((fs.bavail * fs.bsize) / (1024 * 1024));
    if (freeMb < minFreeMb) return { ok: false, detail: `espace libre ${freeMb} Mio, moins que ${minFreeMb} Mio` };
    return { ok: true, detail: `écriture possible, ${freeMb} Mio libres` };
  } catch (err) {
    await rm(probe, { force: true }).catch(() => undefined);
    return { ok: false, detail: `écriture impossible dans le dossier de données : ${(err as Error).message}` };
  }
}

export async function readiness(ctx: AppContext, config: Config, kek: Buffer): Promise<Readiness> {
  const unknown: Check = { ok: false, detail: 'non vérifié : la base ne répond pas' };
  let database: Check;
  let migrations: Check = unknown;
  let keys: Check = unknown;
  try {
    await withTimeout(sql`select 1`.execute(ctx.store.db), 2000, 'base de données');
    database = { ok: true, detail: ctx.store.dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL' };
  } catch (err) {
    database = { ok: false, detail: failure(err) };
  }
  if (database.ok) {
    try {
      const applied = await withTimeout(appliedMigrations(ctx.store), 2000, 'schéma');
      const known = knownMigrations();
      const pending = known.filter((m) => !applied.includes(m));
      const newer = applied.filter((m) => !known.includes(m));
      migrations = pending.length
        ? { ok: false, detail: `migrations non appliquées : ${pending.join(', ')}` }
        : newer.length
          ? { ok: false, detail: `base d'une version plus récente (${newer.join(', ')})` }
          : { ok: true, detail: known.at(-1) ?? '' };
    } catch (err) {
      migrations = { ok: false, detail: failure(err) };
    }
    keys = await checkKeys(ctx, kek);
  }
  const disk = await checkDisk(config.dataDir, config.operations.minFreeDiskMb);
  const checks = { database, migrations, disk, keys };
  return { ready: Object.values(checks).every((c) => c.ok), checks };
}
