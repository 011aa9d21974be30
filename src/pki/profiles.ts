// Certificate profiles of the card certificates (AUTH, SIGN, ENC), of the certification authorities
// and of the OCSP responders, and the issuance itself. The to-be-signed certificate is built with
// @peculiar/asn1-x509 and signed through our Signer: X509CertificateGenerator only signs with a
// WebCrypto CryptoKey, and our keys never leave their store (file or PKCS#11).
import { createHash, randomBytes } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn1 from '@peculiar/asn1-x509';
import { bitString, concat, sequence } from './der.ts';
import * as x509 from './x509.ts';
import type { KeyAlgorithm, Signer } from './keystore.ts';

export const CARD_PROFILES = ['auth', 'sign', 'enc'] as const;
export type CardProfile = (typeof CARD_PROFILES)[number];

export const PROFILE_LABELS: Record<CardProfile, string> = {
  auth: 'Authentification (AUTH)',
  sign: 'Signature (SIGN)',
  enc: 'Chiffrement (ENC)',
};

export function isCardProfile(value: string): value is CardProfile {
  return (CARD_PROFILES as readonly string[]).includes(value);
}

/**
 * Certificate policy OIDs written in the certificates. The defaults sit under a private, illustrative
 * arc (1.2.250.1.999.1.x): a real deployment registers its own arc and sets its policy OIDs here.
 */
export interface PolicyOids {
  auth: string;
  sign: string;
  enc: string;
  ocsp: string;
}

export const DEFAULT_POLICY_OIDS: PolicyOids = {
  auth: '1.2.250.1.999.1.1',
  sign: '1.2.250.1.999.1.2',
  enc: '1.2.250.1.999.1.3',
  ocsp: '1.2.250.1.999.1.4',
};

export const ANY_POLICY = '2.5.29.32.0';
export const OID_OCSP_NOCHECK = '1.3.6.1.5.5.7.48.1.5';
const OID_ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const OID_RSA_SHA256 = '1.2.840.113549.1.1.11';
const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1';

/** Where the PKI publishes its certificates, CRLs and OCSP (from the configuration's publicUrl). */
export interface PkiSettings {
  publicUrl: string;
  policies?: PolicyOids;
}

export function pkiUrls(publicUrl: string, caName: string) {
  const base = publicUrl.replace(/\/+$/, '');
  return { ocsp: `${base}/pki/ocsp`, caIssuers: `${base}/pki/ca/${caName}.cer`, crl: `${base}/pki/crl/${caName}.crl` };
}

// ---------------------------------------------------------------------------------------------
// Names

/**
 * One attribute of a distinguished name, in order. C is a PrintableString, everything else
 * UTF8String. GN (givenName) and SN (surname) appear in the ETSI natural-person form only.
 */
export interface DnPart {
  type: 'C' | 'O' | 'OU' | 'GN' | 'SN' | 'CN';
  value: string;
}

export const DN_OIDS: Record<DnPart['type'], string> = {
  C: '2.5.4.6',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  GN: '2.5.4.42',
  SN: '2.5.4.4',
  CN: '2.5.4.3',
};

/**
 * Form of the subject of the card certificates of an issuing CA: `seed` (the sources' C, O, OU, CN)
 * or `etsi-natural-person` (ETSI EN 319 412-2 §4.2.4: givenName and surname too, beside them).
 */
export const SUBJECT_FORMS = ['seed', 'etsi-natural-person'] as const;
export type SubjectForm = (typeof SUBJECT_FORMS)[number];

export function isSubjectForm(value: string): value is SubjectForm {
  return (SUBJECT_FORMS as readonly string[]).includes(value);
}
const DN_NAMES: Record<string, DnPart['type']> = Object.fromEntries(
  Object.entries(DN_OIDS).map(([k, v]) => [v, k as DnPart['type']]),
);

export function buildName(parts: DnPart[]): asn1.Name {
  return new asn1.Name(
    parts.map(
      (p) =>
        new asn1.RelativeDistinguishedName([
          new asn1.AttributeTypeAndValue({
            type: DN_OIDS[p.type],
            value: new asn1.AttributeValue(p.type === 'C' ? { printableString: p.value } : { utf8String: p.value }),
          }),
        ]),
    ),
  );
}

/** "C=FR, O=…, OU=…, CN=…" as shown to people and stored in the database. */
export function dnText(parts: DnPart[]): string {
  return parts.map((p) => `${p.type}=${p.value}`).join(', ');
}

/** Reads back a name's attributes with the string type each was encoded with. */
export function readName(name: asn1.Name): { type: string; value: string; encoding: string }[] {
  const out: { type: string; value: string; encoding: string }[] = [];
  for (const rdn of name) {
    for (const atv of rdn) {
      const v = atv.value;
      const encoding =
        v.printableString !== undefined ? 'printableString' : v.utf8String !== undefined ? 'utf8String' : 'other';
      out.push({
        type: DN_NAMES[atv.type] ?? atv.type,
        value: v.printableString ?? v.utf8String ?? v.toString(),
        encoding,
      });
    }
  }
  return out;
}

/**
 * The subject of a card certificate: C=FR, O=<organisation>, OU=0002 <SIREN>, CN=<First LAST>
 * <identifier>; in the ETSI natural-person form, givenName=<first names> and surname=<LAST> before the CN.
 */
export function agentSubject(
  a: {
    organizationName: string;
    siren: string | null;
    firstNames: string;
    lastName: string;
    identifier: string;
  },
  form: SubjectForm = 'seed',
): DnPart[] {
  const given = a.firstNames.trim().replace(/\s+/g, ' ');
  const first = given.split(' ')[0] ?? a.firstNames;
  const parts: DnPart[] = [
    { type: 'C', value: 'FR' },
    { type: 'O', value: a.organizationName },
  ];
  if (a.siren) parts.push({ type: 'OU', value: `0002 ${a.siren}` });
  if (form === 'etsi-natural-person')
    parts.push({ type: 'GN', value: given }, { type: 'SN', value: a.lastName.trim().toUpperCase() });
  parts.push({ type: 'CN', value: `${first} ${a.lastName.toUpperCase()} ${a.identifier}` });
  return parts;
}

// ---------------------------------------------------------------------------------------------
// Keys, serials, dates

/** Key identifier (RFC 5280 4.2.1.2, method 1): SHA-1 of the subjectPublicKey bits. */
export function keyIdentifier(spki: Uint8Array): Uint8Array {
  const info = AsnConvert.parse(spki, asn1.SubjectPublicKeyInfo);
  return new Uint8Array(createHash('sha1').update(new Uint8Array(info.subjectPublicKey)).digest());
}

export type PublicKeyKind = 'ec' | 'rsa' | 'other';

export function publicKeyKind(spki: Uint8Array): PublicKeyKind {
  const oid = AsnConvert.parse(spki, asn1.SubjectPublicKeyInfo).algorithm.algorithm;
  return oid === OID_EC_PUBLIC_KEY ? 'ec' : oid === OID_RSA_ENCRYPTION ? 'rsa' : 'other';
}

/** 16 random bytes, positive and minimally encoded (first byte 0x01–0x7f). */
export function randomSerial(): Uint8Array {
  const b = new Uint8Array(randomBytes(16));
  b[0] = b[0]! & 0x7f || 0x01;
  return b;
}

export function hex(bytes: Uint8Array | ArrayBuffer): string {
  return Buffer.from(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes).toString('hex');
}

export function addYears(d: Date, years: number): Date {
  const r = new Date(d.getTime());
  r.setUTCFullYear(r.getUTCFullYear() + years);
  return r;
}

export function addDays(d: Date, days: number): Date {
  return new Date(d.getTime() + days * 86_400_000);
}

export function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

/**
 * The notAfter of a period that starts at notBefore and ends (excluded) at `end`: RFC 5280 validity
 * dates are inclusive, so a period of exactly N years ends one second before the anniversary.
 */
export function lastSecondBefore(end: Date): Date {
  return new Date(end.getTime() - 1000);
}

export const CARD_VALIDITY_YEARS = 3;

/** Validity of a card certificate: exactly 3 years from now, never beyond its CA's notAfter. */
export function cardValidity(now: Date, caNotAfter: Date): { notBefore: Date; notAfter: Date } {
  const notBefore = wholeSeconds(now);
  const full = lastSecondBefore(addYears(notBefore, CARD_VALIDITY_YEARS));
  return { notBefore, notAfter: full.getTime() > caNotAfter.getTime() ? caNotAfter : full };
}

// ---------------------------------------------------------------------------------------------
// Extensions

function ext(e: x509.Extension): asn1.Extension {
  return AsnConvert.parse(e.rawData, asn1.Extension);
}

function akiExt(issuerKeyId: Uint8Array): asn1.Extension {
  return new asn1.Extension({
    extnID: asn1.id_ce_authorityKeyIdentifier,
    critical: false,
    extnValue: new OctetString(
      AsnConvert.serialize(new asn1.AuthorityKeyIdentifier({ keyIdentifier: new asn1.KeyIdentifier(issuerKeyId) })),
    ),
  });
}

function skiExt(keyId: Uint8Array): asn1.Extension {
  return new asn1.Extension({
    extnID: asn1.id_ce_subjectKeyIdentifier,
    critical: false,
    extnValue: new OctetString(AsnConvert.serialize(new asn1.SubjectKeyIdentifier(keyId))),
  });
}

/** Key usage of a card certificate by profile and key type. */
export function cardKeyUsage(profile: CardProfile, kind: PublicKeyKind): number {
  if (profile === 'auth') return x509.KeyUsageFlags.digitalSignature;
  if (profile === 'sign') return x509.KeyUsageFlags.nonRepudiation;
  return kind === 'rsa' ? x509.KeyUsageFlags.keyEncipherment : x509.KeyUsageFlags.keyAgreement;
}

export interface IssuerRef {
  /** Slug of the issuing CA (names its CRL and certificate URLs). */
  name: string;
  certificate: x509.X509Certificate;
  signer: Signer;
}

function issuerKeyId(issuer: IssuerRef): Uint8Array {
  const ski = issuer.certificate.getExtension(x509.SubjectKeyIdentifierExtension);
  return ski
    ? new Uint8Array(Buffer.from(ski.keyId, 'hex'))
    : keyIdentifier(new Uint8Array(issuer.certificate.publicKey.rawData));
}

function issuerName(issuer: IssuerRef): asn1.Name {
  return AsnConvert.parse(issuer.certificate.subjectName.toArrayBuffer(), asn1.Name);
}

// ---------------------------------------------------------------------------------------------
// Signing

export function signatureAlgorithm(algorithm: KeyAlgorithm): asn1.AlgorithmIdentifier {
  return algorithm === 'ecdsa-p256'
    ? new asn1.AlgorithmIdentifier({ algorithm: OID_ECDSA_SHA256 })
    : new asn1.AlgorithmIdentifier({ algorithm: OID_RSA_SHA256, parameters: null });
}

export interface TbsInput {
  serial: Uint8Array;
  subject: DnPart[];
  issuer: asn1.Name;
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
  extensions: asn1.Extension[];
}

/** Builds the TBSCertificate, has the signer sign it, returns the certificate DER. */
export async function signCertificate(input: TbsInput, signer: Signer): Promise<Uint8Array> {
  const algorithm = signatureAlgorithm(signer.algorithm);
  const tbs = new asn1.TBSCertificate({
    version: asn1.Version.v3,
    serialNumber: input.serial.slice().buffer,
    signature: algorithm,
    issuer: input.issuer,
    validity: new asn1.Validity({ notBefore: input.notBefore, notAfter: input.notAfter }),
    subject: buildName(input.subject),
    subjectPublicKeyInfo: AsnConvert.parse(input.spki, asn1.SubjectPublicKeyInfo),
    extensions: new asn1.Extensions(input.extensions),
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signature = await signer.sign(tbsDer);
  // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }, put
  // together from the TBS bytes just signed (no second serialisation of the whole tree).
  return sequence(tbsDer, signatureAlgorithmDer(signer.algorithm), bitString(signature));
}

const ALGORITHM_DER = new Map<KeyAlgorithm, Uint8Array>();

function signatureAlgorithmDer(algorithm: KeyAlgorithm): Uint8Array {
  let bytes = ALGORITHM_DER.get(algorithm);
  if (!bytes) {
    bytes = new Uint8Array(AsnConvert.serialize(signatureAlgorithm(algorithm)));
    ALGORITHM_DER.set(algorithm, bytes);
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Profiles

export interface CaCertificateInput {
  serial: Uint8Array;
  subject: DnPart[];
  notBefore: Date;
  notAfter: Date;
  pathLength: number;
  /** Public key of the new CA (SPKI DER). */
  spki: Uint8Array;
  /** Absent for the self-signed root: the new CA's own signer signs. */
  issuer: IssuerRef | null;
  settings: PkiSettings;
}

/** A root (self-signed) or issuing CA certificate. */
export async function caCertificate(input: CaCertificateInput, selfSigner?: Signer): Promise<Uint8Array> {
  const ownKeyId = keyIdentifier(input.spki);
  const extensions = [
    ext(new x509.BasicConstraintsExtension(true, input.pathLength, true)),
    ext(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)),
    skiExt(ownKeyId),
  ];
  if (input.issuer) {
    const urls = pkiUrls(input.settings.publicUrl, input.issuer.name);
    extensions.push(
      akiExt(issuerKeyId(input.issuer)),
      ext(new x509.CertificatePolicyExtension([ANY_POLICY], false)),
      ext(new x509.AuthorityInfoAccessExtension({ caIssuers: urls.caIssuers }, false)),
      ext(new x509.CRLDistributionPointsExtension([urls.crl], false)),
    );
    return signCertificate({ ...input, issuer: issuerName(input.issuer), extensions }, input.issuer.signer);
  }
  if (!selfSigner) throw new Error('caCertificate: a self-signed certificate needs its own signer');
  extensions.push(akiExt(ownKeyId));
  return signCertificate({ ...input, issuer: buildName(input.subject), extensions }, selfSigner);
}

export interface OcspResponderInput {
  serial: Uint8Array;
  subject: DnPart[];
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
  issuer: IssuerRef;
  settings: PkiSettings;
}

/** OCSP responder certificate: id-kp-OCSPSigning and id-pkix-ocsp-nocheck (short-lived, not checked itself). */
export async function ocspResponderCertificate(input: OcspResponderInput): Promise<Uint8Array> {
  const policies = input.settings.policies ?? DEFAULT_POLICY_OIDS;
  const extensions = [
    ext(new x509.BasicConstraintsExtension(false, undefined, true)),
    ext(new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)),
    ext(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.ocspSigning], false)),
    new asn1.Extension({
      extnID: OID_OCSP_NOCHECK,
      critical: false,
      extnValue: new OctetString(new Uint8Array([0x05, 0x00]).buffer),
    }),
    skiExt(keyIdentifier(input.spki)),
    akiExt(issuerKeyId(input.issuer)),
    ext(new x509.CertificatePolicyExtension([policies.ocsp], false)),
  ];
  return signCertificate({ ...input, issuer: issuerName(input.issuer), extensions }, input.issuer.signer);
}

export interface CardCertificateInput {
  serial: Uint8Array;
  profile: CardProfile;
  subject: DnPart[];
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
  issuer: IssuerRef;
  settings: PkiSettings;
}

/** AUTH, SIGN or ENC certificate of a card. */
export async function cardCertificate(input: CardCertificateInput): Promise<Uint8Array> {
  const fixed = cardExtensions(input.issuer, input.profile, publicKeyKind(input.spki), input.settings);
  const extensions = [...fixed.head, skiExt(keyIdentifier(input.spki)), ...fixed.tail];
  return signCertificate({ ...input, issuer: fixed.issuerName, extensions }, input.issuer.signer);
}

interface CardExtensions {
  issuerName: asn1.Name;
  /** basicConstraints, keyUsage[, extKeyUsage]: before the subject key identifier. */
  head: asn1.Extension[];
  /** authorityKeyIdentifier, certificatePolicies, authorityInfoAccess, cRLDistributionPoints. */
  tail: asn1.Extension[];
  /** The same as DER, made on first use by the fast path (card-cert-fast.ts). */
  der?: CardFixedDer;
}

/** The DER of the parts of a card certificate that do not depend on the subject or its key. */
export interface CardFixedDer {
  /** AlgorithmIdentifier of the issuer's signature (in the TBS and after it). */
  signatureAlgorithm: Uint8Array;
  issuerName: Uint8Array;
  /** The extensions before the subject key identifier, concatenated. */
  head: Uint8Array;
  /** The extensions after the subject key identifier, concatenated. */
  tail: Uint8Array;
}

/**
 * The fixed parts of a card certificate as DER, serialised from the very objects `cardCertificate`
 * uses (so both paths give the same bytes); cached with them per issuer certificate, profile, key
 * type and settings.
 */
export function cardFixedDer(
  issuer: IssuerRef,
  profile: CardProfile,
  kind: PublicKeyKind,
  settings: PkiSettings,
): CardFixedDer {
  const fixed = cardExtensions(issuer, profile, kind, settings);
  if (!fixed.der) {
    const der = (value: object): Uint8Array => new Uint8Array(AsnConvert.serialize(value));
    fixed.der = {
      signatureAlgorithm: signatureAlgorithmDer(issuer.signer.algorithm),
      issuerName: der(fixed.issuerName),
      head: concat(fixed.head.map(der)),
      tail: concat(fixed.tail.map(der)),
    };
  }
  return fixed.der;
}

/** The extensions that do not depend on the subject's key, built once per issuer certificate, profile, key type and settings (batches). */
const CARD_EXTENSIONS = new WeakMap<x509.X509Certificate, Map<string, CardExtensions>>();

function cardExtensions(
  issuer: IssuerRef,
  profile: CardProfile,
  kind: PublicKeyKind,
  settings: PkiSettings,
): CardExtensions {
  const policies = settings.policies ?? DEFAULT_POLICY_OIDS;
  const key = JSON.stringify([issuer.name, profile, kind, settings.publicUrl, policies[profile]]);
  let byKey = CARD_EXTENSIONS.get(issuer.certificate);
  if (!byKey) {
    byKey = new Map();
    CARD_EXTENSIONS.set(issuer.certificate, byKey);
  }
  const cached = byKey.get(key);
  if (cached) return cached;
  const urls = pkiUrls(settings.publicUrl, issuer.name);
  const head = [
    ext(new x509.BasicConstraintsExtension(false, undefined, true)),
    ext(new x509.KeyUsagesExtension(cardKeyUsage(profile, kind), true)),
  ];
  if (profile === 'auth') head.push(ext(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false)));
  const tail = [
    akiExt(issuerKeyId(issuer)),
    ext(new x509.CertificatePolicyExtension([policies[profile]], false)),
    ext(new x509.AuthorityInfoAccessExtension({ ocsp: urls.ocsp, caIssuers: urls.caIssuers }, false)),
    ext(new x509.CRLDistributionPointsExtension([urls.crl], false)),
  ];
  const built = { issuerName: issuerName(issuer), head, tail };
  if (byKey.size < 64) byKey.set(key, built);
  return built;
}

export function toPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
