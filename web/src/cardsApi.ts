// Client of the card routes of the API (docs/cards.md §3-5): card sign-in, action signatures,
// requests, batches, billing, cards and production. Same transport as api.ts.
import { request, withQuery, type Page, type Session } from './api.ts';

export interface ActionSignaturePayload {
  nonce: string;
  signature: string;
  certificate: string;
}

export interface CardModel {
  id: string;
  code: string;
  label: string;
  population: string;
  populationLabel?: string;
  kind: string;
  kindLabel?: string;
  profiles: string[];
  cardYears: number;
  status: string;
}

export interface Prerequisite {
  code: string;
  label: string;
  ok: boolean;
  reason: string | null;
}

export interface Quota {
  billing: string;
  billingLabel?: string;
  priceCents: number;
  /** French explanation of the quota decision. */
  reason: string;
}

export interface PrerequisitesResult {
  agentId: string;
  modelId: string;
  kind: string;
  reason: string | null;
  /** All prerequisites hold. */
  ok: boolean;
  prerequisites: Prerequisite[];
  quota: Quota;
}

/** What the card signs (docs/cards.md §3), as the server computes it. */
export interface ActionToSign {
  action: string;
  target: string;
  content: unknown;
}

export interface CardRequest {
  id: string;
  number: string;
  state: string;
  stateLabel?: string;
  kind: string;
  kindLabel?: string;
  reason: string | null;
  reasonLabel?: string | null;
  agent: { id: string; identifier: string; firstNames: string; lastName: string };
  organizationId: string;
  organizationName: string;
  model: { id: string; code: string; label: string };
  billing: string;
  billingLabel?: string;
  priceCents: number;
  batch: { id: string; number: string } | null;
  replacesCardId: string | null;
  cardId: string | null;
  createdBy: string | null;
  signedBy: string | null;
  signedAt: string | null;
  rejectionReason: string | null;
  cancelReason?: string | null;
  cancelledAt?: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface CardRequestDetail extends CardRequest {
  prerequisites: Prerequisite[];
  prerequisitesOk: boolean;
  quota: Quota;
  /** What the operator's card signs to sign this request now; null when it cannot be signed. */
  toSign: ActionToSign | null;
}

export interface ManufacturerMessage {
  id: string;
  kind: string;
  kindLabel?: string;
  /** 'out': platform → manufacturer; 'in': manufacturer → platform. */
  direction: string;
  fileName?: string | null;
  status?: string;
  /** French note (rejection reason, refusal...). */
  message?: string | null;
  createdAt: string;
}

export interface Batch {
  id: string;
  number: string;
  state: string;
  stateLabel?: string;
  organizationId: string;
  organizationName: string;
  createdBy: string | null;
  createdAt: string;
  validatedBy: string | null;
  validatedAt: string | null;
  sentAt: string | null;
  acknowledgedAt: string | null;
  closedAt: string | null;
  updatedAt?: string;
  requestCount?: number;
  cancelledCount?: number;
}

export interface BatchDetail extends Batch {
  requests: CardRequest[];
  /** What the registration authority's card signs to validate the batch now (null once validated). */
  toSign: ActionToSign | null;
  messages?: ManufacturerMessage[];
}

export interface Card {
  id: string;
  serial: string;
  state: string;
  stateLabel?: string;
  modelCode: string;
  modelLabel: string;
  holder: { id: string; identifier: string; lastName: string; firstNames: string; email: string | null };
  organizationId: string;
  organizationName: string;
  operatorOrganizationId: string;
  operatorOrganizationName: string;
  letterState: string | null;
  letterStateLabel: string | null;
  producedAt: string | null;
  shippedAt: string | null;
  receivedAt: string | null;
  expiresAt: string | null;
}

export interface CardCertificate {
  serial: string;
  profile: string;
  profileLabel: string;
  status: string;
  statusLabel: string;
  subjectDn: string;
  notBefore: string;
  notAfter: string;
  sha256: string;
  caName: string;
}

export interface CardDetail extends Card {
  holder: Card['holder'] & { phone: string | null; unitAddress: string | null };
  requestId: string | null;
  requestNumber: string | null;
  batchId: string | null;
  batchNumber: string | null;
  stateChangedAt: string;
  createdAt: string;
  receivedBy: string | null;
  letter: {
    state: string | null;
    stateLabel: string | null;
    sentAt: string | null;
    reference: string | null;
    codeAvailable: boolean;
    codeAttempts: number;
    codeUsedAt: string | null;
  };
  certificates: CardCertificate[];
  history: { seq: number; at: string; action: string; outcome: string; actor: string | null; summary: unknown }[];
}

export interface Holder {
  agentId: string;
  identifier: string;
  lastName: string;
  firstNames: string;
  email: string | null;
  organizationName: string;
  cardCount: number;
  latestCard: { id: string; serial: string; state: string; stateLabel: string } | null;
}

export interface BillingEntry {
  id: string;
  createdAt: string;
  organizationId: string;
  organizationName: string;
  requestId: string;
  requestNumber: string;
  agentId: string;
  agentIdentifier: string;
  agentName: string;
  label: string;
  amountCents: number;
}

export interface BillingLedger {
  items: BillingEntry[];
  total: number;
  totalCents: number;
  page: number;
  pageSize: number;
}

export interface ProductionBatch {
  id: string;
  number: string;
  state: string;
  organizationId: string;
  organizationName: string;
  validatedAt: string | null;
  sentAt: string | null;
  acknowledgedAt: string | null;
  closedAt: string | null;
  /** Count of requests and cards per state. */
  requests: Record<string, number>;
  cards: Record<string, number>;
  messages: ManufacturerMessage[];
}

/** Some list routes answer a bare `{ items }`, others a page: the pages read both. */
export type List<T> = {
  items: T[];
  total?: number;
  totalExact?: boolean;
  page?: number;
  pageSize?: number;
  next?: string | null;
};

const id = encodeURIComponent;

/** What the operator's card signs to record a card's reception (server: src/app/cards.ts). */
export function receiveCardAction(card: { id: string; serial: string }) {
  return { action: 'card.receive', target: card.id, content: { serial: card.serial } };
}

/** What the operator's card signs to ask for the activation code again. */
export function resendCodeAction(card: { id: string; serial: string }, channel: 'post' | 'email') {
  return { action: 'card.resend-code', target: card.id, content: { serial: card.serial, channel } };
}

export const cardsApi = {
  // Card sign-in (§3)
  cardChallenge: () =>
    request<{ challengeId: string; challenge: string; expiresAt?: string; origin?: string }>(
      'POST',
      '/api/session/card/challenge',
      { expect401: true },
    ),
  cardSignIn: (body: { challengeId: string; certificate: string; signature: string }) =>
    request<Session>('POST', '/api/session/card', { json: body, expect401: true }),

  // Action signatures
  signatureNonce: () => request<{ nonce: string; expiresAt?: string }>('POST', '/api/signatures/nonce'),

  // Requests (§4)
  cardModels: () => request<List<CardModel>>('GET', '/api/card-models'),
  prerequisites: (agentId: string, modelId: string, kind: string, reason?: string) =>
    request<PrerequisitesResult>('GET', `/api/agents/${id(agentId)}/card-prerequisites`, {
      query: { modelId, kind, reason },
    }),
  createRequest: (body: {
    agentId: string;
    modelId: string;
    kind: string;
    reason?: string | null;
    replacesCardId?: string | null;
  }) => request<CardRequestDetail>('POST', '/api/card-requests', { json: body }),
  requests: (query: {
    state?: string;
    q?: string;
    agentId?: string;
    batchId?: string;
    organizationId?: string;
    page?: number;
    pageSize?: number;
  }) => request<List<CardRequest>>('GET', '/api/card-requests', { query }),
  request: (requestId: string) => request<CardRequestDetail>('GET', `/api/card-requests/${id(requestId)}`),
  signRequest: (requestId: string, signature: ActionSignaturePayload) =>
    request<CardRequestDetail>('POST', `/api/card-requests/${id(requestId)}/sign`, { json: { signature } }),
  cancelRequest: (requestId: string, reason: string, signature: ActionSignaturePayload) =>
    request<CardRequestDetail>('POST', `/api/card-requests/${id(requestId)}/cancel`, { json: { reason, signature } }),

  // Batches
  createBatch: (body: { requestIds: string[]; signature: ActionSignaturePayload }) =>
    request<BatchDetail>('POST', '/api/batches', { json: body }),
  batches: (query: { q?: string; state?: string; organizationId?: string; page?: number; pageSize?: number }) =>
    request<List<Batch>>('GET', '/api/batches', { query }),
  batch: (batchId: string) => request<BatchDetail>('GET', `/api/batches/${id(batchId)}`),
  validateBatch: (batchId: string, signature: ActionSignaturePayload) =>
    request<BatchDetail>('POST', `/api/batches/${id(batchId)}/validate`, { json: { signature } }),

  // Billing
  billing: (query: { organizationId?: string; from?: string; to?: string; page?: number; pageSize?: number }) =>
    request<BillingLedger>('GET', '/api/billing', { query }),
  billingCsvUrl: (query: { organizationId?: string; from?: string; to?: string }) =>
    withQuery('/api/billing.csv', query),

  // Cards and production (§5)
  cards: (query: {
    q?: string;
    state?: string;
    batchId?: string;
    organizationId?: string;
    page?: number;
    pageSize?: number;
  }) => request<Page<Card>>('GET', '/api/cards', { query }),
  card: (cardId: string) => request<CardDetail>('GET', `/api/cards/${id(cardId)}`),
  cardsToHandOver: (query: { q?: string; page?: number; pageSize?: number }) =>
    request<Page<Card>>('GET', '/api/cards/to-hand-over', { query }),
  receiveCard: (cardId: string, signature: ActionSignaturePayload) =>
    request<{ state: string; mailed: boolean }>('POST', `/api/cards/${id(cardId)}/receive`, { json: { signature } }),
  resendCode: (cardId: string, channel: 'post' | 'email', signature: ActionSignaturePayload) =>
    request<{ letterState: string; messageId: string }>('POST', `/api/cards/${id(cardId)}/resend-code`, {
      json: { channel, signature },
    }),
  holders: (query: { q?: string; page?: number; pageSize?: number }) =>
    request<Page<Holder>>('GET', '/api/holders', { query }),
  production: (query: { batchId?: string; limit?: number } = {}) =>
    request<{ items: ProductionBatch[] }>('GET', '/api/production', { query }),
};
