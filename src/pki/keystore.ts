// Private keys of the certification authorities and OCSP responders never leave their store:
// the rest of the PKI only sees a Signer (public key + sign). Two stores implement it: encrypted
// PKCS#8 files (keystore-file.ts) and PKCS#11 tokens (keystore-pkcs11.ts, SoftHSM2 in tests).

export type KeyAlgorithm = 'ecdsa-p256' | 'rsa-2048' | 'rsa-3072';

/** Where a key lives, as stored in the database (JSON). Never contains key material in clear. */
export type KeyRef =
  | { store: 'file'; path: string; algorithm: KeyAlgorithm }
  | { store: 'pkcs11'; module: string; tokenLabel: string; keyLabel: string; algorithm: KeyAlgorithm };

export interface Signer {
  readonly algorithm: KeyAlgorithm;
  /** SubjectPublicKeyInfo, DER. */
  readonly publicKeySpki: Uint8Array;
  /** Signs with SHA-256 (SHA-384 for rsa-3072 if the profile asks); returns the signature as X.509 wants it (ECDSA: DER SEQUENCE of r, s). */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

export interface KeyStore {
  /** Generates a key pair inside the store; returns its reference. */
  generate(label: string, algorithm: KeyAlgorithm): Promise<KeyRef>;
  /** Opens a key for signing (unlocking it with the store's secret). */
  signer(ref: KeyRef): Promise<Signer>;
}
