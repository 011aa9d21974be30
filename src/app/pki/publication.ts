// Certificate status publication: CRLs per issuing CA (streamed, signed by the CA's service key, kept
// in the database so every instance serves the newest). The OCSP responder (ocsp-responder.ts) reads
// the same rows that the status use cases change, so CRL, OCSP and the API agree.
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import * as x509 from '../../pki/x509.ts';
import { openServiceSigner } from '../../pki/ca-init.ts';
import { REASON_CODES, writeCrl } from '../../pki/crl-writer.ts';
import { sql } from 'kysely';
import { appendAudit } from '../../store/audit.ts';
import { notFound } from '../errors.ts';
import type { AppContext } from '../context.ts';
import type { PkiEnvironment } from './certificates.ts';
import { INSTANCE_ID } from '../../logger.ts';
import { keyPlace } from './key-place.ts';

/** CRLs are valid 24 hours (ETSI EN 319 411-1 REV-6.2.4-03A/C) and republished well before. */
export const CRL_VALIDITY_HOURS = 24;

/** Size of the parts a published CRL is stored in (a large CRL is written and served as a stream). */
const CRL_PART_BYTES = 1 << 20;
/** Published CRLs kept per CA beyond the newest (a client may still be downloading one). */
const CRL_KEEP = 3;

const REASON_CASE = `case revocation_reason ${Object.entries(REASON_CODES)
  .filter(([, code]) => code !== 0)
  .map(([name, code]) => `when '${name}' then '${code}'`)
  .join(' ')} else '0' end`;

/**
 * The revoked and suspended certificates of one CA as text lines "serial,YYYYMMDDHHMMSS,reason code"
 * (crl-writer.ts PackedEntries): one statement, one range scan of the partial index
 * certificates_revoked in serial order, one consistent snapshot, and no object per row on either
 * side. Handed to the writer in slices of whole lines so that the event loop breathes between them.
 */
async function* revokedEntries(ctx: AppContext, caId: string): AsyncGenerator<string> {
  const time = `replace(replace(replace(substr(coalesce(revoked_at, '1970-01-01T00:00:00'), 1, 19), '-', ''), ':', ''), 'T', '')`;
  const line = sql.raw(`serial || ',' || ${time} || ',' || ${REASON_CASE}`);
  const agg =
    ctx.store.dialect === 'postgres' ? sql`string_agg(${line}, chr(10))` : sql`group_concat(${line}, char(10))`;
  const { rows } = await sql<{ packed: string | null }>`select ${agg} as packed from (select serial, revoked_at,
    revocation_reason from certificates where ca_id = ${caId} and status in ('revoked', 'suspended')
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

/** A stream into `published_crl_chunks`: parts of CRL_PART_BYTES, with the SHA-256 and size. */
class CrlChunkWriter extends Writable {
  readonly hash = createHash('sha256');
  size = 0;
  #part = 0;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  readonly #ctx: AppContext;
  readonly #caId: string;
  readonly #crlNumber: number;
  constructor(ctx: AppContext, caId: string, crlNumber: number) {
    super();
    this.#ctx = ctx;
    this.#caId = caId;
    this.#crlNumber = crlNumber;
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    if (this.#pendingBytes < CRL_PART_BYTES) return cb();
    this.#flush().then(() => cb(), cb);
  }
  override _final(cb: (err?: Error | null) => void): void {
    this.#flush().then(() => cb(), cb);
  }
  async #flush(): Promise<void> {
    if (this.#pendingBytes === 0) return;
    const bytes = Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    await this.#ctx.store.db
      .insertInto('published_crl_chunks')
      .values({ ca_id: this.#caId, crl_number: this.#crlNumber, part: this.#part++, bytes })
      .execute();
  }
}

/**
 * Builds and signs the CRL of one issuing CA and publishes it in the database, where every instance
 * serves the newest one. The number is reserved (row lock on the CA) before the entries are read,
 * so a later number always carries a later snapshot, and numbers only grow, whichever instance
 * publishes. Outbox jobs asking for this CA's CRL that were queued before the reservation are
 * covered by this publication and closed with it (one CRL for a burst of revocations).
 */
// One publication at a time per CA in a process (hourly refresh, outbox job and first request may coincide).
const publishing = new Map<string, Promise<unknown>>();

export interface PublishedCrl {
  caName: string;
  crlNumber: number;
  entries: number;
  size: number;
  sha256: string;
  thisUpdate: Date;
  nextUpdate: Date;
}

export function publishCrl(ctx: AppContext, pki: PkiEnvironment, caName: string): Promise<PublishedCrl> {
  const key = `${ctx.store.location}|${caName}`;
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

async function publishCrlNow(ctx: AppContext, pki: PkiEnvironment, caName: string): Promise<PublishedCrl> {
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
  const thisUpdate = new Date(Math.floor(ctx.now().getTime() / 1000) * 1000);
  const nextUpdate = new Date(thisUpdate.getTime() + CRL_VALIDITY_HOURS * 3600_000);
  const { crlNumber, covered } = await ctx.store.db.transaction().execute(async (trx) => {
    let q = trx.selectFrom('certification_authorities').select('crl_number').where('id', '=', ca.id);
    if (ctx.store.dialect === 'postgres') q = q.forUpdate();
    const n = (await q.executeTakeFirstOrThrow()).crl_number + 1;
    await trx.updateTable('certification_authorities').set({ crl_number: n }).where('id', '=', ca.id).execute();
    // Requests committed before this point are visible to the entries read below.
    const waiting = await trx
      .selectFrom('jobs')
      .select(['id', 'payload'])
      .where('kind', '=', 'crl.publish')
      .where('status', '=', 'pending')
      .limit(1000)
      .execute();
    await trx
      .insertInto('published_crls')
      .values({
        ca_id: ca.id,
        crl_number: n,
        status: 'writing',
        this_update: thisUpdate.toISOString(),
        next_update: nextUpdate.toISOString(),
        entries: 0,
        size: 0,
        sha256: null,
        published_by: INSTANCE_ID,
        created_at: ctx.now().toISOString(),
      })
      .execute();
    return {
      crlNumber: n,
      covered: waiting.filter((j) => (JSON.parse(j.payload) as { caId?: string }).caId === ca.id).map((j) => j.id),
    };
  });
  const out = new CrlChunkWriter(ctx, ca.id, crlNumber);
  let info;
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
  } catch (err) {
    if (!out.destroyed) out.destroy();
    await discardCrl(ctx, ca.id, crlNumber).catch(() => undefined);
    throw err;
  }
  const sha256 = out.hash.digest('hex');
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('published_crls')
      .set({ status: 'published', entries: info.entries, size: out.size, sha256 })
      .where('ca_id', '=', ca.id)
      .where('crl_number', '=', crlNumber)
      .execute();
    if (covered.length)
      await trx
        .updateTable('jobs')
        .set({ status: 'done', finished_at: ctx.now().toISOString(), last_error: null })
        .where('id', 'in', covered)
        .where('status', '=', 'pending')
        .execute();
    await appendAudit(trx, ctx.store, {
      at: ctx.now().toISOString(),
      actorId: 'system:crl',
      actorRole: 'system',
      organizationId: null,
      action: 'pki.crl.publish',
      outcome: 'ok',
      targetType: 'certificationAuthority',
      targetId: ca.id,
      summary: { caName, crlNumber, entries: info.entries, nextUpdate: nextUpdate.toISOString(), sha256 },
    });
  });
  await pruneCrls(ctx, ca.id).catch(() => undefined);
  return { caName, crlNumber, entries: info.entries, size: out.size, sha256, thisUpdate, nextUpdate };
}

async function discardCrl(ctx: AppContext, caId: string, crlNumber: number): Promise<void> {
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom('published_crl_chunks')
      .where('ca_id', '=', caId)
      .where('crl_number', '=', crlNumber)
      .execute();
    await trx.deleteFrom('published_crls').where('ca_id', '=', caId).where('crl_number', '=', crlNumber).execute();
  });
}

/**
 * Drops superseded CRLs (all but the newest CRL_KEEP + 1, once an hour old) and the leftovers of a
 * publication that died half-way (« writing » for over an hour).
 */
async function pruneCrls(ctx: AppContext, caId: string): Promise<void> {
  const hourAgo = new Date(ctx.now().getTime() - 3600_000).toISOString();
  const kept = await ctx.store.db
    .selectFrom('published_crls')
    .select('crl_number')
    .where('ca_id', '=', caId)
    .where('status', '=', 'published')
    .orderBy('crl_number', 'desc')
    .offset(CRL_KEEP)
    .limit(1)
    .executeTakeFirst();
  const stale = await ctx.store.db
    .selectFrom('published_crls')
    .select('crl_number')
    .where('ca_id', '=', caId)
    .where('created_at', '<', hourAgo)
    .where((eb) =>
      eb.or([
        eb('status', '=', 'writing'),
        ...(kept ? [eb.and([eb('status', '=', 'published'), eb('crl_number', '<', kept.crl_number)])] : []),
      ]),
    )
    .limit(100)
    .execute();
  for (const r of stale) await discardCrl(ctx, caId, r.crl_number);
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

/** The newest CRL published for each authority (none when never published). */
export async function latestCrls(
  ctx: AppContext,
): Promise<{ caId: string; caName: string; crlNumber: number; thisUpdate: string; nextUpdate: string }[]> {
  const rows = await ctx.store.db
    .selectFrom('published_crls as p')
    .innerJoin('certification_authorities as c', 'c.id', 'p.ca_id')
    .select(['p.ca_id', 'c.name', 'p.crl_number', 'p.this_update', 'p.next_update'])
    .where('p.status', '=', 'published')
    .where(({ eb, selectFrom }) =>
      eb(
        'p.crl_number',
        '=',
        selectFrom('published_crls as q')
          .select((q) => q.fn.max('q.crl_number').as('m'))
          .whereRef('q.ca_id', '=', 'p.ca_id')
          .where('q.status', '=', 'published'),
      ),
    )
    .execute();
  return rows.map((r) => ({
    caId: r.ca_id,
    caName: r.name,
    crlNumber: r.crl_number,
    thisUpdate: r.this_update,
    nextUpdate: r.next_update,
  }));
}

/** Publishes again the CRLs missing or older than half their validity (hourly pass, and at start). */
export async function refreshCrls(ctx: AppContext, pki: PkiEnvironment): Promise<string[]> {
  const cas = await ctx.store.db
    .selectFrom('certification_authorities')
    .select(['id', 'name'])
    .where('kind', '=', 'issuing')
    .where('status', '=', 'active')
    .execute();
  const latest = new Map((await latestCrls(ctx)).map((c) => [c.caId, c]));
  const limit = ctx.now().getTime() - (CRL_VALIDITY_HOURS / 2) * 3600_000;
  const done: string[] = [];
  for (const ca of cas) {
    const last = latest.get(ca.id);
    if (last && Date.parse(last.thisUpdate) > limit) continue;
    await publishCrl(ctx, pki, ca.name);
    done.push(ca.name);
  }
  return done;
}

export interface StoredCrl {
  crlNumber: number;
  size: number;
  sha256: string;
  thisUpdate: string;
  nextUpdate: string;
  /** The DER, part after part, read from the database as it is sent. */
  stream(): AsyncGenerator<Buffer>;
}

/** The newest published CRL of the authority named `caName`, or null. */
export async function newestCrl(ctx: AppContext, caName: string): Promise<StoredCrl | null> {
  const row = await ctx.store.db
    .selectFrom('published_crls as p')
    .innerJoin('certification_authorities as c', 'c.id', 'p.ca_id')
    .select(['p.ca_id', 'p.crl_number', 'p.size', 'p.sha256', 'p.this_update', 'p.next_update'])
    .where('c.name', '=', caName)
    .where('p.status', '=', 'published')
    .orderBy('p.crl_number', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) return null;
  const db = ctx.store.db;
  return {
    crlNumber: row.crl_number,
    size: row.size,
    sha256: row.sha256 ?? '',
    thisUpdate: row.this_update,
    nextUpdate: row.next_update,
    async *stream() {
      for (let part = 0; ; part++) {
        const chunk = await db
          .selectFrom('published_crl_chunks')
          .select('bytes')
          .where('ca_id', '=', row.ca_id)
          .where('crl_number', '=', row.crl_number)
          .where('part', '=', part)
          .executeTakeFirst();
        if (!chunk) return;
        yield Buffer.from(chunk.bytes);
      }
    },
  };
}

/** The whole DER of the newest CRL of `caName` (for `cartes ca crl --out` and tests), or null. */
export async function newestCrlDer(ctx: AppContext, caName: string): Promise<Buffer | null> {
  const crl = await newestCrl(ctx, caName);
  if (!crl) return null;
  const parts: Buffer[] = [];
  for await (const p of crl.stream()) parts.push(p);
  return Buffer.concat(parts);
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
