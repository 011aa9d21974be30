import type { MonthlyEntry } from '../../domain/steering.ts';
import { rollingMonths } from '../../domain/steering.ts';
import type { AppContext } from '../context.ts';
import { DEMO_CENTRE_CODE } from './backoffice.ts';
import { steeringPass } from '../steering/pass.ts';

// Demonstration of the centre's dashboard (seed 003 annex II): twelve months of the figures the head
// of centre enters (staff, reserve days, overpayments by cause, rejections by the paying centre),
// thresholds on the warning indicators, then the steering pass (daily rows over the demonstration
// year, red indicators mailed, last month archived). This month's rejections by the paying centre
// are past their threshold: the dashboard shows a red indicator on first start.

/** Thresholds of the demonstration, as a head of centre would set them. */
export const DEMO_THRESHOLDS: Record<string, number> = {
  controlAnomalyRate: 10,
  amountAnomalyRate: 5,
  returnedFiles: 40,
  rejectedByPayingCentre: 15,
  debtRecoveries: 12,
  overpaymentServiceRate: 30,
  averageDays: 25,
};

function entry(i: number, current: boolean): MonthlyEntry {
  // Deterministic, gently varying figures for month i (0 = oldest of the 12).
  const wave = [0, 1, 2, 1, 0, -1, -2, -1, 0, 1, 2, 1][i]!;
  return {
    planned: 62,
    plannedMilitary: 28,
    plannedProcessing: 38,
    actual: 58 + wave,
    actualMilitary: 26,
    mpeIn: 2,
    mpeOut: 1 + (i % 2),
    absentWholeMonth: i % 3 === 0 ? 2 : 1,
    availableProcessing: 33 + wave,
    supervisors: 14,
    reserveDaysPlanned: 120,
    reserveDaysDone: 90 + 5 * wave,
    debtRecoveries: 6 + (i % 4),
    overpaymentsService: 3 + (i % 3),
    overpaymentsHolders: 9 + wave,
    overpaymentsUnits: 4,
    overpaymentsOther: 2,
    overpaymentAmountCents: 180_000 + 25_000 * wave,
    rejectedByPayingCentre: current ? 18 : 7 + (i % 5),
  };
}

export async function loadDemoSteering(ctx: AppContext): Promise<{ created: number }> {
  const db = ctx.store.db;
  const centre = await db
    .selectFrom('organizations')
    .select('id')
    .where('code', '=', DEMO_CENTRE_CODE)
    .executeTakeFirst();
  if (!centre) return { created: 0 };
  const already = await db
    .selectFrom('steering_entries')
    .select('month')
    .where('centre_id', '=', centre.id)
    .executeTakeFirst();
  if (already) return { created: 0 };
  const now = ctx.now().toISOString();
  const months = rollingMonths(now);
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('steering_entries')
      .values(
        months.map((month, i) => ({
          centre_id: centre.id,
          month,
          figures: JSON.stringify(entry(i, i === months.length - 1)),
          entered_by: null,
          entered_at: now,
        })),
      )
      .execute();
    await trx
      .insertInto('steering_thresholds')
      .values(
        Object.entries(DEMO_THRESHOLDS).map(([indicator, threshold]) => ({
          scope_id: centre.id,
          indicator,
          threshold,
          set_by: null,
          set_at: now,
        })),
      )
      .execute();
  });
  await steeringPass(ctx);
  return { created: months.length };
}
