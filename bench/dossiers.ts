// `npm run bench -- dossiers [--files N] [--intake N] [--desks N] [--pg] [--no-sqlite] [--timeout-s S] [--keep]`
//
// Back office benchmark (QUALITY.md, `dossiers`): the processing centre's intake and its 30-day
// ageing report over a base of case files (full size: --files 1000000).
//   - Base: N case files (default 200,000; 1,000,000 for the target) of the demonstration centre spread
//     over two years, as the desk leaves them: most archived, some returned, the others open in every
//     status, some for more than 30 days. Written straight into the table in 20,000-row transactions
//     (the base is the setting, not what is measured), then ANALYZE (PostgreSQL: VACUUM ANALYZE, what
//     autovacuum does after a bulk load).
//   - Intake, the production path: the liaison office's desks over HTTP, as the portal drives them
//     (a real server on loopback, each desk signed in as a liaison agent of the centre): POST
//     /api/backoffice/slips (a slip of 25 files), then POST /api/backoffice/slips/:id/intake (pieces
//     present, form checks conform, registration, routing), each with its audit records, timeline and
//     pieces. --desks desks at once (default 2: the demonstration centre's two liaison agents), run in a
//     worker thread (bench/lib/dossiers-desks.ts) so that the clients' work is not on the server's event loop.
//     Files/s over --intake files (default 5,000). Then the component figure, labelled: the same two
//     workflows called in-process (registerSlip, intakeSlip), no HTTP. Then, for information, the
//     one-click-at-a-time path (each piece, each check, registration) on 100 files, in-process.
//   - Ageing report: the files registered more than 30 days ago and not archived, per processing
//     office, exactly as the API and the CLI compute it (computeAgeing): median of 7 runs. Peer: the
//     same rows read by one bare SQL statement (the storage floor), median of 7 runs, and the ratio.
// Intake has no peer (no other tool registers slips); targets: report ≤ 1 s, intake ≥ 1,000 files/s.
// The server is built with a per-person rate limit above the run's pace (a deployment sets it with
// CARTES_RATE_LIMIT; the default, 1,200 requests a minute, is for people at a screen). BELOW never fails.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { sql } from 'kysely';
import { openPlatform } from '../src/platform.ts';
import type { Config } from '../src/config.ts';
import { loadDemoData } from '../src/app/demo/directory.ts';
import { loadCentre } from '../src/app/backoffice/access.ts';
import { computeAgeing } from '../src/app/backoffice/ageing.ts';
import { checkForm, checkPiece, intakeSlip, registerFile, registerSlip } from '../src/app/backoffice/intake.ts';
import { emptyFile } from '../src/app/backoffice/intake.ts';
import { timeOrderedId } from '../src/app/ids.ts';
import { kindMap } from '../src/app/backoffice/kinds.ts';
import { createSignInLink, personActor } from '../src/app/access/sessions.ts';
import { systemActor } from '../src/app/context.ts';
import { buildServer } from '../src/http/server.ts';
import type { Actor, AppContext } from '../src/app/context.ts';
import type { Store } from '../src/store/database.ts';
import type { CaseFileTable } from '../src/store/schema.ts';
import { ageingCutoff, caseFileNumber } from '../src/domain/case-file.ts';
import { createDatabase, startPgCluster, type PgCluster } from '../scripts/lib/pg-cluster.js';
import { boundRun, fmtInt, intOption } from './lib/bounds.ts';
import { prng } from '../src/domain/prng.ts';
import {
  intakeBody,
  SLIP_FILES,
  slipBody,
  type DesksJob,
  type SlipSetting as SlipFiles,
} from './lib/dossiers-desks.ts';

const USAGE =
  'Usage: npm run bench -- dossiers [--files N] [--intake N] [--desks N] [--pg] [--no-sqlite] [--timeout-s S] [--keep]';
const TARGET_REPORT_MS = 1000;
const TARGET_INTAKE_FILES_S = 1000;
const DAY = 86_400_000;

function parseArgs(argv: string[]) {
  const opts = { files: 200_000, intake: 5_000, desks: 2, sqlite: true, pg: false, timeoutS: 3600, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (min: number, max: number): number => intOption(argv, ++i, String(a), min, max, USAGE);
    if (a === '--files') opts.files = num(1000, 20_000_000);
    else if (a === '--intake') opts.intake = num(SLIP_FILES, 1_000_000);
    else if (a === '--desks') opts.desks = num(1, 16);
    else if (a === '--timeout-s') opts.timeoutS = num(10, 6 * 3600);
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
const work = mkdtempSync(join(tmpdir(), 'cartes-bench-dossiers-'));
let cluster: PgCluster | null = null;
const deadline = boundRun({ work, keep: opts.keep, timeoutS: opts.timeoutS });

const person = personActor;

const OPEN = ['routed', 'in_progress', 'deferred', 'processed', 'checked', 'transferred'] as const;

/** The base: `count` files over two years, in 20,000-row transactions. */
async function fillBase(ctx: AppContext, count: number): Promise<{ seconds: number; open: number }> {
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
    ['card_order', office('BC')],
  ];
  const liaison = office('BL');
  const rand = prng(789);
  const now = Date.now();
  const t0 = performance.now();
  let open = 0;
  const perYear = new Map<number, number>();
  const BATCH = 20_000;
  for (let done = 0; done < count;) {
    const n = Math.min(BATCH, count - done);
    const rows: CaseFileTable[] = [];
    for (let i = 0; i < n; i++) {
      const received = now - Math.floor(rand() * 730 * DAY);
      const year = new Date(received).getUTCFullYear();
      const seq = (perYear.get(year) ?? 0) + 1;
      perYear.set(year, seq);
      const [kind, officeId] = kinds[Math.floor(rand() * kinds.length)]!;
      const age = (now - received) / DAY;
      const r = rand();
      const returned = r < 0.015;
      const stillOpen = !returned && (age < 60 ? r < 0.45 : r < 0.02);
      const status = returned ? 'returned' : stillOpen ? OPEN[Math.floor(rand() * OPEN.length)]! : 'archived';
      if (stillOpen) open++;
      const at = (ms: number) => new Date(ms).toISOString();
      const registered = returned ? null : at(received + 3_600_000);
      rows.push({
        ...emptyFile(),
        // As the desk writes them (registerSlip): time-ordered ids, here of the day the file arrived.
        id: timeOrderedId(received),
        number: caseFileNumber(year, seq),
        kind_code: kind,
        family: kind.startsWith('card') ? 'card' : 'unit',
        centre_id: centre.id,
        office_id: status === 'archived' ? liaison : returned ? null : officeId,
        sending_organization_id: units[Math.floor(rand() * units.length)]!,
        person_name: `Administré ${done + i}`,
        person_identifier: String(1_000_000_000 + done + i),
        status,
        priority: stillOpen && rand() < 0.05 ? 'absolute' : 'normal',
        received_at: at(received),
        registered_at: registered,
        routed_at: registered,
        due_on: registered ? at(received + 30 * DAY).slice(0, 10) : null,
        processed_at:
          status === 'archived' || status === 'processed' || status === 'checked' || status === 'transferred'
            ? at(received + 10 * DAY)
            : null,
        processed_office_id: status === 'archived' ? officeId : null,
        amount_cents: kind.startsWith('card') || returned ? null : 8000 + Math.floor(rand() * 300_000),
        archived_at: status === 'archived' ? at(received + 20 * DAY) : null,
        returned_at: returned ? at(received + 7_200_000) : null,
        status_changed_at: at(received),
        created_at: at(received),
        updated_at: at(received),
      });
    }
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += 500)
        await trx
          .insertInto('case_files')
          .values(rows.slice(i, i + 500))
          .execute();
    });
    done += n;
    process.stdout.write(`\r  base: ${fmtInt(done)} / ${fmtInt(count)} files`);
  }
  for (const [year, n] of perYear)
    await db
      .insertInto('number_counters')
      .values({ name: `case_file:${year}`, value: n })
      .onConflict((oc) => oc.column('name').doUpdateSet({ value: n }))
      .execute();
  await sql`${sql.raw(ctx.store.dialect === 'postgres' ? 'vacuum analyze' : 'analyze')}`.execute(db);
  process.stdout.write('\n');
  return { seconds: (performance.now() - t0) / 1000, open };
}

interface Result {
  dialect: string;
  baseSeconds: number;
  baseFiles: number;
  httpFilesS: number;
  httpFiles: number;
  componentFilesS: number;
  componentFiles: number;
  clickFilesS: number;
  reportMedianMs: number;
  reportMinMs: number;
  reportFiles: number;
  reportOffices: string;
  peerMedianMs: number;
}

/** The production path: `desks` liaison desks at once, in a worker thread, over HTTP to a server on loopback. */
async function intakeOverHttp(
  ctx: AppContext,
  config: Config,
  setting: SlipFiles,
  slips: number,
  desks: number,
): Promise<number> {
  const app = await buildServer(ctx, config, { logger: false, rateLimitPerMinute: 1_000_000 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const agents = ['morvan.g.camid', 'guillou.r.camid'];
    const tokens: string[] = [];
    for (let d = 0; d < desks; d++)
      tokens.push((await createSignInLink(ctx, systemActor('bench'), agents[d % agents.length]!)).token);
    const job: DesksJob = {
      baseUrl: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`,
      tokens,
      setting,
      slips,
    };
    const worker = new Worker(new URL('./lib/dossiers-desks.ts', import.meta.url), { workerData: job });
    try {
      const seconds = await new Promise<number>((resolve, reject) => {
        worker.on('message', (m: { progress?: number; seconds?: number; error?: string }) => {
          if (m.progress !== undefined) process.stdout.write(`\r  intake over HTTP: ${fmtInt(m.progress)} files`);
          else if (m.seconds !== undefined) resolve(m.seconds);
          else reject(new Error(m.error));
        });
        worker.on('error', reject);
        worker.on('exit', (code) => reject(new Error(`desks worker ended (${code})`)));
      });
      process.stdout.write('\n');
      return seconds;
    } finally {
      await worker.terminate();
    }
  } finally {
    await app.close();
  }
}

/** The component figure: the same two workflows called in-process, one desk, no HTTP. */
async function intakeInProcess(ctx: AppContext, s: SlipFiles, slips: number, liaison: Actor): Promise<number> {
  const t0 = performance.now();
  for (let n = 0; n < slips; n++) {
    const slip = await registerSlip(ctx, liaison, slipBody(s, `COMP/${n}`));
    const r = await intakeSlip(ctx, liaison, slip.id, intakeBody(s, slip.files));
    if (r.registered.length !== SLIP_FILES) throw new Error(`slip ${slip.number}: ${r.registered.length} registered`);
    if (n % 20 === 19) process.stdout.write(`\r  intake in-process: ${fmtInt((n + 1) * SLIP_FILES)} files`);
  }
  process.stdout.write('\n');
  return (performance.now() - t0) / 1000;
}

async function countRouted(db: Store['db'], prefix: string): Promise<number> {
  const r = await db
    .selectFrom('case_files')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('person_name', 'like', `${prefix}%`)
    .where('status', '=', 'routed')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

async function measure(dialect: string, store: Store, ctx: AppContext, config: Config): Promise<Result> {
  console.log(`\n[${dialect}] loading the demonstration centre…`);
  await loadDemoData(ctx);
  const base = await fillBase(ctx, opts.files);
  console.log(`  base: ${fmtInt(opts.files)} files in ${base.seconds.toFixed(1)} s (${fmtInt(base.open)} open)`);
  const db = store.db;
  const centreId = (
    await db.selectFrom('organizations').select('id').where('code', '=', 'CAMID').executeTakeFirstOrThrow()
  ).id;
  const senderId = (
    await db.selectFrom('organizations').select('id').where('code', '=', 'ECOLE-NAVALE').executeTakeFirstOrThrow()
  ).id;
  const liaison = await person(ctx, 'morvan.g.camid');
  const kinds = await kindMap(db);
  const mission = kinds.get('fd_mission')!;
  const today = new Date().toISOString().slice(0, 10);
  const setting: SlipFiles = { centreId, senderId, kind: mission, today };

  // Intake: the production path (HTTP), then the component figure (in-process).
  const slips = Math.max(1, Math.floor(opts.intake / SLIP_FILES));
  const httpS = await intakeOverHttp(ctx, config, setting, slips, opts.desks);
  const httpFiles = slips * SLIP_FILES;
  if ((await countRouted(db, 'Stagiaire HTTP/')) !== httpFiles) throw new Error('intake over HTTP: files not routed');
  const componentS = await intakeInProcess(ctx, setting, slips, liaison);
  if ((await countRouted(db, 'Stagiaire COMP/')) !== httpFiles) throw new Error('intake in-process: files not routed');

  // The one-click-at-a-time path, for information.
  const CLICK_FILES = 100;
  const slip = await registerSlip(ctx, liaison, {
    centreId,
    sendingOrganizationId: senderId,
    unitReference: 'BENCH/CLICKS',
    slipDate: today,
    files: Array.from({ length: CLICK_FILES }, (_, i) => ({
      kind: 'fd_mission',
      personName: `Clic ${i}`,
      pieces: mission.pieces.map((p) => p.code),
    })),
  });
  const t1 = performance.now();
  for (const f of slip.files) {
    for (const p of mission.pieces) await checkPiece(ctx, liaison, f.id, p.code, { present: true });
    for (const c of mission.checks) await checkForm(ctx, liaison, f.id, c.code, { ok: true });
    await registerFile(ctx, liaison, f.id);
  }
  const clickS = (performance.now() - t1) / 1000;

  // The ageing report.
  const centre = await loadCentre(db, centreId);
  const times: number[] = [];
  let files = 0;
  let offices = '';
  const asOf = new Date().toISOString();
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    const report = await computeAgeing(db, centre, 30, asOf);
    times.push(performance.now() - t);
    files = report.total;
    offices = report.offices.map((o) => `${o.code ?? 'BL'} ${fmtInt(o.count)}`).join(', ');
  }
  times.sort((a, b) => a - b);
  // Peer: the same rows read by one bare SQL statement (same filters and cut-off, the same columns, no
  // labels, no grouping, no sorting): the storage floor under the report.
  const cutoff = ageingCutoff(asOf, 30);
  const peer: number[] = [];
  let peerRows = 0;
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    const r = await sql<{ id: string }>`
      select f.id, f.number, f.kind_code, f.person_name, f.sending_organization_id, f.registered_at, f.status,
             f.priority, f.due_on, f.office_id
      from case_files f
      where f.centre_id = ${centreId} and f.archived_at is null and f.returned_at is null
        and f.registered_at is not null and f.registered_at < ${cutoff}`.execute(db);
    peer.push(performance.now() - t);
    peerRows = r.rows.length;
  }
  peer.sort((a, b) => a - b);
  if (peerRows !== files) throw new Error(`peer read ${peerRows} rows, the report ${files}`);
  return {
    peerMedianMs: peer[3]!,
    dialect,
    baseSeconds: base.seconds,
    baseFiles: opts.files,
    httpFilesS: httpFiles / httpS,
    httpFiles,
    componentFilesS: httpFiles / componentS,
    componentFiles: httpFiles,
    clickFilesS: CLICK_FILES / clickS,
    reportMedianMs: times[3]!,
    reportMinMs: times[0]!,
    reportFiles: files,
    reportOffices: offices,
  };
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
    const url = await createDatabase(base, `bench_dossiers_${process.pid}`);
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

const pass = (ok: boolean) => (ok ? 'PASS' : 'BELOW');
console.log('\n=== dossiers: intake and 30-day ageing report over the base ===');
for (const r of results) {
  console.log(`\n[${r.dialect}] base ${fmtInt(r.baseFiles)} files (written in ${r.baseSeconds.toFixed(1)} s)`);
  console.log(
    `  intake over HTTP (${opts.desks} liaison desk(s); slip of ${SLIP_FILES}, checks, registration, routing): ${fmtInt(r.httpFilesS)} files/s over ${fmtInt(r.httpFiles)} files — target ≥ ${fmtInt(TARGET_INTAKE_FILES_S)} files/s: ${pass(r.httpFilesS >= TARGET_INTAKE_FILES_S)} (ratio ${(r.httpFilesS / TARGET_INTAKE_FILES_S).toFixed(2)})`,
  );
  console.log(
    `  intake component (registerSlip + intakeSlip in-process, one desk, no HTTP): ${fmtInt(r.componentFilesS)} files/s over ${fmtInt(r.componentFiles)} files (information)`,
  );
  console.log(
    `  intake one click at a time, in-process (each piece, each check, registration): ${fmtInt(r.clickFilesS)} files/s (information)`,
  );
  console.log(
    `  ageing report (> 30 days, not archived): median ${r.reportMedianMs.toFixed(0)} ms, min ${r.reportMinMs.toFixed(0)} ms, ${fmtInt(r.reportFiles)} files listed (${r.reportOffices}) — target ≤ ${TARGET_REPORT_MS} ms: ${pass(r.reportMedianMs <= TARGET_REPORT_MS)} (ratio ${(r.reportMedianMs / TARGET_REPORT_MS).toFixed(2)})`,
  );
  console.log(
    `  peer: the same rows by one bare SQL statement: median ${r.peerMedianMs.toFixed(0)} ms — report / peer ${(r.reportMedianMs / r.peerMedianMs).toFixed(2)}`,
  );
}
