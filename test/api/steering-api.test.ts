// The dashboards and the to-do through the HTTP API, on both databases, on the demonstration data
// with the dashboard's demo (twelve months of figures, thresholds, a red indicator this month): each
// demo role's to-do, the centre's dashboard (JSON, CSV, PDF, archive), the head of centre's figures
// and thresholds, the card programme's dashboard, and the refusals of what is out of scope.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { forEachDatabase, openTestPlatform, orgId, type TestPlatform } from '../support/platform.ts';
import { startServer, type TestServer } from '../support/http.ts';
import { loadDemoSteering } from '../../src/app/demo/steering.ts';
import * as S from '../../src/http/schemas/steering.ts';

forEachDatabase('dashboards and to-do over HTTP', (dialect) => {
  let p: TestPlatform;
  let s: TestServer;
  let centreId: string;
  // Sign-ins are limited to 10 a minute per address: one session per person for the whole file (9 people).
  const sessions = new Map<string, ReturnType<TestServer['signIn']>>();
  const as = (who: string) => {
    if (!sessions.has(who)) sessions.set(who, s.signIn(who));
    return sessions.get(who)!;
  };

  before(async () => {
    p = await openTestPlatform(dialect);
    assert.deepEqual(await loadDemoSteering(p.ctx), { created: 12 });
    assert.deepEqual(await loadDemoSteering(p.ctx), { created: 0 }, 'loading twice changes nothing');
    s = await startServer(p);
    centreId = await orgId(p.ctx, 'CAMID');
  });
  after(async () => {
    await s?.close();
    await p?.close();
  });

  it('GET /api/tasks gives each demo role its to-do', async () => {
    const expected: Record<string, string[]> = {
      'martin.c77011': [
        'cardsToReceive',
        'cardsToHandOver',
        'cardsWaitingOver48h',
        'activationsToFinalize',
        'requestsToSign',
      ],
      'lefebvre.s77': [
        'cardsToReceive',
        'cardsToHandOver',
        'cardsWaitingOver48h',
        'activationsToFinalize',
        'requestsToSign',
        'batchesToValidate',
      ],
      'admin.national': [],
      'prigent.y.camid': ['redIndicators', 'sheetsAwaitingVisa'],
      'morvan.g.camid': ['filesToRegister', 'redIndicators'],
      'lebihan.s.camid': ['filesToTake'],
      'quere.h.camid': ['filesToTake', 'filesToCheck', 'redIndicators', 'sheetsAwaitingVisa'],
      'salaun.j.camid': ['redIndicators', 'sheetsAwaitingVisa'],
      '2010002684dh': [],
    };
    for (const [who, keys] of Object.entries(expected)) {
      const c = await as(who);
      const r = await c.get('/api/tasks');
      assert.equal(r.status, 200, r.text);
      assert.ok(Value.Check(S.Tasks, r.json), who);
      assert.deepEqual(
        r.json.items.map((t: { key: string }) => t.key),
        keys,
        who,
      );
    }
    const head = await (await as('prigent.y.camid')).get('/api/tasks');
    const red = head.json.items.find((t: { key: string }) => t.key === 'redIndicators');
    assert.deepEqual(
      [red.count, red.urgent, red.href],
      [1, true, '/dossiers/tableau-de-bord'],
      'the demo’s red indicator',
    );
  });

  it('serves the centre’s dashboard with a red indicator, as JSON, CSV, PDF and in the archive', async () => {
    const head = await as('prigent.y.camid');
    const r = await head.get(`/api/steering/centres/${centreId}/dashboard`);
    assert.equal(r.status, 200, r.text);
    assert.ok(Value.Check(S.CentreDashboard, r.json));
    assert.equal(r.json.months.length, 12);
    assert.ok(
      r.json.months.every((m: { means: { actual: number | null } }) => m.means.actual !== null),
      '12 filled months',
    );
    const red = r.json.warnings.filter((w: { red: boolean }) => w.red).map((w: { key: string }) => w.key);
    assert.ok(red.includes('rejectedByPayingCentre'), JSON.stringify(red));
    const csv = await head.get(`/api/steering/centres/${centreId}/dashboard?format=csv`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
    assert.match(csv.text, /Effectif disponible/);
    const pdf = await head.get(`/api/steering/centres/${centreId}/dashboard?format=pdf`);
    assert.equal(pdf.status, 200);
    assert.equal(Buffer.from(pdf.bytes).subarray(0, 5).toString('latin1'), '%PDF-');
    const archive = await head.get(`/api/steering/centres/${centreId}/archive`);
    assert.equal(archive.status, 200, archive.text);
    assert.equal(archive.json.items.length, 1, 'last month kept in the « recueil »');
    const kept = await head.get(`/api/steering/archive/${archive.json.items[0].id}/pdf`);
    assert.equal(kept.status, 200);
    assert.equal(Buffer.from(kept.bytes).subarray(0, 5).toString('latin1'), '%PDF-');
    // Control reads it too.
    assert.equal((await (await as('salaun.j.camid')).get(`/api/steering/centres/${centreId}/dashboard`)).status, 200);
  });

  it('lets the head of centre enter the month’s figures and thresholds, and no one else', async () => {
    const head = await as('prigent.y.camid');
    const month = new Date().toISOString().slice(0, 7);
    const put = await head.put(`/api/steering/centres/${centreId}/figures/${month}`, { actual: 50, supervisors: 10 });
    assert.equal(put.status, 200, put.text);
    const back = await head.get(`/api/steering/centres/${centreId}/figures/${month}`);
    assert.deepEqual(back.json, { actual: 50, supervisors: 10 });
    const d = await head.get(`/api/steering/centres/${centreId}/dashboard`);
    assert.equal(d.json.months[11].means.supervisionRate, 20);
    assert.equal(
      (await head.put(`/api/steering/centres/${centreId}/figures/${month}`, { actual: -3 })).status,
      400,
      'a negative figure',
    );
    const t = await head.put(`/api/steering/centres/${centreId}/thresholds/returnedFiles`, { threshold: 12 });
    assert.equal(t.status, 200, t.text);
    assert.deepEqual(t.json, { indicator: 'returnedFiles', threshold: 12 });
    const officeHead = await as('quere.h.camid');
    assert.equal(
      (await officeHead.put(`/api/steering/centres/${centreId}/thresholds/returnedFiles`, { threshold: 1 })).status,
      403,
    );
    assert.equal((await officeHead.put(`/api/steering/centres/${centreId}/figures/${month}`, {})).status, 403);
    for (const who of ['lebihan.s.camid', 'martin.c77011', '2010002684dh'])
      assert.equal((await (await as(who)).get(`/api/steering/centres/${centreId}/dashboard`)).status, 403, who);
  });

  it('serves the card programme’s dashboard to the national administrator and to a registration authority for its own', async () => {
    const admin = await as('admin.national');
    const whole = await admin.get('/api/steering/cards');
    assert.equal(whole.status, 200, whole.text);
    assert.ok(Value.Check(S.CardDashboard, whole.json));
    assert.equal(whole.json.months.length, 12);
    const ra = await as('lefebvre.s77');
    assert.equal((await ra.get('/api/steering/cards')).status, 403);
    assert.equal((await ra.get(`/api/steering/cards?organizationId=${await orgId(p.ctx, 'PREF77')}`)).status, 200);
    assert.equal((await ra.get(`/api/steering/cards?organizationId=${await orgId(p.ctx, 'BN-BREST')}`)).status, 403);
    assert.equal((await (await as('martin.c77011')).get('/api/steering/cards')).status, 403);
  });
});
