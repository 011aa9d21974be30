// The 30-day ageing report at a million files (seed 003 §2.4, QUALITY.md `dossiers`): its read of the
// case files is answered by the partial covering index case_files_ageing alone, on both databases
// (SQLite: COVERING INDEX; PostgreSQL: Index Only Scan), and no other query of the report scans a table.
// Over the demonstration year (a few thousand files, some older than 30 days).
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { CompiledQuery, createQueryId, sql, type KyselyPlugin, type RootOperationNode } from 'kysely';
import { computeAgeing } from '../../src/app/backoffice/ageing.ts';
import { loadCentre } from '../../src/app/backoffice/access.ts';
import { checkForm, checkPiece, intakeSlip, registerFile, registerSlip } from '../../src/app/backoffice/intake.ts';
import { kindMap } from '../../src/app/backoffice/kinds.ts';
import { loadDemoActivity } from '../../src/app/demo/backoffice.ts';
import { actorFor, forEachDatabase, openTestPlatform, orgId, type TestPlatform } from '../support/platform.ts';

forEachDatabase('back-office query plans', (dialect) => {
  let p: TestPlatform;

  before(async () => {
    p = await openTestPlatform(dialect);
    await loadDemoActivity(p.ctx);
  });
  after(async () => {
    await p?.close();
  });

  /** The plan lines of a query as the database would run it. */
  async function plan(node: RootOperationNode): Promise<{ sql: string; lines: string[] }> {
    const q = p.store.db.getExecutor().compileQuery(node, createQueryId());
    if (p.dialect === 'sqlite') {
      const r = await p.store.db.executeQuery<{ detail: string }>(
        CompiledQuery.raw(`explain query plan ${q.sql}`, [...q.parameters]),
      );
      return { sql: q.sql, lines: r.rows.map((x) => x.detail) };
    }
    return p.store.db.transaction().execute(async (trx) => {
      // What an index can answer, not what the planner prefers on a demonstration-sized table.
      await sql`set local enable_seqscan = off`.execute(trx);
      await sql`set local enable_bitmapscan = off`.execute(trx);
      const r = await trx.executeQuery<{ 'QUERY PLAN': string }>(
        CompiledQuery.raw(`explain ${q.sql}`, [...q.parameters]),
      );
      return { sql: q.sql, lines: r.rows.map((x) => x['QUERY PLAN']) };
    });
  }

  it('the ageing report reads the files from the covering index alone, and scans no table', async () => {
    // The visibility map is what lets PostgreSQL skip the table (autovacuum keeps it in service).
    if (dialect === 'postgres') await sql`vacuum analyze case_files`.execute(p.store.db);
    const nodes: RootOperationNode[] = [];
    const plugin: KyselyPlugin = {
      transformQuery: (args) => {
        nodes.push(args.node);
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const centre = await loadCentre(p.store.db, await orgId(p.ctx, 'CAMID'));
    const report = await computeAgeing(p.store.db.withPlugin(plugin), centre, 30, new Date().toISOString());
    assert.ok(report.total > 0, 'the demonstration has files older than 30 days');
    const plans = await Promise.all(nodes.map(plan));
    const files = plans.filter((x) => /from "case_files"/.test(x.sql));
    assert.equal(files.length, 1, 'one read of the case files');
    const expected =
      dialect === 'sqlite' ? /USING COVERING INDEX case_files_ageing\b/ : /Index Only Scan using case_files_ageing\b/;
    assert.ok(
      files[0]!.lines.some((l) => expected.test(l)),
      files[0]!.lines.join('\n'),
    );
    // The labels: the kinds (a handful) and the sending units by primary key; nothing else is scanned.
    for (const x of plans) {
      const scans = x.lines.filter((l) =>
        dialect === 'sqlite'
          ? /^SCAN (?!case_file_kinds\b)/.test(l) && !/USING (COVERING )?INDEX/.test(l)
          : /Seq Scan on (?!case_file_kinds\b)/.test(l),
      );
      assert.deepEqual(scans, [], x.sql);
    }
  });

  it('the desk’s clicks and the slip intake read no big table in full', async () => {
    const BIG = [
      'case_files',
      'case_file_pieces',
      'case_file_checks',
      'case_file_events',
      'audit_log',
      'organizations',
    ];
    const nodes: RootOperationNode[] = [];
    const plugin: KyselyPlugin = {
      transformQuery: (args) => {
        nodes.push(args.node);
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const ctx = { ...p.ctx, store: { ...p.ctx.store, db: p.store.db.withPlugin(plugin) } };
    const liaison = await actorFor(p.ctx, 'morvan.g.camid');
    const kinds = await kindMap(p.store.db);
    const mission = kinds.get('fd_mission')!;
    const slip = await registerSlip(ctx, liaison, {
      centreId: await orgId(p.ctx, 'CAMID'),
      sendingOrganizationId: await orgId(p.ctx, 'ECOLE-NAVALE'),
      unitReference: 'PLAN/1',
      slipDate: p.ctx.now().toISOString().slice(0, 10),
      files: [0, 1].map((i) => ({
        kind: 'fd_mission',
        personName: `Plan ${i}`,
        pieces: mission.pieces.map((x) => x.code),
      })),
    });
    const one = slip.files[0]!;
    const two = slip.files[1]!;
    for (const x of mission.pieces) await checkPiece(ctx, liaison, one.id, x.code, { present: true });
    for (const c of mission.checks) await checkForm(ctx, liaison, one.id, c.code, { ok: true });
    await registerFile(ctx, liaison, one.id);
    await intakeSlip(ctx, liaison, slip.id, {
      files: [
        {
          fileId: two.id,
          pieces: Object.fromEntries(mission.pieces.map((x) => [x.code, true])),
          checks: Object.fromEntries(mission.checks.map((c) => [c.code, { ok: true }])),
          register: true,
        },
      ],
    });
    const scans: string[] = [];
    let planned = 0;
    for (const node of nodes) {
      const x = await plan(node);
      if (!/^\s*(with|select)\b/i.test(x.sql)) continue;
      planned++;
      const names = new Set(BIG);
      for (const m of x.sql.matchAll(/"(\w+)" as "(\w+)"/g)) if (BIG.includes(m[1]!)) names.add(m[2]!);
      for (const l of x.lines) {
        const sqlite = /^SCAN (\w+)(.*)$/.exec(l);
        const pg = /Seq Scan on (\w+)/.exec(l);
        if (sqlite && names.has(sqlite[1]!) && !/USING (COVERING )?INDEX/.test(sqlite[2]!))
          scans.push(`${l} in: ${x.sql}`);
        if (pg && BIG.includes(pg[1]!)) scans.push(`${l.trim()} in: ${x.sql}`);
      }
    }
    assert.ok(planned > 20, `${planned} reads planned`);
    assert.deepEqual(scans, []);
  });
});
