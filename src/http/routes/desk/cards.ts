import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app/context.ts';
import type { ActionSignature } from '../../../app/access/action-signatures.ts';
import type { PkiEnvironment } from '../../../app/pki/certificates.ts';
import {
  cardDetail,
  cardsToHandOver,
  listCards,
  listHolders,
  receiveCard,
  resendActivationCode,
  type CardFilter,
} from '../../../app/desk/cards.ts';
import { listProduction, productionEnvironment, sendOrder } from '../../../app/requests/production.ts';
import { requireActor } from '../../auth.ts';
import { ActionSignatureSchema } from '../access/signatures.ts';

// Production follow-up and the card officer's desk up to reception (docs/cards.md §5).

const Id = Type.Object({ id: Type.String({ maxLength: 64 }) });
const Page = {
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  after: Type.Optional(Type.String({ maxLength: 400 })),
};
const Search = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 100 })),
  state: Type.Optional(Type.String({ maxLength: 32 })),
  organizationId: Type.Optional(Type.String({ maxLength: 64 })),
  batchId: Type.Optional(Type.String({ maxLength: 64 })),
  ...Page,
});

export function cardRoutes(app: FastifyInstance, ctx: AppContext, pki: PkiEnvironment): void {
  const tags = ['cartes'];
  app.get(
    '/api/cards',
    { schema: { tags, summary: 'Liste des supports personnalisables', querystring: Search } },
    async (req) => listCards(ctx, requireActor(req), req.query as CardFilter),
  );

  app.get(
    '/api/cards/to-hand-over',
    {
      schema: {
        tags,
        summary: 'Supports à remettre (expédiés ou reçus, à remettre au porteur)',
        querystring: Type.Object({ q: Type.Optional(Type.String({ maxLength: 100 })), ...Page }),
      },
    },
    async (req) => cardsToHandOver(ctx, requireActor(req), req.query as CardFilter),
  );

  app.get(
    '/api/cards/:id',
    {
      schema: { tags, summary: 'Détail de la carte : porteur, certificats, courrier du code, historique', params: Id },
    },
    async (req) => cardDetail(ctx, requireActor(req), (req.params as { id: string }).id),
  );

  app.post(
    '/api/cards/:id/receive',
    {
      schema: {
        tags,
        summary: 'Enregistrer la réception de la carte (le porteur est invité à venir sous 48 heures)',
        params: Id,
        body: Type.Object({ signature: ActionSignatureSchema }, { additionalProperties: false }),
      },
    },
    async (req) =>
      receiveCard(
        ctx,
        requireActor(req),
        (req.params as { id: string }).id,
        (req.body as { signature: ActionSignature }).signature,
      ),
  );

  app.post(
    '/api/cards/:id/resend-code',
    {
      schema: {
        tags,
        summary: "Renvoi du code d'activation par courrier ou par messagerie",
        params: Id,
        body: Type.Object(
          { channel: Type.Union([Type.Literal('post'), Type.Literal('email')]), signature: ActionSignatureSchema },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const b = req.body as { channel: 'post' | 'email'; signature: ActionSignature };
      return resendActivationCode(
        ctx,
        requireActor(req),
        (req.params as { id: string }).id,
        { channel: b.channel },
        b.signature,
      );
    },
  );

  app.get(
    '/api/holders',
    {
      schema: {
        tags,
        summary: 'Suivi des porteurs',
        querystring: Type.Object({ q: Type.Optional(Type.String({ maxLength: 100 })), ...Page }),
      },
    },
    async (req) => listHolders(ctx, requireActor(req), req.query as { q?: string; page?: number; pageSize?: number }),
  );

  app.get(
    '/api/production',
    {
      schema: {
        tags: ['lots'],
        summary: 'Suivi de la production : lots envoyés au fabricant et messages échangés',
        querystring: Type.Object({
          batchId: Type.Optional(Type.String({ maxLength: 64 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
      },
    },
    async (req) => listProduction(ctx, requireActor(req), req.query as { batchId?: string; limit?: number }),
  );

  app.post(
    '/api/batches/:id/send',
    {
      schema: { tags: ['lots'], summary: 'Envoyer (ou renvoyer) la commande d’un lot validé au fabricant', params: Id },
    },
    async (req) =>
      sendOrder(ctx, requireActor(req), productionEnvironment(ctx.dataDir, pki), (req.params as { id: string }).id),
  );
}
