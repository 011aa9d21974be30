import { CARD_STATE_LABELS, type CardState } from '../../domain/card-lifecycle.ts';
import { CARD_PROFILE_LABELS } from '../../domain/card-model.ts';
import { STATUS_LABELS, type CertificateStatus } from '../../domain/certificate-status.ts';
import { listCardDocuments } from './card-documents.ts';
import { AppError } from '../errors.ts';
import type { Actor, AppContext } from '../context.ts';

// The holder's universe (PGCA "Porteur"): own cards, their certificates and history, documents.

const PROFILE_LABELS: Record<string, string> = CARD_PROFILE_LABELS;

export async function myCards(ctx: AppContext, actor: Actor) {
  if (actor.kind !== 'person') throw new AppError('forbidden', 'Espace réservé aux porteurs.');
  const cards = await ctx.store.db
    .selectFrom('cards as c')
    .innerJoin('card_models as m', 'm.id', 'c.model_id')
    .select(['c.id', 'c.serial', 'c.state', 'c.state_changed_at', 'c.expires_at', 'c.created_at', 'm.label'])
    .where('c.agent_id', '=', actor.agentId)
    .orderBy('c.created_at', 'desc')
    .execute();
  // The birth date lets the PIN change page check the guide's rules before the card is touched.
  const holder = await ctx.store.db
    .selectFrom('agents')
    .select(['last_name', 'first_names', 'birth_date'])
    .where('id', '=', actor.agentId)
    .executeTakeFirst();
  const secrets = await ctx.store.db
    .selectFrom('holder_secrets')
    .select('updated_at')
    .where('agent_id', '=', actor.agentId)
    .executeTakeFirst();
  const out = [];
  for (const c of cards) {
    const certs = await ctx.store.db
      .selectFrom('certificates')
      .select(['serial', 'profile', 'status', 'not_before', 'not_after', 'revocation_reason'])
      .where('card_id', '=', c.id)
      .orderBy('profile')
      .execute();
    const history = await ctx.store.db
      .selectFrom('audit_log')
      .select(['at', 'action', 'outcome'])
      .where('target_type', '=', 'card')
      .where('target_id', '=', c.id)
      .where('outcome', '=', 'ok')
      .orderBy('seq')
      .execute();
    out.push({
      id: c.id,
      serial: c.serial,
      modelLabel: c.label,
      state: c.state,
      stateLabel: CARD_STATE_LABELS[c.state as CardState],
      stateChangedAt: c.state_changed_at,
      expiresAt: c.expires_at,
      certificates: certs.map((x) => ({
        serial: x.serial,
        profile: x.profile,
        profileLabel: PROFILE_LABELS[x.profile] ?? x.profile,
        status: x.status,
        statusLabel: STATUS_LABELS[x.status as CertificateStatus],
        notBefore: x.not_before,
        notAfter: x.not_after,
      })),
      history: history.map((h) => ({ at: h.at, action: h.action })),
      documents: (await listCardDocuments(ctx, c.id)).filter((d) => d.kind !== 'identity_copy'),
    });
  }
  return {
    holder: holder
      ? { lastName: holder.last_name, firstNames: holder.first_names, birthDate: holder.birth_date }
      : null,
    cards: out,
    secretsDefined: secrets !== undefined,
    secretsUpdatedAt: secrets?.updated_at ?? null,
  };
}
