// Long lists (agents, cards, card requests, the audit trail): keyset pagination with an opaque
// `after` cursor, `page` kept for the portal's numbered pages, and totals that never count a whole
// big table (docs/architecture-decisions.md).
import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../store/schema.ts';
import { invalid } from './errors.ts';

/** Exact totals are counted up to this many rows; beyond, the answer says "at least". */
export const COUNT_CAP = 10_000;

/**
 * The most rows a list query may gather and sort for one page. A filter that keeps more than this
 * reads the sort index in order and stops at the page's end instead.
 */
export const SORT_LIMIT = 5_000;

export interface PageRequest {
  page?: number;
  pageSize?: number;
  after?: string;
}

export interface PageInfo {
  /** Exact when `totalExact`, otherwise a lower bound ("more than"). */
  total: number;
  totalExact: boolean;
  page: number;
  pageSize: number;
  /** Cursor of the next page (pass it as `after`), or null on the last page. */
  next: string | null;
}

export type CursorValue = string | number;

export function encodeCursor(values: CursorValue[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/** Decodes a cursor made by `encodeCursor` for a list whose key has these types. */
export function decodeCursor(cursor: string, types: ('string' | 'number')[]): CursorValue[] {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    values = null;
  }
  if (
    !Array.isArray(values) ||
    values.length !== types.length ||
    values.some((v, i) => typeof v !== types[i] || (typeof v === 'number' && !Number.isFinite(v)))
  )
    throw invalid('Curseur de pagination invalide : repartez de la première page.', [
      { field: 'after', reason: 'Curseur invalide.' },
    ]);
  return values as CursorValue[];
}

/** Page number, page size and row offset of a request (the offset is 0 with a cursor). */
export function pageWindow(req: PageRequest, defaultSize: number, maxSize: number) {
  const pageSize = Math.min(maxSize, Math.max(1, Math.floor(req.pageSize ?? defaultSize)));
  const page = req.after ? 1 : Math.max(1, Math.floor(req.page ?? 1));
  return { page, pageSize, offset: (page - 1) * pageSize, cursor: Boolean(req.after) };
}

/**
 * Counts the rows of a query, reading at most `cap` + 1 of them: { n, exact } where n is exact
 * when `exact`, else a lower bound.
 */
export async function boundedCount(
  db: Kysely<Database>,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  q: SelectQueryBuilder<any, any, any>,
  cap: number = COUNT_CAP,
): Promise<{ n: number; exact: boolean }> {
  const row = await db
    .selectFrom(
      q
        .clearSelect()
        .clearOrderBy()
        .select(sql<number>`1`.as('one'))
        .limit(cap + 1)
        .as('bounded'),
    )
    .select(sql<number>`count(*)`.as('n'))
    .executeTakeFirstOrThrow();
  const n = Number(row.n);
  return n > cap ? { n: cap, exact: false } : { n, exact: true };
}

/**
 * The page's items and paging facts from rows fetched with limit pageSize + 1 (the extra row says
 * whether a next page exists). `known` is the exact total when the caller has one.
 */
export function pageOf<R, T>(
  rows: R[],
  win: ReturnType<typeof pageWindow>,
  view: (r: R) => T,
  key: (r: R) => CursorValue[],
  counted: { n: number; exact: boolean } | null,
): { items: T[] } & PageInfo {
  const more = rows.length > win.pageSize;
  const kept = more ? rows.slice(0, win.pageSize) : rows;
  const seen = win.offset + kept.length + (more ? 1 : 0);
  const total = counted ? Math.max(counted.n, counted.exact ? 0 : seen) : seen;
  return {
    items: kept.map(view),
    total: counted?.exact ? counted.n : total,
    totalExact: counted?.exact ?? (!more && !win.cursor),
    page: win.page,
    pageSize: win.pageSize,
    next: more ? encodeCursor(key(kept.at(-1)!)) : null,
  };
}
