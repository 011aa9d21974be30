// The steering pass, every ten minutes once across the instances (jobs/passes.ts): refreshes the daily
// rows, mails the heads of centre when a warning indicator turns red (once per month and indicator),
// and keeps last month's dashboard in the « recueil des tableaux de bord » (once per month). Each step
// is idempotent: a re-run or a second instance changes nothing.
import { appendAudit } from '../../store/audit.ts';
import { monthLabel } from '../../domain/steering.ts';
import { queueMail } from '../mail.ts';
import type { AppContext } from '../context.ts';
import { loadCentre } from '../backoffice/access.ts';
import { refreshSteering } from './aggregate.ts';
import { computeCentreDashboard, type CentreDashboard } from './centre-dashboard.ts';
import { archiveDashboard } from './report.ts';

const fr = (v: number | null) => (v === null ? '—' : v.toLocaleString('fr-FR', { maximumFractionDigits: 1 }));

async function centreHeads(ctx: AppContext, centreId: string) {
  return ctx.store.db
    .selectFrom('role_assignments as r')
    .innerJoin('agents as a', 'a.id', 'r.agent_id')
    .select(['a.email', 'a.first_names', 'a.last_name'])
    .where('r.role', '=', 'centre_head')
    .where('r.organization_id', '=', centreId)
    .where('r.revoked_at', 'is', null)
    .where('a.status', '=', 'active')
    .execute();
}

/** Records and mails the red warning indicators of the dashboard's last month not yet raised. */
export async function raiseAlerts(ctx: AppContext, d: CentreDashboard): Promise<number> {
  const month = d.months[d.months.length - 1]!.month;
  const red = d.warnings.filter((w) => w.red);
  if (!red.length) return 0;
  const heads = (await centreHeads(ctx, d.centreId)).filter((h) => h.email);
  let raised = 0;
  for (const w of red)
    await ctx.store.db.transaction().execute(async (trx) => {
      const now = ctx.now().toISOString();
      const done = await trx
        .insertInto('steering_alerts')
        .values({
          scope_id: d.centreId,
          month,
          indicator: w.key,
          value: w.value!,
          threshold: w.threshold!,
          raised_at: now,
        })
        .onConflict((oc) => oc.columns(['scope_id', 'month', 'indicator']).doNothing())
        .executeTakeFirst();
      if (Number(done.numInsertedOrUpdatedRows ?? 0) !== 1) return;
      raised++;
      for (const h of heads)
        await queueMail(ctx, trx, {
          to: h.email!,
          subject: `Clignotant au rouge — ${w.label} — ${d.centreName} — ${monthLabel(month)}`,
          text: [
            `Bonjour ${h.first_names} ${h.last_name},`,
            '',
            `L’indicateur « ${w.label} » du tableau de bord de ${d.centreName} a dépassé le seuil que vous avez fixé pour ${monthLabel(month)} :`,
            `  valeur : ${fr(w.value)} ${w.unit} ; seuil : ${fr(w.threshold)} ${w.unit}.`,
            '',
            'Le tableau de bord (12 mois glissants, graphiques et tableaux, exports CSV et PDF) est dans le portail, rubrique « Dossiers », page « Tableau de bord ».',
          ].join('\n'),
        });
      await appendAudit(trx, ctx.store, {
        at: now,
        actorId: 'system:steering',
        actorRole: 'system',
        organizationId: d.centreId,
        action: 'steering.alert',
        outcome: 'ok',
        targetType: 'organization',
        targetId: d.centreId,
        summary: { month, indicator: w.key, value: w.value, threshold: w.threshold, mailed: heads.length },
      });
    });
  return raised;
}

export async function steeringPass(ctx: AppContext): Promise<{ refreshed: string; alerts: number; archived: number }> {
  const r = await refreshSteering(ctx);
  const now = ctx.now();
  const centres = await ctx.store.db.selectFrom('backoffice_centres').select('organization_id').execute();
  // Last month's dashboard, as it stood at the end of the month.
  const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 0, 23, 59, 59, 999));
  const lastMonthKey = lastMonth.toISOString().slice(0, 7);
  let alerts = 0;
  let archived = 0;
  for (const c of centres) {
    const centre = await loadCentre(ctx.store.db, c.organization_id);
    alerts += await raiseAlerts(ctx, await computeCentreDashboard(ctx.store.db, centre, now.toISOString()));
    const kept = await ctx.store.db
      .selectFrom('steering_archive')
      .select('id')
      .where('scope_id', '=', centre.id)
      .where('month', '=', lastMonthKey)
      .executeTakeFirst();
    if (!kept) {
      const d = await computeCentreDashboard(ctx.store.db, centre, lastMonth.toISOString());
      if (await archiveDashboard(ctx, d, lastMonthKey)) archived++;
    }
  }
  return { refreshed: `${r.from}..${r.to}`, alerts, archived };
}
