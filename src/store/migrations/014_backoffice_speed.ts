import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

// The 30-day ageing report (seed 003 §2.4) read from its index alone: the partial index of the files
// still in the centre (registered, neither archived nor returned) now carries every column the report
// lists, so neither database visits the table (SQLite: covering index; PostgreSQL: index-only scan).
// It replaces case_files_open (same key, same predicate): keeping both would write two entries per registration.
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await sql`drop index case_files_open`.execute(db);
  if (dialect === 'postgres')
    // PostgreSQL needs no column of the predicate in an index-only scan: the predicate implies them.
    await sql`create index case_files_ageing on case_files (centre_id, registered_at)
      include (office_id, status, priority, due_on, kind_code, sending_organization_id, number, person_name, id)
      where archived_at is null and returned_at is null and registered_at is not null`.execute(db);
  // SQLite counts a partial index as covering only when it also holds the predicate's columns
  // (always null here, so they cost a byte each).
  else
    await sql`create index case_files_ageing on case_files (centre_id, registered_at, office_id, status, priority,
      due_on, kind_code, sending_organization_id, number, person_name, id, archived_at, returned_at)
      where archived_at is null and returned_at is null and registered_at is not null`.execute(db);
}
