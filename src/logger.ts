import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';

// One structured logger per process (pino, JSON lines): the HTTP server's request loggers are its
// children (each line of a request carries its `reqId`), background work logs through it too.

/** This process among the instances sharing a database: host, pid and a random suffix. */
export const INSTANCE_ID = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;

export function redactUrl(url: string): string {
  return url.replace(/([?&](jeton|token)=)[^&]*/gi, '$1[masqué]');
}

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { pid: process.pid, instance: INSTANCE_ID },
    serializers: {
      // Sign-in links carry their secret in the query string: never write it to the logs.
      req: (req: { method: string; url: string; id: string }) => ({
        method: req.method,
        url: redactUrl(req.url),
        id: req.id,
      }),
      err: pino.stdSerializers.err,
    },
  });
}

/** A logger that writes nothing (tests, commands that print their own French lines). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
