import type { Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

// Production: the reference of the activation-code letter the manufacturer printed for a card
// (tracked with letter_state), so an operator can quote it when the holder says it never came.
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('cards').addColumn('letter_reference', 'text').execute();
}
