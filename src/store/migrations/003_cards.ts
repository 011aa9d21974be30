import type { Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

// Cards: models, requests and batches, billing, the cards themselves, the exchange with the
// manufacturer, and one-time challenges (card sign-in, action signatures).
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  const s = db.schema;

  await s
    .createTable('card_models')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('population', 'text', (c) => c.notNull()) // collectivites | etat | armees (issuing CA)
    .addColumn('kind', 'text', (c) => c.notNull()) // personalizable | instant
    .addColumn('profiles', 'text', (c) => c.notNull()) // JSON array of auth | sign | enc
    .addColumn('card_years', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull()) // active | retired
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await s
    .createTable('request_batches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('number', 'text', (c) => c.notNull().unique())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('validated_by', 'text')
    .addColumn('validated_at', 'text')
    .addColumn('sent_at', 'text')
    .addColumn('acknowledged_at', 'text')
    .addColumn('closed_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await s
    .createIndex('request_batches_org_state')
    .on('request_batches')
    .columns(['organization_id', 'state'])
    .execute();

  await s
    .createTable('card_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('number', 'text', (c) => c.notNull().unique())
    .addColumn('agent_id', 'text', (c) => c.notNull().references('agents.id'))
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('model_id', 'text', (c) => c.notNull().references('card_models.id'))
    .addColumn('kind', 'text', (c) => c.notNull()) // first_issue | renewal | replacement | instant
    .addColumn('reason', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('billing', 'text', (c) => c.notNull()) // free | billed
    .addColumn('price_cents', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('batch_id', 'text', (c) => c.references('request_batches.id'))
    .addColumn('replaces_card_id', 'text')
    .addColumn('card_id', 'text')
    .addColumn('created_by', 'text')
    .addColumn('signed_by', 'text')
    .addColumn('signed_at', 'text')
    .addColumn('rejection_reason', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('card_requests_org_state').on('card_requests').columns(['organization_id', 'state']).execute();
  await s.createIndex('card_requests_agent').on('card_requests').column('agent_id').execute();
  await s.createIndex('card_requests_batch').on('card_requests').column('batch_id').execute();

  await s
    .createTable('billing_entries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('request_id', 'text', (c) => c.notNull().references('card_requests.id'))
    .addColumn('agent_id', 'text', (c) => c.notNull().references('agents.id'))
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('amount_cents', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('billing_entries_org').on('billing_entries').columns(['organization_id', 'created_at']).execute();

  await s
    .createTable('cards')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('serial', 'text', (c) => c.notNull().unique()) // card number printed on the card, 10 digits
    .addColumn('model_id', 'text', (c) => c.notNull().references('card_models.id'))
    .addColumn('agent_id', 'text', (c) => c.notNull().references('agents.id'))
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id')) // holder's organisation
    .addColumn('operator_organization_id', 'text', (c) => c.notNull().references('organizations.id')) // where it is shipped
    .addColumn('request_id', 'text')
    .addColumn('batch_id', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('state_changed_at', 'text', (c) => c.notNull())
    .addColumn('letter_state', 'text') // printed | sent | resent_post | resent_email
    .addColumn('letter_sent_at', 'text')
    .addColumn('activation_code_hash', 'text')
    .addColumn('activation_code_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('activation_code_used_at', 'text')
    .addColumn('file_name', 'text') // virtual card file, relative to <data>/cards
    .addColumn('produced_at', 'text')
    .addColumn('shipped_at', 'text')
    .addColumn('received_at', 'text')
    .addColumn('received_by', 'text')
    .addColumn('expires_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('cards_agent').on('cards').column('agent_id').execute();
  await s.createIndex('cards_operator_state').on('cards').columns(['operator_organization_id', 'state']).execute();
  await s.createIndex('cards_batch').on('cards').column('batch_id').execute();
  await s.createIndex('certificates_card').on('certificates').column('card_id').execute();
  // Card sign-in and action signatures find a presented certificate by its fingerprint.
  await s.createIndex('certificates_sha256').on('certificates').column('sha256').execute();

  await s
    .createTable('manufacturer_messages')
    .addColumn('id', 'text', (c) => c.primaryKey()) // the message's own id (idempotency)
    .addColumn('kind', 'text', (c) => c.notNull()) // order | acknowledgement | rejection | production | shipping
    .addColumn('direction', 'text', (c) => c.notNull()) // out | in
    .addColumn('batch_id', 'text')
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull()) // written | processed | refused
    .addColumn('message', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('manufacturer_messages_batch').on('manufacturer_messages').column('batch_id').execute();

  await s
    .createTable('challenges')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('purpose', 'text', (c) => c.notNull()) // sign_in | action
    .addColumn('value_hash', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();
  await s.createIndex('challenges_value').on('challenges').column('value_hash').unique().execute();
}
