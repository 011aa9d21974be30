import { appendAudit } from '../store/audit.ts';
import { actorId } from './access/authorize.ts';
import { AppError, type AppErrorCode } from './errors.ts';
import type { Actor, AppContext } from './context.ts';

/** Writes a refusal to the audit trail, in its own transaction (the refused change wrote nothing). */
export async function auditRefusal(
  ctx: AppContext,
  actor: Actor,
  action: string,
  orgId: string | null,
  target: { type: string; id: string } | null,
  reason: string,
): Promise<void> {
  await ctx.store.db.transaction().execute(async (trx) => {
    await appendAudit(trx, ctx.store, {
      at: ctx.now().toISOString(),
      actorId: actorId(actor),
      actorRole: actor.kind === 'person' ? actor.grants.map((g) => g.role).join(',') || null : actor.kind,
      organizationId: orgId,
      action,
      outcome: 'refused',
      targetType: target?.type ?? null,
      targetId: target?.id ?? null,
      requestId: actor.requestId,
      summary: { reason },
    });
  });
}

/** Audits the refusal, then throws it with its French reason. */
export async function refuseAudited(
  ctx: AppContext,
  actor: Actor,
  action: string,
  orgId: string | null,
  target: { type: string; id: string },
  reason: string,
  code: AppErrorCode = 'forbidden',
): Promise<never> {
  await auditRefusal(ctx, actor, action, orgId, target, reason);
  throw new AppError(code, reason);
}
