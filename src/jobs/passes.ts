import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { dailySlot, hourlySlot } from '../domain/calendar.ts';
import { systemActor, type AppContext } from '../app/context.ts';
import type { PkiEnvironment } from '../app/pki/certificates.ts';
import { refreshCrls } from '../app/pki/publication.ts';
import { dailyPass } from '../app/operations/daily-pass.ts';
import { createBackup, pruneBackups } from '../app/operations/backups.ts';
import { failInterruptedImports } from '../app/operations/crash-leftovers.ts';
import { steeringPass } from '../app/steering/pass.ts';
import type { ScheduledTask } from './scheduler.ts';

/**
 * The scheduled passes of `cartes serve`, run once across instances:
 * - « daily » at CARTES_DAILY_TIME (03:10, Paris): expiry, notices, renewals, OCSP responders, retention;
 * - « backup » every working day at CARTES_BACKUP_TIME (12:00, seed 003 annex V), then the backups
 *   older than CARTES_BACKUP_KEEP_DAYS (7) are removed;
 * - « crl.refresh » hourly: the CRLs older than half their validity are published again;
 * - « steering » every ten minutes: the dashboards' daily rows, red indicators mailed, the monthly archive;
 * and on every instance, each tick, the HR imports left running by a dead process are closed.
 */
export function scheduledPasses(
  ctx: AppContext,
  env: { pki: PkiEnvironment; config: Config; log?: Logger | undefined },
): ScheduledTask[] {
  const ops = env.config.operations;
  return [
    {
      name: 'recovery',
      everyInstance: true,
      slot: (now) => now.toISOString().slice(0, 16),
      run: async () => {
        const closed = await failInterruptedImports(ctx);
        for (const r of closed)
          env.log?.warn(
            { importRun: r.id, file: r.fileName, committed: r.committed },
            'interrupted import marked failed',
          );
        return closed.length;
      },
    },
    { name: 'crl.refresh', slot: hourlySlot, run: () => refreshCrls(ctx, env.pki) },
    { name: 'steering', slot: (now) => now.toISOString().slice(0, 15), run: () => steeringPass(ctx) },
    { name: 'daily', slot: (now) => dailySlot(now, ops.dailyTime), run: () => dailyPass(ctx, env) },
    {
      name: 'backup',
      slot: (now) => dailySlot(now, ops.backupTime, true),
      run: async () => {
        const actor = systemActor('backup');
        const b = await createBackup(ctx, actor, env.config, { reason: 'daily' });
        const pruned = await pruneBackups(ctx, actor, env.config);
        return { path: b.path, size: b.size, pruned: pruned.length };
      },
    },
  ];
}
