import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
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
  type OrganizationInput,
} from '../../../app/directory/organizations.ts';
import type { ControlPointAnswer } from '../../../domain/self-assessment.ts';
import { requireActor } from '../../auth.ts';

const Id = Type.Object({ id: Type.String({ maxLength: 64 }) });
const Nullable = (s: ReturnType<typeof Type.String>) => Type.Optional(Type.Union([s, Type.Null()]));
const OrgFields = {
  code: Type.String({ maxLength: 32 }),
  kind: Type.String({ maxLength: 32 }),
  name: Type.String({ maxLength: 200 }),
  parentId: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
  registrationAuthorityId: Nullable(Type.String({ maxLength: 64 })),
  inseeCode: Nullable(Type.String({ maxLength: 5 })),
  siren: Nullable(Type.String({ maxLength: 9 })),
  addressLine: Nullable(Type.String({ maxLength: 300 })),
  postalCode: Nullable(Type.String({ maxLength: 10 })),
  city: Nullable(Type.String({ maxLength: 100 })),
};

export function organizationRoutes(app: FastifyInstance, ctx: AppContext): void {
  const tags = ['organisations'];
  app.get('/api/organizations', { schema: { tags, summary: 'Organisations du périmètre' } }, async (req) =>
    listOrganizations(ctx, requireActor(req)),
  );

  app.get(
    '/api/organizations/:id',
    { schema: { tags, summary: "Détail d'une organisation", params: Id } },
    async (req) => getOrganization(ctx, requireActor(req), (req.params as { id: string }).id),
  );

  app.post(
    '/api/organizations',
    {
      schema: {
        tags,
        summary: 'Créer une organisation',
        body: Type.Object(OrgFields, { additionalProperties: false }),
      },
    },
    async (req, reply) => {
      const org = await createOrganization(ctx, requireActor(req), req.body as OrganizationInput);
      return reply.code(201).send(org);
    },
  );

  app.patch(
    '/api/organizations/:id',
    {
      schema: {
        tags,
        summary: 'Modifier une organisation',
        params: Id,
        body: Type.Partial(Type.Object(OrgFields, { additionalProperties: false })),
      },
    },
    async (req) =>
      updateOrganization(
        ctx,
        requireActor(req),
        (req.params as { id: string }).id,
        req.body as Partial<OrganizationInput>,
      ),
  );

  app.put(
    '/api/organizations/:id/agreement',
    {
      schema: {
        tags,
        summary: "Enregistrer la convention d'adhésion",
        params: Id,
        body: Type.Object(
          {
            signedOn: Type.String({ maxLength: 10 }),
            mayorName: Type.String({ maxLength: 200 }),
            delegateIds: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 20 }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) =>
      setAgreement(
        ctx,
        requireActor(req),
        (req.params as { id: string }).id,
        req.body as { signedOn: string; mayorName: string; delegateIds: string[] },
      ),
  );

  app.post(
    '/api/organizations/:id/agreement/notice',
    {
      schema: {
        tags,
        summary: 'Donner le préavis de résiliation (3 mois)',
        params: Id,
        body: Type.Object({ givenOn: Type.String({ maxLength: 10 }) }, { additionalProperties: false }),
      },
    },
    async (req) =>
      giveAgreementNotice(
        ctx,
        requireActor(req),
        (req.params as { id: string }).id,
        (req.body as { givenOn: string }).givenOn,
      ),
  );

  const Answer = Type.Object(
    {
      conform: Type.Boolean(),
      major: Type.Optional(Type.Boolean()),
      comment: Type.Optional(Type.String({ maxLength: 1000 })),
    },
    { additionalProperties: false },
  );
  app.post(
    '/api/organizations/:id/self-assessments',
    {
      schema: {
        tags,
        summary: 'Enregistrer une auto-évaluation de la sécurité du poste de travail',
        params: Id,
        body: Type.Object(
          { assessedOn: Type.String({ maxLength: 10 }), answers: Type.Record(Type.String({ maxLength: 8 }), Answer) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const body = req.body as { assessedOn: string; answers: Record<string, ControlPointAnswer> };
      return reply
        .code(201)
        .send(await submitSelfAssessment(ctx, requireActor(req), (req.params as { id: string }).id, body));
    },
  );

  app.post(
    '/api/organizations/:id/self-assessments/:sid/lift',
    {
      schema: {
        tags,
        summary: 'Lever la suspension des rôles de confiance',
        params: Type.Object({ id: Type.String({ maxLength: 64 }), sid: Type.String({ maxLength: 64 }) }),
      },
    },
    async (req) => {
      const p = req.params as { id: string; sid: string };
      return liftSuspension(ctx, requireActor(req), p.id, p.sid);
    },
  );

  app.get(
    '/api/organizations/:id/allocation-plan',
    {
      schema: {
        tags,
        summary: 'Plan annuel de dotation',
        params: Id,
        querystring: Type.Object({ year: Type.Optional(Type.Integer({ minimum: 2000, maximum: 2100 })) }),
      },
    },
    async (req) =>
      listAllocationPlan(
        ctx,
        requireActor(req),
        (req.params as { id: string }).id,
        (req.query as { year?: number }).year ?? null,
      ),
  );

  app.post(
    '/api/organizations/:id/allocation-plan',
    {
      schema: {
        tags,
        summary: 'Inscrire un agent au plan annuel de dotation',
        params: Id,
        body: Type.Object(
          {
            agentId: Type.String({ maxLength: 64 }),
            year: Type.Integer(),
            reason: Type.Optional(Type.String({ maxLength: 300 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(
          await addAllocationPlanEntry(
            ctx,
            requireActor(req),
            (req.params as { id: string }).id,
            req.body as { agentId: string; year: number; reason?: string },
          ),
        ),
  );
}
