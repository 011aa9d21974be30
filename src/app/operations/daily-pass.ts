// The daily pass, run once a day across the instances (jobs/scheduler.ts) or by an operator for a
// given date (`cartes jobs run-daily --at DATE`): certificates and cards past their end, renewal
// requests, expiry notices, OCSP responder renewal, the root CRL reminder, personal-data retention, the quarterly deontological
// control of the processing centres, housekeeping. Each step
// is idempotent (a step that ran is a no-op the second time), so a re-run or a take-over after a
// crash does each thing once.
import type { Config } from '../../config.ts';
import type { Logger } from '../../logger.ts';
import { expireCertificates, type PkiEnvironment } from '../pki/certificates.ts';
import { renewOcspResponders } from '../pki/responder-renewal.ts';
import { remindRootCrl } from '../pki/root-crl.ts';
import { draftCardRenewals, expireCards, sendExpiryNotices } from '../desk/renewal.ts';
import { systemActor, type AppContext } from '../context.ts';
import { runRetention } from './retention.ts';
import { failInterruptedImports } from './crash-leftovers.ts';
import { deontologicalPass } from '../control/deontology.ts';

export interface DailyEnvironment {
  pki: PkiEnvironment;
  config: Config;
  log?: Logger | undefined;
}

/** Old rows of the machinery itself: finished jobs, scheduled runs, idempotency keys. */
async function housekeeping(ctx: AppContext): Promise<Record<string, number>> {
  const now = ctx.now().getTime();
  const ago = (days: number) => new Date(now - days * 86_400_000).toISOString();
  const jobs = await ctx.store.db
    .deleteFrom('jobs')
    .where('status', '=', 'done')
    .where('finished_at', '<', ago(30))
    .executeTakeFirst();
  const runs = await ctx.store.db.deleteFrom('task_runs').where('started_at', '<', ago(90)).executeTakeFirst();
  // Keys outlive what they guard: a certificate's expiry notice is due within 30 days of its end.
  const keys = await ctx.store.db.deleteFrom('idempotency_keys').where('created_at', '<', ago(400)).executeTakeFirst();
  return {
    jobsDeleted: Number(jobs.numDeletedRows),
    taskRunsDeleted: Number(runs.numDeletedRows),
    idempotencyKeysDeleted: Number(keys.numDeletedRows),
  };
}

export async function dailyPass(ctx: AppContext, env: DailyEnvironment): Promise<Record<string, unknown>> {
  const steps: [string, () => Promise<unknown>][] = [
    ['interruptedImports', async () => (await failInterruptedImports(ctx)).length],
    ['certificatesExpired', async () => (await expireCertificates(ctx, systemActor('expiry'))).length],
    ['cardsExpired', () => expireCards(ctx)],
    ['renewalRequestsDrafted', async () => (await draftCardRenewals(ctx)).length],
    ['expiryNotices', () => sendExpiryNotices(ctx)],
    ['ocspRespondersRenewed', async () => (await renewOcspResponders(ctx, env.pki)).map((r) => r.caName)],
    // The root's CRL is renewed at a ceremony: the administrators are mailed before it expires (weekly).
    ['rootCrlReminders', () => remindRootCrl(ctx)],
    [
      'retention',
      async () =>
        (
          await runRetention(ctx, systemActor('retention'), env.config.operations.retention, {
            mailDir: env.config.mailDir,
          })
        ).counts,
    ],
    // Seed 003 §4.4: the quarter just ended, the files made for each centre's own staff go under
    // control (once per centre and quarter: a no-op on every other day).
    [
      'deontologicalControl',
      async () =>
        (await deontologicalPass(ctx)).filter((r) => r.created).map((r) => ({ centre: r.centreId, files: r.files })),
    ],
    ['housekeeping', () => housekeeping(ctx)],
  ];
  const result: Record<string, unknown> = { at: ctx.now().toISOString() };
  const failed: string[] = [];
  for (const [name, step] of steps) {
    try {
      result[name] = await step();
    } catch (err) {
      failed.push(name);
      result[name] = { error: (err as Error).message };
      env.log?.error({ step: name, err }, 'daily pass step failed');
    }
  }
  if (failed.length) throw new Error(`étape(s) en échec : ${failed.join(', ')} — ${JSON.stringify(result)}`);
  return result;
}
