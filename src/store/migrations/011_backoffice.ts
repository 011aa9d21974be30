import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

// The processing centre's back office (seed 003): centres and their offices, case-file kinds as data,
// transmittal slips, case files with their pieces, form checks and timeline, return letters, the
// archive register and its transfers, ageing reports. Dates stay in columns (not only in the
// timeline) so that monthly indicators and the ageing report are plain indexed queries.
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const binary = sql.raw(dialect === 'postgres' ? 'bytea' : 'blob');
  const s = db.schema;

  await s
    .createTable('backoffice_centres')
    .addColumn('organization_id', 'text', (c) => c.primaryKey().references('organizations.id'))
    // Card files of agents under this organisation are followed by this centre.
    .addColumn('serves_organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await s
    .createTable('backoffice_offices')
    .addColumn('organization_id', 'text', (c) => c.primaryKey().references('organizations.id'))
    .addColumn('centre_id', 'text', (c) => c.notNull().references('backoffice_centres.organization_id'))
    .addColumn('code', 'text', (c) => c.notNull()) // as the kinds name it: BL, BT1, BOM...
    .addColumn('function', 'text', (c) => c.notNull()) // liaison | processing | methods
    .addColumn('email', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await s
    .createIndex('backoffice_offices_code')
    .on('backoffice_offices')
    .columns(['centre_id', 'code'])
    .unique()
    .execute();

  await s
    .createTable('case_file_kinds')
    .addColumn('code', 'text', (c) => c.primaryKey())
    .addColumn('family', 'text', (c) => c.notNull()) // card | unit
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('definition', 'text', (c) => c.notNull()) // JSON CaseKindDefinition (domain/case-kinds.ts)
    .addColumn('source', 'text', (c) => c.notNull()) // file | admin
    .addColumn('file_hash', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await s
    .createTable('transmittal_slips')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('number', 'text', (c) => c.notNull().unique())
    .addColumn('centre_id', 'text', (c) => c.notNull().references('backoffice_centres.organization_id'))
    .addColumn('sending_organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('unit_reference', 'text', (c) => c.notNull())
    .addColumn('slip_date', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('contact_name', 'text')
    .addColumn('contact_phone', 'text')
    .addColumn('contact_email', 'text')
    .addColumn('file_count', 'integer', (c) => c.notNull())
    .addColumn('registered_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await s
    .createIndex('transmittal_slips_centre')
    .on('transmittal_slips')
    .columns(['centre_id', 'received_at'])
    .execute();

  await s
    .createTable('case_files')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('number', 'text', (c) => c.notNull().unique())
    .addColumn('kind_code', 'text', (c) => c.notNull().references('case_file_kinds.code'))
    .addColumn('family', 'text', (c) => c.notNull())
    .addColumn('centre_id', 'text', (c) => c.notNull().references('backoffice_centres.organization_id'))
    .addColumn('office_id', 'text', (c) => c.references('backoffice_offices.organization_id'))
    .addColumn('sending_organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('delegating_authority_id', 'text', (c) => c.references('organizations.id'))
    .addColumn('slip_id', 'text', (c) => c.references('transmittal_slips.id'))
    .addColumn('agent_id', 'text', (c) => c.references('agents.id'))
    .addColumn('person_name', 'text', (c) => c.notNull())
    .addColumn('person_identifier', 'text')
    .addColumn('unit_reference', 'text')
    .addColumn('card_request_id', 'text')
    .addColumn('card_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull()) // domain/case-file.ts CASE_FILE_STATUSES
    .addColumn('priority', 'text', (c) => c.notNull()) // normal | relative | absolute
    .addColumn('priority_note', 'text')
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('registered_at', 'text')
    .addColumn('due_on', 'text')
    .addColumn('routed_at', 'text')
    .addColumn('taken_by', 'text')
    .addColumn('taken_at', 'text')
    .addColumn('deferred_at', 'text')
    .addColumn('deferred_reason', 'text')
    .addColumn('unit_notified_at', 'text')
    .addColumn('processed_at', 'text')
    .addColumn('processed_by', 'text')
    .addColumn('processed_office_id', 'text')
    .addColumn('outcome', 'text')
    .addColumn('amount_cents', 'bigint')
    .addColumn('movement_reference', 'text')
    .addColumn('self_checked_at', 'text')
    .addColumn('self_checked_by', 'text')
    .addColumn('transferred_at', 'text')
    .addColumn('transfer_reference', 'text')
    .addColumn('archived_at', 'text')
    .addColumn('returned_at', 'text')
    .addColumn('return_reasons', 'text') // JSON string[]
    .addColumn('status_changed_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('case_files_centre_status').on('case_files').columns(['centre_id', 'status']).execute();
  await s
    .createIndex('case_files_office_queue')
    .on('case_files')
    .columns(['office_id', 'status', 'received_at'])
    .execute();
  // Partial where a column is set for one family only: an intake writes no entry it will never look up.
  await sql`create index case_files_slip on case_files (slip_id) where slip_id is not null`.execute(db);
  await sql`create index case_files_card_request on case_files (card_request_id)
    where card_request_id is not null`.execute(db);
  await sql`create index case_files_card on case_files (card_id) where card_id is not null`.execute(db);
  await s
    .createIndex('case_files_sender')
    .on('case_files')
    .columns(['sending_organization_id', 'received_at'])
    .execute();
  await sql`create index case_files_processed on case_files (centre_id, processed_at)
    where processed_at is not null`.execute(db);
  // The ageing report reads only the files still in the centre: registered, neither archived nor returned.
  await sql`create index case_files_open on case_files (centre_id, registered_at)
    where archived_at is null and returned_at is null and registered_at is not null`.execute(db);

  await s
    .createTable('case_file_pieces')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_file_id', 'text', (c) => c.notNull().references('case_files.id'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('listed', 'integer', (c) => c.notNull()) // mentioned on the transmittal slip
    .addColumn('state', 'text', (c) => c.notNull()) // expected | present | missing | obtained
    .addColumn('note', 'text')
    .addColumn('file_name', 'text')
    .addColumn('content_type', 'text')
    .addColumn('bytes', binary)
    .addColumn('size', 'integer')
    .addColumn('sha256', 'text')
    .addColumn('source_ref', 'text') // e.g. card_document:<id> when the platform holds the document
    .addColumn('attached_by', 'text')
    .addColumn('attached_at', 'text')
    .addColumn('checked_by', 'text')
    .addColumn('checked_at', 'text')
    .execute();
  await s
    .createIndex('case_file_pieces_file')
    .on('case_file_pieces')
    .columns(['case_file_id', 'code'])
    .unique()
    .execute();

  await s
    .createTable('case_file_checks')
    .addColumn('case_file_id', 'text', (c) => c.notNull().references('case_files.id'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull()) // pending | ok | failed | resolved
    .addColumn('reason', 'text')
    .addColumn('checked_by', 'text')
    .addColumn('checked_at', 'text')
    .addPrimaryKeyConstraint('case_file_checks_pk', ['case_file_id', 'code'])
    .execute();

  await s
    .createTable('case_file_events')
    // Insertion order is the timeline's order among events of the same instant.
    .addColumn('seq', dialect === 'postgres' ? sql`bigserial primary key` : sql`integer primary key`)
    .addColumn('case_file_id', 'text', (c) => c.notNull().references('case_files.id'))
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('office_id', 'text')
    .addColumn('data', 'text', (c) => c.notNull()) // JSON
    .execute();
  await s.createIndex('case_file_events_file').on('case_file_events').columns(['case_file_id', 'at']).execute();
  await s.createIndex('case_file_events_type').on('case_file_events').columns(['type', 'at']).execute();

  await s
    .createTable('case_file_letters')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_file_id', 'text', (c) => c.notNull().references('case_files.id'))
    .addColumn('kind', 'text', (c) => c.notNull()) // return
    .addColumn('pdf', binary, (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('case_file_letters_file').on('case_file_letters').column('case_file_id').execute();

  await s
    .createTable('archive_transfers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('number', 'text', (c) => c.notNull().unique())
    .addColumn('centre_id', 'text', (c) => c.notNull().references('backoffice_centres.organization_id'))
    .addColumn('destination', 'text', (c) => c.notNull())
    .addColumn('reference', 'text')
    .addColumn('file_count', 'integer', (c) => c.notNull())
    .addColumn('transferred_by', 'text')
    .addColumn('transferred_at', 'text', (c) => c.notNull())
    .execute();

  await s
    .createTable('archive_entries')
    .addColumn('case_file_id', 'text', (c) => c.primaryKey().references('case_files.id'))
    .addColumn('centre_id', 'text', (c) => c.notNull().references('backoffice_centres.organization_id'))
    .addColumn('location_kind', 'text', (c) => c.notNull()) // box | digital
    .addColumn('box', 'text')
    .addColumn('shelf', 'text')
    .addColumn('reference', 'text')
    .addColumn('archived_by', 'text')
    .addColumn('archived_at', 'text', (c) => c.notNull())
    .addColumn('transfer_id', 'text', (c) => c.references('archive_transfers.id'))
    .execute();
  await s.createIndex('archive_entries_centre').on('archive_entries').columns(['centre_id', 'archived_at']).execute();

  await s
    .createTable('ageing_reports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('centre_id', 'text', (c) => c.notNull().references('backoffice_centres.organization_id'))
    .addColumn('period', 'text') // YYYY-MM for the monthly report, null for one made on demand
    .addColumn('as_of', 'text', (c) => c.notNull())
    .addColumn('days', 'integer', (c) => c.notNull())
    .addColumn('totals', 'text', (c) => c.notNull()) // JSON [{ officeId, officeName, count }]
    .addColumn('file_count', 'integer', (c) => c.notNull())
    .addColumn('generated_by', 'text')
    .addColumn('analysis', 'text')
    .addColumn('measures', 'text')
    .addColumn('analysed_by', 'text')
    .addColumn('analysed_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('ageing_reports_period').on('ageing_reports').columns(['centre_id', 'period']).unique().execute();
}
