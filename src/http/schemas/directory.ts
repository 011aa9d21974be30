// Directory: organisations, agreements, self-assessments, allocation plan, agents, photos, HR feed imports.
import { Type, type Static } from '@sinclair/typebox';
import { CodeLabel, Items, KeysetQuery, Nullable, StringEnum } from './common.ts';

// --- Reference data ------------------------------------------------------------------------------

export const Measure = Type.Object({ code: Type.String(), title: Type.String(), controlPoints: Type.Array(CodeLabel) });

export const Reference = Type.Object({
  roles: Type.Array(CodeLabel),
  organizationKinds: Type.Array(CodeLabel),
  clientApplications: Type.Array(CodeLabel),
  measures: Type.Array(Measure),
});

// --- Organisations -------------------------------------------------------------------------------

export const OrganizationSummary = Type.Object({
  id: Type.String(),
  code: Type.String(),
  kind: Type.String(),
  kindLabel: Type.String(),
  name: Type.String(),
  parentId: Nullable(Type.String()),
  status: Type.String(),
  trustedRolesSuspended: Type.Boolean(),
  inseeCode: Nullable(Type.String()),
  siren: Nullable(Type.String()),
});

export const PersonRef = Type.Object({
  id: Type.String(),
  firstNames: Type.String(),
  lastName: Type.String(),
  identifier: Type.String(),
});

export const Agreement = Type.Object({
  id: Type.String(),
  signedOn: Type.String(),
  mayorName: Type.String(),
  delegates: Type.Array(PersonRef),
  state: Type.String(),
  stateLabel: Type.String(),
  currentPeriodEndsOn: Type.String(),
  renewals: Type.Integer(),
  noticeGivenOn: Nullable(Type.String()),
  terminationEffectiveOn: Nullable(Type.String()),
});

/** Answer to one control point of the workstation security self-assessment (request and response). */
export const ControlPointAnswer = Type.Object(
  {
    conform: Type.Boolean(),
    major: Type.Optional(Type.Boolean()),
    comment: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);

export const SelfAssessment = Type.Object({
  id: Type.String(),
  assessedOn: Type.String(),
  result: StringEnum(['conform', 'minor', 'major']),
  resultLabel: Type.String(),
  answers: Type.Record(Type.String(), ControlPointAnswer),
  recordedBy: Nullable(Type.String()),
  liftedAt: Nullable(Type.String()),
});

export const Organization = Type.Object({
  ...OrganizationSummary.properties,
  parentName: Nullable(Type.String()),
  registrationAuthority: Nullable(Type.Object({ id: Type.String(), name: Type.String() })),
  addressLine: Nullable(Type.String()),
  postalCode: Nullable(Type.String()),
  city: Nullable(Type.String()),
  agentCount: Type.Integer(),
  agreement: Nullable(Agreement),
  selfAssessments: Type.Array(SelfAssessment),
});

const NullableInput = (maxLength: number) => Type.Optional(Nullable(Type.String({ maxLength })));
const OrganizationFields = {
  code: Type.String({ maxLength: 32 }),
  kind: Type.String({ maxLength: 32 }),
  name: Type.String({ maxLength: 200 }),
  parentId: Nullable(Type.String({ maxLength: 64 })),
  registrationAuthorityId: NullableInput(64),
  inseeCode: NullableInput(5),
  siren: NullableInput(9),
  addressLine: NullableInput(300),
  postalCode: NullableInput(10),
  city: NullableInput(100),
};
export const OrganizationInput = Type.Object(OrganizationFields, { additionalProperties: false });
export const OrganizationPatch = Type.Partial(OrganizationInput);

export const AgreementInput = Type.Object(
  {
    signedOn: Type.String({ maxLength: 10 }),
    mayorName: Type.String({ maxLength: 200 }),
    delegateIds: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 20 }),
  },
  { additionalProperties: false },
);
export const AgreementNotice = Type.Object(
  { givenOn: Type.String({ maxLength: 10 }) },
  { additionalProperties: false },
);

export const SelfAssessmentInput = Type.Object(
  {
    assessedOn: Type.String({ maxLength: 10 }),
    answers: Type.Record(Type.String({ maxLength: 8 }), ControlPointAnswer),
  },
  { additionalProperties: false },
);

export const AllocationPlanEntry = Type.Object({
  id: Type.String(),
  agentId: Type.String(),
  agentName: Type.String(),
  identifier: Type.String(),
  year: Type.Integer(),
  reason: Nullable(Type.String()),
});
export const AllocationPlan = Items(AllocationPlanEntry);

export const AllocationPlanInput = Type.Object(
  {
    agentId: Type.String({ maxLength: 64 }),
    year: Type.Integer(),
    reason: Type.Optional(Type.String({ maxLength: 300 })),
  },
  { additionalProperties: false },
);

export const Created = Type.Object({ id: Type.String() });

// --- Agents --------------------------------------------------------------------------------------

export const AgentSummary = Type.Object({
  id: Type.String(),
  identifier: Type.String(),
  lastName: Type.String(),
  firstNames: Type.String(),
  birthDate: Type.String(),
  organizationId: Type.String(),
  organizationName: Type.String(),
  status: Type.String(),
  hasPhoto: Type.Boolean(),
  email: Nullable(Type.String()),
});

export const AgentRole = Type.Object({
  id: Type.String(),
  role: Type.String(),
  roleLabel: Type.String(),
  organizationId: Type.String(),
  organizationName: Type.String(),
});

export const Agent = Type.Object({
  ...AgentSummary.properties,
  identifierKind: Type.String(),
  sex: Type.String(),
  birthPlace: Type.String(),
  phone: Nullable(Type.String()),
  unitAddress: Nullable(Type.String()),
  staffStatus: Type.String(),
  category: Nullable(Type.String()),
  profile: Nullable(Type.String()),
  habilitations: Type.Array(Type.String()),
  identityVerified: Type.Boolean(),
  directoryRecord: Type.Boolean(),
  source: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  roles: Type.Array(AgentRole),
});

export const AgentSearch = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 100 })),
  organizationId: Type.Optional(Type.String({ maxLength: 64 })),
  status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('inactive')])),
  ...KeysetQuery,
});

/** Creation and modification of an agent: every member optional (the use case checks what creation needs). */
export const AgentInput = Type.Object(
  {
    organizationId: Type.Optional(Type.String({ maxLength: 64 })),
    identifier: Type.Optional(Type.String({ maxLength: 64 })),
    identifierKind: Type.Optional(Type.String({ maxLength: 16 })),
    lastName: Type.Optional(Type.String({ maxLength: 100 })),
    firstNames: Type.Optional(Type.String({ maxLength: 100 })),
    sex: Type.Optional(Type.String({ maxLength: 10 })),
    birthDate: Type.Optional(Type.String({ maxLength: 10 })),
    birthPlace: Type.Optional(Type.String({ maxLength: 100 })),
    email: NullableInput(254),
    phone: NullableInput(30),
    unitAddress: NullableInput(300),
    staffStatus: Type.Optional(Type.String({ maxLength: 16 })),
    category: NullableInput(50),
    profile: NullableInput(100),
    habilitations: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 20 })),
  },
  { additionalProperties: false },
);
export type AgentInput = Static<typeof AgentInput>;

export const PhotoAccepted = Type.Object({
  ok: Type.Literal(true),
  width: Type.Integer(),
  height: Type.Integer(),
  size: Type.Integer(),
});

// --- HR feed imports -----------------------------------------------------------------------------

export const FeedFormat = Type.Union([Type.Literal('csv'), Type.Literal('jsonl')]);

export const ImportQuery = Type.Object({
  organizationId: Type.String({ maxLength: 64 }),
  format: Type.Optional(FeedFormat),
  full: Type.Optional(Type.Boolean()),
  fileName: Type.Optional(Type.String({ maxLength: 200 })),
});

export const ImportRun = Type.Object({
  id: Type.String(),
  organizationId: Type.String(),
  organizationName: Type.String(),
  fileName: Type.String(),
  format: Type.String(),
  fullMode: Type.Boolean(),
  status: StringEnum(['running', 'done', 'refused', 'failed']),
  total: Type.Integer(),
  inserted: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  rejected: Type.Integer(),
  deactivated: Type.Integer(),
  bytesTotal: Nullable(Type.Integer()),
  bytesRead: Type.Integer(),
  message: Nullable(Type.String()),
  startedAt: Type.String(),
  finishedAt: Nullable(Type.String()),
});

export const ImportReject = Type.Object({ line: Type.Integer(), field: Type.String(), reason: Type.String() });
