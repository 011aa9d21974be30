import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
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
} from '../../../app/directory/agents.ts';
import { requireActor } from '../../auth.ts';
import { binary, IdParams, KeysetPage, NoContent, responses } from '../../schemas/common.ts';
import { Agent, AgentInput, AgentSearch, AgentSummary, PhotoAccepted } from '../../schemas/directory.ts';

export function agentRoutes(fastify: FastifyInstance, ctx: AppContext): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['annuaire'];
  app.get(
    '/api/agents',
    {
      schema: {
        tags,
        summary: 'Rechercher des agents',
        querystring: AgentSearch,
        response: responses({ 200: KeysetPage(AgentSummary) }),
      },
    },
    async (req) => searchAgents(ctx, requireActor(req), req.query),
  );

  app.get(
    '/api/agents/:id',
    { schema: { tags, summary: "Fiche d'un agent", params: IdParams, response: responses({ 200: Agent }) } },
    async (req) => getAgent(ctx, requireActor(req), req.params.id),
  );

  app.post(
    '/api/agents',
    { schema: { tags, summary: 'Créer un agent', body: AgentInput, response: responses({ 201: Agent }) } },
    async (req, reply) => reply.code(201).send(await createAgent(ctx, requireActor(req), req.body)),
  );

  app.patch(
    '/api/agents/:id',
    {
      schema: {
        tags,
        summary: 'Modifier un agent',
        params: IdParams,
        body: AgentInput,
        response: responses({ 200: Agent }),
      },
    },
    async (req) => updateAgent(ctx, requireActor(req), req.params.id, req.body),
  );

  app.post(
    '/api/agents/:id/deactivate',
    { schema: { tags, summary: 'Désactiver un agent', params: IdParams, response: responses({ 200: Agent }) } },
    async (req) => setAgentStatus(ctx, requireActor(req), req.params.id, 'inactive'),
  );
  app.post(
    '/api/agents/:id/reactivate',
    { schema: { tags, summary: 'Réactiver un agent', params: IdParams, response: responses({ 200: Agent }) } },
    async (req) => setAgentStatus(ctx, requireActor(req), req.params.id, 'active'),
  );

  app.delete(
    '/api/agents/:id',
    {
      schema: {
        tags,
        summary: 'Supprimer un agent sans historique',
        params: IdParams,
        response: responses({ 204: NoContent }),
      },
    },
    async (req, reply) => {
      await deleteAgent(ctx, requireActor(req), req.params.id);
      return reply.code(204).send();
    },
  );

  app.put(
    '/api/agents/:id/photo',
    {
      bodyLimit: 1024 * 1024,
      schema: {
        tags,
        summary: "Déposer la photo d'identité (JPEG 283 × 378, 300 dpi, ≤ 30 Ko)",
        params: IdParams,
        response: responses({ 200: PhotoAccepted }),
      },
    },
    async (req) => uploadPhoto(ctx, requireActor(req), req.params.id, req.body as Buffer),
  );

  app.get(
    '/api/agents/:id/photo',
    {
      schema: {
        tags,
        summary: "Photo d'identité",
        params: IdParams,
        response: responses({ 200: binary('Photo JPEG', 'image/jpeg') }),
      },
    },
    async (req, reply) => {
      const jpeg = await getPhoto(ctx, requireActor(req), req.params.id);
      return reply.type('image/jpeg').header('cache-control', 'private, no-store').send(Buffer.from(jpeg));
    },
  );
}
