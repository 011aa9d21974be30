// Internal control of a processing centre (seed 003 §4): request and response shapes of
// /api/control/*. Imports TypeBox and ./common.ts only, so the portal can take its types from here.
import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './common.ts';

export { binary, IdParams, responses } from './common.ts';

const Ref = Type.Object({ id: Type.String(), name: Type.String() });
const Id = Type.String({ maxLength: 64 });
const Period = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'Mois (AAAA-MM)' });
const Level = Type.Integer({ minimum: 1, maximum: 3, description: '1 faible, 2 moyen, 3 élevé' });
const NullableText = (maxLength: number) => Type.Optional(Type.Union([Type.String({ maxLength }), Type.Null()]));

export const CentreParams = Type.Object({ centreId: Id });
export const SheetStepParams = Type.Object({
  id: Id,
  step: Type.Union([
    Type.Literal('bomVisa'),
    Type.Literal('followUp'),
    Type.Literal('centreVisa'),
    Type.Literal('archive'),
  ]),
});

// ---------------------------------------------------------------------------------------------
// Plans and samples

export const PlanInput = Type.Object(
  {
    centreId: Id,
    period: Period,
    note: NullableText(2000),
    lines: Type.Array(
      Type.Object(
        {
          kindCode: Type.String({ maxLength: 40 }),
          officeId: Type.Optional(Type.Union([Id, Type.Null()])),
          errorPotential: Level,
          amountStakes: Level,
          objective: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 10000 }), Type.Null()])),
          note: NullableText(500),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50 },
    ),
  },
  { additionalProperties: false },
);
export type PlanInput = Static<typeof PlanInput>;

export const PlanLine = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  kindLabel: Type.String(),
  office: Nullable(Ref),
  errorPotential: Type.Integer(),
  errorPotentialLabel: Type.String(),
  amountStakes: Type.Integer(),
  amountStakesLabel: Type.String(),
  lastMonthControls: Type.Integer(),
  lastMonthAnomalies: Type.Integer(),
  population: Type.Integer({ description: 'Dossiers traités dans le mois (jusqu’au tirage)' }),
  suggested: Type.Integer({ description: 'Objectif proposé par la plateforme' }),
  objective: Type.Integer(),
  note: Nullable(Type.String()),
});

export const PlanControl = Type.Object({
  id: Type.String(),
  fileId: Type.String(),
  fileNumber: Type.String(),
  kindLabel: Type.String(),
  personName: Type.String(),
  office: Nullable(Type.String()),
  fileStatusLabel: Type.String(),
  processedAt: Nullable(Type.String()),
  amountCents: Nullable(Type.Integer()),
  origin: Type.String(),
  originLabel: Type.String(),
  status: Type.String(),
  statusLabel: Type.String(),
  anomaly: Nullable(Type.Boolean()),
  controller: Nullable(Type.String()),
  controlledAt: Nullable(Type.String()),
});

export const Plan = Type.Object({
  id: Type.String(),
  centre: Ref,
  type: Type.String({ description: 'monthly | deontological' }),
  period: Type.String(),
  periodLabel: Type.String(),
  seed: Type.String({ description: 'Graine du tirage : même graine et mêmes dossiers, même échantillon' }),
  note: Nullable(Type.String()),
  createdBy: Nullable(Type.String()),
  createdAt: Type.String(),
  drawnAt: Nullable(Type.String()),
  drawnBy: Nullable(Type.String()),
  reproducible: Nullable(Type.Boolean({ description: 'Le tirage refait depuis la graine donne le même échantillon' })),
  stamp: Type.String(),
  lines: Type.Array(PlanLine),
  controls: Type.Array(PlanControl),
});
export type Plan = Static<typeof Plan>;
export const PlanAnswer = Type.Unsafe<Plan>(Plan);

export const PlanList = Type.Object({
  centre: Ref,
  offices: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), code: Type.String() })),
  kinds: Type.Array(Type.Object({ code: Type.String(), label: Type.String() })),
  items: Type.Array(
    Type.Object({
      id: Type.String(),
      type: Type.String(),
      period: Type.String(),
      periodLabel: Type.String(),
      drawnAt: Nullable(Type.String()),
      toControl: Type.Integer(),
      controlled: Type.Integer(),
    }),
  ),
});
export type PlanList = Static<typeof PlanList>;

export const AddFileInput = Type.Object(
  { fileNumber: Type.String({ maxLength: 40 }), reason: NullableText(500) },
  { additionalProperties: false },
);

// ---------------------------------------------------------------------------------------------
// Control of a file

const VerdictInput = Type.Object(
  { verdict: Type.Union([Type.Literal('conform'), Type.Literal('anomaly')]), note: NullableText(1000) },
  { additionalProperties: false },
);
export const ControlInput = Type.Object(
  {
    verdicts: Type.Object(
      { evidence: VerdictInput, coherence: VerdictInput, rules: VerdictInput },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type ControlInput = Static<typeof ControlInput>;

export const Control = Type.Object({
  id: Type.String(),
  planId: Type.String(),
  period: Type.String(),
  origin: Type.String(),
  originLabel: Type.String(),
  status: Type.String(),
  statusLabel: Type.String(),
  file: Type.Object({
    id: Type.String(),
    number: Type.String(),
    kindLabel: Type.String(),
    personName: Type.String(),
    statusLabel: Type.String(),
    office: Nullable(Type.String()),
    processedAt: Nullable(Type.String()),
    processedBy: Nullable(Type.String()),
    amountCents: Nullable(Type.Integer()),
    paid: Type.Boolean(),
    regularInForm: Type.Boolean(),
  }),
  objects: Type.Array(
    Type.Object({
      code: Type.String(),
      label: Type.String(),
      verdict: Nullable(Type.String()),
      verdictLabel: Nullable(Type.String()),
      note: Nullable(Type.String()),
    }),
  ),
  anomaly: Nullable(Type.Boolean()),
  controller: Nullable(Type.String()),
  controlledAt: Nullable(Type.String()),
  stamp: Nullable(Type.String()),
  sheets: Type.Array(
    Type.Object({ id: Type.String(), number: Type.String(), status: Type.String(), object: Type.String() }),
  ),
  transmissions: Type.Array(Type.Object({ id: Type.String(), number: Type.String(), createdAt: Type.String() })),
  ownWork: Type.Boolean({
    description: 'Vous avez travaillé sur ce dossier, ou il vous concerne : vous ne le contrôlez pas',
  }),
});
export type Control = Static<typeof Control>;

// ---------------------------------------------------------------------------------------------
// Control sheets (annex IV)

export const SheetInput = Type.Object(
  {
    object: Type.Union([Type.Literal('evidence'), Type.Literal('coherence'), Type.Literal('rules')]),
    rule: Type.String({ maxLength: 40 }),
    findings: Type.String({ maxLength: 4000 }),
  },
  { additionalProperties: false },
);
export type SheetInput = Static<typeof SheetInput>;

export const SheetStepInput = Type.Object(
  { note: NullableText(2000), followUp: NullableText(4000) },
  { additionalProperties: false },
);

export const Sheet = Type.Object({
  id: Type.String(),
  number: Type.String(),
  centre: Ref,
  controlId: Type.String(),
  file: Type.Object({
    id: Type.String(),
    number: Type.String(),
    personName: Type.String(),
    kindLabel: Type.String(),
    processedAt: Nullable(Type.String()),
    processedBy: Nullable(Type.String()),
  }),
  office: Nullable(Ref),
  period: Type.String(),
  object: Type.String(),
  objectLabel: Type.String(),
  rule: Type.String(),
  ruleLabel: Type.String(),
  findings: Type.String(),
  amountCents: Nullable(Type.Integer()),
  status: Type.String(),
  statusLabel: Type.String(),
  controlledAt: Nullable(Type.String()),
  controller: Nullable(Type.String()),
  openedBy: Nullable(Type.String()),
  openedAt: Type.String(),
  steps: Type.Array(
    Type.Object({
      step: Type.String(),
      label: Type.String(),
      by: Nullable(Type.String()),
      at: Nullable(Type.String()),
      text: Nullable(Type.String()),
    }),
  ),
  nextStep: Nullable(Type.String()),
  nextStepLabel: Nullable(Type.String()),
  canAct: Type.Boolean({ description: 'Vous pouvez porter l’étape suivante' }),
});
export type Sheet = Static<typeof Sheet>;
export const SheetAnswer = Type.Unsafe<Sheet>(Sheet);

export const SheetQuery = Type.Object({
  status: Type.Optional(Type.String({ maxLength: 20 })),
  period: Type.Optional(Period),
  mine: Type.Optional(Type.Boolean({ description: 'Seulement les fiches qui attendent votre visa ou votre suite' })),
});
export const SheetList = Type.Object({ centre: Ref, items: Type.Array(SheetAnswer) });
export type SheetList = Static<typeof SheetList>;

// ---------------------------------------------------------------------------------------------
// Syntheses, transmissions

export const SynthesisInput = Type.Object(
  {
    period: Period,
    recurrenceMonths: Type.Optional(Type.Union([Type.Integer({ minimum: 2, maximum: 12 }), Type.Null()])),
  },
  { additionalProperties: false },
);

export const Synthesis = Type.Object({
  id: Type.String(),
  centre: Ref,
  period: Type.String(),
  periodLabel: Type.String(),
  createdAt: Type.String(),
  createdBy: Nullable(Type.String()),
  sha256: Type.String(),
  recurrenceMonths: Type.Integer(),
  totals: Type.Object({
    controlled: Type.Integer(),
    anomalies: Type.Integer(),
    anomalyRate: Type.Number(),
    amountCents: Type.Integer(),
    anomalyAmountCents: Type.Integer(),
  }),
  byOffice: Type.Array(
    Type.Object({ office: Type.String(), kind: Type.String(), controlled: Type.Integer(), anomalies: Type.Integer() }),
  ),
  byObject: Type.Array(Type.Object({ object: Type.String(), label: Type.String(), anomalies: Type.Integer() })),
  sheets: Type.Array(
    Type.Object({
      id: Type.String(),
      number: Type.String(),
      fileNumber: Type.String(),
      office: Type.String(),
      ruleLabel: Type.String(),
      statusLabel: Type.String(),
    }),
  ),
  proposals: Type.Array(
    Type.Object({
      kind: Type.String(),
      kindLabel: Type.String(),
      office: Type.String(),
      rule: Type.String(),
      ruleLabel: Type.String(),
      months: Type.Array(Type.String()),
      sheets: Type.Integer(),
    }),
  ),
});
export type Synthesis = Static<typeof Synthesis>;
export const SynthesisAnswer = Type.Unsafe<Synthesis>(Synthesis);
export const SynthesisList = Type.Object({ centre: Ref, items: Type.Array(SynthesisAnswer) });

export const TransmissionInput = Type.Object(
  { grounds: Type.String({ maxLength: 4000 }) },
  { additionalProperties: false },
);
export const Transmission = Type.Object({
  id: Type.String(),
  number: Type.String(),
  recipient: Ref,
  createdAt: Type.String(),
});
