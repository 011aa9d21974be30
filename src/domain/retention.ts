// How long personal data is kept (pure rules; the periods come from the configuration).
// - Audit and certificate records, and the agent's record itself: 7 years after the end of the
//   agent's last card and certificate (ETSI EN 319 411-1, records of the registration and of the
//   certificates kept at least 7 years after the certificate's expiry; OVR-6.4.6-01 in QUALITY.md).
// - Certified copy of the identity document (registration evidence): the same horizon by default,
//   counted from the end of the card it was taken for.
// - ICAO photo: only needed to order a card; deleted some months after the last card was produced
//   or the agent left, when nothing is in progress.
// The seeds give no duration for these documents: the periods are settings (config-operations.ts).

/** Card states after which the card is of no further use to its holder. */
export const CARD_ENDED = ['invalidated', 'revoked', 'returned', 'destroyed', 'expired'] as const;
/** Certificate statuses that no longer vouch for anything. */
export const CERTIFICATE_ENDED = ['revoked', 'expired'] as const;

export function addMonths(iso: string, months: number): string {
  const d = new Date(iso);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.toISOString();
}

export interface AgentFacts {
  status: string; // active | inactive | purged
  updatedAt: string;
  cards: { state: string; stateChangedAt: string }[];
  certificates: { status: string; notAfter: string; revokedAt: string | null }[];
  requestsInProgress: number;
}

/**
 * When the agent's relation with the service ended (inactive, every card ended, every certificate
 * revoked or expired, nothing in progress): the latest of those end dates; null while it goes on.
 */
export function agentEndedAt(f: AgentFacts): string | null {
  if (f.status !== 'inactive') return null;
  if (f.requestsInProgress > 0) return null;
  if (f.cards.some((c) => !(CARD_ENDED as readonly string[]).includes(c.state))) return null;
  if (f.certificates.some((c) => !(CERTIFICATE_ENDED as readonly string[]).includes(c.status))) return null;
  const dates = [
    f.updatedAt,
    ...f.cards.map((c) => c.stateChangedAt),
    // A revoked certificate's record is kept from its expiry, as an expired one's.
    ...f.certificates.map((c) => c.notAfter),
  ];
  return dates.reduce((a, b) => (a > b ? a : b));
}

/** True when the agent's records may be erased at `now` (recordsYears after the end). */
export function agentPurgeDue(f: AgentFacts, now: string, recordsYears: number): boolean {
  const ended = agentEndedAt(f);
  return ended !== null && addMonths(ended, recordsYears * 12) <= now;
}

/** True when the identity copy taken for a card may be deleted (identityCopyYears after its end). */
export function identityCopyDue(card: { state: string; stateChangedAt: string }, now: string, years: number): boolean {
  return (CARD_ENDED as readonly string[]).includes(card.state) && addMonths(card.stateChangedAt, years * 12) <= now;
}

/**
 * True when the photo may be deleted: nothing in progress (no request, no card before hand-over)
 * and `months` have passed since the last card was produced, or since the agent left.
 */
export function photoDue(
  f: { status: string; updatedAt: string; lastProducedAt: string | null; inProgress: number },
  now: string,
  months: number,
): boolean {
  if (f.inProgress > 0) return false;
  const since = f.status === 'active' ? f.lastProducedAt : [f.updatedAt, f.lastProducedAt ?? ''].sort().at(-1)!;
  return since !== null && since !== '' && addMonths(since, months) <= now;
}
