import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../../app/context.ts';
import {
  getImportRun,
  listImportRuns,
  listImportRejects,
  rejectsCsv,
} from '../../../app/directory/hr-import/import-runs.ts';
import { authorizeImport, importAgents, importRunView } from '../../../app/directory/hr-import/import-agents.ts';
import { requireActor } from '../../auth.ts';
import { spoolUpload, type UploadSettings } from '../../uploads.ts';
import { binary, IdParams, Items, Page, responses } from '../../schemas/common.ts';
import { ImportQuery, ImportReject, ImportRun } from '../../schemas/directory.ts';

export function importRoutes(fastify: FastifyInstance, ctx: AppContext, uploads: UploadSettings): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['import SIRH'];
  app.post(
    '/api/imports',
    {
      // A national feed near CARTES_UPLOAD_MAX_BYTES takes minutes to receive and import: the API's 60 s
      // deadline would answer 503 while the import goes on.
      config: { rateLimit: { max: 30, timeWindow: '1 minute' }, timeoutMs: 60 * 60_000 },
      schema: {
        tags,
        summary: 'Importer un flux SIRH (CSV « ; » ou JSON lines) ; corps = le fichier brut',
        querystring: ImportQuery,
        response: responses({ 201: ImportRun }),
      },
    },
    async (req, reply) => {
      const q = req.query;
      const actor = requireActor(req);
      // Rights first, then the file is received whole (on disk, under the ceiling), then imported.
      await authorizeImport(ctx, actor, q.organizationId);
      const upload = await spoolUpload(req, uploads, uploads.maxBytes, 'le fichier du flux SIRH');
      let run;
      try {
        run = await importAgents(ctx, actor, {
          organizationId: q.organizationId,
          format: q.format ?? 'csv',
          full: q.full ?? false,
          fileName: q.fileName ?? 'flux-sirh',
          input: upload.stream(),
          bytesTotal: upload.bytes,
        });
      } finally {
        await upload.dispose();
      }
      const org = await ctx.store.db
        .selectFrom('organizations')
        .select('name')
        .where('id', '=', run.organization_id)
        .executeTakeFirst();
      return reply.code(201).send(importRunView(run, org?.name ?? ''));
    },
  );

  app.get(
    '/api/imports',
    {
      schema: {
        tags,
        summary: 'Imports récents',
        querystring: Type.Object({ organizationId: Type.Optional(Type.String({ maxLength: 64 })) }),
        response: responses({ 200: Items(ImportRun) }),
      },
    },
    async (req) => listImportRuns(ctx, requireActor(req), req.query.organizationId ?? null),
  );

  app.get(
    '/api/imports/:id',
    {
      schema: {
        tags,
        summary: "État d'un import (progression)",
        params: IdParams,
        response: responses({ 200: ImportRun }),
      },
    },
    async (req) => getImportRun(ctx, requireActor(req), req.params.id),
  );

  app.get(
    '/api/imports/:id/rejects',
    {
      schema: {
        tags,
        summary: 'Lignes rejetées',
        params: IdParams,
        querystring: Type.Object({
          page: Type.Optional(Type.Integer({ minimum: 1 })),
          pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
        }),
        response: responses({ 200: Page(ImportReject) }),
      },
    },
    async (req) =>
      listImportRejects(ctx, requireActor(req), req.params.id, req.query.page ?? 1, req.query.pageSize ?? 50),
  );

  app.get(
    '/api/imports/:id/report.csv',
    {
      schema: {
        tags,
        summary: 'Rapport des rejets (CSV)',
        params: IdParams,
        response: responses({ 200: binary('Rapport CSV (UTF-8, « ; »)', 'text/csv') }),
      },
    },
    async (req, reply) => {
      const csv = await rejectsCsv(ctx, requireActor(req), req.params.id);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="rapport-import.csv"')
        .send(csv);
    },
  );
}
