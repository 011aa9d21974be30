// Card requests and batches of requests: states as DOMAIN.md names them. Pure.

export const REQUEST_STATES = ['draft', 'complete', 'signed', 'in_batch', 'validated', 'sent', 'fulfilled', 'rejected', 'cancelled'] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

export const REQUEST_STATE_LABELS: Record<RequestState, string> = {
  draft: 'Brouillon',
  complete: 'Complète',
  signed: 'Signée',
  in_batch: 'Dans un lot',
  validated: 'Lot validé',
  sent: 'Envoyée au fabricant',
  fulfilled: 'Carte produite',
  rejected: 'Rejetée',
  cancelled: 'Annulée',
};

export const REQUEST_KINDS = ['first_issue', 'renewal', 'replacement', 'instant'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export const REQUEST_KIND_LABELS: Record<RequestKind, string> = {
  first_issue: 'Première demande',
  renewal: 'Renouvellement',
  replacement: 'Remplacement',
  instant: 'Support instantané',
};

export const BATCH_STATES = ['open', 'validated', 'sent', 'acknowledged', 'in_production', 'closed', 'rejected'] as const;
export type BatchState = (typeof BATCH_STATES)[number];

export const BATCH_STATE_LABELS: Record<BatchState, string> = {
  open: 'À valider',
  validated: 'Validé',
  sent: 'Envoyé au fabricant',
  acknowledged: 'Pris en compte par le fabricant',
  in_production: 'En production',
  closed: 'Terminé',
  rejected: 'Rejeté',
};

const NEXT_REQUEST: Record<RequestState, readonly RequestState[]> = {
  draft: ['complete', 'cancelled'],
  complete: ['draft', 'signed', 'cancelled'],
  signed: ['in_batch', 'cancelled'],
  in_batch: ['validated', 'signed', 'cancelled'],
  validated: ['sent', 'rejected'],
  sent: ['fulfilled', 'rejected'],
  fulfilled: [],
  rejected: [],
  cancelled: [],
};

export function canMoveRequest(from: RequestState, to: RequestState): boolean {
  return NEXT_REQUEST[from].includes(to);
}

export function moveRequest(from: RequestState, to: RequestState): { ok: true; state: RequestState } | { ok: false; reason: string } {
  if (canMoveRequest(from, to)) return { ok: true, state: to };
  return { ok: false, reason: `Une demande « ${REQUEST_STATE_LABELS[from]} » ne peut pas passer à l'état « ${REQUEST_STATE_LABELS[to]} ».` };
}

/** Requests that still hold the agent's place: a second request for the same model is refused. */
export const REQUEST_OPEN: readonly RequestState[] = ['draft', 'complete', 'signed', 'in_batch', 'validated', 'sent'];

/** Price of a billed card, in euro cents, before tax (004: 30 € HT). */
export const BILLED_CARD_CENTS = 3000;
/** Free quota: one card per agent per this many years per organisation (004). */
export const FREE_QUOTA_YEARS = 6;
