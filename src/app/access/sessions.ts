import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { isRole, PERMISSIONS, ROLE_LABELS, roleGrants, type Permission } from '../../domain/roles.ts';
import { appendAudit } from '../../store/audit.ts';
import { AppError } from '../errors.ts';
import { hashSecret, newSecret } from '../secrets.ts';
import { authorize, actorId } from './authorize.ts';
import type { Actor, AppContext, RoleGrant } from '../context.ts';

export const SIGN_IN_LINK_MINUTES = 10;
export const SESSION_HOURS = 8;

export async function findAgentByIdentifier(
  ctx: AppContext,
  identifier: string,
): Promise<{ id: string; organization_id: string; first_names: string; last_name: string } | undefined> {
  return ctx.store.db
    .selectFrom('agents')
    .select(['id', 'organization_id', 'first_names', 'last_name'])
    .where('identifier', '=', identifier)
    .executeTakeFirst();
}

/** Break-glass sign-in: a one-time link valid 10 minutes (CLI, run by someone with shell access). */
export async function createSignInLink(
  ctx: AppContext,
  actor: Actor,
  identifier: string,
): Promise<{ token: string; expiresAt: string; agentId: string }> {
  const agent = await findAgentByIdentifier(ctx, identifier);
  if (!agent) throw new AppError('not_found', `Aucune personne n'a l'identifiant « ${identifier} ».`);
  const grants = await loadGrants(ctx, agent.id);
  if (grants.length === 0)
    throw new AppError(
      'forbidden',
      `${agent.first_names} ${agent.last_name} n'a aucun rôle : la connexion est inutile.`,
    );
  const token = newSecret();
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + SIGN_IN_LINK_MINUTES * 60_000).toISOString();
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('sign_in_links')
      .values({
        token_hash: hashSecret(token),
        agent_id: agent.id,
        created_at: now.toISOString(),
        expires_at: expiresAt,
        used_at: null,
        created_by: actorId(actor),
      })
      .execute();
    await appendAudit(trx, ctx.store, {
      at: now.toISOString(),
      actorId: actorId(actor),
      actorRole: actor.kind,
      organizationId: agent.organization_id,
      action: 'auth.signInLink.create',
      outcome: 'ok',
      targetType: 'agent',
      targetId: agent.id,
      requestId: actor.requestId,
      summary: { expiresAt },
    });
  });
  return { token, expiresAt, agentId: agent.id };
}

export async function loadGrants(ctx: AppContext, agentId: string): Promise<RoleGrant[]> {
  const rows = await ctx.store.db
    .selectFrom('role_assignments as r')
    .innerJoin('organizations as o', 'o.id', 'r.organization_id')
    .select(['r.id', 'r.role', 'r.organization_id', 'o.name'])
    .where('r.agent_id', '=', agentId)
    .where('r.revoked_at', 'is', null)
    .orderBy('r.granted_at')
    .execute();
  return rows
    .filter((r) => isRole(r.role))
    .map((r) => ({
      id: r.id,
      role: r.role as RoleGrant['role'],
      organizationId: r.organization_id,
      organizationName: r.name,
    }));
}

/**
 * The actor of the person whose identifier is `identifier`, with their role grants: for the demonstration
 * data, benchmarks and tests, which act as named people. Never from a request (a request's actor comes from
 * its session). Throws when nobody has that identifier.
 */
export async function personActor(ctx: AppContext, identifier: string): Promise<Extract<Actor, { kind: 'person' }>> {
  const agent = await ctx.store.db
    .selectFrom('agents')
    .select(['id', 'first_names', 'last_name'])
    .where('identifier', '=', identifier)
    .executeTakeFirst();
  if (!agent) throw new Error(`no agent with identifier ${identifier}`);
  return {
    kind: 'person',
    agentId: agent.id,
    displayName: `${agent.first_names} ${agent.last_name}`,
    grants: await loadGrants(ctx, agent.id),
    requestId: null,
  };
}

/** Exchanges a sign-in link for a session; the link works once, within 10 minutes. */
export async function redeemSignInLink(
  ctx: AppContext,
  token: string,
  requestId: string | null,
): Promise<{ sessionId: string; csrfToken: string; agentId: string }> {
  const now = ctx.now().toISOString();
  const tokenHash = hashSecret(token);
  const sessionId = newSecret();
  const csrfToken = newSecret();
  const outcome = await ctx.store.db.transaction().execute(async (trx) => {
    const link = await trx
      .selectFrom('sign_in_links as l')
      .innerJoin('agents as a', 'a.id', 'l.agent_id')
      .select(['l.agent_id', 'l.expires_at', 'l.used_at', 'a.organization_id', 'a.status'])
      .where('l.token_hash', '=', tokenHash)
      .executeTakeFirst();
    let reason: string | null = null;
    if (!link) reason = 'Ce lien de connexion est inconnu.';
    else if (link.used_at) reason = 'Ce lien de connexion a déjà été utilisé.';
    else if (link.expires_at <= now)
      reason = `Ce lien de connexion a expiré (validité : ${SIGN_IN_LINK_MINUTES} minutes).`;
    else if (link.status !== 'active') reason = 'Ce compte est désactivé.';
    if (reason || !link) {
      await appendAudit(trx, ctx.store, {
        at: now,
        actorId: link?.agent_id ?? null,
        actorRole: null,
        organizationId: link?.organization_id ?? null,
        action: 'auth.signIn',
        outcome: 'refused',
        requestId,
        summary: { method: 'link', reason },
      });
      return { ok: false as const, reason: reason ?? 'Lien invalide.' };
    }
    // Marking the link used is conditional so that two concurrent uses cannot both succeed.
    const used = await trx
      .updateTable('sign_in_links')
      .set({ used_at: now })
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    if (Number(used.numUpdatedRows) !== 1)
      return { ok: false as const, reason: 'Ce lien de connexion a déjà été utilisé.' };
    const expiresAt = new Date(ctx.now().getTime() + SESSION_HOURS * 3600_000).toISOString();
    await trx
      .insertInto('sessions')
      .values({
        id_hash: hashSecret(sessionId),
        agent_id: link.agent_id,
        csrf_token: csrfToken,
        created_at: now,
        expires_at: expiresAt,
      })
      .execute();
    await appendAudit(trx, ctx.store, {
      at: now,
      actorId: link.agent_id,
      actorRole: null,
      organizationId: link.organization_id,
      action: 'auth.signIn',
      outcome: 'ok',
      targetType: 'agent',
      targetId: link.agent_id,
      requestId,
      summary: { method: 'link' },
    });
    return { ok: true as const, agentId: link.agent_id };
  });
  if (!outcome.ok) throw new AppError('unauthenticated', outcome.reason);
  return { sessionId, csrfToken, agentId: outcome.agentId };
}

export interface SessionInfo {
  actor: Extract<Actor, { kind: 'person' }>;
  csrfToken: string;
  person: { id: string; firstNames: string; lastName: string; identifier: string };
}

export async function resolveSession(
  ctx: AppContext,
  sessionId: string,
  requestId: string | null,
): Promise<SessionInfo | null> {
  const row = await ctx.store.db
    .selectFrom('sessions as s')
    .innerJoin('agents as a', 'a.id', 's.agent_id')
    .select(['s.agent_id', 's.csrf_token', 's.expires_at', 'a.first_names', 'a.last_name', 'a.identifier', 'a.status'])
    .where('s.id_hash', '=', hashSecret(sessionId))
    .executeTakeFirst();
  if (!row || row.expires_at <= ctx.now().toISOString() || row.status !== 'active') return null;
  const grants = await loadGrants(ctx, row.agent_id);
  return {
    actor: {
      kind: 'person',
      agentId: row.agent_id,
      displayName: `${row.first_names} ${row.last_name}`,
      grants,
      requestId,
    },
    csrfToken: row.csrf_token,
    person: { id: row.agent_id, firstNames: row.first_names, lastName: row.last_name, identifier: row.identifier },
  };
}

/**
 * A deactivated person is signed out for good: every session ends (a reactivation does not bring
 * one back) and the sign-in links, holder accesses and nonces not yet used are spent. Runs in the
 * transaction of the deactivation; returns the number of sessions ended.
 */
export async function endAgentSessions(
  trx: Transaction<Database> | Kysely<Database>,
  agentIds: readonly string[],
  now: string,
): Promise<number> {
  let ended = 0;
  for (let i = 0; i < agentIds.length; i += 500) {
    const ids = agentIds.slice(i, i + 500);
    const gone = await trx.deleteFrom('sessions').where('agent_id', 'in', ids).executeTakeFirst();
    ended += Number(gone.numDeletedRows);
    await trx
      .updateTable('sign_in_links')
      .set({ used_at: now })
      .where('agent_id', 'in', ids)
      .where('used_at', 'is', null)
      .execute();
    await trx
      .updateTable('challenges')
      .set({ used_at: now })
      .where('agent_id', 'in', ids)
      .where('used_at', 'is', null)
      .execute();
  }
  return ended;
}

export async function endSession(ctx: AppContext, sessionId: string, actor: Actor): Promise<void> {
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('sessions').where('id_hash', '=', hashSecret(sessionId)).execute();
    await appendAudit(trx, ctx.store, {
      at: ctx.now().toISOString(),
      actorId: actorId(actor),
      actorRole: null,
      organizationId: null,
      action: 'auth.signOut',
      outcome: 'ok',
      requestId: actor.requestId,
    });
  });
}

export function roleView(g: RoleGrant): {
  id: string;
  role: string;
  roleLabel: string;
  organizationId: string;
  organizationName: string;
} {
  return {
    id: g.id,
    role: g.role,
    roleLabel: ROLE_LABELS[g.role],
    organizationId: g.organizationId,
    organizationName: g.organizationName,
  };
}

// Service accounts (HR feed uploads): token shown once, stored hashed, scoped to a subtree, revocable.
export const SERVICE_SCOPES = ['hr_import'] as const;

export async function createServiceToken(
  ctx: AppContext,
  actor: Actor,
  input: { name: string; organizationId: string; scopes: string[] },
): Promise<{ id: string; token: string }> {
  const auth = await authorize(ctx, actor, 'serviceToken.manage', input.organizationId);
  const bad = input.scopes.filter((s) => !(SERVICE_SCOPES as readonly string[]).includes(s));
  if (bad.length || input.scopes.length === 0)
    throw new AppError(
      'invalid',
      `Portée inconnue ou absente : ${bad.join(', ') || '(aucune)'}. Portées possibles : ${SERVICE_SCOPES.join(', ')}.`,
    );
  if (!input.name.trim()) throw new AppError('invalid', 'Le nom du compte de service est obligatoire.');
  const id = ctx.newId();
  const secret = newSecret();
  const token = `cat_${id}.${secret}`;
  const now = ctx.now().toISOString();
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('service_tokens')
      .values({
        id,
        name: input.name.trim(),
        token_hash: hashSecret(token),
        organization_id: input.organizationId,
        scopes: JSON.stringify(input.scopes),
        created_by: auth.actorId,
        created_at: now,
        revoked_at: null,
      })
      .execute();
    await appendAudit(trx, ctx.store, {
      at: now,
      actorId: auth.actorId,
      actorRole: auth.role,
      organizationId: input.organizationId,
      action: 'serviceToken.create',
      outcome: 'ok',
      targetType: 'serviceToken',
      targetId: id,
      requestId: actor.requestId,
      summary: { name: input.name, scopes: input.scopes },
    });
  });
  return { id, token };
}

export async function revokeServiceToken(ctx: AppContext, actor: Actor, id: string): Promise<void> {
  const row = await ctx.store.db
    .selectFrom('service_tokens')
    .select(['organization_id', 'revoked_at'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', 'Compte de service introuvable.');
  const auth = await authorize(ctx, actor, 'serviceToken.manage', row.organization_id, { type: 'serviceToken', id });
  if (row.revoked_at) return;
  const now = ctx.now().toISOString();
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx.updateTable('service_tokens').set({ revoked_at: now }).where('id', '=', id).execute();
    await appendAudit(trx, ctx.store, {
      at: now,
      actorId: auth.actorId,
      actorRole: auth.role,
      organizationId: row.organization_id,
      action: 'serviceToken.revoke',
      outcome: 'ok',
      targetType: 'serviceToken',
      targetId: id,
      requestId: actor.requestId,
    });
  });
}

export async function resolveServiceToken(
  ctx: AppContext,
  token: string,
  requestId: string | null,
): Promise<Actor | null> {
  const row = await ctx.store.db
    .selectFrom('service_tokens')
    .selectAll()
    .where('token_hash', '=', hashSecret(token))
    .executeTakeFirst();
  if (!row || row.revoked_at) return null;
  return {
    kind: 'service',
    tokenId: row.id,
    name: row.name,
    organizationId: row.organization_id,
    scopes: JSON.parse(row.scopes) as string[],
    requestId,
  };
}

export async function listServiceTokens(
  ctx: AppContext,
  actor: Actor,
): Promise<
  { id: string; name: string; organizationId: string; scopes: string[]; createdAt: string; revokedAt: string | null }[]
> {
  await authorize(ctx, actor, 'serviceToken.manage', null);
  const rows = await ctx.store.db.selectFrom('service_tokens').selectAll().orderBy('created_at', 'desc').execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    organizationId: r.organization_id,
    scopes: JSON.parse(r.scopes) as string[],
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  }));
}

/** Permissions any of the grants carries (somewhere in its scope): lets the portal hide what is not offered. */
export function grantedPermissions(grants: RoleGrant[]): Permission[] {
  return PERMISSIONS.filter((p) => grants.some((g) => roleGrants(g.role, p)));
}
