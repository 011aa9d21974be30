import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../../app/context.ts';
import {
  addAllocationPlanEntry,
  createOrganization,
  getOrganization,
  giveAgreementNotice,
  liftSuspension,
  listAllocationPlan,
  listOrganizations,
  setAgreement,
  submitSelfAssessment,
  updateOrganization,
} from '../../../app/directory/organizations.ts';
import { requireActor } from '../../auth.ts';
import { IdParams, Items, responses } from '../../schemas/common.ts';
import {
  Agreement,
  AgreementInput,
  AgreementNotice,
  AllocationPlan,
  AllocationPlanInput,
  Created,
  Organization,
  OrganizationInput,
  OrganizationPatch,
  OrganizationSummary,
  SelfAssessment,
  SelfAssessmentInput,
} from '../../schemas/directory.ts';

export function organizationRoutes(fastify: FastifyInstance, ctx: AppContext): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['organisations'];
  app.get(
    '/api/organizations',
    {
      schema: { tags, summary: 'Organisations du périmètre', response: responses({ 200: Items(OrganizationSummary) }) },
    },
    async (req) => listOrganizations(ctx, requireActor(req)),
  );

  app.get(
    '/api/organizations/:id',
    {
      schema: {
        tags,
        summary: "Détail d'une organisation",
        params: IdParams,
        response: responses({ 200: Organization }),
      },
    },
    async (req) => getOrganization(ctx, requireActor(req), req.params.id),
  );

  app.post(
    '/api/organizations',
    {
      schema: {
        tags,
        summary: 'Créer une organisation',
        body: OrganizationInput,
        response: responses({ 201: Organization }),
      },
    },
    async (req, reply) => reply.code(201).send(await createOrganization(ctx, requireActor(req), req.body)),
  );

  app.patch(
    '/api/organizations/:id',
    {
      schema: {
        tags,
        summary: 'Modifier une organisation',
        params: IdParams,
        body: OrganizationPatch,
        response: responses({ 200: Organization }),
      },
    },
    async (req) => updateOrganization(ctx, requireActor(req), req.params.id, req.body),
  );

  app.put(
    '/api/organizations/:id/agreement',
    {
      schema: {
        tags,
        summary: "Enregistrer la convention d'adhésion",
        params: IdParams,
        body: AgreementInput,
        response: responses({ 200: Agreement }),
      },
    },
    async (req) => setAgreement(ctx, requireActor(req), req.params.id, req.body),
  );

  app.post(
    '/api/organizations/:id/agreement/notice',
    {
      schema: {
        tags,
        summary: 'Donner le préavis de résiliation (3 mois)',
        params: IdParams,
        body: AgreementNotice,
        response: responses({ 200: Agreement }),
      },
    },
    async (req) => giveAgreementNotice(ctx, requireActor(req), req.params.id, req.body.givenOn),
  );

  app.post(
    '/api/organizations/:id/self-assessments',
    {
      schema: {
        tags,
        summary: 'Enregistrer une auto-évaluation de la sécurité du poste de travail',
        params: IdParams,
        body: SelfAssessmentInput,
        response: responses({ 201: SelfAssessment }),
      },
    },
    async (req, reply) =>
      reply.code(201).send(await submitSelfAssessment(ctx, requireActor(req), req.params.id, req.body)),
  );

  app.post(
    '/api/organizations/:id/self-assessments/:sid/lift',
    {
      schema: {
        tags,
        summary: 'Lever la suspension des rôles de confiance',
        params: Type.Object({ id: Type.String({ maxLength: 64 }), sid: Type.String({ maxLength: 64 }) }),
        response: responses({ 200: SelfAssessment }),
      },
    },
    async (req) => liftSuspension(ctx, requireActor(req), req.params.id, req.params.sid),
  );

  app.get(
    '/api/organizations/:id/allocation-plan',
    {
      schema: {
        tags,
        summary: 'Plan annuel de dotation',
        params: IdParams,
        querystring: Type.Object({ year: Type.Optional(Type.Integer({ minimum: 2000, maximum: 2100 })) }),
        response: responses({ 200: AllocationPlan }),
      },
    },
    async (req) => listAllocationPlan(ctx, requireActor(req), req.params.id, req.query.year ?? null),
  );

  app.post(
    '/api/organizations/:id/allocation-plan',
    {
      schema: {
        tags,
        summary: 'Inscrire un agent au plan annuel de dotation',
        params: IdParams,
        body: AllocationPlanInput,
        response: responses({ 201: Created }),
      },
    },
    async (req, reply) =>
      reply.code(201).send(await addAllocationPlanEntry(ctx, requireActor(req), req.params.id, req.body)),
  );
}
