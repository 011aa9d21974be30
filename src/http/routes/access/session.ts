import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../../app/context.ts';
import {
  endSession,
  grantedPermissions,
  redeemSignInLink,
  resolveSession,
  roleView,
  SESSION_HOURS,
} from '../../../app/access/sessions.ts';
import { referenceData } from '../../../app/directory/reference.ts';
import { AppError } from '../../../app/errors.ts';
import { requireActor, SESSION_COOKIE } from '../../auth.ts';
import { cardAgentOrigin } from '../../agent-origin.ts';
import type { Config } from '../../../config.ts';
import {
  certificateFromHeader,
  createSignInChallenge,
  isTrustedProxy,
  normalizeAddress,
  refuseClientCertificate,
  signInWithCard,
  signInWithClientCertificate,
  SIGN_IN_CHALLENGE_MINUTES,
} from '../../../app/access/card-sign-in.ts';
import { NoContent, responses } from '../../schemas/common.ts';
import { CardChallenge, CardSignIn, PortalConfig, Session, SignInLink } from '../../schemas/access.ts';
import { Reference } from '../../schemas/directory.ts';

export function sessionRoutes(fastify: FastifyInstance, ctx: AppContext, config: Config): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const secure = config.publicUrl.startsWith('https://');
  const portalOrigin = new URL(config.publicUrl).origin;

  /** Sets the session cookie and answers like GET /api/session. */
  const openSession = async (sessionId: string, requestId: string, reply: FastifyReply) => {
    const session = await resolveSession(ctx, sessionId, requestId);
    if (!session) throw new AppError('unauthenticated', 'Session impossible à ouvrir.');
    // A fresh session id on every sign-in (no fixation); HttpOnly + SameSite=Strict.
    void reply.setCookie(SESSION_COOKIE, sessionId, {
      path: '/',
      httpOnly: true,
      sameSite: 'strict',
      secure,
      maxAge: SESSION_HOURS * 3600,
    });
    return {
      person: session.person,
      roles: session.actor.grants.map(roleView),
      permissions: grantedPermissions(session.actor.grants),
      csrfToken: session.csrfToken,
      branding: config.branding,
    };
  };

  app.get(
    '/api/config',
    {
      schema: {
        tags: ['session'],
        summary: 'Configuration publique du portail',
        response: responses({ 200: PortalConfig }),
      },
    },
    async () => ({
      branding: config.branding,
      platformName: 'Cartes Agents',
      agentUrl: cardAgentOrigin(process.env, config.agentPort),
    }),
  );

  app.get(
    '/api/session',
    { schema: { tags: ['session'], summary: 'Session en cours', response: responses({ 200: Session }) } },
    async (request) => {
      if (!request.session) throw new AppError('unauthenticated', "Vous n'êtes pas connecté.");
      const s = request.session;
      return {
        person: s.person,
        roles: s.actor.grants.map(roleView),
        permissions: grantedPermissions(s.actor.grants),
        csrfToken: s.csrfToken,
        branding: config.branding,
      };
    },
  );

  app.post(
    '/api/auth/link',
    {
      config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: {
        tags: ['session'],
        summary: 'Ouvrir une session avec un lien de connexion à usage unique',
        body: SignInLink,
        response: responses({ 200: Session }),
      },
    },
    async (request, reply) => {
      const { token } = request.body;
      const { sessionId } = await redeemSignInLink(ctx, token, request.id);
      const session = await resolveSession(ctx, sessionId, request.id);
      if (!session) throw new AppError('unauthenticated', 'Session impossible à ouvrir.');
      // A fresh session id on every sign-in (no fixation); HttpOnly + SameSite=Strict.
      void reply.setCookie(SESSION_COOKIE, sessionId, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure,
        maxAge: SESSION_HOURS * 3600,
      });
      return {
        person: session.person,
        roles: session.actor.grants.map(roleView),
        permissions: grantedPermissions(session.actor.grants),
        csrfToken: session.csrfToken,
        branding: config.branding,
      };
    },
  );

  // Card sign-in (docs/cards.md §3): challenge, then the card's signature of signInText(challenge, origin).
  app.post(
    '/api/session/card/challenge',
    {
      config: { rateLimit: { max: 20, timeWindow: '1 minute' } },
      schema: {
        tags: ['session'],
        summary: `Obtenir un défi de connexion par carte (usage unique, ${SIGN_IN_CHALLENGE_MINUTES} minutes)`,
        response: responses({ 200: CardChallenge }),
      },
    },
    async () => {
      const { challengeId, challenge, expiresAt } = await createSignInChallenge(ctx);
      return { challengeId, challenge, expiresAt, origin: portalOrigin };
    },
  );

  app.post(
    '/api/session/card',
    {
      config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: {
        tags: ['session'],
        summary: 'Ouvrir une session avec la carte (défi signé par la clé d’authentification)',
        body: CardSignIn,
        response: responses({ 200: Session }),
      },
    },
    async (request, reply) => {
      const body = request.body;
      const { sessionId } = await signInWithCard(
        ctx,
        {
          challengeId: body.challengeId,
          challenge: body.challenge,
          origin: portalOrigin,
          certificate: Buffer.from(body.certificate, 'base64'),
          signature: Buffer.from(body.signature, 'base64'),
        },
        request.id,
      );
      return openSession(sessionId, request.id, reply);
    },
  );

  // TLS client certificate verified by a reverse proxy, believed only from the configured proxies.
  app.post(
    '/api/session/tls',
    {
      config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: {
        tags: ['session'],
        summary: `Ouvrir une session avec le certificat client TLS transmis par un mandataire inverse de confiance (en-tête ${config.tlsClientCertHeader})`,
        response: responses({ 200: Session }),
      },
    },
    async (request, reply) => {
      const from = normalizeAddress(request.socket.remoteAddress);
      if (!isTrustedProxy(from, config.trustedProxies)) {
        return refuseClientCertificate(
          ctx,
          "Connexion par certificat client refusée : la requête ne vient pas d'un mandataire inverse de confiance (CARTES_TRUSTED_PROXIES).",
          request.id,
          from,
        );
      }
      const header = request.headers[config.tlsClientCertHeader];
      const der = typeof header === 'string' && header ? certificateFromHeader(header) : null;
      if (!der)
        return refuseClientCertificate(
          ctx,
          'Aucun certificat client lisible transmis par le mandataire inverse.',
          request.id,
          from,
        );
      const { sessionId } = await signInWithClientCertificate(ctx, der, request.id);
      return openSession(sessionId, request.id, reply);
    },
  );

  app.post(
    '/api/auth/logout',
    { schema: { tags: ['session'], summary: 'Fermer la session', response: responses({ 204: NoContent }) } },
    async (request, reply) => {
      const actor = requireActor(request);
      const sid = request.cookies[SESSION_COOKIE];
      if (sid) await endSession(ctx, sid, actor);
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/reference',
    {
      schema: {
        tags: ['session'],
        summary: 'Données de référence (rôles, types, applications, mesures)',
        response: responses({ 200: Reference }),
      },
    },
    async (request) => {
      requireActor(request);
      return referenceData();
    },
  );
}
