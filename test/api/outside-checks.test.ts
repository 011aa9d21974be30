// Issue 13, items 2, 5, 9, 11, 12 and the 405 of item 13: what the outside checks found on the
// HTTP edge, each tried the way they tried it, on SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { verifyAuditChain } from '../../src/store/audit.ts';
import { auditRefusal } from '../../src/app/refusals.ts';
import { forEachDatabase, actorFor, openTestPlatform, orgId, type TestPlatform } from '../support/platform.ts';
import { startServer, type Client, type HttpResponse, type TestServer } from '../support/http.ts';
import { RawConnection } from '../support/raw-http.ts';
import { ensureTestPki } from '../support/signing.ts';

function assertFrench(res: HttpResponse, status: number, detail?: RegExp): void {
  assert.equal(res.status, status, res.text.slice(0, 300));
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.doesNotMatch(res.json.detail, /\b(not found|error|invalid|forbidden|unauthorized|the|request|url)\b/i);
  if (detail) assert.match(res.json.detail, detail);
}

forEachDatabase('outside checks (issue 13: 2, 5, 9, 11, 12, 13)', (dialect) => {
  let p: TestPlatform;
  let server: TestServer;
  let admin: Client;
  let holder: Client; // 2010002684dh: a holder, no other role

  before(async () => {
    p = await openTestPlatform(dialect);
    await ensureTestPki(p); // the OCSP responder answers from the start
    server = await startServer(p, { rateLimitPerMinute: 100_000 });
    admin = await server.signIn('admin.national');
    holder = await server.signIn('2010002684dh');
  });
  after(async () => {
    await server?.close();
    await p?.close();
  });

  it('2. a lone surrogate sent by a signed-in user is refused in French and the audit trail stays intact', async () => {
    // The outside check: the holder asks for a service token with a lone surrogate as organisation.
    const res = await holder.post('/api/service-tokens', {
      name: 'x',
      organizationId: '\ud800',
      scopes: ['hr_import'],
    });
    assertFrench(res, 400, /caractères/);
    assert.deepEqual(res.json.errors, [
      { field: 'organizationId', reason: 'caractère Unicode invalide (demi-paire de substitution isolée)' },
    ]);
    for (const name of ['a\u0000b', 'abc\u202egpj.exe']) {
      const r = await admin.post('/api/service-tokens', {
        name,
        organizationId: await orgId(p.ctx, '77011'),
        scopes: ['hr_import'],
      });
      assertFrench(r, 400);
      assert.equal(r.json.errors[0].field, 'name');
    }
    assertFrench(await admin.get('/api/agents?q=%E2%80%AEx'), 400);
    const check = await verifyAuditChain(p.store);
    assert.equal(check.ok, true, JSON.stringify(check.firstBroken));
  });

  it('2. whatever a refusal copies into the audit trail is hashed exactly as the database stores it', async () => {
    const actor = await actorFor(p.ctx, '2010002684dh');
    await auditRefusal(p.ctx, actor, 'x\ud800', '\ud800\u0000', { type: 'card', id: 'a\u202eb\udc00' }, 'motif \u0007');
    const check = await verifyAuditChain(p.store);
    assert.equal(check.ok, true, JSON.stringify(check.firstBroken));
    const last = await p.store.db
      .selectFrom('audit_log')
      .select(['action', 'organization_id', 'target_id'])
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    assert.deepEqual({ ...last }, { action: 'x\uFFFD', organization_id: '\uFFFD\uFFFD', target_id: 'a\uFFFDb\uFFFD' });
  });

  it('5. a page number that is not a finite integer is a French 400 on every list', async () => {
    for (const path of [
      '/api/agents',
      '/api/card-requests',
      '/api/batches',
      '/api/billing',
      '/api/cards',
      '/api/cards/to-hand-over',
      '/api/holders',
      '/api/audit',
    ]) {
      for (const page of ['1e309', '-1e309', 'NaN', '1.5', 'abc']) {
        const res = await admin.get(`${path}?page=${page}`);
        assertFrench(res, 400);
        assert.ok(Array.isArray(res.json.errors) && res.json.errors[0].field.includes('page'), `${path} ${page}`);
      }
      assert.equal((await admin.get(`${path}?page=1`)).status, 200, path);
    }
  });

  it('9. a too long address and an undecodable one are answered in French problem+json, the path not echoed', async () => {
    const long = await admin.get(`/api/agents?q=${'a'.repeat(100_000)}`);
    assertFrench(long, 431, /trop longue/);
    const bad = await admin.get('/api/organizations/%c0%ae%c0%ae%2F');
    assertFrench(bad, 400, /encodage invalide/);
    assert.ok(!bad.text.includes('%c0'));
    // A request line Node cannot even parse.
    const conn = await RawConnection.open(server.baseUrl);
    try {
      await conn.write('GET /api/agents HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n');
      const res = await conn.response(5000);
      assert.ok(res);
      assert.equal(res.status, 400);
      assert.match(res.headers['content-type'] ?? '', /^application\/problem\+json/);
      assert.match(JSON.parse(res.body).detail, /mal formée/);
    } finally {
      conn.close();
    }
  });

  it('11. API answers carry Cache-Control: no-store, errors and PKI publications keep theirs', async () => {
    for (const path of ['/api/agents', '/api/session', '/api/cards', '/api/audit', '/api/agents/nope'])
      assert.equal((await admin.get(path)).headers.get('cache-control'), 'no-store', path);
    assert.equal((await server.request('GET', '/api/session')).headers.get('cache-control'), 'no-store');
    assert.equal((await server.request('GET', '/healthz')).headers.get('cache-control'), null);
  });

  it('12. the session of a deactivated agent never answers again, even after reactivation', async () => {
    const victim = await server.signIn('1002345678');
    const who = (await victim.get('/api/session')).json.person.id as string;
    assert.equal((await victim.get('/api/session')).status, 200);
    assert.equal((await admin.post(`/api/agents/${who}/deactivate`)).status, 200);
    assert.equal((await victim.get('/api/session')).status, 401);
    assert.equal((await admin.post(`/api/agents/${who}/reactivate`)).status, 200);
    assertFrench(await victim.get('/api/session'), 401);
    assertFrench(await victim.post('/api/signatures/nonce'), 401);
    const record = await p.store.db
      .selectFrom('audit_log')
      .select('summary')
      .where('action', '=', 'agent.deactivate')
      .where('target_id', '=', who)
      .executeTakeFirstOrThrow();
    assert.equal(JSON.parse(record.summary).sessionsEnded, 1);
  });

  it('13. other methods on the PKI publications answer 405 with Allow, in French', async () => {
    for (const [method, path, allow] of [
      ['PUT', '/pki/crl/etat.crl', 'GET, HEAD'],
      ['DELETE', '/pki/crl/root.crl', 'GET, HEAD'],
      ['POST', '/pki/ca/root.cer', 'GET, HEAD'],
      ['PATCH', '/pki/ca/etat.cer', 'GET, HEAD'],
      ['PUT', '/pki/ocsp', 'GET, HEAD, POST'],
      ['DELETE', '/pki/ocsp/abc', 'GET, HEAD, POST'],
    ] as const) {
      const res = await server.request(method, path);
      assertFrench(res, 405, /non admise/);
      assert.equal(res.headers.get('allow'), allow, `${method} ${path}`);
    }
    assert.equal((await server.request('PUT', '/api/nothing-here')).status, 404);
  });
});
