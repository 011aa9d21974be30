import { sql } from 'kysely';
import { verifyAuditChain } from '../../store/audit.ts';
import { boundedCount, decodeCursor, pageOf, pageWindow, SORT_LIMIT, type PageRequest } from '../paging.ts';
import { inOrganizations, scopeOrganizations } from '../scope.ts';
import { authorize, scopeRoots } from '../access/authorize.ts';
import type { Actor, AppContext } from '../context.ts';

export interface AuditQuery extends PageRequest {
  action?: string;
  outcome?: string;
  targetId?: string;
}

/**
 * Audit records visible to the caller, newest first: every record when their scope covers every
 * organisation (national roles), their organisations' records otherwise. Pages by keyset on seq; the
 * unfiltered national total is the chain head's number (seq has no gaps), other totals are counted
 * up to COUNT_CAP through an index.
 */
export async function listAudit(ctx: AppContext, actor: Actor, q: AuditQuery) {
  const roots = await scopeRoots(ctx, actor, 'audit.read');
  if (roots !== null && roots.length === 0) await authorize(ctx, actor, 'audit.read', null);
  const win = pageWindow(q, 50, 200);
  const after = q.after ? decodeCursor(q.after, ['number']) : null;
  const orgs = await scopeOrganizations(ctx, roots);
  const db = ctx.store.db;
  const action = q.action?.replace(/[^A-Za-z0-9._-]/g, '');
  // `indexed: false` (SQLite): the filter columns are wrapped in +( ) so that the query walks seq
  // downwards and tests each record, instead of gathering every match through a filter's index.
  const filtered = (indexed: boolean) => {
    const col = (name: string) =>
      indexed || ctx.store.dialect === 'postgres' ? sql.ref(name) : sql`+${sql.ref(name)}`;
    let b = db.selectFrom('audit_log as l');
    if (orgs !== null) b = b.where(inOrganizations(ctx, orgs, 'l.organization_id', { index: indexed }));
    if (action)
      b = b.where(
        ctx.store.dialect === 'postgres'
          ? sql<boolean>`l.action like ${`${action}%`}`
          : sql<boolean>`${col('l.action')} >= ${action} and ${col('l.action')} < ${`${action}~`}`,
      );
    if (q.outcome) b = b.where(sql<boolean>`${col('l.outcome')} = ${q.outcome}`);
    if (q.targetId) b = b.where(sql<boolean>`${col('l.target_id')} = ${q.targetId}`);
    return b;
  };
  let counted: { n: number; exact: boolean };
  if (orgs === null && !action && !q.outcome && !q.targetId) {
    const head = await db.selectFrom('audit_head').select('seq').where('id', '=', 1).executeTakeFirst();
    counted = { n: head?.seq ?? 0, exact: true };
  } else {
    counted = await boundedCount(db, filtered(true));
  }
  // Few matching records: gather them through their index and sort; many: walk seq downwards.
  let rowsQuery = filtered(counted.exact && counted.n <= SORT_LIMIT);
  if (after) rowsQuery = rowsQuery.where('l.seq', '<', after[0] as number);
  const rows = await rowsQuery
    .leftJoin('organizations as o', 'o.id', 'l.organization_id')
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
    .limit(win.pageSize + 1)
    .offset(win.offset)
    .execute();
  return pageOf(
    rows,
    win,
    (r) => ({
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
    }),
    (r) => [r.seq],
    counted,
  );
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
