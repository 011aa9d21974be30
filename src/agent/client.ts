// Node client of the card agent (docs/cards.md §2), for the CLI and for tests of other parts. Binary
// values go as base64 on the wire and come back as Buffers here.
import type { CardIdentity, CardSlot, PinKind } from '../cards/card.ts';
import { ADMIN_HEADER, readLocalAgent } from './local.ts';
import { VIRTUAL_READER, type CardFile } from './readers.ts';
import type { StatusResponse } from './server.ts';

export type { StatusResponse } from './server.ts';
export type { CardFile, CardView, ReaderStatus } from './readers.ts';

export class CardAgentError extends Error {
  readonly code: string;
  /** HTTP status; 0 when the agent could not be reached. */
  readonly status: number;
  readonly triesLeft: number | null;
  constructor(code: string, message: string, status: number, triesLeft: number | null = null) {
    super(message);
    this.name = 'CardAgentError';
    this.code = code;
    this.status = status;
    this.triesLeft = triesLeft;
  }
}

export interface CardAgentClientOptions {
  url: string;
  /** Bearer token from pairing (pages, tests acting as the portal). */
  token?: string;
  /** Local admin token (<data>/agent/admin.token): the CLI. */
  adminToken?: string;
  /** Origin header to send (the portal origin when acting as the page). */
  origin?: string;
}

export interface CardDetails extends Omit<CardIdentity, 'certificates'> {
  holder: string | null;
  file: string | null;
  certificates: { slot: CardSlot; der: Buffer }[];
  publicKeys: { slot: CardSlot; spki: Buffer }[];
}

export interface CardSignatureResult {
  signature: Buffer;
  /** Certificate of the slot (DER), null when the slot has none. */
  certificate: Buffer | null;
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

export class CardAgentClient {
  readonly url: string;
  readonly #options: CardAgentClientOptions;

  constructor(options: CardAgentClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#options = options;
  }

  /** The agent running on this data folder, with its admin token (what the CLI uses). */
  static local(dataDir: string, env: NodeJS.ProcessEnv = process.env, port?: number): CardAgentClient {
    const { url, adminToken } = readLocalAgent(dataDir, env, port);
    return new CardAgentClient({ url, adminToken });
  }

  /** Pairs as the portal page would: POST /pair with the code, from the portal's origin. */
  static async pair(url: string, code: string, origin: string): Promise<CardAgentClient> {
    const { token } = await new CardAgentClient({ url, origin }).#call<{ token: string }>('POST', '/pair', { code });
    return new CardAgentClient({ url, origin, token });
  }

  async #call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#options.origin) headers['origin'] = this.#options.origin;
    if (this.#options.token) headers['authorization'] = `Bearer ${this.#options.token}`;
    if (this.#options.adminToken) headers[ADMIN_HEADER] = this.#options.adminToken;
    if (method === 'POST') headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.url + path, {
        method,
        headers,
        body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
      });
    } catch (err) {
      throw new CardAgentError(
        'unreachable',
        `Agent de carte injoignable à ${this.url} : est-il démarré (« cartes agent ») ? (${(err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message})`,
        0,
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!res.ok) {
      const e = (json ?? {}) as { code?: string; message?: string; triesLeft?: number };
      throw new CardAgentError(
        e.code ?? `http_${res.status}`,
        e.message ?? `L'agent de carte a répondu ${res.status}.`,
        res.status,
        e.triesLeft ?? null,
      );
    }
    return json as T;
  }

  #reader(reader: string): string {
    return `/readers/${encodeURIComponent(reader)}`;
  }

  status(): Promise<StatusResponse> {
    return this.#call('GET', '/status');
  }

  async cards(): Promise<CardFile[]> {
    return (await this.#call<{ cards: CardFile[] }>('GET', '/cards')).cards;
  }

  insert(file: string, reader = VIRTUAL_READER): Promise<StatusResponse> {
    return this.#call('POST', `${this.#reader(reader)}/insert`, { file });
  }

  remove(reader = VIRTUAL_READER): Promise<StatusResponse> {
    return this.#call('POST', `${this.#reader(reader)}/remove`);
  }

  async card(reader = VIRTUAL_READER): Promise<CardDetails> {
    type Wire = Omit<CardDetails, 'certificates' | 'publicKeys'> & {
      certificates: { slot: CardSlot; der: string }[];
      publicKeys: { slot: CardSlot; spki: string }[];
    };
    const c = await this.#call<Wire>('GET', `${this.#reader(reader)}/card`);
    return {
      ...c,
      certificates: c.certificates.map((x) => ({ slot: x.slot, der: Buffer.from(x.der, 'base64') })),
      publicKeys: c.publicKeys.map((x) => ({ slot: x.slot, spki: Buffer.from(x.spki, 'base64') })),
    };
  }

  async verifyPin(reader: string, pin: PinKind, value: string): Promise<void> {
    await this.#call('POST', `${this.#reader(reader)}/verify-pin`, { pin, value });
  }

  async changePin(reader: string, pin: PinKind, oldValue: string, newValue: string): Promise<void> {
    await this.#call('POST', `${this.#reader(reader)}/change-pin`, { pin, oldValue, newValue });
  }

  /** Signs `data` (bytes, or a string taken as UTF-8) with the slot's key after its PIN. */
  async sign(reader: string, slot: CardSlot, data: Uint8Array | string, pin: string): Promise<CardSignatureResult> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const r = await this.#call<{ signature: string; certificate: string | null }>(
      'POST',
      `${this.#reader(reader)}/sign`,
      { slot, data: b64(bytes), pin },
    );
    return {
      signature: Buffer.from(r.signature, 'base64'),
      certificate: r.certificate ? Buffer.from(r.certificate, 'base64') : null,
    };
  }

  async adminChallenge(reader: string): Promise<Buffer> {
    const { challenge } = await this.#call<{ challenge: string }>('POST', `${this.#reader(reader)}/admin/challenge`);
    return Buffer.from(challenge, 'base64');
  }

  async adminSetPin(reader: string, pin: PinKind, response: Uint8Array, newValue: string): Promise<void> {
    await this.#call('POST', `${this.#reader(reader)}/admin/set-pin`, { pin, response: b64(response), newValue });
  }

  /** A new pairing code (admin token only). */
  async pairingCode(): Promise<string> {
    return (await this.#call<{ code: string }>('POST', '/pairing-code')).code;
  }
}
