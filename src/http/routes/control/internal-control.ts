import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppContext } from '../../../app/context.ts';
import {
  addFileByHand,
  drawControlSample,
  getControlPlan,
  listControlPlans,
  setControlPlan,
} from '../../../app/control/plans.ts';
import { getControl, recordControl } from '../../../app/control/controls.ts';
import { getSheet, listSheets, openSheet, sheetPdf, sheetStep } from '../../../app/control/sheets.ts';
import { establishSynthesis, getSynthesis, listSyntheses, synthesisDocument } from '../../../app/control/syntheses.ts';
import { transmissionDocument, transmitToVerifier } from '../../../app/control/transmissions.ts';
import { requireActor } from '../../auth.ts';
import * as S from '../../schemas/internal-control.ts';

// Internal control of a processing centre by its « organisation et méthodes » office (seed 003 §4):
// plans and samples, control of files, control sheets and their visas, monthly syntheses,
// transmissions to a unit's verifying service. Thin: every rule lives in src/app/control.

const tags = ['contrôle interne'];

function pdf(reply: FastifyReply, fileName: string, bytes: Buffer) {
  return reply
    .type('application/pdf')
    .header('content-disposition', `attachment; filename="${fileName.replace(/[^\w.-]+/g, '_').slice(0, 120)}"`)
    .header('cache-control', 'private, no-store')
    .send(bytes);
}

export function internalControlRoutes(fastify: FastifyInstance, ctx: AppContext): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/api/control/centres/:centreId/plans',
    {
      schema: {
        tags,
        summary: 'Plans de contrôle du centre (mensuels et déontologiques)',
        params: S.CentreParams,
        response: S.responses({ 200: S.PlanList }),
      },
    },
    async (r) => listControlPlans(ctx, requireActor(r), r.params.centreId),
  );
  app.put(
    '/api/control/plans',
    {
      schema: {
        tags,
        summary:
          'Plan de contrôle du mois, fixé par le chef de centre (objectif par type et bureau, facteurs de pondération)',
        body: S.PlanInput,
        response: S.responses({ 200: S.PlanAnswer }),
      },
    },
    async (r) => setControlPlan(ctx, requireActor(r), r.body),
  );
  app.get(
    '/api/control/plans/:id',
    {
      schema: {
        tags,
        summary: 'Plan de contrôle : lignes, graine du tirage, échantillon',
        params: S.IdParams,
        response: S.responses({ 200: S.PlanAnswer }),
      },
    },
    async (r) => getControlPlan(ctx, requireActor(r), r.params.id),
  );
  app.post(
    '/api/control/plans/:id/draw',
    {
      schema: {
        tags,
        summary: 'Tirage de l’échantillon a posteriori parmi les dossiers traités (reproductible par la graine)',
        params: S.IdParams,
        response: S.responses({ 200: S.PlanAnswer }),
      },
    },
    async (r) => drawControlSample(ctx, requireActor(r), r.params.id),
  );
  app.post(
    '/api/control/plans/:id/files',
    {
      schema: {
        tags,
        summary: 'Ajout d’un dossier traité à la main par le contrôleur',
        params: S.IdParams,
        body: S.AddFileInput,
        response: S.responses({ 200: S.PlanAnswer }),
      },
    },
    async (r) => addFileByHand(ctx, requireActor(r), r.params.id, r.body),
  );

  app.get(
    '/api/control/controls/:id',
    {
      schema: {
        tags,
        summary: 'Contrôle d’un dossier : les trois objets et leur verdict',
        params: S.IdParams,
        response: S.responses({ 200: S.Control }),
      },
    },
    async (r) => getControl(ctx, requireActor(r), r.params.id),
  );
  app.post(
    '/api/control/controls/:id',
    {
      schema: {
        tags,
        summary: 'Enregistre le contrôle (un verdict par objet) et porte la marque du contrôle sur le dossier',
        params: S.IdParams,
        body: S.ControlInput,
        response: S.responses({ 200: S.Control }),
      },
    },
    async (r) => recordControl(ctx, requireActor(r), r.params.id, r.body),
  );
  app.post(
    '/api/control/controls/:id/sheets',
    {
      schema: {
        tags,
        summary: 'Ouvre une fiche de contrôle sur une anomalie',
        params: S.IdParams,
        body: S.SheetInput,
        response: S.responses({ 201: S.SheetAnswer }),
      },
    },
    async (r, reply) => reply.code(201).send(await openSheet(ctx, requireActor(r), r.params.id, r.body)),
  );
  app.post(
    '/api/control/controls/:id/transmissions',
    {
      schema: {
        tags,
        summary: 'Transmet une copie du dossier (payé, régulier en la forme, douteux au fond) au service vérificateur',
        params: S.IdParams,
        body: S.TransmissionInput,
        response: S.responses({ 201: S.Transmission }),
      },
    },
    async (r, reply) => reply.code(201).send(await transmitToVerifier(ctx, requireActor(r), r.params.id, r.body)),
  );
  app.get(
    '/api/control/transmissions/:id/letter',
    {
      schema: {
        tags,
        summary: 'Lettre de transmission au service vérificateur (PDF)',
        params: S.IdParams,
        response: S.responses({ 200: S.binary('Lettre de transmission', 'application/pdf') }),
      },
    },
    async (r, reply) => {
      const d = await transmissionDocument(ctx, requireActor(r), r.params.id);
      return pdf(reply, d.fileName, d.bytes);
    },
  );

  app.get(
    '/api/control/centres/:centreId/sheets',
    {
      schema: {
        tags,
        summary: 'Fiches de contrôle du centre ; « mine » : celles qui attendent votre visa',
        params: S.CentreParams,
        querystring: S.SheetQuery,
        response: S.responses({ 200: S.SheetList }),
      },
    },
    async (r) => listSheets(ctx, requireActor(r), { centreId: r.params.centreId, ...r.query }),
  );
  app.get(
    '/api/control/sheets/:id',
    {
      schema: { tags, summary: 'Fiche de contrôle', params: S.IdParams, response: S.responses({ 200: S.SheetAnswer }) },
    },
    async (r) => getSheet(ctx, requireActor(r), r.params.id),
  );
  app.post(
    '/api/control/sheets/:id/:step',
    {
      schema: {
        tags,
        summary:
          'Étape de la fiche, dans l’ordre : visa du chef du BOM, suite donnée par le chef de bureau, visa du chef de centre, archivage',
        params: S.SheetStepParams,
        body: S.SheetStepInput,
        response: S.responses({ 200: S.SheetAnswer }),
      },
    },
    async (r) => sheetStep(ctx, requireActor(r), r.params.id, r.params.step, r.body),
  );
  app.get(
    '/api/control/sheets/:id/pdf',
    {
      schema: {
        tags,
        summary: 'Fiche de contrôle (PDF)',
        params: S.IdParams,
        response: S.responses({ 200: S.binary('Fiche de contrôle', 'application/pdf') }),
      },
    },
    async (r, reply) => {
      const d = await sheetPdf(ctx, requireActor(r), r.params.id);
      return pdf(reply, d.fileName, d.bytes);
    },
  );

  app.get(
    '/api/control/centres/:centreId/syntheses',
    {
      schema: {
        tags,
        summary: 'Recueil des synthèses mensuelles de contrôle',
        params: S.CentreParams,
        response: S.responses({ 200: S.SynthesisList }),
      },
    },
    async (r) => listSyntheses(ctx, requireActor(r), r.params.centreId),
  );
  app.post(
    '/api/control/centres/:centreId/syntheses',
    {
      schema: {
        tags,
        summary:
          'Établit la synthèse mensuelle des fiches (anomalies récurrentes : proposition de contrôle approfondi)',
        params: S.CentreParams,
        body: S.SynthesisInput,
        response: S.responses({ 201: S.SynthesisAnswer }),
      },
    },
    async (r, reply) =>
      reply.code(201).send(await establishSynthesis(ctx, requireActor(r), { centreId: r.params.centreId, ...r.body })),
  );
  app.get(
    '/api/control/syntheses/:id',
    {
      schema: {
        tags,
        summary: 'Synthèse mensuelle',
        params: S.IdParams,
        response: S.responses({ 200: S.SynthesisAnswer }),
      },
    },
    async (r) => getSynthesis(ctx, requireActor(r), r.params.id),
  );
  app.get(
    '/api/control/syntheses/:id/pdf',
    {
      schema: {
        tags,
        summary: 'Synthèse mensuelle (PDF)',
        params: S.IdParams,
        response: S.responses({ 200: S.binary('Synthèse mensuelle', 'application/pdf') }),
      },
    },
    async (r, reply) => {
      const d = await synthesisDocument(ctx, requireActor(r), r.params.id);
      return pdf(reply, d.fileName, d.bytes);
    },
  );
}
