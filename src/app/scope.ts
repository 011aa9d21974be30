import { sql, type RawBuilder } from 'kysely';
import type { AppContext } from './context.ts';

/** SQL condition "organisation path is under one of these roots" (null roots = everything). */
export function pathUnder(roots: string[] | null, column: string): RawBuilder<boolean> {
  if (roots === null) return sql<boolean>`1 = 1`;
  if (roots.length === 0) return sql<boolean>`1 = 0`;
  const ref = sql.ref(column);
  return sql<boolean>`(${sql.join(
    roots.map((r) => sql`${ref} like ${`%/${r}/%`}`),
    sql` or `,
  )})`;
}

/** SQL condition "path starts with prefix", answered from the path index on both databases. */
function pathStartsWith(ctx: AppContext, prefix: string): RawBuilder<boolean> {
  // Paths are "/id/id/" with generated ids; GLOB (SQLite) is case-sensitive and so uses the index,
  // LIKE on PostgreSQL uses the text_pattern_ops index (migration 010).
  if (ctx.store.dialect === 'sqlite' && !/[*?[\]]/.test(prefix)) return sql<boolean>`path glob ${`${prefix}*`}`;
  return sql<boolean>`path like ${`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}`;
}

/**
 * The organisations under these roots (their subtrees), or null when they cover every organisation
 * (the caller then needs no organisation filter at all). Organisations are few next to agents, cards
 * and audit records, so lists filter the big tables by this set (`inOrganizations`) instead of joining
 * organisations and matching paths row by row.
 */
export async function scopeOrganizations(ctx: AppContext, roots: string[] | null): Promise<string[] | null> {
  if (roots === null) return null;
  if (roots.length === 0) return [];
  const db = ctx.store.db;
  const rootRows = await db.selectFrom('organizations').select(['id', 'path']).where('id', 'in', roots).execute();
  const prefixes = rootRows.map((r) => r.path);
  const tops = await db.selectFrom('organizations').select('id').where('parent_id', 'is', null).execute();
  if (tops.length > 0 && tops.every((t) => prefixes.some((p) => p === `/${t.id}/`))) return null;
  const ids = new Set<string>();
  for (const prefix of prefixes) {
    const rows = await db.selectFrom('organizations').select('id').where(pathStartsWith(ctx, prefix)).execute();
    for (const r of rows) ids.add(r.id);
  }
  return [...ids];
}

/** The subtree of one organisation (itself included); empty when unknown. */
export async function subtreeOrganizations(ctx: AppContext, id: string): Promise<string[]> {
  const org = await ctx.store.db.selectFrom('organizations').select('path').where('id', '=', id).executeTakeFirst();
  if (!org) return [];
  const rows = await ctx.store.db
    .selectFrom('organizations')
    .select('id')
    .where(pathStartsWith(ctx, org.path))
    .execute();
  return rows.map((r) => r.id);
}

/** null (everything) ∩ a list, or list ∩ list. */
export function intersectScopes(a: string[] | null, b: string[] | null): string[] | null {
  if (a === null) return b;
  if (b === null) return a;
  const keep = new Set(b);
  return a.filter((id) => keep.has(id));
}

/**
 * SQL condition "this organisation column is in the set" with one bound parameter whatever the set's
 * size (a JSON array on SQLite, an array on PostgreSQL). null = everything.
 */
export function inOrganizations(
  ctx: AppContext,
  ids: string[] | null,
  column: string,
  opts: { index?: boolean } = {},
): RawBuilder<boolean> {
  if (ids === null) return sql<boolean>`1 = 1`;
  if (ids.length === 0) return sql<boolean>`1 = 0`;
  const ref = sql.ref(column);
  if (ctx.store.dialect === 'postgres') return sql<boolean>`${ref} = any(${ids}::text[])`;
  // `+column` keeps SQLite from driving the query by this column's index (when the caller knows the
  // sort index is the better way in: a large scope, see SORT_LIMIT in paging.ts).
  const lhs = opts.index === false ? sql`+${ref}` : ref;
  return sql<boolean>`${lhs} in (select value from json_each(${JSON.stringify(ids)}))`;
}

/** Offset page of a short list (batches, billing): page ≥ 1, `size` items by default, `max` at most. */
export function offsetPage(s: { page?: number; pageSize?: number }, size = 20, max = 100) {
  const page = Math.max(1, Math.floor(s.page ?? 1));
  const pageSize = Math.min(max, Math.max(1, Math.floor(s.pageSize ?? size)));
  return { page, pageSize, offset: (page - 1) * pageSize };
}

/** LIKE pattern of an organisation's path and of all under it (one that matches nothing when it does not exist). */
export async function subtreeOf(ctx: AppContext, organizationId: string): Promise<string> {
  const org = await ctx.store.db
    .selectFrom('organizations')
    .select('path')
    .where('id', '=', organizationId)
    .executeTakeFirst();
  return `${org?.path ?? '/none/'}%`;
}
