// Card requests and batches of requests: states as DOMAIN.md names them. Pure.

export const REQUEST_STATES = [
  'draft',
  'complete',
  'signed',
  'in_batch',
  'validated',
  'sent',
  'fulfilled',
  'rejected',
  'cancelled',
] as const;
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

export const BATCH_STATES = [
  'open',
  'validated',
  'sent',
  'acknowledged',
  'in_production',
  'closed',
  'rejected',
] as const;
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

export function moveRequest(
  from: RequestState,
  to: RequestState,
): { ok: true; state: RequestState } | { ok: false; reason: string } {
  if (canMoveRequest(from, to)) return { ok: true, state: to };
  return {
    ok: false,
    reason: `Une demande « ${REQUEST_STATE_LABELS[from]} » ne peut pas passer à l'état « ${REQUEST_STATE_LABELS[to]} ».`,
  };
}

/** Requests that still hold the agent's place: a second request for the same model is refused. */
export const REQUEST_OPEN: readonly RequestState[] = ['draft', 'complete', 'signed', 'in_batch', 'validated', 'sent'];

/** Price of a billed card, in euro cents, before tax (004: 30 € HT). */
export const BILLED_CARD_CENTS = 3000;
/** Free quota: one card per agent per this many years per organisation (004). */
export const FREE_QUOTA_YEARS = 6;

// ---------------------------------------------------------------------------------------------
// Reasons of renewals and replacements (000: usage cases; 004: what a replacement costs).

export const RENEWAL_REASONS = ['card_expiry', 'status_change'] as const;
export const REPLACEMENT_REASONS = ['malfunction', 'loss', 'theft', 'breakage', 'forgotten_pin'] as const;
export type RequestReason = (typeof RENEWAL_REASONS)[number] | (typeof REPLACEMENT_REASONS)[number];

export const REQUEST_REASON_LABELS: Record<RequestReason, string> = {
  card_expiry: 'Carte arrivée à expiration',
  status_change: 'Changement de statut (civil/militaire, catégorie)',
  malfunction: 'Dysfonctionnement',
  loss: 'Perte',
  theft: 'Vol',
  breakage: 'Casse',
  forgotten_pin: 'Oubli du code PIN',
};

export function isRequestKind(value: string): value is RequestKind {
  return (REQUEST_KINDS as readonly string[]).includes(value);
}

/** French problem with the kind/reason pair, or null when it is well-formed. */
export function checkKindReason(
  kind: string,
  reason: string | null | undefined,
): { field: string; reason: string } | null {
  if (!isRequestKind(kind))
    return {
      field: 'kind',
      reason: 'Type de demande inconnu (première demande, renouvellement, remplacement ou support instantané).',
    };
  if (kind === 'renewal' && !(RENEWAL_REASONS as readonly string[]).includes(reason ?? '')) {
    return {
      field: 'reason',
      reason: 'Un renouvellement indique son motif : carte arrivée à expiration ou changement de statut.',
    };
  }
  if (kind === 'replacement' && !(REPLACEMENT_REASONS as readonly string[]).includes(reason ?? '')) {
    return {
      field: 'reason',
      reason: 'Un remplacement indique son motif : dysfonctionnement, perte, vol, casse ou oubli du code PIN.',
    };
  }
  if ((kind === 'first_issue' || kind === 'instant') && reason) {
    return { field: 'reason', reason: "Une première demande ou un support instantané n'a pas de motif." };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Prerequisites of an order (000 CIMS, 002 ASSCAP, 004 convention), shown one by one.

export const PREREQUISITE_CODES = [
  'eligibility',
  'identity',
  'unit_address',
  'photo',
  'directory_record',
  'no_card_in_progress',
  'trusted_roles',
] as const;
export type PrerequisiteCode = (typeof PREREQUISITE_CODES)[number];

export const PREREQUISITE_LABELS: Record<PrerequisiteCode, string> = {
  eligibility: 'Agent ayant droit à la carte',
  identity: "Données d'identité vérifiées",
  unit_address: "Adresse postale de l'unité d'affectation",
  photo: "Photo d'identité conforme (norme ICAO)",
  directory_record: 'Fiche annuaire (AGAEC / Annudef) à jour',
  no_card_in_progress: 'Aucune autre carte en cours pour ce modèle',
  trusted_roles: "Rôles de confiance de l'organisation actifs",
};

export interface Prerequisite {
  code: PrerequisiteCode;
  label: string;
  ok: boolean;
  /** Why it fails, in French; null when it holds. */
  reason: string | null;
}

/** How an organisation decides who may have a card. */
export type EligibilityRule = 'allocation_plan' | 'agreement' | 'active_agent';

export interface PrerequisiteFacts {
  rule: EligibilityRule;
  agentActive: boolean;
  /** Armed forces: the agent is in the allocation plan of `planYear`. */
  inAllocationPlan: boolean;
  planYear: number;
  /** Municipality: state of its agreement (domain/agreement.ts), null when there is none. */
  agreementState: string | null;
  /** Municipality: the agent's profile (officier / agent d'état civil...), and whether the agreement names them. */
  profile: string | null;
  isDelegateOrMayor: boolean;
  identityVerified: boolean;
  /** The agent's unit address, else the organisation's postal address. */
  unitAddress: string | null;
  organizationAddress: string | null;
  hasPhoto: boolean;
  directoryRecord: boolean;
  /** Another open request for the same agent and model (its number and state). */
  otherRequest: { number: string; state: RequestState } | null;
  /** A card of the same model still on its way to the agent (its serial and French state label). */
  cardInProgress: { serial: string; stateLabel: string } | null;
  trustedRolesSuspended: boolean;
  /** The actor is the registration authority taking over the suspended organisation's orders. */
  actorTakesOver: boolean;
}

/** Profiles of 004 entitled to a card in a municipality (COMEDEC: officers and agents of civil status; TES: intake/hand-over agents). */
export function municipalProfileEntitled(profile: string | null): boolean {
  const p = (profile ?? '').normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/[’']/g, ' ');
  return (
    /\b(officier|agent)s? d\s?etat civil\b/.test(p) ||
    /\b(officier|agent)s? de (recueil|remise)\b/.test(p) ||
    /\bmaire\b/.test(p)
  );
}

const AGREEMENT_IN_FORCE = new Set(['active', 'notice']);

function item(code: PrerequisiteCode, failure: string | null): Prerequisite {
  return { code, label: PREREQUISITE_LABELS[code], ok: failure === null, reason: failure };
}

function eligibility(f: PrerequisiteFacts): string | null {
  if (!f.agentActive) return "La fiche de l'agent est désactivée.";
  if (f.rule === 'allocation_plan') {
    return f.inAllocationPlan ? null : `L'agent ne figure pas au plan annuel de dotation ${f.planYear} de son unité.`;
  }
  if (f.rule === 'agreement') {
    if (f.agreementState === null) return "La commune n'a pas signé de convention d'adhésion.";
    if (!AGREEMENT_IN_FORCE.has(f.agreementState))
      return "La convention d'adhésion de la commune n'est pas en vigueur.";
    if (!f.isDelegateOrMayor && !municipalProfileEntitled(f.profile)) {
      return "Le profil de l'agent n'ouvre pas droit à la carte (officier ou agent d'état civil, maire ou délégataire désigné dans la convention).";
    }
  }
  return null;
}

/** Every prerequisite, in the order the sources list them, each with its French reason when it fails. */
export function evaluatePrerequisites(f: PrerequisiteFacts): Prerequisite[] {
  const other = f.otherRequest
    ? `Une autre demande est en cours pour ce modèle (${f.otherRequest.number}, « ${REQUEST_STATE_LABELS[f.otherRequest.state]} »).`
    : f.cardInProgress
      ? `Une carte de ce modèle est déjà en cours pour l'agent (n° ${f.cardInProgress.serial}, « ${f.cardInProgress.stateLabel} »).`
      : null;
  return [
    item('eligibility', eligibility(f)),
    item(
      'identity',
      f.identityVerified
        ? null
        : "Les données d'identité (nom, prénoms, sexe, date et lieu de naissance) n'ont pas été vérifiées par rapport au titre d'identité.",
    ),
    item(
      'unit_address',
      (f.unitAddress ?? '').trim() || (f.organizationAddress ?? '').trim()
        ? null
        : "Ni l'agent ni son organisation n'ont d'adresse postale : la carte ne peut pas être expédiée.",
    ),
    item(
      'photo',
      f.hasPhoto
        ? null
        : "Aucune photo d'identité conforme (JPEG 283 × 378 pixels, 300 dpi, 30 Ko au plus) n'a été déposée.",
    ),
    item(
      'directory_record',
      f.directoryRecord
        ? null
        : "L'agent n'a pas de fiche annuaire (AGAEC / Annudef) portant les mêmes données d'identité.",
    ),
    item('no_card_in_progress', other),
    item(
      'trusted_roles',
      !f.trustedRolesSuspended || f.actorTakesOver
        ? null
        : "Les rôles de confiance de l'organisation sont suspendus (non-conformité majeure) : la commande doit être passée par l'autorité d'enregistrement de rattachement.",
    ),
  ];
}

export function allHold(prerequisites: readonly Prerequisite[]): boolean {
  return prerequisites.every((p) => p.ok);
}

// ---------------------------------------------------------------------------------------------
// Quota and price (004 annex 1): one free card per agent per 6 years per organisation; a
// replacement after loss, theft, breakage or forgotten PIN, or a card beyond the quota, costs
// 30 € HT; a defective card is replaced free of charge.

export type Billing = 'free' | 'billed';

export const BILLING_LABELS: Record<Billing, string> = { free: 'Gratuite', billed: 'Facturée' };

export const BILLED_REPLACEMENT_REASONS: readonly RequestReason[] = ['loss', 'theft', 'breakage', 'forgotten_pin'];

export interface QuotaFacts {
  kind: RequestKind;
  reason: string | null;
  /** Free cards of this agent in this organisation ordered (signed) within the last FREE_QUOTA_YEARS years, this request excluded. */
  freeCardsInWindow: number;
}

export interface QuotaDecision {
  billing: Billing;
  priceCents: number;
  /** Why, in French. */
  reason: string;
}

export function quotaDecision(q: QuotaFacts): QuotaDecision {
  if (q.kind === 'replacement' && BILLED_REPLACEMENT_REASONS.includes(q.reason as RequestReason)) {
    return {
      billing: 'billed',
      priceCents: BILLED_CARD_CENTS,
      reason: `Remplacement après ${REQUEST_REASON_LABELS[q.reason as RequestReason].toLowerCase()} : 30 € HT par carte.`,
    };
  }
  if (q.kind === 'replacement' && q.reason === 'malfunction') {
    return { billing: 'free', priceCents: 0, reason: 'Remplacement gratuit en cas de défectuosité de la carte.' };
  }
  if (q.freeCardsInWindow > 0) {
    return {
      billing: 'billed',
      priceCents: BILLED_CARD_CENTS,
      reason: `Contingent gratuit épuisé (une carte par agent et par période de ${FREE_QUOTA_YEARS} ans dans l'organisation) : 30 € HT par carte.`,
    };
  }
  return {
    billing: 'free',
    priceCents: 0,
    reason: `Dans le contingent gratuit (une carte par agent et par période de ${FREE_QUOTA_YEARS} ans dans l'organisation).`,
  };
}

/** Start of the quota window: `FREE_QUOTA_YEARS` years before `nowIso` (same instant, UTC). */
export function quotaWindowStart(nowIso: string): string {
  const d = new Date(nowIso);
  d.setUTCFullYear(d.getUTCFullYear() - FREE_QUOTA_YEARS);
  return d.toISOString();
}

/** "30,00": euro cents as French decimal text, without the currency sign. */
export function formatEuros(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(cents));
  return `${sign}${Math.floor(abs / 100)},${String(abs % 100).padStart(2, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// Human numbers: D-2026-000123 for a request, L-2026-0001 for a batch.

export function requestNumber(year: number, n: number): string {
  return `D-${year}-${String(n).padStart(6, '0')}`;
}

export function batchNumber(year: number, n: number): string {
  return `L-${year}-${String(n).padStart(4, '0')}`;
}

/** Which population's card models (issuing CA) suit an organisation, from its ancestry (itself included). */
export function populationFor(
  ancestry: readonly { code: string; kind: string }[],
): 'armees' | 'collectivites' | 'etat' {
  if (ancestry.some((o) => o.code === 'MINARM' || o.kind === 'unit')) return 'armees';
  if (ancestry.some((o) => o.kind === 'municipality')) return 'collectivites';
  return 'etat';
}

/** How an organisation decides eligibility: the armed forces' allocation plan, a municipality's agreement, or none. */
export function eligibilityRule(kind: string): EligibilityRule {
  if (kind === 'unit') return 'allocation_plan';
  if (kind === 'municipality') return 'agreement';
  return 'active_agent';
}

// ---------------------------------------------------------------------------------------------
// What the operator's card signs for each change (docs/cards.md §3): the page and the server build
// the same content from the same facts.

export interface SignableRequest {
  id: string;
  number: string;
  agentId: string;
  modelId: string;
  kind: string;
  reason: string | null;
  replacesCardId: string | null;
  billing: string;
  priceCents: number;
}

export function signRequestAction(r: SignableRequest) {
  return {
    action: 'card-request.sign',
    target: r.id,
    content: {
      number: r.number,
      agentId: r.agentId,
      modelId: r.modelId,
      kind: r.kind,
      reason: r.reason,
      replacesCardId: r.replacesCardId,
      billing: r.billing,
      priceCents: r.priceCents,
    },
  };
}

export function cancelRequestAction(r: { id: string; number: string }, reason: string) {
  return { action: 'card-request.cancel', target: r.id, content: { number: r.number, reason } };
}

export function createBatchAction(organizationId: string, requestIds: readonly string[]) {
  return { action: 'batch.create', target: organizationId, content: { requestIds: [...requestIds].sort() } };
}

export function validateBatchAction(b: { id: string; number: string }, requestIds: readonly string[]) {
  return { action: 'batch.validate', target: b.id, content: { number: b.number, requestIds: [...requestIds].sort() } };
}
