// `npm run bench -- ocsp [--serials N] [--duration-s S] [--connections C] [--threads T] [--mode mix|post|get] [--semi-space-mb M] [--keep]`
//
// OCSP responder benchmark (QUALITY.md, `ocsp`): 100,000 certificate serials of one issuing CA, 10 %
// revoked (keyCompromise). The same status table feeds
//   - the peer: `openssl ocsp -index index.txt -port P -rsigner responder.pem -rkey responder.key
//     -CA issuer.pem -multi 2 -nmin 60` (signs every response);
//   - ours: Fastify + ocspRoutes (src/pki/ocsp-http.ts) in a child process, status table in memory.
// Load: `wrk` (apt-get install -y wrk) from a separate process on loopback, a Lua script sending
// pre-built DER requests for random serials of the table (one CertID, SHA-1, no nonce as RFC 5019
// clients do), half GET half POST by default. Same duration, threads and connections for every run.
// Ours is measured three times: cold (empty cache of pre-signed responses), warm (second run),
// and with a nonce in every request (every response signed: the signing-bound figure).
// Before the load, a good and a revoked serial are checked on both responders with `openssl ocsp -respin`.
// Then the revocation delay: a revoked status is made visible on our responder (status table +
// cache.invalidate, as the revocation path does) and the time until a GET answers "revoked" is measured.
// Targets (informational, exit code 0 unless the work fails): ≥ 2.5× the peer's req/s, p99 ≤ 10 ms,
// revocation visible ≤ 1 s.
//
// Internal mode: `node bench/ocsp.ts --serve DIR PORT` runs our responder (used by the benchmark).

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  createPrivateKey,
  createPublicKey,
  randomBytes,
  sign as nodeSign,
  webcrypto,
  X509Certificate,
} from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import type { Signer } from '../src/pki/keystore.ts';
import { issuerIdentity, OcspCache, responderInfo, toHex, type CertStatusInfo } from '../src/pki/ocsp.ts';
import { ocspRoutes, type OcspAuthority } from '../src/pki/ocsp-http.ts';
import { parseArgs, verdict } from './lib/bounds.ts';

const run = promisify(execFile);
const USAGE =
  'Usage: npm run bench -- ocsp [--serials N] [--duration-s S] [--connections C] [--threads T] [--mode mix|post|get] [--semi-space-mb M] [--keep]';
const TARGET_RATIO = 2.5;
const TARGET_P99_MS = 10;
const TARGET_REVOCATION_MS = 1000;
const PREFIX = '/pki/ocsp';

// ---------------------------------------------------------------------------------------------
// Small DER helpers for the requests

function tlv(tag: number, ...parts: Uint8Array[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const head = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...head]), body]);
}
const SHA1_ALG = Buffer.from('300906052b0e03021a0500', 'hex');
const NONCE_OID = Buffer.from('06092b0601050507300102', 'hex');

function ocspRequest(nameHash: Uint8Array, keyHash: Uint8Array, serialHex: string, nonce?: Uint8Array): Buffer {
  const certId = tlv(0x30, SHA1_ALG, tlv(0x04, nameHash), tlv(0x04, keyHash), tlv(0x02, Buffer.from(serialHex, 'hex')));
  const parts = [tlv(0x30, tlv(0x30, certId))];
  if (nonce) parts.push(tlv(0xa2, tlv(0x30, tlv(0x30, NONCE_OID, tlv(0x04, tlv(0x04, nonce))))));
  return tlv(0x30, tlv(0x30, ...parts));
}

// ---------------------------------------------------------------------------------------------
// Our responder (child process)

async function serve(dir: string, port: number): Promise<void> {
  const issuerDer = new Uint8Array(new X509Certificate(readFileSync(join(dir, 'issuer.pem'))).raw);
  const responderDer = new Uint8Array(new X509Certificate(readFileSync(join(dir, 'responder.pem'))).raw);
  const key = createPrivateKey(readFileSync(join(dir, 'responder.key')));
  const signer: Signer = {
    algorithm: 'ecdsa-p256',
    publicKeySpki: new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' })),
    sign: async (data) => new Uint8Array(nodeSign('sha256', data, { key, dsaEncoding: 'der' })),
  };
  const authority: OcspAuthority = {
    responder: responderInfo(responderDer, signer),
    issuer: issuerIdentity(issuerDer),
  };
  const ourIssuer = toHex(authority.issuer.hashes.sha1.keyHash);
  const table = new Map<string, CertStatusInfo>();
  for (const line of readFileSync(join(dir, 'table.tsv'), 'utf8').split('\n')) {
    if (!line) continue;
    const [serial, st, at] = line.split('\t');
    table.set(
      serial!,
      st === 'R' ? { status: 'revoked', revokedAt: new Date(at!), reason: 'keyCompromise' } : { status: 'good' },
    );
  }
  const app = Fastify({ logger: false });
  // Revocations reach this cache through invalidate() (as in the app), so entries may live long; the
  // benchmark's runs span more than the default 60 s.
  const cache = ocspRoutes(app, {
    prefix: PREFIX,
    cache: new OcspCache({ ttlMs: 600_000 }),
    lookup: async (issuerKeyHashHex, serialHex) =>
      issuerKeyHashHex === ourIssuer ? (table.get(serialHex) ?? { status: 'unknown' }) : null,
    responderFor: async (keyHashHex, alg) =>
      toHex(authority.issuer.hashes[alg].keyHash) === keyHashHex ? authority : null,
  });
  // Control route of the benchmark: what the revocation path does (status change, then invalidation).
  app.post<{ Params: { serial: string } }>('/bench/revoke/:serial', async (req) => {
    table.set(req.params.serial, { status: 'revoked', revokedAt: new Date(), reason: 'keyCompromise' });
    cache?.invalidate(req.params.serial);
    return { ok: true };
  });
  app.get('/bench/stats', async () => ({ hits: cache?.hits ?? 0, misses: cache?.misses ?? 0, size: cache?.size ?? 0 }));
  await app.listen({ host: '127.0.0.1', port });
  process.stdout.write(`READY ${port}\n`);
}

// ---------------------------------------------------------------------------------------------
// Orchestrator

function options() {
  return parseArgs(
    process.argv.slice(2),
    USAGE,
    { serials: 100_000, durationS: 10, connections: 32, threads: 2, mode: 'mix', keep: false, semiSpaceMb: 32 },
    {
      '--serials': ['serials', 100, 2_000_000],
      '--duration-s': ['durationS', 1, 600],
      '--connections': ['connections', 1, 1000],
      '--threads': ['threads', 1, 16],
      '--semi-space-mb': ['semiSpaceMb', 1, 1024],
      '--mode': ['mode', ['mix', 'post', 'get']],
    },
  );
}

async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  srv.close();
  await once(srv, 'close');
  return port;
}

const utcTime = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';

async function makePki(dir: string) {
  // Loaded here, not at the top: our responder's process does not need it.
  const { ocspChain } = await import('../test/support/ocsp-chain.ts');
  const { root, issuer, responder, responderKeys } = await ocspChain({ label: 'Bench', rest: ',C=FR' });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', responderKeys.privateKey));
  writeFileSync(join(dir, 'root.pem'), root.toString('pem') + '\n');
  writeFileSync(join(dir, 'issuer.pem'), issuer.toString('pem') + '\n');
  writeFileSync(join(dir, 'responder.pem'), responder.toString('pem') + '\n');
  writeFileSync(
    join(dir, 'responder.key'),
    createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }),
    { mode: 0o600 },
  );
  return issuerIdentity(new Uint8Array(issuer.rawData));
}

const LUA = String.raw`
local reqs = {}
init = function(args)
  local file, mode, prefix, close = args[1], args[2], args[3], args[4] == "close"
  mode_seq = args[5] == "seq"
  threads_n = tonumber(args[6] or "1")
  local post_headers = { ["Content-Type"] = "application/ocsp-request" }
  local get_headers = {}
  if close then
    post_headers["Connection"] = "close"
    get_headers["Connection"] = "close"
  end
  local i = 0
  for line in io.lines(file) do
    local hex, b64 = line:match("^(%x+)\t(.+)$")
    local body = hex:gsub("..", function(cc) return string.char(tonumber(cc, 16)) end)
    i = i + 1
    if mode == "post" or (mode == "mix" and i % 2 == 0) then
      reqs[i] = wrk.format("POST", prefix == "" and "/" or prefix, post_headers, body)
    else
      reqs[i] = wrk.format("GET", prefix .. "/" .. b64, get_headers)
    end
  end
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000))
end
local counter = 0
setup = function(thread)
  counter = counter + 1
  thread:set("tid", counter - 1)
end
request = function()
  if mode_seq then
    pos = (pos or (tid or 0)) + (threads_n or 1)
    return reqs[(pos % #reqs) + 1]
  end
  return reqs[math.random(#reqs)]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
`;

interface LoadResult {
  label: string;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
}

async function wrk(
  label: string,
  url: string,
  file: string,
  mode: string,
  prefix: string,
  opts: ReturnType<typeof options>,
  luaPath: string,
  load: { connections?: number; close?: boolean; seq?: boolean } = {},
): Promise<LoadResult> {
  const connections = load.connections ?? opts.connections;
  const threads = Math.min(opts.threads, connections);
  const { stdout } = await run(
    'wrk',
    [
      `-t${threads}`,
      `-c${connections}`,
      `-d${opts.durationS}s`,
      '--timeout',
      '5s',
      '-s',
      luaPath,
      url,
      '--',
      file,
      mode,
      prefix,
      load.close ? 'close' : 'keep-alive',
      load.seq ? 'seq' : 'random',
      String(threads),
    ],
    {
      timeout: (opts.durationS + 120) * 1000,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const line = stdout.split('\n').find((l) => l.startsWith('BENCH '));
  if (!line) throw new Error(`wrk gave no result:\n${stdout}`);
  const r = JSON.parse(line.slice(6)) as Record<string, number>;
  const errors = r['connect']! + r['read']! + r['write']! + r['status']! + r['timeout']!;
  const res = {
    label,
    rps: r['requests']! / (r['duration_us']! / 1e6),
    p50Ms: r['p50_us']! / 1000,
    p99Ms: r['p99_us']! / 1000,
    requests: r['requests']!,
    errors,
  };
  console.log(
    `  ${label.padEnd(34)} ${res.rps.toFixed(0).padStart(7)} req/s   p50 ${res.p50Ms.toFixed(2)} ms   p99 ${res.p99Ms.toFixed(2)} ms   ${res.requests} requests, ${errors} errors`,
  );
  return res;
}

/**
 * Sends one request with the openssl client (which closes its connection: an idle keep-alive
 * connection would pin one of openssl's responder children) and checks the answer with openssl.
 */
async function check(
  dir: string,
  url: string,
  der: Buffer,
  serialHex: string,
  expected: string,
  tag: string,
): Promise<void> {
  const req = join(dir, `check-${tag}.req`);
  const resp = join(dir, `check-${tag}.der`);
  writeFileSync(req, der);
  await run('openssl', ['ocsp', '-reqin', req, '-url', url, '-respout', resp, '-noverify'], { timeout: 15_000 });
  const { stdout, stderr } = await run('openssl', [
    'ocsp',
    '-respin',
    resp,
    '-issuer',
    join(dir, 'issuer.pem'),
    '-serial',
    `0x${serialHex}`,
    '-CAfile',
    join(dir, 'root.pem'),
    '-verify_other',
    join(dir, 'issuer.pem'),
    '-no_nonce',
  ]);
  const out = stdout + stderr;
  if (!/Response verify OK/.test(out) || !new RegExp(`0x${serialHex}: ${expected}`, 'i').test(out))
    throw new Error(`${tag}: unexpected answer\n${out}`);
}

function kill(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
    return Promise.resolve();
  const exited = once(child, 'exit').then(() => undefined);
  try {
    process.kill(-child.pid, 'SIGTERM'); // its own process group (openssl -multi forks workers)
  } catch {
    child.kill('SIGTERM');
  }
  return exited;
}

async function main(): Promise<void> {
  const opts = options();
  try {
    await run('wrk', ['--version']).catch((e: { stdout?: string }) => {
      if (!e.stdout?.includes('wrk')) throw e;
    });
  } catch {
    console.error('wrk is missing: apt-get install -y wrk');
    process.exit(1);
  }
  const dir = mkdtempSync(join(tmpdir(), 'cartes-bench-ocsp-'));
  const children: ChildProcess[] = [];
  const cleanup = async () => {
    for (const c of children) await kill(c);
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      void cleanup().finally(() => process.exit(130));
    });
  }
  try {
    console.log(
      `OCSP benchmark: ${opts.serials} serials, 10 % revoked; wrk -t${opts.threads} -c${opts.connections} -d${opts.durationS}s, requests ${opts.mode === 'mix' ? 'half GET half POST' : opts.mode.toUpperCase()}, one CertID, no nonce`,
    );
    console.log(`  temp folder ${dir}`);
    const issuer = await makePki(dir);
    const { nameHash, keyHash } = issuer.hashes.sha1;

    // Serials (16 random bytes, high bit clear, first byte non-zero) and the status table.
    const now = new Date();
    const expiry = utcTime(new Date(now.getTime() + 3 * 365 * 86400_000));
    const revokedAt = new Date(now.getTime() - 86400_000);
    const index: string[] = [];
    const table: string[] = [];
    const reqs: string[] = [];
    const nonceReqs: string[] = [];
    const serials: string[] = [];
    for (let i = 0; i < opts.serials; i++) {
      const b = randomBytes(16);
      b[0] = (b[0]! & 0x7f) | 0x01;
      const s = b.toString('hex');
      serials.push(s);
      const revoked = i % 10 === 3;
      index.push(
        revoked
          ? `R\t${expiry}\t${utcTime(revokedAt)},keyCompromise\t${s.toUpperCase()}\tunknown\t/CN=Agent ${i}`
          : `V\t${expiry}\t\t${s.toUpperCase()}\tunknown\t/CN=Agent ${i}`,
      );
      table.push(`${s}\t${revoked ? 'R' : 'V'}\t${revokedAt.toISOString()}`);
      const der = ocspRequest(nameHash, keyHash, s);
      reqs.push(`${der.toString('hex')}\t${encodeURIComponent(der.toString('base64'))}`);
      const nder = ocspRequest(nameHash, keyHash, s, randomBytes(16));
      nonceReqs.push(`${nder.toString('hex')}\t${encodeURIComponent(nder.toString('base64'))}`);
    }
    writeFileSync(join(dir, 'index.txt'), index.join('\n') + '\n');
    writeFileSync(join(dir, 'index.txt.attr'), 'unique_subject = no\n');
    writeFileSync(join(dir, 'table.tsv'), table.join('\n') + '\n');
    writeFileSync(join(dir, 'reqs.txt'), reqs.join('\n') + '\n');
    writeFileSync(join(dir, 'reqs-nonce.txt'), nonceReqs.join('\n') + '\n');
    const luaPath = join(dir, 'ocsp.lua');
    writeFileSync(luaPath, LUA);
    const goodSerial = serials[0]!;
    const revokedSerial = serials[3]!;

    // Peer: openssl ocsp -multi 2.
    console.log(
      '\nPeer: openssl ocsp -index index.txt -rsigner responder.pem -rkey responder.key -CA issuer.pem -multi 2 -nmin 60',
    );
    const peerPort = await freePort();
    const peer = spawn(
      'openssl',
      [
        'ocsp',
        '-index',
        join(dir, 'index.txt'),
        '-port',
        String(peerPort),
        '-rsigner',
        join(dir, 'responder.pem'),
        '-rkey',
        join(dir, 'responder.key'),
        '-CA',
        join(dir, 'issuer.pem'),
        '-multi',
        '2',
        '-nmin',
        '60',
        '-ignore_err',
      ],
      {
        // not detached: with -multi, openssl makes its own process group (setpgid fails for a session leader)
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(peer);
    let peerErr = '';
    let peerOut = '';
    peer.stdout?.on('data', (d: Buffer) => (peerOut += d.toString()));
    peer.stderr?.on('data', (d: Buffer) => (peerErr += d.toString()));
    peer.on('exit', (code) => {
      if (code) console.error(`openssl ocsp exited (${code}): ${peerErr}`);
    });
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    // Ready when it prints ACCEPT, plus time to fork its children (probing the port with a bare
    // connection upsets openssl's children: the responder then answers nothing).
    const p0 = Date.now();
    while (!peerOut.includes('ACCEPT')) {
      if (peer.exitCode !== null || Date.now() - p0 > 15_000) throw new Error(`openssl ocsp did not start: ${peerErr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 500));
    await check(dir, `${peerUrl}/`, ocspRequest(nameHash, keyHash, goodSerial), goodSerial, 'good', 'peer-good');
    await check(
      dir,
      `${peerUrl}/`,
      ocspRequest(nameHash, keyHash, revokedSerial),
      revokedSerial,
      'revoked',
      'peer-revoked',
    );
    // openssl's responder children serve one connection at a time and keep it while the client keeps it
    // alive: more keep-alive connections than children starve the others (0 requests with wrk -c32), and
    // with Connection: close under load it stopped answering. So it gets one keep-alive connection per
    // child, its best case (lowest latency, no queueing); ours gets --connections.
    const peerRes = await wrk(
      'openssl -multi 2, 2 connections',
      peerUrl,
      join(dir, 'reqs.txt'),
      opts.mode,
      '',
      opts,
      luaPath,
      { connections: 2 },
    );
    await kill(peer);

    // Ours.
    console.log(`\nOurs: Fastify + ocspRoutes, one Node process (--max-semi-space-size=${opts.semiSpaceMb})`);
    const ourPort = await freePort();
    const ours = spawn(
      process.execPath,
      [`--max-semi-space-size=${opts.semiSpaceMb}`, fileURLToPath(import.meta.url), '--serve', dir, String(ourPort)],
      { detached: true, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(ours);
    let out = '';
    ours.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const t0 = Date.now();
    while (!out.includes('READY')) {
      if (ours.exitCode !== null || Date.now() - t0 > 30_000) throw new Error('our responder did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    const base = `http://127.0.0.1:${ourPort}`;
    const ourUrl = `${base}${PREFIX}`;
    const stats = async () =>
      (await (await fetch(`${base}/bench/stats`)).json()) as { hits: number; misses: number; size: number };
    await check(
      dir,
      ourUrl,
      ocspRequest(nameHash, keyHash, revokedSerial, randomBytes(16)),
      revokedSerial,
      'revoked',
      'ours-revoked',
    );
    await check(
      dir,
      ourUrl,
      ocspRequest(nameHash, keyHash, goodSerial, randomBytes(16)),
      goodSerial,
      'good',
      'ours-good',
    );
    const cold = await wrk('ours, cold cache', base, join(dir, 'reqs.txt'), opts.mode, PREFIX, opts, luaPath);
    const s1 = await stats();
    // RFC 5019 responders pre-produce their responses: a pass over the serials in order (each thread
    // its share) fills the cache; the warm run then measures the steady state.
    // Long enough to go through all serials at the cold rate (a setup step, not a measured figure).
    const presignS = Math.min(
      120,
      Math.max(opts.durationS, Math.ceil((1.3 * opts.serials) / Math.max(1000, cold.rps))),
    );
    const presign = await wrk(
      `ours, pre-signing pass (in order, ${presignS} s)`,
      base,
      join(dir, 'reqs.txt'),
      opts.mode,
      PREFIX,
      { ...opts, durationS: presignS },
      luaPath,
      { seq: true },
    );
    const sp = await stats();
    const warm = await wrk('ours, warm cache', base, join(dir, 'reqs.txt'), opts.mode, PREFIX, opts, luaPath);
    const s2 = await stats();
    const nonce = await wrk(
      'ours, nonce in every request',
      base,
      join(dir, 'reqs-nonce.txt'),
      opts.mode,
      PREFIX,
      opts,
      luaPath,
    );
    const hitRate = (a: { hits: number; misses: number }, b = { hits: 0, misses: 0 }) =>
      (100 * (a.hits - b.hits)) / Math.max(1, a.hits - b.hits + a.misses - b.misses);
    console.log(
      `  cache: cold run ${hitRate(s1).toFixed(0)} % hits, pre-signing pass ${hitRate(sp, s1).toFixed(0)} %, warm run ${hitRate(s2, sp).toFixed(0)} % hits, ${s2.size} entries`,
    );

    // Revocation delay: status change + invalidation (what the revocation path does), then a GET.
    const getUrl = `${ourUrl}/${encodeURIComponent(ocspRequest(nameHash, keyHash, goodSerial).toString('base64'))}`;
    const before = Buffer.from(await (await fetch(getUrl)).arrayBuffer());
    const r0 = performance.now();
    await fetch(`${base}/bench/revoke/${goodSerial}`, { method: 'POST' });
    const r1 = performance.now();
    const after = Buffer.from(await (await fetch(getUrl)).arrayBuffer());
    const revocationMs = performance.now() - r1;
    writeFileSync(join(dir, 'check-revocation.der'), after);
    const { stdout: rv, stderr: rve } = await run('openssl', [
      'ocsp',
      '-respin',
      join(dir, 'check-revocation.der'),
      '-issuer',
      join(dir, 'issuer.pem'),
      '-serial',
      `0x${goodSerial}`,
      '-CAfile',
      join(dir, 'root.pem'),
      '-verify_other',
      join(dir, 'issuer.pem'),
      '-no_nonce',
    ]);
    const revokedSeen = /: revoked/.test(rv) && /Response verify OK/.test(rv + rve) && !before.equals(after);
    console.log(
      `  revocation: API call ${(r1 - r0).toFixed(1)} ms, then revoked in OCSP after ${revocationMs.toFixed(1)} ms (${revokedSeen ? 'checked with openssl' : 'NOT SEEN'})`,
    );
    await kill(ours);

    // Summary.
    const row = (what: string, value: string, target: string, ok?: boolean) =>
      console.log(`| ${what} | ${value} | ${target} | ${ok === undefined ? '' : verdict(ok)} |`);
    console.log('\n| figure | value | target | |\n|---|---|---|---|');
    row(`peer: ${peerRes.label}`, `${peerRes.rps.toFixed(0)} req/s, p99 ${peerRes.p99Ms.toFixed(2)} ms`, '—');
    for (const r of [warm, cold, nonce]) {
      row(
        `${r.label}`,
        `${r.rps.toFixed(0)} req/s = **${(r.rps / peerRes.rps).toFixed(2)}×** the peer`,
        `≥ ${TARGET_RATIO}×`,
        r.rps >= TARGET_RATIO * peerRes.rps,
      );
      row(`${r.label}: p99`, `${r.p99Ms.toFixed(2)} ms`, `≤ ${TARGET_P99_MS} ms`, r.p99Ms <= TARGET_P99_MS);
    }
    row(
      'revocation visible in OCSP after the call returns',
      `${revocationMs.toFixed(1)} ms`,
      `≤ ${TARGET_REVOCATION_MS} ms`,
      revokedSeen && revocationMs <= TARGET_REVOCATION_MS,
    );
    const errors = peerRes.errors + presign.errors + cold.errors + warm.errors + nonce.errors;
    if (errors > 0) console.log(`\nwrk reported ${errors} errors (see the lines above).`);
    if (!revokedSeen) process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

if (process.argv[2] === '--serve') {
  await serve(process.argv[3]!, Number(process.argv[4]));
} else {
  await main();
}
