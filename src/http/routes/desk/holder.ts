import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../app/context.ts';
import { declareLossOrTheft, type HolderDeclaration } from '../../../app/desk/card-incidents.ts';
import { defineHolderSecrets, secretQuestionList, type SecretsInput } from '../../../app/desk/holder-secrets.ts';
import {
  holderCards,
  holderFromAccess,
  holderUnblockResponse,
  identifyHolder,
  type HolderIdentification,
} from '../../../app/access/holder-access.ts';
import { myCards } from '../../../app/desk/holder-space.ts';
import { HOLDER_ACCESS_HEADER, requireActor } from '../../auth.ts';

// The holder's own space: with the card (session), or without it (blocked, lost, stolen) through
// the narrow access opened by the personal code and the three answers.

const Id = Type.Object({ id: Type.String({ maxLength: 64 }) });
const Declaration = Type.Object(
  {
    kind: Type.Union([Type.Literal('loss'), Type.Literal('theft'), Type.Literal('temporary_loss')]),
    policeReportReference: Type.Optional(Type.Union([Type.String({ maxLength: 80 }), Type.Null()])),
    circumstances: Type.Optional(Type.Union([Type.String({ maxLength: 600 }), Type.Null()])),
    lostOn: Type.Optional(Type.Union([Type.String({ maxLength: 10 }), Type.Null()])),
  },
  { additionalProperties: false },
);
const tags = ['porteur'];
const access = (r: FastifyRequest) => String(r.headers[HOLDER_ACCESS_HEADER] ?? '');

export function holderRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get(
    '/api/me/cards',
    { schema: { tags, summary: 'Mes cartes, leurs certificats et leur historique' } },
    async (r) => myCards(ctx, requireActor(r)),
  );
  app.get('/api/me/secret-questions', { schema: { tags, summary: 'Questions secrètes proposées' } }, async () => ({
    items: secretQuestionList(),
  }));
  app.post(
    '/api/me/secrets',
    {
      config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: {
        tags,
        summary: 'Définir mon code personnel et mes trois questions secrètes',
        body: Type.Object(
          {
            personalCode: Type.String({ maxLength: 200 }),
            questions: Type.Array(
              Type.Object(
                { question: Type.String({ maxLength: 60 }), answer: Type.String({ maxLength: 400 }) },
                { additionalProperties: false },
              ),
              { maxItems: 5 },
            ),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (r) => defineHolderSecrets(ctx, requireActor(r), r.body as SecretsInput),
  );
  app.post(
    '/api/me/cards/:id/declare',
    { schema: { tags, summary: 'Déclarer la perte ou le vol de ma carte', params: Id, body: Declaration } },
    async (r) => declareLossOrTheft(ctx, requireActor(r), (r.params as { id: string }).id, r.body as HolderDeclaration),
  );

  app.post(
    '/api/holder-access',
    {
      config: { rateLimit: { max: 10, timeWindow: '1 minute' }, anonymousBody: 'anyone' },
      schema: {
        tags,
        summary: 'Identification du porteur sans carte : organisation, identifiant, code personnel, réponses',
        body: Type.Object(
          {
            organization: Type.String({ maxLength: 80 }),
            identifier: Type.String({ maxLength: 200 }),
            personalCode: Type.String({ maxLength: 200 }),
            answers: Type.Array(
              Type.Object(
                { question: Type.String({ maxLength: 60 }), answer: Type.String({ maxLength: 400 }) },
                { additionalProperties: false },
              ),
              { maxItems: 5 },
            ),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (r) => identifyHolder(ctx, r.body as HolderIdentification, r.id),
  );
  app.get('/api/holder-access/cards', { schema: { tags, summary: 'Mes cartes (accès par secrets)' } }, async (r) => {
    const holder = await holderFromAccess(ctx, access(r));
    return { holderName: holder.displayName, items: await holderCards(ctx, holder.agentId) };
  });
  app.post(
    '/api/holder-access/unblock-response',
    {
      config: { rateLimit: { max: 30, timeWindow: '1 minute' }, anonymousBody: 'holder-access' },
      schema: {
        tags,
        summary: 'Déblocage de ma carte : réponse au défi de la carte',
        body: Type.Object(
          {
            serial: Type.String({ maxLength: 20 }),
            operation: Type.String({ maxLength: 20 }),
            challenge: Type.String({ maxLength: 64 }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (r) =>
      holderUnblockResponse(ctx, access(r), r.body as { serial: string; operation: string; challenge: string }),
  );
  app.post(
    '/api/holder-access/cards/:id/declare',
    {
      config: { anonymousBody: 'holder-access' },
      schema: {
        tags,
        summary: 'Déclarer la perte ou le vol de ma carte (accès par secrets)',
        params: Id,
        body: Declaration,
      },
    },
    async (r) => {
      const holder = await holderFromAccess(ctx, access(r));
      return declareLossOrTheft(ctx, holder, (r.params as { id: string }).id, r.body as HolderDeclaration);
    },
  );
}
