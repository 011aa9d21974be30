import { createHash } from 'node:crypto';
import { CARD_STATE_LABELS, moveCard, type CardState } from '../../domain/card-lifecycle.ts';
import { requireActionSignature, type ActionSignature } from '../access/action-signatures.ts';
import { authorize, type Authorization } from '../access/authorize.ts';
import { changeWithAudit } from '../audit-trail.ts';
import { changeCardCertificates, moveCardRow } from './card-certificates.ts';
import { AppError, invalid, notFound } from '../errors.ts';
import { queueMail } from '../mail.ts';
import { refuseAudited } from '../refusals.ts';
import type { Actor, AppContext } from '../context.ts';
import type { Permission } from '../../domain/roles.ts';

// Face-to-face hand-over ("Confirmer la remise en main propre de ce support", seed 001) and its
// failure path: a card whose data do not match the identity document is invalidated, never handed
// over, and the agent's identity must be verified again before a new order.

export const IDENTITY_DOCUMENT_TYPES = {
  passport: 'Passeport',
  national_id_card: "Carte nationale d'identité",
  residence_permit: 'Titre de séjour',
  military_id_card: "Carte d'identité militaire",
} as const;
export type IdentityDocumentType = keyof typeof IDENTITY_DOCUMENT_TYPES;

export const IDENTITY_COPY_MAX_BYTES = 5 * 1024 * 1024;
const COPY_TYPES: Record<string, (b: Uint8Array) => boolean> = {
  'application/pdf': (b) => Buffer.from(b.subarray(0, 5)).toString('latin1') === '%PDF-',
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/png': (b) =>
    Buffer.from(b.subarray(0, 8)).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
};

export interface DeskCard {
  id: string;
  serial: string;
  state: CardState;
  agentId: string;
  organizationId: string;
  operatorOrganizationId: string;
  modelLabel: string;
  holder: {
    lastName: string;
    firstNames: string;
    email: string | null;
    phone: string | null;
    birthDate: string;
    identifier: string;
    organizationName: string;
    organizationKind: string;
  };
}

/** The card as the card officer's desk sees it, after checking the officer may act on it. */
export async function loadDeskCard(
  ctx: AppContext,
  actor: Actor,
  cardId: string,
  permission: Permission,
): Promise<{ card: DeskCard; auth: Authorization }> {
  const row = await ctx.store.db
    .selectFrom('cards as c')
    .innerJoin('agents as a', 'a.id', 'c.agent_id')
    .innerJoin('organizations as o', 'o.id', 'c.organization_id')
    .innerJoin('card_models as m', 'm.id', 'c.model_id')
    .select([
      'c.id',
      'c.serial',
      'c.state',
      'c.agent_id',
      'c.organization_id',
      'c.operator_organization_id',
      'm.label as model_label',
      'a.last_name',
      'a.first_names',
      'a.email',
      'a.phone',
      'a.birth_date',
      'a.identifier',
      'o.name as org_name',
      'o.kind as org_kind',
    ])
    .where('c.id', '=', cardId)
    .executeTakeFirst();
  if (!row) throw notFound('Carte introuvable.');
  const auth = await authorize(ctx, actor, permission, row.operator_organization_id, { type: 'card', id: row.id });
  return {
    auth,
    card: {
      id: row.id,
      serial: row.serial,
      state: row.state as CardState,
      agentId: row.agent_id,
      organizationId: row.organization_id,
      operatorOrganizationId: row.operator_organization_id,
      modelLabel: row.model_label,
      holder: {
        lastName: row.last_name,
        firstNames: row.first_names,
        email: row.email,
        phone: row.phone,
        birthDate: row.birth_date,
        identifier: row.identifier,
        organizationName: row.org_name,
        organizationKind: row.org_kind,
      },
    },
  };
}

/** ETSI REG-6.2.2-26: nobody performs a registration operation on their own card (refusal audited). */
export async function refuseOwnCard(ctx: AppContext, actor: Actor, card: DeskCard, what: string): Promise<void> {
  if (actor.kind === 'person' && actor.agentId === card.agentId) {
    await refuseAudited(
      ctx,
      actor,
      'card.own-card',
      card.operatorOrganizationId,
      { type: 'card', id: card.id },
      `Vous ne pouvez pas ${what} votre propre carte : un autre opérateur doit le faire.`,
    );
  }
}

function requireState(card: DeskCard, expected: readonly CardState[], action: string): void {
  if (!expected.includes(card.state)) {
    throw new AppError(
      'conflict',
      `Impossible de ${action} : la carte n° ${card.serial} est « ${CARD_STATE_LABELS[card.state]} ».`,
    );
  }
}

export async function cardDn(ctx: AppContext, cardId: string): Promise<string | null> {
  const cert = await ctx.store.db
    .selectFrom('certificates')
    .select('subject_dn')
    .where('card_id', '=', cardId)
    .orderBy('profile')
    .executeTakeFirst();
  return cert?.subject_dn ?? null;
}

export interface HandoverView {
  card: { id: string; serial: string; state: CardState; stateLabel: string; modelLabel: string };
  holder: DeskCard['holder'];
  dn: string | null;
  identityCopy: { id: string; fileName: string; contentType: string; uploadedAt: string } | null;
  identityDocumentTypes: { code: string; label: string }[];
}

export async function handoverView(ctx: AppContext, actor: Actor, cardId: string): Promise<HandoverView> {
  const { card } = await loadDeskCard(ctx, actor, cardId, 'card.operate');
  const copy = await ctx.store.db
    .selectFrom('card_documents')
    .select(['id', 'file_name', 'content_type', 'created_at'])
    .where('card_id', '=', cardId)
    .where('kind', '=', 'identity_copy')
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  return {
    card: {
      id: card.id,
      serial: card.serial,
      state: card.state,
      stateLabel: CARD_STATE_LABELS[card.state],
      modelLabel: card.modelLabel,
    },
    holder: card.holder,
    dn: await cardDn(ctx, cardId),
    identityCopy: copy
      ? { id: copy.id, fileName: copy.file_name, contentType: copy.content_type, uploadedAt: copy.created_at }
      : null,
    identityDocumentTypes: Object.entries(IDENTITY_DOCUMENT_TYPES).map(([code, label]) => ({ code, label })),
  };
}

/** The certified copy of the identity document ("certifié conforme à l'original" + signature), kept in the case file. */
export async function uploadIdentityCopy(
  ctx: AppContext,
  actor: Actor,
  cardId: string,
  file: { fileName: string; contentType: string; bytes: Uint8Array },
): Promise<{ fileName: string; sha256: string }> {
  const { card, auth } = await loadDeskCard(ctx, actor, cardId, 'card.operate');
  await refuseOwnCard(ctx, actor, card, 'remettre');
  requireState(card, ['received'], 'joindre la copie de la pièce d’identité');
  const check = COPY_TYPES[file.contentType];
  if (!check)
    throw invalid('Format non accepté : PDF, JPEG ou PNG.', [
      { field: 'file', reason: 'Type de fichier non accepté.' },
    ]);
  if (file.bytes.length === 0) throw invalid('Le fichier est vide.', [{ field: 'file', reason: 'Fichier vide.' }]);
  if (file.bytes.length > IDENTITY_COPY_MAX_BYTES)
    throw new AppError('too_large', 'Fichier trop volumineux : 5 Mo au plus.');
  if (!check(file.bytes))
    throw invalid('Le contenu du fichier ne correspond pas à son type (PDF, JPEG ou PNG attendu).', [
      { field: 'file', reason: 'Contenu illisible.' },
    ]);
  const fileName = file.fileName.replace(/[^\p{L}\p{N}._ -]/gu, '_').slice(0, 120) || 'piece-identite';
  const sha256 = createHash('sha256').update(file.bytes).digest('hex');
  return changeWithAudit(ctx, actor, auth, 'card.identity-copy', async (trx) => {
    await trx
      .insertInto('card_documents')
      .values({
        id: ctx.newId(),
        card_id: cardId,
        kind: 'identity_copy',
        file_name: fileName,
        content_type: file.contentType,
        bytes: file.bytes,
        sha256,
        uploaded_by: auth.actorId,
        created_at: ctx.now().toISOString(),
      })
      .execute();
    return {
      result: { fileName, sha256 },
      targetType: 'card',
      targetId: cardId,
      summary: { document: 'identity_copy', fileName, size: file.bytes.length },
      evidence: [`document:sha256:${sha256}`],
    };
  });
}

export interface HandoverInput {
  identityDocumentType: string;
  identityDocumentNumber: string;
  remarks?: string | null;
  signature: ActionSignature | null | undefined;
}

function handoverFields(input: HandoverInput): { type: IdentityDocumentType; number: string; remarks: string | null } {
  const errors = [];
  if (!(input.identityDocumentType in IDENTITY_DOCUMENT_TYPES))
    errors.push({ field: 'identityDocumentType', reason: 'Type de pièce d’identité inconnu.' });
  const number = (input.identityDocumentNumber ?? '').replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z0-9]{5,20}$/.test(number))
    errors.push({
      field: 'identityDocumentNumber',
      reason: 'Numéro de la pièce d’identité : 5 à 20 lettres ou chiffres.',
    });
  const remarks = input.remarks?.trim() || null;
  if (remarks && remarks.length > 500) errors.push({ field: 'remarks', reason: '500 caractères au plus.' });
  if (errors.length > 0)
    throw invalid('La remise ne peut pas être enregistrée : corrigez les champs signalés.', errors);
  return { type: input.identityDocumentType as IdentityDocumentType, number, remarks };
}

/** What the operator's card signs to confirm the hand-over (authentication PIN, as in seed 001). */
export function handoverContent(
  card: { id: string; serial: string },
  f: { type: string; number: string; remarks: string | null },
) {
  return {
    cardId: card.id,
    serial: card.serial,
    identityDocumentType: f.type,
    identityDocumentNumber: f.number,
    remarks: f.remarks,
  };
}

export async function handOverCard(
  ctx: AppContext,
  actor: Actor,
  cardId: string,
  input: HandoverInput,
): Promise<{ state: CardState }> {
  const { card, auth } = await loadDeskCard(ctx, actor, cardId, 'card.operate');
  await refuseOwnCard(ctx, actor, card, 'remettre');
  requireState(card, ['received'], 'remettre la carte');
  const f = handoverFields(input);
  const copy = await ctx.store.db
    .selectFrom('card_documents')
    .select('sha256')
    .where('card_id', '=', cardId)
    .where('kind', '=', 'identity_copy')
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  if (!copy)
    throw invalid(
      'Joignez d’abord la copie de la pièce d’identité, certifiée conforme à l’original et signée par le porteur.',
      [{ field: 'identityCopy', reason: 'Copie absente.' }],
    );
  const { evidence } = await requireActionSignature(
    ctx,
    actor,
    { action: 'card.handover', target: cardId, content: handoverContent(card, f) },
    input.signature,
    { profile: 'auth' },
  );
  const next = moveCard(card.state, 'handed_over');
  if (!next.ok) throw new AppError('conflict', next.reason);
  const now = ctx.now().toISOString();
  await changeWithAudit(ctx, actor, auth, 'card.handover', async (trx) => {
    await moveCardRow(trx, cardId, 'received', 'handed_over', now);
    await trx
      .insertInto('card_handovers')
      .values({
        card_id: cardId,
        operator_id: auth.actorId ?? 'inconnu',
        identity_document_type: f.type,
        identity_document_number: f.number,
        remarks: f.remarks,
        handed_over_at: now,
      })
      .execute();
    return {
      result: null,
      targetType: 'card',
      targetId: cardId,
      summary: {
        before: { state: card.state },
        after: { state: 'handed_over' },
        identityDocument: { type: f.type, number: f.number },
        remarks: f.remarks,
      },
      evidence: [...evidence, `document:sha256:${copy.sha256}`],
    };
  });
  return { state: 'handed_over' };
}

export interface InvalidationInput {
  reason: string;
  signature: ActionSignature | null | undefined;
}

/**
 * Data error found at the desk: the card is not handed over but invalidated (its certificates
 * revoked in the same transaction), sent back for destruction, and the agent's identity data are
 * marked unverified so that a new order waits until they are fixed.
 */
export async function invalidateCard(
  ctx: AppContext,
  actor: Actor,
  cardId: string,
  input: InvalidationInput,
): Promise<{ state: CardState }> {
  const { card, auth } = await loadDeskCard(ctx, actor, cardId, 'card.operate');
  await refuseOwnCard(ctx, actor, card, 'invalider');
  requireState(card, ['shipped', 'received', 'handed_over'], 'invalider la carte');
  const reason = (input.reason ?? '').trim();
  if (reason.length < 5 || reason.length > 500)
    throw invalid('Indiquez le motif de l’invalidation (données erronées constatées).', [
      { field: 'reason', reason: '5 à 500 caractères.' },
    ]);
  const { evidence } = await requireActionSignature(
    ctx,
    actor,
    { action: 'card.invalidate', target: cardId, content: { cardId, serial: card.serial, reason } },
    input.signature,
  );
  const now = ctx.now().toISOString();
  await changeWithAudit(ctx, actor, auth, 'card.invalidate', async (trx) => {
    await moveCardRow(trx, cardId, card.state, 'invalidated', now);
    const certificates = await changeCardCertificates(ctx, trx, cardId, {
      kind: 'revoke',
      reason: 'affiliationChanged',
    });
    await trx
      .updateTable('agents')
      .set({ identity_verified: 0, updated_at: now })
      .where('id', '=', card.agentId)
      .execute();
    if (card.holder.email) {
      await queueMail(ctx, trx, {
        to: card.holder.email,
        subject: 'Votre carte agent n’a pas pu vous être remise',
        text: `Bonjour ${card.holder.firstNames} ${card.holder.lastName},\n\nLa carte n° ${card.serial} n'a pas pu vous être remise : les données qu'elle porte ne correspondent pas à votre pièce d'identité (${reason}).\nElle est invalidée et sera détruite. Votre responsable carte fera corriger vos données avant de commander une nouvelle carte.\n\nCartes Agents`,
      });
    }
    return {
      result: null,
      targetType: 'card',
      targetId: cardId,
      summary: {
        before: { state: card.state },
        after: { state: 'invalidated' },
        reason,
        certificates,
        agentIdentityVerified: false,
      },
      evidence,
    };
  });
  return { state: 'invalidated' };
}
