import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

// Issue 13: the root CA's CRL (signed at a ceremony, kept in the database and served from it), the
// revocation of an issuing CA by the root, and the invalidity date a holder gives for a lost card.
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const binary = sql.raw(dialect === 'postgres' ? 'bytea' : 'blob');
  const s = db.schema;

  // CRLs of an offline CA (the root), one row per CRL number; the newest is served.
  await s
    .createTable('offline_crls')
    .addColumn('ca_id', 'text', (c) => c.notNull().references('certification_authorities.id'))
    .addColumn('crl_number', 'integer', (c) => c.notNull())
    .addColumn('der', binary, (c) => c.notNull())
    .addColumn('this_update', 'text', (c) => c.notNull())
    .addColumn('next_update', 'text', (c) => c.notNull())
    .addColumn('entries', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('offline_crls_pk', ['ca_id', 'crl_number'])
    .execute();

  await s.alterTable('certification_authorities').addColumn('revoked_at', 'text').execute();
  await s.alterTable('certification_authorities').addColumn('revocation_reason', 'text').execute();
  // Form of the subject of the card certificates an issuing CA signs (profiles.ts SubjectForm).
  await s
    .alterTable('certification_authorities')
    .addColumn('subject_form', 'text', (c) => c.notNull().defaultTo('seed'))
    .execute();
  // RFC 5280 §5.3.2: when the key is known or suspected compromised (the date the holder gives).
  await s.alterTable('certificates').addColumn('invalidity_date', 'text').execute();
}
