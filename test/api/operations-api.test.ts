// The operations endpoints over HTTP: probes, version, Prometheus figures (local or with a token),
// the operations API by role, the subject access export, the request id in every problem body, and
// 503 problem+json in French while the database is away.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { enqueue } from '../../src/jobs/queue.ts';
import pg from 'pg';
import { forEachDatabase, openTestPlatform, agentId, pgServerUrl, type TestPlatform } from '../support/platform.ts';
import { startServer, type Client, type TestServer } from '../support/http.ts';
import { sharedSecrets } from '../support/operations.ts';

forEachDatabase('operations API', (dialect) => {
  let p: TestPlatform;
  let server: TestServer;
  let admin: Client;
  let operator: Client;
  let auditor: Client;
  before(async () => {
    p = await openTestPlatform(dialect, { env: { ...sharedSecrets(), CARTES_METRICS_TOKEN: 'jeton-des-mesures' } });
    server = await startServer(p);
    admin = await server.signIn('admin.national');
    operator = await server.signIn('martin.c77011');
    auditor = await server.signIn('auditeur.externe');
  });
  after(async () => {
    await server?.close();
    await p?.close();
  });

  it('answers the probes and tells its version', async () => {
    const live = await server.request('GET', '/livez');
    assert.equal(live.status, 200);
    assert.equal(live.json.status, 'ok');
    const ready = await server.request('GET', '/readyz');
    assert.equal(ready.status, 200, ready.text);
    assert.equal(ready.json.status, 'prêt');
    assert.deepEqual(Object.keys(ready.json.checks).sort(), ['database', 'disk', 'keys', 'migrations']);
    const legacy = await server.request('GET', '/healthz');
    assert.equal(legacy.json.status, 'prêt');
    const version = await server.request('GET', '/version');
    assert.equal(version.status, 200);
    assert.equal(version.json.name, 'cartes-agents');
    assert.match(version.json.version, /^\d+\.\d+\.\d+/);
    assert.match(version.json.schema, /^\d{3}_/);
    assert.equal(version.json.node, process.version);
  });

  it('serves the Prometheus figures to a holder of the token, with the queue and the latencies', async () => {
    const now = p.ctx.now().toISOString();
    await enqueue(p.store.db, { id: p.ctx.newId(), kind: 'mail.send', payload: { mailId: 'x' }, runAt: now, now });
    await server.request('GET', '/livez');
    assert.equal((await server.request('GET', '/metrics')).status, 401);
    const wrong = await server.request('GET', '/metrics', undefined, { headers: { authorization: 'Bearer non' } });
    assert.equal(wrong.status, 401);
    assert.ok(wrong.json.requestId);
    const res = await server.request('GET', '/metrics', undefined, {
      headers: { authorization: 'Bearer jeton-des-mesures' },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    for (const line of [
      /^cartes_database_up 1$/m,
      /^cartes_jobs\{kind="mail.send",status="pending"\} 1$/m,
      /^cartes_jobs_oldest_due_age_seconds\{kind="mail.send",status="pending"\} \d/m,
      /^cartes_http_request_duration_seconds_bucket\{le="0.1",method="GET",route="\/livez",status_code="200"\} \d+$/m,
      /^cartes_import_rows\{outcome="inserted"\} \d+$/m,
      /^process_resident_memory_bytes \d+/m,
    ])
      assert.match(res.text, line);
  });

  it('opens the operations API to those who run the platform, by role', async () => {
    const anonymous = await server.request('GET', '/api/operations/jobs');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.json.requestId, anonymous.headers.get('x-request-id'));
    const refused = await operator.get('/api/operations/journal');
    assert.equal(refused.status, 403);
    assert.match(refused.json.detail, /droits/);
    assert.equal(refused.json.requestId, refused.headers.get('x-request-id'));
    assert.equal((await auditor.get('/api/operations/journal')).status, 200, 'the auditor reads');
    assert.equal((await auditor.post('/api/operations/backups')).status, 403, 'and only reads');

    const made = await admin.post('/api/operations/backups');
    assert.equal(made.status, 201, made.text);
    const list = await admin.get('/api/operations/backups');
    assert.equal(list.json.items[0].id, made.json.id);
    assert.equal(list.json.keepDays, 7);
    const verified = await admin.post(`/api/operations/backups/${made.json.id}/verify`);
    assert.equal(verified.status, 200);
    assert.equal(verified.json.ok, true, JSON.stringify(verified.json.checks));
    const journal = await admin.get('/api/operations/journal?kind=backup');
    const entry = journal.json.items.find((e: { backupId: string }) => e.backupId === made.json.id);
    assert.equal(entry.kindLabel, 'Sauvegarde');
    const checked = await admin.post(`/api/operations/journal/${entry.id}/check`, {
      note: 'Sauvegarde présente et lisible.',
    });
    assert.equal(checked.status, 200);
    const again = await admin.post(`/api/operations/journal/${entry.id}/check`, { note: 'encore' });
    assert.equal(again.status, 422);

    const status = await admin.get('/api/operations/status');
    assert.equal(status.status, 200);
    assert.equal(status.json.readiness.status, 'prêt');
    const jobs = await admin.get('/api/operations/jobs?status=failed');
    assert.deepEqual(jobs.json.items, []);
    const retention = await admin.post('/api/operations/retention', { dryRun: true });
    assert.equal(retention.status, 200);
    assert.equal(retention.json.dryRun, true);
    assert.match(retention.json.labels.agentsErased, /7 ans/);
  });

  it('gives an agent their own data (JSON and PDF), and no one else’s', async () => {
    const holder = await server.signIn('2010002684dh');
    const me = await agentId(p.ctx, '2010002684dh');
    const json = await holder.get(`/api/agents/${me}/personal-data`);
    assert.equal(json.status, 200);
    assert.equal(json.json.agent.identifier, '2010002684dh');
    assert.match(json.headers.get('content-disposition') ?? '', /donnees-personnelles-2010002684dh\.json/);
    assert.equal(json.headers.get('cache-control'), 'no-store');
    const pdf = await holder.get(`/api/agents/${me}/personal-data.pdf`);
    assert.equal(pdf.status, 200);
    assert.equal(pdf.headers.get('content-type'), 'application/pdf');
    assert.equal(pdf.bytes.subarray(0, 5).toString(), '%PDF-');
    const other = await agentId(p.ctx, '1003456789');
    assert.equal((await holder.get(`/api/agents/${other}/personal-data`)).status, 403);
  });
});

describe('operations API while PostgreSQL is away', () => {
  let p: TestPlatform;
  let server: TestServer;
  let admin: pg.Client;
  let name: string;
  before(async () => {
    p = await openTestPlatform('postgres');
    server = await startServer(p);
    name = new URL(p.dbTarget).pathname.slice(1);
    const url = new URL(await pgServerUrl());
    url.pathname = '/postgres';
    admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect();
  });
  after(async () => {
    await admin?.query(`alter database ${admin.escapeIdentifier(name)} allow_connections true`).catch(() => undefined);
    await admin?.end();
    await server?.close();
    await p?.close().catch(() => undefined);
  });

  it('answers 503 problem+json in French while the database refuses connections, and recovers by itself', async () => {
    const client = await server.signIn('admin.national');
    assert.equal((await client.get('/api/organizations')).status, 200);
    // The database goes away: no new connection, the open ones cut.
    await admin.query(`alter database ${admin.escapeIdentifier(name)} allow_connections false`);
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
    const res = await client.get('/api/organizations');
    assert.equal(res.status, 503, res.text);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(res.headers.get('retry-after'), '5');
    assert.match(res.json.detail, /momentanément indisponible : la base de données ne répond pas/);
    assert.doesNotMatch(res.text, /pool|postgres|accepting|Error|at /i);
    assert.equal(res.json.requestId, res.headers.get('x-request-id'));
    const ready = await server.request('GET', '/readyz');
    assert.equal(ready.status, 503);
    assert.equal(ready.json.checks.database.ok, false);
    assert.equal((await server.request('GET', '/livez')).status, 200, 'alive, only not ready');
    // It comes back: the same server answers again, without a restart.
    await admin.query(`alter database ${admin.escapeIdentifier(name)} allow_connections true`);
    assert.equal((await client.get('/api/organizations')).status, 200);
    assert.equal((await server.request('GET', '/readyz')).status, 200);
  });
});
