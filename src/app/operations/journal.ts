// The operations journal (« journal des opérations informatiques », seed 003 annex I §4): every
// backup, verification, restore, pruning and retention pass is recorded there, with its audit
// record; the head of centre checks the backups and records it (annex V §3: « vérifier la
// régularité, la réalité et les conditions de stockage des sauvegardes »).
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { appendAudit } from '../../store/audit.ts';
import { authorize, type Authorization } from '../access/authorize.ts';
import { changeWithAudit } from '../audit-trail.ts';
import { invalid, notFound } from '../errors.ts';
import type { Actor, AppContext } from '../context.ts';

export type JournalKind = 'backup' | 'verify' | 'restore' | 'prune' | 'retention' | 'check';

export const JOURNAL_KIND_LABELS: Record<JournalKind, string> = {
  backup: 'Sauvegarde',
  verify: 'Vérification de sauvegarde',
  restore: 'Restauration',
  prune: 'Suppression de sauvegarde (durée de conservation échue)',
  retention: 'Passe de conservation des données personnelles',
  check: 'Contrôle du chef de centre',
};

export interface JournalEntryInput {
  kind: JournalKind;
  status: 'ok' | 'failed';
  reason?: string | null;
  backupId?: string | null;
  location?: string | null;
  summary: Record<string, unknown>;
}

/** Writes one journal entry and its audit record ('operations.<kind>') in one transaction. */
export async function recordOperation(
  ctx: AppContext,
  actor: Actor,
  auth: Authorization,
  entry: JournalEntryInput,
  trx?: Transaction<Database> | Kysely<Database>,
): Promise<string> {
  const id = ctx.newId();
  const at = ctx.now().toISOString();
  const write = async (t: Transaction<Database> | Kysely<Database>) => {
    await t
      .insertInto('operations_journal')
      .values({
        id,
        at,
        kind: entry.kind,
        status: entry.status,
        reason: entry.reason ?? null,
        actor_id: auth.actorId,
        backup_id: entry.backupId ?? null,
        location: entry.location ?? null,
        summary: JSON.stringify(entry.summary),
        checked_at: null,
        checked_by: null,
        check_note: null,
      })
      .execute();
    await appendAudit(t, ctx.store, {
      at,
      actorId: auth.actorId,
      actorRole: auth.role,
      organizationId: auth.organizationId,
      action: `operations.${entry.kind}`,
      outcome: entry.status === 'ok' ? 'ok' : 'refused',
      targetType: 'operationsJournal',
      targetId: id,
      requestId: actor.requestId,
      summary: {
        status: entry.status,
        reason: entry.reason ?? null,
        backupId: entry.backupId ?? null,
        ...entry.summary,
      },
    });
  };
  if (trx) await write(trx);
  else await ctx.store.db.transaction().execute(write);
  return id;
}

export interface JournalEntryView {
  id: string;
  at: string;
  kind: string;
  kindLabel: string;
  status: string;
  reason: string | null;
  actorId: string | null;
  backupId: string | null;
  location: string | null;
  summary: Record<string, unknown>;
  checkedAt: string | null;
  checkedBy: string | null;
  checkNote: string | null;
}

export async function listJournal(
  ctx: AppContext,
  actor: Actor,
  filter: { kind?: string; limit?: number; before?: string } = {},
): Promise<{ items: JournalEntryView[] }> {
  await authorize(ctx, actor, 'operations.read', null);
  let q = ctx.store.db.selectFrom('operations_journal').selectAll();
  if (filter.kind) q = q.where('kind', '=', filter.kind);
  if (filter.before) q = q.where('at', '<', filter.before);
  const rows = await q
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(filter.limit ?? 100, 1), 500))
    .execute();
  return {
    items: rows.map((r) => ({
      id: r.id,
      at: r.at,
      kind: r.kind,
      kindLabel: JOURNAL_KIND_LABELS[r.kind as JournalKind] ?? r.kind,
      status: r.status,
      reason: r.reason,
      actorId: r.actor_id,
      backupId: r.backup_id,
      location: r.location,
      summary: JSON.parse(r.summary) as Record<string, unknown>,
      checkedAt: r.checked_at,
      checkedBy: r.checked_by,
      checkNote: r.check_note,
    })),
  };
}

/**
 * The head of centre's check of a journal entry (a backup, a restore…): who, when, and what was
 * found about the regularity, reality and storage conditions of the backups. Once per entry.
 */
export async function checkJournalEntry(
  ctx: AppContext,
  actor: Actor,
  id: string,
  note: string,
): Promise<{ id: string; checkedAt: string }> {
  const auth = await authorize(ctx, actor, 'operations.check', null, { type: 'operationsJournal', id });
  const text = note.trim();
  if (text.length < 3 || text.length > 1000)
    throw invalid('Le compte rendu du contrôle est obligatoire (3 à 1 000 caractères).', [
      { field: 'note', reason: 'de 3 à 1 000 caractères' },
    ]);
  const checkedAt = ctx.now().toISOString();
  return changeWithAudit(ctx, actor, auth, 'operations.check', async (trx) => {
    const row = await trx.selectFrom('operations_journal').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('Opération introuvable dans le journal.');
    if (row.checked_at) throw invalid(`Cette opération a déjà été contrôlée le ${row.checked_at}.`);
    await trx
      .updateTable('operations_journal')
      .set({ checked_at: checkedAt, checked_by: auth.actorId, check_note: text })
      .where('id', '=', id)
      .where('checked_at', 'is', null)
      .execute();
    return {
      result: { id, checkedAt },
      targetType: 'operationsJournal',
      targetId: id,
      summary: { kind: row.kind, backupId: row.backup_id, note: text },
    };
  });
}
