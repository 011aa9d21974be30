// Internal control over HTTP (seed 003 §4), on both databases: the head of centre sets this month's
// plan, the controller draws the sample and controls a file (the mark shows on the case file's
// answer), opens a sheet that goes through its four visas in order; own work, another centre and
// visas out of order are refused; the sheet and the synthesis download as PDF. Every answer fits
// its schema (CARTES_CHECK_RESPONSES under npm test).
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { forEachDatabase, openTestPlatform, orgId, type TestPlatform } from '../support/platform.ts';
import { startServer, type Client, type TestServer } from '../support/http.ts';
import { loadDemoActivity } from '../../src/app/demo/backoffice.ts';
import * as S from '../../src/http/schemas/internal-control.ts';

forEachDatabase('internal control over HTTP', (dialect) => {
  let p: TestPlatform;
  let s: TestServer;
  let head: Client;
  let controller: Client;
  let bomHead: Client;
  let centreId: string;
  let bt1: string;
  const month = new Date().toISOString().slice(0, 7);
  // The sample is drawn a posteriori: in the first days of a month, from last month's files.
  const planMonth =
    new Date().getUTCDate() < 3
      ? new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 1, 1)).toISOString().slice(0, 7)
      : month;
  const ok = (r: { status: number; text: string }, status = 200) => assert.equal(r.status, status, r.text);

  before(async () => {
    p = await openTestPlatform(dialect);
    await loadDemoActivity(p.ctx);
    s = await startServer(p);
    head = await s.signIn('prigent.y.camid');
    controller = await s.signIn('salaun.j.camid');
    bomHead = await s.signIn('kerjean.c.camid');
    centreId = await orgId(p.ctx, 'CAMID');
    bt1 = await orgId(p.ctx, 'CAMID-BT1');
  });
  after(async () => {
    await s?.close();
    await p?.close();
  });

  it('plan, sample, control with its mark on the file, a sheet through its four visas, PDFs', async () => {
    const lines = [
      { kindCode: 'fd_mission', officeId: bt1, errorPotential: 3, amountStakes: 2, objective: 4 },
      { kindCode: 'fd_stage', officeId: bt1, errorPotential: 1, amountStakes: 1, objective: 2 },
    ];
    const refused = await controller.put('/api/control/plans', { centreId, period: planMonth, lines });
    ok(refused, 403);
    assert.match(refused.json.detail ?? refused.json.title ?? refused.text, /droits/);
    const bad = await head.put('/api/control/plans', { centreId, period: '2026-13', lines });
    ok(bad, 400);
    const set = await head.put('/api/control/plans', { centreId, period: planMonth, lines });
    ok(set);
    assert.ok(Value.Check(S.Plan, set.json));
    const drawn = await controller.post(`/api/control/plans/${set.json.id}/draw`);
    ok(drawn);
    assert.equal(drawn.json.reproducible, true);
    assert.ok(drawn.json.controls.length > 0, 'files processed this month were drawn');
    const list = await head.get(`/api/control/centres/${centreId}/plans`);
    ok(list);
    assert.equal(list.json.items[0].id, set.json.id);

    // A control with an anomaly on the rules, by a controller who did not work on the file.
    const c = drawn.json.controls.find(
      (x: { office: string | null }) => x.office === 'Bureau des déplacements temporaires',
    );
    assert.ok(c, 'a BT1 file in the sample');
    const before = await controller.get(`/api/control/controls/${c.id}`);
    ok(before);
    assert.equal(before.json.ownWork, false);
    const recorded = await controller.post(`/api/control/controls/${c.id}`, {
      verdicts: {
        evidence: { verdict: 'conform' },
        coherence: { verdict: 'conform' },
        rules: { verdict: 'anomaly', note: 'Taux de mission de la zone de résidence.' },
      },
    });
    ok(recorded);
    assert.equal(recorded.json.anomaly, true);
    const file = await head.get(`/api/backoffice/files/${c.fileId}`);
    ok(file);
    assert.equal(file.json.controlMark.controller, 'Jacques SALAÜN');
    assert.match(file.json.controlMark.stamp, /organisation et méthodes/);
    assert.ok(file.json.timeline.some((e: { type: string }) => e.type === 'controlled'));

    const opened = await controller.post(`/api/control/controls/${c.id}/sheets`, {
      object: 'rules',
      rule: 'wrong_rate',
      findings: 'Indemnité journalière au taux de la zone de résidence au lieu du lieu de mission.',
    });
    ok(opened, 201);
    const sheetId = opened.json.id;
    const quere = await s.signIn('quere.h.camid');
    // In order only.
    const early = await quere.post(`/api/control/sheets/${sheetId}/followUp`, { followUp: 'Fait.' });
    ok(early, 409);
    assert.match(early.json.detail ?? early.text, /attend d’abord/);
    ok(await head.post(`/api/control/sheets/${sheetId}/centreVisa`, {}), 409);
    const mine = await bomHead.get(`/api/control/centres/${centreId}/sheets?mine=true`);
    ok(mine);
    assert.deepEqual(
      mine.json.items.map((x: { id: string }) => x.id),
      [sheetId],
    );
    ok(await bomHead.post(`/api/control/sheets/${sheetId}/bomVisa`, { note: 'Vu.' }));
    ok(await quere.post(`/api/control/sheets/${sheetId}/followUp`, { followUp: 'Décompte rectifié.' }));
    ok(await head.post(`/api/control/sheets/${sheetId}/centreVisa`, {}));
    const archived = await controller.post(`/api/control/sheets/${sheetId}/archive`, {});
    ok(archived);
    assert.equal(archived.json.status, 'archived');
    assert.ok(Value.Check(S.Sheet, archived.json));
    const pdf = await head.get(`/api/control/sheets/${sheetId}/pdf`);
    ok(pdf);
    assert.match(pdf.headers.get('content-type') ?? '', /application\/pdf/);

    const synthesis = await controller.post(`/api/control/centres/${centreId}/syntheses`, { period: month });
    ok(synthesis, 201);
    assert.equal(synthesis.json.totals.anomalies, 1);
    assert.equal(synthesis.json.sheets.length, 1);
    ok(await head.get(`/api/control/syntheses/${synthesis.json.id}/pdf`));
    const recueil = await head.get(`/api/control/centres/${centreId}/syntheses`);
    ok(recueil);
    assert.equal(recueil.json.items.length, 1);

    const visas = await p.store.db
      .selectFrom('audit_log')
      .select('action')
      .where('target_id', '=', sheetId)
      .where('outcome', '=', 'ok')
      .orderBy('seq')
      .execute();
    assert.deepEqual(
      visas.map((v) => v.action),
      [
        'controlSheet.open',
        'controlSheet.bomVisa',
        'controlSheet.followUp',
        'controlSheet.centreVisa',
        'controlSheet.archive',
      ],
    );
  });

  it('refusals: own work, a unit operator, the case file’s processing agent', async () => {
    const plan = (await head.get(`/api/control/centres/${centreId}/plans`)).json.items[0];
    const detail = (await head.get(`/api/control/plans/${plan.id}`)).json;
    const todo = detail.controls.find((x: { status: string }) => x.status === 'to_control');
    assert.ok(todo);
    // The processing agent neither reads the control nor controls.
    const agent = await s.signIn('lebihan.s.camid');
    ok(await agent.get(`/api/control/plans/${plan.id}`), 403);
    ok(
      await agent.post(`/api/control/controls/${todo.id}`, {
        verdicts: {
          evidence: { verdict: 'conform' },
          coherence: { verdict: 'conform' },
          rules: { verdict: 'conform' },
        },
      }),
      403,
    );
    const operator = await s.signIn('martin.c77011');
    ok(await operator.get(`/api/control/centres/${centreId}/sheets`), 403);
    const refusals = await p.store.db
      .selectFrom('audit_log')
      .select('action')
      .where('outcome', '=', 'refused')
      .where('action', 'like', 'control%')
      .execute();
    assert.ok(refusals.length >= 3, `refusals audited: ${refusals.length}`);
  });
});
