// Probes and figures for operators and their tools: /livez (the process answers), /readyz (it can
// serve: database, schema, disk, keys), /metrics (Prometheus), /version.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app/context.ts';
import type { Config } from '../../../config.ts';
import { readiness } from '../../../app/operations/health.ts';
import { databaseMetrics } from '../../../app/operations/metrics.ts';
import { knownMigrations } from '../../../store/database.ts';
import { INSTANCE_ID } from '../../../logger.ts';
import { APP_VERSION, appCommit } from '../../../version.ts';
import { Liveness, Readiness, Version } from '../../schemas/operations.ts';
import { binary, responses } from '../../schemas/common.ts';
import { sendProblem } from '../../problem.ts';

const STARTED_AT = new Date().toISOString();

export function versionInfo(): Version {
  return {
    name: 'cartes-agents',
    version: APP_VERSION,
    commit: appCommit(),
    schema: knownMigrations().at(-1) ?? '',
    node: process.version,
    instance: INSTANCE_ID,
    startedAt: STARTED_AT,
  };
}

export async function readinessBody(ctx: AppContext, config: Config, kek: Buffer): Promise<Readiness> {
  const r = await readiness(ctx, config, kek);
  return { status: r.ready ? 'prêt' : 'indisponible', checks: r.checks, instance: INSTANCE_ID };
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function sameToken(sent: string, expected: string): boolean {
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function healthRoutes(app: FastifyInstance, ctx: AppContext, config: Config, kek: Buffer): void {
  const tags = ['exploitation'];
  app.get(
    '/livez',
    {
      logLevel: 'warn',
      config: { probe: true },
      schema: { tags, summary: 'Le processus répond', response: responses({ 200: Liveness }) },
    },
    async () => ({ status: 'ok' as const, instance: INSTANCE_ID }),
  );
  const ready = async (_req: unknown, reply: import('fastify').FastifyReply) => {
    const body = await readinessBody(ctx, config, kek);
    return reply
      .code(body.status === 'prêt' ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(body);
  };
  const readySchema = {
    tags,
    summary: "L'instance peut servir : base joignable, schéma à jour, disque inscriptible, clés chargées",
    response: responses({ 200: Readiness, 503: Readiness }),
  };
  app.get('/readyz', { logLevel: 'warn', config: { probe: true }, schema: readySchema }, ready);
  // Former name, kept for existing probes: the same readiness (a full disk is no longer « ok »).
  app.get(
    '/healthz',
    { logLevel: 'warn', config: { probe: true }, schema: { ...readySchema, summary: 'Ancien nom de /readyz' } },
    ready,
  );
  app.get(
    '/version',
    { schema: { tags, summary: 'Version, commit et schéma de cette instance', response: responses({ 200: Version }) } },
    async () => versionInfo(),
  );
  const metrics = databaseMetrics(ctx);
  app.get(
    '/metrics',
    {
      logLevel: 'warn',
      config: { probe: true },
      schema: {
        tags,
        summary: 'Mesures au format Prometheus (jeton CARTES_METRICS_TOKEN, ou depuis la machine locale)',
        response: responses({ 200: binary('Format texte Prometheus 0.0.4', 'text/plain') }),
      },
    },
    async (req, reply) => {
      const token = config.operations.metricsToken;
      const auth = req.headers.authorization;
      const allowed = token
        ? typeof auth === 'string' && auth.startsWith('Bearer ') && sameToken(auth.slice(7).trim(), token)
        : LOOPBACK.has(req.socket.remoteAddress ?? '');
      if (!allowed)
        return sendProblem(
          reply,
          token ? 401 : 403,
          token
            ? 'Jeton des mesures absent ou invalide (en-tête Authorization: Bearer).'
            : 'Les mesures ne sont servies qu’à la machine locale : définissez CARTES_METRICS_TOKEN pour un collecteur distant.',
        );
      return reply
        .type(metrics.contentType)
        .header('cache-control', 'no-store')
        .send(await metrics.text());
    },
  );
}
