// French labels of the card domain: the same tables as the server's (pure domain modules).
import { CARD_STATE_LABELS } from '../../src/domain/card-lifecycle.ts';
import {
  BATCH_STATE_LABELS,
  BILLING_LABELS,
  REQUEST_KIND_LABELS,
  REQUEST_REASON_LABELS,
  REQUEST_STATE_LABELS,
  RENEWAL_REASONS,
  REPLACEMENT_REASONS,
  formatEuros,
} from '../../src/domain/card-request.ts';

export {
  BATCH_STATE_LABELS,
  BILLING_LABELS,
  CARD_STATE_LABELS,
  formatEuros,
  RENEWAL_REASONS,
  REPLACEMENT_REASONS,
  REQUEST_KIND_LABELS,
  REQUEST_REASON_LABELS,
  REQUEST_STATE_LABELS,
};

export const LETTER_STATE_LABELS: Record<string, string> = {
  printed: 'Imprimé',
  sent: 'Envoyé au porteur',
  resent_post: 'Renvoyé par courrier',
  resent_email: 'Renvoyé par messagerie',
};

export const MESSAGE_KIND_LABELS: Record<string, string> = {
  order: 'Commande',
  acknowledgement: 'Accusé de réception',
  rejection: 'Rejet',
  production: 'Production',
  shipping: 'Expédition',
};

export const MESSAGE_DIRECTION_LABELS: Record<string, string> = {
  out: 'Plateforme → fabricant',
  in: 'Fabricant → plateforme',
};

/** Badge colour of a state. */
export function stateSeverity(state: string): 'success' | 'error' | 'info' | 'warning' | 'new' {
  if (['fulfilled', 'closed', 'active', 'received', 'validated', 'signed'].includes(state)) return 'success';
  if (['rejected', 'cancelled', 'revoked', 'invalidated', 'blocked', 'destroyed', 'expired'].includes(state))
    return 'error';
  if (['draft', 'open', 'shipped', 'suspended'].includes(state)) return 'new';
  return 'info';
}

/** The holder's name from whatever a list item carries. */
export function holderName(x: {
  agentName?: string;
  firstNames?: string;
  lastName?: string;
  agent?: { firstNames: string; lastName: string };
  holder?: { firstNames: string; lastName: string };
}): string {
  if (x.agentName) return x.agentName;
  if (x.holder) return `${x.holder.firstNames} ${x.holder.lastName}`;
  if (x.agent) return `${x.agent.firstNames} ${x.agent.lastName}`;
  return [x.firstNames, x.lastName].filter(Boolean).join(' ') || '—';
}

/** `{ items }` or a bare array. */
export function itemsOf<T>(body: { items: T[] } | T[] | undefined | null): T[] {
  if (!body) return [];
  return Array.isArray(body) ? body : body.items;
}
