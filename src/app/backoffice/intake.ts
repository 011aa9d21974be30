import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { CaseFileTable, Database } from '../../store/schema.ts';
import { appendAudit, appendAuditBatch, type AuditEntry } from '../../store/audit.ts';
import {
  caseFileNumber,
  CONTACT_CHANNELS,
  dueOn,
  registrationBlockers,
  slipNumber,
  type CheckState,
  type PieceState,
} from '../../domain/case-file.ts';
import type { CaseKindDefinition } from '../../domain/case-kinds.ts';
import { auditEntry } from '../audit-trail.ts';
import { timeOrderedId } from '../ids.ts';
import type { Authorization } from '../access/authorize.ts';
import { AppError, invalid, notFound } from '../errors.ts';
import { auditRefusal, refuseAudited } from '../refusals.ts';
import { today, type Actor, type AppContext } from '../context.ts';
import {
  authorizeIn,
  liaisonOffice,
  loadCentre,
  OWN_FILE,
  readsCentre,
  refuseOwnFile,
  type CentreFacts,
} from './access.ts';
import { addEvents, fileContext, getCaseFile, listCaseFiles, updateFile, type FileRow } from './files.ts';
import { email, isoDate, text } from './input.ts';
import { kindMap } from './kinds.ts';
import { drawNumbers } from './numbers.ts';
import { officeLoads, pickOffice } from './routing.ts';

// The liaison office's intake desk (seed 003 §2.2): register the slip and its files, then check
// each file against the slip (presence of every listed piece) and in form (the kind's checks), one
// click per check; obtain what can be obtained by a simple contact instead of returning the file;
// correct manifest clerical errors in place; register and route the usable files; return the others
// with a letter. Every step is saved as it is made, so the desk resumes where it stopped.

export interface SlipFileInput {
  kind: string;
  personName: string;
  personIdentifier?: string | null;
  unitReference?: string | null;
  delegatingAuthorityId?: string | null;
  /** Codes of the pieces the slip lists for this file. */
  pieces: string[];
}

export interface SlipInput {
  centreId: string;
  sendingOrganizationId: string;
  unitReference: string;
  slipDate: string;
  /** Day the slip arrived (default today). */
  receivedOn?: string | null;
  contactName?: string | null;
  contactPhone?: string | null;
  contactEmail?: string | null;
  files: SlipFileInput[];
}

const MAX_FILES = 500;

async function intakeAuth(ctx: AppContext, actor: Actor, centre: CentreFacts, target: { type: string; id: string }) {
  return authorizeIn(ctx, actor, 'caseFile.intake', centre, liaisonOffice(centre), target);
}

/** Registers a transmittal slip and its files, received at the liaison office (nothing checked yet). */
export async function registerSlip(ctx: AppContext, actor: Actor, input: SlipInput) {
  const db = ctx.store.db;
  const centre = await loadCentre(db, input.centreId);
  const auth = await intakeAuth(ctx, actor, centre, { type: 'organization', id: centre.id });
  const sender = await db
    .selectFrom('organizations')
    .select(['id', 'code', 'name', 'path'])
    .where('id', '=', input.sendingOrganizationId ?? '')
    .executeTakeFirst();
  if (!sender)
    throw invalid('Formation expéditrice inconnue.', [
      { field: 'sendingOrganizationId', reason: 'Organisation inconnue.' },
    ]);
  if (!sender.path.startsWith(centre.servesPath))
    throw invalid(`« ${sender.name} » n'est pas administrée par ce centre.`, [
      { field: 'sendingOrganizationId', reason: 'Formation hors du ressort du centre.' },
    ]);
  const unitReference = text('unitReference', input.unitReference, 60, { required: true });
  const slipDate = isoDate('slipDate', input.slipDate);
  const receivedOn = input.receivedOn ? isoDate('receivedOn', input.receivedOn) : today(ctx);
  if (slipDate > receivedOn)
    throw invalid('Le bordereau ne peut pas être daté après son arrivée.', [
      { field: 'slipDate', reason: 'Date postérieure à l’arrivée.' },
    ]);
  if (receivedOn > today(ctx))
    throw invalid('Date d’arrivée future.', [{ field: 'receivedOn', reason: 'Date future.' }]);
  const contact = {
    name: text('contactName', input.contactName, 120),
    phone: text('contactPhone', input.contactPhone, 30),
    email: email('contactEmail', input.contactEmail),
  };
  if (!Array.isArray(input.files) || input.files.length === 0 || input.files.length > MAX_FILES)
    throw invalid(`Un bordereau liste de 1 à ${MAX_FILES} dossiers.`, [
      { field: 'files', reason: 'Nombre de dossiers.' },
    ]);
  const kinds = await kindMap(db);
  const authorityIds = [...new Set(input.files.map((f) => f.delegatingAuthorityId).filter((x): x is string => !!x))];
  const authorities = new Set(
    authorityIds.length
      ? (await db.selectFrom('organizations').select('id').where('id', 'in', authorityIds).execute()).map((r) => r.id)
      : [],
  );
  const identifiers = [...new Set(input.files.map((f) => f.personIdentifier?.trim()).filter((x): x is string => !!x))];
  const agents = new Map<string, string>();
  for (let i = 0; i < identifiers.length; i += 500)
    for (const a of await db
      .selectFrom('agents')
      .select(['id', 'identifier'])
      .where('identifier', 'in', identifiers.slice(i, i + 500))
      .execute())
      agents.set(a.identifier, a.id);
  const files = input.files.map((f, i) => {
    const at = `files[${i}]`;
    const kind = kinds.get(f.kind);
    if (!kind || kind.family !== 'unit' || !kind.active)
      throw invalid('Type de dossier inconnu ou non reçu par bordereau.', [
        { field: `${at}.kind`, reason: 'Type inconnu.' },
      ]);
    const listed = Array.isArray(f.pieces) ? [...new Set(f.pieces)] : [];
    const unknown = listed.filter((c) => !kind.pieces.some((p) => p.code === c));
    if (unknown.length)
      throw invalid(`Pièce inconnue pour « ${kind.label} » : ${unknown.join(', ')}.`, [
        { field: `${at}.pieces`, reason: 'Pièce inconnue.' },
      ]);
    if (f.delegatingAuthorityId && !authorities.has(f.delegatingAuthorityId))
      throw invalid('Autorité délégataire inconnue.', [
        { field: `${at}.delegatingAuthorityId`, reason: 'Organisation inconnue.' },
      ]);
    const identifier = text(`${at}.personIdentifier`, f.personIdentifier, 40);
    return {
      kind,
      listed,
      personName: text(`${at}.personName`, f.personName, 120, { required: true }),
      personIdentifier: identifier,
      agentId: identifier ? (agents.get(identifier) ?? null) : null,
      unitReference: text(`${at}.unitReference`, f.unitReference, 60),
      delegatingAuthorityId: f.delegatingAuthorityId || null,
    };
  });
  if (actor.kind === 'person' && files.some((f) => f.agentId === actor.agentId))
    await refuseAudited(ctx, actor, 'caseFile.receive', centre.id, { type: 'organization', id: centre.id }, OWN_FILE);
  // Arrival at the desk: the day given, at the time of registration (registering later the same day is usual).
  const now = ctx.now().toISOString();
  const receivedAt = receivedOn === now.slice(0, 10) ? now : `${receivedOn}T09:00:00.000Z`;
  const year = Number(receivedOn.slice(0, 4));
  const slipId = ctx.newId();
  const result = await db.transaction().execute(async (trx) => {
    const [slipN] = await drawNumbers(trx, ctx.store, `slip:${year}`, 1);
    const numbers = await drawNumbers(trx, ctx.store, `case_file:${year}`, files.length);
    const number = slipNumber(year, slipN!);
    await trx
      .insertInto('transmittal_slips')
      .values({
        id: slipId,
        number,
        centre_id: centre.id,
        sending_organization_id: sender.id,
        unit_reference: unitReference,
        slip_date: slipDate,
        received_at: receivedAt,
        contact_name: contact.name,
        contact_phone: contact.phone,
        contact_email: contact.email,
        file_count: files.length,
        registered_by: auth.actorId,
        created_at: now,
      })
      .execute();
    // Time-ordered ids: a slip's files, and the pieces, checks and timeline keyed by them, land at the end
    // of their indexes instead of all over them (a few pages written per slip, not one per row).
    const rows: CaseFileTable[] = files.map((f, i) => ({
      ...emptyFile(),
      id: timeOrderedId(),
      number: caseFileNumber(year, numbers[i]!),
      kind_code: f.kind.code,
      family: 'unit',
      centre_id: centre.id,
      sending_organization_id: sender.id,
      delegating_authority_id: f.delegatingAuthorityId,
      slip_id: slipId,
      agent_id: f.agentId,
      person_name: f.personName,
      person_identifier: f.personIdentifier,
      unit_reference: f.unitReference,
      status: 'received',
      priority: 'normal',
      received_at: receivedAt,
      status_changed_at: now,
      created_at: now,
      updated_at: now,
    }));
    for (let i = 0; i < rows.length; i += 100)
      await trx
        .insertInto('case_files')
        .values(rows.slice(i, i + 100))
        .execute();
    const pieces = rows.flatMap((r, i) => piecesFor(r.id, files[i]!.kind, files[i]!.listed));
    for (let i = 0; i < pieces.length; i += 200)
      await trx
        .insertInto('case_file_pieces')
        .values(pieces.slice(i, i + 200))
        .execute();
    const checks = rows.flatMap((r, i) =>
      files[i]!.kind.checks.map((c) => ({
        case_file_id: r.id,
        code: c.code,
        label: c.label,
        state: 'pending',
        reason: null,
        checked_by: null,
        checked_at: null,
      })),
    );
    for (let i = 0; i < checks.length; i += 300)
      await trx
        .insertInto('case_file_checks')
        .values(checks.slice(i, i + 300))
        .execute();
    const events = rows.map((r) => ({
      case_file_id: r.id,
      at: now,
      type: 'received',
      actor_id: auth.actorId,
      office_id: liaisonOffice(centre).id,
      data: JSON.stringify({ slip: number, unitReference }),
    }));
    for (let i = 0; i < events.length; i += 300)
      await trx
        .insertInto('case_file_events')
        .values(events.slice(i, i + 300))
        .execute();
    await appendAuditBatch(trx, ctx.store, [
      auditEntry(ctx, actor, auth, 'slip.register', {
        targetType: 'transmittalSlip',
        targetId: slipId,
        summary: { after: { number, unitReference, sender: sender.code, files: rows.length } },
      }),
      ...rows.map((r) =>
        auditEntry(ctx, actor, auth, 'caseFile.receive', {
          targetType: 'caseFile',
          targetId: r.id,
          summary: { after: { number: r.number, kind: r.kind_code, slip: number, status: 'received' } },
        }),
      ),
    ]);
    return { number, files: rows.map((r) => ({ id: r.id, number: r.number })) };
  });
  return { id: slipId, number: result.number, files: result.files };
}

function piecesFor(fileId: string, kind: CaseKindDefinition, listed: string[]) {
  return kind.pieces
    .filter((p) => listed.includes(p.code) || p.required)
    .map((p) => ({
      id: timeOrderedId(),
      case_file_id: fileId,
      code: p.code,
      label: p.label,
      listed: listed.includes(p.code) ? 1 : 0,
      // A required piece the slip does not even list is missing from the start.
      state: listed.includes(p.code) ? 'expected' : 'missing',
      note: listed.includes(p.code) ? null : 'Non mentionnée sur le bordereau d’envoi',
      file_name: null,
      content_type: null,
      bytes: null,
      size: null,
      sha256: null,
      source_ref: null,
      attached_by: null,
      attached_at: null,
      checked_by: null,
      checked_at: null,
    }));
}

export function emptyFile(): Omit<
  CaseFileTable,
  | 'id'
  | 'number'
  | 'kind_code'
  | 'family'
  | 'centre_id'
  | 'sending_organization_id'
  | 'person_name'
  | 'status'
  | 'priority'
  | 'received_at'
  | 'status_changed_at'
  | 'created_at'
  | 'updated_at'
> {
  return {
    office_id: null,
    delegating_authority_id: null,
    slip_id: null,
    agent_id: null,
    person_identifier: null,
    unit_reference: null,
    card_request_id: null,
    card_id: null,
    priority_note: null,
    registered_at: null,
    due_on: null,
    routed_at: null,
    taken_by: null,
    taken_at: null,
    deferred_at: null,
    deferred_reason: null,
    unit_notified_at: null,
    processed_at: null,
    processed_by: null,
    processed_office_id: null,
    outcome: null,
    amount_cents: null,
    movement_reference: null,
    self_checked_at: null,
    self_checked_by: null,
    transferred_at: null,
    transfer_reference: null,
    archived_at: null,
    returned_at: null,
    return_reasons: null,
    controlled_at: null,
    controlled_by: null,
    control_stamp: null,
  };
}

export async function getSlip(ctx: AppContext, actor: Actor, slipId: string) {
  const db = ctx.store.db;
  const slip = await db.selectFrom('transmittal_slips').selectAll().where('id', '=', slipId).executeTakeFirst();
  if (!slip) throw notFound('Bordereau introuvable.');
  const centre = await loadCentre(db, slip.centre_id);
  if (!readsCentre(actor, 'caseFile.read', centre))
    await refuseAudited(
      ctx,
      actor,
      'caseFile.read',
      centre.id,
      { type: 'transmittalSlip', id: slipId },
      "Ce bordereau n'est pas dans votre périmètre.",
    );
  const sender = await db
    .selectFrom('organizations')
    .select(['id', 'code', 'name'])
    .where('id', '=', slip.sending_organization_id)
    .executeTakeFirstOrThrow();
  const files = await listCaseFiles(ctx, actor, { slipId, pageSize: 200 });
  return {
    id: slip.id,
    number: slip.number,
    centreId: slip.centre_id,
    sendingOrganization: sender,
    unitReference: slip.unit_reference,
    slipDate: slip.slip_date,
    receivedAt: slip.received_at,
    contactName: slip.contact_name,
    contactPhone: slip.contact_phone,
    contactEmail: slip.contact_email,
    fileCount: slip.file_count,
    files: files.items,
  };
}

export async function listSlips(
  ctx: AppContext,
  actor: Actor,
  q: { centreId: string; page?: number; pageSize?: number },
) {
  const db = ctx.store.db;
  const centre = await loadCentre(db, q.centreId);
  if (!readsCentre(actor, 'caseFile.read', centre))
    await refuseAudited(
      ctx,
      actor,
      'caseFile.read',
      centre.id,
      { type: 'organization', id: centre.id },
      "Ce centre de traitement n'est pas dans votre périmètre.",
    );
  const page = Math.max(1, Math.floor(q.page ?? 1));
  const pageSize = Math.min(100, Math.max(1, Math.floor(q.pageSize ?? 20)));
  const base = db
    .selectFrom('transmittal_slips as t')
    .innerJoin('organizations as o', 'o.id', 't.sending_organization_id')
    .where('t.centre_id', '=', centre.id);
  const total = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await base
    .select([
      't.id',
      't.number',
      't.unit_reference',
      't.slip_date',
      't.received_at',
      't.file_count',
      'o.name as sender_name',
      (eb) =>
        eb
          .selectFrom('case_files as f')
          .select((e2) => e2.fn.countAll<number>().as('n'))
          .whereRef('f.slip_id', '=', 't.id')
          .where('f.status', '=', 'received')
          .as('pending'),
    ])
    .orderBy('t.received_at', 'desc')
    .orderBy('t.number', 'desc')
    .limit(pageSize)
    .offset((page - 1) * pageSize)
    .execute();
  return {
    items: rows.map((r) => ({
      id: r.id,
      number: r.number,
      unitReference: r.unit_reference,
      slipDate: r.slip_date,
      receivedAt: r.received_at,
      fileCount: r.file_count,
      pendingCount: Number(r.pending ?? 0),
      sendingOrganizationName: r.sender_name,
    })),
    total: Number(total.n),
    page,
    pageSize,
  };
}

// ---------------------------------------------------------------------------------------------
// Checks, one click each

async function receivedFile(ctx: AppContext, actor: Actor, fileId: string, action: string) {
  const c = await fileContext(ctx, fileId);
  const auth = await intakeAuth(ctx, actor, c.centre, { type: 'caseFile', id: fileId });
  await refuseOwnFile(ctx, actor, action, c.file);
  if (c.file.status !== 'received')
    await refuseAudited(
      ctx,
      actor,
      action,
      c.centre.id,
      { type: 'caseFile', id: fileId },
      'Ce dossier n’est plus au contrôle d’arrivée du bureau de liaison.',
      'conflict',
    );
  return { ...c, auth };
}

/** Presence of one piece listed on the slip: present or missing. */
export async function checkPiece(
  ctx: AppContext,
  actor: Actor,
  fileId: string,
  code: string,
  input: { present: boolean; note?: string | null },
) {
  const { file, kind, auth } = await receivedFile(ctx, actor, fileId, 'caseFile.piece');
  const def = kind.pieces.find((p) => p.code === code);
  if (!def) throw notFound('Pièce inconnue pour ce type de dossier.');
  const note = text('note', input.note, 300);
  const state: PieceState = input.present ? 'present' : 'missing';
  const now = ctx.now().toISOString();
  await ctx.store.db.transaction().execute(async (trx) => {
    const done = await trx
      .updateTable('case_file_pieces')
      .set({ state, note, checked_by: auth.actorId, checked_at: now })
      .where('case_file_id', '=', fileId)
      .where('code', '=', code)
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) === 0)
      await trx
        .insertInto('case_file_pieces')
        .values({
          ...piecesFor(fileId, { ...kind, pieces: [def] }, [])[0]!,
          listed: 0,
          state,
          note,
          checked_by: auth.actorId,
          checked_at: now,
        })
        .execute();
    await touch(trx, ctx, file);
    await addEvents(trx, ctx, fileId, [
      {
        type: 'piece',
        actorId: auth.actorId,
        data: { code, label: `${def.label} : ${input.present ? 'présente' : 'manquante'}`, state, note },
      },
    ]);
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'caseFile.piece', {
        targetType: 'caseFile',
        targetId: fileId,
        summary: { piece: code, after: { state }, note },
      }),
    );
  });
  return getCaseFile(ctx, actor, fileId);
}

/** One form check of the kind (§2.2): conform, or not with its reason. */
export async function checkForm(
  ctx: AppContext,
  actor: Actor,
  fileId: string,
  code: string,
  input: { ok: boolean; reason?: string | null },
) {
  const { file, kind, auth } = await receivedFile(ctx, actor, fileId, 'caseFile.check');
  const def = kind.checks.find((c) => c.code === code);
  if (!def) throw notFound('Contrôle inconnu pour ce type de dossier.');
  const reason = text('reason', input.reason, 300, { required: !input.ok });
  const state: CheckState = input.ok ? 'ok' : 'failed';
  const now = ctx.now().toISOString();
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('case_file_checks')
      .set({ state, reason: input.ok ? null : reason, checked_by: auth.actorId, checked_at: now })
      .where('case_file_id', '=', fileId)
      .where('code', '=', code)
      .execute();
    await touch(trx, ctx, file);
    await addEvents(trx, ctx, fileId, [
      {
        type: 'check',
        actorId: auth.actorId,
        data: { code, label: `${def.label} : ${input.ok ? 'conforme' : 'non conforme'}`, state, reason },
      },
    ]);
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'caseFile.check', {
        targetType: 'caseFile',
        targetId: fileId,
        summary: { check: code, after: { state }, reason },
      }),
    );
  });
  return getCaseFile(ctx, actor, fileId);
}

/** Two desks checking the same file: the second to write wins, but never on a file that moved on. */
async function touch(trx: Transaction<Database>, ctx: AppContext, file: Pick<FileRow, 'id' | 'status'>): Promise<void> {
  await updateFile(trx, ctx, file, {});
}

/**
 * A contact with the unit (phone, fax, mail) instead of a return (§2.2): who, when, what; it may
 * resolve missing pieces or failed checks that need no new signature.
 */
export async function recordContact(
  ctx: AppContext,
  actor: Actor,
  fileId: string,
  input: { channel: string; contactName: string; summary: string; resolves?: { pieces?: string[]; checks?: string[] } },
) {
  const { file, kind, auth } = await receivedFile(ctx, actor, fileId, 'caseFile.contact');
  if (!(input.channel in CONTACT_CHANNELS))
    throw invalid('Moyen de contact inconnu.', [{ field: 'channel', reason: 'phone, fax ou email.' }]);
  const contactName = text('contactName', input.contactName, 120, { required: true });
  const summary = text('summary', input.summary, 1000, { required: true, multiline: true });
  const pieces = [...new Set(input.resolves?.pieces ?? [])];
  const checks = [...new Set(input.resolves?.checks ?? [])];
  const db = ctx.store.db;
  const current = {
    pieces: await db
      .selectFrom('case_file_pieces')
      .select(['code', 'state'])
      .where('case_file_id', '=', fileId)
      .execute(),
    checks: await db
      .selectFrom('case_file_checks')
      .select(['code', 'state'])
      .where('case_file_id', '=', fileId)
      .execute(),
  };
  for (const code of pieces) {
    const def = kind.pieces.find((p) => p.code === code);
    if (!def) throw invalid('Pièce inconnue.', [{ field: 'resolves.pieces', reason: code }]);
    if (current.pieces.find((p) => p.code === code)?.state !== 'missing')
      throw invalid(`« ${def.label} » n'est pas signalée manquante.`, [{ field: 'resolves.pieces', reason: code }]);
    if (!def.byContact)
      await refuseAudited(
        ctx,
        actor,
        'caseFile.contact',
        file.centre_id,
        { type: 'caseFile', id: fileId },
        `« ${def.label} » demande une nouvelle signature : elle ne s'obtient pas par un simple contact, le dossier doit être renvoyé à la formation.`,
        'invalid',
      );
  }
  for (const code of checks) {
    const def = kind.checks.find((c) => c.code === code);
    if (!def) throw invalid('Contrôle inconnu.', [{ field: 'resolves.checks', reason: code }]);
    if (current.checks.find((c) => c.code === code)?.state !== 'failed')
      throw invalid(`« ${def.label} » n'est pas signalé non conforme.`, [{ field: 'resolves.checks', reason: code }]);
    if (!def.byContact)
      await refuseAudited(
        ctx,
        actor,
        'caseFile.contact',
        file.centre_id,
        { type: 'caseFile', id: fileId },
        `« ${def.label} » demande une nouvelle signature : il ne se régularise pas par un simple contact, le dossier doit être renvoyé à la formation.`,
        'invalid',
      );
  }
  const now = ctx.now().toISOString();
  const channel = input.channel as keyof typeof CONTACT_CHANNELS;
  await db.transaction().execute(async (trx) => {
    if (pieces.length)
      await trx
        .updateTable('case_file_pieces')
        .set({
          state: 'obtained',
          note: `Obtenue par ${CONTACT_CHANNELS[channel].toLowerCase()} auprès de ${contactName}`,
          checked_by: auth.actorId,
          checked_at: now,
        })
        .where('case_file_id', '=', fileId)
        .where('code', 'in', pieces)
        .execute();
    if (checks.length)
      await trx
        .updateTable('case_file_checks')
        .set({ state: 'resolved', checked_by: auth.actorId, checked_at: now })
        .where('case_file_id', '=', fileId)
        .where('code', 'in', checks)
        .execute();
    await touch(trx, ctx, file);
    await addEvents(trx, ctx, fileId, [
      {
        type: 'contact',
        actorId: auth.actorId,
        data: {
          label: `Contact par ${CONTACT_CHANNELS[channel].toLowerCase()} avec ${contactName}`,
          channel,
          contactName,
          summary,
          resolvedPieces: pieces,
          resolvedChecks: checks,
        },
      },
    ]);
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'caseFile.contact', {
        targetType: 'caseFile',
        targetId: fileId,
        summary: { channel, contactName, summary, resolvedPieces: pieces, resolvedChecks: checks },
      }),
    );
  });
  return getCaseFile(ctx, actor, fileId);
}

const CORRECTABLE = {
  personName: { column: 'person_name', label: "Nom de l'administré", max: 120 },
  personIdentifier: { column: 'person_identifier', label: "Identifiant de l'administré", max: 40 },
  unitReference: { column: 'unit_reference', label: 'Référence de la formation', max: 60 },
} as const;

/** A manifest clerical error corrected in place (§2.2), the correction kept in the timeline and the audit trail. */
export async function correctFile(
  ctx: AppContext,
  actor: Actor,
  fileId: string,
  input: { field: string; value: string; note: string },
) {
  const { file, centre } = await fileContext(ctx, fileId);
  const auth = await intakeAuth(ctx, actor, centre, { type: 'caseFile', id: fileId });
  await refuseOwnFile(ctx, actor, 'caseFile.correct', file);
  const f = CORRECTABLE[input.field as keyof typeof CORRECTABLE];
  if (!f) throw invalid('Champ non corrigeable.', [{ field: 'field', reason: Object.keys(CORRECTABLE).join(', ') }]);
  if (!['received', 'registered', 'routed'].includes(file.status))
    await refuseAudited(
      ctx,
      actor,
      'caseFile.correct',
      centre.id,
      { type: 'caseFile', id: fileId },
      'Une fois le traitement commencé, le dossier ne se corrige plus au bureau de liaison.',
      'conflict',
    );
  const value = text('value', input.value, f.max, { required: input.field === 'personName' });
  const note = text('note', input.note, 300, { required: true });
  const before = file[f.column as keyof FileRow] as string | null;
  if (before === value) throw invalid('La valeur est inchangée.', [{ field: 'value', reason: 'Identique.' }]);
  await ctx.store.db.transaction().execute(async (trx) => {
    await updateFile(trx, ctx, file, { [f.column]: value } as Partial<CaseFileTable>);
    await addEvents(trx, ctx, fileId, [
      {
        type: 'correction',
        actorId: auth.actorId,
        data: { label: `Correction : ${f.label}`, field: input.field, before, after: value, note },
      },
    ]);
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'caseFile.correct', {
        targetType: 'caseFile',
        targetId: fileId,
        summary: { field: input.field, before, after: value, note },
      }),
    );
  });
  return getCaseFile(ctx, actor, fileId);
}

const DOCUMENT_TYPES: Record<string, (b: Buffer) => boolean> = {
  'application/pdf': (b) => b.subarray(0, 5).toString('latin1') === '%PDF-',
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
};
export const MAX_DOCUMENT_BYTES = 5 * 1024 * 1024;

/** The digitised piece (§2.3: files may be scanned for online consultation), with its SHA-256. */
export async function attachDocument(
  ctx: AppContext,
  actor: Actor,
  fileId: string,
  code: string,
  doc: { fileName: string; contentType: string; bytes: Buffer },
) {
  const { file, centre, kind } = await fileContext(ctx, fileId);
  const auth = await intakeAuth(ctx, actor, centre, { type: 'caseFile', id: fileId });
  await refuseOwnFile(ctx, actor, 'caseFile.attach', file);
  const def = kind.pieces.find((p) => p.code === code);
  if (!def) throw notFound('Pièce inconnue pour ce type de dossier.');
  if (file.status === 'returned' || file.status === 'archived')
    throw new AppError('conflict', 'Ce dossier a quitté le centre : aucune pièce ne s’y ajoute.');
  const type = doc.contentType.split(';')[0]!.trim().toLowerCase();
  const sniff = DOCUMENT_TYPES[type];
  if (!sniff) throw invalid('Format non admis : PDF, JPEG ou PNG.', [{ field: 'content-type', reason: type }]);
  if (doc.bytes.length === 0 || doc.bytes.length > MAX_DOCUMENT_BYTES)
    throw new AppError('too_large', 'Document vide ou trop volumineux (5 Mo au plus).');
  if (!sniff(doc.bytes))
    throw invalid('Le contenu ne correspond pas au format annoncé.', [{ field: 'content-type', reason: type }]);
  const fileName = text('fileName', doc.fileName, 120, { required: true }).replace(/[/\\]/g, '_');
  const sha256 = createHash('sha256').update(doc.bytes).digest('hex');
  const now = ctx.now().toISOString();
  await ctx.store.db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('case_file_pieces')
      .select(['state'])
      .where('case_file_id', '=', fileId)
      .where('code', '=', code)
      .executeTakeFirst();
    const state =
      !existing || existing.state === 'expected' || existing.state === 'missing'
        ? file.status === 'received'
          ? 'present'
          : (existing?.state ?? 'present')
        : existing.state;
    const values = {
      state,
      file_name: fileName,
      content_type: type,
      bytes: doc.bytes,
      size: doc.bytes.length,
      sha256,
      attached_by: auth.actorId,
      attached_at: now,
    };
    if (existing)
      await trx
        .updateTable('case_file_pieces')
        .set(values)
        .where('case_file_id', '=', fileId)
        .where('code', '=', code)
        .execute();
    else
      await trx
        .insertInto('case_file_pieces')
        .values({ ...piecesFor(fileId, { ...kind, pieces: [def] }, [])[0]!, listed: 0, note: null, ...values })
        .execute();
    await touch(trx, ctx, file);
    await addEvents(trx, ctx, fileId, [
      {
        type: 'piece_attached',
        actorId: auth.actorId,
        data: { code, label: `Pièce numérisée : ${def.label}`, fileName, sha256, size: doc.bytes.length },
      },
    ]);
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'caseFile.attach', {
        targetType: 'caseFile',
        targetId: fileId,
        summary: { piece: code, fileName, size: doc.bytes.length },
        evidence: [`document:sha256:${sha256}`],
      }),
    );
  });
  return getCaseFile(ctx, actor, fileId);
}

// ---------------------------------------------------------------------------------------------
// Registration

/** Registers a usable file (every listed piece there, every form check conform) and routes it. */
export async function registerFile(ctx: AppContext, actor: Actor, fileId: string) {
  const { file, centre, kind, auth } = await receivedFile(ctx, actor, fileId, 'caseFile.register');
  const blockers = await blockersOf(ctx, fileId, kind);
  if (blockers.length) await refuseRegistration(ctx, actor, file, blockers);
  const sender = await ctx.store.db
    .selectFrom('organizations')
    .select('code')
    .where('id', '=', file.sending_organization_id)
    .executeTakeFirstOrThrow();
  await ctx.store.db.transaction().execute(async (trx) => {
    const loads = await officeLoads(trx, centre, [{ kind, sendingUnitCode: sender.code }]);
    await registerInTrx(trx, ctx, actor, auth, centre, file, kind, sender.code, loads);
  });
  return getCaseFile(ctx, actor, fileId);
}

async function refuseRegistration(
  ctx: AppContext,
  actor: Actor,
  file: FileRow,
  blockers: { field: string; reason: string }[],
): Promise<never> {
  await auditRefusal(
    ctx,
    actor,
    'caseFile.register',
    file.centre_id,
    { type: 'caseFile', id: file.id },
    blockers.map((b) => b.reason).join(' '),
  );
  throw invalid(
    'Le dossier ne peut pas être enregistré : il est incomplet ou non conforme. Obtenez ce qui manque par un simple contact, ou renvoyez-le à la formation.',
    blockers,
  );
}

async function blockersOf(ctx: AppContext, fileId: string, kind: CaseKindDefinition) {
  const db = ctx.store.db;
  const pieces = await db
    .selectFrom('case_file_pieces')
    .select(['code', 'label', 'state'])
    .where('case_file_id', '=', fileId)
    .execute();
  const checks = await db
    .selectFrom('case_file_checks')
    .select(['code', 'label', 'state'])
    .where('case_file_id', '=', fileId)
    .execute();
  return registrationBlockers(
    pieces.map((p) => ({
      ...p,
      state: p.state as PieceState,
      required: kind.pieces.find((d) => d.code === p.code)?.required ?? false,
    })),
    checks.map((c) => ({ ...c, state: c.state as CheckState })),
  );
}

async function registerInTrx(
  trx: Transaction<Database>,
  ctx: AppContext,
  actor: Actor,
  auth: Authorization,
  centre: CentreFacts,
  file: FileRow,
  kind: CaseKindDefinition,
  senderCode: string,
  loads: Map<string, number>,
  audit: AuditEntry[] | null = null,
): Promise<string | null> {
  const now = ctx.now().toISOString();
  const officeId = pickOffice(centre, kind, senderCode, loads);
  const office = centre.offices.find((o) => o.id === officeId);
  await updateFile(trx, ctx, file, {
    status: officeId ? 'routed' : 'registered',
    registered_at: now,
    due_on: dueOn(now, kind.targetDays),
    office_id: officeId,
    routed_at: officeId ? now : null,
  });
  await addEvents(trx, ctx, file.id, [
    { type: 'registered', actorId: auth.actorId },
    ...(office
      ? [{ type: 'routed', actorId: auth.actorId, officeId: office.id, data: { office: office.name, byHand: false } }]
      : []),
  ]);
  const entry = auditEntry(ctx, actor, auth, 'caseFile.register', {
    targetType: 'caseFile',
    targetId: file.id,
    summary: { before: { status: 'received' }, after: { status: officeId ? 'routed' : 'registered', officeId } },
  });
  if (audit) audit.push(entry);
  else await appendAudit(trx, ctx.store, entry);
  return officeId;
}

/** Appends to the list under `key` (no copy per element). */
function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export interface SlipIntakeItem {
  fileId: string;
  /** Piece code → present (true) or missing (false). */
  pieces?: Record<string, boolean>;
  /** Check code → conform, or not with its reason. */
  checks?: Record<string, { ok: boolean; reason?: string | null }>;
  /** Register (and route) the file when nothing is missing. */
  register?: boolean;
}

/**
 * The whole slip at once, in one transaction: the verdicts of several files and the registration
 * of those that are complete (the desk's "everything conforms" path). Files with a missing piece or
 * a failed check stay at the desk, listed with what blocks them.
 */
export async function intakeSlip(ctx: AppContext, actor: Actor, slipId: string, input: { files: SlipIntakeItem[] }) {
  const db = ctx.store.db;
  const slip = await db.selectFrom('transmittal_slips').selectAll().where('id', '=', slipId).executeTakeFirst();
  if (!slip) throw notFound('Bordereau introuvable.');
  const centre = await loadCentre(db, slip.centre_id);
  const auth = await intakeAuth(ctx, actor, centre, { type: 'transmittalSlip', id: slipId });
  if (!Array.isArray(input.files) || input.files.length === 0 || input.files.length > MAX_FILES)
    throw invalid('Liste des dossiers attendue.', [{ field: 'files', reason: `1 à ${MAX_FILES} dossiers.` }]);
  const kinds = await kindMap(db);
  const sender = await db
    .selectFrom('organizations')
    .select('code')
    .where('id', '=', slip.sending_organization_id)
    .executeTakeFirstOrThrow();
  const ids = input.files.map((f) => f.fileId);
  const files = new Map<string, FileRow>();
  for (let i = 0; i < ids.length; i += 500)
    for (const f of await db
      .selectFrom('case_files as f')
      .innerJoin('organizations as s', 's.id', 'f.sending_organization_id')
      .selectAll('f')
      .select('s.path as sending_path')
      .where('f.id', 'in', ids.slice(i, i + 500))
      .execute())
      files.set(f.id, f);
  for (const [i, item] of input.files.entries()) {
    const f = files.get(item.fileId);
    if (!f || f.slip_id !== slipId)
      throw invalid('Dossier absent de ce bordereau.', [{ field: `files[${i}].fileId`, reason: 'Dossier inconnu.' }]);
    if (actor.kind === 'person' && f.agent_id === actor.agentId)
      await refuseAudited(ctx, actor, 'caseFile.register', centre.id, { type: 'caseFile', id: f.id }, OWN_FILE);
    if (f.status !== 'received')
      throw new AppError('conflict', `Le dossier ${f.number} n’est plus au contrôle d’arrivée.`);
    const kind = kinds.get(f.kind_code)!;
    for (const code of Object.keys(item.pieces ?? {}))
      if (!kind.pieces.some((p) => p.code === code))
        throw invalid('Pièce inconnue.', [
          { field: `files[${i}].pieces.${code}`, reason: 'Pièce inconnue pour ce type.' },
        ]);
    for (const [code, v] of Object.entries(item.checks ?? {})) {
      if (!kind.checks.some((c) => c.code === code))
        throw invalid('Contrôle inconnu.', [
          { field: `files[${i}].checks.${code}`, reason: 'Contrôle inconnu pour ce type.' },
        ]);
      if (!v.ok) text(`files[${i}].checks.${code}.reason`, v.reason, 300, { required: true });
    }
  }
  const now = ctx.now().toISOString();
  const registered: string[] = [];
  const pending: { id: string; number: string; blockers: { field: string; reason: string }[] }[] = [];
  // Set-based: one update per (piece or check, verdict) across the slip's files, one read of the
  // results, one insert of the timeline entries, one update per destination office, one audit batch.
  const group = new Map<string, string[]>();
  const add = (key: string, id: string) => {
    const list = group.get(key);
    if (list) list.push(id);
    else group.set(key, [id]);
  };
  for (const item of input.files) {
    for (const [code, present] of Object.entries(item.pieces ?? {}))
      add(`p\u0000${code}\u0000${present ? 'present' : 'missing'}`, item.fileId);
    for (const [code, v] of Object.entries(item.checks ?? {})) if (v.ok) add(`c\u0000${code}\u0000ok`, item.fileId);
  }
  const CHUNK = 500;
  await db.transaction().execute(async (trx) => {
    for (const [key, ids] of group) {
      const [what, code, state] = key.split('\u0000') as [string, string, string];
      for (let i = 0; i < ids.length; i += CHUNK) {
        const chunk = ids.slice(i, i + CHUNK);
        if (what === 'p')
          await trx
            .updateTable('case_file_pieces')
            .set({ state, checked_by: auth.actorId, checked_at: now })
            .where('case_file_id', 'in', chunk)
            .where('code', '=', code)
            .execute();
        else
          await trx
            .updateTable('case_file_checks')
            .set({ state: 'ok', reason: null, checked_by: auth.actorId, checked_at: now })
            .where('case_file_id', 'in', chunk)
            .where('code', '=', code)
            .execute();
      }
    }
    for (const item of input.files)
      for (const [code, v] of Object.entries(item.checks ?? {}).filter(([, x]) => !x.ok))
        await trx
          .updateTable('case_file_checks')
          .set({ state: 'failed', reason: v.reason?.trim() ?? null, checked_by: auth.actorId, checked_at: now })
          .where('case_file_id', '=', item.fileId)
          .where('code', '=', code)
          .execute();
    const pieceRows = new Map<string, { code: string; label: string; state: string }[]>();
    const checkRows = new Map<string, { code: string; label: string; state: string }[]>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      for (const r of await trx
        .selectFrom('case_file_pieces')
        .select(['case_file_id', 'code', 'label', 'state'])
        .where('case_file_id', 'in', chunk)
        .execute())
        pushTo(pieceRows, r.case_file_id, r);
      for (const r of await trx
        .selectFrom('case_file_checks')
        .select(['case_file_id', 'code', 'label', 'state'])
        .where('case_file_id', 'in', chunk)
        .execute())
        pushTo(checkRows, r.case_file_id, r);
    }
    const loads = await officeLoads(
      trx,
      centre,
      input.files
        .filter((item) => item.register)
        .map((item) => ({ kind: kinds.get(files.get(item.fileId)!.kind_code)!, sendingUnitCode: sender.code })),
    );
    const audit: AuditEntry[] = [];
    const events: {
      case_file_id: string;
      at: string;
      type: string;
      actor_id: string | null;
      office_id: string | null;
      data: string;
    }[] = [];
    const toOffice = new Map<string | null, { ids: string[]; due: Map<string, string> }>();
    const stay: string[] = [];
    for (const item of input.files) {
      const f = files.get(item.fileId)!;
      const kind = kinds.get(f.kind_code)!;
      const checks = Object.entries(item.checks ?? {});
      const blockers = registrationBlockers(
        (pieceRows.get(f.id) ?? []).map((p) => ({
          ...p,
          state: p.state as PieceState,
          required: kind.pieces.find((d) => d.code === p.code)?.required ?? false,
        })),
        (checkRows.get(f.id) ?? []).map((c) => ({ ...c, state: c.state as CheckState })),
      );
      const event = (type: string, data: Record<string, unknown> = {}, officeId: string | null = null) =>
        events.push({
          case_file_id: f.id,
          at: now,
          type,
          actor_id: auth.actorId,
          office_id: officeId,
          data: JSON.stringify(data),
        });
      event('check', {
        label: 'Contrôle d’arrivée du dossier',
        pieces: item.pieces ?? {},
        checks: Object.fromEntries(checks.map(([c, v]) => [c, v.ok ? 'ok' : `non conforme : ${v.reason ?? ''}`])),
      });
      if (item.register && !blockers.length) {
        const officeId = pickOffice(centre, kind, sender.code, loads);
        const office = centre.offices.find((o) => o.id === officeId);
        const target = toOffice.get(officeId) ?? { ids: [] as string[], due: new Map<string, string>() };
        target.ids.push(f.id);
        target.due.set(f.id, dueOn(now, kind.targetDays));
        toOffice.set(officeId, target);
        event('registered');
        if (office) event('routed', { office: office.name, byHand: false }, office.id);
        audit.push(
          auditEntry(ctx, actor, auth, 'caseFile.register', {
            targetType: 'caseFile',
            targetId: f.id,
            summary: {
              before: { status: 'received' },
              after: { status: officeId ? 'routed' : 'registered', officeId },
            },
          }),
        );
        registered.push(f.number);
      } else {
        stay.push(f.id);
        audit.push(
          auditEntry(ctx, actor, auth, 'caseFile.check', {
            targetType: 'caseFile',
            targetId: f.id,
            summary: { pieces: item.pieces ?? {}, checks: Object.fromEntries(checks.map(([c, v]) => [c, v.ok])) },
          }),
        );
        if (blockers.length) pending.push({ id: f.id, number: f.number, blockers });
      }
    }
    // Every file must still be at the desk: a file another desk moved meanwhile fails the whole slip.
    const moved = async (changed: bigint | number, expected: number) => {
      if (Number(changed) !== expected)
        throw new AppError('conflict', 'Un dossier du bordereau a changé entre-temps : actualisez la page.');
    };
    for (const [officeId, target] of toOffice) {
      // Files of one kind share a due date; group by it so each update sets one value.
      const byDue = new Map<string, string[]>();
      for (const id of target.ids) pushTo(byDue, target.due.get(id)!, id);
      for (const [due, idsDue] of byDue)
        for (let i = 0; i < idsDue.length; i += CHUNK) {
          const chunk = idsDue.slice(i, i + CHUNK);
          const done = await trx
            .updateTable('case_files')
            .set({
              status: officeId ? 'routed' : 'registered',
              registered_at: now,
              due_on: due,
              office_id: officeId,
              routed_at: officeId ? now : null,
              status_changed_at: now,
              updated_at: now,
            })
            .where('id', 'in', chunk)
            .where('status', '=', 'received')
            .executeTakeFirst();
          await moved(done.numUpdatedRows, chunk.length);
        }
    }
    for (let i = 0; i < stay.length; i += CHUNK) {
      const chunk = stay.slice(i, i + CHUNK);
      const done = await trx
        .updateTable('case_files')
        .set({ updated_at: now })
        .where('id', 'in', chunk)
        .where('status', '=', 'received')
        .executeTakeFirst();
      await moved(done.numUpdatedRows, chunk.length);
    }
    for (let i = 0; i < events.length; i += 300)
      await trx
        .insertInto('case_file_events')
        .values(events.slice(i, i + 300))
        .execute();
    await appendAuditBatch(trx, ctx.store, audit);
  });
  return { registered, pending };
}
