// The home page's tiles: how many organisations, agents, audit records and mails the caller may see,
// without counting a big table: agents from the maintained counters (directory_counts), audit records
// from the chain head (national scope) or an index count bounded by COUNT_CAP, mails bounded too.
import { sql } from 'kysely';
import { roleGrants, type Permission } from '../../domain/roles.ts';
import { scopeRoots } from '../access/authorize.ts';
import { boundedCount } from '../paging.ts';
import { inOrganizations, scopeOrganizations } from '../scope.ts';
import type { Actor, AppContext } from '../context.ts';

export interface Count {
  /** Exact when `exact`, else a lower bound. */
  count: number;
  exact: boolean;
}

function may(actor: Actor, permission: Permission): boolean {
  if (actor.kind === 'system') return true;
  if (actor.kind === 'service') return false;
  return actor.grants.some((g) => roleGrants(g.role, permission));
}

export async function homeCounts(ctx: AppContext, actor: Actor) {
  const db = ctx.store.db;
  const out: { organizations: Count | null; agents: Count | null; audit: Count | null; mails: Count | null } = {
    organizations: null,
    agents: null,
    audit: null,
    mails: null,
  };
  if (may(actor, 'organization.read')) {
    const orgs = await scopeOrganizations(ctx, await scopeRoots(ctx, actor, 'organization.read'));
    const all =
      orgs === null
        ? Number(
            (
              await db
                .selectFrom('organizations')
                .select(sql<number>`count(*)`.as('n'))
                .executeTakeFirstOrThrow()
            ).n,
          )
        : orgs.length;
    out.organizations = { count: all, exact: true };
  }
  if (may(actor, 'agent.read')) {
    const orgs = await scopeOrganizations(ctx, await scopeRoots(ctx, actor, 'agent.read'));
    const row = await db
      .selectFrom('directory_counts')
      .select(sql<number>`coalesce(sum(agents), 0)`.as('n'))
      .where(inOrganizations(ctx, orgs, 'organization_id'))
      .executeTakeFirstOrThrow();
    out.agents = { count: Number(row.n), exact: true };
  }
  if (may(actor, 'audit.read')) {
    const orgs = await scopeOrganizations(ctx, await scopeRoots(ctx, actor, 'audit.read'));
    if (orgs === null) {
      const head = await db.selectFrom('audit_head').select('seq').where('id', '=', 1).executeTakeFirst();
      out.audit = { count: head?.seq ?? 0, exact: true };
    } else {
      const c = await boundedCount(
        db,
        db
          .selectFrom('audit_log')
          .where(inOrganizations(ctx, orgs, 'organization_id'))
          .select('seq'),
      );
      out.audit = { count: c.n, exact: c.exact };
    }
  }
  if (may(actor, 'mail.read')) {
    const c = await boundedCount(db, db.selectFrom('mails').select('id'));
    out.mails = { count: c.n, exact: c.exact };
  }
  return out;
}
