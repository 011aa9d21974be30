import { createHash } from 'node:crypto';
import { appendAudit } from '../../store/audit.ts';
import {
  addToMonth,
  ANOMALY_RULES,
  CONTROL_OBJECT_LABELS,
  CONTROL_OBJECTS,
  DEFAULT_RECURRENCE_MONTHS,
  monthRange,
  PERIOD_RE,
  periodLabel,
  recurringAnomalies,
  SHEET_STATUS_LABELS,
  type ControlObject,
  type SheetStatus,
} from '../../domain/control.ts';
import { euros } from '../../domain/case-file.ts';
import { synthesisPdf } from '../../notify/control-pdf.ts';
import { auditEntry } from '../audit-trail.ts';
import { AppError, invalid, notFound } from '../errors.ts';
import type { Actor, AppContext } from '../context.ts';
import { agentNames, authorizeOnBom, centreOf, methodsOffice, nameIn, requireControlReader } from './access.ts';

// The monthly synthesis of the control sheets (seed 003 §4.5), established by the BOM and presented
// to the head of centre, kept (page + PDF) in the « recueil des synthèses mensuelles » (annex I, 5).
// Recurring anomalies — the same kind, office and rule in each of the last N months (N configurable,
// 3 by default) — raise a proposal of deepened control for the head of centre.

/** Per month: files controlled, controls with an anomaly, amounts controlled and in anomaly (dashboard). */
export async function monthlyControlCounts(ctx: AppContext, centreId: string, from: string, to: string) {
  const rows = await ctx.store.db
    .selectFrom('controls')
    .select(['controlled_at', 'anomaly', 'amount_cents'])
    .where('centre_id', '=', centreId)
    .where('controlled_at', '>=', monthRange(from).start)
    .where('controlled_at', '<', monthRange(to).end)
    .execute();
  const out = new Map<
    string,
    { controlled: number; anomalies: number; amountCents: number; anomalyAmountCents: number }
  >();
  for (let p = from; p <= to; p = addToMonth(p, 1))
    out.set(p, { controlled: 0, anomalies: 0, amountCents: 0, anomalyAmountCents: 0 });
  for (const r of rows) {
    const m = out.get(r.controlled_at!.slice(0, 7));
    if (!m) continue;
    m.controlled++;
    const amount = r.amount_cents === null ? 0 : Number(r.amount_cents);
    m.amountCents += amount;
    if (r.anomaly === 1) {
      m.anomalies++;
      m.anomalyAmountCents += amount;
    }
  }
  return [...out.entries()].map(([period, v]) => ({ period, ...v }));
}

async function computeSynthesis(ctx: AppContext, centreId: string, period: string, recurrenceMonths: number) {
  const db = ctx.store.db;
  const centre = await centreOf(db, centreId);
  const { start, end } = monthRange(period);
  const controls = await db
    .selectFrom('controls as c')
    .innerJoin('case_files as f', 'f.id', 'c.case_file_id')
    .innerJoin('case_file_kinds as k', 'k.code', 'f.kind_code')
    .select(['c.anomaly', 'c.amount_cents', 'c.verdicts', 'f.processed_office_id', 'f.kind_code', 'k.label'])
    .where('c.centre_id', '=', centreId)
    .where('c.controlled_at', '>=', start)
    .where('c.controlled_at', '<', end)
    .execute();
  const officeName = (id: string | null) => centre.offices.find((o) => o.id === id)?.name ?? 'Bureau non précisé';
  const groups = new Map<string, { office: string; kind: string; controlled: number; anomalies: number }>();
  const byObject = new Map<ControlObject, number>(CONTROL_OBJECTS.map((o) => [o, 0]));
  let anomalies = 0;
  let amount = 0;
  let anomalyAmount = 0;
  for (const c of controls) {
    const key = `${c.processed_office_id}|${c.kind_code}`;
    const g = groups.get(key) ?? {
      office: officeName(c.processed_office_id),
      kind: c.label,
      controlled: 0,
      anomalies: 0,
    };
    g.controlled++;
    const a = c.amount_cents === null ? 0 : Number(c.amount_cents);
    amount += a;
    if (c.anomaly === 1) {
      g.anomalies++;
      anomalies++;
      anomalyAmount += a;
      const v = JSON.parse(c.verdicts ?? '{}') as Record<string, { verdict: string }>;
      for (const o of CONTROL_OBJECTS) if (v[o]?.verdict === 'anomaly') byObject.set(o, byObject.get(o)! + 1);
    }
    groups.set(key, g);
  }
  const sheets = await db
    .selectFrom('control_sheets as s')
    .innerJoin('case_files as f', 'f.id', 's.case_file_id')
    .select(['s.id', 's.number', 's.status', 's.rule', 's.office_id', 'f.number as file_number'])
    .where('s.centre_id', '=', centreId)
    .where('s.period', '=', period)
    .orderBy('s.number')
    .execute();
  const history = await db
    .selectFrom('control_sheets')
    .select(['period', 'kind_code', 'office_id', 'rule'])
    .where('centre_id', '=', centreId)
    .where('period', '>=', addToMonth(period, -(recurrenceMonths - 1)))
    .where('period', '<=', period)
    .execute();
  const kinds = new Map(
    (await db.selectFrom('case_file_kinds').select(['code', 'label']).execute()).map((k) => [k.code, k.label]),
  );
  const rule = (r: string) => ANOMALY_RULES[r as keyof typeof ANOMALY_RULES] ?? r;
  const proposals = recurringAnomalies(
    history.map((h) => ({ period: h.period, kind: h.kind_code, officeId: h.office_id, rule: h.rule })),
    period,
    recurrenceMonths,
  ).map((r) => ({
    kind: r.kind,
    kindLabel: kinds.get(r.kind) ?? r.kind,
    office: officeName(r.officeId),
    rule: r.rule,
    ruleLabel: rule(r.rule),
    months: r.months,
    sheets: r.sheets,
  }));
  return {
    centre,
    content: {
      period,
      periodLabel: periodLabel(period),
      recurrenceMonths,
      totals: {
        controlled: controls.length,
        anomalies,
        anomalyRate: controls.length ? anomalies / controls.length : 0,
        amountCents: amount,
        anomalyAmountCents: anomalyAmount,
      },
      byOffice: [...groups.values()].sort((a, b) => a.office.localeCompare(b.office) || a.kind.localeCompare(b.kind)),
      byObject: CONTROL_OBJECTS.map((o) => ({
        object: o,
        label: CONTROL_OBJECT_LABELS[o],
        anomalies: byObject.get(o)!,
      })),
      sheets: sheets.map((s) => ({
        id: s.id,
        number: s.number,
        fileNumber: s.file_number,
        office: officeName(s.office_id),
        ruleLabel: rule(s.rule),
        statusLabel: SHEET_STATUS_LABELS[s.status as SheetStatus] ?? s.status,
      })),
      proposals,
    },
  };
}

export type SynthesisContent = Awaited<ReturnType<typeof computeSynthesis>>['content'];

const pct = (x: number) => `${(x * 100).toLocaleString('fr-FR', { maximumFractionDigits: 1 })} %`;

/** The BOM establishes the month's synthesis, once; it joins the « recueil des synthèses mensuelles ». */
export async function establishSynthesis(
  ctx: AppContext,
  actor: Actor,
  input: { centreId: string; period: string; recurrenceMonths?: number | null },
) {
  const centre = await centreOf(ctx.store.db, input.centreId);
  const auth = await authorizeOnBom(ctx, actor, 'control.perform', centre, { type: 'organization', id: centre.id });
  if (!PERIOD_RE.test(input.period))
    throw invalid('Mois invalide.', [{ field: 'period', reason: 'Mois attendu (AAAA-MM).' }]);
  const n = input.recurrenceMonths ?? DEFAULT_RECURRENCE_MONTHS;
  if (!Number.isInteger(n) || n < 2 || n > 12)
    throw invalid('Nombre de mois invalide.', [{ field: 'recurrenceMonths', reason: 'De 2 à 12 mois.' }]);
  if (monthRange(input.period).start > ctx.now().toISOString())
    throw new AppError('conflict', 'Ce mois n’a pas commencé : sa synthèse ne peut pas être établie.');
  const exists = await ctx.store.db
    .selectFrom('control_syntheses')
    .select('id')
    .where('centre_id', '=', centre.id)
    .where('period', '=', input.period)
    .executeTakeFirst();
  if (exists)
    throw new AppError(
      'conflict',
      `La synthèse de ${periodLabel(input.period)} est déjà établie et versée au recueil.`,
    );
  const { content } = await computeSynthesis(ctx, centre.id, input.period, n);
  const now = ctx.now().toISOString();
  const pdf = await synthesisPdf({
    centreName: centre.name,
    bomName: methodsOffice(centre).name,
    periodLabel: content.periodLabel,
    createdAt: now,
    createdBy: actor.kind === 'person' ? actor.displayName : 'Plateforme',
    totals: {
      controlled: content.totals.controlled,
      anomalies: content.totals.anomalies,
      rate: pct(content.totals.anomalyRate),
      amountControlled: euros(content.totals.amountCents),
      amountAnomalies: euros(content.totals.anomalyAmountCents),
    },
    byOffice: content.byOffice,
    byObject: content.byObject,
    sheets: content.sheets.map((s) => ({
      number: s.number,
      file: s.fileNumber,
      office: s.office,
      rule: s.ruleLabel,
      status: s.statusLabel,
    })),
    proposals: content.proposals.map((p) => ({
      kind: p.kindLabel,
      office: p.office,
      rule: p.ruleLabel,
      months: `${p.months.length} mois`,
      sheets: p.sheets,
    })),
    recurrenceMonths: n,
  });
  const id = ctx.newId();
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('control_syntheses')
      .values({
        id,
        centre_id: centre.id,
        period: input.period,
        recurrence_months: n,
        content: JSON.stringify(content),
        pdf,
        sha256: createHash('sha256').update(pdf).digest('hex'),
        created_by: auth.actorId,
        created_at: now,
      })
      .execute();
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'control.synthesis', {
        targetType: 'controlSynthesis',
        targetId: id,
        summary: {
          period: input.period,
          controlled: content.totals.controlled,
          anomalies: content.totals.anomalies,
          sheets: content.sheets.length,
          proposals: content.proposals.length,
        },
      }),
    );
  });
  return getSynthesis(ctx, actor, id);
}

export async function getSynthesis(ctx: AppContext, actor: Actor, id: string) {
  const row = await ctx.store.db.selectFrom('control_syntheses').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Synthèse introuvable.');
  const centre = await centreOf(ctx.store.db, row.centre_id);
  await requireControlReader(ctx, actor, centre, { type: 'controlSynthesis', id });
  const who = await agentNames(ctx.store.db, [row.created_by]);
  return {
    id: row.id,
    centre: { id: centre.id, name: centre.name },
    createdAt: row.created_at,
    createdBy: nameIn(who, row.created_by),
    sha256: row.sha256,
    ...(JSON.parse(row.content) as SynthesisContent),
  };
}

/** The « recueil des synthèses mensuelles » of a centre, newest first. */
export async function listSyntheses(ctx: AppContext, actor: Actor, centreId: string) {
  const centre = await centreOf(ctx.store.db, centreId);
  await requireControlReader(ctx, actor, centre, { type: 'organization', id: centreId });
  const rows = await ctx.store.db
    .selectFrom('control_syntheses')
    .select('id')
    .where('centre_id', '=', centreId)
    .orderBy('period', 'desc')
    .limit(60)
    .execute();
  const items = [];
  for (const r of rows) items.push(await getSynthesis(ctx, actor, r.id));
  return { centre: { id: centre.id, name: centre.name }, items };
}

export async function synthesisDocument(ctx: AppContext, actor: Actor, id: string) {
  const s = await getSynthesis(ctx, actor, id);
  const row = await ctx.store.db
    .selectFrom('control_syntheses')
    .select('pdf')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return { bytes: Buffer.from(row.pdf), fileName: `synthese-controles-${s.period}.pdf` };
}
