// The operations API: journal of backups and restores (checked by the head of centre), backups,
// background jobs, scheduled passes, retention, and the subject access export.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { AppContext } from '../../../app/context.ts';
import type { Config } from '../../../config.ts';
import { authorize } from '../../../app/access/authorize.ts';
import { checkJournalEntry, listJournal } from '../../../app/operations/journal.ts';
import { backupSecrets, createBackup, findBackup, listBackups, verifyBackup } from '../../../app/operations/backups.ts';
import { listJobs, queueFigures, retryJob } from '../../../app/operations/jobs.ts';
import { RETENTION_LABELS, runRetention } from '../../../app/operations/retention.ts';
import { exportPersonalData, personalDataPdf } from '../../../app/operations/personal-data.ts';
import { requireActor } from '../../auth.ts';
import {
  BackupCreated,
  BackupList,
  CheckBody,
  CheckResult,
  IdParam,
  Job,
  JobList,
  JobQuery,
  JournalList,
  JournalQuery,
  OperationsProblem,
  OperationsStatus,
  RetentionBody,
  RetentionResult,
  VerifyReport,
} from '../../schemas/operations.ts';
import { readinessBody, versionInfo } from './health.ts';

const errors = { '4xx': OperationsProblem, '5xx': OperationsProblem };

export function operationsRoutes(app: FastifyInstance, ctx: AppContext, config: Config, kek: Buffer): void {
  const tags = ['exploitation'];

  app.get(
    '/api/operations/status',
    {
      schema: {
        tags,
        summary: "État de l'instance : disponibilité, version, dernières passes planifiées",
        response: { 200: OperationsStatus, ...errors },
      },
    },
    async (req) => {
      await authorize(ctx, requireActor(req), 'operations.read', null);
      const runs = await ctx.store.db
        .selectFrom('task_runs')
        .selectAll()
        .where('task', '!=', 'recovery')
        .orderBy('started_at', 'desc')
        .limit(20)
        .execute();
      return {
        readiness: await readinessBody(ctx, config, kek),
        version: versionInfo(),
        tasks: runs.map((r) => ({
          task: r.task,
          slot: r.slot,
          status: r.status,
          owner: r.owner,
          startedAt: r.started_at,
          finishedAt: r.finished_at,
          error: r.error,
        })),
      };
    },
  );

  app.get(
    '/api/operations/journal',
    {
      schema: {
        tags,
        summary: 'Journal des opérations (sauvegardes, vérifications, restaurations, conservation)',
        querystring: JournalQuery,
        response: { 200: JournalList, ...errors },
      },
    },
    async (req) => listJournal(ctx, requireActor(req), req.query as { kind?: string; limit?: number; before?: string }),
  );

  app.post(
    '/api/operations/journal/:id/check',
    {
      schema: {
        tags,
        summary: 'Contrôle du chef de centre : régularité, réalité et conditions de stockage (annexe V §3)',
        params: IdParam,
        body: CheckBody,
        response: { 200: CheckResult, ...errors },
      },
    },
    async (req) =>
      checkJournalEntry(ctx, requireActor(req), (req.params as { id: string }).id, (req.body as { note: string }).note),
  );

  app.get(
    '/api/operations/backups',
    {
      schema: {
        tags,
        summary: 'Sauvegardes présentes dans le dossier des sauvegardes',
        response: { 200: BackupList, ...errors },
      },
    },
    async (req) => {
      await authorize(ctx, requireActor(req), 'operations.read', null);
      const verified = await ctx.store.db
        .selectFrom('operations_journal')
        .select(['backup_id', 'at', 'status'])
        .where('kind', '=', 'verify')
        .orderBy('at')
        .execute();
      const last = new Map(verified.map((v) => [v.backup_id, v]));
      return {
        folder: config.operations.backupDir,
        keepDays: config.operations.backupKeepDays,
        time: config.operations.backupTime,
        items: (await listBackups(config)).map((b) => ({
          ...b,
          verifiedAt: last.get(b.id)?.at ?? null,
          verifiedOk: last.has(b.id) ? last.get(b.id)!.status === 'ok' : null,
        })),
      };
    },
  );

  app.post(
    '/api/operations/backups',
    { schema: { tags, summary: 'Faire une sauvegarde maintenant', response: { 201: BackupCreated, ...errors } } },
    async (req, reply) => {
      const b = await createBackup(ctx, requireActor(req), config, { reason: 'manual' });
      return reply.code(201).send({ id: b.manifest.id, path: b.path, size: b.size });
    },
  );

  app.post(
    '/api/operations/backups/:id/verify',
    {
      schema: {
        tags,
        summary: 'Vérifier une sauvegarde (restauration dans un emplacement temporaire)',
        params: IdParam,
        response: { 200: VerifyReport, ...errors },
      },
    },
    async (req) => {
      const actor = requireActor(req);
      await authorize(ctx, actor, 'operations.manage', null);
      const path = await findBackup(config, (req.params as { id: string }).id);
      return verifyBackup(config, backupSecrets(ctx, config), path, { journal: { ctx, actor } });
    },
  );

  app.get(
    '/api/operations/jobs',
    {
      schema: {
        tags,
        summary: 'Tâches de fond : file par type et état, tâches en échec',
        querystring: JobQuery,
        response: { 200: JobList, ...errors },
      },
    },
    async (req) => {
      const list = await listJobs(ctx, requireActor(req), req.query as { status?: string; kind?: string });
      return { ...list, queue: await queueFigures(ctx) };
    },
  );

  app.post(
    '/api/operations/jobs/:id/retry',
    {
      schema: { tags, summary: 'Relancer une tâche en échec', params: IdParam, response: { 200: Job, ...errors } },
    },
    async (req) => retryJob(ctx, requireActor(req), (req.params as { id: string }).id),
  );

  app.post(
    '/api/operations/retention',
    {
      schema: {
        tags,
        summary: 'Passe de conservation des données personnelles (dryRun : ce qui serait effacé)',
        body: RetentionBody,
        response: { 200: RetentionResult, ...errors },
      },
    },
    async (req) => {
      const r = await runRetention(ctx, requireActor(req), config.operations.retention, {
        dryRun: (req.body as { dryRun: boolean }).dryRun,
        mailDir: config.mailDir,
      });
      return { ...r, labels: RETENTION_LABELS };
    },
  );

  // Subject access request: JSON (complete) and PDF (summary in French).
  const exportSchema = (format: string) => ({
    tags: ['agents'],
    summary: `Toutes les données détenues sur un agent (droit d'accès), ${format}`,
    params: IdParam,
    response: {
      200: format === 'JSON' ? Type.Record(Type.String(), Type.Unknown()) : { type: 'string', format: 'binary' },
      ...errors,
    },
  });
  app.get('/api/agents/:id/personal-data', { schema: exportSchema('JSON') }, async (req, reply) => {
    const data = await exportPersonalData(ctx, requireActor(req), (req.params as { id: string }).id);
    return reply
      .header('content-disposition', `attachment; filename="donnees-personnelles-${data.agent['identifier']}.json"`)
      .header('cache-control', 'no-store')
      .send(data);
  });
  app.get('/api/agents/:id/personal-data.pdf', { schema: exportSchema('PDF') }, async (req, reply) => {
    const data = await exportPersonalData(ctx, requireActor(req), (req.params as { id: string }).id);
    return reply
      .type('application/pdf')
      .header('content-disposition', `attachment; filename="donnees-personnelles-${data.agent['identifier']}.pdf"`)
      .header('cache-control', 'no-store')
      .send(Buffer.from(await personalDataPdf(data)));
  });
}
