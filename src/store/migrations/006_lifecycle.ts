import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

// The card's life after reception: hand-over, activation, the holder's secrets, documents.
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const binary = sql.raw(dialect === 'postgres' ? 'bytea' : 'blob');
  const s = db.schema;

  await s
    .createTable('card_documents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('card_id', 'text', (c) => c.notNull().references('cards.id'))
    .addColumn('kind', 'text', (c) => c.notNull()) // identity_copy | attestation | destruction_record | loss_report | police_report
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('bytes', binary, (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('uploaded_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('card_documents_card').on('card_documents').columns(['card_id', 'kind']).execute();

  await s
    .createTable('card_handovers')
    .addColumn('card_id', 'text', (c) => c.primaryKey().references('cards.id'))
    .addColumn('operator_id', 'text', (c) => c.notNull())
    .addColumn('identity_document_type', 'text', (c) => c.notNull())
    .addColumn('identity_document_number', 'text', (c) => c.notNull())
    .addColumn('remarks', 'text')
    .addColumn('handed_over_at', 'text', (c) => c.notNull())
    .execute();

  await s
    .createTable('card_activations')
    .addColumn('card_id', 'text', (c) => c.primaryKey().references('cards.id'))
    .addColumn('operator_id', 'text', (c) => c.notNull())
    .addColumn('code_checked_at', 'text')
    .addColumn('window_until', 'text')
    .addColumn('completed_at', 'text')
    .addColumn('refused_at', 'text')
    .addColumn('finalized_at', 'text')
    .addColumn('finalized_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await s
    .createTable('holder_secrets')
    .addColumn('agent_id', 'text', (c) => c.primaryKey().references('agents.id'))
    .addColumn('personal_code_hash', 'text', (c) => c.notNull())
    .addColumn('answers', 'text', (c) => c.notNull()) // JSON [{ question, hash }]
    .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locked_until', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}
