import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../../app/context.ts';
import { assignRole, revokeRole } from '../../../app/directory/organizations.ts';
import { createServiceToken, listServiceTokens, revokeServiceToken } from '../../../app/access/sessions.ts';
import { requireActor } from '../../auth.ts';
import { IdParams, Items, NoContent, responses } from '../../schemas/common.ts';
import {
  RoleAssignment,
  RoleAssignmentInput,
  ServiceToken,
  ServiceTokenCreated,
  ServiceTokenInput,
} from '../../schemas/access.ts';

export function adminRoutes(fastify: FastifyInstance, ctx: AppContext): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['administration'];
  app.post(
    '/api/role-assignments',
    {
      schema: {
        tags,
        summary: 'Attribuer un rôle',
        body: RoleAssignmentInput,
        response: responses({ 201: RoleAssignment }),
      },
    },
    async (req, reply) => reply.code(201).send(await assignRole(ctx, requireActor(req), req.body)),
  );

  app.delete(
    '/api/role-assignments/:id',
    { schema: { tags, summary: 'Retirer un rôle', params: IdParams, response: responses({ 204: NoContent }) } },
    async (req, reply) => {
      await revokeRole(ctx, requireActor(req), req.params.id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/service-tokens',
    { schema: { tags, summary: 'Comptes de service', response: responses({ 200: Items(ServiceToken) }) } },
    async (req) => ({ items: await listServiceTokens(ctx, requireActor(req)) }),
  );
  app.post(
    '/api/service-tokens',
    {
      schema: {
        tags,
        summary: 'Créer un compte de service (jeton affiché une seule fois)',
        body: ServiceTokenInput,
        response: responses({ 201: ServiceTokenCreated }),
      },
    },
    async (req, reply) => reply.code(201).send(await createServiceToken(ctx, requireActor(req), req.body)),
  );
  app.delete(
    '/api/service-tokens/:id',
    {
      schema: {
        tags,
        summary: 'Révoquer un compte de service',
        params: IdParams,
        response: responses({ 204: NoContent }),
      },
    },
    async (req, reply) => {
      await revokeServiceToken(ctx, requireActor(req), req.params.id);
      return reply.code(204).send();
    },
  );
}
