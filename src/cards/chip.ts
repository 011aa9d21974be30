// What the chip of a card does whatever holds its keys: PIN records with try counters, the
// single-use administration challenge, the life of the chip; and the sealed file that keeps that
// state (virtual card file, companion record of a PKCS#11 card).
//
// Sealed file = JSON { header in clear, sealed: AES-256-GCM } where the key is
// HKDF-SHA256(chipKey, salt = serial, info) and the header is the additional authenticated data:
// changing a byte of either makes the file unreadable. Writes are atomic (temp file in the same
// folder, fsync, rename), so a reader never sees half a card.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, scryptSync } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { checkAdminResponse, constantTimeEqual } from './admin-key.ts';
import {
  CardError,
  PIN_KINDS,
  PIN_LABELS,
  PIN_TRIES,
  type AdminOperation,
  type CardIdentity,
  type CardSlot,
  type ChipState,
  type PinKind,
  type PinStatus,
} from './card.ts';

/** Wrong administration responses in a row before the card's administration key is blocked for good. */
export const ADMIN_TRIES = 3;

export const SLOT_LABELS: Record<CardSlot, string> = {
  auth: 'authentification',
  sign: 'signature',
  enc: 'chiffrement',
};

const SERIAL = /^\d{10}$/;

export function checkSerial(serial: string): void {
  if (!SERIAL.test(serial)) throw new Error(`Numéro de carte invalide : « ${serial} » (10 chiffres attendus).`);
}

// ---------------------------------------------------------------------------------------------
// Sealed file

export interface SealedHeader {
  format: string;
  version: 1;
  serial: string;
  model: string;
  holder: string | null;
}

/** The header bytes bound to the ciphertext (fixed key order). */
function headerAad(h: SealedHeader): Buffer {
  return Buffer.from(JSON.stringify([h.format, h.version, h.serial, h.model, h.holder]), 'utf8');
}

function sealKey(chipKey: Buffer, serial: string, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', chipKey, Buffer.from(serial, 'utf8'), info, 32));
}

export function sealFile(header: SealedHeader, content: unknown, chipKey: Buffer, info: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(chipKey, header.serial, info), iv);
  cipher.setAAD(headerAad(header));
  const data = Buffer.concat([cipher.update(JSON.stringify(content), 'utf8'), cipher.final()]);
  const file = {
    ...header,
    sealed: {
      alg: 'A256GCM',
      iv: iv.toString('base64'),
      data: data.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
    },
  };
  return Buffer.from(JSON.stringify(file, null, 1) + '\n', 'utf8');
}

export function unreadable(detail: string): CardError {
  return new CardError('unreadable', `Carte illisible : ${detail}`);
}

/** Parses the clear header only (listings); null when the file is not a card of this format. */
export function readHeader(bytes: Buffer, format: string): SealedHeader | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
  const o = parsed as Record<string, unknown>;
  if (!o || typeof o !== 'object' || o['format'] !== format || o['version'] !== 1) return null;
  if (typeof o['serial'] !== 'string' || typeof o['model'] !== 'string') return null;
  if (o['holder'] !== null && typeof o['holder'] !== 'string') return null;
  return { format, version: 1, serial: o['serial'], model: o['model'], holder: o['holder'] as string | null };
}

export function openFile<T>(
  bytes: Buffer,
  format: string,
  chipKey: Buffer,
  info: string,
): { header: SealedHeader; content: T } {
  const header = readHeader(bytes, format);
  if (!header) throw unreadable("ce fichier n'est pas une carte de ce type ou son en-tête est abîmé.");
  const sealed = (JSON.parse(bytes.toString('utf8')) as { sealed?: { iv?: unknown; data?: unknown; tag?: unknown } })
    .sealed;
  if (!sealed || typeof sealed.iv !== 'string' || typeof sealed.data !== 'string' || typeof sealed.tag !== 'string') {
    throw unreadable('contenu scellé absent.');
  }
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      sealKey(chipKey, header.serial, info),
      Buffer.from(sealed.iv, 'base64'),
    );
    decipher.setAAD(headerAad(header));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    const clear = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
    return { header, content: JSON.parse(clear.toString('utf8')) as T };
  } catch {
    throw unreadable('le fichier a été modifié ou abîmé, ou il a été fabriqué avec une autre clé de puce.');
  }
}

/**
 * Writes `data` to `file` atomically: temp file in the same folder, fsync, rename (or link when
 * `exclusive`, which refuses to replace an existing file), then fsync of the folder.
 * `durable: false` skips the fsyncs (bulk production; the caller syncs at the end).
 */
export function writeFileAtomic(
  file: string,
  data: Buffer,
  options: { durable?: boolean; exclusive?: boolean } = {},
): void {
  const durable = options.durable ?? true;
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, data);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    if (options.exclusive) {
      linkSync(temp, file);
      unlinkSync(temp);
    } else {
      renameSync(temp, file);
    }
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      throw new Error(`Une carte existe déjà à cet emplacement : ${file}.`, { cause: err });
    throw err;
  }
  if (durable) {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  }
}

export function readCardBytes(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw unreadable(`fichier introuvable (${basename(file)}) : la carte a été retirée ?`);
    throw err;
  }
}

const queues = new Map<string, Promise<unknown>>();

/** A lock file older than this is left over by a crashed process. */
const STALE_LOCK_MS = 30_000;
const LOCK_WAIT_MS = 10_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `<file>.lock`, created exclusively: read-modify-write cycles of two processes never interleave. */
async function lockFile(file: string): Promise<() => void> {
  const lock = `${file}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      return () => {
        try {
          unlinkSync(lock);
        } catch {
          // already removed as stale: nothing to do
        }
      };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT')
        throw unreadable(`dossier introuvable (${basename(dirname(file))}) : la carte a été retirée ?`);
      if (code !== 'EEXIST') throw err;
    }
    try {
      if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) unlinkSync(lock);
    } catch {
      // released meanwhile
    }
    if (Date.now() > deadline)
      throw new CardError('unreadable', 'Carte occupée : une autre opération est en cours, réessayez.');
    await sleep(5 + Math.random() * 10);
  }
}

/**
 * Runs read-modify-write operations on one card file one after the other: in this process (a
 * queue) and across processes (a lock file next to it), so no try counter update is ever lost.
 */
export function serialized<T>(file: string, fn: () => Promise<T> | T): Promise<T> {
  return queued(file, async () => {
    const unlock = await lockFile(file);
    try {
      return await fn();
    } finally {
      unlock();
    }
  });
}

/** In-process queue only (no lock file): for steps that do not touch the card file. */
export function queued<T>(file: string, fn: () => Promise<T> | T): Promise<T> {
  const previous = queues.get(file) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  const tail = run.catch(() => undefined);
  queues.set(file, tail);
  void tail.then(() => {
    if (queues.get(file) === tail) queues.delete(file);
  });
  return run;
}

// ---------------------------------------------------------------------------------------------
// PINs and administration, as the chip keeps them

export interface PinRecord {
  /** scrypt(PIN, salt), base64; null while the PIN is not set (transport). */
  hash: string | null;
  salt: string | null;
  triesLeft: number;
}

export interface ChipCore {
  terminated: boolean;
  adminKey: string | null;
  adminTriesLeft: number;
  /** The last challenge handed out, base64; cleared by the first response, right or wrong. */
  challenge: string | null;
  pins: Record<PinKind, PinRecord>;
}

export function newChipCore(adminKey: Buffer): ChipCore {
  const pin = (): PinRecord => ({ hash: null, salt: null, triesLeft: PIN_TRIES });
  return {
    terminated: false,
    adminKey: adminKey.toString('base64'),
    adminTriesLeft: ADMIN_TRIES,
    challenge: null,
    pins: { auth: pin(), sign: pin() },
  };
}

// A 4-digit PIN has 10,000 values: the hash only keeps it out of sight; the try counter and the
// seal are what protect it, as on a real chip.
const SCRYPT = { N: 1 << 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

function pinHash(value: string, salt: Buffer): Buffer {
  return scryptSync(value.normalize('NFC'), salt, 32, SCRYPT);
}

export function checkPinFormat(value: unknown): asserts value is string {
  if (typeof value !== 'string' || !/^\d{4}$/.test(value)) {
    throw new CardError('pin_format', 'Le code PIN doit comporter exactement 4 chiffres.');
  }
}

export function setPinRecord(core: ChipCore, kind: PinKind, value: string): void {
  const salt = randomBytes(16);
  core.pins[kind] = {
    hash: pinHash(value, salt).toString('base64'),
    salt: salt.toString('base64'),
    triesLeft: PIN_TRIES,
  };
}

export function assertAlive(core: ChipCore): void {
  if (core.terminated)
    throw new CardError('terminated', 'Cette carte est désactivée définitivement : elle refuse toute opération.');
}

function triesText(n: number): string {
  return n === 1 ? 'il reste 1 essai' : `il reste ${n} essais`;
}

/**
 * Checks a PIN against the chip's record and updates the counter in `core` (the caller saves
 * `core` even when this throws): wrong → 'pin_wrong' with tries left, the third → 'pin_blocked'.
 */
export function verifyPinRecord(core: ChipCore, kind: PinKind, value: string): void {
  checkPinFormat(value);
  const rec = core.pins[kind];
  const label = PIN_LABELS[kind];
  if (rec.hash === null || rec.salt === null) {
    throw new CardError(
      'pin_not_set',
      `Le code ${label} n'est pas encore défini : la carte doit d'abord être activée.`,
    );
  }
  if (rec.triesLeft <= 0) throw new CardError('pin_blocked', `Le code ${label} est bloqué après trois erreurs.`, 0);
  if (constantTimeEqual(pinHash(value, Buffer.from(rec.salt, 'base64')), Buffer.from(rec.hash, 'base64'))) {
    rec.triesLeft = PIN_TRIES;
    return;
  }
  rec.triesLeft -= 1;
  if (rec.triesLeft <= 0)
    throw new CardError('pin_blocked', `Code PIN erroné : le code ${label} est bloqué après trois erreurs.`, 0);
  throw new CardError('pin_wrong', `Code PIN erroné : ${triesText(rec.triesLeft)}.`, rec.triesLeft);
}

export function pinStatus(core: ChipCore): Record<PinKind, PinStatus> {
  const status = (kind: PinKind): PinStatus => {
    const rec = core.pins[kind];
    return { set: rec.hash !== null, triesLeft: rec.triesLeft, blocked: rec.hash !== null && rec.triesLeft <= 0 };
  };
  return { auth: status('auth'), sign: status('sign') };
}

export function chipState(core: ChipCore, hasKeys: boolean): ChipState {
  if (core.terminated) return 'terminated';
  if (PIN_KINDS.every((k) => core.pins[k].hash !== null)) return 'active';
  return hasKeys ? 'transport' : 'blank';
}

export function newChallenge(core: ChipCore): Uint8Array {
  assertAlive(core);
  const challenge = randomBytes(16);
  core.challenge = challenge.toString('base64');
  return new Uint8Array(challenge);
}

/**
 * Consumes the pending challenge and checks `response` for `operation`. Wrong answers count; after
 * ADMIN_TRIES in a row the administration key is blocked for good (the card still works with its
 * PINs, but can no longer be unblocked or personalised: it has to be replaced).
 */
export function consumeAdmin(core: ChipCore, operation: AdminOperation, response: Uint8Array): void {
  assertAlive(core);
  if (core.adminKey === null || core.adminTriesLeft <= 0) {
    core.challenge = null;
    throw new CardError(
      'admin_refused',
      "Opération d'administration refusée : la clé d'administration de la carte est bloquée.",
    );
  }
  const challenge = core.challenge;
  core.challenge = null;
  if (challenge === null) {
    throw new CardError(
      'admin_refused',
      "Opération d'administration refusée : aucun défi en cours (un défi ne sert qu'une fois).",
    );
  }
  if (
    !(response instanceof Uint8Array) ||
    !checkAdminResponse(Buffer.from(core.adminKey, 'base64'), Buffer.from(challenge, 'base64'), operation, response)
  ) {
    core.adminTriesLeft -= 1;
    const left = core.adminTriesLeft;
    throw new CardError(
      'admin_refused',
      left > 0
        ? `Opération d'administration refusée : réponse au défi incorrecte (encore ${left} essai${left > 1 ? 's' : ''} avant blocage de la clé d'administration).`
        : "Opération d'administration refusée : réponse au défi incorrecte ; la clé d'administration de la carte est maintenant bloquée.",
    );
  }
  core.adminTriesLeft = ADMIN_TRIES;
}

/** The operation a PIN setting needs: 'set-pin' (activation) while unset, 'reset-pin' (unblock) after. */
export function pinAdminOperation(core: ChipCore, kind: PinKind): AdminOperation {
  return core.pins[kind].hash === null ? `set-pin:${kind}` : `reset-pin:${kind}`;
}

/** Shared by both drivers: a PIN changed by its holder (old value checked, counted). */
export function changePinRecord(core: ChipCore, kind: PinKind, oldValue: string, newValue: string): void {
  assertAlive(core);
  checkPinFormat(oldValue);
  checkPinFormat(newValue);
  verifyPinRecord(core, kind, oldValue);
  setPinRecord(core, kind, newValue);
}

/** Shared by both drivers: activation / unblock under the administration key. */
export function setPinWithAdminRecord(core: ChipCore, kind: PinKind, response: Uint8Array, newValue: string): void {
  assertAlive(core);
  checkPinFormat(newValue);
  consumeAdmin(core, pinAdminOperation(core, kind), response);
  setPinRecord(core, kind, newValue);
}

export function eraseCore(core: ChipCore): void {
  core.terminated = true;
  core.adminKey = null;
  core.challenge = null;
  for (const k of PIN_KINDS) core.pins[k] = { hash: null, salt: null, triesLeft: 0 };
}

// ---------------------------------------------------------------------------------------------
// The sealed record behind a card driver

/**
 * What both drivers share: the chip's record in a sealed file, read and re-sealed around each
 * operation (one at a time per file), and the PIN and administration operations, which only touch
 * that record. A driver says how to open its record (and what it reads along: the token's slot)
 * and adds the key operations.
 */
export abstract class SealedChip<C extends ChipCore, X> {
  protected readonly file: string;
  protected readonly chipKey: Buffer;
  protected readonly sealInfo: string;
  protected closed = false;

  constructor(file: string, chipKey: Buffer, sealInfo: string) {
    this.file = file;
    this.chipKey = chipKey;
    this.sealInfo = sealInfo;
  }

  /** The record and what goes with it; CardError 'unreadable' when it does not fit. */
  protected abstract open(): { header: SealedHeader; content: C; with: X };

  #read(): { header: SealedHeader; content: C; with: X } {
    if (this.closed) throw new CardError('unreadable', 'Carte retirée du lecteur.');
    return this.open();
  }

  /** Read, act, re-seal and write; the record is written even when `fn` refuses (try counters). */
  protected update<T>(fn: (c: C, x: X) => T): Promise<T> {
    return serialized(this.file, () => {
      const { header, content, with: x } = this.#read();
      const before = JSON.stringify(content);
      const save = () => {
        if (JSON.stringify(content) !== before)
          writeFileAtomic(this.file, sealFile(header, content, this.chipKey, this.sealInfo));
      };
      let result: T;
      try {
        result = fn(content, x);
      } catch (err) {
        save();
        throw err;
      }
      save();
      return result;
    });
  }

  /** What the card says of itself, given the slots holding a key and a certificate. */
  protected identityOf(
    c: C,
    h: SealedHeader,
    slots: { keys: CardSlot[]; certificates: CardSlot[] },
    driver: CardIdentity['driver'],
  ): CardIdentity {
    return {
      serial: h.serial,
      model: h.model,
      chipState: chipState(c, slots.keys.length > 0),
      pins: pinStatus(c),
      ...slots,
      driver,
      adminTriesLeft: c.adminTriesLeft,
    };
  }

  protected view<T>(fn: (c: C, x: X, h: SealedHeader) => T): Promise<T> {
    return serialized(this.file, () => {
      const { header, content, with: x } = this.#read();
      return fn(content, x, header);
    });
  }

  verifyPin(pin: PinKind, value: string): Promise<void> {
    return this.update((c) => {
      assertAlive(c);
      verifyPinRecord(c, pin, value);
    });
  }

  changePin(pin: PinKind, oldValue: string, newValue: string): Promise<void> {
    return this.update((c) => changePinRecord(c, pin, oldValue, newValue));
  }

  adminChallenge(): Promise<Uint8Array> {
    return this.update((c) => newChallenge(c));
  }

  setPinWithAdmin(pin: PinKind, response: Uint8Array, newValue: string): Promise<void> {
    return this.update((c) => setPinWithAdminRecord(c, pin, response, newValue));
  }
}
