import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { AppContext } from '../app/context.ts';
import { createLogger, type Logger } from '../logger.ts';
import type { Config } from '../config.ts';
import { authHook } from './auth.ts';
import { cardAgentOrigin } from './agent-origin.ts';
import { clientErrorHandler, errorHandler, frameworkErrors, sendProblem } from './problem.ts';
import { inputGuard } from './input-guard.ts';
import { JSON_BODY_LIMIT, UPLOAD_TYPES, uploadSettings } from './uploads.ts';
import { requestLifecycle } from './lifecycle.ts';
import { checkResponses, requireResponseSchemas } from './response-check.ts';
import { sessionRoutes } from './routes/access/session.ts';
import { organizationRoutes } from './routes/directory/organizations.ts';
import { agentRoutes } from './routes/directory/agents.ts';
import { importRoutes } from './routes/directory/imports.ts';
import { auditRoutes } from './routes/control/audit.ts';
import { steeringRoutes } from './routes/steering/steering.ts';
import { internalControlRoutes } from './routes/control/internal-control.ts';
import { adminRoutes } from './routes/access/admin.ts';
import { pkiRoutes } from './routes/pki/pki.ts';
import { cardRequestRoutes } from './routes/requests/card-requests.ts';
import { signatureRoutes } from './routes/access/signatures.ts';
import { cardLifeRoutes } from './routes/desk/card-life.ts';
import { holderRoutes } from './routes/desk/holder.ts';
import { cardRoutes } from './routes/desk/cards.ts';
import { backofficeFileRoutes } from './routes/backoffice/files.ts';
import { backofficeReportRoutes } from './routes/backoffice/reports.ts';
import { pkiEnvironment } from '../app/pki/certificates.ts';
import { healthRoutes } from './routes/operations/health.ts';
import { operationsRoutes } from './routes/operations/operations.ts';
import { httpDuration, ocspAnswers } from '../metrics.ts';
import { openOcspSource } from '../app/pki/ocsp-responder.ts';

export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/** Methods the public PKI endpoints answer (others get 405 with Allow), or null outside them. */
export function pkiMethods(url: string): string[] | null {
  const path = url.split('?')[0]!;
  if (/^\/pki\/(ca|crl)\/[^/]+$/.test(path)) return ['GET', 'HEAD'];
  if (/^\/pki\/ocsp(\/.*)?$/.test(path)) return ['GET', 'HEAD', 'POST'];
  return null;
}

export { redactUrl } from '../logger.ts';

/** The workstation card agent the pages talk to (docs/cards.md §2): the CSP must let them reach it. */
export interface ServerOptions {
  logger?: boolean | { level: string };
  /** The process's logger (serve): requests log through its children, with their request id. */
  loggerInstance?: Logger;
  /** Requests per minute per person (per address without a session) on the API; default: the configuration's. */
  rateLimitPerMinute?: number;
  /**
   * Every JSON answer must fit its response schema exactly, else 500 (tests; default: the environment
   * variable CARTES_CHECK_RESPONSES=1, which `npm test` sets). See src/http/response-check.ts.
   */
  checkResponses?: boolean;
}

/** Deadline of an API request without its own (`config.timeoutMs`). */
export const DEFAULT_TIMEOUT_MS = 60_000;

/** The key of the rate limit: the signed-in person (or service account), else the client's address. */
export function rateLimitKey(request: FastifyRequest): string {
  const a = request.actor;
  if (a?.kind === 'person') return `personne:${a.agentId}`;
  if (a?.kind === 'service') return `service:${a.tokenId}`;
  return `adresse:${request.ip}`;
}

export async function buildServer(ctx: AppContext, config: Config, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger | undefined =
    opts.loggerInstance ??
    (opts.logger === false
      ? undefined
      : createLogger(typeof opts.logger === 'object' ? opts.logger.level : config.logLevel));
  const app = Fastify({
    ...(loggerInstance ? { loggerInstance } : { logger: false }),
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    // One line per request, written by requestLifecycle (Fastify's two lines cost twice).
    logController: new LogController({ disableRequestLogging: true }),
    // JSON bodies are small everywhere; uploads are streamed to disk under their own ceilings (uploads.ts).
    bodyLimit: JSON_BODY_LIMIT,
    // Behind the configured reverse proxies, request.ip is the client's (X-Forwarded-For); else the peer's.
    trustProxy: config.trustedProxies.length ? config.trustedProxies : false,
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: true } },
    clientErrorHandler,
    frameworkErrors,
  });
  requireResponseSchemas(app);
  if (opts.checkResponses ?? process.env['CARTES_CHECK_RESPONSES'] === '1') checkResponses(app);
  app.decorateRequest('actor', null);
  app.decorateRequest('session', null);
  app.setErrorHandler(errorHandler);
  requestLifecycle(app, { defaultTimeoutMs: DEFAULT_TIMEOUT_MS });
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    // Personal data: no API answer is kept by a browser or a proxy unless its route says otherwise.
    if (request.url.startsWith('/api/') && !reply.hasHeader('cache-control'))
      void reply.header('cache-control', 'no-store');
    // Answered before the whole body arrived (refused early, too large): close rather than read the rest.
    if (!request.raw.complete) void reply.header('connection', 'close');
  });
  // Latency per route (the pattern, never the URL: bounded label values) and OCSP answers.
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'non-routée';
    const labels = { method: request.method, route, status_code: String(reply.statusCode) };
    httpDuration.observe(labels, reply.elapsedTime / 1000);
    if (route.startsWith('/pki/ocsp')) ocspAnswers.inc({ method: request.method, status_code: labels.status_code });
  });

  await app.register(cookie);
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", cardAgentOrigin(process.env, config.agentPort)],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        upgradeInsecureRequests: null,
      },
    },
    frameguard: { action: 'deny' },
    crossOriginEmbedderPolicy: false,
    hsts: config.publicUrl.startsWith('https://'),
  });
  // Counted after authentication: per person when signed in (people behind one proxy or NAT do not
  // share a budget), per address otherwise. PKI publication has its own limit (routes/pki/pki.ts).
  await app.register(rateLimit, {
    max: opts.rateLimitPerMinute ?? config.rateLimitPerMinute,
    timeWindow: '1 minute',
    hook: 'preHandler',
    keyGenerator: rateLimitKey,
    errorResponseBuilder: (_req, c) => ({
      statusCode: 429,
      message: `Trop de requêtes : réessayez dans ${Math.ceil(c.ttl / 1000)} s.`,
    }),
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Cartes Agents — API',
        version: '0.1.0',
        description: 'API de gestion des cartes agents : annuaire, organisations, import SIRH, audit.',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'cartes_session' },
          service: { type: 'http', scheme: 'bearer' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  // Raw bodies (photos, documents, HR feeds) stay streams: the route spools them to disk under its
  // ceiling (uploads.ts), nothing is buffered whole in memory.
  for (const type of UPLOAD_TYPES) app.addContentTypeParser(type, (_req, payload, done) => done(null, payload));

  // Who calls is known before any body is read; input text and numbers are checked once validated.
  app.addHook('onRequest', authHook(ctx));
  app.addHook('preHandler', inputGuard);

  const uploads = uploadSettings(ctx, config);
  sessionRoutes(app, ctx, config);
  organizationRoutes(app, ctx);
  agentRoutes(app, ctx, uploads);
  importRoutes(app, ctx, uploads);
  auditRoutes(app, ctx);
  steeringRoutes(app, ctx);
  internalControlRoutes(app, ctx);
  adminRoutes(app, ctx);
  signatureRoutes(app, ctx);
  cardRequestRoutes(app, ctx);
  // PKI: CA certificates, CRLs and OCSP answer from this process too (and `cartes ocsp serve` alone).
  const pkiEnv = pkiEnvironment(config);
  const hasCa = await ctx.store.db
    .selectFrom('certification_authorities')
    .select('id')
    .where('kind', '=', 'issuing')
    .executeTakeFirst();
  const ocsp = hasCa ? await openOcspSource(ctx, pkiEnv, { nonce: config.ocspNonce }) : null;
  if (ocsp) app.addHook('onClose', async () => ocsp.stop());
  pkiRoutes(app, ctx, {
    env: pkiEnv,
    ocsp,
    rateLimitPerMinute: config.pkiRateLimitPerMinute,
    logSampleEvery: config.pkiLogSample > 0 ? Math.round(1 / config.pkiLogSample) : 0,
  });
  cardRoutes(app, ctx, pkiEnv);
  cardLifeRoutes(app, ctx, pkiEnv, uploads);
  holderRoutes(app, ctx);
  backofficeFileRoutes(app, ctx, uploads);
  backofficeReportRoutes(app, ctx);
  healthRoutes(app, ctx, config, pkiEnv.kek);
  operationsRoutes(app, ctx, config, pkiEnv.kek);

  const hasWeb = existsSync(WEB_DIST);
  if (hasWeb) {
    await app.register(fastifyStatic, {
      root: WEB_DIST,
      prefix: '/',
      wildcard: false,
      index: ['index.html'],
      // Built asset names carry a content hash: cache them for good; always revalidate the page.
      setHeaders: (res, path) => {
        void res.header(
          'cache-control',
          path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
  }
  app.setNotFoundHandler((request, reply) => {
    const allowed = pkiMethods(request.url);
    if (allowed && !allowed.includes(request.method))
      return sendProblem(
        reply.header('allow', allowed.join(', ')),
        405,
        `Méthode ${request.method} non admise ici : ${allowed.join(' ou ')}.`,
      );
    if (request.url.startsWith('/api/') || request.method !== 'GET' || !hasWeb)
      return sendProblem(reply, 404, 'Ressource introuvable.');
    return reply.type('text/html').sendFile('index.html');
  });
  return app;
}
