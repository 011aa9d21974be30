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

/** Page of a list: page ≥ 1, `size` items by default, `max` at most. */
export function pageOf(s: { page?: number; pageSize?: number }, size = 20, max = 100) {
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
