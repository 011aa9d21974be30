// The OCSP responder's data, as large CAs run it (RFC 5019 §6): every certificate's answer is signed
// ahead of time and kept in the database (`ocsp_responses`), shared by every responder; a process keeps
// the answers it served in memory. The hot path is a lookup and a write of stored bytes.
//
// - Status changes: every writer of certificate status appends to `certificate_status_changes` in its
//   transaction (certificates.ts). Each responder follows that log by id every `pollMs` (an index range,
//   proportional to what changed): it drops the answers of changed serials from memory and remembers
//   them as pending until it sees an answer that reflects the change. The process that made a change
//   re-signs at once (`sync()`, called by the routes after the change commits).
// - Background signing: one responder at a time holds the signer lease (`ocsp_signer`); it signs the
//   answers of logged changes nobody signed yet (durable cursor) and re-signs answers reaching their
//   refresh time (`ocsp_responses.refresh_at`, indexed), in bounded batches, off the event loop.
// - Window: answers are valid `validityS` (nextUpdate − thisUpdate, 12 h) and re-signed after
//   `refreshS` (6 h); see README « OCSP » for why, against ETSI EN 319 411-1.
// - Anything without a usable pre-signed answer (no row yet, a newer change pending, a renewed
//   responder) is signed on demand through the bounded pool, and stored for the others.
import { createHash, randomUUID } from 'node:crypto';
import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import { setTimeout as sleep } from 'node:timers/promises';
import { openServiceSigner } from '../../pki/ca-init.ts';
import {
  buildOcspResponse,
  issuerIdentity,
  OcspCache,
  responderInfo,
  toHex,
  type CachedOcspResponse,
  type CertStatusInfo,
  type OcspHashName,
} from '../../pki/ocsp.ts';
import type { NonceMode, OcspAuthority } from '../../pki/ocsp-http.ts';
import { PoolBusyError, SigningPool } from '../../pki/signing-pool.ts';
import { publishedStatus, type CertificateStatus, type RevocationReason } from '../../domain/certificate-status.ts';
import type { Database } from '../../store/schema.ts';
import type { AppContext } from '../context.ts';
import type { PkiEnvironment } from './certificates.ts';
import { keyPlace } from './key-place.ts';

export interface OcspSettings {
  /** nextUpdate − thisUpdate of every answer, seconds. */
  validityS: number;
  /** An answer is signed again this long after its thisUpdate (minus up to a quarter, spread), seconds. */
  refreshS: number;
  /** How often the change log is read, ms. */
  pollMs: number;
  /** Answers signed per step of background work. */
  batch: number;
  /** Answers kept in this process's memory. */
  memoryEntries: number;
  /** On-demand signatures at once / waiting (beyond: tryLater). */
  signConcurrency: number;
  signQueue: number;
  /** Non-critical request nonces (ocsp-http.ts NonceMode). */
  nonce: NonceMode;
  /** The background signer's lease, ms. */
  leaseMs: number;
  /** How often the authorities are read again (responder renewals by another process), ms. */
  reloadMs: number;
  /** Load the stored answers into memory at start (default true; false for a one-off signing command). */
  preload?: boolean;
  /** Told when the answers are in memory after start. */
  onPreloaded?: (r: { answers: number; ms: number }) => void;
}

export const OCSP_DEFAULTS: OcspSettings = {
  validityS: 12 * 3600,
  refreshS: 6 * 3600,
  pollMs: 250,
  batch: 200,
  memoryEntries: 250_000,
  signConcurrency: 4,
  signQueue: 256,
  nonce: 'presigned',
  leaseMs: 30_000,
  reloadMs: 10 * 60_000,
};

/** Status information is kept 7 years after expiry (ETSI EN 319 411-1 OVR-6.4.6-01): the archive cutoff. */
export const OCSP_ARCHIVE_YEARS = 7;
/** A stored answer is not served within this margin of its nextUpdate (it is signed again instead). */
const NEXT_UPDATE_MARGIN_MS = 10 * 60_000;
/** Change log rows are kept this long after the background signer has passed them. */
const CHANGE_LOG_KEEP_MS = 24 * 3600_000;

/** How often an OCSP source reads the authorities again (kept for callers of the old name). */
export const OCSP_RELOAD_MS = OCSP_DEFAULTS.reloadMs;

export interface OcspSourceStats {
  memory: number;
  pending: number;
  leader: boolean;
  /** Answers signed by this process in the background (changes and refreshes) since start. */
  backgroundSigned: number;
  /** Answers read from the shared store since start, one by one. */
  storeReads: number;
  /** Answers loaded into memory at start, and whether that pass is over. */
  preloaded: number;
  preloadDone: boolean;
}

export interface OcspSource {
  lookup(issuerKeyHashHex: string, serialHex: string): Promise<CertStatusInfo | null>;
  responderFor(issuerKeyHashHex: string, alg: OcspHashName): Promise<OcspAuthority | null>;
  /** The pre-signed answer of a serial of this authority (memory, then store, else signed now); null: unknown serial. */
  presigned(authority: OcspAuthority, serialHex: string): Promise<CachedOcspResponse | null>;
  /** Answers signed on demand for other requests (SHA-256 CertIDs, unknown serials). */
  cache: OcspCache;
  pool: SigningPool;
  settings: OcspSettings;
  /** Reads the change log now, re-signs what changed (this process made the change). Returns the changes read. */
  sync(): Promise<number>;
  /**
   * Runs the background signer until nothing is due (changes not signed yet, answers to refresh), taking
   * the lease if free. Returns how many answers it signed; 0 when another process holds the lease.
   */
  presignAll(opts?: { limit?: number }): Promise<number>;
  /** Reads the authorities again (the newest active responder of each issuing CA), e.g. after a renewal. */
  reload(): Promise<void>;
  stats(): OcspSourceStats;
  /** Stops the timers, writes what is waiting, gives the signer lease back. */
  stop(): Promise<void>;
}

interface Served {
  caId: string;
  responderId: string;
  authority: OcspAuthority;
}

/** An answer held in memory; its HTTP validator is computed when a GET first needs it. */
class MemoryEntry implements CachedOcspResponse {
  readonly der: Buffer;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly caId: string;
  readonly expiresAt: number;
  #etag: string | undefined;
  constructor(der: Buffer, thisUpdate: Date, nextUpdate: Date, caId: string, expiresAt: number) {
    this.der = der;
    this.thisUpdate = thisUpdate;
    this.nextUpdate = nextUpdate;
    this.caId = caId;
    this.expiresAt = expiresAt;
  }
  get etag(): string {
    return (this.#etag ??= etagOf(this.der));
  }
}

interface StoredRow {
  ca_id: string;
  responder_id: string;
  der: Uint8Array;
  this_update: string;
  next_update: string;
  refresh_at: string;
  change_id: number;
}

interface CertRow {
  serial: string;
  ca_id: string;
  status: string;
  revoked_at: string | null;
  revocation_reason: string | null;
  not_after: string;
}

/** The status an answer gives, as of `at`; past notAfter it carries the archive cutoff (RFC 6960 §4.4.4). */
export function answerStatus(row: Omit<CertRow, 'serial' | 'ca_id'>, at: Date): CertStatusInfo {
  const reason = (row.revocation_reason as RevocationReason | null) ?? null;
  const published = publishedStatus({ status: row.status as CertificateStatus, reason });
  const info: CertStatusInfo =
    published === 'revoked'
      ? {
          status: 'revoked',
          revokedAt: new Date(row.revoked_at ?? 0),
          reason: row.status === 'suspended' ? 'certificateHold' : (reason ?? 'unspecified'),
        }
      : { status: 'good' };
  if (Date.parse(row.not_after) < at.getTime()) {
    const cutoff = new Date(at);
    cutoff.setUTCFullYear(cutoff.getUTCFullYear() - OCSP_ARCHIVE_YEARS);
    info.archiveCutoff = cutoff;
  }
  return info;
}

/** OCSP sources open in this process, so that a renewal made here reloads them at once. */
const openSources = new Map<OcspSource, AppContext['store']>();

/** Reloads the OCSP sources of this process that serve from the same database as `ctx`. */
export async function reloadOcspSources(ctx: AppContext): Promise<number> {
  const sources = [...openSources].filter(([, store]) => store === ctx.store).map(([source]) => source);
  for (const source of sources) await source.reload();
  return sources.length;
}

/**
 * The queries the responders' timers run, exported so that a test can check their plans: an index
 * range each (the change log by id, the due answers by refresh time), never a scan.
 */
export const ocspQueries = {
  changesAfter: (db: Kysely<Database>, cursor: number, limit: number) =>
    db
      .selectFrom('certificate_status_changes')
      .select(['id', 'serial'])
      .where('id', '>', cursor)
      .orderBy('id')
      .limit(limit),
  dueAnswers: (db: Kysely<Database>, now: string, limit: number) =>
    db
      .selectFrom('ocsp_responses')
      .select(['serial', 'change_id'])
      .where('refresh_at', '<=', now)
      .orderBy('refresh_at')
      .limit(limit),
  storedAnswer: (dialect: 'sqlite' | 'postgres') =>
    `select ca_id, responder_id, der, this_update, next_update, refresh_at, change_id from ocsp_responses where serial = ${dialect === 'postgres' ? '$1' : '?'}`,
};

const etagOf = (der: Uint8Array) => `"${createHash('sha1').update(der).digest('hex')}"`;
const asBuffer = (b: Uint8Array) => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));
const yieldLoop = () => new Promise<void>((r) => setImmediate(r));

export async function openOcspSource(
  ctx: AppContext,
  pki: PkiEnvironment,
  overrides: Partial<OcspSettings> = {},
): Promise<OcspSource> {
  const settings: OcspSettings = { ...OCSP_DEFAULTS, ...overrides };
  const db = ctx.store.db;
  const owner = randomUUID();
  const pool = new SigningPool({ concurrency: settings.signConcurrency, queue: settings.signQueue });
  // Background work has its own lane: it never takes the slots of requests waiting for an answer. It
  // signs on the event loop in slices (a thread hop per signature costs more than the signature).
  const background = new SigningPool({ concurrency: 1, queue: 1_000_000 });
  const cache = new OcspCache({ ttlMs: 5 * 60_000 });
  const memory = new Map<string, MemoryEntry>();
  /** serial → id of the newest change not yet seen in an answer (insertion order = change order). */
  const pending = new Map<string, number>();
  let stopped = false;
  let leader = false;
  let leaseUntil = 0;
  let backgroundSigned = 0;
  let storeReads = 0;

  // --- Authorities -------------------------------------------------------------------------
  let byKeyHash = new Map<string, Served>();
  let byCaId = new Map<string, Served>();
  let bySha1 = new Map<string, Served>();
  let byAuthority = new WeakMap<OcspAuthority, Served>();
  let loadedIds = '';
  /** Reads the authorities into new maps, swapped in at once; the CAs whose responder changed. */
  const load = async (): Promise<string[]> => {
    const keyHashes = new Map<string, Served>();
    const caIds = new Map<string, Served>();
    const sha1s = new Map<string, Served>();
    const authorities = new WeakMap<OcspAuthority, Served>();
    const ids: string[] = [];
    const issuing = await db
      .selectFrom('certification_authorities')
      .selectAll()
      .where('kind', '=', 'issuing')
      .orderBy('id')
      .execute();
    for (const ca of issuing) {
      const responder = await db
        .selectFrom('certification_authorities')
        .selectAll()
        .where('kind', '=', 'ocsp')
        .where('parent_id', '=', ca.id)
        .where('status', '=', 'active')
        .orderBy('not_after', 'desc')
        .orderBy('created_at', 'desc')
        .executeTakeFirst();
      if (!responder) continue;
      // The key is opened again only for a new responder (opening it costs a key derivation).
      const previous = byCaId.get(ca.id);
      const served: Served =
        previous?.responderId === responder.id
          ? previous
          : {
              caId: ca.id,
              responderId: responder.id,
              authority: {
                responder: responderInfo(
                  responder.certificate_der,
                  await openServiceSigner(keyPlace(ctx), responder.key_ref, pki.kek),
                ),
                issuer: issuerIdentity(ca.certificate_der),
              },
            };
      const identity = served.authority.issuer;
      for (const [alg, h] of Object.entries(identity.hashes)) keyHashes.set(`${alg}:${toHex(h.keyHash)}`, served);
      sha1s.set(toHex(identity.hashes.sha1.keyHash), served);
      caIds.set(ca.id, served);
      authorities.set(served.authority, served);
      ids.push(`${ca.id}=${responder.id}`);
    }
    const changed = [...caIds.values()]
      .filter((s) => byCaId.get(s.caId)?.responderId !== s.responderId)
      .map((s) => s.caId);
    byKeyHash = keyHashes;
    byCaId = caIds;
    bySha1 = sha1s;
    byAuthority = authorities;
    const first = loadedIds === '';
    loadedIds = ids.join(',');
    return first ? [] : changed;
  };
  await load();

  // --- Store ---------------------------------------------------------------------------------
  const readStoredSql = ocspQueries.storedAnswer(ctx.store.dialect);
  const readStored = async (serial: string): Promise<StoredRow | undefined> => {
    storeReads++;
    const r = await db.executeQuery<StoredRow>(CompiledQuery.raw(readStoredSql, [serial]));
    return r.rows[0];
  };

  const readCertificates = async (serials: readonly string[]): Promise<Map<string, CertRow>> => {
    const out = new Map<string, CertRow>();
    for (let i = 0; i < serials.length; i += 500) {
      const rows = await db
        .selectFrom('certificates')
        .select(['serial', 'ca_id', 'status', 'revoked_at', 'revocation_reason', 'not_after'])
        .where('serial', 'in', serials.slice(i, i + 500))
        .execute();
      for (const r of rows) out.set(r.serial, r);
    }
    return out;
  };

  interface Signed {
    serial: string;
    caId: string;
    responderId: string;
    der: Uint8Array;
    thisUpdate: Date;
    nextUpdate: Date;
    refreshAt: Date;
    changeId: number;
  }

  const signOne = async (served: Served, cert: CertRow, changeId: number, offLoop: boolean): Promise<Signed> => {
    const thisUpdate = new Date(Math.floor(ctx.now().getTime() / 1000) * 1000);
    const nextUpdate = new Date(thisUpdate.getTime() + settings.validityS * 1000);
    // Spread the refreshes: answers signed together come due over a quarter of the period. A certificate
    // ending before that is signed again when it ends (its answer then carries the archive cutoff).
    const notAfter = Date.parse(cert.not_after);
    let refresh = thisUpdate.getTime() + settings.refreshS * 1000 * (1 - Math.random() / 4);
    if (notAfter >= thisUpdate.getTime() && notAfter < refresh) refresh = notAfter + 1000;
    const refreshAt = new Date(refresh);
    const der = await buildOcspResponse({
      responder: served.authority.responder,
      issuer: served.authority.issuer,
      statuses: [{ serialHex: cert.serial, hashAlgorithm: 'sha1', ...answerStatus(cert, thisUpdate) }],
      thisUpdate,
      nextUpdate,
      producedAt: thisUpdate,
      offLoop,
    });
    return {
      serial: cert.serial,
      caId: served.caId,
      responderId: served.responderId,
      der,
      thisUpdate,
      nextUpdate,
      refreshAt,
      changeId,
    };
  };

  /** Stores answers; an answer never replaces one that reflects a later change. */
  const storeAnswers = async (answers: readonly Signed[]): Promise<void> => {
    if (answers.length === 0) return;
    await db.transaction().execute(async (trx: Transaction<Database>) => {
      for (let i = 0; i < answers.length; i += 100) {
        await trx
          .insertInto('ocsp_responses')
          .values(
            answers.slice(i, i + 100).map((a) => ({
              serial: a.serial,
              ca_id: a.caId,
              responder_id: a.responderId,
              der: a.der,
              this_update: a.thisUpdate.toISOString(),
              next_update: a.nextUpdate.toISOString(),
              refresh_at: a.refreshAt.toISOString(),
              change_id: a.changeId,
            })),
          )
          .onConflict((oc) =>
            oc
              .column('serial')
              .doUpdateSet((eb) => ({
                ca_id: eb.ref('excluded.ca_id'),
                responder_id: eb.ref('excluded.responder_id'),
                der: eb.ref('excluded.der'),
                this_update: eb.ref('excluded.this_update'),
                next_update: eb.ref('excluded.next_update'),
                refresh_at: eb.ref('excluded.refresh_at'),
                change_id: eb.ref('excluded.change_id'),
              }))
              .where('ocsp_responses.change_id', '<=', (eb) => eb.ref('excluded.change_id')),
          )
          .execute();
      }
    });
  };

  // --- Memory --------------------------------------------------------------------------------
  /** Keeps an answer in memory unless a newer change of its serial is pending. */
  const remember = (
    serial: string,
    caId: string,
    a: { der: Uint8Array; thisUpdate: Date; nextUpdate: Date; refreshAt: Date; changeId: number },
  ): MemoryEntry | null => {
    const waiting = pending.get(serial);
    if (waiting !== undefined) {
      if (waiting > a.changeId) return null;
      pending.delete(serial);
    }
    const now = Date.now();
    const expiresAt = Math.min(
      Math.max(a.refreshAt.getTime(), now + 60_000),
      a.nextUpdate.getTime() - NEXT_UPDATE_MARGIN_MS,
    );
    if (expiresAt <= now) return null;
    // The CA id of the loaded authority (one string for all its answers, not one per row read).
    const entry = new MemoryEntry(
      asBuffer(a.der),
      a.thisUpdate,
      a.nextUpdate,
      byCaId.get(caId)?.caId ?? caId,
      expiresAt,
    );
    memory.delete(serial);
    while (memory.size >= settings.memoryEntries) {
      const oldest = memory.keys().next().value;
      if (oldest === undefined) break;
      memory.delete(oldest);
    }
    memory.set(serial, entry);
    return entry;
  };

  // Answers signed for a request are written behind, in batches: one commit for many answers.
  let writeQueue: Signed[] = [];
  let flushTimer: NodeJS.Timeout | null = null;
  let flushing: Promise<void> = Promise.resolve();
  const flush = (): Promise<void> => {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = null;
    const batch = writeQueue;
    writeQueue = [];
    if (batch.length) flushing = flushing.then(() => storeAnswers(batch)).catch(() => undefined);
    return flushing;
  };
  const storeLater = (answers: readonly Signed[]) => {
    writeQueue.push(...answers);
    if (writeQueue.length >= 200) void flush();
    else if (!flushTimer) {
      flushTimer = setTimeout(() => void flush(), 20);
      flushTimer.unref();
    }
  };

  /**
   * Signs the current answers of these serials (a change, a refresh, a request) and stores them: at
   * once for changes and background work, written behind for a request. Answers of background work
   * only replace what memory already holds; an answer for a request is kept.
   */
  const signAndStore = async (
    items: readonly { serial: string; changeId: number }[],
    lane: SigningPool,
    mode: 'now' | 'request' = 'now',
  ): Promise<Signed[]> => {
    const certs = await readCertificates(items.map((i) => i.serial));
    const todo: { served: Served; cert: CertRow; changeId: number }[] = [];
    for (const item of items) {
      const cert = certs.get(item.serial);
      const served = cert ? byCaId.get(cert.ca_id) : undefined;
      if (cert && served) todo.push({ served, cert, changeId: item.changeId }); // else unknown, or no responder (yet)
    }
    let signed: Signed[];
    if (mode === 'request') {
      signed = await Promise.all(todo.map((t) => lane.run(() => signOne(t.served, t.cert, t.changeId, true))));
    } else {
      // Slices of 25 signatures (about a millisecond) between which requests are answered.
      signed = [];
      await lane.run(async () => {
        for (let i = 0; i < todo.length; i++) {
          if (i % 25 === 24) await yieldLoop();
          const t = todo[i]!;
          signed.push(await signOne(t.served, t.cert, t.changeId, false));
        }
      });
    }
    if (mode === 'request') storeLater(signed);
    else await storeAnswers(signed);
    for (const s of signed) {
      if (mode === 'request' || memory.has(s.serial) || pending.has(s.serial)) remember(s.serial, s.caId, s);
    }
    return signed;
  };

  // --- Change log ------------------------------------------------------------------------------
  let memoryCursor = 0;
  let signerCursor = 0;
  const readSigner = async () =>
    db
      .selectFrom('ocsp_signer')
      .select(['lease_owner', 'lease_until', 'change_cursor'])
      .where('id', '=', 1)
      .executeTakeFirst();

  /** Drops pending marks the background signer has passed (its answers reflect them now). */
  const forgetSigned = (cursor: number) => {
    if (cursor <= signerCursor) return;
    signerCursor = cursor;
    for (const [serial, id] of pending) {
      if (id > cursor) break; // insertion order follows the log
      pending.delete(serial);
    }
  };

  /** Reads new log rows: their answers leave memory and stay pending until an answer reflects them. */
  const readChanges = async (): Promise<{ serial: string; id: number }[]> => {
    const seen: { serial: string; id: number }[] = [];
    for (let round = 0; round < 1000; round++) {
      const rows = await ocspQueries.changesAfter(db, memoryCursor, 2000).execute();
      for (const r of rows) {
        memory.delete(r.serial);
        cache.invalidate(r.serial);
        pending.delete(r.serial);
        pending.set(r.serial, r.id);
        seen.push({ serial: r.serial, id: r.id });
      }
      if (rows.length) memoryCursor = rows.at(-1)!.id;
      if (rows.length < 2000) break;
    }
    return seen;
  };

  // Start after what the background signer has done: changes not signed yet are pending here too.
  const start = await readSigner();
  signerCursor = Number(start?.change_cursor ?? 0);
  memoryCursor = signerCursor;
  await readChanges();

  let reading: Promise<unknown> = Promise.resolve();
  /** One reader of the log at a time (the timer and sync() may meet). */
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = reading.then(fn, fn);
    reading = run.catch(() => undefined);
    return run;
  };

  const sync = (): Promise<number> =>
    serialized(async () => {
      const changes = await readChanges();
      // This process made these changes: sign them now, for every responder (the others read the store).
      const latest = new Map<string, number>();
      for (const c of changes) latest.set(c.serial, c.id);
      const items = [...latest].map(([serial, changeId]) => ({ serial, changeId }));
      for (let i = 0; i < items.length; i += settings.batch) {
        await signAndStore(items.slice(i, i + settings.batch), background);
      }
      return changes.length;
    });

  // --- Background signer (one process at a time: the lease) --------------------------------------
  const holdLease = async (): Promise<boolean> => {
    const now = ctx.now().getTime();
    if (leader && leaseUntil - now > settings.leaseMs / 2) return true;
    const until = new Date(now + settings.leaseMs).toISOString();
    const r = await db
      .updateTable('ocsp_signer')
      .set({ lease_owner: owner, lease_until: until })
      .where('id', '=', 1)
      .where((eb) =>
        eb.or([
          eb('lease_owner', '=', owner),
          eb('lease_until', 'is', null),
          eb('lease_until', '<', new Date(now).toISOString()),
        ]),
      )
      .executeTakeFirst();
    leader = Number(r.numUpdatedRows) === 1;
    leaseUntil = leader ? now + settings.leaseMs : 0;
    return leader;
  };

  /** Signs the logged changes nobody signed yet, one batch; returns how many rows it went through. */
  const signChanges = async (): Promise<number> => {
    const rows = await ocspQueries.changesAfter(db, signerCursor, settings.batch).execute();
    if (rows.length === 0) return 0;
    const latest = new Map<string, number>();
    for (const r of rows) latest.set(r.serial, r.id);
    // Answers already signed for these changes (by the process that made them) are left alone.
    const stored = new Map<string, number>();
    const serials = [...latest.keys()];
    for (let i = 0; i < serials.length; i += 500) {
      for (const s of await db
        .selectFrom('ocsp_responses')
        .select(['serial', 'change_id'])
        .where('serial', 'in', serials.slice(i, i + 500))
        .execute())
        stored.set(s.serial, Number(s.change_id));
    }
    const todo = [...latest]
      .filter(([serial, id]) => (stored.get(serial) ?? -1) < id)
      .map(([serial, changeId]) => ({ serial, changeId }));
    const signed = await signAndStore(todo, background);
    backgroundSigned += signed.length;
    const cursor = rows.at(-1)!.id;
    await db
      .updateTable('ocsp_signer')
      .set({ change_cursor: cursor })
      .where('id', '=', 1)
      .where('lease_owner', '=', owner)
      .execute();
    forgetSigned(cursor);
    return rows.length;
  };

  /** Signs again the answers whose refresh time has come, one batch; returns how many. */
  const refreshDue = async (): Promise<number> => {
    const rows = await ocspQueries.dueAnswers(db, ctx.now().toISOString(), settings.batch).execute();
    if (rows.length === 0) return 0;
    // change_id read before the status: what is signed is at least as new as what the row claims.
    const signed = await signAndStore(
      rows.map((r) => ({ serial: r.serial, changeId: Number(r.change_id) })),
      background,
    );
    backgroundSigned += signed.length;
    // A row that could not be signed (its CA lost its responder) waits a period rather than spin.
    const skipped = rows.filter((r) => !signed.some((s) => s.serial === r.serial)).map((r) => r.serial);
    if (skipped.length)
      await db
        .updateTable('ocsp_responses')
        .set({ refresh_at: new Date(ctx.now().getTime() + settings.refreshS * 1000).toISOString() })
        .where('serial', 'in', skipped)
        .execute();
    return rows.length;
  };

  let lastPrune = 0;
  /** Deletes log rows the signer passed more than a day ago (oldest first, bounded). */
  const pruneLog = async (): Promise<void> => {
    const now = ctx.now().getTime();
    if (now - lastPrune < 10 * 60_000) return;
    lastPrune = now;
    const cutoff = new Date(now - CHANGE_LOG_KEEP_MS).toISOString();
    for (let round = 0; round < 10; round++) {
      const rows = await db
        .selectFrom('certificate_status_changes')
        .select(['id', 'changed_at'])
        .where('id', '<=', signerCursor)
        .orderBy('id')
        .limit(1000)
        .execute();
      let upTo = 0;
      for (const r of rows) {
        if (r.changed_at >= cutoff) break;
        upTo = r.id;
      }
      if (upTo === 0) return;
      await db.deleteFrom('certificate_status_changes').where('id', '<=', upTo).execute();
      if (rows.length < 1000) return;
    }
  };

  /** One step of background work; true when a full batch was done (more may be due). */
  const backgroundStep = async (): Promise<boolean> => {
    if (!(await holdLease())) return false;
    const changes = await signChanges();
    const refreshed = changes < settings.batch ? await refreshDue() : 0;
    if (changes === 0 && refreshed === 0) await pruneLog();
    return changes >= settings.batch || refreshed >= settings.batch;
  };

  const presignAll = async (opts: { limit?: number } = {}): Promise<number> => {
    const limit = opts.limit ?? Number.MAX_SAFE_INTEGER;
    const before = backgroundSigned;
    for (let i = 0; i < 1_000_000 && backgroundSigned - before < limit; i++) {
      if (!(await serialized(backgroundStep))) break;
      await yieldLoop();
    }
    return backgroundSigned - before;
  };

  // --- Timers --------------------------------------------------------------------------------
  let timer: NodeJS.Timeout | null = null;
  const tick = async (): Promise<void> => {
    let more = false;
    try {
      await serialized(async () => {
        await readChanges();
        const s = await readSigner();
        if (s) forgetSigned(Number(s.change_cursor));
        // Take the lease when it is free or ours; bounded work per tick, the rest on the next ones.
        const started = Date.now();
        do {
          more = await backgroundStep();
          if (more) await yieldLoop();
        } while (more && !stopped && Date.now() - started < 50);
      });
    } catch {
      // The database may be away for a while: the next tick tries again.
    }
    if (stopped) return;
    timer = setTimeout(() => void tick(), more ? 5 : settings.pollMs);
    timer.unref();
  };
  timer = setTimeout(() => void tick(), settings.pollMs);
  timer.unref();

  const reload = async (): Promise<void> => {
    const changed = await load();
    if (changed.length === 0) return;
    // Answers signed by the previous responders are served no more: drop them here, and have the
    // background signer sign them again with the new responder.
    memory.clear();
    cache.clear();
    for (const caId of changed) {
      const responderId = byCaId.get(caId)!.responderId;
      await db
        .updateTable('ocsp_responses')
        .set({ refresh_at: ctx.now().toISOString() })
        .where('ca_id', '=', caId)
        .where('responder_id', '!=', responderId)
        .execute();
    }
  };
  let reloadTimer: NodeJS.Timeout | null = null;
  const reloadLoop = () => {
    if (stopped) return;
    reloadTimer = setTimeout(() => {
      reload()
        .catch(() => undefined)
        .finally(reloadLoop);
    }, settings.reloadMs);
    reloadTimer.unref();
  };
  reloadLoop();

  // --- The responder's questions ---------------------------------------------------------------
  // --- Start: the answers signed ahead come into memory in the background -------------------------
  // (1,000 rows a query, in serial order, yielding between queries), so that a responder just started
  // soon answers from memory; meanwhile a request not loaded yet reads its row.
  let preloaded = 0;
  let preloadDone = false;
  const preload = async (): Promise<void> => {
    const started = Date.now();
    let after = '';
    while (!stopped && memory.size < settings.memoryEntries) {
      const rows = await db
        .selectFrom('ocsp_responses')
        .select(['serial', 'ca_id', 'responder_id', 'der', 'this_update', 'next_update', 'refresh_at', 'change_id'])
        .where('serial', '>', after)
        .orderBy('serial')
        .limit(1000)
        .execute();
      const now = Date.now();
      for (const r of rows) {
        if (memory.has(r.serial) || byCaId.get(r.ca_id)?.responderId !== r.responder_id) continue;
        if (Date.parse(r.next_update) - NEXT_UPDATE_MARGIN_MS <= now) continue;
        const waiting = pending.get(r.serial);
        if (waiting !== undefined && waiting > Number(r.change_id)) continue;
        const entry = remember(r.serial, r.ca_id, {
          der: r.der,
          thisUpdate: new Date(r.this_update),
          nextUpdate: new Date(r.next_update),
          refreshAt: new Date(r.refresh_at),
          changeId: Number(r.change_id),
        });
        if (entry) preloaded++;
      }
      if (rows.length < 1000) break;
      after = rows.at(-1)!.serial;
      await yieldLoop();
    }
    preloadDone = true;
    onPreloaded?.({ answers: preloaded, ms: Date.now() - started });
  };
  const onPreloaded = settings.onPreloaded;
  if (settings.preload ?? true)
    void preload().catch(() => {
      preloadDone = true; // the database is away: answers are read one by one when it is back
    });
  else preloadDone = true;

  const presigned = async (authority: OcspAuthority, serialHex: string): Promise<CachedOcspResponse | null> => {
    const served = byAuthority.get(authority);
    if (!served) return null;
    const now = Date.now();
    const hit = memory.get(serialHex);
    if (hit && hit.caId === served.caId) {
      if (hit.expiresAt > now) return hit;
      memory.delete(serialHex);
    } else if (hit) {
      return null; // a serial of another CA: not this issuer's certificate
    }
    const waiting = pending.get(serialHex);
    const row = await readStored(serialHex);
    if (row && row.ca_id !== served.caId) return null;
    const usable =
      row &&
      Date.parse(row.next_update) - NEXT_UPDATE_MARGIN_MS > now &&
      (waiting === undefined || Number(row.change_id) >= waiting);
    if (usable && row.responder_id === served.responderId) {
      const a = {
        der: row.der,
        thisUpdate: new Date(row.this_update),
        nextUpdate: new Date(row.next_update),
        refreshAt: new Date(row.refresh_at),
        changeId: Number(row.change_id),
      };
      return remember(serialHex, served.caId, a) ?? { ...a, der: asBuffer(a.der), etag: etagOf(a.der) };
    }
    // No usable answer: sign it now (and store it for the others).
    try {
      const changeId = Math.max(waiting ?? 0, Number(row?.change_id ?? 0));
      const [signed] = await signAndStore([{ serial: serialHex, changeId }], pool, 'request');
      if (!signed) return null; // not a certificate of ours: answered "unknown" on demand
      if (signed.caId !== served.caId) return null;
      return {
        der: asBuffer(signed.der),
        thisUpdate: signed.thisUpdate,
        nextUpdate: signed.nextUpdate,
        etag: etagOf(signed.der),
      };
    } catch (err) {
      // Pool full: an answer from the previous responder is still a valid answer; a stale status is not.
      if (err instanceof PoolBusyError && usable) {
        return {
          der: asBuffer(row.der),
          thisUpdate: new Date(row.this_update),
          nextUpdate: new Date(row.next_update),
          etag: etagOf(row.der),
        };
      }
      throw err;
    }
  };

  const source: OcspSource = {
    cache,
    pool,
    settings,
    sync,
    presignAll,
    reload,
    presigned,
    stats: () => ({
      memory: memory.size,
      pending: pending.size,
      leader,
      backgroundSigned,
      storeReads,
      preloaded,
      preloadDone,
    }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      if (reloadTimer) clearTimeout(reloadTimer);
      openSources.delete(source);
      await flush();
      await reading.catch(() => undefined);
      // Let another responder take the background signing at once.
      if (leader)
        await db
          .updateTable('ocsp_signer')
          .set({ lease_until: null })
          .where('id', '=', 1)
          .where('lease_owner', '=', owner)
          .execute()
          .catch(() => undefined);
    },
    async responderFor(keyHashHex, alg) {
      return byKeyHash.get(`${alg}:${keyHashHex}`)?.authority ?? null;
    },
    async lookup(sha1KeyHashHex, serialHex) {
      const served = bySha1.get(sha1KeyHashHex);
      if (!served) return null;
      const c = await db
        .selectFrom('certificates')
        .select(['status', 'revoked_at', 'revocation_reason', 'not_after'])
        .where('serial', '=', serialHex)
        .where('ca_id', '=', served.caId)
        .executeTakeFirst();
      if (!c) return { status: 'unknown' };
      return answerStatus(c, ctx.now());
    },
  };
  openSources.set(source, ctx.store);
  return source;
}

/** Waits until the background signer of `source` has nothing due (tests, benchmarks, `cartes ocsp presign`). */
export async function drainOcspSigner(source: OcspSource, timeoutMs = 600_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  let total = 0;
  for (let i = 0; i < 100_000 && Date.now() < until; i++) {
    const n = await source.presignAll();
    total += n;
    if (n === 0) return total;
    await sleep(1);
  }
  return total;
}
