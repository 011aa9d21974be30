import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { appendAudit } from '../../store/audit.ts';
import {
  ageInDays,
  ageingCutoff,
  CASE_FILE_STATUS_LABELS,
  PRIORITY_LABELS,
  PRIORITY_RANK,
  type CaseFileStatus,
  type Priority,
} from '../../domain/case-file.ts';
import { ageingReportPdf } from '../../notify/backoffice-pdf.ts';
import { personName } from '../requests/card-requests.ts';
import { auditEntry } from '../audit-trail.ts';
import { AppError, invalid, notFound } from '../errors.ts';
import { queueMail } from '../mail.ts';
import { systemActor, type Actor, type AppContext } from '../context.ts';
import { authorizeIn, loadCentre, requireCentreReader, type CentreFacts } from './access.ts';
import { text } from './input.ts';
import { csvDocument } from './csv.ts';

// Files registered for more than thirty days and not archived, per processing office (seed 003
// §2.4): on demand (page, CSV, PDF, `cartes dossiers ageing`) and monthly by itself, mailed to the
// head of centre, who records the analysis and the measures taken (annex III, « compte rendu
// d'exploitation »). One range read of the partial covering index of the files still in the centre
// (case_files_ageing, migration 014), so the report stays fast with a million files.

type Db = Kysely<Database> | Transaction<Database>;

export const DEFAULT_AGEING_DAYS = 30;
const UNROUTED = 'Bureau de liaison (dossiers non répartis)';

export interface AgeingFile {
  id: string;
  number: string;
  kind: string;
  kindLabel: string;
  personName: string;
  sendingUnit: string;
  registeredAt: string;
  ageDays: number;
  status: string;
  statusLabel: string;
  priority: string;
  priorityLabel: string;
  dueOn: string | null;
}

export interface AgeingOffice {
  officeId: string | null;
  code: string | null;
  name: string;
  count: number;
  files: AgeingFile[];
}

export interface AgeingReport {
  centre: { id: string; name: string };
  asOf: string;
  days: number;
  total: number;
  offices: AgeingOffice[];
}

/** Builds the report without any access check (the callers check). */
export async function computeAgeing(db: Db, centre: CentreFacts, days: number, asOf: string): Promise<AgeingReport> {
  const cutoff = ageingCutoff(asOf, days);
  // The files from the index alone (case_files_ageing holds every column listed); the labels of their
  // few kinds and sending units are read once each instead of joined on every row.
  const rows = await db
    .selectFrom('case_files as f')
    .select([
      'f.id',
      'f.number',
      'f.kind_code',
      'f.person_name',
      'f.sending_organization_id',
      'f.registered_at',
      'f.status',
      'f.priority',
      'f.due_on',
      'f.office_id',
    ])
    .where('f.centre_id', '=', centre.id)
    .where('f.archived_at', 'is', null)
    .where('f.returned_at', 'is', null)
    .where('f.registered_at', 'is not', null)
    .where('f.registered_at', '<', cutoff)
    .execute();
  const kinds = new Map(
    (await db.selectFrom('case_file_kinds').select(['code', 'label']).execute()).map((k) => [k.code, k.label]),
  );
  const senderIds = [...new Set(rows.map((r) => r.sending_organization_id))];
  const senders = new Map<string, string>();
  for (let i = 0; i < senderIds.length; i += 500)
    for (const o of await db
      .selectFrom('organizations')
      .select(['id', 'name'])
      .where('id', 'in', senderIds.slice(i, i + 500))
      .execute())
      senders.set(o.id, o.name);
  const byOffice = new Map<string | null, AgeingFile[]>();
  for (const r of rows) {
    let list = byOffice.get(r.office_id);
    if (!list) byOffice.set(r.office_id, (list = []));
    list.push({
      id: r.id,
      number: r.number,
      kind: r.kind_code,
      kindLabel: kinds.get(r.kind_code) ?? r.kind_code,
      personName: r.person_name,
      sendingUnit: senders.get(r.sending_organization_id) ?? '',
      registeredAt: r.registered_at!,
      ageDays: ageInDays(r.registered_at!, asOf),
      status: r.status,
      statusLabel: CASE_FILE_STATUS_LABELS[r.status as CaseFileStatus] ?? r.status,
      priority: r.priority,
      priorityLabel: PRIORITY_LABELS[r.priority as Priority] ?? r.priority,
      dueOn: r.due_on,
    });
  }
  // Every processing office appears, with 0 when it has no old file: the head of centre sees them all.
  const offices: AgeingOffice[] = centre.offices
    .filter((o) => o.function === 'processing' || byOffice.has(o.id))
    .map((o) => ({ officeId: o.id, code: o.code, name: o.name, count: 0, files: byOffice.get(o.id) ?? [] }));
  if (byOffice.has(null))
    offices.push({ officeId: null, code: null, name: UNROUTED, count: 0, files: byOffice.get(null)! });
  // Absolute priority first, then the oldest, then by number (numbers are ASCII: a plain comparison).
  for (const o of offices) {
    o.files.sort(
      (a, b) =>
        PRIORITY_RANK[a.priority as Priority] - PRIORITY_RANK[b.priority as Priority] ||
        b.ageDays - a.ageDays ||
        (a.number < b.number ? -1 : a.number > b.number ? 1 : 0),
    );
    o.count = o.files.length;
  }
  return { centre: { id: centre.id, name: centre.name }, asOf, days, total: rows.length, offices };
}

function checkDays(days: number | undefined): number {
  const d = days ?? DEFAULT_AGEING_DAYS;
  if (!Number.isInteger(d) || d < 1 || d > 3650)
    throw invalid('Seuil en jours invalide.', [{ field: 'days', reason: 'De 1 à 3 650 jours.' }]);
  return d;
}

export async function ageingReport(ctx: AppContext, actor: Actor, q: { centreId: string; days?: number }) {
  const centre = await loadCentre(ctx.store.db, q.centreId);
  await requireCentreReader(ctx, actor, 'backoffice.report', centre, { type: 'organization', id: centre.id });
  return computeAgeing(ctx.store.db, centre, checkDays(q.days), ctx.now().toISOString());
}

const CSV_HEADER = [
  'bureau',
  'numero',
  'type',
  'administre',
  'formation',
  'enregistre_le',
  'anciennete_jours',
  'situation',
  'priorite',
  'echeance',
];

/** CSV « ; » with BOM, as spreadsheets in French expect it. */
export function ageingCsv(r: AgeingReport): string {
  return csvDocument(
    CSV_HEADER,
    r.offices.flatMap((o) =>
      o.files.map((f) => [
        o.name,
        f.number,
        f.kindLabel,
        f.personName,
        f.sendingUnit,
        f.registeredAt.slice(0, 10),
        f.ageDays,
        f.statusLabel,
        f.priorityLabel,
        f.dueOn,
      ]),
    ),
  );
}

export function ageingPdf(r: AgeingReport): Promise<Uint8Array> {
  return ageingReportPdf({
    centreName: r.centre.name,
    asOf: r.asOf,
    days: r.days,
    total: r.total,
    offices: r.offices.map((o) => ({ name: o.name, count: o.count, files: o.files })),
  });
}

// ---------------------------------------------------------------------------------------------
// Recorded reports: monthly by the job, or on demand; the head of centre's analysis (annex III)

function totalsOf(r: AgeingReport) {
  return r.offices.map((o) => ({ officeId: o.officeId, code: o.code, name: o.name, count: o.count }));
}

async function insertReport(
  trx: Db,
  ctx: AppContext,
  centre: CentreFacts,
  report: AgeingReport,
  period: string | null,
  generatedBy: string | null,
): Promise<string | null> {
  const id = ctx.newId();
  const values = {
    id,
    centre_id: centre.id,
    period,
    as_of: report.asOf,
    days: report.days,
    totals: JSON.stringify(totalsOf(report)),
    file_count: report.total,
    generated_by: generatedBy,
    analysis: null,
    measures: null,
    analysed_by: null,
    analysed_at: null,
    created_at: ctx.now().toISOString(),
  };
  if (period === null) {
    await trx.insertInto('ageing_reports').values(values).execute();
    return id;
  }
  // One monthly report per centre, whichever instance runs the job first.
  const done = await trx
    .insertInto('ageing_reports')
    .values(values)
    .onConflict((oc) => oc.columns(['centre_id', 'period']).doNothing())
    .executeTakeFirst();
  return Number(done.numInsertedOrUpdatedRows ?? 0) === 1 ? id : null;
}

/** A report recorded on demand, for the head of centre to analyse. */
export async function recordAgeingReport(ctx: AppContext, actor: Actor, input: { centreId: string; days?: number }) {
  const centre = await loadCentre(ctx.store.db, input.centreId);
  const auth = await authorizeIn(ctx, actor, 'backoffice.review', centre, null, {
    type: 'organization',
    id: centre.id,
  });
  const report = await computeAgeing(ctx.store.db, centre, checkDays(input.days), ctx.now().toISOString());
  const id = await ctx.store.db.transaction().execute(async (trx) => {
    const rid = (await insertReport(trx, ctx, centre, report, null, auth.actorId))!;
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'ageing.record', {
        targetType: 'ageingReport',
        targetId: rid,
        summary: { days: report.days, files: report.total },
      }),
    );
    return rid;
  });
  return getAgeingReport(ctx, actor, id);
}

/**
 * The monthly pass (first day of the month): each centre's report is recorded once for the month
 * and mailed to its heads of centre. Safe to run on every instance and to run twice.
 */
export async function monthlyAgeingPass(ctx: AppContext): Promise<number> {
  const actor = systemActor('ageing');
  const asOf = ctx.now().toISOString();
  const period = asOf.slice(0, 7);
  const centres = await ctx.store.db.selectFrom('backoffice_centres').select('organization_id').execute();
  let made = 0;
  for (const c of centres) {
    const centre = await loadCentre(ctx.store.db, c.organization_id);
    const report = await computeAgeing(ctx.store.db, centre, DEFAULT_AGEING_DAYS, asOf);
    const heads = await ctx.store.db
      .selectFrom('role_assignments as r')
      .innerJoin('agents as a', 'a.id', 'r.agent_id')
      .select(['a.email', 'a.first_names', 'a.last_name'])
      .where('r.role', '=', 'centre_head')
      .where('r.organization_id', '=', centre.id)
      .where('r.revoked_at', 'is', null)
      .where('a.status', '=', 'active')
      .execute();
    await ctx.store.db.transaction().execute(async (trx) => {
      const id = await insertReport(trx, ctx, centre, report, period, 'system:ageing');
      if (!id) return;
      made++;
      const lines = report.offices.map((o) => `  - ${o.name} : ${o.count} dossier(s)`);
      for (const h of heads.filter((x) => x.email))
        await queueMail(ctx, trx, {
          to: h.email!,
          subject: `Dossiers enregistrés depuis plus de ${report.days} jours et non archivés — ${centre.name} — ${period}`,
          text: [
            `Bonjour ${h.first_names} ${h.last_name},`,
            '',
            `Situation au ${new Date(asOf).toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris' })} des dossiers enregistrés depuis plus de ${report.days} jours et non archivés : ${report.total} dossier(s).`,
            ...lines,
            '',
            'La liste détaillée (page « Ancienneté des dossiers », CSV ou PDF) et le compte rendu d’exploitation à établir sont dans le portail.',
          ].join('\n'),
        });
      await appendAudit(trx, ctx.store, {
        at: ctx.now().toISOString(),
        actorId: 'system:ageing',
        actorRole: 'system',
        organizationId: centre.id,
        action: 'ageing.monthly',
        outcome: 'ok',
        targetType: 'ageingReport',
        targetId: id,
        requestId: actor.requestId,
        summary: { period, files: report.total, mailed: heads.filter((x) => x.email).length },
      });
    });
  }
  return made;
}

async function reportRow(ctx: AppContext, id: string) {
  const row = await ctx.store.db.selectFrom('ageing_reports').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Compte rendu introuvable.');
  return row;
}

export async function getAgeingReport(ctx: AppContext, actor: Actor, id: string) {
  const row = await reportRow(ctx, id);
  const centre = await loadCentre(ctx.store.db, row.centre_id);
  await requireCentreReader(ctx, actor, 'backoffice.report', centre, { type: 'ageingReport', id });
  const who = row.analysed_by
    ? await ctx.store.db
        .selectFrom('agents')
        .select(['first_names', 'last_name'])
        .where('id', '=', row.analysed_by)
        .executeTakeFirst()
    : undefined;
  return {
    id: row.id,
    centreId: row.centre_id,
    period: row.period,
    asOf: row.as_of,
    days: row.days,
    fileCount: row.file_count,
    totals: JSON.parse(row.totals) as { officeId: string | null; code: string | null; name: string; count: number }[],
    generatedBy: row.generated_by?.startsWith('system:') ? 'Tâche mensuelle' : 'Chef de centre',
    analysis: row.analysis,
    measures: row.measures,
    analysedBy: row.analysed_by ? personName(who?.first_names, who?.last_name, row.analysed_by) : null,
    analysedAt: row.analysed_at,
  };
}

export async function listAgeingReports(ctx: AppContext, actor: Actor, centreId: string) {
  const centre = await loadCentre(ctx.store.db, centreId);
  await requireCentreReader(ctx, actor, 'backoffice.report', centre, { type: 'organization', id: centreId });
  const rows = await ctx.store.db
    .selectFrom('ageing_reports')
    .select('id')
    .where('centre_id', '=', centreId)
    .orderBy('as_of', 'desc')
    .limit(36)
    .execute();
  const items = [];
  for (const r of rows) items.push(await getAgeingReport(ctx, actor, r.id));
  return { items };
}

/** The head of centre's « compte rendu d'exploitation » (annex III): internal and external reasons, measures taken. */
export async function recordAnalysis(
  ctx: AppContext,
  actor: Actor,
  id: string,
  input: { analysis: string; measures: string },
) {
  const row = await reportRow(ctx, id);
  const centre = await loadCentre(ctx.store.db, row.centre_id);
  const auth = await authorizeIn(ctx, actor, 'backoffice.review', centre, null, { type: 'ageingReport', id });
  const analysis = text('analysis', input.analysis, 4000, { required: true, multiline: true });
  const measures = text('measures', input.measures, 4000, { required: true, multiline: true });
  const now = ctx.now().toISOString();
  await ctx.store.db.transaction().execute(async (trx) => {
    const done = await trx
      .updateTable('ageing_reports')
      .set({ analysis, measures, analysed_by: auth.actorId, analysed_at: now })
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) !== 1) throw new AppError('conflict', 'Compte rendu introuvable.');
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'ageing.analysis', {
        targetType: 'ageingReport',
        targetId: id,
        summary: { before: { analysis: row.analysis, measures: row.measures }, after: { analysis, measures } },
      }),
    );
  });
  return getAgeingReport(ctx, actor, id);
}
