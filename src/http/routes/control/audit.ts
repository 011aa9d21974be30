import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app/context.ts';
import { getMail, listAudit, listMails, verifyAudit, type AuditQuery } from '../../../app/control/audit-view.ts';
import { AppError } from '../../../app/errors.ts';
import { homeCounts } from '../../../app/control/home-counts.ts';
import { requireActor } from '../../auth.ts';

export function auditRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get(
    '/api/audit',
    {
      schema: {
        tags: ['audit'],
        summary: "Journal d'audit",
        querystring: Type.Object({
          page: Type.Optional(Type.Integer({ minimum: 1 })),
          pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
          action: Type.Optional(Type.String({ maxLength: 64 })),
          outcome: Type.Optional(Type.Union([Type.Literal('ok'), Type.Literal('refused')])),
          targetId: Type.Optional(Type.String({ maxLength: 64 })),
          after: Type.Optional(Type.String({ maxLength: 400 })),
        }),
      },
    },
    async (req) => listAudit(ctx, requireActor(req), req.query as AuditQuery),
  );

  app.get(
    '/api/counts',
    {
      schema: {
        tags: ['audit'],
        summary: "Compteurs de la page d'accueil (organisations, agents, journal, courriels visibles)",
      },
    },
    async (req) => homeCounts(ctx, requireActor(req)),
  );

  app.post(
    '/api/audit/verify',
    { schema: { tags: ['audit'], summary: "Vérifier l'intégrité du journal (chaîne d'empreintes)" } },
    async (req) => verifyAudit(ctx, requireActor(req)),
  );

  app.get('/api/mails', { schema: { tags: ['courriels'], summary: 'Courriels émis' } }, async (req) =>
    listMails(ctx, requireActor(req)),
  );
  app.get(
    '/api/mails/:id',
    {
      schema: {
        tags: ['courriels'],
        summary: 'Un courriel',
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
      },
    },
    async (req) => {
      const m = await getMail(ctx, requireActor(req), (req.params as { id: string }).id);
      if (!m) throw new AppError('not_found', 'Courriel introuvable.');
      return m;
    },
  );
}
