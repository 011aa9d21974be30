import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { custodyDir, parseKeyRef, type KeyPlace } from '../../pki/ca-init.ts';
import { checkKeyAlgorithm } from '../../pki/keystore.ts';
import { appendAudit } from '../../store/audit.ts';
import { serviceKeyRepository } from '../../store/service-keys.ts';
import type { AppContext } from '../context.ts';

/** Where this installation's service keys are: sealed in its database (and legacy files in its data folder). */
export function keyPlace(ctx: AppContext): KeyPlace {
  return { dataDir: ctx.dataDir, serviceKeys: serviceKeyRepository(ctx.store.db, ctx.now) };
}

/**
 * Installations made before service keys moved into the database kept them as encrypted files in
 * <data>/pki/keys. Their sealed text (still under the same KEK: nothing is decrypted) is copied into
 * the database and the authority's key reference points there, so that any instance can open them.
 * Idempotent; audited ('pki.key.move'). Returns the names of the authorities moved.
 */
export async function moveServiceKeysIntoDatabase(ctx: AppContext): Promise<string[]> {
  const rows = await ctx.store.db
    .selectFrom('certification_authorities')
    .select(['id', 'name', 'key_ref'])
    .where('kind', 'in', ['issuing', 'ocsp'])
    .execute();
  const moved: string[] = [];
  for (const row of rows) {
    const ref = parseKeyRef(row.key_ref);
    if (ref.store !== 'file' || ref.custody !== 'service') continue;
    checkKeyAlgorithm(ref.algorithm);
    const file = join(custodyDir(ctx.dataDir, 'service'), basename(ref.path));
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue; // not on this machine: the instance that has the file moves it
    }
    const label = basename(ref.path).replace(/\.key\.pem$/, '');
    const dbRef = { store: 'db' as const, label, algorithm: ref.algorithm, custody: 'service' as const };
    await ctx.store.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('service_keys')
        .values({ label, algorithm: ref.algorithm, key_text: text, created_at: ctx.now().toISOString() })
        .onConflict((oc) => oc.column('label').doNothing())
        .execute();
      const changed = await trx
        .updateTable('certification_authorities')
        .set({ key_ref: JSON.stringify(dbRef) })
        .where('id', '=', row.id)
        .where('key_ref', '=', row.key_ref)
        .executeTakeFirst();
      if (Number(changed.numUpdatedRows) !== 1) return;
      await appendAudit(trx, ctx.store, {
        at: ctx.now().toISOString(),
        actorId: 'system:keys',
        actorRole: 'system',
        organizationId: null,
        action: 'pki.key.move',
        outcome: 'ok',
        targetType: 'certification_authority',
        targetId: row.id,
        summary: { name: row.name, before: { store: 'file', file: basename(ref.path) }, after: { store: 'db', label } },
      });
      moved.push(row.name);
    });
  }
  return moved;
}
