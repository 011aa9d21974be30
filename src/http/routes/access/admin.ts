import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app/context.ts';
import { assignRole, revokeRole } from '../../../app/directory/organizations.ts';
import { createServiceToken, listServiceTokens, revokeServiceToken } from '../../../app/access/sessions.ts';
import { requireActor } from '../../auth.ts';

export function adminRoutes(app: FastifyInstance, ctx: AppContext): void {
  const tags = ['administration'];
  const Id = Type.Object({ id: Type.String({ maxLength: 64 }) });
  app.post(
    '/api/role-assignments',
    {
      schema: {
        tags,
        summary: 'Attribuer un rôle',
        body: Type.Object(
          {
            agentId: Type.String({ maxLength: 64 }),
            role: Type.String({ maxLength: 32 }),
            organizationId: Type.String({ maxLength: 64 }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(
          await assignRole(
            ctx,
            requireActor(req),
            req.body as { agentId: string; role: string; organizationId: string },
          ),
        ),
  );

  app.delete(
    '/api/role-assignments/:id',
    { schema: { tags, summary: 'Retirer un rôle', params: Id } },
    async (req, reply) => {
      await revokeRole(ctx, requireActor(req), (req.params as { id: string }).id);
      return reply.code(204).send();
    },
  );

  app.get('/api/service-tokens', { schema: { tags, summary: 'Comptes de service' } }, async (req) => ({
    items: await listServiceTokens(ctx, requireActor(req)),
  }));
  app.post(
    '/api/service-tokens',
    {
      schema: {
        tags,
        summary: 'Créer un compte de service (jeton affiché une seule fois)',
        body: Type.Object(
          {
            name: Type.String({ maxLength: 100 }),
            organizationId: Type.String({ maxLength: 64 }),
            scopes: Type.Array(Type.String({ maxLength: 32 }), { maxItems: 5 }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(
          await createServiceToken(
            ctx,
            requireActor(req),
            req.body as { name: string; organizationId: string; scopes: string[] },
          ),
        ),
  );
  app.delete(
    '/api/service-tokens/:id',
    { schema: { tags, summary: 'Révoquer un compte de service', params: Id } },
    async (req, reply) => {
      await revokeServiceToken(ctx, requireActor(req), (req.params as { id: string }).id);
      return reply.code(204).send();
    },
  );
}
