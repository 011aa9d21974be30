// Reads a CRL (X.509 v2, DER) in linear time without building an object tree, for CRLs of any size:
// the restore of a backup reads the CRLs published since, to continue their numbering and replay
// their revocations. Checks the signature with node:crypto against the issuer's public key.
import { createPublicKey, verify } from 'node:crypto';
import type { RevocationReason } from './crl-writer.ts';
import { REASON_CODES } from './crl-writer.ts';

export interface CrlEntryRead {
  serialHex: string;
  revokedAt: Date;
  reason: RevocationReason;
}

export interface CrlRead {
  /** The issuer Name, DER. */
  issuer: Uint8Array;
  thisUpdate: Date;
  nextUpdate: Date | null;
  crlNumber: bigint | null;
  entries: CrlEntryRead[];
  /** The signed part and the signature, for verifyCrlSignature. */
  tbs: Uint8Array;
  signatureAlgorithm: string;
  signature: Uint8Array;
}

export class CrlReadError extends Error {}

interface Tlv {
  tag: number;
  start: number; // first byte of the TLV
  contentStart: number;
  end: number; // first byte after the TLV
}

function readTlv(b: Uint8Array, offset: number, limit = b.length): Tlv {
  if (offset + 2 > limit) throw new CrlReadError('CRL tronquée.');
  const tag = b[offset]!;
  const first = b[offset + 1]!;
  let length = first;
  let header = 2;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 6 || offset + 2 + n > limit) throw new CrlReadError('Longueur DER invalide dans la CRL.');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + b[offset + 2 + i]!;
    header = 2 + n;
  }
  const end = offset + header + length;
  if (end > limit) throw new CrlReadError('CRL tronquée.');
  return { tag, start: offset, contentStart: offset + header, end };
}

function children(b: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let off = parent.contentStart; off < parent.end;) {
    const t = readTlv(b, off, parent.end);
    out.push(t);
    off = t.end;
  }
  return out;
}

function readOid(b: Uint8Array, t: Tlv): string {
  const bytes = b.subarray(t.contentStart, t.end);
  const parts: number[] = [];
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    value = value * 128 + (bytes[i]! & 0x7f);
    if ((bytes[i]! & 0x80) === 0) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

function readTime(b: Uint8Array, t: Tlv): Date {
  const s = Buffer.from(b.subarray(t.contentStart, t.end)).toString('latin1');
  const m = t.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : null;
  if (m) {
    const yy = Number(m[1]);
    return new Date(Date.UTC(yy < 50 ? 2000 + yy : 1900 + yy, Number(m[2]) - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  }
  const g = t.tag === 0x18 ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : null;
  if (g) return new Date(Date.UTC(+g[1]!, Number(g[2]) - 1, +g[3]!, +g[4]!, +g[5]!, +g[6]!));
  throw new CrlReadError('Date invalide dans la CRL.');
}

/** The INTEGER's bytes in hexadecimal, without the leading zero octets of DER's sign rule. */
function integerHex(b: Uint8Array, t: Tlv): string {
  const hex = Buffer.from(b.subarray(t.contentStart, t.end))
    .toString('hex')
    .replace(/^(00)+/, '');
  return hex === '' ? '00' : hex;
}

/** A serial compared by its value: lower case, no leading zeros. */
export function serialKey(hex: string): string {
  return hex.toLowerCase().replace(/^0+/, '') || '0';
}

const REASON_BY_CODE = new Map<number, RevocationReason>(
  Object.entries(REASON_CODES).map(([name, code]) => [code, name as RevocationReason]),
);

/** Parses a DER CRL (a PEM one is accepted too). */
export function readCrl(input: Uint8Array): CrlRead {
  let b = input;
  const text = Buffer.from(input.subarray(0, 64)).toString('latin1');
  if (text.includes('-----BEGIN X509 CRL-----')) {
    const body = Buffer.from(input)
      .toString('latin1')
      .replace(/-----[^-]+-----/g, '')
      .replace(/\s+/g, '');
    b = Buffer.from(body, 'base64');
  }
  const outer = readTlv(b, 0);
  if (outer.tag !== 0x30) throw new CrlReadError("Ce fichier n'est pas une CRL (DER).");
  const [tbsT, algT, sigT] = children(b, outer);
  if (!tbsT || !algT || !sigT || sigT.tag !== 0x03) throw new CrlReadError("Ce fichier n'est pas une CRL.");
  const parts = children(b, tbsT);
  let i = 0;
  if (parts[i]?.tag === 0x02) i++; // version
  i++; // signature AlgorithmIdentifier
  const issuerT = parts[i++];
  const thisT = parts[i++];
  if (!issuerT || !thisT) throw new CrlReadError('CRL incomplète.');
  let nextUpdate: Date | null = null;
  if (parts[i] && (parts[i]!.tag === 0x17 || parts[i]!.tag === 0x18)) nextUpdate = readTime(b, parts[i++]!);
  const entries: CrlEntryRead[] = [];
  if (parts[i]?.tag === 0x30) {
    for (const e of children(b, parts[i++]!)) {
      const [serialT, dateT, extsT] = children(b, e);
      if (!serialT || !dateT) throw new CrlReadError('Entrée de CRL invalide.');
      let reason: RevocationReason = 'unspecified';
      if (extsT) {
        for (const ext of children(b, extsT)) {
          const [oidT, ...rest] = children(b, ext);
          if (!oidT || readOid(b, oidT) !== '2.5.29.21') continue;
          const octets = rest.at(-1)!;
          const enumT = readTlv(b, octets.contentStart, octets.end);
          reason = REASON_BY_CODE.get(b[enumT.contentStart]!) ?? 'unspecified';
        }
      }
      entries.push({ serialHex: integerHex(b, serialT), revokedAt: readTime(b, dateT), reason });
    }
  }
  let crlNumber: bigint | null = null;
  const extsWrapper = parts[i];
  if (extsWrapper?.tag === 0xa0) {
    const [exts] = children(b, extsWrapper);
    for (const ext of exts ? children(b, exts) : []) {
      const [oidT, ...rest] = children(b, ext);
      if (!oidT || readOid(b, oidT) !== '2.5.29.20') continue;
      const octets = rest.at(-1)!;
      const intT = readTlv(b, octets.contentStart, octets.end);
      crlNumber = BigInt(`0x${integerHex(b, intT)}`);
    }
  }
  const [algOid] = children(b, algT);
  return {
    issuer: b.slice(issuerT.start, issuerT.end),
    thisUpdate: readTime(b, thisT),
    nextUpdate,
    crlNumber,
    entries,
    tbs: b.subarray(tbsT.start, tbsT.end),
    signatureAlgorithm: algOid ? readOid(b, algOid) : '',
    signature: b.subarray(sigT.contentStart + 1, sigT.end), // skip the unused-bits octet
  };
}

/** True when the CRL was signed by the key of this issuer certificate's SubjectPublicKeyInfo. */
export function verifyCrlSignature(crl: CrlRead, issuerSpki: Uint8Array): boolean {
  const key = createPublicKey({ key: Buffer.from(issuerSpki), format: 'der', type: 'spki' });
  const hash =
    crl.signatureAlgorithm === '1.2.840.10045.4.3.2' || crl.signatureAlgorithm === '1.2.840.113549.1.1.11'
      ? 'sha256'
      : null;
  if (!hash) return false;
  try {
    return verify(hash, crl.tbs, key, crl.signature);
  } catch {
    return false;
  }
}
