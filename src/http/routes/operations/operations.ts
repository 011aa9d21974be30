// The operations API: journal of backups and restores (checked by the head of centre), backups,
// background jobs, scheduled passes, retention, and the subject access export.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
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
  PersonalDataExport,
  OperationsStatus,
  RetentionBody,
  RetentionResult,
  VerifyReport,
} from '../../schemas/operations.ts';
import { binary, responses } from '../../schemas/common.ts';
import { readinessBody, versionInfo } from './health.ts';

export function operationsRoutes(fastify: FastifyInstance, ctx: AppContext, config: Config, kek: Buffer): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['exploitation'];

  app.get(
    '/api/operations/status',
    {
      schema: {
        tags,
        summary: "État de l'instance : disponibilité, version, dernières passes planifiées",
        response: responses({ 200: OperationsStatus }),
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
        response: responses({ 200: JournalList }),
      },
    },
    async (req) => listJournal(ctx, requireActor(req), req.query),
  );

  app.post(
    '/api/operations/journal/:id/check',
    {
      schema: {
        tags,
        summary: 'Contrôle du chef de centre : régularité, réalité et conditions de stockage (annexe V §3)',
        params: IdParam,
        body: CheckBody,
        response: responses({ 200: CheckResult }),
      },
    },
    async (req) => checkJournalEntry(ctx, requireActor(req), req.params.id, req.body.note),
  );

  app.get(
    '/api/operations/backups',
    {
      schema: {
        tags,
        summary: 'Sauvegardes présentes dans le dossier des sauvegardes',
        response: responses({ 200: BackupList }),
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
    { schema: { tags, summary: 'Faire une sauvegarde maintenant', response: responses({ 201: BackupCreated }) } },
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
        response: responses({ 200: VerifyReport }),
      },
    },
    async (req) => {
      const actor = requireActor(req);
      await authorize(ctx, actor, 'operations.manage', null);
      const path = await findBackup(config, req.params.id);
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
        response: responses({ 200: JobList }),
      },
    },
    async (req) => {
      const list = await listJobs(ctx, requireActor(req), req.query);
      return { ...list, queue: await queueFigures(ctx) };
    },
  );

  app.post(
    '/api/operations/jobs/:id/retry',
    {
      schema: { tags, summary: 'Relancer une tâche en échec', params: IdParam, response: responses({ 200: Job }) },
    },
    async (req) => retryJob(ctx, requireActor(req), req.params.id),
  );

  app.post(
    '/api/operations/retention',
    {
      schema: {
        tags,
        summary: 'Passe de conservation des données personnelles (dryRun : ce qui serait effacé)',
        body: RetentionBody,
        response: responses({ 200: RetentionResult }),
      },
    },
    async (req) => {
      const r = await runRetention(ctx, requireActor(req), config.operations.retention, {
        dryRun: req.body.dryRun,
        mailDir: config.mailDir,
      });
      return { ...r, counts: { ...r.counts }, labels: { ...RETENTION_LABELS } };
    },
  );

  // Subject access request: JSON (complete) and PDF (summary in French).
  const exportSummary = "Toutes les données détenues sur un agent (droit d'accès)";
  const json = { tags: ['agents'], summary: `${exportSummary}, JSON`, params: IdParam };
  app.get(
    '/api/agents/:id/personal-data',
    { schema: { ...json, response: responses({ 200: PersonalDataExport }) } },
    async (req, reply) => {
      const data = await exportPersonalData(ctx, requireActor(req), req.params.id);
      return reply
        .header('content-disposition', `attachment; filename="donnees-personnelles-${data.agent['identifier']}.json"`)
        .header('cache-control', 'no-store')
        .send({ ...data });
    },
  );
  const pdf = { tags: ['agents'], summary: `${exportSummary}, PDF`, params: IdParam };
  const pdfAnswer = responses({ 200: binary('Relevé des données personnelles (PDF)', 'application/pdf') });
  app.get('/api/agents/:id/personal-data.pdf', { schema: { ...pdf, response: pdfAnswer } }, async (req, reply) => {
    const data = await exportPersonalData(ctx, requireActor(req), req.params.id);
    return reply
      .type('application/pdf')
      .header('content-disposition', `attachment; filename="donnees-personnelles-${data.agent['identifier']}.pdf"`)
      .header('cache-control', 'no-store')
      .send(Buffer.from(await personalDataPdf(data)));
  });
}
