// `cartes ocsp serve`: the OCSP responder (and CRL/CA certificate endpoints) alone, against the same
// database as the platform, so several responders can run side by side at scale.
import Fastify from 'fastify';
import type { Command } from 'commander';
import { pkiEnvironment } from '../app/pki/certificates.ts';
import { openOcspSource } from '../app/pki/publication.ts';
import { pkiRoutes } from '../http/routes/pki/pki.ts';
import { errorHandler } from '../http/problem.ts';
import { openPlatform } from '../platform.ts';
import { reportError, type GlobalOptions } from './shared.ts';

export function registerOcspCommands(program: Command): void {
  const ocsp = program.command('ocsp').description('répondeur OCSP');
  ocsp
    .command('serve')
    .description('démarre un répondeur OCSP seul (avec les CRL et certificats d’AC) sur la même base')
    .option('--port <n>', "port d'écoute (défaut : 3001)", (v) => Number(v))
    .option('--host <adresse>', "adresse d'écoute (défaut : 127.0.0.1)")
    .action(async (opts: { port?: number; host?: string }) => {
      const global = program.opts<GlobalOptions>();
      let platform;
      try {
        platform = await openPlatform({ data: global.data, db: global.db });
      } catch (err) {
        reportError(err);
        return;
      }
      const { config, store, ctx } = platform;
      const env = pkiEnvironment(config);
      const source = await openOcspSource(ctx, env);
      const app = Fastify({ logger: { level: config.logLevel } });
      app.setErrorHandler(errorHandler);
      app.decorateRequest('actor', null);
      app.decorateRequest('session', null);
      pkiRoutes(app, ctx, { env, ocsp: source, publicOnly: true });
      await app.listen({ port: opts.port ?? 3001, host: opts.host ?? '127.0.0.1' });
      const address = app.server.address();
      console.log(
        `Répondeur OCSP démarré : http://${opts.host ?? '127.0.0.1'}:${typeof address === 'object' && address ? address.port : opts.port}/pki/ocsp`,
      );
      const stop = async () => {
        source.stop();
        await app.close();
        await store.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });
}
