import { appendAudit } from '../../store/audit.ts';
import {
  CONTROL_OBJECT_LABELS,
  CONTROL_OBJECTS,
  CONTROL_ORIGIN_LABELS,
  CONTROL_STATUS_LABELS,
  hasAnomaly,
  VERDICT_LABELS,
  VERDICTS,
  type ControlObject,
  type ControlOrigin,
  type ControlStatus,
  type Verdict,
} from '../../domain/control.ts';
import { CASE_FILE_STATUS_LABELS, type CaseFileStatus } from '../../domain/case-file.ts';
import { auditEntry } from '../audit-trail.ts';
import { AppError, invalid, notFound } from '../errors.ts';
import { addEvents } from '../backoffice/files.ts';
import { text } from '../backoffice/input.ts';
import type { Actor, AppContext } from '../context.ts';
import {
  agentNames,
  authorizeOnBom,
  centreOf,
  controlStamp,
  nameIn,
  refuseOwnWork,
  requireControlReader,
} from './access.ts';

// The control of one file (seed 003 §4.3.1): three objects — an archived supporting piece for every
// processed item, coherence between the pieces and what was recorded, correct application of the
// rules —, each with its verdict and note. The control mark (date, controller's name, the BOM's
// stamp) is then written on the file (§4.3.2) and shown wherever the file is shown. Nobody controls
// their own work or a file about themselves.

export type VerdictsInput = Record<ControlObject, { verdict: string; note?: string | null }>;

export async function loadControl(ctx: AppContext, controlId: string) {
  const control = await ctx.store.db.selectFrom('controls').selectAll().where('id', '=', controlId).executeTakeFirst();
  if (!control) throw notFound('Contrôle introuvable.');
  const file = await ctx.store.db
    .selectFrom('case_files')
    .selectAll()
    .where('id', '=', control.case_file_id)
    .executeTakeFirstOrThrow();
  const centre = await centreOf(ctx.store.db, control.centre_id);
  return { control, file, centre };
}

export function parseVerdicts(input: unknown) {
  const out = {} as Record<ControlObject, { verdict: Verdict; note: string | null }>;
  const v = (input ?? {}) as Record<string, { verdict?: unknown; note?: unknown } | undefined>;
  for (const o of CONTROL_OBJECTS) {
    const entry = v[o];
    if (!entry || !(VERDICTS as readonly unknown[]).includes(entry.verdict))
      throw invalid('Chaque objet du contrôle demande son verdict.', [
        { field: `verdicts.${o}.verdict`, reason: 'Conforme ou anomalie.' },
      ]);
    const note = text(`verdicts.${o}.note`, entry.note, 1000, {
      required: entry.verdict === 'anomaly',
      multiline: true,
    });
    out[o] = { verdict: entry.verdict as Verdict, note };
  }
  return out;
}

/** Records the three verdicts and writes the control mark on the file. */
export async function recordControl(ctx: AppContext, actor: Actor, controlId: string, input: { verdicts: unknown }) {
  const { control, file, centre } = await loadControl(ctx, controlId);
  const auth = await authorizeOnBom(ctx, actor, 'control.perform', centre, { type: 'control', id: controlId });
  await refuseOwnWork(ctx, actor, 'control.record', file);
  if (control.status !== 'to_control') throw new AppError('conflict', 'Ce dossier est déjà contrôlé.');
  const verdicts = parseVerdicts(input.verdicts);
  const anomaly = hasAnomaly({
    evidence: verdicts.evidence.verdict,
    coherence: verdicts.coherence.verdict,
    rules: verdicts.rules.verdict,
  });
  const now = ctx.now().toISOString();
  const stamp = controlStamp(centre);
  await ctx.store.db.transaction().execute(async (trx) => {
    const done = await trx
      .updateTable('controls')
      .set({
        status: 'controlled',
        controller_id: auth.actorId,
        controlled_at: now,
        verdicts: JSON.stringify(verdicts),
        anomaly: anomaly ? 1 : 0,
        amount_cents: file.amount_cents,
      })
      .where('id', '=', controlId)
      .where('status', '=', 'to_control')
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) !== 1) throw new AppError('conflict', 'Ce dossier vient d’être contrôlé.');
    await trx
      .updateTable('case_files')
      .set({ controlled_at: now, controlled_by: auth.actorId, control_stamp: stamp })
      .where('id', '=', file.id)
      .execute();
    await addEvents(trx, ctx, file.id, [
      {
        type: 'controlled',
        actorId: auth.actorId,
        officeId: centre.offices.find((o) => o.function === 'methods')?.id ?? null,
        data: {
          stamp,
          anomaly,
          verdicts: Object.fromEntries(CONTROL_OBJECTS.map((o) => [o, verdicts[o].verdict])),
        },
      },
    ]);
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'control.record', {
        targetType: 'control',
        targetId: controlId,
        summary: { file: file.number, anomaly, verdicts, stamp },
      }),
    );
  });
  return getControl(ctx, actor, controlId);
}

export async function getControl(ctx: AppContext, actor: Actor, controlId: string) {
  const { control, file, centre } = await loadControl(ctx, controlId);
  await requireControlReader(ctx, actor, centre, { type: 'control', id: controlId });
  const db = ctx.store.db;
  const plan = await db
    .selectFrom('control_plans')
    .select(['id', 'period', 'type'])
    .where('id', '=', control.plan_id)
    .executeTakeFirstOrThrow();
  const kind = await db
    .selectFrom('case_file_kinds')
    .select('label')
    .where('code', '=', file.kind_code)
    .executeTakeFirst();
  const sheets = await db
    .selectFrom('control_sheets')
    .select(['id', 'number', 'status', 'object'])
    .where('control_id', '=', controlId)
    .orderBy('number')
    .execute();
  const transmissions = await db
    .selectFrom('control_transmissions')
    .select(['id', 'number', 'created_at'])
    .where('control_id', '=', controlId)
    .execute();
  const who = await agentNames(db, [control.controller_id, file.processed_by, control.added_by]);
  const verdicts = control.verdicts
    ? (JSON.parse(control.verdicts) as Record<ControlObject, { verdict: Verdict; note: string | null }>)
    : null;
  const me = actor.kind === 'person' ? actor.agentId : null;
  const ownWork = me !== null && [file.agent_id, file.taken_by, file.processed_by, file.self_checked_by].includes(me);
  const checks = await db.selectFrom('case_file_checks').select('state').where('case_file_id', '=', file.id).execute();
  const regularInForm = checks.every((c) => c.state === 'ok' || c.state === 'resolved');
  const paid = ['transferred', 'archived', 'checked'].includes(file.status) && file.amount_cents !== null;
  return {
    id: control.id,
    planId: plan.id,
    period: plan.period,
    origin: control.origin,
    originLabel: CONTROL_ORIGIN_LABELS[control.origin as ControlOrigin] ?? control.origin,
    status: control.status,
    statusLabel: CONTROL_STATUS_LABELS[control.status as ControlStatus] ?? control.status,
    file: {
      id: file.id,
      number: file.number,
      kindLabel: kind?.label ?? file.kind_code,
      personName: file.person_name,
      statusLabel: CASE_FILE_STATUS_LABELS[file.status as CaseFileStatus] ?? file.status,
      office: file.processed_office_id
        ? (centre.offices.find((o) => o.id === file.processed_office_id)?.name ?? null)
        : null,
      processedAt: file.processed_at,
      processedBy: nameIn(who, file.processed_by),
      amountCents: file.amount_cents === null ? null : Number(file.amount_cents),
      paid,
      regularInForm,
    },
    objects: CONTROL_OBJECTS.map((o) => ({
      code: o,
      label: CONTROL_OBJECT_LABELS[o],
      verdict: verdicts?.[o]?.verdict ?? null,
      verdictLabel: verdicts?.[o] ? VERDICT_LABELS[verdicts[o].verdict] : null,
      note: verdicts?.[o]?.note ?? null,
    })),
    anomaly: control.anomaly === null ? null : control.anomaly === 1,
    controller: nameIn(who, control.controller_id),
    controlledAt: control.controlled_at,
    stamp: control.controlled_at ? controlStamp(centre) : null,
    sheets: sheets.map((s) => ({ id: s.id, number: s.number, status: s.status, object: s.object })),
    transmissions: transmissions.map((t) => ({ id: t.id, number: t.number, createdAt: t.created_at })),
    ownWork,
  };
}
