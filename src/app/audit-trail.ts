import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { appendAudit, type AuditEntry } from '../store/audit.ts';
import type { AppContext, Actor } from './context.ts';
import type { Authorization } from './access/authorize.ts';

export interface Change<T> {
  result: T;
  targetType: string;
  targetId: string;
  summary: unknown;
  evidence?: string[];
}

/** The audit record of a successful change (for writers that append several in one transaction). */
export function auditEntry(
  ctx: AppContext,
  actor: Actor,
  auth: Authorization,
  action: string,
  change: Omit<Change<unknown>, 'result'>,
): AuditEntry {
  return {
    at: ctx.now().toISOString(),
    actorId: auth.actorId,
    actorRole: auth.role,
    organizationId: auth.organizationId,
    action,
    outcome: 'ok',
    targetType: change.targetType,
    targetId: change.targetId,
    requestId: actor.requestId,
    summary: change.summary,
    evidence: change.evidence ?? [],
  };
}

/** One transaction: the state change and its audit record land together or not at all. */
export async function changeWithAudit<T>(
  ctx: AppContext,
  actor: Actor,
  auth: Authorization,
  action: string,
  work: (trx: Transaction<Database>) => Promise<Change<T>>,
): Promise<T> {
  return ctx.store.db.transaction().execute(async (trx) => {
    const change = await work(trx);
    await appendAudit(trx, ctx.store, auditEntry(ctx, actor, auth, action, change));
    return change.result;
  });
}
