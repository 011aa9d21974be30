// Every route declares its answers (src/http/schemas/README.md): a 2xx response schema shown in the
// OpenAPI document, the Problem for errors, the media type of non-JSON answers. Fastify serialises
// through them, so the check mode of the tests (an answer must fit its schema exactly) keeps the use
// cases and the schemas in step.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { buildServer } from '../../src/http/server.ts';
import { registeredRoutes, requireResponseSchemas, strictMismatches } from '../../src/http/response-check.ts';
import { ocspRoutes } from '../../src/pki/ocsp-http.ts';
import { responses } from '../../src/http/schemas/common.ts';
import { forEachDatabase, openTestPlatform, type TestPlatform } from '../support/platform.ts';

type Operation = { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> };
type OpenApi = { paths: Record<string, Record<string, Operation>> };

/** The OpenAPI path of a Fastify URL (`:id` → `{id}`, `*` → `{*}`), as @fastify/swagger writes it. */
const openapiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}').replace(/\*$/, '{*}');

const Answer = Type.Object({ id: Type.String(), label: Type.String() });

forEachDatabase('response schemas', (dialect) => {
  let p: TestPlatform;
  let app: FastifyInstance;

  before(async () => {
    p = await openTestPlatform(dialect, { demo: false });
    app = await buildServer(p.ctx, p.config, { logger: false, checkResponses: false });
  });
  after(async () => {
    await app?.close();
    await p?.close();
  });

  it('every route has a 2xx response schema, shown in the OpenAPI document with its media type', async () => {
    await app.ready();
    const doc = app.swagger() as unknown as OpenApi;
    const routes = registeredRoutes(app).filter((r) => !(r.schema as { hide?: boolean } | undefined)?.hide);
    // The API, the PKI publication and the OCSP responder are all there.
    for (const url of ['/api/agents/:id', '/api/cards/:id/attestation.pdf', '/pki/crl/:file', '/healthz'])
      assert.ok(
        routes.some((r) => r.url === url),
        `${url} registered`,
      );
    assert.ok(routes.length > 100, `${routes.length} routes`);
    const missing: string[] = [];
    for (const route of routes) {
      const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
      for (const method of methods) {
        const name = `${method} ${route.url}`;
        const declared = (route.schema as { response?: Record<string, unknown> }).response ?? {};
        const ok = Object.keys(declared).filter((c) => c.startsWith('2'));
        if (ok.length === 0) missing.push(`${name}: no 2xx response schema`);
        const op = doc.paths[openapiPath(route.url)]?.[method.toLowerCase()];
        if (!op) {
          missing.push(`${name}: not in the OpenAPI document`);
          continue;
        }
        for (const code of ok) {
          const documented = op.responses?.[code];
          if (!documented) missing.push(`${name}: ${code} not documented`);
          else if (code !== '204' && !Object.values(documented.content ?? {}).some((c) => c.schema))
            missing.push(`${name}: ${code} documented without a schema`);
        }
        // Errors are problem+json (the OCSP responder proper answers in DER: tested below).
        const errors = Object.keys(op.responses?.['4XX']?.content ?? {});
        if (errors.join() !== 'application/problem+json') missing.push(`${name}: 4XX as ${errors.join()}`);
      }
    }
    assert.deepEqual(missing, []);

    // Non-JSON answers name their media type.
    const media = (path: string, method = 'get', code = '200') =>
      Object.keys(doc.paths[path]?.[method]?.responses?.[code]?.content ?? {});
    assert.deepEqual(media('/api/cards/{id}/attestation.pdf'), ['application/pdf']);
    assert.deepEqual(media('/api/agents/{id}/photo'), ['image/jpeg']);
    assert.deepEqual(media('/api/billing.csv'), ['text/csv']);
    assert.deepEqual(media('/api/imports/{id}/report.csv'), ['text/csv']);
    assert.deepEqual(media('/pki/ca/{file}'), ['application/pkix-cert']);
    assert.deepEqual(media('/pki/crl/{file}'), ['application/pkix-crl']);
    assert.deepEqual(media('/api/agents/{id}'), ['application/json']);
    assert.deepEqual(Object.keys(doc.paths['/api/agents/{id}']?.['delete']?.responses?.['204'] ?? {}), ['description']);

    // Without a CA, the responder's paths answer 503 (problem+json) instead of the DER answers.
    const ocsp = await app.inject({
      method: 'POST',
      url: '/pki/ocsp',
      headers: { 'content-type': 'application/ocsp-request' },
      payload: Buffer.from([0x30, 0x00]),
    });
    assert.equal(ocsp.statusCode, 503);
    assert.match(ocsp.headers['content-type'] as string, /^application\/problem\+json/);
    assert.match(ocsp.json().detail, /cartes ca init/);
  });

  it('documents the OCSP responder: DER answers, errors included', async () => {
    const bare = Fastify({ logger: false });
    requireResponseSchemas(bare);
    await bare.register(swagger, { openapi: { info: { title: 'OCSP', version: '1' } } });
    ocspRoutes(bare, { lookup: async () => null, responderFor: async () => null });
    try {
      await bare.ready();
      const doc = bare.swagger() as unknown as OpenApi;
      const get = doc.paths['/pki/ocsp/{*}']?.['get'];
      const post = doc.paths['/pki/ocsp']?.['post'];
      for (const op of [get, post]) {
        assert.ok(op);
        for (const code of ['200', '4XX', '5XX'])
          assert.deepEqual(Object.keys(op.responses?.[code]?.content ?? {}), ['application/ocsp-response'], code);
      }
      // An unknown issuer: an OCSP answer (unauthorized), in DER, through the documented route.
      const res = await bare.inject({ method: 'GET', url: '/pki/ocsp/MAA=' });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'application/ocsp-response');
    } finally {
      await bare.close();
    }
  });

  it('refuses to register a route without a 2xx response schema', async () => {
    const fresh = await buildServer(p.ctx, p.config, { logger: false });
    try {
      assert.throws(
        () => fresh.get('/api/sans-schema', async () => ({ ok: true })),
        /GET \/api\/sans-schema: no 2xx response schema/,
      );
      assert.throws(
        () => fresh.get('/api/erreurs-seules', { schema: { response: responses({}) } }, async () => ({})),
        /no 2xx response schema/,
      );
    } finally {
      await fresh.close();
    }
  });

  it('serialises through the schema: a member it does not list never leaves the server', async () => {
    const fresh = await buildServer(p.ctx, p.config, { logger: false, checkResponses: false });
    try {
      fresh.get('/api/essai', { schema: { response: responses({ 200: Answer }) } }, async () => ({
        id: 'a1',
        label: 'Libellé',
        secretHash: 'ne doit pas sortir',
      }));
      const res = await fresh.inject({ method: 'GET', url: '/api/essai' });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { id: 'a1', label: 'Libellé' });
    } finally {
      await fresh.close();
    }
  });

  it('in check mode, an answer that does not fit its schema fails with a 500 naming the mismatch', async () => {
    const fresh = await buildServer(p.ctx, p.config, { logger: false, checkResponses: true });
    const errors: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args.join(' '));
    try {
      fresh.get('/api/en-trop', { schema: { response: responses({ 200: Answer }) } }, async () => ({
        id: 'a1',
        label: 'x',
        extra: 1,
      }));
      fresh.get(
        '/api/type-faux',
        { schema: { response: responses({ 200: Answer }) } },
        async () => ({ id: 'a1', label: null }) as unknown as { id: string; label: string },
      );
      fresh.get('/api/conforme', { schema: { response: responses({ 200: Answer }) } }, async () => ({
        id: 'a1',
        label: 'x',
      }));
      const extra = await fresh.inject({ method: 'GET', url: '/api/en-trop' });
      assert.equal(extra.statusCode, 500);
      assert.match(extra.headers['content-type'] as string, /^application\/problem\+json/);
      assert.match(extra.json().detail, /\$\.extra: not in the schema/);
      const wrong = await fresh.inject({ method: 'GET', url: '/api/type-faux' });
      assert.equal(wrong.statusCode, 500);
      assert.match(wrong.json().detail, /\$\.label: null instead of string/);
      const fine = await fresh.inject({ method: 'GET', url: '/api/conforme' });
      assert.equal(fine.statusCode, 200);
      assert.deepEqual(fine.json(), { id: 'a1', label: 'x' });
      // Errors are checked against the Problem too, and pass.
      const problem = await fresh.inject({ method: 'GET', url: '/api/session' });
      assert.equal(problem.statusCode, 401);
      assert.equal(problem.json().status, 401);
      assert.equal(errors.length, 2);
    } finally {
      console.error = original;
      await fresh.close();
    }
  });
});

it('the strict comparison finds what the serialiser would change', () => {
  const schema = Type.Object({
    id: Type.String(),
    count: Type.Integer(),
    note: Type.Union([Type.String(), Type.Null()]),
    tags: Type.Array(Type.String()),
    byState: Type.Record(Type.String(), Type.Integer()),
    kind: Type.Union([Type.Literal('a'), Type.Literal('b')]),
    free: Type.Unknown(),
    maybe: Type.Optional(Type.Boolean()),
  });
  const good = { id: 'x', count: 2, note: null, tags: ['t'], byState: { open: 1 }, kind: 'a', free: { any: [1] } };
  assert.deepEqual(strictMismatches(schema, good), []);
  assert.deepEqual(strictMismatches(schema, { ...good, maybe: undefined }), []);
  assert.deepEqual(strictMismatches(schema, { ...good, count: '2' }), ['$.count: string 2 instead of integer']);
  assert.deepEqual(strictMismatches(schema, { ...good, count: 2.5 }), ['$.count: number 2.5 instead of integer']);
  assert.deepEqual(strictMismatches(schema, { ...good, tags: ['t', 3] }), ['$.tags[1]: number instead of string']);
  assert.deepEqual(strictMismatches(schema, { ...good, byState: { open: '1' } }), [
    '$.byState.open: string 1 instead of integer',
  ]);
  assert.deepEqual(strictMismatches(schema, { ...good, kind: 'c' }), ['$.kind: "c" instead of "a"']);
  assert.deepEqual(strictMismatches(schema, { ...good, at: new Date(0) }), [
    '$.at: not in the schema (the serialiser would drop it)',
  ]);
  const { id: _id, ...noId } = good;
  assert.deepEqual(strictMismatches(schema, noId), ['$.id: missing']);
  assert.deepEqual(strictMismatches(Type.Object({ at: Type.String() }), { at: new Date(0) }), [
    '$.at: Date instead of string',
  ]);
});
