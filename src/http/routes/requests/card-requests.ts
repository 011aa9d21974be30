import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app/context.ts';
import type { ActionSignature } from '../../../app/access/action-signatures.ts';
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
  type CardRequestInput,
  type CardRequestPatch,
  type CardRequestSearch,
} from '../../../app/requests/card-requests.ts';
import { createBatch, getBatch, listBatches, validateBatch, type BatchSearch } from '../../../app/requests/batches.ts';
import { billingCsv, listBilling, type BillingFilter } from '../../../app/requests/billing.ts';
import { requireActor } from '../../auth.ts';
import { ActionSignatureSchema } from '../access/signatures.ts';

// Card models, card requests, batches of requests and the billing ledger (docs/cards.md §4).

const Id = Type.Object({ id: Type.String({ maxLength: 64 }) });
const Signature = ActionSignatureSchema;
const Page = {
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  after: Type.Optional(Type.String({ maxLength: 400 })),
};
const Kind = Type.Union([
  Type.Literal('first_issue'),
  Type.Literal('renewal'),
  Type.Literal('replacement'),
  Type.Literal('instant'),
]);
const Reason = Type.Union([Type.String({ maxLength: 32 }), Type.Null()]);
const OptId = Type.Optional(Type.String({ maxLength: 64 }));
const Day = Type.Optional(Type.String({ maxLength: 10 }));

export function cardRequestRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/api/card-models', { schema: { tags: ['cartes'], summary: 'Modèles de carte' } }, async (req) =>
    listCardModels(ctx, requireActor(req)),
  );

  const tags = ['demandes'];
  app.get(
    '/api/agents/:id/card-prerequisites',
    {
      schema: {
        tags,
        summary: "Prérequis d'une commande de carte pour un agent",
        params: Id,
        querystring: Type.Object({
          modelId: Type.String({ maxLength: 64 }),
          kind: Type.Optional(Kind),
          reason: Type.Optional(Type.String({ maxLength: 32 })),
        }),
      },
    },
    async (req) =>
      cardPrerequisites(
        ctx,
        requireActor(req),
        (req.params as { id: string }).id,
        req.query as { modelId: string; kind?: string; reason?: string },
      ),
  );

  app.post(
    '/api/card-requests',
    {
      schema: {
        tags,
        summary: 'Faire une demande de carte agent',
        body: Type.Object(
          {
            agentId: Type.String({ maxLength: 64 }),
            modelId: Type.String({ maxLength: 64 }),
            kind: Kind,
            reason: Type.Optional(Reason),
            replacesCardId: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) =>
      reply.code(201).send(await createCardRequest(ctx, requireActor(req), req.body as CardRequestInput)),
  );

  app.get(
    '/api/card-requests',
    {
      schema: {
        tags,
        summary: 'Suivi des demandes',
        querystring: Type.Object({
          q: Type.Optional(Type.String({ maxLength: 100 })),
          state: Type.Optional(Type.String({ maxLength: 120 })),
          kind: Type.Optional(Kind),
          organizationId: OptId,
          agentId: OptId,
          batchId: OptId,
          ...Page,
        }),
      },
    },
    async (req) => listCardRequests(ctx, requireActor(req), req.query as CardRequestSearch),
  );

  app.get(
    '/api/card-requests/:id',
    { schema: { tags, summary: "Détail d'une demande et de ses prérequis", params: Id } },
    async (req) => getCardRequest(ctx, requireActor(req), (req.params as { id: string }).id),
  );

  app.patch(
    '/api/card-requests/:id',
    {
      schema: {
        tags,
        summary: 'Modifier une demande (brouillon ou complète)',
        params: Id,
        body: Type.Object(
          {
            modelId: Type.Optional(Type.String({ maxLength: 64 })),
            kind: Type.Optional(Kind),
            reason: Type.Optional(Reason),
            replacesCardId: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) =>
      updateCardRequest(ctx, requireActor(req), (req.params as { id: string }).id, req.body as CardRequestPatch),
  );

  app.post(
    '/api/card-requests/:id/recheck',
    { schema: { tags, summary: 'Vérifier de nouveau les prérequis', params: Id } },
    async (req) => recheckCardRequest(ctx, requireActor(req), (req.params as { id: string }).id),
  );

  app.post(
    '/api/card-requests/:id/sign',
    {
      schema: {
        tags,
        summary: 'Signer une demande',
        params: Id,
        body: Type.Object({ signature: Signature }, { additionalProperties: false }),
      },
    },
    async (req) =>
      signCardRequest(
        ctx,
        requireActor(req),
        (req.params as { id: string }).id,
        (req.body as { signature: ActionSignature }).signature,
      ),
  );

  app.post(
    '/api/card-requests/:id/cancel',
    {
      schema: {
        tags,
        summary: 'Annuler une demande',
        params: Id,
        body: Type.Object(
          { reason: Type.String({ minLength: 1, maxLength: 500 }), signature: Signature },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const b = req.body as { reason: string; signature: ActionSignature };
      return cancelCardRequest(ctx, requireActor(req), (req.params as { id: string }).id, b.reason, b.signature);
    },
  );

  const batchTags = ['lots'];
  app.post(
    '/api/batches',
    {
      schema: {
        tags: batchTags,
        summary: "Saisie d'un lot de demandes",
        body: Type.Object(
          {
            requestIds: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 500 }),
            signature: Signature,
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(
          await createBatch(ctx, requireActor(req), req.body as { requestIds: string[]; signature: ActionSignature }),
        ),
  );

  app.get(
    '/api/batches',
    {
      schema: {
        tags: batchTags,
        summary: 'Suivi des lots de demandes',
        querystring: Type.Object({
          q: Type.Optional(Type.String({ maxLength: 40 })),
          state: Type.Optional(Type.String({ maxLength: 120 })),
          organizationId: OptId,
          ...Page,
        }),
      },
    },
    async (req) => listBatches(ctx, requireActor(req), req.query as BatchSearch),
  );

  app.get(
    '/api/batches/:id',
    { schema: { tags: batchTags, summary: "Détail d'un lot et de ses demandes", params: Id } },
    async (req) => getBatch(ctx, requireActor(req), (req.params as { id: string }).id),
  );

  app.post(
    '/api/batches/:id/validate',
    {
      schema: {
        tags: batchTags,
        summary: "Valider un lot (autorité d'enregistrement)",
        params: Id,
        body: Type.Object({ signature: Signature }, { additionalProperties: false }),
      },
    },
    async (req) =>
      validateBatch(
        ctx,
        requireActor(req),
        (req.params as { id: string }).id,
        (req.body as { signature: ActionSignature }).signature,
      ),
  );

  const billingQuery = Type.Object({
    organizationId: OptId,
    from: Day,
    to: Day,
    page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })),
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  });
  app.get(
    '/api/billing',
    { schema: { tags: ['facturation'], summary: 'Relevé des cartes facturées', querystring: billingQuery } },
    async (req) => listBilling(ctx, requireActor(req), req.query as BillingFilter),
  );

  app.get(
    '/api/billing.csv',
    { schema: { tags: ['facturation'], summary: 'Relevé des cartes facturées (CSV)', querystring: billingQuery } },
    async (req, reply) => {
      const csv = await billingCsv(ctx, requireActor(req), req.query as BillingFilter);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="facturation-cartes.csv"')
        .header('cache-control', 'private, no-store')
        .send(csv);
    },
  );
}
