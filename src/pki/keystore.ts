// Private keys of the certification authorities and OCSP responders never leave their store:
// the rest of the PKI only sees a Signer (public key + sign). Two stores implement it: encrypted
// PKCS#8 files (keystore-file.ts) and PKCS#11 tokens (keystore-pkcs11.ts, SoftHSM2 in tests).

export type KeyAlgorithm = 'ecdsa-p256' | 'rsa-2048' | 'rsa-3072';

export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['ecdsa-p256', 'rsa-2048', 'rsa-3072'];

/** Where a key lives, as stored in the database (JSON). Never contains key material in clear. */
export type KeyRef =
  | { store: 'file'; path: string; algorithm: KeyAlgorithm }
  | { store: 'db'; label: string; algorithm: KeyAlgorithm }
  | { store: 'pkcs11'; module: string; tokenLabel: string; keyLabel: string; algorithm: KeyAlgorithm };

/**
 * Incremental signature (SHA-256), for documents too large to hold twice in memory (big CRLs):
 * feed the to-be-signed bytes with `update`, then `sign` once. Same result format as Signer.sign.
 */
export interface StreamingSign {
  update(chunk: Uint8Array): void;
  /** Ends the stream and returns the signature (ECDSA: DER SEQUENCE of r, s). Call once. */
  sign(): Uint8Array;
}

/** A StreamingSign over an incremental hash or signer: `sign()` once, nothing after it. */
export function onceStreamingSign(update: (chunk: Uint8Array) => void, finish: () => Uint8Array): StreamingSign {
  let done = false;
  return {
    update(chunk: Uint8Array): void {
      if (done) throw new Error('Signature déjà produite : update() après sign().');
      update(chunk);
    },
    sign(): Uint8Array {
      if (done) throw new Error('Signature déjà produite : sign() ne s’appelle qu’une fois.');
      done = true;
      return finish();
    },
  };
}

export interface Signer {
  readonly algorithm: KeyAlgorithm;
  /** SubjectPublicKeyInfo, DER. */
  readonly publicKeySpki: Uint8Array;
  /**
   * Signs with SHA-256 (ECDSA with SHA-256, or RSA PKCS#1 v1.5 with SHA-256, whatever the key size);
   * returns the signature as X.509 wants it (ECDSA: DER SEQUENCE of r, s).
   */
  sign(data: Uint8Array): Promise<Uint8Array>;
  /**
   * Optional: the same signature computed off the event loop (node:crypto on libuv's thread pool), for
   * servers that must keep answering while they sign (OCSP). Absent: use `sign`.
   */
  signInPool?(data: Uint8Array): Promise<Uint8Array>;
  /**
   * Optional streaming variant of `sign` (same algorithm, same output). Both stores implement it;
   * callers should still fall back to `sign` when it is absent.
   */
  createSign?(): StreamingSign;
}

export interface KeyStore {
  /** Generates a key pair inside the store; returns its reference. */
  generate(label: string, algorithm: KeyAlgorithm): Promise<KeyRef>;
  /** Opens a key for signing (unlocking it with the store's secret). */
  signer(ref: KeyRef): Promise<Signer>;
}

/**
 * Errors of the key stores, with a French message for people and a code for programs:
 * - `wrong_secret`: wrong passphrase / key-encryption key (file) or wrong PIN (PKCS#11);
 * - `not_found`: no such key file, token or key label;
 * - `exists`: a key with that label already exists (generate never overwrites);
 * - `invalid`: bad label, algorithm, reference or unreadable key file;
 * - `unavailable`: the store cannot run here (PKCS#11 module or native addon missing).
 */
export type KeyStoreErrorCode = 'wrong_secret' | 'not_found' | 'exists' | 'invalid' | 'unavailable';

export class KeyStoreError extends Error {
  readonly code: KeyStoreErrorCode;
  constructor(code: KeyStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeyStoreError';
    this.code = code;
  }
}

/** Key labels: letters, digits, `.`, `_`, `-`; 1 to 64 characters, not starting with a dot. */
export function checkKeyLabel(label: string): void {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/.test(label)) {
    throw new KeyStoreError(
      'invalid',
      `Libellé de clé invalide : « ${label} » (lettres, chiffres, « . », « _ », « - », 64 caractères au plus).`,
    );
  }
}

export function checkKeyAlgorithm(algorithm: string): asserts algorithm is KeyAlgorithm {
  if (!(KEY_ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw new KeyStoreError(
      'invalid',
      `Algorithme de clé inconnu : « ${algorithm} » (possibles : ${KEY_ALGORITHMS.join(', ')}).`,
    );
  }
}
