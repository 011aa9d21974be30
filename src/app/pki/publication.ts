// Certificate status publication: CRLs per issuing CA (streamed, signed by the CA's service key) and
// the OCSP responder's view of the certificate table. Both read the same rows that the status use
// cases change, so CRL, OCSP and the API agree.
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '../../pki/x509.ts';
import { openServiceSigner } from '../../pki/ca-init.ts';
import { writeCrl, type RevocationReason, type RevokedEntry } from '../../pki/crl-writer.ts';
import {
  issuerIdentity,
  OcspCache,
  responderInfo,
  toHex,
  type CertStatusInfo,
  type OcspHashName,
} from '../../pki/ocsp.ts';
import type { OcspAuthority } from '../../pki/ocsp-http.ts';
import { appendAudit } from '../../store/audit.ts';
import { notFound } from '../errors.ts';
import type { AppContext } from '../context.ts';
import type { PkiEnvironment } from './certificates.ts';
import { keyPlace } from './key-place.ts';

/** CRLs are valid 24 hours (ETSI EN 319 411-1 REV-6.2.4-03A/C) and republished well before. */
export const CRL_VALIDITY_HOURS = 24;

export function crlDir(dataDir: string): string {
  return join(dataDir, 'pki', 'crl');
}

export function crlPath(dataDir: string, caName: string): string {
  return join(crlDir(dataDir), `${caName}.crl`);
}

async function* revokedEntries(ctx: AppContext, caId: string): AsyncGenerator<RevokedEntry> {
  // Paged by serial so that a million entries never sit in memory at once.
  let after = '';
  for (;;) {
    const rows = await ctx.store.db
      .selectFrom('certificates')
      .select(['serial', 'revoked_at', 'revocation_reason'])
      .where('ca_id', '=', caId)
      .where('status', 'in', ['revoked', 'suspended'])
      .where('serial', '>', after)
      .orderBy('serial')
      .limit(10_000)
      .execute();
    for (const r of rows) {
      yield {
        serialHex: r.serial,
        revokedAt: new Date(r.revoked_at ?? 0),
        reason: (r.revocation_reason ?? 'unspecified') as RevocationReason,
      };
    }
    if (rows.length < 10_000) return;
    after = rows.at(-1)!.serial;
  }
}

/** Builds and signs the CRL of one issuing CA, writes it atomically to <data>/pki/crl/<name>.crl. */
// One publication at a time per CA in a process (hourly refresh, outbox job and first request may
// coincide); the CRL number is reserved before the entries are read, so a later number always
// carries a later snapshot.
const publishing = new Map<string, Promise<unknown>>();

export function publishCrl(
  ctx: AppContext,
  pki: PkiEnvironment,
  caName: string,
): Promise<{ path: string; crlNumber: number; entries: number; nextUpdate: Date }> {
  const key = `${ctx.dataDir}|${caName}`;
  const run = (publishing.get(key) ?? Promise.resolve())
    .catch(() => undefined)
    .then(() => publishCrlNow(ctx, pki, caName));
  publishing.set(key, run);
  void run
    .finally(() => {
      if (publishing.get(key) === run) publishing.delete(key);
    })
    .catch(() => undefined);
  return run;
}

async function publishCrlNow(
  ctx: AppContext,
  pki: PkiEnvironment,
  caName: string,
): Promise<{ path: string; crlNumber: number; entries: number; nextUpdate: Date }> {
  const ca = await ctx.store.db
    .selectFrom('certification_authorities')
    .selectAll()
    .where('name', '=', caName)
    .where('kind', '=', 'issuing')
    .executeTakeFirst();
  if (!ca) throw notFound(`Autorité de certification émettrice inconnue : ${caName}.`);
  const cert = new x509.X509Certificate(ca.certificate_der);
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  const signer = await openServiceSigner(keyPlace(ctx), ca.key_ref, pki.kek);
  const crlNumber = await ctx.store.db.transaction().execute(async (trx) => {
    let q = trx.selectFrom('certification_authorities').select('crl_number').where('id', '=', ca.id);
    if (ctx.store.dialect === 'postgres') q = q.forUpdate();
    const n = (await q.executeTakeFirstOrThrow()).crl_number + 1;
    await trx.updateTable('certification_authorities').set({ crl_number: n }).where('id', '=', ca.id).execute();
    return n;
  });
  const thisUpdate = new Date(Math.floor(ctx.now().getTime() / 1000) * 1000);
  const nextUpdate = new Date(thisUpdate.getTime() + CRL_VALIDITY_HOURS * 3600_000);
  const path = crlPath(ctx.dataDir, caName);
  await mkdir(crlDir(ctx.dataDir), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomUUID()}.tmp`;
  let info;
  const out = createWriteStream(tmp);
  try {
    info = await writeCrl(
      {
        issuer: new Uint8Array(cert.subjectName.toArrayBuffer()),
        thisUpdate,
        nextUpdate,
        entries: revokedEntries(ctx, ca.id),
        authorityKeyIdentifier: new Uint8Array(Buffer.from(ski?.keyId ?? '', 'hex')),
        crlNumber: BigInt(crlNumber),
        signer,
      },
      out,
    );
    await rename(tmp, path);
  } catch (err) {
    if (!out.closed)
      await new Promise<void>((r) => {
        out.once('close', () => r());
        out.destroy();
      });
    await rm(tmp, { force: true });
    throw err;
  }
  await ctx.store.db.transaction().execute(async (trx) => {
    await appendAudit(trx, ctx.store, {
      at: ctx.now().toISOString(),
      actorId: 'system:crl',
      actorRole: 'system',
      organizationId: null,
      action: 'pki.crl.publish',
      outcome: 'ok',
      targetType: 'certificationAuthority',
      targetId: ca.id,
      summary: { caName, crlNumber, entries: info.entries, nextUpdate: nextUpdate.toISOString() },
    });
  });
  return { path, crlNumber, entries: info.entries, nextUpdate };
}

export async function publishAllCrls(ctx: AppContext, pki: PkiEnvironment): Promise<string[]> {
  const cas = await ctx.store.db
    .selectFrom('certification_authorities')
    .select('name')
    .where('kind', '=', 'issuing')
    .where('status', '=', 'active')
    .execute();
  for (const ca of cas) await publishCrl(ctx, pki, ca.name);
  return cas.map((c) => c.name);
}

/** Writes the CRL again only when it is missing or more than half its validity old. */
export async function refreshCrls(ctx: AppContext, pki: PkiEnvironment, ages: Map<string, number>): Promise<void> {
  const cas = await ctx.store.db
    .selectFrom('certification_authorities')
    .select('name')
    .where('kind', '=', 'issuing')
    .where('status', '=', 'active')
    .execute();
  const now = ctx.now().getTime();
  for (const ca of cas) {
    const last = ages.get(ca.name);
    if (last !== undefined && now - last < (CRL_VALIDITY_HOURS / 2) * 3600_000) continue;
    await publishCrl(ctx, pki, ca.name);
    ages.set(ca.name, now);
  }
}

// ---------------------------------------------------------------------------------------------
// OCSP: what the responder needs, read from the database.

export interface OcspSource {
  lookup(issuerKeyHashHex: string, serialHex: string): Promise<CertStatusInfo | null>;
  responderFor(issuerKeyHashHex: string, alg: OcspHashName): Promise<OcspAuthority | null>;
  cache: OcspCache;
  /** Drops cached answers of certificates whose status changed since the last call (any process). */
  sync(): Promise<number>;
  /**
   * Reads the authorities again (the newest active responder of each issuing CA), e.g. after an OCSP
   * responder renewal, and drops the cached answers signed by the previous responders. Runs on a
   * timer too (`reloadMs`), so a separate responder process picks renewed responders up.
   */
  reload(): Promise<void>;
  stop(): void;
}

/** OCSP sources open in this process, so that a renewal made here reloads them at once. */
const openSources = new Map<OcspSource, AppContext['store']>();

/** Reloads the OCSP sources of this process that serve from the same database as `ctx`. */
export async function reloadOcspSources(ctx: AppContext): Promise<number> {
  const sources = [...openSources].filter(([, store]) => store === ctx.store).map(([source]) => source);
  for (const source of sources) await source.reload();
  return sources.length;
}

/** How often an OCSP source reads the authorities again (responder renewals by another process). */
export const OCSP_RELOAD_MS = 10 * 60_000;

/** Look back 5 s: a change stamped just before the last one seen may commit after it. */
function overlap(since: string): string {
  return new Date(Date.parse(since) - 5000).toISOString();
}

interface Served {
  caId: string;
  authority: OcspAuthority;
}

/**
 * The OCSP responder's data. Status changes made by any process are noticed by polling
 * `status_changed_at` every `pollMs` (default 250 ms), which bounds how long a cached good answer
 * can outlive a revocation. The authorities are read again every `reloadMs` (default 10 minutes)
 * and on `reload()`.
 */
export async function openOcspSource(
  ctx: AppContext,
  pki: PkiEnvironment,
  opts: { pollMs?: number; reloadMs?: number } = {},
): Promise<OcspSource> {
  let byKeyHash = new Map<string, Served>();
  let bySha1 = new Map<string, Served>();
  let loadedIds = '';
  /** Reads the authorities into new maps, swapped in at once; true when the responders changed. */
  const load = async (): Promise<boolean> => {
    const keyHashes = new Map<string, Served>();
    const sha1s = new Map<string, Served>();
    const ids: string[] = [];
    const issuing = await ctx.store.db
      .selectFrom('certification_authorities')
      .selectAll()
      .where('kind', '=', 'issuing')
      .orderBy('id')
      .execute();
    for (const ca of issuing) {
      const responder = await ctx.store.db
        .selectFrom('certification_authorities')
        .selectAll()
        .where('kind', '=', 'ocsp')
        .where('parent_id', '=', ca.id)
        .where('status', '=', 'active')
        .orderBy('not_after', 'desc')
        .orderBy('created_at', 'desc')
        .executeTakeFirst();
      if (!responder) continue;
      const signer = await openServiceSigner(keyPlace(ctx), responder.key_ref, pki.kek);
      const identity = issuerIdentity(ca.certificate_der);
      const served: Served = {
        caId: ca.id,
        authority: { responder: responderInfo(responder.certificate_der, signer), issuer: identity },
      };
      for (const [alg, h] of Object.entries(identity.hashes)) keyHashes.set(`${alg}:${toHex(h.keyHash)}`, served);
      sha1s.set(toHex(identity.hashes.sha1.keyHash), served);
      ids.push(responder.id);
    }
    byKeyHash = keyHashes;
    bySha1 = sha1s;
    const changed = ids.join(',') !== loadedIds;
    loadedIds = ids.join(',');
    return changed;
  };
  await load();
  const cache = new OcspCache();
  const reload = async (): Promise<void> => {
    // Cached answers were signed by the previous responders: drop them when those changed.
    if (await load()) cache.clear();
  };
  let since = ctx.now().toISOString();
  const sync = async (): Promise<number> => {
    const rows = await ctx.store.db
      .selectFrom('certificates')
      .select(['serial', 'status_changed_at'])
      .where('status_changed_at', '>=', overlap(since))
      .orderBy('status_changed_at')
      .limit(100_000)
      .execute();
    for (const r of rows) cache.invalidate(r.serial);
    if (rows.length) since = rows.at(-1)!.status_changed_at;
    return rows.length;
  };
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  const loop = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      sync()
        .catch(() => 0)
        .finally(loop);
    }, opts.pollMs ?? 250);
    timer.unref();
  };
  loop();
  let reloadTimer: NodeJS.Timeout | null = null;
  const reloadLoop = () => {
    if (stopped) return;
    reloadTimer = setTimeout(() => {
      reload()
        .catch(() => undefined)
        .finally(reloadLoop);
    }, opts.reloadMs ?? OCSP_RELOAD_MS);
    reloadTimer.unref();
  };
  reloadLoop();
  const source: OcspSource = {
    cache,
    sync,
    reload,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (reloadTimer) clearTimeout(reloadTimer);
      openSources.delete(source);
    },
    async responderFor(keyHashHex, alg) {
      return byKeyHash.get(`${alg}:${keyHashHex}`)?.authority ?? null;
    },
    async lookup(sha1KeyHashHex, serialHex) {
      const served = bySha1.get(sha1KeyHashHex);
      if (!served) return null;
      const c = await ctx.store.db
        .selectFrom('certificates')
        .select(['status', 'revoked_at', 'revocation_reason'])
        .where('serial', '=', serialHex)
        .where('ca_id', '=', served.caId)
        .executeTakeFirst();
      if (!c) return { status: 'unknown' };
      if (c.status === 'revoked' || c.status === 'suspended') {
        return {
          status: 'revoked',
          revokedAt: new Date(c.revoked_at ?? 0),
          reason: (c.revocation_reason ?? 'unspecified') as RevocationReason,
        };
      }
      return { status: 'good' };
    },
  };
  openSources.set(source, ctx.store);
  return source;
}

/** The DER certificate of an authority (served at the caIssuers URL). */
export async function caCertificateDer(ctx: AppContext, name: string): Promise<Uint8Array | null> {
  const ca = await ctx.store.db
    .selectFrom('certification_authorities')
    .select('certificate_der')
    .where('name', '=', name)
    .executeTakeFirst();
  return ca?.certificate_der ?? null;
}
