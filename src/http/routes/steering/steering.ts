import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app/context.ts';
import {
  centreDashboard,
  enterMonthlyFigures,
  getMonthlyFigures,
  setThreshold,
} from '../../../app/steering/centre-dashboard.ts';
import { cardDashboard } from '../../../app/steering/card-dashboard.ts';
import { archivedDocument, dashboardCsv, dashboardPdf, listArchive } from '../../../app/steering/report.ts';
import { userTasks } from '../../../app/steering/tasks.ts';
import { requireActor } from '../../auth.ts';
import * as S from '../../schemas/steering.ts';

// Steering (seed 003 annex II): the dashboards, the head of centre's monthly figures and thresholds,
// the « recueil des tableaux de bord », and each user's to-do.

const tags = ['pilotage'];

export function steeringRoutes(fastify: FastifyInstance, ctx: AppContext): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/api/tasks',
    {
      schema: {
        tags,
        summary: 'Ce qui vous attend : cartes à réceptionner et à remettre, demandes, lots, dossiers, clignotants',
        response: S.responses({ 200: S.Tasks }),
      },
    },
    async (r) => userTasks(ctx, requireActor(r)),
  );

  app.get(
    '/api/steering/centres/:id/dashboard',
    {
      schema: {
        tags,
        summary: 'Tableau de bord du centre sur 12 mois glissants (JSON, CSV ou PDF)',
        params: S.IdParams,
        querystring: S.DashboardQuery,
        response: S.responses({
          200: {
            description: 'Le tableau de bord (JSON), ou son export CSV « ; » ou PDF',
            content: {
              'application/json': { schema: S.CentreDashboard },
              'text/csv': { schema: { type: 'string', format: 'binary' } },
              'application/pdf': { schema: { type: 'string', format: 'binary' } },
            },
          },
        }),
      },
    },
    async (r, reply) => {
      const d = await centreDashboard(ctx, requireActor(r), r.params.id, r.query);
      const name = `tableau-de-bord-${d.months[d.months.length - 1]!.month}`;
      if (r.query.format === 'csv')
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${name}.csv"`)
          .send(dashboardCsv(d));
      if (r.query.format === 'pdf')
        return reply
          .type('application/pdf')
          .header('content-disposition', `attachment; filename="${name}.pdf"`)
          .send(Buffer.from(await dashboardPdf(d)));
      return d;
    },
  );

  app.get(
    '/api/steering/centres/:id/figures/:month',
    {
      schema: {
        tags,
        summary: 'Chiffres du mois saisis par le chef de centre (moyens, trop-perçus, rejets du CIC)',
        params: S.CentreMonthParams,
        response: S.responses({ 200: S.MonthlyFigures }),
      },
    },
    async (r) => getMonthlyFigures(ctx, requireActor(r), r.params.id, r.params.month),
  );
  app.put(
    '/api/steering/centres/:id/figures/:month',
    {
      schema: {
        tags,
        summary: 'Saisir les chiffres du mois hors plateforme (chef de centre)',
        params: S.CentreMonthParams,
        body: S.MonthlyFigures,
        response: S.responses({ 200: S.MonthlyFigures }),
      },
    },
    async (r) => enterMonthlyFigures(ctx, requireActor(r), r.params.id, r.params.month, r.body),
  );

  app.put(
    '/api/steering/centres/:id/thresholds/:indicator',
    {
      schema: {
        tags,
        summary: 'Fixer (ou retirer) le seuil d’un clignotant (chef de centre)',
        params: S.ThresholdParams,
        body: S.ThresholdInput,
        response: S.responses({ 200: S.Threshold }),
      },
    },
    async (r) => setThreshold(ctx, requireActor(r), r.params.id, r.params.indicator, r.body.threshold),
  );

  app.get(
    '/api/steering/centres/:id/archive',
    {
      schema: {
        tags,
        summary: 'Recueil des tableaux de bord (un par mois)',
        params: S.IdParams,
        response: S.responses({ 200: S.ArchivedDashboards }),
      },
    },
    async (r) => listArchive(ctx, requireActor(r), r.params.id),
  );
  app.get(
    '/api/steering/archive/:id/:format',
    {
      schema: {
        tags,
        summary: 'Un tableau de bord archivé (CSV ou PDF)',
        params: S.ArchiveParams,
        response: S.responses({ 200: S.binary('Tableau de bord archivé', 'text/csv', 'application/pdf') }),
      },
    },
    async (r, reply) => {
      const doc = await archivedDocument(ctx, requireActor(r), r.params.id, r.params.format);
      return reply
        .type(r.params.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/pdf')
        .header('content-disposition', `attachment; filename="tableau-de-bord-${doc.month}.${r.params.format}"`)
        .send(doc.body);
    },
  );

  app.get(
    '/api/steering/cards',
    {
      schema: {
        tags,
        summary: 'Tableau de bord du programme de cartes (ensemble, ou une organisation et ses rattachées)',
        querystring: S.CardDashboardQuery,
        response: S.responses({ 200: S.CardDashboard }),
      },
    },
    async (r) => cardDashboard(ctx, requireActor(r), r.query),
  );
}
