import { randomUUID } from 'node:crypto';
import { Cron } from 'croner';
import type { AppContext } from '../app/context.ts';
import { claimJobs, completeJob, failJob, renewJobLease } from './queue.ts';
import { deliverMail } from '../app/mail.ts';
import { jobsProcessed } from '../metrics.ts';
import type { Logger } from '../logger.ts';

type Handler = (ctx: AppContext, payload: unknown) => Promise<void>;

const HANDLERS: Record<string, Handler> = {
  'mail.send': (ctx, payload) => deliverMail(ctx, (payload as { mailId: string }).mailId),
};

/** Adds a handler for a job kind (e.g. CRL publication, which needs the PKI key-encryption key). */
export function registerJobHandler(kind: string, handler: Handler): void {
  HANDLERS[kind] = handler;
}

export interface WorkerOptions {
  /** At most this many jobs per pass (default 20). */
  limit?: number;
  /** Lease of one job (default 60 s), renewed every third of it while the handler runs. */
  leaseMs?: number;
  log?: Logger;
}

/**
 * Runs due jobs one by one: each is claimed alone under its own lease, which is renewed while its
 * handler runs, so a slow job is never taken by a second worker and a job waiting behind it is not
 * held by a lease that runs out. Failures are logged (warn while retried, error when given up).
 * Returns how many ran.
 */
export async function runDueJobs(
  ctx: AppContext,
  owner: string = randomUUID(),
  opts: WorkerOptions | number = {},
): Promise<number> {
  const o: WorkerOptions = typeof opts === 'number' ? { limit: opts } : opts;
  const limit = o.limit ?? 20;
  const leaseMs = o.leaseMs ?? 60_000;
  let ran = 0;
  while (ran < limit) {
    const [job] = await claimJobs(ctx.store, owner, ctx.now(), leaseMs, 1);
    if (!job) break;
    ran++;
    const handler = HANDLERS[job.kind];
    let leaseLost = false;
    const heartbeat = setInterval(
      () => {
        renewJobLease(ctx.store, job.id, owner, ctx.now(), leaseMs).then(
          (kept) => {
            if (!kept && !leaseLost) {
              leaseLost = true;
              o.log?.warn({ jobId: job.id, kind: job.kind }, 'job lease lost while running');
            }
          },
          () => undefined, // the database away: the next beat tries again
        );
      },
      Math.max(50, Math.floor(leaseMs / 3)),
    );
    try {
      if (!handler) throw new Error(`type de tâche inconnu : ${job.kind}`);
      await handler(ctx, job.payload);
      clearInterval(heartbeat);
      await completeJob(ctx.store, job.id, owner, ctx.now());
      jobsProcessed.inc({ kind: job.kind, outcome: 'ok' });
    } catch (err) {
      clearInterval(heartbeat);
      const message = err instanceof Error ? err.message : String(err);
      try {
        const { status, retryAt } = await failJob(ctx.store, job.id, owner, ctx.now(), message, job.attempts);
        jobsProcessed.inc({ kind: job.kind, outcome: status === 'failed' ? 'failed' : 'retry' });
        const fields = { jobId: job.id, kind: job.kind, attempts: job.attempts, error: message };
        if (status === 'failed') o.log?.error(fields, 'job failed for good (cartes jobs retry <id> to run it again)');
        else o.log?.warn({ ...fields, retryAt }, 'job failed, will be retried');
      } catch (recordErr) {
        // The failure could not be recorded (database away): the lease runs out and the job comes back.
        o.log?.warn({ jobId: job.id, kind: job.kind, error: message, err: recordErr }, 'job failure not recorded');
        throw recordErr;
      }
    } finally {
      clearInterval(heartbeat);
    }
  }
  return ran;
}

/** Polls the job table every few seconds (croner schedule); stop() waits for the running pass. */
export function startWorker(
  ctx: AppContext,
  opts: { log?: Logger; owner?: string } = {},
): { stop: () => Promise<void> } {
  const owner = opts.owner ?? randomUUID();
  let running: Promise<void> = Promise.resolve();
  const cron = new Cron('*/2 * * * * *', { protect: true }, () => {
    running = runDueJobs(ctx, owner, { ...(opts.log ? { log: opts.log } : {}) }).then(
      () => undefined,
      (err: unknown) => opts.log?.debug({ err }, 'job pass interrupted'),
    );
    return running;
  });
  return {
    async stop() {
      cron.stop();
      await running;
    },
  };
}
