// Background jobs as an operator sees them: queue by kind and status, failures with their error,
// and the retry of a job given up after its attempts (`cartes jobs retry`, the operations page).
import { sql } from 'kysely';
import { authorize } from '../access/authorize.ts';
import { changeWithAudit } from '../audit-trail.ts';
import { AppError, notFound } from '../errors.ts';
import type { Actor, AppContext } from '../context.ts';
import type { JobTable } from '../../store/schema.ts';

export const JOB_KIND_LABELS: Record<string, string> = {
  'mail.send': 'Envoi de courriel',
  'crl.publish': 'Publication de CRL',
  'manufacturer.send-order': 'Envoi de commande au fabricant',
  'manufacturer.code-resend': "Renvoi de code d'activation",
  'card.suspension-escalate': 'Suspension devenue révocation',
};

export const JOB_STATUS_LABELS: Record<string, string> = {
  pending: 'En attente',
  running: 'En cours',
  done: 'Terminée',
  failed: 'En échec',
};

export interface JobView {
  id: string;
  kind: string;
  kindLabel: string;
  status: string;
  statusLabel: string;
  attempts: number;
  runAt: string;
  createdAt: string;
  lastAttemptAt: string | null;
  finishedAt: string | null;
  lastError: string | null;
}

export async function listJobs(
  ctx: AppContext,
  actor: Actor,
  filter: { status?: string; kind?: string; limit?: number } = {},
): Promise<{ items: JobView[] }> {
  await authorize(ctx, actor, 'operations.read', null);
  let q = ctx.store.db.selectFrom('jobs').selectAll();
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.kind) q = q.where('kind', '=', filter.kind);
  const rows = await q
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(Math.min(Math.max(filter.limit ?? 50, 1), 500))
    .execute();
  return { items: rows.map(jobView) };
}

function jobView(r: JobTable): JobView {
  return {
    id: r.id,
    kind: r.kind,
    kindLabel: JOB_KIND_LABELS[r.kind] ?? r.kind,
    status: r.status,
    statusLabel: JOB_STATUS_LABELS[r.status] ?? r.status,
    attempts: r.attempts,
    runAt: r.run_at,
    createdAt: r.created_at,
    lastAttemptAt: r.last_attempt_at,
    finishedAt: r.finished_at,
    lastError: r.last_error,
  };
}

export interface QueueFigures {
  kind: string;
  status: string;
  count: number;
  oldest: string | null;
}

/** Jobs not done, by kind and status, with the oldest due date (queue depth and age). */
export async function queueFigures(ctx: AppContext): Promise<QueueFigures[]> {
  const rows = await ctx.store.db
    .selectFrom('jobs')
    .select(['kind', 'status'])
    .select(sql<number>`count(*)`.as('n'))
    .select(sql<string | null>`min(run_at)`.as('oldest'))
    .where('status', '!=', 'done')
    .groupBy(['kind', 'status'])
    .execute();
  return rows.map((r) => ({ kind: r.kind, status: r.status, count: Number(r.n), oldest: r.oldest }));
}

/** Puts a failed job back in the queue, due now, with its attempts counted from zero again. */
export async function retryJob(ctx: AppContext, actor: Actor, id: string): Promise<JobView> {
  const auth = await authorize(ctx, actor, 'operations.manage', null, { type: 'job', id });
  await changeWithAudit(ctx, actor, auth, 'operations.job.retry', async (trx) => {
    const job = await trx.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!job) throw notFound('Tâche introuvable.');
    if (job.status !== 'failed')
      throw new AppError(
        'conflict',
        `Seule une tâche en échec peut être relancée (celle-ci est « ${JOB_STATUS_LABELS[job.status] ?? job.status} »).`,
      );
    const now = ctx.now().toISOString();
    await trx
      .updateTable('jobs')
      .set({ status: 'pending', run_at: now, attempts: 0, finished_at: null, lease_owner: null, lease_until: null })
      .where('id', '=', id)
      .where('status', '=', 'failed')
      .execute();
    return {
      result: null,
      targetType: 'job',
      targetId: id,
      summary: {
        kind: job.kind,
        before: { status: 'failed', attempts: job.attempts, error: job.last_error },
        after: { status: 'pending' },
      },
    };
  });
  return jobView(await ctx.store.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
}
