// Certificate status publication: CRLs per issuing CA (streamed, signed by the CA's service key). The
// OCSP responder (ocsp-responder.ts) reads the same rows that the status use cases change, so CRL,
// OCSP and the API agree.
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '../../pki/x509.ts';
import { openServiceSigner } from '../../pki/ca-init.ts';
import { REASON_CODES, writeCrl } from '../../pki/crl-writer.ts';
import { sql } from 'kysely';
import { appendAudit } from '../../store/audit.ts';
import { notFound } from '../errors.ts';
import type { AppContext } from '../context.ts';
import type { PkiEnvironment } from './certificates.ts';

/** CRLs are valid 24 hours (ETSI EN 319 411-1 REV-6.2.4-03A/C) and republished well before. */
export const CRL_VALIDITY_HOURS = 24;

export function crlDir(dataDir: string): string {
  return join(dataDir, 'pki', 'crl');
}

export function crlPath(dataDir: string, caName: string): string {
  return join(crlDir(dataDir), `${caName}.crl`);
}

const REASON_CASE = `case revocation_reason ${Object.entries(REASON_CODES)
  .filter(([, code]) => code !== 0)
  .map(([name, code]) => `when '${name}' then '${code}'`)
  .join(' ')} else '0' end`;

/**
 * The revoked and suspended certificates of one CA as text lines "serial,YYYYMMDDHHMMSS,reason code",
 * with ",YYYYMMDDHHMMSS" after it on a key compromise whose date the holder gave (invalidityDate)
 * (crl-writer.ts PackedEntries): one statement, one range scan of the partial index
 * certificates_revoked in serial order, one consistent snapshot, and no object per row on either
 * side. Handed to the writer in slices of whole lines so that the event loop breathes between them.
 */
async function* revokedEntries(ctx: AppContext, caId: string): AsyncGenerator<string> {
  const time = `replace(replace(replace(substr(coalesce(revoked_at, '1970-01-01T00:00:00'), 1, 19), '-', ''), ':', ''), 'T', '')`;
  const invalidity = `replace(replace(replace(substr(invalidity_date, 1, 19), '-', ''), ':', ''), 'T', '')`;
  const line = sql.raw(
    `serial || ',' || ${time} || ',' || ${REASON_CASE} || case when revocation_reason = 'keyCompromise' and invalidity_date is not null then ',' || ${invalidity} else '' end`,
  );
  const agg =
    ctx.store.dialect === 'postgres' ? sql`string_agg(${line}, chr(10))` : sql`group_concat(${line}, char(10))`;
  const { rows } = await sql<{ packed: string | null }>`select ${agg} as packed from (select serial, revoked_at,
    revocation_reason, invalidity_date from certificates where ca_id = ${caId} and status in ('revoked', 'suspended')
    order by serial) as r`.execute(ctx.store.db);
  const packed = rows[0]?.packed ?? '';
  const SLICE = 1 << 20;
  for (let pos = 0; pos < packed.length;) {
    let end = pos + SLICE >= packed.length ? packed.length : packed.indexOf('\n', pos + SLICE);
    if (end < 0) end = packed.length;
    yield packed.slice(pos, end);
    pos = end + 1;
    await new Promise<void>((resolve) => setImmediate(resolve));
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
  const signer = await openServiceSigner(ctx.dataDir, ca.key_ref, pki.kek);
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
        entries: { packed: revokedEntries(ctx, ca.id) },
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

/** The DER certificate of an authority (served at the caIssuers URL). */
export async function caCertificateDer(ctx: AppContext, name: string): Promise<Uint8Array | null> {
  const ca = await ctx.store.db
    .selectFrom('certification_authorities')
    .select('certificate_der')
    .where('name', '=', name)
    .executeTakeFirst();
  return ca?.certificate_der ?? null;
}
