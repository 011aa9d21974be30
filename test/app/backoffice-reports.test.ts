// Reports of the processing centre (seed 003), on both databases over the demonstration year: the
// files registered more than 30 days ago and not archived, per processing office (JSON, CSV, PDF);
// the monthly pass recorded once and mailed to the head of centre; the head's analysis (annex III);
// the monthly statement of the delegating authorities' expenses.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { actorFor, forEachDatabase, openTestPlatform, orgId, type TestPlatform } from '../support/platform.ts';
import { fails } from '../support/errors.ts';
import { loadDemoActivity } from '../../src/app/demo/backoffice.ts';
import {
  ageingCsv,
  ageingPdf,
  ageingReport,
  getAgeingReport,
  listAgeingReports,
  monthlyAgeingPass,
  recordAgeingReport,
  recordAnalysis,
} from '../../src/app/backoffice/ageing.ts';
import { expenseCsv, expenseStatement } from '../../src/app/backoffice/expenses.ts';
import { listCaseFiles } from '../../src/app/backoffice/files.ts';
import type { AppContext } from '../../src/app/context.ts';

forEachDatabase('back-office reports', (dialect) => {
  let p: TestPlatform;
  let centreId: string;

  before(async () => {
    p = await openTestPlatform(dialect);
    const loaded = await loadDemoActivity(p.ctx);
    assert.ok(loaded.created > 2000, `a year of activity: ${loaded.created} files`);
    assert.deepEqual(await loadDemoActivity(p.ctx), { created: 0 }, 'loading twice changes nothing');
    centreId = await orgId(p.ctx, 'CAMID');
  });
  after(() => p?.close());

  it('lists per processing office the files registered over 30 days ago and not archived', async () => {
    const head = await actorFor(p.ctx, 'prigent.y.camid');
    const r = await ageingReport(p.ctx, head, { centreId });
    assert.equal(r.days, 30);
    assert.ok(r.total > 20, `old demo files: ${r.total}`);
    const cutoff = Date.parse(r.asOf) - 30 * 86_400_000;
    // The same population, counted independently in the database, per office.
    const rows = await p.store.db
      .selectFrom('case_files')
      .select(['office_id', 'registered_at', 'archived_at', 'returned_at'])
      .where('centre_id', '=', centreId)
      .execute();
    const expected = new Map<string | null, number>();
    for (const f of rows)
      if (f.registered_at && Date.parse(f.registered_at) < cutoff && !f.archived_at && !f.returned_at)
        expected.set(f.office_id, (expected.get(f.office_id) ?? 0) + 1);
    for (const o of r.offices) {
      assert.equal(o.count, expected.get(o.officeId) ?? 0, o.name);
      assert.equal(o.files.length, o.count);
      for (const f of o.files)
        assert.ok(
          f.ageDays > 30 || (f.ageDays === 30 && Date.parse(f.registeredAt) < cutoff),
          `${f.number} ${f.ageDays}`,
        );
      // Absolute priority first, then the oldest.
      const ranks = o.files.map((f) => ({ absolute: 0, relative: 1, normal: 2 })[f.priority as 'normal']);
      assert.deepEqual(
        ranks,
        [...ranks].sort((a, b) => a - b),
      );
    }
    assert.deepEqual(
      r.offices
        .filter((o) => o.officeId)
        .map((o) => o.code)
        .sort(),
      ['BC', 'BT1', 'BT2'],
      'every processing office appears, even with nothing old',
    );
    assert.equal(
      r.total,
      [...expected.values()].reduce((a, b) => a + b, 0),
    );
    const csv = ageingCsv(r)
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    assert.equal(
      csv[0],
      'bureau;numero;type;administre;formation;enregistre_le;anciennete_jours;situation;priorite;echeance',
    );
    assert.equal(csv.length, r.total + 1);
    const pdf = Buffer.from(await ageingPdf(r));
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    // A longer threshold lists fewer files, all of them in the 30-day list.
    const year = await ageingReport(p.ctx, head, { centreId, days: 200 });
    assert.ok(year.total < r.total);
    const thirty = new Set(r.offices.flatMap((o) => o.files.map((f) => f.id)));
    for (const f of year.offices.flatMap((o) => o.files)) assert.ok(thirty.has(f.id));
  });

  it('reaches the centre’s staff and control, not a unit’s operator nor a holder', async () => {
    for (const who of ['morvan.g.camid', 'quere.h.camid', 'salaun.j.camid', 'auditeur.externe'])
      await ageingReport(p.ctx, await actorFor(p.ctx, who), { centreId });
    for (const who of ['1002345678', '2010002684dh', 'lebihan.s.camid'])
      await fails(ageingReport(p.ctx, await actorFor(p.ctx, who), { centreId }), 'forbidden');
    await fails(ageingReport(p.ctx, await actorFor(p.ctx, 'prigent.y.camid'), { centreId, days: 0 }), 'invalid');
    const refused = await p.store.db
      .selectFrom('audit_log')
      .select('actor_id')
      .where('action', '=', 'backoffice.report')
      .where('outcome', '=', 'refused')
      .execute();
    assert.equal(refused.length, 3, 'each refusal is audited');
  });

  it('the monthly pass records the report once, mails the head of centre, who records the analysis', async () => {
    const firstOfMonth = new Date(Date.UTC(2031, 2, 1, 5, 0));
    const ctx: AppContext = { ...p.ctx, now: () => firstOfMonth };
    assert.equal(await monthlyAgeingPass(ctx), 1);
    assert.equal(await monthlyAgeingPass(ctx), 0, 'a second instance, or a second run, does nothing');
    const mails = await p.store.db
      .selectFrom('mails')
      .selectAll()
      .where('recipient', '=', 'prigent.y@def.gouv.fr')
      .where('subject', 'like', '%2031-03%')
      .execute();
    assert.equal(mails.length, 1);
    assert.match(mails[0]!.body, /Bureau des déplacements temporaires : \d+ dossier/);
    const head = await actorFor(p.ctx, 'prigent.y.camid');
    const reports = await listAgeingReports(p.ctx, head, centreId);
    const march = reports.items.find((x) => x.period === '2031-03')!;
    assert.ok(march.fileCount > 0);
    await fails(
      recordAnalysis(p.ctx, await actorFor(p.ctx, 'morvan.g.camid'), march.id, { analysis: 'a', measures: 'b' }),
      'forbidden',
    );
    await fails(recordAnalysis(p.ctx, head, march.id, { analysis: ' ', measures: 'b' }), 'invalid');
    const done = await recordAnalysis(p.ctx, head, march.id, {
      analysis: 'Ordres de mission en réexamen (causes externes) ; deux décompteurs absents (cause interne).',
      measures: 'Priorité absolue aux mutations de plus de 45 jours.',
    });
    assert.equal(done.analysedBy, 'Yves PRIGENT');
    assert.match(
      (await getAgeingReport(p.ctx, await actorFor(p.ctx, 'salaun.j.camid'), march.id)).measures!,
      /Priorité absolue/,
    );
    // On demand: only the head of centre records one.
    const own = await recordAgeingReport(p.ctx, head, { centreId, days: 45 });
    assert.equal(own.period, null);
    assert.equal(own.days, 45);
    await fails(recordAgeingReport(p.ctx, await actorFor(p.ctx, 'quere.h.camid'), { centreId }), 'forbidden');
  });

  it('the monthly statement sums the recorded amounts per delegating authority', async () => {
    const head = await actorFor(p.ctx, 'prigent.y.camid');
    const lastMonth = new Date(Date.UTC(p.ctx.now().getUTCFullYear(), p.ctx.now().getUTCMonth() - 1, 15))
      .toISOString()
      .slice(0, 7);
    const s = await expenseStatement(p.ctx, head, { centreId, month: lastMonth });
    assert.ok(s.files > 0 && s.totalCents > 0, JSON.stringify(s));
    const [from, to] = [
      `${lastMonth}-01`,
      new Date(Date.UTC(Number(lastMonth.slice(0, 4)), Number(lastMonth.slice(5, 7)), 1)).toISOString(),
    ];
    const rows = await p.store.db
      .selectFrom('case_files')
      .select(['amount_cents'])
      .where('centre_id', '=', centreId)
      .where('processed_at', '>=', from)
      .where('processed_at', '<', to)
      .where('amount_cents', 'is not', null)
      .execute();
    assert.equal(
      s.totalCents,
      rows.reduce((a, r) => a + Number(r.amount_cents), 0),
    );
    assert.equal(s.files, rows.length);
    assert.ok(
      s.items.some((i) => i.code === 'CECLANT'),
      'the delegating authority named on files',
    );
    assert.match(expenseCsv(s), /\r\nTotal;;\d+;\d+,\d{2}\r\n$/);
    await fails(expenseStatement(p.ctx, head, { centreId, month: '2026-13' }), 'invalid');
  });

  it('the office queue is filtered by kind, age, priority and status, absolute priority first', async () => {
    const agent = await actorFor(p.ctx, 'lebihan.s.camid');
    const bt1 = (
      await p.store.db
        .selectFrom('backoffice_offices')
        .select('organization_id')
        .where('code', '=', 'BT1')
        .executeTakeFirstOrThrow()
    ).organization_id;
    const all = await listCaseFiles(p.ctx, agent, {
      officeId: bt1,
      status: 'routed,in_progress,deferred',
      pageSize: 200,
    });
    assert.ok(all.total > 0);
    const ranks = all.items.map((f) => ({ absolute: 0, relative: 1, normal: 2 })[f.priority as 'normal']);
    assert.deepEqual(
      ranks,
      [...ranks].sort((a, b) => a - b),
    );
    const old = await listCaseFiles(p.ctx, agent, {
      officeId: bt1,
      status: 'routed,in_progress,deferred',
      minAgeDays: 60,
      pageSize: 200,
    });
    assert.ok(old.items.every((f) => f.ageDays >= 60));
    const stages = await listCaseFiles(p.ctx, agent, { officeId: bt1, kind: 'fd_stage', pageSize: 200 });
    assert.ok(stages.items.every((f) => f.kind === 'fd_stage'));
    const deferred = await listCaseFiles(p.ctx, agent, { status: 'deferred', centreId, pageSize: 200 });
    assert.ok(deferred.items.every((f) => f.status === 'deferred'));
    const absolute = await listCaseFiles(p.ctx, agent, { priority: 'absolute', centreId, pageSize: 200 });
    assert.ok(absolute.items.every((f) => f.priority === 'absolute'));
    // A unit sees the files it sent, nothing else.
    const brest = await listCaseFiles(p.ctx, await actorFor(p.ctx, '1002345678'), { pageSize: 200 });
    const brestId = await orgId(p.ctx, 'BN-BREST');
    assert.ok(brest.total > 0);
    assert.ok(brest.items.every((f) => f.sendingOrganization.id === brestId));
    assert.equal((await listCaseFiles(p.ctx, await actorFor(p.ctx, '2010002684dh'), {})).total, 0);
  });
});
