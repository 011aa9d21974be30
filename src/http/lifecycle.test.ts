// Request lifecycle over real sockets: deadlines per route (GET and POST), work skipped for a client
// that has gone, one log line per request with its id, and a close bounded in time.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { closeWithin, inFlight, requestLifecycle, RequestCancelled } from './lifecycle.ts';

describe('request lifecycle', () => {
  let app: FastifyInstance;
  let base: string;
  const lines: Record<string, unknown>[] = [];
  const seen = new Map<string, { reason?: string; ran: boolean }>();

  before(async () => {
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    app = Fastify({
      logger: { level: 'info', stream },
      logController: new LogController({ disableRequestLogging: true }),
    });
    requestLifecycle(app, { defaultTimeoutMs: 5_000 });
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_r, body, done) => done(null, body));
    const slow = async (id: string, signal: AbortSignal, ms: number) => {
      const entry = { ran: true } as { reason?: string; ran: boolean };
      seen.set(id, entry);
      signal.addEventListener('abort', () => (entry.reason = (signal.reason as RequestCancelled).reason));
      await sleep(ms);
      return { late: true };
    };
    app.get('/slow', { config: { timeoutMs: 300 } }, async (req) => slow('get', req.cancelled, 1500));
    app.post('/slow', { config: { timeoutMs: 300 } }, async (req) => slow('post', req.cancelled, 1500));
    app.post('/read', async (req) => {
      await sleep(200);
      return { cancelled: req.cancelled.aborted, body: req.body };
    });
    // A busy server: the request waits 400 ms before its handler would run.
    app.get('/queued', { onRequest: async () => sleep(400) }, async () => {
      seen.set('queued', { ran: true });
      return { ok: true };
    });
    app.get('/watched', async (req) => slow('watched', req.cancelled, 600));
    app.get('/ok', async () => ({ ok: true }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    assert.ok(addr && typeof addr === 'object');
    base = `http://127.0.0.1:${addr.port}`;
  });
  after(async () => app?.close());

  it('answers 503 in French at the route deadline, GET and POST alike, and aborts the work signal', async () => {
    const get = await fetch(`${base}/slow`);
    assert.equal(get.status, 503);
    assert.equal(get.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.match(
      ((await get.json()) as { detail: string }).detail,
      /^Le traitement de la requête a dépassé 300 ms : réessayez/,
    );
    assert.equal(seen.get('get')?.reason, 'timeout');
    // A request with a body too (Fastify's own handlerTimeout loses its timer once the body is read).
    const post = await fetch(`${base}/slow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    assert.equal(post.status, 503);
    assert.equal(seen.get('post')?.reason, 'timeout');
  });

  it('reading a body does not count as the client leaving', async () => {
    const r = await fetch(`${base}/read`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    assert.deepEqual(await r.json(), { cancelled: false, body: '{"a":1}' });
  });

  it('skips the work of a request whose client left while it waited, and tells a running one', async () => {
    for (const [path, after] of [
      ['/queued', 100],
      ['/watched', 200],
    ] as const) {
      await new Promise<void>((resolve) => {
        const req = httpRequest(`${base}${path}`);
        req.on('error', () => resolve());
        req.end();
        setTimeout(() => {
          req.destroy();
          resolve();
        }, after);
      });
    }
    await sleep(800);
    assert.equal(seen.has('queued'), false, 'the handler of a request whose client had gone did not run');
    assert.equal(seen.get('watched')?.reason, 'client-gone');
    assert.equal(inFlight(app), 0);
  });

  it('logs one line per request, with its id, route, status and duration', async () => {
    lines.length = 0;
    await (await fetch(`${base}/ok`)).json();
    await sleep(50);
    const mine = lines.filter((l) => l['url'] === '/ok');
    assert.equal(mine.length, 1, JSON.stringify(lines));
    assert.equal(mine[0]!['msg'], 'requête');
    assert.equal(mine[0]!['status'], 200);
    assert.equal(typeof mine[0]!['reqId'], 'string');
    assert.equal(typeof mine[0]!['ms'], 'number');
    assert.equal(lines.length, 1, 'no other line for this request');
  });

  it('closes within its deadline: a request that never completes is cut', async () => {
    const other = Fastify({ logger: false });
    requestLifecycle(other, { defaultTimeoutMs: 0 });
    other.post('/upload', async () => ({ ok: true }));
    await other.listen({ host: '127.0.0.1', port: 0 });
    const addr = other.server.address();
    assert.ok(addr && typeof addr === 'object');
    // Headers and part of a body, then nothing: the server waits for the rest.
    const socket = connect(addr.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":',
    );
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await sleep(100);
    assert.equal(await closeWithin(other, 300), false);
    await closed; // the connection was cut by the server
    // A server with nothing in flight closes cleanly.
    const idle = Fastify({ logger: false });
    await idle.listen({ host: '127.0.0.1', port: 0 });
    assert.equal(await closeWithin(idle, 300), true);
  });
});
