import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { ControlSheetTable } from '../../store/schema.ts';
import { appendAudit } from '../../store/audit.ts';
import { canonicalJson } from '../../domain/action-signature.ts';
import {
  ANOMALY_RULES,
  CONTROL_OBJECT_LABELS,
  CONTROL_OBJECTS,
  isAnomalyRule,
  monthOf,
  moveSheet,
  nextSheetStep,
  SHEET_STATUS_LABELS,
  SHEET_STEP_LABELS,
  sheetNumber,
  type ControlObject,
  type SheetStatus,
  type SheetStep,
} from '../../domain/control.ts';
import { euros } from '../../domain/case-file.ts';
import { controlSheetPdf } from '../../notify/control-pdf.ts';
import { roleGrants } from '../../domain/roles.ts';
import { isWithin } from '../../domain/organization.ts';
import { authorize, type Authorization } from '../access/authorize.ts';
import { auditEntry } from '../audit-trail.ts';
import { AppError, invalid, notFound } from '../errors.ts';
import { queueMail } from '../mail.ts';
import { refuseAudited } from '../refusals.ts';
import { addEvents } from '../backoffice/files.ts';
import { text } from '../backoffice/input.ts';
import { drawNumbers } from '../backoffice/numbers.ts';
import { authorizeIn, type CentreFacts } from '../backoffice/access.ts';
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
import { loadControl } from './controls.ts';

// Control sheets (« fiche de contrôle », seed 003 §4.5 and annex IV): the controller opens one on an
// anomaly; the head of the BOM puts the first visa and the sheet goes to the office concerned; that
// office's head writes the follow-up given to it; the head of centre puts the second visa; the sheet
// comes back to the BOM, which archives it. The steps go in that order (domain/control.ts), each in
// one transaction with its audit record, which keeps the hash of the sheet's content as it was visaed.

const STEP_PERMISSION = {
  bomVisa: 'control.visa',
  followUp: 'control.visa',
  centreVisa: 'control.plan',
  archive: 'control.perform',
} as const;

async function loadSheet(ctx: AppContext, id: string) {
  const sheet = await ctx.store.db.selectFrom('control_sheets').selectAll().where('id', '=', id).executeTakeFirst();
  if (!sheet) throw notFound('Fiche de contrôle introuvable.');
  return { sheet, centre: await centreOf(ctx.store.db, sheet.centre_id) };
}

/** The sheet's content a visa vouches for (what the PDF shows up to this step). */
function contentHash(sheet: ControlSheetTable): string {
  return createHash('sha256')
    .update(
      canonicalJson({
        number: sheet.number,
        file: sheet.case_file_id,
        office: sheet.office_id,
        object: sheet.object,
        rule: sheet.rule,
        findings: sheet.findings,
        followUp: sheet.follow_up,
      }),
    )
    .digest('hex');
}

export interface SheetInput {
  object: string;
  rule: string;
  findings: string;
}

/** Opens a control sheet on an anomaly found by a control. */
export async function openSheet(ctx: AppContext, actor: Actor, controlId: string, input: SheetInput) {
  const { control, file, centre } = await loadControl(ctx, controlId);
  const auth = await authorizeOnBom(ctx, actor, 'control.perform', centre, { type: 'control', id: controlId });
  await refuseOwnWork(ctx, actor, 'controlSheet.open', file);
  if (control.status !== 'controlled' || control.anomaly !== 1)
    throw new AppError('conflict', 'Une fiche de contrôle s’établit sur une anomalie relevée par un contrôle.');
  if (!(CONTROL_OBJECTS as readonly string[]).includes(input.object))
    throw invalid('Objet du contrôle inconnu.', [{ field: 'object', reason: 'Objet attendu.' }]);
  const verdicts = JSON.parse(control.verdicts ?? '{}') as Record<string, { verdict: string }>;
  if (verdicts[input.object]?.verdict !== 'anomaly')
    throw invalid('Le contrôle n’a pas relevé d’anomalie sur cet objet.', [
      { field: 'object', reason: 'Choisissez un objet en anomalie.' },
    ]);
  if (!isAnomalyRule(input.rule))
    throw invalid('Nature d’anomalie inconnue.', [{ field: 'rule', reason: 'Nature attendue.' }]);
  const findings = text('findings', input.findings, 4000, { required: true, multiline: true });
  const now = ctx.now().toISOString();
  const officeId = file.processed_office_id ?? file.office_id;
  const id = ctx.newId();
  await ctx.store.db.transaction().execute(async (trx) => {
    const year = Number(now.slice(0, 4));
    const [n] = await drawNumbers(trx, ctx.store, `control_sheet:${year}`, 1);
    const number = sheetNumber(year, n!);
    const row: ControlSheetTable = {
      id,
      number,
      centre_id: centre.id,
      control_id: controlId,
      case_file_id: file.id,
      office_id: officeId,
      kind_code: file.kind_code,
      period: monthOf(control.controlled_at ?? now),
      object: input.object,
      rule: input.rule,
      findings,
      amount_cents: file.amount_cents,
      status: 'opened',
      opened_by: auth.actorId!,
      opened_at: now,
      bom_visa_by: null,
      bom_visa_at: null,
      bom_visa_note: null,
      follow_up: null,
      followed_up_by: null,
      followed_up_at: null,
      centre_visa_by: null,
      centre_visa_at: null,
      centre_visa_note: null,
      archived_by: null,
      archived_at: null,
      updated_at: now,
    };
    await trx.insertInto('control_sheets').values(row).execute();
    await addEvents(trx, ctx, file.id, [
      { type: 'control_sheet', actorId: auth.actorId, officeId: methodsOffice(centre).id, data: { number } },
    ]);
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'controlSheet.open', {
        targetType: 'controlSheet',
        targetId: id,
        summary: { number, file: file.number, object: input.object, rule: input.rule, findings },
        evidence: [`sheet-content:${contentHash(row)}`],
      }),
    );
  });
  return getSheet(ctx, actor, id);
}

async function authorizeStep(
  ctx: AppContext,
  actor: Actor,
  step: SheetStep,
  sheet: ControlSheetTable,
  centre: CentreFacts,
): Promise<Authorization> {
  const target = { type: 'controlSheet', id: sheet.id };
  const permission = STEP_PERMISSION[step];
  if (step === 'bomVisa' || step === 'archive') return authorizeOnBom(ctx, actor, permission, centre, target);
  if (step === 'centreVisa') return authorizeIn(ctx, actor, permission, centre, null, target);
  const office = centre.offices.find((o) => o.id === sheet.office_id) ?? null;
  if (!office)
    await refuseAudited(ctx, actor, permission, centre.id, target, 'Cette fiche ne vise aucun bureau de traitement.');
  return authorize(ctx, actor, permission, office!.id, target);
}

/**
 * One step of the sheet: « bomVisa » (note optional), « followUp » (the follow-up given, required),
 * « centreVisa » (note optional), « archive ». In order, each once; the author of the sheet does not
 * visa it, and nobody visas a sheet about a file concerning themselves.
 */
export async function sheetStep(
  ctx: AppContext,
  actor: Actor,
  sheetId: string,
  step: SheetStep,
  input: { note?: string | null; followUp?: string | null } = {},
) {
  const { sheet, centre } = await loadSheet(ctx, sheetId);
  const action = `controlSheet.${step}`;
  const auth = await authorizeStep(ctx, actor, step, sheet, centre);
  const target = { type: 'controlSheet', id: sheetId };
  const move = moveSheet(sheet.status as SheetStatus, step);
  if (!move.ok) await refuseAudited(ctx, actor, action, centre.id, target, move.reason, 'conflict');
  const to = (move as { ok: true; to: SheetStatus }).to;
  if (actor.kind === 'person') {
    const file = await ctx.store.db
      .selectFrom('case_files')
      .select('agent_id')
      .where('id', '=', sheet.case_file_id)
      .executeTakeFirstOrThrow();
    if (file.agent_id === actor.agentId)
      await refuseAudited(
        ctx,
        actor,
        action,
        centre.id,
        target,
        'Ce dossier vous concerne : un autre responsable doit viser cette fiche.',
      );
    if ((step === 'bomVisa' || step === 'centreVisa') && sheet.opened_by === actor.agentId)
      await refuseAudited(
        ctx,
        actor,
        action,
        centre.id,
        target,
        'L’auteur de la fiche ne la vise pas lui-même : le visa revient à un autre responsable.',
      );
  }
  const now = ctx.now().toISOString();
  const note = text('note', input.note, 2000, { multiline: true });
  const followUp =
    step === 'followUp' ? text('followUp', input.followUp, 4000, { required: true, multiline: true }) : null;
  const patch: Partial<ControlSheetTable> = { status: to, updated_at: now };
  if (step === 'bomVisa') Object.assign(patch, { bom_visa_by: auth.actorId, bom_visa_at: now, bom_visa_note: note });
  if (step === 'followUp')
    Object.assign(patch, { follow_up: followUp, followed_up_by: auth.actorId, followed_up_at: now });
  if (step === 'centreVisa')
    Object.assign(patch, { centre_visa_by: auth.actorId, centre_visa_at: now, centre_visa_note: note });
  if (step === 'archive') Object.assign(patch, { archived_by: auth.actorId, archived_at: now });
  const after = { ...sheet, ...patch } as ControlSheetTable;
  await ctx.store.db.transaction().execute(async (trx) => {
    const done = await trx
      .updateTable('control_sheets')
      .set(patch)
      .where('id', '=', sheetId)
      .where('status', '=', sheet.status)
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) !== 1)
      throw new AppError('conflict', 'La fiche a changé entre-temps : actualisez la page.');
    // Sent to the office concerned once the BOM's head has visaed it.
    const office = centre.offices.find((o) => o.id === sheet.office_id);
    if (step === 'bomVisa' && office?.email)
      await queueMail(ctx, trx, {
        to: office.email,
        subject: `Fiche de contrôle ${sheet.number} — suite à donner`,
        text: [
          `Bonjour,`,
          '',
          `Le bureau « organisation et méthodes » adresse au ${office.name} la fiche de contrôle ${sheet.number}, visée par son chef.`,
          `Anomalie : ${ANOMALY_RULES[sheet.rule as keyof typeof ANOMALY_RULES] ?? sheet.rule}.`,
          '',
          'Le chef du bureau indique sur la fiche, dans le portail, la suite qui lui est donnée, puis la présente au visa du chef de centre.',
        ].join('\n'),
      });
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, action, {
        targetType: 'controlSheet',
        targetId: sheetId,
        summary: { number: sheet.number, before: { status: sheet.status }, after: { status: to }, note, followUp },
        evidence: [`sheet-content:${contentHash(after)}`],
      }),
    );
  });
  return getSheet(ctx, actor, sheetId);
}

/** May the actor take the sheet's next step (for the page's buttons and the to-do list)? */
function canTake(actor: Actor, centre: CentreFacts, sheet: ControlSheetTable): boolean {
  if (actor.kind !== 'person') return false;
  const step = nextSheetStep(sheet.status as SheetStatus);
  if (!step) return false;
  if ((step === 'bomVisa' || step === 'centreVisa') && sheet.opened_by === actor.agentId) return false;
  const bom = centre.offices.find((o) => o.function === 'methods')?.id;
  const orgOf: Record<SheetStep, string | null | undefined> = {
    bomVisa: bom,
    followUp: sheet.office_id,
    centreVisa: centre.id,
    archive: bom,
  };
  const org = orgOf[step];
  if (!org) return false;
  const path = org === centre.id ? centre.path : `${centre.path}${org}/`;
  return actor.grants.some((g) => roleGrants(g.role, STEP_PERMISSION[step]) && isWithin(path, g.organizationId));
}

function sheetView(
  sheet: ControlSheetTable,
  centre: CentreFacts,
  who: Map<string, string>,
  file: {
    file_number: string;
    person_name: string;
    kind_label: string;
    processed_at: string | null;
    processed_by: string | null;
  },
  actor: Actor,
  control: { controlled_at: string | null; controller_id: string | null },
) {
  const office = centre.offices.find((o) => o.id === sheet.office_id);
  const next = nextSheetStep(sheet.status as SheetStatus);
  return {
    id: sheet.id,
    number: sheet.number,
    centre: { id: centre.id, name: centre.name },
    controlId: sheet.control_id,
    file: {
      id: sheet.case_file_id,
      number: file.file_number,
      personName: file.person_name,
      kindLabel: file.kind_label,
      processedAt: file.processed_at,
      processedBy: nameIn(who, file.processed_by),
    },
    office: office ? { id: office.id, name: office.name } : null,
    period: sheet.period,
    object: sheet.object,
    objectLabel: CONTROL_OBJECT_LABELS[sheet.object as ControlObject] ?? sheet.object,
    rule: sheet.rule,
    ruleLabel: ANOMALY_RULES[sheet.rule as keyof typeof ANOMALY_RULES] ?? sheet.rule,
    findings: sheet.findings,
    amountCents: sheet.amount_cents === null ? null : Number(sheet.amount_cents),
    status: sheet.status,
    statusLabel: SHEET_STATUS_LABELS[sheet.status as SheetStatus] ?? sheet.status,
    controlledAt: control.controlled_at,
    controller: nameIn(who, control.controller_id),
    openedBy: nameIn(who, sheet.opened_by),
    openedAt: sheet.opened_at,
    steps: (
      [
        ['bomVisa', sheet.bom_visa_by, sheet.bom_visa_at, sheet.bom_visa_note],
        ['followUp', sheet.followed_up_by, sheet.followed_up_at, sheet.follow_up],
        ['centreVisa', sheet.centre_visa_by, sheet.centre_visa_at, sheet.centre_visa_note],
        ['archive', sheet.archived_by, sheet.archived_at, null],
      ] as const
    ).map(([step, by, at, note]) => ({
      step,
      label: SHEET_STEP_LABELS[step],
      by: nameIn(who, by),
      at,
      text: note,
    })),
    nextStep: next,
    nextStepLabel: next ? SHEET_STEP_LABELS[next] : null,
    canAct: canTake(actor, centre, sheet),
  };
}

const FILE_COLUMNS = [
  'f.number as file_number',
  'f.person_name',
  'k.label as kind_label',
  'f.processed_at',
  'f.processed_by',
] as const;

export async function getSheet(ctx: AppContext, actor: Actor, sheetId: string) {
  const { sheet, centre } = await loadSheet(ctx, sheetId);
  await requireControlReader(ctx, actor, centre, { type: 'controlSheet', id: sheetId });
  const db = ctx.store.db;
  const file = await db
    .selectFrom('case_files as f')
    .innerJoin('case_file_kinds as k', 'k.code', 'f.kind_code')
    .select(FILE_COLUMNS)
    .where('f.id', '=', sheet.case_file_id)
    .executeTakeFirstOrThrow();
  const control = await db
    .selectFrom('controls')
    .select(['controlled_at', 'controller_id'])
    .where('id', '=', sheet.control_id)
    .executeTakeFirstOrThrow();
  const who = await agentNames(db, [
    sheet.opened_by,
    sheet.bom_visa_by,
    sheet.followed_up_by,
    sheet.centre_visa_by,
    sheet.archived_by,
    file.processed_by,
    control.controller_id,
  ]);
  return sheetView(sheet, centre, who, file, actor, control);
}

export interface SheetFilter {
  centreId: string;
  status?: string;
  period?: string;
  mine?: boolean;
}

/** The centre's sheets; `mine`: only those waiting for the actor's visa or follow-up. */
export async function listSheets(ctx: AppContext, actor: Actor, f: SheetFilter) {
  const db = ctx.store.db;
  const centre = await centreOf(db, f.centreId);
  await requireControlReader(ctx, actor, centre, { type: 'organization', id: centre.id });
  let q = db
    .selectFrom('control_sheets as s')
    .innerJoin('case_files as f', 'f.id', 's.case_file_id')
    .innerJoin('case_file_kinds as k', 'k.code', 'f.kind_code')
    .innerJoin('controls as c', 'c.id', 's.control_id')
    .selectAll('s')
    .select(FILE_COLUMNS)
    .select(['c.controlled_at', 'c.controller_id'])
    .where('s.centre_id', '=', centre.id);
  if (f.status) q = q.where('s.status', '=', f.status);
  if (f.period) q = q.where('s.period', '=', f.period);
  if (f.mine) q = q.where('s.status', '!=', 'archived');
  const rows = await q.orderBy('s.number', 'desc').limit(500).execute();
  const who = await agentNames(
    db,
    rows.flatMap((r) => [
      r.opened_by,
      r.bom_visa_by,
      r.followed_up_by,
      r.centre_visa_by,
      r.archived_by,
      r.processed_by,
      r.controller_id,
    ]),
  );
  const items = rows.map((r) => sheetView(r, centre, who, r, actor, r));
  return { centre: { id: centre.id, name: centre.name }, items: f.mine ? items.filter((i) => i.canAct) : items };
}

/**
 * For the to-do list (GET /api/tasks): the sheets waiting for this person's visa, follow-up or
 * archiving, across the centres they see.
 */
export async function sheetsAwaitingMe(ctx: AppContext, actor: Actor) {
  if (actor.kind !== 'person') return [];
  const centres = await ctx.store.db
    .selectFrom('control_sheets')
    .select('centre_id')
    .where('status', '!=', 'archived')
    .groupBy('centre_id')
    .execute();
  const out = [];
  for (const c of centres) {
    const centre = await centreOf(ctx.store.db, c.centre_id);
    const rows = await ctx.store.db
      .selectFrom('control_sheets')
      .selectAll()
      .where('centre_id', '=', c.centre_id)
      .where('status', '!=', 'archived')
      .orderBy('number')
      .limit(1000)
      .execute();
    for (const s of rows)
      if (canTake(actor, centre, s))
        out.push({
          id: s.id,
          number: s.number,
          centreId: centre.id,
          status: s.status,
          nextStep: nextSheetStep(s.status as SheetStatus),
        });
  }
  return out;
}

/** The sheet as a French PDF (annex IV), for whoever may read the centre's control. */
export async function sheetPdf(ctx: AppContext, actor: Actor, sheetId: string) {
  const s = await getSheet(ctx, actor, sheetId);
  const { centre } = await loadSheet(ctx, sheetId);
  const pdf = await controlSheetPdf({
    centreName: centre.name,
    bomName: methodsOffice(centre).name,
    number: s.number,
    officeName: s.office?.name ?? '—',
    fileNumber: s.file.number,
    kindLabel: s.file.kindLabel,
    personName: s.file.personName,
    processedAt: s.file.processedAt,
    processedBy: s.file.processedBy,
    amount: s.amountCents === null ? null : euros(s.amountCents),
    controlledAt: s.controlledAt ?? s.openedAt,
    controller: s.controller ?? s.openedBy ?? '',
    objectLabel: s.objectLabel,
    ruleLabel: s.ruleLabel,
    findings: s.findings,
    statusLabel: s.statusLabel,
    steps: s.steps,
  });
  return { bytes: Buffer.from(pdf), fileName: `fiche-controle-${s.number}.pdf` };
}

/** Sheets opened per month in a centre (for the dashboard and the synthesis). */
export async function sheetCountsByMonth(ctx: AppContext, centreId: string, from: string, to: string) {
  const rows = await ctx.store.db
    .selectFrom('control_sheets')
    .select(['period', sql<number>`count(*)`.as('n')])
    .where('centre_id', '=', centreId)
    .where('period', '>=', from)
    .where('period', '<=', to)
    .groupBy('period')
    .orderBy('period')
    .execute();
  return rows.map((r) => ({ period: r.period, sheets: Number(r.n) }));
}
