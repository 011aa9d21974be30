// OCSP responder core (RFC 6960, with the RFC 5019 lightweight profile), independent of the
// database: parse requests, build and sign responses, and a per-serial cache of pre-signed
// responses so that requests without a nonce are answered without signing.
//
// Requests are read and responses written with a small strict DER reader/writer (fixed structures on
// the hot path; the @peculiar/asn1-ocsp schemas give the OIDs and are the cross-check in the tests);
// responses are signed with the responder's Signer (keystore.ts: the key never leaves its store).
//
// Serial numbers are hex strings of the DER INTEGER content bytes, lowercase, as @peculiar/x509's
// `X509Certificate.serialNumber` gives them (a leading 00 stays when the high bit is set).

import { createHash } from 'node:crypto';
import { id_pkix_ocsp_basic, id_pkix_ocsp_nonce } from '@peculiar/asn1-ocsp';
import type { Signer } from './keystore.ts';

// ---------------------------------------------------------------------------------------------
// Types

export type OcspHashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';
export type OcspErrorStatus = 'malformedRequest' | 'internalError' | 'tryLater' | 'sigRequired' | 'unauthorized';
export type CertStatusValue = 'good' | 'revoked' | 'unknown';
export type RevocationReason =
  | 'unspecified'
  | 'keyCompromise'
  | 'cACompromise'
  | 'affiliationChanged'
  | 'superseded'
  | 'cessationOfOperation'
  | 'certificateHold'
  | 'removeFromCRL'
  | 'privilegeWithdrawn'
  | 'aACompromise';

/** One certificate asked about (a CertID of the request). */
export interface OcspCertRequest {
  /** Hash used for the issuer hashes: a node hash name when known, else the algorithm's OID. */
  hashAlgorithm: OcspHashName | string;
  issuerNameHash: Uint8Array;
  issuerKeyHash: Uint8Array;
  serialHex: string;
}

export type ParsedOcspRequest =
  | {
      ok: true;
      requests: OcspCertRequest[];
      nonce?: Uint8Array;
      /** The client marked its nonce critical: it wants it echoed, not a pre-signed answer (RFC 5019 §4). */
      nonceCritical?: boolean;
    }
  | { ok: false; status: 'malformedRequest' };

/** Status of one certificate, as the certificate table knows it. */
export interface CertStatusInfo {
  status: CertStatusValue;
  revokedAt?: Date;
  reason?: RevocationReason;
  /**
   * For a certificate past its notAfter: the archive cutoff (RFC 6960 §4.4.4), the date from which the
   * responder keeps status information (producedAt minus the retention period).
   */
  archiveCutoff?: Date;
}

export interface SerialStatus extends CertStatusInfo {
  serialHex: string;
  /** Hash of the request's CertID, echoed in the response (default sha1). */
  hashAlgorithm?: OcspHashName;
}

/** The OCSP signing identity: its certificate (included in responses) and key. */
export interface ResponderInfo {
  certDer: Uint8Array;
  signer: Signer;
  /** SHA-1 of the responder's public key (BIT STRING contents): the responderID byKey. */
  keyHash: Uint8Array;
}

/** Hashes of an issuing CA's subject name and public key, per hash algorithm (CertID matching). */
export interface IssuerIdentity {
  hashes: Record<OcspHashName, { nameHash: Uint8Array; keyHash: Uint8Array }>;
}

export interface BuildOcspResponseInput {
  responder: ResponderInfo;
  issuer: IssuerIdentity;
  statuses: SerialStatus[];
  thisUpdate: Date;
  nextUpdate: Date;
  /** extnValue contents of the request's nonce extension, echoed as is. */
  nonce?: Uint8Array;
  /** producedAt, default now. */
  producedAt?: Date;
  /**
   * Sign off the event loop when the key store can (default true: a server keeps answering meanwhile).
   * False for bulk work done in slices, where a thread hop per signature costs more than the signature.
   */
  offLoop?: boolean;
}

export const OCSP_MAX_REQUEST_BYTES = 16 * 1024;
export const OCSP_MAX_REQUESTS = 10;
/** RFC 8954 nonces are 1..32 octets; the extension value (an OCTET STRING wrapping it) is a little longer. Lenient up to 64. */
const MAX_NONCE_EXT_BYTES = 64;
const MAX_SERIAL_BYTES = 64;

const HASH_OIDS: Record<OcspHashName, string> = {
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
};
export const OCSP_HASHES: readonly OcspHashName[] = ['sha1', 'sha256', 'sha384', 'sha512'];

export function isOcspHashName(name: string): name is OcspHashName {
  return Object.hasOwn(HASH_OIDS, name);
}

const REASON_CODES: Record<RevocationReason, number> = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
};

const RESPONSE_STATUS_CODES: Record<'successful' | OcspErrorStatus, number> = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
};

// ---------------------------------------------------------------------------------------------
// Hex helpers

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function fromHex(hex: string): Uint8Array {
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex))
    throw new Error(`bad hex serial "${hex}"`);
  return Buffer.from(hex, 'hex');
}

// ---------------------------------------------------------------------------------------------
// Minimal DER reader (outer checks, certificate walking)

interface Tlv {
  tag: number;
  /** offset of the tag */
  pos: number;
  /** offset of the contents */
  start: number;
  /** offset after the contents */
  end: number;
}

/** Reads one TLV at `pos`; definite lengths only (DER). Throws on truncation. */
function readTlv(buf: Uint8Array, pos: number, limit = buf.length): Tlv {
  if (pos + 2 > limit) throw new Error('truncated');
  const tag = buf[pos]!;
  if ((tag & 0x1f) === 0x1f) throw new Error('high tag numbers not supported');
  // DER: universal SEQUENCE/SET are constructed, every other universal type is primitive.
  if ((tag & 0xc0) === 0 && ((tag & 0x20) !== 0) !== ((tag & 0x1f) === 0x10 || (tag & 0x1f) === 0x11))
    throw new Error('bad constructed bit');
  let len = buf[pos + 1]!;
  let p = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3) throw new Error('bad length');
    if (p + n > limit) throw new Error('truncated');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
  }
  if (p + len > limit) throw new Error('truncated');
  return { tag, pos, start: p, end: p + len };
}

function children(buf: Uint8Array, tlv: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let p = tlv.start;
  while (p < tlv.end) {
    const c = readTlv(buf, p, tlv.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

/** Full encoding (tag + length + contents) of a TLV. */
function raw(buf: Uint8Array, t: Tlv): Uint8Array {
  return buf.subarray(t.pos, t.end);
}

// ---------------------------------------------------------------------------------------------
// Minimal DER writer

function lenBytes(n: number): number[] {
  if (n < 0x80) return [n];
  if (n < 0x100) return [0x81, n];
  if (n < 0x10000) return [0x82, n >> 8, n & 0xff];
  return [0x83, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const head = lenBytes(len);
  const out = new Uint8Array(1 + head.length + len);
  out[0] = tag;
  out.set(head, 1);
  let o = 1 + head.length;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function encodeOid(oid: string): Uint8Array {
  const arcs = oid.split('.').map(Number);
  const bytes: number[] = [];
  const push = (v: number) => {
    const tmp = [v & 0x7f];
    v = Math.floor(v / 128);
    while (v > 0) {
      tmp.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    bytes.push(...tmp);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return tlv(0x06, Uint8Array.from(bytes));
}

function generalizedTime(d: Date): Uint8Array {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const s = `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return tlv(0x18, Buffer.from(s, 'latin1'));
}

const DER_NULL = Uint8Array.of(0x05, 0x00);
const OID_BASIC = encodeOid(id_pkix_ocsp_basic);
const OID_NONCE = encodeOid(id_pkix_ocsp_nonce);
/** id-pkix-ocsp-archive-cutoff (RFC 6960 §4.4.4). */
const OID_ARCHIVE_CUTOFF = encodeOid('1.3.6.1.5.5.7.48.1.6');
const HASH_ALG_IDS = new Map<OcspHashName, Uint8Array>(
  OCSP_HASHES.map((h) => [h, tlv(0x30, encodeOid(HASH_OIDS[h]), DER_NULL)]),
);
const SIG_ALG_ECDSA_SHA256 = tlv(0x30, encodeOid('1.2.840.10045.4.3.2'));
const SIG_ALG_RSA_SHA256 = tlv(0x30, encodeOid('1.2.840.113549.1.1.11'), DER_NULL);

function signatureAlgorithm(signer: Signer): Uint8Array {
  return signer.algorithm === 'ecdsa-p256' ? SIG_ALG_ECDSA_SHA256 : SIG_ALG_RSA_SHA256;
}

// ---------------------------------------------------------------------------------------------
// Requests

const OID_NONCE_CONTENT = toHex(encodeOid(id_pkix_ocsp_nonce).subarray(2));
const HASH_BY_OID_CONTENT = new Map<string, OcspHashName>(
  OCSP_HASHES.map((h) => [toHex(encodeOid(HASH_OIDS[h]).subarray(2)), h]),
);

function decodeOid(buf: Uint8Array, t: Tlv): string {
  const arcs: number[] = [];
  let v = 0;
  for (let i = t.start; i < t.end; i++) {
    const b = buf[i]!;
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
  }
  return arcs.join('.');
}

/** X.690 8.19: the last byte of an OID ends an arc; no arc starts with 0x80 (non-minimal). */
function validOid(buf: Uint8Array, t: Tlv): boolean {
  if (t.tag !== 0x06 || t.end <= t.start || buf[t.end - 1]! & 0x80) return false;
  for (let i = t.start; i < t.end; i++) if (buf[i] === 0x80 && (i === t.start || !(buf[i - 1]! & 0x80))) return false;
  return true;
}

class Malformed extends Error {}
function expect(cond: boolean): asserts cond {
  if (!cond) throw new Malformed();
}

/**
 * Parses a DER OCSPRequest (RFC 6960 4.1.1). Never throws: anything wrong is a malformedRequest.
 * A strict hand-written reader (fields in order, no trailing bytes; the request signature, if any, is
 * ignored), about ten times faster than the schema parser on this hot path; the tests check it
 * against the @peculiar/asn1-ocsp OCSPRequest schema on openssl's requests and on fuzzed input.
 */
export function parseOcspRequest(der: Uint8Array): ParsedOcspRequest {
  const bad = { ok: false, status: 'malformedRequest' } as const;
  try {
    if (!(der instanceof Uint8Array) || der.length < 2 || der.length > OCSP_MAX_REQUEST_BYTES) return bad;
    const outer = readTlv(der, 0);
    expect(outer.tag === 0x30 && outer.end === der.length);
    const top = children(der, outer);
    expect(top.length >= 1 && top.length <= 2 && top[0]!.tag === 0x30);
    if (top.length === 2) expect(top[1]!.tag === 0xa0); // optionalSignature, not checked
    const fields = children(der, top[0]!);
    let k = 0;
    if (fields[k]?.tag === 0xa0) {
      // version [0] EXPLICIT INTEGER: v1 (0) only
      const v = children(der, fields[k]!);
      expect(v.length === 1 && v[0]!.tag === 0x02 && v[0]!.end - v[0]!.start === 1 && der[v[0]!.start] === 0);
      k++;
    }
    if (fields[k]?.tag === 0xa1) k++; // requestorName, ignored
    const list = fields[k++];
    expect(list !== undefined && list.tag === 0x30);
    let extensions: Tlv | undefined;
    if (fields[k]?.tag === 0xa2) extensions = fields[k++];
    expect(k === fields.length);

    const items = children(der, list);
    expect(items.length >= 1 && items.length <= OCSP_MAX_REQUESTS);
    const requests: OcspCertRequest[] = [];
    for (const item of items) {
      expect(item.tag === 0x30);
      const r = children(der, item);
      expect(r.length >= 1 && r.length <= 2 && r[0]!.tag === 0x30);
      if (r.length === 2) expect(r[1]!.tag === 0xa0);
      const id = children(der, r[0]!);
      expect(id.length === 4);
      const [alg, nameHash, keyHash, serial] = id as [Tlv, Tlv, Tlv, Tlv];
      expect(alg.tag === 0x30 && nameHash.tag === 0x04 && keyHash.tag === 0x04 && serial.tag === 0x02);
      const algParts = children(der, alg);
      expect(algParts.length >= 1 && algParts.length <= 2 && validOid(der, algParts[0]!));
      // Hash algorithms take no parameters: absent or NULL (RFC 5754 §2), nothing else.
      const params = algParts[1];
      expect(!params || (params.tag === 0x05 && params.end === params.start));
      const oid = algParts[0]!;
      const serialLen = serial.end - serial.start;
      expect(serialLen >= 1 && serialLen <= MAX_SERIAL_BYTES);
      const nameLen = nameHash.end - nameHash.start;
      const keyLen = keyHash.end - keyHash.start;
      expect(nameLen >= 1 && nameLen <= 64 && keyLen >= 1 && keyLen <= 64);
      requests.push({
        hashAlgorithm: HASH_BY_OID_CONTENT.get(toHex(der.subarray(oid.start, oid.end))) ?? decodeOid(der, oid),
        issuerNameHash: new Uint8Array(der.subarray(nameHash.start, nameHash.end)),
        issuerKeyHash: new Uint8Array(der.subarray(keyHash.start, keyHash.end)),
        serialHex: toHex(der.subarray(serial.start, serial.end)),
      });
    }

    let nonce: Uint8Array | undefined;
    let nonceCritical = false;
    if (extensions) {
      const e = children(der, extensions);
      expect(e.length === 1 && e[0]!.tag === 0x30);
      for (const ext of children(der, e[0]!)) {
        expect(ext.tag === 0x30);
        const parts = children(der, ext);
        expect(parts.length >= 2 && parts.length <= 3 && validOid(der, parts[0]!));
        let critical = false;
        if (parts.length === 3) {
          const b = parts[1]!;
          expect(b.tag === 0x01 && b.end - b.start === 1);
          critical = der[b.start] !== 0;
        }
        const value = parts[parts.length - 1]!;
        expect(value.tag === 0x04);
        if (toHex(der.subarray(parts[0]!.start, parts[0]!.end)) === OID_NONCE_CONTENT) {
          expect(nonce === undefined); // twice
          const len = value.end - value.start;
          expect(len >= 1 && len <= MAX_NONCE_EXT_BYTES);
          nonce = new Uint8Array(der.subarray(value.start, value.end));
          nonceCritical = critical;
        }
      }
    }
    if (!nonce) return { ok: true, requests };
    return nonceCritical ? { ok: true, requests, nonce, nonceCritical } : { ok: true, requests, nonce };
  } catch {
    return bad;
  }
}

/**
 * GET requests (RFC 6960 A.1): `{prefix}/{url-encoding of base-64 encoding of the DER request}`.
 * Returns the DER bytes, or null when the path is not under the prefix or not base64.
 * Accepts standard and URL-safe alphabets, with or without padding; the query string is ignored.
 */
export function parseGetPath(urlPath: string, prefix = '/pki/ocsp'): Uint8Array | null {
  try {
    let path = urlPath;
    const q = path.indexOf('?');
    if (q >= 0) path = path.slice(0, q);
    const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
    if (!path.startsWith(base)) return null;
    let b64 = decodeURIComponent(path.slice(base.length));
    if (b64.length === 0 || b64.length > Math.ceil((OCSP_MAX_REQUEST_BYTES * 4) / 3) + 4) return null;
    b64 = b64.replace(/-/g, '+').replace(/_/g, '/');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return null;
    const bytes = Buffer.from(b64, 'base64');
    return bytes.length === 0 ? null : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Certificates: issuer and responder hashes

function certParts(certDer: Uint8Array): { subject: Uint8Array; publicKeyBits: Uint8Array } {
  const cert = readTlv(certDer, 0);
  const tbs = children(certDer, cert)[0];
  if (!tbs) throw new Error('not a certificate');
  let f = children(certDer, tbs);
  if (f[0]?.tag === 0xa0) f = f.slice(1); // version
  // serial, signature, issuer, validity, subject, subjectPublicKeyInfo
  const subject = f[4];
  const spki = f[5];
  if (!subject || !spki || subject.tag !== 0x30 || spki.tag !== 0x30) throw new Error('not a certificate');
  return { subject: raw(certDer, subject), publicKeyBits: bitStringContents(certDer, spki) };
}

function bitStringContents(buf: Uint8Array, spki: Tlv): Uint8Array {
  const bits = children(buf, spki)[1];
  if (!bits || bits.tag !== 0x03 || bits.end - bits.start < 1) throw new Error('bad SubjectPublicKeyInfo');
  return buf.subarray(bits.start + 1, bits.end); // without the unused-bits byte
}

const hash = (alg: string, data: Uint8Array): Uint8Array => new Uint8Array(createHash(alg).update(data).digest());

/** Hashes of an issuing CA certificate for CertID matching, for every supported hash. */
export function issuerIdentity(issuerCertDer: Uint8Array): IssuerIdentity {
  const { subject, publicKeyBits } = certParts(issuerCertDer);
  const hashes = {} as IssuerIdentity['hashes'];
  for (const h of OCSP_HASHES) hashes[h] = { nameHash: hash(h, subject), keyHash: hash(h, publicKeyBits) };
  return { hashes };
}

/** SHA-1 key hash of a SubjectPublicKeyInfo (DER), as used by responderID byKey. */
export function spkiKeyHash(spkiDer: Uint8Array): Uint8Array {
  return hash('sha1', bitStringContents(spkiDer, readTlv(spkiDer, 0)));
}

/** Responder identity from its certificate and signer. Checks that they hold the same key. */
export function responderInfo(certDer: Uint8Array, signer: Signer): ResponderInfo {
  const keyHash = hash('sha1', certParts(certDer).publicKeyBits);
  if (toHex(keyHash) !== toHex(spkiKeyHash(signer.publicKeySpki)))
    throw new Error('the OCSP responder certificate does not match its key');
  return { certDer, signer, keyHash };
}

// ---------------------------------------------------------------------------------------------
// Responses

/** An OCSPResponse without responseBytes (RFC 6960 4.2.1). */
export function errorResponse(status: OcspErrorStatus): Uint8Array {
  return Uint8Array.of(0x30, 0x03, 0x0a, 0x01, RESPONSE_STATUS_CODES[status]);
}

/** Response status of an OCSPResponse, or null if it is not one. */
export function responseStatusOf(der: Uint8Array): 'successful' | OcspErrorStatus | null {
  try {
    const outer = readTlv(der, 0);
    const st = children(der, outer)[0];
    if (!st || st.tag !== 0x0a || st.end - st.start !== 1) return null;
    const code = der[st.start];
    const e = Object.entries(RESPONSE_STATUS_CODES).find(([, v]) => v === code);
    return e ? (e[0] as 'successful' | OcspErrorStatus) : null;
  } catch {
    return null;
  }
}

function certStatus(s: CertStatusInfo): Uint8Array {
  if (s.status === 'good') return Uint8Array.of(0x80, 0x00);
  if (s.status === 'unknown') return Uint8Array.of(0x82, 0x00);
  if (!s.revokedAt) throw new Error('revoked status without revocation time');
  const parts = [generalizedTime(s.revokedAt)];
  if (s.reason !== undefined) parts.push(tlv(0xa0, Uint8Array.of(0x0a, 0x01, REASON_CODES[s.reason])));
  return tlv(0xa1, ...parts);
}

/** Builds and signs a successful OCSPResponse carrying a BasicOCSPResponse. */
export async function buildOcspResponse(input: BuildOcspResponseInput): Promise<Uint8Array> {
  const { responder, issuer, statuses, thisUpdate, nextUpdate, nonce } = input;
  if (statuses.length === 0) throw new Error('no status to answer');
  const thisUpdateDer = generalizedTime(thisUpdate);
  const nextUpdateDer = tlv(0xa0, generalizedTime(nextUpdate));
  const singles = statuses.map((s) => {
    const alg = s.hashAlgorithm ?? 'sha1';
    const h = issuer.hashes[alg];
    const certId = tlv(
      0x30,
      HASH_ALG_IDS.get(alg)!,
      tlv(0x04, h.nameHash),
      tlv(0x04, h.keyHash),
      tlv(0x02, fromHex(s.serialHex)),
    );
    const single = [certId, certStatus(s), thisUpdateDer, nextUpdateDer];
    if (s.archiveCutoff)
      single.push(tlv(0xa1, tlv(0x30, tlv(0x30, OID_ARCHIVE_CUTOFF, tlv(0x04, generalizedTime(s.archiveCutoff))))));
    return tlv(0x30, ...single);
  });
  const dataParts = [
    tlv(0xa2, tlv(0x04, responder.keyHash)), // responderID byKey
    generalizedTime(input.producedAt ?? new Date()),
    tlv(0x30, ...singles),
  ];
  if (nonce) dataParts.push(tlv(0xa1, tlv(0x30, tlv(0x30, OID_NONCE, tlv(0x04, nonce)))));
  const tbs = tlv(0x30, ...dataParts);
  // Off the event loop when the key store can (node:crypto on libuv's pool): answers keep flowing.
  const sign = input.offLoop === false ? responder.signer.sign : (responder.signer.signInPool ?? responder.signer.sign);
  const sig = await sign.call(responder.signer, tbs);
  const basic = tlv(
    0x30,
    tbs,
    signatureAlgorithm(responder.signer),
    tlv(0x03, Uint8Array.of(0), sig),
    tlv(0xa0, tlv(0x30, responder.certDer)),
  );
  return tlv(0x30, Uint8Array.of(0x0a, 0x01, 0x00), tlv(0xa0, tlv(0x30, OID_BASIC, tlv(0x04, basic))));
}

// ---------------------------------------------------------------------------------------------
// Cache of pre-signed responses (no nonce, one CertID)

export interface CachedOcspResponse {
  der: Uint8Array;
  thisUpdate: Date;
  nextUpdate: Date;
  /** Strong validator for HTTP (hex SHA-1 of the response). */
  etag: string;
}

interface CacheEntry extends CachedOcspResponse {
  serialHex: string;
  expiresAt: number;
}

export interface OcspCacheOptions {
  /** Entries kept at most (oldest dropped first). Default 200,000. */
  maxEntries?: number;
  /** Longest time an entry is served, ms. Default 60 s. Bounds staleness when invalidate() cannot be called (other instances). */
  ttlMs?: number;
  /** An entry stops being served this long before its nextUpdate, ms. Default 60 s. */
  marginMs?: number;
}

/**
 * Pre-signed responses keyed by an issuer key (ocspRoutes uses the request's issuer key hash followed by
 * its name hash, both hex) + serial; the hashes differ per hash algorithm, so a SHA-256 CertID gets its
 * own entry. `invalidate(serial)` drops every entry of a
 * serial; call it when a certificate's status changes. A response computed from a status read before
 * an invalidation is refused by `set` (the epoch moved), so a stale status cannot be cached.
 */
export class OcspCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly bySerial = new Map<string, Set<string>>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly marginMs: number;
  private epochValue = 0;
  hits = 0;
  misses = 0;

  constructor(opts: OcspCacheOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 200_000;
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.marginMs = opts.marginMs ?? 60_000;
  }

  static key(issuerKeyHashHex: string, serialHex: string): string {
    return `${issuerKeyHashHex}:${serialHex}`;
  }

  /** Read before looking a status up; pass to set(). */
  get epoch(): number {
    return this.epochValue;
  }

  get size(): number {
    return this.entries.size;
  }

  get(issuerKeyHashHex: string, serialHex: string, now = Date.now()): CachedOcspResponse | undefined {
    const k = OcspCache.key(issuerKeyHashHex, serialHex);
    const e = this.entries.get(k);
    if (!e) {
      this.misses++;
      return undefined;
    }
    if (e.expiresAt <= now) {
      this.delete(k, e.serialHex);
      this.misses++;
      return undefined;
    }
    this.hits++;
    return e;
  }

  /**
   * Stores a response and returns the stored entry; returns null (and stores nothing) if an invalidation
   * happened since `epoch` was read, or if the response would already be too close to its nextUpdate.
   */
  set(
    issuerKeyHashHex: string,
    serialHex: string,
    value: Omit<CachedOcspResponse, 'etag'>,
    epoch: number,
    now = Date.now(),
  ): CachedOcspResponse | null {
    if (epoch !== this.epochValue) return null;
    const expiresAt = Math.min(now + this.ttlMs, value.nextUpdate.getTime() - this.marginMs);
    if (expiresAt <= now) return null;
    const k = OcspCache.key(issuerKeyHashHex, serialHex);
    if (this.entries.has(k)) this.delete(k, serialHex);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.entries().next().value;
      if (!oldest) break;
      this.delete(oldest[0], oldest[1].serialHex);
    }
    const etag = `"${createHash('sha1').update(value.der).digest('hex')}"`;
    const entry: CacheEntry = { ...value, etag, serialHex, expiresAt };
    this.entries.set(k, entry);
    let keys = this.bySerial.get(serialHex);
    if (!keys) this.bySerial.set(serialHex, (keys = new Set()));
    keys.add(k);
    return entry;
  }

  /** Drops every cached response of this serial (any issuer, any hash). */
  invalidate(serialHex: string): void {
    this.epochValue++;
    const keys = this.bySerial.get(serialHex.toLowerCase());
    if (!keys) return;
    for (const k of keys) this.entries.delete(k);
    this.bySerial.delete(serialHex.toLowerCase());
  }

  clear(): void {
    this.epochValue++;
    this.entries.clear();
    this.bySerial.clear();
  }

  private delete(k: string, serialHex: string): void {
    this.entries.delete(k);
    const keys = this.bySerial.get(serialHex);
    if (keys) {
      keys.delete(k);
      if (keys.size === 0) this.bySerial.delete(serialHex);
    }
  }
}
