// OCSP responder against the real peer: `openssl ocsp` as client (POST, with and without nonce,
// SHA-1 and SHA-256 CertIDs, several certificates per request), GET responses checked with
// `openssl ocsp -respin`, a revocation visible at once after invalidation, malformed input.
// The CA chain: P-256 root → issuing CA → OCSP responder + 3 leaves (test/support/ocsp-chain.ts).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey, sign as nodeSign, webcrypto, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Writable } from 'node:stream';
import { AsnConvert } from '@peculiar/asn1-schema';
import { OCSPRequest, id_pkix_ocsp_nonce } from '@peculiar/asn1-ocsp';
import fc from 'fast-check';
import type { Signer } from './keystore.ts';
import {
  OcspCache,
  buildOcspResponse,
  errorResponse,
  issuerIdentity,
  parseGetPath,
  parseOcspRequest,
  responderInfo,
  responseStatusOf,
  toHex,
  type CertStatusInfo,
  type IssuerIdentity,
  type OcspHashName,
} from './ocsp.ts';
import { ocspRoutes, ocspServerFactory, type OcspAuthority, type OcspResponder } from './ocsp-http.ts';
import { SigningPool } from './signing-pool.ts';
import type * as x509 from './x509.ts';
import { ocspChain } from '../../test/support/ocsp-chain.ts';

type X509Certificate = InstanceType<typeof x509.X509Certificate>;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const run = promisify(execFile);
async function signerOf(pair: CryptoKeyPair): Promise<Signer> {
  const key: KeyObject = createPrivateKey({
    key: Buffer.from(await webcrypto.subtle.exportKey('pkcs8', pair.privateKey)),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', pair.publicKey));
  return {
    algorithm: 'ecdsa-p256',
    publicKeySpki: spki,
    sign: async (data) => new Uint8Array(nodeSign('sha256', data, { key, dsaEncoding: 'der' })),
  };
}

const pem = (c: X509Certificate) => c.toString('pem') + '\n';

interface Pki {
  dir: string;
  root: X509Certificate;
  issuer: X509Certificate;
  responder: X509Certificate;
  leaves: X509Certificate[];
  authority: OcspAuthority;
  /** path of a file in dir */
  f: (name: string) => string;
}

async function makePki(): Promise<Pki> {
  const dir = mkdtempSync(join(tmpdir(), 'cartes-ocsp-'));
  const { root, issuer, responder, responderKeys, leaves } = await ocspChain(
    { label: 'Test', rest: ',O=Cartes Agents Test,C=FR' },
    ['1001', '1002', '7fa3c2e9d1'],
  );
  const f = (name: string) => join(dir, name);
  writeFileSync(f('root.pem'), pem(root));
  writeFileSync(f('issuer.pem'), pem(issuer));
  writeFileSync(f('responder.pem'), pem(responder));
  leaves.forEach((l, i) => writeFileSync(f(`leaf${i + 1}.pem`), pem(l)));
  const authority: OcspAuthority = {
    responder: responderInfo(new Uint8Array(responder.rawData), await signerOf(responderKeys)),
    issuer: issuerIdentity(new Uint8Array(issuer.rawData)),
  };
  return { dir, root, issuer, responder, leaves, authority, f };
}

/** openssl ocsp client; resolves with stdout + stderr (openssl writes "Response verify OK" to stderr). */
async function ocspClient(args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run('openssl', ['ocsp', ...args], { timeout: 15_000 });
    return `${stdout}\n${stderr}`;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return `${e.stdout ?? ''}\n${e.stderr ?? ''}\nEXIT: ${e.message}`;
  }
}

/**
 * Both ways the routes are served: through Fastify (`cartes serve`), and by the responder's node:http
 * listener in front of Fastify (`cartes ocsp serve`). Every test of the two suites below runs on both.
 */
const TRANSPORTS = ['fastify', 'node:http'] as const;
type Transport = (typeof TRANSPORTS)[number];
function ocspServer(transport: Transport, options: FastifyServerOptions) {
  let responder: OcspResponder | null = null;
  const app = Fastify(
    transport === 'node:http' ? { ...options, serverFactory: ocspServerFactory(() => responder) } : options,
  );
  return { app, serve: (r: OcspResponder) => void (responder = r) };
}

for (const transport of TRANSPORTS)
  describe(`OCSP responder (openssl ocsp as client, ${transport})`, () => {
    let pki: Pki;
    let app: FastifyInstance;
    let url: string;
    let cache: OcspCache;
    const statuses = new Map<string, CertStatusInfo>();
    const lookups: string[] = [];
    let failLookups = false;
    const revokedAt = new Date('2026-03-14T09:26:53Z');

    before(async () => {
      pki = await makePki();
      const [l1, l2] = pki.leaves;
      statuses.set(l1!.serialNumber, { status: 'good' });
      statuses.set(l2!.serialNumber, { status: 'revoked', revokedAt, reason: 'keyCompromise' });
      // leaf3 is absent from the table: unknown.
      const ourIssuerSha1 = toHex(pki.authority.issuer.hashes.sha1.keyHash);
      cache = new OcspCache();
      const server = ocspServer(transport, { logger: false });
      app = server.app;
      server.serve(
        ocspRoutes(app, {
          prefix: '/pki/ocsp',
          cache,
          // Every nonce echoed here (a signed answer each time); the default mode is tested below.
          nonce: 'sign',
          lookup: async (issuerKeyHashHex, serialHex) => {
            if (failLookups) throw new Error('database down');
            if (issuerKeyHashHex !== ourIssuerSha1) return null;
            lookups.push(serialHex);
            return statuses.get(serialHex) ?? { status: 'unknown' };
          },
          responderFor: async (keyHashHex: string, alg: OcspHashName) =>
            toHex(pki.authority.issuer.hashes[alg].keyHash) === keyHashHex ? pki.authority : null,
        }),
      );
      await app.listen({ host: '127.0.0.1', port: 0 });
      const addr = app.server.address();
      assert.ok(addr && typeof addr === 'object');
      url = `http://127.0.0.1:${addr.port}/pki/ocsp`;
    });

    after(async () => {
      await app?.close();
      if (pki) rmSync(pki.dir, { recursive: true, force: true });
    });

    const verifyArgs = () => [
      '-issuer',
      pki.f('issuer.pem'),
      '-CAfile',
      pki.f('root.pem'),
      '-verify_other',
      pki.f('issuer.pem'),
    ];

    test('good, revoked (time, keyCompromise) and unknown in one request, nonce echoed, signature verified', async () => {
      const out = await ocspClient([
        ...verifyArgs(),
        '-cert',
        pki.f('leaf1.pem'),
        '-cert',
        pki.f('leaf2.pem'),
        '-cert',
        pki.f('leaf3.pem'),
        '-url',
        url,
        '-resp_text',
      ]);
      assert.match(out, /Response verify OK/, out);
      assert.doesNotMatch(out, /Nonce Verify error|WARNING: no nonce|EXIT:/, out);
      assert.match(out, /OCSP Nonce:/, out);
      assert.match(out, /leaf1\.pem: good/, out);
      assert.match(
        out,
        /leaf2\.pem: revoked[\s\S]*Reason: keyCompromise[\s\S]*Revocation Time: Mar 14 09:26:53 2026 GMT/,
        out,
      );
      assert.match(out, /leaf3\.pem: unknown/, out);
      assert.match(out, /Responder Id: [0-9A-F]{40}/, out); // byKey
      assert.match(out, /OCSP Signing/, out); // responder certificate included
    });

    test('each status alone, with and without nonce; SHA-256 CertIDs', async () => {
      for (const [leaf, expected] of [
        ['leaf1.pem', 'good'],
        ['leaf2.pem', 'revoked'],
        ['leaf3.pem', 'unknown'],
      ] as const) {
        for (const extra of [[], ['-no_nonce'], ['-sha256'], ['-sha256', '-no_nonce']]) {
          const out = await ocspClient([...verifyArgs(), ...extra, '-cert', pki.f(leaf), '-url', url]);
          assert.match(out, /Response verify OK/, `${leaf} ${extra.join(' ')}: ${out}`);
          assert.match(
            out,
            new RegExp(`${leaf.replace('.', '\\.')}: ${expected}`),
            `${leaf} ${extra.join(' ')}: ${out}`,
          );
          assert.doesNotMatch(out, /Nonce Verify error|WARNING|EXIT:/, out);
        }
      }
    });

    test('requests without nonce are served from the pre-signed cache (same bytes, no lookup)', async () => {
      const req = pki.f('nononce.req');
      await ocspClient(['-issuer', pki.f('issuer.pem'), '-cert', pki.f('leaf1.pem'), '-no_nonce', '-reqout', req]);
      const der = readFileSync(req);
      const post = () =>
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: der });
      const first = Buffer.from(await (await post()).arrayBuffer());
      const before = lookups.length;
      const hits = cache.hits;
      const second = await post();
      assert.equal(second.headers.get('content-type'), 'application/ocsp-response');
      assert.equal(second.headers.get('cache-control'), 'no-cache, no-store'); // POST: not for HTTP caches
      assert.deepEqual(Buffer.from(await second.arrayBuffer()), first);
      assert.equal(lookups.length, before);
      assert.equal(cache.hits, hits + 1);
    });

    test('GET with base64 path: RFC 5019 headers, response verified by openssl -respin', async () => {
      const req = pki.f('get.req');
      await ocspClient(['-issuer', pki.f('issuer.pem'), '-cert', pki.f('leaf2.pem'), '-no_nonce', '-reqout', req]);
      const b64 = readFileSync(req).toString('base64');
      const res = await fetch(`${url}/${encodeURIComponent(b64)}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/ocsp-response');
      const cc = res.headers.get('cache-control') ?? '';
      const maxAge = Number(/max-age=(\d+)/.exec(cc)?.[1]);
      assert.ok(maxAge > 0 && maxAge <= 3600, cc);
      assert.match(cc, /public/);
      assert.match(cc, /no-transform/);
      assert.match(cc, /must-revalidate/);
      assert.ok(res.headers.get('last-modified'));
      const etag = res.headers.get('etag');
      assert.ok(etag);
      writeFileSync(pki.f('get.resp'), Buffer.from(await res.arrayBuffer()));
      const out = await ocspClient([
        ...verifyArgs(),
        '-cert',
        pki.f('leaf2.pem'),
        '-respin',
        pki.f('get.resp'),
        '-resp_text',
      ]);
      assert.match(out, /Response verify OK/, out);
      assert.match(out, /leaf2\.pem: revoked[\s\S]*Reason: keyCompromise/, out);
      // Next Update present and equal to thisUpdate + 1 h
      assert.match(out, /Next Update:/, out);
      // Conditional GET
      const again = await fetch(`${url}/${encodeURIComponent(b64)}`, { headers: { 'if-none-match': etag } });
      assert.equal(again.status, 304);
      // Unencoded path (raw '/' and '+' in the base64) also works.
      const raw = await fetch(`${url}/${b64}`);
      assert.equal(responseStatusOf(new Uint8Array(await raw.arrayBuffer())), 'successful');
    });

    test('a revocation is visible at once after the status change + cache invalidation', async () => {
      const leaf = pki.leaves[0]!;
      const args = [...verifyArgs(), '-cert', pki.f('leaf1.pem'), '-url', url, '-no_nonce'];
      assert.match(await ocspClient(args), /leaf1\.pem: good/); // now cached
      assert.match(await ocspClient(args), /leaf1\.pem: good/);
      statuses.set(leaf.serialNumber, { status: 'revoked', revokedAt: new Date(), reason: 'keyCompromise' });
      cache.invalidate(leaf.serialNumber);
      // The very next request sees it (no duration asserted: the delay is measured in bench/ocsp.ts).
      const out = await ocspClient(args);
      assert.match(out, /leaf1\.pem: revoked[\s\S]*Reason: keyCompromise/, out);
      // A status read before an invalidation cannot be cached after it.
      const epoch = cache.epoch;
      cache.invalidate(leaf.serialNumber);
      assert.equal(
        cache.set(
          '00',
          leaf.serialNumber,
          { der: new Uint8Array(1), thisUpdate: new Date(), nextUpdate: new Date(Date.now() + 3600_000) },
          epoch,
        ),
        null,
      );
      statuses.set(leaf.serialNumber, { status: 'good' }); // (test table only; the app never reinstates)
      cache.invalidate(leaf.serialNumber);
    });

    test('a cached answer is not given to a request with the same key hash but another issuer name hash', async () => {
      await ocspClient([
        '-issuer',
        pki.f('issuer.pem'),
        '-cert',
        pki.f('leaf3.pem'),
        '-no_nonce',
        '-reqout',
        pki.f('name.req'),
      ]);
      const der = readFileSync(pki.f('name.req'));
      const post = async (body: Uint8Array) =>
        responseStatusOf(
          new Uint8Array(
            await (
              await fetch(url, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body })
            ).arrayBuffer(),
          ),
        );
      assert.equal(await post(der), 'successful'); // cached now
      const nameHash = Buffer.from(pki.authority.issuer.hashes.sha1.nameHash);
      const at = der.indexOf(nameHash);
      assert.ok(at > 0);
      const other = Buffer.from(der);
      other[at] = other[at]! ^ 0xff;
      assert.equal(await post(other), 'unauthorized');
    });

    test('issuer not served here → unauthorized', async () => {
      // Root as "issuer" of the issuing CA: the root is not served by this responder.
      const out = await ocspClient([
        '-issuer',
        pki.f('root.pem'),
        '-cert',
        pki.f('issuer.pem'),
        '-url',
        url,
        '-CAfile',
        pki.f('root.pem'),
      ]);
      assert.match(out, /Responder Error: unauthorized \(6\)/, out);
    });

    test('lookup failure → internalError, then service resumes', async () => {
      failLookups = true;
      try {
        const out = await ocspClient([...verifyArgs(), '-cert', pki.f('leaf3.pem'), '-url', url]);
        assert.match(out, /Responder Error: internalerror \(2\)/i, out);
      } finally {
        failLookups = false;
      }
      assert.match(
        await ocspClient([...verifyArgs(), '-cert', pki.f('leaf3.pem'), '-url', url]),
        /leaf3\.pem: unknown/,
      );
    });

    test('malformed requests, oversize bodies, wrong content types: refused, server keeps serving', async () => {
      const post = (body: Uint8Array | string, type = 'application/ocsp-request') =>
        fetch(url, { method: 'POST', headers: { 'content-type': type }, body });
      const status = async (res: Response) => responseStatusOf(new Uint8Array(await res.arrayBuffer()));
      const good = readFileSync(pki.f('nononce.req'));

      let res = await post(Uint8Array.from([1, 2, 3, 4, 5, 6, 7]));
      assert.equal(res.status, 200);
      assert.equal(await status(res), 'malformedRequest');
      res = await post(good.subarray(0, good.length - 3));
      assert.equal(await status(res), 'malformedRequest');
      res = await post(Buffer.concat([good, Buffer.from([0, 0])])); // trailing bytes
      assert.equal(await status(res), 'malformedRequest');
      res = await post(new Uint8Array(0));
      assert.ok([200, 400, 415].includes(res.status));
      res = await post(new Uint8Array(20_000));
      assert.equal(res.status, 413);
      // Without a declared length (chunked), the limit holds too.
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/ocsp-request' },
        body: new Blob([new Uint8Array(20_000)]).stream(),
        duplex: 'half',
      } as RequestInit);
      assert.equal(res.status, 413);
      // Other paths and methods are not the responder's: the framework's 404.
      assert.equal((await fetch(`${url}x`, { method: 'POST', body: good })).status, 404);
      assert.equal((await fetch(`${url}/a/b`, { method: 'PUT', body: good })).status, 404);
      res = await post(good, 'application/json');
      assert.equal(res.status, 415);
      res = await post(good, 'text/plain');
      assert.equal(res.status, 415);
      res = await post(good, 'application/octet-stream');
      assert.equal(res.status, 415);
      res = await fetch(url, { method: 'POST', body: good });
      assert.equal(res.status, 415);
      res = await fetch(`${url}/!!notbase64!!`);
      assert.equal(await status(res), 'malformedRequest');
      res = await fetch(`${url}/${Buffer.from('garbage').toString('base64')}`);
      assert.equal(await status(res), 'malformedRequest');
      res = await fetch(`${url}/${'A'.repeat(30_000)}`);
      assert.ok(res.status === 200 || res.status === 414 || res.status === 431, String(res.status));
      // Still alive and correct.
      res = await post(good);
      assert.equal(await status(res), 'successful');
    });
  });

/** A DER request for one serial of `pki`'s issuer (SHA-1 CertID), with a nonce if asked. */
function requestFor(pki: Pki, serialHex: string, nonce?: { critical: boolean }): Buffer {
  const tlv = (tag: number, ...parts: Uint8Array[]) => {
    const body = Buffer.concat(parts);
    return Buffer.concat([Buffer.from([tag, body.length]), body]);
  };
  const h = pki.authority.issuer.hashes.sha1;
  const certId = tlv(
    0x30,
    Buffer.from('300906052b0e03021a0500', 'hex'),
    tlv(0x04, h.nameHash),
    tlv(0x04, h.keyHash),
    tlv(0x02, Buffer.from(serialHex, 'hex')),
  );
  const parts = [tlv(0x30, tlv(0x30, certId))];
  if (nonce) {
    const oid = Buffer.from('06092b0601050507300102', 'hex');
    const value = tlv(0x04, tlv(0x04, Buffer.from('00112233445566778899aabbccddeeff', 'hex')));
    const ext = nonce.critical ? tlv(0x30, oid, Buffer.from('0101ff', 'hex'), value) : tlv(0x30, oid, value);
    parts.push(tlv(0xa2, tlv(0x30, ext)));
  }
  return tlv(0x30, tlv(0x30, ...parts));
}

for (const transport of TRANSPORTS)
  describe(`OCSP responder with pre-signed answers (default nonce mode, bounded pool, sampled logs, ${transport})`, () => {
    let pki: Pki;
    let app: FastifyInstance;
    let url: string;
    let presignedDer: Uint8Array;
    const presignedCalls: string[] = [];
    let release: () => void = () => undefined;
    let blocked: Promise<void> | null = null;
    const logLines: Record<string, unknown>[] = [];

    before(async () => {
      pki = await makePki();
      const [l1] = pki.leaves;
      const now = new Date(Math.floor(Date.now() / 1000) * 1000);
      presignedDer = await buildOcspResponse({
        responder: pki.authority.responder,
        issuer: pki.authority.issuer,
        statuses: [{ serialHex: l1!.serialNumber, status: 'good' }],
        thisUpdate: now,
        nextUpdate: new Date(now.getTime() + 12 * 3600_000),
      });
      const stream = new Writable({
        write(chunk: Buffer, _enc, done) {
          for (const l of chunk.toString().split('\n')) if (l) logLines.push(JSON.parse(l) as Record<string, unknown>);
          done();
        },
      });
      const server = ocspServer(transport, {
        logger: { level: 'info', stream },
        logController: new LogController({ disableRequestLogging: true }),
      });
      app = server.app;
      server.serve(
        ocspRoutes(app, {
          prefix: '/pki/ocsp',
          // One signature at a time, none waiting: a second request while one signs gets tryLater.
          pool: new SigningPool({ concurrency: 1, queue: 0 }),
          logSampleEvery: 5,
          presigned: async (_a, serial) => {
            presignedCalls.push(serial);
            return serial === l1!.serialNumber
              ? { der: presignedDer, thisUpdate: now, nextUpdate: new Date(now.getTime() + 12 * 3600_000), etag: '"x"' }
              : null;
          },
          lookup: async () => {
            if (blocked) await blocked;
            return { status: 'good' };
          },
          responderFor: async (keyHashHex: string, alg: OcspHashName) =>
            toHex(pki.authority.issuer.hashes[alg].keyHash) === keyHashHex ? pki.authority : null,
        }),
      );
      await app.listen({ host: '127.0.0.1', port: 0 });
      const addr = app.server.address();
      assert.ok(addr && typeof addr === 'object');
      url = `http://127.0.0.1:${addr.port}/pki/ocsp`;
    });
    after(async () => {
      release();
      await app?.close();
      if (pki) rmSync(pki.dir, { recursive: true, force: true });
    });

    const post = async (body: Uint8Array) =>
      new Uint8Array(
        await (
          await fetch(url, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body })
        ).arrayBuffer(),
      );

    test('a nonce the client does not insist on gets the pre-signed answer; a critical one is echoed in a fresh answer', async () => {
      const serial = pki.leaves[0]!.serialNumber;
      assert.deepEqual(Buffer.from(await post(requestFor(pki, serial))), Buffer.from(presignedDer));
      assert.deepEqual(
        Buffer.from(await post(requestFor(pki, serial, { critical: false }))),
        Buffer.from(presignedDer),
      );
      const calls = presignedCalls.length;
      const fresh = await post(requestFor(pki, serial, { critical: true }));
      assert.equal(presignedCalls.length, calls, 'a critical nonce never reads the pre-signed answer');
      writeFileSync(pki.f('critical.resp'), fresh);
      const out = await ocspClient([
        '-respin',
        pki.f('critical.resp'),
        '-issuer',
        pki.f('issuer.pem'),
        '-serial',
        `0x${serial}`,
        '-CAfile',
        pki.f('root.pem'),
        '-verify_other',
        pki.f('issuer.pem'),
        '-no_nonce', // (openssl's own nonce would not match ours)
        '-resp_text',
      ]);
      assert.match(out, /Response verify OK/, out);
      assert.match(out, /OCSP Nonce:\s*\n\s*0410?00112233445566778899AABBCCDDEEFF/i, out);
    });

    test('GET /pki/ocsp without a request is the OCSP endpoint: malformedRequest, not a page', async () => {
      for (const path of ['', '/']) {
        const r = await fetch(`${url}${path}`);
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('content-type'), 'application/ocsp-response');
        assert.equal(responseStatusOf(new Uint8Array(await r.arrayBuffer())), 'malformedRequest');
      }
    });

    test('signatures on demand are bounded: beyond the pool, tryLater at once; then service resumes', async () => {
      const serial = pki.leaves[1]!.serialNumber; // no pre-signed answer: signed on demand
      blocked = new Promise((resolve) => (release = resolve));
      const first = post(requestFor(pki, serial, { critical: true }));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(responseStatusOf(await post(requestFor(pki, serial, { critical: true }))), 'tryLater');
      release();
      blocked = null;
      assert.equal(responseStatusOf(await first), 'successful');
      assert.equal(responseStatusOf(await post(requestFor(pki, serial, { critical: true }))), 'successful');
    });

    test('one answer in five is logged, with its request id; no other line per request', async () => {
      logLines.length = 0;
      const serial = pki.leaves[0]!.serialNumber;
      for (let i = 0; i < 10; i++) await post(requestFor(pki, serial));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(logLines.length, 2, JSON.stringify(logLines));
      for (const l of logLines) {
        assert.equal(l['msg'], 'OCSP answer');
        assert.equal(l['source'], 'presigned');
        assert.equal(typeof l['reqId'], 'string');
      }
    });
  });

/** The same request read by the @peculiar/asn1-ocsp schema (reference parser). */
function schemaView(der: Uint8Array) {
  const req = AsnConvert.parse(der, OCSPRequest);
  const nonce = req.tbsRequest.requestExtensions?.find((e) => e.extnID === id_pkix_ocsp_nonce);
  return {
    requests: req.tbsRequest.requestList.map((r) => ({
      issuerNameHash: toHex(new Uint8Array(r.reqCert.issuerNameHash.buffer)),
      issuerKeyHash: toHex(new Uint8Array(r.reqCert.issuerKeyHash.buffer)),
      serialHex: toHex(new Uint8Array(r.reqCert.serialNumber)),
      oid: r.reqCert.hashAlgorithm.algorithm,
    })),
    nonce: nonce ? toHex(new Uint8Array(nonce.extnValue.buffer)) : undefined,
  };
}

function ourView(der: Uint8Array) {
  const r = parseOcspRequest(der);
  assert.ok(r.ok);
  const oids: Record<string, string> = {
    sha1: '1.3.14.3.2.26',
    sha256: '2.16.840.1.101.3.4.2.1',
    sha384: '2.16.840.1.101.3.4.2.2',
    sha512: '2.16.840.1.101.3.4.2.3',
  };
  return {
    requests: r.requests.map((q) => ({
      issuerNameHash: toHex(q.issuerNameHash),
      issuerKeyHash: toHex(q.issuerKeyHash),
      serialHex: q.serialHex,
      oid: oids[q.hashAlgorithm] ?? q.hashAlgorithm,
    })),
    nonce: r.nonce ? toHex(r.nonce) : undefined,
  };
}

describe('OCSP core', () => {
  let pki: Pki;
  before(async () => {
    pki = await makePki();
  });
  after(() => {
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  test('parses an openssl request: CertIDs, serials as @peculiar/x509 prints them, nonce', async () => {
    const req = pki.f('multi.req');
    await ocspClient([
      '-issuer',
      pki.f('issuer.pem'),
      '-cert',
      pki.f('leaf1.pem'),
      '-cert',
      pki.f('leaf3.pem'),
      '-reqout',
      req,
    ]);
    const parsed = parseOcspRequest(readFileSync(req));
    assert.ok(parsed.ok);
    assert.equal(parsed.requests.length, 2);
    assert.deepEqual(
      parsed.requests.map((r) => r.serialHex),
      [pki.leaves[0]!.serialNumber, pki.leaves[2]!.serialNumber],
    );
    for (const r of parsed.requests) {
      assert.equal(r.hashAlgorithm, 'sha1');
      assert.deepEqual(r.issuerKeyHash, pki.authority.issuer.hashes.sha1.keyHash);
      assert.deepEqual(r.issuerNameHash, pki.authority.issuer.hashes.sha1.nameHash);
    }
    assert.ok(parsed.nonce && parsed.nonce.length >= 16);
    assert.deepEqual(ourView(readFileSync(req)), schemaView(readFileSync(req)));
    for (const alg of ['sha256', 'sha512']) {
      await ocspClient([
        '-issuer',
        pki.f('issuer.pem'),
        `-${alg}`,
        '-cert',
        pki.f('leaf2.pem'),
        '-serial',
        '0x00ff',
        '-reqout',
        pki.f(`${alg}.req`),
      ]);
      assert.deepEqual(ourView(readFileSync(pki.f(`${alg}.req`))), schemaView(readFileSync(pki.f(`${alg}.req`))));
    }
  });

  test('issuer hashes agree with openssl (SHA-1 and SHA-256 CertIDs)', async () => {
    for (const alg of ['sha1', 'sha256'] as const) {
      const out = await ocspClient([
        '-issuer',
        pki.f('issuer.pem'),
        `-${alg}`,
        '-cert',
        pki.f('leaf1.pem'),
        '-no_nonce',
        '-req_text',
      ]);
      const h = pki.authority.issuer.hashes[alg];
      assert.match(out, new RegExp(`Issuer Name Hash: ${toHex(h.nameHash).toUpperCase()}`), out);
      assert.match(out, new RegExp(`Issuer Key Hash: ${toHex(h.keyHash).toUpperCase()}`), out);
    }
  });

  test('limits: more than 10 CertIDs, oversize input → malformedRequest', async () => {
    const args = ['-issuer', pki.f('issuer.pem')];
    for (let i = 0; i < 11; i++) args.push('-serial', `0x${(0x2000 + i).toString(16)}`);
    await ocspClient([...args, '-reqout', pki.f('eleven.req')]);
    assert.deepEqual(parseOcspRequest(readFileSync(pki.f('eleven.req'))), { ok: false, status: 'malformedRequest' });
    assert.deepEqual(parseOcspRequest(new Uint8Array(16 * 1024 + 1)), { ok: false, status: 'malformedRequest' });
  });

  test('hash algorithm parameters: NULL accepted, anything else → malformedRequest', () => {
    const plain = requestFor(pki, '1234');
    assert.equal(parseOcspRequest(plain).ok, true);
    for (const params of ['1800', '0400', '0101']) {
      const bent = Buffer.from(plain.toString('hex').replace('2b0e03021a0500', `2b0e03021a${params}`), 'hex');
      assert.notDeepEqual(bent, plain);
      assert.deepEqual(parseOcspRequest(bent), { ok: false, status: 'malformedRequest' }, params);
    }
  });

  test('parseGetPath: URL-encoded, URL-safe, prefix and query handling', () => {
    const der = Uint8Array.from([0x30, 0xff, 0xfe, 0x3e, 0x01]);
    const b64 = Buffer.from(der).toString('base64'); // contains '/' and '+'
    assert.deepEqual(parseGetPath(`/pki/ocsp/${encodeURIComponent(b64)}`), der);
    assert.deepEqual(parseGetPath(`/pki/ocsp/${b64}?x=1`), der);
    assert.deepEqual(parseGetPath(`/pki/ocsp/${Buffer.from(der).toString('base64url')}`), der);
    assert.equal(parseGetPath(`/other/${b64}`), null);
    assert.equal(parseGetPath('/pki/ocsp/'), null);
    assert.equal(parseGetPath('/pki/ocsp/%E0%A4%A'), null);
    assert.equal(parseGetPath('/pki/ocsp/a b'), null);
  });

  test('errorResponse encodings', () => {
    assert.deepEqual([...errorResponse('malformedRequest')], [0x30, 0x03, 0x0a, 0x01, 0x01]);
    assert.equal(responseStatusOf(errorResponse('unauthorized')), 'unauthorized');
    assert.equal(responseStatusOf(errorResponse('tryLater')), 'tryLater');
    assert.equal(responseStatusOf(errorResponse('internalError')), 'internalError');
  });

  test('cache: expiry before nextUpdate, invalidation across issuer hashes, bounded size', () => {
    const c = new OcspCache({ maxEntries: 3, ttlMs: 10_000, marginMs: 1_000 });
    const now = 1_000_000;
    const v = (nextIn: number) => ({
      der: Uint8Array.of(1),
      thisUpdate: new Date(now),
      nextUpdate: new Date(now + nextIn),
    });
    assert.equal(c.set('aa', '01', v(500), c.epoch, now), null); // would expire before nextUpdate − margin
    assert.ok(c.set('aa', '01', v(5_000), c.epoch, now));
    assert.ok(c.get('aa', '01', now + 3_999));
    assert.equal(c.get('aa', '01', now + 4_000), undefined);
    c.set('aa', '02', v(60_000), c.epoch, now);
    c.set('bb', '02', v(60_000), c.epoch, now);
    assert.ok(c.get('bb', '02', now));
    c.invalidate('02');
    assert.equal(c.get('aa', '02', now), undefined);
    assert.equal(c.get('bb', '02', now), undefined);
    for (const s of ['10', '11', '12', '13']) c.set('aa', s, v(60_000), c.epoch, now);
    assert.equal(c.size, 3);
    assert.equal(c.get('aa', '10', now), undefined);
    assert.ok(c.get('aa', '13', now));
    assert.ok(c.get('aa', '12', now + 9_999));
    assert.equal(c.get('aa', '12', now + 10_000), undefined); // ttl
  });

  test('buildOcspResponse output is accepted by openssl (respin), including a leading-zero serial', async () => {
    const issuer: IssuerIdentity = pki.authority.issuer;
    const der = await buildOcspResponse({
      responder: pki.authority.responder,
      issuer,
      statuses: [
        { serialHex: '00ff01', status: 'revoked', revokedAt: new Date('2026-01-02T03:04:05Z'), reason: 'superseded' },
      ],
      thisUpdate: new Date(Date.now() - 1000),
      nextUpdate: new Date(Date.now() + 600_000),
    });
    writeFileSync(pki.f('built.resp'), der);
    const out = await ocspClient([
      '-respin',
      pki.f('built.resp'),
      '-issuer',
      pki.f('issuer.pem'),
      '-serial',
      '0xff01',
      '-CAfile',
      pki.f('root.pem'),
      '-verify_other',
      pki.f('issuer.pem'),
      '-resp_text',
    ]);
    assert.match(out, /Response verify OK/, out);
    assert.match(
      out,
      /0xff01: revoked[\s\S]*Reason: superseded[\s\S]*Revocation Time: Jan {2}2 03:04:05 2026 GMT/,
      out,
    );
  });

  test('fuzz: parseOcspRequest never throws (random bytes and mutations of a valid request)', async () => {
    await ocspClient([
      '-issuer',
      pki.f('issuer.pem'),
      '-cert',
      pki.f('leaf1.pem'),
      '-cert',
      pki.f('leaf2.pem'),
      '-reqout',
      pki.f('fuzz.req'),
    ]);
    const valid = new Uint8Array(readFileSync(pki.f('fuzz.req')));
    assert.ok(parseOcspRequest(valid).ok);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const r = parseOcspRequest(bytes);
        assert.ok(r.ok === true || r.status === 'malformedRequest');
      }),
      { numRuns: 3000 },
    );
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.nat(valid.length),
        (edits, cut) => {
          const m = valid.slice(0, Math.max(cut, 1));
          for (const [i, b] of edits) if (i < m.length) m[i] = b;
          const r = parseOcspRequest(m);
          assert.ok(r.ok === true || r.status === 'malformedRequest');
          if (r.ok) {
            for (const q of r.requests) assert.match(q.serialHex, /^[0-9a-f]+$/);
            // What we accept, the schema parser reads the same way.
            assert.deepEqual(ourView(m), schemaView(m));
            accepted++;
          }
        },
      ),
      { numRuns: 3000 },
    );
    assert.ok(accepted > 0); // some mutations stay valid (hash and serial bytes)
  });
});
