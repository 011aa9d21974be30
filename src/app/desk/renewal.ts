import { createHash, randomBytes } from 'node:crypto';
import { adminResponse, checkKeyAttestation, deriveCardAdminKey } from '../../cards/admin-key.ts';
import { loadCardMasterKey } from '../../cards/keys.ts';
import { CARD_STATE_LABELS } from '../../domain/card-lifecycle.ts';
import { claimOnce } from '../idempotency.ts';
import { appendAudit } from '../../store/audit.ts';
import { requireActionSignature, type ActionSignature } from '../access/action-signatures.ts';
import { auditEntry, changeWithAudit } from '../audit-trail.ts';
import { changeCardCertificates } from './card-certificates.ts';
import { checkPresentedCertificate, signatureValid } from '../access/certificate-checks.ts';
import { systemActor, type Actor, type AppContext } from '../context.ts';
import { AppError, invalid } from '../errors.ts';
import { loadDeskCard, refuseOwnCard } from './handover.ts';
import { queueMail } from '../mail.ts';
import { issueBatch, writeCertificateStatus, type PkiEnvironment } from '../pki/certificates.ts';
import { createCardRequest } from '../requests/card-requests.ts';
import { refuseAudited } from '../refusals.ts';
import { holderFromAccess } from '../access/holder-access.ts';
import type { Authorization } from '../access/authorize.ts';
import { hashSecret } from '../secrets.ts';
import { transition, type CertificateStatus } from '../../domain/certificate-status.ts';
import { enqueue } from '../../jobs/queue.ts';

// Face-to-face renewal of the AUTH and SIGN certificates (DOMAIN.md "Validity", seed 000): the
// holder proves presence with the card and the authentication PIN, the card generates new keys
// under the platform's administration key, the new certificate replaces the old one in one
// transaction. The encryption certificate is not renewable.

export const RENEWABLE_PROFILES = ['auth', 'sign'] as const;
/** Renewal is offered in this many days before expiry (CARTES_RENEWAL_WINDOW_DAYS). */
export function renewalWindowDays(env: NodeJS.ProcessEnv = process.env): number {
  const d = Number(env['CARTES_RENEWAL_WINDOW_DAYS'] ?? 90);
  return Number.isInteger(d) && d >= 1 && d <= 365 ? d : 90;
}
/** The expiry notice goes this many days before a certificate expires (DOMAIN.md: 30 days). */
export const EXPIRY_NOTICE_DAYS = 30;
const PRESENCE_MINUTES = 15;
export const RENEWAL_PROOF_PREFIX = 'cartes-renouvellement-v1\n';

export interface RenewalCertificate {
  serial: string;
  profile: string;
  status: string;
  notAfter: string;
  renewable: boolean;
  reason: string | null;
}

const DAY = 86_400_000;

/** Which certificates of the card may be renewed now, each with the French reason when not. */
export async function renewalView(
  ctx: AppContext,
  actor: Actor,
  cardId: string,
): Promise<{ cardId: string; serial: string; certificates: RenewalCertificate[]; newCardNeeded: string | null }> {
  const { card } = await loadDeskCard(ctx, actor, cardId, 'card.operate');
  const row = await ctx.store.db
    .selectFrom('cards')
    .select(['created_at', 'expires_at'])
    .where('id', '=', cardId)
    .executeTakeFirstOrThrow();
  const certs = await ctx.store.db
    .selectFrom('certificates')
    .select(['serial', 'profile', 'status', 'not_after'])
    .where('card_id', '=', cardId)
    .where('status', 'in', ['issued', 'valid', 'suspended', 'expired'])
    .orderBy('profile')
    .execute();
  const now = ctx.now().getTime();
  const windowMs = renewalWindowDays() * DAY;
  const neverActivated = certs.every((c) => c.status === 'issued');
  const old = now - new Date(row.created_at).getTime() > 3 * 365.25 * DAY;
  const newCardNeeded =
    neverActivated && old
      ? 'Carte jamais activée et de plus de 3 ans : pas de renouvellement, une nouvelle carte doit être commandée.'
      : row.expires_at && new Date(row.expires_at).getTime() - now < 30 * DAY
        ? 'La carte arrive à 6 ans : une demande de renouvellement de carte doit être faite.'
        : null;
  const list = certs.map((c): RenewalCertificate => {
    let reason: string | null = null;
    if (c.profile === 'enc') reason = 'Le certificat de chiffrement n’est pas renouvelable.';
    else if (newCardNeeded) reason = newCardNeeded;
    else if (card.state !== 'active')
      reason = `La carte est « ${CARD_STATE_LABELS[card.state]} » : seule une carte active est renouvelée.`;
    else if (c.status !== 'valid' && c.status !== 'expired')
      reason = 'Seul un certificat valide ou expiré est renouvelé.';
    else if (new Date(c.not_after).getTime() - now > windowMs)
      reason = `Renouvellement possible à partir de ${renewalWindowDays()} jours avant l’expiration.`;
    return {
      serial: c.serial,
      profile: c.profile,
      status: c.status,
      notAfter: c.not_after,
      renewable: reason === null,
      reason,
    };
  });
  return { cardId, serial: card.serial, certificates: list, newCardNeeded };
}

/** A challenge the holder's card signs with its AUTH key (PIN Global): the holder is present. */
export async function renewalPresenceChallenge(
  ctx: AppContext,
  actor: Actor,
  cardId: string,
): Promise<{ challengeId: string; challenge: string; text: string }> {
  const { card } = await loadDeskCard(ctx, actor, cardId, 'card.operate');
  await refuseOwnCard(ctx, actor, card, 'renouveler les certificats de');
  const challenge = randomBytes(32).toString('base64');
  const id = ctx.newId();
  const now = ctx.now();
  await ctx.store.db
    .insertInto('challenges')
    .values({
      id,
      purpose: 'renewal_presence',
      value_hash: hashSecret(`${cardId}:${challenge}`),
      agent_id: card.agentId,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + 2 * 60_000).toISOString(),
      used_at: null,
    })
    .execute();
  return { challengeId: id, challenge, text: RENEWAL_PROOF_PREFIX + challenge };
}

/** Checks the holder's proof of presence and opens the renewal window for this operator and card. */
export async function proveHolderPresence(
  ctx: AppContext,
  actor: Actor,
  cardId: string,
  input: { challengeId: string; challenge: string; signature: string; certificate: string },
): Promise<{ windowUntil: string }> {
  const { card, auth } = await loadDeskCard(ctx, actor, cardId, 'card.operate');
  await refuseOwnCard(ctx, actor, card, 'renouveler les certificats de');
  const now = ctx.now();
  const spent = await ctx.store.db
    .updateTable('challenges')
    .set({ used_at: now.toISOString() })
    .where('id', '=', String(input.challengeId ?? ''))
    .where('purpose', '=', 'renewal_presence')
    .where('used_at', 'is', null)
    .where('expires_at', '>', now.toISOString())
    .where('value_hash', '=', hashSecret(`${cardId}:${String(input.challenge ?? '')}`))
    .executeTakeFirst();
  if (Number(spent.numUpdatedRows) !== 1)
    throw new AppError('forbidden', 'Défi inconnu, expiré ou déjà utilisé : recommencez.');
  const cert = await checkPresentedCertificate(ctx, Buffer.from(String(input.certificate ?? ''), 'base64'), 'auth');
  if (cert.cardId !== cardId || cert.agentId !== card.agentId)
    throw new AppError('forbidden', 'La carte présentée n’est pas celle à renouveler : insérez la carte du porteur.');
  if (
    !signatureValid(
      cert.publicKey,
      RENEWAL_PROOF_PREFIX + input.challenge,
      Buffer.from(String(input.signature ?? ''), 'base64'),
    )
  ) {
    throw new AppError('forbidden', 'La signature de la carte du porteur est invalide.');
  }
  return openRenewalWindow(ctx, actor, auth, cardId, { holderPresent: true, proof: 'card', certificate: cert.serial });
}

async function openRenewalWindow(
  ctx: AppContext,
  actor: Actor,
  auth: Authorization,
  cardId: string,
  summary: Record<string, unknown>,
): Promise<{ windowUntil: string }> {
  const now = ctx.now();
  const windowUntil = new Date(now.getTime() + PRESENCE_MINUTES * 60_000).toISOString();
  await changeWithAudit(ctx, actor, auth, 'card.renewal-presence', async (trx) => {
    await trx
      .insertInto('challenges')
      .values({
        id: ctx.newId(),
        purpose: 'renewal_window',
        value_hash: hashSecret(`window:${cardId}:${auth.actorId}`),
        agent_id: auth.actorId,
        created_at: now.toISOString(),
        expires_at: windowUntil,
        used_at: null,
      })
      .execute();
    return { result: null, targetType: 'card', targetId: cardId, summary: { ...summary, windowUntil } };
  });
  return { windowUntil };
}

/**
 * Seed 000: a holder who no longer knows the PIN renews with the personal code and the secret
 * answers instead: the access they open (identifyHolder) stands for the PIN Global as proof of presence.
 */
export async function proveHolderPresenceBySecrets(
  ctx: AppContext,
  actor: Actor,
  cardId: string,
  input: { holderAccess: string },
): Promise<{ windowUntil: string }> {
  const { card, auth } = await loadDeskCard(ctx, actor, cardId, 'card.operate');
  await refuseOwnCard(ctx, actor, card, 'renouveler les certificats de');
  const holder = await holderFromAccess(ctx, String(input.holderAccess ?? ''));
  if (holder.agentId !== card.agentId) {
    await refuseAudited(
      ctx,
      actor,
      'card.renewal-presence',
      card.operatorOrganizationId,
      { type: 'card', id: cardId },
      'Ces secrets ne sont pas ceux du porteur de cette carte.',
    );
  }
  return openRenewalWindow(ctx, actor, auth, cardId, { holderPresent: true, proof: 'secrets' });
}

async function requireWindow(ctx: AppContext, actor: Actor, cardId: string): Promise<void> {
  if (actor.kind !== 'person') throw new AppError('forbidden', 'Renouvellement réservé à un opérateur.');
  const w = await ctx.store.db
    .selectFrom('challenges')
    .select('id')
    .where('purpose', '=', 'renewal_window')
    .where('value_hash', '=', hashSecret(`window:${cardId}:${actor.agentId}`))
    .where('expires_at', '>', ctx.now().toISOString())
    .executeTakeFirst();
  if (!w)
    throw new AppError(
      'forbidden',
      'Le porteur doit d’abord présenter sa carte et saisir son code PIN Global (15 minutes au plus avant le renouvellement).',
    );
}

/** The card's answer to generate a key or write a certificate during the renewal window. */
export async function renewalAdminResponse(
  ctx: AppContext,
  actor: Actor,
  cardId: string,
  input: { operation: string; challenge: string },
): Promise<{ response: string }> {
  // 'replace-key:<slot>': the card generates the new key of a renewable slot; 'personalize': it stores the new certificate.
  const operation = (['replace-key:auth', 'replace-key:sign', 'personalize'] as const).find(
    (o) => o === input.operation,
  );
  if (!operation)
    throw invalid('Opération de carte non permise pour un renouvellement.', [
      { field: 'operation', reason: 'replace-key:auth, replace-key:sign ou personalize.' },
    ]);
  const { card, auth } = await loadDeskCard(ctx, actor, cardId, 'card.operate');
  await refuseOwnCard(ctx, actor, card, 'renouveler les certificats de');
  await requireWindow(ctx, actor, cardId);
  const challenge = Buffer.from(String(input.challenge ?? ''), 'base64');
  if (challenge.length !== 16)
    throw invalid('Défi de la carte illisible (16 octets attendus).', [
      { field: 'challenge', reason: 'Base64 de 16 octets.' },
    ]);
  const response = adminResponse(
    deriveCardAdminKey(loadCardMasterKey(ctx.dataDir), card.serial),
    challenge,
    operation,
  ).toString('base64');
  await changeWithAudit(ctx, actor, auth, 'card.admin-response', async () => ({
    result: null,
    targetType: 'card',
    targetId: cardId,
    summary: { operation, purpose: 'renewal' },
  }));
  return { response };
}

/**
 * Issues the new certificate for the key the card just generated, valid at once (accepted face to
 * face), and revokes the one it replaces (superseded), in one transaction that also checks the card
 * is still active. The card's key attestation proves the key was made inside this very card.
 */
export async function renewCertificate(
  ctx: AppContext,
  actor: Actor,
  pki: PkiEnvironment,
  cardId: string,
  input: { profile: string; spki: string; attestation: string; signature: ActionSignature | null | undefined },
): Promise<{ serial: string; der: string; replaced: string }> {
  const view = await renewalView(ctx, actor, cardId);
  const { card, auth } = await loadDeskCard(ctx, actor, cardId, 'card.operate');
  await refuseOwnCard(ctx, actor, card, 'renouveler les certificats de');
  await requireWindow(ctx, actor, cardId);
  const current = view.certificates.find(
    (c) => c.profile === input.profile && (c.status === 'valid' || c.status === 'expired'),
  );
  if (!current)
    throw invalid('Aucun certificat de ce type à renouveler sur cette carte.', [
      { field: 'profile', reason: 'auth ou sign.' },
    ]);
  if (!current.renewable) throw new AppError('conflict', current.reason ?? 'Ce certificat n’est pas renouvelable.');
  const spki = Buffer.from(String(input.spki ?? ''), 'base64');
  const attestation = Buffer.from(String(input.attestation ?? ''), 'base64');
  const cardKey = deriveCardAdminKey(loadCardMasterKey(ctx.dataDir), card.serial);
  if (!checkKeyAttestation(cardKey, card.serial, input.profile, spki, attestation)) {
    await refuseAudited(
      ctx,
      actor,
      'certificate.renew',
      card.operatorOrganizationId,
      { type: 'card', id: cardId },
      'Cette clé n’a pas été générée par la carte à renouveler : renouvellement refusé.',
    );
  }
  const spkiSha256 = createHash('sha256').update(spki).digest('hex');
  const { evidence } = await requireActionSignature(
    ctx,
    actor,
    {
      action: 'certificate.renew',
      target: cardId,
      content: { cardId, serial: card.serial, profile: input.profile, spkiSha256, replaces: current.serial },
    },
    input.signature,
  );
  const [issued] = await issueBatch(
    ctx,
    systemActor('renouvellement'),
    pki,
    [{ spki, profile: input.profile, agentIdentifier: card.holder.identifier, cardId }],
    {
      inTransaction: async (trx, done) => {
        const now = ctx.now().toISOString();
        const fresh = done[0]!;
        const still = await trx.selectFrom('cards').select('state').where('id', '=', cardId).executeTakeFirstOrThrow();
        if (still.state !== 'active')
          throw new AppError('conflict', 'La carte vient de changer d’état : renouvellement annulé.');
        const moved = new AppError('conflict', 'Le statut d’un certificat vient de changer : renouvellement annulé.');
        const accepted = transition({ status: 'issued', reason: null }, { kind: 'accept' });
        if (
          !accepted.ok ||
          !(await writeCertificateStatus(trx, { serial: fresh.serial, status: 'issued' }, accepted.state, now))
        )
          throw moved;
        const old = await trx
          .selectFrom('certificates')
          .select(['serial', 'status', 'ca_id'])
          .where('serial', '=', current.serial)
          .executeTakeFirstOrThrow();
        const superseded = transition(
          { status: old.status as CertificateStatus, reason: null },
          { kind: 'revoke', reason: 'superseded' },
        );
        if (!superseded.ok || !(await writeCertificateStatus(trx, old, superseded.state, now))) throw moved;
        await enqueue(trx, { id: ctx.newId(), kind: 'crl.publish', payload: { caId: old.ca_id }, runAt: now, now });
        await appendAudit(
          trx,
          ctx.store,
          auditEntry(ctx, actor, auth, 'certificate.renew', {
            targetType: 'card',
            targetId: cardId,
            summary: {
              profile: input.profile,
              replaced: current.serial,
              issued: fresh.serial,
              notAfter: fresh.notAfter,
            },
            evidence,
          }),
        );
      },
    },
  );
  return { serial: issued!.serial, der: Buffer.from(issued!.der).toString('base64'), replaced: current.serial };
}

/** Daily: a mail to each holder whose valid certificate expires within EXPIRY_NOTICE_DAYS (once per certificate). */
export async function sendExpiryNotices(ctx: AppContext): Promise<number> {
  const now = ctx.now();
  const limit = new Date(now.getTime() + EXPIRY_NOTICE_DAYS * DAY).toISOString();
  const due = await ctx.store.db
    .selectFrom('certificates as c')
    .innerJoin('agents as a', 'a.id', 'c.agent_id')
    .leftJoin('cards as k', 'k.id', 'c.card_id')
    .select([
      'c.serial',
      'c.profile',
      'c.not_after',
      'a.email',
      'a.first_names',
      'a.last_name',
      'k.serial as card_serial',
      'a.organization_id',
    ])
    .where('c.status', '=', 'valid')
    .where('c.not_after', '<=', limit)
    .where('c.not_after', '>', now.toISOString())
    .where('c.profile', 'in', ['auth', 'sign', 'enc'])
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('audit_log')
            .select('seq')
            .where('target_type', '=', 'certificate')
            .where('action', '=', 'certificate.expiry-notice')
            .whereRef('target_id', '=', 'c.serial'),
        ),
      ),
    )
    .limit(5000)
    .execute();
  let noticed = 0;
  for (const c of due) {
    await ctx.store.db.transaction().execute(async (trx) => {
      // Once per certificate, even when two passes run at the same time (idempotency key).
      if (!(await claimOnce(trx, `certificate.expiry-notice:${c.serial}`, now))) return;
      noticed++;
      if (c.email) {
        const what =
          c.profile === 'enc'
            ? 'Ce certificat de chiffrement n’est pas renouvelable : il restera utilisable pour déchiffrer vos anciens documents.'
            : 'Présentez-vous à votre responsable carte avec votre carte et votre code PIN pour le renouveler.';
        await queueMail(ctx, trx, {
          to: c.email,
          subject: 'Votre certificat arrive à expiration',
          text: `Bonjour ${c.first_names} ${c.last_name},\n\nLe certificat n° ${c.serial}${c.card_serial ? ` de votre carte n° ${c.card_serial}` : ''} expire le ${new Date(c.not_after).toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris' })}.\n${what}\n\nCartes Agents`,
        });
      }
      await appendAudit(trx, ctx.store, {
        at: now.toISOString(),
        actorId: 'system:notices',
        actorRole: 'system',
        organizationId: c.organization_id,
        action: 'certificate.expiry-notice',
        outcome: 'ok',
        targetType: 'certificate',
        targetId: c.serial,
        requestId: null,
        summary: { notAfter: c.not_after, mailed: c.email !== null },
      });
    });
  }
  return noticed;
}

/**
 * Cards past their 6 years become expired. Their certificates expire with them, and one still
 * within its dates (renewed late) is revoked (cessationOfOperation): it must not outlive its card.
 * Only active cards expire here: a suspended or blocked card keeps its state until it is resolved.
 */
export async function expireCards(ctx: AppContext): Promise<number> {
  const now = ctx.now().toISOString();
  const due = await ctx.store.db
    .selectFrom('cards')
    .select(['id', 'serial', 'state', 'organization_id'])
    .where('expires_at', '<=', now)
    .where('state', '=', 'active')
    .limit(5000)
    .execute();
  for (const c of due) {
    await ctx.store.db.transaction().execute(async (trx) => {
      const moved = await trx
        .updateTable('cards')
        .set({ state: 'expired', state_changed_at: now, updated_at: now })
        .where('id', '=', c.id)
        .where('state', '=', 'active')
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) return;
      const ahead = await trx
        .selectFrom('certificates')
        .select('serial')
        .where('card_id', '=', c.id)
        .where('status', '=', 'valid')
        .where('not_after', '>', now)
        .execute();
      const revoked = ahead.length
        ? await changeCardCertificates(ctx, trx, c.id, { kind: 'revoke', reason: 'cessationOfOperation' })
        : [];
      const expired = await changeCardCertificates(ctx, trx, c.id, { kind: 'expire' });
      await appendAudit(trx, ctx.store, {
        at: now,
        actorId: 'system:expiry',
        actorRole: 'system',
        organizationId: c.organization_id,
        action: 'card.expire',
        outcome: 'ok',
        targetType: 'card',
        targetId: c.id,
        requestId: null,
        summary: { before: { state: c.state }, after: { state: 'expired' }, certificates: [...revoked, ...expired] },
      });
    });
  }
  return due.length;
}

/** Days before a card's 6 years at which its renewal request is drafted for the card officer. */
export const CARD_RENEWAL_NOTICE_DAYS = 60;

/**
 * Card at 6 years (DOMAIN.md "Validity", seed 000 "expiration de la carte → demande de
 * renouvellement"): a renewal request is drafted for each active card about to expire, once; the
 * card officer checks its prerequisites, signs it and puts it in a batch as for any order.
 */
export async function draftCardRenewals(ctx: AppContext): Promise<string[]> {
  const limit = new Date(ctx.now().getTime() + CARD_RENEWAL_NOTICE_DAYS * DAY).toISOString();
  const due = await ctx.store.db
    .selectFrom('cards as c')
    .select(['c.id', 'c.agent_id', 'c.model_id'])
    .where('c.state', '=', 'active')
    .where('c.expires_at', '<=', limit)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('card_requests as r').select('r.id').whereRef('r.replaces_card_id', '=', 'c.id'))),
    )
    .limit(1000)
    .execute();
  const drafted: string[] = [];
  for (const c of due) {
    try {
      const r = await createCardRequest(ctx, systemActor('renouvellement-cartes'), {
        agentId: c.agent_id,
        modelId: c.model_id,
        kind: 'renewal',
        reason: 'card_expiry',
        replacesCardId: c.id,
      });
      drafted.push(r.number);
    } catch (err) {
      // An open request of the same model already exists, or the model is retired: the desk sees to it.
      if (!(err instanceof AppError)) throw err;
    }
  }
  return drafted;
}
