import type { Transaction } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { appendAudit } from '../../store/audit.ts';
import { roleGrants, TRUSTED_ROLES, type Permission, type Role } from '../../domain/roles.ts';
import { isWithin } from '../../domain/organization.ts';
import { AppError } from '../errors.ts';
import type { Actor, AppContext } from '../context.ts';

/** The grant that allowed an act: recorded in the audit trail. */
export interface Authorization {
  actorId: string | null;
  role: string;
  organizationId: string | null;
}

const SERVICE_SCOPES: Partial<Record<Permission, string>> = { 'import.run': 'hr_import' };

// A suspension removes the power to act, not the sight of the organisation's own records.
const READ_ONLY = new Set<Permission>([
  'organization.read',
  'agent.read',
  'audit.read',
  'mail.read',
  'certificate.read',
  'card.read',
  'billing.read',
]);

interface OrgFacts {
  id: string;
  path: string;
  registration_authority_id: string | null;
  trusted_roles_suspended: number;
}

async function orgFacts(ctx: AppContext, id: string): Promise<OrgFacts | undefined> {
  return ctx.store.db
    .selectFrom('organizations')
    .select(['id', 'path', 'registration_authority_id', 'trusted_roles_suspended'])
    .where('id', '=', id)
    .executeTakeFirst();
}

export function actorId(actor: Actor): string | null {
  if (actor.kind === 'person') return actor.agentId;
  if (actor.kind === 'service') return `service:${actor.tokenId}`;
  return `system:${actor.name}`;
}

/**
 * May `actor` use `permission` on organisation `orgId`? A grant covers its organisation's subtree;
 * a registration authority also covers the organisations attached to it. Trusted roles of a
 * suspended organisation are void there: its parent registration authority takes over.
 * A refusal is written to the audit trail before the error is thrown.
 */
export async function authorize(
  ctx: AppContext,
  actor: Actor,
  permission: Permission,
  orgId: string | null,
  target?: { type: string; id: string },
): Promise<Authorization> {
  const decision = await decide(ctx, actor, permission, orgId);
  if (decision.allowed) return decision.auth;
  await recordRefusal(ctx, actor, permission, orgId, target, decision.reason);
  throw new AppError('forbidden', decision.reason);
}

type Decision = { allowed: true; auth: Authorization } | { allowed: false; reason: string };
const NO_RIGHT = "Vous n'avez pas les droits nécessaires pour cette opération.";
const OUT_OF_SCOPE = "Cette organisation n'est pas dans votre périmètre.";
const SUSPENDED =
  "Les rôles de confiance de cette organisation sont suspendus (non-conformité majeure) : les commandes et remises sont assurées par l'autorité d'enregistrement de rattachement.";

async function decide(ctx: AppContext, actor: Actor, permission: Permission, orgId: string | null): Promise<Decision> {
  if (actor.kind === 'system')
    return { allowed: true, auth: { actorId: actorId(actor), role: 'system', organizationId: orgId } };
  const target = orgId ? await orgFacts(ctx, orgId) : undefined;
  if (orgId && !target) return { allowed: false, reason: OUT_OF_SCOPE };

  if (actor.kind === 'service') {
    const scope = SERVICE_SCOPES[permission];
    if (!scope || !actor.scopes.includes(scope)) return { allowed: false, reason: NO_RIGHT };
    if (target && !isWithin(target.path, actor.organizationId)) return { allowed: false, reason: OUT_OF_SCOPE };
    return { allowed: true, auth: { actorId: actorId(actor), role: 'service', organizationId: orgId } };
  }

  const usable = actor.grants.filter((g) => roleGrants(g.role, permission));
  if (usable.length === 0) return { allowed: false, reason: NO_RIGHT };
  if (!target) {
    // Not tied to one organisation (e.g. reference data): any grant with the permission will do.
    const g = usable[0]!;
    return { allowed: true, auth: { actorId: actor.agentId, role: g.role, organizationId: g.organizationId } };
  }
  let suspendedHit = false;
  for (const g of usable) {
    if (!(await grantCovers(ctx, g.role, g.organizationId, target))) continue;
    if (
      TRUSTED_ROLES.includes(g.role) &&
      !READ_ONLY.has(permission) &&
      (await trustedGrantVoid(ctx, g.role, g.organizationId, target))
    ) {
      suspendedHit = true;
      continue;
    }
    return { allowed: true, auth: { actorId: actor.agentId, role: g.role, organizationId: target.id } };
  }
  return { allowed: false, reason: suspendedHit ? SUSPENDED : OUT_OF_SCOPE };
}

async function grantCovers(ctx: AppContext, role: string, grantOrgId: string, target: OrgFacts): Promise<boolean> {
  if (isWithin(target.path, grantOrgId)) return true;
  if (role !== 'registration_authority') return false;
  // Organisations attached to this registration authority (or to one below it), and their subtrees.
  const ancestors = target.path.split('/').filter(Boolean);
  const attached = await ctx.store.db
    .selectFrom('organizations')
    .select(['id', 'registration_authority_id'])
    .where('id', 'in', ancestors)
    .execute();
  for (const a of attached) {
    if (!a.registration_authority_id) continue;
    const ra = await orgFacts(ctx, a.registration_authority_id);
    if (ra && isWithin(ra.path, grantOrgId)) return true;
  }
  return false;
}

async function trustedGrantVoid(ctx: AppContext, role: Role, grantOrgId: string, target: OrgFacts): Promise<boolean> {
  const grantOrg = await orgFacts(ctx, grantOrgId);
  if (!grantOrg) return true;
  if (grantOrg.trusted_roles_suspended) return true;
  // A registration authority above a suspended organisation is the one that takes over there.
  if (role === 'registration_authority') return false;
  // A suspended organisation between the grant and the target voids the grant too.
  const between = target.path.split('/').filter(Boolean);
  const start = between.indexOf(grantOrgId);
  if (start < 0) return false;
  const ids = between.slice(start);
  const suspended = await ctx.store.db
    .selectFrom('organizations')
    .select('id')
    .where('id', 'in', ids)
    .where('trusted_roles_suspended', '=', 1)
    .executeTakeFirst();
  return suspended !== undefined;
}

async function recordRefusal(
  ctx: AppContext,
  actor: Actor,
  permission: Permission,
  orgId: string | null,
  target: { type: string; id: string } | undefined,
  reason: string,
): Promise<void> {
  await ctx.store.db.transaction().execute(async (trx: Transaction<Database>) => {
    await appendAudit(trx, ctx.store, {
      at: ctx.now().toISOString(),
      actorId: actorId(actor),
      actorRole: actor.kind === 'person' ? actor.grants.map((g) => g.role).join(',') || null : actor.kind,
      organizationId: orgId,
      action: permission,
      outcome: 'refused',
      targetType: target?.type ?? null,
      targetId: target?.id ?? null,
      requestId: actor.requestId,
      summary: { reason },
    });
  });
}

/**
 * Organisation ids whose subtrees the actor may see with `permission` (for list queries).
 * `null` means everything (system actor).
 */
export async function scopeRoots(ctx: AppContext, actor: Actor, permission: Permission): Promise<string[] | null> {
  if (actor.kind === 'system') return null;
  if (actor.kind === 'service')
    return SERVICE_SCOPES[permission] && actor.scopes.includes(SERVICE_SCOPES[permission])
      ? [actor.organizationId]
      : [];
  const roots = new Set<string>();
  for (const g of actor.grants) {
    if (!roleGrants(g.role, permission)) continue;
    roots.add(g.organizationId);
    if (g.role === 'registration_authority') {
      const attached = await ctx.store.db
        .selectFrom('organizations as o')
        .innerJoin('organizations as ra', 'ra.id', 'o.registration_authority_id')
        .select('o.id')
        .where('ra.path', 'like', `%/${g.organizationId}/%`)
        .execute();
      for (const a of attached) roots.add(a.id);
    }
  }
  return [...roots];
}
