import { authorize } from '../access/authorize.ts';
import { notFound } from '../errors.ts';
import type { Actor, AppContext } from '../context.ts';

// The pieces of a card's case file (identity copy, destruction record…): read by those who may read
// the card, or by its holder.

export interface CardDocumentFile {
  fileName: string;
  contentType: string;
  bytes: Uint8Array;
}

export async function cardDocument(
  ctx: AppContext,
  actor: Actor,
  cardId: string,
  documentId: string,
): Promise<CardDocumentFile> {
  const row = await ctx.store.db
    .selectFrom('card_documents as d')
    .innerJoin('cards as c', 'c.id', 'd.card_id')
    .select(['d.file_name', 'd.content_type', 'd.bytes', 'c.operator_organization_id', 'c.agent_id'])
    .where('d.id', '=', documentId)
    .where('d.card_id', '=', cardId)
    .executeTakeFirst();
  if (!row) throw notFound('Document introuvable.');
  if (!(actor.kind === 'person' && actor.agentId === row.agent_id)) {
    await authorize(ctx, actor, 'card.read', row.operator_organization_id, { type: 'card', id: cardId });
  }
  return { fileName: row.file_name, contentType: row.content_type, bytes: row.bytes };
}

export async function listCardDocuments(
  ctx: AppContext,
  cardId: string,
): Promise<{ id: string; kind: string; fileName: string; createdAt: string }[]> {
  const rows = await ctx.store.db
    .selectFrom('card_documents')
    .select(['id', 'kind', 'file_name', 'created_at'])
    .where('card_id', '=', cardId)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({ id: r.id, kind: r.kind, fileName: r.file_name, createdAt: r.created_at }));
}

/** "Téléchargement de documents": the case file of a card, for those who may read it. */
export async function cardDocuments(
  ctx: AppContext,
  actor: Actor,
  cardId: string,
): Promise<{ items: { id: string; kind: string; kindLabel: string; fileName: string; createdAt: string }[] }> {
  const card = await ctx.store.db
    .selectFrom('cards')
    .select(['operator_organization_id', 'agent_id'])
    .where('id', '=', cardId)
    .executeTakeFirst();
  if (!card) throw notFound('Carte introuvable.');
  if (!(actor.kind === 'person' && actor.agentId === card.agent_id))
    await authorize(ctx, actor, 'card.read', card.operator_organization_id, { type: 'card', id: cardId });
  return {
    items: (await listCardDocuments(ctx, cardId)).map((d) => ({ ...d, kindLabel: DOCUMENT_LABELS[d.kind] ?? d.kind })),
  };
}

export const DOCUMENT_LABELS: Record<string, string> = {
  identity_copy: 'Copie certifiée conforme de la pièce d’identité',
  attestation: 'Attestation de remise',
  destruction_record: 'Procès-verbal de destruction',
  loss_report: 'Déclaration de perte',
  police_report: 'Récépissé de plainte',
};
