// `npm run bench -- ocsp [--serials N] [--duration-s S] [--connections C] [--peer-connections C] [--threads T] [--keep] [--timeout-s S]`
//
// The OCSP responder as served (QUALITY.md `ocsp`, issue 17): `cartes ocsp serve` started as a process
// with the shipped settings, on a platform database holding N certificates (default 100,004) of one
// issuing CA, 10 % revoked, whose answers the shipped background job (`cartes ocsp presign`) signed
// ahead. The peer, `openssl ocsp -index … -multi 2`, serves the same set (its index.txt written from the
// same rows) with the same responder certificate and key, and signs every answer.
//
// Load: wrk from a separate process on loopback, pre-built requests for random serials of the set
// (one SHA-1 CertID as RFC 5019 clients send), POST and GET separately, with and without a nonce (not
// critical, as openssl's client sends it). Runs are interleaved peer / ours, each ours "cold" run on a
// freshly started responder (its memory empty: answers come from the database), then "warm" (every
// answer served once). Then a revocation by another process (`cartes ca revoke`), timed until the
// responder answers "revoked". Targets (issue 17): ≥ 5× the peer warm, ≥ 2.5× cold and with nonce,
// p99 ≤ 5 ms warm; the summary prints PASS or FAIL per row. Exit code 1 when a check fails (not for FAIL).

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openPlatform } from '../src/platform.ts';
import { initPki, pkiEnvironment } from '../src/app/pki/certificates.ts';
import { systemActor } from '../src/app/context.ts';
import { loadServiceKek, parseKeyRef } from '../src/pki/ca-init.ts';
import { keyFilePassphrase } from '../src/pki/keystore-file.ts';
import { custodyDir } from '../src/pki/ca-init.ts';
import { issuerIdentity } from '../src/pki/ocsp.ts';
import { serviceKeyRepository } from '../src/store/service-keys.ts';
import { boundRun, fmtInt, intOption } from './lib/bounds.ts';

const run = promisify(execFile);
const USAGE =
  'Usage: npm run bench -- ocsp [--serials N] [--duration-s S] [--connections C] [--peer-connections C] [--threads T] [--keep] [--timeout-s S]';
const TARGET_WARM = 5;
const TARGET_COLD = 2.5;
const TARGET_NONCE = 2.5;
const TARGET_P99_MS = 5;
const PREFIX = '/pki/ocsp';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');

function parseArgs(argv: string[]) {
  const opts = {
    serials: 100_004,
    durationS: 10,
    connections: 16,
    peerConnections: 2,
    threads: 2,
    keep: false,
    timeoutS: 3600,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (min: number, max: number): number => intOption(argv, ++i, String(a), min, max, USAGE);
    if (a === '--serials') opts.serials = num(100, 2_000_000);
    else if (a === '--duration-s') opts.durationS = num(1, 600);
    else if (a === '--connections') opts.connections = num(1, 1000);
    else if (a === '--peer-connections') opts.peerConnections = num(1, 1000);
    else if (a === '--threads') opts.threads = num(1, 16);
    else if (a === '--timeout-s') opts.timeoutS = num(60, 86_400);
    else if (a === '--keep') opts.keep = true;
    else {
      console.error(`Unknown option ${a}\n${USAGE}`);
      process.exit(2);
    }
  }
  return opts;
}
type Opts = ReturnType<typeof parseArgs>;

// ---------------------------------------------------------------------------------------------
// Requests

function tlv(tag: number, ...parts: Uint8Array[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const head = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...head]), body]);
}
const SHA1_ALG = Buffer.from('300906052b0e03021a0500', 'hex');
const NONCE_OID = Buffer.from('06092b0601050507300102', 'hex');
const CRITICAL = Buffer.from('0101ff', 'hex');

function ocspRequest(
  nameHash: Uint8Array,
  keyHash: Uint8Array,
  serialHex: string,
  nonce?: { value: Uint8Array; critical: boolean },
): Buffer {
  const certId = tlv(0x30, SHA1_ALG, tlv(0x04, nameHash), tlv(0x04, keyHash), tlv(0x02, Buffer.from(serialHex, 'hex')));
  const parts = [tlv(0x30, tlv(0x30, certId))];
  if (nonce) {
    const ext = nonce.critical
      ? tlv(0x30, NONCE_OID, CRITICAL, tlv(0x04, tlv(0x04, nonce.value)))
      : tlv(0x30, NONCE_OID, tlv(0x04, tlv(0x04, nonce.value)));
    parts.push(tlv(0xa2, tlv(0x30, ext)));
  }
  return tlv(0x30, tlv(0x30, ...parts));
}

// wrk script: pre-built requests (hex DER for POST, URL-encoded base64 for GET), random order. With
// "check", every answer's OCSP status is read (successful or not), to tell signed answers from tryLater.
const LUA = String.raw`
local reqs = {}
bad = 0
init = function(args)
  local file, mode, check = args[1], args[2], args[3] == "check"
  local prefix = args[4] or ""
  checking = check
  local post_headers = { ["Content-Type"] = "application/ocsp-request" }
  for line in io.lines(file) do
    local hex, b64 = line:match("^(%x+)\t(.+)$")
    if mode == "post" then
      local body = hex:gsub("..", function(cc) return string.char(tonumber(cc, 16)) end)
      reqs[#reqs + 1] = wrk.format("POST", prefix == "" and "/" or prefix, post_headers, body)
    else
      reqs[#reqs + 1] = wrk.format("GET", prefix .. "/" .. b64)
    end
  end
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000))
end
request = function()
  return reqs[math.random(#reqs)]
end
response = function(status, headers, body)
  if checking then
    -- OCSPResponse: SEQUENCE (30 82 LL LL) then ENUMERATED (0a 01 status); 0 = successful.
    local b = string.byte(body, 2) == 0x82 and 7 or (string.byte(body, 2) == 0x81 and 6 or 5)
    if string.byte(body, b) ~= 0 then bad = bad + 1 end
  end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
`;
// (The per-thread "bad" counts of the check mode are summed by a second script output line per thread.)
const LUA_CHECK_TAIL = String.raw`
local threads = {}
setup = function(thread) table.insert(threads, thread) end
local done0 = done
done = function(summary, latency, requests)
  done0(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + (t:get("bad") or 0) end
  io.write(string.format('BAD %d\n', total))
end
`;

interface LoadResult {
  label: string;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  notSuccessful?: number;
}

async function wrk(
  label: string,
  url: string,
  file: string,
  mode: 'post' | 'get',
  opts: Opts,
  luaPath: string,
  connections: number,
  check = false,
): Promise<LoadResult> {
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
      check ? 'check' : 'fast',
      new URL(url).pathname === '/' ? '' : new URL(url).pathname,
    ],
    { timeout: (opts.durationS + 120) * 1000, maxBuffer: 16 * 1024 * 1024 },
  );
  const line = stdout.split('\n').find((l) => l.startsWith('BENCH '));
  if (!line) throw new Error(`wrk gave no result:\n${stdout}`);
  const r = JSON.parse(line.slice(6)) as Record<string, number>;
  const errors = r['connect']! + r['read']! + r['write']! + r['status']! + r['timeout']!;
  const bad = /BAD (\d+)/.exec(stdout)?.[1];
  const res: LoadResult = {
    label,
    rps: r['requests']! / (r['duration_us']! / 1e6),
    p50Ms: r['p50_us']! / 1000,
    p99Ms: r['p99_us']! / 1000,
    requests: r['requests']!,
    errors,
    ...(bad !== undefined ? { notSuccessful: Number(bad) } : {}),
  };
  console.log(
    `  ${label.padEnd(40)} ${res.rps.toFixed(0).padStart(7)} req/s   p50 ${res.p50Ms.toFixed(2)} ms   p99 ${res.p99Ms.toFixed(2)} ms   ${fmtInt(res.requests)} requests, ${errors} errors${bad !== undefined ? `, ${bad} answers not successful` : ''}`,
  );
  return res;
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
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function kill(child: ChildProcess | null, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
    return Promise.resolve();
  const exited = once(child, 'exit').then(() => undefined);
  try {
    process.kill(-child.pid, signal); // its own process group (openssl -multi forks workers)
  } catch {
    child.kill(signal);
  }
  return exited;
}

/** Checks one answer with the openssl client (signature, chain, status). */
async function check(dir: string, url: string, der: Buffer, serialHex: string, expected: string, tag: string) {
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

// ---------------------------------------------------------------------------------------------
// The platform database

async function makePlatform(dir: string, n: number) {
  const data = join(dir, 'data');
  const platform = await openPlatform({ data, db: join(data, 'cartes.sqlite') }, {});
  const { ctx, store } = platform;
  try {
    const pki = pkiEnvironment({ publicUrl: 'https://cartes.example.gouv.fr', dataDir: data }, {});
    await initPki(ctx, systemActor('banc'), pki, {
      custodianSecrets: ['premier dépositaire du banc OCSP', 'second dépositaire du banc OCSP'],
    });
    const ca = await store.db
      .selectFrom('certification_authorities')
      .selectAll()
      .where('name', '=', 'collectivites')
      .executeTakeFirstOrThrow();
    const responder = await store.db
      .selectFrom('certification_authorities')
      .selectAll()
      .where('name', '=', 'collectivites-ocsp')
      .executeTakeFirstOrThrow();
    const root = await store.db
      .selectFrom('certification_authorities')
      .selectAll()
      .where('kind', '=', 'root')
      .executeTakeFirstOrThrow();
    // The certificate rows, as issuance leaves them (the responder reads serial, CA, status, dates; the
    // DER is not read, so a placeholder stands for it), and their change log rows (as issuance writes).
    const now = new Date();
    const notAfter = new Date(now.getTime() + 3 * 365 * 86_400_000);
    const revokedAt = new Date(now.getTime() - 86_400_000);
    const placeholder = Uint8Array.of(0x30, 0x00);
    const sha = createHash('sha256').update(placeholder).digest('hex');
    const serials: string[] = [];
    const index: string[] = [];
    for (let i = 0; i < n; i++) {
      const b = randomBytes(16);
      b[0] = (b[0]! & 0x7f) | 0x01;
      serials.push(b.toString('hex'));
    }
    const at = now.toISOString();
    for (let start = 0; start < n; start += 10_000) {
      await store.db.transaction().execute(async (trx) => {
        for (let k = start; k < Math.min(n, start + 10_000); k += 200) {
          const rows = serials.slice(k, Math.min(n, start + 10_000, k + 200)).map((serial, j) => {
            const revoked = (k + j) % 10 === 3;
            return {
              serial,
              ca_id: ca.id,
              profile: 'auth',
              agent_id: null,
              card_id: null,
              subject_dn: `C=FR, O=Banc, CN=Agent ${k + j}`,
              der: placeholder,
              sha256: sha,
              not_before: at,
              not_after: notAfter.toISOString(),
              status: revoked ? 'revoked' : 'valid',
              revoked_at: revoked ? revokedAt.toISOString() : null,
              revocation_reason: revoked ? 'keyCompromise' : null,
              status_changed_at: at,
              created_at: at,
            };
          });
          await trx.insertInto('certificates').values(rows).execute();
          await trx
            .insertInto('certificate_status_changes')
            .values(rows.map((r) => ({ serial: r.serial, ca_id: ca.id, changed_at: at })))
            .execute();
        }
      });
    }
    for (let i = 0; i < n; i++) {
      const s = serials[i]!.toUpperCase();
      index.push(
        i % 10 === 3
          ? `R\t${utcTime(notAfter)}\t${utcTime(revokedAt)},keyCompromise\t${s}\tunknown\t/CN=Agent ${i}`
          : `V\t${utcTime(notAfter)}\t\t${s}\tunknown\t/CN=Agent ${i}`,
      );
    }
    writeFileSync(join(dir, 'index.txt'), index.join('\n') + '\n');
    writeFileSync(join(dir, 'index.txt.attr'), 'unique_subject = no\n');
    const pem = (der: Uint8Array) =>
      `-----BEGIN CERTIFICATE-----\n${Buffer.from(der)
        .toString('base64')
        .replace(/(.{64})/g, '$1\n')
        .trim()}\n-----END CERTIFICATE-----\n`;
    writeFileSync(join(dir, 'issuer.pem'), pem(ca.certificate_der));
    writeFileSync(join(dir, 'root.pem'), pem(root.certificate_der));
    writeFileSync(join(dir, 'responder.pem'), pem(responder.certificate_der));
    // The responder's key for the peer, in clear in the bench folder only (removed at the end).
    // Sealed in the database (the shipped store) or, for older installations, in a key file: the same text.
    const ref = parseKeyRef(responder.key_ref);
    let keyPath: string;
    if (ref.store === 'db') {
      const sealed = await serviceKeyRepository(store.db).read(ref.label);
      if (!sealed) throw new Error(`responder key ${ref.label} not in the database`);
      keyPath = join(dir, 'responder.sealed');
      writeFileSync(keyPath, sealed.text, { mode: 0o600 });
    } else if (ref.store === 'file') keyPath = join(custodyDir(data, 'service'), ref.path);
    else throw new Error(`key store ${ref.store} not supported by the bench`);
    const pass = await keyFilePassphrase(keyPath, loadServiceKek(data, {}));
    await run('openssl', ['pkey', '-in', keyPath, '-passin', `pass:${pass}`, '-out', join(dir, 'responder.key')]);
    return { data, serials, issuer: issuerIdentity(ca.certificate_der) };
  } finally {
    await store.close();
  }
}

// ---------------------------------------------------------------------------------------------

interface Ours {
  child: ChildProcess;
  /** Workers that have loaded the answers signed ahead into memory (their start-up pass). */
  preloaded: () => number;
}

async function startOurs(data: string, port: number): Promise<Ours> {
  const child = spawn(process.execPath, [MAIN, '--data', data, 'ocsp', 'serve', '--port', String(port)], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CARTES_DATA: data },
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const t0 = Date.now();
  while (!out.includes('Répondeur OCSP démarré')) {
    if (child.exitCode !== null || Date.now() - t0 > 60_000)
      throw new Error(`cartes ocsp serve did not start:\n${out}\n${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, preloaded: () => out.split('chargées en mémoire').length - 1 };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  try {
    await run('wrk', ['--version']).catch((e: { stdout?: string }) => {
      if (!e.stdout?.includes('wrk')) throw e;
    });
  } catch {
    console.error('wrk is missing: apt-get install -y wrk');
    process.exit(1);
  }
  const dir = mkdtempSync(join(tmpdir(), 'cartes-bench-ocsp-'));
  const children = new Set<ChildProcess>();
  const bound = boundRun({
    work: dir,
    keep: opts.keep,
    timeoutS: opts.timeoutS,
    onExit: () => {
      for (const c of children)
        try {
          if (c.pid) process.kill(-c.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
    },
  });

  console.log(
    `OCSP benchmark: ${fmtInt(opts.serials)} certificates, 10 % revoked; wrk -t${opts.threads} -d${opts.durationS}s, ours ${opts.connections} connections, the peer ${opts.peerConnections}; load average ${load()}`,
  );
  console.log(`  temp folder ${dir}`);
  let t0 = performance.now();
  const { data, serials, issuer } = await makePlatform(dir, opts.serials);
  console.log(
    `  platform: key ceremony and ${fmtInt(opts.serials)} certificates in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const { nameHash, keyHash } = issuer.hashes.sha1;

  // The background job of the shipped responder, run alone: every answer signed ahead.
  t0 = performance.now();
  const presign = await run(process.execPath, [MAIN, '--data', data, 'ocsp', 'presign'], {
    env: { ...process.env, CARTES_DATA: data },
    timeout: 3600_000,
  });
  const presignS = (performance.now() - t0) / 1000;
  console.log(`  cartes ocsp presign: ${presign.stdout.trim()} (process: ${presignS.toFixed(1)} s)`);

  // Requests.
  const files = {
    plain: join(dir, 'reqs.txt'),
    nonce: join(dir, 'reqs-nonce.txt'),
    critical: join(dir, 'reqs-critical.txt'),
  };
  const lines = { plain: [] as string[], nonce: [] as string[], critical: [] as string[] };
  const line = (der: Buffer) => `${der.toString('hex')}\t${encodeURIComponent(der.toString('base64'))}`;
  for (const s of serials) {
    lines.plain.push(line(ocspRequest(nameHash, keyHash, s)));
    lines.nonce.push(line(ocspRequest(nameHash, keyHash, s, { value: randomBytes(16), critical: false })));
    lines.critical.push(line(ocspRequest(nameHash, keyHash, s, { value: randomBytes(16), critical: true })));
  }
  for (const k of ['plain', 'nonce', 'critical'] as const) writeFileSync(files[k], lines[k].join('\n') + '\n');
  const luaPath = join(dir, 'ocsp.lua');
  writeFileSync(luaPath, LUA);
  const luaCheck = join(dir, 'ocsp-check.lua');
  writeFileSync(luaCheck, LUA + LUA_CHECK_TAIL);
  const good = serials[0]!;
  const revoked = serials[3]!;

  // Peer: openssl ocsp -multi 2 (signs every answer). Started afresh for every run: once a load
  // generator has closed its connections, its children stopped answering.
  const peerPort = await freePort();
  const peerUrl = `http://127.0.0.1:${peerPort}/`;
  const startPeer = async (): Promise<ChildProcess> => {
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
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.add(peer);
    let peerOut = '';
    let peerErr = '';
    peer.stdout?.on('data', (d: Buffer) => (peerOut += d.toString()));
    peer.stderr?.on('data', (d: Buffer) => (peerErr += d.toString()));
    const p0 = Date.now();
    while (!peerOut.includes('ACCEPT')) {
      if (peer.exitCode !== null || Date.now() - p0 > 15_000) throw new Error(`openssl ocsp did not start: ${peerErr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // Time to fork its children (probing the port with a bare connection upsets them).
    await new Promise((r) => setTimeout(r, 500));
    return peer;
  };
  const peerRun = async (label: string, file: string, mode: 'post' | 'get', lua = luaPath, checkAnswers = false) => {
    const peer = await startPeer();
    try {
      return await wrk(label, peerUrl, file, mode, opts, lua, opts.peerConnections, checkAnswers);
    } finally {
      await kill(peer);
      children.delete(peer);
    }
  };
  {
    const peer = await startPeer();
    await check(dir, peerUrl, ocspRequest(nameHash, keyHash, good), good, 'good', 'peer-good');
    await check(dir, peerUrl, ocspRequest(nameHash, keyHash, revoked), revoked, 'revoked', 'peer-revoked');
    await kill(peer);
    children.delete(peer);
  }

  const ourPort = await freePort();
  const ourUrl = `http://127.0.0.1:${ourPort}${PREFIX}`;
  const fresh = async (): Promise<Ours> => {
    const o = await startOurs(data, ourPort);
    children.add(o.child);
    return o;
  };
  const workers = availableParallelism();

  // Interleaved: the peer's run, then ours on the same requests.
  console.log(
    `\nRuns (peer: openssl ocsp -multi 2, ${opts.peerConnections} keep-alive connections, its best case; ours: cartes ocsp serve)`,
  );
  const peerPost = await peerRun('peer POST', files.plain, 'post');
  let ours = await fresh();
  const coldPost = await wrk(
    'ours POST, cold (just started)',
    ourUrl,
    files.plain,
    'post',
    opts,
    luaPath,
    opts.connections,
  );
  await kill(ours.child);
  children.delete(ours.child);
  const peerGet = await peerRun('peer GET', files.plain, 'get');
  ours = await fresh();
  await check(dir, ourUrl, ocspRequest(nameHash, keyHash, good), good, 'good', 'ours-good');
  await check(dir, ourUrl, ocspRequest(nameHash, keyHash, revoked), revoked, 'revoked', 'ours-revoked');
  const coldGet = await wrk(
    'ours GET, cold (just started)',
    ourUrl,
    files.plain,
    'get',
    opts,
    luaPath,
    opts.connections,
  );
  // Warm: every worker has loaded the answers signed ahead (its start-up pass; not measured).
  const w0 = performance.now();
  while (ours.preloaded() < workers && performance.now() - w0 < 300_000) await new Promise((r) => setTimeout(r, 200));
  console.log(
    `  (answers in memory in ${ours.preloaded()} of ${workers} workers, ${((performance.now() - w0) / 1000).toFixed(1)} s after the cold run)`,
  );
  const warmPost = await wrk('ours POST, warm', ourUrl, files.plain, 'post', opts, luaPath, opts.connections);
  const peerNoncePost = await peerRun('peer POST, nonce', files.nonce, 'post');
  const warmGet = await wrk('ours GET, warm', ourUrl, files.plain, 'get', opts, luaPath, opts.connections);
  const peerNonceGet = await peerRun('peer GET, nonce', files.nonce, 'get');
  const noncePost = await wrk('ours POST, nonce', ourUrl, files.nonce, 'post', opts, luaPath, opts.connections);
  const nonceGet = await wrk('ours GET, nonce', ourUrl, files.nonce, 'get', opts, luaPath, opts.connections);
  const critical = await wrk(
    'ours POST, critical nonce (signed each)',
    ourUrl,
    files.critical,
    'post',
    opts,
    luaCheck,
    opts.connections,
    true,
  );
  const peerCritical = await peerRun('peer POST, critical nonce', files.critical, 'post', luaCheck, true);

  // Revocation by another process, timed until this responder answers "revoked".
  const victim = serials[0]!;
  const getUrl = `${ourUrl}/${encodeURIComponent(ocspRequest(nameHash, keyHash, victim).toString('base64'))}`;
  const isRevoked = async () => {
    const der = Buffer.from(await (await fetch(getUrl)).arrayBuffer());
    writeFileSync(join(dir, 'revocation.der'), der);
    const { stdout } = await run('openssl', [
      'ocsp',
      '-respin',
      join(dir, 'revocation.der'),
      '-issuer',
      join(dir, 'issuer.pem'),
      '-serial',
      `0x${victim}`,
      '-noverify',
    ]);
    return /: revoked/.test(stdout);
  };
  if (await isRevoked()) throw new Error('revocation check: already revoked');
  const r0 = performance.now();
  await run(process.execPath, [MAIN, '--data', data, 'ca', 'revoke', '--serial', victim, '--reason', 'keyCompromise'], {
    env: { ...process.env, CARTES_DATA: data },
  });
  const r1 = performance.now();
  let seen = false;
  while (!seen && performance.now() - r1 < 10_000) seen = await isRevoked();
  const revocationMs = performance.now() - r1;
  console.log(
    `  revocation by \`cartes ca revoke\` (another process, ${((r1 - r0) / 1000).toFixed(1)} s with its start): ${seen ? `revoked in OCSP ${revocationMs.toFixed(0)} ms after it returned` : 'NOT SEEN within 10 s'}`,
  );
  await kill(ours.child);
  children.delete(ours.child);

  // Summary.
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  console.log(`\nLoad average after the runs: ${load()}`);
  console.log('\n| row | ours | the peer | ratio | target | |\n|---|---|---|---|---|---|');
  const row = (what: string, r: LoadResult, p: LoadResult, target: number, p99?: number) => {
    const ratio = r.rps / p.rps;
    const okRatio = ratio >= target && r.errors === 0;
    const okP99 = p99 === undefined || r.p99Ms <= p99;
    console.log(
      `| ${what} | ${fmtInt(r.rps)} req/s, p99 ${r.p99Ms.toFixed(2)} ms | ${fmtInt(p.rps)} req/s, p99 ${p.p99Ms.toFixed(2)} ms | **${ratio.toFixed(2)}×** | ≥ ${target}×${p99 !== undefined ? `, p99 ≤ ${p99} ms` : ''} | ${verdict(okRatio && okP99)} |`,
    );
    return okRatio && okP99;
  };
  const results = [
    row('warm, POST', warmPost, peerPost, TARGET_WARM, TARGET_P99_MS),
    row('warm, GET', warmGet, peerGet, TARGET_WARM, TARGET_P99_MS),
    row('cold, POST', coldPost, peerPost, TARGET_COLD),
    row('cold, GET', coldGet, peerGet, TARGET_COLD),
    row('nonce, POST', noncePost, peerNoncePost, TARGET_NONCE),
    row('nonce, GET', nonceGet, peerNonceGet, TARGET_NONCE),
  ];
  console.log(
    `| critical nonce, POST (signed on demand; informational) | ${fmtInt(critical.rps)} req/s, ${fmtInt(critical.notSuccessful ?? 0)} of ${fmtInt(critical.requests)} tryLater | ${fmtInt(peerCritical.rps)} req/s | ${(critical.rps / peerCritical.rps).toFixed(2)}× | — | |`,
  );
  console.log(
    `| revocation by another process, visible in OCSP | ${seen ? `${revocationMs.toFixed(0)} ms` : 'not seen'} | | | ≤ 1,000 ms | ${verdict(seen && revocationMs <= 1000)} |`,
  );
  console.log(
    `\n${results.every(Boolean) ? 'PASS' : 'FAIL'}: warm, cold and nonce rows (${results.filter(Boolean).length} of ${results.length}).`,
  );
  if (!seen) process.exitCode = 1;
  clearTimeout(bound);
}

await main();
