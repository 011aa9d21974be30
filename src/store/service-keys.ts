import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { SealedKeyRepository } from '../pki/keystore-db.ts';

/** The `service_keys` table as the database key store sees it. */
export function serviceKeyRepository(db: Kysely<Database>, now: () => Date = () => new Date()): SealedKeyRepository {
  return {
    async read(label) {
      const row = await db
        .selectFrom('service_keys')
        .select(['algorithm', 'key_text'])
        .where('label', '=', label)
        .executeTakeFirst();
      return row ? { algorithm: row.algorithm, text: row.key_text } : null;
    },
    async insert(label, algorithm, text) {
      const r = await db
        .insertInto('service_keys')
        .values({ label, algorithm, key_text: text, created_at: now().toISOString() })
        .onConflict((oc) => oc.column('label').doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
    },
  };
}
