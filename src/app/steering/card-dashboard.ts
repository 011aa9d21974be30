// The card programme's dashboard, as a whole (national administrator, control, audit) or for one
// organisation and its subtree (a registration authority): 12 rolling months of cards ordered,
// produced, handed over, activated, revoked by reason, time from order to hand-over and billing, read
// from the daily rows; cards waiting beyond 48 hours and certificates expiring within 30 days, live
// from their indexes (bounded counts).
import { sql } from 'kysely';
import { nextMonthStart, rollingMonths, type CardMonth } from '../../domain/steering.ts';
import { scopeRoots } from '../access/authorize.ts';
import { boundedCount } from '../paging.ts';
import { inOrganizations, scopeOrganizations, subtreeOrganizations } from '../scope.ts';
import { refuseAudited } from '../refusals.ts';
import { notFound } from '../errors.ts';
import type { Actor, AppContext } from '../context.ts';
import { lastRefresh, PROGRAMME_SCOPE } from './aggregate.ts';

export const REVOCATION_REASON_LABELS: Record<string, string> = {
  unspecified: 'Non précisé',
  keyCompromise: 'Compromission de la clé',
  cACompromise: 'Compromission de l’AC',
  affiliationChanged: 'Changement d’affectation',
  superseded: 'Remplacée',
  cessationOfOperation: 'Cessation d’activité',
  certificateHold: 'Suspension',
  removeFromCRL: 'Retirée de la liste',
  privilegeWithdrawn: 'Droits retirés',
  aACompromise: 'Compromission de l’AA',
};

export interface CardDashboard {
  organizationId: string | null;
  organizationName: string;
  asOf: string;
  refreshedAt: string | null;
  months: CardMonth[];
  waitingOver48h: { count: number; exact: boolean };
  expiringWithin30Days: { count: number; exact: boolean };
  reasonLabels: Record<string, string>;
}

export async function cardDashboard(
  ctx: AppContext,
  actor: Actor,
  q: { organizationId?: string } = {},
): Promise<CardDashboard> {
  const db = ctx.store.db;
  const roots = await scopeRoots(ctx, actor, 'steering.cards');
  const visible = await scopeOrganizations(ctx, roots);
  const refuse = (id: string) =>
    refuseAudited(
      ctx,
      actor,
      'steering.cards',
      id === PROGRAMME_SCOPE ? null : id,
      { type: 'organization', id },
      'Ce tableau de bord n’est pas dans votre périmètre.',
    );
  let scopes: string[];
  let orgs: string[] | null;
  let name: string;
  if (!q.organizationId) {
    if (visible !== null) await refuse(PROGRAMME_SCOPE);
    scopes = [PROGRAMME_SCOPE];
    orgs = null;
    name = 'Ensemble du programme';
  } else {
    const org = await db
      .selectFrom('organizations')
      .select(['id', 'name'])
      .where('id', '=', q.organizationId)
      .executeTakeFirst();
    if (!org) throw notFound('Organisation introuvable.');
    if (visible !== null && !visible.includes(org.id)) await refuse(org.id);
    scopes = await subtreeOrganizations(ctx, org.id);
    orgs = scopes;
    name = org.name;
  }
  const asOf = ctx.now().toISOString();
  const months = rollingMonths(asOf);
  const rows = await db
    .selectFrom('steering_daily')
    .select([
      sql<string>`substr(day, 1, 7)`.as('month'),
      'metric',
      'dim',
      sql<number>`sum(n)`.as('n'),
      sql<number>`sum(total)`.as('total'),
    ])
    .where(inOrganizations(ctx, scopes, 'scope_id'))
    .where('metric', 'like', 'card.%')
    .where('day', '>=', `${months[0]}-01`)
    .where('day', '<', nextMonthStart(months[months.length - 1]!))
    .groupBy([sql`substr(day, 1, 7)`, 'metric', 'dim'])
    .execute();
  const byMonth = new Map(
    months.map((m): [string, CardMonth & { handoverDays: number }] => [
      m,
      {
        month: m,
        ordered: 0,
        produced: 0,
        handedOver: 0,
        activated: 0,
        revoked: 0,
        revokedByReason: {},
        averageHandoverDays: null,
        billedCents: 0,
        handoverDays: 0,
      },
    ]),
  );
  for (const r of rows) {
    const m = byMonth.get(r.month);
    if (!m) continue;
    const n = Number(r.n);
    const total = Number(r.total);
    if (r.metric === 'card.ordered') m.ordered += n;
    else if (r.metric === 'card.produced') m.produced += n;
    else if (r.metric === 'card.handed_over') {
      m.handedOver += n;
      m.handoverDays += total;
    } else if (r.metric === 'card.activated') m.activated += n;
    else if (r.metric === 'card.revoked') {
      m.revoked += n;
      m.revokedByReason[r.dim] = (m.revokedByReason[r.dim] ?? 0) + n;
    } else if (r.metric === 'card.billed') m.billedCents += total;
  }
  const cutoff = new Date(ctx.now().getTime() - 48 * 3_600_000).toISOString();
  const waiting = await boundedCount(
    db,
    db
      .selectFrom('cards')
      .select('id')
      .where(inOrganizations(ctx, orgs, 'operator_organization_id'))
      .where('state', '=', 'received')
      .where('received_at', '<', cutoff),
  );
  const in30 = new Date(ctx.now().getTime() + 30 * 86_400_000).toISOString();
  let expiring = db
    .selectFrom('certificates as t')
    .select('t.serial')
    .where('t.status', '=', 'valid')
    .where('t.not_after', '>=', asOf)
    .where('t.not_after', '<', in30);
  if (orgs !== null)
    expiring = expiring
      .innerJoin('cards as c', 'c.id', 't.card_id')
      .where(inOrganizations(ctx, orgs, 'c.organization_id'));
  const exp = await boundedCount(db, expiring);
  return {
    organizationId: q.organizationId ?? null,
    organizationName: name,
    asOf,
    refreshedAt: await lastRefresh(db),
    months: months.map((k) => {
      const { handoverDays, ...m } = byMonth.get(k)!;
      return { ...m, averageHandoverDays: m.handedOver ? Math.round((handoverDays / m.handedOver) * 10) / 10 : null };
    }),
    waitingOver48h: { count: waiting.n, exact: waiting.exact },
    expiringWithin30Days: { count: exp.n, exact: exp.exact },
    reasonLabels: REVOCATION_REASON_LABELS,
  };
}
