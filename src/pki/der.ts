// Minimal DER encoding helpers (ITU-T X.690 §10, distinguished rules), written by hand on purpose.
//
// Why not a package: the CRL writer (crl-writer.ts) must encode up to millions of revoked entries in
// linear time and bounded memory, writing bytes straight into large chunks that are hashed and sent
// as they are. The ASN.1 libraries we use (asn1js, @peculiar/asn1-schema, X509CrlGenerator) build an
// object tree of the whole document first and serialise it at the end: quadratic in practice for
// CRLs (10k entries 5.6 s, 20k 24 s), several hundred bytes of heap per entry, and asn1js refuses to
// parse more than ~10k nodes unless `maxNodes` is raised. None of them writes DER as a stream.
// DER only needs a handful of primitives here (lengths, INTEGER, OID, times, SEQUENCE of known
// content), so they are written out below and checked against asn1js and openssl in crl-writer.test.ts.
//
// Two styles are offered:
//   - `write*(target, offset, ...)`: encode into a caller's buffer, return the new offset (no
//     allocation; the hot path of the CRL writer);
//   - functions returning a fresh Uint8Array, for the few fixed parts of a document.

/** Universal tags used by the PKI code. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Tag of a context-specific constructed [n] (EXPLICIT, or IMPLICIT of a constructed type), n ≤ 30. */
export function contextConstructed(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 30) throw new RangeError(`context tag [${n}] out of range 0..30`);
  return 0xa0 | n;
}

/** Tag of a context-specific primitive [n] (IMPLICIT of a primitive type), n ≤ 30. */
export function contextPrimitive(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 30) throw new RangeError(`context tag [${n}] out of range 0..30`);
  return 0x80 | n;
}

// ---------------------------------------------------------------------------------------------
// Lengths and headers

/** Largest content length accepted (2^48 − 1: far above any document, exact in a JS number). */
const MAX_LENGTH = 2 ** 48 - 1;

function checkLength(length: number): void {
  if (!Number.isSafeInteger(length) || length < 0 || length > MAX_LENGTH)
    throw new RangeError(`invalid DER length ${length}`);
}

/** Number of bytes of the DER length field for a content of `length` bytes (short form below 128). */
export function lengthSize(length: number): number {
  checkLength(length);
  if (length < 0x80) return 1;
  let n = 1;
  for (let v = length; v > 0; v = Math.floor(v / 256)) n++;
  return n;
}

/** Writes the DER length field; returns the new offset. */
export function writeLength(target: Uint8Array, offset: number, length: number): number {
  checkLength(length);
  if (length < 0x80) {
    target[offset] = length;
    return offset + 1;
  }
  const bytes = lengthSize(length) - 1;
  target[offset] = 0x80 | bytes;
  let v = length;
  for (let i = bytes; i >= 1; i--) {
    target[offset + i] = v % 256;
    v = Math.floor(v / 256);
  }
  return offset + 1 + bytes;
}

/** The DER length field alone. */
export function encodeLength(length: number): Uint8Array {
  const out = new Uint8Array(lengthSize(length));
  writeLength(out, 0, length);
  return out;
}

/** Size of a whole TLV whose content is `contentLength` bytes (single-byte tag). */
export function tlvSize(contentLength: number): number {
  return 1 + lengthSize(contentLength) + contentLength;
}

/** Writes tag + length; returns the new offset. */
export function writeHeader(target: Uint8Array, offset: number, tag: number, contentLength: number): number {
  target[offset] = tag;
  return writeLength(target, offset + 1, contentLength);
}

/**
 * Tag + length of a value whose content follows separately: the streaming building block (e.g. the
 * header of a SEQUENCE whose content is written chunk by chunk afterwards).
 */
export function header(tag: number, contentLength: number): Uint8Array {
  const out = new Uint8Array(1 + lengthSize(contentLength));
  writeHeader(out, 0, tag, contentLength);
  return out;
}

/** Concatenates chunks into one array. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const c of chunks) size += c.length;
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** A complete tag-length-value whose content is the concatenation of `content`. */
export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const c of content) size += c.length;
  const out = new Uint8Array(1 + lengthSize(size) + size);
  let off = writeHeader(out, 0, tag, size);
  for (const c of content) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** SEQUENCE of already-encoded elements. */
export function sequence(...elements: Uint8Array[]): Uint8Array {
  return tlv(TAG.SEQUENCE, ...elements);
}

export function octetString(bytes: Uint8Array): Uint8Array {
  return tlv(TAG.OCTET_STRING, bytes);
}

/** BIT STRING of whole bytes (0 unused bits), e.g. a signature value. */
export function bitString(bytes: Uint8Array): Uint8Array {
  return tlv(TAG.BIT_STRING, Uint8Array.of(0), bytes);
}

export function nullValue(): Uint8Array {
  return Uint8Array.of(TAG.NULL, 0);
}

/** BOOLEAN (DER: TRUE is 0xff). */
export function boolean(value: boolean): Uint8Array {
  return Uint8Array.of(TAG.BOOLEAN, 1, value ? 0xff : 0);
}

/** ENUMERATED of a small non-negative value (0..127, e.g. a CRL reason code). */
export function enumerated(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 127)
    throw new RangeError(`ENUMERATED ${value} out of range 0..127`);
  return Uint8Array.of(TAG.ENUMERATED, 1, value);
}

// ---------------------------------------------------------------------------------------------
// INTEGER

/** Hex digit values by char code (−1: not a hex digit). */
const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[0x41 + i] = 10 + i;
  HEX[0x61 + i] = 10 + i;
}

function hexDigit(hex: string, i: number): number {
  const c = hex.charCodeAt(i);
  const v = c < 128 ? (HEX[c] as number) : -1;
  if (v < 0)
    throw new SyntaxError(
      `not a hexadecimal serial: ${JSON.stringify(hex.length > 80 ? `${hex.slice(0, 80)}…` : hex)}`,
    );
  return v;
}

/**
 * Content length of the INTEGER whose magnitude is the hex string `hex` (unsigned, any case, any
 * number of leading zeros, odd length allowed; no sign, no `0x`), and the index of its first
 * significant digit. Throws on an empty string or a non-hex character.
 */
function integerHexLayout(hex: string): { start: number; contentLength: number; pad: boolean } {
  const len = hex.length;
  if (len === 0) throw new SyntaxError('empty hexadecimal serial');
  let start = 0;
  while (start < len && hex.charCodeAt(start) === 0x30) start++;
  if (start === len) return { start, contentLength: 1, pad: false }; // zero: a single 00 byte
  const digits = len - start;
  // The first byte holds one digit when the digit count is odd, else two.
  const first = digits % 2 === 1 ? hexDigit(hex, start) : hexDigit(hex, start) * 16 + hexDigit(hex, start + 1);
  const pad = first >= 0x80; // a set top bit would read as negative: prefix 00
  return { start, contentLength: Math.ceil(digits / 2) + (pad ? 1 : 0), pad };
}

/** Size of the INTEGER TLV for `hex` (see writeIntegerFromHex). */
export function integerFromHexSize(hex: string): number {
  return tlvSize(integerHexLayout(hex).contentLength);
}

/**
 * Writes a non-negative INTEGER from its hexadecimal magnitude, minimal as DER requires: leading
 * zeros are dropped, and a 00 byte is prefixed when the first byte has its top bit set (so that it
 * stays positive). Returns the new offset. The caller checks that the target has room (at most
 * 2 + 8 + hex.length/2 + 1 bytes).
 */
export function writeIntegerFromHex(target: Uint8Array, offset: number, hex: string): number {
  const { start, contentLength, pad } = integerHexLayout(hex);
  let off = writeHeader(target, offset, TAG.INTEGER, contentLength);
  const len = hex.length;
  if (start === len) {
    target[off] = 0;
    return off + 1;
  }
  if (pad) target[off++] = 0;
  let i = start;
  if ((len - start) % 2 === 1) target[off++] = hexDigit(hex, i++);
  for (; i < len; i += 2) target[off++] = hexDigit(hex, i) * 16 + hexDigit(hex, i + 1);
  return off;
}

/**
 * writeIntegerFromHex over the characters [start, end) of `text` (no substring made: a CRL read from
 * the database as one text of a million lines encodes without an object per entry). Returns the new
 * offset, or -1 when the magnitude needs more than `maxOctets` octets.
 */
export function writeIntegerFromHexRange(
  target: Uint8Array,
  offset: number,
  text: string,
  start: number,
  end: number,
  maxOctets: number,
): number {
  if (end <= start) throw new SyntaxError('empty hexadecimal serial');
  let i = start;
  while (i < end && text.charCodeAt(i) === 0x30) i++;
  if (i === end) {
    target[offset] = TAG.INTEGER;
    target[offset + 1] = 1;
    target[offset + 2] = 0;
    return offset + 3;
  }
  const digits = end - i;
  const first = digits % 2 === 1 ? hexDigit(text, i) : hexDigit(text, i) * 16 + hexDigit(text, i + 1);
  const pad = first >= 0x80;
  const contentLength = Math.ceil(digits / 2) + (pad ? 1 : 0);
  if (contentLength > maxOctets + 1) return -1;
  let off = writeHeader(target, offset, TAG.INTEGER, contentLength);
  if (pad) target[off++] = 0;
  if (digits % 2 === 1) target[off++] = hexDigit(text, i++);
  for (; i < end; i += 2) target[off++] = hexDigit(text, i) * 16 + hexDigit(text, i + 1);
  return off;
}

/** INTEGER TLV from a hexadecimal magnitude (see writeIntegerFromHex). */
export function integerFromHex(hex: string): Uint8Array {
  const out = new Uint8Array(integerFromHexSize(hex));
  writeIntegerFromHex(out, 0, hex);
  return out;
}

/** INTEGER TLV of a non-negative bigint (e.g. a cRLNumber, a version). */
export function integerFromBigInt(value: bigint): Uint8Array {
  if (value < 0n) throw new RangeError('negative INTEGER not supported');
  return integerFromHex(value.toString(16));
}

// ---------------------------------------------------------------------------------------------
// OBJECT IDENTIFIER

/** OBJECT IDENTIFIER TLV from its dotted form ("1.2.840.10045.4.3.2"). */
export function oid(dotted: string): Uint8Array {
  const parts = dotted.split('.');
  const arcs = parts.map((p) => {
    if (!/^(0|[1-9][0-9]*)$/.test(p)) throw new SyntaxError(`invalid OID ${JSON.stringify(dotted)}`);
    return BigInt(p);
  });
  const [a0, a1] = arcs;
  if (a0 === undefined || a1 === undefined || a0 > 2n || (a0 < 2n && a1 > 39n))
    throw new SyntaxError(`invalid OID ${JSON.stringify(dotted)}`);
  const subids = [a0 * 40n + a1, ...arcs.slice(2)];
  const content: number[] = [];
  for (const sub of subids) {
    // base 128, most significant group first, bit 8 set on all but the last byte
    const groups: number[] = [];
    let v = sub;
    do {
      groups.unshift(Number(v & 0x7fn));
      v >>= 7n;
    } while (v > 0n);
    for (let i = 0; i < groups.length - 1; i++) groups[i] = (groups[i] as number) | 0x80;
    content.push(...groups);
  }
  return tlv(TAG.OID, Uint8Array.from(content));
}

// ---------------------------------------------------------------------------------------------
// Time (RFC 5280 §4.1.2.5: UTCTime for years 1950–2049, GeneralizedTime otherwise; always UTC
// with "Z", seconds present, no fractional seconds — milliseconds are dropped, not rounded)

/** Size of the TLV written by writeTime for this date (15 or 17 bytes). */
export function timeSize(date: Date): number {
  const y = checkedYear(date);
  return y >= 1950 && y <= 2049 ? 15 : 17;
}

function checkedYear(date: Date): number {
  const t = date.getTime();
  if (Number.isNaN(t)) throw new RangeError('invalid date');
  const y = date.getUTCFullYear();
  if (y < 0 || y > 9999) throw new RangeError(`year ${y} cannot be encoded`);
  return y;
}

function write2(target: Uint8Array, offset: number, v: number): void {
  target[offset] = 0x30 + ((v / 10) | 0);
  target[offset + 1] = 0x30 + (v % 10);
}

/** Writes a UTCTime or GeneralizedTime per RFC 5280; returns the new offset. */
export function writeTime(target: Uint8Array, offset: number, date: Date): number {
  const y = checkedYear(date);
  let off = offset;
  if (y >= 1950 && y <= 2049) {
    target[off++] = TAG.UTC_TIME;
    target[off++] = 13;
    write2(target, off, y % 100);
    off += 2;
  } else {
    target[off++] = TAG.GENERALIZED_TIME;
    target[off++] = 15;
    write2(target, off, (y / 100) | 0);
    write2(target, off + 2, y % 100);
    off += 4;
  }
  write2(target, off, date.getUTCMonth() + 1);
  write2(target, off + 2, date.getUTCDate());
  write2(target, off + 4, date.getUTCHours());
  write2(target, off + 6, date.getUTCMinutes());
  write2(target, off + 8, date.getUTCSeconds());
  target[off + 10] = 0x5a; // Z
  return off + 11;
}

/** UTCTime or GeneralizedTime TLV per RFC 5280. */
export function time(date: Date): Uint8Array {
  const out = new Uint8Array(timeSize(date));
  writeTime(out, 0, date);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading (just enough to check inputs given as DER)

/**
 * Total size of the TLV starting at `offset` (single-byte tag, definite length), or throws if it is
 * truncated or its length field is not DER. Used to check that a DER input (e.g. an issuer Name) is
 * exactly one element.
 */
export function readTlvSize(bytes: Uint8Array, offset = 0): number {
  if (offset + 2 > bytes.length) throw new RangeError('truncated DER');
  if (((bytes[offset] as number) & 0x1f) === 0x1f) throw new RangeError('multi-byte DER tags not supported');
  const first = bytes[offset + 1] as number;
  let length: number;
  let headerSize: number;
  if (first < 0x80) {
    length = first;
    headerSize = 2;
  } else {
    const n = first & 0x7f;
    if (n === 0) throw new RangeError('indefinite length is not DER');
    if (n > 6) throw new RangeError('DER length too large');
    if (offset + 2 + n > bytes.length) throw new RangeError('truncated DER');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (bytes[offset + 2 + i] as number);
    if (length < 0x80 || (bytes[offset + 2] as number) === 0) throw new RangeError('non-minimal DER length');
    headerSize = 2 + n;
  }
  if (offset + headerSize + length > bytes.length) throw new RangeError('truncated DER');
  return headerSize + length;
}
