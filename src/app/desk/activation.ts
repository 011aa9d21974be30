import { createHash, timingSafeEqual } from 'node:crypto';
import { attestationParagraphs } from '../../domain/attestation.ts';
import { CARD_STATE_LABELS, type CardState } from '../../domain/card-lifecycle.ts';
import type { AdminOperation } from '../../cards/card.ts';
import { adminResponse, deriveCardAdminKey } from '../../cards/admin-key.ts';
import { loadCardMasterKey } from '../../cards/keys.ts';
import { requireActionSignature, type ActionSignature } from '../access/action-signatures.ts';
import { changeWithAudit } from '../audit-trail.ts';
import { changeCardCertificates, moveCardRow } from './card-certificates.ts';
import { AppError, invalid } from '../errors.ts';
import { cardDn, loadDeskCard, refuseOwnCard, type DeskCard } from './handover.ts';
import { queueMail } from '../mail.ts';
import { auditRefusal } from '../refusals.ts';
import { activationCodeVerifier, loadActivationKey } from '../requests/production.ts';
import { attestationPdf } from '../../notify/attestation-pdf.ts';
import type { Actor, AppContext } from '../context.ts';

// Activation with the holder present and the card officer assisting (seed 001, "Activation d'un
// support": Identification → Présentation → Acceptation → Activation). The server never sees the
// PINs: once the activation code is right it answers the card's administration challenges, so the
// card agent can set the PINs the holder typed, then the officer countersigns.

/** Wrong activation codes allowed before the code is locked until it is sent again. */
export const ACTIVATION_CODE_ATTEMPTS = 5;
/** How long after a right code the server answers the card's administration challenges. */
export const ACTIVATION_WINDOW_MINUTES = 15;

export const ACTIVATED_MESSAGE = 'Le support et ses certificats ont été activés avec succès.';

const USAGES: Record<string, { label: string; usages: string; extendedUsages: string }> = {
  auth: { label: 'ANTS-ACT3-AUTH', usages: 'Signature numérique', extendedUsages: 'Pas de données' },
  sign: { label: 'ANTS-ACT3-SIGN', usages: 'Non Repudiation', extendedUsages: 'Pas de données' },
  enc: { label: 'ANTS-ACT3-ENC', usages: 'Chiffrement de clé', extendedUsages: 'Pas de données' },
};

export interface PresentedCertificateRow {
  serial: string;
  profile: string;
  label: string;
  rgsLevel: string;
  notBefore: string;
  notAfter: string;
  usages: string;
  extendedUsages: string;
  status: string;
}

export interface ActivationView {
  card: {
    id: string;
    serial: string;
    reference: string;
    modelLabel: string;
    type: string;
    state: CardState;
    stateLabel: string;
  };
  holder: DeskCard['holder'];
  dn: string | null;
  certificates: PresentedCertificateRow[];
  attestation: string[];
  codeAttemptsLeft: number;
  codeLocked: boolean;
  codeAccepted: boolean;
}

async function certificatesOf(ctx: AppContext, cardId: string): Promise<PresentedCertificateRow[]> {
  const rows = await ctx.store.db
    .selectFrom('certificates')
    .select(['serial', 'profile', 'not_before', 'not_after', 'status'])
    .where('card_id', '=', cardId)
    .orderBy('profile')
    .execute();
  return rows.map((r) => ({
    serial: r.serial,
    profile: r.profile,
    label: USAGES[r.profile]?.label ?? r.profile,
    rgsLevel: 'Renforcé',
    notBefore: r.not_before,
    notAfter: r.not_after,
    usages: USAGES[r.profile]?.usages ?? '',
    extendedUsages: USAGES[r.profile]?.extendedUsages ?? '',
    status: r.status,
  }));
}

async function attestationFor(
  ctx: AppContext,
  actor: Actor,
  card: DeskCard,
  certificates: PresentedCertificateRow[],
): Promise<string[]> {
  const org = await ctx.store.db
    .selectFrom('organizations')
    .select('code')
    .where('id', '=', card.organizationId)
    .executeTakeFirstOrThrow();
  // The attestation names the officer who handed the card over, whoever reads it later.
  const handover = await ctx.store.db
    .selectFrom('card_handovers as h')
    .innerJoin('agents as a', 'a.id', 'h.operator_id')
    .select(['a.first_names', 'a.last_name'])
    .where('h.card_id', '=', card.id)
    .executeTakeFirst();
  return attestationParagraphs({
    holderName: `${card.holder.firstNames} ${card.holder.lastName}`,
    birthDate: card.holder.birthDate,
    operatorName: handover
      ? `${handover.first_names} ${handover.last_name}`
      : actor.kind === 'person'
        ? actor.displayName
        : 'la plateforme',
    cardSerial: card.serial,
    hasSignatureCertificate: certificates.some((c) => c.profile === 'sign'),
    hasEncryptionCertificate: certificates.some((c) => c.profile === 'enc'),
    declarationUrl: `${process.env['CARTES_PUBLIC_URL'] ?? 'http://127.0.0.1:8080'}/porteur`,
    organizationLogin: org.code,
    identifierLogin: `${card.holder.firstNames} ${card.holder.lastName} ${card.holder.identifier}`,
  });
}

async function loadActivationCard(ctx: AppContext, actor: Actor, cardId: string) {
  const desk = await loadDeskCard(ctx, actor, cardId, 'card.operate');
  await refuseOwnCard(ctx, actor, desk.card, 'activer');
  return desk;
}

function requireHandedOver(card: DeskCard): void {
  if (card.state !== 'handed_over') {
    throw new AppError(
      'conflict',
      `Impossible d’activer la carte n° ${card.serial} : elle est « ${CARD_STATE_LABELS[card.state]} » (elle doit avoir été remise au porteur).`,
    );
  }
}

export async function activationView(ctx: AppContext, actor: Actor, cardId: string): Promise<ActivationView> {
  const { card } = await loadActivationCard(ctx, actor, cardId);
  const row = await ctx.store.db
    .selectFrom('cards')
    .select(['activation_code_attempts', 'activation_code_used_at'])
    .where('id', '=', cardId)
    .executeTakeFirstOrThrow();
  const certificates = await certificatesOf(ctx, cardId);
  return {
    card: {
      id: card.id,
      serial: card.serial,
      reference: card.serial.slice(-4),
      modelLabel: card.modelLabel,
      type: 'Carte personnalisable',
      state: card.state,
      stateLabel: CARD_STATE_LABELS[card.state],
    },
    holder: card.holder,
    dn: await cardDn(ctx, cardId),
    certificates,
    attestation: await attestationFor(ctx, actor, card, certificates),
    codeAttemptsLeft: Math.max(0, ACTIVATION_CODE_ATTEMPTS - row.activation_code_attempts),
    codeLocked: row.activation_code_attempts >= ACTIVATION_CODE_ATTEMPTS && !row.activation_code_used_at,
    codeAccepted: await windowOpen(ctx, cardId),
  };
}

/** "Je refuse l'ensemble des certificats présents sur ma carte": revoked at once, the card unusable. */
export async function refuseCertificates(
  ctx: AppContext,
  actor: Actor,
  cardId: string,
  input: { signature: ActionSignature | null | undefined },
): Promise<{ state: CardState }> {
  const { card, auth } = await loadActivationCard(ctx, actor, cardId);
  requireHandedOver(card);
  const { evidence } = await requireActionSignature(
    ctx,
    actor,
    { action: 'card.refuse-certificates', target: cardId, content: { cardId, serial: card.serial } },
    input.signature,
  );
  const now = ctx.now().toISOString();
  await changeWithAudit(ctx, actor, auth, 'card.refuse-certificates', async (trx) => {
    await moveCardRow(trx, cardId, 'handed_over', 'revoked', now);
    const certificates = await changeCardCertificates(ctx, trx, cardId, {
      kind: 'revoke',
      reason: 'cessationOfOperation',
    });
    return {
      result: null,
      targetType: 'card',
      targetId: cardId,
      summary: { before: { state: card.state }, after: { state: 'revoked' }, refusedBy: 'holder', certificates },
      evidence,
    };
  });
  return { state: 'revoked' };
}

/**
 * Checks the 6-digit code of the letter. The attempt is counted before the code is evaluated, in
 * one conditional update, so that no number of parallel tries gets more than ACTIVATION_CODE_ATTEMPTS
 * evaluations; past that the code is locked until the manufacturer sends a new one.
 */
export async function submitActivationCode(
  ctx: AppContext,
  actor: Actor,
  cardId: string,
  code: string,
): Promise<{ accepted: true; windowUntil: string }> {
  const { card, auth } = await loadActivationCard(ctx, actor, cardId);
  requireHandedOver(card);
  if (typeof code !== 'string' || !/^\d{6}$/.test(code))
    throw invalid('Le code d’activation comporte 6 chiffres.', [{ field: 'code', reason: '6 chiffres.' }]);
  const now = ctx.now();
  const counted = await ctx.store.db
    .updateTable('cards')
    .set((eb) => ({ activation_code_attempts: eb('activation_code_attempts', '+', 1) }))
    .where('id', '=', cardId)
    .where('activation_code_used_at', 'is', null)
    .where('activation_code_attempts', '<', ACTIVATION_CODE_ATTEMPTS)
    .where('activation_code_hash', 'is not', null)
    .executeTakeFirst();
  if (Number(counted.numUpdatedRows) !== 1) {
    const row = await ctx.store.db
      .selectFrom('cards')
      .select(['activation_code_used_at', 'activation_code_hash'])
      .where('id', '=', cardId)
      .executeTakeFirstOrThrow();
    const message = row.activation_code_used_at
      ? 'Ce code d’activation a déjà été utilisé.'
      : !row.activation_code_hash
        ? 'Aucun code d’activation n’est connu pour cette carte : demandez un renvoi du code.'
        : 'Code d’activation verrouillé après trop d’erreurs : demandez un renvoi du code par courrier ou par messagerie.';
    await auditRefusal(ctx, actor, 'card.activation-code', auth.organizationId, { type: 'card', id: cardId }, message);
    throw new AppError('forbidden', message);
  }
  const row = await ctx.store.db
    .selectFrom('cards')
    .select(['activation_code_hash', 'activation_code_attempts'])
    .where('id', '=', cardId)
    .executeTakeFirstOrThrow();
  const expected = Buffer.from(row.activation_code_hash ?? '', 'hex');
  const given = Buffer.from(activationCodeVerifier(loadActivationKey(ctx.dataDir), card.serial, code), 'hex');
  if (expected.length === 0 || expected.length !== given.length || !timingSafeEqual(expected, given)) {
    const left = ACTIVATION_CODE_ATTEMPTS - row.activation_code_attempts;
    const message =
      left > 0
        ? `Code d’activation erroné : il reste ${left} essai${left > 1 ? 's' : ''}.`
        : 'Code d’activation erroné. Le code est maintenant verrouillé : demandez un renvoi du code par courrier ou par messagerie.';
    await auditRefusal(ctx, actor, 'card.activation-code', auth.organizationId, { type: 'card', id: cardId }, message);
    throw new AppError('forbidden', message);
  }
  const windowUntil = new Date(now.getTime() + ACTIVATION_WINDOW_MINUTES * 60_000).toISOString();
  await changeWithAudit(ctx, actor, auth, 'card.activation-code', async (trx) => {
    // The code is spent when the activation completes, not now: if the window lapses (page closed,
    // 15 minutes gone) the same letter still serves, within the attempts left.
    const checked = await trx
      .updateTable('cards')
      .set({ activation_code_attempts: 0, updated_at: now.toISOString() })
      .where('id', '=', cardId)
      .where('activation_code_used_at', 'is', null)
      .executeTakeFirst();
    if (Number(checked.numUpdatedRows) !== 1)
      throw new AppError('conflict', 'Ce code d’activation a déjà été utilisé.');
    await trx.deleteFrom('card_activations').where('card_id', '=', cardId).execute();
    await trx
      .insertInto('card_activations')
      .values({
        card_id: cardId,
        operator_id: auth.actorId ?? '',
        code_checked_at: now.toISOString(),
        window_until: windowUntil,
        completed_at: null,
        refused_at: null,
        finalized_at: null,
        finalized_by: null,
        created_at: now.toISOString(),
      })
      .execute();
    return { result: null, targetType: 'card', targetId: cardId, summary: { activationCode: 'accepted', windowUntil } };
  });
  return { accepted: true, windowUntil };
}

async function windowOpen(ctx: AppContext, cardId: string): Promise<boolean> {
  const w = await ctx.store.db
    .selectFrom('card_activations')
    .select(['window_until', 'completed_at'])
    .where('card_id', '=', cardId)
    .executeTakeFirst();
  return !!w && !w.completed_at && !!w.window_until && w.window_until > ctx.now().toISOString();
}

async function openWindow(ctx: AppContext, actor: Actor, cardId: string) {
  const w = await ctx.store.db
    .selectFrom('card_activations')
    .selectAll()
    .where('card_id', '=', cardId)
    .executeTakeFirst();
  const now = ctx.now().toISOString();
  if (!w || !w.window_until || w.completed_at || w.window_until < now) {
    throw new AppError(
      'forbidden',
      'Saisissez d’abord le code d’activation du courrier (ou recommencez : le délai de 15 minutes est dépassé).',
    );
  }
  if (actor.kind !== 'person' || w.operator_id !== actor.agentId)
    throw new AppError(
      'forbidden',
      'Seul l’opérateur qui a saisi le code d’activation peut poursuivre cette activation.',
    );
  return w;
}

/**
 * The card's answer key for one PIN: the card agent asked the card for a challenge, the server
 * answers it with the card's administration key (derived from the platform's master key). A
 * response computed for this card is refused by any other card, so the PINs can only be set on the
 * very card being activated.
 */
export async function activationAdminResponse(
  ctx: AppContext,
  actor: Actor,
  cardId: string,
  input: { operation: string; challenge: string },
): Promise<{ response: string }> {
  const { card, auth } = await loadActivationCard(ctx, actor, cardId);
  requireHandedOver(card);
  await openWindow(ctx, actor, cardId);
  const allowed: readonly AdminOperation[] = ['set-pin:auth', 'set-pin:sign'];
  const operation = allowed.find((o) => o === input.operation);
  if (!operation) {
    throw invalid('Opération de carte non permise pendant l’activation.', [
      { field: 'operation', reason: 'set-pin:auth ou set-pin:sign.' },
    ]);
  }
  const challenge = Buffer.from(input.challenge ?? '', 'base64');
  if (challenge.length !== 16)
    throw invalid('Défi de la carte illisible (16 octets attendus).', [
      { field: 'challenge', reason: 'Base64 de 16 octets.' },
    ]);
  const key = deriveCardAdminKey(loadCardMasterKey(ctx.dataDir), card.serial);
  const response = adminResponse(key, challenge, operation).toString('base64');
  await changeWithAudit(ctx, actor, auth, 'card.admin-response', async () => ({
    result: null,
    targetType: 'card',
    targetId: cardId,
    summary: { operation },
  }));
  return { response };
}

/** What the officer's signature PIN confirms: this card, these certificates, accepted by the holder. */
export async function activationContent(
  ctx: AppContext,
  cardId: string,
): Promise<{ cardId: string; serial: string; acceptedCertificates: string[] }> {
  const card = await ctx.store.db
    .selectFrom('cards')
    .select('serial')
    .where('id', '=', cardId)
    .executeTakeFirstOrThrow();
  const certs = await ctx.store.db
    .selectFrom('certificates')
    .select('serial')
    .where('card_id', '=', cardId)
    .where('status', '=', 'issued')
    .orderBy('serial')
    .execute();
  return { cardId, serial: card.serial, acceptedCertificates: certs.map((c) => c.serial) };
}

/**
 * Countersignature ("Contre signature de l'activation"): the certificates accepted by the holder
 * become valid, the card is activated, the attestation of receipt is mailed to the holder.
 */
export async function completeActivation(
  ctx: AppContext,
  actor: Actor,
  cardId: string,
  input: { signature: ActionSignature | null | undefined },
): Promise<{ state: CardState; message: string }> {
  const { card, auth } = await loadActivationCard(ctx, actor, cardId);
  requireHandedOver(card);
  await openWindow(ctx, actor, cardId);
  const content = await activationContent(ctx, cardId);
  if (content.acceptedCertificates.length === 0)
    throw new AppError('conflict', 'Cette carte ne porte aucun certificat à accepter.');
  const { evidence } = await requireActionSignature(
    ctx,
    actor,
    { action: 'card.activate', target: cardId, content },
    input.signature,
  );
  const certificates = await certificatesOf(ctx, cardId);
  const attestation = await attestationFor(ctx, actor, card, certificates);
  const now = ctx.now().toISOString();
  // The attestation as accepted is kept in the card's case file, its fingerprint in the audit record.
  const pdf = await attestationPdf({
    paragraphs: attestation,
    cardSerial: card.serial,
    modelLabel: card.modelLabel,
    dn: await cardDn(ctx, cardId),
    date: ctx.now(),
    certificates,
  });
  const pdfSha256 = createHash('sha256').update(pdf).digest('hex');
  await changeWithAudit(ctx, actor, auth, 'card.activate', async (trx) => {
    const moved = await trx
      .updateTable('cards')
      .set({ state: 'activated', state_changed_at: now, updated_at: now, activation_code_used_at: now })
      .where('id', '=', cardId)
      .where('state', '=', 'handed_over')
      .where('activation_code_used_at', 'is', null)
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== 1)
      throw new AppError('conflict', 'La carte vient de changer d’état : rechargez la page.');
    const changed = await changeCardCertificates(ctx, trx, cardId, { kind: 'accept' });
    await trx
      .updateTable('card_activations')
      .set({ completed_at: now, window_until: null })
      .where('card_id', '=', cardId)
      .execute();
    await trx
      .insertInto('card_documents')
      .values({
        id: ctx.newId(),
        card_id: cardId,
        kind: 'attestation',
        file_name: `attestation-remise-${card.serial}.pdf`,
        content_type: 'application/pdf',
        bytes: pdf,
        sha256: pdfSha256,
        uploaded_by: auth.actorId,
        created_at: now,
      })
      .execute();
    if (card.holder.email) {
      await queueMail(ctx, trx, {
        to: card.holder.email,
        subject: `Attestation de remise de votre carte n° ${card.serial}`,
        text: `Bonjour ${card.holder.firstNames} ${card.holder.lastName},\n\n${ACTIVATED_MESSAGE}\n\nAttestation de remise :\n\n${attestation.join('\n\n')}\n\nPour terminer, connectez-vous au portail avec votre nouvelle carte et définissez votre code personnel et vos trois questions secrètes : ils vous permettront de débloquer votre carte si vous oubliez vos codes PIN.\n\nCartes Agents`,
      });
    }
    return {
      result: null,
      targetType: 'card',
      targetId: cardId,
      summary: {
        before: { state: card.state },
        after: { state: 'activated' },
        certificates: changed,
        acceptedByHolder: true,
      },
      evidence: [...evidence, `document:sha256:${pdfSha256}`],
    };
  });
  return { state: 'activated', message: ACTIVATED_MESSAGE };
}

/**
 * "Finalisation de l'activation" (municipal flow, seed 002: the card officer initials the
 * attestation): once the holder has defined the secrets, the card becomes active.
 */
export async function finalizeActivation(
  ctx: AppContext,
  actor: Actor,
  cardId: string,
  input: { signature: ActionSignature | null | undefined },
): Promise<{ state: CardState }> {
  const { card, auth } = await loadDeskCard(ctx, actor, cardId, 'card.operate');
  await refuseOwnCard(ctx, actor, card, 'parapher l’attestation de');
  if (card.state !== 'activated')
    throw new AppError(
      'conflict',
      `Impossible de parapher : la carte n° ${card.serial} est « ${CARD_STATE_LABELS[card.state]} » (elle doit être activée).`,
    );
  const secrets = await ctx.store.db
    .selectFrom('holder_secrets')
    .select('agent_id')
    .where('agent_id', '=', card.agentId)
    .executeTakeFirst();
  if (!secrets)
    throw new AppError(
      'conflict',
      'Le porteur doit d’abord se connecter avec sa nouvelle carte et définir son code personnel et ses questions secrètes.',
    );
  const { evidence } = await requireActionSignature(
    ctx,
    actor,
    { action: 'card.finalize', target: cardId, content: { cardId, serial: card.serial } },
    input.signature,
  );
  const now = ctx.now().toISOString();
  await changeWithAudit(ctx, actor, auth, 'card.finalize', async (trx) => {
    await moveCardRow(trx, cardId, 'activated', 'active', now);
    await trx
      .updateTable('card_activations')
      .set({ finalized_at: now, finalized_by: auth.actorId })
      .where('card_id', '=', cardId)
      .execute();
    return {
      result: null,
      targetType: 'card',
      targetId: cardId,
      summary: { before: { state: 'activated' }, after: { state: 'active' } },
      evidence,
    };
  });
  return { state: 'active' };
}

/** The attestation of receipt as a PDF ("Télécharger le document"). */
export async function activationAttestationPdf(ctx: AppContext, actor: Actor, cardId: string): Promise<Uint8Array> {
  const view = await activationView(ctx, actor, cardId);
  return attestationPdf({
    paragraphs: view.attestation,
    cardSerial: view.card.serial,
    modelLabel: view.card.modelLabel,
    dn: view.dn,
    date: ctx.now(),
    certificates: view.certificates.filter((c) => c.status !== 'revoked'),
  });
}
