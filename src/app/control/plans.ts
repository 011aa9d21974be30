import { randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { ControlPlanLineTable, ControlPlanTable, Database } from '../../store/schema.ts';
import { appendAudit } from '../../store/audit.ts';
import {
  addToMonth,
  CONTROL_ORIGIN_LABELS,
  CONTROL_STATUS_LABELS,
  drawSample,
  monthRange,
  PERIOD_RE,
  periodLabel,
  suggestedObjective,
  WEIGHT_LABELS,
  WEIGHT_LEVELS,
  type ControlOrigin,
  type ControlStatus,
  type WeightLevel,
} from '../../domain/control.ts';
import { CASE_FILE_STATUS_LABELS, type CaseFileStatus } from '../../domain/case-file.ts';
import { auditEntry } from '../audit-trail.ts';
import { AppError, invalid, notFound } from '../errors.ts';
import { authorizeIn } from '../backoffice/access.ts';
import { addEvents } from '../backoffice/files.ts';
import { text } from '../backoffice/input.ts';
import type { Actor, AppContext } from '../context.ts';
import {
  agentNames,
  authorizeOnBom,
  centreOf,
  methodsOffice,
  nameIn,
  refuseOwnWork,
  requireControlReader,
} from './access.ts';

// Control plans (seed 003 §4.3.2): the head of centre sets, for a month, an objective per kind of
// file and processing office, weighted by the potential for error, the amounts at stake and last
// month's results (recorded with the line). The platform then draws the sample a posteriori from
// the files processed in the month: each file is ranked by sha256(seed ‖ id) and the lowest are
// kept; the seed is kept with the plan, so the draw can be made again and gives the same sample for
// the same files. The controller may add files by hand.

type Db = Kysely<Database> | Transaction<Database>;

export interface PlanLineInput {
  kindCode: string;
  officeId?: string | null;
  errorPotential: number;
  amountStakes: number;
  objective?: number | null;
  note?: string | null;
}

export interface PlanInput {
  centreId: string;
  period: string;
  note?: string | null;
  lines: PlanLineInput[];
}

/** Files of the line's population: processed in the month (up to `until`), of the kind and office. */
async function population(
  db: Db,
  centreId: string,
  period: string,
  line: { kind_code: string; office_id: string | null },
  until: string,
): Promise<string[]> {
  const { start, end } = monthRange(period);
  let q = db
    .selectFrom('case_files')
    .select('id')
    .where('centre_id', '=', centreId)
    .where('processed_at', '>=', start)
    .where('processed_at', '<', end < until ? end : until)
    .where('kind_code', '=', line.kind_code)
    .where('processed_by', 'is not', null);
  if (line.office_id) q = q.where('processed_office_id', '=', line.office_id);
  return (await q.orderBy('id').execute()).map((r) => r.id);
}

/** Last month's controls of this kind and office: how many, and how many found an anomaly. */
async function lastMonthResults(db: Db, centreId: string, period: string, kind: string, officeId: string | null) {
  const { start, end } = monthRange(addToMonth(period, -1));
  let q = db
    .selectFrom('controls as c')
    .innerJoin('case_files as f', 'f.id', 'c.case_file_id')
    .select((eb) => [
      eb.fn.countAll<number>().as('n'),
      eb.fn.sum<number>(eb.fn.coalesce('c.anomaly', eb.val(0))).as('anomalies'),
    ])
    .where('c.centre_id', '=', centreId)
    .where('c.controlled_at', '>=', start)
    .where('c.controlled_at', '<', end)
    .where('f.kind_code', '=', kind);
  if (officeId) q = q.where('f.processed_office_id', '=', officeId);
  const r = await q.executeTakeFirstOrThrow();
  return { controls: Number(r.n), anomalies: Number(r.anomalies ?? 0) };
}

function weight(field: string, v: unknown): WeightLevel {
  if (!(WEIGHT_LEVELS as readonly unknown[]).includes(v))
    throw invalid('Saisie invalide : vérifiez le champ signalé.', [
      { field, reason: 'Niveau attendu : 1 (faible), 2 (moyen) ou 3 (élevé).' },
    ]);
  return v as WeightLevel;
}

function checkPeriod(period: string): string {
  if (!PERIOD_RE.test(period))
    throw invalid('Mois invalide.', [{ field: 'period', reason: 'Mois attendu (AAAA-MM).' }]);
  return period;
}

/**
 * Sets (or replaces, until the sample is drawn) the control plan of a month. Each line records its
 * weighting factors, last month's results and the objective the platform suggests; the head of
 * centre's own objective wins when given.
 */
export async function setControlPlan(ctx: AppContext, actor: Actor, input: PlanInput) {
  const db = ctx.store.db;
  const centre = await centreOf(db, input.centreId);
  const auth = await authorizeIn(ctx, actor, 'control.plan', centre, null, { type: 'organization', id: centre.id });
  const period = checkPeriod(input.period);
  const note = text('note', input.note, 2000, { multiline: true });
  if (!Array.isArray(input.lines) || input.lines.length === 0 || input.lines.length > 50)
    throw invalid('Le plan doit compter entre 1 et 50 lignes.', [{ field: 'lines', reason: 'De 1 à 50 lignes.' }]);
  const kinds = new Set((await db.selectFrom('case_file_kinds').select('code').execute()).map((k) => k.code));
  const now = ctx.now().toISOString();
  const seen = new Set<string>();
  const lines: Omit<ControlPlanLineTable, 'id' | 'plan_id'>[] = [];
  for (const [i, l] of input.lines.entries()) {
    if (!kinds.has(l.kindCode))
      throw invalid('Type de dossier inconnu.', [{ field: `lines.${i}.kindCode`, reason: 'Type inconnu.' }]);
    const officeId = l.officeId ?? null;
    if (officeId && !centre.offices.some((o) => o.id === officeId && o.function === 'processing'))
      throw invalid('Bureau inconnu.', [
        { field: `lines.${i}.officeId`, reason: 'Un bureau de traitement de ce centre est attendu.' },
      ]);
    const key = `${l.kindCode}|${officeId ?? ''}`;
    if (seen.has(key))
      throw invalid('Deux lignes du plan visent le même type et le même bureau.', [
        { field: `lines.${i}`, reason: 'Ligne en double.' },
      ]);
    seen.add(key);
    const errorPotential = weight(`lines.${i}.errorPotential`, l.errorPotential);
    const amountStakes = weight(`lines.${i}.amountStakes`, l.amountStakes);
    const last = await lastMonthResults(db, centre.id, period, l.kindCode, officeId);
    // Set at the start of the month, the plan expects about as many files as last month processed.
    const expected = (
      await population(db, centre.id, addToMonth(period, -1), { kind_code: l.kindCode, office_id: officeId }, now)
    ).length;
    const suggested = suggestedObjective(expected, {
      errorPotential,
      amountStakes,
      lastMonthAnomalyRate: last.controls ? last.anomalies / last.controls : null,
    });
    const objective = l.objective ?? suggested;
    if (!Number.isInteger(objective) || objective < 0 || objective > 10_000)
      throw invalid('Objectif invalide.', [
        { field: `lines.${i}.objective`, reason: 'Nombre de dossiers entre 0 et 10 000.' },
      ]);
    lines.push({
      kind_code: l.kindCode,
      office_id: officeId,
      error_potential: errorPotential,
      amount_stakes: amountStakes,
      last_month_controls: last.controls,
      last_month_anomalies: last.anomalies,
      suggested,
      objective,
      note: text(`lines.${i}.note`, l.note, 500),
    });
  }
  const existing = await db
    .selectFrom('control_plans')
    .selectAll()
    .where('centre_id', '=', centre.id)
    .where('type', '=', 'monthly')
    .where('period', '=', period)
    .executeTakeFirst();
  if (existing?.drawn_at)
    throw new AppError(
      'conflict',
      `L’échantillon de ${periodLabel(period)} est déjà tiré : le plan ne se modifie plus. Le contrôleur peut ajouter des dossiers à la main.`,
    );
  const id = existing?.id ?? ctx.newId();
  await db.transaction().execute(async (trx) => {
    if (existing) {
      await trx.deleteFrom('control_plan_lines').where('plan_id', '=', id).execute();
      await trx.updateTable('control_plans').set({ note, updated_at: now }).where('id', '=', id).execute();
    } else
      await trx
        .insertInto('control_plans')
        .values({
          id,
          centre_id: centre.id,
          type: 'monthly',
          period,
          seed: randomBytes(16).toString('hex'),
          note,
          created_by: auth.actorId,
          created_at: now,
          updated_at: now,
          drawn_by: null,
          drawn_at: null,
        })
        .execute();
    await trx
      .insertInto('control_plan_lines')
      .values(lines.map((l) => ({ ...l, id: ctx.newId(), plan_id: id })))
      .execute();
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'control.plan', {
        targetType: 'controlPlan',
        targetId: id,
        summary: {
          period,
          replaced: existing !== undefined,
          lines: lines.map((l) => ({
            kind: l.kind_code,
            office: l.office_id,
            errorPotential: l.error_potential,
            amountStakes: l.amount_stakes,
            lastMonth: { controls: l.last_month_controls, anomalies: l.last_month_anomalies },
            suggested: l.suggested,
            objective: l.objective,
          })),
        },
      }),
    );
  });
  return getControlPlan(ctx, actor, id);
}

/** Draws the plan's sample now, once: each line's objective among its files processed so far. */
export async function drawControlSample(ctx: AppContext, actor: Actor, planId: string) {
  const db = ctx.store.db;
  const plan = await db.selectFrom('control_plans').selectAll().where('id', '=', planId).executeTakeFirst();
  if (!plan) throw notFound('Plan de contrôle introuvable.');
  const centre = await centreOf(db, plan.centre_id);
  const auth = await authorizeOnBom(ctx, actor, 'control.perform', centre, { type: 'controlPlan', id: planId });
  if (plan.type !== 'monthly') throw new AppError('conflict', 'Ce plan ne se tire pas au sort.');
  if (plan.drawn_at) throw new AppError('conflict', `L’échantillon de ${periodLabel(plan.period)} est déjà tiré.`);
  const now = ctx.now().toISOString();
  if (now < monthRange(plan.period).start)
    throw new AppError('conflict', 'Le contrôle intervient a posteriori : ce mois n’a pas commencé.');
  const lines = await db.selectFrom('control_plan_lines').selectAll().where('plan_id', '=', planId).execute();
  const drawn: { lineId: string; fileIds: string[] }[] = [];
  for (const l of lines)
    drawn.push({
      lineId: l.id,
      fileIds: drawSample(plan.seed, await population(db, centre.id, plan.period, l, now), l.objective),
    });
  const total = drawn.reduce((s, d) => s + d.fileIds.length, 0);
  await db.transaction().execute(async (trx) => {
    const done = await trx
      .updateTable('control_plans')
      .set({ drawn_at: now, drawn_by: auth.actorId, updated_at: now })
      .where('id', '=', planId)
      .where('drawn_at', 'is', null)
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) !== 1) throw new AppError('conflict', 'L’échantillon vient d’être tiré.');
    for (const d of drawn) await addControls(trx, ctx, plan, d.fileIds, 'drawn', auth.actorId, d.lineId);
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'control.draw', {
        targetType: 'controlPlan',
        targetId: planId,
        summary: { period: plan.period, seed: plan.seed, drawnAt: now, files: total },
      }),
    );
  });
  return getControlPlan(ctx, actor, planId);
}

/** Adds files to a plan's controls (skipping those already there); their timelines say so. */
export async function addControls(
  trx: Db,
  ctx: AppContext,
  plan: { id: string; centre_id: string },
  fileIds: string[],
  origin: ControlOrigin,
  by: string | null,
  lineId: string | null = null,
): Promise<number> {
  if (!fileIds.length) return 0;
  const now = ctx.now().toISOString();
  const present = new Set(
    (
      await trx
        .selectFrom('controls')
        .select('case_file_id')
        .where('plan_id', '=', plan.id)
        .where('case_file_id', 'in', fileIds)
        .execute()
    ).map((r) => r.case_file_id),
  );
  const fresh = fileIds.filter((id) => !present.has(id));
  if (!fresh.length) return 0;
  const amounts = new Map(
    (await trx.selectFrom('case_files').select(['id', 'amount_cents']).where('id', 'in', fresh).execute()).map((r) => [
      r.id,
      r.amount_cents === null ? null : Number(r.amount_cents),
    ]),
  );
  for (let i = 0; i < fresh.length; i += 500) {
    const slice = fresh.slice(i, i + 500);
    await trx
      .insertInto('controls')
      .values(
        slice.map((fileId) => ({
          id: ctx.newId(),
          centre_id: plan.centre_id,
          plan_id: plan.id,
          line_id: lineId,
          case_file_id: fileId,
          origin,
          status: 'to_control',
          added_by: by,
          added_at: now,
          controller_id: null,
          controlled_at: null,
          verdicts: null,
          anomaly: null,
          amount_cents: amounts.get(fileId) ?? null,
        })),
      )
      .execute();
    for (const fileId of slice)
      await addEvents(trx, ctx, fileId, [
        { type: 'control_sampled', actorId: by, data: { origin, originLabel: CONTROL_ORIGIN_LABELS[origin] } },
      ]);
  }
  return fresh.length;
}

/** The controller adds a processed file of the centre to the month's plan by hand (by its number). */
export async function addFileByHand(
  ctx: AppContext,
  actor: Actor,
  planId: string,
  input: { fileNumber: string; reason?: string | null },
) {
  const db = ctx.store.db;
  const plan = await db.selectFrom('control_plans').selectAll().where('id', '=', planId).executeTakeFirst();
  if (!plan) throw notFound('Plan de contrôle introuvable.');
  const centre = await centreOf(db, plan.centre_id);
  const auth = await authorizeOnBom(ctx, actor, 'control.perform', centre, { type: 'controlPlan', id: planId });
  const number = text('fileNumber', input.fileNumber, 40, { required: true });
  const reason = text('reason', input.reason, 500);
  const file = await db
    .selectFrom('case_files')
    .selectAll()
    .where('number', '=', number)
    .where('centre_id', '=', centre.id)
    .executeTakeFirst();
  if (!file) throw notFound(`Aucun dossier n° ${number} dans ce centre.`);
  if (!file.processed_at)
    throw new AppError('conflict', 'Le contrôle intervient a posteriori : ce dossier n’est pas encore traité.');
  await refuseOwnWork(ctx, actor, 'control.add', file);
  const added = await db.transaction().execute(async (trx) => {
    const n = await addControls(trx, ctx, plan, [file.id], 'manual', auth.actorId);
    if (n)
      await appendAudit(
        trx,
        ctx.store,
        auditEntry(ctx, actor, auth, 'control.add', {
          targetType: 'caseFile',
          targetId: file.id,
          summary: { plan: planId, period: plan.period, number, reason },
        }),
      );
    return n;
  });
  if (!added) throw new AppError('conflict', `Le dossier n° ${number} est déjà dans ce plan.`);
  return getControlPlan(ctx, actor, planId);
}

/** Draws again from the kept seed over the files processed before the draw: the same sample? */
async function redrawMatches(db: Db, plan: ControlPlanTable): Promise<boolean | null> {
  if (!plan.drawn_at || plan.type !== 'monthly') return null;
  const lines = await db.selectFrom('control_plan_lines').selectAll().where('plan_id', '=', plan.id).execute();
  for (const l of lines) {
    const again = drawSample(
      plan.seed,
      await population(db, plan.centre_id, plan.period, l, plan.drawn_at),
      l.objective,
    );
    const kept = (
      await db
        .selectFrom('controls')
        .select('case_file_id')
        .where('plan_id', '=', plan.id)
        .where('line_id', '=', l.id)
        .where('origin', '=', 'drawn')
        .execute()
    ).map((r) => r.case_file_id);
    if (again.length !== kept.length || again.some((id) => !kept.includes(id))) return false;
  }
  return true;
}

export async function getControlPlan(ctx: AppContext, actor: Actor, planId: string) {
  const db = ctx.store.db;
  const plan = await db.selectFrom('control_plans').selectAll().where('id', '=', planId).executeTakeFirst();
  if (!plan) throw notFound('Plan de contrôle introuvable.');
  const centre = await centreOf(db, plan.centre_id);
  await requireControlReader(ctx, actor, centre, { type: 'controlPlan', id: planId });
  const lines = await db
    .selectFrom('control_plan_lines as l')
    .innerJoin('case_file_kinds as k', 'k.code', 'l.kind_code')
    .selectAll('l')
    .select('k.label as kind_label')
    .where('l.plan_id', '=', planId)
    .orderBy('l.kind_code')
    .execute();
  const controls = await db
    .selectFrom('controls as c')
    .innerJoin('case_files as f', 'f.id', 'c.case_file_id')
    .innerJoin('case_file_kinds as k', 'k.code', 'f.kind_code')
    .select([
      'c.id',
      'c.origin',
      'c.status',
      'c.line_id',
      'c.controller_id',
      'c.controlled_at',
      'c.anomaly',
      'c.case_file_id',
      'f.number',
      'f.person_name',
      'f.status as file_status',
      'f.processed_at',
      'f.processed_office_id',
      'f.amount_cents',
      'k.label as kind_label',
    ])
    .where('c.plan_id', '=', planId)
    .orderBy('f.processed_at')
    .orderBy('f.number')
    .limit(2000)
    .execute();
  const who = await agentNames(db, [plan.created_by, plan.drawn_by, ...controls.map((c) => c.controller_id)]);
  const officeName = (id: string | null) => (id ? (centre.offices.find((o) => o.id === id)?.name ?? null) : null);
  const now = ctx.now().toISOString();
  const populations = new Map<string, number>();
  for (const l of lines)
    populations.set(l.id, (await population(db, centre.id, plan.period, l, plan.drawn_at ?? now)).length);
  return {
    id: plan.id,
    centre: { id: centre.id, name: centre.name },
    type: plan.type,
    period: plan.period,
    periodLabel: periodLabel(plan.period),
    seed: plan.seed,
    note: plan.note,
    createdBy: nameIn(who, plan.created_by),
    createdAt: plan.created_at,
    drawnAt: plan.drawn_at,
    drawnBy: nameIn(who, plan.drawn_by),
    reproducible: await redrawMatches(db, plan),
    stamp: methodsOffice(centre).name,
    lines: lines.map((l) => ({
      id: l.id,
      kind: l.kind_code,
      kindLabel: l.kind_label,
      office: l.office_id ? { id: l.office_id, name: officeName(l.office_id) ?? '' } : null,
      errorPotential: l.error_potential,
      errorPotentialLabel: WEIGHT_LABELS[l.error_potential as WeightLevel] ?? String(l.error_potential),
      amountStakes: l.amount_stakes,
      amountStakesLabel: WEIGHT_LABELS[l.amount_stakes as WeightLevel] ?? String(l.amount_stakes),
      lastMonthControls: l.last_month_controls,
      lastMonthAnomalies: l.last_month_anomalies,
      population: populations.get(l.id) ?? 0,
      suggested: l.suggested,
      objective: l.objective,
      note: l.note,
    })),
    controls: controls.map((c) => ({
      id: c.id,
      fileId: c.case_file_id,
      fileNumber: c.number,
      kindLabel: c.kind_label,
      personName: c.person_name,
      office: officeName(c.processed_office_id),
      fileStatusLabel: CASE_FILE_STATUS_LABELS[c.file_status as CaseFileStatus] ?? c.file_status,
      processedAt: c.processed_at,
      amountCents: c.amount_cents === null ? null : Number(c.amount_cents),
      origin: c.origin,
      originLabel: CONTROL_ORIGIN_LABELS[c.origin as ControlOrigin] ?? c.origin,
      status: c.status,
      statusLabel: CONTROL_STATUS_LABELS[c.status as ControlStatus] ?? c.status,
      anomaly: c.anomaly === null ? null : c.anomaly === 1,
      controller: nameIn(who, c.controller_id),
      controlledAt: c.controlled_at,
    })),
  };
}

/** The centre's plans, newest first (monthly and deontological), with their progress. */
export async function listControlPlans(ctx: AppContext, actor: Actor, centreId: string) {
  const db = ctx.store.db;
  const centre = await centreOf(db, centreId);
  await requireControlReader(ctx, actor, centre, { type: 'organization', id: centreId });
  const plans = await db
    .selectFrom('control_plans')
    .selectAll()
    .where('centre_id', '=', centreId)
    .orderBy('created_at', 'desc')
    .limit(48)
    .execute();
  const counts = plans.length
    ? await db
        .selectFrom('controls')
        .select(['plan_id', 'status', (eb) => eb.fn.countAll<number>().as('n')])
        .where(
          'plan_id',
          'in',
          plans.map((p) => p.id),
        )
        .groupBy(['plan_id', 'status'])
        .execute()
    : [];
  const count = (id: string, status: string) =>
    Number(counts.find((c) => c.plan_id === id && c.status === status)?.n ?? 0);
  return {
    centre: { id: centre.id, name: centre.name },
    offices: centre.offices
      .filter((o) => o.function === 'processing')
      .map((o) => ({ id: o.id, name: o.name, code: o.code })),
    kinds: (await db.selectFrom('case_file_kinds').select(['code', 'label']).orderBy('code').execute()).map((k) => ({
      code: k.code,
      label: k.label,
    })),
    items: plans.map((p) => ({
      id: p.id,
      type: p.type,
      period: p.period,
      periodLabel: periodLabel(p.period),
      drawnAt: p.drawn_at,
      toControl: count(p.id, 'to_control'),
      controlled: count(p.id, 'controlled'),
    })),
  };
}
