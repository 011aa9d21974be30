// API shapes of operations: health, version, journal, backups, jobs, retention, personal data.
// Pure TypeBox (no server import) so the portal can derive its types from them.
import { Type, type Static } from '@sinclair/typebox';

export const Check = Type.Object({ ok: Type.Boolean(), detail: Type.String() });

export const Readiness = Type.Object({
  status: Type.Union([Type.Literal('prêt'), Type.Literal('indisponible')]),
  checks: Type.Object({ database: Check, migrations: Check, disk: Check, keys: Check }),
  instance: Type.String(),
});
export type Readiness = Static<typeof Readiness>;

export const Liveness = Type.Object({ status: Type.Literal('ok'), instance: Type.String() });

export const Version = Type.Object({
  name: Type.String(),
  version: Type.String(),
  commit: Type.Union([Type.String(), Type.Null()]),
  schema: Type.String(),
  node: Type.String(),
  instance: Type.String(),
  startedAt: Type.String(),
});
export type Version = Static<typeof Version>;

export const JournalEntry = Type.Object({
  id: Type.String(),
  at: Type.String(),
  kind: Type.String(),
  kindLabel: Type.String(),
  status: Type.String(),
  reason: Type.Union([Type.String(), Type.Null()]),
  actorId: Type.Union([Type.String(), Type.Null()]),
  backupId: Type.Union([Type.String(), Type.Null()]),
  location: Type.Union([Type.String(), Type.Null()]),
  summary: Type.Record(Type.String(), Type.Unknown()),
  checkedAt: Type.Union([Type.String(), Type.Null()]),
  checkedBy: Type.Union([Type.String(), Type.Null()]),
  checkNote: Type.Union([Type.String(), Type.Null()]),
});
export type JournalEntry = Static<typeof JournalEntry>;
export const JournalList = Type.Object({ items: Type.Array(JournalEntry) });
export type JournalList = Static<typeof JournalList>;

export const JournalQuery = Type.Object({
  kind: Type.Optional(
    Type.Union(['backup', 'verify', 'restore', 'prune', 'retention', 'check'].map((k) => Type.Literal(k))),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  before: Type.Optional(Type.String({ maxLength: 40 })),
});

export const CheckBody = Type.Object(
  { note: Type.String({ minLength: 3, maxLength: 1000 }) },
  { additionalProperties: false },
);
export const CheckResult = Type.Object({ id: Type.String(), checkedAt: Type.String() });

export const BackupItem = Type.Object({
  id: Type.String(),
  path: Type.String(),
  createdAt: Type.String(),
  reason: Type.String(),
  dialect: Type.String(),
  size: Type.Integer(),
  auditHeadSeq: Type.Integer(),
  rows: Type.Integer(),
  verifiedAt: Type.Union([Type.String(), Type.Null()]),
  verifiedOk: Type.Union([Type.Boolean(), Type.Null()]),
});
export type BackupItem = Static<typeof BackupItem>;
export const BackupList = Type.Object({
  items: Type.Array(BackupItem),
  folder: Type.String(),
  keepDays: Type.Integer(),
  time: Type.String(),
});
export type BackupList = Static<typeof BackupList>;

export const BackupCreated = Type.Object({ id: Type.String(), path: Type.String(), size: Type.Integer() });

export const VerifyReport = Type.Object({
  ok: Type.Boolean(),
  backupId: Type.String(),
  checks: Type.Array(Type.Object({ label: Type.String(), ok: Type.Boolean(), detail: Type.Optional(Type.String()) })),
});
export type VerifyReport = Static<typeof VerifyReport>;

export const Job = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  kindLabel: Type.String(),
  status: Type.String(),
  statusLabel: Type.String(),
  attempts: Type.Integer(),
  runAt: Type.String(),
  createdAt: Type.String(),
  lastAttemptAt: Type.Union([Type.String(), Type.Null()]),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
});
export type Job = Static<typeof Job>;
export const JobQuery = Type.Object({
  status: Type.Optional(Type.Union(['pending', 'running', 'done', 'failed'].map((k) => Type.Literal(k)))),
  kind: Type.Optional(Type.String({ maxLength: 60 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
});
export const JobList = Type.Object({
  items: Type.Array(Job),
  queue: Type.Array(
    Type.Object({
      kind: Type.String(),
      status: Type.String(),
      count: Type.Integer(),
      oldest: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});
export type JobList = Static<typeof JobList>;

export const TaskRun = Type.Object({
  task: Type.String(),
  slot: Type.String(),
  status: Type.String(),
  owner: Type.String(),
  startedAt: Type.String(),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
});
export const OperationsStatus = Type.Object({
  readiness: Readiness,
  version: Version,
  tasks: Type.Array(TaskRun),
});
export type OperationsStatus = Static<typeof OperationsStatus>;

export const RetentionBody = Type.Object({ dryRun: Type.Boolean() }, { additionalProperties: false });
export const RetentionResult = Type.Object({
  dryRun: Type.Boolean(),
  at: Type.String(),
  counts: Type.Record(Type.String(), Type.Integer()),
  labels: Type.Record(Type.String(), Type.String()),
});
export type RetentionResult = Static<typeof RetentionResult>;

export const IdParam = Type.Object({ id: Type.String({ maxLength: 80 }) });

/** Everything held about one agent (subject access request): sections of records, as stored. */
export const PersonalDataExport = Type.Record(Type.String(), Type.Unknown());
