// Backups (seed 003 annex V): online copies of the database with the data folder's files that the
// service needs (the root key under dual control, configuration, documents), a manifest (rows per
// table, audit head, SHA-256 of each part), verification by restoring into a temporary place, and
// restore. Every operation lands in the operations journal with its audit record.
//
// A backup is a folder <backups>/cartes-<date>-<reason>-<id>/ holding manifest.json, the database
// copy (database.sqlite or database.pgdump) and files/. Secrets are not in it: the KEK that seals
// the service keys, the audit key, the card and manufacturer keys are kept apart (environment or
// secret store), so that the backup alone opens no key.
import { createHash, createHmac } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { chmod, cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { hostname } from 'node:os';
import { sql } from 'kysely';
import pg from 'pg';
import type { Config } from '../../config.ts';
import { INSTANCE_ID } from '../../logger.ts';
import { APP_VERSION } from '../../version.ts';
import { knownMigrations, migrate, openStore, type Dialect, type Store } from '../../store/database.ts';
import { verifyAuditChain } from '../../store/audit.ts';
import {
  certificateStatusesInCopy,
  databaseHasTables,
  postgresFacts,
  restoreDatabase,
  snapshotDatabase,
  sqliteFacts,
  type AuthorityFacts,
  type SnapshotFacts,
} from '../../store/snapshot.ts';
import { readCrl, serialKey, verifyCrlSignature, type CrlRead } from '../../pki/crl-reader.ts';
import { openSealedKey } from '../../pki/keystore-file.ts';
import { checkKeyAlgorithm } from '../../pki/keystore.ts';
import * as x509 from '../../pki/x509.ts';
import { enqueue } from '../../jobs/queue.ts';
import { appendAudit } from '../../store/audit.ts';
import { createMailer } from '../../notify/mailer.ts';
import { authorize, type Authorization } from '../access/authorize.ts';
import { AppError, invalid } from '../errors.ts';
import { makeContext, systemActor, type Actor, type AppContext } from '../context.ts';
import { makeTempDir } from './crash-leftovers.ts';
import { readAuditKey } from '../../platform.ts';
import { recordOperation } from './journal.ts';

export const MANIFEST = 'manifest.json';

export type BackupReason = 'daily' | 'manual' | 'pre-migration';

export interface BackupPart {
  path: string;
  size: number;
  sha256: string;
}

export interface BackupManifest {
  format: 'cartes-agents-sauvegarde';
  version: 1;
  id: string;
  createdAt: string;
  reason: BackupReason;
  dialect: Dialect;
  /** Where the database was (no password). */
  database: string;
  application: string;
  instance: string;
  migrations: string[];
  tables: Record<string, number>;
  auditHead: { seq: number; hash: string } | null;
  authorities: AuthorityFacts[];
  /** Fingerprints of the secrets the copy needs (never the secrets): checked at verify and restore. */
  keys: { auditKeyId: string | null; kekId: string | null };
  parts: BackupPart[];
  /** What is deliberately not in the backup and must be kept apart. */
  notIncluded: string[];
}

/** Files of the data folder a restored service needs (besides the database). */
const DATA_FILES = ['config.json', 'pki/root', 'pki/keys', 'manufacturer/courrier'];

const NOT_INCLUDED = [
  'CARTES_CA_KEK (ou <data>/pki/kek) : clé qui scelle les clés des AC émettrices et des répondeurs OCSP',
  "CARTES_AUDIT_KEY (ou <data>/audit.key) : clé qui scelle la tête du journal d'audit",
  'CARTES_CARD_MASTER_KEY, CARTES_CARD_CHIP_KEY, CARTES_MANUFACTURER_KEY, CARTES_ACTIVATION_KEY (ou leurs fichiers)',
  'les secrets des deux dépositaires de la clé racine (jamais conservés par la plateforme)',
];

/** A fingerprint naming a key without revealing it. */
export function keyId(key: Buffer | null): string | null {
  return key ? createHmac('sha256', key).update('cartes-agents/key-id/v1').digest('hex').slice(0, 16) : null;
}

/** The service KEK if this installation has one (environment or file), without creating it. */
export function readServiceKek(dataDir: string, env: NodeJS.ProcessEnv = process.env): Buffer | null {
  if (env['CARTES_CA_KEK']) return Buffer.from(env['CARTES_CA_KEK'], 'base64');
  const file = join(dataDir, 'pki', 'kek');
  return existsSync(file) ? Buffer.from(readFileSync(file, 'utf8').trim(), 'base64') : null;
}

async function sha256File(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(p)));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');

export interface BackupSecrets {
  auditKey: Buffer | null;
  kek: Buffer | null;
}

/**
 * Takes a backup without the journal (the pre-migration backup runs before the journal's table may
 * exist): the database copy, the data folder's files, the manifest, written under a temporary name
 * and renamed when complete.
 */
export async function takeBackup(
  store: Store,
  config: Config,
  secrets: BackupSecrets,
  reason: BackupReason,
  outDir?: string,
): Promise<{ path: string; manifest: BackupManifest }> {
  const dir = resolve(outDir ?? config.operations.backupDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const createdAt = new Date();
  const id = `${stamp(createdAt)}-${Math.random().toString(36).slice(2, 8)}`;
  const name = `cartes-${id.slice(0, 15)}-${reason}-${id.slice(16)}`;
  const partial = join(dir, `.${name}.${process.pid}.partial`);
  await mkdir(partial, { mode: 0o700 });
  try {
    const dbFile = join(partial, store.dialect === 'sqlite' ? 'database.sqlite' : 'database.pgdump');
    const facts = await snapshotDatabase(
      store.dialect,
      store.dialect === 'sqlite' ? store.location : config.db,
      dbFile,
    );
    const files: string[] = [];
    for (const rel of DATA_FILES) {
      const src = join(config.dataDir, rel);
      if (!existsSync(src)) continue;
      await cp(src, join(partial, 'files', rel), { recursive: true, preserveTimestamps: true });
    }
    if (process.env['CARTES_CONFIG'] && existsSync(process.env['CARTES_CONFIG']))
      await cp(process.env['CARTES_CONFIG'], join(partial, 'files', 'config.json'));
    files.push(dbFile, ...(await listFiles(join(partial, 'files'))));
    const parts: BackupPart[] = [];
    for (const f of files) {
      await chmod(f, 0o600);
      parts.push({ path: relative(partial, f), ...(await sha256File(f)) });
    }
    const manifest: BackupManifest = {
      format: 'cartes-agents-sauvegarde',
      version: 1,
      id,
      createdAt: createdAt.toISOString(),
      reason,
      dialect: store.dialect,
      database: store.location,
      application: APP_VERSION,
      instance: INSTANCE_ID,
      migrations: facts.migrations,
      tables: facts.tables,
      auditHead: facts.auditHead,
      authorities: facts.authorities,
      keys: { auditKeyId: keyId(secrets.auditKey), kekId: keyId(secrets.kek) },
      parts,
      notIncluded: NOT_INCLUDED,
    };
    await writeFile(join(partial, MANIFEST), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
    const final = join(dir, name);
    await rename(partial, final);
    return { path: final, manifest };
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    throw err;
  }
}

export function backupSecrets(ctx: AppContext, config: Config, env: NodeJS.ProcessEnv = process.env): BackupSecrets {
  return { auditKey: ctx.store.auditKey, kek: readServiceKek(config.dataDir, env) };
}

/** A backup with its journal entry (backup ok or failed) and audit record. */
export async function createBackup(
  ctx: AppContext,
  actor: Actor,
  config: Config,
  opts: { reason?: BackupReason; outDir?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ path: string; manifest: BackupManifest; size: number }> {
  const auth = await authorize(ctx, actor, 'operations.manage', null);
  const reason = opts.reason ?? 'manual';
  const started = Date.now();
  try {
    const taken = await takeBackup(ctx.store, config, backupSecrets(ctx, config, opts.env), reason, opts.outDir);
    const size = taken.manifest.parts.reduce((n, p) => n + p.size, 0);
    await recordBackupInJournal(ctx, actor, auth, taken, Date.now() - started);
    return { ...taken, size };
  } catch (err) {
    await recordOperation(ctx, actor, auth, {
      kind: 'backup',
      status: 'failed',
      reason,
      summary: { error: (err as Error).message.slice(0, 500) },
    }).catch(() => undefined);
    throw err;
  }
}

/**
 * The backup taken before pending migrations change the schema (seed 003 annex V §2.3: « après
 * toute modification structurelle »; here before, so that the change can be undone). Journaled once
 * the migrated schema has the journal. Off with CARTES_BACKUP_BEFORE_MIGRATION=false.
 */
export async function preMigrationBackup(p: {
  config: Config;
  store: Store;
  pending: string[];
}): Promise<((ctx: AppContext) => Promise<void>) | void> {
  if (!p.config.operations.backupBeforeMigration) return;
  const started = Date.now();
  const taken = await takeBackup(
    p.store,
    p.config,
    { auditKey: p.store.auditKey, kek: readServiceKek(p.config.dataDir) },
    'pre-migration',
  );
  const duration = Date.now() - started;
  return async (ctx) => {
    const actor = systemActor('migration');
    const auth = await authorize(ctx, actor, 'operations.manage', null);
    await recordBackupInJournal(ctx, actor, auth, taken, duration);
  };
}

export async function recordBackupInJournal(
  ctx: AppContext,
  actor: Actor,
  auth: Authorization,
  taken: { path: string; manifest: BackupManifest },
  durationMs: number | null,
): Promise<void> {
  const m = taken.manifest;
  await recordOperation(ctx, actor, auth, {
    kind: 'backup',
    status: 'ok',
    reason: m.reason,
    backupId: m.id,
    location: taken.path,
    summary: {
      size: m.parts.reduce((n, p) => n + p.size, 0),
      rows: Object.values(m.tables).reduce((n, c) => n + c, 0),
      auditHeadSeq: m.auditHead?.seq ?? 0,
      dialect: m.dialect,
      durationMs,
      host: hostname(),
    },
  });
}

export async function readManifest(path: string): Promise<BackupManifest> {
  let text: string;
  try {
    text = await readFile(join(path, MANIFEST), 'utf8');
  } catch {
    throw invalid(`Sauvegarde introuvable ou incomplète : ${path} (pas de ${MANIFEST}).`);
  }
  const m = JSON.parse(text) as BackupManifest;
  if (m.format !== 'cartes-agents-sauvegarde' || m.version !== 1)
    throw invalid(`Format de sauvegarde inconnu dans ${path}.`);
  return m;
}

/** Resolves a backup given by its path or its id (in the backup folder). */
export async function findBackup(config: Config, pathOrId: string): Promise<string> {
  if (existsSync(join(pathOrId, MANIFEST))) return resolve(pathOrId);
  for (const b of await listBackups(config)) if (b.id === pathOrId || basename(b.path) === pathOrId) return b.path;
  throw invalid(`Sauvegarde introuvable : ${pathOrId}.`);
}

export interface BackupListItem {
  id: string;
  path: string;
  createdAt: string;
  reason: BackupReason;
  dialect: Dialect;
  size: number;
  auditHeadSeq: number;
  rows: number;
}

/** The backups of the backup folder, newest first. */
export async function listBackups(config: Config, dir?: string): Promise<BackupListItem[]> {
  const root = resolve(dir ?? config.operations.backupDir);
  const out: BackupListItem[] = [];
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (name.startsWith('.')) continue;
    const path = join(root, name);
    try {
      const m = await readManifest(path);
      out.push({
        id: m.id,
        path,
        createdAt: m.createdAt,
        reason: m.reason,
        dialect: m.dialect,
        size: m.parts.reduce((n, p) => n + p.size, 0),
        auditHeadSeq: m.auditHead?.seq ?? 0,
        rows: Object.values(m.tables).reduce((n, c) => n + c, 0),
      });
    } catch {
      // not a backup
    }
  }
  return out.sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
}

/** Removes the backups older than the retention period (seed 003 annex V §2.4: one week), journaled. */
export async function pruneBackups(ctx: AppContext, actor: Actor, config: Config): Promise<string[]> {
  const auth = await authorize(ctx, actor, 'operations.manage', null);
  const limit = ctx.now().getTime() - config.operations.backupKeepDays * 86_400_000;
  const removed: string[] = [];
  for (const b of await listBackups(config)) {
    if (Date.parse(b.createdAt) >= limit) continue;
    await rm(b.path, { recursive: true, force: true });
    removed.push(b.path);
    await recordOperation(ctx, actor, auth, {
      kind: 'prune',
      status: 'ok',
      reason: `plus de ${config.operations.backupKeepDays} jour(s)`,
      backupId: b.id,
      location: b.path,
      summary: { createdAt: b.createdAt, size: b.size },
    });
  }
  // Leftovers of backups whose process died (temporary names of dead processes).
  for (const name of await readdir(resolve(config.operations.backupDir)).catch(() => [] as string[])) {
    const pid = Number(/\.(\d+)\.partial$/.exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch {
      await rm(join(resolve(config.operations.backupDir), name), { recursive: true, force: true });
    }
  }
  return removed;
}

// ---------------------------------------------------------------------------------------------
// Verification

export interface CheckLine {
  label: string;
  ok: boolean;
  detail?: string;
}

export interface VerifyReport {
  ok: boolean;
  backupId: string;
  checks: CheckLine[];
}

async function checkParts(path: string, m: BackupManifest): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  let ok = 0;
  for (const part of m.parts) {
    const file = join(path, part.path);
    const got = existsSync(file) ? await sha256File(file) : null;
    if (got && got.sha256 === part.sha256 && got.size === part.size) ok++;
    else
      lines.push({
        label: `Empreinte de ${part.path}`,
        ok: false,
        detail: got ? 'contenu modifié (SHA-256 différent)' : 'fichier absent',
      });
  }
  lines.unshift({
    label: 'Empreintes SHA-256 des parties',
    ok: ok === m.parts.length,
    detail: `${ok}/${m.parts.length} conforme(s)`,
  });
  return lines;
}

function compareFacts(m: BackupManifest, facts: SnapshotFacts): CheckLine[] {
  const diff = Object.keys({ ...m.tables, ...facts.tables }).filter((t) => m.tables[t] !== facts.tables[t]);
  return [
    {
      label: 'Nombre de lignes par table',
      ok: diff.length === 0,
      detail: diff.length
        ? diff.map((t) => `${t} : ${facts.tables[t] ?? 'absente'} au lieu de ${m.tables[t] ?? 'absente'}`).join(', ')
        : `${Object.keys(m.tables).length} tables, ${Object.values(m.tables).reduce((a, b) => a + b, 0)} lignes`,
    },
    {
      label: "Tête du journal d'audit",
      ok: JSON.stringify(m.auditHead) === JSON.stringify(facts.auditHead),
      detail: `n° ${facts.auditHead?.seq ?? 0}`,
    },
    {
      label: 'Version du schéma',
      ok: JSON.stringify(m.migrations) === JSON.stringify(facts.migrations),
      detail: facts.migrations.at(-1) ?? 'aucune migration',
    },
  ];
}

/** A temporary PostgreSQL database on the server of `url`, dropped by `drop`. */
async function scratchDatabase(url: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `cartes_verif_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: url });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    await admin.query(`create database ${admin.escapeIdentifier(name)}`);
  } catch (err) {
    throw invalid(
      `Impossible de créer une base temporaire pour la vérification (${(err as Error).message}) : indiquez une base vide avec --db.`,
    );
  } finally {
    await admin.end();
  }
  const target = new URL(url);
  target.pathname = `/${name}`;
  return {
    url: target.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: url });
      c.on('error', () => undefined);
      await c.connect();
      try {
        await c.query(`drop database if exists ${c.escapeIdentifier(name)} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * Verifies a backup: the parts' SHA-256, then a restore into a temporary place (a copy of the SQLite
 * file, or a temporary PostgreSQL database on the configured server or on `db`), where the row
 * counts, the audit head and the schema are compared with the manifest, the audit chain is verified
 * and the service keys are opened with this installation's KEK. Journaled when `journal` is given.
 */
export async function verifyBackup(
  config: Config,
  secrets: BackupSecrets,
  path: string,
  opts: { db?: string; journal?: { ctx: AppContext; actor: Actor } } = {},
): Promise<VerifyReport> {
  const auth = opts.journal ? await authorize(opts.journal.ctx, opts.journal.actor, 'operations.manage', null) : null;
  const m = await readManifest(path);
  const checks = await checkParts(path, m);
  const temp = await makeTempDir(config.dataDir, 'verif');
  let scratch: { url: string; drop: () => Promise<void> } | null = null;
  try {
    const part = m.parts.find((p) => p.path.startsWith('database.'));
    if (!part) throw invalid('La sauvegarde ne contient pas de copie de la base.');
    let target: string;
    if (m.dialect === 'sqlite') {
      target = join(temp, 'verification.sqlite');
      await restoreDatabase('sqlite', join(path, part.path), target);
    } else {
      const server = opts.db ?? (/^postgres/.test(config.db) ? config.db : null);
      if (!server)
        throw invalid('Sauvegarde PostgreSQL : indiquez avec --db une base PostgreSQL vide pour la vérifier.');
      if (opts.db && (await databaseHasTables('postgres', opts.db)))
        throw invalid('La base indiquée avec --db pour la vérification doit être vide.');
      scratch = opts.db ? null : await scratchDatabase(server);
      target = scratch?.url ?? server;
      await restoreDatabase('postgres', join(path, part.path), target);
    }
    const store = openStore(target, { auditKey: secrets.auditKey });
    try {
      if (m.dialect === 'sqlite') {
        const r = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(store.db);
        const ok = r.rows.length === 1 && r.rows[0]!.integrity_check === 'ok';
        checks.push({ label: 'Intégrité de la base (SQLite)', ok, detail: ok ? 'ok' : r.rows[0]?.integrity_check });
      }
      const facts = m.dialect === 'sqlite' ? await sqliteFacts(target) : await postgresFacts(target);
      checks.push(...compareFacts(m, facts));
      const keyMatches = !m.keys.auditKeyId || m.keys.auditKeyId === keyId(secrets.auditKey);
      if (!keyMatches)
        checks.push({
          label: "Clé de scellement du journal d'audit",
          ok: false,
          detail: "la clé de cette installation n'est pas celle de la sauvegarde (CARTES_AUDIT_KEY)",
        });
      const audit = await verifyAuditChain(store);
      checks.push({
        label: "Chaîne du journal d'audit",
        ok: audit.ok && keyMatches,
        detail: audit.ok
          ? `${audit.checked} enregistrement(s) vérifié(s)`
          : `rompue au n° ${audit.firstBroken?.seq} : ${audit.firstBroken?.reason}`,
      });
      checks.push(await checkServiceKeys(store, secrets.kek, m));
    } finally {
      await store.close();
    }
  } catch (err) {
    checks.push({ label: 'Restauration dans un emplacement temporaire', ok: false, detail: (err as Error).message });
  } finally {
    await scratch?.drop().catch(() => undefined);
    await rm(temp, { recursive: true, force: true });
  }
  const report = { ok: checks.every((c) => c.ok), backupId: m.id, checks };
  if (opts.journal && auth)
    await recordOperation(opts.journal.ctx, opts.journal.actor, auth, {
      kind: 'verify',
      status: report.ok ? 'ok' : 'failed',
      backupId: m.id,
      location: path,
      summary: { checks: checks.map((c) => ({ label: c.label, ok: c.ok, detail: c.detail ?? null })) },
    });
  return report;
}

/** The keys sealed in the copy open with this installation's KEK (« clés chargées »). */
async function checkServiceKeys(store: Store, kek: Buffer | null, m: BackupManifest): Promise<CheckLine> {
  const has = m.tables['service_keys'] ?? 0;
  if (has === 0) return { label: 'Clés de service scellées', ok: true, detail: 'aucune clé dans la base' };
  if (!kek)
    return { label: 'Clés de service scellées', ok: false, detail: 'clé de chiffrement des clés (KEK) absente ici' };
  const rows = await store.db.selectFrom('service_keys').select(['label', 'algorithm', 'key_text']).execute();
  let opened = 0;
  const failures: string[] = [];
  for (const r of rows) {
    try {
      checkKeyAlgorithm(r.algorithm);
      await openSealedKey(r.key_text, kek, r.algorithm, `base:${r.label}`);
      opened++;
    } catch {
      failures.push(r.label);
    }
  }
  return {
    label: 'Clés de service scellées (ouvertes avec la KEK)',
    ok: failures.length === 0,
    detail: failures.length ? `non ouvertes : ${failures.join(', ')}` : `${opened} clé(s)`,
  };
}

// ---------------------------------------------------------------------------------------------
// Restore

export interface RestoreOptions {
  /** Replace a database that holds data (live or used). */
  force?: boolean;
  /** CRL files or folders of CRLs published since the backup (e.g. downloaded from the distribution point). */
  crlSources?: string[];
  /** The operator states that no CRL was published since the backup (no CRL to read). */
  withoutPublishedCrls?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface RestoreReport {
  backupId: string;
  lines: string[];
  replayed: number;
  crlNumbers: Record<string, number>;
}

interface CrlEvidence {
  caName: string;
  crlNumber: bigint;
  crl: CrlRead | null;
  source: string;
}

/** The issuing CAs of a manifest with their public keys and subject names. */
function manifestAuthorities(m: BackupManifest) {
  return m.authorities
    .filter((a) => a.kind === 'issuing')
    .map((a) => {
      const cert = new x509.X509Certificate(Buffer.from(a.certificate, 'base64'));
      return {
        ...a,
        subject: Buffer.from(cert.subjectName.toArrayBuffer()),
        spki: new Uint8Array(cert.publicKey.rawData),
      };
    });
}

/** The CRL files named, and those of the folders named (where files that are not CRLs are skipped). */
async function crlFiles(paths: string[]): Promise<{ file: string; named: boolean }[]> {
  const out: { file: string; named: boolean }[] = [];
  for (const p of paths) {
    const info = await stat(p).catch(() => null);
    if (!info) throw invalid(`CRL introuvable : ${p}.`);
    if (info.isDirectory())
      out.push(
        ...(await listFiles(p)).filter((f) => /\.(crl|pem|der)$/i.test(f)).map((file) => ({ file, named: false })),
      );
    else out.push({ file: p, named: true });
  }
  return out;
}

/** What was published since the backup: the live database being replaced, CRL files, legacy CRL files. */
async function collectCrlEvidence(
  m: BackupManifest,
  target: { dialect: Dialect; location: string; live: boolean },
  dataDir: string,
  sources: string[],
): Promise<{ evidence: CrlEvidence[]; refused: string[] }> {
  const cas = manifestAuthorities(m);
  const roots = m.authorities
    .filter((a) => a.kind === 'root')
    .map((a) =>
      Buffer.from(new x509.X509Certificate(Buffer.from(a.certificate, 'base64')).subjectName.toArrayBuffer()),
    );
  const evidence: CrlEvidence[] = [];
  const refused: string[] = [];
  if (target.live) {
    const store = openStore(target.location);
    try {
      const reserved = await store.db
        .selectFrom('certification_authorities')
        .select(['name', 'crl_number'])
        .where('kind', '=', 'issuing')
        .execute();
      for (const r of reserved)
        evidence.push({
          caName: r.name,
          crlNumber: BigInt(r.crl_number),
          crl: null,
          source: 'base remplacée (compteur)',
        });
      const newest = await store.db
        .selectFrom('published_crls as p')
        .innerJoin('certification_authorities as c', 'c.id', 'p.ca_id')
        .select(['c.name', 'p.ca_id', 'p.crl_number'])
        .where('p.status', '=', 'published')
        .orderBy('p.crl_number', 'desc')
        .execute()
        .catch(() => []); // a database older than published CRLs in the database
      const seen = new Set<string>();
      for (const r of newest) {
        if (seen.has(r.name)) continue;
        seen.add(r.name);
        const chunks = await store.db
          .selectFrom('published_crl_chunks')
          .select('bytes')
          .where('ca_id', '=', r.ca_id)
          .where('crl_number', '=', r.crl_number)
          .orderBy('part')
          .execute();
        const crl = readCrl(Buffer.concat(chunks.map((c) => Buffer.from(c.bytes))));
        evidence.push({ caName: r.name, crlNumber: BigInt(r.crl_number), crl, source: 'base remplacée' });
      }
    } finally {
      await store.close();
    }
  }
  const legacy = join(dataDir, 'pki', 'crl');
  const files = [...(await crlFiles(sources)), ...(existsSync(legacy) ? await crlFiles([legacy]) : [])];
  for (const { file, named } of files) {
    let crl: CrlRead;
    try {
      crl = readCrl(await readFile(file));
    } catch (err) {
      if (named) refused.push(`${file} : ${(err as Error).message}`);
      continue;
    }
    const ca = cas.find((a) => a.subject.equals(Buffer.from(crl.issuer)));
    // The root's CRLs are signed at ceremonies and kept in the database itself (offline_crls): nothing to
    // replay or renumber from them, so a folder of downloaded CRLs may hold one.
    if (!ca && roots.some((subject) => subject.equals(Buffer.from(crl.issuer)))) continue;
    if (!ca) {
      refused.push(`${file} : CRL d'une autorité inconnue de la sauvegarde`);
      continue;
    }
    if (!verifyCrlSignature(crl, ca.spki)) {
      refused.push(`${file} : signature invalide pour l'AC ${ca.name}`);
      continue;
    }
    evidence.push({ caName: ca.name, crlNumber: crl.crlNumber ?? 0n, crl, source: file });
  }
  return { evidence, refused };
}

function french(d: Date | string): string {
  return new Date(d).toLocaleString('fr-FR', { timeZone: 'Europe/Paris' });
}

/**
 * Restores a backup into the database and data folder of `config`. Refuses to replace a database
 * that holds data without `force`. Never reuses a CRL number nor brings a revoked certificate back:
 * the CRLs published since the backup (read from the database being replaced, from `crlSources`,
 * or from legacy CRL files of the data folder) set the numbering above anything published and their
 * revocations are replayed; a revocation of a certificate the backup does not know makes the restore
 * refused before anything is changed, with the list. Journaled and audited in the restored database.
 */
export async function restoreBackup(config: Config, path: string, opts: RestoreOptions = {}): Promise<RestoreReport> {
  const env = opts.env ?? process.env;
  const m = await readManifest(path);
  const bad = (await checkParts(path, m)).filter((c) => !c.ok);
  if (bad.length)
    throw invalid(`Sauvegarde altérée : ${bad.map((c) => `${c.label} (${c.detail ?? ''})`).join(' ; ')}.`);
  const dialect: Dialect = /^postgres(ql)?:\/\//.test(config.db) ? 'postgres' : 'sqlite';
  if (dialect !== m.dialect)
    throw invalid(
      `Cette sauvegarde est une base ${m.dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL'} : restaurez-la dans une base du même type (--db).`,
    );
  const unknownMigrations = m.migrations.filter((x) => !knownMigrations().includes(x));
  if (unknownMigrations.length)
    throw invalid(
      `Sauvegarde faite par une version plus récente de Cartes Agents (migrations ${unknownMigrations.join(', ')}) : mettez à jour avant de restaurer.`,
    );
  const auditKey = readAuditKey(config.dataDir, env);
  if (m.keys.auditKeyId && keyId(auditKey) !== m.keys.auditKeyId)
    throw invalid(
      `La clé de scellement du journal d'audit de cette installation (CARTES_AUDIT_KEY ou ${join(config.dataDir, 'audit.key')}) n'est pas celle de la sauvegarde : fournissez la clé d'origine.`,
    );
  const kek = readServiceKek(config.dataDir, env);
  const lines: string[] = [];
  if (m.keys.kekId && keyId(kek) !== m.keys.kekId)
    lines.push(
      'Attention : la clé de chiffrement des clés de service (CARTES_CA_KEK) de cette installation ne correspond pas à celle de la sauvegarde ; les AC ne pourront pas signer sans la clé d’origine.',
    );

  const live = await databaseHasTables(dialect, config.db);
  if (live && !opts.force)
    throw new AppError(
      'conflict',
      `La base cible contient déjà des données (${dialect === 'sqlite' ? config.db : new URL(config.db).pathname.slice(1)}) : arrêtez les instances, puis relancez avec --force pour la remplacer par la sauvegarde du ${french(m.createdAt)}.`,
    );

  // What was published after the backup, and whether the backup knows every certificate it revokes.
  const { evidence, refused } = await collectCrlEvidence(
    m,
    { dialect, location: config.db, live },
    config.dataDir,
    opts.crlSources ?? [],
  );
  if (refused.length) throw invalid(`CRL refusée(s) : ${refused.join(' ; ')}.`);
  const issuing = manifestAuthorities(m);
  const missing = issuing.filter(
    (ca) => (ca.publishedCrl !== null || ca.crlNumber > 0) && !evidence.some((e) => e.caName === ca.name),
  );
  if (missing.length && !opts.withoutPublishedCrls)
    throw invalid(
      `Restauration refusée : les CRL publiées depuis la sauvegarde sont inconnues pour ${missing.map((c) => `l'AC ${c.name}`).join(', ')}. Fournissez-les avec --crl <fichier ou dossier> (téléchargées depuis le point de distribution, par exemple ${config.publicUrl}/pki/crl/${missing[0]!.name}.crl), ou confirmez qu'aucune CRL n'a été publiée depuis avec --without-published-crls.`,
    );
  const newest = new Map<string, CrlEvidence>();
  for (const e of evidence) {
    if (!e.crl) continue;
    const cur = newest.get(e.caName);
    if (!cur || e.crlNumber > cur.crlNumber) newest.set(e.caName, e);
  }
  const wanted = new Set<string>();
  // The serial as the CRL writes it (leading zero digit kept), for the report.
  const written = new Map<string, string>();
  for (const e of newest.values())
    for (const entry of e.crl!.entries) {
      wanted.add(serialKey(entry.serialHex));
      written.set(serialKey(entry.serialHex), entry.serialHex.toLowerCase());
    }
  const dbPart = m.parts.find((p) => p.path.startsWith('database.'))!;
  const known = wanted.size
    ? await certificateStatusesInCopy(m.dialect, join(path, dbPart.path), wanted, env)
    : new Map();
  const unknown = [...wanted].filter((s) => !known.has(s)).map((s) => written.get(s) ?? s);
  if (unknown.length)
    throw invalid(
      `Restauration refusée : ${unknown.length} certificat(s) révoqué(s) ou suspendu(s) depuis la sauvegarde y sont inconnus (émis après elle) : ${unknown.slice(0, 20).join(', ')}${unknown.length > 20 ? '…' : ''}. Les restaurer les ferait disparaître des CRL : restaurez une sauvegarde plus récente.`,
    );

  // Replace the database, bring its schema to this version, then continue numbering and replay.
  await restoreDatabase(dialect, join(path, dbPart.path), config.db);
  lines.push(`Base restaurée depuis la sauvegarde du ${french(m.createdAt)} (${m.reason}).`);
  const store = openStore(config.db, { auditKey });
  let replayed = 0;
  const crlNumbers: Record<string, number> = {};
  try {
    await migrate(store);
    const ctx = makeContext(
      store,
      createMailer({ from: config.mailFrom, smtpUrl: config.smtpUrl, mailDir: config.mailDir }),
      config.dataDir,
    );
    const actor = systemActor('restore');
    const auth = await authorize(ctx, actor, 'operations.manage', null);
    const now = ctx.now().toISOString();
    await store.db.transaction().execute(async (trx) => {
      const cas = await trx
        .selectFrom('certification_authorities')
        .select(['id', 'name', 'crl_number'])
        .where('kind', '=', 'issuing')
        .execute();
      for (const ca of cas) {
        const seen = evidence.filter((e) => e.caName === ca.name).map((e) => Number(e.crlNumber));
        const next = Math.max(ca.crl_number, ...seen);
        crlNumbers[ca.name] = next + 1;
        if (next !== ca.crl_number)
          await trx
            .updateTable('certification_authorities')
            .set({ crl_number: next })
            .where('id', '=', ca.id)
            .execute();
        lines.push(
          `AC ${ca.name} : numérotation des CRL reprise au n° ${next + 1} (sauvegarde : ${ca.crl_number}, publié depuis : ${seen.length ? Math.max(...seen) : 'rien'}).`,
        );
        const evidenceCrl = newest.get(ca.name);
        const entries = evidenceCrl?.crl?.entries ?? [];
        for (let i = 0; i < entries.length; i += 500) {
          const slice = entries.slice(i, i + 500);
          const rows = await trx
            .selectFrom('certificates')
            .select(['serial', 'status', 'card_id'])
            .where('ca_id', '=', ca.id)
            .where(
              'serial',
              'in',
              slice.map((e) => e.serialHex),
            )
            .execute();
          const bySerial = new Map(rows.map((r) => [serialKey(r.serial), r]));
          for (const entry of slice) {
            const row = bySerial.get(serialKey(entry.serialHex));
            if (!row || row.status === 'revoked') continue;
            const hold = entry.reason === 'certificateHold';
            if (hold && row.status === 'suspended') continue;
            const status = hold ? 'suspended' : 'revoked';
            await trx
              .updateTable('certificates')
              .set({
                status,
                revoked_at: entry.revokedAt.toISOString(),
                revocation_reason: entry.reason,
                status_changed_at: now,
              })
              .where('serial', '=', row.serial)
              .execute();
            await appendAudit(trx, store, {
              at: now,
              actorId: auth.actorId,
              actorRole: auth.role,
              organizationId: null,
              action: 'pki.certificate.replay',
              outcome: 'ok',
              targetType: 'certificate',
              targetId: row.serial,
              summary: {
                before: { status: row.status },
                after: { status, reason: entry.reason, revokedAt: entry.revokedAt.toISOString() },
                card: row.card_id,
              },
              evidence: [`crl:${ca.name}#${evidenceCrl!.crlNumber}`, evidenceCrl!.source],
            });
            replayed++;
            lines.push(
              `Certificat ${row.serial} : ${status === 'revoked' ? 'révocation' : 'suspension'} du ${french(entry.revokedAt)} rejouée depuis la CRL n° ${evidenceCrl!.crlNumber}${row.card_id ? ` (carte ${row.card_id} : vérifiez son état)` : ''}.`,
            );
          }
        }
        // A CRL above everything published, at once, by the first instance that starts.
        await enqueue(trx, { id: ctx.newId(), kind: 'crl.publish', payload: { caId: ca.id }, runAt: now, now });
      }
      await recordOperation(
        ctx,
        actor,
        auth,
        {
          kind: 'restore',
          status: 'ok',
          backupId: m.id,
          location: path,
          summary: { replayed, crlNumbers, backupCreatedAt: m.createdAt, forced: !!opts.force },
        },
        trx,
      );
    });
  } finally {
    await store.close();
  }
  // The data folder's files (root key under dual control, configuration, letters).
  const filesDir = join(path, 'files');
  if (existsSync(filesDir)) {
    let copied = 0;
    let kept = 0;
    for (const f of await listFiles(filesDir)) {
      const dest = join(config.dataDir, relative(filesDir, f));
      if (existsSync(dest) && !opts.force) {
        kept++;
        continue;
      }
      await mkdir(join(dest, '..'), { recursive: true, mode: 0o700 });
      await cp(f, dest, { force: true, preserveTimestamps: true });
      copied++;
    }
    lines.push(
      `Fichiers du dossier de données : ${copied} restauré(s)${kept ? `, ${kept} déjà présent(s) laissé(s) en place (--force pour les remplacer)` : ''}.`,
    );
  }
  lines.push(
    `${replayed} révocation(s) ou suspension(s) rejouée(s). Secrets non contenus dans la sauvegarde, à fournir : ${m.notIncluded.join(' ; ')}.`,
  );
  return { backupId: m.id, lines, replayed, crlNumbers };
}
