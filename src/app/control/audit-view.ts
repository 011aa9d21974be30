import { pageOf } from '../scope.ts';
import { verifyAuditChain } from '../../store/audit.ts';
import { authorize, scopeRoots } from '../access/authorize.ts';
import type { Actor, AppContext } from '../context.ts';

export interface AuditQuery {
  page?: number;
  pageSize?: number;
  action?: string;
  outcome?: string;
  targetId?: string;
}

/** Audit records visible to the caller: all for national roles, their organisations' otherwise. */
export async function listAudit(ctx: AppContext, actor: Actor, q: AuditQuery) {
  const roots = await scopeRoots(ctx, actor, 'audit.read');
  if (roots !== null && roots.length === 0) await authorize(ctx, actor, 'audit.read', null);
  const { page, pageSize, offset } = pageOf(q, 50, 200);
  let base = ctx.store.db.selectFrom('audit_log as l').leftJoin('organizations as o', 'o.id', 'l.organization_id');
  if (roots !== null) {
    base = base.where((eb) => eb.or(roots.map((r) => eb('o.path', 'like', `%/${r}/%`))));
  }
  if (q.action) base = base.where('l.action', 'like', `${q.action.replace(/[%_]/g, '')}%`);
  if (q.outcome) base = base.where('l.outcome', '=', q.outcome);
  if (q.targetId) base = base.where('l.target_id', '=', q.targetId);
  const total = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await base
    .leftJoin('agents as a', 'a.id', 'l.actor_id')
    .select([
      'l.seq',
      'l.at',
      'l.actor_id',
      'l.actor_role',
      'l.organization_id',
      'l.action',
      'l.outcome',
      'l.target_type',
      'l.target_id',
      'l.request_id',
      'l.summary',
      'l.evidence',
      'l.hash',
      'o.name as organization_name',
      'a.first_names',
      'a.last_name',
    ])
    .orderBy('l.seq', 'desc')
    .limit(pageSize)
    .offset(offset)
    .execute();
  return {
    items: rows.map((r) => ({
      seq: r.seq,
      at: r.at,
      actorId: r.actor_id,
      actorName: r.last_name ? `${r.first_names} ${r.last_name}` : r.actor_id,
      actorRole: r.actor_role,
      organizationId: r.organization_id,
      organizationName: r.organization_name,
      action: r.action,
      outcome: r.outcome,
      targetType: r.target_type,
      targetId: r.target_id,
      requestId: r.request_id,
      summary: JSON.parse(r.summary) as unknown,
      evidence: JSON.parse(r.evidence) as unknown,
      hash: r.hash,
    })),
    total: Number(total.n),
    page,
    pageSize,
  };
}

export async function verifyAudit(ctx: AppContext, actor: Actor) {
  await authorize(ctx, actor, 'audit.read', null);
  return verifyAuditChain(ctx.store);
}

export async function listMails(ctx: AppContext, actor: Actor) {
  await authorize(ctx, actor, 'mail.read', null);
  const rows = await ctx.store.db
    .selectFrom('mails')
    .select(['id', 'recipient', 'subject', 'status', 'transport', 'created_at', 'sent_at'])
    .orderBy('created_at', 'desc')
    .limit(200)
    .execute();
  return {
    items: rows.map((m) => ({
      id: m.id,
      recipient: m.recipient,
      subject: m.subject,
      status: m.status,
      transport: m.transport,
      createdAt: m.created_at,
      sentAt: m.sent_at,
    })),
  };
}

export async function getMail(ctx: AppContext, actor: Actor, id: string) {
  await authorize(ctx, actor, 'mail.read', null);
  const m = await ctx.store.db.selectFrom('mails').selectAll().where('id', '=', id).executeTakeFirst();
  if (!m) return null;
  return {
    id: m.id,
    recipient: m.recipient,
    subject: m.subject,
    status: m.status,
    transport: m.transport,
    createdAt: m.created_at,
    sentAt: m.sent_at,
    body: m.body,
  };
}
