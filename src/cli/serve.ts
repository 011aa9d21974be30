import { buildServer } from '../http/server.ts';
import { startWorker } from '../jobs/worker.ts';
import { loadDemoData } from '../app/demo.ts';
import { openPlatform } from '../platform.ts';
import { Cron } from 'croner';
import { expireCertificates, pkiEnvironment } from '../app/pki.ts';
import { refreshCrls } from '../app/pki-status.ts';
import { renewOcspResponders } from '../app/pki-renewal.ts';
import { systemActor } from '../app/context.ts';
import { registerPkiJobs } from '../jobs/pki-jobs.ts';
import { DEMO_CUSTODIAN_SECRETS, loadDemoPki } from '../app/demo-pki.ts';
import { reportError, type GlobalOptions } from './shared.ts';

export async function serveCommand(global: GlobalOptions, opts: { port?: number; host?: string; demo?: boolean }): Promise<void> {
  let platform;
  try {
    platform = await openPlatform({ data: global.data, db: global.db, port: opts.port, host: opts.host });
  } catch (err) {
    reportError(err);
    return;
  }
  const { config, store, ctx } = platform;
  const pki = pkiEnvironment(config);
  let demoPki = false;
  if (opts.demo) {
    await loadDemoData(ctx);
    demoPki = await loadDemoPki(ctx, pki);
  }
  const app = await buildServer(ctx, config);
  registerPkiJobs(pki);
  const worker = startWorker(ctx);
  // CRLs are valid 24 h: republish every hour the ones older than 12 h (and at start).
  const crlAges = new Map<string, number>();
  const refresh = () => refreshCrls(ctx, pki, crlAges).catch((err: unknown) => app.log.error({ err }, 'CRL'));
  void refresh();
  const crlCron = new Cron('0 * * * *', { protect: true }, refresh);
  // OCSP responder certificates last 30 days: renew daily those expiring within 10 days (and at start).
  const renewOcsp = () => renewOcspResponders(ctx, pki)
    .then((done) => { for (const r of done) app.log.info({ ca: r.caName, serial: r.renewed.serial, notAfter: r.renewed.notAfter }, 'OCSP responder renewed'); })
    .catch((err: unknown) => app.log.error({ err }, 'OCSP renewal'));
  void renewOcsp();
  const ocspCron = new Cron('20 3 * * *', { protect: true, timezone: 'Europe/Paris' }, renewOcsp);
  // Certificates past their notAfter become « expired », daily.
  const expire = () => expireCertificates(ctx, systemActor('expiry'))
    .then((serials) => { if (serials.length) app.log.info({ count: serials.length }, 'certificates expired'); })
    .catch((err: unknown) => app.log.error({ err }, 'certificate expiry'));
  const expireCron = new Cron('10 3 * * *', { protect: true, timezone: 'Europe/Paris' }, expire);
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = config.publicUrl.replace(/:\d+$/, `:${port}`);
  console.log(`\nCartes Agents est démarré : ${url}`);
  console.log(`Base : ${store.location}`);
  console.log(`Documentation de l'API : ${url}/api/docs`);
  console.log(`IGC : certificats d'AC ${url}/pki/ca/<nom>.cer, CRL ${url}/pki/crl/<nom>.crl, OCSP ${url}/pki/ocsp (AC émettrices : collectivites, etat, armees).`);
  if (demoPki) console.log(`IGC de démonstration créée ; secrets des deux dépositaires (démonstration uniquement) : « ${DEMO_CUSTODIAN_SECRETS.join(' » et « ')} ».`);
  console.log('Pour vous connecter, créez un lien à usage unique (10 minutes), par exemple pour l\'administratrice nationale :');
  console.log('  npx cartes admin sign-in-link --person admin.national');
  console.log('Autres comptes de démonstration : martin.c77011 (opératrice, mairie), lefebvre.s77 (préfecture), 1002345678 (opérateur, Brest), controle.interne, auditeur.externe.\n');
  const stop = async () => {
    crlCron.stop();
    ocspCron.stop();
    expireCron.stop();
    await app.close();
    await worker.stop();
    await store.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
