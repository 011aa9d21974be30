// The dashboards' daily rows (steering_daily), refreshed by a job from the dated columns of case files,
// their timeline and cards: for each day of a range, the rows are deleted and written again from the
// source in one transaction (idempotent: a re-run, a second instance or a late correction changes
// nothing but the figures it must). See README.md for why a job rather than the same transaction.
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../../store/schema.ts';
import type { Dialect } from '../../store/database.ts';
import type { AppContext } from '../context.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** Scope of the whole card programme's rows. */
export const PROGRAMME_SCOPE = '*';

export const CENTRE_METRICS = ['registered', 'processed', 'controlled', 'anomaly', 'returned', 'transferred'] as const;
export const CARD_METRICS = [
  'card.ordered',
  'card.produced',
  'card.handed_over',
  'card.activated',
  'card.revoked',
  'card.billed',
] as const;

const DAY_MS = 86_400_000;

export function dayOf(iso: string): string {
  return iso.slice(0, 10);
}

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(day) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Whole days between two instants' calendar dates (b − a), in SQL of the dialect. */
function dayDiff(dialect: Dialect, a: RawBuilder<unknown>, b: RawBuilder<unknown>): RawBuilder<number> {
  return dialect === 'postgres'
    ? sql<number>`(cast(substr(${b}, 1, 10) as date) - cast(substr(${a}, 1, 10) as date))`
    : sql<number>`cast(julianday(substr(${b}, 1, 10)) - julianday(substr(${a}, 1, 10)) as integer)`;
}

const col = (name: string) => sql.raw(name);

/**
 * Control figures by day: how many controls were made and how many found an anomaly, with the amounts of
 * the files controlled: the office head's self-checks (a pass is a control without anomaly, a file sent back
 * to processing is a control with one) and the BOM's controls of files (a control with an anomaly opens a sheet).
 */
export async function writeControlFigures(trx: Db, from: string, to: string): Promise<void> {
  // Controls are the office heads' self-checks (a refused one found an anomaly) and the BOM's controls of
  // internal control (src/app/control, seed 003 §4), one row each, grouped per centre, day and kind.
  for (const [metric, selfCheckTypes, bomAnomaly] of [
    ['controlled', ['self_check', 'self_check_refused'], null],
    ['anomaly', ['self_check_refused'], 1],
  ] as const)
    await sql`insert into steering_daily (scope_id, day, metric, dim, n, total)
      select centre_id, day, cast(${metric} as text), kind_code, count(*), coalesce(sum(amount_cents), 0)
      from (
        select f.centre_id, substr(e.at, 1, 10) as day, f.kind_code, f.amount_cents
        from case_file_events e join case_files f on f.id = e.case_file_id
        where e.type in (${sql.join(selfCheckTypes)}) and e.at >= ${from} and e.at < ${to}
        union all
        select c.centre_id, substr(c.controlled_at, 1, 10) as day, f.kind_code, c.amount_cents
        from controls c join case_files f on f.id = c.case_file_id
        where c.controlled_at >= ${from} and c.controlled_at < ${to}
          ${bomAnomaly === null ? sql`` : sql`and c.anomaly = ${bomAnomaly}`}
      ) as controls_done
      group by centre_id, day, kind_code`.execute(trx);
}

async function writeCentreRows(trx: Db, dialect: Dialect, from: string, to: string): Promise<void> {
  const dated: [string, string, RawBuilder<unknown>][] = [
    ['registered', 'registered_at', sql`0`],
    ['processed', 'processed_at', sql`coalesce(sum(amount_cents), 0)`],
    ['returned', 'returned_at', sql`0`],
    [
      'transferred',
      'transferred_at',
      sql`coalesce(sum(${dayDiff(dialect, sql`received_at`, sql`transferred_at`)} + 1), 0)`,
    ],
  ];
  for (const [metric, column, total] of dated)
    await sql`insert into steering_daily (scope_id, day, metric, dim, n, total)
      select centre_id, substr(${col(column)}, 1, 10), cast(${metric} as text), kind_code, count(*), ${total}
      from case_files where ${col(column)} >= ${from} and ${col(column)} < ${to}
      group by centre_id, substr(${col(column)}, 1, 10), kind_code`.execute(trx);
  await writeControlFigures(trx, from, to);
}

async function writeCardRows(trx: Db, dialect: Dialect, from: string, to: string): Promise<void> {
  const queries: [string, RawBuilder<unknown>][] = [
    [
      'card.ordered',
      sql`select c.organization_id as scope_id, substr(c.created_at, 1, 10) as day, '' as dim, count(*) as n, 0 as total
        from cards c where c.created_at >= ${from} and c.created_at < ${to}
        group by c.organization_id, substr(c.created_at, 1, 10)`,
    ],
    [
      'card.produced',
      sql`select c.organization_id as scope_id, substr(c.produced_at, 1, 10) as day, '' as dim, count(*) as n, 0 as total
        from cards c where c.produced_at >= ${from} and c.produced_at < ${to}
        group by c.organization_id, substr(c.produced_at, 1, 10)`,
    ],
    [
      'card.handed_over',
      sql`select c.organization_id as scope_id, substr(h.handed_over_at, 1, 10) as day, '' as dim, count(*) as n,
          coalesce(sum(${dayDiff(dialect, sql`c.created_at`, sql`h.handed_over_at`)}), 0) as total
        from card_handovers h join cards c on c.id = h.card_id
        where h.handed_over_at >= ${from} and h.handed_over_at < ${to}
        group by c.organization_id, substr(h.handed_over_at, 1, 10)`,
    ],
    [
      'card.activated',
      sql`select c.organization_id as scope_id, substr(a.completed_at, 1, 10) as day, '' as dim, count(*) as n, 0 as total
        from card_activations a join cards c on c.id = a.card_id
        where a.completed_at >= ${from} and a.completed_at < ${to}
        group by c.organization_id, substr(a.completed_at, 1, 10)`,
    ],
    [
      // A card's revocation revokes its three certificates: its authentication certificate counts the card.
      'card.revoked',
      sql`select c.organization_id as scope_id, substr(t.revoked_at, 1, 10) as day,
          coalesce(t.revocation_reason, 'unspecified') as dim, count(*) as n, 0 as total
        from certificates t join cards c on c.id = t.card_id
        where t.revoked_at >= ${from} and t.revoked_at < ${to} and t.profile = 'auth'
        group by c.organization_id, substr(t.revoked_at, 1, 10), coalesce(t.revocation_reason, 'unspecified')`,
    ],
    [
      'card.billed',
      sql`select b.organization_id as scope_id, substr(b.created_at, 1, 10) as day, '' as dim, count(*) as n,
          coalesce(sum(b.amount_cents), 0) as total
        from billing_entries b where b.created_at >= ${from} and b.created_at < ${to}
        group by b.organization_id, substr(b.created_at, 1, 10)`,
    ],
  ];
  for (const [metric, q] of queries) {
    await sql`insert into steering_daily (scope_id, day, metric, dim, n, total)
      select scope_id, day, cast(${metric} as text), dim, n, total from (${q}) x`.execute(trx);
    // The programme as a whole: one row per day, so its dashboard reads 365 rows, not one per organisation.
    await sql`insert into steering_daily (scope_id, day, metric, dim, n, total)
      select cast(${PROGRAMME_SCOPE} as text), day, cast(${metric} as text), dim, sum(n), sum(total) from (${q}) x group by day, dim`.execute(
      trx,
    );
  }
}

/** Rewrites the daily rows of the days [fromDay, toDay] (YYYY-MM-DD, both included) in one transaction. */
export async function rebuildDays(ctx: AppContext, fromDay: string, toDay: string): Promise<void> {
  const to = addDays(toDay, 1);
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('steering_daily').where('day', '>=', fromDay).where('day', '<', to).execute();
    await writeCentreRows(trx, ctx.store.dialect, fromDay, to);
    await writeCardRows(trx, ctx.store.dialect, fromDay, to);
  });
}

const REFRESH = 'daily';

/**
 * The job: rewrites the days since the last refresh (the day before it too, for transactions that
 * committed late with an earlier timestamp), up to today. The first run rebuilds 13 months.
 */
export async function refreshSteering(ctx: AppContext): Promise<{ from: string; to: string }> {
  const now = ctx.now().toISOString();
  const last = await ctx.store.db
    .selectFrom('steering_refresh')
    .select(['refreshed_at'])
    .where('name', '=', REFRESH)
    .executeTakeFirst();
  const today = dayOf(now);
  const from = last ? addDays(dayOf(last.refreshed_at), -1) : addDays(today, -400);
  // Bounded: never more than 400 days in one run.
  const start = from < addDays(today, -400) ? addDays(today, -400) : from;
  await rebuildDays(ctx, start, today);
  await ctx.store.db
    .insertInto('steering_refresh')
    .values({ name: REFRESH, refreshed_at: now, from_day: start })
    .onConflict((oc) => oc.column('name').doUpdateSet({ refreshed_at: now, from_day: start }))
    .execute();
  return { from: start, to: today };
}

export async function lastRefresh(db: Db): Promise<string | null> {
  const r = await db
    .selectFrom('steering_refresh')
    .select('refreshed_at')
    .where('name', '=', REFRESH)
    .executeTakeFirst();
  return r?.refreshed_at ?? null;
}
