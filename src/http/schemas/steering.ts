// Steering (seed 003 annex II): the centre's dashboard, the card programme's dashboard, the monthly
// entries and thresholds of the head of centre, the « recueil des tableaux de bord », each user's to-do.
import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './common.ts';

export { IdParams, responses, binary } from './common.ts';

const N = Nullable(Type.Number());

export const DashboardQuery = Type.Object({
  month: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}$', description: 'Dernier mois affiché (AAAA-MM)' })),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('pdf')])),
});

export const CentreMonth = Type.Object({
  month: Type.String(),
  means: Type.Object({
    planned: N,
    plannedMilitary: N,
    plannedProcessing: N,
    actual: N,
    actualMilitary: N,
    available: N,
    availableProcessing: N,
    supervisionRate: N,
    reserveDaysPlanned: N,
    reserveDaysDone: N,
  }),
  activity: Type.Object({ registered: Type.Integer(), processed: Type.Integer(), controlled: Type.Integer() }),
  warnings: Type.Object({
    controlAnomalyRate: N,
    amountAnomalyRate: N,
    returnedFiles: Type.Integer(),
    rejectedByPayingCentre: N,
    debtRecoveries: N,
    overpayments: N,
    overpaymentServiceRate: N,
    overpaymentHoldersRate: N,
    overpaymentUnitsRate: N,
    overpaymentOtherRate: N,
    overpaymentAmount: N,
    averageDaysByKind: Type.Record(Type.String(), Type.Number()),
    averageDays: N,
  }),
});

export const WarningState = Type.Object({
  key: Type.String(),
  label: Type.String(),
  unit: Type.String(),
  threshold: N,
  value: N,
  red: Type.Boolean(),
  redMonths: Type.Array(Type.String()),
});

export const CentreDashboard = Type.Object({
  centreId: Type.String(),
  centreName: Type.String(),
  asOf: Type.String(),
  refreshedAt: Nullable(Type.String()),
  months: Type.Array(CentreMonth),
  kinds: Type.Array(Type.Object({ code: Type.String(), label: Type.String() })),
  warnings: Type.Array(WarningState),
});
export type CentreDashboardShape = Static<typeof CentreDashboard>;

export const CentreMonthParams = Type.Object({
  id: Type.String({ maxLength: 64 }),
  month: Type.String({ pattern: '^\\d{4}-\\d{2}$' }),
});

const Figure = Type.Optional(Nullable(Type.Integer({ minimum: 0 })));
/** The head of centre's monthly entry (figures outside the platform); empty fields stay unknown. */
export const MonthlyFigures = Type.Object(
  {
    planned: Figure,
    plannedMilitary: Figure,
    plannedProcessing: Figure,
    actual: Figure,
    actualMilitary: Figure,
    mpeIn: Figure,
    mpeOut: Figure,
    absentWholeMonth: Figure,
    availableProcessing: Figure,
    supervisors: Figure,
    reserveDaysPlanned: Figure,
    reserveDaysDone: Figure,
    debtRecoveries: Figure,
    overpaymentsService: Figure,
    overpaymentsHolders: Figure,
    overpaymentsUnits: Figure,
    overpaymentsOther: Figure,
    overpaymentAmountCents: Figure,
    rejectedByPayingCentre: Figure,
  },
  { additionalProperties: false },
);

export const ThresholdParams = Type.Object({
  id: Type.String({ maxLength: 64 }),
  indicator: Type.String({ maxLength: 64 }),
});
export const ThresholdInput = Type.Object(
  { threshold: Nullable(Type.Number({ minimum: 0 })) },
  { additionalProperties: false },
);
export const Threshold = Type.Object({ indicator: Type.String(), threshold: N });

export const ArchivedDashboards = Type.Object({
  items: Type.Array(
    Type.Object({ id: Type.String(), month: Type.String(), sha256: Type.String(), createdAt: Type.String() }),
  ),
});
export const ArchiveParams = Type.Object({
  id: Type.String({ maxLength: 64 }),
  format: Type.Union([Type.Literal('csv'), Type.Literal('pdf')]),
});

export const CardDashboardQuery = Type.Object({
  organizationId: Type.Optional(Type.String({ maxLength: 64 })),
});
const Bounded = Type.Object({ count: Type.Integer(), exact: Type.Boolean() });
export const CardDashboard = Type.Object({
  organizationId: Nullable(Type.String()),
  organizationName: Type.String(),
  asOf: Type.String(),
  refreshedAt: Nullable(Type.String()),
  months: Type.Array(
    Type.Object({
      month: Type.String(),
      ordered: Type.Integer(),
      produced: Type.Integer(),
      handedOver: Type.Integer(),
      activated: Type.Integer(),
      revoked: Type.Integer(),
      revokedByReason: Type.Record(Type.String(), Type.Integer()),
      averageHandoverDays: N,
      billedCents: Type.Integer(),
    }),
  ),
  waitingOver48h: Bounded,
  expiringWithin30Days: Bounded,
  reasonLabels: Type.Record(Type.String(), Type.String()),
});
export type CardDashboardShape = Static<typeof CardDashboard>;

export const Task = Type.Object({
  key: Type.String(),
  label: Type.String(),
  count: Nullable(Type.Integer()),
  exact: Type.Boolean(),
  href: Nullable(Type.String()),
  urgent: Type.Boolean(),
});
export const Tasks = Type.Object({
  holderSetup: Nullable(Type.Object({ href: Type.String() })),
  items: Type.Array(Task),
});
export type TasksShape = Static<typeof Tasks>;
