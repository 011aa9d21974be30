import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

// Card requests: human numbers from counters, the billing decision's reason, the prerequisites as
// checked at signature, cancellation facts; at most one open request per agent and card model.
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  const s = db.schema;

  // One row per series ("card_request:2026"): an UPDATE ... RETURNING takes the row lock, so two
  // concurrent transactions never draw the same number on PostgreSQL (SQLite writers are serial).
  await s
    .createTable('number_counters')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'integer', (c) => c.notNull())
    .execute();

  // SQLite adds one column per statement.
  await s.alterTable('card_requests').addColumn('billing_reason', 'text').execute();
  await s.alterTable('card_requests').addColumn('prerequisites', 'text').execute(); // JSON, as last checked
  await s.alterTable('card_requests').addColumn('cancelled_by', 'text').execute();
  await s.alterTable('card_requests').addColumn('cancelled_at', 'text').execute();
  await s.alterTable('card_requests').addColumn('cancel_reason', 'text').execute();

  await sql`create unique index card_requests_one_open on card_requests (agent_id, model_id)
    where state in ('draft', 'complete', 'signed', 'in_batch', 'validated', 'sent')`.execute(db);
  await s.createIndex('billing_entries_request').on('billing_entries').column('request_id').execute();
}
