// Client of the card's life after reception (docs/api.md "Hand-over, activation and the card's
// life", "The holder's space") and of the card agent's administration routes (docs/cards.md §2).
// PINs only ever go to the card agent, never to the platform's server.
import type { Static } from '@sinclair/typebox';
import type * as Agent from '../../src/http/schemas/card-agent.ts';
import type * as Desk from '../../src/http/schemas/desk.ts';
import { ApiError, request, type CodeLabel, type Items, type Problem } from './api.ts';
import {
  CardAgentError,
  UNREACHABLE_MESSAGE,
  type AgentErrorBody,
  type CardAgentClient,
  type PinKind,
} from './cardAgent.ts';
import type { ActionSignaturePayload } from './cardsApi.ts';

const id = encodeURIComponent;

export type HolderInfo = Static<typeof Desk.HolderInfo>;
export type HandoverView = Static<typeof Desk.HandoverView>;
export type HandoverInput = Static<typeof Desk.HandoverInput>;
export type IdentityCopyStored = Static<typeof Desk.IdentityCopyStored>;
export type CardStateChanged = Static<typeof Desk.CardStateChanged>;
export type ActivationCertificate = Static<typeof Desk.ActivationCertificate>;
export type ActivationView = Static<typeof Desk.ActivationView>;
export type ActivationCodeAccepted = Static<typeof Desk.ActivationCodeAccepted>;
export type ActivationContent = Static<typeof Desk.ActivationContent>;
export type ActivationCompleted = Static<typeof Desk.ActivationCompleted>;
export type CardAdminResponse = Static<typeof Desk.CardAdminResponse>;
export type CardDestroyed = Static<typeof Desk.CardDestroyed>;
export type CardDocument = Static<typeof Desk.CardDocument>;
export type RenewalView = Static<typeof Desk.RenewalView>;
export type PresenceChallenge = Static<typeof Desk.PresenceChallenge>;
export type PresenceInput = Static<typeof Desk.PresenceInput>;
export type PresenceWindow = Static<typeof Desk.PresenceWindow>;
export type RenewalIssueInput = Static<typeof Desk.RenewalIssueInput>;
export type RenewedCertificate = Static<typeof Desk.RenewedCertificate>;
export type MyCard = Static<typeof Desk.MyCard>;
export type MyCards = Static<typeof Desk.MyCards>;
export type SecretsInput = Static<typeof Desk.SecretsInput>;
export type SecretsDefined = Static<typeof Desk.SecretsDefined>;
export type HolderAccessCard = Static<typeof Desk.HolderAccessCard>;
export type HolderAccessCards = Static<typeof Desk.HolderAccessCards>;
export type HolderIdentification = Static<typeof Desk.HolderIdentification>;
export type HolderAccessOpened = Static<typeof Desk.HolderAccessOpened>;
export type HolderUnblockInput = Static<typeof Desk.HolderUnblockInput>;
export type DeclarationKind = Static<typeof Desk.DeclarationKind>;
export type Declaration = Static<typeof Desk.Declaration>;
export type DeclarationRecorded = Static<typeof Desk.DeclarationRecorded>;
export type DepartureReason = Static<typeof Desk.DepartureReason>;
export type DepartureResult = Static<typeof Desk.DepartureResult>;
export type TransferInput = Static<typeof Desk.TransferInput>;
export type TransferResult = Static<typeof Desk.TransferResult>;

export const DECLARATION_LABELS: Record<DeclarationKind, string> = {
  loss: 'Perte',
  theft: 'Vol',
  temporary_loss: 'Perte temporaire (carte égarée)',
};

export const REVOCATION_REASONS: { code: string; label: string }[] = [
  { code: 'lost', label: 'Perte' },
  { code: 'stolen', label: 'Vol' },
  { code: 'departure', label: 'Départ (retraite, fin de contrat)' },
  { code: 'status_change', label: 'Changement de statut (civil/militaire, catégorie)' },
  { code: 'damaged', label: 'Dysfonctionnement ou casse' },
  { code: 'data_error', label: 'Données erronées' },
];

export const DESTRUCTION_METHODS: { code: string; label: string }[] = [
  { code: 'shredder', label: 'Broyeur' },
  { code: 'manufacturer', label: 'Renvoi au fabricant' },
  { code: 'incineration', label: 'Incinération' },
];

/** Identity document number as the server keeps and signs it: upper case, no spaces. */
export function normalizeDocumentNumber(value: string): string {
  return value.replace(/\s+/g, '').toUpperCase();
}

export const DEPARTURE_REASONS: { code: DepartureReason; label: string }[] = [
  { code: 'retirement', label: 'Départ à la retraite' },
  { code: 'end_of_contract', label: 'Fin de contrat' },
];

// --- What the operator's card signs (server: src/app/handover.ts, activation.ts, card-incidents.ts…)

type Ref = { id: string; serial: string };

export function handoverAction(card: Ref, f: { type: string; number: string; remarks: string | null }) {
  return {
    action: 'card.handover',
    target: card.id,
    content: {
      cardId: card.id,
      serial: card.serial,
      identityDocumentType: f.type,
      identityDocumentNumber: normalizeDocumentNumber(f.number),
      remarks: f.remarks,
    },
  };
}

export function cardAction(action: string, card: Ref, extra: Record<string, unknown> = {}) {
  return { action, target: card.id, content: { cardId: card.id, serial: card.serial, ...extra } };
}

export const lifeApi = {
  // Hand-over
  handover: (cardId: string) => request<HandoverView>('GET', `/api/cards/${id(cardId)}/handover`),
  uploadIdentityCopy: (cardId: string, file: File) =>
    request<IdentityCopyStored>('PUT', `/api/cards/${id(cardId)}/identity-copy`, {
      query: { fileName: file.name },
      body: file,
      contentType: file.type || 'application/octet-stream',
    }),
  handOver: (cardId: string, body: HandoverInput) =>
    request<CardStateChanged>('POST', `/api/cards/${id(cardId)}/handover`, { json: body }),
  invalidate: (cardId: string, reason: string, signature: ActionSignaturePayload) =>
    request<CardStateChanged>('POST', `/api/cards/${id(cardId)}/invalidate`, { json: { reason, signature } }),

  // Activation
  activation: (cardId: string) => request<ActivationView>('GET', `/api/cards/${id(cardId)}/activation`),
  attestationUrl: (cardId: string) => `/api/cards/${id(cardId)}/attestation.pdf`,
  refuse: (cardId: string, signature: ActionSignaturePayload) =>
    request<CardStateChanged>('POST', `/api/cards/${id(cardId)}/activation/refuse`, { json: { signature } }),
  activationCode: (cardId: string, code: string) =>
    request<ActivationCodeAccepted>('POST', `/api/cards/${id(cardId)}/activation/code`, {
      json: { code },
    }),
  activationAdminResponse: (cardId: string, operation: string, challenge: string) =>
    request<CardAdminResponse>('POST', `/api/cards/${id(cardId)}/activation/admin-response`, {
      json: { operation, challenge },
    }),
  activationContent: (cardId: string) =>
    request<ActivationContent>('GET', `/api/cards/${id(cardId)}/activation/content`),
  completeActivation: (cardId: string, signature: ActionSignaturePayload) =>
    request<ActivationCompleted>('POST', `/api/cards/${id(cardId)}/activation/complete`, {
      json: { signature },
    }),
  finalize: (cardId: string, signature: ActionSignaturePayload) =>
    request<CardStateChanged>('POST', `/api/cards/${id(cardId)}/finalize`, { json: { signature } }),

  // Unblock, incidents, end of life
  unblockResponse: (cardId: string, operation: string, challenge: string, signature: ActionSignaturePayload) =>
    request<CardAdminResponse>('POST', `/api/cards/${id(cardId)}/unblock-response`, {
      json: { operation, challenge, signature },
    }),
  revoke: (cardId: string, reason: string, comment: string | null, signature: ActionSignaturePayload) =>
    request<CardStateChanged>('POST', `/api/cards/${id(cardId)}/revoke`, { json: { reason, comment, signature } }),
  resume: (cardId: string, signature: ActionSignaturePayload) =>
    request<CardStateChanged>('POST', `/api/cards/${id(cardId)}/resume`, { json: { signature } }),
  returnCard: (cardId: string, signature: ActionSignaturePayload) =>
    request<CardStateChanged>('POST', `/api/cards/${id(cardId)}/return`, { json: { signature } }),
  destroy: (cardId: string, method: string, witness: string | null, signature: ActionSignaturePayload) =>
    request<CardDestroyed>('POST', `/api/cards/${id(cardId)}/destroy`, {
      json: { method, witness, signature },
    }),
  documentUrl: (cardId: string, documentId: string) => `/api/cards/${id(cardId)}/documents/${id(documentId)}`,
  documents: (cardId: string) => request<Items<CardDocument>>('GET', `/api/cards/${id(cardId)}/documents`),

  // Renewal
  renewal: (cardId: string) => request<RenewalView>('GET', `/api/cards/${id(cardId)}/renewal`),
  presenceChallenge: (cardId: string) =>
    request<PresenceChallenge>('POST', `/api/cards/${id(cardId)}/renewal/presence-challenge`),
  presence: (cardId: string, body: PresenceInput) =>
    request<PresenceWindow>('POST', `/api/cards/${id(cardId)}/renewal/presence`, { json: body }),
  presenceBySecrets: (cardId: string, holderAccess: string) =>
    request<PresenceWindow>('POST', `/api/cards/${id(cardId)}/renewal/presence-secrets`, {
      json: { holderAccess },
    }),
  renewalAdminResponse: (cardId: string, operation: string, challenge: string) =>
    request<CardAdminResponse>('POST', `/api/cards/${id(cardId)}/renewal/admin-response`, {
      json: { operation, challenge },
    }),
  renewalIssue: (cardId: string, body: RenewalIssueInput) =>
    request<RenewedCertificate>('POST', `/api/cards/${id(cardId)}/renewal/issue`, {
      json: body,
    }),

  // The holder's record
  resetSecrets: (agentId: string, signature: ActionSignaturePayload) =>
    request<void>('POST', `/api/agents/${id(agentId)}/reset-secrets`, { json: { signature } }),
  departure: (agentId: string, reason: DepartureReason, signature: ActionSignaturePayload) =>
    request<DepartureResult>('POST', `/api/agents/${id(agentId)}/departure`, { json: { reason, signature } }),
  transfer: (agentId: string, body: TransferInput) =>
    request<TransferResult>('POST', `/api/agents/${id(agentId)}/transfer`, { json: body }),

  // The holder's space (signed in with the card)
  myCards: () => request<MyCards>('GET', '/api/me/cards'),
  secretQuestions: () => request<Items<CodeLabel>>('GET', '/api/me/secret-questions'),
  defineSecrets: (body: SecretsInput) => request<SecretsDefined>('POST', '/api/me/secrets', { json: body }),
  declare: (cardId: string, body: Declaration) =>
    request<DeclarationRecorded>('POST', `/api/me/cards/${id(cardId)}/declare`, {
      json: body,
    }),

  // Without a usable card (secrets): no session cookie, the short-lived token in a header.
  holderAccess: (body: HolderIdentification) =>
    holderFetch<HolderAccessOpened>('POST', '/api/holder-access', null, body),
  holderAccessCards: (token: string) => holderFetch<HolderAccessCards>('GET', '/api/holder-access/cards', token),
  holderUnblockResponse: (token: string, body: HolderUnblockInput) =>
    holderFetch<CardAdminResponse>('POST', '/api/holder-access/unblock-response', token, body),
  holderAccessDeclare: (token: string, cardId: string, body: Declaration) =>
    holderFetch<DeclarationRecorded>('POST', `/api/holder-access/cards/${id(cardId)}/declare`, token, body),
};

/** The holder-access routes: no cookie (so no CSRF), the access token in `x-holder-access`. */
async function holderFetch<T>(method: 'GET' | 'POST', path: string, token: string | null, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers['x-holder-access'] = token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
    });
  } catch {
    throw new ApiError({
      status: 0,
      title: 'Réseau',
      detail: 'Le serveur ne répond pas : vérifiez votre connexion puis réessayez.',
    });
  }
  const json = (await res.json().catch(() => null)) as unknown;
  if (!res.ok) {
    const p = (json && typeof json === 'object' ? json : {}) as Partial<Problem>;
    throw new ApiError({ ...p, status: res.status, detail: p.detail ?? `La requête a échoué (code ${res.status}).` });
  }
  return json as T;
}

// --- Card agent: administration of the inserted card (challenge-response; docs/cards.md §2)

type Done = Static<typeof Agent.Done>;

async function agentCall<T>(client: CardAgentClient, path: string, body: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(client.url + path, {
      method: 'POST',
      headers: {
        accept: 'application/json',
        'content-type': 'application/json',
        authorization: `Bearer ${client.token}`,
      },
      body: JSON.stringify(body),
      credentials: 'omit',
      mode: 'cors',
      cache: 'no-store',
    });
  } catch {
    throw new CardAgentError('unreachable', UNREACHABLE_MESSAGE);
  }
  const json = (await res.json().catch(() => null)) as Partial<AgentErrorBody> | null;
  if (!res.ok) {
    throw new CardAgentError(
      json?.code ?? `http_${res.status}`,
      json?.message ?? `L'agent de carte a refusé la demande (code ${res.status}).`,
      res.status,
      typeof json?.triesLeft === 'number' ? json.triesLeft : null,
    );
  }
  return json as T;
}

export const cardAdmin = {
  challenge: (client: CardAgentClient, reader: string) =>
    agentCall<Static<typeof Agent.AdminChallenge>>(client, `/readers/${id(reader)}/admin/challenge`, {}),
  setPin: (client: CardAgentClient, reader: string, pin: PinKind, response: string, newValue: string) =>
    agentCall<Done>(client, `/readers/${id(reader)}/admin/set-pin`, { pin, response, newValue }),
  generateKey: (client: CardAgentClient, reader: string, slot: string, response: string) =>
    agentCall<Static<typeof Agent.GeneratedKey>>(client, `/readers/${id(reader)}/admin/generate-key`, {
      slot,
      response,
    }),
  writeCertificate: (client: CardAgentClient, reader: string, slot: string, der: string, response: string) =>
    agentCall<Done>(client, `/readers/${id(reader)}/admin/write-certificate`, { slot, der, response }),
  /** The holder changes a PIN knowing the old one: nothing goes to the server. */
  changePin: (client: CardAgentClient, reader: string, pin: PinKind, oldValue: string, newValue: string) =>
    agentCall<Done>(client, `/readers/${id(reader)}/change-pin`, { pin, oldValue, newValue }),
  verifyPin: (client: CardAgentClient, reader: string, pin: PinKind, value: string) =>
    agentCall<Done>(client, `/readers/${id(reader)}/verify-pin`, { pin, value }),
};

/**
 * Sets one PIN of the inserted card: the card gives a challenge, `answer` gets the server's
 * response for it (the server authorises, never sees the PIN), the agent sets the new value.
 */
export async function setPinWithServer(
  client: CardAgentClient,
  reader: string,
  pin: PinKind,
  newValue: string,
  answer: (challenge: string) => Promise<string>,
): Promise<void> {
  const { challenge } = await cardAdmin.challenge(client, reader);
  const response = await answer(challenge);
  await cardAdmin.setPin(client, reader, pin, response, newValue);
}
