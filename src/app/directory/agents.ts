import { validateFeedRow, type AgentFeedRecord } from '../../domain/hr-feed.ts';
import { checkPhoto } from '../../domain/photo.ts';
import { ROLE_LABELS, type Role } from '../../domain/roles.ts';
import type { AgentTable } from '../../store/schema.ts';
import { authorize, scopeRoots } from '../access/authorize.ts';
import { endAgentSessions } from '../access/sessions.ts';
import { changeWithAudit } from '../audit-trail.ts';
import { AppError, invalid, notFound } from '../errors.ts';
import { diff } from './organizations.ts';
import { inOrganizations, intersectScopes, scopeOrganizations, subtreeOrganizations } from '../scope.ts';
import {
  ftsExpression,
  nameOrder,
  nameSortText,
  placeAgent,
  queryWords,
  searchText,
  wordsLike,
} from './agent-search.ts';
import { boundedCount, decodeCursor, pageOf, pageWindow, SORT_LIMIT, type PageRequest } from '../paging.ts';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { today, type Actor, type AppContext } from '../context.ts';

export { searchText };

export function agentSearchText(r: {
  last_name: string;
  first_names: string;
  identifier: string;
  email: string | null;
}): string {
  return searchText(r.last_name, r.first_names, r.identifier, r.email);
}

/** Feed record → agent columns (shared by the HR import and the directory forms). */
export function agentColumns(r: AgentFeedRecord) {
  const cols = {
    identifier: r.identifier,
    identifier_kind: r.identifierKind,
    last_name: r.lastName,
    first_names: r.firstNames,
    sex: r.sex,
    birth_date: r.birthDate,
    birth_place: r.birthPlace,
    email: r.email,
    phone: r.phone,
    unit_address: r.unitAddress,
    staff_status: r.staffStatus,
    category: r.category,
    profile: r.profile,
    habilitations: JSON.stringify(r.habilitations),
  };
  return { ...cols, search_text: agentSearchText(cols), sort_name: nameSortText(cols.last_name, cols.first_names) };
}

type AgentRow = AgentTable & { organization_name: string };

function summary(a: AgentRow) {
  return {
    id: a.id,
    identifier: a.identifier,
    lastName: a.last_name,
    firstNames: a.first_names,
    birthDate: a.birth_date,
    organizationId: a.organization_id,
    organizationName: a.organization_name,
    status: a.status,
    hasPhoto: a.has_photo === 1,
    email: a.email,
  };
}

export interface AgentSearch extends PageRequest {
  q?: string;
  organizationId?: string;
  status?: string;
}

/** Agents counted by the maintained counters (directory_counts), for a set of organisations. */
async function countAgents(ctx: AppContext, orgs: string[] | null, status: string | undefined): Promise<number> {
  let q = ctx.store.db
    .selectFrom('directory_counts')
    .select(sql<number>`coalesce(sum(agents), 0)`.as('n'))
    .where(inOrganizations(ctx, orgs, 'organization_id'));
  if (status) q = q.where('status', '=', status);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

/**
 * The directory's list in name order, in the caller's scope, keyset by the last agent's id. Never
 * counts or sorts a big set. A small scope (≤ SORT_LIMIT agents, from the maintained counters) is read
 * through its organisations' index, testing the words row by row. A large one is read in name order:
 * the table itself on SQLite (rowids are in name order) or the name index on PostgreSQL, and the words
 * through the full-text index, which on SQLite yields its matches in name order too, so a common word
 * costs no more than a rare one (agent-search.ts, docs/architecture-decisions.md).
 */
export async function searchAgents(ctx: AppContext, actor: Actor, s: AgentSearch) {
  const roots = await scopeRoots(ctx, actor, 'agent.read');
  const win = pageWindow(s, 20, 100);
  const after = s.after ? (decodeCursor(s.after, ['string'])[0] as string) : null;
  let orgs = await scopeOrganizations(ctx, roots);
  if (s.organizationId) orgs = intersectScopes(orgs, await subtreeOrganizations(ctx, s.organizationId));
  const words = queryWords(s.q);
  const inScope = await countAgents(ctx, orgs, s.status);
  const smallScope = orgs !== null && inScope <= SORT_LIMIT;
  const sqlite = ctx.store.dialect === 'sqlite';
  const db = ctx.store.db;
  const fts = words.length > 0 && !smallScope ? ftsExpression(ctx, words) : null;
  let q = db.selectFrom('agents as a').innerJoin('organizations as o', 'o.id', 'a.organization_id');
  if (fts !== null && sqlite)
    q = q
      .innerJoin(sql<{ rowid: number }>`agents_fts`.as('f'), (j) => j.on(sql<boolean>`f.rowid = a.rowid`))
      .where(sql<boolean>`agents_fts match ${fts}`);
  else if (fts !== null)
    q = q.where(sql<boolean>`to_tsvector('simple', a.search_text) @@ to_tsquery('simple', ${fts})`);
  else if (words.length) q = q.where(wordsLike(words, 'a'));
  q = q.where(inOrganizations(ctx, orgs, 'a.organization_id', { index: smallScope }));
  if (s.status) q = q.where('a.status', '=', s.status);

  let counted: { n: number; exact: boolean } | null = { n: inScope, exact: true };
  if (inScope > 0 && fts !== null) {
    // The full-text index alone, bounded; the filters only when few words match.
    const probe = await boundedCount(
      db,
      sqlite
        ? db
            .selectFrom(sql<{ rowid: number }>`agents_fts`.as('f'))
            .where(sql<boolean>`agents_fts match ${fts}`)
            .select(sql`1`.as('one'))
        : db
            .selectFrom('agents')
            .where(sql<boolean>`to_tsvector('simple', search_text) @@ to_tsquery('simple', ${fts})`)
            .select('id'),
    );
    counted =
      orgs === null && !s.status ? probe : probe.exact && probe.n <= SORT_LIMIT ? await boundedCount(db, q) : null;
  } else if (inScope > 0 && words.length) counted = await boundedCount(db, q);

  const order = nameOrder(ctx, fts !== null && sqlite ? 'f' : 'a');
  if (after) q = q.where(order.after(after));
  let rowsQuery = q.selectAll('a').select('o.name as organization_name');
  for (const c of order.columns) rowsQuery = rowsQuery.orderBy(c);
  const rows = await rowsQuery
    .limit(win.pageSize + 1)
    .offset(win.offset)
    .execute();
  return pageOf(rows, win, summary, (a) => [a.id], counted);
}

async function loadAgent(ctx: AppContext, id: string): Promise<AgentRow> {
  const row = await ctx.store.db
    .selectFrom('agents as a')
    .innerJoin('organizations as o', 'o.id', 'a.organization_id')
    .selectAll('a')
    .select('o.name as organization_name')
    .where('a.id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound('Agent introuvable.');
  return row;
}

export async function getAgent(ctx: AppContext, actor: Actor, id: string) {
  const a = await loadAgent(ctx, id);
  if (!(actor.kind === 'person' && actor.agentId === id)) {
    await authorize(ctx, actor, 'agent.read', a.organization_id, { type: 'agent', id });
  }
  return detail(ctx, a);
}

async function detail(ctx: AppContext, a: AgentRow) {
  const roles = await ctx.store.db
    .selectFrom('role_assignments as r')
    .innerJoin('organizations as o', 'o.id', 'r.organization_id')
    .select(['r.id', 'r.role', 'r.organization_id', 'o.name'])
    .where('r.agent_id', '=', a.id)
    .where('r.revoked_at', 'is', null)
    .execute();
  return {
    ...summary(a),
    identifierKind: a.identifier_kind,
    sex: a.sex,
    birthPlace: a.birth_place,
    phone: a.phone,
    unitAddress: a.unit_address,
    staffStatus: a.staff_status,
    category: a.category,
    profile: a.profile,
    habilitations: JSON.parse(a.habilitations) as string[],
    identityVerified: a.identity_verified === 1,
    directoryRecord: a.directory_record === 1,
    source: a.source,
    createdAt: a.created_at,
    updatedAt: a.updated_at,
    roles: roles.map((r) => ({
      id: r.id,
      role: r.role,
      roleLabel: ROLE_LABELS[r.role as Role] ?? r.role,
      organizationId: r.organization_id,
      organizationName: r.name,
    })),
  };
}

export interface AgentInput {
  organizationId?: string;
  identifier?: string;
  identifierKind?: string;
  lastName?: string;
  firstNames?: string;
  sex?: string;
  birthDate?: string;
  birthPlace?: string;
  email?: string | null;
  phone?: string | null;
  unitAddress?: string | null;
  staffStatus?: string;
  category?: string | null;
  profile?: string | null;
  habilitations?: string[];
}

const FIELD_NAMES: Record<string, string> = {
  identifiant: 'identifier',
  type_identifiant: 'identifierKind',
  nom: 'lastName',
  prenoms: 'firstNames',
  sexe: 'sex',
  date_naissance: 'birthDate',
  lieu_naissance: 'birthPlace',
  courriel: 'email',
  telephone: 'phone',
  adresse_unite: 'unitAddress',
  statut: 'staffStatus',
  categorie: 'category',
  profil: 'profile',
  habilitations: 'habilitations',
  organisation: 'organizationId',
};

function validateInput(ctx: AppContext, i: AgentInput) {
  const raw: Record<string, string | undefined> = {
    identifiant: i.identifier,
    type_identifiant: i.identifierKind === 'internal' ? 'interne' : i.identifierKind,
    nom: i.lastName,
    prenoms: i.firstNames,
    sexe: i.sex,
    date_naissance: i.birthDate,
    lieu_naissance: i.birthPlace,
    courriel: i.email ?? undefined,
    telephone: i.phone ?? undefined,
    adresse_unite: i.unitAddress ?? undefined,
    statut: i.staffStatus === 'military' ? 'militaire' : i.staffStatus,
    categorie: i.category ?? undefined,
    profil: i.profile ?? undefined,
    habilitations: (i.habilitations ?? []).join('|'),
  };
  const r = validateFeedRow(raw, { today: today(ctx) });
  if (!r.ok)
    throw invalid(
      "La fiche de l'agent contient des erreurs.",
      r.errors.map((e) => ({ field: FIELD_NAMES[e.field] ?? e.field, reason: e.reason })),
    );
  return r.record;
}

export async function createAgent(ctx: AppContext, actor: Actor, input: AgentInput) {
  if (!input.organizationId)
    throw invalid("L'organisation est obligatoire.", [{ field: 'organizationId', reason: 'Obligatoire.' }]);
  const org = await ctx.store.db
    .selectFrom('organizations')
    .select('id')
    .where('id', '=', input.organizationId)
    .executeTakeFirst();
  if (!org) throw invalid('Organisation inconnue.', [{ field: 'organizationId', reason: 'Organisation inconnue.' }]);
  const auth = await authorize(ctx, actor, 'agent.write', input.organizationId);
  const record = validateInput(ctx, input);
  const taken = await ctx.store.db
    .selectFrom('agents')
    .select('id')
    .where('identifier', '=', record.identifier)
    .executeTakeFirst();
  if (taken)
    throw new AppError('conflict', `L'identifiant « ${record.identifier} » est déjà attribué à un agent.`, [
      { field: 'identifier', reason: 'Identifiant déjà utilisé.' },
    ]);
  const id = ctx.newId();
  const now = ctx.now().toISOString();
  await changeWithAudit(ctx, actor, auth, 'agent.create', async (trx) => {
    await trx
      .insertInto('agents')
      .values({
        id,
        organization_id: input.organizationId!,
        ...agentColumns(record),
        status: 'active',
        identity_verified: 0,
        directory_record: 1,
        has_photo: 0,
        source: 'manual',
        feed_fingerprint: null,
        last_import_id: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await placeAgent(ctx, trx, id, { inserted: true });
    return {
      result: id,
      targetType: 'agent',
      targetId: id,
      summary: { after: { identifier: record.identifier, lastName: record.lastName, firstNames: record.firstNames } },
    };
  });
  return getAgent(ctx, actor, id);
}

const CONTACT_FIELDS = new Set(['email', 'phone', 'unitAddress']);

export async function updateAgent(ctx: AppContext, actor: Actor, id: string, patch: AgentInput) {
  const a = await loadAgent(ctx, id);
  const keys = Object.keys(patch).filter((k) => patch[k as keyof AgentInput] !== undefined);
  if (keys.length === 0) throw invalid('Aucune modification demandée.');
  if (patch.organizationId && patch.organizationId !== a.organization_id)
    throw invalid("Le changement d'organisation (mutation) ne se fait pas par cette fiche.");
  const contactOnly = keys.every((k) => CONTACT_FIELDS.has(k));
  const auth = await authorize(ctx, actor, contactOnly ? 'agent.contact' : 'agent.write', a.organization_id, {
    type: 'agent',
    id,
  });
  const merged: AgentInput = {
    identifier: a.identifier,
    identifierKind: a.identifier_kind,
    lastName: a.last_name,
    firstNames: a.first_names,
    sex: a.sex,
    birthDate: a.birth_date,
    birthPlace: a.birth_place,
    email: a.email,
    phone: a.phone,
    unitAddress: a.unit_address,
    staffStatus: a.staff_status,
    category: a.category,
    profile: a.profile,
    habilitations: JSON.parse(a.habilitations) as string[],
    ...Object.fromEntries(keys.map((k) => [k, patch[k as keyof AgentInput]])),
  };
  const record = validateInput(ctx, merged);
  if (record.identifier !== a.identifier) {
    const taken = await ctx.store.db
      .selectFrom('agents')
      .select('id')
      .where('identifier', '=', record.identifier)
      .executeTakeFirst();
    if (taken) throw new AppError('conflict', `L'identifiant « ${record.identifier} » est déjà attribué à un agent.`);
  }
  const cols = agentColumns(record);
  const { sort_name: _order, ...shown } = cols;
  await changeWithAudit(ctx, actor, auth, 'agent.update', async (trx) => {
    await trx
      .updateTable('agents')
      .set({ ...cols, updated_at: ctx.now().toISOString() })
      .where('id', '=', id)
      .execute();
    await placeAgent(ctx, trx, id);
    return {
      result: null,
      targetType: 'agent',
      targetId: id,
      summary: diff(a as unknown as Record<string, unknown>, shown),
    };
  });
  return getAgent(ctx, actor, id);
}

export async function setAgentStatus(ctx: AppContext, actor: Actor, id: string, status: 'active' | 'inactive') {
  const a = await loadAgent(ctx, id);
  const auth = await authorize(ctx, actor, 'agent.write', a.organization_id, { type: 'agent', id });
  if (actor.kind === 'person' && actor.agentId === id)
    throw new AppError('forbidden', 'Vous ne pouvez pas modifier le statut de votre propre fiche.');
  if (a.status === status)
    throw new AppError('conflict', status === 'active' ? "L'agent est déjà actif." : "L'agent est déjà désactivé.");
  await changeWithAudit(
    ctx,
    actor,
    auth,
    status === 'active' ? 'agent.reactivate' : 'agent.deactivate',
    async (trx) => {
      const now = ctx.now().toISOString();
      await trx.updateTable('agents').set({ status, updated_at: now }).where('id', '=', id).execute();
      const sessionsEnded = status === 'inactive' ? await endAgentSessions(trx, [id], now) : 0;
      return {
        result: null,
        targetType: 'agent',
        targetId: id,
        summary: { before: { status: a.status }, after: { status }, ...(sessionsEnded ? { sessionsEnded } : {}) },
      };
    },
  );
  return getAgent(ctx, actor, id);
}

export async function uploadPhoto(ctx: AppContext, actor: Actor, id: string, bytes: Uint8Array) {
  const a = await loadAgent(ctx, id);
  const auth = await authorize(ctx, actor, 'agent.photo', a.organization_id, { type: 'agent', id });
  const check = checkPhoto(bytes);
  if (!check.ok)
    throw invalid(
      "La photo n'est pas conforme à la norme (JPEG, 283 × 378 pixels, 300 dpi, 30 Ko au plus).",
      check.errors.map((e) => ({ field: 'photo', reason: e.message })),
    );
  const now = ctx.now().toISOString();
  await changeWithAudit(ctx, actor, auth, 'agent.photo', async (trx) => {
    await trx.deleteFrom('agent_photos').where('agent_id', '=', id).execute();
    await trx
      .insertInto('agent_photos')
      .values({
        agent_id: id,
        jpeg: bytes,
        width: check.width,
        height: check.height,
        size: check.size,
        uploaded_by: auth.actorId,
        uploaded_at: now,
      })
      .execute();
    await trx.updateTable('agents').set({ has_photo: 1, updated_at: now }).where('id', '=', id).execute();
    return {
      result: null,
      targetType: 'agent',
      targetId: id,
      summary: { after: { photo: { width: check.width, height: check.height, size: check.size } } },
    };
  });
  return { ok: true as const, width: check.width, height: check.height, size: check.size };
}

export async function getPhoto(ctx: AppContext, actor: Actor, id: string): Promise<Uint8Array> {
  const a = await loadAgent(ctx, id);
  if (!(actor.kind === 'person' && actor.agentId === id))
    await authorize(ctx, actor, 'agent.read', a.organization_id, { type: 'agent', id });
  const p = await ctx.store.db.selectFrom('agent_photos').select('jpeg').where('agent_id', '=', id).executeTakeFirst();
  if (!p) throw notFound("Cet agent n'a pas de photo.");
  return p.jpeg;
}

/** Deletes a directory record that nothing refers to; otherwise deactivation is the way. */
export async function deleteAgent(ctx: AppContext, actor: Actor, id: string): Promise<void> {
  const a = await loadAgent(ctx, id);
  const auth = await authorize(ctx, actor, 'agent.write', a.organization_id, { type: 'agent', id });
  if (actor.kind === 'person' && actor.agentId === id)
    throw new AppError('forbidden', 'Vous ne pouvez pas supprimer votre propre fiche.');
  const db = ctx.store.db;
  const refs = await Promise.all([
    db.selectFrom('role_assignments').select('id').where('agent_id', '=', id).executeTakeFirst(),
    db.selectFrom('agreement_delegates').select('agent_id').where('agent_id', '=', id).executeTakeFirst(),
    db.selectFrom('allocation_plan_entries').select('id').where('agent_id', '=', id).executeTakeFirst(),
    db.selectFrom('sign_in_links').select('agent_id').where('agent_id', '=', id).executeTakeFirst(),
    db.selectFrom('certificates').select('serial').where('agent_id', '=', id).executeTakeFirst(),
  ]);
  if (refs.some(Boolean)) {
    throw new AppError(
      'conflict',
      'Cet agent a un historique (rôles, convention, plan de dotation, connexions ou certificats) : désactivez sa fiche au lieu de la supprimer.',
    );
  }
  await changeWithAudit(ctx, actor, auth, 'agent.delete', async (trx) => {
    await trx.deleteFrom('agent_photos').where('agent_id', '=', id).execute();
    await trx.deleteFrom('agents').where('id', '=', id).execute();
    return {
      result: null,
      targetType: 'agent',
      targetId: id,
      summary: {
        before: {
          identifier: a.identifier,
          lastName: a.last_name,
          firstNames: a.first_names,
          organizationId: a.organization_id,
        },
      },
    };
  });
}

/** Names (« Prénom NOM ») of agents by id, for the people shown on a page; system and service actors are left out. */
export async function agentNames(
  db: Kysely<Database> | Transaction<Database>,
  ids: (string | null | undefined)[],
): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((x): x is string => !!x && !x.includes(':')))];
  const out = new Map<string, string>();
  if (wanted.length) {
    const rows = await db
      .selectFrom('agents')
      .select(['id', 'first_names', 'last_name'])
      .where('id', 'in', wanted)
      .execute();
    for (const r of rows) out.set(r.id, `${r.first_names} ${r.last_name}`);
  }
  return out;
}
