import { appendAudit } from '../../store/audit.ts';
import type { RequestBatchTable } from '../../store/schema.ts';
import {
  BATCH_STATE_LABELS,
  BATCH_STATES,
  batchNumber,
  createBatchAction,
  REQUEST_STATE_LABELS,
  validateBatchAction,
  type BatchState,
  type RequestState,
} from '../../domain/card-request.ts';
import { enqueue } from '../../jobs/queue.ts';
import { authorize, scopeRoots } from '../access/authorize.ts';
import { auditEntry } from '../audit-trail.ts';
import { requireActionSignature, type ActionSignature } from '../access/action-signatures.ts';
import { drawNumber, OWN_REQUEST, personName, refuseAudited, requestsOfBatch } from './card-requests.ts';
import { AppError, invalid, notFound } from '../errors.ts';
import { offsetPage, pathUnder, subtreeOf } from '../scope.ts';
import type { Actor, AppContext } from '../context.ts';

// Batches of requests ("Saisie d'un lot de demandes", "Suivi des lots de demandes"): an operator
// groups signed requests of one organisation; a registration authority who took no part in them
// validates the batch, which queues the order to the manufacturer (job 'manufacturer.send-order').

export const SEND_ORDER_JOB = 'manufacturer.send-order';
const MAX_BATCH = 500;

export async function createBatch(
  ctx: AppContext,
  actor: Actor,
  input: { requestIds: string[]; signature: ActionSignature | null | undefined },
) {
  const ids = [...new Set(input.requestIds ?? [])];
  if (ids.length === 0)
    throw invalid('Un lot contient au moins une demande signée.', [{ field: 'requestIds', reason: 'Aucune demande.' }]);
  if (ids.length > MAX_BATCH)
    throw invalid(`Un lot contient au plus ${MAX_BATCH} demandes.`, [
      { field: 'requestIds', reason: `${MAX_BATCH} au plus.` },
    ]);
  const requests = await ctx.store.db
    .selectFrom('card_requests')
    .select(['id', 'number', 'state', 'organization_id', 'agent_id'])
    .where('id', 'in', ids)
    .execute();
  if (requests.length !== ids.length)
    throw invalid('Une ou plusieurs demandes sont introuvables.', [
      { field: 'requestIds', reason: 'Demande inconnue.' },
    ]);
  const orgs = new Set(requests.map((r) => r.organization_id));
  if (orgs.size !== 1)
    throw invalid("Un lot ne regroupe que des demandes d'une même organisation.", [
      { field: 'requestIds', reason: 'Organisations différentes.' },
    ]);
  const orgId = requests[0]!.organization_id;
  const auth = await authorize(ctx, actor, 'cardRequest.write', orgId, { type: 'organization', id: orgId });
  if (actor.kind === 'person' && requests.some((r) => r.agent_id === actor.agentId)) {
    await refuseAudited(ctx, actor, 'batch.create', orgId, { type: 'organization', id: orgId }, OWN_REQUEST);
  }
  const notSigned = requests.filter((r) => r.state !== 'signed');
  if (notSigned.length) {
    throw new AppError(
      'conflict',
      `Seules des demandes signées entrent dans un lot : ${notSigned.map((r) => `${r.number} (« ${REQUEST_STATE_LABELS[r.state as RequestState]} »)`).join(', ')}.`,
    );
  }
  const { evidence } = await requireActionSignature(ctx, actor, createBatchAction(orgId, ids), input.signature);
  const id = ctx.newId();
  const now = ctx.now().toISOString();
  const year = ctx.now().getUTCFullYear();
  await ctx.store.db.transaction().execute(async (trx) => {
    const number = batchNumber(year, await drawNumber(trx, `request_batch:${year}`));
    await trx
      .insertInto('request_batches')
      .values({
        id,
        number,
        organization_id: orgId,
        state: 'open',
        created_by: auth.actorId,
        validated_by: null,
        validated_at: null,
        sent_at: null,
        acknowledged_at: null,
        closed_at: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const moved = await trx
      .updateTable('card_requests')
      .set({ state: 'in_batch', batch_id: id, updated_at: now })
      .where('id', 'in', ids)
      .where('state', '=', 'signed')
      .where('organization_id', '=', orgId)
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== ids.length)
      throw new AppError('conflict', 'Une des demandes a changé entre-temps : actualisez la liste.');
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'batch.create', {
        targetType: 'requestBatch',
        targetId: id,
        evidence,
        summary: { after: { number, state: 'open', requests: requests.map((r) => r.number).sort() } },
      }),
    );
  });
  return getBatch(ctx, actor, id);
}

async function loadBatch(ctx: AppContext, id: string): Promise<RequestBatchTable> {
  const b = await ctx.store.db.selectFrom('request_batches').selectAll().where('id', '=', id).executeTakeFirst();
  if (!b) throw notFound('Lot introuvable.');
  return b;
}

/**
 * Validation by a registration authority who is neither the batch's creator, nor the signer nor the
 * holder of any of its requests (REG-6.2.2-26). Requests and batch become validated together and the
 * order is queued for the manufacturer in the same transaction.
 */
export async function validateBatch(
  ctx: AppContext,
  actor: Actor,
  id: string,
  signature: ActionSignature | null | undefined,
) {
  const b = await loadBatch(ctx, id);
  const auth = await authorize(ctx, actor, 'batch.validate', b.organization_id, { type: 'requestBatch', id });
  const requests = await ctx.store.db
    .selectFrom('card_requests')
    .select(['id', 'number', 'agent_id', 'signed_by', 'created_by'])
    .where('batch_id', '=', id)
    .where('state', '=', 'in_batch')
    .execute();
  if (actor.kind === 'person') {
    const me = actor.agentId;
    const target = { type: 'requestBatch', id };
    if (b.created_by === me)
      await refuseAudited(
        ctx,
        actor,
        'batch.validate',
        b.organization_id,
        target,
        "Vous avez saisi ce lot : sa validation revient à une autre personne de l'autorité d'enregistrement.",
      );
    if (requests.some((r) => r.signed_by === me))
      await refuseAudited(
        ctx,
        actor,
        'batch.validate',
        b.organization_id,
        target,
        "Vous avez signé une demande de ce lot : sa validation revient à une autre personne de l'autorité d'enregistrement.",
      );
    if (requests.some((r) => r.agent_id === me))
      await refuseAudited(ctx, actor, 'batch.validate', b.organization_id, target, OWN_REQUEST);
  }
  if (b.state !== 'open')
    throw new AppError(
      'conflict',
      `Un lot « ${BATCH_STATE_LABELS[b.state as BatchState] ?? b.state} » ne se valide plus.`,
    );
  if (requests.length === 0)
    throw new AppError('conflict', 'Ce lot ne contient plus aucune demande à valider (toutes annulées).');
  const ids = requests.map((r) => r.id);
  const { evidence } = await requireActionSignature(ctx, actor, validateBatchAction(b, ids), signature);
  const now = ctx.now().toISOString();
  await ctx.store.db.transaction().execute(async (trx) => {
    const done = await trx
      .updateTable('request_batches')
      .set({ state: 'validated', validated_by: auth.actorId, validated_at: now, updated_at: now })
      .where('id', '=', id)
      .where('state', '=', 'open')
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) !== 1)
      throw new AppError('conflict', 'Le lot a changé entre-temps : actualisez-le.');
    const moved = await trx
      .updateTable('card_requests')
      .set({ state: 'validated', updated_at: now })
      .where('batch_id', '=', id)
      .where('state', '=', 'in_batch')
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== ids.length)
      throw new AppError('conflict', 'Une demande du lot a changé entre-temps : actualisez le lot.');
    await enqueue(trx, { id: ctx.newId(), kind: SEND_ORDER_JOB, payload: { batchId: id }, runAt: now, now });
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'batch.validate', {
        targetType: 'requestBatch',
        targetId: id,
        evidence,
        summary: {
          before: { state: 'open' },
          after: { state: 'validated', number: b.number, requests: requests.map((r) => r.number).sort() },
        },
      }),
    );
  });
  return getBatch(ctx, actor, id);
}

export interface BatchSearch {
  q?: string;
  state?: string;
  organizationId?: string;
  page?: number;
  pageSize?: number;
}

function batchQuery(ctx: AppContext) {
  return ctx.store.db
    .selectFrom('request_batches as b')
    .innerJoin('organizations as o', 'o.id', 'b.organization_id')
    .leftJoin('agents as cb', 'cb.id', 'b.created_by')
    .leftJoin('agents as vb', 'vb.id', 'b.validated_by');
}

const BATCH_COLUMNS = [
  'b.id',
  'b.number',
  'b.state',
  'b.organization_id',
  'o.name as organization_name',
  'b.created_by',
  'b.validated_by',
  'b.validated_at',
  'b.sent_at',
  'b.acknowledged_at',
  'b.closed_at',
  'b.created_at',
  'b.updated_at',
  'cb.first_names as cb_first',
  'cb.last_name as cb_last',
  'vb.first_names as vb_first',
  'vb.last_name as vb_last',
] as const;

/** "Suivi des lots de demandes": batches in scope, latest first, with their request counts. */
export async function listBatches(ctx: AppContext, actor: Actor, s: BatchSearch) {
  const roots = await scopeRoots(ctx, actor, 'card.read');
  const { page, pageSize, offset } = offsetPage(s, 20);
  let q = batchQuery(ctx).where(pathUnder(roots, 'o.path'));
  if (s.organizationId) q = q.where('o.path', 'like', await subtreeOf(ctx, s.organizationId));
  if (s.state) {
    const states = s.state.split(',').filter((x) => (BATCH_STATES as readonly string[]).includes(x));
    q = q.where('b.state', 'in', states.length ? states : ['-']);
  }
  if (s.q?.trim())
    q = q.where(
      'b.number',
      'like',
      `%${s.q
        .trim()
        .toUpperCase()
        .replace(/[%_\\]/g, '')}%`,
    );
  const total = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await q
    .select(BATCH_COLUMNS)
    .orderBy('b.created_at', 'desc')
    .orderBy('b.number', 'desc')
    .limit(pageSize)
    .offset(offset)
    .execute();
  const counts = rows.length
    ? await ctx.store.db
        .selectFrom('card_requests')
        .select(['batch_id', 'state'])
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where(
          'batch_id',
          'in',
          rows.map((r) => r.id),
        )
        .groupBy(['batch_id', 'state'])
        .execute()
    : [];
  const items = rows.map((r) => {
    const mine = counts.filter((c) => c.batch_id === r.id);
    return {
      ...batchSummary(r),
      requestCount: mine.filter((c) => c.state !== 'cancelled').reduce((n, c) => n + Number(c.n), 0),
      cancelledCount: mine.filter((c) => c.state === 'cancelled').reduce((n, c) => n + Number(c.n), 0),
    };
  });
  return { items, total: Number(total.n), page, pageSize };
}

type BatchRow = {
  id: string;
  number: string;
  state: string;
  organization_id: string;
  organization_name: string;
  created_by: string | null;
  validated_by: string | null;
  validated_at: string | null;
  sent_at: string | null;
  acknowledged_at: string | null;
  closed_at: string | null;
  created_at: string;
  updated_at: string;
  cb_first: string | null;
  cb_last: string | null;
  vb_first: string | null;
  vb_last: string | null;
};

function batchSummary(r: BatchRow) {
  return {
    id: r.id,
    number: r.number,
    state: r.state,
    stateLabel: BATCH_STATE_LABELS[r.state as BatchState] ?? r.state,
    organizationId: r.organization_id,
    organizationName: r.organization_name,
    createdBy: personName(r.cb_first, r.cb_last, r.created_by),
    createdAt: r.created_at,
    validatedBy: personName(r.vb_first, r.vb_last, r.validated_by),
    validatedAt: r.validated_at,
    sentAt: r.sent_at,
    acknowledgedAt: r.acknowledged_at,
    closedAt: r.closed_at,
    updatedAt: r.updated_at,
  };
}

export async function getBatch(ctx: AppContext, actor: Actor, id: string) {
  const b = await loadBatch(ctx, id);
  await authorize(ctx, actor, 'card.read', b.organization_id, { type: 'requestBatch', id });
  const row = await batchQuery(ctx).select(BATCH_COLUMNS).where('b.id', '=', id).executeTakeFirstOrThrow();
  const requests = await requestsOfBatch(ctx, id);
  const pending = requests.filter((r) => r.state === 'in_batch').map((r) => r.id);
  return {
    ...batchSummary(row),
    requestCount: requests.filter((r) => r.state !== 'cancelled').length,
    cancelledCount: requests.filter((r) => r.state === 'cancelled').length,
    requests,
    /** What the registration authority's card signs to validate the batch now (null once validated). */
    toSign: b.state === 'open' && pending.length ? validateBatchAction(b, pending) : null,
  };
}
