// Profile checker of issued certificates (in the spirit of Let's Encrypt's cert-checker): reads a
// certificate back from its DER and lists, in French, every way it departs from its profile.
// `cartes ca check` runs it on all of them, the tests on every certificate they issue. Issuance itself
// builds card certificates from DER parts made by the same profile builders (card-cert-fast.ts) and
// only checks the signature and the subject (see signAndStore in src/app/pki.ts).
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1 from '@peculiar/asn1-x509';
import * as x509 from './x509.ts';
import {
  addYears,
  cardKeyUsage,
  CARD_VALIDITY_YEARS,
  DEFAULT_POLICY_OIDS,
  keyIdentifier,
  publicKeyKind,
  readName,
  hex,
  type CardProfile,
  type PolicyOids,
} from './profiles.ts';

const KEY_USAGE_NAMES: [number, string][] = [
  [x509.KeyUsageFlags.digitalSignature, 'digitalSignature'],
  [x509.KeyUsageFlags.nonRepudiation, 'nonRepudiation'],
  [x509.KeyUsageFlags.keyEncipherment, 'keyEncipherment'],
  [x509.KeyUsageFlags.dataEncipherment, 'dataEncipherment'],
  [x509.KeyUsageFlags.keyAgreement, 'keyAgreement'],
  [x509.KeyUsageFlags.keyCertSign, 'keyCertSign'],
  [x509.KeyUsageFlags.cRLSign, 'cRLSign'],
  [x509.KeyUsageFlags.encipherOnly, 'encipherOnly'],
  [x509.KeyUsageFlags.decipherOnly, 'decipherOnly'],
];

function usageNames(flags: number): string {
  const names = KEY_USAGE_NAMES.filter(([f]) => (flags & f) !== 0).map(([, n]) => n);
  return names.length ? names.join(', ') : 'aucun';
}

export interface CheckOptions {
  policies?: PolicyOids;
  /** Reference time for "not yet valid / expired" (default: not checked). */
  now?: Date;
}

/**
 * Faults of a card certificate (AUTH, SIGN or ENC) issued by `issuer`; an empty list means it
 * conforms. Checks: signature by the issuer, issuer name, version 3, key usage per profile and key
 * type (critical), extended key usage, not a CA, SKI, AKI = issuer's SKI, certificate policy,
 * AIA (OCSP and CA certificate), CRL distribution point, validity ≤ 3 years inside the issuer's,
 * subject DN form C=FR, O=…, [OU=0002 <SIREN>,] CN=<First LAST> <identifier>.
 */
export async function checkCardCertificate(
  der: Uint8Array,
  profile: CardProfile,
  issuer: x509.X509Certificate,
  opts: CheckOptions = {},
): Promise<string[]> {
  const faults: string[] = [];
  let cert: x509.X509Certificate;
  let asnCert: asn1.Certificate;
  try {
    // Parsed once; the X509Certificate view is built on the same ASN.1 object (no second parse).
    asnCert = AsnConvert.parse(der, asn1.Certificate);
    cert = new x509.X509Certificate(asnCert);
  } catch {
    return ['Certificat illisible (DER invalide).'];
  }
  const tbs = asnCert.tbsCertificate;
  const policies = opts.policies ?? DEFAULT_POLICY_OIDS;

  if (tbs.version !== asn1.Version.v3) faults.push('Version du certificat différente de v3.');
  const serial = new Uint8Array(tbs.serialNumber);
  if (serial.length === 0 || serial.length > 20 || (serial[0]! & 0x80) !== 0)
    faults.push('Numéro de série invalide (positif, 20 octets au plus).');
  if (serial.length < 16 && !(serial.length === 17 && serial[0] === 0))
    faults.push('Numéro de série trop court (16 octets aléatoires attendus).');

  try {
    if (!(await signatureValid(cert, asnCert, issuer)))
      faults.push("Signature invalide : le certificat n'est pas signé par l'autorité émettrice.");
  } catch {
    faults.push('Signature invérifiable (algorithme non pris en charge).');
  }
  if (cert.issuer !== issuer.subject)
    faults.push(`Émetteur « ${cert.issuer} » différent du sujet de l'autorité « ${issuer.subject} ».`);

  // Key usage
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  const spki = new Uint8Array(cert.publicKey.rawData);
  const kind = publicKeyKind(spki);
  if (kind === 'other') faults.push('Type de clé publique non admis (EC ou RSA attendu).');
  const expected = cardKeyUsage(profile, kind);
  if (!ku) {
    faults.push('Extension keyUsage absente.');
  } else {
    if (!ku.critical) faults.push("L'extension keyUsage n'est pas critique.");
    if (ku.usages !== expected)
      faults.push(
        `Usages de clé « ${usageNames(ku.usages)} » au lieu de « ${usageNames(expected)} » pour le profil ${profile.toUpperCase()}.`,
      );
  }

  // Extended key usage
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  const ekus = (eku?.usages ?? []).map(String);
  if (profile === 'auth' && !ekus.includes(x509.ExtendedKeyUsage.clientAuth))
    faults.push('Usage étendu clientAuth absent (profil AUTH).');
  if (ekus.includes(x509.ExtendedKeyUsage.serverAuth)) faults.push('Usage étendu serverAuth interdit sur une carte.');
  if (ekus.includes(x509.ExtendedKeyUsage.ocspSigning)) faults.push('Usage étendu OCSPSigning interdit sur une carte.');

  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  if (bc?.ca)
    faults.push("Le certificat d'une carte ne doit pas être une autorité de certification (basicConstraints cA).");

  // Key identifiers
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  if (!ski) faults.push('Extension subjectKeyIdentifier absente.');
  else if (ski.keyId !== hex(keyIdentifier(spki)))
    faults.push('subjectKeyIdentifier ne correspond pas à la clé publique.');
  const aki = cert.getExtension(x509.AuthorityKeyIdentifierExtension);
  const issuerSki = issuer.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  if (!aki?.keyId) faults.push('Extension authorityKeyIdentifier absente (ou sans identifiant de clé).');
  else if (!issuerSki || aki.keyId !== issuerSki)
    faults.push("authorityKeyIdentifier différent de l'identifiant de clé de l'autorité émettrice.");

  // Policies, AIA, CRL DP
  const cp = cert.getExtension(x509.CertificatePolicyExtension);
  if (!cp) faults.push('Extension certificatePolicies absente.');
  else if (!cp.policies.includes(policies[profile]))
    faults.push(`Politique de certification ${policies[profile]} absente (profil ${profile.toUpperCase()}).`);
  const aia = cert.getExtension(x509.AuthorityInfoAccessExtension);
  if (!aia) faults.push('Extension authorityInfoAccess absente.');
  else {
    if (!aia.ocsp.some((g) => g.type === 'url' && /^https?:\/\//.test(g.value)))
      faults.push('Adresse du répondeur OCSP absente (authorityInfoAccess).');
    if (!aia.caIssuers.some((g) => g.type === 'url' && /^https?:\/\//.test(g.value)))
      faults.push("Adresse du certificat de l'autorité absente (authorityInfoAccess caIssuers).");
  }
  const dp = cert.getExtension(x509.CRLDistributionPointsExtension);
  if (!dp || dp.distributionPoints.length === 0) faults.push('Extension cRLDistributionPoints absente.');

  // Validity
  const nb = cert.notBefore;
  const na = cert.notAfter;
  if (na.getTime() <= nb.getTime()) faults.push('Fin de validité antérieure au début.');
  // RFC 5280: both dates are inclusive, so 3 years end one second before the third anniversary.
  if (na.getTime() > addYears(nb, CARD_VALIDITY_YEARS).getTime() - 1000)
    faults.push(`Durée de validité supérieure à ${CARD_VALIDITY_YEARS} ans (dates de début et de fin incluses).`);
  if (nb.getTime() < issuer.notBefore.getTime() || na.getTime() > issuer.notAfter.getTime())
    faults.push("Validité hors de celle de l'autorité émettrice.");
  if (opts.now && na.getTime() < opts.now.getTime()) faults.push('Certificat expiré.');

  // Subject DN form
  faults.push(...subjectFaults(tbs.subject));
  return faults;
}

/** Hash of the signature algorithms verified directly with node:crypto (ECDSA signatures are DER, as node expects). */
const SIGNATURE_HASHES: Record<string, string> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};

const ISSUER_KEYS = new WeakMap<x509.X509Certificate, KeyObject>();

/**
 * Is the certificate signed by the issuer's key? ECDSA and RSA PKCS#1 v1.5 with SHA-2 are checked
 * with node:crypto on the TBS bytes as received, with the issuer's key imported once (batches);
 * any other algorithm goes through @peculiar/x509 (WebCrypto).
 */
async function signatureValid(
  cert: x509.X509Certificate,
  asnCert: asn1.Certificate,
  issuer: x509.X509Certificate,
): Promise<boolean> {
  const hash = SIGNATURE_HASHES[asnCert.signatureAlgorithm.algorithm];
  const tbs = asnCert.tbsCertificateRaw;
  if (!hash || !tbs) return cert.verify({ publicKey: issuer.publicKey, signatureOnly: true });
  let key = ISSUER_KEYS.get(issuer);
  if (!key) {
    key = createPublicKey({ key: Buffer.from(issuer.publicKey.rawData), format: 'der', type: 'spki' });
    ISSUER_KEYS.set(issuer, key);
  }
  return verify(hash, new Uint8Array(tbs), key, new Uint8Array(asnCert.signatureValue));
}

function subjectFaults(name: asn1.Name): string[] {
  const faults: string[] = [];
  if (name.some((rdn) => rdn.length !== 1)) faults.push('DN du sujet : un seul attribut par RDN attendu.');
  faults.push(...subjectAttributeFaults(readName(name)));
  return faults;
}

/**
 * Faults of the attributes of a subject DN, in order, with the string type each is encoded with:
 * also run by issuance on the subject it writes (no certificate to parse).
 */
export function subjectAttributeFaults(attrs: readonly { type: string; value: string; encoding: string }[]): string[] {
  const faults: string[] = [];
  const types = attrs.map((a) => a.type).join(',');
  // The sources' form, or ETSI EN 319 412-2's natural person (givenName and surname beside them).
  if (!['C,O,OU,CN', 'C,O,CN', 'C,O,OU,GN,SN,CN', 'C,O,GN,SN,CN'].includes(types)) {
    faults.push(
      `DN du sujet de forme « ${types || 'vide'} » au lieu de « C, O, OU, CN » (ou « C, O, OU, GN, SN, CN »).`,
    );
    return faults;
  }
  for (const a of attrs) {
    const wanted = a.type === 'C' ? 'printableString' : 'utf8String';
    if (a.encoding !== wanted)
      faults.push(
        `DN du sujet : ${a.type} doit être encodé en ${wanted === 'printableString' ? 'PrintableString' : 'UTF8String'}.`,
      );
    if (a.value.trim() === '' || a.value !== a.value.trim())
      faults.push(`DN du sujet : ${a.type} vide ou entouré d'espaces.`);
    if ([...a.value].length > 64) faults.push(`DN du sujet : ${a.type} dépasse 64 caractères (borne X.520).`);
  }
  const get = (t: string) => attrs.find((a) => a.type === t)?.value ?? '';
  if (get('C') !== 'FR') faults.push('DN du sujet : C doit valoir FR.');
  const ou = attrs.find((a) => a.type === 'OU');
  if (ou && !/^0002 \d{9}$/.test(ou.value))
    faults.push(`DN du sujet : OU « ${ou.value} » au lieu de « 0002 <SIREN à 9 chiffres> ».`);
  if (!/^\S+ [\p{Lu}][\p{Lu}' -]* \S+$/u.test(get('CN')))
    faults.push(`DN du sujet : CN « ${get('CN')} » au lieu de « <Prénom> <NOM> <identifiant> ».`);
  if (types.includes('GN') && !get('CN').startsWith(`${get('GN').split(' ')[0]} ${get('SN')} `))
    faults.push(`DN du sujet : CN « ${get('CN')} » ne reprend pas le prénom (GN) et le nom (SN).`);
  return faults;
}

/** SHA-256 of a DER, hex (the fingerprint stored and shown). */
export function sha256Hex(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}
