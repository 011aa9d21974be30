// `npm run bench -- dossiers [--files N] [--intake N] [--pg] [--no-sqlite] [--timeout-s S] [--keep]`
//
// Back office benchmark (QUALITY.md, `dossiers`): the processing centre's intake and its 30-day
// ageing report over 1,000,000 case files.
//   - Base: N case files (default 1,000,000) of the demonstration centre spread over two years, as
//     the desk leaves them: most archived, some returned, the others open in every status, some for
//     more than 30 days. Written straight into the table in 20,000-row transactions (the base is the
//     setting, not what is measured), then ANALYZE.
//   - Intake: the liaison office's desk path through the real workflows, on top of that base:
//     register a slip of 25 files (registerSlip), then check and register them all at once
//     (intakeSlip: pieces present, form checks conform, registration, routing), each with its audit
//     records, timeline and pieces. Files/s over --intake files (default 20,000). Then, for
//     information, the one-click-at-a-time path (each piece, each check, registration) on 200 files.
//   - Ageing report: the files registered more than 30 days ago and not archived, per processing
//     office, exactly as the API and the CLI compute it (computeAgeing): median of 7 runs. Peer: the
//     same rows read by one bare SQL statement (the storage floor), median of 7 runs, and the ratio.
// Intake has no peer (no other tool registers slips); targets: report ≤ 1 s, intake ≥ 1,000 files/s.
// BELOW never fails.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { openPlatform } from '../src/platform.ts';
import { loadDemoData } from '../src/app/demo/directory.ts';
import { loadCentre } from '../src/app/backoffice/access.ts';
import { computeAgeing } from '../src/app/backoffice/ageing.ts';
import { checkForm, checkPiece, intakeSlip, registerFile, registerSlip } from '../src/app/backoffice/intake.ts';
import { emptyFile } from '../src/app/backoffice/intake.ts';
import { kindMap } from '../src/app/backoffice/kinds.ts';
import { personActor } from '../src/app/access/sessions.ts';
import type { AppContext } from '../src/app/context.ts';
import type { Store } from '../src/store/database.ts';
import type { CaseFileTable } from '../src/store/schema.ts';
import { ageingCutoff, caseFileNumber } from '../src/domain/case-file.ts';
import { createDatabase, startPgCluster, type PgCluster } from '../scripts/lib/pg-cluster.js';
import { boundRun, fmtInt, intOption } from './lib/bounds.ts';
import { prng } from '../src/domain/prng.ts';

const USAGE = 'Usage: npm run bench -- dossiers [--files N] [--intake N] [--pg] [--no-sqlite] [--timeout-s S] [--keep]';
const TARGET_REPORT_MS = 1000;
const TARGET_INTAKE_FILES_S = 1000;
const SLIP_FILES = 25;
const DAY = 86_400_000;

function parseArgs(argv: string[]) {
  const opts = { files: 1_000_000, intake: 20_000, sqlite: true, pg: false, timeoutS: 3600, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (min: number, max: number): number => intOption(argv, ++i, String(a), min, max, USAGE);
    if (a === '--files') opts.files = num(1000, 20_000_000);
    else if (a === '--intake') opts.intake = num(SLIP_FILES, 1_000_000);
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
        id: ctx.newId(),
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
  await sql`analyze`.execute(db);
  process.stdout.write('\n');
  return { seconds: (performance.now() - t0) / 1000, open };
}

interface Result {
  dialect: string;
  baseSeconds: number;
  baseFiles: number;
  intakeFilesS: number;
  intakeFiles: number;
  clickFilesS: number;
  reportMedianMs: number;
  reportMinMs: number;
  reportFiles: number;
  reportOffices: string;
  peerMedianMs: number;
}

async function measure(dialect: string, store: Store, ctx: AppContext): Promise<Result> {
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
  const pieces = Object.fromEntries(mission.pieces.map((p) => [p.code, true]));
  const checks = Object.fromEntries(mission.checks.map((c) => [c.code, { ok: true }]));
  const today = new Date().toISOString().slice(0, 10);

  // Intake, the desk's slip path.
  const slips = Math.floor(opts.intake / SLIP_FILES);
  const t0 = performance.now();
  for (let s = 0; s < slips; s++) {
    const slip = await registerSlip(ctx, liaison, {
      centreId,
      sendingOrganizationId: senderId,
      unitReference: `BENCH/${s}`,
      slipDate: today,
      files: Array.from({ length: SLIP_FILES }, (_, i) => ({
        kind: 'fd_mission',
        personName: `Stagiaire ${s}-${i}`,
        pieces: mission.pieces.map((p) => p.code),
      })),
    });
    const r = await intakeSlip(ctx, liaison, slip.id, {
      files: slip.files.map((f) => ({ fileId: f.id, pieces, checks, register: true })),
    });
    if (r.registered.length !== SLIP_FILES) throw new Error(`slip ${slip.number}: ${r.registered.length} registered`);
    if (s % 20 === 19) process.stdout.write(`\r  intake: ${fmtInt((s + 1) * SLIP_FILES)} files`);
  }
  const intakeS = (performance.now() - t0) / 1000;
  process.stdout.write('\n');
  const intakeFiles = slips * SLIP_FILES;
  const routed = await db
    .selectFrom('case_files')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('unit_reference', 'is', null)
    .where('person_name', 'like', 'Stagiaire %')
    .where('status', '=', 'routed')
    .executeTakeFirstOrThrow();
  if (Number(routed.n) !== intakeFiles) throw new Error(`intake: ${routed.n} routed, ${intakeFiles} expected`);

  // The one-click-at-a-time path, for information.
  const CLICK_FILES = 200;
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
  // Peer: the same rows read by one bare SQL statement (same joins and filters, no shaping, no grouping):
  // the storage floor under the report.
  const cutoff = ageingCutoff(asOf, 30);
  const peer: number[] = [];
  let peerRows = 0;
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    const r = await sql<{ id: string }>`
      select f.id, f.number, f.kind_code, k.label, f.person_name, s.name, f.registered_at, f.status, f.priority,
             f.due_on, f.office_id
      from case_files f
      join case_file_kinds k on k.code = f.kind_code
      join organizations s on s.id = f.sending_organization_id
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
    intakeFilesS: intakeFiles / intakeS,
    intakeFiles,
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
    const { store, ctx } = await openPlatform({ data: join(work, 'sqlite') }, {});
    try {
      results.push(await measure('SQLite', store, ctx));
    } finally {
      await store.close();
    }
  }
  if (opts.pg) {
    const base = process.env['CARTES_BENCH_PG_URL'] ?? (cluster = await startPgCluster({ log: () => {} })).url;
    const url = await createDatabase(base, `bench_dossiers_${process.pid}`);
    const { store, ctx } = await openPlatform({ data: join(work, 'pg'), db: url }, {});
    try {
      results.push(await measure('PostgreSQL', store, ctx));
    } finally {
      await store.close();
    }
  }
} finally {
  await cluster?.stop();
}
clearTimeout(deadline);

console.log('\n=== dossiers: intake and 30-day ageing report over the base ===');
for (const r of results) {
  const pass = (ok: boolean) => (ok ? 'PASS' : 'BELOW');
  console.log(`\n[${r.dialect}] base ${fmtInt(r.baseFiles)} files (written in ${r.baseSeconds.toFixed(1)} s)`);
  console.log(
    `  intake (slip of ${SLIP_FILES}, checks, registration, routing): ${fmtInt(r.intakeFilesS)} files/s over ${fmtInt(r.intakeFiles)} files — target ≥ ${fmtInt(TARGET_INTAKE_FILES_S)} files/s: ${pass(r.intakeFilesS >= TARGET_INTAKE_FILES_S)} (ratio ${(r.intakeFilesS / TARGET_INTAKE_FILES_S).toFixed(2)})`,
  );
  console.log(
    `  intake one click at a time (each piece, each check, registration): ${fmtInt(r.clickFilesS)} files/s (information)`,
  );
  console.log(
    `  ageing report (> 30 days, not archived): median ${r.reportMedianMs.toFixed(0)} ms, min ${r.reportMinMs.toFixed(0)} ms, ${fmtInt(r.reportFiles)} files listed (${r.reportOffices}) — target ≤ ${TARGET_REPORT_MS} ms: ${pass(r.reportMedianMs <= TARGET_REPORT_MS)} (ratio ${(r.reportMedianMs / TARGET_REPORT_MS).toFixed(2)})`,
  );
  console.log(
    `  peer: the same rows by one bare SQL statement: median ${r.peerMedianMs.toFixed(0)} ms — report / peer ${(r.reportMedianMs / r.peerMedianMs).toFixed(2)}`,
  );
}
