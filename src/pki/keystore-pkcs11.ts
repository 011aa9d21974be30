// Key store on a PKCS#11 token (HSM; SoftHSM2 in tests) through the `pkcs11js` native addon (N-API).
//
// Keys are generated on the token (CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, CKA_EXTRACTABLE false) and
// found again by their CKA_LABEL; the private key never leaves the token. Signatures:
// - ECDSA P-256: SHA-256 computed in Node, CKM_ECDSA on the token, raw r||s converted to DER;
// - RSA: CKM_SHA256_RSA_PKCS (one-shot); the streaming variant hashes in Node and signs the
//   DigestInfo with CKM_RSA_PKCS, which gives the very same PKCS#1 v1.5 signature.
//
// `pkcs11js` is loaded lazily (dynamic import): where the addon is missing or does not load, only
// this store fails, with a KeyStoreError 'unavailable'. A module (.so) is loaded and initialised once
// per process and shared by the stores using it; each store has its own session. PKCS#11 logs in per
// application and token, so a second store on an already logged-in token has its PIN checked
// against the PIN of the first login (SHA-256, constant-time comparison).
import { createHash, createPublicKey, randomBytes, timingSafeEqual } from 'node:crypto';
import { acquirePkcs11Module, ckr, releasePkcs11Module, signingOnlyKey, type Pkcs11Module } from './pkcs11-module.ts';
import { checkKeyAlgorithm, checkKeyLabel, KeyStoreError, onceStreamingSign } from './keystore.ts';
import type { KeyAlgorithm, KeyRef, KeyStore, Signer, StreamingSign } from './keystore.ts';

export { loadPkcs11js } from './pkcs11-module.ts';

/** The key store's French errors for a module that does not load or initialise. */
function moduleFailure(modulePath: string) {
  return (what: 'load' | 'init', cause: unknown) =>
    new KeyStoreError(
      'unavailable',
      what === 'load'
        ? `Module PKCS#11 introuvable ou illisible : ${modulePath} (${(cause as Error).message}).`
        : `Module PKCS#11 ${modulePath} : initialisation impossible (${(cause as Error).message}).`,
      { cause },
    );
}

type Handle = Buffer;

/** DER of the OID prime256v1 (1.2.840.10045.3.1.7), the CKA_EC_PARAMS of P-256 keys. */
const P256_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');
/** DigestInfo prefix of SHA-256 (RFC 8017 §9.2 note 1). */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

// ---------------------------------------------------------------------------------------------
// Encodings

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function derUnsignedInteger(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let v = bytes.subarray(i);
  if ((v[0]! & 0x80) !== 0) v = Buffer.concat([Buffer.from([0]), v]);
  return Buffer.concat([Buffer.from([0x02]), derLength(v.length), v]);
}

/** ECDSA raw signature r||s (PKCS#11) → DER SEQUENCE { INTEGER r, INTEGER s } (X.509). */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0)
    throw new Error(`signature ECDSA brute de longueur invalide : ${raw.length}`);
  const half = raw.length / 2;
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const body = Buffer.concat([derUnsignedInteger(buf.subarray(0, half)), derUnsignedInteger(buf.subarray(half))]);
  return new Uint8Array(Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]));
}

/** CKA_EC_POINT: DER OCTET STRING around the uncompressed point (PKCS#11 ≥ 2.20), or the raw point. */
function ecPointFromAttribute(value: Buffer): Buffer {
  if (value.length === 65 && value[0] === 0x04) return value;
  if (value[0] === 0x04 && value[1] === 65 && value.length === 67 && value[2] === 0x04) return value.subarray(2);
  throw new Error(`CKA_EC_POINT inattendu (${value.length} octets)`);
}

// ---------------------------------------------------------------------------------------------

/** Protection attributes of a private key on the token, as the token reports them. */
export interface Pkcs11KeyProtection {
  token: boolean;
  private: boolean;
  sensitive: boolean;
  extractable: boolean;
  alwaysSensitive: boolean;
  neverExtractable: boolean;
}

export class Pkcs11KeyStore implements KeyStore {
  readonly modulePath: string;
  readonly tokenLabel: string;
  readonly #pin: string;
  #opening: Promise<{ m: Pkcs11Module; session: Handle; slot: Handle }> | null = null;
  #closed = false;

  /**
   * @param modulePath PKCS#11 module (.so), e.g. /usr/lib/softhsm/libsofthsm2.so
   * @param tokenLabel label of the token holding the keys
   * @param pin user PIN of the token
   * Nothing is loaded before the first generate / signer call. Call close() when done.
   */
  constructor(modulePath: string, tokenLabel: string, pin: string) {
    this.modulePath = modulePath;
    this.tokenLabel = tokenLabel;
    this.#pin = pin;
  }

  #open(): Promise<{ m: Pkcs11Module; session: Handle; slot: Handle }> {
    if (this.#closed)
      return Promise.reject(
        new KeyStoreError('unavailable', `Magasin PKCS#11 du jeton « ${this.tokenLabel} » déjà fermé.`),
      );
    this.#opening ??= this.#doOpen().catch((err: unknown) => {
      this.#opening = null;
      throw err;
    });
    return this.#opening;
  }

  async #doOpen(): Promise<{ m: Pkcs11Module; session: Handle; slot: Handle }> {
    const m = await acquirePkcs11Module(this.modulePath, moduleFailure(this.modulePath));
    const { lib, p11 } = m;
    let session: Handle | null = null;
    try {
      const slots = p11.C_GetSlotList(true);
      const labels: string[] = [];
      let slot: Handle | null = null;
      for (const s of slots) {
        const label = p11.C_GetTokenInfo(s).label.trim();
        labels.push(label);
        if (label === this.tokenLabel && !slot) slot = s;
      }
      if (!slot) {
        throw new KeyStoreError(
          'not_found',
          `Jeton PKCS#11 « ${this.tokenLabel} » introuvable dans ${this.modulePath} (jetons présents : ${
            labels
              .filter(Boolean)
              .map((l) => `« ${l} »`)
              .join(', ') || 'aucun'
          }).`,
        );
      }
      session = p11.C_OpenSession(slot, lib.CKF_SERIAL_SESSION | lib.CKF_RW_SESSION);
      this.#login(m, session);
      return { m, session, slot };
    } catch (err) {
      if (session) {
        try {
          p11.C_CloseSession(session);
        } catch {
          // ignore
        }
      }
      releasePkcs11Module(this.modulePath, m);
      throw err;
    }
  }

  #login(m: Pkcs11Module, session: Handle): void {
    const digest = createHash('sha256').update(`${this.tokenLabel}\0${this.#pin}`).digest();
    const wrongPin = (cause?: unknown) =>
      new KeyStoreError(
        'wrong_secret',
        `PIN incorrect : impossible de se connecter au jeton PKCS#11 « ${this.tokenLabel} ». Attention, trop d'essais bloquent le jeton.`,
        { cause },
      );
    const known = m.logins.get(this.tokenLabel);
    if (known) {
      if (!timingSafeEqual(known.pinDigest, digest)) throw wrongPin();
      known.sessions++;
      return;
    }
    try {
      m.p11.C_Login(session, m.lib.CKU_USER, this.#pin);
    } catch (err) {
      const code = ckr(err);
      if (code === 'CKR_PIN_INCORRECT' || code === 'CKR_PIN_LEN_RANGE') throw wrongPin(err);
      if (code === 'CKR_PIN_LOCKED') {
        throw new KeyStoreError(
          'wrong_secret',
          `PIN bloqué : le jeton PKCS#11 « ${this.tokenLabel} » refuse toute connexion (trop d'essais).`,
          {
            cause: err,
          },
        );
      }
      // Logged in by another user of the module in this process: the PIN cannot be checked again.
      if (code !== 'CKR_USER_ALREADY_LOGGED_IN') throw err;
    }
    m.logins.set(this.tokenLabel, { pinDigest: digest, sessions: 1 });
  }

  /** Closes this store's session (and the module when it was the last store using it). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const opening = this.#opening;
    this.#opening = null;
    if (!opening) return;
    let opened: { m: Pkcs11Module; session: Handle };
    try {
      opened = await opening;
    } catch {
      return;
    }
    const { m, session } = opened;
    const login = m.logins.get(this.tokenLabel);
    if (login && --login.sessions === 0) m.logins.delete(this.tokenLabel);
    try {
      m.p11.C_CloseSession(session);
    } finally {
      releasePkcs11Module(this.modulePath, m);
    }
  }

  #find(m: Pkcs11Module, session: Handle, cls: number, keyLabel: string): Handle[] {
    const { p11, lib } = m;
    p11.C_FindObjectsInit(session, [
      { type: lib.CKA_CLASS, value: cls },
      { type: lib.CKA_LABEL, value: keyLabel },
    ]);
    try {
      return p11.C_FindObjects(session, 10);
    } finally {
      p11.C_FindObjectsFinal(session);
    }
  }

  async generate(label: string, algorithm: KeyAlgorithm): Promise<KeyRef> {
    checkKeyLabel(label);
    checkKeyAlgorithm(algorithm);
    const { m, slot } = await this.#open();
    const { p11, lib } = m;
    // A session of its own: generation runs on a worker thread (async) while signing may go on.
    const session = p11.C_OpenSession(slot, lib.CKF_SERIAL_SESSION | lib.CKF_RW_SESSION);
    try {
      if (
        this.#find(m, session, lib.CKO_PRIVATE_KEY, label).length > 0 ||
        this.#find(m, session, lib.CKO_PUBLIC_KEY, label).length > 0
      ) {
        throw new KeyStoreError('exists', `Une clé « ${label} » existe déjà sur le jeton « ${this.tokenLabel} ».`);
      }
      const id = randomBytes(16);
      const common = [
        { type: lib.CKA_TOKEN, value: true },
        { type: lib.CKA_LABEL, value: label },
        { type: lib.CKA_ID, value: id },
      ];
      const isEc = algorithm === 'ecdsa-p256';
      const mechanism = { mechanism: isEc ? lib.CKM_EC_KEY_PAIR_GEN : lib.CKM_RSA_PKCS_KEY_PAIR_GEN };
      const publicTemplate = [
        ...common,
        { type: lib.CKA_CLASS, value: lib.CKO_PUBLIC_KEY },
        { type: lib.CKA_KEY_TYPE, value: isEc ? lib.CKK_EC : lib.CKK_RSA },
        { type: lib.CKA_PRIVATE, value: false },
        { type: lib.CKA_VERIFY, value: true },
        { type: lib.CKA_ENCRYPT, value: false },
        { type: lib.CKA_WRAP, value: false },
        ...(isEc
          ? [{ type: lib.CKA_EC_PARAMS, value: P256_PARAMS }]
          : [
              { type: lib.CKA_MODULUS_BITS, value: algorithm === 'rsa-2048' ? 2048 : 3072 },
              { type: lib.CKA_PUBLIC_EXPONENT, value: Buffer.from([0x01, 0x00, 0x01]) },
            ]),
      ];
      const privateTemplate = [
        ...common,
        { type: lib.CKA_KEY_TYPE, value: isEc ? lib.CKK_EC : lib.CKK_RSA },
        ...signingOnlyKey(lib),
      ];
      await p11.C_GenerateKeyPairAsync(session, mechanism, publicTemplate, privateTemplate);
    } catch (err) {
      if (err instanceof KeyStoreError) throw err;
      throw new KeyStoreError(
        'invalid',
        `Génération de la clé « ${label} » (${algorithm}) impossible sur le jeton « ${this.tokenLabel} » : ${(err as Error).message}.`,
        {
          cause: err,
        },
      );
    } finally {
      p11.C_CloseSession(session);
    }
    return { store: 'pkcs11', module: this.modulePath, tokenLabel: this.tokenLabel, keyLabel: label, algorithm };
  }

  #checkRef(ref: KeyRef): asserts ref is Extract<KeyRef, { store: 'pkcs11' }> {
    if (ref.store !== 'pkcs11')
      throw new KeyStoreError('invalid', `Référence de clé « ${ref.store} » donnée au magasin PKCS#11.`);
    checkKeyAlgorithm(ref.algorithm);
    if (ref.tokenLabel !== this.tokenLabel) {
      throw new KeyStoreError(
        'invalid',
        `La clé « ${ref.keyLabel} » est sur le jeton « ${ref.tokenLabel} », pas sur « ${this.tokenLabel} ».`,
      );
    }
  }

  /** Handles of the key pair of a label (exactly one private and one public key expected). */
  #keyPair(m: Pkcs11Module, session: Handle, keyLabel: string): { privateKey: Handle; publicKey: Handle } {
    const priv = this.#find(m, session, m.lib.CKO_PRIVATE_KEY, keyLabel);
    const pub = this.#find(m, session, m.lib.CKO_PUBLIC_KEY, keyLabel);
    if (priv.length === 0 || pub.length === 0) {
      throw new KeyStoreError(
        'not_found',
        `Clé « ${keyLabel} » introuvable sur le jeton PKCS#11 « ${this.tokenLabel} ».`,
      );
    }
    if (priv.length > 1 || pub.length > 1) {
      throw new KeyStoreError(
        'invalid',
        `Plusieurs clés « ${keyLabel} » sur le jeton PKCS#11 « ${this.tokenLabel} » : libellé ambigu.`,
      );
    }
    return { privateKey: priv[0]!, publicKey: pub[0]! };
  }

  /** Protection attributes of the private key of a reference (for audits and tests). */
  async protection(ref: KeyRef): Promise<Pkcs11KeyProtection> {
    this.#checkRef(ref);
    const { m, session } = await this.#open();
    const { lib, p11 } = m;
    const { privateKey } = this.#keyPair(m, session, ref.keyLabel);
    const types = [
      lib.CKA_TOKEN,
      lib.CKA_PRIVATE,
      lib.CKA_SENSITIVE,
      lib.CKA_EXTRACTABLE,
      lib.CKA_ALWAYS_SENSITIVE,
      lib.CKA_NEVER_EXTRACTABLE,
    ];
    const values = p11.C_GetAttributeValue(
      session,
      privateKey,
      types.map((type) => ({ type })),
    );
    const flag = (i: number) => values[i]!.value.length > 0 && values[i]!.value[0] !== 0;
    return {
      token: flag(0),
      private: flag(1),
      sensitive: flag(2),
      extractable: flag(3),
      alwaysSensitive: flag(4),
      neverExtractable: flag(5),
    };
  }

  async signer(ref: KeyRef): Promise<Signer> {
    this.#checkRef(ref);
    if (ref.module !== this.modulePath) {
      throw new KeyStoreError(
        'invalid',
        `La clé « ${ref.keyLabel} » relève du module ${ref.module}, pas de ${this.modulePath}.`,
      );
    }
    const { m, session } = await this.#open();
    const { lib, p11 } = m;
    const { privateKey, publicKey } = this.#keyPair(m, session, ref.keyLabel);
    const algorithm = ref.algorithm;
    const isEc = algorithm === 'ecdsa-p256';

    // Public key → SPKI, checking that the token key is of the announced algorithm.
    const [keyType] = p11.C_GetAttributeValue(session, privateKey, [{ type: lib.CKA_KEY_TYPE }]);
    const actualType = keyType!.value.readUIntLE(0, Math.min(keyType!.value.length, 6));
    const mismatch = (what: string) =>
      new KeyStoreError(
        'invalid',
        `La clé « ${ref.keyLabel} » du jeton « ${this.tokenLabel} » n'est pas ${algorithm} (${what}).`,
      );
    let spki: Buffer;
    let signatureLength: number;
    if (isEc) {
      if (actualType !== lib.CKK_EC) throw mismatch('type de clé');
      const [params, point] = p11.C_GetAttributeValue(session, publicKey, [
        { type: lib.CKA_EC_PARAMS },
        { type: lib.CKA_EC_POINT },
      ]);
      if (!params!.value.equals(P256_PARAMS)) throw mismatch('courbe');
      const q = ecPointFromAttribute(point!.value);
      const jwk = {
        kty: 'EC',
        crv: 'P-256',
        x: q.subarray(1, 33).toString('base64url'),
        y: q.subarray(33, 65).toString('base64url'),
      };
      spki = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' });
      signatureLength = 64;
    } else {
      if (actualType !== lib.CKK_RSA) throw mismatch('type de clé');
      const [n, e] = p11.C_GetAttributeValue(session, publicKey, [
        { type: lib.CKA_MODULUS },
        { type: lib.CKA_PUBLIC_EXPONENT },
      ]);
      const modulus = n!.value;
      let bits = modulus.length * 8;
      for (let i = 0; i < modulus.length && modulus[i] === 0; i++) bits -= 8;
      if (bits !== (algorithm === 'rsa-2048' ? 2048 : 3072)) throw mismatch(`module de ${bits} bits`);
      const jwk = { kty: 'RSA', n: modulus.toString('base64url'), e: e!.value.toString('base64url') };
      spki = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' });
      signatureLength = bits / 8;
    }

    const closedCheck = () => {
      if (this.#closed)
        throw new KeyStoreError('unavailable', `Magasin PKCS#11 du jeton « ${this.tokenLabel} » fermé.`);
    };
    // Each signature is SignInit + Sign in one synchronous step: no interleaving on the session.
    const signOnToken = (mechanism: number, input: Buffer): Buffer => {
      closedCheck();
      p11.C_SignInit(session, { mechanism }, privateKey);
      return Buffer.from(p11.C_Sign(session, input, Buffer.alloc(signatureLength + 16)));
    };
    const signDigest = (digest: Buffer): Uint8Array =>
      isEc
        ? ecdsaRawToDer(signOnToken(lib.CKM_ECDSA, digest))
        : new Uint8Array(signOnToken(lib.CKM_RSA_PKCS, Buffer.concat([SHA256_DIGEST_INFO, digest])));

    return {
      algorithm,
      publicKeySpki: new Uint8Array(spki),
      async sign(data: Uint8Array): Promise<Uint8Array> {
        const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
        if (isEc) return signDigest(createHash('sha256').update(bytes).digest());
        return new Uint8Array(signOnToken(lib.CKM_SHA256_RSA_PKCS, bytes));
      },
      createSign(): StreamingSign {
        const hash = createHash('sha256');
        return onceStreamingSign(
          (chunk) => hash.update(chunk),
          () => signDigest(hash.digest()),
        );
      },
    };
  }
}
