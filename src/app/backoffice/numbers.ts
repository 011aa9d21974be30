import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../store/schema.ts';

/**
 * Draws `n` consecutive numbers of a series ("case_file:2026") in the caller's transaction: the
 * counter row stays locked until it ends, so two transactions never draw the same numbers.
 */
export async function drawNumbers(
  trx: Kysely<Database> | Transaction<Database>,
  series: string,
  n: number,
): Promise<number[]> {
  await trx
    .insertInto('number_counters')
    .values({ name: series, value: 0 })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await trx
    .updateTable('number_counters')
    .set({ value: sql`value + ${n}` })
    .where('name', '=', series)
    .returning('value')
    .executeTakeFirstOrThrow();
  const last = Number(row.value);
  return Array.from({ length: n }, (_, i) => last - n + 1 + i);
}
