// Key store on disk: one encrypted PKCS#8 PEM file per key (mode 0600), never a clear private key.
//
// File layout (RFC 7468 allows explanatory text before the PEM block; OpenSSL skips it):
//
//   Cartes-Agents-Key: {"v":1,"algorithm":"ecdsa-p256","kdf":"scrypt","N":32768,"r":8,"p":1,"salt":"…"}
//   -----BEGIN ENCRYPTED PRIVATE KEY-----
//   …PKCS#8 EncryptedPrivateKeyInfo (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC)…
//   -----END ENCRYPTED PRIVATE KEY-----
//
// The PKCS#8 passphrase is scrypt(store secret, per-file random salt) in hex: the same store secret
// gives a different passphrase for every file, and the salt sits in the header line. With that
// passphrase, `openssl pkey -in FILE -passin pass:HEX` opens the file (for audits / recovery).
//
// `deriveDualControlKey` turns the secrets of two custodians into the store secret of the root CA.
import {
  createPrivateKey,
  createPublicKey,
  createSign,
  generateKeyPair,
  hkdfSync,
  randomBytes,
  scrypt,
  scryptSync,
  sign,
  type KeyObject,
} from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { checkKeyAlgorithm, checkKeyLabel, KeyStoreError, onceStreamingSign } from './keystore.ts';
import type { KeyAlgorithm, KeyRef, KeyStore, Signer, StreamingSign } from './keystore.ts';

const scryptAsync = promisify(scrypt) as (
  password: Buffer | string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;
const generateKeyPairAsync = promisify(generateKeyPair);

const HEADER_PREFIX = 'Cartes-Agents-Key: ';
/** scrypt cost: N = 2^15, r = 8 (32 MiB, ~0.1 s): the secret may be a human passphrase. */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1 } as const;
const SCRYPT_MAXMEM = 64 * 1024 * 1024;
const FILE_SUFFIX = '.key.pem';

interface KeyFileHeader {
  v: 1;
  algorithm: KeyAlgorithm;
  kdf: 'scrypt';
  N: number;
  r: number;
  p: number;
  /** base64 */
  salt: string;
}

async function filePassphrase(secret: Buffer, header: Pick<KeyFileHeader, 'N' | 'r' | 'p' | 'salt'>): Promise<string> {
  const key = await scryptAsync(secret, Buffer.from(header.salt, 'base64'), 32, {
    N: header.N,
    r: header.r,
    p: header.p,
    maxmem: SCRYPT_MAXMEM,
  });
  return key.toString('hex');
}

function parseKeyFile(path: string, text: string): { header: KeyFileHeader; pem: string } {
  const invalid = (why: string) => new KeyStoreError('invalid', `Fichier de clé illisible : ${path} (${why}).`);
  const newline = text.indexOf('\n');
  const first = newline < 0 ? text : text.slice(0, newline);
  if (!first.startsWith(HEADER_PREFIX)) throw invalid('en-tête « Cartes-Agents-Key » absent');
  let header: KeyFileHeader;
  try {
    header = JSON.parse(first.slice(HEADER_PREFIX.length)) as KeyFileHeader;
  } catch (err) {
    throw new KeyStoreError('invalid', `Fichier de clé illisible : ${path} (en-tête JSON invalide).`, { cause: err });
  }
  if (header.v !== 1 || header.kdf !== 'scrypt') throw invalid('version ou dérivation inconnue');
  if (
    ![header.N, header.r, header.p].every((n) => Number.isSafeInteger(n) && n > 0) ||
    typeof header.salt !== 'string'
  ) {
    throw invalid('paramètres de dérivation invalides');
  }
  checkKeyAlgorithm(header.algorithm);
  const pem = text.slice(newline + 1);
  if (!pem.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----')) throw invalid('bloc « ENCRYPTED PRIVATE KEY » absent');
  return { header, pem };
}

/** Checks that a key object is of the announced algorithm. */
function checkKeyMatches(key: KeyObject, algorithm: KeyAlgorithm, where: string): void {
  const d = key.asymmetricKeyDetails ?? {};
  const ok =
    algorithm === 'ecdsa-p256'
      ? key.asymmetricKeyType === 'ec' && d.namedCurve === 'prime256v1'
      : key.asymmetricKeyType === 'rsa' && d.modulusLength === (algorithm === 'rsa-2048' ? 2048 : 3072);
  if (!ok) {
    const actual =
      key.asymmetricKeyType === 'ec' ? `EC ${d.namedCurve}` : `${key.asymmetricKeyType} ${d.modulusLength ?? ''}`;
    throw new KeyStoreError(
      'invalid',
      `La clé ${where} n'est pas de l'algorithme attendu ${algorithm} (trouvé : ${actual.trim()}).`,
    );
  }
}

function generatePrivateKey(algorithm: KeyAlgorithm): Promise<KeyObject> {
  const pair =
    algorithm === 'ecdsa-p256'
      ? generateKeyPairAsync('ec', { namedCurve: 'prime256v1' })
      : generateKeyPairAsync('rsa', { modulusLength: algorithm === 'rsa-2048' ? 2048 : 3072, publicExponent: 0x10001 });
  return pair.then((p) => p.privateKey);
}

/** Signer over a private KeyObject held in memory (SHA-256; ECDSA signatures DER-encoded). */
export function keyObjectSigner(privateKey: KeyObject, algorithm: KeyAlgorithm): Signer {
  const publicKeySpki = new Uint8Array(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }));
  return {
    algorithm,
    publicKeySpki,
    async sign(data: Uint8Array): Promise<Uint8Array> {
      return new Uint8Array(sign('sha256', data, privateKey));
    },
    signInPool(data: Uint8Array): Promise<Uint8Array> {
      return new Promise((resolve, reject) =>
        sign('sha256', data, privateKey, (err, sig) => (err ? reject(err) : resolve(new Uint8Array(sig)))),
      );
    },
    createSign(): StreamingSign {
      const s = createSign('sha256');
      return onceStreamingSign(
        (chunk) => s.update(chunk),
        () => new Uint8Array(s.sign(privateKey)),
      );
    },
  };
}

export class FileKeyStore implements KeyStore {
  readonly dir: string;
  readonly #secret: Buffer;

  /**
   * @param dir folder of the key files (created with mode 0700 if missing)
   * @param secret key-encryption secret: a passphrase's bytes or a derived key (e.g. deriveDualControlKey);
   *   copied, so the caller may wipe its buffer.
   */
  constructor(dir: string, secret: Buffer) {
    if (!Buffer.isBuffer(secret) || secret.length === 0) {
      throw new KeyStoreError('invalid', 'Le secret du magasin de clés est vide.');
    }
    this.dir = resolve(dir);
    this.#secret = Buffer.from(secret);
  }

  /** Path of the file for a label (`<dir>/<label>.key.pem`). */
  pathFor(label: string): string {
    checkKeyLabel(label);
    return join(this.dir, label + FILE_SUFFIX);
  }

  async generate(label: string, algorithm: KeyAlgorithm): Promise<KeyRef> {
    checkKeyAlgorithm(algorithm);
    const path = this.pathFor(label);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const text = await sealNewKey(this.#secret, algorithm);
    try {
      // 'wx': never overwrite an existing key; mode 0600 (chmod again in case of an unusual umask).
      await writeFile(path, text, { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new KeyStoreError('exists', `Une clé « ${label} » existe déjà : ${path}.`, { cause: err });
      }
      throw err;
    }
    await chmod(path, 0o600);
    return { store: 'file', path, algorithm };
  }

  async signer(ref: KeyRef): Promise<Signer> {
    if (ref.store !== 'file')
      throw new KeyStoreError('invalid', `Référence de clé « ${ref.store} » donnée au magasin de fichiers.`);
    checkKeyAlgorithm(ref.algorithm);
    const path = isAbsolute(ref.path) ? ref.path : resolve(this.dir, ref.path);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new KeyStoreError('not_found', `Clé introuvable : ${path}.`, { cause: err });
      }
      throw err;
    }
    return openSealedKey(text, this.#secret, ref.algorithm, path);
  }
}

/**
 * A new private key, sealed: the key file's text (header line + encrypted PKCS#8 PEM) under `secret`.
 * The same text is what the database keeps for the keys it stores (keystore-db.ts).
 */
export async function sealNewKey(secret: Buffer, algorithm: KeyAlgorithm): Promise<string> {
  checkKeyAlgorithm(algorithm);
  const header: KeyFileHeader = {
    v: 1,
    algorithm,
    kdf: 'scrypt',
    ...SCRYPT,
    salt: randomBytes(16).toString('base64'),
  };
  const [privateKey, passphrase] = await Promise.all([generatePrivateKey(algorithm), filePassphrase(secret, header)]);
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase });
  return `${HEADER_PREFIX}${JSON.stringify(header)}\n${pem}`;
}

/** Opens a sealed key text (see sealNewKey); `where` names it in the French errors. */
export async function openSealedKey(
  text: string,
  secret: Buffer,
  algorithm: KeyAlgorithm,
  where: string,
): Promise<Signer> {
  const { header, pem } = parseKeyFile(where, text);
  if (header.algorithm !== algorithm) {
    throw new KeyStoreError('invalid', `La clé ${where} est ${header.algorithm}, la référence annonce ${algorithm}.`);
  }
  const passphrase = await filePassphrase(secret, header);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem', passphrase });
  } catch (err) {
    throw new KeyStoreError(
      'wrong_secret',
      `Secret incorrect : impossible d'ouvrir la clé ${basename(where)} (${where}). Vérifiez le secret du magasin de clés.`,
      { cause: err },
    );
  }
  checkKeyMatches(privateKey, algorithm, where);
  return keyObjectSigner(privateKey, algorithm);
}

/**
 * The PKCS#8 passphrase of one key file (hex), for audits and recovery with standard tools:
 * `openssl pkey -in FILE -passin pass:…`. Treat it like the private key itself.
 */
export async function keyFilePassphrase(path: string, secret: Buffer): Promise<string> {
  const { header } = parseKeyFile(path, await readFile(path, 'utf8'));
  return filePassphrase(secret, header);
}

/** Minimum length of each custodian's secret, in characters (Unicode code points). */
export const DUAL_CONTROL_MIN_LENGTH = 12;
/** Salt length for deriveDualControlKey: 16 bytes for each custodian. */
export const DUAL_CONTROL_SALT_LENGTH = 32;

/**
 * Dual control of the root CA key: the secrets of two custodians give one 32-byte key-encryption key
 * (the `secret` of a FileKeyStore). Each secret goes through scrypt (N = 2^15, r = 8) with its own
 * half of `salt` (custodian A: bytes 0–15, B: bytes 16–31); HKDF-SHA256 then combines the two results.
 * Neither secret alone says anything about the key. Order matters (A then B), as does the salt, which
 * must be stored with the key (it is not secret). Secrets are NFC-normalised.
 * Refuses identical secrets and secrets shorter than 12 characters. Synchronous (~0.2 s).
 */
export function deriveDualControlKey(secretA: string, secretB: string, salt: Buffer): Buffer {
  const a = secretA.normalize('NFC');
  const b = secretB.normalize('NFC');
  for (const [who, s] of [
    ['premier', a],
    ['second', b],
  ] as const) {
    if ([...s].length < DUAL_CONTROL_MIN_LENGTH) {
      throw new KeyStoreError(
        'invalid',
        `Le secret du ${who} dépositaire est trop court : ${DUAL_CONTROL_MIN_LENGTH} caractères au moins.`,
      );
    }
  }
  if (a === b) {
    throw new KeyStoreError(
      'invalid',
      'Les deux dépositaires ont donné le même secret : le double contrôle exige deux secrets différents.',
    );
  }
  if (!Buffer.isBuffer(salt) || salt.length !== DUAL_CONTROL_SALT_LENGTH) {
    throw new KeyStoreError('invalid', `Le sel du double contrôle doit faire ${DUAL_CONTROL_SALT_LENGTH} octets.`);
  }
  const half = DUAL_CONTROL_SALT_LENGTH / 2;
  const opts = { ...SCRYPT, maxmem: SCRYPT_MAXMEM };
  const ka = scryptSyncKey(a, salt.subarray(0, half), opts);
  const kb = scryptSyncKey(b, salt.subarray(half), opts);
  const ikm = Buffer.concat([ka, kb]);
  const out = Buffer.from(hkdfSync('sha256', ikm, salt, 'cartes-agents/dual-control/v1', 32));
  ka.fill(0);
  kb.fill(0);
  ikm.fill(0);
  return out;
}

/** A fresh random salt for deriveDualControlKey. */
export function newDualControlSalt(): Buffer {
  return randomBytes(DUAL_CONTROL_SALT_LENGTH);
}

function scryptSyncKey(
  secret: string,
  salt: Buffer,
  opts: { N: number; r: number; p: number; maxmem: number },
): Buffer {
  return scryptSync(Buffer.from(secret, 'utf8'), salt, 32, opts);
}
