// `npm run bench -- dashboard [--operations N] [--full] [--pg] [--no-sqlite] [--timeout-s S] [--keep]`
//
// Dashboard benchmark (QUALITY.md, `dashboard`): the centre's 12-rolling-month dashboard over N recorded
// operations (default 500,000; `--full`: 10,000,000), driven through the HTTP API as the head of centre
// opens the page.
//   - Base: N operations of the demonstration centre spread over the last 12 months. Each case file
//     carries five: its reception, registration, processing (with its amount), the office head's
//     self-check (a timeline event; 1 in 12 sent back first, a sixth operation) and its transfer to the
//     paying centre (1 in 40 is returned to its unit instead). Written straight into the tables in
//     20,000-file transactions (the base is the setting, not what is measured), then ANALYZE.
//   - The steering job's first run (rebuilds 13 months of daily rows from the base), then a run of
//     the ordinary ten-minute job (rewrites yesterday and today): times for information.
//   - The dashboard page's API: GET /api/steering/centres/:id/dashboard over loopback HTTP with the
//     head of centre's session, 20 requests after 3 warm-ups: median and max. Target ≤ 500 ms.
//     Also, for information, GET /api/tasks and the CSV export.
// No peer (nothing else computes this dashboard). BELOW never fails.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { openPlatform } from '../src/platform.ts';
import { buildServer } from '../src/http/server.ts';
import { createSignInLink } from '../src/app/access/sessions.ts';
import { systemActor, type AppContext } from '../src/app/context.ts';
import { loadDemoData } from '../src/app/demo/directory.ts';
import { loadCentre } from '../src/app/backoffice/access.ts';
import { emptyFile } from '../src/app/backoffice/intake.ts';
import { rebuildDays, refreshSteering } from '../src/app/steering/aggregate.ts';
import { loadDemoSteering } from '../src/app/demo/steering.ts';
import type { Config } from '../src/config.ts';
import type { Store } from '../src/store/database.ts';
import type { CaseFileTable } from '../src/store/schema.ts';
import { caseFileNumber } from '../src/domain/case-file.ts';
import { createDatabase, startPgCluster, type PgCluster } from '../scripts/lib/pg-cluster.js';
import { boundRun, fmtInt, intOption, verdict } from './lib/bounds.ts';
import { prng } from '../src/domain/prng.ts';

const USAGE =
  'Usage: npm run bench -- dashboard [--operations N] [--full] [--pg] [--no-sqlite] [--timeout-s S] [--keep]';
const TARGET_MS = 500;
const FULL = 10_000_000;
const DAY = 86_400_000;
const OPS_PER_FILE = 5;

function parseArgs(argv: string[]) {
  const opts = { operations: 500_000, sqlite: true, pg: false, timeoutS: 1800, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (min: number, max: number): number => intOption(argv, ++i, String(a), min, max, USAGE);
    if (a === '--operations') opts.operations = num(10_000, 50_000_000);
    else if (a === '--full') {
      opts.operations = FULL;
      opts.timeoutS = Math.max(opts.timeoutS, 3 * 3600);
    } else if (a === '--timeout-s') opts.timeoutS = num(10, 6 * 3600);
    else if (a === '--pg') opts.pg = true;
    else if (a === '--no-sqlite') opts.sqlite = false;
    else if (a === '--keep') opts.keep = true;
    else {
      console.error(`Unknown argument ${a}.\n${USAGE}`);
      process.exit(2);
    }
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const work = mkdtempSync(join(tmpdir(), 'cartes-bench-dashboard-'));
let cluster: PgCluster | null = null;
const deadline = boundRun({ work, keep: opts.keep, timeoutS: opts.timeoutS });

/** The base: files over the last 12 months carrying `operations` recorded operations in all. */
async function fillBase(ctx: AppContext, operations: number): Promise<{ seconds: number; files: number; ops: number }> {
  const db = ctx.store.db;
  const centre = await loadCentre(
    db,
    (await db.selectFrom('organizations').select('id').where('code', '=', 'CAMID').executeTakeFirstOrThrow()).id,
  );
  const units = (
    await db
      .selectFrom('organizations')
      .select('id')
      .where('code', 'in', ['FREMM-AQUITAINE', 'ECOLE-NAVALE', 'BAN-LANDIVISIAU', 'GFM-BREST', 'BN-BREST'])
      .execute()
  ).map((u) => u.id);
  const office = (code: string) => centre.offices.find((o) => o.code === code)!.id;
  const kinds: [string, string][] = [
    ['fd_mission', office('BT1')],
    ['fd_stage', office('BT1')],
    ['fd_mutation', office('BT2')],
  ];
  const rand = prng(4242);
  const now = Date.now();
  const t0 = performance.now();
  const perYear = new Map<number, number>();
  const BATCH = 20_000;
  let ops = 0;
  let files = 0;
  while (ops < operations) {
    const rows: CaseFileTable[] = [];
    const events: {
      case_file_id: string;
      at: string;
      type: string;
      actor_id: null;
      office_id: string;
      data: string;
    }[] = [];
    for (let i = 0; i < BATCH && ops < operations; i++) {
      const received = now - 2 * DAY - Math.floor(rand() * 360 * DAY);
      const year = new Date(received).getUTCFullYear();
      const seq = (perYear.get(year) ?? 0) + 1;
      perYear.set(year, seq);
      const [kind, officeId] = kinds[Math.floor(rand() * kinds.length)]!;
      const at = (ms: number) => new Date(Math.min(ms, now)).toISOString();
      const id = ctx.newId();
      const returned = rand() < 0.025;
      const processed = received + (2 + Math.floor(rand() * 20)) * DAY;
      const refused = !returned && rand() < 1 / 12;
      rows.push({
        ...emptyFile(),
        id,
        number: caseFileNumber(year, seq),
        kind_code: kind,
        family: 'unit',
        centre_id: centre.id,
        office_id: returned ? null : officeId,
        sending_organization_id: units[Math.floor(rand() * units.length)]!,
        person_name: `Administré ${files}`,
        status: returned ? 'returned' : 'transferred',
        priority: 'normal',
        received_at: at(received),
        registered_at: at(received + 3_600_000),
        processed_at: returned ? null : at(processed),
        processed_office_id: returned ? null : officeId,
        amount_cents: returned ? null : 8000 + Math.floor(rand() * 300_000),
        self_checked_at: returned ? null : at(processed + DAY),
        transferred_at: returned ? null : at(processed + 2 * DAY),
        returned_at: returned ? at(received + 7_200_000) : null,
        status_changed_at: at(received),
        created_at: at(received),
        updated_at: at(received),
      });
      files++;
      if (returned) {
        ops += 3; // reception, registration, return
        continue;
      }
      if (refused) {
        events.push({
          case_file_id: id,
          at: at(processed + DAY / 2),
          type: 'self_check_refused',
          actor_id: null,
          office_id: officeId,
          data: '{}',
        });
        ops++;
      }
      events.push({
        case_file_id: id,
        at: at(processed + DAY),
        type: 'self_check',
        actor_id: null,
        office_id: officeId,
        data: '{}',
      });
      ops += OPS_PER_FILE;
    }
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += 500)
        await trx
          .insertInto('case_files')
          .values(rows.slice(i, i + 500))
          .execute();
      for (let i = 0; i < events.length; i += 1000)
        await trx
          .insertInto('case_file_events')
          .values(events.slice(i, i + 1000))
          .execute();
    });
    process.stdout.write(`\r  base: ${fmtInt(ops)} / ${fmtInt(operations)} operations (${fmtInt(files)} files)`);
  }
  for (const [year, n] of perYear)
    await db
      .insertInto('number_counters')
      .values({ name: `case_file:${year}`, value: n })
      .onConflict((oc) => oc.column('name').doUpdateSet({ value: n }))
      .execute();
  await sql`analyze`.execute(db);
  process.stdout.write('\n');
  return { seconds: (performance.now() - t0) / 1000, files, ops };
}

interface Result {
  dialect: string;
  ops: number;
  files: number;
  baseSeconds: number;
  rebuildSeconds: number;
  jobMs: number;
  dailyRows: number;
  medianMs: number;
  maxMs: number;
  tasksMedianMs: number;
  csvMedianMs: number;
  registered12: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(dialect: string, store: Store, ctx: AppContext, config: Config): Promise<Result> {
  console.log(`\n[${dialect}] loading the demonstration centre…`);
  await loadDemoData(ctx);
  const base = await fillBase(ctx, opts.operations);
  console.log(`  base: ${fmtInt(base.ops)} operations on ${fmtInt(base.files)} files in ${base.seconds.toFixed(1)} s`);
  // The demo's monthly figures and thresholds; its steering pass is the job's first run (13 months).
  const t0 = performance.now();
  await loadDemoSteering(ctx);
  const rebuildSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  await refreshSteering(ctx);
  const jobMs = performance.now() - t1;
  const today = new Date().toISOString().slice(0, 10);
  await rebuildDays(ctx, today, today);
  const dailyRows = Number(
    (
      await store.db
        .selectFrom('steering_daily')
        .select(sql<number>`count(*)`.as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
  console.log(
    `  steering job: first run ${rebuildSeconds.toFixed(1)} s (13 months), ten-minute run ${jobMs.toFixed(0)} ms; ${fmtInt(dailyRows)} daily rows`,
  );

  const app = await buildServer(ctx, config, { logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const address = app.server.address();
    if (!address || typeof address !== 'object') throw new Error('server address unknown');
    const baseUrl = `http://127.0.0.1:${address.port}`;
    const { token } = await createSignInLink(ctx, systemActor('bench'), 'prigent.y.camid');
    const signIn = await fetch(`${baseUrl}/api/auth/link`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    if (signIn.status !== 200) throw new Error(`sign-in: ${signIn.status} ${await signIn.text()}`);
    const cookie = signIn.headers
      .getSetCookie()
      .find((c) => c.startsWith('cartes_session='))!
      .split(';')[0]!;
    const centreId = (
      await store.db.selectFrom('organizations').select('id').where('code', '=', 'CAMID').executeTakeFirstOrThrow()
    ).id;
    const timed = async (path: string, runs: number) => {
      const times: number[] = [];
      let body = '';
      for (let i = 0; i < runs + 3; i++) {
        const t = performance.now();
        const r = await fetch(baseUrl + path, { headers: { cookie } });
        body = await r.text();
        if (r.status !== 200) throw new Error(`${path}: ${r.status} ${body.slice(0, 300)}`);
        if (i >= 3) times.push(performance.now() - t);
      }
      return { times, body };
    };
    const dash = await timed(`/api/steering/centres/${centreId}/dashboard`, 20);
    const d = JSON.parse(dash.body) as { months: { activity: { registered: number } }[] };
    const registered12 = d.months.reduce((a, m) => a + m.activity.registered, 0);
    const tasks = await timed('/api/tasks', 10);
    const csv = await timed(`/api/steering/centres/${centreId}/dashboard?format=csv`, 5);
    return {
      dialect,
      ops: base.ops,
      files: base.files,
      baseSeconds: base.seconds,
      rebuildSeconds,
      jobMs,
      dailyRows,
      medianMs: median(dash.times),
      maxMs: Math.max(...dash.times),
      tasksMedianMs: median(tasks.times),
      csvMedianMs: median(csv.times),
      registered12,
    };
  } finally {
    await app.close();
  }
}

const results: Result[] = [];
try {
  if (opts.sqlite) {
    const { store, ctx, config } = await openPlatform({ data: join(work, 'sqlite') }, {});
    try {
      results.push(await measure('SQLite', store, ctx, config));
    } finally {
      await store.close();
    }
  }
  if (opts.pg) {
    const base = process.env['CARTES_BENCH_PG_URL'] ?? (cluster = await startPgCluster({ log: () => {} })).url;
    const url = await createDatabase(base, `bench_dashboard_${process.pid}`);
    const { store, ctx, config } = await openPlatform({ data: join(work, 'pg'), db: url }, {});
    try {
      results.push(await measure('PostgreSQL', store, ctx, config));
    } finally {
      await store.close();
    }
  }
} finally {
  await cluster?.stop();
}
clearTimeout(deadline);

console.log('\n=== dashboard: the centre’s 12 rolling months over the recorded operations ===');
for (const r of results) {
  console.log(
    `\n[${r.dialect}] ${fmtInt(r.ops)} operations on ${fmtInt(r.files)} files (written in ${r.baseSeconds.toFixed(1)} s); ${fmtInt(r.registered12)} files registered over the 12 months shown`,
  );
  console.log(
    `  steering job: first run ${r.rebuildSeconds.toFixed(1)} s, ten-minute run ${r.jobMs.toFixed(0)} ms, ${fmtInt(r.dailyRows)} daily rows (information)`,
  );
  console.log(
    `  GET dashboard over HTTP: median ${r.medianMs.toFixed(1)} ms, max ${r.maxMs.toFixed(1)} ms over 20 — target ≤ ${TARGET_MS} ms: ${verdict(r.medianMs <= TARGET_MS)} (ratio ${(r.medianMs / TARGET_MS).toFixed(3)}); peer: none`,
  );
  console.log(
    `  GET /api/tasks: median ${r.tasksMedianMs.toFixed(1)} ms; CSV export: median ${r.csvMedianMs.toFixed(1)} ms (information)`,
  );
}
