// Life of a card certificate. Pure rules: no I/O, no clock (dates are passed in).
//
//   issued ──accept──▶ valid ──suspend (certificateHold)──▶ suspended ──resume──▶ valid
//     │                  │                                     │
//     └──revoke──▶ revoked ◀──revoke──────────────────────────┘
//                        valid ──expire──▶ expired (a suspended one stays on hold: reason certificateHold)
//
// A revoked certificate is never reinstated: only a suspension (certificateHold) can be lifted.

export const CERTIFICATE_STATUSES = ['issued', 'valid', 'suspended', 'revoked', 'expired'] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

export const STATUS_LABELS: Record<CertificateStatus, string> = {
  issued: 'Émis (en attente d’acceptation)',
  valid: 'Valide',
  suspended: 'Suspendu',
  revoked: 'Révoqué',
  expired: 'Expiré',
};

/** RFC 5280 CRLReason names (5.3.1) that a revocation may carry; code 7 is unused and removeFromCRL is not a revocation. */
export const REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  'privilegeWithdrawn',
  'aACompromise',
] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

/** CRLReason code of each name (RFC 5280, 5.3.1). */
export const REASON_CODES: Record<RevocationReason, number> = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  privilegeWithdrawn: 9,
  aACompromise: 10,
};

export const REASON_LABELS: Record<RevocationReason, string> = {
  unspecified: 'Non précisée',
  keyCompromise: 'Compromission de la clé',
  cACompromise: "Compromission de l'autorité de certification",
  affiliationChanged: "Changement d'affectation",
  superseded: 'Remplacé',
  cessationOfOperation: "Cessation d'activité",
  certificateHold: 'Suspension',
  privilegeWithdrawn: 'Retrait des droits',
  aACompromise: "Compromission de l'autorité d'attributs",
};

export function isRevocationReason(value: string): value is RevocationReason {
  return (REVOCATION_REASONS as readonly string[]).includes(value);
}

export type CertificateEvent =
  | { kind: 'accept' }
  | { kind: 'suspend' }
  | { kind: 'resume' }
  | { kind: 'revoke'; reason: RevocationReason }
  | { kind: 'expire' };

export interface CertificateState {
  status: CertificateStatus;
  /** RFC 5280 reason when revoked; 'certificateHold' while suspended; null otherwise. */
  reason: RevocationReason | null;
}

export type Transition = { ok: true; state: CertificateState } | { ok: false; message: string };

const refuse = (message: string): Transition => ({ ok: false, message });
const to = (status: CertificateStatus, reason: RevocationReason | null = null): Transition => ({
  ok: true,
  state: { status, reason },
});

/** The state after `event`, or the French reason it is refused. */
export function transition(state: CertificateState, event: CertificateEvent): Transition {
  const s = state.status;
  if (s === 'revoked') return refuse('Ce certificat est révoqué : une révocation est définitive.');
  if (s === 'expired') return refuse('Ce certificat est expiré : son statut ne change plus.');
  switch (event.kind) {
    case 'accept':
      return s === 'issued'
        ? to('valid')
        : refuse("Seul un certificat émis, en attente d'acceptation, peut être accepté.");
    case 'suspend':
      if (s === 'suspended') return refuse('Ce certificat est déjà suspendu.');
      return s === 'valid'
        ? to('suspended', 'certificateHold')
        : refuse('Seul un certificat valide peut être suspendu.');
    case 'resume':
      return s === 'suspended' ? to('valid') : refuse('Seul un certificat suspendu peut être réactivé.');
    case 'revoke':
      if (event.reason === 'certificateHold')
        return refuse('La suspension (certificateHold) se demande comme une suspension, pas comme une révocation.');
      return to('revoked', event.reason);
    case 'expire':
      // Expiry keeps what OCSP tells of the certificate (RFC 6960 §4.4.4, archiveCutoff): one on hold
      // when it expired stays on hold.
      if (s === 'suspended') return to('expired', 'certificateHold');
      return s === 'valid' || s === 'issued' ? to('expired') : refuse('Transition impossible.');
  }
}

/** True when a relying party may trust the certificate (OCSP "good"), given its dates. */
export function isGood(state: CertificateState): boolean {
  return state.status === 'valid' || state.status === 'issued';
}

/**
 * Status as published by OCSP / CRL: a suspended certificate is revoked with reason certificateHold;
 * an expired one keeps the status it had at expiry (on hold, or good).
 */
export function publishedStatus(state: CertificateState): 'good' | 'revoked' {
  if (state.status === 'expired') return state.reason === null ? 'good' : 'revoked';
  return state.status === 'revoked' || state.status === 'suspended' ? 'revoked' : 'good';
}
