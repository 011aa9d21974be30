import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../../app/context.ts';
import { listCardModels } from '../../../app/requests/card-models.ts';
import {
  cancelCardRequest,
  cardPrerequisites,
  createCardRequest,
  getCardRequest,
  listCardRequests,
  recheckCardRequest,
  signCardRequest,
  updateCardRequest,
} from '../../../app/requests/card-requests.ts';
import { createBatch, getBatch, listBatches, validateBatch } from '../../../app/requests/batches.ts';
import { billingCsv, listBilling } from '../../../app/requests/billing.ts';
import { requireActor } from '../../auth.ts';
import { binary, IdParams, Items, KeysetPage, Page, responses } from '../../schemas/common.ts';
import { Signed } from '../../schemas/access.ts';
import {
  Batch,
  BatchDetail,
  BatchInput,
  BatchSearch,
  BillingLedger,
  BillingQuery,
  CardModel,
  CardRequest,
  CardRequestCancel,
  CardRequestDetail,
  CardRequestInput,
  CardRequestPatch,
  CardRequestSearch,
  PrerequisitesQuery,
  PrerequisitesResult,
} from '../../schemas/requests.ts';

// Card models, card requests, batches of requests and the billing ledger (docs/cards.md §4).

export function cardRequestRoutes(fastify: FastifyInstance, ctx: AppContext): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/card-models',
    { schema: { tags: ['cartes'], summary: 'Modèles de carte', response: responses({ 200: Items(CardModel) }) } },
    async (req) => listCardModels(ctx, requireActor(req)),
  );

  const tags = ['demandes'];
  app.get(
    '/api/agents/:id/card-prerequisites',
    {
      schema: {
        tags,
        summary: "Prérequis d'une commande de carte pour un agent",
        params: IdParams,
        querystring: PrerequisitesQuery,
        response: responses({ 200: PrerequisitesResult }),
      },
    },
    async (req) => cardPrerequisites(ctx, requireActor(req), req.params.id, req.query),
  );

  app.post(
    '/api/card-requests',
    {
      schema: {
        tags,
        summary: 'Faire une demande de carte agent',
        body: CardRequestInput,
        response: responses({ 201: CardRequestDetail }),
      },
    },
    async (req, reply) => reply.code(201).send(await createCardRequest(ctx, requireActor(req), req.body)),
  );

  app.get(
    '/api/card-requests',
    {
      schema: {
        tags,
        summary: 'Suivi des demandes',
        querystring: CardRequestSearch,
        response: responses({ 200: KeysetPage(CardRequest) }),
      },
    },
    async (req) => listCardRequests(ctx, requireActor(req), req.query),
  );

  app.get(
    '/api/card-requests/:id',
    {
      schema: {
        tags,
        summary: "Détail d'une demande et de ses prérequis",
        params: IdParams,
        response: responses({ 200: CardRequestDetail }),
      },
    },
    async (req) => getCardRequest(ctx, requireActor(req), req.params.id),
  );

  app.patch(
    '/api/card-requests/:id',
    {
      schema: {
        tags,
        summary: 'Modifier une demande (brouillon ou complète)',
        params: IdParams,
        body: CardRequestPatch,
        response: responses({ 200: CardRequestDetail }),
      },
    },
    async (req) => updateCardRequest(ctx, requireActor(req), req.params.id, req.body),
  );

  app.post(
    '/api/card-requests/:id/recheck',
    {
      schema: {
        tags,
        summary: 'Vérifier de nouveau les prérequis',
        params: IdParams,
        response: responses({ 200: CardRequestDetail }),
      },
    },
    async (req) => recheckCardRequest(ctx, requireActor(req), req.params.id),
  );

  app.post(
    '/api/card-requests/:id/sign',
    {
      schema: {
        tags,
        summary: 'Signer une demande',
        params: IdParams,
        body: Signed,
        response: responses({ 200: CardRequestDetail }),
      },
    },
    async (req) => signCardRequest(ctx, requireActor(req), req.params.id, req.body.signature),
  );

  app.post(
    '/api/card-requests/:id/cancel',
    {
      schema: {
        tags,
        summary: 'Annuler une demande',
        params: IdParams,
        body: CardRequestCancel,
        response: responses({ 200: CardRequestDetail }),
      },
    },
    async (req) => cancelCardRequest(ctx, requireActor(req), req.params.id, req.body.reason, req.body.signature),
  );

  const batchTags = ['lots'];
  app.post(
    '/api/batches',
    {
      schema: {
        tags: batchTags,
        summary: "Saisie d'un lot de demandes",
        body: BatchInput,
        response: responses({ 201: BatchDetail }),
      },
    },
    async (req, reply) => reply.code(201).send(await createBatch(ctx, requireActor(req), req.body)),
  );

  app.get(
    '/api/batches',
    {
      schema: {
        tags: batchTags,
        summary: 'Suivi des lots de demandes',
        querystring: BatchSearch,
        response: responses({ 200: Page(Batch) }),
      },
    },
    async (req) => listBatches(ctx, requireActor(req), req.query),
  );

  app.get(
    '/api/batches/:id',
    {
      schema: {
        tags: batchTags,
        summary: "Détail d'un lot et de ses demandes",
        params: IdParams,
        response: responses({ 200: BatchDetail }),
      },
    },
    async (req) => getBatch(ctx, requireActor(req), req.params.id),
  );

  app.post(
    '/api/batches/:id/validate',
    {
      schema: {
        tags: batchTags,
        summary: "Valider un lot (autorité d'enregistrement)",
        params: IdParams,
        body: Signed,
        response: responses({ 200: BatchDetail }),
      },
    },
    async (req) => validateBatch(ctx, requireActor(req), req.params.id, req.body.signature),
  );

  app.get(
    '/api/billing',
    {
      schema: {
        tags: ['facturation'],
        summary: 'Relevé des cartes facturées',
        querystring: BillingQuery,
        response: responses({ 200: BillingLedger }),
      },
    },
    async (req) => listBilling(ctx, requireActor(req), req.query),
  );

  app.get(
    '/api/billing.csv',
    {
      schema: {
        tags: ['facturation'],
        summary: 'Relevé des cartes facturées (CSV)',
        querystring: BillingQuery,
        response: responses({ 200: binary('Relevé CSV (UTF-8 avec BOM, « ; »)', 'text/csv') }),
      },
    },
    async (req, reply) => {
      const csv = await billingCsv(ctx, requireActor(req), req.query);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="facturation-cartes.csv"')
        .header('cache-control', 'private, no-store')
        .send(csv);
    },
  );
}
