// The dashboards (seed 003 annex II) on both databases, over hand-made files in 2031 (away from the
// demonstration year): every indicator with the seed's formulas, the daily rows rebuilt idempotently,
// the head of centre's figures and thresholds, a red indicator mailed once through a real SMTP server,
// the monthly archive, CSV and PDF, scope refusals, and each demo role's to-do.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { actorFor, forEachDatabase, openTestPlatform, orgId, type TestPlatform } from '../support/platform.ts';
import { fails } from '../support/errors.ts';
import { startSmtp } from '../support/smtp.ts';
import type { AppContext } from '../../src/app/context.ts';
import { emptyFile } from '../../src/app/backoffice/intake.ts';
import { rebuildDays, refreshSteering } from '../../src/app/steering/aggregate.ts';
import { centreDashboard, enterMonthlyFigures, setThreshold } from '../../src/app/steering/centre-dashboard.ts';
import { dashboardCsv, dashboardPdf, listArchive } from '../../src/app/steering/report.ts';
import { steeringPass } from '../../src/app/steering/pass.ts';
import { cardDashboard } from '../../src/app/steering/card-dashboard.ts';
import { userTasks } from '../../src/app/steering/tasks.ts';
import { sheetsAwaitingMe } from '../../src/app/control/sheets.ts';
import { runDueJobs } from '../../src/jobs/worker.ts';

const JUNE_15 = new Date('2031-06-15T10:00:00.000Z');

forEachDatabase('steering dashboards', (dialect) => {
  let p: TestPlatform;
  let ctx: AppContext;
  let centreId: string;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;

  before(async () => {
    smtp = await startSmtp();
    p = await openTestPlatform(dialect, { env: { CARTES_SMTP_URL: `smtp://127.0.0.1:${smtp.port}` } });
    ctx = { ...p.ctx, now: () => JUNE_15 };
    centreId = await orgId(p.ctx, 'CAMID');
    const unit = await orgId(p.ctx, 'FREMM-AQUITAINE');
    let n = 0;
    const file = async (
      kind: string,
      dates: Partial<
        Record<'received_at' | 'registered_at' | 'processed_at' | 'transferred_at' | 'returned_at', string>
      >,
      amount: number | null,
      events: [string, string][],
    ) => {
      const id = `steer-${++n}`;
      const at = (d: string) => `${d}T09:00:00.000Z`;
      await p.store.db
        .insertInto('case_files')
        .values({
          ...emptyFile(),
          id,
          number: `T-2031-${n}`,
          kind_code: kind,
          family: 'unit',
          centre_id: centreId,
          sending_organization_id: unit,
          person_name: `Personne ${n}`,
          status: 'registered',
          priority: 'normal',
          received_at: at(dates.received_at!),
          registered_at: dates.registered_at ? at(dates.registered_at) : null,
          processed_at: dates.processed_at ? at(dates.processed_at) : null,
          transferred_at: dates.transferred_at ? at(dates.transferred_at) : null,
          returned_at: dates.returned_at ? at(dates.returned_at) : null,
          amount_cents: amount,
          status_changed_at: at(dates.received_at!),
          created_at: at(dates.received_at!),
          updated_at: at(dates.received_at!),
        })
        .execute();
      for (const [type, d] of events)
        await p.store.db
          .insertInto('case_file_events')
          .values({ case_file_id: id, at: at(d), type, actor_id: null, office_id: null, data: '{}' })
          .execute();
    };
    // May: two mission files processed; one self-check passes, one is sent back then passes.
    await file(
      'fd_mission',
      {
        received_at: '2031-05-02',
        registered_at: '2031-05-03',
        processed_at: '2031-05-10',
        transferred_at: '2031-05-12',
      },
      10_000,
      [['self_check', '2031-05-11']],
    );
    await file(
      'fd_mission',
      {
        received_at: '2031-05-05',
        registered_at: '2031-05-05',
        processed_at: '2031-05-20',
        transferred_at: '2031-06-01',
      },
      30_000,
      [
        ['self_check_refused', '2031-05-21'],
        ['self_check', '2031-05-25'],
      ],
    );
    // June: one file returned to its unit, one training file processed and transferred the same week.
    await file(
      'fd_mission',
      { received_at: '2031-06-01', registered_at: '2031-06-02', returned_at: '2031-06-03' },
      null,
      [],
    );
    await file(
      'fd_stage',
      {
        received_at: '2031-06-02',
        registered_at: '2031-06-02',
        processed_at: '2031-06-05',
        transferred_at: '2031-06-06',
      },
      5_000,
      [['self_check', '2031-06-06']],
    );
  });
  after(async () => {
    await p?.close();
    await smtp?.close();
  });

  it('computes every indicator with the seed’s formulas', async () => {
    await refreshSteering(ctx);
    const head = await actorFor(p.ctx, 'prigent.y.camid');
    await enterMonthlyFigures(ctx, head, centreId, '2031-06', {
      planned: 45,
      plannedMilitary: 20,
      plannedProcessing: 30,
      actual: 40,
      actualMilitary: 18,
      mpeIn: 2,
      mpeOut: 3,
      absentWholeMonth: 1,
      availableProcessing: 26,
      supervisors: 10,
      overpaymentsService: 2,
      overpaymentsHolders: 5,
      overpaymentsUnits: 2,
      overpaymentsOther: 1,
      overpaymentAmountCents: 123_456,
      rejectedByPayingCentre: 4,
      debtRecoveries: 3,
    });
    const d = await centreDashboard(ctx, head, centreId);
    assert.equal(d.months.length, 12);
    assert.equal(d.months[0]!.month, '2030-07');
    const may = d.months.find((m) => m.month === '2031-05')!;
    const june = d.months.find((m) => m.month === '2031-06')!;
    assert.deepEqual(may.activity, { registered: 2, processed: 2, controlled: 3 });
    // 1 control in 3 found an anomaly; 30,000 of 70,000 cents controlled were in anomaly.
    assert.equal(may.warnings.controlAnomalyRate, 33.3);
    assert.equal(may.warnings.amountAnomalyRate, 42.9);
    // Reception included to transfer included: 2 → 12 May is 11 days.
    assert.deepEqual(may.warnings.averageDaysByKind, { fd_mission: 11 });
    assert.deepEqual(june.activity, { registered: 2, processed: 1, controlled: 1 });
    assert.equal(june.warnings.controlAnomalyRate, 0);
    assert.equal(june.warnings.returnedFiles, 1);
    // 5 May → 1 June: 28 days; 2 → 6 June: 5 days; on average over both kinds 16.5.
    assert.deepEqual(june.warnings.averageDaysByKind, { fd_mission: 28, fd_stage: 5 });
    assert.equal(june.warnings.averageDays, 16.5);
    // Available = 40 + 2 − 3 − 1; supervision = 10 / 40 × 100; overpayments by cause over 10 statements.
    assert.equal(june.means.available, 38);
    assert.equal(june.means.supervisionRate, 25);
    assert.equal(june.warnings.overpayments, 10);
    assert.equal(june.warnings.overpaymentServiceRate, 20);
    assert.equal(june.warnings.overpaymentHoldersRate, 50);
    assert.equal(june.warnings.overpaymentOtherRate, 10);
    assert.equal(june.warnings.overpaymentAmount, 1234.56);
    assert.equal(june.warnings.rejectedByPayingCentre, 4);
    assert.equal(may.means.actual, null, 'a month without entry stays unknown');
    assert.equal(d.months[0]!.activity.registered, 0);

    // Rebuilding the same days again changes nothing.
    const before = await p.store.db.selectFrom('steering_daily').selectAll().where('scope_id', '=', centreId).execute();
    await rebuildDays(ctx, '2031-05-01', '2031-06-15');
    await refreshSteering(ctx);
    const again = await p.store.db.selectFrom('steering_daily').selectAll().where('scope_id', '=', centreId).execute();
    const key = (r: { day: string; metric: string; dim: string; n: number; total: number }) =>
      `${r.day} ${r.metric} ${r.dim} ${Number(r.n)} ${Number(r.total)}`;
    assert.deepEqual(again.map(key).sort(), before.map(key).sort());

    const csv = dashboardCsv(d)
      .replace(/^\uFEFF/, '')
      .split('\r\n');
    assert.match(csv[0]!, /^Rubrique;Indicateur;2030-07;/);
    assert.ok(csv.some((l) => l.startsWith('Les moyens;Effectif disponible;') && l.endsWith(';38')));
    const pdf = Buffer.from(await dashboardPdf(d));
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
  });

  it('turns a warning red past its threshold and mails the head of centre once', async () => {
    const head = await actorFor(p.ctx, 'prigent.y.camid');
    await setThreshold(ctx, head, centreId, 'averageDays', 20);
    let d = await centreDashboard(ctx, head, centreId);
    assert.equal(d.warnings.find((w) => w.key === 'averageDays')!.red, false, '16.5 days is under 20');
    await setThreshold(ctx, head, centreId, 'averageDays', 15);
    await setThreshold(ctx, head, centreId, 'controlAnomalyRate', 30);
    d = await centreDashboard(ctx, head, centreId);
    const avg = d.warnings.find((w) => w.key === 'averageDays')!;
    assert.deepEqual([avg.value, avg.threshold, avg.red], [16.5, 15, true]);
    const ctrl = d.warnings.find((w) => w.key === 'controlAnomalyRate')!;
    assert.equal(ctrl.red, false, 'June: 0 %');
    assert.deepEqual(ctrl.redMonths, ['2031-05'], 'May was past 30 %');

    const first = await steeringPass(ctx);
    assert.equal(first.alerts, 1);
    assert.equal((await steeringPass(ctx)).alerts, 0, 'a second run, or a second instance, mails nothing more');
    // Other queued work of the demonstration goes first: run the queue dry (bounded).
    for (let i = 0; i < 50 && (await runDueJobs(ctx, undefined, 100)) > 0; i++);
    const queued = await p.store.db
      .selectFrom('mails')
      .select(['id', 'recipient', 'subject', 'status'])
      .where('subject', 'like', 'Clignotant au rouge%')
      .execute();
    assert.equal(queued.length, 1);
    assert.equal(queued[0]!.recipient, 'prigent.y@def.gouv.fr');
    assert.match(queued[0]!.subject, /Durée moyenne de traitement/);
    assert.equal(queued[0]!.status, 'sent');
    const mails = smtp.received.filter((m) => m.raw.includes(`<${queued[0]!.id}@cartes-agents>`));
    assert.equal(mails.length, 1, 'delivered through SMTP, once');
    assert.deepEqual(mails[0]!.to, ['prigent.y@def.gouv.fr']);
    // The archive keeps May's dashboard (the month before the pass) once.
    const archive = await listArchive(ctx, head, centreId);
    assert.deepEqual(
      archive.items.map((i) => i.month),
      ['2031-05'],
    );
    const audit = await p.store.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', 'in', ['steering.threshold', 'steering.entry', 'steering.alert'])
      .execute();
    assert.equal(audit.filter((a) => a.action === 'steering.threshold').length, 3);
    assert.equal(audit.filter((a) => a.action === 'steering.alert').length, 1);
  });

  it('refuses what is out of scope, audited', async () => {
    for (const who of ['lebihan.s.camid', '1002345678', '2010002684dh'])
      await fails(centreDashboard(ctx, await actorFor(p.ctx, who), centreId), 'forbidden');
    // Control and audit read it; only the head of centre sets thresholds and enters figures.
    await centreDashboard(ctx, await actorFor(p.ctx, 'salaun.j.camid'), centreId);
    await centreDashboard(ctx, await actorFor(p.ctx, 'auditeur.externe'), centreId);
    await fails(setThreshold(ctx, await actorFor(p.ctx, 'quere.h.camid'), centreId, 'averageDays', 1), 'forbidden');
    await fails(
      enterMonthlyFigures(ctx, await actorFor(p.ctx, 'salaun.j.camid'), centreId, '2031-06', {}),
      'forbidden',
    );
    const head = await actorFor(p.ctx, 'prigent.y.camid');
    await fails(setThreshold(ctx, head, centreId, 'unknown', 1), 'invalid');
    await fails(enterMonthlyFigures(ctx, head, centreId, '2031-07', {}), 'invalid');
    await fails(enterMonthlyFigures(ctx, head, centreId, '2031-06', { actual: -1 }), 'invalid');
    // The card programme: the national administrator sees the whole, a registration authority its own.
    const admin = await actorFor(p.ctx, 'admin.national');
    const whole = await cardDashboard(ctx, admin);
    assert.equal(whole.months.length, 12);
    const ra = await actorFor(p.ctx, 'lefebvre.s77');
    await fails(cardDashboard(ctx, ra), 'forbidden');
    const own = await cardDashboard(ctx, ra, { organizationId: await orgId(p.ctx, 'PREF77') });
    assert.equal(own.organizationName.length > 0, true);
    await fails(cardDashboard(ctx, ra, { organizationId: await orgId(p.ctx, 'BN-BREST') }), 'forbidden');
    await fails(cardDashboard(ctx, await actorFor(p.ctx, 'martin.c77011')), 'forbidden');
    const refused = await p.store.db
      .selectFrom('audit_log')
      .select('action')
      .where('outcome', '=', 'refused')
      .where('action', 'in', ['backoffice.report', 'backoffice.review', 'steering.cards'])
      .execute();
    assert.ok(refused.length >= 8, `each refusal is audited: ${refused.length}`);
  });

  it('gives each demo role its to-do', async () => {
    const keys = async (who: string) => (await userTasks(ctx, await actorFor(p.ctx, who))).items.map((t) => t.key);
    assert.deepEqual(await keys('martin.c77011'), [
      'cardsToReceive',
      'cardsToHandOver',
      'cardsWaitingOver48h',
      'activationsToFinalize',
      'requestsToSign',
    ]);
    assert.deepEqual(await keys('lefebvre.s77'), [
      'cardsToReceive',
      'cardsToHandOver',
      'cardsWaitingOver48h',
      'activationsToFinalize',
      'requestsToSign',
      'batchesToValidate',
    ]);
    assert.deepEqual(await keys('morvan.g.camid'), ['filesToRegister', 'redIndicators']);
    assert.deepEqual(await keys('lebihan.s.camid'), ['filesToTake']);
    assert.deepEqual(await keys('quere.h.camid'), [
      'filesToTake',
      'filesToCheck',
      'redIndicators',
      'sheetsAwaitingVisa',
    ]);
    const head = await userTasks(ctx, await actorFor(p.ctx, 'prigent.y.camid'));
    assert.deepEqual(
      head.items.map((t) => t.key),
      ['redIndicators', 'sheetsAwaitingVisa'],
    );
    const red = head.items.find((t) => t.key === 'redIndicators')!;
    assert.deepEqual([red.count, red.urgent], [1, true], 'the red indicator raised in June');
    const sheets = head.items.find((t) => t.key === 'sheetsAwaitingVisa')!;
    const awaiting = await sheetsAwaitingMe(ctx, await actorFor(p.ctx, 'prigent.y.camid'));
    assert.deepEqual(
      [sheets.count, sheets.href],
      [awaiting.length, '/controle/fiches'],
      'the sheets of internal control',
    );
    assert.deepEqual(await keys('2010002684dh'), []);
    assert.deepEqual(await keys('controle.interne'), ['redIndicators']);
  });

  it('leads a holder with an activated card to define the personal code and secret questions first', async () => {
    const holder = await actorFor(p.ctx, '2010002684dh');
    assert.equal((await userTasks(ctx, holder)).holderSetup, null, 'no card yet: nothing to set up');
    const model = await p.store.db.selectFrom('card_models').select('id').executeTakeFirstOrThrow();
    const org = await orgId(p.ctx, '77011');
    const at = JUNE_15.toISOString();
    await p.store.db
      .insertInto('cards')
      .values({
        id: 'steer-card',
        serial: '9990000001',
        model_id: model.id,
        agent_id: holder.agentId,
        organization_id: org,
        operator_organization_id: org,
        request_id: null,
        batch_id: null,
        state: 'activated',
        state_changed_at: at,
        letter_state: null,
        letter_sent_at: null,
        letter_reference: null,
        activation_code_hash: null,
        activation_code_attempts: 0,
        activation_code_used_at: null,
        file_name: null,
        produced_at: at,
        shipped_at: at,
        received_at: at,
        received_by: null,
        expires_at: null,
        created_at: at,
        updated_at: at,
      })
      .execute();
    assert.deepEqual((await userTasks(ctx, holder)).holderSetup, { href: '/porteur/secrets' });
    // The card programme's dashboard counts it once the job ran: ordered and produced in June, in 77011's tree.
    await refreshSteering(ctx);
    const june = (await cardDashboard(ctx, await actorFor(p.ctx, 'admin.national'))).months[11]!;
    assert.deepEqual([june.month, june.ordered, june.produced, june.handedOver], ['2031-06', 1, 1, 0]);
    const own = await cardDashboard(ctx, await actorFor(p.ctx, 'admin.national'), { organizationId: org });
    assert.equal(own.months[11]!.ordered, 1);
    // The operator's to-do now shows the activation to finalise.
    const operator = await userTasks(ctx, await actorFor(p.ctx, 'martin.c77011'));
    assert.equal(operator.items.find((t) => t.key === 'activationsToFinalize')!.count, 1);
    await p.store.db
      .insertInto('holder_secrets')
      .values({
        agent_id: holder.agentId,
        personal_code_hash: 'x',
        answers: '[]',
        failed_attempts: 0,
        locked_until: null,
        created_at: at,
        updated_at: at,
      })
      .execute();
    assert.equal((await userTasks(ctx, holder)).holderSetup, null, 'defined: nothing more to do');
  });
});
