// The centre's dashboard as a table (rows of figures by month) for its CSV and PDF exports, and the
// « recueil des tableaux de bord » (seed 003 annex I, 6): each month's dashboard kept as CSV and PDF.
import { createHash } from 'node:crypto';
import { monthLabel, type CentreMonth } from '../../domain/steering.ts';
import { figuresPdf } from '../../notify/backoffice-pdf.ts';
import { csvDocument } from '../backoffice/csv.ts';
import { notFound } from '../errors.ts';
import type { Actor, AppContext } from '../context.ts';
import { loadCentre, requireCentreReader } from '../backoffice/access.ts';
import type { CentreDashboard } from './centre-dashboard.ts';

type Cell = number | null;
interface Row {
  label: string;
  values: Cell[];
}

function row(label: string, d: CentreDashboard, f: (m: CentreMonth) => Cell): Row {
  return { label, values: d.months.map(f) };
}

/** The dashboard's sections, in the seed's order: the means, the activity, the warning indicators. */
export function dashboardSections(d: CentreDashboard): { title: string; rows: Row[] }[] {
  const kindRows = d.kinds.map((k) =>
    row(`Durée moyenne de traitement (jours) — ${k.label}`, d, (m) => m.warnings.averageDaysByKind[k.code] ?? null),
  );
  return [
    {
      title: 'Les moyens',
      rows: [
        row('Effectif au plan d’armement', d, (m) => m.means.planned),
        row('dont militaires', d, (m) => m.means.plannedMilitary),
        row('dont ventilé décompteurs', d, (m) => m.means.plannedProcessing),
        row('Effectif réalisé', d, (m) => m.means.actual),
        row('dont militaires', d, (m) => m.means.actualMilitary),
        row('Effectif disponible', d, (m) => m.means.available),
        row('dont décompteurs', d, (m) => m.means.availableProcessing),
        row('Taux d’encadrement (%)', d, (m) => m.means.supervisionRate),
        row('Jours au plan d’armement réserve', d, (m) => m.means.reserveDaysPlanned),
        row('Jours de période réalisés', d, (m) => m.means.reserveDaysDone),
      ],
    },
    {
      title: 'L’activité',
      rows: [
        row('Dossiers enregistrés', d, (m) => m.activity.registered),
        row('Décomptes (dossiers traités)', d, (m) => m.activity.processed),
        row('Contrôles', d, (m) => m.activity.controlled),
      ],
    },
    {
      title: 'Les clignotants',
      rows: [
        row('Poursuites de dettes en cours', d, (m) => m.warnings.debtRecoveries),
        row('États RTFD reçus du CIC', d, (m) => m.warnings.overpayments),
        row('Taux imputable au service (%)', d, (m) => m.warnings.overpaymentServiceRate),
        row('Taux imputable aux administrés (%)', d, (m) => m.warnings.overpaymentHoldersRate),
        row('Taux imputable aux formations (%)', d, (m) => m.warnings.overpaymentUnitsRate),
        row('Taux imputable à d’autres causes (%)', d, (m) => m.warnings.overpaymentOtherRate),
        row('Montant des trop-perçus (€)', d, (m) => m.warnings.overpaymentAmount),
        row('Taux de contrôles ayant révélé une anomalie (%)', d, (m) => m.warnings.controlAnomalyRate),
        row('Taux d’anomalie des montants contrôlés (%)', d, (m) => m.warnings.amountAnomalyRate),
        row('Dossiers retournés aux formations (Z 98 émis)', d, (m) => m.warnings.returnedFiles),
        row('Mouvements rejetés par le CIC', d, (m) => m.warnings.rejectedByPayingCentre),
        row('Durée moyenne de traitement (jours), toutes natures', d, (m) => m.warnings.averageDays),
        ...kindRows,
      ],
    },
  ];
}

const fr = (v: Cell) =>
  v === null ? '' : v.toLocaleString('fr-FR', { maximumFractionDigits: 1 }).replace(/\u202f/g, ' ');

export function dashboardCsv(d: CentreDashboard): string {
  const rows: (string | number | null)[][] = [];
  for (const s of dashboardSections(d)) for (const r of s.rows) rows.push([s.title, r.label, ...r.values]);
  return csvDocument(['Rubrique', 'Indicateur', ...d.months.map((m) => m.month)], rows);
}

export function dashboardPdf(d: CentreDashboard): Promise<Uint8Array> {
  const red = d.warnings.filter((w) => w.red);
  return figuresPdf({
    title: `Tableau de bord — ${d.centreName}`,
    subtitle: `12 mois glissants, de ${monthLabel(d.months[0]!.month)} à ${monthLabel(d.months[d.months.length - 1]!.month)} (situation au ${new Date(d.asOf).toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris' })}).`,
    columns: d.months.map((m) => `${m.month.slice(5, 7)}/${m.month.slice(2, 4)}`),
    sections: dashboardSections(d).map((s) => ({
      title: s.title,
      rows: s.rows.map((r) => ({ label: r.label, cells: r.values.map(fr) })),
    })),
    notes: [
      red.length
        ? `Clignotants au rouge : ${red.map((w) => `${w.label} (${fr(w.value)} pour un seuil de ${fr(w.threshold)})`).join(' ; ')}.`
        : 'Aucun clignotant au rouge ce mois-ci.',
      'Méthodologie : annexe II, appendice II.B. Effectif disponible = effectif réalisé + MPE au centre − MPE hors centre − absents tout le mois ; taux d’encadrement = encadrement réalisé / effectif réalisé × 100.',
    ],
  });
}

export async function archiveDashboard(ctx: AppContext, d: CentreDashboard, month: string): Promise<boolean> {
  const pdf = await dashboardPdf(d);
  const done = await ctx.store.db
    .insertInto('steering_archive')
    .values({
      id: ctx.newId(),
      scope_id: d.centreId,
      month,
      csv: dashboardCsv(d),
      pdf,
      sha256: createHash('sha256').update(pdf).digest('hex'),
      created_at: ctx.now().toISOString(),
    })
    .onConflict((oc) => oc.columns(['scope_id', 'month']).doNothing())
    .executeTakeFirst();
  return Number(done.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function listArchive(ctx: AppContext, actor: Actor, centreId: string) {
  const centre = await loadCentre(ctx.store.db, centreId);
  await requireCentreReader(ctx, actor, 'backoffice.report', centre, { type: 'organization', id: centre.id });
  const rows = await ctx.store.db
    .selectFrom('steering_archive')
    .select(['id', 'month', 'sha256', 'created_at'])
    .where('scope_id', '=', centre.id)
    .orderBy('month', 'desc')
    .limit(120)
    .execute();
  return { items: rows.map((r) => ({ id: r.id, month: r.month, sha256: r.sha256, createdAt: r.created_at })) };
}

export async function archivedDocument(ctx: AppContext, actor: Actor, id: string, format: 'csv' | 'pdf') {
  const row = await ctx.store.db.selectFrom('steering_archive').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Tableau de bord archivé introuvable.');
  const centre = await loadCentre(ctx.store.db, row.scope_id);
  await requireCentreReader(ctx, actor, 'backoffice.report', centre, { type: 'organization', id: centre.id });
  return { month: row.month, body: format === 'csv' ? row.csv : Buffer.from(row.pdf) };
}
