// Word-prefix search over the agents (names, identifier, e-mail), for every list that finds agents by
// name: a full-text index (SQLite FTS5, PostgreSQL GIN over a tsvector) when the words are rare, the
// sort index read in order when they are common (docs/architecture-decisions.md, "Search").
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../../store/schema.ts';
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

/** Letters NFD leaves whole, folded the way a French directory reader expects. */
const FOLD: Record<string, string> = { œ: 'oe', æ: 'ae', ß: 'ss', ø: 'o', đ: 'd', ł: 'l', ð: 'd', þ: 'th' };

/** Characters of the name kept in the sort key (11 in base 27: the key stays below 2^53). */
const KEY_CHARS = 11;

/**
 * The directory's sort order as an integer: the first 11 characters of « last name first names »
 * folded (lower case, no accents), each letter a digit in base 27 (0 = end, 1 = any separator,
 * 2–27 = a–z). Lists sort by it (PostgreSQL: then by id); on SQLite the agent's rowid is
 * sortKey × 1024 + a slot (`placeAgents`), so the table, its full-text index and every index on it
 * are in name order, and a word search streams its matches in that order (docs/architecture-decisions.md).
 */
export function nameSortKey(lastName: string, firstNames: string): number {
  const folded = `${lastName} ${firstNames}`
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[œæßøđłðþ]/g, (c) => FOLD[c] ?? c)
    .replace(/[^a-z]+/g, ' ')
    .trim();
  let key = 0;
  for (let i = 0; i < KEY_CHARS; i++) {
    const c = folded.charCodeAt(i);
    key = key * 27 + (Number.isNaN(c) ? 0 : c === 32 ? 1 : c - 95);
  }
  return key;
}

/** Rows per name-key group on SQLite (rowid = sortKey × SLOTS + slot). */
export const SLOTS = 1024;

/**
 * SQLite: gives each new agent row a rowid in name order. Reads the highest slot used in each
 * group once, then numbers the rows in the given order. Returns one rowid per row (BigInt, beyond
 * 2^53), or null when a group is full (the database then picks one: such a row is found and listed,
 * out of order).
 */
export async function allocateRowids(
  db: Kysely<Database> | Transaction<Database>,
  sortKeys: number[],
): Promise<(bigint | null)[]> {
  const groups = [...new Set(sortKeys)];
  const next = new Map<number, number>();
  for (let i = 0; i < groups.length; i += 500) {
    const chunk = groups.slice(i, i + 500);
    const rows = await sql<{ k: number; slot: number }>`select b.value as k,
      (select coalesce(max(rowid) - b.value * ${sql.lit(SLOTS)} + 1, 0) from agents
        where rowid >= b.value * ${sql.lit(SLOTS)} and rowid < (b.value + 1) * ${sql.lit(SLOTS)}) as slot
      from json_each(${JSON.stringify(chunk)}) as b`.execute(db);
    for (const r of rows.rows) next.set(Number(r.k), Number(r.slot));
  }
  return sortKeys.map((k) => {
    const slot = next.get(k) ?? 0;
    if (slot >= SLOTS) return null;
    next.set(k, slot + 1);
    return BigInt(k) * BigInt(SLOTS) + BigInt(slot);
  });
}

/**
 * SQLite: moves an existing agent's row to its place in name order (after a change of name, or
 * after an insert that could not give the rowid). Nothing to do on PostgreSQL (sort_key column).
 */
export async function placeAgent(
  ctx: AppContext,
  trx: Transaction<Database>,
  id: string,
  sortKey: number,
): Promise<void> {
  if (ctx.store.dialect !== 'sqlite') return;
  const current = await sql<{ k: number }>`select rowid / ${sql.lit(SLOTS)} as k from agents where id = ${id}`.execute(
    trx,
  );
  if (current.rows[0] && Number(current.rows[0].k) === sortKey) return;
  const [rowid] = await allocateRowids(trx, [sortKey]);
  if (rowid !== null && rowid !== undefined)
    await sql`update agents set rowid = ${rowid} where id = ${id}`.execute(trx);
}

/**
 * The directory order: SQLite by rowid (name order, see nameSortKey), PostgreSQL by (sort_key, id).
 * `after` is the id of the last agent of the previous page (keyset).
 */
export function nameOrder(ctx: AppContext, alias: string) {
  const a = (col: string) => sql.ref(`${alias}.${col}`);
  if (ctx.store.dialect === 'sqlite')
    return {
      columns: [sql`${a('rowid')}`],
      after: (id: string) => sql<boolean>`${a('rowid')} > (select rowid from agents where id = ${id})`,
    };
  return {
    columns: [sql`${a('sort_key')}`, sql`${a('id')}`],
    after: (id: string) =>
      sql<boolean>`(${a('sort_key')}, ${a('id')}) > (select sort_key, id from agents where id = ${id})`,
  };
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
  // Common words: a cheap test per row while the sort index is read in order.
  return { sparse: false, where: (alias) => wordsLike(words, alias) };
}

/**
 * The same test row by row: search_text is words separated by single spaces, so " word" marks the
 * start of a word.
 */
export function wordsLike(words: string[], alias: string): RawBuilder<boolean> {
  return sql<boolean>`(${sql.join(
    words.map((w) => sql`(' ' || ${sql.ref(`${alias}.search_text`)}) like ${`% ${w}%`}`),
    sql` and `,
  )})`;
}

/** The full-text condition alone (no join): SQLite FTS5 expression or PostgreSQL tsquery. */
export function ftsExpression(ctx: AppContext, words: string[]): string {
  return ctx.store.dialect === 'sqlite'
    ? words.map((w) => `"${w}"*`).join(' ')
    : words.map((w) => `${w}:*`).join(' & ');
}
