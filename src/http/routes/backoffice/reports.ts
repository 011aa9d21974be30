import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app/context.ts';
import { centreUnits, createCentre, getCentre, listCentres } from '../../../app/backoffice/centres.ts';
import { listKinds, updateKind } from '../../../app/backoffice/kinds.ts';
import { archiveRegister, listArchiveTransfers, transferArchives } from '../../../app/backoffice/archive.ts';
import {
  ageingCsv,
  ageingPdf,
  ageingReport,
  getAgeingReport,
  listAgeingReports,
  recordAgeingReport,
  recordAnalysis,
} from '../../../app/backoffice/ageing.ts';
import { expenseCsv, expenseStatement } from '../../../app/backoffice/expenses.ts';
import { requireActor } from '../../auth.ts';
import * as S from '../../schemas/backoffice.ts';

// The centre's reference data (centres and their offices, kinds of case files), the archive
// register and its transfers, and the reports: ageing (§2.4, annex III) and the monthly statement of
// the delegating authorities' expenses (§3.1).

const tags = ['centre de traitement'];

export function backofficeReportRoutes(fastify: FastifyInstance, ctx: AppContext): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/api/backoffice/centres',
    {
      schema: {
        tags,
        summary: 'Centres de traitement où vous travaillez ou que vous contrôlez',
        response: S.responses({ 200: S.Centres }),
      },
    },
    async (r) => listCentres(ctx, requireActor(r)),
  );
  app.post(
    '/api/backoffice/centres',
    {
      schema: {
        tags,
        summary: 'Créer un centre de traitement et ses bureaux (administrateur national)',
        body: S.CentreInput,
        response: S.responses({ 201: S.Centre }),
      },
    },
    async (r, reply) => reply.code(201).send(await createCentre(ctx, requireActor(r), r.body)),
  );
  app.get(
    '/api/backoffice/centres/:id',
    {
      schema: {
        tags,
        summary: 'Centre de traitement et ses bureaux',
        params: S.IdParams,
        response: S.responses({ 200: S.Centre }),
      },
    },
    async (r) => getCentre(ctx, requireActor(r), r.params.id),
  );
  app.get(
    '/api/backoffice/centres/:id/units',
    {
      schema: {
        tags,
        summary: 'Formations administrées par le centre (expéditrices, autorités délégataires)',
        params: S.IdParams,
        response: S.responses({ 200: S.CentreUnits }),
      },
    },
    async (r) => centreUnits(ctx, requireActor(r), r.params.id),
  );
  app.get(
    '/api/backoffice/kinds',
    {
      schema: {
        tags,
        summary: 'Types de dossiers : pièces du bordereau, contrôles de forme, bureaux, délai cible',
        response: S.responses({ 200: S.Kinds }),
      },
    },
    async (r) => listKinds(ctx, requireActor(r)),
  );
  app.put(
    '/api/backoffice/kinds/:code',
    {
      schema: {
        tags,
        summary: 'Modifier un type de dossier (administrateur national)',
        params: S.CodeParams,
        body: S.KindDefinition,
        response: S.responses({ 200: S.Kind }),
      },
    },
    async (r) => updateKind(ctx, requireActor(r), r.params.code, r.body),
  );

  // --- Archive ---------------------------------------------------------------------------------
  app.get(
    '/api/backoffice/archive',
    {
      schema: {
        tags,
        summary: 'Registre des archives',
        querystring: S.ArchiveQuery,
        response: S.responses({ 200: S.ArchivePage }),
      },
    },
    async (r) => archiveRegister(ctx, requireActor(r), r.query),
  );
  app.get(
    '/api/backoffice/archive/transfers',
    {
      schema: {
        tags,
        summary: 'Versements d’archives',
        querystring: S.CentreQuery,
        response: S.responses({ 200: S.ArchiveTransfers }),
      },
    },
    async (r) => listArchiveTransfers(ctx, requireActor(r), r.query.centreId),
  );
  app.post(
    '/api/backoffice/archive/transfers',
    {
      schema: {
        tags,
        summary: 'Enregistrer un versement d’archives (bureau de liaison)',
        body: S.ArchiveTransferInput,
        response: S.responses({ 201: S.ArchiveTransfer }),
      },
    },
    async (r, reply) => reply.code(201).send(await transferArchives(ctx, requireActor(r), r.body)),
  );

  // --- Ageing (§2.4, annex III) ----------------------------------------------------------------
  app.get(
    '/api/backoffice/ageing',
    {
      schema: {
        tags,
        summary:
          'Dossiers enregistrés depuis plus de N jours (30 par défaut) et non archivés, par bureau (JSON, CSV ou PDF)',
        querystring: S.AgeingQuery,
        response: S.responses({
          200: {
            description: 'Le rapport (JSON), ou son export CSV « ; » ou PDF',
            content: {
              'application/json': { schema: S.Ageing },
              'text/csv': { schema: { type: 'string', format: 'binary' } },
              'application/pdf': { schema: { type: 'string', format: 'binary' } },
            },
          },
        }),
      },
    },
    async (r, reply) => {
      const report = await ageingReport(ctx, requireActor(r), r.query);
      const name = `dossiers-plus-de-${report.days}-jours-${report.asOf.slice(0, 10)}`;
      if (r.query.format === 'csv')
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${name}.csv"`)
          .send(ageingCsv(report));
      if (r.query.format === 'pdf')
        return reply
          .type('application/pdf')
          .header('content-disposition', `attachment; filename="${name}.pdf"`)
          .send(Buffer.from(await ageingPdf(report)));
      return report;
    },
  );
  app.get(
    '/api/backoffice/ageing/reports',
    {
      schema: {
        tags,
        summary: 'Comptes rendus d’exploitation (mensuels et à la demande)',
        querystring: S.CentreQuery,
        response: S.responses({ 200: S.AgeingRecords }),
      },
    },
    async (r) => listAgeingReports(ctx, requireActor(r), r.query.centreId),
  );
  app.post(
    '/api/backoffice/ageing/reports',
    {
      schema: {
        tags,
        summary: 'Établir la situation du jour pour en faire le compte rendu (chef de centre)',
        body: S.AgeingRecordInput,
        response: S.responses({ 201: S.AgeingRecord }),
      },
    },
    async (r, reply) => reply.code(201).send(await recordAgeingReport(ctx, requireActor(r), r.body)),
  );
  app.get(
    '/api/backoffice/ageing/reports/:id',
    {
      schema: {
        tags,
        summary: 'Compte rendu d’exploitation',
        params: S.IdParams,
        response: S.responses({ 200: S.AgeingRecord }),
      },
    },
    async (r) => getAgeingReport(ctx, requireActor(r), r.params.id),
  );
  app.put(
    '/api/backoffice/ageing/reports/:id/analysis',
    {
      schema: {
        tags,
        summary: 'Analyse et mesures prises par le chef de centre (annexe III)',
        params: S.IdParams,
        body: S.AnalysisInput,
        response: S.responses({ 200: S.AgeingRecord }),
      },
    },
    async (r) => recordAnalysis(ctx, requireActor(r), r.params.id, r.body),
  );

  // --- Expenses (§3.1) -------------------------------------------------------------------------
  app.get(
    '/api/backoffice/expenses',
    {
      schema: {
        tags,
        summary: 'Situation mensuelle des dépenses de chaque autorité délégataire (JSON ou CSV)',
        querystring: S.ExpenseQuery,
        response: S.responses({
          200: {
            description: 'La situation (JSON) ou son export CSV « ; »',
            content: {
              'application/json': { schema: S.ExpenseStatement },
              'text/csv': { schema: { type: 'string', format: 'binary' } },
            },
          },
        }),
      },
    },
    async (r, reply) => {
      const s = await expenseStatement(ctx, requireActor(r), r.query);
      if (r.query.format === 'csv')
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="depenses-${s.month}.csv"`)
          .send(expenseCsv(s));
      return s;
    },
  );
}
