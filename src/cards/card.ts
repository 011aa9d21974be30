// One interface over every kind of card: the virtual card (file-backed chip emulation) and a
// PKCS#11 token. Callers never see private keys; a card refuses what a real card refuses and says
// why with a CardError (French message, stable code).

/** Key slots of a card: authentication, signature, encryption. */
export const CARD_SLOTS = ['auth', 'sign', 'enc'] as const;
export type CardSlot = (typeof CARD_SLOTS)[number];

/** The two PINs: "PIN Global" (authentication) guards AUTH and ENC, "PIN Propre" (signature) guards SIGN. */
export const PIN_KINDS = ['auth', 'sign'] as const;
export type PinKind = (typeof PIN_KINDS)[number];

export const PIN_LABELS: Record<PinKind, string> = { auth: 'PIN Global', sign: 'PIN Propre' };
export const PIN_TRIES = 3;

/** The PIN that unlocks a slot. */
export function pinForSlot(slot: CardSlot): PinKind {
  return slot === 'sign' ? 'sign' : 'auth';
}

/** Life of the chip itself (not the platform's card state): transport = PINs not yet set. */
export type ChipState = 'blank' | 'transport' | 'active' | 'terminated';

export interface PinStatus {
  /** A PIN has been set (activation); before that the card is in transport state. */
  set: boolean;
  triesLeft: number;
  blocked: boolean;
}

export interface CardIdentity {
  /** Card number printed on the card (10 digits). */
  serial: string;
  /** Card model code (src/domain/card-model.ts). */
  model: string;
  chipState: ChipState;
  pins: Record<PinKind, PinStatus>;
  /** Slots holding a key pair. */
  keys: CardSlot[];
  /** Slots holding a certificate. */
  certificates: CardSlot[];
  /** Which driver: what a real card would add is in the driver's own notes. */
  driver: 'virtual' | 'pkcs11';
  /** Wrong administration responses left before the card's administration key is blocked (0 = blocked). */
  adminTriesLeft?: number;
}

/**
 * Privileged operations need a response to a fresh card challenge computed with the card's
 * administration key (src/cards/admin-key.ts): the server holds the master key, the workstation
 * never does, so the card agent cannot perform them alone.
 */
// 'replace-key:<slot>' renews the key of that occupied slot (certificate renewal); 'personalize' only fills empty slots.
export const ADMIN_OPERATIONS = [
  'set-pin:auth',
  'set-pin:sign',
  'reset-pin:auth',
  'reset-pin:sign',
  'terminate',
  'personalize',
  'replace-key:auth',
  'replace-key:sign',
  'replace-key:enc',
] as const;
export type AdminOperation = (typeof ADMIN_OPERATIONS)[number];

export interface CardDriver {
  identity(): Promise<CardIdentity>;
  /** Checks a PIN: wrong → CardError 'pin_wrong' (tries left decreases), 0 left → 'pin_blocked'. */
  verifyPin(pin: PinKind, value: string): Promise<void>;
  changePin(pin: PinKind, oldValue: string, newValue: string): Promise<void>;
  /** A fresh random challenge (16 bytes) for one administration operation; single use. */
  adminChallenge(): Promise<Uint8Array>;
  /** Sets (activation) or resets (unblock) a PIN under the administration key: tries back to 3. */
  setPinWithAdmin(pin: PinKind, response: Uint8Array, newValue: string): Promise<void>;
  /**
   * Generates a P-256 key pair inside the card; returns its SubjectPublicKeyInfo (DER). Needs admin:
   * 'personalize' for an empty slot, 'replace-key:<slot>' for an occupied one (the old key and its certificate go).
   */
  generateKeyPair(slot: CardSlot, response: Uint8Array): Promise<Uint8Array>;
  publicKey(slot: CardSlot): Promise<Uint8Array | null>;
  /** The card's attestation that it generated the key of `slot` (admin-key.ts keyAttestation); no PIN needed. */
  keyAttestation(slot: CardSlot): Promise<Uint8Array>;
  /** Stores a certificate (DER) in a slot; needs admin ('personalize'). */
  writeCertificate(slot: CardSlot, der: Uint8Array, response: Uint8Array): Promise<void>;
  readCertificate(slot: CardSlot): Promise<Uint8Array | null>;
  /** ECDSA P-256 / SHA-256 signature of `data`, DER-encoded (ECDSA-Sig-Value), after the slot's PIN. */
  sign(slot: CardSlot, data: Uint8Array, pinValue: string): Promise<Uint8Array>;
  /** Makes the card permanently unusable (keys erased); needs admin ('terminate'). */
  terminate(response: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export type CardErrorCode =
  | 'pin_wrong'
  | 'pin_blocked'
  | 'pin_not_set'
  | 'pin_format'
  | 'admin_refused'
  | 'no_key'
  | 'slot_taken'
  | 'terminated'
  | 'unreadable'
  | 'unsupported';

export class CardError extends Error {
  readonly code: CardErrorCode;
  readonly triesLeft: number | null;
  constructor(code: CardErrorCode, message: string, triesLeft: number | null = null) {
    super(message);
    this.name = 'CardError';
    this.code = code;
    this.triesLeft = triesLeft;
  }
}
