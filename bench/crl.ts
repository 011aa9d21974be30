// `npm run bench -- crl [--entries N] [--timeout-s S] [--keep]`
//
// Full-CRL benchmark (QUALITY.md, `crl`): 1,000,000 revoked entries, P-256 CA.
//   - The set: an OpenSSL CA database (index.txt) of N revoked certificates, written here from a
//     seeded PRNG (16-byte serials, ~1/8 with the top bit set, revocation dates spread over a year,
//     reasons none / keyCompromise / superseded / affiliationChanged / cessationOfOperation).
//   - Ours: a child process (`bench/crl.ts --child DIR`) reads that same index.txt, streams the
//     entries into writeCrl (src/pki/crl-writer.ts) and writes the DER CRL to a file, signed with the
//     same P-256 key through keyObjectSigner (streaming createSign).
//   - Peer: `openssl ca -gencrl` on the same index.txt, key and CA certificate.
// Both are timed with the same clock (wall time of the whole process, start to exit) and their peak
// RSS is read from `/usr/bin/time -v` ("Maximum resident set size"). Both CRLs are then checked with
// `openssl crl -verify`, and their entries are read back from `openssl crl -text` and compared as
// sets (count and an order-independent hash of serial + date + reason).
// Targets (informational): time ≤ 0.5× the peer's, peak RSS ≤ the peer's. The exit code is non-zero
// only if a build or a check fails, or the time bound is reached.

import { spawn } from 'node:child_process';
import { createPrivateKey, webcrypto } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { writeCrl, type RevocationReason, type RevokedEntry } from '../src/pki/crl-writer.ts';
import { keyObjectSigner } from '../src/pki/keystore-file.ts';
import { benchWork, parseArgs, verdict } from './lib/bounds.ts';
import { prngUint32 as prng } from '../src/domain/prng.ts';

const USAGE = 'Usage: npm run bench -- crl [--entries N] [--timeout-s S] [--keep]';
const TARGET_TIME_RATIO = 0.5;
const TIME_BIN = '/usr/bin/time';
const OPENSSL = 'openssl';

// ---------------------------------------------------------------------------------------------
// Child mode: build our CRL from DIR/index.txt (the process measured by /usr/bin/time)

const REASON_NAMES: ReadonlySet<string> = new Set<RevocationReason>([
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  'privilegeWithdrawn',
  'aACompromise',
]);

const d2 = (s: string, i: number): number => (s.charCodeAt(i) - 48) * 10 + (s.charCodeAt(i + 1) - 48);

/** "YYMMDDHHMMSSZ" (UTCTime, as in index.txt) starting at `i`. */
function parseUtcTime(s: string, i: number): Date {
  const yy = d2(s, i);
  return new Date(
    Date.UTC(
      yy < 50 ? 2000 + yy : 1900 + yy,
      d2(s, i + 2) - 1,
      d2(s, i + 4),
      d2(s, i + 6),
      d2(s, i + 8),
      d2(s, i + 10),
    ),
  );
}

/** Revoked entries of an OpenSSL index.txt, streamed (lines `R\texp\trevdate[,reason]\tserial\tfile\tDN`). */
async function* readIndex(path: string): AsyncGenerator<RevokedEntry> {
  let rest = '';
  let lineNo = 0;
  const parse = (text: string, start: number, end: number): RevokedEntry | null => {
    lineNo++;
    if (text.charCodeAt(start) !== 0x52 /* R */) return null;
    const t1 = text.indexOf('\t', start);
    const t2 = text.indexOf('\t', t1 + 1);
    const t3 = text.indexOf('\t', t2 + 1);
    const t4 = text.indexOf('\t', t3 + 1);
    if (t1 < 0 || t4 < 0 || t4 > end) throw new Error(`index.txt line ${lineNo}: malformed`);
    const comma = text.indexOf(',', t2 + 1);
    const serialHex = text.slice(t3 + 1, t4);
    const revokedAt = parseUtcTime(text, t2 + 1);
    if (comma < 0 || comma > t3) return { serialHex, revokedAt };
    const reason = text.slice(comma + 1, t3);
    if (!REASON_NAMES.has(reason)) throw new Error(`index.txt line ${lineNo}: reason ${reason} not supported here`);
    return { serialHex, revokedAt, reason: reason as RevocationReason };
  };
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const text = rest + (chunk as Buffer).toString('latin1');
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const e = parse(text, start, nl);
      if (e) yield e;
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  if (rest.length > 0) {
    const e = parse(rest, 0, rest.length);
    if (e) yield e;
  }
}

async function child(dir: string): Promise<void> {
  const t0 = performance.now();
  const key = createPrivateKey(readFileSync(join(dir, 'ca.key')));
  const signer = keyObjectSigner(key, 'ecdsa-p256');
  const now = new Date();
  const info = await writeCrl(
    {
      issuer: readFileSync(join(dir, 'issuer.der')),
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + 24 * 3600_000),
      entries: readIndex(join(dir, 'index.txt')),
      authorityKeyIdentifier: readFileSync(join(dir, 'ski.bin')),
      crlNumber: 1n,
      signer,
    },
    createWriteStream(join(dir, 'ours.crl')),
  );
  const { rss, heapTotal, external, arrayBuffers } = process.memoryUsage();
  process.stdout.write(
    `${JSON.stringify({ ...info, inProcessMs: performance.now() - t0, end: { rss, heapTotal, external, arrayBuffers } })}\n`,
  );
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  await child(process.argv[childAt + 1] ?? '.');
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Options

const opts = parseArgs(
  process.argv.slice(2),
  USAGE,
  { entries: 1_000_000, timeoutS: 600, keep: false },
  { '--entries': ['entries', 1, 20_000_000] },
);
if (!existsSync(TIME_BIN)) {
  console.error(`${TIME_BIN} is missing (peak memory is read from \`time -v\`): apt-get install -y time`);
  process.exit(1);
}

const running = new Set<ReturnType<typeof spawn>>();
const { work, deadline } = benchWork('crl', opts, () => {
  for (const c of running) c.kill('SIGKILL');
});

// ---------------------------------------------------------------------------------------------
// Helpers

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  wallMs: number;
}

/** Runs a command to completion, timing it (wall clock, from spawn to exit). */
function run(cmd: string, args: string[], opt: { stdout?: (chunk: Buffer) => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const c = spawn(cmd, args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(c);
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (b: Buffer) => (opt.stdout ? opt.stdout(b) : (stdout += b.toString())));
    c.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    c.on('error', reject);
    c.on('close', (code, signal) => {
      running.delete(c);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, wallMs: performance.now() - t0 });
    });
  });
}

async function must(cmd: string, args: string[]): Promise<Run> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
  return r;
}

/** Runs under `/usr/bin/time -v`; returns wall time and peak RSS (bytes). */
async function measured(cmd: string, args: string[]): Promise<Run & { maxRss: number }> {
  const r = await run(TIME_BIN, ['-v', cmd, ...args]);
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  if (r.code !== 0 || !m) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
  return { ...r, maxRss: Number(m[1]) * 1024 };
}

const hex8 = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
const pad2 = (n: number) => String(n).padStart(2, '0');
const utc = (d: Date) =>
  `${pad2(d.getUTCFullYear() % 100)}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}Z`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/**
 * Reads `openssl crl -text` output as a stream: number of entries and an order-independent hash of
 * (serial, revocation date, reason) — openssl prints its own CRL sorted by serial, ours in index order.
 */
async function entrySet(crlPath: string, inform: 'DER' | 'PEM'): Promise<{ count: number; hash: string }> {
  let count = 0;
  let sumA = 0;
  let sumB = 0;
  let serial: string | null = null;
  let date = '';
  let reason = '';
  let rest = '';
  const flush = () => {
    if (serial === null) return;
    const rec = `${serial}|${date}|${reason}`;
    // two 32-bit FNV-1a hashes (different seeds), added mod 2^32: independent of order
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193;
    for (let i = 0; i < rec.length; i++) {
      const c = rec.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    }
    sumA = (sumA + (h1 >>> 0)) >>> 0;
    sumB = (sumB + (h2 >>> 0)) >>> 0;
    count++;
    serial = null;
    reason = '';
  };
  const line = (l: string) => {
    const s = l.trim();
    if (s.startsWith('Serial Number: ')) {
      flush();
      serial = s.slice(15);
    } else if (s.startsWith('Revocation Date: ')) date = s.slice(17);
    else if (serial !== null && /^[A-Z][A-Za-z ]+$/.test(s) && !s.startsWith('CRL entry') && !s.startsWith('X509v3'))
      reason = s;
    else if (s.startsWith('Signature Algorithm') || s.startsWith('Signature Value')) flush();
  };
  const r = await run(OPENSSL, ['crl', '-inform', inform, '-in', crlPath, '-text', '-noout'], {
    stdout: (b) => {
      const text = rest + b.toString('latin1');
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) line(l);
    },
  });
  if (r.code !== 0) throw new Error(`openssl crl -text ${crlPath} failed:\n${r.stderr}`);
  line(rest);
  flush();
  return { count, hash: `${hex8(sumA)}${hex8(sumB)}` };
}

// ---------------------------------------------------------------------------------------------
// Main

const N = opts.entries;
console.log(`CRL benchmark: ${N.toLocaleString('en')} revoked entries, P-256 (work folder ${work})`);

// 1. CA: P-256 key and self-signed certificate (with SKI) made by openssl; issuer Name DER and SKI
//    extracted with @peculiar/x509 for our builder (in production they come from the CA record).
writeFileSync(
  join(work, 'req.cnf'),
  [
    '[req]',
    'distinguished_name = dn',
    'x509_extensions = v3_ca',
    'prompt = no',
    '[dn]',
    'C = FR',
    'O = Cartes Agents',
    'CN = AC Bench CRL',
    '[v3_ca]',
    'basicConstraints = critical, CA:true',
    'keyUsage = critical, keyCertSign, cRLSign',
    'subjectKeyIdentifier = hash',
    '',
  ].join('\n'),
);
await must(OPENSSL, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ca.key']);
await must(OPENSSL, [
  'req',
  '-new',
  '-x509',
  '-config',
  'req.cnf',
  '-key',
  'ca.key',
  '-sha256',
  '-days',
  '3650',
  '-out',
  'ca.pem',
]);
{
  // Loaded here, not at the top: the child process that is measured does not need it.
  const x509 = await import('../src/pki/x509.ts');
  x509.cryptoProvider.set(webcrypto as never);
  const cert = new x509.X509Certificate(readFileSync(join(work, 'ca.pem'), 'latin1'));
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  if (!ski) throw new Error('CA certificate without SKI');
  writeFileSync(join(work, 'issuer.der'), new Uint8Array(cert.subjectName.toArrayBuffer()));
  writeFileSync(join(work, 'ski.bin'), Buffer.from(ski.keyId, 'hex'));
}

// 2. The set, as an OpenSSL CA database.
{
  const t0 = performance.now();
  const rnd = prng(20261125);
  const out = createWriteStream(join(work, 'index.txt'));
  const reasons = ['', ',keyCompromise', ',superseded', ',affiliationChanged', ',cessationOfOperation'];
  const start = Date.UTC(2026, 0, 1);
  const expiry = utc(new Date(Date.UTC(2029, 0, 1)));
  let buf = '';
  for (let i = 0; i < N; i++) {
    // 16-byte serial: 3 random words then the index (unique); ~1/8 with the top bit set (00 pad).
    let w0 = rnd();
    w0 = i % 8 === 0 ? (w0 | 0x80000000) >>> 0 : w0 & 0x7fffffff;
    if (w0 < 0x10000000) w0 += 0x10000000; // no leading zero byte: openssl prints serials minimal
    const serial = `${hex8(w0)}${hex8(rnd())}${hex8(rnd())}${hex8(i)}`;
    const revokedAt = new Date(start + Math.floor((rnd() / 2 ** 32) * 365 * 86400) * 1000);
    buf += `R\t${expiry}\t${utc(revokedAt)}${reasons[i % reasons.length]}\t${serial}\tunknown\t/CN=x${i}\n`;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
  writeFileSync(join(work, 'index.txt.attr'), 'unique_subject = no\n');
  writeFileSync(join(work, 'crlnumber'), '01\n');
  writeFileSync(
    join(work, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = CA_default',
      '[CA_default]',
      `dir = ${work}`,
      'database = $dir/index.txt',
      'new_certs_dir = $dir',
      'certificate = $dir/ca.pem',
      'private_key = $dir/ca.key',
      'crlnumber = $dir/crlnumber',
      'default_md = sha256',
      'default_crl_days = 1',
      'unique_subject = no',
      'crl_extensions = crl_ext',
      '[crl_ext]',
      'authorityKeyIdentifier = keyid:always',
      '',
    ].join('\n'),
  );
  console.log(
    `  set written: index.txt ${mb(statSync(join(work, 'index.txt')).size)} in ${secs(performance.now() - t0)}`,
  );
}

// 3. Ours (child process), then the peer; both under /usr/bin/time -v.
const here = fileURLToPath(import.meta.url);
console.log('  building ours: writeCrl from index.txt …');
const ours = await measured(process.execPath, [...process.execArgv, here, '--child', work]);
const oursInfo = JSON.parse(ours.stdout.trim().split('\n').pop() ?? '{}') as {
  entries: number;
  size: number;
  inProcessMs: number;
};
console.log(
  `    ${secs(ours.wallMs)}, peak RSS ${mb(ours.maxRss)} (in process: ${secs(oursInfo.inProcessMs)}), ${mb(oursInfo.size)}`,
);

console.log('  building the peer: openssl ca -gencrl …');
const peer = await measured(OPENSSL, ['ca', '-gencrl', '-config', 'ca.cnf', '-out', 'peer.crl']);
console.log(`    ${secs(peer.wallMs)}, peak RSS ${mb(peer.maxRss)}`);

// 4. Checks: both verify; same entries.
let failed = false;
const verify = async (path: string, inform: 'DER' | 'PEM') => {
  const r = await run(OPENSSL, ['crl', '-inform', inform, '-in', path, '-CAfile', 'ca.pem', '-verify', '-noout']);
  return r.code === 0 && /verify OK/.test(r.stderr + r.stdout);
};
const oursOk = await verify('ours.crl', 'DER');
const peerOk = await verify('peer.crl', 'PEM');
const [oursSet, peerSet] = await Promise.all([entrySet('ours.crl', 'DER'), entrySet('peer.crl', 'PEM')]);
const sameSet = oursSet.count === N && peerSet.count === N && oursSet.hash === peerSet.hash;
if (!oursOk || !peerOk || !sameSet || oursInfo.entries !== N) failed = true;
const peerDerSize = Buffer.from(
  readFileSync(join(work, 'peer.crl'), 'latin1').replace(/-----[^-]+-----|\s/g, ''),
  'base64',
).length;

// 5. Summary.
const ratio = ours.wallMs / peer.wallMs;
const rows: [string, string, string, string][] = [
  ['ours: writeCrl, whole process (read index.txt, encode, sign, write)', secs(ours.wallMs), '', ''],
  ['peer: openssl ca -gencrl, whole process', secs(peer.wallMs), '', ''],
  ['time ratio ours / peer', `${ratio.toFixed(3)}×`, `≤ ${TARGET_TIME_RATIO}×`, verdict(ratio <= TARGET_TIME_RATIO)],
  ['peak RSS ours', mb(ours.maxRss), `≤ ${mb(peer.maxRss)}`, verdict(ours.maxRss <= peer.maxRss)],
  ['peak RSS peer', mb(peer.maxRss), '', ''],
  ['CRL size (DER) ours / peer', `${mb(oursInfo.size)} / ${mb(peerDerSize)}`, '', ''],
  [
    'openssl crl -verify ours / peer',
    `${oursOk ? 'OK' : 'FAILED'} / ${peerOk ? 'OK' : 'FAILED'}`,
    'OK',
    oursOk ? 'PASS' : 'FAILED',
  ],
  [
    'entries read back ours / peer (same set)',
    `${oursSet.count} / ${peerSet.count} (${sameSet ? 'same' : 'DIFFERENT'})`,
    `${N}`,
    sameSet ? 'PASS' : 'FAILED',
  ],
];
console.log('');
const w = [
  Math.max(...rows.map((r) => r[0].length)),
  Math.max(...rows.map((r) => r[1].length)),
  Math.max(...rows.map((r) => r[2].length)),
];
for (const [a, b, c, d] of rows) console.log(`  ${a.padEnd(w[0]!)}  ${b.padStart(w[1]!)}  ${c.padEnd(w[2]!)}  ${d}`);
clearTimeout(deadline);
if (opts.keep) console.log(`\nKept: ${work}`);
process.exit(failed ? 1 : 0);
