// The card interface over a PKCS#11 token (one token per card; SoftHSM2 in tests).
//
// On the token: the key pairs (CKM_EC_KEY_PAIR_GEN P-256; private keys sensitive, never
// extractable, signing only), labelled by slot, and the certificates (CKO_CERTIFICATE, public,
// labelled by slot). Signatures: SHA-256 in Node, CKM_ECDSA on the token, raw r||s → DER.
//
// What SoftHSM2 (like most soft tokens) lacks, and a real card has: a PIN retry counter with
// lockout, a second PIN guarding the signature key, and a challenge-response administration key.
// Those live here in a companion record, sealed like a virtual card file (AES-256-GCM under
// HKDF(chip key, serial), clear header bound as AAD): the PIN hashes and try counters, the card
// administration key and its pending challenge. The token's own user PIN (CKU_USER) is a random
// 128-bit secret kept in that record, so the token answers only through this driver, which checks
// the card PINs first; the 4-digit PINs are therefore not the token PIN (SoftHSM has a single user
// PIN and no lockout: a 4-digit token PIN could be brute-forced directly). The security officer
// PIN is hex(HMAC(card admin key, "so-pin")): whoever holds the card administration key can
// initialise and erase the token. A real card checks all of this inside the chip, where restoring
// an old copy of the record cannot roll the counters back.
import { createHash, randomBytes } from 'node:crypto';
import { ecdsaRawToDer } from '../pki/keystore-pkcs11.ts';
import { acquirePkcs11Module, ckr, releasePkcs11Module, signingOnlyKey } from '../pki/pkcs11-module.ts';
import type { Pkcs11Module } from '../pki/pkcs11-module.ts';
import { keyAttestation, pkcs11SoPin } from './admin-key.ts';
import { CARD_SLOTS, CardError, pinForSlot, type CardDriver, type CardIdentity, type CardSlot } from './card.ts';
import {
  assertAlive,
  checkSerial,
  consumeAdmin,
  eraseCore,
  newChipCore,
  openFile,
  queued,
  readCardBytes,
  SealedChip,
  sealFile,
  SLOT_LABELS,
  verifyPinRecord,
  writeFileAtomic,
  type ChipCore,
  type SealedHeader,
} from './chip.ts';

export const PKCS11_CARD_FORMAT = 'cartes-carte-pkcs11';
const SEAL_INFO = 'cartes-pkcs11-card';

type Handle = Buffer;

/** DER of the OID prime256v1: CKA_EC_PARAMS of P-256. */
const P256_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');
/** SPKI prefix of an uncompressed P-256 point (id-ecPublicKey, prime256v1, BIT STRING of 66 bytes). */
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');

interface CompanionContent extends ChipCore {
  v: 1;
  serial: string;
  tokenLabel: string;
  /** Serial number of the token (C_GetTokenInfo): the record fits this token only. */
  tokenSerial: string;
  /** The token's CKU_USER PIN, random, known only to this record. */
  userSecret: string;
}

export interface Pkcs11CardOptions {
  /** PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so */
  modulePath: string;
  /** Label of the card's token. */
  tokenLabel: string;
  /** Companion record (PIN counters, second PIN, administration), sealed with the chip key. */
  stateFile: string;
  chipKey: Buffer;
}

export interface CreatePkcs11CardInput extends Pkcs11CardOptions {
  serial: string;
  model: string;
  /** The card administration key; the token must have been initialised with SO PIN pkcs11SoPin(adminKey). */
  adminKey: Buffer;
  holder?: string | null;
}

// ---------------------------------------------------------------------------------------------
// Module: one registry per process, shared with the key store (src/pki/pkcs11-module.ts)

function unavailable(message: string, cause?: unknown): CardError {
  const err = new CardError('unreadable', message);
  if (cause !== undefined) (err as Error & { cause?: unknown }).cause = cause;
  return err;
}

/** The card reader's French errors for a module that does not load or initialise. */
function moduleFailure(modulePath: string) {
  return (what: 'load' | 'init', cause: unknown) =>
    unavailable(
      what === 'load'
        ? `Lecteur PKCS#11 indisponible : module ${modulePath} introuvable ou illisible.`
        : `Lecteur PKCS#11 indisponible : le module ${modulePath} ne s'initialise pas.`,
      cause,
    );
}

/** CK_UTF8CHAR[32] label, blank-padded as PKCS#11 wants it (pkcs11js passes the string as is). */
function paddedLabel(label: string): string {
  if (Buffer.byteLength(label) > 32) throw new Error(`Libellé de jeton trop long (32 octets au plus) : « ${label} ».`);
  return label + ' '.repeat(32 - Buffer.byteLength(label));
}

function findSlot(m: Pkcs11Module, tokenLabel: string): { slot: Handle; serialNumber: string } {
  const labels: string[] = [];
  for (const s of m.p11.C_GetSlotList(true)) {
    const info = m.p11.C_GetTokenInfo(s);
    const label = info.label.replace(/[\s\0]+$/, '');
    labels.push(label);
    if (label === tokenLabel) return { slot: s, serialNumber: info.serialNumber.trim() };
  }
  throw unavailable(
    `Carte absente : aucun jeton PKCS#11 « ${tokenLabel} » dans le lecteur (jetons présents : ${
      labels
        .filter(Boolean)
        .map((l) => `« ${l} »`)
        .join(', ') || 'aucun'
    }).`,
  );
}

function find(m: Pkcs11Module, session: Handle, cls: number, label: string): Handle[] {
  m.p11.C_FindObjectsInit(session, [
    { type: m.lib.CKA_CLASS, value: cls },
    { type: m.lib.CKA_LABEL, value: label },
  ]);
  try {
    return m.p11.C_FindObjects(session, 10);
  } finally {
    m.p11.C_FindObjectsFinal(session);
  }
}

function spkiOf(m: Pkcs11Module, session: Handle, publicKey: Handle): Uint8Array {
  const [point] = m.p11.C_GetAttributeValue(session, publicKey, [{ type: m.lib.CKA_EC_POINT }]);
  let q = point!.value;
  // DER OCTET STRING around the point (PKCS#11 ≥ 2.20), or the raw point.
  if (q.length === 67 && q[0] === 0x04 && q[1] === 65) q = q.subarray(2);
  if (q.length !== 65 || q[0] !== 0x04)
    throw new CardError('unsupported', 'Clé publique du jeton inattendue (point P-256 non compressé attendu).');
  return new Uint8Array(Buffer.concat([P256_SPKI_PREFIX, q]));
}

// DER walking, just enough to read the subject, issuer and serial of a certificate (CKA_SUBJECT…).
function derElement(buf: Buffer, offset: number): { start: number; end: number; next: number; tag: number } {
  const tag = buf[offset];
  let len = buf[offset + 1];
  if (tag === undefined || len === undefined) throw new Error('DER tronqué');
  let header = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('longueur DER invalide');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[offset + 2 + i]!;
    header += n;
  }
  const start = offset + header;
  const end = start + len;
  if (end > buf.length) throw new Error('DER tronqué');
  return { start, end, next: end, tag };
}

function certificateFields(der: Buffer): { subject: Buffer; issuer: Buffer; serial: Buffer } {
  try {
    const cert = derElement(der, 0);
    if (cert.tag !== 0x30 || cert.end !== der.length) throw new Error('pas une SEQUENCE');
    const tbs = derElement(der, cert.start);
    let at = tbs.start;
    let el = derElement(der, at);
    if (el.tag === 0xa0) {
      at = el.next;
      el = derElement(der, at);
    }
    const serial = der.subarray(at, el.next);
    const sigAlg = derElement(der, el.next);
    const issuerEl = derElement(der, sigAlg.next);
    const validity = derElement(der, issuerEl.next);
    const subjectEl = derElement(der, validity.next);
    const raw = (e: { next: number }, from: number) => der.subarray(from, e.next);
    return { serial, issuer: raw(issuerEl, sigAlg.next), subject: raw(subjectEl, validity.next) };
  } catch {
    throw new CardError('unsupported', "Certificat refusé : ce n'est pas un certificat X.509 au format DER.");
  }
}

// ---------------------------------------------------------------------------------------------

function checkChipKey(chipKey: Buffer): void {
  if (!Buffer.isBuffer(chipKey) || chipKey.length !== 32) throw new Error('Clé de puce invalide : 32 octets attendus.');
}

function checkSlot(slot: CardSlot): void {
  if (!(CARD_SLOTS as readonly string[]).includes(slot))
    throw new CardError('unsupported', `Emplacement de clé inconnu : « ${String(slot)} ».`);
}

function noKey(slot: CardSlot): CardError {
  return new CardError('no_key', `Aucune clé dans l'emplacement « ${SLOT_LABELS[slot]} » de la carte.`);
}

/** Runs `fn` in a fresh read/write session on the token, logged in as `user` when given. */
function withSession<T>(
  m: Pkcs11Module,
  slot: Handle,
  login: { user: number; pin: string } | null,
  fn: (session: Handle) => T,
): T {
  const session = m.p11.C_OpenSession(slot, m.lib.CKF_SERIAL_SESSION | m.lib.CKF_RW_SESSION);
  let loggedIn = false;
  try {
    if (login) {
      try {
        m.p11.C_Login(session, login.user, login.pin);
        loggedIn = true;
      } catch (err) {
        if (ckr(err) !== 'CKR_USER_ALREADY_LOGGED_IN') throw err;
      }
    }
    return fn(session);
  } finally {
    try {
      if (loggedIn) m.p11.C_Logout(session);
    } finally {
      m.p11.C_CloseSession(session);
    }
  }
}

/**
 * Makes a card of an initialised token: erases it (C_InitToken under the SO PIN derived from the
 * card administration key, which proves the key fits the token), sets a random user PIN, and
 * writes the companion record (refuses to replace one). The card is then blank: keys come with
 * generateKeyPair, PINs with setPinWithAdmin.
 */
export async function createPkcs11Card(input: CreatePkcs11CardInput): Promise<void> {
  checkSerial(input.serial);
  checkChipKey(input.chipKey);
  const m = await acquirePkcs11Module(input.modulePath, moduleFailure(input.modulePath));
  try {
    const { slot } = findSlot(m, input.tokenLabel);
    const soPin = pkcs11SoPin(input.adminKey);
    try {
      m.p11.C_InitToken(slot, soPin, paddedLabel(input.tokenLabel));
    } catch (err) {
      const code = ckr(err);
      if (code === 'CKR_PIN_INCORRECT')
        throw new CardError(
          'admin_refused',
          `Le jeton « ${input.tokenLabel} » n'a pas été préparé avec la clé d'administration de la carte ${input.serial}.`,
        );
      throw err;
    }
    const userSecret = randomBytes(16).toString('hex');
    withSession(m, slot, { user: m.lib.CKU_SO, pin: soPin }, (session) => m.p11.C_InitPIN(session, userSecret));
    const { serialNumber } = findSlot(m, input.tokenLabel);
    const header: SealedHeader = {
      format: PKCS11_CARD_FORMAT,
      version: 1,
      serial: input.serial,
      model: input.model,
      holder: input.holder ?? null,
    };
    const content: CompanionContent = {
      v: 1,
      serial: input.serial,
      tokenLabel: input.tokenLabel,
      tokenSerial: serialNumber,
      userSecret,
      ...newChipCore(input.adminKey),
    };
    writeFileAtomic(input.stateFile, sealFile(header, content, input.chipKey, SEAL_INFO), { exclusive: true });
  } finally {
    releasePkcs11Module(input.modulePath, m);
  }
}

class Pkcs11Card extends SealedChip<CompanionContent, Handle> implements CardDriver {
  readonly #o: Pkcs11CardOptions;
  readonly #m: Pkcs11Module;

  constructor(options: Pkcs11CardOptions, m: Pkcs11Module) {
    super(options.stateFile, options.chipKey, SEAL_INFO);
    this.#o = options;
    this.#m = m;
  }

  /** The companion record, and the slot of the token it was made for. */
  protected open(): { header: SealedHeader; content: CompanionContent; with: Handle } {
    const { header, content } = openFile<CompanionContent>(
      readCardBytes(this.file),
      PKCS11_CARD_FORMAT,
      this.chipKey,
      SEAL_INFO,
    );
    if (content.v !== 1 || content.serial !== header.serial || content.tokenLabel !== this.#o.tokenLabel) {
      throw new CardError('unreadable', "Carte illisible : l'enregistrement ne correspond pas à ce jeton.");
    }
    const { slot, serialNumber } = findSlot(this.#m, this.#o.tokenLabel);
    if (!content.terminated && serialNumber !== content.tokenSerial)
      throw new CardError('unreadable', "Carte illisible : l'enregistrement ne correspond pas à ce jeton.");
    return { header, content, with: slot };
  }

  #user(c: CompanionContent): { user: number; pin: string } {
    return { user: this.#m.lib.CKU_USER, pin: c.userSecret };
  }

  /** Slots with a key (public key object) and with a certificate; public objects, no login. */
  #objects(slot: Handle): { keys: CardSlot[]; certificates: CardSlot[] } {
    const { lib } = this.#m;
    return withSession(this.#m, slot, null, (session) => ({
      keys: CARD_SLOTS.filter((s) => find(this.#m, session, lib.CKO_PUBLIC_KEY, s).length > 0),
      certificates: CARD_SLOTS.filter((s) => find(this.#m, session, lib.CKO_CERTIFICATE, s).length > 0),
    }));
  }

  identity(): Promise<CardIdentity> {
    return this.view((c, slot, h) =>
      this.identityOf(c, h, c.terminated ? { keys: [], certificates: [] } : this.#objects(slot), 'pkcs11'),
    );
  }

  generateKeyPair(slot: CardSlot, response: Uint8Array): Promise<Uint8Array> {
    return this.update((c, tokenSlot) => {
      assertAlive(c);
      checkSlot(slot);
      const { lib, p11 } = this.#m;
      return withSession(this.#m, tokenSlot, this.#user(c), (session) => {
        const old = [lib.CKO_PUBLIC_KEY, lib.CKO_PRIVATE_KEY, lib.CKO_CERTIFICATE].flatMap((cls) =>
          find(this.#m, session, cls, slot),
        );
        const replacing = old.length > 0;
        consumeAdmin(c, replacing ? `replace-key:${slot}` : 'personalize', response);
        for (const handle of old) p11.C_DestroyObject(session, handle);
        const common = [
          { type: lib.CKA_TOKEN, value: true },
          { type: lib.CKA_LABEL, value: slot },
          { type: lib.CKA_ID, value: Buffer.from(slot) },
          { type: lib.CKA_KEY_TYPE, value: lib.CKK_EC },
        ];
        const { publicKey } = p11.C_GenerateKeyPair(
          session,
          { mechanism: lib.CKM_EC_KEY_PAIR_GEN },
          [
            ...common,
            { type: lib.CKA_CLASS, value: lib.CKO_PUBLIC_KEY },
            { type: lib.CKA_PRIVATE, value: false },
            { type: lib.CKA_VERIFY, value: true },
            { type: lib.CKA_EC_PARAMS, value: P256_PARAMS },
          ],
          [...common, ...signingOnlyKey(lib)],
        );
        return spkiOf(this.#m, session, publicKey);
      });
    });
  }

  /** The SubjectPublicKeyInfo of the slot's key, read from the token (a public object: no login). */
  #spki(tokenSlot: Handle, slot: CardSlot): Uint8Array | null {
    return withSession(this.#m, tokenSlot, null, (session) => {
      const [pub] = find(this.#m, session, this.#m.lib.CKO_PUBLIC_KEY, slot);
      return pub ? spkiOf(this.#m, session, pub) : null;
    });
  }

  publicKey(slot: CardSlot): Promise<Uint8Array | null> {
    return this.view((c, tokenSlot) => {
      assertAlive(c);
      return this.#spki(tokenSlot, slot);
    });
  }

  keyAttestation(slot: CardSlot): Promise<Uint8Array> {
    return this.view((c, tokenSlot, h) => {
      assertAlive(c);
      const spki = this.#spki(tokenSlot, slot);
      if (!spki || c.adminKey === null) throw noKey(slot);
      return new Uint8Array(keyAttestation(Buffer.from(c.adminKey, 'base64'), h.serial, slot, spki));
    });
  }

  writeCertificate(slot: CardSlot, der: Uint8Array, response: Uint8Array): Promise<void> {
    return this.update((c, tokenSlot) => {
      assertAlive(c);
      checkSlot(slot);
      consumeAdmin(c, 'personalize', response);
      const value = Buffer.from(der);
      const fields = certificateFields(value);
      const { lib, p11 } = this.#m;
      withSession(this.#m, tokenSlot, this.#user(c), (session) => {
        if (find(this.#m, session, lib.CKO_PUBLIC_KEY, slot).length === 0) throw noKey(slot);
        for (const old of find(this.#m, session, lib.CKO_CERTIFICATE, slot)) p11.C_DestroyObject(session, old);
        p11.C_CreateObject(session, [
          { type: lib.CKA_CLASS, value: lib.CKO_CERTIFICATE },
          { type: lib.CKA_CERTIFICATE_TYPE, value: lib.CKC_X_509 },
          { type: lib.CKA_TOKEN, value: true },
          { type: lib.CKA_PRIVATE, value: false },
          { type: lib.CKA_LABEL, value: slot },
          { type: lib.CKA_ID, value: Buffer.from(slot) },
          { type: lib.CKA_SUBJECT, value: fields.subject },
          { type: lib.CKA_ISSUER, value: fields.issuer },
          { type: lib.CKA_SERIAL_NUMBER, value: fields.serial },
          { type: lib.CKA_VALUE, value },
        ]);
      });
    });
  }

  readCertificate(slot: CardSlot): Promise<Uint8Array | null> {
    return this.view((c, tokenSlot) => {
      assertAlive(c);
      return withSession(this.#m, tokenSlot, null, (session) => {
        const [cert] = find(this.#m, session, this.#m.lib.CKO_CERTIFICATE, slot);
        if (!cert) return null;
        const [value] = this.#m.p11.C_GetAttributeValue(session, cert, [{ type: this.#m.lib.CKA_VALUE }]);
        return new Uint8Array(value!.value);
      });
    });
  }

  sign(slot: CardSlot, data: Uint8Array, pinValue: string): Promise<Uint8Array> {
    return this.update((c, tokenSlot) => {
      assertAlive(c);
      checkSlot(slot);
      const { lib, p11 } = this.#m;
      const hasKey = withSession(
        this.#m,
        tokenSlot,
        null,
        (session) => find(this.#m, session, lib.CKO_PUBLIC_KEY, slot).length > 0,
      );
      if (!hasKey) throw noKey(slot);
      verifyPinRecord(c, pinForSlot(slot), pinValue);
      const digest = createHash('sha256').update(data).digest();
      return withSession(this.#m, tokenSlot, this.#user(c), (session) => {
        const [key] = find(this.#m, session, lib.CKO_PRIVATE_KEY, slot);
        if (!key) throw noKey(slot);
        p11.C_SignInit(session, { mechanism: lib.CKM_ECDSA }, key);
        return ecdsaRawToDer(p11.C_Sign(session, digest, Buffer.alloc(80)));
      });
    });
  }

  terminate(response: Uint8Array): Promise<void> {
    return this.update((c, tokenSlot) => {
      const adminKey = c.adminKey;
      consumeAdmin(c, 'terminate', response);
      // Erase the token: every key and certificate goes, the user PIN is no longer initialised.
      this.#m.p11.C_InitToken(
        tokenSlot,
        pkcs11SoPin(Buffer.from(adminKey!, 'base64')),
        paddedLabel(this.#o.tokenLabel),
      );
      eraseCore(c);
      c.userSecret = '';
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await queued(this.#o.stateFile, () => releasePkcs11Module(this.#o.modulePath, this.#m));
  }
}

/**
 * Opens the card in a PKCS#11 reader: the token and its companion record. CardError 'unreadable'
 * when the token is absent, the record missing, edited, sealed under another chip key, or made
 * for another token.
 */
export async function openPkcs11Card(options: Pkcs11CardOptions): Promise<CardDriver> {
  checkChipKey(options.chipKey);
  const m = await acquirePkcs11Module(options.modulePath, moduleFailure(options.modulePath));
  const card = new Pkcs11Card(options, m);
  try {
    await card.identity();
  } catch (err) {
    await card.close();
    throw err;
  }
  return card;
}
