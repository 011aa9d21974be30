// Back office of a processing centre (seed 003): request and response shapes of /api/backoffice/*.
// Imports TypeBox and ./common.ts only, so the portal can take its types from here (`import type`).
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { FieldError, Items, Nullable, Page } from './common.ts';

export { binary, IdParams, responses } from './common.ts';

/**
 * A request scalar that may be null. Typed as `T | null`, but written as one JSON type list
 * (`type: ["string", "null"]`) rather than a union: ajv's type coercion (on in this server) would
 * turn a null into "" or 0 through the first branch of a union.
 */
const OrNull = <T extends TSchema>(schema: T) => {
  const union = Type.Union([schema, Type.Null()]);
  const flat = { ...(JSON.parse(JSON.stringify(schema)) as Record<string, unknown>), type: [schema['type'], 'null'] };
  delete (union as { anyOf?: unknown }).anyOf;
  return Object.assign(union, flat);
};
const Str = (maxLength: number, description?: string) =>
  Type.String({ maxLength, ...(description ? { description } : {}) });
const Id = Type.String({ maxLength: 64 });

const Ref = Type.Object({ id: Type.String(), name: Type.String() });
const OrgRef = Type.Object({ id: Type.String(), code: Type.String(), name: Type.String() });

export const CodeParams = Type.Object({ code: Type.String({ maxLength: 40 }) });
export const FileCodeParams = Type.Object({ id: Id, code: Type.String({ maxLength: 40 }) });
export const FilePieceParams = Type.Object({ id: Id, pieceId: Id });
export const FileLetterParams = Type.Object({ id: Id, letterId: Id });

// ---------------------------------------------------------------------------------------------
// Centres and kinds

export const Office = Type.Object({
  id: Type.String(),
  code: Type.String(),
  name: Type.String(),
  function: Type.String({ description: 'liaison | processing | methods' }),
  functionLabel: Type.String(),
  email: Nullable(Type.String()),
});

export const Centre = Type.Object({
  id: Type.String(),
  code: Type.String(),
  name: Type.String(),
  servesOrganizationId: Type.String({
    description: 'Les dossiers de cartes des agents de cette organisation vont à ce centre',
  }),
  address: Nullable(Type.String()),
  offices: Type.Array(Office),
});
export const Centres = Items(Centre);
export const CentreUnits = Items(OrgRef);

export const CentreInput = Type.Object(
  {
    code: Str(32),
    name: Str(200),
    parentId: Id,
    servesOrganizationId: Id,
    addressLine: Type.Optional(OrNull(Str(200))),
    postalCode: Type.Optional(OrNull(Str(10))),
    city: Type.Optional(OrNull(Str(100))),
    offices: Type.Array(
      Type.Object(
        {
          code: Str(16),
          name: Str(200),
          function: Type.Union([Type.Literal('liaison'), Type.Literal('processing'), Type.Literal('methods')]),
          email: Type.Optional(OrNull(Str(200))),
        },
        { additionalProperties: false },
      ),
      { minItems: 2, maxItems: 20 },
    ),
  },
  { additionalProperties: false },
);

export const OfficeQueues = Type.Object({
  centre: Ref,
  offices: Type.Array(
    Type.Object({
      id: Type.String(),
      code: Type.String(),
      name: Type.String(),
      function: Type.String(),
      functionLabel: Type.String(),
      counts: Type.Record(Type.String(), Type.Integer(), { description: 'Dossiers par situation' }),
    }),
  ),
});

const PieceDefinition = Type.Object(
  { code: Str(40), label: Str(200), required: Type.Boolean(), byContact: Type.Boolean() },
  { additionalProperties: false },
);
const CheckDefinition = Type.Object(
  { code: Str(40), label: Str(200), byContact: Type.Boolean() },
  { additionalProperties: false },
);
const RoutingRule = Type.Object(
  { office: Str(16), sendingUnits: Type.Array(Str(32), { maxItems: 100 }) },
  { additionalProperties: false },
);

/** What the national administrator sends to edit a kind (checked again by the domain rules). */
export const KindDefinition = Type.Object(
  {
    code: Str(40),
    family: Type.Union([Type.Literal('card'), Type.Literal('unit')]),
    label: Str(200),
    pieces: Type.Array(PieceDefinition, { maxItems: 30 }),
    checks: Type.Array(CheckDefinition, { maxItems: 30 }),
    offices: Type.Array(Str(16), { maxItems: 10 }),
    routing: Type.Array(RoutingRule, { maxItems: 50 }),
    targetDays: Type.Integer({ minimum: 1, maximum: 365 }),
    amount: Type.Boolean({ description: 'Le montant du décompte de l’application de liquidation est enregistré' }),
    transferTo: OrNull(Str(120)),
    active: Type.Boolean(),
  },
  { additionalProperties: false },
);

export const Kind = Type.Object({
  code: Type.String(),
  family: Type.String(),
  familyLabel: Type.String(),
  label: Type.String(),
  pieces: Type.Array(PieceDefinition),
  checks: Type.Array(CheckDefinition),
  offices: Type.Array(Type.String()),
  routing: Type.Array(RoutingRule),
  targetDays: Type.Integer(),
  amount: Type.Boolean(),
  transferTo: Nullable(Type.String()),
  active: Type.Boolean(),
  source: Type.String({
    description: 'file : fichier de configuration ; admin : modifié par l’administrateur national',
  }),
  version: Type.Integer(),
  updatedAt: Type.String(),
});
export const Kinds = Items(Kind);

// ---------------------------------------------------------------------------------------------
// Files

export const FileSummary = Type.Object({
  id: Type.String(),
  number: Type.String(),
  kind: Type.String(),
  kindLabel: Type.String(),
  family: Type.String(),
  centreId: Type.String(),
  office: Nullable(Ref),
  status: Type.String(),
  statusLabel: Type.String(),
  priority: Type.String(),
  priorityLabel: Type.String(),
  personName: Type.String(),
  personIdentifier: Nullable(Type.String()),
  unitReference: Nullable(Type.String()),
  sendingOrganization: Ref,
  receivedAt: Type.String(),
  registeredAt: Nullable(Type.String()),
  ageDays: Type.Integer(),
  dueOn: Nullable(Type.String()),
  overdue: Type.Boolean(),
  takenBy: Nullable(Type.String()),
  processedAt: Nullable(Type.String()),
  amountCents: Nullable(Type.Integer()),
  archivedAt: Nullable(Type.String()),
  returnedAt: Nullable(Type.String()),
  slipId: Nullable(Type.String()),
});
export const FilePage = Page(FileSummary);

export const FileQuery = Type.Object({
  centreId: Type.Optional(Id),
  officeId: Type.Optional(Id),
  status: Type.Optional(Str(200, 'Situations, séparées par des virgules')),
  kind: Type.Optional(Str(40)),
  family: Type.Optional(Type.Union([Type.Literal('card'), Type.Literal('unit')])),
  priority: Type.Optional(Type.Union([Type.Literal('normal'), Type.Literal('relative'), Type.Literal('absolute')])),
  minAgeDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650 })),
  slipId: Type.Optional(Id),
  q: Type.Optional(Str(100)),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});

const PieceView = Type.Object({
  id: Type.String(),
  code: Type.String(),
  label: Type.String(),
  required: Type.Boolean(),
  byContact: Type.Boolean(),
  listed: Type.Boolean({ description: 'Mentionnée sur le bordereau d’envoi' }),
  state: Type.String(),
  stateLabel: Type.String(),
  note: Nullable(Type.String()),
  document: Nullable(
    Type.Object({
      fileName: Nullable(Type.String()),
      contentType: Nullable(Type.String()),
      size: Nullable(Type.Integer()),
      sha256: Type.String(),
      readable: Type.Boolean({ description: 'Vous avez besoin d’en connaître et le document est numérisé' }),
    }),
  ),
  checkedBy: Nullable(Type.String()),
  checkedAt: Nullable(Type.String()),
});

const CheckView = Type.Object({
  code: Type.String(),
  label: Type.String(),
  byContact: Type.Boolean(),
  state: Type.String(),
  stateLabel: Type.String(),
  reason: Nullable(Type.String()),
  checkedBy: Nullable(Type.String()),
  checkedAt: Nullable(Type.String()),
});

const TimelineEntry = Type.Object({
  at: Type.String(),
  type: Type.String(),
  label: Type.String(),
  actor: Nullable(Type.String()),
  office: Nullable(Type.String()),
  data: Type.Record(Type.String(), Type.Unknown()),
});

export const CaseFile = Type.Object({
  id: Type.String(),
  number: Type.String(),
  kind: Type.String(),
  kindLabel: Type.String(),
  family: Type.String(),
  centre: Ref,
  office: Nullable(Ref),
  status: Type.String(),
  statusLabel: Type.String(),
  priority: Type.String(),
  priorityLabel: Type.String(),
  priorityNote: Nullable(Type.String()),
  personName: Type.String(),
  personIdentifier: Nullable(Type.String()),
  agentId: Nullable(Type.String()),
  unitReference: Nullable(Type.String()),
  sendingOrganization: OrgRef,
  delegatingAuthority: Nullable(OrgRef),
  slip: Nullable(
    Type.Object({
      id: Type.String(),
      number: Type.String(),
      unitReference: Type.String(),
      slipDate: Type.String(),
      contactName: Nullable(Type.String()),
      contactPhone: Nullable(Type.String()),
      contactEmail: Nullable(Type.String()),
    }),
  ),
  cardRequestId: Nullable(Type.String()),
  cardId: Nullable(Type.String()),
  receivedAt: Type.String(),
  registeredAt: Nullable(Type.String()),
  ageDays: Type.Integer(),
  dueOn: Nullable(Type.String()),
  takenBy: Nullable(Type.String()),
  takenAt: Nullable(Type.String()),
  deferredAt: Nullable(Type.String()),
  deferredReason: Nullable(Type.String()),
  unitNotifiedAt: Nullable(Type.String()),
  processedAt: Nullable(Type.String()),
  processedBy: Nullable(Type.String()),
  processedOffice: Nullable(Type.String()),
  outcome: Nullable(Type.String()),
  amountCents: Nullable(Type.Integer()),
  movementReference: Nullable(Type.String()),
  selfCheckedAt: Nullable(Type.String()),
  selfCheckedBy: Nullable(Type.String()),
  transferTo: Nullable(Type.String()),
  transferredAt: Nullable(Type.String()),
  transferReference: Nullable(Type.String()),
  archivedAt: Nullable(Type.String()),
  returnedAt: Nullable(Type.String()),
  returnReasons: Type.Array(Type.String()),
  pieces: Type.Array(PieceView),
  checks: Type.Array(CheckView),
  timeline: Type.Array(TimelineEntry),
  letters: Type.Array(
    Type.Object({ id: Type.String(), kind: Type.String(), sha256: Type.String(), createdAt: Type.String() }),
  ),
  archive: Nullable(
    Type.Object({
      locationKind: Type.String(),
      box: Nullable(Type.String()),
      shelf: Nullable(Type.String()),
      reference: Nullable(Type.String()),
      archivedAt: Type.String(),
      archivedBy: Nullable(Type.String()),
      transferred: Type.Boolean(),
    }),
  ),
  controlMark: Nullable(
    Type.Object(
      { controlledAt: Type.String(), controller: Type.String(), stamp: Type.String() },
      { description: 'Marque du contrôle interne : date, contrôleur, timbre du bureau « organisation et méthodes »' },
    ),
  ),
  documentsReadable: Type.Boolean(),
  actions: Type.Array(Type.String(), { description: 'Actions que vous pouvez faire maintenant sur ce dossier' }),
});
export type CaseFile = Static<typeof CaseFile>;
/** The same schema with its type computed once (the route type provider gives up on the full depth). */
export const CaseFileAnswer = Type.Unsafe<CaseFile>(CaseFile);

// ---------------------------------------------------------------------------------------------
// Intake

export const SlipInput = Type.Object(
  {
    centreId: Id,
    sendingOrganizationId: Id,
    unitReference: Str(60, 'Numéro du bordereau donné par la formation'),
    slipDate: Str(10),
    receivedOn: Type.Optional(OrNull(Str(10))),
    contactName: Type.Optional(OrNull(Str(120))),
    contactPhone: Type.Optional(OrNull(Str(30))),
    contactEmail: Type.Optional(OrNull(Str(200))),
    files: Type.Array(
      Type.Object(
        {
          kind: Str(40),
          personName: Str(120),
          personIdentifier: Type.Optional(OrNull(Str(40))),
          unitReference: Type.Optional(OrNull(Str(60))),
          delegatingAuthorityId: Type.Optional(OrNull(Id)),
          pieces: Type.Array(Str(40), { maxItems: 30, description: 'Pièces mentionnées sur le bordereau' }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 500 },
    ),
  },
  { additionalProperties: false },
);

export const SlipCreated = Type.Object({
  id: Type.String(),
  number: Type.String(),
  files: Type.Array(Type.Object({ id: Type.String(), number: Type.String() })),
});

export const Slip = Type.Object({
  id: Type.String(),
  number: Type.String(),
  centreId: Type.String(),
  sendingOrganization: OrgRef,
  unitReference: Type.String(),
  slipDate: Type.String(),
  receivedAt: Type.String(),
  contactName: Nullable(Type.String()),
  contactPhone: Nullable(Type.String()),
  contactEmail: Nullable(Type.String()),
  fileCount: Type.Integer(),
  files: Type.Array(FileSummary),
});

export const SlipSummary = Type.Object({
  id: Type.String(),
  number: Type.String(),
  unitReference: Type.String(),
  slipDate: Type.String(),
  receivedAt: Type.String(),
  fileCount: Type.Integer(),
  pendingCount: Type.Integer({ description: 'Dossiers encore au contrôle d’arrivée' }),
  sendingOrganizationName: Type.String(),
});
export const SlipPage = Page(SlipSummary);
export const CentrePageQuery = Type.Object({
  centreId: Id,
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
});

export const SlipIntake = Type.Object(
  {
    files: Type.Array(
      Type.Object(
        {
          fileId: Id,
          pieces: Type.Optional(Type.Record(Type.String({ maxLength: 40 }), Type.Boolean())),
          checks: Type.Optional(
            Type.Record(
              Type.String({ maxLength: 40 }),
              Type.Object(
                { ok: Type.Boolean(), reason: Type.Optional(OrNull(Str(300))) },
                { additionalProperties: false },
              ),
            ),
          ),
          register: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 500 },
    ),
  },
  { additionalProperties: false },
);
export const SlipIntakeResult = Type.Object({
  registered: Type.Array(Type.String()),
  pending: Type.Array(Type.Object({ id: Type.String(), number: Type.String(), blockers: Type.Array(FieldError) })),
});

export const PieceCheck = Type.Object(
  { present: Type.Boolean(), note: Type.Optional(OrNull(Str(300))) },
  { additionalProperties: false },
);
export const FormCheck = Type.Object(
  { ok: Type.Boolean(), reason: Type.Optional(OrNull(Str(300))) },
  { additionalProperties: false },
);
const Channel = Type.Union([Type.Literal('phone'), Type.Literal('fax'), Type.Literal('email')]);
export const Contact = Type.Object(
  {
    channel: Channel,
    contactName: Str(120, 'Interlocuteur à la formation'),
    summary: Str(1000, 'Ce qui a été demandé et obtenu'),
    resolves: Type.Optional(
      Type.Object(
        {
          pieces: Type.Optional(Type.Array(Str(40), { maxItems: 30 })),
          checks: Type.Optional(Type.Array(Str(40), { maxItems: 30 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export const Correction = Type.Object(
  {
    field: Type.Union([Type.Literal('personName'), Type.Literal('personIdentifier'), Type.Literal('unitReference')]),
    value: Str(120),
    note: Str(300),
  },
  { additionalProperties: false },
);
export const ReturnInput = Type.Object(
  { reasons: Type.Array(Str(300), { minItems: 1, maxItems: 20 }), note: Type.Optional(OrNull(Str(1000))) },
  { additionalProperties: false },
);
export const DocumentQuery = Type.Object({ fileName: Type.Optional(Str(120)) });

// ---------------------------------------------------------------------------------------------
// Routing, processing

export const RouteInput = Type.Object({ officeId: Id }, { additionalProperties: false });
export const PriorityInput = Type.Object(
  {
    priority: Type.Union([Type.Literal('normal'), Type.Literal('relative'), Type.Literal('absolute')]),
    note: Type.Optional(OrNull(Str(500))),
  },
  { additionalProperties: false },
);
export const DeferInput = Type.Object({ reason: Str(500) }, { additionalProperties: false });
export const NotifyUnitInput = Type.Object(
  { channel: Channel, contactName: Str(120), summary: Type.Optional(OrNull(Str(1000))) },
  { additionalProperties: false },
);
export const OutcomeInput = Type.Object(
  {
    amountCents: Type.Optional(OrNull(Type.Integer({ minimum: 0, maximum: 1_000_000_000 }))),
    movementReference: Type.Optional(OrNull(Str(40))),
    outcome: Type.Optional(OrNull(Str(500))),
  },
  { additionalProperties: false },
);
export const SelfCheckInput = Type.Object(
  { ok: Type.Boolean(), note: Type.Optional(OrNull(Str(500))) },
  { additionalProperties: false },
);
export const AmountImportResult = Type.Object({
  processed: Type.Integer(),
  rejected: Type.Array(Type.Object({ line: Type.Integer(), number: Type.String(), reason: Type.String() })),
});
export const TransferInput = Type.Object(
  { fileIds: Type.Array(Id, { minItems: 1, maxItems: 1000 }), reference: Str(60, 'Référence du mouvement transmis') },
  { additionalProperties: false },
);
export const TransferResult = Type.Object({ transferred: Type.Array(Type.String()), reference: Type.String() });

// ---------------------------------------------------------------------------------------------
// Archive

export const ArchiveInput = Type.Object(
  {
    locationKind: Type.Union([Type.Literal('box'), Type.Literal('digital')]),
    box: Type.Optional(OrNull(Str(40))),
    shelf: Type.Optional(OrNull(Str(40))),
    reference: Type.Optional(OrNull(Str(120))),
  },
  { additionalProperties: false },
);
export const ArchiveQuery = Type.Object({
  centreId: Id,
  q: Type.Optional(Str(100)),
  box: Type.Optional(Str(40)),
  from: Type.Optional(Str(10)),
  to: Type.Optional(Str(10)),
  transferred: Type.Optional(Type.Boolean()),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});
export const ArchiveEntry = Type.Object({
  fileId: Type.String(),
  number: Type.String(),
  personName: Type.String(),
  kindLabel: Type.String(),
  sendingOrganizationName: Type.String(),
  locationKind: Type.String(),
  box: Nullable(Type.String()),
  shelf: Nullable(Type.String()),
  reference: Nullable(Type.String()),
  archivedAt: Type.String(),
  archivedBy: Nullable(Type.String()),
  transfer: Nullable(Type.Object({ number: Type.String(), transferredAt: Nullable(Type.String()) })),
});
export const ArchivePage = Page(ArchiveEntry);
export const ArchiveTransferInput = Type.Object(
  {
    centreId: Id,
    destination: Str(200),
    reference: Type.Optional(OrNull(Str(120))),
    fileIds: Type.Optional(Type.Array(Id, { maxItems: 10000 })),
    archivedBefore: Type.Optional(OrNull(Str(10))),
  },
  { additionalProperties: false },
);
export const ArchiveTransfer = Type.Object({
  id: Type.String(),
  number: Type.String(),
  destination: Type.String(),
  reference: Nullable(Type.String()),
  fileCount: Type.Integer(),
  transferredAt: Type.String(),
});
export const ArchiveTransfers = Items(
  Type.Object({
    id: Type.String(),
    number: Type.String(),
    destination: Type.String(),
    reference: Nullable(Type.String()),
    fileCount: Type.Integer(),
    transferredAt: Type.String(),
    transferredBy: Nullable(Type.String()),
  }),
);
export const CentreQuery = Type.Object({ centreId: Id });

// ---------------------------------------------------------------------------------------------
// Reports

export const AgeingQuery = Type.Object({
  centreId: Id,
  days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('pdf')])),
});
const AgeingFile = Type.Object({
  id: Type.String(),
  number: Type.String(),
  kind: Type.String(),
  kindLabel: Type.String(),
  personName: Type.String(),
  sendingUnit: Type.String(),
  registeredAt: Type.String(),
  ageDays: Type.Integer(),
  status: Type.String(),
  statusLabel: Type.String(),
  priority: Type.String(),
  priorityLabel: Type.String(),
  dueOn: Nullable(Type.String()),
});
export const Ageing = Type.Object({
  centre: Ref,
  asOf: Type.String(),
  days: Type.Integer(),
  total: Type.Integer(),
  offices: Type.Array(
    Type.Object({
      officeId: Nullable(Type.String()),
      code: Nullable(Type.String()),
      name: Type.String(),
      count: Type.Integer(),
      files: Type.Array(AgeingFile),
    }),
  ),
});
export const AgeingRecordInput = Type.Object(
  { centreId: Id, days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })) },
  { additionalProperties: false },
);
export const AgeingRecord = Type.Object({
  id: Type.String(),
  centreId: Type.String(),
  period: Nullable(Type.String({ description: 'AAAA-MM du compte rendu mensuel ; null : établi à la demande' })),
  asOf: Type.String(),
  days: Type.Integer(),
  fileCount: Type.Integer(),
  totals: Type.Array(
    Type.Object({
      officeId: Nullable(Type.String()),
      code: Nullable(Type.String()),
      name: Type.String(),
      count: Type.Integer(),
    }),
  ),
  generatedBy: Type.String(),
  analysis: Nullable(Type.String()),
  measures: Nullable(Type.String()),
  analysedBy: Nullable(Type.String()),
  analysedAt: Nullable(Type.String()),
});
export const AgeingRecords = Items(AgeingRecord);
export const AnalysisInput = Type.Object(
  {
    analysis: Str(4000, 'Raisons internes et externes de la situation'),
    measures: Str(4000, 'Mesures prises (priorités relatives ou absolues…)'),
  },
  { additionalProperties: false },
);

export const ExpenseQuery = Type.Object({
  centreId: Id,
  month: Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'AAAA-MM' }),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
});
export const ExpenseStatement = Type.Object({
  centre: Ref,
  month: Type.String(),
  items: Type.Array(
    Type.Object({
      organizationId: Type.String(),
      code: Type.String(),
      name: Type.String(),
      files: Type.Integer(),
      totalCents: Type.Integer(),
      total: Type.String(),
    }),
  ),
  files: Type.Integer(),
  totalCents: Type.Integer(),
  total: Type.String(),
});
