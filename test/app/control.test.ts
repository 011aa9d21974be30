// Internal control of a processing centre (seed 003 §4) on both databases, over the demonstration
// year of the back office: the head of centre's plan, the reproducible sample, the control of a file
// with its mark on the file, own work refused, the control sheet's visas in order, scope (another
// centre's controller refused), audit records, the monthly synthesis with its recurring anomalies,
// the quarterly deontological control, the transmission to a unit's verifying service, the demo.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { actorFor, forEachDatabase, openTestPlatform, orgId, type TestPlatform } from '../support/platform.ts';
import { fails } from '../support/errors.ts';
import { loadDemoActivity } from '../../src/app/demo/backoffice.ts';
import { loadDemoControl } from '../../src/app/demo/control.ts';
import { systemActor } from '../../src/app/context.ts';
import { assignRole } from '../../src/app/directory/organizations.ts';
import { createAgent } from '../../src/app/directory/agents.ts';
import { createCentre } from '../../src/app/backoffice/centres.ts';
import { getCaseFile } from '../../src/app/backoffice/files.ts';
import {
  addFileByHand,
  drawControlSample,
  getControlPlan,
  listControlPlans,
  setControlPlan,
} from '../../src/app/control/plans.ts';
import { getControl, recordControl } from '../../src/app/control/controls.ts';
import {
  getSheet,
  listSheets,
  openSheet,
  sheetPdf,
  sheetStep,
  sheetsAwaitingMe,
} from '../../src/app/control/sheets.ts';
import { establishSynthesis, monthlyControlCounts, synthesisDocument } from '../../src/app/control/syntheses.ts';
import { deontologicalPass } from '../../src/app/control/deontology.ts';
import { transmissionDocument, transmitToVerifier } from '../../src/app/control/transmissions.ts';
import { addToMonth, drawSample, previousQuarter, quarterOf, quarterRange } from '../../src/domain/control.ts';
import type { AppContext } from '../../src/app/context.ts';

const conform = { verdict: 'conform' };
const allConform = { evidence: conform, coherence: conform, rules: conform };

forEachDatabase('internal control', (dialect) => {
  let p: TestPlatform;
  let centreId: string;
  let bt1: string;
  let period: string;
  let planId: string;

  const audits = (ctx: AppContext, action: string, outcome = 'ok') =>
    ctx.store.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', action)
      .where('outcome', '=', outcome)
      .execute();

  before(async () => {
    p = await openTestPlatform(dialect);
    await loadDemoActivity(p.ctx);
    centreId = await orgId(p.ctx, 'CAMID');
    bt1 = await orgId(p.ctx, 'CAMID-BT1');
    period = addToMonth(p.ctx.now().toISOString().slice(0, 7), -1);
  });
  after(() => p?.close());

  it('the head of centre sets last month’s plan; the controller draws a sample the seed reproduces', async () => {
    const head = await actorFor(p.ctx, 'prigent.y.camid');
    const controller = await actorFor(p.ctx, 'salaun.j.camid');
    await fails(
      setControlPlan(p.ctx, controller, {
        centreId,
        period,
        lines: [{ kindCode: 'fd_mission', officeId: bt1, errorPotential: 2, amountStakes: 2 }],
      }),
      'forbidden',
    );
    const plan = await setControlPlan(p.ctx, head, {
      centreId,
      period,
      lines: [
        { kindCode: 'fd_mission', officeId: bt1, errorPotential: 2, amountStakes: 3 },
        { kindCode: 'fd_stage', officeId: bt1, errorPotential: 1, amountStakes: 1, objective: 2 },
      ],
    });
    planId = plan.id;
    assert.match(plan.seed, /^[0-9a-f]{32}$/);
    const mission = plan.lines.find((l) => l.kind === 'fd_mission')!;
    assert.equal(mission.errorPotential, 2);
    assert.equal(mission.amountStakes, 3);
    assert.ok(mission.objective >= 1 && mission.objective === mission.suggested, `objective ${mission.objective}`);
    assert.equal(plan.lines.find((l) => l.kind === 'fd_stage')!.objective, 2);
    assert.equal(plan.drawnAt, null);
    await fails(drawControlSample(p.ctx, head, plan.id), 'forbidden');

    const drawn = await drawControlSample(p.ctx, controller, plan.id);
    assert.ok(drawn.drawnAt);
    assert.equal(drawn.reproducible, true, 'drawing again from the kept seed gives the same sample');
    const expected = mission.objective + 2;
    assert.equal(drawn.controls.length, expected);
    // Independently: the files processed in the month, of the kind and office, ranked by the seed.
    const { start, end } = { start: `${period}-01T00:00:00.000Z`, end: `${addToMonth(period, 1)}-01T00:00:00.000Z` };
    const population = (
      await p.store.db
        .selectFrom('case_files')
        .select('id')
        .where('centre_id', '=', centreId)
        .where('kind_code', '=', 'fd_mission')
        .where('processed_office_id', '=', bt1)
        .where('processed_at', '>=', start)
        .where('processed_at', '<', end)
        .execute()
    ).map((r) => r.id);
    const mine = drawSample(drawn.seed, population.reverse(), mission.objective);
    const got = drawn.controls.filter((c) => c.kindLabel === mission.kindLabel).map((c) => c.fileId);
    assert.deepEqual([...got].sort(), [...mine].sort());
    await fails(drawControlSample(p.ctx, controller, plan.id), 'conflict', /déjà tiré/);
    await fails(
      setControlPlan(p.ctx, head, {
        centreId,
        period,
        lines: [{ kindCode: 'fd_mission', errorPotential: 1, amountStakes: 1 }],
      }),
      'conflict',
    );
    assert.equal((await audits(p.ctx, 'control.draw')).length, 1);
    const file = await getCaseFile(p.ctx, controller, got[0]!);
    assert.ok(file.timeline.some((e) => e.type === 'control_sampled'));
  });

  it('the controller adds a processed file by hand; a file not yet processed is refused', async () => {
    const controller = await actorFor(p.ctx, 'salaun.j.camid');
    const inPlan = new Set((await getControlPlan(p.ctx, controller, planId)).controls.map((c) => c.fileId));
    const extra = await p.store.db
      .selectFrom('case_files')
      .select(['id', 'number'])
      .where('centre_id', '=', centreId)
      .where('kind_code', '=', 'fd_mutation')
      .where('processed_at', 'is not', null)
      .orderBy('number')
      .limit(20)
      .execute();
    const pick = extra.find((f) => !inPlan.has(f.id))!;
    const plan = await addFileByHand(p.ctx, controller, planId, { fileNumber: pick.number, reason: 'Signalement' });
    assert.equal(plan.controls.find((c) => c.fileId === pick.id)!.origin, 'manual');
    await fails(addFileByHand(p.ctx, controller, planId, { fileNumber: pick.number }), 'conflict', /déjà/);
    const open = await p.store.db
      .selectFrom('case_files')
      .select('number')
      .where('centre_id', '=', centreId)
      .where('processed_at', 'is', null)
      .executeTakeFirstOrThrow();
    await fails(addFileByHand(p.ctx, controller, planId, { fileNumber: open.number }), 'conflict', /a posteriori/);
  });

  it('nobody controls their own work: the agent who processed the file is refused, and audited', async () => {
    const plan = await getControlPlan(p.ctx, await actorFor(p.ctx, 'salaun.j.camid'), planId);
    const c = plan.controls.find((x) => x.status === 'to_control')!;
    const file = await p.store.db
      .selectFrom('case_files')
      .select(['processed_by'])
      .where('id', '=', c.fileId)
      .executeTakeFirstOrThrow();
    const worker = await p.store.db
      .selectFrom('agents')
      .select('identifier')
      .where('id', '=', file.processed_by!)
      .executeTakeFirstOrThrow();
    // The agent who processed it is made a controller of the BOM too: still not on their own work.
    const bom = await orgId(p.ctx, 'CAMID-BOM');
    await assignRole(p.ctx, systemActor('test'), {
      agentId: file.processed_by!,
      role: 'bom_controller',
      organizationId: bom,
    });
    const self = await actorFor(p.ctx, worker.identifier);
    await fails(recordControl(p.ctx, self, c.id, { verdicts: allConform }), 'forbidden', /propre travail/);
    const refused = await audits(p.ctx, 'control.record', 'refused');
    assert.equal(refused.length, 1);
    assert.equal(refused[0]!.actor_id, file.processed_by);
    assert.equal((await getControl(p.ctx, self, c.id)).ownWork, true);
  });

  it('a control records the three verdicts and writes the mark on the file; a sheet takes its visas in order', async () => {
    const controller = await actorFor(p.ctx, 'salaun.j.camid');
    const bomHead = await actorFor(p.ctx, 'kerjean.c.camid');
    const headBt1 = await actorFor(p.ctx, 'quere.h.camid');
    const headBt2 = await actorFor(p.ctx, 'jaouen.p.camid');
    const head = await actorFor(p.ctx, 'prigent.y.camid');
    const plan = await getControlPlan(p.ctx, controller, planId);
    const c = plan.controls.find(
      (x) => x.status === 'to_control' && x.office === 'Bureau des déplacements temporaires',
    )!;
    await fails(
      recordControl(p.ctx, controller, c.id, { verdicts: { ...allConform, coherence: { verdict: 'anomaly' } } }),
      'invalid',
    );
    const done = await recordControl(p.ctx, controller, c.id, {
      verdicts: { ...allConform, coherence: { verdict: 'anomaly', note: 'Nuitées du décompte sans facture.' } },
    });
    assert.equal(done.anomaly, true);
    assert.deepEqual(
      done.objects.map((o) => o.verdict),
      ['conform', 'anomaly', 'conform'],
    );
    assert.match(done.stamp!, /organisation et méthodes/);
    const file = await getCaseFile(p.ctx, head, c.fileId);
    assert.ok(file.controlMark, 'the mark is on the file');
    assert.equal(file.controlMark.controller, 'Jacques SALAÜN');
    assert.match(file.controlMark.stamp, /CAMID — Bureau « organisation et méthodes »/);
    await fails(recordControl(p.ctx, controller, c.id, { verdicts: allConform }), 'conflict');

    await fails(
      openSheet(p.ctx, controller, c.id, { object: 'rules', rule: 'wrong_rule', findings: 'x' }),
      'invalid',
      /pas relevé d’anomalie/,
    );
    const sheet = await openSheet(p.ctx, controller, c.id, {
      object: 'coherence',
      rule: 'piece_mismatch',
      findings: 'Deux nuitées décomptées sans facture d’hébergement au dossier.',
    });
    assert.match(sheet.number, /^FC-\d{4}-\d{5}$/);
    assert.equal(sheet.status, 'opened');
    assert.equal(sheet.office!.id, bt1);

    // Out of order: the office head cannot follow up before the BOM's visa, the head of centre cannot visa yet.
    await fails(sheetStep(p.ctx, headBt1, sheet.id, 'followUp', { followUp: 'Fait.' }), 'conflict', /attend d’abord/);
    await fails(sheetStep(p.ctx, head, sheet.id, 'centreVisa'), 'conflict', /attend d’abord/);
    assert.ok((await audits(p.ctx, 'controlSheet.followUp', 'refused')).length >= 1);
    // The head of another office is not the BOM's head.
    await fails(sheetStep(p.ctx, headBt2, sheet.id, 'bomVisa'), 'forbidden');
    assert.deepEqual(
      (await sheetsAwaitingMe(p.ctx, bomHead)).map((s) => s.id),
      [sheet.id],
    );
    const s1 = await sheetStep(p.ctx, bomHead, sheet.id, 'bomVisa', { note: 'Vu.' });
    assert.equal(s1.status, 'sent');
    const mail = await p.store.db
      .selectFrom('mails')
      .select(['recipient', 'subject'])
      .where('subject', 'like', `%${sheet.number}%`)
      .execute();
    assert.deepEqual(
      mail.map((m) => m.recipient),
      ['bt1.camid@intradef.gouv.fr'],
      'sent to the office concerned',
    );
    await fails(sheetStep(p.ctx, bomHead, sheet.id, 'bomVisa'), 'conflict');
    // Only the head of the office concerned records the follow-up.
    await fails(sheetStep(p.ctx, headBt2, sheet.id, 'followUp', { followUp: 'Fait.' }), 'forbidden');
    await fails(sheetStep(p.ctx, headBt1, sheet.id, 'followUp', { followUp: '' }), 'invalid');
    assert.deepEqual(
      (await listSheets(p.ctx, headBt1, { centreId, mine: true })).items.map((s) => s.id),
      [sheet.id],
    );
    await sheetStep(p.ctx, headBt1, sheet.id, 'followUp', { followUp: 'Décompte rectifié, rappel fait au bureau.' });
    await fails(sheetStep(p.ctx, controller, sheet.id, 'archive'), 'conflict');
    await sheetStep(p.ctx, head, sheet.id, 'centreVisa', { note: 'Vu.' });
    const last = await sheetStep(p.ctx, controller, sheet.id, 'archive');
    assert.equal(last.status, 'archived');
    assert.deepEqual(
      last.steps.map((s) => s.by),
      ['Catherine KERJEAN', 'Hervé QUÉRÉ', 'Yves PRIGENT', 'Jacques SALAÜN'],
    );
    for (const a of [
      'controlSheet.open',
      'controlSheet.bomVisa',
      'controlSheet.followUp',
      'controlSheet.centreVisa',
      'controlSheet.archive',
    ]) {
      const rows = await audits(p.ctx, a);
      assert.equal(rows.length, 1, a);
      assert.match(rows[0]!.evidence ?? '', /sheet-content:[0-9a-f]{64}/, `${a} keeps the content hash`);
    }
    const pdf = await sheetPdf(p.ctx, head, sheet.id);
    assert.equal(pdf.bytes.subarray(0, 5).toString(), '%PDF-');
    assert.equal((await getSheet(p.ctx, head, sheet.id)).canAct, false);
  });

  it('scope: another centre’s controller and its head reach nothing of this centre', async () => {
    const admin = systemActor('test');
    const other = await createCentre(p.ctx, admin, {
      code: 'CTEST',
      name: 'Centre de test',
      parentId: await orgId(p.ctx, 'SCA'),
      servesOrganizationId: await orgId(p.ctx, 'SCA'),
      offices: [
        { code: 'BL', name: 'Bureau de liaison', function: 'liaison' },
        { code: 'BT', name: 'Bureau de traitement', function: 'processing' },
        { code: 'BOM', name: 'Bureau « organisation et méthodes »', function: 'methods' },
      ],
    });
    const agent = await createAgent(p.ctx, admin, {
      organizationId: other.id,
      identifier: 'ctrl.ctest',
      identifierKind: 'internal',
      lastName: 'AUTRE',
      firstNames: 'Contrôleur',
      sex: 'M',
      birthDate: '1980-01-01',
      birthPlace: 'Brest',
      email: 'ctrl@ctest.test',
      staffStatus: 'civil',
      profile: 'Contrôle',
      habilitations: [],
    });
    await assignRole(p.ctx, admin, { agentId: agent.id, role: 'bom_controller', organizationId: other.id });
    await assignRole(p.ctx, admin, { agentId: agent.id, role: 'centre_head', organizationId: other.id });
    const stranger = await actorFor(p.ctx, 'ctrl.ctest');
    const plan = await getControlPlan(p.ctx, await actorFor(p.ctx, 'salaun.j.camid'), planId);
    const todo = plan.controls.find((c) => c.status === 'to_control')!;
    await fails(getControlPlan(p.ctx, stranger, planId), 'forbidden');
    await fails(recordControl(p.ctx, stranger, todo.id, { verdicts: allConform }), 'forbidden');
    await fails(listControlPlans(p.ctx, stranger, centreId), 'forbidden');
    const sheets = await listSheets(p.ctx, await actorFor(p.ctx, 'prigent.y.camid'), { centreId });
    await fails(sheetStep(p.ctx, stranger, sheets.items[0]!.id, 'centreVisa'), 'forbidden');
    await fails(
      setControlPlan(p.ctx, stranger, {
        centreId,
        period: addToMonth(period, 1),
        lines: [{ kindCode: 'fd_mission', errorPotential: 1, amountStakes: 1 }],
      }),
      'forbidden',
    );
    assert.deepEqual(await sheetsAwaitingMe(p.ctx, stranger), []);
    const refusals = await p.store.db
      .selectFrom('audit_log')
      .select('action')
      .where('actor_id', '=', agent.id)
      .where('outcome', '=', 'refused')
      .execute();
    assert.ok(refusals.length >= 5, `refusals audited: ${refusals.map((r) => r.action).join(', ')}`);
  });

  it('a paid file regular in form but doubtful on the merits goes to its unit’s verifying service with a letter', async () => {
    const controller = await actorFor(p.ctx, 'salaun.j.camid');
    const plan = await getControlPlan(p.ctx, controller, planId);
    const candidates = plan.controls.filter((c) => c.status === 'to_control');
    let target: string | null = null;
    for (const c of candidates) {
      const detail = await getControl(p.ctx, controller, c.id);
      if (detail.file.paid && detail.file.regularInForm && !detail.ownWork) {
        target = c.id;
        break;
      }
    }
    assert.ok(target, 'a paid file in the sample');
    await fails(transmitToVerifier(p.ctx, controller, target, { grounds: 'Doute.' }), 'conflict', /contrôlé/);
    await recordControl(p.ctx, controller, target, { verdicts: allConform });
    const t = await transmitToVerifier(p.ctx, controller, target, {
      grounds: 'Dates du déplacement incompatibles avec la présence de l’intéressé à bord, selon le journal de bord.',
    });
    assert.match(t.number, /^TSV-\d{4}-\d{5}$/);
    const doc = await transmissionDocument(p.ctx, controller, t.id);
    assert.equal(doc.bytes.subarray(0, 5).toString(), '%PDF-');
    assert.equal((await audits(p.ctx, 'control.transmit')).length, 1);
    const detail = await getControl(p.ctx, controller, target);
    assert.equal(detail.transmissions.length, 1);
  });

  it('the monthly synthesis counts the month’s controls and sheets; recurring anomalies raise a proposal', async () => {
    const controller = await actorFor(p.ctx, 'salaun.j.camid');
    const head = await actorFor(p.ctx, 'prigent.y.camid');
    await fails(establishSynthesis(p.ctx, head, { centreId, period }), 'forbidden');
    // Sheets of the same kind, office and rule in the two months before (history made directly).
    const sheet = await p.store.db.selectFrom('control_sheets').selectAll().executeTakeFirstOrThrow();
    for (const m of [-1, -2])
      await p.store.db
        .insertInto('control_sheets')
        .values({ ...sheet, id: `hist${m}`, number: `FC-HIST${m}`, period: addToMonth(sheet.period, m) })
        .execute();
    const s = await establishSynthesis(p.ctx, controller, { centreId, period });
    const counts = (await monthlyControlCounts(p.ctx, centreId, period, period))[0]!;
    // Controls made today count in today's month; last month's synthesis counts what was controlled in it.
    assert.equal(s.totals.controlled, counts.controlled);
    assert.deepEqual(
      s.proposals.map((x) => [x.kind, x.rule, x.months.length]),
      sheet.period === period ? [[sheet.kind_code, sheet.rule, 3]] : [],
    );
    await fails(establishSynthesis(p.ctx, controller, { centreId, period }), 'conflict', /déjà établie/);
    const thisMonth = addToMonth(period, 1);
    const now = await establishSynthesis(p.ctx, controller, { centreId, period: thisMonth, recurrenceMonths: 3 });
    assert.ok(now.totals.controlled >= 2, `controlled this month: ${now.totals.controlled}`);
    assert.ok(now.totals.anomalies >= 1);
    assert.equal(now.sheets.length, 1);
    assert.deepEqual(
      now.proposals.map((x) => [x.kind, x.rule, x.months.length, x.sheets]),
      [[sheet.kind_code, 'piece_mismatch', 3, 3]],
    );
    const doc = await synthesisDocument(p.ctx, head, now.id);
    assert.equal(doc.bytes.subarray(0, 5).toString(), '%PDF-');
  });

  it('the quarterly deontological control puts every file made for the centre’s staff under control, once', async () => {
    const quarter = previousQuarter(quarterOf(p.ctx.now().toISOString()));
    const { start, end } = quarterRange(quarter);
    const staff = await p.store.db
      .selectFrom('agents')
      .select(['id'])
      .where('identifier', 'in', ['guillou.r.camid', 'kerjean.c.camid'])
      .execute();
    const files = await p.store.db
      .selectFrom('case_files')
      .select('id')
      .where('centre_id', '=', centreId)
      .where('processed_at', '>=', start)
      .where('processed_at', '<', end)
      .orderBy('number')
      .limit(3)
      .execute();
    for (const [i, f] of files.entries())
      await p.store.db
        .updateTable('case_files')
        .set({ agent_id: staff[i % 2]!.id })
        .where('id', '=', f.id)
        .execute();
    const r = await deontologicalPass(p.ctx);
    const mine = r.find((x) => x.centreId === centreId)!;
    assert.equal(mine.files, 3);
    assert.equal(mine.quarter, quarter);
    const again = await deontologicalPass(p.ctx);
    assert.equal(again.find((x) => x.centreId === centreId)!.created, false, 'once per quarter');
    const plan = await p.store.db
      .selectFrom('control_plans')
      .select('id')
      .where('type', '=', 'deontological')
      .where('centre_id', '=', centreId)
      .executeTakeFirstOrThrow();
    const controls = await p.store.db
      .selectFrom('controls')
      .select('case_file_id')
      .where('plan_id', '=', plan.id)
      .execute();
    assert.deepEqual(controls.map((c) => c.case_file_id).sort(), files.map((f) => f.id).sort());
    assert.equal(
      (await audits(p.ctx, 'control.deontological')).filter((a) => a.organization_id === centreId).length,
      1,
    );
  });

  it('the demonstration: three closed months with syntheses, this month’s sample, a sheet waiting for the head of centre', async () => {
    const q = await openTestPlatform(dialect);
    try {
      await loadDemoActivity(q.ctx);
      const r = await loadDemoControl(q.ctx);
      assert.ok(r.created > 10, `created ${r.created}`);
      assert.deepEqual(await loadDemoControl(q.ctx), { created: 0 });
      const head = await actorFor(q.ctx, 'prigent.y.camid');
      const cid = await orgId(q.ctx, 'CAMID');
      const plans = await listControlPlans(q.ctx, head, cid);
      const month = q.ctx.now().toISOString().slice(0, 7);
      assert.ok(plans.items.some((x) => x.type === 'monthly' && x.period === month && x.drawnAt));
      assert.ok(plans.items.some((x) => x.type === 'deontological'));
      const waiting = await sheetsAwaitingMe(q.ctx, head);
      assert.equal(waiting.length, 1, 'one sheet waits for the head of centre’s visa');
      const syntheses = await q.store.db.selectFrom('control_syntheses').select('period').execute();
      assert.equal(syntheses.length, 3);
    } finally {
      await q.close();
    }
  });
});
