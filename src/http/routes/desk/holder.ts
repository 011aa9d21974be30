import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../../app/context.ts';
import { declareLossOrTheft } from '../../../app/desk/card-incidents.ts';
import { defineHolderSecrets, secretQuestionList } from '../../../app/desk/holder-secrets.ts';
import {
  holderCards,
  holderFromAccess,
  holderUnblockResponse,
  identifyHolder,
} from '../../../app/access/holder-access.ts';
import { myCards } from '../../../app/desk/holder-space.ts';
import { requireActor } from '../../auth.ts';
import { CodeLabel, IdParams, Items, responses } from '../../schemas/common.ts';
import {
  CardAdminResponse,
  Declaration,
  DeclarationRecorded,
  HolderAccessCards,
  HolderAccessOpened,
  HolderIdentification,
  HolderUnblockInput,
  MyCards,
  SecretsDefined,
  SecretsInput,
} from '../../schemas/desk.ts';

// The holder's own space: with the card (session), or without it (blocked, lost, stolen) through
// the narrow access opened by the personal code and the three answers.

const tags = ['porteur'];
const ACCESS_HEADER = 'x-holder-access';
const access = (r: FastifyRequest) => String(r.headers[ACCESS_HEADER] ?? '');

export function holderRoutes(fastify: FastifyInstance, ctx: AppContext): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/me/cards',
    {
      schema: {
        tags,
        summary: 'Mes cartes, leurs certificats et leur historique',
        response: responses({ 200: MyCards }),
      },
    },
    async (r) => myCards(ctx, requireActor(r)),
  );
  app.get(
    '/api/me/secret-questions',
    { schema: { tags, summary: 'Questions secrètes proposées', response: responses({ 200: Items(CodeLabel) }) } },
    async () => ({ items: secretQuestionList() }),
  );
  app.post(
    '/api/me/secrets',
    {
      config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: {
        tags,
        summary: 'Définir mon code personnel et mes trois questions secrètes',
        body: SecretsInput,
        response: responses({ 200: SecretsDefined }),
      },
    },
    async (r) => defineHolderSecrets(ctx, requireActor(r), r.body),
  );
  app.post(
    '/api/me/cards/:id/declare',
    {
      schema: {
        tags,
        summary: 'Déclarer la perte ou le vol de ma carte',
        params: IdParams,
        body: Declaration,
        response: responses({ 200: DeclarationRecorded }),
      },
    },
    async (r) => declareLossOrTheft(ctx, requireActor(r), r.params.id, r.body),
  );

  app.post(
    '/api/holder-access',
    {
      config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: {
        tags,
        summary: 'Identification du porteur sans carte : organisation, identifiant, code personnel, réponses',
        body: HolderIdentification,
        response: responses({ 200: HolderAccessOpened }),
      },
    },
    async (r) => {
      const opened = await identifyHolder(ctx, r.body, r.id);
      // The page needs the token and the name; the agent's id stays on the server.
      return { token: opened.token, expiresAt: opened.expiresAt, holderName: opened.holderName };
    },
  );
  app.get(
    '/api/holder-access/cards',
    { schema: { tags, summary: 'Mes cartes (accès par secrets)', response: responses({ 200: HolderAccessCards }) } },
    async (r) => {
      const holder = await holderFromAccess(ctx, access(r));
      return { holderName: holder.displayName, items: await holderCards(ctx, holder.agentId) };
    },
  );
  app.post(
    '/api/holder-access/unblock-response',
    {
      config: { rateLimit: { max: 30, timeWindow: '1 minute' } },
      schema: {
        tags,
        summary: 'Déblocage de ma carte : réponse au défi de la carte',
        body: HolderUnblockInput,
        response: responses({ 200: CardAdminResponse }),
      },
    },
    async (r) => holderUnblockResponse(ctx, access(r), r.body),
  );
  app.post(
    '/api/holder-access/cards/:id/declare',
    {
      schema: {
        tags,
        summary: 'Déclarer la perte ou le vol de ma carte (accès par secrets)',
        params: IdParams,
        body: Declaration,
        response: responses({ 200: DeclarationRecorded }),
      },
    },
    async (r) => {
      const holder = await holderFromAccess(ctx, access(r));
      return declareLossOrTheft(ctx, holder, r.params.id, r.body);
    },
  );
}
