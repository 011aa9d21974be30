// `npm run bench -- portal [--agents N] [--cards N] [--duration-s S] [--pg] [--no-sqlite] [--timeout-s S] [--keep]`
//
// The portal at national scale (QUALITY.md, issue 16), on the production path: a population of N agents
// (default 100,000; `--agents 1000000` is the issue's size) imported through the HR import and N cards
// (bench/lib/population.ts), then `cartes serve` started as a process as an operator would, a national
// administrator signed in with `cartes admin sign-in-link` + POST /api/auth/link, and the read API driven by
// wrk at 50 and 200 connections: search by a name prefix, by a rare word (an identifier), an agent's page,
// « supports à remettre », the audit trail, the home counters. Printed per route: req/s, p50, p99, the
// server's peak RSS (one session stands for the operators: the per-person request limit is lifted). Peer (the floor of the machine, same run): a bare node:http server answering the same
// bytes as ours for that route, under the same load; ratio = ours / floor. Target: p99 ≤ 50 ms at 200
// connections for every route. BELOW never fails the run; a wrong answer or a failed start does.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openPlatform } from '../src/platform.ts';
import { createDatabase, startPgCluster, type PgCluster } from '../scripts/lib/pg-cluster.js';
import { benchWork, finishBench, fmtInt, parseArgs, verdict } from './lib/bounds.ts';
import { populate } from './lib/population.ts';
import { wrkAvailable, wrkGet, type WrkResult } from './lib/wrk.ts';

const run = promisify(execFile);
const USAGE =
  'Usage: npm run bench -- portal [--agents N] [--cards N] [--duration-s S] [--pg] [--no-sqlite] [--timeout-s S] [--keep]';
const TARGET_P99_MS = 50;
const CONNECTIONS = [50, 200];
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');

const opts = parseArgs(
  process.argv.slice(2),
  USAGE,
  { agents: 100_000, cards: -1, durationS: 5, sqlite: true, pg: false, timeoutS: 3 * 3600, keep: false },
  {
    '--agents': ['agents', 1000, 5_000_000],
    '--cards': ['cards', 0, 5_000_000],
    '--duration-s': ['durationS', 1, 120],
    '--pg': ['pg', true],
    '--no-sqlite': ['sqlite', false],
  },
);
const cards = opts.cards < 0 ? opts.agents : opts.cards;
const problems: string[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
const { work, deadline } = benchWork('portal', opts);
let cluster: PgCluster | null = null;

interface Row {
  db: string;
  route: string;
  connections: number;
  ours: WrkResult;
  floor: WrkResult;
  rssMb: number;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

function startProcess(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  cleanups.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return { child, output: () => out };
}

async function until<T>(what: string, probe: () => Promise<T | null>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => null);
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Peak resident memory of a process (VmHWM), MB. */
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

// The floor: a bare node:http server answering `body` to every request (no routing, no database).
const FLOOR = String.raw`
const http = require('node:http');
const body = require('node:fs').readFileSync(process.argv[1]);
http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
  res.end(body);
}).listen(Number(process.argv[2]), '127.0.0.1', () => console.log('ready'));
`;

async function measureDatabase(label: string, db: string | undefined, data: string): Promise<Row[]> {
  console.log(`\n${label}`);
  // One session stands for 200 operators here: the per-person request limit is lifted for the run.
  const env = {
    ...process.env,
    CARTES_LOG_LEVEL: 'warn',
    CARTES_BACKUP_BEFORE_MIGRATION: 'false',
    CARTES_RATE_LIMIT: '1000000',
  };
  const platform = await openPlatform({ data, ...(db ? { db } : {}) }, env);
  const t0 = Date.now();
  const population = await populate(platform.ctx, {
    agents: opts.agents,
    cards,
    work,
    log: (l) => console.log(l),
  });
  console.log(
    `  population: ${fmtInt(population.agents)} agents imported in ${population.importSeconds.toFixed(1)} s (${fmtInt(population.agents / population.importSeconds)} rows/s), ${fmtInt(population.cards)} cards in ${population.cardsSeconds.toFixed(1)} s; ${((Date.now() - t0) / 1000).toFixed(0)} s in all`,
  );
  const sample = await platform.store.db
    .selectFrom('agents')
    .select(['id', 'identifier'])
    .where('identifier', 'like', 'B%')
    .limit(1000)
    .execute();
  const agentRows = sample.length
    ? sample
    : await platform.store.db.selectFrom('agents').select(['id', 'identifier']).limit(1000).execute();
  await platform.store.close();

  // `cartes serve` as an operator starts it.
  const port = await freePort();
  const global = ['--data', data, ...(db ? ['--db', db] : [])];
  const server = startProcess([MAIN, ...global, 'serve', '--port', String(port)], env);
  const origin = `http://127.0.0.1:${port}`;
  await until(
    'cartes serve ready',
    async () => {
      if (server.child.exitCode !== null) throw new Error(`cartes serve exited:\n${server.output()}`);
      return (await fetch(`${origin}/readyz`)).ok ? true : null;
    },
    300_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${server.output()}`);
  });
  const { stdout } = await run(
    process.execPath,
    [MAIN, ...global, 'admin', 'sign-in-link', '--person', 'admin.national'],
    {
      env,
    },
  );
  const token = /jeton=([\w-]+)/.exec(stdout)?.[1];
  if (!token) throw new Error(`no sign-in link:\n${stdout}`);
  const signIn = await fetch(`${origin}/api/auth/link`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
  if (!signIn.ok || !cookie) throw new Error(`sign-in refused: ${signIn.status} ${await signIn.text()}`);
  const headers = { Cookie: cookie };

  const routes: { route: string; paths: string[] }[] = [
    {
      route: 'search, name prefix',
      paths: ['mar', 'ber', 'dur', 'lef', 'pet', 'mor'].map((q) => `/api/agents?q=${q}`),
    },
    {
      route: 'search, rare word',
      paths: agentRows.slice(0, 200).map((a) => `/api/agents?q=${encodeURIComponent(a.identifier)}`),
    },
    { route: 'agent page', paths: agentRows.map((a) => `/api/agents/${a.id}`) },
    { route: 'supports à remettre', paths: ['/api/cards/to-hand-over'] },
    { route: 'audit trail', paths: ['/api/audit'] },
    { route: 'home counters', paths: ['/api/counts'] },
  ];
  const rows: Row[] = [];
  for (const r of routes) {
    // Each path answers 200 before any load (a wrong answer is a failure, not a figure).
    const first = await fetch(`${origin}${r.paths[0]}`, { headers });
    const body = Buffer.from(await first.arrayBuffer());
    if (first.status !== 200) {
      problems.push(`${label} ${r.route}: ${first.status} ${body.toString().slice(0, 200)}`);
      continue;
    }
    const bodyFile = join(work, `floor-${rows.length}.json`);
    writeFileSync(bodyFile, body);
    const floorPort = await freePort();
    const floor = startProcess(['-e', FLOOR, bodyFile, String(floorPort)], process.env);
    await until('floor server', async () => (floor.output().includes('ready') ? true : null), 30_000);
    for (const connections of CONNECTIONS) {
      const load = { work, connections, threads: 2, durationS: opts.durationS };
      const ours = await wrkGet({ ...load, name: 'ours', origin, paths: r.paths, headers });
      const peer = await wrkGet({ ...load, name: 'floor', origin: `http://127.0.0.1:${floorPort}`, paths: r.paths });
      const row = { db: label, route: r.route, connections, ours, floor: peer, rssMb: peakRssMb(server.child.pid!) };
      rows.push(row);
      console.log(
        `  ${r.route.padEnd(22)} ${String(connections).padStart(3)} conn.  ours ${fmtInt(ours.rps).padStart(6)} req/s p50 ${ours.p50Ms.toFixed(1)} ms p99 ${ours.p99Ms.toFixed(1)} ms${ours.errors ? ` (${ours.errors} errors)` : ''}   floor ${fmtInt(peer.rps)} req/s   RSS ${row.rssMb.toFixed(0)} MB`,
      );
      if (ours.errors) problems.push(`${label} ${r.route} at ${connections}: ${ours.errors} errors`);
    }
    floor.child.kill('SIGKILL');
  }
  server.child.kill('SIGTERM');
  return rows;
}

async function main(): Promise<void> {
  if (!(await wrkAvailable())) throw new Error('wrk is missing: apt-get install -y wrk');
  console.log(
    `Portal benchmark: ${fmtInt(opts.agents)} agents, ${fmtInt(cards)} cards; wrk ${opts.durationS} s per run at ${CONNECTIONS.join(' and ')} connections; load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const rows: Row[] = [];
  if (opts.sqlite) rows.push(...(await measureDatabase('SQLite', undefined, join(work, 'sqlite'))));
  if (opts.pg) {
    let serverUrl = process.env['CARTES_BENCH_PG_URL'];
    if (!serverUrl) {
      cluster = await startPgCluster({ log: (m) => console.log(`  ${m}`) });
      cleanups.push(() => cluster?.stop());
      serverUrl = cluster.url;
    }
    const url = await createDatabase(serverUrl, `cartes_bench_portal_${process.pid}`);
    rows.push(...(await measureDatabase('PostgreSQL', url, join(work, 'pg'))));
  }
  console.log(
    `\nLoad average after the runs: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    '\n| database | route | connections | ours | floor (bare node:http, same bytes) | ratio | p99 target | |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const ok = r.ours.p99Ms <= TARGET_P99_MS;
    console.log(
      `| ${r.db} | ${r.route} | ${r.connections} | ${fmtInt(r.ours.rps)} req/s, p99 ${r.ours.p99Ms.toFixed(1)} ms, RSS ${r.rssMb.toFixed(0)} MB | ${fmtInt(r.floor.rps)} req/s, p99 ${r.floor.p99Ms.toFixed(1)} ms | ${(r.ours.rps / r.floor.rps).toFixed(2)}× | ≤ ${TARGET_P99_MS} ms | ${r.connections === 200 ? verdict(ok) : ok ? '(PASS)' : '(BELOW)'} |`,
    );
  }
  const at200 = rows.filter((r) => r.connections === 200);
  const passed = at200.filter((r) => r.ours.p99Ms <= TARGET_P99_MS).length;
  console.log(`\np99 ≤ ${TARGET_P99_MS} ms at 200 connections: ${passed} of ${at200.length} routes.`);
}

await finishBench(main, { problems, heading: 'Problems', cleanups, deadline });
