import { sql, type Kysely, type Transaction } from 'kysely';
import type { CaseFileTable, Database } from '../../store/schema.ts';
import { appendAudit } from '../../store/audit.ts';
import {
  CASE_FILE_STATUS_LABELS,
  CASE_FILE_STATUSES,
  CHECK_STATE_LABELS,
  EVENT_LABELS,
  moveCaseFile,
  PIECE_STATE_LABELS,
  PRIORITIES,
  PRIORITY_LABELS,
  ageInDays,
  type CaseFileStatus,
  type CheckState,
  type PieceState,
  type Priority,
} from '../../domain/case-file.ts';
import type { CaseKindDefinition } from '../../domain/case-kinds.ts';
import { agentNames, searchText } from '../directory/agents.ts';
import { personName } from '../requests/card-requests.ts';
import { AppError, notFound } from '../errors.ts';
import { refuseAudited } from '../refusals.ts';
import type { Actor, AppContext } from '../context.ts';
import {
  loadCentre,
  OFFICE_FUNCTIONS,
  readableCentreIds,
  readsCentre,
  readsDocuments,
  readsFile,
  senderRoots,
  type CentreFacts,
} from './access.ts';
import { kindDefinition, loadKind } from './kinds.ts';

// Case files: shared plumbing of the workflows (load, status moves through the state machine,
// timeline events) and the reads (lists, office queues, file detail with its timeline and pieces).

type Db = Kysely<Database> | Transaction<Database>;

export type FileRow = CaseFileTable & { sending_path: string };

export async function loadFile(db: Db, id: string): Promise<FileRow> {
  const row = await db
    .selectFrom('case_files as f')
    .innerJoin('organizations as s', 's.id', 'f.sending_organization_id')
    .selectAll('f')
    .select('s.path as sending_path')
    .where('f.id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound('Dossier introuvable.');
  return row;
}

export async function fileKind(db: Db, file: Pick<CaseFileTable, 'kind_code'>): Promise<CaseKindDefinition> {
  const kind = await loadKind(db, file.kind_code);
  if (!kind) throw notFound(`Type de dossier inconnu : ${file.kind_code}.`);
  return kind;
}

/** The file, its centre and kind, for a workflow. */
export async function fileContext(ctx: AppContext, id: string) {
  const file = await loadFile(ctx.store.db, id);
  const centre = await loadCentre(ctx.store.db, file.centre_id);
  const kind = await fileKind(ctx.store.db, file);
  return { file, centre, kind };
}

export interface EventInput {
  type: string;
  actorId: string | null;
  officeId?: string | null;
  data?: Record<string, unknown>;
  at?: string;
}

export async function addEvents(trx: Db, ctx: AppContext, fileId: string, events: EventInput[]): Promise<void> {
  if (!events.length) return;
  const now = ctx.now().toISOString();
  await trx
    .insertInto('case_file_events')
    .values(
      events.map((e) => ({
        case_file_id: fileId,
        at: e.at ?? now,
        type: e.type,
        actor_id: e.actorId,
        office_id: e.officeId ?? null,
        data: JSON.stringify(e.data ?? {}),
      })),
    )
    .execute();
}

/** Refuses (conflict) a move the state machine forbids, with its French reason. */
export function requireMove(
  file: Pick<CaseFileTable, 'status' | 'family'>,
  to: CaseFileStatus,
  kind: CaseKindDefinition,
): void {
  const move = moveCaseFile(file.status as CaseFileStatus, to, {
    family: kind.family,
    transfer: kind.transferTo !== null,
  });
  if (!move.ok) throw new AppError('conflict', move.reason);
}

/** Audited refusal of a move, for workflows whose refusals matter to control (wrong status). */
export async function requireMoveAudited(
  ctx: AppContext,
  actor: Actor,
  action: string,
  file: Pick<CaseFileTable, 'id' | 'status' | 'family' | 'centre_id'>,
  to: CaseFileStatus,
  kind: CaseKindDefinition,
): Promise<void> {
  const move = moveCaseFile(file.status as CaseFileStatus, to, {
    family: kind.family,
    transfer: kind.transferTo !== null,
  });
  if (!move.ok)
    await refuseAudited(ctx, actor, action, file.centre_id, { type: 'caseFile', id: file.id }, move.reason, 'conflict');
}

/** Updates the file only if nobody moved it meanwhile (same status as read). */
export async function updateFile(
  trx: Db,
  ctx: AppContext,
  file: Pick<CaseFileTable, 'id' | 'status'>,
  patch: Partial<CaseFileTable>,
): Promise<void> {
  const now = ctx.now().toISOString();
  const changed = patch.status !== undefined && patch.status !== file.status;
  const done = await trx
    .updateTable('case_files')
    .set({ ...patch, updated_at: now, ...(changed ? { status_changed_at: now } : {}) })
    .where('id', '=', file.id)
    .where('status', '=', file.status)
    .executeTakeFirst();
  if (Number(done.numUpdatedRows) !== 1)
    throw new AppError('conflict', 'Le dossier a changé entre-temps : actualisez la page.');
}

// ---------------------------------------------------------------------------------------------
// Reads

export interface FileFilter {
  centreId?: string;
  officeId?: string;
  status?: string;
  kind?: string;
  family?: string;
  priority?: string;
  minAgeDays?: number;
  slipId?: string;
  q?: string;
  page?: number;
  pageSize?: number;
}

const LIST_COLUMNS = [
  'f.id',
  'f.number',
  'f.kind_code',
  'f.family',
  'f.centre_id',
  'f.office_id',
  'f.status',
  'f.priority',
  'f.person_name',
  'f.person_identifier',
  'f.unit_reference',
  'f.received_at',
  'f.registered_at',
  'f.due_on',
  'f.taken_by',
  'f.processed_at',
  'f.amount_cents',
  'f.archived_at',
  'f.returned_at',
  'f.slip_id',
  'f.sending_organization_id',
  's.name as sending_name',
  'o.name as office_name',
  'k.label as kind_label',
  't.first_names as taken_first',
  't.last_name as taken_last',
] as const;

function listQuery(db: Kysely<Database>) {
  return db
    .selectFrom('case_files as f')
    .innerJoin('organizations as s', 's.id', 'f.sending_organization_id')
    .innerJoin('case_file_kinds as k', 'k.code', 'f.kind_code')
    .leftJoin('organizations as o', 'o.id', 'f.office_id')
    .leftJoin('agents as t', 't.id', 'f.taken_by');
}

type ListRow = {
  id: string;
  number: string;
  kind_code: string;
  family: string;
  centre_id: string;
  office_id: string | null;
  status: string;
  priority: string;
  person_name: string;
  person_identifier: string | null;
  unit_reference: string | null;
  received_at: string;
  registered_at: string | null;
  due_on: string | null;
  taken_by: string | null;
  processed_at: string | null;
  amount_cents: number | null;
  archived_at: string | null;
  returned_at: string | null;
  slip_id: string | null;
  sending_organization_id: string;
  sending_name: string;
  office_name: string | null;
  kind_label: string;
  taken_first: string | null;
  taken_last: string | null;
};

export function fileSummary(r: ListRow, asOf: string) {
  return {
    id: r.id,
    number: r.number,
    kind: r.kind_code,
    kindLabel: r.kind_label,
    family: r.family,
    centreId: r.centre_id,
    office: r.office_id ? { id: r.office_id, name: r.office_name ?? '' } : null,
    status: r.status,
    statusLabel: CASE_FILE_STATUS_LABELS[r.status as CaseFileStatus] ?? r.status,
    priority: r.priority,
    priorityLabel: PRIORITY_LABELS[r.priority as Priority] ?? r.priority,
    personName: r.person_name,
    personIdentifier: r.person_identifier,
    unitReference: r.unit_reference,
    sendingOrganization: { id: r.sending_organization_id, name: r.sending_name },
    receivedAt: r.received_at,
    registeredAt: r.registered_at,
    ageDays: r.registered_at ? ageInDays(r.registered_at, asOf) : ageInDays(r.received_at, asOf),
    dueOn: r.due_on,
    overdue: r.due_on !== null && !r.archived_at && !r.returned_at && r.due_on < asOf.slice(0, 10),
    takenBy: r.taken_by ? personName(r.taken_first, r.taken_last, r.taken_by) : null,
    processedAt: r.processed_at,
    amountCents: r.amount_cents === null ? null : Number(r.amount_cents),
    archivedAt: r.archived_at,
    returnedAt: r.returned_at,
    slipId: r.slip_id,
  };
}

const PRIORITY_ORDER = sql<number>`case f.priority when 'absolute' then 0 when 'relative' then 1 else 2 end`;

/** Files the actor may see: the centre's staff see their centres, units the files they sent. */
export async function listCaseFiles(ctx: AppContext, actor: Actor, s: FileFilter) {
  const centres = await readableCentreIds(ctx, actor);
  const senders = senderRoots(actor);
  const page = Math.max(1, Math.floor(s.page ?? 1));
  const pageSize = Math.min(200, Math.max(1, Math.floor(s.pageSize ?? 25)));
  const asOf = ctx.now().toISOString();
  let q = listQuery(ctx.store.db).where((eb) => {
    const or = [];
    if (centres === null) or.push(sql<boolean>`1 = 1`);
    else if (centres.length) or.push(eb('f.centre_id', 'in', centres));
    for (const r of senders) or.push(eb('s.path', 'like', `%/${r}/%`));
    return or.length ? eb.or(or) : sql<boolean>`1 = 0`;
  });
  if (s.centreId) q = q.where('f.centre_id', '=', s.centreId);
  if (s.officeId) q = q.where('f.office_id', '=', s.officeId);
  if (s.status) {
    const states = s.status.split(',').filter((x) => (CASE_FILE_STATUSES as readonly string[]).includes(x));
    q = q.where('f.status', 'in', states.length ? states : ['-']);
  }
  if (s.kind) q = q.where('f.kind_code', '=', s.kind);
  if (s.family) q = q.where('f.family', '=', s.family);
  if (s.priority && (PRIORITIES as readonly string[]).includes(s.priority)) q = q.where('f.priority', '=', s.priority);
  if (s.slipId) q = q.where('f.slip_id', '=', s.slipId);
  if (s.minAgeDays !== undefined && s.minAgeDays > 0) {
    const cutoff = new Date(Date.parse(asOf) - s.minAgeDays * 86_400_000).toISOString();
    q = q.where(sql<string>`coalesce(f.registered_at, f.received_at)`, '<', cutoff);
  }
  for (const word of searchText(s.q ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 5)) {
    const like = `%${word.replace(/[%_\\]/g, '')}%`;
    q = q.where((eb) =>
      eb.or([
        eb(sql<string>`lower(f.number)`, 'like', like),
        eb(sql<string>`lower(f.person_name)`, 'like', like),
        eb(sql<string>`lower(coalesce(f.person_identifier, ''))`, 'like', like),
        eb(sql<string>`lower(coalesce(f.unit_reference, ''))`, 'like', like),
      ]),
    );
  }
  const total = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await q
    .select(LIST_COLUMNS)
    .orderBy(PRIORITY_ORDER)
    .orderBy('f.received_at')
    .orderBy('f.number')
    .limit(pageSize)
    .offset((page - 1) * pageSize)
    .execute();
  return { items: rows.map((r) => fileSummary(r, asOf)), total: Number(total.n), page, pageSize };
}

function nameOf(map: Map<string, string>, id: string | null): string | null {
  if (!id) return null;
  if (id.startsWith('system:')) return 'Plateforme';
  return map.get(id) ?? id;
}

/** What the actor may do on this file now (the page shows these actions; the server checks again). */
export function availableActions(actor: Actor, centre: CentreFacts, file: FileRow, kind: CaseKindDefinition): string[] {
  if (actor.kind !== 'person') return [];
  const has = (role: string, officeId: string | null) =>
    actor.grants.some(
      (g) =>
        g.role === role && (g.organizationId === centre.id || (officeId !== null && g.organizationId === officeId)),
    );
  const liaisonId = centre.offices.find((o) => o.function === 'liaison')?.id ?? null;
  const own = file.agent_id === actor.agentId;
  const out: string[] = [];
  if (own) return out;
  const status = file.status as CaseFileStatus;
  const liaison = has('liaison_agent', liaisonId);
  const processing = has('processing_agent', file.office_id) || has('office_head', file.office_id);
  if (liaison) {
    if (status === 'received') out.push('check', 'contact', 'correct', 'register', 'return', 'attach');
    if (status === 'registered' || status === 'routed') out.push('route', 'return', 'correct');
    if (status === 'in_progress' || status === 'deferred') out.push('return');
    if (status === 'deferred' && !file.unit_notified_at) out.push('notifyUnit');
    if (status === 'transferred' || (status === 'checked' && kind.transferTo === null)) out.push('archive');
  }
  if (has('centre_head', null)) {
    if (!['archived', 'returned'].includes(status)) out.push('priority');
    if (['registered', 'routed', 'in_progress'].includes(status)) out.push('route');
  }
  if (processing) {
    if (status === 'routed' && kind.family === 'unit') out.push('take');
    if (status === 'in_progress') out.push('process', 'defer', 'release');
    if (status === 'deferred') out.push('resume', 'process');
    if (status === 'checked' && kind.transferTo !== null) out.push('transfer');
  }
  if (status === 'processed' && has('office_head', file.processed_office_id) && file.processed_by !== actor.agentId)
    out.push('selfCheck');
  return [...new Set(out)];
}

export async function getCaseFile(ctx: AppContext, actor: Actor, id: string) {
  const db = ctx.store.db;
  const file = await loadFile(db, id);
  const centre = await loadCentre(db, file.centre_id);
  if (!readsFile(actor, centre, file))
    await refuseAudited(
      ctx,
      actor,
      'caseFile.read',
      file.centre_id,
      { type: 'caseFile', id },
      "Ce dossier n'est pas dans votre périmètre.",
    );
  const kindRow = await db
    .selectFrom('case_file_kinds')
    .selectAll()
    .where('code', '=', file.kind_code)
    .executeTakeFirstOrThrow();
  const kind = kindDefinition(kindRow);
  const [pieces, checks, events, letters, archive, slip, sender, authority] = await Promise.all([
    db
      .selectFrom('case_file_pieces')
      .select([
        'id',
        'code',
        'label',
        'listed',
        'state',
        'note',
        'file_name',
        'content_type',
        'size',
        'sha256',
        'source_ref',
        'attached_by',
        'attached_at',
        'checked_by',
        'checked_at',
      ])
      .where('case_file_id', '=', id)
      .execute(),
    db.selectFrom('case_file_checks').selectAll().where('case_file_id', '=', id).execute(),
    db.selectFrom('case_file_events').selectAll().where('case_file_id', '=', id).orderBy('at').orderBy('seq').execute(),
    db
      .selectFrom('case_file_letters')
      .select(['id', 'kind', 'sha256', 'created_at'])
      .where('case_file_id', '=', id)
      .execute(),
    db.selectFrom('archive_entries').selectAll().where('case_file_id', '=', id).executeTakeFirst(),
    file.slip_id
      ? db.selectFrom('transmittal_slips').selectAll().where('id', '=', file.slip_id).executeTakeFirst()
      : undefined,
    db
      .selectFrom('organizations')
      .select(['id', 'code', 'name'])
      .where('id', '=', file.sending_organization_id)
      .executeTakeFirstOrThrow(),
    file.delegating_authority_id
      ? db
          .selectFrom('organizations')
          .select(['id', 'code', 'name'])
          .where('id', '=', file.delegating_authority_id)
          .executeTakeFirst()
      : undefined,
  ]);
  const who = await agentNames(db, [
    file.taken_by,
    file.processed_by,
    file.self_checked_by,
    file.controlled_by,
    ...events.map((e) => e.actor_id),
    ...pieces.map((p) => p.checked_by),
    ...pieces.map((p) => p.attached_by),
    ...checks.map((c) => c.checked_by),
    archive?.archived_by ?? null,
  ]);
  const officeName = (oid: string | null) => (oid ? (centre.offices.find((o) => o.id === oid)?.name ?? null) : null);
  const pieceOrder = new Map(kind.pieces.map((p, i) => [p.code, i]));
  const checkOrder = new Map(kind.checks.map((c, i) => [c.code, i]));
  const asOf = ctx.now().toISOString();
  const documents = readsDocuments(actor, centre, file);
  const transferKind = kind.transferTo;
  return {
    id: file.id,
    number: file.number,
    kind: file.kind_code,
    kindLabel: kind.label,
    family: file.family,
    centre: { id: centre.id, name: centre.name },
    office: file.office_id ? { id: file.office_id, name: officeName(file.office_id) ?? '' } : null,
    status: file.status,
    statusLabel: CASE_FILE_STATUS_LABELS[file.status as CaseFileStatus] ?? file.status,
    priority: file.priority,
    priorityLabel: PRIORITY_LABELS[file.priority as Priority] ?? file.priority,
    priorityNote: file.priority_note,
    personName: file.person_name,
    personIdentifier: file.person_identifier,
    agentId: file.agent_id,
    unitReference: file.unit_reference,
    sendingOrganization: sender,
    delegatingAuthority: authority ?? null,
    slip: slip
      ? {
          id: slip.id,
          number: slip.number,
          unitReference: slip.unit_reference,
          slipDate: slip.slip_date,
          contactName: slip.contact_name,
          contactPhone: slip.contact_phone,
          contactEmail: slip.contact_email,
        }
      : null,
    cardRequestId: file.card_request_id,
    cardId: file.card_id,
    receivedAt: file.received_at,
    registeredAt: file.registered_at,
    ageDays: ageInDays(file.registered_at ?? file.received_at, asOf),
    dueOn: file.due_on,
    takenBy: nameOf(who, file.taken_by),
    takenAt: file.taken_at,
    deferredAt: file.deferred_at,
    deferredReason: file.deferred_reason,
    unitNotifiedAt: file.unit_notified_at,
    processedAt: file.processed_at,
    processedBy: nameOf(who, file.processed_by),
    processedOffice: officeName(file.processed_office_id),
    outcome: file.outcome,
    amountCents: file.amount_cents === null ? null : Number(file.amount_cents),
    movementReference: file.movement_reference,
    selfCheckedAt: file.self_checked_at,
    selfCheckedBy: nameOf(who, file.self_checked_by),
    transferTo: transferKind,
    transferredAt: file.transferred_at,
    transferReference: file.transfer_reference,
    archivedAt: file.archived_at,
    returnedAt: file.returned_at,
    returnReasons: file.return_reasons ? (JSON.parse(file.return_reasons) as string[]) : [],
    pieces: pieces
      .sort((a, b) => (pieceOrder.get(a.code) ?? 99) - (pieceOrder.get(b.code) ?? 99))
      .map((p) => {
        const def = kind.pieces.find((d) => d.code === p.code);
        return {
          id: p.id,
          code: p.code,
          label: p.label,
          required: def?.required ?? false,
          byContact: def?.byContact ?? false,
          listed: p.listed === 1,
          state: p.state,
          stateLabel: PIECE_STATE_LABELS[p.state as PieceState] ?? p.state,
          note: p.note,
          // A digitised piece, or one the platform holds (card documents); paper pieces have none.
          document: p.sha256
            ? {
                fileName: p.file_name,
                contentType: p.content_type,
                size: p.size,
                sha256: p.sha256,
                readable: documents && p.size !== null,
              }
            : null,
          checkedBy: nameOf(who, p.checked_by ?? p.attached_by),
          checkedAt: p.checked_at ?? p.attached_at,
        };
      }),
    checks: checks
      .sort((a, b) => (checkOrder.get(a.code) ?? 99) - (checkOrder.get(b.code) ?? 99))
      .map((c) => ({
        code: c.code,
        label: c.label,
        byContact: kind.checks.find((d) => d.code === c.code)?.byContact ?? false,
        state: c.state,
        stateLabel: CHECK_STATE_LABELS[c.state as CheckState] ?? c.state,
        reason: c.reason,
        checkedBy: nameOf(who, c.checked_by),
        checkedAt: c.checked_at,
      })),
    timeline: events.map((e) => {
      const data = JSON.parse(e.data) as Record<string, unknown>;
      return {
        at: e.at,
        type: e.type,
        label: (data['label'] as string | undefined) ?? EVENT_LABELS[e.type] ?? e.type,
        actor: nameOf(who, e.actor_id),
        office: officeName(e.office_id),
        data,
      };
    }),
    letters: letters.map((l) => ({ id: l.id, kind: l.kind, sha256: l.sha256, createdAt: l.created_at })),
    archive: archive
      ? {
          locationKind: archive.location_kind,
          box: archive.box,
          shelf: archive.shelf,
          reference: archive.reference,
          archivedAt: archive.archived_at,
          archivedBy: nameOf(who, archive.archived_by),
          transferred: archive.transfer_id !== null,
        }
      : null,
    // The mark of the internal control (seed 003 §4.3.2): date, controller, the BOM's stamp.
    controlMark: file.controlled_at
      ? {
          controlledAt: file.controlled_at,
          controller: nameOf(who, file.controlled_by) ?? '',
          stamp: file.control_stamp ?? '',
        }
      : null,
    documentsReadable: documents,
    actions: availableActions(actor, centre, file, kind),
  };
}

/** A piece's document, for those who need to know it; every opening is audited. */
export async function pieceDocument(ctx: AppContext, actor: Actor, fileId: string, pieceId: string) {
  const db = ctx.store.db;
  const file = await loadFile(db, fileId);
  const centre = await loadCentre(db, file.centre_id);
  if (!readsDocuments(actor, centre, file))
    await refuseAudited(
      ctx,
      actor,
      'caseFile.document.read',
      file.centre_id,
      { type: 'caseFile', id: fileId },
      'Les pièces de ce dossier ne sont accessibles qu’aux personnes qui ont besoin d’en connaître (bureau de liaison, bureau de traitement du dossier, chef de centre, contrôle).',
    );
  const piece = await db
    .selectFrom('case_file_pieces')
    .selectAll()
    .where('id', '=', pieceId)
    .where('case_file_id', '=', fileId)
    .executeTakeFirst();
  let bytes: Uint8Array | null = piece?.bytes ?? null;
  let fileName = piece?.file_name ?? null;
  let contentType = piece?.content_type ?? null;
  // Card files point to the card's own documents instead of copying them.
  if (piece && !bytes && piece.source_ref?.startsWith('card_document:')) {
    const doc = await db
      .selectFrom('card_documents')
      .select(['bytes', 'file_name', 'content_type'])
      .where('id', '=', piece.source_ref.slice('card_document:'.length))
      .executeTakeFirst();
    if (doc)
      ({
        bytes,
        file_name: fileName,
        content_type: contentType,
      } = { bytes: doc.bytes, file_name: doc.file_name, content_type: doc.content_type });
  }
  if (piece && !bytes && piece.source_ref?.startsWith('agent_photo:')) {
    const photo = await db
      .selectFrom('agent_photos')
      .select('jpeg')
      .where('agent_id', '=', piece.source_ref.slice('agent_photo:'.length))
      .executeTakeFirst();
    if (photo) {
      bytes = photo.jpeg;
      fileName = 'photo.jpg';
      contentType = 'image/jpeg';
    }
  }
  if (!piece || !bytes) throw notFound('Aucun document numérisé pour cette pièce.');
  await ctx.store.db.transaction().execute(async (trx) => {
    await appendAudit(trx, ctx.store, {
      at: ctx.now().toISOString(),
      actorId: actor.kind === 'person' ? actor.agentId : `system:${actor.kind}`,
      actorRole: actor.kind === 'person' ? actor.grants.map((g) => g.role).join(',') : actor.kind,
      organizationId: file.centre_id,
      action: 'caseFile.document.read',
      outcome: 'ok',
      targetType: 'caseFile',
      targetId: fileId,
      requestId: actor.requestId,
      summary: { piece: piece.code, sha256: piece.sha256 },
    });
  });
  return {
    bytes: Buffer.from(bytes),
    fileName: fileName ?? `${piece.code}.bin`,
    contentType: contentType ?? 'application/octet-stream',
  };
}

/** A return letter (PDF): whoever sees the file may read the letter sent to its unit. */
export async function letterDocument(ctx: AppContext, actor: Actor, fileId: string, letterId: string) {
  const db = ctx.store.db;
  const file = await loadFile(db, fileId);
  const centre = await loadCentre(db, file.centre_id);
  if (!readsFile(actor, centre, file))
    await refuseAudited(
      ctx,
      actor,
      'caseFile.read',
      file.centre_id,
      { type: 'caseFile', id: fileId },
      "Ce dossier n'est pas dans votre périmètre.",
    );
  const letter = await db
    .selectFrom('case_file_letters')
    .selectAll()
    .where('id', '=', letterId)
    .where('case_file_id', '=', fileId)
    .executeTakeFirst();
  if (!letter) throw notFound('Courrier introuvable.');
  return { bytes: Buffer.from(letter.pdf), fileName: `renvoi-${file.number}.pdf` };
}

/** Offices of a centre with their queue sizes (the office queue page's header). */
export async function officeQueues(ctx: AppContext, actor: Actor, centreId: string) {
  const centre = await loadCentre(ctx.store.db, centreId);
  if (!readsCentre(actor, 'caseFile.read', centre))
    await refuseAudited(
      ctx,
      actor,
      'caseFile.read',
      centreId,
      { type: 'organization', id: centreId },
      "Ce centre de traitement n'est pas dans votre périmètre.",
    );
  const counts = await ctx.store.db
    .selectFrom('case_files')
    .select(['office_id', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('centre_id', '=', centreId)
    .where('status', 'in', ['routed', 'in_progress', 'deferred', 'processed', 'checked'])
    .groupBy(['office_id', 'status'])
    .execute();
  return {
    centre: { id: centre.id, name: centre.name },
    offices: centre.offices.map((o) => {
      const byStatus = Object.fromEntries(
        counts.filter((c) => c.office_id === o.id).map((c) => [c.status, Number(c.n)]),
      );
      return {
        id: o.id,
        code: o.code,
        name: o.name,
        function: o.function,
        functionLabel: OFFICE_FUNCTIONS[o.function],
        counts: byStatus as Record<string, number>,
      };
    }),
  };
}
