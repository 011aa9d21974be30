import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { appendAudit } from '../../store/audit.ts';
import { PRIORITIES, PRIORITY_LABELS, type Priority } from '../../domain/case-file.ts';
import { routeFile, type CaseKindDefinition } from '../../domain/case-kinds.ts';
import { auditEntry } from '../audit-trail.ts';
import { AppError, invalid } from '../errors.ts';
import { refuseAudited } from '../refusals.ts';
import type { Actor, AppContext } from '../context.ts';
import { authorizeIn, liaisonOffice, refuseOwnFile, type CentreFacts } from './access.ts';
import { addEvents, fileContext, getCaseFile, requireMoveAudited, updateFile } from './files.ts';
import { text } from './input.ts';

// Routing of registered files to the processing offices (by the kind's rules, or by hand by the
// liaison office or the head of centre), and priorities (relative / absolute) set by the head of
// centre for the files that seem the most sensitive (seed 003 §2.4).

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Open files per processing office of the centre (the load the routing balances). The count is read
 * only when one of `routed` (the kinds about to be routed, with their sending unit) has a choice to make:
 * several of the centre's offices take it and no rule of the kind names one for that unit. Otherwise
 * every office is present with 0, which routes exactly as the counts would (one candidate, or a rule).
 */
export async function officeLoads(
  db: Db,
  centre: CentreFacts,
  routed?: readonly { kind: Pick<CaseKindDefinition, 'offices' | 'routing'>; sendingUnitCode: string }[],
): Promise<Map<string, number>> {
  const processing = centre.offices.filter((o) => o.function === 'processing');
  const loads = new Map(processing.map((o) => [o.code, 0]));
  if (!processing.length) return loads;
  if (routed && !routed.some((r) => balances(r.kind, r.sendingUnitCode, loads))) return loads;
  const rows = await db
    .selectFrom('case_files')
    .select(['office_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where(
      'office_id',
      'in',
      processing.map((o) => o.id),
    )
    .where('status', 'in', ['routed', 'in_progress', 'deferred'])
    .groupBy('office_id')
    .execute();
  for (const r of rows) {
    const o = processing.find((x) => x.id === r.office_id);
    if (o) loads.set(o.code, Number(r.n));
  }
  return loads;
}

/** Does routing a file of `kind` from this unit depend on the offices' loads? */
function balances(
  kind: Pick<CaseKindDefinition, 'offices' | 'routing'>,
  sendingUnitCode: string,
  offices: ReadonlyMap<string, number>,
): boolean {
  const present = kind.offices.filter((o) => offices.has(o));
  if (present.length < 2) return false;
  return !kind.routing.some((rule) => rule.sendingUnits.includes(sendingUnitCode) && present.includes(rule.office));
}

/** The office a file goes to by the kind's rules; the loads are updated for the next file of a batch. */
export function pickOffice(
  centre: CentreFacts,
  kind: CaseKindDefinition,
  sendingUnitCode: string,
  loads: Map<string, number>,
): string | null {
  const code = routeFile(kind, sendingUnitCode, loads);
  if (code === null) return null;
  loads.set(code, (loads.get(code) ?? 0) + 1);
  return centre.offices.find((o) => o.code === code && o.function === 'processing')?.id ?? null;
}

/** Routing by hand: the liaison office (or the head of centre) sends the file to one of the kind's offices. */
export async function routeByHand(ctx: AppContext, actor: Actor, fileId: string, input: { officeId: string }) {
  const { file, centre, kind } = await fileContext(ctx, fileId);
  const asHead =
    actor.kind === 'person' && actor.grants.some((g) => g.role === 'centre_head' && g.organizationId === centre.id);
  const auth = asHead
    ? await authorizeIn(ctx, actor, 'caseFile.priority', centre, null, { type: 'caseFile', id: fileId })
    : await authorizeIn(ctx, actor, 'caseFile.intake', centre, liaisonOffice(centre), { type: 'caseFile', id: fileId });
  await refuseOwnFile(ctx, actor, 'caseFile.route', file);
  const office = centre.offices.find((o) => o.id === input.officeId);
  if (!office || office.function !== 'processing')
    throw invalid('Bureau de traitement inconnu dans ce centre.', [{ field: 'officeId', reason: 'Bureau inconnu.' }]);
  if (!kind.offices.includes(office.code))
    throw invalid(`Le bureau « ${office.name} » ne traite pas les dossiers « ${kind.label} ».`, [
      { field: 'officeId', reason: `Bureaux possibles : ${kind.offices.join(', ')}.` },
    ]);
  if (file.status === 'in_progress' && !asHead)
    await refuseAudited(
      ctx,
      actor,
      'caseFile.route',
      centre.id,
      { type: 'caseFile', id: fileId },
      'Un dossier en traitement ne change de bureau que sur décision du chef de centre.',
      'conflict',
    );
  await requireMoveAudited(ctx, actor, 'caseFile.route', file, 'routed', kind);
  if (file.office_id === office.id && file.status === 'routed')
    throw new AppError('conflict', `Le dossier est déjà dans la file du bureau « ${office.name} ».`);
  const now = ctx.now().toISOString();
  await ctx.store.db.transaction().execute(async (trx) => {
    await updateFile(trx, ctx, file, {
      status: 'routed',
      office_id: office.id,
      routed_at: now,
      taken_by: null,
      taken_at: null,
    });
    await addEvents(trx, ctx, fileId, [
      { type: 'routed', actorId: auth.actorId, officeId: office.id, data: { office: office.name, byHand: true } },
    ]);
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'caseFile.route', {
        targetType: 'caseFile',
        targetId: fileId,
        summary: {
          before: { status: file.status, officeId: file.office_id },
          after: { status: 'routed', officeId: office.id },
        },
      }),
    );
  });
  return getCaseFile(ctx, actor, fileId);
}

/** The head of centre gives a file a relative or absolute priority (or back to normal), with the reason. */
export async function setPriority(
  ctx: AppContext,
  actor: Actor,
  fileId: string,
  input: { priority: string; note?: string | null },
) {
  const { file, centre } = await fileContext(ctx, fileId);
  const auth = await authorizeIn(ctx, actor, 'caseFile.priority', centre, null, { type: 'caseFile', id: fileId });
  if (!(PRIORITIES as readonly string[]).includes(input.priority))
    throw invalid('Priorité inconnue.', [{ field: 'priority', reason: 'normal, relative ou absolute.' }]);
  const note = text('note', input.note, 500, { required: input.priority !== 'normal' });
  if (file.status === 'archived' || file.status === 'returned')
    await refuseAudited(
      ctx,
      actor,
      'caseFile.priority',
      centre.id,
      { type: 'caseFile', id: fileId },
      'Ce dossier a quitté le centre (archivé ou renvoyé) : sa priorité ne se modifie plus.',
      'conflict',
    );
  const priority = input.priority as Priority;
  await ctx.store.db.transaction().execute(async (trx) => {
    await updateFile(trx, ctx, file, { priority, priority_note: note });
    await addEvents(trx, ctx, fileId, [
      {
        type: 'priority',
        actorId: auth.actorId,
        data: { priority, label: `Priorité fixée : ${PRIORITY_LABELS[priority]}`, note },
      },
    ]);
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'caseFile.priority', {
        targetType: 'caseFile',
        targetId: fileId,
        summary: { before: { priority: file.priority }, after: { priority, note } },
      }),
    );
  });
  return getCaseFile(ctx, actor, fileId);
}
