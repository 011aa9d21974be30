// Issue 13, items 1, 6 and 7: who calls is known before any body is read, bodies are bounded per
// route, uploads are received on disk under a ceiling, and a refused request never leaves its
// connection stuck. Over real sockets, on SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { countRows } from '../../src/store/audit.ts';
import { forEachDatabase, openTestPlatform, orgId, type TestPlatform } from '../support/platform.ts';
import { startServer, type Client, type TestServer } from '../support/http.ts';
import { chunk, RawConnection, requestHead, sendUntilClosed } from '../support/raw-http.ts';

const KIB = 1024;
const MIB = 1024 * KIB;

function assertFrenchProblem(status: number, expected: number, headers: Record<string, string>, body: string): void {
  assert.equal(status, expected, body.slice(0, 300));
  assert.match(headers['content-type'] ?? '', /^application\/problem\+json/);
  const detail = (JSON.parse(body) as { detail: string }).detail;
  assert.doesNotMatch(detail, /\b(not found|error|invalid|forbidden|unauthorized|the|request)\b/i);
}

forEachDatabase('request bodies (issue 13: 1, 6, 7)', (dialect) => {
  let p: TestPlatform;
  let server: TestServer;
  let ra: Client; // lefebvre.s77: imports for the prefecture's towns
  let auditor: Client;
  let town: string;

  before(async () => {
    p = await openTestPlatform(dialect);
    server = await startServer(p, { rateLimitPerMinute: 100_000 });
    ra = await server.signIn('lefebvre.s77');
    auditor = await server.signIn('auditeur.externe');
    town = await orgId(p.ctx, '77011');
  });
  after(async () => {
    await server?.close();
    await p?.close();
  });

  const uploadsLeft = () => {
    const dir = join(p.dataDir, 'uploads');
    return existsSync(dir) ? readdirSync(dir) : [];
  };

  it('refuses an anonymous chunked body before reading it, closes the connection, and keeps serving', async () => {
    const runs = await countRows(p.store.db, 'import_runs');
    const conn = await RawConnection.open(server.baseUrl);
    try {
      // The request of the outside check: a JSON string of hundreds of megabytes, anonymous.
      await conn.write(
        requestHead('POST', '/api/imports?organizationId=x', {
          'content-type': 'application/json',
          'transfer-encoding': 'chunked',
        }),
      );
      await conn.write(chunk(Buffer.concat([Buffer.from('{"a":"'), Buffer.alloc(64 * KIB, 'j')])));
      // The answer comes while the body is still arriving.
      const res = await conn.response(10_000);
      assert.ok(res, 'no answer before the end of the body');
      assertFrenchProblem(res.status, 401, res.headers, res.body);
      assert.equal(res.headers['connection'], 'close');
      // The rest is not read: the server closes long before 256 MB went through.
      const sent = await sendUntilClosed(conn, 64 * KIB, 256 * MIB);
      assert.ok(sent < 256 * MIB, `the server read ${sent} bytes of an anonymous body`);
      assert.ok(await conn.untilClosed(10_000));
    } finally {
      conn.close();
    }
    assert.equal((await server.request('GET', '/healthz')).status, 200);
    assert.equal(await countRows(p.store.db, 'import_runs'), runs);
  });

  it('refuses, before its body, an upload by someone without the right', async () => {
    const conn = await RawConnection.open(server.baseUrl);
    try {
      await conn.write(
        requestHead('POST', `/api/imports?organizationId=${town}&format=csv`, {
          'content-type': 'text/csv',
          'transfer-encoding': 'chunked',
          cookie: auditor.cookie,
          'x-csrf-token': auditor.csrfToken,
        }),
      );
      await conn.write(chunk(Buffer.alloc(64 * KIB, 'a')));
      const res = await conn.response(10_000);
      assert.ok(res, 'no answer before the end of the body');
      assertFrenchProblem(res.status, 403, res.headers, res.body);
      assert.ok((await sendUntilClosed(conn, 64 * KIB, 256 * MIB)) < 256 * MIB);
    } finally {
      conn.close();
    }
    assert.deepEqual(uploadsLeft(), []);
  });

  it('keeps JSON bodies small on every route (413 in French), anonymous sign-in included', async () => {
    const big = 'x'.repeat(200 * KIB);
    const res = await ra.post('/api/agents', { lastName: big });
    assert.equal(res.status, 413, res.text);
    assert.match(res.json.detail, /trop volumineux/);
    const anonymous = await server.request('POST', '/api/auth/link', { token: big });
    assert.equal(anonymous.status, 413, anonymous.text);
  });

  it('refuses an upload past the configured ceiling while it arrives; nothing is imported or left on disk', async () => {
    const small = await startServer({ ...p, config: { ...p.config, uploadMaxBytes: 256 * KIB } });
    const runs = await countRows(p.store.db, 'import_runs');
    const conn = await RawConnection.open(small.baseUrl);
    try {
      await conn.write(
        requestHead('POST', `/api/imports?organizationId=${town}&format=csv`, {
          'content-type': 'text/csv',
          'transfer-encoding': 'chunked',
          cookie: ra.cookie,
          'x-csrf-token': ra.csrfToken,
        }),
      );
      const sent = await sendUntilClosed(conn, 64 * KIB, 64 * MIB);
      assert.ok(sent < 64 * MIB, 'the server kept reading past its ceiling');
      const res = await conn.response(10_000);
      assert.ok(res);
      assertFrenchProblem(res.status, 413, res.headers, res.body);
      assert.match(JSON.parse(res.body).detail, /flux SIRH dépasse la taille admise \(256 Ko au plus\)/);
    } finally {
      conn.close();
      await small.close();
    }
    assert.equal(await countRows(p.store.db, 'import_runs'), runs);
    assert.deepEqual(uploadsLeft(), []);
    // A Content-Length above the ceiling is refused at once.
    const announced = await startServer({ ...p, config: { ...p.config, uploadMaxBytes: 2 * KIB } });
    try {
      const res = await announced.request('POST', `/api/imports?organizationId=${town}`, undefined, {
        raw: Buffer.alloc(4 * KIB, 'a'),
        contentType: 'text/csv',
        headers: { cookie: ra.cookie, 'x-csrf-token': ra.csrfToken },
      });
      assert.equal(res.status, 413, res.text);
    } finally {
      await announced.close();
    }
  });

  it('answers the next request on the same keep-alive connection after a refused import (422)', async () => {
    const conn = await RawConnection.open(server.baseUrl);
    try {
      // Not a feed (commas, not semicolons), and larger than what the reader looks at before refusing.
      const body = Buffer.from('a,b,c\n'.repeat(200_000));
      await conn.write(
        requestHead('POST', `/api/imports?organizationId=${town}&format=csv`, {
          'content-type': 'text/csv',
          'content-length': String(body.length),
          cookie: ra.cookie,
          'x-csrf-token': ra.csrfToken,
        }),
      );
      await conn.write(body);
      const refused = await conn.response(20_000);
      assert.ok(refused);
      assertFrenchProblem(refused.status, 422, refused.headers, refused.body);
      assert.match(JSON.parse(refused.body).detail, /points-virgules/);
      assert.notEqual(refused.headers['connection'], 'close');
      await conn.write(requestHead('GET', '/api/session', { cookie: ra.cookie }));
      const next = await conn.response(10_000);
      assert.ok(next, 'the next request on the connection got no answer');
      assert.equal(next.status, 200, next.body);
      assert.equal(JSON.parse(next.body).person.identifier, 'lefebvre.s77');
    } finally {
      conn.close();
    }
    assert.deepEqual(uploadsLeft(), []);
  });

  it('answers PUT of a photo without a body with a French 422, and a JSON photo with 415', async () => {
    const leroy = (await ra.get('/api/agents?q=LEROY')).json.items[0].id as string;
    const empty = await ra.put(`/api/agents/${leroy}/photo`);
    assert.equal(empty.status, 422, empty.text);
    assert.match(empty.json.detail, /photo n'est pas conforme/);
    const json = await ra.put(`/api/agents/${leroy}/photo`, { jpeg: 'abc' });
    assert.equal(json.status, 415, json.text);
    assert.match(json.json.detail, /fichier brut/);
  });
});
