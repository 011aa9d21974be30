import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../../app/context.ts';
import type { PkiEnvironment } from '../../../app/pki/certificates.ts';
import {
  cardDetail,
  cardsToHandOver,
  listCards,
  listHolders,
  receiveCard,
  resendActivationCode,
} from '../../../app/desk/cards.ts';
import { listProduction, productionEnvironment, sendOrder } from '../../../app/requests/production.ts';
import { requireActor } from '../../auth.ts';
import { IdParams, Items, KeysetPage, responses } from '../../schemas/common.ts';
import { Signed } from '../../schemas/access.ts';
import { OrderSent, ProductionBatch, ProductionQuery } from '../../schemas/requests.ts';
import {
  CardDetail,
  CardReceived,
  CardSearch,
  CardSummary,
  CodeResent,
  Holder,
  NameSearch,
  ResendCodeInput,
} from '../../schemas/desk.ts';

// Production follow-up and the card officer's desk up to reception (docs/cards.md §5).

export function cardRoutes(fastify: FastifyInstance, ctx: AppContext, pki: PkiEnvironment): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['cartes'];
  app.get(
    '/api/cards',
    {
      schema: {
        tags,
        summary: 'Liste des supports personnalisables',
        querystring: CardSearch,
        response: responses({ 200: KeysetPage(CardSummary) }),
      },
    },
    async (req) => listCards(ctx, requireActor(req), req.query),
  );

  app.get(
    '/api/cards/to-hand-over',
    {
      schema: {
        tags,
        summary: 'Supports à remettre (expédiés ou reçus, à remettre au porteur)',
        querystring: NameSearch,
        response: responses({ 200: KeysetPage(CardSummary) }),
      },
    },
    async (req) => cardsToHandOver(ctx, requireActor(req), req.query),
  );

  app.get(
    '/api/cards/:id',
    {
      schema: {
        tags,
        summary: 'Détail de la carte : porteur, certificats, courrier du code, historique',
        params: IdParams,
        response: responses({ 200: CardDetail }),
      },
    },
    async (req) => cardDetail(ctx, requireActor(req), req.params.id),
  );

  app.post(
    '/api/cards/:id/receive',
    {
      schema: {
        tags,
        summary: 'Enregistrer la réception de la carte (le porteur est invité à venir sous 48 heures)',
        params: IdParams,
        body: Signed,
        response: responses({ 200: CardReceived }),
      },
    },
    async (req) => receiveCard(ctx, requireActor(req), req.params.id, req.body.signature),
  );

  app.post(
    '/api/cards/:id/resend-code',
    {
      schema: {
        tags,
        summary: "Renvoi du code d'activation par courrier ou par messagerie",
        params: IdParams,
        body: ResendCodeInput,
        response: responses({ 200: CodeResent }),
      },
    },
    async (req) =>
      resendActivationCode(ctx, requireActor(req), req.params.id, { channel: req.body.channel }, req.body.signature),
  );

  app.get(
    '/api/holders',
    {
      schema: {
        tags,
        summary: 'Suivi des porteurs',
        querystring: NameSearch,
        response: responses({ 200: KeysetPage(Holder) }),
      },
    },
    async (req) => listHolders(ctx, requireActor(req), req.query),
  );

  app.get(
    '/api/production',
    {
      schema: {
        tags: ['lots'],
        summary: 'Suivi de la production : lots envoyés au fabricant et messages échangés',
        querystring: ProductionQuery,
        response: responses({ 200: Items(ProductionBatch) }),
      },
    },
    async (req) => listProduction(ctx, requireActor(req), req.query),
  );

  app.post(
    '/api/batches/:id/send',
    {
      schema: {
        tags: ['lots'],
        summary: 'Envoyer (ou renvoyer) la commande d’un lot validé au fabricant',
        params: IdParams,
        response: responses({ 200: OrderSent }),
      },
    },
    async (req) => sendOrder(ctx, requireActor(req), productionEnvironment(ctx.dataDir, pki), req.params.id),
  );
}
