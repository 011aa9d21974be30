import { buildServer } from '../http/server.ts';
import { guardProcess } from '../http/process-guard.ts';
import { startWorker } from '../jobs/worker.ts';
import { loadDemoData } from '../app/demo/directory.ts';
import { openPlatform } from '../platform.ts';
import { Cron } from 'croner';
import { expireCertificates, pkiEnvironment } from '../app/pki/certificates.ts';
import { refreshCrls } from '../app/pki/publication.ts';
import { remindRootCrl } from '../app/pki/root-crl.ts';
import { renewOcspResponders } from '../app/pki/responder-renewal.ts';
import { systemActor } from '../app/context.ts';
import { registerPkiJobs } from '../jobs/pki-jobs.ts';
import { registerProductionJobs } from '../jobs/production-jobs.ts';
import { productionEnvironment } from '../app/requests/production.ts';
import { localSimulator, productionRound, SERVE_TICK } from './manufacturer.ts';
import { registerCardJobs } from '../jobs/card-jobs.ts';
import { draftCardRenewals, expireCards, sendExpiryNotices } from '../app/desk/renewal.ts';
import { DEMO_CUSTODIAN_SECRETS, loadDemoPki } from '../app/demo/pki.ts';
import { cardsDir, demoCardsNotice, loadDemoCards, type DemoCard } from '../app/demo/cards.ts';
import { startCardAgent, type CardAgent } from '../agent/server.ts';
import { loadChipKey } from '../cards/keys.ts';
import { reportError, type GlobalOptions } from './shared.ts';
import { exitOnSignals } from './shutdown.ts';
import { closeWithin } from '../http/lifecycle.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadDemoActivity } from '../app/demo/backoffice.ts';
import { monthlyAgeingPass } from '../app/backoffice/ageing.ts';

export async function serveCommand(
  global: GlobalOptions,
  opts: { port?: number; host?: string; demo?: boolean; agent?: boolean },
): Promise<void> {
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
  let demoCards: DemoCard[] = [];
  if (opts.demo) {
    await loadDemoData(ctx);
    await loadDemoActivity(ctx);
    demoPki = await loadDemoPki(ctx, pki);
    demoCards = (await loadDemoCards(ctx, pki)).cards;
  }
  const app = await buildServer(ctx, config);
  guardProcess(app.log);
  registerPkiJobs(pki);
  registerProductionJobs(pki);
  // The simulated manufacturer answers orders every 5 seconds (a real one is reached by files too).
  const production = productionEnvironment(ctx.dataDir, pki);
  const simulator = localSimulator(ctx, production, (line) => app.log.info(line));
  // Bounded work per tick (SERVE_TICK): a large batch goes through over several ticks, in slices that
  // leave the event loop to the requests.
  const manufacturerCron = new Cron('*/5 * * * * *', { protect: true }, () =>
    productionRound(ctx, production, simulator, (line) => app.log.info(line), SERVE_TICK).then(
      () => undefined,
      (err: unknown) => app.log.error({ err }, 'manufacturer'),
    ),
  );
  registerCardJobs();
  const worker = startWorker(ctx);
  // CRLs are valid 24 h: republish every hour the ones older than 12 h (and at start).
  const crlAges = new Map<string, number>();
  const refresh = () => refreshCrls(ctx, pki, crlAges).catch((err: unknown) => app.log.error({ err }, 'CRL'));
  void refresh();
  const crlCron = new Cron('0 * * * *', { protect: true }, refresh);
  // OCSP responder certificates last 30 days: renew daily those expiring within 10 days (and at start).
  const renewOcsp = () =>
    renewOcspResponders(ctx, pki)
      .then((done) => {
        for (const r of done)
          app.log.info(
            { ca: r.caName, serial: r.renewed.serial, notAfter: r.renewed.notAfter },
            'OCSP responder renewed',
          );
      })
      .catch((err: unknown) => app.log.error({ err }, 'OCSP renewal'));
  void renewOcsp();
  const ocspCron = new Cron('20 3 * * *', { protect: true, timezone: 'Europe/Paris' }, renewOcsp);
  // Certificates past their notAfter become « expired », daily.
  const expire = () =>
    expireCertificates(ctx, systemActor('expiry'))
      .then((serials) => {
        if (serials.length) app.log.info({ count: serials.length }, 'certificates expired');
      })
      .catch((err: unknown) => app.log.error({ err }, 'certificate expiry'));
  const expireCron = new Cron('10 3 * * *', { protect: true, timezone: 'Europe/Paris' }, expire);
  // Cards at 6 years expire, their renewal requests are drafted 60 days before; holders hear 30 days
  // before a certificate expires (DOMAIN.md "Validity").
  const cardLife = () =>
    expireCards(ctx)
      .then(() => draftCardRenewals(ctx))
      .then(() => sendExpiryNotices(ctx))
      .then((mailed) => {
        if (mailed) app.log.info({ mailed }, 'certificate expiry notices');
      })
      .catch((err: unknown) => app.log.error({ err }, 'card expiry and notices'));
  const cardLifeCron = new Cron('30 3 * * *', { protect: true, timezone: 'Europe/Paris' }, cardLife);
  // The root's CRL is renewed at a ceremony: the administrators are reminded before it expires.
  const rootCrl = () =>
    remindRootCrl(ctx)
      .then((mailed) => {
        if (mailed) app.log.warn({ mailed }, 'root CA CRL renewal due: administrators reminded');
      })
      .catch((err: unknown) => app.log.error({ err }, 'root CRL reminder'));
  void rootCrl();
  const rootCrlCron = new Cron('40 3 * * *', { protect: true, timezone: 'Europe/Paris' }, rootCrl);
  // Seed 003 §2.4: at least monthly, the files registered over 30 days ago and not archived, mailed to
  // the head of centre (recorded once per month and centre, whichever instance runs first).
  const ageing = () =>
    monthlyAgeingPass(ctx)
      .then((made) => {
        if (made) app.log.info({ made }, 'monthly ageing reports');
      })
      .catch((err: unknown) => app.log.error({ err }, 'monthly ageing report'));
  const ageingCron = new Cron('0 6 1 * *', { protect: true, timezone: 'Europe/Paris' }, ageing);
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = config.publicUrl.replace(/:\d+$/, `:${port}`);
  // The workstation's card agent, in this process (demo, or `--agent`): one command for a whole demo.
  let agent: CardAgent | null = null;
  if (opts.demo || opts.agent) {
    try {
      agent = await startCardAgent({
        host: '127.0.0.1',
        port: config.agentPort,
        portalOrigin: new URL(url).origin,
        cardsDir: cardsDir(config.dataDir),
        chipKey: loadChipKey(config.dataDir),
        dataDir: config.dataDir,
      });
    } catch (err) {
      console.error(
        `Agent de carte non démarré (port ${config.agentPort}) : ${(err as Error).message}. Un autre agent tourne peut-être déjà (« npx cartes agent status ») ; sinon choisissez un autre port avec CARTES_AGENT_PORT.`,
      );
    }
  }
  console.log(`\nCartes Agents est démarré : ${url}`);
  console.log(`Base : ${store.location}`);
  console.log(`Documentation de l'API : ${url}/api/docs`);
  console.log(
    `IGC : certificats d'AC ${url}/pki/ca/<nom>.cer, CRL ${url}/pki/crl/<nom>.crl, OCSP ${url}/pki/ocsp (AC émettrices : collectivites, etat, armees).`,
  );
  if (demoPki)
    console.log(
      `IGC de démonstration créée ; secrets des deux dépositaires (démonstration uniquement) : « ${DEMO_CUSTODIAN_SECRETS.join(' » et « ')} ».`,
    );
  if (agent)
    console.log(
      `Agent de carte : ${agent.url} — code d'appairage : ${agent.pairingCode} (à saisir dans le portail à la première connexion).`,
    );
  if (demoCards.length) {
    console.log('');
    for (const line of demoCardsNotice(demoCards)) console.log(line);
    console.log(
      `Pour vous connecter avec une carte : insérez-la dans le lecteur virtuel depuis le portail (« Se connecter avec ma carte »), ou : npx cartes agent insert ${demoCards[0]!.file}`,
    );
    console.log('puis saisissez le PIN Global. Sans carte, en secours :');
  }
  console.log(
    "Pour vous connecter, créez un lien à usage unique (10 minutes), par exemple pour l'administratrice nationale :",
  );
  console.log('  npx cartes admin sign-in-link --person admin.national');
  console.log(
    'Autres comptes de démonstration : martin.c77011 (opératrice, mairie), lefebvre.s77 (préfecture), 1002345678 (opérateur, Brest), controle.interne, auditeur.externe.',
  );
  console.log(
    'Centre de traitement (menu « Dossiers ») : prigent.y.camid (chef de centre), morvan.g.camid (bureau de liaison), lebihan.s.camid et quere.h.camid (bureau des déplacements temporaires), riou.m.camid (dossiers de cartes).\n',
  );
  exitOnSignals({
    deadlineS: config.shutdownTimeoutS,
    log: (line) => app.log.warn(line),
    stop: async (deadline) => {
      crlCron.stop();
      ocspCron.stop();
      expireCron.stop();
      cardLifeCron.stop();
      rootCrlCron.stop();
      ageingCron.stop();
      manufacturerCron.stop();
      await agent?.close();
      const clean = await closeWithin(app, Math.max(0, deadline - Date.now()));
      // Background passes resume where they stopped (jobs under lease, production by message).
      await Promise.race([worker.stop(), sleep(Math.max(0, deadline - Date.now()))]);
      await store.close();
      return { clean };
    },
  });
}
