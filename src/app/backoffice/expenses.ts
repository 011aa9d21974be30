import { sql } from 'kysely';
import { euros, monthBounds } from '../../domain/case-file.ts';
import { invalid } from '../errors.ts';
import type { Actor, AppContext } from '../context.ts';
import { loadCentre, requireCentreReader } from './access.ts';
import { csvDocument } from './csv.ts';

// Monthly statement of the expenses of each delegating authority (seed 003 §3.1: « ils éditent
// mensuellement la situation des dépenses des autorités délégataires d'un droit d'engagement des
// dépenses de déplacement »), from the amounts recorded on the files processed during the month.
// A file without a named authority counts for its sending unit.

export async function expenseStatement(ctx: AppContext, actor: Actor, q: { centreId: string; month: string }) {
  const bounds = monthBounds(q.month);
  if (!bounds) throw invalid('Mois invalide.', [{ field: 'month', reason: 'AAAA-MM attendu.' }]);
  const centre = await loadCentre(ctx.store.db, q.centreId);
  await requireCentreReader(ctx, actor, 'backoffice.report', centre, { type: 'organization', id: centre.id });
  const authority = sql<string>`coalesce(f.delegating_authority_id, f.sending_organization_id)`;
  const rows = await ctx.store.db
    .selectFrom('case_files as f')
    .innerJoin('organizations as o', (join) => join.on('o.id', '=', authority))
    .select([
      'o.id',
      'o.code',
      'o.name',
      (eb) => eb.fn.countAll<number>().as('files'),
      (eb) => eb.fn.sum<number>('f.amount_cents').as('total'),
    ])
    .where('f.centre_id', '=', centre.id)
    .where('f.amount_cents', 'is not', null)
    .where('f.processed_at', '>=', bounds.from)
    .where('f.processed_at', '<', bounds.to)
    .groupBy(['o.id', 'o.code', 'o.name'])
    .orderBy('o.name')
    .execute();
  const items = rows.map((r) => ({
    organizationId: r.id,
    code: r.code,
    name: r.name,
    files: Number(r.files),
    totalCents: Number(r.total ?? 0),
    total: euros(Number(r.total ?? 0)),
  }));
  const totalCents = items.reduce((s, r) => s + r.totalCents, 0);
  return {
    centre: { id: centre.id, name: centre.name },
    month: q.month,
    items,
    files: items.reduce((s, r) => s + r.files, 0),
    totalCents,
    total: euros(totalCents),
  };
}

const amount = (cents: number) => (cents / 100).toFixed(2).replace('.', ',');

export function expenseCsv(s: Awaited<ReturnType<typeof expenseStatement>>): string {
  return csvDocument(
    ['autorite_delegataire', 'code', 'dossiers', 'montant_euros'],
    [
      ...s.items.map((r) => [r.name, r.code, r.files, amount(r.totalCents)]),
      ['Total', '', s.files, amount(s.totalCents)],
    ],
  );
}
