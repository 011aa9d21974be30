// Requests: card models, card requests and their prerequisites, batches, billing, production follow-up.
import { Type } from '@sinclair/typebox';
import { ActionSignature } from './access.ts';
import { KeysetQuery, Nullable, PageQuery } from './common.ts';

const OptId = Type.Optional(Type.String({ maxLength: 64 }));

export const CardModel = Type.Object({
  id: Type.String(),
  code: Type.String(),
  label: Type.String(),
  population: Type.String(),
  populationLabel: Type.String(),
  kind: Type.String(),
  kindLabel: Type.String(),
  profiles: Type.Array(Type.String({ description: 'auth, sign ou enc' })),
  cardYears: Type.Integer(),
  status: Type.String(),
});

export const Prerequisite = Type.Object({
  code: Type.String(),
  label: Type.String(),
  ok: Type.Boolean(),
  reason: Nullable(Type.String({ description: 'Pourquoi le prérequis manque (en français)' })),
});

export const Quota = Type.Object({
  billing: Type.String({ description: 'free ou billed' }),
  billingLabel: Type.String(),
  priceCents: Type.Integer(),
  reason: Type.String({ description: 'Explication de la décision (en français)' }),
});

export const RequestKind = Type.Union([
  Type.Literal('first_issue'),
  Type.Literal('renewal'),
  Type.Literal('replacement'),
  Type.Literal('instant'),
]);

export const PrerequisitesQuery = Type.Object({
  modelId: Type.String({ maxLength: 64 }),
  kind: Type.Optional(RequestKind),
  reason: Type.Optional(Type.String({ maxLength: 32 })),
});

export const PrerequisitesResult = Type.Object({
  agentId: Type.String(),
  modelId: Type.String(),
  kind: Type.String(),
  reason: Nullable(Type.String()),
  ok: Type.Boolean({ description: 'Tous les prérequis sont remplis' }),
  prerequisites: Type.Array(Prerequisite),
  quota: Quota,
});

export const CardRequest = Type.Object({
  id: Type.String(),
  number: Type.String({ description: 'D-2026-000123' }),
  state: Type.String(),
  stateLabel: Type.String(),
  kind: Type.String(),
  kindLabel: Type.String(),
  reason: Nullable(Type.String()),
  reasonLabel: Nullable(Type.String()),
  agent: Type.Object({
    id: Type.String(),
    identifier: Type.String(),
    firstNames: Type.String(),
    lastName: Type.String(),
  }),
  organizationId: Type.String(),
  organizationName: Type.String(),
  model: Type.Object({ id: Type.String(), code: Type.String(), label: Type.String() }),
  billing: Type.String(),
  billingLabel: Type.String(),
  priceCents: Type.Integer(),
  batch: Nullable(Type.Object({ id: Type.String(), number: Nullable(Type.String()) })),
  replacesCardId: Nullable(Type.String()),
  cardId: Nullable(Type.String()),
  createdBy: Nullable(Type.String()),
  signedBy: Nullable(Type.String()),
  signedAt: Nullable(Type.String()),
  rejectionReason: Nullable(Type.String()),
  cancelReason: Nullable(Type.String()),
  cancelledAt: Nullable(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

/** What the operator's card signs (docs/cards.md §3), computed by the server. */
const ToSign = <C extends ReturnType<typeof Type.Object>>(content: C) =>
  Nullable(Type.Object({ action: Type.String(), target: Type.String(), content }));

export const CardRequestDetail = Type.Object({
  ...CardRequest.properties,
  model: CardModel,
  prerequisites: Type.Array(Prerequisite),
  prerequisitesOk: Type.Boolean(),
  quota: Quota,
  toSign: ToSign(
    Type.Object({
      number: Type.String(),
      agentId: Type.String(),
      modelId: Type.String(),
      kind: Type.String(),
      reason: Nullable(Type.String()),
      replacesCardId: Nullable(Type.String()),
      billing: Type.String(),
      priceCents: Type.Integer(),
    }),
  ),
});

const Reason = Nullable(Type.String({ maxLength: 32 }));
const ReplacedCard = Type.Optional(Nullable(Type.String({ maxLength: 64 })));

export const CardRequestInput = Type.Object(
  {
    agentId: Type.String({ maxLength: 64 }),
    modelId: Type.String({ maxLength: 64 }),
    kind: RequestKind,
    reason: Type.Optional(Reason),
    replacesCardId: ReplacedCard,
  },
  { additionalProperties: false },
);

export const CardRequestPatch = Type.Object(
  {
    modelId: Type.Optional(Type.String({ maxLength: 64 })),
    kind: Type.Optional(RequestKind),
    reason: Type.Optional(Reason),
    replacesCardId: ReplacedCard,
  },
  { additionalProperties: false },
);

export const CardRequestSearch = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 100 })),
  state: Type.Optional(Type.String({ maxLength: 120, description: 'États séparés par des virgules' })),
  kind: Type.Optional(RequestKind),
  organizationId: OptId,
  agentId: OptId,
  batchId: OptId,
  ...KeysetQuery,
});

export const CardRequestCancel = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500 }), signature: ActionSignature },
  { additionalProperties: false },
);

// --- Batches -------------------------------------------------------------------------------------

export const Batch = Type.Object({
  id: Type.String(),
  number: Type.String({ description: 'L-2026-0001' }),
  state: Type.String(),
  stateLabel: Type.String(),
  organizationId: Type.String(),
  organizationName: Type.String(),
  createdBy: Nullable(Type.String()),
  createdAt: Type.String(),
  validatedBy: Nullable(Type.String()),
  validatedAt: Nullable(Type.String()),
  sentAt: Nullable(Type.String()),
  acknowledgedAt: Nullable(Type.String()),
  closedAt: Nullable(Type.String()),
  updatedAt: Type.String(),
  requestCount: Type.Integer(),
  cancelledCount: Type.Integer(),
});

export const BatchDetail = Type.Object({
  ...Batch.properties,
  requests: Type.Array(CardRequest),
  toSign: ToSign(Type.Object({ number: Type.String(), requestIds: Type.Array(Type.String()) })),
});

export const BatchInput = Type.Object(
  {
    requestIds: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 500 }),
    signature: ActionSignature,
  },
  { additionalProperties: false },
);

export const BatchSearch = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 40 })),
  state: Type.Optional(Type.String({ maxLength: 120 })),
  organizationId: OptId,
  ...PageQuery,
});

// --- Billing -------------------------------------------------------------------------------------

const Day = Type.Optional(Type.String({ maxLength: 10, description: 'AAAA-MM-JJ' }));
export const BillingQuery = Type.Object({
  organizationId: OptId,
  from: Day,
  to: Day,
  ...PageQuery,
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});

export const BillingEntry = Type.Object({
  id: Type.String(),
  createdAt: Type.String(),
  organizationId: Type.String(),
  organizationName: Type.String(),
  requestId: Type.String(),
  requestNumber: Type.String(),
  agentId: Type.String(),
  agentIdentifier: Type.String(),
  agentName: Type.String(),
  label: Type.String(),
  amountCents: Type.Integer({ description: 'Montant HT en centimes (négatif pour un avoir)' }),
});

export const BillingLedger = Type.Object({
  items: Type.Array(BillingEntry),
  total: Type.Integer(),
  totalCents: Type.Integer(),
  page: Type.Integer(),
  pageSize: Type.Integer(),
});

// --- Production ----------------------------------------------------------------------------------

export const ManufacturerMessage = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  kindLabel: Type.String(),
  direction: Type.String({ description: 'out : plateforme → fabricant ; in : fabricant → plateforme' }),
  fileName: Type.String(),
  status: Type.String({ description: 'written, processed ou refused' }),
  message: Nullable(Type.String()),
  createdAt: Type.String(),
});

const Counts = Type.Record(Type.String(), Type.Integer(), { description: 'Nombre par état' });

export const ProductionBatch = Type.Object({
  id: Type.String(),
  number: Type.String(),
  state: Type.String(),
  organizationId: Type.String(),
  organizationName: Type.String(),
  validatedAt: Nullable(Type.String()),
  sentAt: Nullable(Type.String()),
  acknowledgedAt: Nullable(Type.String()),
  closedAt: Nullable(Type.String()),
  requests: Counts,
  cards: Counts,
  messages: Type.Array(ManufacturerMessage),
});

export const ProductionQuery = Type.Object({
  batchId: OptId,
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});

export const OrderSent = Type.Object({ sent: Type.Boolean(), items: Type.Integer() });
