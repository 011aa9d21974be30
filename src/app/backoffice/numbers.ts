import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../store/schema.ts';
import type { Store } from '../../store/database.ts';

/**
 * Draws `n` consecutive numbers of a series ("case_file:2026") in the caller's transaction: the
 * counter row stays locked until it ends, so two transactions never draw the same numbers.
 * Lock order: the audit chain's head first, then the counter. A card step draws a case-file number
 * from inside its audit append (card-files.ts, after the head is locked); taking the head first here
 * too means an intake and a card step never wait for each other in opposite orders (PostgreSQL).
 */
export async function drawNumbers(
  trx: Kysely<Database> | Transaction<Database>,
  store: Pick<Store, 'dialect'>,
  series: string,
  n: number,
): Promise<number[]> {
  if (store.dialect === 'postgres')
    await trx.selectFrom('audit_head').select('seq').where('id', '=', 1).forUpdate().execute();
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
