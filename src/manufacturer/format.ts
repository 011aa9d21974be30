// Exchange format with the card manufacturer, « cartes-fabricant » version 1 (docs/cards.md §5).
// One JSON file per message; every message carries an HMAC-SHA256 under the exchange key shared by
// the platform and the manufacturer, so a forged, altered or truncated file is refused whole.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from '../domain/action-signature.ts';
import { loadHexKey } from '../cards/keys.ts';
import { writeFileAtomic } from '../cards/chip.ts';

export const EXCHANGE_FORMAT = 'cartes-fabricant';
export const EXCHANGE_VERSION = 1;

/** Platform → manufacturer. */
export const OUT_KINDS = ['order', 'certificates', 'code-resend'] as const;
/** Manufacturer → platform. */
export const IN_KINDS = ['acknowledgement', 'rejection', 'production', 'shipping', 'code-resent'] as const;
export type OutKind = (typeof OUT_KINDS)[number];
export type InKind = (typeof IN_KINDS)[number];
export type MessageKind = OutKind | InKind;

export const KIND_LABELS: Record<MessageKind, string> = {
  order: 'Commande',
  certificates: 'Certificats',
  'code-resend': "Demande de renvoi du code d'activation",
  acknowledgement: 'Accusé de réception',
  rejection: 'Rejet',
  production: 'Compte rendu de production',
  shipping: "Avis d'expédition",
  'code-resent': "Code d'activation renvoyé",
};

export interface DnPartItem {
  type: string;
  value: string;
}
export interface Address {
  name: string;
  addressLine: string;
  postalCode: string;
  city: string;
}

export interface OrderItem {
  requestId: string;
  requestNumber: string;
  holder: { identifier: string; lastName: string; firstNames: string; email: string | null; hasPhoto: boolean };
  /** Subject DN parts of the certificates (C, O, OU, CN). */
  subject: DnPartItem[];
  model: string;
  profiles: string[];
  /** Where the card goes: the ordering operator's organisation. */
  shipTo: Address;
  /** Where the activation-code letter goes: the holder, at their unit. */
  letterTo: { name: string; unit: string; address: string };
}
export interface RejectionItem {
  requestId: string;
  reason: string;
}
export interface ProductionItem {
  requestId: string;
  serial: string;
  keys: { slot: string; spki: string }[];
}
export interface CertificatesItem {
  requestId: string;
  serial: string;
  certificates: { slot: string; der: string }[];
}
export interface ShippingItem {
  requestId: string;
  serial: string;
  activationVerifier: string;
  letterReference: string;
}
export interface CodeResendItem {
  serial: string;
  channel: 'post' | 'email';
  email: string | null;
}
export interface CodeResentItem {
  serial: string;
  channel: 'post' | 'email';
  activationVerifier: string;
  letterReference: string | null;
}

export interface ItemsOf {
  order: OrderItem;
  certificates: CertificatesItem;
  'code-resend': CodeResendItem;
  acknowledgement: { requestId: string };
  rejection: RejectionItem;
  production: ProductionItem;
  shipping: ShippingItem;
  'code-resent': CodeResentItem;
}

export interface ExchangeMessage<K extends MessageKind = MessageKind> {
  format: typeof EXCHANGE_FORMAT;
  version: number;
  id: string;
  kind: K;
  batchNumber: string;
  createdAt: string;
  items: ItemsOf[K][];
  mac: string;
}

/** Sorted-key JSON (the same as for action signatures): the bytes the MAC covers do not depend on how a writer orders keys. */
export { canonicalJson };

function macOf(key: Buffer, body: Omit<ExchangeMessage, 'mac'>): string {
  return createHmac('sha256', key).update(`${EXCHANGE_FORMAT}-mac-v1\n`).update(canonicalJson(body)).digest('hex');
}

/** A complete message with its MAC. */
export function sealMessage<K extends MessageKind>(
  key: Buffer,
  body: { id: string; kind: K; batchNumber: string; createdAt: string; items: ItemsOf[K][] },
): ExchangeMessage<K> {
  const unsigned = { format: EXCHANGE_FORMAT, version: EXCHANGE_VERSION, ...body } as const;
  return { ...unsigned, mac: macOf(key, unsigned as Omit<ExchangeMessage, 'mac'>) };
}

export type ParseResult =
  | { ok: true; message: ExchangeMessage }
  | { ok: false; reason: string; id: string | null; kind: string | null; batchNumber: string | null };

const isStr = (v: unknown, max = 2000): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;
const isB64 = (v: unknown, max = 16_384): v is string => isStr(v, max) && B64.test(v);
const SERIAL = /^\d{10}$/;
const HEX64 = /^[0-9a-f]{64}$/;

/** French reason why an item does not fit its kind, or null. */
function itemFault(kind: MessageKind, item: unknown): string | null {
  if (!isObj(item)) return 'élément qui n’est pas un objet';
  const serialOk = isStr(item['serial']) && SERIAL.test(item['serial']);
  switch (kind) {
    case 'order': {
      const h = item['holder'];
      if (!isStr(item['requestId']) || !isStr(item['requestNumber'])) return 'demande non identifiée';
      if (!isObj(h) || !isStr(h['identifier']) || !isStr(h['lastName']) || typeof h['hasPhoto'] !== 'boolean')
        return 'porteur incomplet';
      if (
        !Array.isArray(item['subject']) ||
        !item['subject'].every((p) => isObj(p) && isStr(p['type'], 8) && isStr(p['value'], 200))
      )
        return 'DN incomplet';
      if (
        !isStr(item['model']) ||
        !Array.isArray(item['profiles']) ||
        !item['profiles'].every((p) => p === 'auth' || p === 'sign' || p === 'enc')
      )
        return 'modèle ou profils invalides';
      if (!isObj(item['shipTo']) || !isObj(item['letterTo'])) return 'adresse manquante';
      return null;
    }
    case 'acknowledgement':
      return isStr(item['requestId']) ? null : 'demande non identifiée';
    case 'rejection':
      return isStr(item['requestId']) && isStr(item['reason'], 500) ? null : 'demande ou motif de rejet manquant';
    case 'production': {
      if (!isStr(item['requestId']) || !serialOk) return 'demande ou numéro de carte invalide (10 chiffres)';
      const keys = item['keys'];
      if (!Array.isArray(keys) || keys.length === 0 || keys.length > 3) return 'clés publiques manquantes';
      if (
        !keys.every(
          (k) => isObj(k) && (k['slot'] === 'auth' || k['slot'] === 'sign' || k['slot'] === 'enc') && isB64(k['spki']),
        )
      )
        return 'clé publique illisible';
      return null;
    }
    case 'certificates': {
      if (!isStr(item['requestId']) || !serialOk) return 'demande ou numéro de carte invalide';
      const certs = item['certificates'];
      if (!Array.isArray(certs) || !certs.every((c) => isObj(c) && isStr(c['slot'], 8) && isB64(c['der'])))
        return 'certificats illisibles';
      return null;
    }
    case 'shipping':
      if (!isStr(item['requestId']) || !serialOk) return 'demande ou numéro de carte invalide';
      if (!isStr(item['activationVerifier']) || !HEX64.test(item['activationVerifier']))
        return 'vérificateur du code d’activation invalide';
      return isStr(item['letterReference'], 200) ? null : 'référence du courrier manquante';
    case 'code-resend':
      return serialOk && (item['channel'] === 'post' || item['channel'] === 'email')
        ? null
        : 'numéro de carte ou canal invalide';
    case 'code-resent':
      if (!serialOk || (item['channel'] !== 'post' && item['channel'] !== 'email'))
        return 'numéro de carte ou canal invalide';
      return isStr(item['activationVerifier']) && HEX64.test(item['activationVerifier'])
        ? null
        : 'vérificateur du code d’activation invalide';
  }
}

/**
 * Reads and checks one message: JSON, format, version, kind among `accepted`, fields, items, MAC.
 * Every refusal is a French sentence; nothing is trusted before the MAC matches.
 */
export function parseMessage(text: string, key: Buffer, accepted: readonly MessageKind[]): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return {
      ok: false,
      reason: 'Fichier illisible : JSON invalide ou tronqué.',
      id: null,
      kind: null,
      batchNumber: null,
    };
  }
  if (!isObj(raw))
    return {
      ok: false,
      reason: 'Fichier illisible : un objet JSON est attendu.',
      id: null,
      kind: null,
      batchNumber: null,
    };
  const id = isStr(raw['id'], 200) ? raw['id'] : null;
  const kind = isStr(raw['kind'], 40) ? raw['kind'] : null;
  const batchNumber = isStr(raw['batchNumber'], 100) ? raw['batchNumber'] : null;
  const refuse = (reason: string): ParseResult => ({ ok: false, reason, id, kind, batchNumber });
  if (raw['format'] !== EXCHANGE_FORMAT)
    return refuse(`Format inconnu : « ${String(raw['format'])} » (« ${EXCHANGE_FORMAT} » attendu).`);
  if (raw['version'] !== EXCHANGE_VERSION)
    return refuse(
      `Version ${String(raw['version'])} du format non prise en charge (version ${EXCHANGE_VERSION} attendue).`,
    );
  if (!id || !/^[A-Za-z0-9._-]+$/.test(id)) return refuse('Message sans identifiant valide.');
  if (!kind || !(accepted as readonly string[]).includes(kind))
    return refuse(`Type de message inattendu : « ${String(raw['kind'])} ».`);
  if (!batchNumber) return refuse('Message sans numéro de lot.');
  if (!isStr(raw['createdAt'], 40) || Number.isNaN(Date.parse(raw['createdAt'])))
    return refuse('Date de création du message invalide.');
  if (!Array.isArray(raw['items'])) return refuse('Message sans liste d’éléments.');
  if (!isStr(raw['mac'], 128) || !/^[0-9a-f]{64}$/.test(String(raw['mac'])))
    return refuse('Message sans code d’authentification (mac) valide : 64 chiffres hexadécimaux minuscules attendus.');
  const { mac, ...body } = raw;
  const expected = Buffer.from(macOf(key, body as Omit<ExchangeMessage, 'mac'>), 'hex');
  const given = Buffer.from(String(mac), 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return refuse("Code d'authentification (mac) invalide : message altéré ou non émis avec la clé d'échange.");
  }
  const items = raw['items'] as unknown[];
  for (let i = 0; i < items.length; i++) {
    const fault = itemFault(kind as MessageKind, items[i]);
    if (fault) return refuse(`Élément n° ${i + 1} invalide : ${fault}.`);
  }
  return { ok: true, message: raw as unknown as ExchangeMessage };
}

/** File name of a message: sortable by time, then kind and id. */
export function messageFileName(m: Pick<ExchangeMessage, 'createdAt' | 'kind' | 'id'>): string {
  return `${m.createdAt.replace(/[-:.]/g, '').replace('T', '-').slice(0, 15)}-${m.kind}-${m.id}.json`;
}

/** Writes a message durably and atomically (temp + fsync + rename + fsync of the folder): a reader never sees half a file. */
export function writeMessage(dir: string, message: ExchangeMessage): string {
  const name = messageFileName(message);
  writeFileAtomic(join(dir, name), Buffer.from(JSON.stringify(message, null, 1)));
  return name;
}

export function readMessageText(dir: string, name: string): string {
  return readFileSync(join(dir, name), 'utf8');
}

// ---------------------------------------------------------------------------------------------
// Activation code verifier

/**
 * Verifier of a 6-digit activation code: HMAC-SHA256(activationKey, "cartes-activation|" + serial +
 * "|" + code), hex. A code has only 10^6 values, so a plain or salted hash of it is searched
 * offline in a second after a database leak, and Argon2 at a safe cost (tens of ms and MiB per
 * code) is impractical for 10,000 cards a batch; a keyed hash whose key never enters the database
 * (environment or a 0600 file) leaves a stolen table useless. The serial binds a code to its card.
 */
export function activationCodeVerifier(key: Buffer, serial: string, code: string): string {
  return createHmac('sha256', key).update(`cartes-activation|${serial}|${code}`).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Folders and keys

export interface ExchangeFolders {
  root: string;
  outbox: string;
  inbox: string;
  letters: string;
}

export function exchangeFolders(dataDir: string): ExchangeFolders {
  const root = join(dataDir, 'manufacturer');
  return { root, outbox: join(root, 'outbox'), inbox: join(root, 'inbox'), letters: join(root, 'courrier') };
}

export class ExchangeKeyError extends Error {
  override readonly name = 'ExchangeKeyError';
}

function loadKey(dataDir: string, env: NodeJS.ProcessEnv, variable: string, fileName: string, what: string): Buffer {
  return loadHexKey(join(dataDir, 'manufacturer'), env, variable, fileName, what, (m) => new ExchangeKeyError(m));
}

/** Key of the MACs of exchanged files: CARTES_MANUFACTURER_KEY or <data>/manufacturer/exchange.key (0600). */
export function loadExchangeKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  return loadKey(dataDir, env, 'CARTES_MANUFACTURER_KEY', 'exchange.key', "clé d'échange avec le fabricant");
}

/**
 * Key of the activation-code verifiers: CARTES_ACTIVATION_KEY or <data>/manufacturer/activation.key
 * (0600). The manufacturer, who draws the codes, computes the verifiers with it; the platform
 * recomputes one at activation. It never enters the database.
 */
export function loadActivationKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  return loadKey(dataDir, env, 'CARTES_ACTIVATION_KEY', 'activation.key', "clé des codes d'activation");
}
