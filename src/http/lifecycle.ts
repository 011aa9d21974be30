// What every request goes through besides its route: one log line when it ends (not two), a deadline
// per route, work skipped for clients that have gone, and a bounded close of the server.
//
// Fastify's own `handlerTimeout` is not used: its signal also fires when a request body has been read
// (the IncomingMessage 'close' event), which cancels the timer of every POST. Here the signal follows
// the response: it aborts when the connection closes before the answer is finished, or at the deadline.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem } from './problem.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Aborted when the client has gone before its answer, or when the route's deadline has passed. */
    cancelled: AbortSignal;
  }
  interface FastifyContextConfig {
    /** Deadline of this route, ms (default: the server's); the client then gets 503 and `cancelled` aborts. */
    timeoutMs?: number;
  }
}

/** Why `request.cancelled` aborted. */
export class RequestCancelled extends Error {
  readonly reason: 'client-gone' | 'timeout';
  constructor(reason: 'client-gone' | 'timeout') {
    super(reason === 'timeout' ? 'deadline passed' : 'client disconnected');
    this.name = 'RequestCancelled';
    this.reason = reason;
  }
}

export interface LifecycleOptions {
  /** Deadline of a route without its own `config.timeoutMs`, ms. */
  defaultTimeoutMs: number;
}

/** Requests being answered by this server (the shutdown waits for them, within its deadline). */
export function inFlight(app: FastifyInstance): number {
  return (app as unknown as { [IN_FLIGHT]?: Set<unknown> })[IN_FLIGHT]?.size ?? 0;
}
const IN_FLIGHT = Symbol('cartes.inFlight');
const TRACKED = Symbol('cartes.tracked');

/** What the lifecycle knows of a request; the AbortController is made only when someone asks. */
interface Tracked {
  reply: FastifyReply;
  deadline: number;
  ms: number;
  reason: 'client-gone' | 'timeout' | null;
  controller: AbortController | null;
}

function cancel(t: Tracked, reason: 'client-gone' | 'timeout'): void {
  if (t.reason) return;
  t.reason = reason;
  t.controller?.abort(new RequestCancelled(reason));
}

export function requestLifecycle(app: FastifyInstance, opts: LifecycleOptions): void {
  // Per request: a set entry and one 'close' listener; deadlines are swept every 100 ms (a timer per
  // request would cost more on the hot paths).
  const tracked = new Set<Tracked>();
  (app as unknown as { [IN_FLIGHT]: Set<Tracked> })[IN_FLIGHT] = tracked;
  app.decorateRequest('cancelled', {
    getter(this: FastifyRequest) {
      const t = (this as unknown as { [TRACKED]?: Tracked })[TRACKED];
      if (!t) return new AbortController().signal;
      if (!t.controller) {
        t.controller = new AbortController();
        if (t.reason) t.controller.abort(new RequestCancelled(t.reason));
      }
      return t.controller.signal;
    },
  });

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const t of tracked) {
      if (t.deadline > now || t.reason) continue;
      const { reply, ms } = t;
      cancel(t, 'timeout');
      if (reply.sent) continue;
      if (reply.raw.headersSent) reply.raw.destroy();
      else
        void sendProblem(
          reply,
          503,
          `Le traitement de la requête a dépassé ${ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`} : réessayez dans un moment.`,
        );
    }
  }, 100);
  sweep.unref();
  app.addHook('onClose', (_instance, done) => {
    clearInterval(sweep);
    done();
  });

  app.addHook('onRequest', (request, reply, done) => {
    const ms = request.routeOptions.config?.timeoutMs ?? opts.defaultTimeoutMs;
    const t: Tracked = { reply, ms, deadline: ms > 0 ? Date.now() + ms : Infinity, reason: null, controller: null };
    (request as unknown as { [TRACKED]: Tracked })[TRACKED] = t;
    tracked.add(t);
    const res = reply.raw;
    res.once('close', () => {
      tracked.delete(t);
      if (!res.writableFinished) cancel(t, 'client-gone');
    });
    done();
  });

  // A client that left while its request waited (a busy server): its work is not done at all.
  const skipIfGone = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const t = (request as unknown as { [TRACKED]?: Tracked })[TRACKED];
    if (t?.reason && !reply.sent) {
      reply.hijack();
      if (!reply.raw.destroyed) reply.raw.destroy();
    }
    done();
  };
  app.addHook('preValidation', skipIfGone);
  app.addHook('preHandler', skipIfGone);

  // One structured line per request, with its id (Fastify's two lines are off: disableRequestLogging).
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info(
      {
        method: request.method,
        url: request.routeOptions.url ?? request.url.split('?')[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 100) / 100,
      },
      'requête',
    );
    done();
  });
}

/**
 * Closes the server within `deadlineMs`: no new connection, idle keep-alive connections closed, requests
 * in flight finish; at the deadline the remaining connections are cut. Resolves true when nothing had to
 * be cut.
 */
export async function closeWithin(
  app: FastifyInstance,
  deadlineMs: number,
  /** Requests answered in front of Fastify (the OCSP responder's node:http listener). */
  alsoInFlight: () => number = () => 0,
): Promise<boolean> {
  let cut = false;
  const timer = setTimeout(() => {
    cut = inFlight(app) + alsoInFlight() > 0;
    app.server.closeAllConnections();
  }, deadlineMs);
  // A keep-alive connection whose request ends after the close began stays open otherwise (Node closes
  // the idle ones once, when the close starts): close them as they become idle.
  const idle = setInterval(() => app.server.closeIdleConnections(), 50);
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
    clearInterval(idle);
  }
  return !cut;
}
