import { randomUUID } from 'node:crypto';
import { Cron } from 'croner';
import type { AppContext } from '../app/context.ts';
import type { Logger } from '../logger.ts';
import { scheduledTasks } from '../metrics.ts';

// Scheduled passes run once across the instances sharing a database: each pass has slots (a day, an
// hour) and the instance that creates the slot's row in `task_runs` runs it, under a lease renewed
// while it works. The others see the row and skip. A slot whose runner died (lease run out) is taken
// over; a failed slot is tried again after a pause. A pass missed while every instance was down runs
// when one comes back (slots are "due since", not "at").

export interface ScheduledTask {
  /** Name of the pass (task_runs.task). */
  name: string;
  /** The slot due at `now`, or null when nothing is due. */
  slot(now: Date): string | null;
  /** The work; its result is recorded (JSON) with the run. */
  run(slot: string): Promise<unknown>;
  /** Runs on every instance without a lease (idempotent housekeeping). */
  everyInstance?: boolean;
}

export interface TaskRunOutcome {
  status: 'done' | 'failed' | 'skipped';
  /** The instance that holds or held the slot. */
  owner: string;
  result?: unknown;
  error?: string;
}

export interface RunOnceOptions {
  owner?: string;
  leaseMs?: number;
  /** A failed slot may be tried again this long after it failed (default 15 minutes). */
  retryFailedAfterMs?: number;
  /** Run even when the slot is done (an operator's explicit re-run; the passes are idempotent). */
  force?: boolean;
  log?: Logger | undefined;
}

async function claimSlot(
  ctx: AppContext,
  task: string,
  slot: string,
  owner: string,
  leaseMs: number,
  retryFailedAfterMs: number,
  force: boolean,
): Promise<{ mine: true } | { mine: false; owner: string; status: string }> {
  const now = ctx.now();
  const nowIso = now.toISOString();
  const leaseUntil = new Date(now.getTime() + leaseMs).toISOString();
  const inserted = await ctx.store.db
    .insertInto('task_runs')
    .values({
      task,
      slot,
      owner,
      status: 'running',
      started_at: nowIso,
      lease_until: leaseUntil,
      finished_at: null,
      result: null,
      error: null,
    })
    .onConflict((oc) => oc.columns(['task', 'slot']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return { mine: true };
  const retryBefore = new Date(now.getTime() - retryFailedAfterMs).toISOString();
  const taken = await ctx.store.db
    .updateTable('task_runs')
    .set({ owner, status: 'running', started_at: nowIso, lease_until: leaseUntil, finished_at: null, error: null })
    .where('task', '=', task)
    .where('slot', '=', slot)
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'running'), eb('lease_until', '<', nowIso)]),
        eb.and([eb('status', '=', 'failed'), eb('finished_at', '<', retryBefore)]),
        ...(force ? [eb('status', 'in', ['done', 'failed'])] : []),
      ]),
    )
    .executeTakeFirst();
  if (Number(taken.numUpdatedRows) === 1) return { mine: true };
  const row = await ctx.store.db
    .selectFrom('task_runs')
    .select(['owner', 'status'])
    .where('task', '=', task)
    .where('slot', '=', slot)
    .executeTakeFirst();
  return { mine: false, owner: row?.owner ?? '', status: row?.status ?? 'running' };
}

/** Runs `work` for this task and slot unless another instance has it or had it done. */
export async function runTaskOnce(
  ctx: AppContext,
  task: string,
  slot: string,
  work: () => Promise<unknown>,
  opts: RunOnceOptions = {},
): Promise<TaskRunOutcome> {
  const owner = opts.owner ?? randomUUID();
  const leaseMs = opts.leaseMs ?? 5 * 60_000;
  const claim = await claimSlot(
    ctx,
    task,
    slot,
    owner,
    leaseMs,
    opts.retryFailedAfterMs ?? 15 * 60_000,
    opts.force ?? false,
  );
  if (!claim.mine) {
    scheduledTasks.inc({ task, outcome: 'skipped' });
    return { status: 'skipped', owner: claim.owner };
  }
  const heartbeat = setInterval(
    () => {
      ctx.store.db
        .updateTable('task_runs')
        .set({ lease_until: new Date(ctx.now().getTime() + leaseMs).toISOString() })
        .where('task', '=', task)
        .where('slot', '=', slot)
        .where('owner', '=', owner)
        .execute()
        .catch(() => undefined); // the database away: the next beat tries again
    },
    Math.max(50, Math.floor(leaseMs / 3)),
  );
  const finish = (status: 'done' | 'failed', fields: { result?: string; error?: string }) =>
    ctx.store.db
      .updateTable('task_runs')
      .set({
        status,
        finished_at: ctx.now().toISOString(),
        result: fields.result ?? null,
        error: fields.error ?? null,
      })
      .where('task', '=', task)
      .where('slot', '=', slot)
      .where('owner', '=', owner)
      .execute();
  try {
    opts.log?.info({ task, slot }, 'scheduled pass started');
    const result = await work();
    clearInterval(heartbeat);
    await finish('done', { result: JSON.stringify(result ?? null).slice(0, 20_000) });
    scheduledTasks.inc({ task, outcome: 'ok' });
    opts.log?.info({ task, slot, result }, 'scheduled pass done');
    return { status: 'done', owner, result };
  } catch (err) {
    clearInterval(heartbeat);
    const error = err instanceof Error ? err.message : String(err);
    scheduledTasks.inc({ task, outcome: 'failed' });
    opts.log?.error({ task, slot, err }, 'scheduled pass failed');
    await finish('failed', { error: error.slice(0, 2000) }).catch(() => undefined);
    return { status: 'failed', owner, error };
  } finally {
    clearInterval(heartbeat);
  }
}

/**
 * Checks every `tickSeconds` (default 30) which passes are due and runs them, one after the other;
 * also at once when started. stop() waits for the pass in progress.
 */
export function startScheduler(
  ctx: AppContext,
  tasks: ScheduledTask[],
  opts: { owner: string; log?: Logger; tickSeconds?: number },
): { stop: () => Promise<void>; tick: () => Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = async (): Promise<void> => {
    for (const task of tasks) {
      if (stopped) return;
      try {
        const slot = task.slot(ctx.now());
        if (slot === null) continue;
        if (task.everyInstance) {
          await task.run(slot);
          continue;
        }
        await runTaskOnce(ctx, task.name, slot, () => task.run(slot), { owner: opts.owner, log: opts.log });
      } catch (err) {
        // The database away while claiming: the next tick tries again.
        opts.log?.warn({ task: task.name, err }, 'scheduled pass not started');
      }
    }
  };
  const cron = new Cron(`*/${opts.tickSeconds ?? 30} * * * * *`, { protect: true }, () => {
    running = tick();
    return running;
  });
  running = tick();
  return {
    tick: () => (running = running.then(tick)),
    async stop() {
      stopped = true;
      cron.stop();
      await running;
    },
  };
}
