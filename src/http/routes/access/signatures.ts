import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app/context.ts';
import { issueActionNonce } from '../../../app/access/action-signatures.ts';
import { requireActor } from '../../auth.ts';

/** Body member carrying the operator's signature of an action (docs/cards.md §3). */
export const ActionSignatureSchema = Type.Object(
  {
    nonce: Type.String({ minLength: 10, maxLength: 200 }),
    signature: Type.String({
      minLength: 10,
      maxLength: 16_384,
      description: 'Signature (base64) du texte canonique de l’action',
    }),
    certificate: Type.String({
      minLength: 10,
      maxLength: 16_384,
      description: 'Certificat de signature (DER, base64)',
    }),
  },
  {
    additionalProperties: false,
    description: 'Signature de l’action par la carte de l’opérateur (code PIN de signature)',
  },
);

export function signatureRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post(
    '/api/signatures/nonce',
    {
      config: { rateLimit: { max: 120, timeWindow: '1 minute' } },
      schema: { tags: ['session'], summary: 'Obtenir un aléa à usage unique pour signer une action avec sa carte' },
    },
    async (request) => issueActionNonce(ctx, requireActor(request)),
  );
}
