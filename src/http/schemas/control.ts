// Control: the audit trail, its verification, the mails sent.
import { Type } from '@sinclair/typebox';
import { KeysetQuery, Nullable } from './common.ts';

export const AuditQuery = Type.Object({
  ...KeysetQuery,
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  action: Type.Optional(Type.String({ maxLength: 64 })),
  outcome: Type.Optional(Type.Union([Type.Literal('ok'), Type.Literal('refused')])),
  targetId: Type.Optional(Type.String({ maxLength: 64 })),
});

export const AuditRecord = Type.Object({
  seq: Type.Integer(),
  at: Type.String(),
  actorId: Nullable(Type.String()),
  actorName: Nullable(Type.String()),
  actorRole: Nullable(Type.String()),
  organizationId: Nullable(Type.String()),
  organizationName: Nullable(Type.String()),
  action: Type.String(),
  outcome: Type.String(),
  targetType: Nullable(Type.String()),
  targetId: Nullable(Type.String()),
  requestId: Nullable(Type.String()),
  summary: Type.Unknown({ description: 'Résumé du changement (JSON)' }),
  evidence: Type.Unknown({ description: 'Éléments de preuve (JSON)' }),
  hash: Type.String(),
});

export const AuditVerification = Type.Object({
  ok: Type.Boolean(),
  checked: Type.Integer(),
  headSeq: Type.Integer(),
  firstBroken: Nullable(Type.Object({ seq: Type.Integer(), reason: Type.String() })),
});

export const MailSummary = Type.Object({
  id: Type.String(),
  recipient: Type.String(),
  subject: Type.String(),
  status: Type.String(),
  transport: Type.String(),
  createdAt: Type.String(),
  sentAt: Nullable(Type.String()),
});

export const Mail = Type.Object({ ...MailSummary.properties, body: Type.String() });

/** A tile of the home page: exact when `exact`, else a lower bound (« plus de »). */
export const Count = Type.Object({ count: Type.Integer(), exact: Type.Boolean() });

/** The home page's counters; null where the caller's roles do not show the tile. */
export const HomeCounts = Type.Object({
  organizations: Nullable(Count),
  agents: Nullable(Count),
  audit: Nullable(Count),
  mails: Nullable(Count),
});
