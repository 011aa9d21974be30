// `npm run bench -- import [--rows N] [--no-sqlite] [--no-pg] [--no-ceiling] [--timeout-s S] [--keep]`
//
// HR feed import benchmark (QUALITY.md, `import`): a generated feed of 300,000 agents (CSV `;`,
// UTF-8 with BOM, French header) imported into organisation 77011 of the demo data.
//   - SQLite: first import (all inserted) and second import of the same file (all unchanged),
//     rows/s; RSS and heap sampled every 200 ms; a third, untimed import with forced GCs gives the
//     live heap kept per row read (memory flat = streaming).
//   - PostgreSQL (throw-away cluster, or CARTES_BENCH_PG_URL): same import, rows/s; peer in the
//     same run: `psql \copy` of the same rows into a bare table with the feed's 15 text columns.
//   - Both: the storage ceiling, the same rows copied server side into a twin of `agents`.
// See bench/README.md for the figures measured and how to read them.
// Targets are informational: the exit code is non-zero only when an import fails, its counts are
// wrong, or the time bound is reached.

import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { openPlatform } from '../src/platform.ts';
import { loadDemoData } from '../src/app/demo/directory.ts';
import { importAgents } from '../src/app/directory/hr-import/import-agents.ts';
import { systemActor, type AppContext } from '../src/app/context.ts';
import type { ImportRunTable } from '../src/store/schema.ts';
import { createDatabase, startPgCluster, type PgCluster } from '../scripts/lib/pg-cluster.js';
import { intOption, boundRun, finishBench, fmtInt, pct } from './lib/bounds.ts';
import { writeFeed } from './lib/feed.ts';
import { FEED_COLUMNS } from '../src/domain/hr-feed.ts';

// ---------------------------------------------------------------------------------------------
// Options

const USAGE =
  'Usage: npm run bench -- import [--rows N] [--no-sqlite] [--no-pg] [--no-ceiling] [--timeout-s S] [--keep]';
const MAX_ROWS = 5_000_000;
const TARGET_SQLITE_ROWS_S = 25_000;
const TARGET_PG_RATIO = 0.25;
/** Streaming: what stays live per row read is its identifier (duplicates, full feeds), never the row. */
const MAX_LIVE_BYTES_PER_ROW = 200;
const SAMPLE_MS = 200;
const PSQL = process.env['CARTES_BENCH_PSQL'] ?? '/usr/bin/psql';

function parseArgs(argv: string[]) {
  const opts = { rows: 300_000, sqlite: true, pg: true, ceiling: true, timeoutS: 1200, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (min: number, max: number): number => intOption(argv, ++i, String(a), min, max, USAGE);
    if (a === '--rows') opts.rows = num(1, MAX_ROWS);
    else if (a === '--timeout-s') opts.timeoutS = num(10, 6 * 3600);
    else if (a === '--no-pg') opts.pg = false;
    else if (a === '--no-sqlite') opts.sqlite = false;
    else if (a === '--no-ceiling') opts.ceiling = false;
    else if (a === '--keep') opts.keep = true;
    else {
      console.error(`Unknown argument ${a}.\n${USAGE}`);
      process.exit(2);
    }
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));

// ---------------------------------------------------------------------------------------------
// Cleanup and time bound

const work = mkdtempSync(join(tmpdir(), 'cartes-bench-import-'));
let cluster: PgCluster | null = null;
const cleanups: (() => Promise<void> | void)[] = [];

// Last resort (timeout, signal): pg-cluster stops its cluster on exit by itself.
const deadline = boundRun({ work, keep: opts.keep, timeoutS: opts.timeoutS });

// ---------------------------------------------------------------------------------------------
// Feed generation (deterministic, streamed)

// ---------------------------------------------------------------------------------------------
// Measurement

type Memory = {
  rssStart: number;
  rssPeak: number;
  rssEnd: number;
  heapStart: number;
  heapPeak: number;
  heapEnd: number;
};

function sampleMemory(): { stop: () => Memory } {
  const m0 = process.memoryUsage();
  const mem: Memory = {
    rssStart: m0.rss,
    rssPeak: m0.rss,
    rssEnd: m0.rss,
    heapStart: m0.heapUsed,
    heapPeak: m0.heapUsed,
    heapEnd: m0.heapUsed,
  };
  const sample = (): void => {
    const m = process.memoryUsage();
    mem.rssPeak = Math.max(mem.rssPeak, m.rss);
    mem.heapPeak = Math.max(mem.heapPeak, m.heapUsed);
    mem.rssEnd = m.rss;
    mem.heapEnd = m.heapUsed;
  };
  const timer = setInterval(sample, SAMPLE_MS);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return mem;
    },
  };
}

type Timed = { run: ImportRunTable; seconds: number; rowsPerS: number; memory: Memory };

async function timedImport(ctx: AppContext, orgId: string, file: string, rows: number, label: string): Promise<Timed> {
  const sampler = sampleMemory();
  const t0 = performance.now();
  const run = await importAgents(ctx, systemActor('bench'), {
    organizationId: orgId,
    format: 'csv',
    full: false,
    fileName: 'bench-import.csv',
    input: createReadStream(file),
    bytesTotal: statSync(file).size,
  });
  const seconds = (performance.now() - t0) / 1000;
  const memory = sampler.stop();
  const rowsPerS = rows / seconds;
  console.log(
    `  ${label}: ${fmtInt(rows)} rows in ${seconds.toFixed(2)} s = ${fmtInt(rowsPerS)} rows/s — ${run.message}`,
  );
  return { run, seconds, rowsPerS, memory };
}

/** Live heap (after a forced GC) along an import: what the import keeps, not what it has yet to collect. */
type LiveMemory = { points: { rows: number; heap: number; rss: number }[]; perRow: number };

const forceGc = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

async function liveMemoryImport(ctx: AppContext, orgId: string, file: string, rows: number): Promise<LiveMemory> {
  forceGc();
  const points = [{ rows: 0, heap: process.memoryUsage().heapUsed, rss: process.memoryUsage().rss }];
  const every = Math.max(1, Math.round(rows / 2000 / 10)); // about ten points
  let batches = 0;
  const run = await importAgents(ctx, systemActor('bench'), {
    organizationId: orgId,
    format: 'csv',
    full: false,
    fileName: 'bench-import.csv',
    input: createReadStream(file),
    bytesTotal: statSync(file).size,
    // Small batches here only to get enough sampling points (progress is reported per batch).
    batchRows: 2000,
    onProgress: (p) => {
      // The last batch (p.total = rows) is left out: the points compare like with like, mid-import.
      if (++batches % every !== 0 || p.total >= rows) return;
      forceGc();
      const m = process.memoryUsage();
      points.push({ rows: p.total, heap: m.heapUsed, rss: m.rss });
    },
  });
  if (run.status !== 'done' || run.total !== rows)
    problems.push(`memory run: status ${run.status}, ${run.total} rows read, expected ${rows}`);
  // Slope between the first point taken during the import and the last one (warm-up excluded).
  const a = points[1] ?? points[0]!;
  const b = points.at(-1)!;
  const perRow = b.rows > a.rows ? (b.heap - a.heap) / (b.rows - a.rows) : Number.NaN; // NaN: too few batches to tell
  return { points, perRow };
}

const problems: string[] = [];

function expectCounts(
  label: string,
  run: ImportRunTable,
  rows: number,
  expected: { inserted: number; unchanged: number },
): void {
  const got = {
    status: run.status,
    total: run.total,
    inserted: run.inserted,
    updated: run.updated,
    unchanged: run.unchanged,
    rejected: run.rejected,
  };
  const want = {
    status: 'done',
    total: rows,
    inserted: expected.inserted,
    updated: 0,
    unchanged: expected.unchanged,
    rejected: 0,
  };
  if (JSON.stringify(got) !== JSON.stringify(want))
    problems.push(`${label}: counts ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
}

async function countImported(ctx: AppContext, runId: string): Promise<number> {
  const r = await ctx.store.db
    .selectFrom('agents')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('last_import_id', '=', runId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

async function org77011(ctx: AppContext): Promise<string> {
  await loadDemoData(ctx);
  const org = await ctx.store.db
    .selectFrom('organizations')
    .select('id')
    .where('code', '=', '77011')
    .executeTakeFirstOrThrow();
  return org.id;
}

function runPsql(url: string, command: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PSQL, [url, '-X', '-v', 'ON_ERROR_STOP=1', '-q', '-c', command], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out: out.trim() }));
  });
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

// ---------------------------------------------------------------------------------------------
// Storage ceiling: the same rows copied, server side, from a staging table into a twin of `agents`
// (same columns, indexes and foreign key) in transactions of BATCH rows, as the import commits
// them. No parsing, validation or client round trips: what the table itself costs, so an upper
// bound for any importer that keeps the import's transaction size.

const CEILING_BATCH = 2000;

async function sqliteCeiling(ctx: AppContext, runId: string, rows: number): Promise<number> {
  const db = ctx.store.db;
  await sql`create table bench_stage as select * from agents where last_import_id = ${runId}`.execute(db);
  const ddl = await sql<{
    type: string;
    sql: string;
  }>`select type, sql from sqlite_master where tbl_name = 'agents' and sql is not null order by type desc`.execute(db);
  for (const { type, sql: text } of ddl.rows) {
    const twin =
      type === 'table'
        ? text.replace(/^create table\s+"?agents"?/i, 'create table "bench_twin"')
        : text.replace(
            /^create (unique )?index\s+"?(\w+)"?\s+on\s+"?agents"?/i,
            'create $1index "bench_twin_$2" on "bench_twin"',
          );
    if (twin === text) throw new Error(`cannot derive the twin table from: ${text}`);
    await sql.raw(twin).execute(db);
  }
  const t0 = performance.now();
  for (let i = 0; i < rows; i += CEILING_BATCH) {
    await db
      .transaction()
      .execute((trx) =>
        sql`insert into bench_twin select * from bench_stage where rowid > ${i} and rowid <= ${i + CEILING_BATCH}`.execute(
          trx,
        ),
      );
  }
  const seconds = (performance.now() - t0) / 1000;
  const copied = await sql<{ n: number }>`select count(*) as n from bench_twin`.execute(db);
  if (Number(copied.rows[0]?.n) !== rows)
    problems.push(`SQLite ceiling: ${copied.rows[0]?.n} rows copied, expected ${rows}`);
  await sql`drop table bench_twin`.execute(db);
  await sql`drop table bench_stage`.execute(db);
  return rows / seconds;
}

async function pgCeiling(ctx: AppContext, runId: string, rows: number): Promise<number> {
  const db = ctx.store.db;
  await sql`create table bench_stage as select row_number() over () as bench_n, * from agents where last_import_id = ${runId}`.execute(
    db,
  );
  await sql`create index on bench_stage (bench_n)`.execute(db);
  await sql`create table bench_twin (like agents including all)`.execute(db);
  await sql`alter table bench_twin add foreign key (organization_id) references organizations (id)`.execute(db);
  await sql`analyze bench_stage`.execute(db);
  const cols = sql.raw(
    (
      await sql<{
        c: string;
      }>`select string_agg(quote_ident(column_name), ', ' order by ordinal_position) as c from information_schema.columns where table_name = 'agents' and table_schema = current_schema()`.execute(
        db,
      )
    ).rows[0]!.c,
  );
  const t0 = performance.now();
  for (let i = 0; i < rows; i += CEILING_BATCH) {
    await db
      .transaction()
      .execute((trx) =>
        sql`insert into bench_twin (${cols}) select ${cols} from bench_stage where bench_n > ${i} and bench_n <= ${i + CEILING_BATCH}`.execute(
          trx,
        ),
      );
  }
  const seconds = (performance.now() - t0) / 1000;
  const copied = await sql<{ n: number }>`select count(*)::int as n from bench_twin`.execute(db);
  if (Number(copied.rows[0]?.n) !== rows)
    problems.push(`PostgreSQL ceiling: ${copied.rows[0]?.n} rows copied, expected ${rows}`);
  await sql`drop table bench_twin`.execute(db);
  await sql`drop table bench_stage`.execute(db);
  return rows / seconds;
}

// ---------------------------------------------------------------------------------------------
// Runs

type SqliteResult = { first: Timed; second: Timed; live: LiveMemory; ceiling: number | null };
type PgResult = { ours: Timed; ceiling: number | null; copyRowsPerS: number };

async function runSqlite(feed: string, rows: number): Promise<SqliteResult> {
  console.log('SQLite');
  const dir = join(work, 'sqlite');
  const lite = await openPlatform({ data: dir, db: join(dir, 'cartes.sqlite') }, {});
  cleanups.push(() => lite.store.close());
  const orgId = await org77011(lite.ctx);
  const first = await timedImport(lite.ctx, orgId, feed, rows, 'first import (inserts)');
  expectCounts('SQLite first import', first.run, rows, { inserted: rows, unchanged: 0 });
  const inDb = await countImported(lite.ctx, first.run.id);
  if (inDb !== rows) problems.push(`SQLite first import: ${inDb} agents in the database, expected ${rows}`);
  const second = await timedImport(lite.ctx, orgId, feed, rows, 'second import (unchanged)');
  expectCounts('SQLite second import', second.run, rows, { inserted: 0, unchanged: rows });
  const live = await liveMemoryImport(lite.ctx, orgId, feed, rows);
  const pts = live.points.map((p) => `${fmtInt(p.rows)}: ${mb(p.heap)}`).join(', ');
  console.log(
    `  memory run (same file, untimed, GC forced every ~10 %): live heap by rows read ${pts} → ${live.perRow.toFixed(0)} bytes kept per row`,
  );
  let ceiling: number | null = null;
  if (opts.ceiling) {
    ceiling = await sqliteCeiling(lite.ctx, first.run.id, rows);
    console.log(
      `  storage ceiling (server-side copy into a twin table, ${fmtInt(CEILING_BATCH)} rows a commit): ${fmtInt(ceiling)} rows/s`,
    );
  }
  await lite.store.close();
  cleanups.pop();
  return { first, second, live, ceiling };
}

async function runPg(feed: string, rows: number): Promise<PgResult> {
  console.log('PostgreSQL');
  let serverUrl = process.env['CARTES_BENCH_PG_URL'];
  if (!serverUrl) {
    cluster = await startPgCluster({ log: (m) => console.log(`  ${m}`) });
    cleanups.push(() => cluster?.stop());
    serverUrl = cluster.url;
  }
  const dbName = `cartes_bench_import_${process.pid}`;
  const url = await createDatabase(serverUrl, dbName);
  const platform = await openPlatform({ data: join(work, 'pg'), db: url }, {});
  cleanups.push(() => platform.store.close());
  const orgId = await org77011(platform.ctx);
  const ours = await timedImport(platform.ctx, orgId, feed, rows, 'import (inserts)');
  expectCounts('PostgreSQL import', ours.run, rows, { inserted: rows, unchanged: 0 });
  const inDb = await countImported(platform.ctx, ours.run.id);
  if (inDb !== rows) problems.push(`PostgreSQL import: ${inDb} agents in the database, expected ${rows}`);

  // Peer: \copy of the same rows (BOM stripped into a copy: COPY would take it as part of the first header name).
  const plain = join(work, 'feed-nobom.csv');
  await pipeline(createReadStream(feed, { start: 3 }), createWriteStream(plain));
  const created = await runPsql(url, `create table bare (${FEED_COLUMNS.map((c) => `${c} text`).join(', ')})`);
  if (created.code !== 0) throw new Error(`psql create table failed: ${created.out}`);
  const t0 = performance.now();
  const copy = await runPsql(
    url,
    `\\copy bare FROM '${plain.replace(/'/g, "''")}' WITH (FORMAT csv, DELIMITER ';', HEADER true, ENCODING 'UTF8')`,
  );
  const copySeconds = (performance.now() - t0) / 1000;
  if (copy.code !== 0) throw new Error(`psql \\copy failed: ${copy.out}`);
  const counted = await runPsql(url, 'select count(*) from bare');
  const copied = Number(/\d+/.exec(counted.out)?.[0] ?? NaN);
  if (copied !== rows) problems.push(`\\copy: ${copied} rows in the bare table, expected ${rows}`);
  const copyRowsPerS = rows / copySeconds;
  console.log(
    `  psql \\copy into a bare table (peer): ${fmtInt(rows)} rows in ${copySeconds.toFixed(2)} s = ${fmtInt(copyRowsPerS)} rows/s`,
  );

  let ceiling: number | null = null;
  if (opts.ceiling) {
    ceiling = await pgCeiling(platform.ctx, ours.run.id, rows);
    console.log(
      `  storage ceiling (server-side copy into a twin table, ${fmtInt(CEILING_BATCH)} rows a commit): ${fmtInt(ceiling)} rows/s`,
    );
  }
  await platform.store.close();
  cleanups.pop();
  if (process.env['CARTES_BENCH_PG_URL']) {
    const admin = new URL(serverUrl);
    admin.pathname = '/postgres';
    await runPsql(admin.toString(), `drop database if exists ${dbName} with (force)`);
  }
  if (cluster) {
    await cluster.stop();
    cluster = null;
    cleanups.pop();
  }
  return { ours, ceiling, copyRowsPerS };
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const rows = opts.rows;
  console.log(`import benchmark: ${fmtInt(rows)} agents (node ${process.version}, work folder ${work})`);
  const feed = join(work, 'feed.csv');
  const t0 = performance.now();
  const bytes = await writeFeed(feed, rows);
  console.log(`  feed generated: ${mb(bytes)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const lite = opts.sqlite ? await runSqlite(feed, rows) : null;
  const pgr = opts.pg ? await runPg(feed, rows) : null;

  // --- Summary
  const status = (ok: boolean): string => (ok ? 'PASS' : 'BELOW');
  const lines: [string, string, string, string][] = [];
  const memory = (label: string, m: Memory): void => {
    lines.push([
      `${label}: RSS, heap used (sampled)`,
      `${mb(m.rssStart)} → peak ${mb(m.rssPeak)} (+${mb(m.rssPeak - m.rssStart)}); heap peak ${mb(m.heapPeak)}`,
      '',
      '',
    ]);
  };
  if (lite) {
    lines.push([
      'SQLite import, first run (inserts)',
      `${fmtInt(lite.first.rowsPerS)} rows/s`,
      `≥ ${fmtInt(TARGET_SQLITE_ROWS_S)} rows/s`,
      status(lite.first.rowsPerS >= TARGET_SQLITE_ROWS_S),
    ]);
    lines.push(['SQLite import, same file again', `${fmtInt(lite.second.rowsPerS)} rows/s`, '(all unchanged)', '']);
    if (lite.ceiling !== null)
      lines.push([
        'SQLite storage ceiling (no client work)',
        `${fmtInt(lite.ceiling)} rows/s`,
        `import = ${pct(lite.first.rowsPerS / lite.ceiling)} of it`,
        '',
      ]);
  }
  if (pgr) {
    const ratio = pgr.ours.rowsPerS / pgr.copyRowsPerS;
    lines.push(
      ['PostgreSQL import (inserts)', `${fmtInt(pgr.ours.rowsPerS)} rows/s`, '', ''],
      ['psql \\copy into a bare table (peer)', `${fmtInt(pgr.copyRowsPerS)} rows/s`, '', ''],
      [
        'ratio PostgreSQL import / \\copy',
        pct(ratio),
        `≥ ${TARGET_PG_RATIO * 100} %`,
        status(ratio >= TARGET_PG_RATIO),
      ],
    );
    if (pgr.ceiling !== null) {
      lines.push([
        'PostgreSQL storage ceiling (no client work)',
        `${fmtInt(pgr.ceiling)} rows/s`,
        `= ${pct(pgr.ceiling / pgr.copyRowsPerS)} of \\copy; import = ${pct(pgr.ours.rowsPerS / pgr.ceiling)} of it`,
        '',
      ]);
    }
  }
  if (lite) {
    const p = lite.live.points;
    lines.push([
      'memory: live heap kept per row (flat)',
      `${lite.live.perRow.toFixed(0)} B/row (${mb(p[0]!.heap)} → ${mb(p.at(-1)!.heap)} at ${fmtInt(p.at(-1)!.rows)} rows)`,
      `≤ ${MAX_LIVE_BYTES_PER_ROW} B/row (identifiers only; feed ${Math.round(bytes / rows)} B/row)`,
      Number.isNaN(lite.live.perRow) ? 'n/a (too few rows)' : status(lite.live.perRow <= MAX_LIVE_BYTES_PER_ROW),
    ]);
    memory('memory, SQLite first run', lite.first.memory);
  }
  if (pgr) memory('memory, PostgreSQL run', pgr.ours.memory);
  const w = [0, 1, 2].map((i) => Math.max(...lines.map((l) => l[i]!.length)));
  console.log(`\nSummary — ${fmtInt(rows)} agents, feed ${mb(bytes)} (targets are informational)`);
  for (const l of lines)
    console.log(`  ${l[0].padEnd(w[0]!)}  ${l[1].padEnd(w[1]!)}  ${l[2].padEnd(w[2]!)}  ${l[3]}`.trimEnd());
  if (!lite) console.log('  (SQLite skipped: --no-sqlite)');
  if (!pgr) console.log('  (PostgreSQL skipped: --no-pg)');
}

await finishBench(main, { problems, heading: 'WRONG COUNTS', cleanups, deadline });
