import { parse } from 'csv-parse/sync';
import { appendAudit, appendAuditBatch, type AuditEntry } from '../../store/audit.ts';
import { CONTACT_CHANNELS, euros, freeText, parseEuros, type CaseFileStatus } from '../../domain/case-file.ts';
import { moveCaseFile } from '../../domain/case-file.ts';
import { auditEntry } from '../audit-trail.ts';
import { AppError, invalid, notFound } from '../errors.ts';
import { queueMail } from '../mail.ts';
import { refuseAudited } from '../refusals.ts';
import type { Actor, AppContext } from '../context.ts';
import { authorizeIn, liaisonOffice, loadCentre, officeOf, OWN_WORK, refuseOwnFile } from './access.ts';
import { addEvents, fileContext, getCaseFile, requireMoveAudited, updateFile } from './files.ts';
import { text } from './input.ts';
import { kindMap } from './kinds.ts';

// The processing offices (seed 003 §3): an agent takes a file from the office's queue, records the
// outcome (for travel-expense files, the amount of the liquidation application's « décompte » and
// its movement reference — entered or imported as CSV: nothing is computed here), or signals that
// processing is deferred (the liaison office is told at once and warns the unit, §3.3). The office
// head self-checks each processed file before its transfer to the paying centre (§3.4); nobody
// self-checks their own work.

async function officeAuth(
  ctx: AppContext,
  actor: Actor,
  fileId: string,
  permission: 'caseFile.process' | 'caseFile.selfCheck',
  officeId?: string | null,
) {
  const c = await fileContext(ctx, fileId);
  const office = officeOf(c.centre, officeId === undefined ? c.file.office_id : officeId);
  if (!office)
    await refuseAudited(
      ctx,
      actor,
      permission,
      c.centre.id,
      { type: 'caseFile', id: fileId },
      'Ce dossier n’est dans la file d’aucun bureau de traitement.',
      'conflict',
    );
  const auth = await authorizeIn(ctx, actor, permission, c.centre, office, { type: 'caseFile', id: fileId });
  await refuseOwnFile(ctx, actor, permission, c.file);
  return { ...c, office: office!, auth };
}

/** « Prendre en charge »: the file leaves the office's queue for the agent's desk. */
export async function takeFile(ctx: AppContext, actor: Actor, fileId: string) {
  const { file, kind, office, auth } = await officeAuth(ctx, actor, fileId, 'caseFile.process');
  if (file.family === 'card')
    throw new AppError(
      'conflict',
      'Un dossier de carte avance avec les étapes de la carte : il ne se prend pas en charge ici.',
    );
  await requireMoveAudited(ctx, actor, 'caseFile.take', file, 'in_progress', kind);
  const now = ctx.now().toISOString();
  await ctx.store.db.transaction().execute(async (trx) => {
    await updateFile(trx, ctx, file, { status: 'in_progress', taken_by: auth.actorId, taken_at: now });
    await addEvents(trx, ctx, fileId, [{ type: 'taken', actorId: auth.actorId, officeId: office.id }]);
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'caseFile.take', {
        targetType: 'caseFile',
        targetId: fileId,
        summary: { before: { status: file.status }, after: { status: 'in_progress' } },
      }),
    );
  });
  return getCaseFile(ctx, actor, fileId);
}

/** Back to the office's queue (another agent will take it). */
export async function releaseFile(ctx: AppContext, actor: Actor, fileId: string) {
  const { file, office, auth } = await officeAuth(ctx, actor, fileId, 'caseFile.process');
  if (file.status !== 'in_progress')
    await refuseAudited(
      ctx,
      actor,
      'caseFile.release',
      file.centre_id,
      { type: 'caseFile', id: fileId },
      'Ce dossier n’est pas en traitement.',
      'conflict',
    );
  await ctx.store.db.transaction().execute(async (trx) => {
    await updateFile(trx, ctx, file, { status: 'routed', taken_by: null, taken_at: null });
    await addEvents(trx, ctx, fileId, [{ type: 'released', actorId: auth.actorId, officeId: office.id }]);
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'caseFile.release', {
        targetType: 'caseFile',
        targetId: fileId,
        summary: { before: { status: 'in_progress' }, after: { status: 'routed' } },
      }),
    );
  });
  return getCaseFile(ctx, actor, fileId);
}

/** « Traitement différé » (§3.3): the liaison office is told at once, and warns the unit. */
export async function deferFile(ctx: AppContext, actor: Actor, fileId: string, input: { reason: string }) {
  const { file, centre, kind, office, auth } = await officeAuth(ctx, actor, fileId, 'caseFile.process');
  const reason = text('reason', input.reason, 500, { required: true, multiline: true });
  await requireMoveAudited(ctx, actor, 'caseFile.defer', file, 'deferred', kind);
  const liaison = liaisonOffice(centre);
  const now = ctx.now().toISOString();
  await ctx.store.db.transaction().execute(async (trx) => {
    await updateFile(trx, ctx, file, {
      status: 'deferred',
      deferred_at: now,
      deferred_reason: reason,
      unit_notified_at: null,
    });
    await addEvents(trx, ctx, fileId, [
      { type: 'deferred', actorId: auth.actorId, officeId: office.id, data: { reason } },
    ]);
    if (liaison.email)
      await queueMail(ctx, trx, {
        to: liaison.email,
        subject: `Traitement différé du dossier ${file.number}`,
        text: [
          `Le ${office.name} signale que le traitement du dossier ${file.number} (${kind.label}, ${file.person_name}) est différé.`,
          '',
          `Motif : ${reason}`,
          '',
          'Merci d’avertir sans délai la formation concernée (circulaire, § 3.3) et de l’enregistrer dans le dossier.',
        ].join('\n'),
      });
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'caseFile.defer', {
        targetType: 'caseFile',
        targetId: fileId,
        summary: { before: { status: file.status }, after: { status: 'deferred' }, reason },
      }),
    );
  });
  return getCaseFile(ctx, actor, fileId);
}

/** The liaison office records that it warned the unit of a deferred file (and mails it when asked). */
export async function notifyUnit(
  ctx: AppContext,
  actor: Actor,
  fileId: string,
  input: { channel: string; contactName: string; summary?: string | null },
) {
  const { file, centre } = await fileContext(ctx, fileId);
  const liaison = liaisonOffice(centre);
  const auth = await authorizeIn(ctx, actor, 'caseFile.intake', centre, liaison, { type: 'caseFile', id: fileId });
  await refuseOwnFile(ctx, actor, 'caseFile.notifyUnit', file);
  if (file.status !== 'deferred')
    await refuseAudited(
      ctx,
      actor,
      'caseFile.notifyUnit',
      centre.id,
      { type: 'caseFile', id: fileId },
      'Seul un dossier au traitement différé donne lieu à cet avertissement.',
      'conflict',
    );
  if (!(input.channel in CONTACT_CHANNELS))
    throw invalid('Moyen de contact inconnu.', [{ field: 'channel', reason: 'phone, fax ou email.' }]);
  const contactName = text('contactName', input.contactName, 120, { required: true });
  const summary = text('summary', input.summary, 1000, { multiline: true });
  const slip = file.slip_id
    ? await ctx.store.db.selectFrom('transmittal_slips').selectAll().where('id', '=', file.slip_id).executeTakeFirst()
    : undefined;
  const channel = input.channel as keyof typeof CONTACT_CHANNELS;
  if (channel === 'email' && !slip?.contact_email)
    throw invalid('Aucune adresse électronique de la formation sur le bordereau : avertissez-la par téléphone.', [
      { field: 'channel', reason: 'Adresse inconnue.' },
    ]);
  const now = ctx.now().toISOString();
  await ctx.store.db.transaction().execute(async (trx) => {
    await updateFile(trx, ctx, file, { unit_notified_at: now });
    await addEvents(trx, ctx, fileId, [
      {
        type: 'unit_notified',
        actorId: auth.actorId,
        officeId: liaison.id,
        data: {
          channel,
          contactName,
          summary,
          label: `Formation avertie par ${CONTACT_CHANNELS[channel].toLowerCase()} (${contactName})`,
        },
      },
    ]);
    if (channel === 'email' && slip?.contact_email)
      await queueMail(ctx, trx, {
        to: slip.contact_email,
        subject: `Traitement différé du dossier ${file.number} (${file.person_name})`,
        text: [
          'Madame, Monsieur,',
          '',
          `Le traitement du dossier ${file.number} de ${file.person_name}${file.unit_reference ? ` (votre référence ${file.unit_reference})` : ''} est différé.`,
          `Motif : ${file.deferred_reason ?? ''}`,
          ...(summary ? ['', summary] : []),
          '',
          `${liaison.name} — ${centre.name}`,
        ].join('\n'),
      });
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'caseFile.notifyUnit', {
        targetType: 'caseFile',
        targetId: fileId,
        summary: { channel, contactName, summary },
      }),
    );
  });
  return getCaseFile(ctx, actor, fileId);
}

export async function resumeFile(ctx: AppContext, actor: Actor, fileId: string) {
  const { file, office, auth } = await officeAuth(ctx, actor, fileId, 'caseFile.process');
  if (file.status !== 'deferred')
    await refuseAudited(
      ctx,
      actor,
      'caseFile.resume',
      file.centre_id,
      { type: 'caseFile', id: fileId },
      'Ce dossier n’est pas au traitement différé.',
      'conflict',
    );
  await ctx.store.db.transaction().execute(async (trx) => {
    await updateFile(trx, ctx, file, { status: 'in_progress', taken_by: file.taken_by ?? auth.actorId });
    await addEvents(trx, ctx, fileId, [{ type: 'resumed', actorId: auth.actorId, officeId: office.id }]);
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'caseFile.resume', {
        targetType: 'caseFile',
        targetId: fileId,
        summary: { before: { status: 'deferred' }, after: { status: 'in_progress' } },
      }),
    );
  });
  return getCaseFile(ctx, actor, fileId);
}

export interface OutcomeInput {
  /** Amount of the liquidation application's décompte, in cents (kinds with an amount). */
  amountCents?: number | null;
  /** Reference of the décompte / movement in the liquidation application. */
  movementReference?: string | null;
  outcome?: string | null;
}

function checkOutcome(kind: { amount: boolean }, input: OutcomeInput) {
  const outcome = text('outcome', input.outcome, 500, { multiline: true });
  const movementReference = text('movementReference', input.movementReference, 40, { required: kind.amount });
  if (kind.amount) {
    if (
      !Number.isInteger(input.amountCents) ||
      (input.amountCents as number) < 0 ||
      (input.amountCents as number) > 10_000_000_00
    )
      throw invalid('Montant du décompte invalide.', [
        { field: 'amountCents', reason: 'Montant en centimes, positif.' },
      ]);
  } else if (input.amountCents !== undefined && input.amountCents !== null)
    throw invalid('Ce type de dossier ne porte pas de montant.', [{ field: 'amountCents', reason: 'Sans objet.' }]);
  return { amountCents: kind.amount ? (input.amountCents as number) : null, movementReference, outcome };
}

/** Records the outcome: the décompte's amount and movement as the liquidation application gave them. */
export async function processFile(ctx: AppContext, actor: Actor, fileId: string, input: OutcomeInput) {
  const { file, kind, office, auth } = await officeAuth(ctx, actor, fileId, 'caseFile.process');
  await requireMoveAudited(ctx, actor, 'caseFile.process', file, 'processed', kind);
  const o = checkOutcome(kind, input);
  const now = ctx.now().toISOString();
  await ctx.store.db.transaction().execute(async (trx) => {
    await updateFile(trx, ctx, file, {
      status: 'processed',
      processed_at: now,
      processed_by: auth.actorId,
      processed_office_id: office.id,
      amount_cents: o.amountCents,
      movement_reference: o.movementReference,
      outcome: o.outcome ?? (o.amountCents !== null ? `Décompte de ${euros(o.amountCents)}` : 'Traité'),
    });
    await addEvents(trx, ctx, fileId, [
      {
        type: 'processed',
        actorId: auth.actorId,
        officeId: office.id,
        data: {
          amountCents: o.amountCents,
          movementReference: o.movementReference,
          outcome: o.outcome,
          label:
            o.amountCents !== null ? `Traité : décompte de ${euros(o.amountCents)} (${o.movementReference})` : 'Traité',
        },
      },
    ]);
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'caseFile.process', {
        targetType: 'caseFile',
        targetId: fileId,
        summary: {
          before: { status: file.status },
          after: { status: 'processed', amountCents: o.amountCents, movementReference: o.movementReference },
        },
      }),
    );
  });
  return getCaseFile(ctx, actor, fileId);
}

/**
 * Amounts imported from the liquidation application's export (CSV « ; »: numero_dossier;montant;
 * reference_decompte). Each line records the outcome of one file of the office that is taken or in
 * the queue; lines that cannot be applied are listed and change nothing.
 */
export async function importAmounts(ctx: AppContext, actor: Actor, officeId: string, csv: string) {
  const db = ctx.store.db;
  const officeRow = await db
    .selectFrom('backoffice_offices')
    .select(['centre_id'])
    .where('organization_id', '=', officeId)
    .executeTakeFirst();
  if (!officeRow) throw notFound('Bureau introuvable.');
  const centre = await loadCentre(db, officeRow.centre_id);
  const office = officeOf(centre, officeId)!;
  const auth = await authorizeIn(ctx, actor, 'caseFile.process', centre, office, {
    type: 'organization',
    id: officeId,
  });
  if (csv.length > 2_000_000) throw new AppError('too_large', 'Fichier trop volumineux (2 Mo au plus).');
  let records: string[][];
  try {
    records = parse(csv.replace(/^\uFEFF/, ''), {
      delimiter: ';',
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    }) as string[][];
  } catch (err) {
    throw invalid(`Fichier CSV illisible : ${(err as Error).message}`);
  }
  const header = records[0]?.map((h) => h.toLowerCase());
  const hasHeader = header?.[0]?.startsWith('numero') ?? false;
  const lines = records.slice(hasHeader ? 1 : 0);
  if (lines.length === 0) throw invalid('Aucune ligne à importer.');
  if (lines.length > 5000) throw invalid('5 000 lignes au plus par import.');
  const kinds = await kindMap(db);
  const rejected: { line: number; number: string; reason: string }[] = [];
  const done: string[] = [];
  const now = ctx.now().toISOString();
  const byNumber = new Map(
    (
      await db
        .selectFrom('case_files')
        .selectAll()
        .where('number', 'in', lines.map((l) => l[0] ?? '').slice(0, 5000))
        .execute()
    ).map((f) => [f.number, f]),
  );
  const seen = new Set<string>();
  await db.transaction().execute(async (trx) => {
    const audit: AuditEntry[] = [];
    for (const [i, cells] of lines.entries()) {
      const line = i + (hasHeader ? 2 : 1);
      const [number = '', amountText = '', reference = ''] = cells;
      const reject = (reason: string) => rejected.push({ line, number, reason });
      const f = byNumber.get(number);
      if (!f) {
        reject('Dossier inconnu.');
        continue;
      }
      if (seen.has(number)) {
        reject('Dossier en double dans le fichier.');
        continue;
      }
      seen.add(number);
      if (f.office_id !== officeId) {
        reject('Dossier d’un autre bureau.');
        continue;
      }
      if (actor.kind === 'person' && f.agent_id === actor.agentId) {
        reject('Dossier vous concernant : un autre agent doit le traiter.');
        continue;
      }
      const kind = kinds.get(f.kind_code)!;
      if (!kind.amount) {
        reject('Ce type de dossier ne porte pas de montant.');
        continue;
      }
      const from = f.status as CaseFileStatus;
      if (
        !['routed', 'in_progress', 'deferred'].includes(from) ||
        !moveCaseFile(from === 'routed' ? 'in_progress' : from, 'processed', { family: 'unit' }).ok
      ) {
        reject(`Dossier « ${f.status} » : il ne peut pas recevoir de décompte.`);
        continue;
      }
      const cents = parseEuros(amountText);
      if (cents === null || cents < 0) {
        reject(`Montant illisible : « ${amountText} ».`);
        continue;
      }
      const checked = freeText(reference, 40, { required: true });
      if (!checked.ok || !checked.value) {
        reject('Référence du décompte manquante ou invalide.');
        continue;
      }
      const ref = checked.value;
      await updateFile(trx, ctx, f, {
        status: 'processed',
        taken_by: f.taken_by ?? auth.actorId,
        taken_at: f.taken_at ?? now,
        processed_at: now,
        processed_by: auth.actorId,
        processed_office_id: officeId,
        amount_cents: cents,
        movement_reference: ref,
        outcome: `Décompte de ${euros(cents)}`,
      });
      await addEvents(trx, ctx, f.id, [
        {
          type: 'processed',
          actorId: auth.actorId,
          officeId,
          data: {
            amountCents: cents,
            movementReference: ref,
            imported: true,
            label: `Traité : décompte de ${euros(cents)} (${ref}), importé de l’application de liquidation`,
          },
        },
      ]);
      audit.push(
        auditEntry(ctx, actor, auth, 'caseFile.process', {
          targetType: 'caseFile',
          targetId: f.id,
          summary: {
            before: { status: f.status },
            after: { status: 'processed', amountCents: cents, movementReference: ref },
            imported: true,
          },
        }),
      );
      done.push(number);
    }
    await appendAuditBatch(trx, ctx.store, audit);
  });
  return { processed: done.length, rejected };
}

/**
 * The office head's self-control (§3.4), materialised on the file (who, when): conform, the file
 * may be transferred; not, it goes back to processing with the reason. Never on one's own work.
 */
export async function selfCheck(
  ctx: AppContext,
  actor: Actor,
  fileId: string,
  input: { ok: boolean; note?: string | null },
) {
  const pre = await fileContext(ctx, fileId);
  const { file, kind, office, auth } = await officeAuth(
    ctx,
    actor,
    fileId,
    'caseFile.selfCheck',
    pre.file.processed_office_id ?? pre.file.office_id,
  );
  if (actor.kind === 'person' && file.processed_by === actor.agentId)
    await refuseAudited(ctx, actor, 'caseFile.selfCheck', file.centre_id, { type: 'caseFile', id: fileId }, OWN_WORK);
  const note = text('note', input.note, 500, { required: !input.ok, multiline: true });
  await requireMoveAudited(ctx, actor, 'caseFile.selfCheck', file, input.ok ? 'checked' : 'in_progress', kind);
  const now = ctx.now().toISOString();
  await ctx.store.db.transaction().execute(async (trx) => {
    if (input.ok)
      await updateFile(trx, ctx, file, { status: 'checked', self_checked_at: now, self_checked_by: auth.actorId });
    else
      await updateFile(trx, ctx, file, {
        status: 'in_progress',
        office_id: file.processed_office_id ?? file.office_id,
        processed_at: null,
        processed_by: null,
        amount_cents: file.family === 'unit' ? file.amount_cents : null,
      });
    await addEvents(trx, ctx, fileId, [
      {
        type: input.ok ? 'self_check' : 'self_check_refused',
        actorId: auth.actorId,
        officeId: office.id,
        data: { note },
      },
    ]);
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'caseFile.selfCheck', {
        targetType: 'caseFile',
        targetId: fileId,
        summary: {
          before: { status: 'processed' },
          after: { status: input.ok ? 'checked' : 'in_progress' },
          note,
          processedBy: file.processed_by,
        },
      }),
    );
  });
  return getCaseFile(ctx, actor, fileId);
}

/** Transfer of self-checked files to the paying centre (the movement sent to the CIC). */
export async function transferFiles(
  ctx: AppContext,
  actor: Actor,
  officeId: string,
  input: { fileIds: string[]; reference: string },
) {
  const db = ctx.store.db;
  const officeRow = await db
    .selectFrom('backoffice_offices')
    .select(['centre_id'])
    .where('organization_id', '=', officeId)
    .executeTakeFirst();
  if (!officeRow) throw notFound('Bureau introuvable.');
  const centre = await loadCentre(db, officeRow.centre_id);
  const office = officeOf(centre, officeId)!;
  const auth = await authorizeIn(ctx, actor, 'caseFile.process', centre, office, {
    type: 'organization',
    id: officeId,
  });
  const reference = text('reference', input.reference, 60, { required: true });
  if (!Array.isArray(input.fileIds) || input.fileIds.length === 0 || input.fileIds.length > 1000)
    throw invalid('Choisissez de 1 à 1 000 dossiers.', [{ field: 'fileIds', reason: 'Liste attendue.' }]);
  const files = await db.selectFrom('case_files').selectAll().where('id', 'in', input.fileIds).execute();
  const kinds = await kindMap(db);
  for (const id of input.fileIds) {
    const f = files.find((x) => x.id === id);
    if (!f) throw notFound('Dossier introuvable.');
    if (f.processed_office_id !== officeId && f.office_id !== officeId)
      await refuseAudited(
        ctx,
        actor,
        'caseFile.transfer',
        centre.id,
        { type: 'caseFile', id },
        `Le dossier ${f.number} n'est pas un dossier de ce bureau.`,
      );
    const kind = kinds.get(f.kind_code)!;
    const move = moveCaseFile(f.status as CaseFileStatus, 'transferred', {
      family: kind.family,
      transfer: kind.transferTo !== null,
    });
    if (!move.ok)
      await refuseAudited(
        ctx,
        actor,
        'caseFile.transfer',
        centre.id,
        { type: 'caseFile', id },
        `${f.number} : ${move.reason}`,
        'conflict',
      );
  }
  const now = ctx.now().toISOString();
  await db.transaction().execute(async (trx) => {
    for (const f of files) {
      await updateFile(trx, ctx, f, { status: 'transferred', transferred_at: now, transfer_reference: reference });
      await addEvents(trx, ctx, f.id, [
        {
          type: 'transferred',
          actorId: auth.actorId,
          officeId,
          data: { reference, to: kinds.get(f.kind_code)!.transferTo },
        },
      ]);
    }
    await appendAuditBatch(
      trx,
      ctx.store,
      files.map((f) =>
        auditEntry(ctx, actor, auth, 'caseFile.transfer', {
          targetType: 'caseFile',
          targetId: f.id,
          summary: { before: { status: 'checked' }, after: { status: 'transferred' }, reference },
        }),
      ),
    );
  });
  return { transferred: files.map((f) => f.number), reference };
}
