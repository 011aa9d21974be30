import { appendAudit } from '../store/audit.ts';
import { actorId } from './authorize.ts';
import { AppError, type AppErrorCode } from './errors.ts';
import type { Actor, AppContext } from './context.ts';

/** Writes the refusal to the audit trail (its own transaction), then throws it with its French reason. */
export async function refuseAudited(
  ctx: AppContext, actor: Actor, action: string, orgId: string | null, target: { type: string; id: string }, reason: string, code: AppErrorCode = 'forbidden',
): Promise<never> {
  await ctx.store.db.transaction().execute(async (trx) => {
    await appendAudit(trx, ctx.store, {
      at: ctx.now().toISOString(), actorId: actorId(actor),
      actorRole: actor.kind === 'person' ? actor.grants.map((g) => g.role).join(',') || null : actor.kind,
      organizationId: orgId, action, outcome: 'refused', targetType: target.type, targetId: target.id, requestId: actor.requestId,
      summary: { reason },
    });
  });
  throw new AppError(code, reason);
}
