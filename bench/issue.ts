// `npm run bench -- issue [--cards N] [--chunk C] [--no-sqlite] [--no-pg] [--no-production | --production-only] [--timeout-s S] [--keep]`
//
// Card issuance benchmark (QUALITY.md, `issue`): a batch of 10,000 virtual cards. Per card, three
// P-256 key pairs made with node:crypto stand for the keys generated on the card (timed
// separately), then `issueBatch` issues the AUTH, SIGN and ENC certificates for their public keys:
// signature by the issuing CA, self-check (signature verified, subject DN rules), rows and one audit record per
// certificate, one transaction per chunk.
//   - On a fresh platform (demo data, key ceremony, N agents spread over the three issuing CAs):
//     SQLite in a temp folder, then PostgreSQL (throw-away cluster, or CARTES_BENCH_PG_URL).
//   - Peer, in the same process: raw node:crypto P-256 `sign('sha256', data, key)` over 2 s.
//   - Target: certificates/s (issuance + DB writes, key generation excluded) ≥ 10 % of raw signatures/s.
//   - Checks: 3N certificates and 3N `certificate.issue` audit records stored, serials unique,
//     the audit chain verifies, the checker passes a sample, `openssl verify -x509_strict` a few.
// Production run (bench/lib/production.ts): the same N cards made for real through the exchange with the
// simulated manufacturer: order, keys generated ON virtual cards, production report, certificates
// issued and cards recorded (one transaction per chunk), certificates written into the cards,
// letters, shipping notice; certificates/s over the whole run vs raw signatures/s.
// Targets are informational: the exit code is non-zero only when issuance fails, a check fails,
// or the time bound is reached. See bench/README.md for the figures measured.

import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql, type Insertable } from 'kysely';
import { openPlatform } from '../src/platform.ts';
import { loadDemoData } from '../src/app/demo/directory.ts';
import { agentSearchText } from '../src/app/directory/agents.ts';
import { systemActor, type AppContext } from '../src/app/context.ts';
import { timeOrderedId } from '../src/app/ids.ts';
import {
  initPki,
  issueBatch,
  ISSUE_BATCH_CHUNK,
  listAuthorities,
  pkiEnvironment,
  type IssueForPublicKeyInput,
  type IssuedCertificate,
} from '../src/app/pki/certificates.ts';
import { checkCardCertificate } from '../src/pki/checker.ts';
import type { PolicyOids } from '../src/pki/profiles.ts';
import type { AgentTable } from '../src/store/schema.ts';
import * as x509 from '../src/pki/x509.ts';
import { appendAudit, countRows, verifyAuditChain } from '../src/store/audit.ts';
import { createDatabase, startPgCluster, type PgCluster } from '../scripts/lib/pg-cluster.js';
import { benchWork, finishBench, parseArgs, fmtInt, pct, verdict } from './lib/bounds.ts';
import { printProduction, runProduction, type ProductionResult } from './lib/production.ts';
import { agentRow, letters } from '../test/support/rows.ts';

// ---------------------------------------------------------------------------------------------
// Options

const USAGE =
  'Usage: npm run bench -- issue [--cards N] [--chunk C] [--no-sqlite] [--no-pg] [--no-production | --production-only] [--timeout-s S] [--keep]';
const TARGET_RATIO = 0.1;
const PEER_SECONDS = 2;
const SECRETS = ['premier dépositaire du banc', 'second dépositaire du banc'];

const opts = parseArgs(
  process.argv.slice(2),
  USAGE,
  {
    cards: 10_000,
    chunk: ISSUE_BATCH_CHUNK,
    sqlite: true,
    pg: true,
    timeoutS: 1800,
    keep: false,
    issuance: true,
    production: true,
  },
  {
    '--cards': ['cards', 1, 60_000],
    '--chunk': ['chunk', 1, 5000],
    '--no-pg': ['pg', false],
    '--no-sqlite': ['sqlite', false],
    '--no-production': ['production', false],
    '--production-only': ['issuance', false],
  },
);

// ---------------------------------------------------------------------------------------------
// Cleanup and time bound

// Last resort (timeout, signal): pg-cluster stops its cluster on exit by itself.
const { work, deadline } = benchWork('issue', opts);
let cluster: PgCluster | null = null;
const cleanups: (() => Promise<void> | void)[] = [];
const problems: string[] = [];

// ---------------------------------------------------------------------------------------------
// The cards' keys and the peer

interface CardKeys {
  /** Three SPKIs per card (AUTH, SIGN, ENC), in card order. */
  spkis: Uint8Array[];
  seconds: number;
}

/** The keys a card would generate on board: three P-256 key pairs per card (node:crypto). */
function generateCardKeys(cards: number): CardKeys {
  const t0 = performance.now();
  const spkis: Uint8Array[] = [];
  for (let i = 0; i < cards * 3; i++) {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    spkis.push(new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })));
  }
  return { spkis, seconds: (performance.now() - t0) / 1000 };
}

/** Raw P-256 signatures/s with node:crypto `sign('sha256', data, key)` over PEER_SECONDS (a TBS-sized message). */
function rawSignaturesPerSecond(): number {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = randomBytes(600);
  for (let i = 0; i < 200; i++) sign('sha256', data, privateKey); // warm-up
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < PEER_SECONDS * 1000) {
    for (let i = 0; i < 100; i++) sign('sha256', data, privateKey);
    n += 100;
    t = performance.now();
  }
  return n / ((t - t0) / 1000);
}

// ---------------------------------------------------------------------------------------------
// Platform set-up (untimed): demo data, key ceremony, N agents over the three populations

const POPULATION_ORGS = ['77011', 'PREF77', 'BN-BREST'];

async function createAgents(ctx: AppContext, cards: number): Promise<string[]> {
  const orgs = await ctx.store.db
    .selectFrom('organizations')
    .select(['id', 'code'])
    .where('code', 'in', POPULATION_ORGS)
    .execute();
  const orgIds = POPULATION_ORGS.map((code) => orgs.find((o) => o.code === code)!.id);
  const now = ctx.now().toISOString();
  const identifiers: string[] = [];
  for (let start = 0; start < cards; start += 500) {
    const rows: Insertable<AgentTable>[] = [];
    for (let i = start; i < Math.min(cards, start + 500); i++) {
      const identifier = `banc${String(i).padStart(6, '0')}`;
      identifiers.push(identifier);
      const cols = { last_name: `CARTE ${letters(i)}`, first_names: 'Camille', identifier, email: null };
      rows.push(
        agentRow(now, {
          id: timeOrderedId(),
          organization_id: orgIds[i % orgIds.length]!,
          ...cols,
          birth_place: 'Melun',
          identity_verified: 1,
          directory_record: 0,
          search_text: agentSearchText(cols),
        }),
      );
    }
    await ctx.store.db.transaction().execute(async (trx) => {
      for (let k = 0; k < rows.length; k += 100)
        await trx
          .insertInto('agents')
          .values(rows.slice(k, k + 100))
          .execute();
    });
  }
  return identifiers;
}

// ---------------------------------------------------------------------------------------------
// One run

interface RunResult {
  label: string;
  certificates: number;
  seconds: number;
  certsPerS: number;
  peerSigsPerS: number;
  /** Cost of one audit append measured alone, µs. */
  auditUs: number;
}

const AUDIT_PROBE = 3000;

/** The audit append alone: AUDIT_PROBE records shaped like certificate.issue, in transactions of a chunk each. */
async function auditAppendCost(ctx: AppContext, sample: IssuedCertificate): Promise<number> {
  const t0 = performance.now();
  for (let start = 0; start < AUDIT_PROBE; start += opts.chunk) {
    await ctx.store.db.transaction().execute(async (trx) => {
      for (let i = start; i < Math.min(AUDIT_PROBE, start + opts.chunk); i++) {
        await appendAudit(trx, ctx.store, {
          at: ctx.now().toISOString(),
          actorId: 'system:bench',
          actorRole: 'system',
          organizationId: null,
          action: 'bench.audit-probe',
          outcome: 'ok',
          targetType: 'certificate',
          targetId: `probe${i}`,
          requestId: null,
          summary: {
            after: {
              serial: sample.serial,
              profile: sample.profile,
              ca: sample.caName,
              agent: 'banc000000',
              subjectDn: sample.subjectDn,
              notAfter: sample.notAfter,
              sha256: sample.sha256,
              status: 'issued',
              card: 'carte-0',
            },
          },
        });
      }
    });
  }
  return ((performance.now() - t0) * 1000) / AUDIT_PROBE;
}

async function run(label: string, target: { data: string; db: string }, keys: CardKeys): Promise<RunResult> {
  console.log(label);
  const platform = await openPlatform(target, {});
  cleanups.push(() => platform.store.close());
  const { ctx } = platform;
  const actor = systemActor('bench');
  const pki = pkiEnvironment({ publicUrl: 'https://cartes.example.gouv.fr', dataDir: target.data }, {});
  let t0 = performance.now();
  await loadDemoData(ctx);
  await initPki(ctx, actor, pki, { custodianSecrets: SECRETS });
  const identifiers = await createAgents(ctx, opts.cards);
  console.log(
    `  set-up (demo data, key ceremony, ${fmtInt(opts.cards)} agents): ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  const items: IssueForPublicKeyInput[] = [];
  const profiles = ['auth', 'sign', 'enc'] as const;
  for (let card = 0; card < opts.cards; card++) {
    for (let k = 0; k < 3; k++) {
      items.push({
        spki: keys.spkis[card * 3 + k]!,
        profile: profiles[k]!,
        agentIdentifier: identifiers[card]!,
        cardId: `carte-${card}`,
      });
    }
  }
  const auditBefore = await countRows(ctx.store.db, 'audit_log');
  const tenth = Math.max(1, Math.round(items.length / 10 / opts.chunk)) * opts.chunk;
  t0 = performance.now();
  const issued = await issueBatch(ctx, actor, pki, items, {
    chunk: opts.chunk,
    onProgress: (done, total) => {
      if (done % tenth === 0 || done === total)
        console.log(
          `    ${fmtInt(done)} / ${fmtInt(total)} certificates, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
        );
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const certsPerS = issued.length / seconds;
  console.log(
    `  issueBatch: ${fmtInt(issued.length)} certificates in ${seconds.toFixed(2)} s = ${fmtInt(certsPerS)} certificates/s (chunks of ${fmtInt(opts.chunk)})`,
  );

  await checkRun(ctx, pki.settings.policies, issued, items.length, auditBefore, label);
  const auditUs = await auditAppendCost(ctx, issued[0]!);
  console.log(
    `  audit append alone (same record shape, ${fmtInt(AUDIT_PROBE)} in chunks of ${fmtInt(opts.chunk)}): ${auditUs.toFixed(0)} µs per record = ${pct(auditUs / (1e6 / certsPerS))} of the time per certificate`,
  );
  const peer = rawSignaturesPerSecond();
  console.log(`  peer: raw node:crypto P-256 sign('sha256', …): ${fmtInt(peer)} signatures/s`);
  await platform.store.close();
  cleanups.pop();
  return { label, certificates: issued.length, seconds, certsPerS, peerSigsPerS: peer, auditUs };
}

async function checkRun(
  ctx: AppContext,
  policies: PolicyOids | undefined,
  issued: IssuedCertificate[],
  expected: number,
  auditBefore: number,
  label: string,
): Promise<void> {
  if (issued.length !== expected)
    problems.push(`${label}: ${issued.length} certificates returned, expected ${expected}`);
  const stored = await countRows(ctx.store.db, 'certificates');
  if (stored !== expected) problems.push(`${label}: ${stored} certificates stored, expected ${expected}`);
  const audits = await ctx.store.db
    .selectFrom('audit_log')
    .select(sql<number>`count(*)`.as('n'))
    .where('action', '=', 'certificate.issue')
    .executeTakeFirstOrThrow();
  if (Number(audits.n) !== expected)
    problems.push(`${label}: ${audits.n} certificate.issue audit records, expected ${expected}`);
  const auditAfter = await countRows(ctx.store.db, 'audit_log');
  if (auditAfter - auditBefore !== expected)
    problems.push(`${label}: ${auditAfter - auditBefore} audit records added, expected ${expected}`);
  if (new Set(issued.map((c) => c.serial)).size !== issued.length) problems.push(`${label}: duplicate serials`);
  const chain = await verifyAuditChain(ctx.store);
  if (!chain.ok)
    problems.push(`${label}: audit chain broken at ${chain.firstBroken?.seq}: ${chain.firstBroken?.reason}`);

  // Checker on a sample, openssl verify -x509_strict on a few (one per profile and CA at least).
  const cas = new Map((await listAuthorities(ctx, systemActor('bench'))).map((c) => [c.name, c.pem]));
  const issuers = new Map([...cas].map(([name, pem]) => [name, new x509.X509Certificate(pem)]));
  const step = Math.max(1, Math.floor(issued.length / 300));
  let checked = 0;
  for (let i = 0; i < issued.length; i += step) {
    const c = issued[i]!;
    const faults = await checkCardCertificate(c.der, c.profile, issuers.get(c.caName)!, policies ? { policies } : {});
    if (faults.length) problems.push(`${label}: certificate ${c.serial} fails the checker: ${faults.join(' ; ')}`);
    checked++;
  }
  const dir = join(work, `verify-${label.replace(/\W/g, '')}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, pem] of cas) writeFileSync(join(dir, `${name}.pem`), pem);
  const sample = [0, 1, 2, 3, 4, 5, issued.length - 3, issued.length - 2, issued.length - 1].filter(
    (i, k, a) => i >= 0 && a.indexOf(i) === k,
  );
  let verified = 0;
  for (const i of sample) {
    const c = issued[i]!;
    const file = join(dir, `${i}.pem`);
    writeFileSync(file, c.pem);
    const v = spawnSync(
      'openssl',
      ['verify', '-x509_strict', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, `${c.caName}.pem`), file],
      { encoding: 'utf8' },
    );
    if (v.status !== 0) problems.push(`${label}: openssl verify refuses certificate ${i}: ${v.stdout}${v.stderr}`);
    else verified++;
  }
  console.log(
    `  checks: ${fmtInt(stored)} stored, ${fmtInt(Number(audits.n))} audit records, serials unique, audit chain ${chain.ok ? 'OK' : 'BROKEN'}; checker on ${checked}, openssl verify -x509_strict on ${verified}/${sample.length}`,
  );
}

async function runProductionPg(): Promise<ProductionResult> {
  let serverUrl = process.env['CARTES_BENCH_PG_URL'];
  if (!serverUrl) {
    cluster = await startPgCluster({ log: (m) => console.log(`  ${m}`) });
    cleanups.push(() => cluster?.stop());
    serverUrl = cluster.url;
  }
  const url = await createDatabase(serverUrl, `cartes_bench_production_${process.pid}`);
  const result = await runProduction('PostgreSQL', { data: join(work, 'prod-pg'), db: url }, opts.cards, problems);
  if (cluster) {
    await cluster.stop();
    cluster = null;
    cleanups.pop();
  }
  return result;
}

async function runPg(keys: CardKeys): Promise<RunResult> {
  let serverUrl = process.env['CARTES_BENCH_PG_URL'];
  if (!serverUrl) {
    cluster = await startPgCluster({ log: (m) => console.log(`  ${m}`) });
    cleanups.push(() => cluster?.stop());
    serverUrl = cluster.url;
  }
  const url = await createDatabase(serverUrl, `cartes_bench_issue_${process.pid}`);
  const result = await run('PostgreSQL', { data: join(work, 'pg'), db: url }, keys);
  if (cluster) {
    await cluster.stop();
    cluster = null;
    cleanups.pop();
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  console.log(
    `issue benchmark: ${fmtInt(opts.cards)} cards, ${fmtInt(opts.cards * 3)} certificates (node ${process.version}, work folder ${work})`,
  );
  const production: ProductionResult[] = [];
  if (opts.production && opts.sqlite)
    production.push(
      await runProduction(
        'SQLite',
        { data: join(work, 'prod-sqlite'), db: join(work, 'prod-sqlite', 'cartes.sqlite') },
        opts.cards,
        problems,
      ),
    );
  if (opts.production && opts.pg) production.push(await runProductionPg());
  if (!opts.issuance) {
    printProduction(production, opts.cards);
    return;
  }
  const keys = generateCardKeys(opts.cards);
  console.log(
    `  card keys: ${fmtInt(keys.spkis.length)} P-256 key pairs in ${keys.seconds.toFixed(2)} s = ${fmtInt(keys.spkis.length / keys.seconds)} key pairs/s`,
  );
  const results: RunResult[] = [];
  if (opts.sqlite)
    results.push(await run('SQLite', { data: join(work, 'sqlite'), db: join(work, 'sqlite', 'cartes.sqlite') }, keys));
  if (opts.pg) results.push(await runPg(keys));

  const lines: [string, string, string, string][] = [];
  lines.push([
    'card keys (3 P-256 pairs per card, node:crypto)',
    `${fmtInt(keys.spkis.length / keys.seconds)} key pairs/s (${keys.seconds.toFixed(2)} s)`,
    '',
    '',
  ]);
  for (const r of results) {
    const ratio = r.certsPerS / r.peerSigsPerS;
    const withKeys = r.certificates / (r.seconds + keys.seconds);
    lines.push(
      [
        `${r.label}: certificates/s (issuance + DB writes)`,
        `${fmtInt(r.certsPerS)} /s (${r.seconds.toFixed(2)} s)`,
        '',
        '',
      ],
      [
        `${r.label}: certificates/s including key generation`,
        `${fmtInt(withKeys)} /s (${(r.seconds + keys.seconds).toFixed(2)} s)`,
        '',
        '',
      ],
      [`${r.label}: raw P-256 signatures/s (peer, same process)`, `${fmtInt(r.peerSigsPerS)} /s`, '', ''],
      [
        `${r.label}: audit append alone, per certificate`,
        `${r.auditUs.toFixed(0)} µs = ${pct(r.auditUs / (1e6 / r.certsPerS))} of a certificate's time`,
        '',
        '',
      ],
      [
        `${r.label}: ratio certificates / raw signatures`,
        pct(ratio),
        `≥ ${TARGET_RATIO * 100} %`,
        verdict(ratio >= TARGET_RATIO),
      ],
    );
  }
  const w = [0, 1, 2].map((i) => Math.max(...lines.map((l) => l[i]!.length)));
  console.log(
    `\nSummary — ${fmtInt(opts.cards)} cards, ${fmtInt(opts.cards * 3)} certificates (targets are informational)`,
  );
  for (const l of lines)
    console.log(`  ${l[0].padEnd(w[0]!)}  ${l[1].padEnd(w[1]!)}  ${l[2].padEnd(w[2]!)}  ${l[3]}`.trimEnd());
  printProduction(production, opts.cards);
  if (!opts.sqlite) console.log('  (SQLite skipped: --no-sqlite)');
  if (!opts.pg) console.log('  (PostgreSQL skipped: --no-pg)');
}

await finishBench(main, { problems, heading: 'CHECKS FAILED', cleanups, deadline });
