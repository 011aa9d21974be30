// Virtual card: a file that behaves like the card's chip. Clear header (serial, model, holder) for
// listings; everything else (admin key, PIN hashes and counters, key pairs, certificates, pending
// challenge) sealed with AES-256-GCM under HKDF(chip key, serial), the header bound as AAD.
// Each operation reads and decrypts the file, acts, re-seals and writes it atomically.
//
// What a real chip adds: the keys never exist outside tamper-resistant hardware, and the try
// counters cannot be rolled back by restoring an old copy of the file (here they can, for whoever
// holds the chip key and an old copy).
import { createPrivateKey, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CARD_SLOTS, CardError, pinForSlot, type CardDriver, type CardIdentity, type CardSlot } from './card.ts';
import { constantTimeEqual, keyAttestation } from './admin-key.ts';
import {
  assertAlive,
  checkSerial,
  consumeAdmin,
  eraseCore,
  newChipCore,
  openFile,
  readCardBytes,
  readHeader,
  SealedChip,
  sealFile,
  SLOT_LABELS,
  verifyPinRecord,
  writeFileAtomic,
  type ChipCore,
  type SealedHeader,
} from './chip.ts';

export const VIRTUAL_CARD_FORMAT = 'cartes-carte-virtuelle';
const SEAL_INFO = 'cartes-virtual-card';

interface SlotKey {
  /** PKCS#8 DER, base64: only ever inside the sealed part. */
  pkcs8: string;
  spki: string;
}

interface VirtualContent extends ChipCore {
  v: 1;
  serial: string;
  keys: Partial<Record<CardSlot, SlotKey>>;
  certificates: Partial<Record<CardSlot, string>>;
}

export interface VirtualCardHeader {
  serial: string;
  model: string;
  holder: string | null;
}

export interface CreateVirtualCardInput {
  file: string;
  chipKey: Buffer;
  /** Card number, 10 digits. */
  serial: string;
  model: string;
  /** The card's administration key (deriveCardAdminKey(master, serial)). */
  adminKey: Buffer;
  /** Holder's name for listings (clear in the file). */
  holder?: string | null;
}

function checkChipKey(chipKey: Buffer): void {
  if (!Buffer.isBuffer(chipKey) || chipKey.length !== 32) throw new Error('Clé de puce invalide : 32 octets attendus.');
}

function slotKeyPair(): SlotKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    pkcs8: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    spki: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  };
}

function bytes(b64: string): Uint8Array {
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

function noKey(slot: CardSlot): CardError {
  return new CardError('no_key', `Aucune clé dans l'emplacement « ${SLOT_LABELS[slot]} » de la carte.`);
}

function checkSlot(slot: CardSlot): void {
  if (!(CARD_SLOTS as readonly string[]).includes(slot))
    throw new CardError('unsupported', `Emplacement de clé inconnu : « ${String(slot)} ».`);
}

function checkDer(der: Uint8Array): void {
  if (!(der instanceof Uint8Array) || der.length < 2 || der[0] !== 0x30)
    throw new CardError('unsupported', "Certificat refusé : ce n'est pas un certificat X.509 au format DER.");
}

/**
 * Manufacturer's fast path: a card built in memory (key pairs generated inside the object, only
 * public keys handed out), certificates written, then saved once.
 */
export class VirtualCardBuilder {
  readonly #file: string;
  readonly #chipKey: Buffer;
  readonly #header: SealedHeader;
  readonly #content: VirtualContent;
  #saved = false;
  #reopened = false;

  private constructor(input: CreateVirtualCardInput) {
    checkSerial(input.serial);
    checkChipKey(input.chipKey);
    if (!input.model.trim()) throw new Error('Modèle de carte manquant.');
    this.#file = input.file;
    this.#chipKey = input.chipKey;
    this.#header = {
      format: VIRTUAL_CARD_FORMAT,
      version: 1,
      serial: input.serial,
      model: input.model,
      holder: input.holder ?? null,
    };
    this.#content = { v: 1, serial: input.serial, ...newChipCore(input.adminKey), keys: {}, certificates: {} };
  }

  static create(input: CreateVirtualCardInput): VirtualCardBuilder {
    return new VirtualCardBuilder(input);
  }

  /**
   * The workshop takes back a card it made (transport state: no PIN set yet) to write its
   * certificates in one go. Only the holder of the card's administration key can: the same right
   * the single 'personalize' operations need, without a challenge per write.
   */
  static reopen(input: { file: string; chipKey: Buffer; adminKey: Buffer }): VirtualCardBuilder {
    const opened = openFile<VirtualContent>(readCardBytes(input.file), VIRTUAL_CARD_FORMAT, input.chipKey, SEAL_INFO);
    const c = opened.content;
    if (c.v !== 1 || c.serial !== opened.header.serial)
      throw new CardError('unreadable', 'Carte illisible : contenu incohérent.');
    assertAlive(c);
    if (c.adminKey === null || !constantTimeEqual(Buffer.from(c.adminKey, 'base64'), input.adminKey)) {
      throw new CardError(
        'admin_refused',
        "Opération d'administration refusée : ce n'est pas la clé d'administration de cette carte.",
      );
    }
    if (c.pins.auth.hash !== null || c.pins.sign.hash !== null)
      throw new CardError('admin_refused', 'Carte déjà activée : elle ne se personnalise plus en atelier.');
    const builder = new VirtualCardBuilder({
      file: input.file,
      chipKey: input.chipKey,
      serial: opened.header.serial,
      model: opened.header.model,
      adminKey: input.adminKey,
      holder: opened.header.holder,
    });
    Object.assign(builder.#content, c);
    builder.#reopened = true;
    return builder;
  }

  /** The certificate stored in a slot (reopened cards: what is already written). */
  certificate(slot: CardSlot): Uint8Array | null {
    const der = this.#content.certificates[slot];
    return der ? bytes(der) : null;
  }

  get serial(): string {
    return this.#header.serial;
  }

  /** Generates the slot's P-256 key pair inside the card object; returns its SPKI (DER). */
  generateKeyPair(slot: CardSlot): Uint8Array {
    checkSlot(slot);
    if (this.#content.keys[slot])
      throw new CardError('slot_taken', `L'emplacement « ${SLOT_LABELS[slot]} » contient déjà une clé.`);
    const key = slotKeyPair();
    this.#content.keys[slot] = key;
    return bytes(key.spki);
  }

  writeCertificate(slot: CardSlot, der: Uint8Array): void {
    checkSlot(slot);
    if (!this.#content.keys[slot]) throw noKey(slot);
    checkDer(der);
    this.#content.certificates[slot] = Buffer.from(der).toString('base64');
  }

  /**
   * Writes the card file (refuses to replace an existing file). `durable: false` skips fsync for
   * bulk runs: sync the folder once at the end.
   */
  async save(options: { durable?: boolean } = {}): Promise<void> {
    if (this.#saved) throw new Error(`Carte ${this.#header.serial} déjà enregistrée.`);
    writeFileAtomic(this.#file, sealFile(this.#header, this.#content, this.#chipKey, SEAL_INFO), {
      durable: options.durable ?? true,
      exclusive: !this.#reopened,
    });
    this.#saved = true;
  }
}

export interface PersonalizeVirtualCardInput extends CreateVirtualCardInput {
  slots: readonly CardSlot[];
  /** Issues the certificate (DER) of a slot for its public key (SPKI DER). */
  certify: (slot: CardSlot, spki: Uint8Array) => Promise<Uint8Array> | Uint8Array;
  /** false: no fsync (bulk production; sync the folder at the end). Default true. */
  durable?: boolean;
}

/** A card in transport state in one write: key pairs, certificates, no PIN. Returns the SPKIs. */
export async function personalizeVirtualCard(
  input: PersonalizeVirtualCardInput,
): Promise<Partial<Record<CardSlot, Uint8Array>>> {
  const builder = VirtualCardBuilder.create(input);
  const spkis: Partial<Record<CardSlot, Uint8Array>> = {};
  for (const slot of input.slots) {
    const spki = builder.generateKeyPair(slot);
    spkis[slot] = spki;
    builder.writeCertificate(slot, await input.certify(slot, spki));
  }
  await builder.save({ durable: input.durable ?? true });
  return spkis;
}

/** A blank card file: administration key, no PIN, no key. */
export async function createVirtualCard(input: CreateVirtualCardInput): Promise<void> {
  await VirtualCardBuilder.create(input).save();
}

/** Header of a card file, read without the chip key (listings); null if the file is not a card. */
export function readVirtualCardHeader(file: string): VirtualCardHeader | null {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return null;
  }
  const h = readHeader(data, VIRTUAL_CARD_FORMAT);
  return h ? { serial: h.serial, model: h.model, holder: h.holder } : null;
}

class VirtualCard extends SealedChip<VirtualContent, null> implements CardDriver {
  constructor(file: string, chipKey: Buffer) {
    super(file, chipKey, SEAL_INFO);
  }

  protected open(): { header: SealedHeader; content: VirtualContent; with: null } {
    const opened = openFile<VirtualContent>(readCardBytes(this.file), VIRTUAL_CARD_FORMAT, this.chipKey, SEAL_INFO);
    if (opened.content.v !== 1 || opened.content.serial !== opened.header.serial)
      throw new CardError('unreadable', 'Carte illisible : contenu incohérent.');
    return { ...opened, with: null };
  }

  identity(): Promise<CardIdentity> {
    return this.view((c, _, h) => {
      const slots = {
        keys: CARD_SLOTS.filter((s) => c.keys[s]),
        certificates: CARD_SLOTS.filter((s) => c.certificates[s]),
      };
      return this.identityOf(c, h, slots, 'virtual');
    });
  }

  generateKeyPair(slot: CardSlot, response: Uint8Array): Promise<Uint8Array> {
    return this.update((c) => {
      assertAlive(c);
      checkSlot(slot);
      const replacing = c.keys[slot] !== undefined;
      consumeAdmin(c, replacing ? `replace-key:${slot}` : 'personalize', response);
      const key = slotKeyPair();
      c.keys[slot] = key;
      delete c.certificates[slot];
      return bytes(key.spki);
    });
  }

  publicKey(slot: CardSlot): Promise<Uint8Array | null> {
    return this.view((c) => {
      assertAlive(c);
      const key = c.keys[slot];
      return key ? bytes(key.spki) : null;
    });
  }

  keyAttestation(slot: CardSlot): Promise<Uint8Array> {
    return this.view((c, _, h) => {
      assertAlive(c);
      const key = c.keys[slot];
      if (!key || c.adminKey === null) throw noKey(slot);
      return new Uint8Array(keyAttestation(Buffer.from(c.adminKey, 'base64'), h.serial, slot, bytes(key.spki)));
    });
  }

  writeCertificate(slot: CardSlot, der: Uint8Array, response: Uint8Array): Promise<void> {
    return this.update((c) => {
      assertAlive(c);
      checkSlot(slot);
      consumeAdmin(c, 'personalize', response);
      if (!c.keys[slot]) throw noKey(slot);
      checkDer(der);
      c.certificates[slot] = Buffer.from(der).toString('base64');
    });
  }

  readCertificate(slot: CardSlot): Promise<Uint8Array | null> {
    return this.view((c) => {
      assertAlive(c);
      const der = c.certificates[slot];
      return der ? bytes(der) : null;
    });
  }

  sign(slot: CardSlot, data: Uint8Array, pinValue: string): Promise<Uint8Array> {
    return this.update((c) => {
      assertAlive(c);
      checkSlot(slot);
      const key = c.keys[slot];
      if (!key) throw noKey(slot);
      verifyPinRecord(c, pinForSlot(slot), pinValue);
      const privateKey = createPrivateKey({ key: Buffer.from(key.pkcs8, 'base64'), format: 'der', type: 'pkcs8' });
      return new Uint8Array(nodeSign('sha256', data, { key: privateKey, dsaEncoding: 'der' }));
    });
  }

  terminate(response: Uint8Array): Promise<void> {
    return this.update((c) => {
      consumeAdmin(c, 'terminate', response);
      eraseCore(c);
      c.keys = {};
      c.certificates = {};
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** Opens a card file; CardError 'unreadable' when it is missing, edited, or sealed under another chip key. */
export async function openVirtualCard(file: string, chipKey: Buffer): Promise<CardDriver> {
  checkChipKey(chipKey);
  const card = new VirtualCard(file, chipKey);
  await card.identity();
  return card;
}
