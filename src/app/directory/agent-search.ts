// Word-prefix search over the agents (names, identifier, e-mail), for every list that finds agents by
// name: a full-text index (SQLite FTS5, PostgreSQL GIN over a tsvector) when the words are rare, the
// sort index read in order when they are common (docs/architecture-decisions.md, "Search").
import { sql, type RawBuilder } from 'kysely';
import type { AppContext } from '../context.ts';
import { SORT_LIMIT } from '../paging.ts';

/** Lower-case words without accents or punctuation, as stored in agents.search_text. */
export function searchText(...parts: (string | null | undefined)[]): string {
  return parts
    .filter(Boolean)
    .join(' ')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The words of a query (at most six): each must start a word of the agent's search text. */
export function queryWords(q: string | undefined): string[] {
  return searchText(q ?? '')
    .split(' ')
    .filter(Boolean)
    .slice(0, 6);
}

export interface AgentMatch {
  /** True when few agents match (≤ SORT_LIMIT): the full-text index drives the query. */
  sparse: boolean;
  /** Condition on the agents table aliased `alias`. */
  where(alias: string): RawBuilder<boolean>;
}

/** Decides how to find the agents whose search text has a word starting with each query word. */
export async function matchAgents(ctx: AppContext, words: string[]): Promise<AgentMatch> {
  const db = ctx.store.db;
  if (ctx.store.dialect === 'sqlite') {
    const expr = words.map((w) => `"${w}"*`).join(' ');
    const probe = await sql<{ n: number }>`select count(*) as n from
      (select rowid from agents_fts where agents_fts match ${expr} limit ${SORT_LIMIT + 1})`.execute(db);
    if (Number(probe.rows[0]!.n) <= SORT_LIMIT)
      return {
        sparse: true,
        where: (alias) =>
          sql<boolean>`${sql.ref(`${alias}.rowid`)} in (select rowid from agents_fts where agents_fts match ${expr})`,
      };
  } else {
    const tsquery = words.map((w) => `${w}:*`).join(' & ');
    const probe = await sql<{ n: number }>`select count(*) as n from
      (select 1 from agents where to_tsvector('simple', search_text) @@ to_tsquery('simple', ${tsquery})
       limit ${SORT_LIMIT + 1}) x`.execute(db);
    if (Number(probe.rows[0]!.n) <= SORT_LIMIT)
      return {
        sparse: true,
        where: (alias) =>
          sql<boolean>`to_tsvector('simple', ${sql.ref(`${alias}.search_text`)}) @@ to_tsquery('simple', ${tsquery})`,
      };
  }
  // Common words: a cheap test per row while the sort index is read in order (search_text is words
  // separated by single spaces, so " word" marks the start of a word).
  return {
    sparse: false,
    where: (alias) =>
      sql<boolean>`(${sql.join(
        words.map((w) => sql`(' ' || ${sql.ref(`${alias}.search_text`)}) like ${`% ${w}%`}`),
        sql` and `,
      )})`,
  };
}
