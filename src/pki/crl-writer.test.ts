import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey, webcrypto } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as asn1js from 'asn1js';
import fc from 'fast-check';
import {
  buildCrl,
  encodeSerial,
  writeCrl,
  type CrlOptions,
  type CrlSigner,
  type RevocationReason,
  type RevokedEntry,
} from './crl-writer.ts';
import { encodeLength, header, integerFromBigInt, integerFromHex, oid, readTlvSize, time } from './der.ts';
import { keyObjectSigner } from './keystore-file.ts';
import type { KeyAlgorithm, Signer } from './keystore.ts';
import * as x509 from './x509.ts';

x509.cryptoProvider.set(webcrypto as never);
type X509Certificate = InstanceType<typeof x509.X509Certificate>;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const execFileAsync = promisify(execFile);

async function openssl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('openssl', args, { encoding: 'utf8', maxBuffer: 256 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// ---------------------------------------------------------------------------------------------
// DER primitives, against asn1js's decoder

describe('der', () => {
  test('lengths: short form below 128, minimal long form above', () => {
    const cases: [number, string][] = [
      [0, '00'],
      [1, '01'],
      [127, '7f'],
      [128, '8180'],
      [255, '81ff'],
      [256, '820100'],
      [65535, '82ffff'],
      [65536, '83010000'],
      [2 ** 24, '8401000000'],
      [2 ** 32, '850100000000'],
    ];
    for (const [n, expected] of cases) assert.equal(hex(encodeLength(n)), expected, `length ${n}`);
    assert.throws(() => encodeLength(-1), RangeError);
    assert.throws(() => encodeLength(1.5), RangeError);
  });

  test('property: any length decodes back with asn1js and readTlvSize', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 1 << 20 })), (n) => {
        const der = Buffer.concat([header(0x04, n), Buffer.alloc(n, 0xa5)]);
        const { offset, result } = asn1js.fromBER(der);
        assert.equal(offset, der.length);
        assert.equal(result.lenBlock.length, n);
        assert.equal(result.lenBlock.longFormUsed, n >= 128);
        assert.equal(readTlvSize(der), der.length);
        // minimal: the first length byte after 0x8n is never zero
        if (n >= 128) assert.notEqual(der[2], 0);
      }),
      { numRuns: 300 },
    );
  });

  test('INTEGER from hex: positive, minimal (00 pad before a set top bit, leading zeros dropped)', () => {
    assert.equal(hex(integerFromHex('0')), '020100');
    assert.equal(hex(integerFromHex('0000')), '020100');
    assert.equal(hex(integerFromHex('1')), '020101');
    assert.equal(hex(integerFromHex('7f')), '02017f');
    assert.equal(hex(integerFromHex('80')), '02020080');
    assert.equal(hex(integerFromHex('0080')), '02020080');
    assert.equal(hex(integerFromHex('FF')), '020200ff');
    assert.equal(hex(integerFromHex('00000000ab')), '020200ab');
    assert.equal(hex(integerFromHex('000000007b')), '02017b');
    assert.equal(hex(integerFromHex('abc')), '02020abc'); // odd digit count
    assert.equal(hex(integerFromHex('8abc')), '0203008abc');
    assert.equal(hex(integerFromBigInt(1n)), '020101');
    assert.throws(() => integerFromHex(''), SyntaxError);
    assert.throws(() => integerFromHex('12g4'), SyntaxError);
    assert.throws(() => integerFromHex('-1'), SyntaxError);
    assert.throws(() => integerFromHex('0x12'), SyntaxError);
    assert.throws(() => integerFromBigInt(-1n), RangeError);
  });

  test('property: INTEGER from hex decodes with asn1js to the same value, minimally encoded', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 520n) - 1n }),
        fc.nat({ max: 6 }),
        fc.boolean(),
        (value, zeros, upper) => {
          let h = '0'.repeat(zeros) + value.toString(16);
          if (upper) h = h.toUpperCase();
          const der = integerFromHex(h);
          const { offset, result } = asn1js.fromBER(der);
          assert.equal(offset, der.length);
          assert.ok(result instanceof asn1js.Integer);
          assert.equal(result.toBigInt(), value);
          const content = result.valueBlock.valueHexView;
          assert.ok((content[0] as number) < 0x80, 'positive');
          if (content.length > 1) assert.ok(content[0] !== 0 || (content[1] as number) >= 0x80, 'minimal');
          assert.deepEqual(der, integerFromBigInt(value));
        },
      ),
      { numRuns: 500 },
    );
  });

  test('OIDs decode with asn1js', () => {
    for (const o of [
      '1.2.840.10045.4.3.2',
      '1.2.840.113549.1.1.11',
      '2.5.29.21',
      '2.5.29.35',
      '0.9.2342.19200300.100.1.25',
      '2.999.3',
      '1.3.6.1.4.1.311.21.7',
    ]) {
      const { result } = asn1js.fromBER(oid(o));
      assert.ok(result instanceof asn1js.ObjectIdentifier);
      assert.equal(result.getValue(), o);
    }
    assert.equal(hex(oid('2.5.29.20')), '0603551d14');
    assert.throws(() => oid('1'), SyntaxError);
    assert.throws(() => oid('1.40'), SyntaxError);
    assert.throws(() => oid('3.1'), SyntaxError);
    assert.throws(() => oid('1.2.03'), SyntaxError);
  });

  test('times: UTCTime 1950–2049, GeneralizedTime otherwise, seconds, Z, milliseconds dropped', () => {
    assert.equal(Buffer.from(time(new Date('2049-12-31T23:59:59.999Z'))).toString('latin1'), '\x17\x0d491231235959Z');
    assert.equal(Buffer.from(time(new Date('2050-01-01T00:00:00Z'))).toString('latin1'), '\x18\x0f20500101000000Z');
    assert.equal(Buffer.from(time(new Date('1950-01-01T00:00:00Z'))).toString('latin1'), '\x17\x0d500101000000Z');
    assert.equal(Buffer.from(time(new Date('1949-12-31T23:59:59Z'))).toString('latin1'), '\x18\x0f19491231235959Z');
    assert.equal(Buffer.from(time(new Date('2026-03-05T07:08:09.500Z'))).toString('latin1'), '\x17\x0d260305070809Z');
    assert.throws(() => time(new Date(NaN)), RangeError);
    assert.throws(() => time(new Date('+010000-01-01T00:00:00Z')), RangeError);
  });

  test('property: times decode with asn1js to the same second', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2200-12-31T23:59:59Z'), noInvalidDate: true }),
        (d) => {
          const der = time(d);
          const { offset, result } = asn1js.fromBER(der);
          assert.equal(offset, der.length);
          const y = d.getUTCFullYear();
          if (y >= 1950 && y <= 2049) assert.ok(result instanceof asn1js.UTCTime);
          else assert.ok(result instanceof asn1js.GeneralizedTime);
          assert.equal((result as asn1js.UTCTime).toDate().getTime(), Math.floor(d.getTime() / 1000) * 1000);
        },
      ),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// CRLs, checked by openssl and @peculiar/x509

interface TestCa {
  algorithm: KeyAlgorithm;
  signer: Signer;
  cert: X509Certificate;
  ski: Uint8Array;
  pemPath: string;
}

let dir: string;
let ec: TestCa;
let rsa: TestCa;

async function makeCa(algorithm: KeyAlgorithm, name: string): Promise<TestCa> {
  const alg =
    algorithm === 'ecdsa-p256'
      ? { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
      : { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${name}, O=Cartes Agents Test, C=FR`,
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2036-01-01T00:00:00Z'),
    signingAlgorithm: alg,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const signer = keyObjectSigner(
    createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }),
    algorithm,
  );
  const ski = Buffer.from(cert.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId, 'hex');
  const pemPath = join(dir, `${algorithm}-ca.pem`);
  writeFileSync(pemPath, cert.toString('pem'));
  return { algorithm, signer, cert, ski, pemPath };
}

function options(ca: TestCa, entries: CrlOptions['entries'], extra: Partial<CrlOptions> = {}): CrlOptions {
  return {
    issuer: new Uint8Array(ca.cert.subjectName.toArrayBuffer()),
    thisUpdate: new Date('2026-11-25T10:00:00Z'),
    nextUpdate: new Date('2026-11-26T10:00:00Z'),
    entries,
    authorityKeyIdentifier: ca.ski,
    crlNumber: 42n,
    signer: ca.signer,
    ...extra,
  };
}

let fileNo = 0;
function save(der: Uint8Array): string {
  const path = join(dir, `crl-${++fileNo}.der`);
  writeFileSync(path, der);
  return path;
}

async function opensslVerifies(path: string, ca: TestCa): Promise<void> {
  const r = await openssl(['crl', '-inform', 'DER', '-in', path, '-CAfile', ca.pemPath, '-verify', '-noout']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr + r.stdout, /verify OK/);
}

async function opensslText(path: string): Promise<string> {
  const r = await openssl(['crl', '-inform', 'DER', '-in', path, '-text', '-noout']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** Checks the CRL-level fields printed by openssl: version, algorithm, issuer, dates, extensions. */
function checkCrlText(text: string, ca: TestCa, crlNumber: bigint): void {
  assert.match(text, /Version 2 \(0x1\)/);
  assert.match(
    text,
    ca.algorithm === 'ecdsa-p256'
      ? /Signature Algorithm: ecdsa-with-SHA256/
      : /Signature Algorithm: sha256WithRSAEncryption/,
  );
  assert.match(text, /Issuer: CN ?= ?AC Test (EC|RSA), O ?= ?Cartes Agents Test, C ?= ?FR\n/);
  assert.match(text, /Last Update: Nov 25 10:00:00 2026 GMT/);
  assert.match(text, /Next Update: Nov 26 10:00:00 2026 GMT/);
  const keyid = hex(ca.ski).toUpperCase().match(/../g)!.join(':');
  assert.match(text, new RegExp(`X509v3 Authority Key Identifier:\\s*\\n\\s*(keyid:)?${keyid}`));
  const crlNumberLine = /X509v3 CRL Number:\s*\n\s*(\S+)/.exec(text);
  assert.ok(crlNumberLine, text);
  // openssl prints small numbers in decimal, large ones in hex ("0x…" or "AB:CD:…" depending on the version).
  const printed = crlNumberLine[1]!;
  const value = printed.startsWith('0x')
    ? BigInt(printed)
    : printed.includes(':')
      ? BigInt(`0x${printed.replace(/:/g, '')}`)
      : BigInt(printed);
  assert.equal(value, crlNumber);
}

/** Serial → reason text, as printed by `openssl crl -text` (serials in upper-case hex, no leading zeros beyond a byte). */
function parseOpensslEntries(text: string): Map<string, { date: string; reason: string | null }> {
  const out = new Map<string, { date: string; reason: string | null }>();
  const re =
    /Serial Number: ([0-9A-F]+)\n\s+Revocation Date: ([^\n]+)\n(?:\s+CRL entry extensions:\n\s+X509v3 CRL Reason Code:\s*\n\s+([A-Za-z ]+)\n)?/g;
  for (const m of text.matchAll(re)) out.set(m[1]!, { date: m[2]!, reason: m[3]?.trim() ?? null });
  return out;
}

const OPENSSL_REASON: Record<RevocationReason, string | null> = {
  unspecified: null,
  keyCompromise: 'Key Compromise',
  cACompromise: 'CA Compromise',
  affiliationChanged: 'Affiliation Changed',
  superseded: 'Superseded',
  cessationOfOperation: 'Cessation Of Operation',
  certificateHold: 'Certificate Hold',
  removeFromCRL: 'Remove From CRL',
  privilegeWithdrawn: 'Privilege Withdrawn',
  aACompromise: 'AA Compromise',
};

/** Minimal positive magnitude of a serial, in the form openssl prints it (even digit count, upper case). */
function opensslSerial(serialHex: string): string {
  let h = serialHex.replace(/^0+/, '').toUpperCase() || '0';
  if (h.length % 2 === 1) h = `0${h}`;
  return h === '0' ? '00' : h;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cartes-crl-writer-'));
  ec = await makeCa('ecdsa-p256', 'AC Test EC');
  rsa = await makeCa('rsa-2048', 'AC Test RSA');
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('crl-writer', () => {
  test('empty CRL: the revokedCertificates list is absent; openssl verifies it; x509 parses it', async () => {
    const der = await buildCrl(options(ec, []));
    const path = save(der);
    await opensslVerifies(path, ec);
    const text = await opensslText(path);
    checkCrlText(text, ec, 42n);
    assert.match(text, /No Revoked Certificates\./);
    const crl = new x509.X509Crl(der);
    assert.equal(crl.entries.length, 0);
    assert.equal(crl.thisUpdate.toISOString(), '2026-11-25T10:00:00.000Z');
    assert.equal(crl.nextUpdate?.toISOString(), '2026-11-26T10:00:00.000Z');
    assert.ok(await crl.verify({ publicKey: await ec.cert.publicKey.export() }));
    // TBS: version, signature, issuer, thisUpdate, nextUpdate, [0] extensions, nothing else.
    const { result } = asn1js.fromBER(der);
    const tbs = (result as asn1js.Sequence).valueBlock.value[0] as asn1js.Sequence;
    assert.deepEqual(
      tbs.valueBlock.value.map((v) => v.idBlock.tagNumber + (v.idBlock.tagClass === 3 ? 'ctx' : '')),
      [2, 16, 16, 23, 23, '0ctx'].map(String),
    );
  });

  test('one entry, keyCompromise', async () => {
    const der = await buildCrl(
      options(ec, [{ serialHex: '1a2b3c', revokedAt: new Date('2026-11-20T08:30:00Z'), reason: 'keyCompromise' }], {
        crlNumber: 1n,
      }),
    );
    const path = save(der);
    await opensslVerifies(path, ec);
    const text = await opensslText(path);
    checkCrlText(text, ec, 1n);
    const entries = parseOpensslEntries(text);
    assert.deepEqual([...entries], [['1A2B3C', { date: 'Nov 20 08:30:00 2026 GMT', reason: 'Key Compromise' }]]);
    const crl = new x509.X509Crl(der);
    assert.equal(crl.entries.length, 1);
    assert.equal(crl.entries[0]!.serialNumber, '1a2b3c');
    assert.equal(crl.entries[0]!.reason, x509.X509CrlReason.keyCompromise);
    assert.equal(crl.entries[0]!.revocationDate.toISOString(), '2026-11-20T08:30:00.000Z');
  });

  test('invalidityDate (GeneralizedTime) beside the reason, or alone; a 64-octet serial still fits (issue 13: 13)', async () => {
    const der = await buildCrl(
      options(ec, [
        {
          serialHex: '1a2b3c',
          revokedAt: new Date('2026-11-20T08:30:00Z'),
          reason: 'keyCompromise',
          invalidityDate: new Date('2026-11-18T21:15:00Z'),
        },
        { serialHex: '7b'.repeat(64), revokedAt: new Date('2026-11-21T00:00:00Z'), invalidityDate: new Date(0) },
      ]),
    );
    const path = save(der);
    await opensslVerifies(path, ec);
    const text = await opensslText(path);
    assert.match(text, /Invalidity Date:\s*\n\s*Nov 18 21:15:00 2026 GMT/);
    assert.match(text, /Invalidity Date:\s*\n\s*Jan {2}1 00:00:00 1970 GMT/);
    // GeneralizedTime even before 2050 (RFC 5280 §5.3.2), unlike the revocation date.
    assert.ok(Buffer.from(der).includes(Buffer.from('\x18\x0f20261118211500Z', 'latin1')));
    const crl = new x509.X509Crl(der);
    assert.equal(crl.entries[0]!.reason, x509.X509CrlReason.keyCompromise);
    assert.equal(crl.entries[0]!.invalidity?.toISOString(), '2026-11-18T21:15:00.000Z');
    assert.ok(await crl.verify({ publicKey: await ec.cert.publicKey.export() }));
  });

  test('three entries: certificateHold, unspecified (no extension), serial edge cases, GeneralizedTime after 2049', async () => {
    const entries: RevokedEntry[] = [
      { serialHex: '80', revokedAt: new Date('2026-11-24T00:00:00Z'), reason: 'certificateHold' }, // needs a 00 pad
      { serialHex: '00000000001BcdeF', revokedAt: new Date('2049-12-31T23:59:59Z') }, // leading zeros stripped
      { serialHex: 'ff'.repeat(20), revokedAt: new Date('2050-06-01T12:00:00Z'), reason: 'unspecified' },
    ];
    const der = await buildCrl(options(ec, entries, { crlNumber: (1n << 158n) + 12345n }));
    const path = save(der);
    await opensslVerifies(path, ec);
    const text = await opensslText(path);
    checkCrlText(text, ec, (1n << 158n) + 12345n);
    const got = parseOpensslEntries(text);
    assert.deepEqual(got.get('80'), { date: 'Nov 24 00:00:00 2026 GMT', reason: 'Certificate Hold' });
    assert.deepEqual(got.get('1BCDEF'), { date: 'Dec 31 23:59:59 2049 GMT', reason: null });
    assert.deepEqual(got.get('FF'.repeat(20)), { date: 'Jun  1 12:00:00 2050 GMT', reason: null });
    assert.equal(got.size, 3);
    // Bytes: the padded and the stripped serials as they sit in the CRL.
    assert.ok(Buffer.from(der).includes(Buffer.from(encodeSerial('80'))));
    assert.ok(Buffer.from(der).includes(Buffer.from('02031bcdef17', 'hex')));
    assert.ok(Buffer.from(der).includes(Buffer.from('0202008017', 'hex')));
    const crl = new x509.X509Crl(der);
    assert.deepEqual(
      crl.entries.map((e) => [e.serialNumber, e.reason, e.revocationDate.toISOString()]),
      [
        ['80', x509.X509CrlReason.certificateHold, '2026-11-24T00:00:00.000Z'],
        ['1bcdef', undefined, '2049-12-31T23:59:59.000Z'],
        ['ff'.repeat(20), undefined, '2050-06-01T12:00:00.000Z'],
      ],
    );
    assert.ok(await crl.verify({ publicKey: await ec.cert.publicKey.export() }));
  });

  test('every reason code a full CRL may carry is printed by openssl; RSA CA signs sha256WithRSAEncryption', async () => {
    const reasons = (Object.keys(OPENSSL_REASON) as RevocationReason[]).filter((r) => r !== 'removeFromCRL');
    const entries = reasons.map((reason, i) => ({
      serialHex: (0x1000 + i).toString(16),
      revokedAt: new Date(Date.UTC(2026, 10, 1 + i)),
      reason,
    }));
    const der = await buildCrl(options(rsa, entries));
    const path = save(der);
    await opensslVerifies(path, rsa);
    const text = await opensslText(path);
    checkCrlText(text, rsa, 42n);
    const got = parseOpensslEntries(text);
    for (const e of entries)
      assert.equal(got.get(opensslSerial(e.serialHex))?.reason, OPENSSL_REASON[e.reason], e.reason);
    const crl = new x509.X509Crl(der);
    assert.deepEqual(
      crl.entries.map((e) => e.reason),
      reasons.map((r) => (r === 'unspecified' ? undefined : x509.X509CrlReason[r])),
    );
    assert.ok(await crl.verify({ publicKey: await rsa.cert.publicKey.export() }));
  });

  test('20,000 entries from an async source, streamed to a file: openssl verifies and lists them all', async () => {
    const N = 20_000;
    const reasons: (RevocationReason | undefined)[] = [
      undefined,
      'keyCompromise',
      'superseded',
      'certificateHold',
      'cessationOfOperation',
      'affiliationChanged',
    ];
    const entryAt = (i: number): RevokedEntry => {
      // 16-byte serials, some with the top bit set (pad), some with leading zero bytes (stripped).
      const serialHex = (i % 7 === 0 ? '00' : i % 5 === 0 ? 'f0' : '4a') + i.toString(16).padStart(30, '0');
      const reason = reasons[i % reasons.length];
      return { serialHex, revokedAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000), ...(reason ? { reason } : {}) };
    };
    async function* source(): AsyncGenerator<RevokedEntry> {
      for (let i = 0; i < N; i++) yield entryAt(i);
    }
    const path = join(dir, 'big.der');
    const info = await writeCrl(options(ec, source(), { chunkSize: 4096 }), createWriteStream(path));
    assert.equal(info.entries, N);
    assert.equal(info.size, statSync(path).size);
    await opensslVerifies(path, ec);
    const text = await opensslText(path);
    checkCrlText(text, ec, 42n);
    const got = parseOpensslEntries(text);
    assert.equal(got.size, N);
    for (const i of [0, 1, 5, 7, 35, 4999, 12_345, N - 1]) {
      const e = entryAt(i);
      const g = got.get(opensslSerial(e.serialHex));
      assert.ok(g, `entry ${i}`);
      assert.equal(g.reason, e.reason ? OPENSSL_REASON[e.reason] : null, `entry ${i}`);
    }
    const counts = new Map<string | null, number>();
    for (const g of got.values()) counts.set(g.reason, (counts.get(g.reason) ?? 0) + 1);
    const expected = new Map<string | null, number>();
    for (let i = 0; i < N; i++) {
      const r = entryAt(i).reason;
      const k = r ? OPENSSL_REASON[r] : null;
      expected.set(k, (expected.get(k) ?? 0) + 1);
    }
    assert.deepEqual(counts, expected);
    // @peculiar/x509 needs asn1js's node limit raised for this size; its entries agree.
    const crl = new x509.X509Crl(readFileSync(path), { berOptions: { maxNodes: 1_000_000 } });
    assert.equal(crl.entries.length, N);
  });

  test('a Signer without createSign gets the same TBS, signed in one piece', async () => {
    const entries = Array.from({ length: 50 }, (_, i) => ({
      serialHex: (i + 1).toString(16),
      revokedAt: new Date('2026-11-01T00:00:00Z'),
      reason: 'superseded' as const,
    }));
    const oneShot: CrlSigner = { algorithm: ec.signer.algorithm, sign: (d) => ec.signer.sign(d) };
    const a = await buildCrl(options(ec, entries));
    const b = await buildCrl(options(ec, entries, { signer: oneShot }));
    await opensslVerifies(save(b), ec);
    // TBSCertList: the first element inside the outer SEQUENCE.
    const tbsOf = (der: Uint8Array) => {
      const start = (der[1] as number) < 0x80 ? 2 : 2 + ((der[1] as number) & 0x7f);
      return der.subarray(start, start + readTlvSize(der, start));
    };
    assert.deepEqual(tbsOf(a), tbsOf(b));
  });

  test('bad input is refused before anything is written', async () => {
    const bad = async (why: RegExp, entries: RevokedEntry[], extra: Partial<CrlOptions> = {}) => {
      const path = join(dir, `bad-${++fileNo}.der`);
      const out = createWriteStream(path);
      await assert.rejects(writeCrl(options(ec, entries, extra), out), why);
      assert.equal(out.bytesWritten, 0);
      // Wait for the file stream to settle (its open may still be pending) before the folder goes.
      await new Promise<void>((r) => {
        out.once('close', () => r());
        out.destroy();
      });
      return path;
    };
    const at = new Date('2026-11-01T00:00:00Z');
    await bad(/not a hexadecimal serial/, [{ serialHex: 'xyz', revokedAt: at }]);
    await bad(/empty hexadecimal serial/, [{ serialHex: '', revokedAt: at }]);
    await bad(/invalid date/, [{ serialHex: '01', revokedAt: new Date(NaN) }]);
    await bad(/delta CRLs only/, [{ serialHex: '01', revokedAt: at, reason: 'removeFromCRL' }]);
    await bad(/unknown revocation reason/, [
      { serialHex: '01', revokedAt: at, reason: 'nonsense' as RevocationReason },
    ]);
    await bad(/unknown revocation reason/, [
      { serialHex: '01', revokedAt: at, reason: 'toString' as RevocationReason },
    ]);
    await bad(/longer than 64 octets/, [{ serialHex: 'ab'.repeat(65), revokedAt: at }]);
    await bad(/nextUpdate must be later/, [], { nextUpdate: new Date('2026-11-25T10:00:00Z') });
    await bad(/crlNumber/, [], { crlNumber: -1n });
    await bad(/crlNumber/, [], { crlNumber: 1n << 160n });
    await bad(/truncated DER/, [], { issuer: Uint8Array.of(0x30, 0x05, 0x31) });
    await bad(/authorityKeyIdentifier/, [], { authorityKeyIdentifier: new Uint8Array(0) });
    // A source failing midway leaves the output empty.
    async function* failing(): AsyncGenerator<RevokedEntry> {
      yield { serialHex: '01', revokedAt: at };
      throw new Error('database gone');
    }
    const path = join(dir, 'failing.der');
    const out = createWriteStream(path);
    await assert.rejects(writeCrl(options(ec, failing()), out), /database gone/);
    out.end();
    await new Promise<void>((r) => out.on('close', () => r()));
    assert.equal(statSync(path).size, 0);
  });
});
