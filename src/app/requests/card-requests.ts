import { sql, type Kysely, type Transaction } from 'kysely';
import type { AgentTable, CardModelTable, CardRequestTable, Database, OrganizationTable } from '../../store/schema.ts';
import { appendAudit } from '../../store/audit.ts';
import {
  allHold,
  BILLING_LABELS,
  cancelRequestAction,
  checkKindReason,
  eligibilityRule,
  evaluatePrerequisites,
  moveRequest,
  populationFor,
  quotaDecision,
  quotaWindowStart,
  REQUEST_KIND_LABELS,
  REQUEST_OPEN,
  REQUEST_REASON_LABELS,
  REQUEST_STATE_LABELS,
  REQUEST_STATES,
  requestNumber,
  signRequestAction,
  type Billing,
  type Prerequisite,
  type PrerequisiteFacts,
  type QuotaDecision,
  type RequestKind,
  type RequestReason,
  type RequestState,
} from '../../domain/card-request.ts';
import { CARD_IN_PROGRESS, CARD_STATE_LABELS, type CardState } from '../../domain/card-lifecycle.ts';
import { agreementView } from '../../domain/agreement.ts';
import { isWithin } from '../../domain/organization.ts';
import { authorize, scopeRoots } from '../access/authorize.ts';
import { auditEntry } from '../audit-trail.ts';
import { requireActionSignature, type ActionSignature } from '../access/action-signatures.ts';
import { cardModelView, loadCardModel } from './card-models.ts';
import { searchText } from '../directory/agents.ts';
import { AppError, invalid, notFound } from '../errors.ts';
import { inOrganizations, intersectScopes, scopeOrganizations, subtreeOrganizations } from '../scope.ts';
import { matchAgents, queryWords } from '../directory/agent-search.ts';
import { boundedCount, decodeCursor, pageOf, pageWindow, SORT_LIMIT, type PageRequest } from '../paging.ts';
import { refuseAudited } from '../refusals.ts';
import { today, type Actor, type AppContext } from '../context.ts';

// Card requests (ASSCAP Administrateur: "Faire une demande de carte agent", "Renseigner",
// "Signer", "Modifier", "Suivre l'état des demandes"). A request is created complete when every
// prerequisite holds, otherwise draft; the operator's card signature commits it (and its price),
// which is when a billed card enters the organisation's ledger.

type Db = Kysely<Database> | Transaction<Database>;

// ---------------------------------------------------------------------------------------------
// Shared with batches.ts

/** Refuses an act on one's own card or request (ETSI REG-6.2.2-26), with an audit record. */
export { refuseAudited } from '../refusals.ts';

export const OWN_REQUEST =
  'Personne ne commande, ne signe ni ne valide une carte pour soi-même (REG-6.2.2-26) : une autre personne habilitée doit le faire.';

/** Next number of a series ("card_request:2026"); the counter row is locked until the transaction ends. */
export async function drawNumber(trx: Transaction<Database>, series: string): Promise<number> {
  await trx
    .insertInto('number_counters')
    .values({ name: series, value: 0 })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await trx
    .updateTable('number_counters')
    .set({ value: sql`value + 1` })
    .where('name', '=', series)
    .returning('value')
    .executeTakeFirstOrThrow();
  return Number(row.value);
}

export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  return e?.code === '23505' || /UNIQUE constraint failed/i.test(e?.message ?? '');
}

export function personName(
  first: string | null | undefined,
  last: string | null | undefined,
  id: string | null,
): string | null {
  if (first || last) return `${first ?? ''} ${last ?? ''}`.trim();
  if (!id) return null;
  return id.startsWith('system:') ? 'Système' : id;
}

// ---------------------------------------------------------------------------------------------
// Prerequisites and quota

interface Subject {
  agent: AgentTable;
  org: OrganizationTable;
  model: CardModelTable;
}

function wordsOf(text: string): string {
  return searchText(text)
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .sort()
    .join(' ');
}

/** Orders are placed by a registration authority over a suspended organisation (authorize lets it through). */
async function actorTakesOver(ctx: AppContext, actor: Actor, org: OrganizationTable): Promise<boolean> {
  if (!org.trusted_roles_suspended) return false;
  if (actor.kind === 'system') return true;
  const roots = await scopeRoots(ctx, actor, 'batch.validate');
  return (roots ?? []).some((r) => r !== org.id && isWithin(org.path, r));
}

async function gatherFacts(
  ctx: AppContext,
  db: Db,
  actor: Actor,
  s: Subject,
  opts: { excludeRequestId: string | null; replacesCardId: string | null },
): Promise<PrerequisiteFacts> {
  const { agent, org, model } = s;
  const planYear = ctx.now().getUTCFullYear();
  const rule = eligibilityRule(org.kind);
  let inAllocationPlan = false;
  let agreementState: string | null = null;
  let isDelegateOrMayor = false;
  if (rule === 'allocation_plan') {
    inAllocationPlan = Boolean(
      await db
        .selectFrom('allocation_plan_entries')
        .select('id')
        .where('agent_id', '=', agent.id)
        .where('year', '=', planYear)
        .executeTakeFirst(),
    );
  } else if (rule === 'agreement') {
    const a = await db
      .selectFrom('agreements')
      .selectAll()
      .where('organization_id', '=', org.id)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    if (a) {
      agreementState = agreementView(
        { signedOn: a.signed_on, suspended: a.status === 'suspended', noticeGivenOn: a.notice_given_on },
        today(ctx),
      ).state;
      const delegate = await db
        .selectFrom('agreement_delegates')
        .select('agent_id')
        .where('agreement_id', '=', a.id)
        .where('agent_id', '=', agent.id)
        .executeTakeFirst();
      isDelegateOrMayor =
        Boolean(delegate) || wordsOf(a.mayor_name) === wordsOf(`${agent.first_names} ${agent.last_name}`);
    }
  }
  let otherQ = db
    .selectFrom('card_requests')
    .select(['number', 'state'])
    .where('agent_id', '=', agent.id)
    .where('model_id', '=', model.id)
    .where('state', 'in', [...REQUEST_OPEN]);
  if (opts.excludeRequestId) otherQ = otherQ.where('id', '!=', opts.excludeRequestId);
  const other = await otherQ.orderBy('created_at').executeTakeFirst();
  let cardQ = db
    .selectFrom('cards')
    .select(['serial', 'state'])
    .where('agent_id', '=', agent.id)
    .where('model_id', '=', model.id)
    .where('state', 'in', [...CARD_IN_PROGRESS]);
  if (opts.replacesCardId) cardQ = cardQ.where('id', '!=', opts.replacesCardId);
  const card = await cardQ.orderBy('created_at').executeTakeFirst();
  const orgAddress = [org.address_line, [org.postal_code, org.city].filter(Boolean).join(' ')]
    .filter(Boolean)
    .join(', ');
  return {
    rule,
    agentActive: agent.status === 'active',
    inAllocationPlan,
    planYear,
    agreementState,
    profile: agent.profile,
    isDelegateOrMayor,
    identityVerified: agent.identity_verified === 1,
    unitAddress: agent.unit_address,
    organizationAddress: orgAddress || null,
    hasPhoto: agent.has_photo === 1,
    directoryRecord: agent.directory_record === 1,
    otherRequest: other ? { number: other.number, state: other.state as RequestState } : null,
    cardInProgress: card
      ? { serial: card.serial, stateLabel: CARD_STATE_LABELS[card.state as CardState] ?? card.state }
      : null,
    trustedRolesSuspended: org.trusted_roles_suspended === 1,
    actorTakesOver: await actorTakesOver(ctx, actor, org),
  };
}

/** Free cards already used from the agent's quota in this organisation (signed or later, last 6 years). */
async function freeCardsInWindow(
  ctx: AppContext,
  db: Db,
  agentId: string,
  orgId: string,
  excludeRequestId: string | null,
): Promise<number> {
  let q = db
    .selectFrom('card_requests')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('agent_id', '=', agentId)
    .where('organization_id', '=', orgId)
    .where('billing', '=', 'free')
    .where('state', 'in', ['signed', 'in_batch', 'validated', 'sent', 'fulfilled'])
    .where('signed_at', '>=', quotaWindowStart(ctx.now().toISOString()));
  if (excludeRequestId) q = q.where('id', '!=', excludeRequestId);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

interface Evaluation {
  prerequisites: Prerequisite[];
  quota: QuotaDecision;
}

async function evaluate(
  ctx: AppContext,
  db: Db,
  actor: Actor,
  s: Subject,
  r: { kind: RequestKind; reason: string | null; replacesCardId: string | null; excludeRequestId: string | null },
): Promise<Evaluation> {
  const facts = await gatherFacts(ctx, db, actor, s, r);
  const used = await freeCardsInWindow(ctx, db, s.agent.id, s.org.id, r.excludeRequestId);
  return {
    prerequisites: evaluatePrerequisites(facts),
    quota: quotaDecision({ kind: r.kind, reason: r.reason, freeCardsInWindow: used }),
  };
}

async function loadAgentAndOrg(
  ctx: AppContext,
  agentId: string,
): Promise<{ agent: AgentTable; org: OrganizationTable }> {
  const agent = await ctx.store.db.selectFrom('agents').selectAll().where('id', '=', agentId).executeTakeFirst();
  if (!agent) throw notFound('Agent introuvable.');
  const org = await ctx.store.db
    .selectFrom('organizations')
    .selectAll()
    .where('id', '=', agent.organization_id)
    .executeTakeFirstOrThrow();
  return { agent, org };
}

async function modelFor(ctx: AppContext, org: OrganizationTable, modelId: string | undefined): Promise<CardModelTable> {
  if (!modelId) throw invalid('Le modèle de carte est obligatoire.', [{ field: 'modelId', reason: 'Obligatoire.' }]);
  const model = await loadCardModel(ctx, modelId);
  if (!model) throw invalid('Modèle de carte inconnu.', [{ field: 'modelId', reason: 'Modèle inconnu.' }]);
  if (model.status !== 'active')
    throw invalid(`Le modèle « ${model.label} » n'est plus commandable.`, [
      { field: 'modelId', reason: 'Modèle retiré.' },
    ]);
  const ancestry = await ctx.store.db
    .selectFrom('organizations')
    .select(['code', 'kind'])
    .where('id', 'in', org.path.split('/').filter(Boolean))
    .execute();
  if (model.population !== populationFor(ancestry)) {
    throw invalid(`Le modèle « ${model.label} » n'est pas destiné aux agents de « ${org.name} ».`, [
      { field: 'modelId', reason: 'Modèle inadapté à l’organisation.' },
    ]);
  }
  return model;
}

function checkKind(
  kind: string | undefined,
  reason: string | null | undefined,
): { kind: RequestKind; reason: string | null } {
  const problem = checkKindReason(kind ?? '', reason ?? null);
  if (problem) throw invalid('La demande est incomplète ou invalide.', [problem]);
  return { kind: kind as RequestKind, reason: reason ?? null };
}

async function checkReplacedCard(
  ctx: AppContext,
  agentId: string,
  replacesCardId: string | null | undefined,
  kind: RequestKind,
): Promise<string | null> {
  if (!replacesCardId) return null;
  if (kind !== 'replacement' && kind !== 'renewal')
    throw invalid('Seuls un remplacement ou un renouvellement remplacent une carte.', [
      { field: 'replacesCardId', reason: 'Sans objet pour ce type de demande.' },
    ]);
  const card = await ctx.store.db
    .selectFrom('cards')
    .select(['id', 'agent_id'])
    .where('id', '=', replacesCardId)
    .executeTakeFirst();
  if (!card || card.agent_id !== agentId)
    throw invalid("La carte remplacée n'est pas une carte de cet agent.", [
      { field: 'replacesCardId', reason: 'Carte inconnue pour cet agent.' },
    ]);
  return card.id;
}

/** GET /api/agents/:id/card-prerequisites: what an order would meet, before it is made. */
export async function cardPrerequisites(
  ctx: AppContext,
  actor: Actor,
  agentId: string,
  q: { modelId?: string; kind?: string; reason?: string | null },
) {
  const { agent, org } = await loadAgentAndOrg(ctx, agentId);
  await authorize(ctx, actor, 'card.read', org.id, { type: 'agent', id: agentId });
  const model = await modelFor(ctx, org, q.modelId);
  const { kind, reason } = checkKind(q.kind ?? 'first_issue', q.reason);
  const e = await evaluate(
    ctx,
    ctx.store.db,
    actor,
    { agent, org, model },
    { kind, reason, replacesCardId: null, excludeRequestId: null },
  );
  return {
    agentId,
    modelId: model.id,
    kind,
    reason,
    ok: allHold(e.prerequisites),
    prerequisites: e.prerequisites,
    quota: quotaView(e.quota),
  };
}

function quotaView(q: QuotaDecision) {
  return { billing: q.billing, billingLabel: BILLING_LABELS[q.billing], priceCents: q.priceCents, reason: q.reason };
}

// ---------------------------------------------------------------------------------------------
// Create, modify, re-check

export interface CardRequestInput {
  agentId: string;
  modelId: string;
  kind: string;
  reason?: string | null;
  replacesCardId?: string | null;
}

export async function createCardRequest(ctx: AppContext, actor: Actor, input: CardRequestInput) {
  const { kind, reason } = checkKind(input.kind, input.reason);
  const { agent, org } = await loadAgentAndOrg(ctx, input.agentId);
  const auth = await authorize(ctx, actor, 'cardRequest.write', org.id, { type: 'agent', id: agent.id });
  if (actor.kind === 'person' && actor.agentId === agent.id)
    await refuseAudited(ctx, actor, 'cardRequest.create', org.id, { type: 'agent', id: agent.id }, OWN_REQUEST);
  const model = await modelFor(ctx, org, input.modelId);
  const replacesCardId = await checkReplacedCard(ctx, agent.id, input.replacesCardId, kind);
  const open = await ctx.store.db
    .selectFrom('card_requests')
    .select(['number', 'state'])
    .where('agent_id', '=', agent.id)
    .where('model_id', '=', model.id)
    .where('state', 'in', [...REQUEST_OPEN])
    .executeTakeFirst();
  if (open)
    throw new AppError(
      'conflict',
      `Une demande de ce modèle est déjà en cours pour cet agent (${open.number}, « ${REQUEST_STATE_LABELS[open.state as RequestState]} ») : modifiez-la ou annulez-la.`,
    );
  const e = await evaluate(
    ctx,
    ctx.store.db,
    actor,
    { agent, org, model },
    { kind, reason, replacesCardId, excludeRequestId: null },
  );
  const state: RequestState = allHold(e.prerequisites) ? 'complete' : 'draft';
  const id = ctx.newId();
  const now = ctx.now().toISOString();
  try {
    await ctx.store.db.transaction().execute(async (trx) => {
      const number = requestNumber(
        ctx.now().getUTCFullYear(),
        await drawNumber(trx, `card_request:${ctx.now().getUTCFullYear()}`),
      );
      await trx
        .insertInto('card_requests')
        .values({
          id,
          number,
          agent_id: agent.id,
          organization_id: org.id,
          model_id: model.id,
          kind,
          reason,
          state,
          billing: e.quota.billing,
          price_cents: e.quota.priceCents,
          batch_id: null,
          replaces_card_id: replacesCardId,
          card_id: null,
          created_by: auth.actorId,
          signed_by: null,
          signed_at: null,
          rejection_reason: null,
          created_at: now,
          updated_at: now,
          billing_reason: e.quota.reason,
          prerequisites: JSON.stringify(e.prerequisites),
          cancelled_by: null,
          cancelled_at: null,
          cancel_reason: null,
        })
        .execute();
      await appendAudit(
        trx,
        ctx.store,
        auditEntry(ctx, actor, auth, 'cardRequest.create', {
          targetType: 'cardRequest',
          targetId: id,
          summary: {
            after: {
              number,
              agentId: agent.id,
              modelId: model.id,
              kind,
              reason,
              state,
              billing: e.quota.billing,
              failing: failing(e.prerequisites),
            },
          },
        }),
      );
    });
  } catch (err) {
    if (isUniqueViolation(err))
      throw new AppError(
        'conflict',
        'Une demande de ce modèle vient d’être créée pour cet agent : actualisez la liste.',
      );
    throw err;
  }
  return getCardRequest(ctx, actor, id);
}

function failing(p: Prerequisite[]): string[] {
  return p.filter((x) => !x.ok).map((x) => x.code);
}

async function loadRequest(ctx: AppContext, id: string): Promise<CardRequestTable> {
  const r = await ctx.store.db.selectFrom('card_requests').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r) throw notFound('Demande introuvable.');
  return r;
}

async function subjectOf(ctx: AppContext, r: CardRequestTable): Promise<Subject> {
  const { agent, org } = await loadAgentAndOrg(ctx, r.agent_id);
  const model = await ctx.store.db
    .selectFrom('card_models')
    .selectAll()
    .where('id', '=', r.model_id)
    .executeTakeFirstOrThrow();
  return { agent, org, model };
}

/** Authorises a change of a request: scope, then nobody on their own request. */
async function authorizeChange(ctx: AppContext, actor: Actor, r: CardRequestTable, action: string) {
  const auth = await authorize(ctx, actor, 'cardRequest.write', r.organization_id, { type: 'cardRequest', id: r.id });
  if (actor.kind === 'person' && actor.agentId === r.agent_id)
    await refuseAudited(ctx, actor, action, r.organization_id, { type: 'cardRequest', id: r.id }, OWN_REQUEST);
  return auth;
}

function mustBeEditable(r: CardRequestTable): void {
  if (r.state !== 'draft' && r.state !== 'complete') {
    throw new AppError(
      'conflict',
      `Une demande « ${REQUEST_STATE_LABELS[r.state as RequestState]} » ne se modifie plus.`,
    );
  }
}

export interface CardRequestPatch {
  modelId?: string;
  kind?: string;
  reason?: string | null;
  replacesCardId?: string | null;
}

/** "Modifier une demande": kind, reason, model or replaced card of a draft or complete request; prerequisites re-checked. */
export async function updateCardRequest(ctx: AppContext, actor: Actor, id: string, patch: CardRequestPatch) {
  const r = await loadRequest(ctx, id);
  const auth = await authorizeChange(ctx, actor, r, 'cardRequest.update');
  mustBeEditable(r);
  const s = await subjectOf(ctx, r);
  const kindChanged = patch.kind !== undefined && patch.kind !== r.kind;
  const { kind, reason } = checkKind(
    patch.kind ?? r.kind,
    patch.reason !== undefined ? patch.reason : kindChanged ? null : r.reason,
  );
  const model = patch.modelId !== undefined ? await modelFor(ctx, s.org, patch.modelId) : s.model;
  const replacesCardId = await checkReplacedCard(
    ctx,
    r.agent_id,
    patch.replacesCardId !== undefined ? patch.replacesCardId : r.replaces_card_id,
    kind,
  );
  const e = await evaluate(
    ctx,
    ctx.store.db,
    actor,
    { ...s, model },
    { kind, reason, replacesCardId, excludeRequestId: r.id },
  );
  const state: RequestState = allHold(e.prerequisites) ? 'complete' : 'draft';
  const changes = {
    model_id: model.id,
    kind,
    reason,
    replaces_card_id: replacesCardId,
    state,
    billing: e.quota.billing,
    price_cents: e.quota.priceCents,
    billing_reason: e.quota.reason,
    prerequisites: JSON.stringify(e.prerequisites),
  };
  try {
    await ctx.store.db.transaction().execute(async (trx) => {
      const done = await trx
        .updateTable('card_requests')
        .set({ ...changes, updated_at: ctx.now().toISOString() })
        .where('id', '=', id)
        .where('state', 'in', ['draft', 'complete'])
        .executeTakeFirst();
      if (Number(done.numUpdatedRows) !== 1)
        throw new AppError('conflict', 'La demande a changé entre-temps : actualisez-la.');
      await appendAudit(
        trx,
        ctx.store,
        auditEntry(ctx, actor, auth, 'cardRequest.update', {
          targetType: 'cardRequest',
          targetId: id,
          summary: {
            before: {
              modelId: r.model_id,
              kind: r.kind,
              reason: r.reason,
              replacesCardId: r.replaces_card_id,
              state: r.state,
              billing: r.billing,
            },
            after: {
              modelId: model.id,
              kind,
              reason,
              replacesCardId,
              state,
              billing: e.quota.billing,
              failing: failing(e.prerequisites),
            },
          },
        }),
      );
    });
  } catch (err) {
    if (isUniqueViolation(err))
      throw new AppError('conflict', 'Une autre demande de ce modèle est déjà en cours pour cet agent.');
    throw err;
  }
  return getCardRequest(ctx, actor, id);
}

/** Re-checks the prerequisites of a draft or complete request: draft ↔ complete. */
export async function recheckCardRequest(ctx: AppContext, actor: Actor, id: string) {
  const r = await loadRequest(ctx, id);
  const auth = await authorizeChange(ctx, actor, r, 'cardRequest.recheck');
  mustBeEditable(r);
  const s = await subjectOf(ctx, r);
  const e = await evaluate(ctx, ctx.store.db, actor, s, {
    kind: r.kind as RequestKind,
    reason: r.reason,
    replacesCardId: r.replaces_card_id,
    excludeRequestId: r.id,
  });
  await recordCheck(ctx, actor, auth, r, e);
  return getCardRequest(ctx, actor, id);
}

async function recordCheck(
  ctx: AppContext,
  actor: Actor,
  auth: Awaited<ReturnType<typeof authorize>>,
  r: CardRequestTable,
  e: Evaluation,
): Promise<void> {
  const state: RequestState = allHold(e.prerequisites) ? 'complete' : 'draft';
  await ctx.store.db.transaction().execute(async (trx) => {
    const done = await trx
      .updateTable('card_requests')
      .set({
        state,
        billing: e.quota.billing,
        price_cents: e.quota.priceCents,
        billing_reason: e.quota.reason,
        prerequisites: JSON.stringify(e.prerequisites),
        updated_at: ctx.now().toISOString(),
      })
      .where('id', '=', r.id)
      .where('state', 'in', ['draft', 'complete'])
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) !== 1)
      throw new AppError('conflict', 'La demande a changé entre-temps : actualisez-la.');
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'cardRequest.recheck', {
        targetType: 'cardRequest',
        targetId: r.id,
        summary: {
          before: { state: r.state, billing: r.billing },
          after: { state, billing: e.quota.billing, failing: failing(e.prerequisites) },
        },
      }),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Sign, cancel

function billingLabel(
  r: { number: string; kind: string; reason: string | null },
  model: CardModelTable,
  agent: AgentTable,
): string {
  const why = r.reason ? ` (${REQUEST_REASON_LABELS[r.reason as RequestReason]?.toLowerCase() ?? r.reason})` : '';
  return `${REQUEST_KIND_LABELS[r.kind as RequestKind] ?? r.kind}${why} — ${model.label} — ${agent.first_names} ${agent.last_name} — ${r.number}`;
}

/**
 * "Signer une demande": prerequisites re-checked (a request that no longer meets them goes back to
 * draft and is not signed), then the operator's signature over the request and its price, then in one
 * transaction the state, the billing entry of a billed card and the audit record with the signature.
 */
export async function signCardRequest(
  ctx: AppContext,
  actor: Actor,
  id: string,
  signature: ActionSignature | null | undefined,
) {
  const r = await loadRequest(ctx, id);
  const auth = await authorizeChange(ctx, actor, r, 'cardRequest.sign');
  if (r.state !== 'draft' && r.state !== 'complete') {
    const move = moveRequest(r.state as RequestState, 'signed');
    throw new AppError('conflict', move.ok ? 'La demande ne peut pas être signée.' : move.reason);
  }
  const s = await subjectOf(ctx, r);
  const e = await evaluate(ctx, ctx.store.db, actor, s, {
    kind: r.kind as RequestKind,
    reason: r.reason,
    replacesCardId: r.replaces_card_id,
    excludeRequestId: r.id,
  });
  if (!allHold(e.prerequisites)) {
    if (r.state === 'complete') await recordCheck(ctx, actor, auth, r, e);
    throw invalid(
      'La demande ne peut pas être signée : un ou plusieurs prérequis ne sont pas remplis.',
      e.prerequisites.filter((p) => !p.ok).map((p) => ({ field: p.code, reason: p.reason ?? p.label })),
    );
  }
  const toSign = signRequestAction({ ...requestSignable(r), billing: e.quota.billing, priceCents: e.quota.priceCents });
  const { evidence } = await requireActionSignature(ctx, actor, toSign, signature);
  const now = ctx.now().toISOString();
  await ctx.store.db.transaction().execute(async (trx) => {
    // The quota is decided again under the agent's row lock: two orders signed at once for the same
    // agent cannot both take the free card.
    let lock = trx.selectFrom('agents').select('id').where('id', '=', r.agent_id);
    if (ctx.store.dialect === 'postgres') lock = lock.forUpdate();
    await lock.executeTakeFirst();
    const used = await freeCardsInWindow(ctx, trx, r.agent_id, r.organization_id, r.id);
    const quota = quotaDecision({ kind: r.kind as RequestKind, reason: r.reason, freeCardsInWindow: used });
    if (quota.billing !== e.quota.billing)
      throw new AppError(
        'conflict',
        'Le contingent gratuit de cet agent vient de changer : relisez la demande et signez-la de nouveau.',
      );
    const done = await trx
      .updateTable('card_requests')
      .set({
        state: 'signed',
        signed_by: auth.actorId,
        signed_at: now,
        billing: quota.billing,
        price_cents: quota.priceCents,
        billing_reason: quota.reason,
        prerequisites: JSON.stringify(e.prerequisites),
        updated_at: now,
      })
      .where('id', '=', id)
      .where('state', 'in', ['draft', 'complete'])
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) !== 1)
      throw new AppError('conflict', 'La demande a changé entre-temps : actualisez-la.');
    if (quota.billing === 'billed') {
      await trx
        .insertInto('billing_entries')
        .values({
          id: ctx.newId(),
          organization_id: r.organization_id,
          request_id: r.id,
          agent_id: r.agent_id,
          label: billingLabel(r, s.model, s.agent),
          amount_cents: quota.priceCents,
          created_at: now,
        })
        .execute();
    }
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'cardRequest.sign', {
        targetType: 'cardRequest',
        targetId: id,
        evidence,
        summary: {
          before: { state: r.state },
          after: { state: 'signed', number: r.number, billing: quota.billing, priceCents: quota.priceCents },
        },
      }),
    );
  });
  return getCardRequest(ctx, actor, id);
}

function requestSignable(r: CardRequestTable) {
  return {
    id: r.id,
    number: r.number,
    agentId: r.agent_id,
    modelId: r.model_id,
    kind: r.kind,
    reason: r.reason,
    replacesCardId: r.replaces_card_id,
    billing: r.billing,
    priceCents: r.price_cents,
  };
}

const CANCELLABLE: readonly RequestState[] = ['draft', 'complete', 'signed', 'in_batch'];

/** Cancels a request not yet in a validated batch; a billed card already entered is credited back. */
export async function cancelCardRequest(
  ctx: AppContext,
  actor: Actor,
  id: string,
  reason: string,
  signature: ActionSignature | null | undefined,
) {
  const r = await loadRequest(ctx, id);
  const auth = await authorizeChange(ctx, actor, r, 'cardRequest.cancel');
  const why = (reason ?? '').trim();
  if (!why) throw invalid("Le motif d'annulation est obligatoire.", [{ field: 'reason', reason: 'Obligatoire.' }]);
  if (why.length > 500)
    throw invalid("Le motif d'annulation est trop long (500 caractères au plus).", [
      { field: 'reason', reason: '500 caractères au plus.' },
    ]);
  if (!CANCELLABLE.includes(r.state as RequestState)) {
    const move = moveRequest(r.state as RequestState, 'cancelled');
    throw new AppError(
      'conflict',
      move.ok
        ? `Une demande « ${REQUEST_STATE_LABELS[r.state as RequestState]} » ne peut plus être annulée.`
        : move.reason,
    );
  }
  const { evidence } = await requireActionSignature(ctx, actor, cancelRequestAction(r, why), signature);
  const now = ctx.now().toISOString();
  await ctx.store.db.transaction().execute(async (trx) => {
    const done = await trx
      .updateTable('card_requests')
      .set({ state: 'cancelled', cancelled_by: auth.actorId, cancelled_at: now, cancel_reason: why, updated_at: now })
      .where('id', '=', id)
      .where('state', 'in', [...CANCELLABLE])
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) !== 1)
      throw new AppError('conflict', 'La demande a changé entre-temps : actualisez-la.');
    const billed = await trx
      .selectFrom('billing_entries')
      .select((eb) => eb.fn.sum<number>('amount_cents').as('total'))
      .where('request_id', '=', id)
      .executeTakeFirst();
    const balance = Number(billed?.total ?? 0);
    if (balance !== 0) {
      await trx
        .insertInto('billing_entries')
        .values({
          id: ctx.newId(),
          organization_id: r.organization_id,
          request_id: r.id,
          agent_id: r.agent_id,
          label: `Annulation de la demande ${r.number}`,
          amount_cents: -balance,
          created_at: now,
        })
        .execute();
    }
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'cardRequest.cancel', {
        targetType: 'cardRequest',
        targetId: id,
        evidence,
        summary: { before: { state: r.state }, after: { state: 'cancelled', reason: why, credited: balance } },
      }),
    );
  });
  return getCardRequest(ctx, actor, id);
}

// ---------------------------------------------------------------------------------------------
// Read: "Suivi des demandes"

export interface CardRequestSearch extends PageRequest {
  q?: string;
  state?: string;
  kind?: string;
  organizationId?: string;
  agentId?: string;
  batchId?: string;
}

const NAME_COLUMNS = [
  'cb.first_names as cb_first',
  'cb.last_name as cb_last',
  'sb.first_names as sb_first',
  'sb.last_name as sb_last',
] as const;

const LIST_COLUMNS = [
  'r.id',
  'r.number',
  'r.state',
  'r.kind',
  'r.reason',
  'r.billing',
  'r.price_cents',
  'r.agent_id',
  'r.organization_id',
  'r.model_id',
  'r.batch_id',
  'r.replaces_card_id',
  'r.card_id',
  'r.created_by',
  'r.signed_by',
  'r.signed_at',
  'r.rejection_reason',
  'r.cancel_reason',
  'r.cancelled_at',
  'r.created_at',
  'r.updated_at',
  'a.identifier',
  'a.first_names',
  'a.last_name',
  'o.name as organization_name',
  'm.code as model_code',
  'm.label as model_label',
  'b.number as batch_number',
  'b.state as batch_state',
] as const;

function baseQuery(db: Kysely<Database>) {
  return db
    .selectFrom('card_requests as r')
    .innerJoin('agents as a', 'a.id', 'r.agent_id')
    .innerJoin('organizations as o', 'o.id', 'r.organization_id')
    .innerJoin('card_models as m', 'm.id', 'r.model_id')
    .leftJoin('request_batches as b', 'b.id', 'r.batch_id')
    .leftJoin('agents as cb', 'cb.id', 'r.created_by')
    .leftJoin('agents as sb', 'sb.id', 'r.signed_by');
}

interface ListRow {
  id: string;
  number: string;
  state: string;
  kind: string;
  reason: string | null;
  billing: string;
  price_cents: number;
  agent_id: string;
  organization_id: string;
  model_id: string;
  batch_id: string | null;
  replaces_card_id: string | null;
  card_id: string | null;
  created_by: string | null;
  signed_by: string | null;
  signed_at: string | null;
  rejection_reason: string | null;
  cancel_reason: string | null;
  cancelled_at: string | null;
  created_at: string;
  updated_at: string;
  identifier: string;
  first_names: string;
  last_name: string;
  organization_name: string;
  model_code: string;
  model_label: string;
  batch_number: string | null;
  batch_state: string | null;
  cb_first: string | null;
  cb_last: string | null;
  sb_first: string | null;
  sb_last: string | null;
}

export function requestSummary(r: ListRow) {
  return {
    id: r.id,
    number: r.number,
    state: r.state,
    stateLabel: REQUEST_STATE_LABELS[r.state as RequestState] ?? r.state,
    kind: r.kind,
    kindLabel: REQUEST_KIND_LABELS[r.kind as RequestKind] ?? r.kind,
    reason: r.reason,
    reasonLabel: r.reason ? (REQUEST_REASON_LABELS[r.reason as RequestReason] ?? r.reason) : null,
    agent: { id: r.agent_id, identifier: r.identifier, firstNames: r.first_names, lastName: r.last_name },
    organizationId: r.organization_id,
    organizationName: r.organization_name,
    model: { id: r.model_id, code: r.model_code, label: r.model_label },
    billing: r.billing,
    billingLabel: BILLING_LABELS[r.billing as Billing] ?? r.billing,
    priceCents: r.price_cents,
    batch: r.batch_id ? { id: r.batch_id, number: r.batch_number } : null,
    replacesCardId: r.replaces_card_id,
    cardId: r.card_id,
    createdBy: personName(r.cb_first, r.cb_last, r.created_by),
    signedBy: personName(r.sb_first, r.sb_last, r.signed_by),
    signedAt: r.signed_at,
    rejectionReason: r.rejection_reason,
    cancelReason: r.cancel_reason,
    cancelledAt: r.cancelled_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/**
 * Card requests in the caller's scope, newest first (created_at, number), keyset by that pair. The
 * filters' indexes gather up to SORT_LIMIT requests and sort them; beyond, the created_at index is
 * walked and each request tested (SQLite: filter columns wrapped in +( )). A word is a request number
 * (start of it) or the start of a word of the holder's name, identifier or e-mail.
 */
export async function listCardRequests(ctx: AppContext, actor: Actor, s: CardRequestSearch) {
  const win = pageWindow(s, 20, 100);
  const after = s.after ? decodeCursor(s.after, ['string', 'string']) : null;
  let orgs = await scopeOrganizations(ctx, await scopeRoots(ctx, actor, 'card.read'));
  if (s.organizationId) orgs = intersectScopes(orgs, await subtreeOrganizations(ctx, s.organizationId));
  const states = s.state ? s.state.split(',').filter((x) => (REQUEST_STATES as readonly string[]).includes(x)) : null;
  // « D-2026-000123 » (or its start) is a request number, found through its unique index.
  const number = /^\s*d-\d/i.test(s.q ?? '') ? s.q!.trim().toUpperCase() : null;
  const words = number ? [] : queryWords(s.q);
  const match = words.length ? await matchAgents(ctx, words) : null;
  const pg = ctx.store.dialect === 'postgres';
  const build = (indexed: boolean, joined: boolean) => {
    const col = (name: string) => (indexed || pg ? sql.ref(name) : sql`+${sql.ref(name)}`);
    let q = (
      joined
        ? baseQuery(ctx.store.db)
        : ctx.store.db.selectFrom('card_requests as r').innerJoin('agents as a', 'a.id', 'r.agent_id')
    ) as ReturnType<typeof baseQuery>;
    q = q.where(inOrganizations(ctx, orgs, 'r.organization_id', { index: indexed }));
    if (states)
      q = q.where(states.length ? sql<boolean>`${col('r.state')} in (${sql.join(states)})` : sql<boolean>`1 = 0`);
    if (s.kind) q = q.where(sql<boolean>`${col('r.kind')} = ${s.kind}`);
    if (s.agentId) q = q.where(sql<boolean>`${col('r.agent_id')} = ${s.agentId}`);
    if (s.batchId) q = q.where(sql<boolean>`${col('r.batch_id')} = ${s.batchId}`);
    if (number)
      q = q.where(
        /^D-\d{4}-\d{6}$/.test(number)
          ? sql<boolean>`r.number = ${number}`
          : sql<boolean>`r.number >= ${number} and r.number < ${`${number}~`}`,
      );
    if (match) q = q.where(match.where('a'));
    return q;
  };
  const counted = match && !match.sparse ? null : await boundedCount(ctx.store.db, build(true, false));
  let q = build(counted !== null && counted.exact && counted.n <= SORT_LIMIT, true);
  if (after) q = q.where(sql<boolean>`(r.created_at, r.number) < (${after[0]}, ${after[1]})`);
  const rows = await q
    .select(LIST_COLUMNS)
    .select(NAME_COLUMNS)
    .orderBy('r.created_at', 'desc')
    .orderBy('r.number', 'desc')
    .limit(win.pageSize + 1)
    .offset(win.offset)
    .execute();
  return pageOf(rows, win, requestSummary, (r) => [r.created_at, r.number], counted);
}

/** Rows of the requests of a batch (batches.ts). */
export async function requestsOfBatch(ctx: AppContext, batchId: string) {
  const rows = await baseQuery(ctx.store.db)
    .where('r.batch_id', '=', batchId)
    .select(LIST_COLUMNS)
    .select(NAME_COLUMNS)
    .orderBy('r.number')
    .execute();
  return rows.map(requestSummary);
}

export async function getCardRequest(ctx: AppContext, actor: Actor, id: string) {
  const r = await loadRequest(ctx, id);
  if (!(actor.kind === 'person' && actor.agentId === r.agent_id))
    await authorize(ctx, actor, 'card.read', r.organization_id, { type: 'cardRequest', id });
  const row = await baseQuery(ctx.store.db)
    .where('r.id', '=', id)
    .select(LIST_COLUMNS)
    .select(NAME_COLUMNS)
    .executeTakeFirstOrThrow();
  const editable = r.state === 'draft' || r.state === 'complete';
  let prerequisites = r.prerequisites ? (JSON.parse(r.prerequisites) as Prerequisite[]) : [];
  let quota: QuotaDecision = {
    billing: r.billing as Billing,
    priceCents: r.price_cents,
    reason: r.billing_reason ?? '',
  };
  if (editable) {
    // Before signature the facts may have moved (photo uploaded, plan updated): show them as they are now.
    const e = await evaluate(ctx, ctx.store.db, actor, await subjectOf(ctx, r), {
      kind: r.kind as RequestKind,
      reason: r.reason,
      replacesCardId: r.replaces_card_id,
      excludeRequestId: r.id,
    });
    prerequisites = e.prerequisites;
    quota = e.quota;
  }
  const model = await ctx.store.db
    .selectFrom('card_models')
    .selectAll()
    .where('id', '=', r.model_id)
    .executeTakeFirstOrThrow();
  return {
    ...requestSummary(row),
    model: cardModelView(model),
    prerequisites,
    prerequisitesOk: allHold(prerequisites),
    quota: quotaView(quota),
    /** What the operator's card signs to sign this request now (null when it cannot be signed). */
    toSign:
      editable && allHold(prerequisites)
        ? signRequestAction({ ...requestSignable(r), billing: quota.billing, priceCents: quota.priceCents })
        : null,
  };
}
