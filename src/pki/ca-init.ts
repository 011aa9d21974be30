// The key ceremony's PKI side: key custody (which store, which secret) and the certificates of the
// root CA, the issuing CAs (one per population of agents) and their OCSP responders. The database
// side (rows, audit records, report) is app/pki.ts.
//
// Custody:
// - root CA key: under dual control. Its store secret is derived from the secrets of two custodians
//   (deriveDualControlKey: scrypt of each, HKDF of both); one secret alone opens nothing. Folder
//   <data>/pki/root.
// - issuing-CA and OCSP keys: they serve unattended, encrypted under the service key-encryption key
//   (CARTES_CA_KEK, base64 ≥ 32 bytes, or a random key in <data>/pki/kek, mode 0600). Folder
//   <data>/pki/keys. Or, with the ceremony's PKCS#11 option, on a token (pkcs11-custody.ts): the
//   key_ref then names module, token and key label; the PIN is never stored.
// The database keeps a reference (key_ref JSON: store, path relative to its folder, algorithm,
// custody and, for the root, the dual-control salt), never key material.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as x509 from './x509.ts';
import { deriveDualControlKey, DUAL_CONTROL_MIN_LENGTH, FileKeyStore, newDualControlSalt } from './keystore-file.ts';
import type { KeyAlgorithm, KeyRef, KeyStore, Signer } from './keystore.ts';
import { pkcs11Store, type Pkcs11Target } from './pkcs11-custody.ts';
import { DbKeyStore, type SealedKeyRepository } from './keystore-db.ts';
import {
  addDays,
  addYears,
  caCertificate,
  ocspResponderCertificate,
  randomSerial,
  wholeSeconds,
  type DnPart,
  type IssuerRef,
  type PkiSettings,
} from './profiles.ts';

export type Custody = 'dual-control' | 'service';

/** key_ref as stored: a KeyRef (path relative to the custody folder) plus how it is kept. */
export type StoredKeyRef = KeyRef & { custody: Custody; salt?: string };

export const ROOT_VALIDITY_YEARS = 20;
export const ISSUING_VALIDITY_YEARS = 10;
export const OCSP_VALIDITY_DAYS = 30;
export const PKI_ORGANIZATION = 'Cartes Agents';

export interface Population {
  /** Slug naming the CA, its CRL and its certificate file. */
  name: string;
  /** French label, part of the CA's common name. */
  label: string;
}

export const DEFAULT_POPULATIONS: Population[] = [
  { name: 'collectivites', label: 'Acteurs des Collectivités Territoriales' },
  { name: 'etat', label: "Acteurs de l'Administration de l'État" },
  { name: 'armees', label: 'Ministère des Armées' },
];

export class KekError extends Error {
  override readonly name = 'KekError';
}

/** Folder of the keys of a custody, inside the data folder. */
export function custodyDir(dataDir: string, custody: Custody): string {
  return join(dataDir, 'pki', custody === 'dual-control' ? 'root' : 'keys');
}

/**
 * The service key-encryption key: CARTES_CA_KEK (base64, ≥ 32 bytes; the same on every instance
 * sharing the keys), else a random key kept in <data>/pki/kek (mode 0600), created when missing.
 */
export function loadServiceKek(dataDir: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  const fromEnv = env['CARTES_CA_KEK'];
  if (fromEnv) {
    const key = Buffer.from(fromEnv, 'base64');
    if (key.length < 32) throw new KekError('CARTES_CA_KEK : clé trop courte (32 octets au moins, en base64).');
    return key;
  }
  const file = join(dataDir, 'pki', 'kek');
  if (!existsSync(file)) {
    mkdirSync(join(dataDir, 'pki'), { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length < 32) throw new KekError(`Clé de chiffrement des clés de service illisible ou trop courte : ${file}.`);
  return key;
}

/** French faults of the custodians' secrets (two, distinct, each ≥ 12 characters); empty when fine. */
export function custodianSecretFaults(secrets: readonly string[]): string[] {
  if (secrets.length !== 2)
    return [`Le double contrôle exige exactement deux secrets de dépositaires (reçu : ${secrets.length}).`];
  const faults: string[] = [];
  secrets.forEach((s, i) => {
    if ([...s.normalize('NFC')].length < DUAL_CONTROL_MIN_LENGTH)
      faults.push(
        `Le secret du ${i === 0 ? 'premier' : 'second'} dépositaire est trop court : ${DUAL_CONTROL_MIN_LENGTH} caractères au moins.`,
      );
  });
  if (secrets[0]!.normalize('NFC') === secrets[1]!.normalize('NFC'))
    faults.push('Les deux dépositaires ont donné le même secret : le double contrôle exige deux secrets différents.');
  return faults;
}

/** French faults of the population list (slugs, labels, no duplicates); empty when fine. */
export function populationFaults(populations: readonly Population[]): string[] {
  const faults: string[] = [];
  if (populations.length === 0) faults.push('Au moins une population (AC émettrice) est nécessaire.');
  const seen = new Set<string>();
  for (const p of populations) {
    if (!/^[a-z][a-z0-9-]{1,30}$/.test(p.name) || p.name === 'root' || p.name.endsWith('-ocsp'))
      faults.push(
        `Nom d'AC invalide : « ${p.name} » (minuscules, chiffres, tirets ; ni « root » ni suffixe « -ocsp »).`,
      );
    if (!p.label.trim() || p.label.length > 100) faults.push(`Libellé de l'AC « ${p.name} » vide ou trop long.`);
    if (seen.has(p.name)) faults.push(`AC « ${p.name} » en double.`);
    seen.add(p.name);
  }
  return faults;
}

function storedRef(ref: KeyRef, custody: Custody, salt?: Buffer): StoredKeyRef {
  if (ref.store !== 'file') return { ...ref, custody };
  return {
    store: 'file',
    path: basename(ref.path),
    algorithm: ref.algorithm,
    custody,
    ...(salt ? { salt: salt.toString('base64') } : {}),
  };
}

export function parseKeyRef(json: string): StoredKeyRef {
  return JSON.parse(json) as StoredKeyRef;
}

/**
 * Where service keys are: the database table of sealed keys (every instance reads it), and the data
 * folder for the key files of installations made before keys moved into the database.
 */
export interface KeyPlace {
  dataDir: string;
  serviceKeys?: SealedKeyRepository | undefined;
}

/**
 * Opens an issuing-CA or OCSP responder key (service custody): with the service key-encryption key
 * for a key sealed in the database or a file, or on its PKCS#11 token (PIN from CARTES_PKCS11_PIN /
 * CARTES_PKCS11_PIN_FILE).
 */
export async function openServiceSigner(place: KeyPlace, keyRefJson: string, kek: Buffer): Promise<Signer> {
  const ref = parseKeyRef(keyRefJson);
  if (ref.custody !== 'service')
    throw new KekError('Cette clé est sous double contrôle : les secrets des deux dépositaires sont nécessaires.');
  if (ref.store === 'pkcs11') return pkcs11Store(ref.module, ref.tokenLabel).signer(ref);
  if (ref.store === 'db') {
    if (!place.serviceKeys) throw new KekError('Clé conservée dans la base : accès à la base nécessaire.');
    return new DbKeyStore(place.serviceKeys, kek).signer(ref);
  }
  return new FileKeyStore(custodyDir(place.dataDir, 'service'), kek).signer(ref);
}

/**
 * The store of new service keys: the PKCS#11 token when given, else sealed in the database (or, for
 * callers without a database, encrypted files).
 */
function serviceStore(place: KeyPlace, kek: Buffer, pkcs11: Pkcs11Target | undefined): KeyStore {
  if (pkcs11) return pkcs11Store(pkcs11.module, pkcs11.tokenLabel, pkcs11.pin);
  if (place.serviceKeys) return new DbKeyStore(place.serviceKeys, kek);
  return new FileKeyStore(custodyDir(place.dataDir, 'service'), kek);
}

/** Where the service key of an existing authority is (to put its renewed keys in the same place). */
export function pkcs11TargetOf(keyRefJson: string): Pkcs11Target | undefined {
  const ref = parseKeyRef(keyRefJson);
  return ref.store === 'pkcs11' ? { module: ref.module, tokenLabel: ref.tokenLabel } : undefined;
}

/** Opens the root CA key: needs both custodians' secrets (in the order of the ceremony). */
export async function openRootSigner(
  dataDir: string,
  keyRefJson: string,
  secrets: readonly [string, string],
): Promise<Signer> {
  const ref = parseKeyRef(keyRefJson);
  if (ref.custody !== 'dual-control' || !ref.salt) throw new KekError("Cette clé n'est pas sous double contrôle.");
  const secret = deriveDualControlKey(secrets[0], secrets[1], Buffer.from(ref.salt, 'base64'));
  try {
    return await new FileKeyStore(custodyDir(dataDir, 'dual-control'), secret).signer(ref);
  } finally {
    secret.fill(0);
  }
}

export interface CreatedAuthority {
  subject: DnPart[];
  der: Uint8Array;
  keyRef: StoredKeyRef;
  notBefore: Date;
  notAfter: Date;
  signer: Signer;
}

const dn = (cn: string): DnPart[] => [
  { type: 'C', value: 'FR' },
  { type: 'O', value: PKI_ORGANIZATION },
  { type: 'CN', value: cn },
];

/** Root CA: a key under dual control and a self-signed certificate (20 years, pathLen 1). */
export async function createRootAuthority(p: {
  dataDir: string;
  id: string;
  secrets: readonly [string, string];
  now: Date;
  settings: PkiSettings;
  algorithm?: KeyAlgorithm;
}): Promise<CreatedAuthority> {
  const salt = newDualControlSalt();
  const secret = deriveDualControlKey(p.secrets[0], p.secrets[1], salt);
  const store = new FileKeyStore(custodyDir(p.dataDir, 'dual-control'), secret);
  secret.fill(0);
  const ref = await store.generate(`root-${p.id}`, p.algorithm ?? 'ecdsa-p256');
  const signer = await store.signer(ref);
  const subject = dn(`AC Racine ${PKI_ORGANIZATION}`);
  const notBefore = wholeSeconds(p.now);
  const notAfter = addYears(notBefore, ROOT_VALIDITY_YEARS);
  const der = await caCertificate(
    {
      serial: randomSerial(),
      subject,
      notBefore,
      notAfter,
      pathLength: 1,
      spki: signer.publicKeySpki,
      issuer: null,
      settings: p.settings,
    },
    signer,
  );
  return { subject, der, keyRef: storedRef(ref, 'dual-control', salt), notBefore, notAfter, signer };
}

/** Issuing CA of a population: service key, certificate signed by the root (10 years, pathLen 0). */
export async function createIssuingAuthority(p: {
  dataDir: string;
  serviceKeys?: SealedKeyRepository | undefined;
  id: string;
  kek: Buffer;
  population: Population;
  root: IssuerRef;
  now: Date;
  settings: PkiSettings;
  algorithm?: KeyAlgorithm;
  pkcs11?: Pkcs11Target | undefined;
}): Promise<CreatedAuthority> {
  const store = serviceStore(p, p.kek, p.pkcs11);
  const ref = await store.generate(`${p.population.name}-${p.id}`, p.algorithm ?? 'ecdsa-p256');
  const signer = await store.signer(ref);
  const subject = dn(`AC ${p.population.label}`);
  const notBefore = wholeSeconds(p.now);
  const full = addYears(notBefore, ISSUING_VALIDITY_YEARS);
  const notAfter = full.getTime() > p.root.certificate.notAfter.getTime() ? p.root.certificate.notAfter : full;
  const der = await caCertificate({
    serial: randomSerial(),
    subject,
    notBefore,
    notAfter,
    pathLength: 0,
    spki: signer.publicKeySpki,
    issuer: p.root,
    settings: p.settings,
  });
  return { subject, der, keyRef: storedRef(ref, 'service'), notBefore, notAfter, signer };
}

/** OCSP responder of an issuing CA: service key, certificate for 30 days (OCSPSigning, ocsp-nocheck). */
export async function createOcspResponder(p: {
  dataDir: string;
  serviceKeys?: SealedKeyRepository | undefined;
  id: string;
  kek: Buffer;
  population: Population;
  issuing: IssuerRef;
  now: Date;
  settings: PkiSettings;
  algorithm?: KeyAlgorithm;
  pkcs11?: Pkcs11Target | undefined;
}): Promise<CreatedAuthority> {
  const store = serviceStore(p, p.kek, p.pkcs11);
  const ref = await store.generate(`${p.population.name}-ocsp-${p.id}`, p.algorithm ?? 'ecdsa-p256');
  const signer = await store.signer(ref);
  const subject = dn(`Répondeur OCSP ${p.population.label}`);
  const notBefore = wholeSeconds(p.now);
  const full = addDays(notBefore, OCSP_VALIDITY_DAYS);
  const notAfter = full.getTime() > p.issuing.certificate.notAfter.getTime() ? p.issuing.certificate.notAfter : full;
  const der = await ocspResponderCertificate({
    serial: randomSerial(),
    subject,
    notBefore,
    notAfter,
    spki: signer.publicKeySpki,
    issuer: p.issuing,
    settings: p.settings,
  });
  return { subject, der, keyRef: storedRef(ref, 'service'), notBefore, notAfter, signer };
}

export function issuerRef(name: string, der: Uint8Array, signer: Signer): IssuerRef {
  return { name, certificate: new x509.X509Certificate(der), signer };
}
