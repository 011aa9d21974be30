// Fixtures of the operations tests: certificates issued for real (CSR made in process), HR feeds of
// any size, and the secrets that two installations must share to read one database.
import { randomBytes, webcrypto } from 'node:crypto';
import { Readable } from 'node:stream';
import * as x509 from '../../src/pki/x509.ts';
import { issueFromCsr, type PkiEnvironment } from '../../src/app/pki/certificates.ts';
import type { AppContext } from '../../src/app/context.ts';
import { actorFor } from './platform.ts';

/** The same audit key and KEK for every platform of a test (as instances sharing a database have). */
export function sharedSecrets(): NodeJS.ProcessEnv {
  return {
    CARTES_AUDIT_KEY: randomBytes(32).toString('base64'),
    CARTES_CA_KEK: randomBytes(32).toString('base64'),
  };
}

/** A PKCS#10 request for a fresh P-256 key (the key itself is not kept). */
export async function csrPem(): Promise<string> {
  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=x',
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  return csr.toString('pem');
}

/** Issues an AUTH certificate to a demo agent through the use case, as the national administrator. */
export async function issueCertificate(
  ctx: AppContext,
  pki: PkiEnvironment,
  agentIdentifier = '2010002684dh',
): Promise<string> {
  const admin = await actorFor(ctx, 'admin.national');
  return (await issueFromCsr(ctx, admin, pki, { csr: await csrPem(), profile: 'auth', agentIdentifier })).serial;
}

export const FEED_HEADER =
  'identifiant;type_identifiant;nom;prenoms;sexe;date_naissance;lieu_naissance;courriel;telephone;adresse_unite;statut;categorie;profil;habilitations;organisation';

/** Letters only (names allow no digits): 0 → « A », 25 → « Z », 26 → « BA »… */
function letters(n: number): string {
  let s = '';
  do {
    s = String.fromCharCode(65 + (n % 26)) + s;
    n = Math.floor(n / 26);
  } while (n > 0);
  return s;
}

/** A valid HR feed of `rows` agents (identifiers `<prefix>-000000`…), every row accepted. */
export function feed(rows: number, prefix = 'ops'): Buffer {
  const lines = ['\uFEFF' + FEED_HEADER];
  for (let i = 0; i < rows; i++)
    lines.push(
      `${prefix}-${String(i).padStart(6, '0')};interne;NOM${letters(i)};Jean;M;01/02/1980;Melun;a${i}@exemple.fr;;;civil;B;;;`,
    );
  return Buffer.from(lines.join('\n') + '\n');
}

/** The feed as a stream of small chunks (an upload). */
export function stream(bytes: Buffer, size = 16 * 1024): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}
