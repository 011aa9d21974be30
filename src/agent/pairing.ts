// Pairing of the portal page with the card agent: a 6-digit code shown on the workstation, typed in
// the page, exchanged once for a bearer token. Tokens live in memory only (a restart unpairs).
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { AgentError } from './errors.ts';

export const PAIRING_MAX_FAILURES = 5;
/** Bound on live tokens: the oldest is forgotten first (each page pairing adds one). */
const MAX_TOKENS = 200;

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

export function newPairingCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time equality of two secrets of any length. */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export class Pairing {
  #code: string;
  #failures = 0;
  /** SHA-256 (hex) of the live bearer tokens, in insertion order. */
  readonly #tokens = new Set<string>();

  constructor() {
    this.#code = newPairingCode();
  }

  get code(): string {
    return this.#code;
  }

  get locked(): boolean {
    return this.#failures >= PAIRING_MAX_FAILURES;
  }

  /** A new code; unlocks pairing. Tokens already given stay valid. */
  renew(): string {
    this.#code = newPairingCode();
    this.#failures = 0;
    return this.#code;
  }

  /** Exchanges the code for a token; wrong → 403 with tries left, then 423 until a new code. */
  pair(code: string): string {
    if (this.locked) throw lockedError();
    if (!sameSecret(code, this.#code)) {
      this.#failures += 1;
      if (this.locked) throw lockedError();
      const left = PAIRING_MAX_FAILURES - this.#failures;
      throw new AgentError(
        'pairing_wrong',
        `Code d'appairage erroné : encore ${left} essai${left > 1 ? 's' : ''}.`,
        left,
      );
    }
    const token = newToken();
    this.#tokens.add(digest(token).toString('hex'));
    if (this.#tokens.size > MAX_TOKENS) this.#tokens.delete(this.#tokens.values().next().value!);
    return token;
  }

  /** A token's digest is looked up, so the lookup time tells nothing about the token itself. */
  accepts(token: string): boolean {
    return this.#tokens.has(digest(token).toString('hex'));
  }
}

function lockedError(): AgentError {
  return new AgentError(
    'pairing_locked',
    `Appairage bloqué après ${PAIRING_MAX_FAILURES} codes erronés : affichez un nouveau code avec « cartes agent pairing-code » ou redémarrez l'agent de carte.`,
    0,
  );
}
