import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../../app/context.ts';
import { getMail, listAudit, listMails, verifyAudit } from '../../../app/control/audit-view.ts';
import { AppError } from '../../../app/errors.ts';
import { homeCounts } from '../../../app/control/home-counts.ts';
import { requireActor } from '../../auth.ts';
import { IdParams, Items, KeysetPage, responses } from '../../schemas/common.ts';
import { AuditQuery, AuditRecord, AuditVerification, HomeCounts, Mail, MailSummary } from '../../schemas/control.ts';

export function auditRoutes(fastify: FastifyInstance, ctx: AppContext): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/audit',
    {
      schema: {
        tags: ['audit'],
        summary: "Journal d'audit",
        querystring: AuditQuery,
        response: responses({ 200: KeysetPage(AuditRecord) }),
      },
    },
    async (req) => listAudit(ctx, requireActor(req), req.query),
  );

  app.get(
    '/api/counts',
    {
      schema: {
        tags: ['audit'],
        summary: "Compteurs de la page d'accueil (organisations, agents, journal, courriels visibles)",
        response: responses({ 200: HomeCounts }),
      },
    },
    async (req) => homeCounts(ctx, requireActor(req)),
  );

  app.post(
    '/api/audit/verify',
    {
      schema: {
        tags: ['audit'],
        summary: "Vérifier l'intégrité du journal (chaîne d'empreintes)",
        response: responses({ 200: AuditVerification }),
      },
    },
    async (req) => verifyAudit(ctx, requireActor(req)),
  );

  app.get(
    '/api/mails',
    { schema: { tags: ['courriels'], summary: 'Courriels émis', response: responses({ 200: Items(MailSummary) }) } },
    async (req) => listMails(ctx, requireActor(req)),
  );
  app.get(
    '/api/mails/:id',
    { schema: { tags: ['courriels'], summary: 'Un courriel', params: IdParams, response: responses({ 200: Mail }) } },
    async (req) => {
      const m = await getMail(ctx, requireActor(req), req.params.id);
      if (!m) throw new AppError('not_found', 'Courriel introuvable.');
      return m;
    },
  );
}
