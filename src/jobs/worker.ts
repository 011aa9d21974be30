import { randomUUID } from 'node:crypto';
import { Cron } from 'croner';
import type { AppContext } from '../app/context.ts';
import { claimJobs, completeJob, failJob } from './queue.ts';
import { deliverMail } from '../app/mail.ts';

type Handler = (ctx: AppContext, payload: unknown) => Promise<void>;

const HANDLERS: Record<string, Handler> = {
  'mail.send': (ctx, payload) => deliverMail(ctx, (payload as { mailId: string }).mailId),
};

/** Adds a handler for a job kind (e.g. CRL publication, which needs the PKI key-encryption key). */
export function registerJobHandler(kind: string, handler: Handler): void {
  HANDLERS[kind] = handler;
}

/** Runs every due job once; returns how many ran. */
export async function runDueJobs(ctx: AppContext, owner: string = randomUUID(), limit = 20): Promise<number> {
  const jobs = await claimJobs(ctx.store, owner, ctx.now(), 60_000, limit);
  for (const job of jobs) {
    const handler = HANDLERS[job.kind];
    try {
      if (!handler) throw new Error(`type de tâche inconnu : ${job.kind}`);
      await handler(ctx, job.payload);
      await completeJob(ctx.store, job.id, owner, ctx.now());
    } catch (err) {
      await failJob(
        ctx.store,
        job.id,
        owner,
        ctx.now(),
        err instanceof Error ? err.message : String(err),
        job.attempts,
      );
    }
  }
  return jobs.length;
}

/** Polls the job table every few seconds (croner schedule); stop() waits for the running pass. */
export function startWorker(ctx: AppContext): { stop: () => Promise<void> } {
  const owner = randomUUID();
  let running: Promise<void> = Promise.resolve();
  const cron = new Cron('*/2 * * * * *', { protect: true }, () => {
    running = runDueJobs(ctx, owner).then(
      () => undefined,
      () => undefined,
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
