// `cartes ocsp serve`: the OCSP responder (and CRL/CA certificate endpoints) alone, against the same
// database as the platform, so several responders can run side by side at scale; they share the
// pre-signed answers of the database. It runs one process per core by default (node:cluster, as
// `openssl ocsp -multi` forks): the primary only starts, watches and stops its workers.
// `cartes ocsp presign`: signs now every answer due.
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import Fastify, { LogController } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Command } from 'commander';
import { pkiEnvironment } from '../app/pki/certificates.ts';
import { drainOcspSigner, openOcspSource } from '../app/pki/ocsp-responder.ts';
import { pkiRoutes } from '../http/routes/pki/pki.ts';
import { ocspServerFactory, type OcspResponder } from '../pki/ocsp-http.ts';
import { errorHandler } from '../http/problem.ts';
import { requireResponseSchemas } from '../http/response-check.ts';
import { closeWithin, requestLifecycle } from '../http/lifecycle.ts';
import { loadConfig } from '../config.ts';
import { openPlatform } from '../platform.ts';
import { reportError, runWithPlatform, type GlobalOptions } from './shared.ts';
import { exitOnSignals } from './shutdown.ts';

interface ServeOptions {
  port?: number;
  host?: string;
  workers?: number;
}

/** Workers of `cartes ocsp serve`: --workers, CARTES_OCSP_WORKERS, else one per core. */
export function ocspWorkers(opts: ServeOptions, env: NodeJS.ProcessEnv = process.env): number {
  const raw =
    opts.workers ?? (env['CARTES_OCSP_WORKERS'] ? Number(env['CARTES_OCSP_WORKERS']) : availableParallelism());
  return Number.isInteger(raw) && raw >= 1 && raw <= 64 ? raw : availableParallelism();
}

export function registerOcspCommands(program: Command): void {
  const ocsp = program.command('ocsp').description('répondeur OCSP');
  ocsp
    .command('serve')
    .description('démarre un répondeur OCSP seul (avec les CRL et certificats d’AC) sur la même base')
    .option('--port <n>', "port d'écoute (défaut : 3001)", (v) => Number(v))
    .option('--host <adresse>', "adresse d'écoute (défaut : 127.0.0.1)")
    .option('--workers <n>', 'processus qui répondent (défaut : $CARTES_OCSP_WORKERS ou un par cœur)', (v) => Number(v))
    .action(async (opts: ServeOptions) => {
      const global = program.opts<GlobalOptions>();
      const workers = ocspWorkers(opts);
      if (workers > 1 && cluster.isPrimary) return supervise(global, opts, workers);
      return serveResponder(global, opts, cluster.isWorker);
    });

  ocsp
    .command('presign')
    .description(
      'signe dès maintenant les réponses OCSP à produire (nouveaux certificats, changements de statut, réponses à renouveler)',
    )
    .action(() =>
      runWithPlatform(program.opts<GlobalOptions>(), async ({ config, ctx }) => {
        const source = await openOcspSource(ctx, pkiEnvironment(config), { nonce: config.ocspNonce, preload: false });
        try {
          const t0 = performance.now();
          const signed = await drainOcspSigner(source);
          const s = (performance.now() - t0) / 1000;
          if (signed === 0 && !source.stats().leader)
            console.log('Rien à signer ici : un autre répondeur tient la signature en arrière-plan.');
          else
            console.log(
              `Réponses OCSP signées à l'avance : ${signed} en ${s.toFixed(1)} s (${Math.round(signed / Math.max(s, 0.001))} par seconde).`,
            );
        } finally {
          await source.stop();
        }
      }),
    );
}

const address = (opts: ServeOptions, port: number) => `http://${opts.host ?? '127.0.0.1'}:${port}/pki/ocsp`;

/** One responder process (alone, or a worker of the cluster). */
async function serveResponder(global: GlobalOptions, opts: ServeOptions, isWorker: boolean): Promise<void> {
  let platform;
  try {
    platform = await openPlatform({ data: global.data, db: global.db });
  } catch (err) {
    reportError(err);
    if (isWorker) process.exit(1);
    return;
  }
  const { config, store, ctx } = platform;
  const env = pkiEnvironment(config);
  let log: (line: string) => void = (line) => console.log(line);
  const source = await openOcspSource(ctx, env, {
    nonce: config.ocspNonce,
    onPreloaded: ({ answers, ms }) =>
      log(`Réponses OCSP signées à l'avance chargées en mémoire : ${answers} en ${(ms / 1000).toFixed(1)} s.`),
  });
  // OCSP requests are answered by the responder's node:http listener before Fastify sees them (the framework's
  // per-request work cost more than a pre-signed answer); the other paths (CRLs, CA certificates) go to Fastify.
  let responder: OcspResponder | null = null;
  const app = Fastify({
    serverFactory: ocspServerFactory(() => responder),
    logger: { level: config.logLevel },
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: config.trustedProxies.length ? config.trustedProxies : false,
  });
  log = (line) => app.log.info(line);
  requireResponseSchemas(app);
  app.setErrorHandler(errorHandler);
  app.decorateRequest('actor', null);
  app.decorateRequest('session', null);
  requestLifecycle(app, { defaultTimeoutMs: 10_000 });
  // Only the routes that ask for it (CRL and CA certificates): OCSP has no per-address limit.
  await app.register(rateLimit, { global: false });
  responder = pkiRoutes(app, ctx, {
    env,
    ocsp: source,
    publicOnly: true,
    rateLimitPerMinute: config.pkiRateLimitPerMinute,
    logSampleEvery: config.pkiLogSample > 0 ? Math.round(1 / config.pkiLogSample) : 0,
  });
  await app.listen({ port: opts.port ?? 3001, host: opts.host ?? '127.0.0.1' });
  const listening = app.server.address();
  const port = typeof listening === 'object' && listening ? listening.port : (opts.port ?? 3001);
  if (!isWorker) console.log(`Répondeur OCSP démarré : ${address(opts, port)}`);
  // A worker stops when its primary says so (a Ctrl-C reaches the whole group: the primary relays it).
  if (isWorker) process.on('SIGINT', () => undefined);
  exitOnSignals({
    deadlineS: config.shutdownTimeoutS,
    log: (line) => app.log.warn(line),
    signals: isWorker ? ['SIGTERM'] : ['SIGTERM', 'SIGINT'],
    stop: async (deadline) => {
      const clean = await closeWithin(app, Math.max(0, deadline - Date.now()), () => responder?.inFlight() ?? 0);
      await source.stop();
      await store.close();
      return { clean };
    },
  });
}

/**
 * The primary of the cluster: starts the workers (they share the listening socket), starts a new one
 * when one dies (at most 10 a minute), and on SIGTERM/SIGINT stops them within the shutdown deadline.
 */
function supervise(global: GlobalOptions, opts: ServeOptions, count: number): void {
  let deadlineS = 10;
  try {
    deadlineS = loadConfig({ data: global.data, db: global.db }).shutdownTimeoutS;
  } catch (err) {
    reportError(err);
    return;
  }
  let stopping = false;
  let listening = 0;
  const restarts: number[] = [];
  const fork = (): Worker => cluster.fork();
  cluster.on('listening', (_w, addr) => {
    if (++listening === count) console.log(`Répondeur OCSP démarré : ${address(opts, addr.port)} (${count} processus)`);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (code) process.exitCode = code;
      else if (signal) process.exitCode = 1;
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(process.exitCode ?? 0);
      return;
    }
    const now = Date.now();
    while (restarts.length && now - restarts[0]! > 60_000) restarts.shift();
    if (restarts.length >= 10) {
      console.error(`Répondeur OCSP : les processus s'arrêtent sans cesse (dernier : ${signal ?? code}) ; arrêt.`);
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
      process.exitCode = 1;
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(1);
      return;
    }
    restarts.push(now);
    console.error(`Répondeur OCSP : processus ${worker.process.pid} arrêté (${signal ?? code}), relancé.`);
    fork();
  });
  const onSignal = () => {
    if (stopping) process.exit(130);
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    // Each worker keeps its own deadline; this one bounds the whole.
    setTimeout(
      () => {
        for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
        process.exit(1);
      },
      (deadlineS + 5) * 1000,
    ).unref();
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  for (let i = 0; i < count; i++) fork();
}
