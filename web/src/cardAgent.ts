// Client of the workstation card agent (docs/cards.md §2): a local HTTP server on 127.0.0.1 that
// holds the card readers. The page pairs once with the 6-digit code the agent prints, keeps the
// token in localStorage, then sends PINs to the agent only (never to the platform's server).

import type { Static } from '@sinclair/typebox';
import type * as Agent from '../../src/http/schemas/card-agent.ts';

export const DEFAULT_AGENT_URL = 'http://127.0.0.1:7391';
export const VIRTUAL_READER = 'virtuel';

const URL_KEY = 'cartes.agent.url';
const TOKEN_KEY = 'cartes.agent.token';

export type CardSlot = Static<typeof Agent.CardView>['keys'][number];
export type PinKind = keyof Static<typeof Agent.CardView>['pins'];

export const PIN_LABELS: Record<PinKind, string> = { auth: 'PIN Global', sign: 'PIN Propre' };
export const PIN_TRIES = 3;

// The agent's answers, from its schemas (src/http/schemas/card-agent.ts) through type-only imports.
export type PinStatus = Static<typeof Agent.PinStatus>;
export type InsertedCard = Static<typeof Agent.CardView>;
export type ReaderStatus = Static<typeof Agent.ReaderStatus>;
export type AgentStatus = Static<typeof Agent.AgentStatus>;
/** A virtual card file that can be put in the virtual reader. */
export type AgentCardFile = Static<typeof Agent.CardFile>;
export type CardContents = Static<typeof Agent.CardContents>;
export type CardSignature = Static<typeof Agent.CardSignature>;
/** A signature the server can check: with the certificate of the key. */
export type CardSigned = CardSignature & { certificate: string };
export type AgentErrorBody = Static<typeof Agent.AgentError>;

/** Error answered by the agent (`{ code, message, triesLeft? }`) or met on the way to it. */
export class CardAgentError extends Error {
  readonly code: string;
  readonly status: number;
  readonly triesLeft: number | null;
  constructor(code: string, message: string, status = 0, triesLeft: number | null = null) {
    super(message);
    this.name = 'CardAgentError';
    this.code = code;
    this.status = status;
    this.triesLeft = triesLeft;
  }
}

export const UNREACHABLE_MESSAGE =
  "L'agent de carte ne répond pas. Vérifiez qu'il est lancé sur ce poste (commande « cartes agent »).";

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

let defaultAgentUrl = DEFAULT_AGENT_URL;

/** The platform's default agent address (GET /api/config), used until the person pairs another one. */
export function setDefaultAgentUrl(url: string | undefined): void {
  if (url) defaultAgentUrl = url;
}

export function storedAgentUrl(): string {
  return storage()?.getItem(URL_KEY) || defaultAgentUrl;
}

export function storedAgentToken(): string | null {
  return storage()?.getItem(TOKEN_KEY) || null;
}

export function storePairing(url: string, token: string | null): void {
  const s = storage();
  if (!s) return;
  s.setItem(URL_KEY, url);
  if (token) s.setItem(TOKEN_KEY, token);
  else s.removeItem(TOKEN_KEY);
}

/** 'http://127.0.0.1:7391/' → 'http://127.0.0.1:7391'; null when it is not an http(s) address. */
export function normalizeAgentUrl(value: string): string | null {
  try {
    const u = new URL(value.trim());
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return u.origin;
  } catch {
    return null;
  }
}

/** UTF-8 text → base64 (what the agent signs). */
export function textToBase64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

async function call<T>(
  base: string,
  token: string | null,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      mode: 'cors',
      cache: 'no-store',
      signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new CardAgentError('unreachable', UNREACHABLE_MESSAGE);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const e = (json && typeof json === 'object' ? json : {}) as Partial<AgentErrorBody>;
    const fallback =
      res.status === 401
        ? "Ce navigateur n'est plus appairé avec l'agent de carte : saisissez à nouveau le code d'appairage."
        : res.status === 403
          ? "L'agent de carte refuse ce portail (origine non autorisée)."
          : `L'agent de carte a refusé la demande (code ${res.status}).`;
    throw new CardAgentError(
      e.code ?? (res.status === 401 ? 'unpaired' : `http_${res.status}`),
      e.message ?? fallback,
      res.status,
      typeof e.triesLeft === 'number' ? e.triesLeft : null,
    );
  }
  return json as T;
}

/** One paired agent. */
export class CardAgentClient {
  readonly url: string;
  readonly token: string;

  constructor(url: string, token: string) {
    this.url = url;
    this.token = token;
  }

  /** Exchanges the pairing code printed by the agent for a token. */
  static async pair(url: string, code: string): Promise<CardAgentClient> {
    const { token } = await call<Static<typeof Agent.Paired>>(url, null, 'POST', '/pair', { code });
    return new CardAgentClient(url, token);
  }

  private r(reader: string): string {
    return `/readers/${encodeURIComponent(reader)}`;
  }

  status(signal?: AbortSignal): Promise<AgentStatus> {
    return call<AgentStatus>(this.url, this.token, 'GET', '/status', undefined, signal);
  }

  async cards(): Promise<AgentCardFile[]> {
    return (await call<Static<typeof Agent.CardFiles>>(this.url, this.token, 'GET', '/cards')).cards;
  }

  insert(reader: string, file: string): Promise<AgentStatus> {
    return call(this.url, this.token, 'POST', `${this.r(reader)}/insert`, { file });
  }

  remove(reader: string): Promise<AgentStatus> {
    return call(this.url, this.token, 'POST', `${this.r(reader)}/remove`, {});
  }

  card(reader: string): Promise<CardContents> {
    return call(this.url, this.token, 'GET', `${this.r(reader)}/card`);
  }

  verifyPin(reader: string, pin: PinKind, value: string): Promise<Static<typeof Agent.Done>> {
    return call(this.url, this.token, 'POST', `${this.r(reader)}/verify-pin`, { pin, value });
  }

  /** Signs `text` (UTF-8) with the slot's key after the slot's PIN. */
  async sign(reader: string, slot: CardSlot, text: string, pin: string): Promise<CardSigned> {
    const signed = await call<CardSignature>(this.url, this.token, 'POST', `${this.r(reader)}/sign`, {
      slot,
      data: textToBase64(text),
      pin,
    });
    // The agent signs with a key whose slot has no certificate yet: nothing the server could verify.
    if (!signed.certificate)
      throw new CardAgentError(
        'no_certificate',
        'La carte ne porte pas de certificat pour cette clé : elle ne peut pas signer cette opération.',
      );
    return { signature: signed.signature, certificate: signed.certificate };
  }
}

/** The PIN guarding a slot: the signature PIN for 'sign', the authentication PIN otherwise. */
export function pinForSlot(slot: CardSlot): PinKind {
  return slot === 'sign' ? 'sign' : 'auth';
}

/** The reader to use: the one holding a card, else the virtual reader, else the first. */
export function activeReader(status: AgentStatus | null): ReaderStatus | null {
  if (!status) return null;
  return (
    status.readers.find((r) => r.card) ??
    status.readers.find((r) => r.name === VIRTUAL_READER) ??
    status.readers[0] ??
    null
  );
}
