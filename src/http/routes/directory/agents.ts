import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app/context.ts';
import {
  createAgent,
  deleteAgent,
  getAgent,
  getPhoto,
  searchAgents,
  setAgentStatus,
  updateAgent,
  uploadPhoto,
  type AgentInput,
  type AgentSearch,
} from '../../../app/directory/agents.ts';
import { requireActor } from '../../auth.ts';

const Id = Type.Object({ id: Type.String({ maxLength: 64 }) });
const Opt = (max: number) => Type.Optional(Type.Union([Type.String({ maxLength: max }), Type.Null()]));
const AgentFields = {
  organizationId: Type.Optional(Type.String({ maxLength: 64 })),
  identifier: Type.Optional(Type.String({ maxLength: 64 })),
  identifierKind: Type.Optional(Type.String({ maxLength: 16 })),
  lastName: Type.Optional(Type.String({ maxLength: 100 })),
  firstNames: Type.Optional(Type.String({ maxLength: 100 })),
  sex: Type.Optional(Type.String({ maxLength: 10 })),
  birthDate: Type.Optional(Type.String({ maxLength: 10 })),
  birthPlace: Type.Optional(Type.String({ maxLength: 100 })),
  email: Opt(254),
  phone: Opt(30),
  unitAddress: Opt(300),
  staffStatus: Type.Optional(Type.String({ maxLength: 16 })),
  category: Opt(50),
  profile: Opt(100),
  habilitations: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 20 })),
};

export function agentRoutes(app: FastifyInstance, ctx: AppContext): void {
  const tags = ['annuaire'];
  app.get(
    '/api/agents',
    {
      schema: {
        tags,
        summary: 'Rechercher des agents',
        querystring: Type.Object({
          q: Type.Optional(Type.String({ maxLength: 100 })),
          organizationId: Type.Optional(Type.String({ maxLength: 64 })),
          status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('inactive')])),
          page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })),
          pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
          after: Type.Optional(Type.String({ maxLength: 400 })),
        }),
      },
    },
    async (req) => searchAgents(ctx, requireActor(req), req.query as AgentSearch),
  );

  app.get('/api/agents/:id', { schema: { tags, summary: "Fiche d'un agent", params: Id } }, async (req) =>
    getAgent(ctx, requireActor(req), (req.params as { id: string }).id),
  );

  app.post(
    '/api/agents',
    { schema: { tags, summary: 'Créer un agent', body: Type.Object(AgentFields, { additionalProperties: false }) } },
    async (req, reply) => reply.code(201).send(await createAgent(ctx, requireActor(req), req.body as AgentInput)),
  );

  app.patch(
    '/api/agents/:id',
    {
      schema: {
        tags,
        summary: 'Modifier un agent',
        params: Id,
        body: Type.Object(AgentFields, { additionalProperties: false }),
      },
    },
    async (req) => updateAgent(ctx, requireActor(req), (req.params as { id: string }).id, req.body as AgentInput),
  );

  app.post(
    '/api/agents/:id/deactivate',
    { schema: { tags, summary: 'Désactiver un agent', params: Id } },
    async (req) => setAgentStatus(ctx, requireActor(req), (req.params as { id: string }).id, 'inactive'),
  );
  app.post('/api/agents/:id/reactivate', { schema: { tags, summary: 'Réactiver un agent', params: Id } }, async (req) =>
    setAgentStatus(ctx, requireActor(req), (req.params as { id: string }).id, 'active'),
  );

  app.delete(
    '/api/agents/:id',
    { schema: { tags, summary: 'Supprimer un agent sans historique', params: Id } },
    async (req, reply) => {
      await deleteAgent(ctx, requireActor(req), (req.params as { id: string }).id);
      return reply.code(204).send();
    },
  );

  app.put(
    '/api/agents/:id/photo',
    {
      bodyLimit: 1024 * 1024,
      schema: { tags, summary: "Déposer la photo d'identité (JPEG 283 × 378, 300 dpi, ≤ 30 Ko)", params: Id },
    },
    async (req) => uploadPhoto(ctx, requireActor(req), (req.params as { id: string }).id, req.body as Buffer),
  );

  app.get(
    '/api/agents/:id/photo',
    { schema: { tags, summary: "Photo d'identité", params: Id } },
    async (req, reply) => {
      const jpeg = await getPhoto(ctx, requireActor(req), (req.params as { id: string }).id);
      return reply.type('image/jpeg').header('cache-control', 'private, no-store').send(Buffer.from(jpeg));
    },
  );
}
