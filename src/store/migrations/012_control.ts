import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

// Internal control of a processing centre by its « organisation et méthodes » office (seed 003 §4):
// control plans (monthly, and the quarterly deontological one) with their lines and the seed of the
// draw, the controls of files (three objects, each with its verdict), control sheets with their visas,
// the monthly syntheses (« recueil des synthèses mensuelles ») and the transmissions to a unit's
// verifying service. The control mark (date, controller, stamp) is written on the case file.
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const binary = sql.raw(dialect === 'postgres' ? 'bytea' : 'blob');
  const s = db.schema;

  await s
    .createTable('control_plans')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('centre_id', 'text', (c) => c.notNull().references('backoffice_centres.organization_id'))
    .addColumn('type', 'text', (c) => c.notNull()) // monthly | deontological
    .addColumn('period', 'text', (c) => c.notNull()) // YYYY-MM | YYYY-Qn
    .addColumn('seed', 'text', (c) => c.notNull()) // of the draw: same seed + same files => same sample
    .addColumn('note', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('drawn_by', 'text')
    .addColumn('drawn_at', 'text')
    .execute();
  await s
    .createIndex('control_plans_period')
    .on('control_plans')
    .columns(['centre_id', 'type', 'period'])
    .unique()
    .execute();

  await s
    .createTable('control_plan_lines')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('plan_id', 'text', (c) => c.notNull().references('control_plans.id'))
    .addColumn('kind_code', 'text', (c) => c.notNull().references('case_file_kinds.code'))
    .addColumn('office_id', 'text', (c) => c.references('backoffice_offices.organization_id'))
    .addColumn('error_potential', 'integer', (c) => c.notNull()) // 1..3
    .addColumn('amount_stakes', 'integer', (c) => c.notNull()) // 1..3
    .addColumn('last_month_controls', 'integer', (c) => c.notNull())
    .addColumn('last_month_anomalies', 'integer', (c) => c.notNull())
    .addColumn('suggested', 'integer', (c) => c.notNull())
    .addColumn('objective', 'integer', (c) => c.notNull())
    .addColumn('note', 'text')
    .execute();
  await s.createIndex('control_plan_lines_plan').on('control_plan_lines').column('plan_id').execute();

  await s
    .createTable('controls')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('centre_id', 'text', (c) => c.notNull().references('backoffice_centres.organization_id'))
    .addColumn('plan_id', 'text', (c) => c.notNull().references('control_plans.id'))
    .addColumn('line_id', 'text', (c) => c.references('control_plan_lines.id'))
    .addColumn('case_file_id', 'text', (c) => c.notNull().references('case_files.id'))
    .addColumn('origin', 'text', (c) => c.notNull()) // drawn | manual | deontological
    .addColumn('status', 'text', (c) => c.notNull()) // to_control | controlled
    .addColumn('added_by', 'text')
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addColumn('controller_id', 'text')
    .addColumn('controlled_at', 'text')
    .addColumn('verdicts', 'text') // JSON { evidence|coherence|rules: { verdict, note } }
    .addColumn('anomaly', 'integer')
    .addColumn('amount_cents', 'bigint') // the file's amount, for the anomaly share of the amounts controlled
    .execute();
  await s.createIndex('controls_plan_file').on('controls').columns(['plan_id', 'case_file_id']).unique().execute();
  await s.createIndex('controls_file').on('controls').column('case_file_id').execute();
  await s.createIndex('controls_centre_status').on('controls').columns(['centre_id', 'status']).execute();
  await sql`create index controls_done on controls (centre_id, controlled_at) where controlled_at is not null`.execute(
    db,
  );

  await s
    .createTable('control_sheets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('number', 'text', (c) => c.notNull().unique())
    .addColumn('centre_id', 'text', (c) => c.notNull().references('backoffice_centres.organization_id'))
    .addColumn('control_id', 'text', (c) => c.notNull().references('controls.id'))
    .addColumn('case_file_id', 'text', (c) => c.notNull().references('case_files.id'))
    .addColumn('office_id', 'text', (c) => c.references('backoffice_offices.organization_id'))
    .addColumn('kind_code', 'text', (c) => c.notNull())
    .addColumn('period', 'text', (c) => c.notNull()) // YYYY-MM of the opening
    .addColumn('object', 'text', (c) => c.notNull()) // evidence | coherence | rules
    .addColumn('rule', 'text', (c) => c.notNull()) // domain/control.ts ANOMALY_RULES
    .addColumn('findings', 'text', (c) => c.notNull())
    .addColumn('amount_cents', 'bigint')
    .addColumn('status', 'text', (c) => c.notNull()) // domain/control.ts SHEET_STATUSES
    .addColumn('opened_by', 'text', (c) => c.notNull())
    .addColumn('opened_at', 'text', (c) => c.notNull())
    .addColumn('bom_visa_by', 'text')
    .addColumn('bom_visa_at', 'text')
    .addColumn('bom_visa_note', 'text')
    .addColumn('follow_up', 'text')
    .addColumn('followed_up_by', 'text')
    .addColumn('followed_up_at', 'text')
    .addColumn('centre_visa_by', 'text')
    .addColumn('centre_visa_at', 'text')
    .addColumn('centre_visa_note', 'text')
    .addColumn('archived_by', 'text')
    .addColumn('archived_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('control_sheets_status').on('control_sheets').columns(['centre_id', 'status']).execute();
  await s.createIndex('control_sheets_period').on('control_sheets').columns(['centre_id', 'period']).execute();
  await s.createIndex('control_sheets_file').on('control_sheets').column('case_file_id').execute();

  await s
    .createTable('control_syntheses')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('centre_id', 'text', (c) => c.notNull().references('backoffice_centres.organization_id'))
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('recurrence_months', 'integer', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull()) // JSON synthesis
    .addColumn('pdf', binary, (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await s
    .createIndex('control_syntheses_period')
    .on('control_syntheses')
    .columns(['centre_id', 'period'])
    .unique()
    .execute();

  await s
    .createTable('control_transmissions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('number', 'text', (c) => c.notNull().unique())
    .addColumn('centre_id', 'text', (c) => c.notNull().references('backoffice_centres.organization_id'))
    .addColumn('case_file_id', 'text', (c) => c.notNull().references('case_files.id'))
    .addColumn('control_id', 'text', (c) => c.references('controls.id'))
    .addColumn('recipient_organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('grounds', 'text', (c) => c.notNull())
    .addColumn('pdf', binary, (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('control_transmissions_file').on('control_transmissions').column('case_file_id').execute();

  // The control mark written on the file (§4.3.2): date, controller, the office's stamp.
  await s.alterTable('case_files').addColumn('controlled_at', 'text').execute();
  await s.alterTable('case_files').addColumn('controlled_by', 'text').execute();
  await s.alterTable('case_files').addColumn('control_stamp', 'text').execute();
}
