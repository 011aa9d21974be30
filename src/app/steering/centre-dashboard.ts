// The processing centre's dashboard (seed 003 annex II): 12 rolling months read from the daily rows and
// the monthly entries, the seed's formulas (domain/steering.ts), each warning indicator against the
// threshold the head of centre set. The head of centre enters the figures outside the platform and the
// thresholds; each change is one transaction with its audit record.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../store/schema.ts';
import {
  centreMonth,
  checkEntry,
  emptySums,
  isMonth,
  isRed,
  isWarningIndicator,
  nextMonthStart,
  rollingMonths,
  WARNING_INDICATORS,
  WARNING_KEYS,
  warningValue,
  type CentreMonth,
  type MonthlyEntry,
  type MonthSums,
  type WarningIndicator,
} from '../../domain/steering.ts';
import { changeWithAudit } from '../audit-trail.ts';
import { invalid } from '../errors.ts';
import type { Actor, AppContext } from '../context.ts';
import { authorizeIn, loadCentre, requireCentreReader, type CentreFacts } from '../backoffice/access.ts';
import { lastRefresh } from './aggregate.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface WarningState {
  key: WarningIndicator;
  label: string;
  unit: string;
  threshold: number | null;
  /** Value in the last month of the dashboard (the current month, to date). */
  value: number | null;
  red: boolean;
  /** Months (of the 12) where the indicator was past its threshold. */
  redMonths: string[];
}

export interface CentreDashboard {
  centreId: string;
  centreName: string;
  asOf: string;
  refreshedAt: string | null;
  months: CentreMonth[];
  kinds: { code: string; label: string }[];
  warnings: WarningState[];
}

/** Sums per month of the daily rows of one scope, over [first month, last month]. */
export async function monthSums(db: Db, scopeId: string, months: string[]): Promise<Map<string, MonthSums>> {
  const rows = await db
    .selectFrom('steering_daily')
    .select([
      sql<string>`substr(day, 1, 7)`.as('month'),
      'metric',
      'dim',
      sql<number>`sum(n)`.as('n'),
      sql<number>`sum(total)`.as('total'),
    ])
    .where('scope_id', '=', scopeId)
    .where('day', '>=', `${months[0]}-01`)
    .where('day', '<', nextMonthStart(months[months.length - 1]!))
    .groupBy([sql`substr(day, 1, 7)`, 'metric', 'dim'])
    .execute();
  const out = new Map(months.map((m) => [m, emptySums()]));
  for (const r of rows) {
    const s = out.get(r.month);
    if (!s) continue;
    const n = Number(r.n);
    const total = Number(r.total);
    switch (r.metric) {
      case 'registered':
        s.registered += n;
        break;
      case 'processed':
        s.processed += n;
        s.processedCents += total;
        break;
      case 'controlled':
        s.controls += n;
        s.controlledCents += total;
        break;
      case 'anomaly':
        s.anomalies += n;
        s.anomalyCents += total;
        break;
      case 'returned':
        s.returned += n;
        break;
      case 'transferred': {
        const t = (s.transferredByKind[r.dim] ??= { n: 0, days: 0 });
        t.n += n;
        t.days += total;
        break;
      }
    }
  }
  return out;
}

export async function monthlyEntries(db: Db, centreId: string, months: string[]): Promise<Map<string, MonthlyEntry>> {
  const rows = await db
    .selectFrom('steering_entries')
    .select(['month', 'figures'])
    .where('centre_id', '=', centreId)
    .where('month', '>=', months[0]!)
    .where('month', '<=', months[months.length - 1]!)
    .execute();
  return new Map(rows.map((r) => [r.month, JSON.parse(r.figures) as MonthlyEntry]));
}

export async function thresholdsOf(db: Db, scopeId: string): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('steering_thresholds')
    .select(['indicator', 'threshold'])
    .where('scope_id', '=', scopeId)
    .execute();
  return new Map(rows.map((r) => [r.indicator, Number(r.threshold)]));
}

/** The dashboard without access checks (the monthly pass, the alert pass, the archive). */
export async function computeCentreDashboard(db: Db, centre: CentreFacts, asOf: string): Promise<CentreDashboard> {
  const months = rollingMonths(asOf);
  const [sums, entries, thresholds, refreshedAt, kinds] = await Promise.all([
    monthSums(db, centre.id, months),
    monthlyEntries(db, centre.id, months),
    thresholdsOf(db, centre.id),
    lastRefresh(db),
    db.selectFrom('case_file_kinds').select(['code', 'label']).orderBy('code').execute(),
  ]);
  const rows = months.map((m) => centreMonth(m, sums.get(m)!, entries.get(m) ?? {}));
  const used = new Set(rows.flatMap((r) => Object.keys(r.warnings.averageDaysByKind)));
  const last = rows[rows.length - 1]!;
  const warnings = WARNING_KEYS.map((key): WarningState => {
    const threshold = thresholds.get(key) ?? null;
    const value = warningValue(last, key);
    return {
      key,
      label: WARNING_INDICATORS[key].label,
      unit: WARNING_INDICATORS[key].unit,
      threshold,
      value,
      red: isRed(value, threshold),
      redMonths: rows.filter((r) => isRed(warningValue(r, key), threshold)).map((r) => r.month),
    };
  });
  return {
    centreId: centre.id,
    centreName: centre.name,
    asOf,
    refreshedAt,
    months: rows,
    kinds: kinds.filter((k) => used.has(k.code)),
    warnings,
  };
}

function checkAsOf(month: string | undefined, now: Date): string {
  if (month === undefined) return now.toISOString();
  if (!isMonth(month)) throw invalid('Mois attendu au format AAAA-MM.');
  // The dashboard « of a month » ends with that month: its last day.
  const end = new Date(Date.parse(nextMonthStart(month)) - 1);
  return (end < now ? end : now).toISOString();
}

export async function centreDashboard(
  ctx: AppContext,
  actor: Actor,
  centreId: string,
  q: { month?: string } = {},
): Promise<CentreDashboard> {
  const centre = await loadCentre(ctx.store.db, centreId);
  await requireCentreReader(ctx, actor, 'backoffice.report', centre, { type: 'organization', id: centre.id });
  return computeCentreDashboard(ctx.store.db, centre, checkAsOf(q.month, ctx.now()));
}

/** The head of centre's monthly entry of the figures outside the platform (replaces the month's entry). */
export async function enterMonthlyFigures(
  ctx: AppContext,
  actor: Actor,
  centreId: string,
  month: string,
  input: Record<string, unknown>,
): Promise<MonthlyEntry> {
  const centre = await loadCentre(ctx.store.db, centreId);
  const auth = await authorizeIn(ctx, actor, 'backoffice.review', centre, null, {
    type: 'organization',
    id: centre.id,
  });
  if (!isMonth(month)) throw invalid('Mois attendu au format AAAA-MM.');
  if (month > ctx.now().toISOString().slice(0, 7)) throw invalid('Ce mois n’a pas encore commencé.');
  const checked = checkEntry(input);
  if (!checked.ok) throw invalid(checked.reason);
  const now = ctx.now().toISOString();
  return changeWithAudit(ctx, actor, auth, 'steering.entry', async (trx) => {
    const before = await trx
      .selectFrom('steering_entries')
      .select('figures')
      .where('centre_id', '=', centre.id)
      .where('month', '=', month)
      .executeTakeFirst();
    const figures = JSON.stringify(checked.entry);
    await trx
      .insertInto('steering_entries')
      .values({ centre_id: centre.id, month, figures, entered_by: auth.actorId, entered_at: now })
      .onConflict((oc) =>
        oc.columns(['centre_id', 'month']).doUpdateSet({ figures, entered_by: auth.actorId, entered_at: now }),
      )
      .execute();
    return {
      result: checked.entry,
      targetType: 'organization',
      targetId: centre.id,
      summary: { month, before: before ? JSON.parse(before.figures) : null, after: checked.entry },
    };
  });
}

export async function getMonthlyFigures(ctx: AppContext, actor: Actor, centreId: string, month: string) {
  const centre = await loadCentre(ctx.store.db, centreId);
  await requireCentreReader(ctx, actor, 'backoffice.report', centre, { type: 'organization', id: centre.id });
  if (!isMonth(month)) throw invalid('Mois attendu au format AAAA-MM.');
  const e = await monthlyEntries(ctx.store.db, centre.id, [month]);
  return e.get(month) ?? {};
}

/** The head of centre sets (or removes, with null) the threshold of a warning indicator. */
export async function setThreshold(
  ctx: AppContext,
  actor: Actor,
  centreId: string,
  indicator: string,
  threshold: number | null,
): Promise<{ indicator: string; threshold: number | null }> {
  const centre = await loadCentre(ctx.store.db, centreId);
  const auth = await authorizeIn(ctx, actor, 'backoffice.review', centre, null, {
    type: 'organization',
    id: centre.id,
  });
  if (!isWarningIndicator(indicator)) throw invalid(`Indicateur inconnu : ${indicator}.`);
  if (threshold !== null && (!Number.isFinite(threshold) || threshold < 0 || threshold > 1e12))
    throw invalid('Seuil : nombre positif attendu.');
  const now = ctx.now().toISOString();
  return changeWithAudit(ctx, actor, auth, 'steering.threshold', async (trx) => {
    const before = await trx
      .selectFrom('steering_thresholds')
      .select('threshold')
      .where('scope_id', '=', centre.id)
      .where('indicator', '=', indicator)
      .executeTakeFirst();
    if (threshold === null)
      await trx
        .deleteFrom('steering_thresholds')
        .where('scope_id', '=', centre.id)
        .where('indicator', '=', indicator)
        .execute();
    else
      await trx
        .insertInto('steering_thresholds')
        .values({ scope_id: centre.id, indicator, threshold, set_by: auth.actorId, set_at: now })
        .onConflict((oc) =>
          oc.columns(['scope_id', 'indicator']).doUpdateSet({ threshold, set_by: auth.actorId, set_at: now }),
        )
        .execute();
    return {
      result: { indicator, threshold },
      targetType: 'organization',
      targetId: centre.id,
      summary: { indicator, before: before ? Number(before.threshold) : null, after: threshold },
    };
  });
}
