import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';

/**
 * Records that the side effect named `key` is being done, inside the transaction that does it: true
 * the first time, false when another transaction (another instance, a pass run twice) already did.
 * On PostgreSQL a concurrent insert of the same key waits for the first one to commit or roll back.
 */
export async function claimOnce(
  trx: Transaction<Database> | Kysely<Database>,
  key: string,
  now: Date,
): Promise<boolean> {
  const r = await trx
    .insertInto('idempotency_keys')
    .values({ key, created_at: now.toISOString() })
    .onConflict((oc) => oc.column('key').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
}
