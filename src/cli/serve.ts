import { buildServer } from '../http/server.ts';
import { guardProcess } from '../http/process-guard.ts';
import { startWorker } from '../jobs/worker.ts';
import { loadDemoData } from '../app/demo/directory.ts';
import { openPlatform } from '../platform.ts';
import { Cron } from 'croner';
import { pkiEnvironment } from '../app/pki/certificates.ts';
import { loadConfig } from '../config.ts';
import { createLogger, INSTANCE_ID, type Logger } from '../logger.ts';
import { startScheduler } from '../jobs/scheduler.ts';
import { scheduledPasses } from '../jobs/passes.ts';
import { preMigrationBackup } from '../app/operations/backups.ts';
import { failInterruptedImports, removeStaleTempFiles } from '../app/operations/crash-leftovers.ts';
import { registerPkiJobs } from '../jobs/pki-jobs.ts';
import { registerProductionJobs } from '../jobs/production-jobs.ts';
import { productionEnvironment } from '../app/requests/production.ts';
import { localSimulator, productionRound, SERVE_TICK } from './manufacturer.ts';
import { registerCardJobs } from '../jobs/card-jobs.ts';
import { DEMO_CUSTODIAN_SECRETS, loadDemoPki } from '../app/demo/pki.ts';
import { cardsDir, demoCardsNotice, loadDemoCards, type DemoCard } from '../app/demo/cards.ts';
import { startCardAgent, type CardAgent } from '../agent/server.ts';
import { loadChipKey } from '../cards/keys.ts';
import { reportError, type GlobalOptions } from './shared.ts';
import { exitOnSignals } from './shutdown.ts';
import { closeWithin } from '../http/lifecycle.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadDemoActivity } from '../app/demo/backoffice.ts';
import { loadDemoSteering } from '../app/demo/steering.ts';
import { loadDemoControl } from '../app/demo/control.ts';
import { monthlyAgeingPass } from '../app/backoffice/ageing.ts';

export async function serveCommand(
  global: GlobalOptions,
  opts: { port?: number; host?: string; demo?: boolean; agent?: boolean },
): Promise<void> {
  const overrides = { data: global.data, db: global.db, port: opts.port, host: opts.host };
  let platform;
  let log: Logger;
  try {
    log = createLogger(loadConfig(overrides).logLevel);
    // A promise nobody awaited must not end the service: it is logged.
    process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
    platform = await openPlatform(overrides, process.env, {
      log,
      waitForDatabase: true,
      beforeMigration: preMigrationBackup,
    });
  } catch (err) {
    reportError(err);
    return;
  }
  const { config, store, ctx } = platform;
  const pki = pkiEnvironment(config);
  // Leftovers of a process killed during its work: temporary files, imports left « running ».
  for (const path of await removeStaleTempFiles(config.dataDir)) log.info({ path }, 'stale temporary file removed');
  for (const r of await failInterruptedImports(ctx))
    log.warn({ importRun: r.id, file: r.fileName, committed: r.committed }, 'interrupted import marked failed');
  let demoPki = false;
  let demoCards: DemoCard[] = [];
  if (opts.demo) {
    await loadDemoData(ctx);
    await loadDemoActivity(ctx);
    await loadDemoSteering(ctx);
    await loadDemoControl(ctx);
    demoPki = await loadDemoPki(ctx, pki);
    demoCards = (await loadDemoCards(ctx, pki)).cards;
  }
  const app = await buildServer(ctx, config, { loggerInstance: log });
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
  // Background jobs, and the scheduled passes (daily, backup, hourly CRL refresh) run once across
  // the instances sharing the database (jobs/scheduler.ts).
  const worker = startWorker(ctx, { log, owner: INSTANCE_ID });
  const scheduler = startScheduler(ctx, scheduledPasses(ctx, { pki, config, log }), { owner: INSTANCE_ID, log });
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
      ageingCron.stop();
      manufacturerCron.stop();
      await agent?.close();
      const clean = await closeWithin(app, Math.max(0, deadline - Date.now()));
      // Background passes resume where they stopped (jobs under lease, scheduled passes by slot,
      // production by message).
      const left = () => Math.max(0, deadline - Date.now());
      await Promise.race([Promise.all([scheduler.stop(), worker.stop()]), sleep(left())]);
      await store.close();
      return { clean };
    },
  });
}
