import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import { endSession, grantedPermissions, redeemSignInLink, resolveSession, roleView, SESSION_HOURS } from '../../app/sessions.ts';
import { referenceData } from '../../app/reference.ts';
import { AppError } from '../../app/errors.ts';
import { requireActor, SESSION_COOKIE } from '../auth.ts';
import type { Config } from '../../config.ts';

export function sessionRoutes(app: FastifyInstance, ctx: AppContext, config: Config): void {
  const secure = config.publicUrl.startsWith('https://');

  app.get('/api/config', { schema: { tags: ['session'], summary: 'Configuration publique du portail' } }, async () => ({ branding: config.branding, platformName: 'Cartes Agents' }));

  app.get('/api/session', { schema: { tags: ['session'], summary: 'Session en cours' } }, async (request) => {
    if (!request.session) throw new AppError('unauthenticated', "Vous n'êtes pas connecté.");
    const s = request.session;
    return { person: s.person, roles: s.actor.grants.map(roleView), permissions: grantedPermissions(s.actor.grants), csrfToken: s.csrfToken, branding: config.branding };
  });

  app.post('/api/auth/link', {
    config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
    schema: { tags: ['session'], summary: 'Ouvrir une session avec un lien de connexion à usage unique', body: Type.Object({ token: Type.String({ minLength: 10, maxLength: 200 }) }, { additionalProperties: false }) },
  }, async (request, reply) => {
    const { token } = request.body as { token: string };
    const { sessionId } = await redeemSignInLink(ctx, token, request.id);
    const session = await resolveSession(ctx, sessionId, request.id);
    if (!session) throw new AppError('unauthenticated', 'Session impossible à ouvrir.');
    // A fresh session id on every sign-in (no fixation); HttpOnly + SameSite=Strict.
    void reply.setCookie(SESSION_COOKIE, sessionId, { path: '/', httpOnly: true, sameSite: 'strict', secure, maxAge: SESSION_HOURS * 3600 });
    return { person: session.person, roles: session.actor.grants.map(roleView), permissions: grantedPermissions(session.actor.grants), csrfToken: session.csrfToken, branding: config.branding };
  });

  app.post('/api/auth/logout', { schema: { tags: ['session'], summary: 'Fermer la session' } }, async (request, reply) => {
    const actor = requireActor(request);
    const sid = request.cookies[SESSION_COOKIE];
    if (sid) await endSession(ctx, sid, actor);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send();
  });

  app.get('/api/reference', { schema: { tags: ['session'], summary: 'Données de référence (rôles, types, applications, mesures)' } }, async (request) => {
    requireActor(request);
    return referenceData();
  });
}
