import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import { CARD_STATE_LABELS, moveCard, type CardState } from '../../domain/card-lifecycle.ts';
import { isIsoDate } from '../../domain/dates.ts';
import type { CertificateEvent, RevocationReason } from '../../domain/certificate-status.ts';
import { enqueue } from '../../jobs/queue.ts';
import { appendAudit } from '../../store/audit.ts';
import type { Database } from '../../store/schema.ts';
import { requireActionSignature, type ActionSignature } from '../access/action-signatures.ts';
import { actorId, authorize } from '../access/authorize.ts';
import { auditEntry, changeWithAudit } from '../audit-trail.ts';
import { changeCardCertificates, moveCardRow } from './card-certificates.ts';
import { AppError, invalid, notFound } from '../errors.ts';
import { refuseAudited } from '../refusals.ts';
import { loadDeskCard, refuseOwnCard } from './handover.ts';
import type { Actor, AppContext } from '../context.ts';

// Incidents and end of life of a card (DOMAIN.md "Card lifecycle", seed 000 usage cases): loss,
// theft, temporary loss, offline revocation, return and destruction, departure, transfer. Card
// state and certificate status always change in one transaction; the CRLs follow via the outbox.

export const CARD_REVOCATION_REASONS = {
  lost: { label: 'Perte', rfc: 'keyCompromise' },
  stolen: { label: 'Vol', rfc: 'keyCompromise' },
  departure: { label: 'Départ (retraite, fin de contrat)', rfc: 'cessationOfOperation' },
  status_change: { label: 'Changement de statut (civil/militaire, catégorie)', rfc: 'affiliationChanged' },
  damaged: { label: 'Dysfonctionnement ou casse', rfc: 'superseded' },
  data_error: { label: 'Données erronées', rfc: 'affiliationChanged' },
  refused: { label: 'Certificats refusés par le porteur', rfc: 'cessationOfOperation' },
} as const satisfies Record<string, { label: string; rfc: RevocationReason }>;
export type CardRevocationReason = keyof typeof CARD_REVOCATION_REASONS;

/** Days a temporary loss stays a suspension before it becomes a revocation (CARTES_SUSPENSION_DAYS). */
export function suspensionDays(env: NodeJS.ProcessEnv = process.env): number {
  const days = Number(env['CARTES_SUSPENSION_DAYS'] ?? 7);
  return Number.isInteger(days) && days >= 1 && days <= 90 ? days : 7;
}

export const REVOCABLE: readonly CardState[] = ['handed_over', 'activated', 'active', 'blocked', 'suspended'];

export interface CardRow {
  id: string;
  serial: string;
  state: CardState;
  agent_id: string;
  organization_id: string;
  operator_organization_id: string;
}

export async function cardRow(ctx: AppContext, cardId: string): Promise<CardRow> {
  const row = await ctx.store.db
    .selectFrom('cards')
    .select(['id', 'serial', 'state', 'agent_id', 'organization_id', 'operator_organization_id'])
    .where('id', '=', cardId)
    .executeTakeFirst();
  if (!row) throw notFound('Carte introuvable.');
  return { ...row, state: row.state as CardState };
}

/** Moves the card through its state machine and applies `event` to its certificates (same transaction). */
export async function moveWithCertificates(
  ctx: AppContext,
  trx: Transaction<Database>,
  card: CardRow,
  to: CardState,
  event: CertificateEvent | null,
  at?: string,
  opts: { invalidityDate?: string | null } = {},
) {
  const next = moveCard(card.state, to);
  if (!next.ok) throw new AppError('conflict', next.reason);
  const now = at ?? ctx.now().toISOString();
  await moveCardRow(trx, card.id, card.state, to, now);
  return event ? changeCardCertificates(ctx, trx, card.id, event, opts) : [];
}

export interface HolderDeclaration {
  kind: 'loss' | 'theft' | 'temporary_loss';
  /** Theft: the police report's reference (seed 000: a theft is reported to the police). */
  policeReportReference?: string | null;
  circumstances?: string | null;
  /** The day the card was lost or stolen, when the holder knows it (YYYY-MM-DD): the CRL's invalidityDate. */
  lostOn?: string | null;
}

/**
 * The invalidity date of a declared day: its first instant in Paris at the earliest (00:00 at
 * UTC+2), so that the date published is never later than the loss. Null when none was given.
 */
function invalidityFromDay(day: string | null | undefined, now: Date): string | null {
  if (day === undefined || day === null || day === '') return null;
  const field = [{ field: 'lostOn', reason: 'Date au format AAAA-MM-JJ, au plus tard aujourd’hui.' }];
  if (!isIsoDate(day) || day < '2000-01-01')
    throw invalid('Date de la perte ou du vol invalide : une date au format AAAA-MM-JJ est attendue.', field);
  const at = new Date(`${day}T00:00:00+02:00`);
  if (at.getTime() > now.getTime())
    throw invalid('La date de la perte ou du vol ne peut pas être dans le futur.', field);
  return at.toISOString();
}

export const DECLARATION_LABELS: Record<HolderDeclaration['kind'], string> = {
  loss: 'Perte',
  theft: 'Vol',
  temporary_loss: 'Perte temporaire (carte égarée)',
};

/**
 * The holder declares a loss or a theft: immediate revocation of the card and its certificates;
 * a temporary loss is a suspension (certificateHold) that becomes a revocation after
 * suspensionDays() unless the card is found and resumed by an operator.
 */
export async function declareLossOrTheft(
  ctx: AppContext,
  holder: Actor,
  cardId: string,
  input: HolderDeclaration,
): Promise<{ state: CardState; escalatesAt: string | null }> {
  if (holder.kind !== 'person')
    throw new AppError('forbidden', 'Seul le porteur déclare la perte ou le vol de sa carte.');
  const card = await cardRow(ctx, cardId);
  if (card.agent_id !== holder.agentId) {
    await refuseAudited(
      ctx,
      holder,
      'card.declare',
      card.organization_id,
      { type: 'card', id: cardId },
      'Cette carte n’est pas la vôtre.',
    );
  }
  if (!(input.kind in DECLARATION_LABELS))
    throw invalid('Type de déclaration inconnu : perte, vol ou perte temporaire.', [
      { field: 'kind', reason: 'loss, theft ou temporary_loss.' },
    ]);
  const police = input.policeReportReference?.trim() || null;
  if (input.kind === 'theft' && (!police || police.length < 4 || police.length > 60)) {
    throw invalid(
      'Un vol se déclare avec la référence du dépôt de plainte (récépissé de la police ou de la gendarmerie).',
      [{ field: 'policeReportReference', reason: 'Référence obligatoire pour un vol.' }],
    );
  }
  const circumstances = input.circumstances?.trim().slice(0, 500) || null;
  const invalidityDate = invalidityFromDay(input.lostOn, ctx.now());
  const allowed: readonly CardState[] = input.kind === 'temporary_loss' ? ['active'] : REVOCABLE;
  if (!allowed.includes(card.state))
    throw new AppError(
      'conflict',
      `Cette carte ne peut pas faire l’objet de cette déclaration : elle est « ${CARD_STATE_LABELS[card.state]} ».`,
    );
  const now = ctx.now();
  const escalatesAt =
    input.kind === 'temporary_loss' ? new Date(now.getTime() + suspensionDays() * 86_400_000).toISOString() : null;
  const to: CardState = input.kind === 'temporary_loss' ? 'suspended' : 'revoked';
  const event: CertificateEvent =
    input.kind === 'temporary_loss' ? { kind: 'suspend' } : { kind: 'revoke', reason: 'keyCompromise' };
  await ctx.store.db.transaction().execute(async (trx) => {
    const certificates = await moveWithCertificates(ctx, trx, card, to, event, now.toISOString(), {
      invalidityDate,
    });
    if (escalatesAt)
      await enqueue(trx, {
        id: ctx.newId(),
        kind: 'card.suspension-escalate',
        payload: { cardId, suspendedAt: now.toISOString() },
        runAt: escalatesAt,
        now: now.toISOString(),
      });
    await appendAudit(trx, ctx.store, {
      at: now.toISOString(),
      actorId: actorId(holder),
      actorRole: 'holder',
      organizationId: card.organization_id,
      action: `card.declare-${input.kind.replace('_', '-')}`,
      outcome: 'ok',
      targetType: 'card',
      targetId: cardId,
      requestId: holder.requestId,
      summary: {
        before: { state: card.state },
        after: { state: to },
        declaration: DECLARATION_LABELS[input.kind],
        policeReportReference: police,
        circumstances,
        ...(invalidityDate ? { lostOn: input.lostOn, invalidityDate } : {}),
        certificates,
        escalatesAt,
      },
    });
  });
  return { state: to, escalatesAt };
}

/** Job: a temporary loss not resolved in time becomes a revocation. */
export async function escalateSuspension(
  ctx: AppContext,
  payload: { cardId: string; suspendedAt: string },
): Promise<boolean> {
  const now = await ctx.store.db
    .selectFrom('cards')
    .select('state_changed_at')
    .where('id', '=', payload.cardId)
    .executeTakeFirst();
  const card = await cardRow(ctx, payload.cardId);
  // Found and resumed meanwhile, or suspended again later (that suspension has its own job).
  if (card.state !== 'suspended' || !now || now.state_changed_at > payload.suspendedAt) return false;
  await ctx.store.db.transaction().execute(async (trx) => {
    const certificates = await moveWithCertificates(ctx, trx, card, 'revoked', {
      kind: 'revoke',
      reason: 'keyCompromise',
    });
    await appendAudit(trx, ctx.store, {
      at: ctx.now().toISOString(),
      actorId: 'system:suspensions',
      actorRole: 'system',
      organizationId: card.organization_id,
      action: 'card.suspension-escalate',
      outcome: 'ok',
      targetType: 'card',
      targetId: card.id,
      requestId: null,
      summary: {
        before: { state: 'suspended' },
        after: { state: 'revoked' },
        certificates,
        suspendedAt: payload.suspendedAt,
      },
    });
  });
  return true;
}

/** A card declared temporarily lost is found: the operator, holder present, lifts the suspension. */
export async function resumeCard(
  ctx: AppContext,
  actor: Actor,
  cardId: string,
  input: { signature: ActionSignature | null | undefined },
): Promise<{ state: CardState }> {
  const { card, auth } = await loadDeskCard(ctx, actor, cardId, 'card.operate');
  await refuseOwnCard(ctx, actor, card, 'réactiver');
  if (card.state !== 'suspended')
    throw new AppError(
      'conflict',
      `Seule une carte suspendue peut être réactivée (celle-ci est « ${CARD_STATE_LABELS[card.state]} »).`,
    );
  const { evidence } = await requireActionSignature(
    ctx,
    actor,
    { action: 'card.resume', target: cardId, content: { cardId, serial: card.serial } },
    input.signature,
  );
  const row = await cardRow(ctx, cardId);
  await changeWithAudit(ctx, actor, auth, 'card.resume', async (trx) => {
    const certificates = await moveWithCertificates(ctx, trx, row, 'active', { kind: 'resume' });
    return {
      result: null,
      targetType: 'card',
      targetId: cardId,
      summary: { before: { state: 'suspended' }, after: { state: 'active' }, certificates },
      evidence,
    };
  });
  return { state: 'active' };
}

/** "Révocation de support hors-ligne": the operator revokes a card for one of the reasons of seed 000. */
export async function revokeCard(
  ctx: AppContext,
  actor: Actor,
  cardId: string,
  input: { reason: string; comment?: string | null; signature: ActionSignature | null | undefined },
): Promise<{ state: CardState }> {
  const { card, auth } = await loadDeskCard(ctx, actor, cardId, 'card.operate');
  // One's own lost card is declared in the holder's space; the desk is for other people's cards.
  await refuseOwnCard(ctx, actor, card, 'révoquer');
  const reason = CARD_REVOCATION_REASONS[input.reason as CardRevocationReason];
  if (!reason)
    throw invalid('Motif de révocation inconnu.', [
      { field: 'reason', reason: `Motifs : ${Object.keys(CARD_REVOCATION_REASONS).join(', ')}.` },
    ]);
  if (!REVOCABLE.includes(card.state))
    throw new AppError(
      'conflict',
      `Cette carte ne peut pas être révoquée : elle est « ${CARD_STATE_LABELS[card.state]} ».`,
    );
  const comment = input.comment?.trim().slice(0, 500) || null;
  const { evidence } = await requireActionSignature(
    ctx,
    actor,
    { action: 'card.revoke', target: cardId, content: { cardId, serial: card.serial, reason: input.reason } },
    input.signature,
  );
  const row = await cardRow(ctx, cardId);
  await changeWithAudit(ctx, actor, auth, 'card.revoke', async (trx) => {
    const certificates = await moveWithCertificates(ctx, trx, row, 'revoked', { kind: 'revoke', reason: reason.rfc });
    return {
      result: null,
      targetType: 'card',
      targetId: cardId,
      summary: {
        before: { state: card.state },
        after: { state: 'revoked' },
        reason: reason.label,
        comment,
        certificates,
      },
      evidence,
    };
  });
  return { state: 'revoked' };
}

/** The holder gives the card back (departure, status change, revoked card). */
export async function returnCard(
  ctx: AppContext,
  actor: Actor,
  cardId: string,
  input: { signature: ActionSignature | null | undefined },
): Promise<{ state: CardState }> {
  const { card, auth } = await loadDeskCard(ctx, actor, cardId, 'card.operate');
  await refuseOwnCard(ctx, actor, card, 'enregistrer la restitution de');
  if (!['revoked', 'expired'].includes(card.state))
    throw new AppError(
      'conflict',
      `Révoquez d’abord la carte avant sa restitution (elle est « ${CARD_STATE_LABELS[card.state]} »).`,
    );
  const { evidence } = await requireActionSignature(
    ctx,
    actor,
    { action: 'card.return', target: cardId, content: { cardId, serial: card.serial } },
    input.signature,
  );
  const row = await cardRow(ctx, cardId);
  await changeWithAudit(ctx, actor, auth, 'card.return', async (trx) => {
    await moveWithCertificates(ctx, trx, row, 'returned', null);
    return {
      result: null,
      targetType: 'card',
      targetId: cardId,
      summary: { before: { state: card.state }, after: { state: 'returned' } },
      evidence,
    };
  });
  return { state: 'returned' };
}

export const DESTRUCTION_METHODS = {
  shredder: 'Broyeur agréé',
  manufacturer: 'Renvoi au fabricant pour destruction',
  incineration: 'Incinération',
} as const;

/** Destruction with its record (procès-verbal de destruction), kept in the card's case file. */
export async function destroyCard(
  ctx: AppContext,
  actor: Actor,
  cardId: string,
  input: { method: string; witness?: string | null; signature: ActionSignature | null | undefined },
): Promise<{ state: CardState; recordId: string }> {
  const { card, auth } = await loadDeskCard(ctx, actor, cardId, 'card.operate');
  await refuseOwnCard(ctx, actor, card, 'détruire');
  if (!['returned', 'invalidated', 'revoked', 'expired'].includes(card.state))
    throw new AppError(
      'conflict',
      `Cette carte ne peut pas être détruite : elle est « ${CARD_STATE_LABELS[card.state]} ».`,
    );
  const method = DESTRUCTION_METHODS[input.method as keyof typeof DESTRUCTION_METHODS];
  if (!method)
    throw invalid('Mode de destruction inconnu.', [
      { field: 'method', reason: Object.keys(DESTRUCTION_METHODS).join(', ') },
    ]);
  const witness = input.witness?.trim().slice(0, 120) || null;
  const { evidence } = await requireActionSignature(
    ctx,
    actor,
    { action: 'card.destroy', target: cardId, content: { cardId, serial: card.serial, method: input.method } },
    input.signature,
  );
  const now = ctx.now().toISOString();
  const record = [
    'PROCÈS-VERBAL DE DESTRUCTION DE CARTE',
    `Carte n° ${card.serial} (${card.modelLabel}) de ${card.holder.firstNames} ${card.holder.lastName} (${card.holder.identifier})`,
    `État avant destruction : ${CARD_STATE_LABELS[card.state]}`,
    `Mode de destruction : ${method}`,
    `Détruite le ${new Date(now).toLocaleString('fr-FR', { timeZone: 'Europe/Paris' })} par ${actor.kind === 'person' ? actor.displayName : 'la plateforme'}${witness ? `, en présence de ${witness}` : ''}.`,
  ].join('\n');
  const bytes = Buffer.from(record, 'utf8');
  const recordId = ctx.newId();
  const row = await cardRow(ctx, cardId);
  await changeWithAudit(ctx, actor, auth, 'card.destroy', async (trx) => {
    await moveWithCertificates(
      ctx,
      trx,
      row,
      'destroyed',
      card.state === 'expired' ? null : { kind: 'revoke', reason: 'cessationOfOperation' },
    );
    await trx
      .insertInto('card_documents')
      .values({
        id: recordId,
        card_id: cardId,
        kind: 'destruction_record',
        file_name: `pv-destruction-${card.serial}.txt`,
        content_type: 'text/plain; charset=utf-8',
        bytes,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        uploaded_by: auth.actorId,
        created_at: now,
      })
      .execute();
    return {
      result: null,
      targetType: 'card',
      targetId: cardId,
      summary: { before: { state: card.state }, after: { state: 'destroyed' }, method, witness },
      evidence: [...evidence, `document:${recordId}`],
    };
  });
  return { state: 'destroyed', recordId };
}

/**
 * Seed 000: general officers and general controllers admitted to the 2nd section keep their card
 * when they leave active service, and so do reservists (« je garde ma carte » between periods of service).
 */
export function keepsCardOnDeparture(category: string | null): boolean {
  const c = category ?? '';
  const general = '(g[ée]n[ée]ra(l|ux)|contr[ôo]leurs? g[ée]n[ée]ra(l|ux))';
  const section = '(2e|2ème|deuxième)\\s+section';
  return new RegExp(`${general}.*${section}|${section}.*${general}`, 'i').test(c) || /r[ée]serviste/i.test(c);
}

/**
 * Departure (retirement, end of contract): every usable card is revoked and awaits its return,
 * except for generals of the 2nd section who keep theirs; cards not yet handed over are invalidated.
 */
export async function recordDeparture(
  ctx: AppContext,
  actor: Actor,
  agentId: string,
  input: { reason: 'retirement' | 'end_of_contract'; signature: ActionSignature | null | undefined },
): Promise<{ revoked: string[]; kept: string[]; invalidated: string[] }> {
  const agent = await ctx.store.db
    .selectFrom('agents')
    .select(['id', 'organization_id', 'category'])
    .where('id', '=', agentId)
    .executeTakeFirst();
  if (!agent) throw notFound('Agent introuvable.');
  const auth = await authorize(ctx, actor, 'card.operate', agent.organization_id, { type: 'agent', id: agentId });
  if (actor.kind === 'person' && actor.agentId === agentId)
    await refuseAudited(
      ctx,
      actor,
      'agent.departure',
      agent.organization_id,
      { type: 'agent', id: agentId },
      'Un autre opérateur doit enregistrer votre propre départ.',
    );
  if (!['retirement', 'end_of_contract'].includes(input.reason))
    throw invalid('Motif de départ inconnu.', [{ field: 'reason', reason: 'retirement ou end_of_contract.' }]);
  const { evidence } = await requireActionSignature(
    ctx,
    actor,
    { action: 'agent.departure', target: agentId, content: { agentId, reason: input.reason } },
    input.signature,
  );
  const cards = await ctx.store.db
    .selectFrom('cards')
    .select(['id', 'serial', 'state', 'agent_id', 'organization_id', 'operator_organization_id'])
    .where('agent_id', '=', agentId)
    .execute();
  const keeps = keepsCardOnDeparture(agent.category);
  const out = { revoked: [] as string[], kept: [] as string[], invalidated: [] as string[] };
  await changeWithAudit(ctx, actor, auth, 'agent.departure', async (trx) => {
    // Each card's history shows its own change, besides the agent's departure record.
    const cardRecord = (row: CardRow, to: CardState, certificates: unknown) =>
      appendAudit(
        trx,
        ctx.store,
        auditEntry(ctx, actor, auth, 'card.departure', {
          targetType: 'card',
          targetId: row.id,
          summary: { before: { state: row.state }, after: { state: to }, reason: input.reason, certificates },
        }),
      );
    for (const c of cards) {
      const row = { ...c, state: c.state as CardState };
      if (['ordered', 'in_production', 'shipped', 'received'].includes(row.state)) {
        const certificates = await moveWithCertificates(ctx, trx, row, 'invalidated', {
          kind: 'revoke',
          reason: 'cessationOfOperation',
        });
        out.invalidated.push(c.serial);
        await cardRecord(row, 'invalidated', certificates);
      } else if (REVOCABLE.includes(row.state)) {
        if (keeps) {
          out.kept.push(c.serial);
          continue;
        }
        const certificates = await moveWithCertificates(ctx, trx, row, 'revoked', {
          kind: 'revoke',
          reason: 'cessationOfOperation',
        });
        out.revoked.push(c.serial);
        await cardRecord(row, 'revoked', certificates);
      }
    }
    return {
      result: null,
      targetType: 'agent',
      targetId: agentId,
      summary: { reason: input.reason, ...out, generalOfSecondSection: keeps },
      evidence,
    };
  });
  return out;
}

/** The top-level organisation (ministry) above an organisation: transfers stay inside it. */
function ministryRoot(path: string): string | undefined {
  // Paths are "/root/ministry/.../id/": the first level under the national root.
  const ids = path.split('/').filter(Boolean);
  return ids[1] ?? ids[0];
}

/**
 * Transfer inside the ministry (seed 000 "mutation"): the holder keeps the card, moves to the new
 * organisation with new client-application habilitations; a card not yet handed over follows the
 * holder to the new card officer.
 */
export async function transferAgent(
  ctx: AppContext,
  actor: Actor,
  agentId: string,
  input: { toOrganizationId: string; habilitations: string[]; signature: ActionSignature | null | undefined },
): Promise<{ followed: string[] }> {
  const agent = await ctx.store.db
    .selectFrom('agents as a')
    .innerJoin('organizations as o', 'o.id', 'a.organization_id')
    .select(['a.id', 'a.organization_id', 'o.path', 'a.habilitations'])
    .where('a.id', '=', agentId)
    .executeTakeFirst();
  if (!agent) throw notFound('Agent introuvable.');
  // Scope first: nothing about another organisation's agent is told to someone outside it.
  const auth = await authorize(ctx, actor, 'card.operate', agent.organization_id, { type: 'agent', id: agentId });
  const target = await ctx.store.db
    .selectFrom('organizations')
    .select(['id', 'path', 'name'])
    .where('id', '=', String(input.toOrganizationId ?? ''))
    .executeTakeFirst();
  if (!target) throw invalid('Organisation d’arrivée inconnue.', [{ field: 'toOrganizationId', reason: 'Inconnue.' }]);
  if (target.id === agent.organization_id)
    throw invalid('L’agent est déjà dans cette organisation.', [
      { field: 'toOrganizationId', reason: 'Même organisation.' },
    ]);
  await authorize(ctx, actor, 'card.operate', target.id, { type: 'organization', id: target.id });
  if (ministryRoot(target.path) !== ministryRoot(agent.path))
    throw invalid(
      'Une mutation se fait à l’intérieur du même ministère : sinon, restitution de la carte et nouvelle commande.',
      [{ field: 'toOrganizationId', reason: 'Autre ministère.' }],
    );
  if (actor.kind === 'person' && actor.agentId === agentId)
    await refuseAudited(
      ctx,
      actor,
      'agent.transfer',
      agent.organization_id,
      { type: 'agent', id: agentId },
      'Un autre opérateur doit enregistrer votre propre mutation.',
    );
  const habilitations = Array.isArray(input.habilitations)
    ? [...new Set(input.habilitations.map(String))].slice(0, 30)
    : [];
  const { evidence } = await requireActionSignature(
    ctx,
    actor,
    { action: 'agent.transfer', target: agentId, content: { agentId, toOrganizationId: target.id, habilitations } },
    input.signature,
  );
  const now = ctx.now().toISOString();
  const followed: string[] = [];
  await changeWithAudit(ctx, actor, auth, 'agent.transfer', async (trx) => {
    await trx
      .updateTable('agents')
      .set({ organization_id: target.id, habilitations: JSON.stringify(habilitations), updated_at: now })
      .where('id', '=', agentId)
      .execute();
    const pending = await trx
      .selectFrom('cards')
      .select(['id', 'serial'])
      .where('agent_id', '=', agentId)
      .where('state', 'in', ['ordered', 'in_production', 'shipped', 'received'])
      .execute();
    followed.push(...pending.map((c) => c.serial));
    // The new card officer takes over every card of the holder still alive (not yet handed over: it
    // follows the holder; kept cards: the new desk unblocks, renews, revokes them).
    await trx
      .updateTable('cards')
      .set({ operator_organization_id: target.id, organization_id: target.id, updated_at: now })
      .where('agent_id', '=', agentId)
      .where('state', 'not in', ['destroyed', 'returned'])
      .execute();
    return {
      result: null,
      targetType: 'agent',
      targetId: agentId,
      summary: {
        before: { organizationId: agent.organization_id, habilitations: JSON.parse(agent.habilitations) as string[] },
        after: { organizationId: target.id, habilitations },
        cardsFollowing: followed,
      },
      evidence,
    };
  });
  return { followed };
}
