import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../../app/context.ts';
import { issueActionNonce } from '../../../app/access/action-signatures.ts';
import { requireActor } from '../../auth.ts';
import { responses } from '../../schemas/common.ts';
import { ActionNonce } from '../../schemas/access.ts';

/** The body member carrying the operator's signature of an action now lives with the other shapes. */
export { ActionSignature as ActionSignatureSchema } from '../../schemas/access.ts';

export function signatureRoutes(fastify: FastifyInstance, ctx: AppContext): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/api/signatures/nonce',
    {
      config: { rateLimit: { max: 120, timeWindow: '1 minute' } },
      schema: {
        tags: ['session'],
        summary: 'Obtenir un aléa à usage unique pour signer une action avec sa carte',
        response: responses({ 200: ActionNonce }),
      },
    },
    async (request) => issueActionNonce(ctx, requireActor(request)),
  );
}
