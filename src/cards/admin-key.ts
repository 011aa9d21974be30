// Card administration key: one per card, derived from the platform's master key and the card
// number. The server computes responses to the card's challenges; the card (or its driver) checks
// them. Neither the PIN nor the master key ever travels in a response.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { AdminOperation } from './card.ts';

/** HMAC-SHA256(master, "cartes-card-admin|" + serial): the administration key of one card. */
export function deriveCardAdminKey(master: Buffer, serial: string): Buffer {
  if (master.length < 32) throw new Error('Clé maîtresse des cartes trop courte : 32 octets au moins.');
  return createHmac('sha256', master).update(`cartes-card-admin|${serial}`).digest();
}

/** HMAC-SHA256(cardKey, challenge ‖ operation): authorises one operation for one challenge. */
export function adminResponse(cardKey: Buffer, challenge: Uint8Array, operation: AdminOperation): Buffer {
  return createHmac('sha256', cardKey).update(challenge).update(operation, 'utf8').digest();
}

/** Constant-time equality of two byte strings (false, without early exit, when lengths differ). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  const left = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const right = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

/** True when `response` is the right answer to `challenge` for `operation` (constant time). */
export function checkAdminResponse(
  cardKey: Buffer,
  challenge: Uint8Array,
  operation: AdminOperation,
  response: Uint8Array,
): boolean {
  return constantTimeEqual(adminResponse(cardKey, challenge, operation), response);
}

/**
 * Security-officer PIN of a PKCS#11 card token: hex of HMAC-SHA256(cardAdminKey, "so-pin").
 * Whoever holds the card administration key (the server, the manufacturer) can initialise or
 * erase the token; the workstation never needs it for PIN operations.
 */
export function pkcs11SoPin(cardAdminKey: Buffer): string {
  return createHmac('sha256', cardAdminKey).update('so-pin').digest('hex');
}

/**
 * The card's statement that it generated the key in a slot: HMAC-SHA256(cardKey,
 * "cartes-key-attestation|serial|slot|sha256(spki)"). Only this card (and the server, which derives
 * its key) can compute it, so a public key sent with a valid attestation was made inside this card,
 * not brought by a workstation.
 */
export function keyAttestation(cardKey: Buffer, serial: string, slot: string, spki: Uint8Array): Buffer {
  const digest = createHash('sha256').update(spki).digest('hex');
  return createHmac('sha256', cardKey).update(`cartes-key-attestation|${serial}|${slot}|${digest}`).digest();
}

export function checkKeyAttestation(
  cardKey: Buffer,
  serial: string,
  slot: string,
  spki: Uint8Array,
  attestation: Uint8Array,
): boolean {
  return constantTimeEqual(keyAttestation(cardKey, serial, slot, spki), attestation);
}
