import type { Transaction } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { adminResponse, deriveCardAdminKey } from '../../cards/admin-key.ts';
import type { AdminOperation } from '../../cards/card.ts';
import { loadCardMasterKey } from '../../cards/keys.ts';
import { CARD_STATE_LABELS, type CardState } from '../../domain/card-lifecycle.ts';
import { appendAudit } from '../../store/audit.ts';
import { requireActionSignature, type ActionSignature } from './action-signatures.ts';
import { authorize } from './authorize.ts';
import { changeWithAudit } from '../audit-trail.ts';
import { AppError, invalid } from '../errors.ts';
import { loadDeskCard, refuseOwnCard } from '../desk/handover.ts';
import { moveCardRow } from '../desk/card-certificates.ts';
import { hashSecret, newSecret, verifyHumanSecret } from '../secrets.ts';
import { refuseAudited } from '../refusals.ts';
import type { Actor, AppContext } from '../context.ts';

// A holder without a usable card (PINs blocked, card lost or stolen) proves who they are with
// organisation + identifier + personal code + the three answers (seed 001: "vous aurez besoin de
// deux informations pour vous authentifier : organisation et identifiant"). That opens a short,
// narrow access: reset the PINs of one's own card, or declare it lost or stolen — nothing else.

/** Wrong identifications in a row before the access is suspended for SECRET_LOCK_MINUTES. */
export const SECRET_ATTEMPTS = 3;
export const SECRET_LOCK_MINUTES = 60;
export const HOLDER_ACCESS_MINUTES = 10;

// One answer for every failure (unknown holder, wrong secret, suspended access): the identifier and
// organisation are printed in every certificate, so the answer must tell a guesser nothing.
const GENERIC =
  'Identification impossible : vérifiez l’organisation, l’identifiant, le code personnel et les trois réponses (majuscules et minuscules comptent). Après trois erreurs, l’accès est suspendu une heure ; votre responsable carte peut aussi débloquer votre carte ou réinitialiser vos questions.';

export interface HolderIdentification {
  organization: string;
  identifier: string;
  personalCode: string;
  answers: { question: string; answer: string }[];
}

export interface HolderAccess {
  token: string;
  expiresAt: string;
  agentId: string;
  holderName: string;
}

async function auditHolder(
  ctx: AppContext,
  agentId: string | null,
  action: string,
  outcome: 'ok' | 'refused',
  summary: unknown,
  requestId: string | null,
): Promise<void> {
  await ctx.store.db.transaction().execute(async (trx) => {
    await appendAudit(trx, ctx.store, {
      at: ctx.now().toISOString(),
      actorId: agentId,
      actorRole: 'holder',
      organizationId: null,
      action,
      outcome,
      targetType: 'agent',
      targetId: agentId,
      requestId,
      summary,
    });
  });
}

/**
 * Checks the holder's secrets. Each attempt is counted before evaluation (conditional update), so
 * parallel guesses cannot exceed SECRET_ATTEMPTS; the same French message for every failure tells
 * a guesser nothing about which part was wrong.
 */
export async function identifyHolder(
  ctx: AppContext,
  input: HolderIdentification,
  requestId: string | null = null,
): Promise<HolderAccess> {
  const org = String(input.organization ?? '').trim();
  const identifier =
    String(input.identifier ?? '')
      .trim()
      .split(/\s+/)
      .pop() ?? '';
  if (
    !org ||
    !identifier ||
    typeof input.personalCode !== 'string' ||
    !Array.isArray(input.answers) ||
    input.answers.length !== 3
  ) {
    throw invalid('Renseignez l’organisation, l’identifiant, le code personnel et les trois réponses.');
  }
  const now = ctx.now();
  const agent = await ctx.store.db
    .selectFrom('agents as a')
    .innerJoin('organizations as o', 'o.id', 'a.organization_id')
    .select(['a.id', 'a.first_names', 'a.last_name', 'a.status'])
    .where('a.identifier', '=', identifier)
    .where((eb) => eb.or([eb('o.code', '=', org), eb('o.siren', '=', org)]))
    .executeTakeFirst();
  const secrets = agent
    ? await ctx.store.db.selectFrom('holder_secrets').selectAll().where('agent_id', '=', agent.id).executeTakeFirst()
    : undefined;
  const fail = async (agentId: string | null, reason: string): Promise<never> => {
    await auditHolder(ctx, agentId, 'holder.identify', 'refused', { reason, organization: org, identifier }, requestId);
    throw new AppError('unauthenticated', GENERIC);
  };
  if (!agent || !secrets || agent.status !== 'active') {
    // The same Argon2 work as for a real holder, so the time taken tells nothing either.
    await verifyHumanSecret(input.personalCode, DUMMY_HASH);
    for (let i = 0; i < 3; i++) await verifyHumanSecret('', DUMMY_HASH);
    return fail(agent?.id ?? null, agent ? 'Secrets non définis ou compte désactivé.' : 'Porteur inconnu.');
  }
  // Counted before evaluation, in one conditional update: parallel guesses cannot exceed the limit.
  const counted = await ctx.store.db
    .updateTable('holder_secrets')
    .set((eb) => ({ failed_attempts: eb('failed_attempts', '+', 1) }))
    .where('agent_id', '=', agent.id)
    .where('failed_attempts', '<', SECRET_ATTEMPTS)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now.toISOString())]))
    .executeTakeFirst();
  if (Number(counted.numUpdatedRows) !== 1) return fail(agent.id, 'Accès suspendu après trois erreurs.');
  const stored = JSON.parse(secrets.answers) as { question: string; hash: string }[];
  let ok = await verifyHumanSecret(input.personalCode, secrets.personal_code_hash);
  for (const s of stored) {
    const given = input.answers.find((a) => a?.question === s.question);
    // Evaluate every answer even after a failure: the time taken does not tell which one was wrong.
    const match = await verifyHumanSecret(typeof given?.answer === 'string' ? given.answer : '', s.hash);
    ok = ok && match;
  }
  if (!ok) {
    if (secrets.failed_attempts + 1 >= SECRET_ATTEMPTS) {
      const until = new Date(now.getTime() + SECRET_LOCK_MINUTES * 60_000).toISOString();
      await ctx.store.db
        .updateTable('holder_secrets')
        .set({ failed_attempts: 0, locked_until: until })
        .where('agent_id', '=', agent.id)
        .execute();
    }
    return fail(agent.id, 'Secrets incorrects.');
  }
  const token = newSecret();
  const expiresAt = new Date(now.getTime() + HOLDER_ACCESS_MINUTES * 60_000).toISOString();
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('holder_secrets')
      .set({ failed_attempts: 0, locked_until: null, updated_at: now.toISOString() })
      .where('agent_id', '=', agent.id)
      .execute();
    await trx
      .insertInto('challenges')
      .values({
        id: ctx.newId(),
        purpose: 'holder_access',
        value_hash: hashSecret(token),
        agent_id: agent.id,
        created_at: now.toISOString(),
        expires_at: expiresAt,
        used_at: null,
      })
      .execute();
    await appendAudit(trx, ctx.store, {
      at: now.toISOString(),
      actorId: agent.id,
      actorRole: 'holder',
      organizationId: null,
      action: 'holder.identify',
      outcome: 'ok',
      targetType: 'agent',
      targetId: agent.id,
      requestId,
      summary: { expiresAt },
    });
  });
  return { token, expiresAt, agentId: agent.id, holderName: `${agent.first_names} ${agent.last_name}` };
}

/** A well-formed Argon2id hash of nothing in particular, for the unknown-holder path. */
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** The holder behind a holder-access token, or an error. */
export async function holderFromAccess(ctx: AppContext, token: string): Promise<Actor & { kind: 'person' }> {
  const now = ctx.now().toISOString();
  const row =
    typeof token === 'string' && token.length > 10
      ? await ctx.store.db
          .selectFrom('challenges as c')
          .innerJoin('agents as a', 'a.id', 'c.agent_id')
          .select(['a.id', 'a.first_names', 'a.last_name'])
          .where('c.value_hash', '=', hashSecret(token))
          .where('c.purpose', '=', 'holder_access')
          .where('c.expires_at', '>', now)
          .where('c.used_at', 'is', null)
          .executeTakeFirst()
      : undefined;
  if (!row)
    throw new AppError(
      'unauthenticated',
      'Accès porteur expiré : identifiez-vous à nouveau avec votre code personnel et vos réponses.',
    );
  return {
    kind: 'person',
    agentId: row.id,
    displayName: `${row.first_names} ${row.last_name}`,
    grants: [],
    requestId: null,
  };
}

export interface HolderCard {
  id: string;
  serial: string;
  state: CardState;
  stateLabel: string;
  modelLabel: string;
}

export async function holderCards(ctx: AppContext, agentId: string): Promise<HolderCard[]> {
  const rows = await ctx.store.db
    .selectFrom('cards as c')
    .innerJoin('card_models as m', 'm.id', 'c.model_id')
    .select(['c.id', 'c.serial', 'c.state', 'm.label'])
    .where('c.agent_id', '=', agentId)
    .orderBy('c.created_at', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    serial: r.serial,
    state: r.state as CardState,
    stateLabel: CARD_STATE_LABELS[r.state as CardState],
    modelLabel: r.label,
  }));
}

const RESET_OPERATIONS: readonly AdminOperation[] = ['reset-pin:auth', 'reset-pin:sign'];
const UNBLOCKABLE: readonly CardState[] = ['activated', 'active', 'blocked'];

function challengeBytes(challenge: string): Buffer {
  const bytes = Buffer.from(challenge ?? '', 'base64');
  if (bytes.length !== 16)
    throw invalid('Défi de la carte illisible (16 octets attendus).', [
      { field: 'challenge', reason: 'Base64 de 16 octets.' },
    ]);
  return bytes;
}

function resetOperation(operation: string): AdminOperation {
  const op = RESET_OPERATIONS.find((o) => o === operation);
  if (!op)
    throw invalid('Opération de carte non permise pour un déblocage.', [
      { field: 'operation', reason: 'reset-pin:auth ou reset-pin:sign.' },
    ]);
  return op;
}

async function unblockResponse(
  ctx: AppContext,
  serial: string,
  operation: AdminOperation,
  challenge: Buffer,
): Promise<string> {
  return adminResponse(deriveCardAdminKey(loadCardMasterKey(ctx.dataDir), serial), challenge, operation).toString(
    'base64',
  );
}

/** A blocked card goes back to where it was: active, or activated when the officer has not initialled it yet. */
async function unblockState(ctx: AppContext, trx: Transaction<Database>, cardId: string): Promise<void> {
  const act = await trx
    .selectFrom('card_activations')
    .select('finalized_at')
    .where('card_id', '=', cardId)
    .executeTakeFirst();
  const to: CardState = act && !act.finalized_at ? 'activated' : 'active';
  const now = ctx.now().toISOString();
  await moveCardRow(trx, cardId, 'blocked', to, now, { retry: 'recommencez' });
}

/** Self-service unblock ("Déblocage de support"): the answer to the card's challenge to reset one PIN. */
export async function holderUnblockResponse(
  ctx: AppContext,
  accessToken: string,
  input: { serial: string; operation: string; challenge: string },
): Promise<{ response: string }> {
  const holder = await holderFromAccess(ctx, accessToken);
  const operation = resetOperation(input.operation);
  const challenge = challengeBytes(input.challenge);
  const card = await ctx.store.db
    .selectFrom('cards')
    .select(['id', 'serial', 'state', 'agent_id'])
    .where('serial', '=', String(input.serial ?? ''))
    .executeTakeFirst();
  if (!card || card.agent_id !== holder.agentId) {
    await auditHolder(
      ctx,
      holder.agentId,
      'card.unblock',
      'refused',
      { reason: 'Carte d’un autre porteur.', serial: input.serial },
      null,
    );
    throw new AppError('forbidden', 'La carte insérée n’est pas la vôtre.');
  }
  if (!UNBLOCKABLE.includes(card.state as CardState))
    throw new AppError(
      'conflict',
      `Cette carte ne peut pas être débloquée : elle est « ${CARD_STATE_LABELS[card.state as CardState]} ».`,
    );
  const response = await unblockResponse(ctx, card.serial, operation, challenge);
  await ctx.store.db.transaction().execute(async (trx) => {
    if (card.state === 'blocked') await unblockState(ctx, trx, card.id);
    await appendAudit(trx, ctx.store, {
      at: ctx.now().toISOString(),
      actorId: holder.agentId,
      actorRole: 'holder',
      organizationId: null,
      action: 'card.unblock',
      outcome: 'ok',
      targetType: 'card',
      targetId: card.id,
      requestId: null,
      summary: { operation, by: 'holder' },
    });
  });
  return { response };
}

/** Offline unblock by an operator, the holder present with the card ("Déblocage de support", operator side). */
export async function operatorUnblockResponse(
  ctx: AppContext,
  actor: Actor,
  cardId: string,
  input: { operation: string; challenge: string; signature: ActionSignature | null | undefined },
): Promise<{ response: string }> {
  const { card, auth } = await loadDeskCard(ctx, actor, cardId, 'card.operate');
  await refuseOwnCard(ctx, actor, card, 'débloquer');
  const operation = resetOperation(input.operation);
  const challenge = challengeBytes(input.challenge);
  if (!UNBLOCKABLE.includes(card.state))
    throw new AppError(
      'conflict',
      `Cette carte ne peut pas être débloquée : elle est « ${CARD_STATE_LABELS[card.state]} ».`,
    );
  const { evidence } = await requireActionSignature(
    ctx,
    actor,
    { action: 'card.unblock', target: cardId, content: { cardId, serial: card.serial, operation } },
    input.signature,
  );
  const response = await unblockResponse(ctx, card.serial, operation, challenge);
  await changeWithAudit(ctx, actor, auth, 'card.unblock', async (trx) => {
    if (card.state === 'blocked') await unblockState(ctx, trx, cardId);
    return { result: null, targetType: 'card', targetId: cardId, summary: { operation, by: 'operator' }, evidence };
  });
  return { response };
}

/** "Réinitialisation des questions secrètes": the holder defines new secrets at the next card sign-in. */
export async function resetSecretQuestions(
  ctx: AppContext,
  actor: Actor,
  agentId: string,
  input: { signature: ActionSignature | null | undefined },
): Promise<void> {
  const agent = await ctx.store.db
    .selectFrom('agents')
    .select(['id', 'organization_id'])
    .where('id', '=', agentId)
    .executeTakeFirst();
  if (!agent) throw new AppError('not_found', 'Agent introuvable.');
  const auth = await authorize(ctx, actor, 'card.operate', agent.organization_id, { type: 'agent', id: agentId });
  if (actor.kind === 'person' && actor.agentId === agentId)
    await refuseAudited(
      ctx,
      actor,
      'holder.reset-secrets',
      agent.organization_id,
      { type: 'agent', id: agentId },
      'Un autre opérateur doit réinitialiser vos propres questions secrètes.',
    );
  const { evidence } = await requireActionSignature(
    ctx,
    actor,
    { action: 'holder.reset-secrets', target: agentId, content: { agentId } },
    input.signature,
  );
  await changeWithAudit(ctx, actor, auth, 'holder.reset-secrets', async (trx) => {
    const deleted = await trx.deleteFrom('holder_secrets').where('agent_id', '=', agentId).executeTakeFirst();
    // Accesses opened with the old secrets end with them.
    await trx.deleteFrom('challenges').where('purpose', '=', 'holder_access').where('agent_id', '=', agentId).execute();
    if (Number(deleted.numDeletedRows) !== 1)
      throw new AppError('conflict', 'Ce porteur n’a pas de questions secrètes à réinitialiser.');
    return { result: null, targetType: 'agent', targetId: agentId, summary: { secrets: 'reset' }, evidence };
  });
}
