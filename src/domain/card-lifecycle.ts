// Life of a card ("support") on the platform, as DOMAIN.md draws it. Pure: no clock, no I/O.

export const CARD_STATES = [
  'ordered',
  'in_production',
  'shipped',
  'received',
  'handed_over',
  'activated',
  'active',
  'blocked',
  'suspended',
  'invalidated',
  'revoked',
  'returned',
  'destroyed',
  'expired',
] as const;
export type CardState = (typeof CARD_STATES)[number];

export const CARD_STATE_LABELS: Record<CardState, string> = {
  ordered: 'Commandée',
  in_production: 'En production',
  shipped: 'Expédiée',
  received: 'Reçue, à remettre',
  handed_over: 'Remise au porteur',
  activated: 'Activée, à finaliser',
  active: 'Active',
  blocked: 'Bloquée',
  suspended: 'Suspendue',
  invalidated: 'Invalidée',
  revoked: 'Révoquée',
  returned: 'Restituée',
  destroyed: 'Détruite',
  expired: 'Expirée',
};

const NEXT: Record<CardState, readonly CardState[]> = {
  ordered: ['in_production', 'invalidated'],
  in_production: ['shipped', 'invalidated'],
  shipped: ['received', 'invalidated'],
  received: ['handed_over', 'invalidated'],
  handed_over: ['activated', 'revoked', 'invalidated'],
  activated: ['active', 'blocked', 'revoked'],
  active: ['blocked', 'suspended', 'revoked', 'expired'],
  blocked: ['active', 'activated', 'revoked'],
  suspended: ['active', 'revoked'],
  invalidated: ['destroyed'],
  revoked: ['returned', 'destroyed'],
  returned: ['destroyed'],
  expired: ['returned', 'destroyed'],
  destroyed: [],
};

export function isCardState(value: string): value is CardState {
  return (CARD_STATES as readonly string[]).includes(value);
}

export function canMove(from: CardState, to: CardState): boolean {
  return NEXT[from].includes(to);
}

/** The next state, or a French reason why the move is not allowed. */
export function moveCard(
  from: CardState,
  to: CardState,
): { ok: true; state: CardState } | { ok: false; reason: string } {
  if (canMove(from, to)) return { ok: true, state: to };
  return {
    ok: false,
    reason: `Une carte « ${CARD_STATE_LABELS[from]} » ne peut pas passer à l'état « ${CARD_STATE_LABELS[to]} ».`,
  };
}

/** States in which a card is "in progress" for its holder: a new order for the same model waits. */
export const CARD_IN_PROGRESS: readonly CardState[] = [
  'ordered',
  'in_production',
  'shipped',
  'received',
  'handed_over',
  'activated',
];

/** States in which the holder may sign in with the card (its certificates must be valid too). */
export const CARD_USABLE: readonly CardState[] = ['activated', 'active'];

/** Card validity in years (004: a card lasts 6 years). */
export const CARD_YEARS = 6;
