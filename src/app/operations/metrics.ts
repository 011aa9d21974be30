// Figures read from the database at each scrape of /metrics (shared by every instance, so any
// instance reports the same queue, CRLs, imports, mails and backups), merged with this process's own
// counters and histograms (src/metrics.ts).
import { sql } from 'kysely';
import { client, processRegistry } from '../../metrics.ts';
import type { AppContext } from '../context.ts';
import { latestCrls } from '../pki/publication.ts';
import { queueFigures } from './jobs.ts';

export interface MetricsSource {
  /** The Prometheus text of this instance. */
  text(): Promise<string>;
  contentType: string;
}

export function databaseMetrics(ctx: AppContext): MetricsSource {
  const reg = new client.Registry();
  const g = (name: string, help: string, labelNames: string[] = []) =>
    new client.Gauge({ name, help, labelNames, registers: [reg] });
  const up = g('cartes_database_up', '1 when the database answered this scrape');
  const jobs = g('cartes_jobs', 'Jobs not done, by kind and status (queue depth)', ['kind', 'status']);
  const jobAge = g(
    'cartes_jobs_oldest_due_age_seconds',
    'Age of the oldest job due and not done, by kind and status (queue age)',
    ['kind', 'status'],
  );
  const crlAge = g('cartes_crl_age_seconds', 'Age of the newest published CRL, by issuing CA', ['ca']);
  const crlNumber = g('cartes_crl_number', 'Number of the newest published CRL, by issuing CA', ['ca']);
  const crlNext = g('cartes_crl_next_update_seconds', 'Seconds until the newest CRL nextUpdate, by CA', ['ca']);
  const imports = g('cartes_import_runs', 'HR import runs by status', ['status']);
  const importRows = g('cartes_import_rows', 'Rows of HR imports by outcome (all runs kept)', ['outcome']);
  const mails = g('cartes_mails', 'Mails by status', ['status']);
  const backup = g('cartes_backup_last_success_timestamp_seconds', 'Time of the last successful backup');
  const tasks = g(
    'cartes_scheduled_task_last_success_timestamp_seconds',
    'Time of the last successful scheduled pass, by task',
    ['task'],
  );
  const refresh = async (): Promise<void> => {
    for (const m of [jobs, jobAge, crlAge, crlNumber, crlNext, imports, importRows, mails, tasks]) m.reset();
    const now = ctx.now().getTime();
    try {
      for (const q of await queueFigures(ctx)) {
        jobs.set({ kind: q.kind, status: q.status }, q.count);
        if (q.oldest) jobAge.set({ kind: q.kind, status: q.status }, Math.max(0, (now - Date.parse(q.oldest)) / 1000));
      }
      for (const c of await latestCrls(ctx)) {
        crlAge.set({ ca: c.caName }, (now - Date.parse(c.thisUpdate)) / 1000);
        crlNumber.set({ ca: c.caName }, c.crlNumber);
        crlNext.set({ ca: c.caName }, (Date.parse(c.nextUpdate) - now) / 1000);
      }
      const db = ctx.store.db;
      for (const r of await db
        .selectFrom('import_runs')
        .select(['status', sql<number>`count(*)`.as('n')])
        .groupBy('status')
        .execute())
        imports.set({ status: r.status }, Number(r.n));
      const rows = await db
        .selectFrom('import_runs')
        .select([
          sql<number>`coalesce(sum(inserted), 0)`.as('inserted'),
          sql<number>`coalesce(sum(updated), 0)`.as('updated'),
          sql<number>`coalesce(sum(unchanged), 0)`.as('unchanged'),
          sql<number>`coalesce(sum(rejected), 0)`.as('rejected'),
        ])
        .executeTakeFirstOrThrow();
      for (const outcome of ['inserted', 'updated', 'unchanged', 'rejected'] as const)
        importRows.set({ outcome }, Number(rows[outcome]));
      for (const r of await db
        .selectFrom('mails')
        .select(['status', sql<number>`count(*)`.as('n')])
        .groupBy('status')
        .execute())
        mails.set({ status: r.status }, Number(r.n));
      const lastBackup = await db
        .selectFrom('operations_journal')
        .select(sql<string | null>`max(at)`.as('at'))
        .where('kind', '=', 'backup')
        .where('status', '=', 'ok')
        .executeTakeFirst();
      if (lastBackup?.at) backup.set(Date.parse(lastBackup.at) / 1000);
      for (const r of await db
        .selectFrom('task_runs')
        .select(['task', sql<string>`max(finished_at)`.as('at')])
        .where('status', '=', 'done')
        .groupBy('task')
        .execute())
        if (r.at) tasks.set({ task: r.task }, Date.parse(r.at) / 1000);
      up.set(1);
    } catch {
      up.set(0);
    }
  };
  return {
    contentType: processRegistry.contentType,
    async text() {
      await refresh();
      return client.Registry.merge([processRegistry, reg]).metrics();
    },
  };
}
