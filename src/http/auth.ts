import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor, AppContext } from '../app/context.ts';
import { resolveServiceToken, resolveSession, type SessionInfo } from '../app/access/sessions.ts';
import { sameSecret } from '../app/secrets.ts';
import { AppError } from '../app/errors.ts';

export const SESSION_COOKIE = 'cartes_session';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
    session: SessionInfo | null;
  }
  interface FastifyContextConfig {
    /** A probe (/livez, /readyz, /metrics): no session or service token is looked up. */
    probe?: boolean;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Finds who calls (session cookie or service bearer token) and enforces CSRF on cookie sessions. */
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
    if (!sid) return;
    const session = await resolveSession(ctx, sid, request.id);
    if (!session) return;
    if (UNSAFE.has(request.method)) {
      const sent = request.headers['x-csrf-token'];
      if (typeof sent !== 'string' || !sameSecret(sent, session.csrfToken)) {
        throw new AppError('forbidden', 'Jeton anti-falsification (CSRF) absent ou invalide : rechargez la page.');
      }
    }
    request.session = session;
    request.actor = session.actor;
  };
}

export function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw new AppError('unauthenticated', 'Vous devez être connecté.');
  return request.actor;
}
