import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { pkiEnvironment } from '../app/pki/certificates.ts';
import {
  loadActivationKey,
  processInbox,
  productionEnvironment,
  sendPendingOrders,
  type ProductionEnvironment,
} from '../app/requests/production.ts';
import type { AppContext } from '../app/context.ts';
import { loadCardMasterKey, loadChipKey } from '../cards/keys.ts';
import { createSimulator, type Simulator } from '../manufacturer/simulator.ts';
import { registerProductionJobs } from '../jobs/production-jobs.ts';
import { runDueJobs } from '../jobs/worker.ts';
import { runWithPlatform, type GlobalOptions } from './shared.ts';

/** The simulated manufacturer of this installation (shares its chip, master and exchange keys). */
export function localSimulator(ctx: AppContext, env: ProductionEnvironment, log: (line: string) => void): Simulator {
  return createSimulator({
    dataDir: ctx.dataDir,
    exchangeKey: env.exchangeKey,
    activationKey: loadActivationKey(ctx.dataDir),
    chipKey: loadChipKey(ctx.dataDir),
    masterKey: loadCardMasterKey(ctx.dataDir),
    mailer: ctx.mailer,
    log,
  });
}

/** Work of one tick of `cartes serve`'s manufacturer: what is left waits for the next tick (5 s later). */
export const SERVE_TICK = { rounds: 2, messages: 2, files: 4 } as const;

/**
 * One round of production: queued outbox jobs, orders of validated batches, the manufacturer's
 * turn, then the platform reads its answers; repeated while something moves, `limits.rounds` times at
 * most (and each turn `limits.messages` messages, `limits.files` inbox files). Returns what moved.
 */
export async function productionRound(
  ctx: AppContext,
  env: ProductionEnvironment,
  simulator: Simulator,
  log: (line: string) => void,
  limits: { rounds?: number; messages?: number; files?: number } = {},
): Promise<number> {
  let total = 0;
  for (let round = 0; round < (limits.rounds ?? Number.MAX_SAFE_INTEGER); round++) {
    let moved = await runDueJobs(ctx);
    moved += await sendPendingOrders(ctx, env);
    moved += await simulator.step(limits.messages !== undefined ? { maxMessages: limits.messages } : {});
    for (const r of await processInbox(ctx, env, limits.files !== undefined ? { maxFiles: limits.files } : {})) {
      log(r.message);
      moved++;
    }
    total += moved;
    if (moved === 0) break;
  }
  return total;
}

export function registerManufacturerCommands(program: Command): void {
  const cmd = program.command('manufacturer').description('fabricant des cartes (simulateur) et échanges avec lui');
  cmd
    .command('run')
    .description('fait tourner le fabricant simulé et traite ses messages (commandes, production, expédition)')
    .option('--once', "s'arrête quand il n'y a plus rien à faire")
    .action((opts: { once?: boolean }) =>
      runWithPlatform(program.opts<GlobalOptions>(), async ({ ctx, config }) => {
        const pki = pkiEnvironment(config);
        registerProductionJobs(pki);
        const env = productionEnvironment(ctx.dataDir, pki);
        const log = (line: string) => console.log(line);
        const simulator = localSimulator(ctx, env, log);
        let stop = false;
        process.once('SIGINT', () => {
          stop = true;
        });
        process.once('SIGTERM', () => {
          stop = true;
        });
        do {
          await productionRound(ctx, env, simulator, log);
          if (opts.once) break;
          await sleep(2000);
        } while (!stop);
        console.log('Fabricant : plus rien à traiter.');
      }),
    );
}
