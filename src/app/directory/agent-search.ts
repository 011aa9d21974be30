// Word-prefix search over the agents (names, identifier, e-mail), for every list that finds agents by
// name: a full-text index (SQLite FTS5, PostgreSQL GIN over a tsvector) when the words are rare, the
// sort index read in order when they are common (docs/architecture-decisions.md, "Search").
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../../store/schema.ts';
import type { AppContext } from '../context.ts';
import { SORT_LIMIT } from '../paging.ts';

/** Letters NFD leaves whole, folded the way a French directory reader expects. */
const FOLD: Record<string, string> = { œ: 'oe', æ: 'ae', ß: 'ss', ø: 'o', đ: 'd', ł: 'l', ð: 'd', þ: 'th' };

/** Lower-case words without accents or punctuation (« Lœuvre » → loeuvre), as stored in agents.search_text. */
export function searchText(...parts: (string | null | undefined)[]): string {
  return parts
    .filter(Boolean)
    .join(' ')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[œæßøđłðþ]/g, (c) => FOLD[c] ?? c)
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/**
 * The directory's order: « last name first names » folded (lower case, no accents, letters and
 * single spaces), then the id. PostgreSQL lists by (sort_name, id); on SQLite each agent's rowid is a
 * position in that order (`allocateRowids`), so the table, its full-text index and every index on it
 * are in name order, and a word search streams its matches in list order (docs/architecture-decisions.md).
 */
export function nameSortText(lastName: string, firstNames: string): string {
  return `${lastName} ${firstNames}`
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[œæßøđłðþ]/g, (c) => FOLD[c] ?? c)
    .replace(/[^a-z]+/g, ' ')
    .trim();
}

/** SQLite positions: [LOW, HIGH) in name order; from HIGH up, rows placed after a gap ran out. */
const LOW = 1n << 32n;
const HIGH = 1n << 62n;
const TOP = (1n << 63n) - 1n;

export interface Placed {
  sortName: string;
  id: string;
}

/**
 * SQLite: positions (rowids) for new rows in name order, between their neighbours already in the
 * table; rows falling in the same gap share it evenly. One statement finds every neighbour. A gap too
 * narrow (repeated inserts at one spot) sends its rows above HIGH, where they are listed last until
 * renumbered (no command does it yet; they stay correct otherwise). Returns one BigInt per item, in the items' order.
 */
export async function allocateRowids(
  db: Kysely<Database> | Transaction<Database>,
  items: readonly Placed[],
): Promise<bigint[]> {
  const order = items.map((_, i) => i).sort((x, y) => compareNames(items[x]!, items[y]!));
  const bounds: { pred: string | null; succ: string | null }[] = [];
  for (let i = 0; i < order.length; i += 2000) {
    const chunk = order.slice(i, i + 2000).map((k) => [items[k]!.sortName, items[k]!.id]);
    // `+rowid`: the neighbour is found by a seek in agents_sort; a rowid range would make SQLite read
    // every row of the range and sort it, once per item (quadratic over an import).
    const rows = await sql<{ pred: string | null; succ: string | null }>`select
      (select cast(rowid as text) from agents where (sort_name, id) < (j.value ->> 0, j.value ->> 1)
        and +rowid >= ${sql.raw(LOW.toString())} and +rowid < ${sql.raw(HIGH.toString())}
        order by sort_name desc, id desc limit 1) as pred,
      (select cast(rowid as text) from agents where (sort_name, id) > (j.value ->> 0, j.value ->> 1)
        and +rowid >= ${sql.raw(LOW.toString())} and +rowid < ${sql.raw(HIGH.toString())}
        order by sort_name, id limit 1) as succ
      from json_each(${JSON.stringify(chunk)}) as j order by j.key`.execute(db);
    bounds.push(...rows.rows);
  }
  const out = new Array<bigint>(items.length);
  let overflow: bigint | null = null;
  for (let i = 0; i < order.length;) {
    // A run: consecutive items (in name order) with the same successor share one gap.
    let j = i + 1;
    while (j < order.length && bounds[j]!.succ === bounds[i]!.succ) j++;
    const lo = bounds[i]!.pred === null ? LOW : BigInt(bounds[i]!.pred!);
    const hi = bounds[i]!.succ === null ? HIGH : BigInt(bounds[i]!.succ!);
    const step = (hi - lo) / BigInt(j - i + 1);
    for (let k = i; k < j; k++) {
      if (step >= 1n) out[order[k]!] = lo + step * BigInt(k - i + 1);
      else {
        overflow ??= BigInt(
          (
            await sql<{ top: string }>`select cast(coalesce(max(rowid), ${sql.raw(HIGH.toString())}) as text) as top
              from agents where rowid >= ${sql.raw(HIGH.toString())}`.execute(db)
          ).rows[0]!.top,
        );
        overflow += 1n;
        if (overflow > TOP) throw new Error('agent positions exhausted');
        out[order[k]!] = overflow;
      }
    }
    i = j;
  }
  return out;
}

function compareNames(a: Placed, b: Placed): number {
  return a.sortName < b.sortName ? -1 : a.sortName > b.sortName ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * SQLite: puts an agent in name order: a row just inserted without a position (`inserted`), or one
 * whose neighbours say it is out of place after a change of name. Nothing to do on PostgreSQL.
 */
export async function placeAgent(
  ctx: AppContext,
  trx: Transaction<Database>,
  id: string,
  opts: { inserted?: boolean } = {},
): Promise<void> {
  if (ctx.store.dialect !== 'sqlite') return;
  const { rows } = await sql<{ sort_name: string | null; inside: number }>`select a.sort_name,
      (coalesce((select p.rowid from agents p where (p.sort_name, p.id) < (a.sort_name, a.id)
         and +p.rowid >= ${sql.raw(LOW.toString())} and +p.rowid < ${sql.raw(HIGH.toString())}
         order by p.sort_name desc, p.id desc limit 1), ${sql.raw((LOW - 1n).toString())}) < a.rowid
       and a.rowid < coalesce((select n.rowid from agents n where (n.sort_name, n.id) > (a.sort_name, a.id)
         and +n.rowid >= ${sql.raw(LOW.toString())} and +n.rowid < ${sql.raw(HIGH.toString())}
         order by n.sort_name, n.id limit 1), ${sql.raw(HIGH.toString())})) as inside
    from agents a where a.id = ${id}`.execute(trx);
  const row = rows[0];
  // A row just inserted has the rowid the database gave it (after the last one): always placed.
  if (!row || row.sort_name === null || (Number(row.inside) === 1 && !opts.inserted)) return;
  const [rowid] = await allocateRowids(trx, [{ sortName: row.sort_name, id }]);
  await sql`update agents set rowid = ${rowid} where id = ${id}`.execute(trx);
}

/**
 * The directory order: SQLite by rowid (name order, see nameSortText), PostgreSQL by (sort_name, id).
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
    columns: [sql`${a('sort_name')}`, sql`${a('id')}`],
    after: (id: string) =>
      sql<boolean>`(${a('sort_name')}, ${a('id')}) > (select sort_name, id from agents where id = ${id})`,
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
