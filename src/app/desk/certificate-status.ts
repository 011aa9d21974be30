// The status of one certificate, asked by its serial (API `/api/certificates/:serial/…`, `cartes ca
// accept|suspend|resume|revoke`). A certificate that a card carries follows its card (DOMAIN.md
// "Card lifecycle", QUALITY.md "status changes"): suspending, resuming or revoking it is the card's
// suspension, resumption or revocation, through the card's state machine, all its certificates
// with it, in one transaction; acceptance belongs to the activation, once the card is handed over.
// Anything the card's state forbids is refused with the reason. A person confirms the change with
// the signature of their card (action signature), kept as evidence in the audit record.
import { CARD_STATE_LABELS, type CardState } from '../../domain/card-lifecycle.ts';
import {
  REASON_LABELS,
  STATUS_LABELS,
  transition,
  type CertificateEvent,
  type CertificateStatus,
  type RevocationReason,
} from '../../domain/certificate-status.ts';
import { enqueue } from '../../jobs/queue.ts';
import { requireActionSignature, type ActionSignature } from '../access/action-signatures.ts';
import { changeWithAudit } from '../audit-trail.ts';
import { AppError } from '../errors.ts';
import { refuseAudited } from '../refusals.ts';
import {
  acceptCertificate,
  authorizeCertificate,
  certificateAction,
  loadCertificate,
  resumeCertificate,
  revocationReason,
  revokeCertificate,
  suspendCertificate,
  writeCertificateStatus,
  type CertificateStatusResult,
} from '../pki/certificates.ts';
import { cardRow, moveWithCertificates, REVOCABLE, suspensionDays, type CardRow } from './card-incidents.ts';
import type { Actor, AppContext } from '../context.ts';

export type CertificateChange =
  { kind: 'accept' } | { kind: 'suspend' } | { kind: 'resume' } | { kind: 'revoke'; reason: string };

export interface CertificateChangeResult extends CertificateStatusResult {
  /** The card carrying the certificate, in its state after the change (null: no card). */
  card: { id: string; serial: string; state: CardState; stateLabel: string } | null;
}

const NOT_HANDED_OVER: readonly CardState[] = ['ordered', 'in_production', 'shipped', 'received'];

/** Why the card's state forbids this change (French), or null. */
function refusalFor(card: CardRow, change: CertificateChange): string | null {
  const named = `La carte n° ${card.serial} est « ${CARD_STATE_LABELS[card.state]} »`;
  const notHandedOver = NOT_HANDED_OVER.includes(card.state);
  switch (change.kind) {
    case 'accept':
      if (notHandedOver)
        return `${named} : elle n'a pas été remise à son porteur, ses certificats ne peuvent pas être acceptés.`;
      if (card.state === 'handed_over')
        return `${named} : ses certificats s'acceptent à l'activation de la carte, porteur présent (étape « Acceptation »).`;
      return card.state === 'activated' || card.state === 'active'
        ? null
        : `${named} : ses certificats ne peuvent plus être acceptés.`;
    case 'suspend':
      return card.state === 'active'
        ? null
        : `${named} : seule une carte active peut être suspendue (avec tous ses certificats).`;
    case 'resume':
      return card.state === 'suspended'
        ? null
        : `${named} : seule une carte suspendue peut être réactivée (avec tous ses certificats).`;
    case 'revoke':
      if (notHandedOver)
        return `${named} : elle n'a pas été remise à son porteur ; une carte aux données erronées s'invalide.`;
      return REVOCABLE.includes(card.state) ? null : `${named} : elle ne peut pas être révoquée.`;
  }
}

function resultOf(
  serial: string,
  status: CertificateStatus,
  reason: RevocationReason | null,
  card: CertificateChangeResult['card'],
): CertificateChangeResult {
  return {
    serial,
    status,
    statusLabel: STATUS_LABELS[status],
    reason,
    reasonLabel: reason ? REASON_LABELS[reason] : null,
    card,
  };
}

export async function changeCertificateStatus(
  ctx: AppContext,
  actor: Actor,
  serial: string,
  change: CertificateChange,
  signature?: ActionSignature | null,
): Promise<CertificateChangeResult> {
  const cert = await loadCertificate(ctx, serial);
  if (!cert.card_id) {
    const r =
      change.kind === 'accept'
        ? await acceptCertificate(ctx, actor, cert.serial, signature)
        : change.kind === 'suspend'
          ? await suspendCertificate(ctx, actor, cert.serial, signature)
          : change.kind === 'resume'
            ? await resumeCertificate(ctx, actor, cert.serial, signature)
            : await revokeCertificate(ctx, actor, cert.serial, change.reason, signature);
    return { ...r, card: null };
  }

  const auth = await authorizeCertificate(ctx, actor, cert);
  const card = await cardRow(ctx, cert.card_id);
  // ETSI REG-6.2.2-26: one's own card goes through another operator (or, lost, the holder's declaration).
  if (actor.kind === 'person' && actor.agentId === card.agent_id)
    await refuseAudited(
      ctx,
      actor,
      'card.own-card',
      card.operator_organization_id,
      { type: 'card', id: card.id },
      'Vous ne pouvez pas changer le statut des certificats de votre propre carte : un autre opérateur doit le faire (ou déclarez sa perte dans votre espace).',
    );
  const event: CertificateEvent =
    change.kind === 'revoke' ? { kind: 'revoke', reason: revocationReason(change.reason) } : { kind: change.kind };
  const refused = refusalFor(card, change);
  if (refused) throw new AppError('conflict', refused);
  const state = { status: cert.status as CertificateStatus, reason: cert.revocation_reason as RevocationReason | null };
  const next = transition(state, event);
  if (!next.ok) throw new AppError('conflict', next.message);
  const { evidence } =
    actor.kind === 'person'
      ? await requireActionSignature(ctx, actor, certificateAction(cert.serial, event), signature)
      : { evidence: [] };

  const now = ctx.now().toISOString();
  const to: CardState | null =
    event.kind === 'suspend'
      ? 'suspended'
      : event.kind === 'resume'
        ? 'active'
        : event.kind === 'revoke'
          ? 'revoked'
          : null;
  if (to === null) {
    // Acceptance: the card does not move.
    await changeWithAudit(ctx, actor, auth, 'certificate.accept', async (trx) => {
      if (!(await writeCertificateStatus(trx, cert, next.state, now)))
        throw new AppError('conflict', 'Le statut du certificat vient de changer : recommencez.');
      return {
        result: null,
        targetType: 'certificate',
        targetId: cert.serial,
        summary: { before: state, after: next.state, card: card.id },
        evidence,
      };
    });
  } else {
    await changeWithAudit(ctx, actor, auth, `card.${event.kind}`, async (trx) => {
      const certificates = await moveWithCertificates(ctx, trx, card, to, event, now);
      // A suspension that nobody lifts becomes a revocation, as after a temporary loss.
      if (to === 'suspended')
        await enqueue(trx, {
          id: ctx.newId(),
          kind: 'card.suspension-escalate',
          payload: { cardId: card.id, suspendedAt: now },
          runAt: new Date(Date.parse(now) + suspensionDays() * 86_400_000).toISOString(),
          now,
        });
      return {
        result: null,
        targetType: 'card',
        targetId: card.id,
        summary: {
          before: { state: card.state },
          after: { state: to },
          requestedOn: { certificate: cert.serial },
          ...(event.kind === 'revoke' ? { reason: REASON_LABELS[event.reason] } : {}),
          certificates,
        },
        evidence,
      };
    });
  }
  const after = await loadCertificate(ctx, cert.serial);
  const moved = to ?? card.state;
  return resultOf(after.serial, after.status as CertificateStatus, after.revocation_reason as RevocationReason | null, {
    id: card.id,
    serial: card.serial,
    state: moved,
    stateLabel: CARD_STATE_LABELS[moved],
  });
}
