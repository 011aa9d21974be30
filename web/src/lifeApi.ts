// Client of the card's life after reception (docs/api.md "Hand-over, activation and the card's
// life", "The holder's space") and of the card agent's administration routes (docs/cards.md §2).
// PINs only ever go to the card agent, never to the platform's server.
import { ApiError, request, type Problem } from './api.ts';
import { CardAgentError, UNREACHABLE_MESSAGE, type CardAgentClient, type PinKind } from './cardAgent.ts';
import type { ActionSignaturePayload } from './cardsApi.ts';

const id = encodeURIComponent;

export interface HolderInfo {
  lastName: string;
  firstNames: string;
  email: string | null;
  phone: string | null;
  birthDate: string;
  identifier: string;
  organizationName: string;
}

export interface HandoverView {
  card: { id: string; serial: string; state: string; stateLabel: string; modelLabel: string };
  holder: HolderInfo;
  dn: string | null;
  identityCopy: { fileName: string; contentType: string; uploadedAt: string } | null;
  identityDocumentTypes: { code: string; label: string }[];
}

export interface ActivationCertificate {
  serial: string;
  profile: string;
  label: string;
  rgsLevel: string;
  notBefore: string;
  notAfter: string;
  usages: string;
  extendedUsages: string;
  status: string;
}

export interface ActivationView {
  card: {
    id: string;
    serial: string;
    reference: string;
    modelLabel: string;
    type: string;
    state: string;
    stateLabel: string;
  };
  holder: HolderInfo;
  dn: string | null;
  certificates: ActivationCertificate[];
  attestation: string[];
  codeAttemptsLeft: number;
  codeLocked: boolean;
  codeAccepted: boolean;
}

export interface RenewalView {
  cardId: string;
  serial: string;
  certificates: {
    serial: string;
    profile: string;
    status: string;
    notAfter: string;
    renewable: boolean;
    reason: string | null;
  }[];
  newCardNeeded: string | null;
}

export interface MyCard {
  id: string;
  serial: string;
  modelLabel: string;
  state: string;
  stateLabel: string;
  stateChangedAt?: string;
  expiresAt: string | null;
  certificates: {
    serial: string;
    profile: string;
    profileLabel: string;
    status: string;
    statusLabel: string;
    notBefore: string;
    notAfter: string;
  }[];
  history: { at: string; action: string }[];
  documents: { id: string; kind: string; fileName: string; createdAt: string }[];
}

export interface HolderAccessCard {
  id: string;
  serial: string;
  state: string;
  stateLabel: string;
  modelLabel: string;
}

export type DeclarationKind = 'loss' | 'theft' | 'temporary_loss';
export interface Declaration {
  kind: DeclarationKind;
  policeReportReference?: string | null;
  circumstances?: string | null;
  /** The day of the loss or theft, when known (YYYY-MM-DD). */
  lostOn?: string | null;
}

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

export type DepartureReason = 'retirement' | 'end_of_contract';
export const DEPARTURE_REASONS: { code: DepartureReason; label: string }[] = [
  { code: 'retirement', label: 'Départ à la retraite' },
  { code: 'end_of_contract', label: 'Fin de contrat' },
];
export interface DepartureResult {
  revoked: string[];
  kept: string[];
  invalidated: string[];
}

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
    request<{ fileName: string; sha256: string }>('PUT', `/api/cards/${id(cardId)}/identity-copy`, {
      query: { fileName: file.name },
      body: file,
      contentType: file.type || 'application/octet-stream',
    }),
  handOver: (
    cardId: string,
    body: {
      identityDocumentType: string;
      identityDocumentNumber: string;
      remarks: string | null;
      signature: ActionSignaturePayload;
    },
  ) => request<{ state: string }>('POST', `/api/cards/${id(cardId)}/handover`, { json: body }),
  invalidate: (cardId: string, reason: string, signature: ActionSignaturePayload) =>
    request<{ state: string }>('POST', `/api/cards/${id(cardId)}/invalidate`, { json: { reason, signature } }),

  // Activation
  activation: (cardId: string) => request<ActivationView>('GET', `/api/cards/${id(cardId)}/activation`),
  attestationUrl: (cardId: string) => `/api/cards/${id(cardId)}/attestation.pdf`,
  refuse: (cardId: string, signature: ActionSignaturePayload) =>
    request<{ state: string }>('POST', `/api/cards/${id(cardId)}/activation/refuse`, { json: { signature } }),
  activationCode: (cardId: string, code: string) =>
    request<{ accepted: true; windowUntil: string }>('POST', `/api/cards/${id(cardId)}/activation/code`, {
      json: { code },
    }),
  activationAdminResponse: (cardId: string, operation: string, challenge: string) =>
    request<{ response: string }>('POST', `/api/cards/${id(cardId)}/activation/admin-response`, {
      json: { operation, challenge },
    }),
  activationContent: (cardId: string) =>
    request<{ cardId: string; serial: string; acceptedCertificates: string[] }>(
      'GET',
      `/api/cards/${id(cardId)}/activation/content`,
    ),
  completeActivation: (cardId: string, signature: ActionSignaturePayload) =>
    request<{ state: string; message: string }>('POST', `/api/cards/${id(cardId)}/activation/complete`, {
      json: { signature },
    }),
  finalize: (cardId: string, signature: ActionSignaturePayload) =>
    request<{ state: string }>('POST', `/api/cards/${id(cardId)}/finalize`, { json: { signature } }),

  // Unblock, incidents, end of life
  unblockResponse: (cardId: string, operation: string, challenge: string, signature: ActionSignaturePayload) =>
    request<{ response: string }>('POST', `/api/cards/${id(cardId)}/unblock-response`, {
      json: { operation, challenge, signature },
    }),
  revoke: (cardId: string, reason: string, comment: string | null, signature: ActionSignaturePayload) =>
    request<{ state: string }>('POST', `/api/cards/${id(cardId)}/revoke`, { json: { reason, comment, signature } }),
  resume: (cardId: string, signature: ActionSignaturePayload) =>
    request<{ state: string }>('POST', `/api/cards/${id(cardId)}/resume`, { json: { signature } }),
  returnCard: (cardId: string, signature: ActionSignaturePayload) =>
    request<{ state: string }>('POST', `/api/cards/${id(cardId)}/return`, { json: { signature } }),
  destroy: (cardId: string, method: string, witness: string | null, signature: ActionSignaturePayload) =>
    request<{ state: string; recordId: string }>('POST', `/api/cards/${id(cardId)}/destroy`, {
      json: { method, witness, signature },
    }),
  documentUrl: (cardId: string, documentId: string) => `/api/cards/${id(cardId)}/documents/${id(documentId)}`,
  documents: (cardId: string) =>
    request<{ items: { id: string; kind: string; kindLabel: string; fileName: string; createdAt: string }[] }>(
      'GET',
      `/api/cards/${id(cardId)}/documents`,
    ),

  // Renewal
  renewal: (cardId: string) => request<RenewalView>('GET', `/api/cards/${id(cardId)}/renewal`),
  presenceChallenge: (cardId: string) =>
    request<{ challengeId: string; challenge: string; text: string }>(
      'POST',
      `/api/cards/${id(cardId)}/renewal/presence-challenge`,
    ),
  presence: (
    cardId: string,
    body: { challengeId: string; challenge: string; signature: string; certificate: string },
  ) => request<{ windowUntil: string }>('POST', `/api/cards/${id(cardId)}/renewal/presence`, { json: body }),
  presenceBySecrets: (cardId: string, holderAccess: string) =>
    request<{ windowUntil: string }>('POST', `/api/cards/${id(cardId)}/renewal/presence-secrets`, {
      json: { holderAccess },
    }),
  renewalAdminResponse: (cardId: string, operation: string, challenge: string) =>
    request<{ response: string }>('POST', `/api/cards/${id(cardId)}/renewal/admin-response`, {
      json: { operation, challenge },
    }),
  renewalIssue: (
    cardId: string,
    body: { profile: string; spki: string; attestation: string; signature: ActionSignaturePayload },
  ) =>
    request<{ serial: string; der: string; replaced: string }>('POST', `/api/cards/${id(cardId)}/renewal/issue`, {
      json: body,
    }),

  // The holder's record
  resetSecrets: (agentId: string, signature: ActionSignaturePayload) =>
    request<void>('POST', `/api/agents/${id(agentId)}/reset-secrets`, { json: { signature } }),
  departure: (agentId: string, reason: DepartureReason, signature: ActionSignaturePayload) =>
    request<DepartureResult>('POST', `/api/agents/${id(agentId)}/departure`, { json: { reason, signature } }),
  transfer: (
    agentId: string,
    body: { toOrganizationId: string; habilitations: string[]; signature: ActionSignaturePayload },
  ) => request<{ followed: string[] }>('POST', `/api/agents/${id(agentId)}/transfer`, { json: body }),

  // The holder's space (signed in with the card)
  myCards: () =>
    request<{
      holder: { lastName: string; firstNames: string; birthDate: string } | null;
      cards: MyCard[];
      secretsDefined: boolean;
      secretsUpdatedAt?: string | null;
    }>('GET', '/api/me/cards'),
  secretQuestions: () => request<{ items: { code: string; label: string }[] }>('GET', '/api/me/secret-questions'),
  defineSecrets: (body: { personalCode: string; questions: { question: string; answer: string }[] }) =>
    request<{ cardsActivated: string[]; awaitingFinalization: string[] }>('POST', '/api/me/secrets', { json: body }),
  declare: (cardId: string, body: Declaration) =>
    request<{ state: string; escalatesAt: string | null }>('POST', `/api/me/cards/${id(cardId)}/declare`, {
      json: body,
    }),

  // Without a usable card (secrets): no session cookie, the short-lived token in a header.
  holderAccess: (body: {
    organization: string;
    identifier: string;
    personalCode: string;
    answers: { question: string; answer: string }[];
  }) => holderFetch<{ token: string; expiresAt: string; holderName: string }>('POST', '/api/holder-access', null, body),
  holderAccessCards: (token: string) =>
    holderFetch<{ holderName: string; items: HolderAccessCard[] }>('GET', '/api/holder-access/cards', token),
  holderUnblockResponse: (token: string, body: { serial: string; operation: string; challenge: string }) =>
    holderFetch<{ response: string }>('POST', '/api/holder-access/unblock-response', token, body),
  holderAccessDeclare: (token: string, cardId: string, body: Declaration) =>
    holderFetch<{ state: string; escalatesAt: string | null }>(
      'POST',
      `/api/holder-access/cards/${id(cardId)}/declare`,
      token,
      body,
    ),
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
  const json = (await res.json().catch(() => null)) as { code?: string; message?: string; triesLeft?: number } | null;
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
    agentCall<{ challenge: string }>(client, `/readers/${id(reader)}/admin/challenge`, {}),
  setPin: (client: CardAgentClient, reader: string, pin: PinKind, response: string, newValue: string) =>
    agentCall<{ ok: true }>(client, `/readers/${id(reader)}/admin/set-pin`, { pin, response, newValue }),
  generateKey: (client: CardAgentClient, reader: string, slot: string, response: string) =>
    agentCall<{ spki: string; attestation: string }>(client, `/readers/${id(reader)}/admin/generate-key`, {
      slot,
      response,
    }),
  writeCertificate: (client: CardAgentClient, reader: string, slot: string, der: string, response: string) =>
    agentCall<{ ok: true }>(client, `/readers/${id(reader)}/admin/write-certificate`, { slot, der, response }),
  /** The holder changes a PIN knowing the old one: nothing goes to the server. */
  changePin: (client: CardAgentClient, reader: string, pin: PinKind, oldValue: string, newValue: string) =>
    agentCall<{ ok: true }>(client, `/readers/${id(reader)}/change-pin`, { pin, oldValue, newValue }),
  verifyPin: (client: CardAgentClient, reader: string, pin: PinKind, value: string) =>
    agentCall<{ ok: true }>(client, `/readers/${id(reader)}/verify-pin`, { pin, value }),
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
