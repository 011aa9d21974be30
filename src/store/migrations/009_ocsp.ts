import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

// OCSP as served: pre-signed answers shared by every responder, and an append-only log of certificate
// status changes that responders follow by id (an index range, never a scan of the certificate table).
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const binary = sql.raw(dialect === 'postgres' ? 'bytea' : 'blob');
  const s = db.schema;

  // One row per status change (and per issuance), written in the transaction of the change.
  let changes = s.createTable('certificate_status_changes');
  changes =
    dialect === 'postgres'
      ? changes.addColumn('id', 'bigserial', (c) => c.primaryKey())
      : changes.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
  await changes
    .addColumn('serial', 'text', (c) => c.notNull())
    .addColumn('ca_id', 'text', (c) => c.notNull())
    .addColumn('changed_at', 'text', (c) => c.notNull())
    .execute();

  // The answer of each certificate, signed ahead (RFC 5019 §6), with the change it reflects.
  await s
    .createTable('ocsp_responses')
    .addColumn('serial', 'text', (c) => c.primaryKey())
    .addColumn('ca_id', 'text', (c) => c.notNull())
    .addColumn('responder_id', 'text', (c) => c.notNull())
    .addColumn('der', binary, (c) => c.notNull())
    .addColumn('this_update', 'text', (c) => c.notNull())
    .addColumn('next_update', 'text', (c) => c.notNull())
    .addColumn('refresh_at', 'text', (c) => c.notNull())
    .addColumn('change_id', 'bigint', (c) => c.notNull())
    .execute();
  await s.createIndex('ocsp_responses_refresh').on('ocsp_responses').column('refresh_at').execute();

  // The signer's lease (one responder signs in the background at a time) and how far it has signed.
  await s
    .createTable('ocsp_signer')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('change_cursor', 'bigint', (c) => c.notNull())
    .execute();
  await db
    .insertInto('ocsp_signer' as never)
    .values({ id: 1, lease_owner: null, lease_until: null, change_cursor: 0 } as never)
    .execute();

  // Certificates issued before this migration get their first answer through the log too.
  const now = new Date().toISOString();
  await sql`insert into certificate_status_changes (serial, ca_id, changed_at)
            select serial, ca_id, ${now} from certificates order by serial`.execute(db);

  // The daily expiry pass looks certificates up by status and end of validity.
  await s.createIndex('certificates_status_not_after').on('certificates').columns(['status', 'not_after']).execute();
}
