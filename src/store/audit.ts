import { createHmac, timingSafeEqual } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.ts';
import type { Dialect, Store } from './database.ts';
import { auditHash, checkLink, GENESIS_HASH, type ChainBreak } from '../domain/audit-chain.ts';

export interface AuditEntry {
  at: string;
  actorId: string | null;
  actorRole: string | null;
  organizationId: string | null;
  action: string;
  outcome: 'ok' | 'refused';
  targetType?: string | null;
  targetId?: string | null;
  requestId?: string | null;
  summary?: unknown;
  evidence?: string[];
}

/** What appending needs of the store; observers (store/database.ts) see successful records. */
export type AuditStore = Pick<Store, 'dialect' | 'auditKey'> & Partial<Pick<Store, 'auditObservers'>>;

export function headMac(key: Buffer | null, seq: number, hash: string): string {
  return key ? createHmac('sha256', key).update(`${seq}:${hash}`).digest('hex') : '';
}

/** Appends one record to the chain. Must run inside the transaction that makes the change. */
export async function appendAudit(
  trx: Transaction<Database> | Kysely<Database>,
  store: AuditStore,
  e: AuditEntry,
): Promise<number> {
  return (await appendAuditBatch(trx, store, [e]))[0]!;
}

/**
 * Appends several records, chained in order, with one read and one update of the head and
 * multi-row inserts (a batch of certificates keeps one record each without one round trip each).
 */
export async function appendAuditBatch(
  trx: Transaction<Database> | Kysely<Database>,
  store: AuditStore,
  entries: AuditEntry[],
): Promise<number[]> {
  if (entries.length === 0) return [];
  const dialect: Dialect = store.dialect;
  // The head row is the chain's lock: on PostgreSQL FOR UPDATE serialises concurrent writers;
  // SQLite transactions are already serialised (begin immediate).
  const headQuery = trx.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1);
  const head =
    dialect === 'postgres' ? await headQuery.forUpdate().executeTakeFirst() : await headQuery.executeTakeFirst();
  let prevHash = head?.hash ?? GENESIS_HASH;
  let seq = head?.seq ?? 0;
  const rows = entries.map((e) => {
    const content = {
      seq: ++seq,
      at: e.at,
      actor_id: e.actorId,
      actor_role: e.actorRole,
      organization_id: e.organizationId,
      action: e.action,
      outcome: e.outcome,
      target_type: e.targetType ?? null,
      target_id: e.targetId ?? null,
      request_id: e.requestId ?? null,
      summary: JSON.stringify(e.summary ?? {}),
      evidence: JSON.stringify(e.evidence ?? []),
    };
    const hash = auditHash(prevHash, content);
    const row = { ...content, prev_hash: prevHash, hash };
    prevHash = hash;
    return row;
  });
  // 14 columns × 200 rows stays far below both databases' bound-parameter limits.
  for (let i = 0; i < rows.length; i += 200)
    await trx
      .insertInto('audit_log')
      .values(rows.slice(i, i + 200))
      .execute();
  const mac = headMac(store.auditKey, seq, prevHash);
  if (head) {
    await trx.updateTable('audit_head').set({ seq, hash: prevHash, mac }).where('id', '=', 1).execute();
  } else {
    await trx.insertInto('audit_head').values({ id: 1, seq, hash: prevHash, mac }).execute();
  }
  const done = entries.filter((e) => e.outcome === 'ok');
  if (done.length) for (const observe of store.auditObservers ?? []) await observe(trx, done);
  return rows.map((r) => r.seq);
}

/** Content of a tombstoned record: the link stays, what it said about a person is gone. */
export const TOMBSTONE_SUMMARY = '{"effacé":true}';

function tombstoneMac(key: Buffer, seq: number, hash: string): string {
  return createHmac('sha256', key).update(`tombstone:${seq}:${hash}`).digest('hex');
}

/**
 * Erases the content of audit records (retention of personal data) while the chain stays
 * verifiable: each record keeps its number, its hash and its link to the previous one; its summary
 * and evidence are blanked and a MAC under the audit key (purge_mac over number and hash) tells a
 * lawful erasure from an edit. Needs the audit key. Returns how many records were tombstoned.
 */
export async function tombstoneAudit(
  trx: Transaction<Database> | Kysely<Database>,
  store: Pick<Store, 'auditKey'>,
  seqs: number[],
  at: string,
): Promise<number> {
  if (!store.auditKey) throw new Error('audit key needed to tombstone audit records');
  let done = 0;
  for (let i = 0; i < seqs.length; i += 500) {
    const rows = await trx
      .selectFrom('audit_log')
      .select(['seq', 'hash'])
      .where('seq', 'in', seqs.slice(i, i + 500))
      .where('purged_at', 'is', null)
      .execute();
    for (const r of rows) {
      await trx
        .updateTable('audit_log')
        .set({
          summary: TOMBSTONE_SUMMARY,
          evidence: '[]',
          purged_at: at,
          purge_mac: tombstoneMac(store.auditKey, r.seq, r.hash),
        })
        .where('seq', '=', r.seq)
        .execute();
      done++;
    }
  }
  return done;
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  headSeq: number;
  firstBroken: ChainBreak | null;
}

/** Walks the whole chain in pages; reports the first broken record. */
export async function verifyAuditChain(
  store: Store,
  onProgress?: (checked: number) => void,
): Promise<AuditVerification> {
  const { db } = store;
  const head = await db.selectFrom('audit_head').select(['seq', 'hash', 'mac']).where('id', '=', 1).executeTakeFirst();
  if (head && store.auditKey && !sameHex(head.mac, headMac(store.auditKey, head.seq, head.hash))) {
    return {
      ok: false,
      checked: 0,
      headSeq: head.seq,
      firstBroken: {
        seq: head.seq,
        reason: 'le sceau de la tête de chaîne est invalide (fin du journal tronquée puis tête réécrite)',
      },
    };
  }
  let prevHash = GENESIS_HASH;
  let expected = 1;
  let checked = 0;
  const pageSize = 5000;
  let lastSeq = 0;
  for (;;) {
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>', lastSeq)
      .orderBy('seq')
      .limit(pageSize)
      .execute();
    for (const r of rows) {
      const reason = r.purged_at
        ? checkTombstone(store.auditKey, expected, prevHash, r)
        : checkLink(expected, prevHash, r);
      if (reason) return { ok: false, checked, headSeq: head?.seq ?? 0, firstBroken: { seq: expected, reason } };
      prevHash = r.hash;
      expected++;
      checked++;
      lastSeq = r.seq;
    }
    onProgress?.(checked);
    if (rows.length < pageSize) break;
  }
  const headSeq = head?.seq ?? 0;
  if (headSeq !== checked || (head && head.hash !== prevHash)) {
    return {
      ok: false,
      checked,
      headSeq,
      firstBroken: {
        seq: checked + 1,
        reason: `la tête de chaîne annonce ${headSeq} enregistrements, ${checked} trouvés (fin du journal tronquée ou modifiée)`,
      },
    };
  }
  return { ok: true, checked, headSeq, firstBroken: null };
}

/** A tombstone keeps its place in the chain and carries a valid erasure MAC. */
function checkTombstone(
  key: Buffer | null,
  expectedSeq: number,
  prevHash: string,
  r: { seq: number; prev_hash: string; hash: string; purge_mac: string | null },
): string | null {
  if (r.seq !== expectedSeq)
    return `numéro attendu ${expectedSeq}, trouvé ${r.seq} (enregistrement supprimé ou déplacé)`;
  if (r.prev_hash !== prevHash)
    return "l'empreinte précédente ne correspond pas (enregistrement supprimé, inséré ou déplacé)";
  if (!key || !r.purge_mac || !sameHex(r.purge_mac, tombstoneMac(key, r.seq, r.hash)))
    return "contenu effacé sans effacement scellé (l'enregistrement a été modifié)";
  return null;
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function countRows(db: Kysely<Database>, table: keyof Database): Promise<number> {
  const r = await db
    .selectFrom(table)
    .select(sql<number>`count(*)`.as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
