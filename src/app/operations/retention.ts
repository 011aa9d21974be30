// The personal-data lifecycle: the retention pass (daily, and `cartes retention run [--dry-run]`)
// deletes or erases what is past its period (domain/retention.ts), each erasure audited, and the
// audit records about an erased agent tombstoned (store/audit.ts) so that the chain stays verifiable.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RetentionPeriods } from '../../config-operations.ts';
import { addMonths, agentPurgeDue, CARD_ENDED, identityCopyDue, photoDue } from '../../domain/retention.ts';
import { appendAudit, tombstoneAudit } from '../../store/audit.ts';
import { authorize } from '../access/authorize.ts';
import type { Actor, AppContext } from '../context.ts';
import { recordOperation } from './journal.ts';

export interface RetentionCounts {
  agentsErased: number;
  auditRecordsTombstoned: number;
  certificatesDeleted: number;
  identityCopiesDeleted: number;
  photosDeleted: number;
  mailsDeleted: number;
  importRejectsDeleted: number;
  expiredAccessDeleted: number;
}

const BATCH = 500;

const REQUESTS_IN_PROGRESS = ['draft', 'complete', 'signed', 'in_batch', 'validated', 'sent'];
const CARDS_BEFORE_HANDOVER = ['ordered', 'in_production', 'shipped', 'received'];

/** The agents whose records are past the retention period, at most BATCH per pass. */
async function agentsToErase(ctx: AppContext, now: string, years: number): Promise<string[]> {
  // Candidates: inactive agents last changed before the horizon (the end cannot be earlier).
  const horizon = addMonths(now, -years * 12);
  const candidates = await ctx.store.db
    .selectFrom('agents')
    .select(['id', 'status', 'updated_at'])
    .where('status', '=', 'inactive')
    .where('updated_at', '<=', horizon)
    .limit(BATCH * 4)
    .execute();
  const due: string[] = [];
  for (const a of candidates) {
    const [cards, certificates, requests] = await Promise.all([
      ctx.store.db.selectFrom('cards').select(['state', 'state_changed_at']).where('agent_id', '=', a.id).execute(),
      ctx.store.db
        .selectFrom('certificates')
        .select(['status', 'not_after', 'revoked_at'])
        .where('agent_id', '=', a.id)
        .execute(),
      ctx.store.db
        .selectFrom('card_requests')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('agent_id', '=', a.id)
        .where('state', 'in', REQUESTS_IN_PROGRESS)
        .executeTakeFirstOrThrow(),
    ]);
    const facts = {
      status: a.status,
      updatedAt: a.updated_at,
      cards: cards.map((c) => ({ state: c.state, stateChangedAt: c.state_changed_at })),
      certificates: certificates.map((c) => ({ status: c.status, notAfter: c.not_after, revokedAt: c.revoked_at })),
      requestsInProgress: Number(requests.n),
    };
    if (agentPurgeDue(facts, now, years)) due.push(a.id);
    if (due.length >= BATCH) break;
  }
  return due;
}

/**
 * Erases one agent's personal data in one transaction: the directory record is kept as an
 * anonymous tombstone (status « purged »: the rows that refer to it stay consistent), photo,
 * secrets, documents and certificates are deleted, the hand-over's document number blanked, and
 * the audit records about the agent, its cards, requests and certificates tombstoned.
 */
async function eraseAgent(
  ctx: AppContext,
  agentId: string,
  now: string,
): Promise<{ tombstoned: number; certificates: number }> {
  return ctx.store.db.transaction().execute(async (trx) => {
    const agent = await trx
      .selectFrom('agents')
      .select(['id', 'organization_id', 'status'])
      .where('id', '=', agentId)
      .executeTakeFirst();
    if (!agent || agent.status !== 'inactive') return { tombstoned: 0, certificates: 0 };
    const cardIds = (await trx.selectFrom('cards').select('id').where('agent_id', '=', agentId).execute()).map(
      (c) => c.id,
    );
    const requestIds = (
      await trx.selectFrom('card_requests').select('id').where('agent_id', '=', agentId).execute()
    ).map((r) => r.id);
    const serials = (
      await trx.selectFrom('certificates').select('serial').where('agent_id', '=', agentId).execute()
    ).map((c) => c.serial);
    const targets: [string, string[]][] = [
      ['agent', [agentId]],
      ['card', cardIds],
      ['cardRequest', requestIds],
      ['certificate', serials],
    ];
    const seqs: number[] = [];
    for (const [type, ids] of targets)
      for (let i = 0; i < ids.length; i += BATCH) {
        const rows = await trx
          .selectFrom('audit_log')
          .select('seq')
          .where('target_type', '=', type)
          .where('target_id', 'in', ids.slice(i, i + BATCH))
          .where('purged_at', 'is', null)
          .execute();
        seqs.push(...rows.map((r) => r.seq));
      }
    const tombstoned = await tombstoneAudit(trx, ctx.store, seqs, now);
    if (cardIds.length) {
      await trx.deleteFrom('card_documents').where('card_id', 'in', cardIds).execute();
      await trx
        .updateTable('card_handovers')
        .set({ identity_document_number: '—', remarks: null })
        .where('card_id', 'in', cardIds)
        .execute();
    }
    await trx.deleteFrom('certificates').where('agent_id', '=', agentId).execute();
    await trx.deleteFrom('agent_photos').where('agent_id', '=', agentId).execute();
    await trx.deleteFrom('holder_secrets').where('agent_id', '=', agentId).execute();
    await trx.deleteFrom('allocation_plan_entries').where('agent_id', '=', agentId).execute();
    await trx.deleteFrom('sessions').where('agent_id', '=', agentId).execute();
    await trx.deleteFrom('sign_in_links').where('agent_id', '=', agentId).execute();
    await trx.deleteFrom('challenges').where('agent_id', '=', agentId).execute();
    await trx
      .updateTable('agents')
      .set({
        identifier: `efface-${agentId}`,
        last_name: 'EFFACÉ',
        first_names: '—',
        sex: '—',
        birth_date: '0001-01-01',
        birth_place: '—',
        email: null,
        phone: null,
        unit_address: null,
        category: null,
        profile: null,
        habilitations: '[]',
        has_photo: 0,
        feed_fingerprint: null,
        search_text: '',
        status: 'purged',
        updated_at: now,
      })
      .where('id', '=', agentId)
      .execute();
    await appendAudit(trx, ctx.store, {
      at: now,
      actorId: 'system:retention',
      actorRole: 'system',
      organizationId: agent.organization_id,
      action: 'personalData.erase',
      outcome: 'ok',
      targetType: 'agent',
      targetId: agentId,
      summary: { cards: cardIds.length, certificates: serials.length, auditRecordsTombstoned: tombstoned },
    });
    return { tombstoned, certificates: serials.length };
  });
}

export interface RetentionResult {
  dryRun: boolean;
  at: string;
  counts: RetentionCounts;
}

/**
 * The retention pass. With `dryRun`, counts what would go and changes nothing. Journaled (kind
 * « retention ») when something was done or asked by a person.
 */
export async function runRetention(
  ctx: AppContext,
  actor: Actor,
  periods: RetentionPeriods,
  opts: { dryRun?: boolean; mailDir?: string } = {},
): Promise<RetentionResult> {
  const auth = await authorize(ctx, actor, 'operations.manage', null);
  const dryRun = opts.dryRun ?? false;
  const now = ctx.now().toISOString();
  const counts: RetentionCounts = {
    agentsErased: 0,
    auditRecordsTombstoned: 0,
    certificatesDeleted: 0,
    identityCopiesDeleted: 0,
    photosDeleted: 0,
    mailsDeleted: 0,
    importRejectsDeleted: 0,
    expiredAccessDeleted: 0,
  };
  const db = ctx.store.db;

  // 1. Agents whose relation ended more than recordsYears ago.
  for (const id of await agentsToErase(ctx, now, periods.recordsYears)) {
    counts.agentsErased++;
    if (dryRun) continue;
    const r = await eraseAgent(ctx, id, now);
    counts.auditRecordsTombstoned += r.tombstoned;
    counts.certificatesDeleted += r.certificates;
  }

  // 2. Identity copies of cards ended more than identityCopyYears ago.
  const copyHorizon = addMonths(now, -periods.identityCopyYears * 12);
  const copies = await db
    .selectFrom('card_documents as d')
    .innerJoin('cards as c', 'c.id', 'd.card_id')
    .select(['d.id', 'd.card_id', 'c.state', 'c.state_changed_at', 'c.organization_id'])
    .where('d.kind', '=', 'identity_copy')
    .where('c.state', 'in', [...CARD_ENDED])
    .where('c.state_changed_at', '<=', copyHorizon)
    .limit(BATCH)
    .execute();
  for (const d of copies) {
    if (!identityCopyDue({ state: d.state, stateChangedAt: d.state_changed_at }, now, periods.identityCopyYears))
      continue;
    counts.identityCopiesDeleted++;
    if (dryRun) continue;
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('card_documents').where('id', '=', d.id).execute();
      await appendAudit(trx, ctx.store, {
        at: now,
        actorId: 'system:retention',
        actorRole: 'system',
        organizationId: d.organization_id,
        action: 'personalData.identityCopy.delete',
        outcome: 'ok',
        targetType: 'card',
        targetId: d.card_id,
        summary: { document: d.id, cardState: d.state, since: d.state_changed_at },
      });
    });
  }

  // 3. Photos nobody needs any more.
  const photoHorizon = addMonths(now, -periods.photoMonths);
  const photos = await db
    .selectFrom('agent_photos as p')
    .innerJoin('agents as a', 'a.id', 'p.agent_id')
    .select(['a.id', 'a.status', 'a.updated_at', 'a.organization_id', 'p.uploaded_at'])
    .where('p.uploaded_at', '<=', photoHorizon)
    .limit(BATCH * 4)
    .execute();
  for (const p of photos) {
    const [produced, requests, early] = await Promise.all([
      db
        .selectFrom('cards')
        .select((eb) => eb.fn.max('produced_at').as('last'))
        .where('agent_id', '=', p.id)
        .executeTakeFirst(),
      db
        .selectFrom('card_requests')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('agent_id', '=', p.id)
        .where('state', 'in', REQUESTS_IN_PROGRESS)
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('cards')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('agent_id', '=', p.id)
        .where('state', 'in', CARDS_BEFORE_HANDOVER)
        .executeTakeFirstOrThrow(),
    ]);
    const due = photoDue(
      {
        status: p.status,
        updatedAt: p.updated_at,
        lastProducedAt: (produced?.last as string | null | undefined) ?? null,
        inProgress: Number(requests.n) + Number(early.n),
      },
      now,
      periods.photoMonths,
    );
    if (!due) continue;
    counts.photosDeleted++;
    if (dryRun) continue;
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('agent_photos').where('agent_id', '=', p.id).execute();
      await trx.updateTable('agents').set({ has_photo: 0 }).where('id', '=', p.id).execute();
      await appendAudit(trx, ctx.store, {
        at: now,
        actorId: 'system:retention',
        actorRole: 'system',
        organizationId: p.organization_id,
        action: 'personalData.photo.delete',
        outcome: 'ok',
        targetType: 'agent',
        targetId: p.id,
        summary: { uploadedAt: p.uploaded_at },
      });
    });
  }

  // 4. Mails sent (they name the holder), and their .eml copies.
  const mailHorizon = addMonths(now, -periods.mailMonths);
  const mails = await db
    .selectFrom('mails')
    .select(['id', 'file_name'])
    .where('status', '=', 'sent')
    .where('sent_at', '<=', mailHorizon)
    .limit(BATCH * 10)
    .execute();
  counts.mailsDeleted = mails.length;
  if (!dryRun && mails.length) {
    await db
      .deleteFrom('mails')
      .where(
        'id',
        'in',
        mails.map((m) => m.id),
      )
      .execute();
    for (const m of mails)
      if (m.file_name && opts.mailDir)
        await rm(join(opts.mailDir, m.file_name), { force: true }).catch(() => undefined);
  }

  // 5. Rejected lines of old HR imports (they quote the feed's values).
  const importHorizon = addMonths(now, -periods.importMonths);
  const oldRuns = await db
    .selectFrom('import_runs')
    .select('id')
    .where('finished_at', '<=', importHorizon)
    .limit(BATCH)
    .execute();
  if (oldRuns.length) {
    const ids = oldRuns.map((r) => r.id);
    const n = await db
      .selectFrom('import_rejects')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('import_id', 'in', ids)
      .executeTakeFirstOrThrow();
    counts.importRejectsDeleted = Number(n.n);
    if (!dryRun && counts.importRejectsDeleted)
      await db.deleteFrom('import_rejects').where('import_id', 'in', ids).execute();
  }

  // 6. Expired sessions, sign-in links and challenges (a day after they expired).
  const dayAgo = new Date(Date.parse(now) - 86_400_000).toISOString();
  for (const table of ['sessions', 'sign_in_links', 'challenges'] as const) {
    const n = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('expires_at', '<', dayAgo)
      .executeTakeFirstOrThrow();
    counts.expiredAccessDeleted += Number(n.n);
    if (!dryRun && Number(n.n)) await db.deleteFrom(table).where('expires_at', '<', dayAgo).execute();
  }

  const changed = Object.values(counts).some((n) => n > 0);
  if (!dryRun && (changed || actor.kind !== 'system'))
    await recordOperation(ctx, actor, auth, {
      kind: 'retention',
      status: 'ok',
      reason: actor.kind === 'system' ? 'passe quotidienne' : 'manuelle',
      summary: { ...counts, periods },
    });
  return { dryRun, at: now, counts };
}

export const RETENTION_LABELS: Record<keyof RetentionCounts, string> = {
  agentsErased: 'agents effacés (7 ans après la fin de leur dernière carte)',
  auditRecordsTombstoned: "enregistrements d'audit effacés (lien de chaîne conservé)",
  certificatesDeleted: 'certificats supprimés',
  identityCopiesDeleted: "copies de pièce d'identité supprimées",
  photosDeleted: 'photos supprimées',
  mailsDeleted: 'courriels supprimés',
  importRejectsDeleted: "lignes rejetées d'anciens imports supprimées",
  expiredAccessDeleted: 'sessions, liens et défis expirés supprimés',
};
