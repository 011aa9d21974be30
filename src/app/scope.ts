import { sql, type RawBuilder } from 'kysely';

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
