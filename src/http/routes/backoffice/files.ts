import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../app/context.ts';
import {
  getCaseFile,
  letterDocument,
  listCaseFiles,
  officeQueues,
  pieceDocument,
} from '../../../app/backoffice/files.ts';
import {
  attachDocument,
  checkForm,
  checkPiece,
  correctFile,
  getSlip,
  intakeSlip,
  listSlips,
  MAX_DOCUMENT_BYTES,
  recordContact,
  registerFile,
  registerSlip,
} from '../../../app/backoffice/intake.ts';
import { returnFile } from '../../../app/backoffice/returns.ts';
import { routeByHand, setPriority } from '../../../app/backoffice/routing.ts';
import {
  deferFile,
  importAmounts,
  notifyUnit,
  processFile,
  releaseFile,
  resumeFile,
  selfCheck,
  takeFile,
  transferFiles,
} from '../../../app/backoffice/processing.ts';
import { archiveFile } from '../../../app/backoffice/archive.ts';
import { authHook, requireActor } from '../../auth.ts';
import * as S from '../../schemas/backoffice.ts';

// Case files of a processing centre (seed 003): the liaison office's intake desk, the processing
// offices' queues and work, archiving. Thin: every rule lives in src/app/backoffice.

const tags = ['bureau de liaison et bureaux de traitement'];

/** Uploads are refused before their body is read when nobody is signed in. */
function authenticateFirst(ctx: AppContext) {
  const hook = authHook(ctx);
  return async (req: FastifyRequest, reply: FastifyReply) => {
    await hook(req, reply);
    requireActor(req);
  };
}

function attachment(reply: FastifyReply, type: string, fileName: string, bytes: Buffer | string) {
  const safe = fileName.replace(/[^\w.-]+/g, '_').slice(0, 120);
  return reply
    .type(type)
    .header('content-disposition', `attachment; filename="${safe}"`)
    .header('cache-control', 'private, no-store')
    .send(bytes);
}

export function backofficeFileRoutes(fastify: FastifyInstance, ctx: AppContext): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const FileAnswer = S.responses({ 200: S.CaseFileAnswer });

  // --- Reading ---------------------------------------------------------------------------------
  app.get(
    '/api/backoffice/files',
    {
      schema: {
        tags,
        summary: 'Dossiers : recherche, file d’un bureau (filtres : type, ancienneté, priorité, situation)',
        querystring: S.FileQuery,
        response: S.responses({ 200: S.FilePage }),
      },
    },
    async (r) => listCaseFiles(ctx, requireActor(r), r.query),
  );
  app.get(
    '/api/backoffice/files/:id',
    {
      schema: {
        tags,
        summary: 'Dossier : situation, pièces, contrôles, historique',
        params: S.IdParams,
        response: FileAnswer,
      },
    },
    async (r) => getCaseFile(ctx, requireActor(r), r.params.id),
  );
  app.get(
    '/api/backoffice/files/:id/pieces/:pieceId/document',
    {
      schema: {
        tags,
        summary: 'Document d’une pièce (réservé à qui a besoin d’en connaître ; chaque consultation est journalisée)',
        params: S.FilePieceParams,
        response: S.responses({ 200: S.binary('La pièce numérisée', 'application/pdf', 'image/jpeg', 'image/png') }),
      },
    },
    async (r, reply) => {
      const d = await pieceDocument(ctx, requireActor(r), r.params.id, r.params.pieceId);
      return attachment(reply, d.contentType, d.fileName, d.bytes);
    },
  );
  app.get(
    '/api/backoffice/files/:id/letters/:letterId',
    {
      schema: {
        tags,
        summary: 'Courrier de renvoi du dossier à la formation (PDF)',
        params: S.FileLetterParams,
        response: S.responses({ 200: S.binary('Courrier de renvoi', 'application/pdf') }),
      },
    },
    async (r, reply) => {
      const d = await letterDocument(ctx, requireActor(r), r.params.id, r.params.letterId);
      return attachment(reply, 'application/pdf', d.fileName, d.bytes);
    },
  );
  app.get(
    '/api/backoffice/centres/:id/queues',
    {
      schema: {
        tags,
        summary: 'Bureaux du centre et nombre de dossiers dans leur file',
        params: S.IdParams,
        response: S.responses({ 200: S.OfficeQueues }),
      },
    },
    async (r) => officeQueues(ctx, requireActor(r), r.params.id),
  );

  // --- Intake desk -----------------------------------------------------------------------------
  app.post(
    '/api/backoffice/slips',
    {
      schema: {
        tags,
        summary: 'Enregistrer un bordereau d’envoi et les dossiers qu’il liste (bureau de liaison)',
        body: S.SlipInput,
        response: S.responses({ 201: S.SlipCreated }),
      },
    },
    async (r, reply) => reply.code(201).send(await registerSlip(ctx, requireActor(r), r.body)),
  );
  app.get(
    '/api/backoffice/slips',
    {
      schema: {
        tags,
        summary: 'Bordereaux reçus par le centre',
        querystring: S.CentrePageQuery,
        response: S.responses({ 200: S.SlipPage }),
      },
    },
    async (r) => listSlips(ctx, requireActor(r), r.query),
  );
  app.get(
    '/api/backoffice/slips/:id',
    {
      schema: {
        tags,
        summary: 'Bordereau et ses dossiers',
        params: S.IdParams,
        response: S.responses({ 200: S.Slip }),
      },
    },
    async (r) => getSlip(ctx, requireActor(r), r.params.id),
  );
  app.post(
    '/api/backoffice/slips/:id/intake',
    {
      schema: {
        tags,
        summary:
          'Contrôle d’arrivée de plusieurs dossiers du bordereau en une fois, et enregistrement des dossiers complets',
        params: S.IdParams,
        body: S.SlipIntake,
        response: S.responses({ 200: S.SlipIntakeResult }),
      },
    },
    async (r) => intakeSlip(ctx, requireActor(r), r.params.id, r.body),
  );
  app.post(
    '/api/backoffice/files/:id/pieces/:code',
    {
      schema: {
        tags,
        summary: 'Présence d’une pièce mentionnée sur le bordereau (présente ou manquante)',
        params: S.FileCodeParams,
        body: S.PieceCheck,
        response: FileAnswer,
      },
    },
    async (r) => checkPiece(ctx, requireActor(r), r.params.id, r.params.code, r.body),
  );
  app.post(
    '/api/backoffice/files/:id/checks/:code',
    {
      schema: {
        tags,
        summary: 'Contrôle de forme (signatures, imputation, ayant droit, visa…) : conforme, ou non avec le motif',
        params: S.FileCodeParams,
        body: S.FormCheck,
        response: FileAnswer,
      },
    },
    async (r) => checkForm(ctx, requireActor(r), r.params.id, r.params.code, r.body),
  );
  app.post(
    '/api/backoffice/files/:id/contacts',
    {
      schema: {
        tags,
        summary: 'Contact avec la formation (téléphone, télécopie, courriel) au lieu d’un renvoi',
        params: S.IdParams,
        body: S.Contact,
        response: FileAnswer,
      },
    },
    async (r) => recordContact(ctx, requireActor(r), r.params.id, r.body),
  );
  app.post(
    '/api/backoffice/files/:id/corrections',
    {
      schema: {
        tags,
        summary: 'Correction d’office d’une erreur matérielle manifeste',
        params: S.IdParams,
        body: S.Correction,
        response: FileAnswer,
      },
    },
    async (r) => correctFile(ctx, requireActor(r), r.params.id, r.body),
  );
  void app.register(async (scope) => {
    for (const type of ['application/pdf', 'image/png'])
      scope.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: MAX_DOCUMENT_BYTES }, (_q, b, done) =>
        done(null, b),
      );
    scope.withTypeProvider<TypeBoxTypeProvider>().put(
      '/api/backoffice/files/:id/pieces/:code/document',
      {
        bodyLimit: MAX_DOCUMENT_BYTES,
        onRequest: authenticateFirst(ctx),
        schema: {
          tags,
          summary: 'Joindre la pièce numérisée (PDF, JPEG ou PNG, 5 Mo au plus ; corps brut)',
          params: S.FileCodeParams,
          querystring: S.DocumentQuery,
          response: FileAnswer,
        },
      },
      async (r) =>
        attachDocument(ctx, requireActor(r), r.params.id, r.params.code, {
          fileName: r.query.fileName ?? r.params.code,
          contentType: String(r.headers['content-type'] ?? ''),
          bytes: Buffer.isBuffer(r.body) ? r.body : Buffer.alloc(0),
        }),
    );
  });
  app.post(
    '/api/backoffice/files/:id/register',
    {
      schema: {
        tags,
        summary: 'Enregistrer le dossier complet et conforme, puis le répartir',
        params: S.IdParams,
        response: FileAnswer,
      },
    },
    async (r) => registerFile(ctx, requireActor(r), r.params.id),
  );
  app.post(
    '/api/backoffice/files/:id/return',
    {
      schema: {
        tags,
        summary: 'Renvoyer le dossier inexploitable à la formation, avec le courrier des motifs (PDF)',
        params: S.IdParams,
        body: S.ReturnInput,
        response: FileAnswer,
      },
    },
    async (r) => returnFile(ctx, requireActor(r), r.params.id, r.body),
  );
  app.post(
    '/api/backoffice/files/:id/route',
    {
      schema: {
        tags,
        summary: 'Répartir le dossier vers un bureau de traitement (à la main)',
        params: S.IdParams,
        body: S.RouteInput,
        response: FileAnswer,
      },
    },
    async (r) => routeByHand(ctx, requireActor(r), r.params.id, r.body),
  );
  app.post(
    '/api/backoffice/files/:id/priority',
    {
      schema: {
        tags,
        summary: 'Priorité relative ou absolue (chef de centre)',
        params: S.IdParams,
        body: S.PriorityInput,
        response: FileAnswer,
      },
    },
    async (r) => setPriority(ctx, requireActor(r), r.params.id, r.body),
  );
  app.post(
    '/api/backoffice/files/:id/archive',
    {
      schema: {
        tags,
        summary: 'Archiver le dossier traité (registre des archives)',
        params: S.IdParams,
        body: S.ArchiveInput,
        response: FileAnswer,
      },
    },
    async (r) => archiveFile(ctx, requireActor(r), r.params.id, r.body),
  );
  app.post(
    '/api/backoffice/files/:id/notify-unit',
    {
      schema: {
        tags,
        summary: 'La formation a été avertie du traitement différé (bureau de liaison)',
        params: S.IdParams,
        body: S.NotifyUnitInput,
        response: FileAnswer,
      },
    },
    async (r) => notifyUnit(ctx, requireActor(r), r.params.id, r.body),
  );

  // --- Processing offices ----------------------------------------------------------------------
  app.post(
    '/api/backoffice/files/:id/take',
    { schema: { tags, summary: 'Prendre en charge le dossier', params: S.IdParams, response: FileAnswer } },
    async (r) => takeFile(ctx, requireActor(r), r.params.id),
  );
  app.post(
    '/api/backoffice/files/:id/release',
    {
      schema: { tags, summary: 'Remettre le dossier dans la file du bureau', params: S.IdParams, response: FileAnswer },
    },
    async (r) => releaseFile(ctx, requireActor(r), r.params.id),
  );
  app.post(
    '/api/backoffice/files/:id/defer',
    {
      schema: {
        tags,
        summary: 'Signaler que le traitement est différé (le bureau de liaison est averti)',
        params: S.IdParams,
        body: S.DeferInput,
        response: FileAnswer,
      },
    },
    async (r) => deferFile(ctx, requireActor(r), r.params.id, r.body),
  );
  app.post(
    '/api/backoffice/files/:id/resume',
    { schema: { tags, summary: 'Reprendre le traitement différé', params: S.IdParams, response: FileAnswer } },
    async (r) => resumeFile(ctx, requireActor(r), r.params.id),
  );
  app.post(
    '/api/backoffice/files/:id/process',
    {
      schema: {
        tags,
        summary: 'Enregistrer le résultat : montant du décompte et référence du mouvement (application de liquidation)',
        params: S.IdParams,
        body: S.OutcomeInput,
        response: FileAnswer,
      },
    },
    async (r) => processFile(ctx, requireActor(r), r.params.id, r.body),
  );
  app.post(
    '/api/backoffice/files/:id/self-check',
    {
      schema: {
        tags,
        summary: 'Auto-contrôle du chef de bureau avant transfert (jamais sur son propre travail)',
        params: S.IdParams,
        body: S.SelfCheckInput,
        response: FileAnswer,
      },
    },
    async (r) => selfCheck(ctx, requireActor(r), r.params.id, r.body),
  );
  void app.register(async (scope) => {
    // The server reads text/csv as a stream elsewhere (HR feeds); an amounts file is small: a string.
    scope.removeContentTypeParser('text/csv');
    scope.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 2 * 1024 * 1024 }, (_q, b, done) =>
      done(null, b),
    );
    scope.withTypeProvider<TypeBoxTypeProvider>().post(
      '/api/backoffice/offices/:id/amounts',
      {
        bodyLimit: 2 * 1024 * 1024,
        onRequest: authenticateFirst(ctx),
        schema: {
          tags,
          summary: 'Importer les montants des décomptes (CSV « ; » : numero_dossier;montant;reference_decompte)',
          params: S.IdParams,
          response: S.responses({ 200: S.AmountImportResult }),
        },
      },
      async (r) => importAmounts(ctx, requireActor(r), r.params.id, typeof r.body === 'string' ? r.body : ''),
    );
  });
  app.post(
    '/api/backoffice/offices/:id/transfer',
    {
      schema: {
        tags,
        summary: 'Transférer au centre payeur les dossiers auto-contrôlés',
        params: S.IdParams,
        body: S.TransferInput,
        response: S.responses({ 200: S.TransferResult }),
      },
    },
    async (r) => transferFiles(ctx, requireActor(r), r.params.id, r.body),
  );
}
