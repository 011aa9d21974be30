// Fast path of card certificate issuance (AUTH, SIGN, ENC): the TBSCertificate is written with the
// DER helpers of der.ts instead of an @peculiar/asn1-x509 object tree.
//
// Everything that does not depend on the certificate itself (version, signature AlgorithmIdentifier,
// issuer Name, basicConstraints, keyUsage, extKeyUsage, AKI, certificatePolicies, AIA, CRL DP) is
// taken once per (CA certificate, profile, key type, settings) from the same builders as
// `cardCertificate` (profiles.ts) and kept as DER; per certificate only the serial, the validity,
// the subject Name, the SPKI (as given) and the subject key identifier are encoded. The result is
// byte for byte the certificate `cardCertificate` makes for the same inputs (card-cert-fast.test.ts
// checks it for every profile with EC and RSA keys).
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { bitString, contextConstructed, octetString, oid, readTlvSize, sequence, tlv, TAG, time } from './der.ts';
import { cardFixedDer, DN_OIDS, type CardCertificateInput, type DnPart, type PublicKeyKind } from './profiles.ts';
import type * as x509 from './x509.ts';

const OID_EC_PUBLIC_KEY_CONTENT = Buffer.from('2a8648ce3d0201', 'hex');
const OID_RSA_ENCRYPTION_CONTENT = Buffer.from('2a864886f70d010101', 'hex');

/** Version v3: [0] EXPLICIT INTEGER 2. */
const VERSION_V3 = Uint8Array.of(0xa0, 0x03, TAG.INTEGER, 0x01, 0x02);

const DN_OID_DER = Object.fromEntries(Object.entries(DN_OIDS).map(([type, dotted]) => [type, oid(dotted)])) as Record<
  DnPart['type'],
  Uint8Array
>;
const SKI_OID = oid('2.5.29.14');

/** The parts of an SPKI the certificate needs: its key type and the subjectPublicKey bits (for the SKI). */
export interface SpkiParts {
  kind: PublicKeyKind;
  /** Content of the subjectPublicKey BIT STRING without its unused-bits byte. */
  keyBits: Uint8Array;
}

/** Reads SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }. */
export function readSpki(spki: Uint8Array): SpkiParts {
  if (spki[0] !== TAG.SEQUENCE || readTlvSize(spki, 0) !== spki.length)
    throw new RangeError('SubjectPublicKeyInfo: one DER SEQUENCE expected');
  const body = contentStart(spki, 0);
  if (spki[body] !== TAG.SEQUENCE) throw new RangeError('SubjectPublicKeyInfo: AlgorithmIdentifier expected');
  const algEnd = body + readTlvSize(spki, body);
  const algBody = contentStart(spki, body);
  let kind: PublicKeyKind = 'other';
  if (spki[algBody] === TAG.OID) {
    const oidEnd = algBody + readTlvSize(spki, algBody);
    const content = Buffer.from(
      spki.buffer,
      spki.byteOffset + contentStart(spki, algBody),
      oidEnd - contentStart(spki, algBody),
    );
    kind = content.equals(OID_EC_PUBLIC_KEY_CONTENT)
      ? 'ec'
      : content.equals(OID_RSA_ENCRYPTION_CONTENT)
        ? 'rsa'
        : 'other';
  }
  if (spki[algEnd] !== TAG.BIT_STRING)
    throw new RangeError('SubjectPublicKeyInfo: subjectPublicKey BIT STRING expected');
  const bitsEnd = algEnd + readTlvSize(spki, algEnd);
  if (bitsEnd !== spki.length) throw new RangeError('SubjectPublicKeyInfo: trailing bytes');
  const bitsBody = contentStart(spki, algEnd);
  if (bitsBody >= bitsEnd) throw new RangeError('SubjectPublicKeyInfo: empty BIT STRING');
  return { kind, keyBits: spki.subarray(bitsBody + 1, bitsEnd) };
}

/** Offset of the content of the TLV at `offset` (single-byte tag). */
function contentStart(bytes: Uint8Array, offset: number): number {
  const first = bytes[offset + 1] as number;
  return offset + 2 + (first < 0x80 ? 0 : first & 0x7f);
}

/** Name ::= SEQUENCE OF SET OF AttributeTypeAndValue, one attribute per RDN; C PrintableString, the rest UTF8String. */
export function nameDer(parts: readonly DnPart[]): Uint8Array {
  return sequence(
    ...parts.map((p) =>
      tlv(
        TAG.SET,
        sequence(
          DN_OID_DER[p.type],
          tlv(p.type === 'C' ? TAG.PRINTABLE_STRING : TAG.UTF8_STRING, new Uint8Array(Buffer.from(p.value, 'utf8'))),
        ),
      ),
    ),
  );
}

/**
 * AUTH, SIGN or ENC certificate of a card, the same bytes as `cardCertificate` for the same input.
 * Returns the certificate DER and the TBS bytes signed.
 */
export async function fastCardCertificate(
  input: CardCertificateInput,
  spkiParts: SpkiParts = readSpki(input.spki),
): Promise<{ der: Uint8Array; tbs: Uint8Array; signature: Uint8Array }> {
  const signer = input.issuer.signer;
  const fixed = cardFixedDer(input.issuer, input.profile, spkiParts.kind, input.settings);
  const keyId = new Uint8Array(createHash('sha1').update(spkiParts.keyBits).digest());
  const ski = sequence(SKI_OID, octetString(octetString(keyId)));
  const tbs = sequence(
    VERSION_V3,
    tlv(TAG.INTEGER, input.serial),
    fixed.signatureAlgorithm,
    fixed.issuerName,
    sequence(time(input.notBefore), time(input.notAfter)),
    nameDer(input.subject),
    input.spki,
    tlv(contextConstructed(3), sequence(fixed.head, ski, fixed.tail)),
  );
  const signature = await signer.sign(tbs);
  return { der: sequence(tbs, fixed.signatureAlgorithm, bitString(signature)), tbs, signature };
}

const ISSUER_KEYS = new WeakMap<x509.X509Certificate, KeyObject>();

/**
 * Cheap self-check of a certificate made by fastCardCertificate: the signature verifies against the
 * issuing CA's public key (node:crypto, key imported once per CA). The profile-dependent bytes are
 * right by construction (same DER as the profile builders, see the equality tests).
 */
export function signatureVerifies(tbs: Uint8Array, signature: Uint8Array, issuer: x509.X509Certificate): boolean {
  let key = ISSUER_KEYS.get(issuer);
  if (!key) {
    key = createPublicKey({ key: Buffer.from(issuer.publicKey.rawData), format: 'der', type: 'spki' });
    ISSUER_KEYS.set(issuer, key);
  }
  return verify('sha256', tbs, key, signature);
}
