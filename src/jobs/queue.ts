import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { Store } from '../store/database.ts';

// Jobs and outbox in one table: a use case enqueues inside its own transaction, a worker claims due
// jobs with a lease, so a crashed worker's job is taken again once its lease runs out.

export async function enqueue(
  trx: Transaction<Database> | Kysely<Database>,
  job: { id: string; kind: string; payload: unknown; runAt: string; now: string },
): Promise<void> {
  await trx
    .insertInto('jobs')
    .values({
      id: job.id,
      kind: job.kind,
      payload: JSON.stringify(job.payload),
      status: 'pending',
      run_at: job.runAt,
      attempts: 0,
      lease_owner: null,
      lease_until: null,
      last_error: null,
      created_at: job.now,
      finished_at: null,
    })
    .execute();
}

export interface ClaimedJob {
  id: string;
  kind: string;
  payload: unknown;
  attempts: number;
}

export async function claimJobs(
  store: Store,
  owner: string,
  now: Date,
  leaseMs: number,
  limit: number,
): Promise<ClaimedJob[]> {
  const nowIso = now.toISOString();
  const leaseUntil = new Date(now.getTime() + leaseMs).toISOString();
  return store.db.transaction().execute(async (trx) => {
    let q = trx
      .selectFrom('jobs')
      .select(['id', 'kind', 'payload', 'attempts'])
      .where((eb) =>
        eb.or([
          eb.and([eb('status', '=', 'pending'), eb('run_at', '<=', nowIso)]),
          eb.and([eb('status', '=', 'running'), eb('lease_until', '<', nowIso)]),
        ]),
      )
      .orderBy('run_at')
      .limit(limit);
    if (store.dialect === 'postgres') q = q.forUpdate().skipLocked();
    const rows = await q.execute();
    if (rows.length === 0) return [];
    await trx
      .updateTable('jobs')
      .set({
        status: 'running',
        lease_owner: owner,
        lease_until: leaseUntil,
        attempts: sql`attempts + 1`,
        last_attempt_at: nowIso,
      })
      .where(
        'id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      payload: JSON.parse(r.payload) as unknown,
      attempts: r.attempts + 1,
    }));
  });
}

export async function completeJob(store: Store, id: string, owner: string, now: Date): Promise<void> {
  await store.db
    .updateTable('jobs')
    .set({ status: 'done', finished_at: now.toISOString(), lease_owner: null, lease_until: null })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .execute();
}

/**
 * Extends the lease of a job this owner is running (a heartbeat while the handler works); false when
 * the lease was lost (expired and taken by another worker), so the caller knows.
 */
export async function renewJobLease(
  store: Store,
  id: string,
  owner: string,
  now: Date,
  leaseMs: number,
): Promise<boolean> {
  const r = await store.db
    .updateTable('jobs')
    .set({ lease_until: new Date(now.getTime() + leaseMs).toISOString() })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export const MAX_ATTEMPTS = 8;

/** Records a failed attempt: retried later with a growing delay, or failed for good after MAX_ATTEMPTS. */
export async function failJob(
  store: Store,
  id: string,
  owner: string,
  now: Date,
  error: string,
  attempts: number,
): Promise<{ status: 'pending' | 'failed'; retryAt: string }> {
  const retryAt = new Date(now.getTime() + Math.min(2 ** attempts, 3600) * 1000).toISOString();
  const status = attempts >= MAX_ATTEMPTS ? 'failed' : 'pending';
  await store.db
    .updateTable('jobs')
    .set({
      status,
      run_at: retryAt,
      last_error: error.slice(0, 2000),
      lease_owner: null,
      lease_until: null,
      finished_at: status === 'failed' ? now.toISOString() : null,
    })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .execute();
  return { status, retryAt };
}
