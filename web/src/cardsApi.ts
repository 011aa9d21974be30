// Client of the card routes of the API (docs/cards.md §3-5): card sign-in, action signatures,
// requests, batches, billing, cards and production. Same transport as api.ts.
import type { Static } from '@sinclair/typebox';
import type * as Access from '../../src/http/schemas/access.ts';
import type * as Desk from '../../src/http/schemas/desk.ts';
import type * as Requests from '../../src/http/schemas/requests.ts';
import { request, withQuery, type Items, type KeysetPage, type Page, type Session } from './api.ts';

export type ActionSignaturePayload = Static<typeof Access.ActionSignature>;
export type CardChallenge = Static<typeof Access.CardChallenge>;
export type CardSignIn = Static<typeof Access.CardSignIn>;
export type ActionNonce = Static<typeof Access.ActionNonce>;
export type CardModel = Static<typeof Requests.CardModel>;
export type Prerequisite = Static<typeof Requests.Prerequisite>;
export type Quota = Static<typeof Requests.Quota>;
export type PrerequisitesResult = Static<typeof Requests.PrerequisitesResult>;
export type CardRequest = Static<typeof Requests.CardRequest>;
export type CardRequestDetail = Static<typeof Requests.CardRequestDetail>;
export type CardRequestInput = Static<typeof Requests.CardRequestInput>;
export type CardRequestSearch = Static<typeof Requests.CardRequestSearch>;
export type Batch = Static<typeof Requests.Batch>;
export type BatchDetail = Static<typeof Requests.BatchDetail>;
export type BatchSearch = Static<typeof Requests.BatchSearch>;
export type BillingQuery = Static<typeof Requests.BillingQuery>;
export type BillingEntry = Static<typeof Requests.BillingEntry>;
export type BillingLedger = Static<typeof Requests.BillingLedger>;
export type ManufacturerMessage = Static<typeof Requests.ManufacturerMessage>;
export type ProductionBatch = Static<typeof Requests.ProductionBatch>;
export type ProductionQuery = Static<typeof Requests.ProductionQuery>;
export type Card = Static<typeof Desk.CardSummary>;
export type CardSearch = Static<typeof Desk.CardSearch>;
export type NameSearch = Static<typeof Desk.NameSearch>;
export type CardCertificate = Static<typeof Desk.CardCertificate>;
export type CardDetail = Static<typeof Desk.CardDetail>;
export type CardReceived = Static<typeof Desk.CardReceived>;
export type CodeResent = Static<typeof Desk.CodeResent>;
export type Holder = Static<typeof Desk.Holder>;

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
  cardChallenge: () => request<CardChallenge>('POST', '/api/session/card/challenge', { expect401: true }),
  cardSignIn: (body: CardSignIn) => request<Session>('POST', '/api/session/card', { json: body, expect401: true }),

  // Action signatures
  signatureNonce: () => request<ActionNonce>('POST', '/api/signatures/nonce'),

  // Requests (§4)
  cardModels: () => request<Items<CardModel>>('GET', '/api/card-models'),
  prerequisites: (agentId: string, modelId: string, kind: CardRequestInput['kind'], reason?: string) =>
    request<PrerequisitesResult>('GET', `/api/agents/${id(agentId)}/card-prerequisites`, {
      query: { modelId, kind, reason },
    }),
  createRequest: (body: CardRequestInput) => request<CardRequestDetail>('POST', '/api/card-requests', { json: body }),
  requests: (query: CardRequestSearch) => request<KeysetPage<CardRequest>>('GET', '/api/card-requests', { query }),
  request: (requestId: string) => request<CardRequestDetail>('GET', `/api/card-requests/${id(requestId)}`),
  signRequest: (requestId: string, signature: ActionSignaturePayload) =>
    request<CardRequestDetail>('POST', `/api/card-requests/${id(requestId)}/sign`, { json: { signature } }),
  cancelRequest: (requestId: string, reason: string, signature: ActionSignaturePayload) =>
    request<CardRequestDetail>('POST', `/api/card-requests/${id(requestId)}/cancel`, { json: { reason, signature } }),

  // Batches
  createBatch: (body: { requestIds: string[]; signature: ActionSignaturePayload }) =>
    request<BatchDetail>('POST', '/api/batches', { json: body }),
  batches: (query: BatchSearch) => request<Page<Batch>>('GET', '/api/batches', { query }),
  batch: (batchId: string) => request<BatchDetail>('GET', `/api/batches/${id(batchId)}`),
  validateBatch: (batchId: string, signature: ActionSignaturePayload) =>
    request<BatchDetail>('POST', `/api/batches/${id(batchId)}/validate`, { json: { signature } }),

  // Billing
  billing: (query: BillingQuery) => request<BillingLedger>('GET', '/api/billing', { query }),
  billingCsvUrl: (query: Omit<BillingQuery, 'page' | 'pageSize'>) => withQuery('/api/billing.csv', query),

  // Cards and production (§5)
  cards: (query: CardSearch) => request<KeysetPage<Card>>('GET', '/api/cards', { query }),
  card: (cardId: string) => request<CardDetail>('GET', `/api/cards/${id(cardId)}`),
  cardsToHandOver: (query: NameSearch) => request<KeysetPage<Card>>('GET', '/api/cards/to-hand-over', { query }),
  receiveCard: (cardId: string, signature: ActionSignaturePayload) =>
    request<CardReceived>('POST', `/api/cards/${id(cardId)}/receive`, { json: { signature } }),
  resendCode: (cardId: string, channel: 'post' | 'email', signature: ActionSignaturePayload) =>
    request<CodeResent>('POST', `/api/cards/${id(cardId)}/resend-code`, {
      json: { channel, signature },
    }),
  holders: (query: NameSearch) => request<KeysetPage<Holder>>('GET', '/api/holders', { query }),
  production: (query: ProductionQuery = {}) => request<Items<ProductionBatch>>('GET', '/api/production', { query }),
};
