import { formatEuros } from '../../domain/card-request.ts';
import { isIsoDate } from '../../domain/dates.ts';
import { scopeRoots } from '../access/authorize.ts';
import { invalid } from '../errors.ts';
import { offsetPage, pathUnder, subtreeOf } from '../scope.ts';
import type { Actor, AppContext } from '../context.ts';

// The ledger of billed cards (004 annex 1: 30 € HT per card beyond the free quota or after loss,
// theft, breakage or forgotten PIN). An entry is written when a billed request is signed; a
// cancellation writes the opposite entry, so the ledger is only ever appended to.

export interface BillingFilter {
  organizationId?: string;
  /** Inclusive dates YYYY-MM-DD (UTC). */
  from?: string;
  to?: string;
  page?: number;
  pageSize?: number;
}

async function ledgerQuery(ctx: AppContext, actor: Actor, f: BillingFilter) {
  for (const [field, v] of [
    ['from', f.from],
    ['to', f.to],
  ] as const) {
    if (v && !isIsoDate(v)) throw invalid('Date invalide (AAAA-MM-JJ).', [{ field, reason: 'Date invalide.' }]);
  }
  const roots = await scopeRoots(ctx, actor, 'billing.read');
  let q = ctx.store.db
    .selectFrom('billing_entries as e')
    .innerJoin('organizations as o', 'o.id', 'e.organization_id')
    .innerJoin('card_requests as r', 'r.id', 'e.request_id')
    .innerJoin('agents as a', 'a.id', 'e.agent_id')
    .where(pathUnder(roots, 'o.path'));
  if (f.organizationId) q = q.where('o.path', 'like', await subtreeOf(ctx, f.organizationId));
  if (f.from) q = q.where('e.created_at', '>=', `${f.from}T00:00:00.000Z`);
  if (f.to) q = q.where('e.created_at', '<=', `${f.to}T23:59:59.999Z`);
  return q;
}

const COLUMNS = [
  'e.id',
  'e.created_at',
  'e.organization_id',
  'o.name as organization_name',
  'e.request_id',
  'r.number as request_number',
  'e.agent_id',
  'a.identifier',
  'a.first_names',
  'a.last_name',
  'e.label',
  'e.amount_cents',
] as const;

export async function listBilling(ctx: AppContext, actor: Actor, f: BillingFilter) {
  const q = await ledgerQuery(ctx, actor, f);
  const { page, pageSize, offset } = offsetPage(f, 50, 200);
  const agg = await q
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('e.amount_cents').as('total')])
    .executeTakeFirstOrThrow();
  const rows = await q
    .select(COLUMNS)
    .orderBy('e.created_at', 'desc')
    .orderBy('e.id', 'desc')
    .limit(pageSize)
    .offset(offset)
    .execute();
  return {
    items: rows.map((r) => ({
      id: r.id,
      createdAt: r.created_at,
      organizationId: r.organization_id,
      organizationName: r.organization_name,
      requestId: r.request_id,
      requestNumber: r.request_number,
      agentId: r.agent_id,
      agentIdentifier: r.identifier,
      agentName: `${r.first_names} ${r.last_name}`,
      label: r.label,
      amountCents: r.amount_cents,
    })),
    total: Number(agg.n),
    totalCents: Number(agg.total ?? 0),
    page,
    pageSize,
  };
}

/** A cell of a `;`-separated file: quoted when needed, and never read as a formula by a spreadsheet. */
function cell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[;"\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export const BILLING_CSV_HEADER = [
  'Date',
  'Organisation',
  'Demande',
  'Identifiant',
  'Agent',
  'Libellé',
  'Montant HT (€)',
];

/** The ledger as CSV for a spreadsheet: UTF-8 with BOM, `;`, French headers, amounts as "30,00", a total line. */
export async function billingCsv(ctx: AppContext, actor: Actor, f: BillingFilter): Promise<string> {
  const q = await ledgerQuery(ctx, actor, f);
  const rows = await q.select(COLUMNS).orderBy('e.created_at').orderBy('e.id').execute();
  const lines = [BILLING_CSV_HEADER.join(';')];
  let total = 0;
  for (const r of rows) {
    total += r.amount_cents;
    lines.push(
      [
        r.created_at.slice(0, 10),
        r.organization_name,
        r.request_number,
        r.identifier,
        `${r.first_names} ${r.last_name}`,
        r.label,
      ]
        .map(cell)
        .concat(formatEuros(r.amount_cents))
        .join(';'),
    );
  }
  lines.push(['Total', '', '', '', '', '', formatEuros(total)].join(';'));
  return `\uFEFF${lines.join('\n')}\n`;
}
