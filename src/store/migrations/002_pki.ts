import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

// Certification authorities (root, issuing, OCSP responders) and the certificates they issue.
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const binary = dialect === 'postgres' ? 'bytea' : 'blob';
  const s = db.schema;

  await s
    .createTable('certification_authorities')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('parent_id', 'text', (c) => c.references('certification_authorities.id'))
    .addColumn('subject_dn', 'text', (c) => c.notNull())
    .addColumn('certificate_der', sql.raw(binary), (c) => c.notNull())
    .addColumn('key_ref', 'text', (c) => c.notNull())
    .addColumn('not_before', 'text', (c) => c.notNull())
    .addColumn('not_after', 'text', (c) => c.notNull())
    .addColumn('crl_number', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await s
    .createTable('certificates')
    .addColumn('serial', 'text', (c) => c.primaryKey())
    .addColumn('ca_id', 'text', (c) => c.notNull().references('certification_authorities.id'))
    .addColumn('profile', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'text', (c) => c.references('agents.id'))
    .addColumn('card_id', 'text')
    .addColumn('subject_dn', 'text', (c) => c.notNull())
    .addColumn('der', sql.raw(binary), (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('not_before', 'text', (c) => c.notNull())
    .addColumn('not_after', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addColumn('revocation_reason', 'text')
    .addColumn('status_changed_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('certificates_ca_status').on('certificates').columns(['ca_id', 'status']).execute();
  await s.createIndex('certificates_agent').on('certificates').column('agent_id').execute();
}
