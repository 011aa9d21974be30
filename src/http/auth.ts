import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor, AppContext } from '../app/context.ts';
import { resolveServiceToken, resolveSession, type SessionInfo } from '../app/access/sessions.ts';
import { holderFromAccess } from '../app/access/holder-access.ts';
import { sameSecret } from '../app/secrets.ts';
import { AppError } from '../app/errors.ts';

export const SESSION_COOKIE = 'cartes_session';
export const HOLDER_ACCESS_HEADER = 'x-holder-access';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
    session: SessionInfo | null;
  }
  interface FastifyContextConfig {
    /**
     * Who may send this API route a body without a session or a service token: `anyone` (the
     * sign-in routes), `holder-access` (a valid x-holder-access header, checked before the body).
     * Every other API route refuses an anonymous body before reading it.
     */
    anonymousBody?: 'anyone' | 'holder-access';
    /** A probe (/livez, /readyz, /metrics): no session or service token is looked up. */
    probe?: boolean;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The request announces a body (length or chunked transfer). */
export function announcesBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Runs on `onRequest`, before any body is read: finds who calls (session cookie or service bearer
 * token), enforces CSRF on cookie sessions, and refuses an anonymous body on the API routes that do
 * not take one (nothing of the body is read: the connection is closed after the answer).
 */
export function authHook(ctx: AppContext) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    request.actor = null;
    request.session = null;
    // Probes and /metrics answer without a person (/metrics checks its own token).
    if (request.routeOptions.config?.probe) return;
    const authz = request.headers.authorization;
    if (authz?.startsWith('Bearer ')) {
      request.actor = await resolveServiceToken(ctx, authz.slice(7).trim(), request.id);
      if (!request.actor) throw new AppError('unauthenticated', 'Jeton de compte de service inconnu ou révoqué.');
      return;
    }
    const sid = request.cookies[SESSION_COOKIE];
    const session = sid ? await resolveSession(ctx, sid, request.id) : null;
    if (session) {
      if (UNSAFE.has(request.method)) {
        const sent = request.headers['x-csrf-token'];
        if (typeof sent !== 'string' || !sameSecret(sent, session.csrfToken)) {
          throw new AppError('forbidden', 'Jeton anti-falsification (CSRF) absent ou invalide : rechargez la page.');
        }
      }
      request.session = session;
      request.actor = session.actor;
      return;
    }
    if (request.is404 || !request.url.startsWith('/api/') || !announcesBody(request)) return;
    const anonymous = request.routeOptions.config.anonymousBody;
    if (anonymous === 'anyone') return;
    if (anonymous === 'holder-access') {
      await holderFromAccess(ctx, String(request.headers[HOLDER_ACCESS_HEADER] ?? ''));
      return;
    }
    throw new AppError('unauthenticated', 'Vous devez être connecté.');
  };
}

export function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw new AppError('unauthenticated', 'Vous devez être connecté.');
  return request.actor;
}
