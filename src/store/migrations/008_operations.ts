import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

// Operations: what several instances share through the database (service keys, published CRLs,
// scheduled task runs, idempotency keys), the operations journal (backups, restores, retention),
// and the columns that let leftovers of a crash be recognised (import heartbeats, mails in flight)
// and personal data be purged while the audit chain stays verifiable (tombstones).
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const binary = sql.raw(dialect === 'postgres' ? 'bytea' : 'blob');
  const s = db.schema;

  // Issuing-CA and OCSP responder keys: the same encrypted PKCS#8 text as the key files (under the
  // KEK), so that every instance finds them without copying files.
  await s
    .createTable('service_keys')
    .addColumn('label', 'text', (c) => c.primaryKey())
    .addColumn('algorithm', 'text', (c) => c.notNull())
    .addColumn('key_text', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  // Published CRLs: a header row (status writing → published) and the DER in chunks, so a large
  // CRL is written and served as a stream on both databases.
  await s
    .createTable('published_crls')
    .addColumn('ca_id', 'text', (c) => c.notNull().references('certification_authorities.id'))
    .addColumn('crl_number', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull()) // writing | published
    .addColumn('this_update', 'text', (c) => c.notNull())
    .addColumn('next_update', 'text', (c) => c.notNull())
    .addColumn('entries', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('size', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('sha256', 'text')
    .addColumn('published_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('published_crls_pk', ['ca_id', 'crl_number'])
    .execute();
  await s
    .createTable('published_crl_chunks')
    .addColumn('ca_id', 'text', (c) => c.notNull())
    .addColumn('crl_number', 'integer', (c) => c.notNull())
    .addColumn('part', 'integer', (c) => c.notNull())
    .addColumn('bytes', binary, (c) => c.notNull())
    .addPrimaryKeyConstraint('published_crl_chunks_pk', ['ca_id', 'crl_number', 'part'])
    .execute();

  // One row per scheduled task and slot (a day, an hour): the instance that inserts it runs the
  // pass, under a lease it renews; the others see the row and skip.
  await s
    .createTable('task_runs')
    .addColumn('task', 'text', (c) => c.notNull())
    .addColumn('slot', 'text', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull()) // running | done | failed
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('lease_until', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('result', 'text')
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('task_runs_pk', ['task', 'slot'])
    .execute();
  await s.createIndex('task_runs_started').on('task_runs').columns(['started_at']).execute();

  // Side effects done once: the key is inserted in the transaction that decides to act.
  await s
    .createTable('idempotency_keys')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  // Journal of the data operations (seed 003 annex I §4, annex V §3): backups, verifications,
  // restores, pruning, retention passes; the head of centre records the checks.
  await s
    .createTable('operations_journal')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull()) // backup | verify | restore | prune | retention | check
    .addColumn('status', 'text', (c) => c.notNull()) // ok | failed
    .addColumn('reason', 'text') // daily | manual | pre-migration | …
    .addColumn('actor_id', 'text')
    .addColumn('backup_id', 'text')
    .addColumn('location', 'text')
    .addColumn('summary', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('checked_at', 'text')
    .addColumn('checked_by', 'text')
    .addColumn('check_note', 'text')
    .execute();
  await s.createIndex('operations_journal_at').on('operations_journal').columns(['at']).execute();

  await s.alterTable('jobs').addColumn('last_attempt_at', 'text').execute();
  await s.createIndex('jobs_kind_status').on('jobs').columns(['kind', 'status']).execute();
  await s.alterTable('mails').addColumn('sending_since', 'text').execute();
  await s.alterTable('import_runs').addColumn('owner', 'text').execute();
  await s.alterTable('import_runs').addColumn('heartbeat_at', 'text').execute();
  await s.createIndex('import_runs_status').on('import_runs').columns(['status']).execute();
  await s.alterTable('audit_log').addColumn('purged_at', 'text').execute();
  await s.alterTable('audit_log').addColumn('purge_mac', 'text').execute();
}
