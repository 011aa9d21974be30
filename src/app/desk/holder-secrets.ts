import { personalCodeFaults, secretAnswersFaults, SECRET_QUESTIONS } from '../../domain/pin-policy.ts';
import { appendAudit } from '../../store/audit.ts';
import { actorId } from '../access/authorize.ts';
import { AppError, invalid } from '../errors.ts';
import { hashHumanSecret } from '../secrets.ts';
import type { Actor, AppContext } from '../context.ts';

// The holder's own secrets (seed 001, "Définition des secrets dans PGCA Porteur"): a personal code
// and three secret questions, needed to unblock the card after three wrong PINs. Defined by the
// holder, signed in with the card just activated; stored only as Argon2id hashes.

export interface SecretsInput {
  personalCode: string;
  questions: { question: string; answer: string }[];
}

export function secretQuestionList(): { code: string; label: string }[] {
  return SECRET_QUESTIONS.map((q) => ({ code: q.code, label: q.label }));
}

/** Cards that wait for the holder's secrets: activated ones. Municipal cards then wait for the officer's initials. */
export async function defineHolderSecrets(
  ctx: AppContext,
  actor: Actor,
  input: SecretsInput,
): Promise<{ cardsActivated: string[]; awaitingFinalization: string[] }> {
  if (actor.kind !== 'person')
    throw new AppError('forbidden', 'Seul le porteur, connecté avec sa carte, définit ses secrets.');
  const codeFaults = personalCodeFaults(typeof input.personalCode === 'string' ? input.personalCode : '');
  const questions = Array.isArray(input.questions)
    ? input.questions.map((q) => ({ question: String(q?.question ?? ''), answer: String(q?.answer ?? '') }))
    : [];
  const answerFaults = secretAnswersFaults(questions);
  if (codeFaults.length + answerFaults.length > 0) {
    throw invalid('Vos secrets ne peuvent pas être enregistrés : corrigez les points signalés.', [
      ...codeFaults.map((reason) => ({ field: 'personalCode', reason })),
      ...answerFaults.map((reason) => ({ field: 'questions', reason })),
    ]);
  }
  const usable = await ctx.store.db
    .selectFrom('cards as c')
    .innerJoin('organizations as o', 'o.id', 'c.organization_id')
    .select(['c.id', 'c.serial', 'c.state', 'o.kind'])
    .where('c.agent_id', '=', actor.agentId)
    .where('c.state', 'in', ['activated', 'active'])
    .execute();
  if (usable.length === 0)
    throw new AppError('forbidden', 'Vous devez disposer d’une carte activée pour définir vos secrets.');
  const personalCodeHash = await hashHumanSecret(input.personalCode);
  const answers: { question: string; hash: string }[] = [];
  for (const q of questions) answers.push({ question: q.question, hash: await hashHumanSecret(q.answer) });
  const now = ctx.now().toISOString();
  const activated: string[] = [];
  const waiting: string[] = [];
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('holder_secrets').where('agent_id', '=', actor.agentId).execute();
    await trx
      .insertInto('holder_secrets')
      .values({
        agent_id: actor.agentId,
        personal_code_hash: personalCodeHash,
        answers: JSON.stringify(answers),
        failed_attempts: 0,
        locked_until: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    for (const c of usable.filter((x) => x.state === 'activated')) {
      // Municipal flow: the card officer initials the attestation before the card is active (seed 002).
      if (c.kind === 'municipality') {
        waiting.push(c.serial);
        continue;
      }
      await trx
        .updateTable('cards')
        .set({ state: 'active', state_changed_at: now, updated_at: now })
        .where('id', '=', c.id)
        .where('state', '=', 'activated')
        .execute();
      activated.push(c.serial);
      await appendAudit(trx, ctx.store, {
        at: now,
        actorId: actorId(actor),
        actorRole: 'holder',
        organizationId: null,
        action: 'card.active',
        outcome: 'ok',
        targetType: 'card',
        targetId: c.id,
        requestId: actor.requestId,
        summary: { before: { state: 'activated' }, after: { state: 'active' }, cause: 'holder.secrets' },
      });
    }
    await appendAudit(trx, ctx.store, {
      at: now,
      actorId: actorId(actor),
      actorRole: 'holder',
      organizationId: null,
      action: 'holder.secrets',
      outcome: 'ok',
      targetType: 'agent',
      targetId: actor.agentId,
      requestId: actor.requestId,
      summary: {
        questions: questions.map((q) => q.question),
        cardsActivated: activated,
        awaitingFinalization: waiting,
      },
    });
  });
  return { cardsActivated: activated, awaitingFinalization: waiting };
}
