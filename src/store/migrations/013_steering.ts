import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

// Steering (seed 003 annex II): the dashboards' figures pre-aggregated per day (refreshed by a job
// from the dated columns of case files and cards: see src/app/steering/README.md), the monthly
// figures entered by the head of centre (means, overpayments, rejections by the paying centre), the
// warning thresholds and the alerts raised once per month, the « recueil des tableaux de bord ».
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const binary = sql.raw(dialect === 'postgres' ? 'bytea' : 'blob');
  const real = sql.raw(dialect === 'postgres' ? 'double precision' : 'real');
  const s = db.schema;

  // One row per scope (a centre, an organisation, or '*' for the whole card programme), day, metric
  // and dimension (a kind of file, a revocation reason; '' when none): a count and a sum.
  await s
    .createTable('steering_daily')
    .addColumn('scope_id', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull()) // YYYY-MM-DD (UTC)
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('dim', 'text', (c) => c.notNull())
    .addColumn('n', 'bigint', (c) => c.notNull())
    .addColumn('total', 'bigint', (c) => c.notNull()) // cents or days, per metric
    .addPrimaryKeyConstraint('steering_daily_pk', ['scope_id', 'day', 'metric', 'dim'])
    .execute();
  // The job rewrites a range of days across all scopes.
  await s.createIndex('steering_daily_day').on('steering_daily').column('day').execute();

  // Figures outside the platform, entered each month by the head of centre (annex II, « les moyens »
  // and the warning indicators communicated by the paying centre). JSON of domain/steering.ts MonthlyEntry.
  await s
    .createTable('steering_entries')
    .addColumn('centre_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('month', 'text', (c) => c.notNull()) // YYYY-MM
    .addColumn('figures', 'text', (c) => c.notNull())
    .addColumn('entered_by', 'text')
    .addColumn('entered_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('steering_entries_pk', ['centre_id', 'month'])
    .execute();

  await s
    .createTable('steering_thresholds')
    .addColumn('scope_id', 'text', (c) => c.notNull())
    .addColumn('indicator', 'text', (c) => c.notNull())
    .addColumn('threshold', real, (c) => c.notNull())
    .addColumn('set_by', 'text')
    .addColumn('set_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('steering_thresholds_pk', ['scope_id', 'indicator'])
    .execute();

  // A red indicator is mailed once per scope, month and indicator, whichever instance sees it first.
  await s
    .createTable('steering_alerts')
    .addColumn('scope_id', 'text', (c) => c.notNull())
    .addColumn('month', 'text', (c) => c.notNull())
    .addColumn('indicator', 'text', (c) => c.notNull())
    .addColumn('value', real, (c) => c.notNull())
    .addColumn('threshold', real, (c) => c.notNull())
    .addColumn('raised_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('steering_alerts_pk', ['scope_id', 'month', 'indicator'])
    .execute();

  // Up to which instant the daily rows were refreshed (one row per job name).
  await s
    .createTable('steering_refresh')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('refreshed_at', 'text', (c) => c.notNull())
    .addColumn('from_day', 'text', (c) => c.notNull())
    .execute();

  // « Recueil des tableaux de bord » (annex I, 6): the dashboard of each month, CSV and PDF, kept.
  await s
    .createTable('steering_archive')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('scope_id', 'text', (c) => c.notNull())
    .addColumn('month', 'text', (c) => c.notNull())
    .addColumn('csv', 'text', (c) => c.notNull())
    .addColumn('pdf', binary, (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await s
    .createIndex('steering_archive_month')
    .on('steering_archive')
    .columns(['scope_id', 'month'])
    .unique()
    .execute();

  // The refresh reads each dated column of case files by day range: one partial index each.
  for (const col of ['registered_at', 'self_checked_at', 'transferred_at', 'returned_at'])
    await sql`create index ${sql.raw(`case_files_${col}`)} on case_files (${sql.raw(col)})
      where ${sql.raw(col)} is not null`.execute(db);
  await sql`create index case_files_processed_day on case_files (processed_at) where processed_at is not null`.execute(
    db,
  );
  // Cards by the instants of their life, for the card programme's dashboard.
  await s.createIndex('cards_created').on('cards').column('created_at').execute();
  await sql`create index cards_produced on cards (produced_at) where produced_at is not null`.execute(db);
  await s.createIndex('card_handovers_at').on('card_handovers').column('handed_over_at').execute();
  await sql`create index card_activations_completed on card_activations (completed_at)
    where completed_at is not null`.execute(db);
  await sql`create index certificates_revoked_at on certificates (revoked_at) where revoked_at is not null`.execute(db);
  // The to-do: activations waiting for the operator's paraphe.
  await sql`create index card_activations_to_finalize on card_activations (operator_id)
    where completed_at is not null and finalized_at is null`.execute(db);
}
