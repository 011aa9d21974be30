import { sql } from 'kysely';
import { appendAudit, appendAuditBatch } from '../../store/audit.ts';
import { archiveTransferNumber } from '../../domain/case-file.ts';
import { searchText } from '../directory/agents.ts';
import { personName } from '../requests/card-requests.ts';
import { auditEntry } from '../audit-trail.ts';
import { AppError, invalid } from '../errors.ts';
import type { Actor, AppContext } from '../context.ts';
import { authorizeIn, liaisonOffice, loadCentre, refuseOwnFile, requireCentreReader } from './access.ts';
import { addEvents, fileContext, getCaseFile, requireMoveAudited, updateFile } from './files.ts';
import { isoDate, text } from './input.ts';
import { drawNumbers } from './numbers.ts';

// After processing every file comes back to the liaison office to be archived (seed 003 §2.3): the
// archive register says where it is (box and shelf, or digital location), since when, and who put it
// there, so that any document is found fast; the liaison office records the transfers of archives
// (« versement ») to the historical service.

export interface ArchiveInput {
  locationKind: string;
  box?: string | null;
  shelf?: string | null;
  reference?: string | null;
}

export async function archiveFile(ctx: AppContext, actor: Actor, fileId: string, input: ArchiveInput) {
  const { file, centre, kind } = await fileContext(ctx, fileId);
  const liaison = liaisonOffice(centre);
  const auth = await authorizeIn(ctx, actor, 'caseFile.archive', centre, liaison, { type: 'caseFile', id: fileId });
  await refuseOwnFile(ctx, actor, 'caseFile.archive', file);
  await requireMoveAudited(ctx, actor, 'caseFile.archive', file, 'archived', kind);
  if (input.locationKind !== 'box' && input.locationKind !== 'digital')
    throw invalid('Lieu d’archivage : boîte ou emplacement numérique.', [
      { field: 'locationKind', reason: 'box ou digital.' },
    ]);
  const box = text('box', input.box, 40, { required: input.locationKind === 'box' });
  const shelf = text('shelf', input.shelf, 40);
  const reference = text('reference', input.reference, 120, { required: input.locationKind === 'digital' });
  const now = ctx.now().toISOString();
  await ctx.store.db.transaction().execute(async (trx) => {
    await updateFile(trx, ctx, file, { status: 'archived', archived_at: now, office_id: liaison.id });
    await trx
      .insertInto('archive_entries')
      .values({
        case_file_id: fileId,
        centre_id: centre.id,
        location_kind: input.locationKind,
        box,
        shelf,
        reference,
        archived_by: auth.actorId,
        archived_at: now,
        transfer_id: null,
      })
      .execute();
    const where =
      input.locationKind === 'box' ? `boîte ${box}${shelf ? `, ${shelf}` : ''}` : `numérique : ${reference}`;
    await addEvents(trx, ctx, fileId, [
      {
        type: 'archived',
        actorId: auth.actorId,
        officeId: liaison.id,
        data: { label: `Archivé (${where})`, box, shelf, reference },
      },
    ]);
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'caseFile.archive', {
        targetType: 'caseFile',
        targetId: fileId,
        summary: { before: { status: file.status }, after: { status: 'archived', box, shelf, reference } },
      }),
    );
  });
  return getCaseFile(ctx, actor, fileId);
}

export interface ArchiveSearch {
  centreId: string;
  q?: string;
  box?: string;
  from?: string;
  to?: string;
  transferred?: boolean;
  page?: number;
  pageSize?: number;
}

/** The archive register: where each archived file is. */
export async function archiveRegister(ctx: AppContext, actor: Actor, s: ArchiveSearch) {
  const db = ctx.store.db;
  const centre = await loadCentre(db, s.centreId);
  await requireCentreReader(ctx, actor, 'caseFile.read', centre, { type: 'organization', id: centre.id });
  const page = Math.max(1, Math.floor(s.page ?? 1));
  const pageSize = Math.min(200, Math.max(1, Math.floor(s.pageSize ?? 25)));
  let q = db
    .selectFrom('archive_entries as e')
    .innerJoin('case_files as f', 'f.id', 'e.case_file_id')
    .innerJoin('case_file_kinds as k', 'k.code', 'f.kind_code')
    .innerJoin('organizations as s', 's.id', 'f.sending_organization_id')
    .leftJoin('agents as a', 'a.id', 'e.archived_by')
    .leftJoin('archive_transfers as t', 't.id', 'e.transfer_id')
    .where('e.centre_id', '=', centre.id);
  if (s.box) q = q.where('e.box', '=', s.box);
  if (s.from) q = q.where('e.archived_at', '>=', isoDate('from', s.from));
  if (s.to) q = q.where('e.archived_at', '<', `${isoDate('to', s.to)}T99`);
  if (s.transferred !== undefined) q = q.where('e.transfer_id', s.transferred ? 'is not' : 'is', null);
  for (const word of searchText(s.q ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 5)) {
    const like = `%${word.replace(/[%_\\]/g, '')}%`;
    q = q.where((eb) =>
      eb.or([
        eb(sql<string>`lower(f.number)`, 'like', like),
        eb(sql<string>`lower(f.person_name)`, 'like', like),
        eb(sql<string>`lower(coalesce(e.box, ''))`, 'like', like),
        eb(sql<string>`lower(coalesce(e.reference, ''))`, 'like', like),
      ]),
    );
  }
  const total = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await q
    .select([
      'f.id',
      'f.number',
      'f.person_name',
      'k.label as kind_label',
      's.name as sender_name',
      'e.location_kind',
      'e.box',
      'e.shelf',
      'e.reference',
      'e.archived_at',
      'e.archived_by',
      'a.first_names',
      'a.last_name',
      't.number as transfer_number',
      't.transferred_at',
    ])
    .orderBy('e.archived_at', 'desc')
    .orderBy('f.number', 'desc')
    .limit(pageSize)
    .offset((page - 1) * pageSize)
    .execute();
  return {
    items: rows.map((r) => ({
      fileId: r.id,
      number: r.number,
      personName: r.person_name,
      kindLabel: r.kind_label,
      sendingOrganizationName: r.sender_name,
      locationKind: r.location_kind,
      box: r.box,
      shelf: r.shelf,
      reference: r.reference,
      archivedAt: r.archived_at,
      archivedBy: personName(r.first_names, r.last_name, r.archived_by),
      transfer: r.transfer_number ? { number: r.transfer_number, transferredAt: r.transferred_at } : null,
    })),
    total: Number(total.n),
    page,
    pageSize,
  };
}

/** « Versement » of archives: the chosen archived files (or all archived before a date) leave for the historical service. */
export async function transferArchives(
  ctx: AppContext,
  actor: Actor,
  input: {
    centreId: string;
    destination: string;
    reference?: string | null;
    fileIds?: string[];
    archivedBefore?: string | null;
  },
) {
  const db = ctx.store.db;
  const centre = await loadCentre(db, input.centreId);
  const liaison = liaisonOffice(centre);
  const auth = await authorizeIn(ctx, actor, 'caseFile.archive', centre, liaison, {
    type: 'organization',
    id: centre.id,
  });
  const destination = text('destination', input.destination, 200, { required: true });
  const reference = text('reference', input.reference, 120);
  const hasIds = Array.isArray(input.fileIds) && input.fileIds.length > 0;
  if (!hasIds && !input.archivedBefore)
    throw invalid('Choisissez les dossiers, ou une date : tous les dossiers archivés avant elle.', [
      { field: 'fileIds', reason: 'Sélection vide.' },
    ]);
  if (hasIds && input.fileIds!.length > 10000) throw invalid('10 000 dossiers au plus par versement.');
  let q = db
    .selectFrom('archive_entries')
    .select('case_file_id')
    .where('centre_id', '=', centre.id)
    .where('transfer_id', 'is', null);
  if (hasIds) q = q.where('case_file_id', 'in', input.fileIds!);
  if (input.archivedBefore) q = q.where('archived_at', '<', isoDate('archivedBefore', input.archivedBefore));
  const rows = await q.limit(10001).execute();
  if (rows.length === 0) throw new AppError('conflict', 'Aucun dossier archivé à verser dans cette sélection.');
  if (rows.length > 10000) throw invalid('Plus de 10 000 dossiers : choisissez une date plus ancienne.');
  if (hasIds && rows.length !== new Set(input.fileIds).size)
    throw new AppError(
      'conflict',
      'Certains dossiers choisis ne sont pas archivés dans ce centre ou ont déjà été versés.',
    );
  const now = ctx.now().toISOString();
  const id = ctx.newId();
  const ids = rows.map((r) => r.case_file_id);
  const number = await db.transaction().execute(async (trx) => {
    const year = Number(now.slice(0, 4));
    const [n] = await drawNumbers(trx, ctx.store, `archive_transfer:${year}`, 1);
    const num = archiveTransferNumber(year, n!);
    await trx
      .insertInto('archive_transfers')
      .values({
        id,
        number: num,
        centre_id: centre.id,
        destination,
        reference,
        file_count: ids.length,
        transferred_by: auth.actorId,
        transferred_at: now,
      })
      .execute();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const done = await trx
        .updateTable('archive_entries')
        .set({ transfer_id: id })
        .where('case_file_id', 'in', chunk)
        .where('transfer_id', 'is', null)
        .executeTakeFirst();
      if (Number(done.numUpdatedRows) !== chunk.length)
        throw new AppError('conflict', 'Un autre versement vient d’emporter une partie de ces dossiers : recommencez.');
      await trx
        .insertInto('case_file_events')
        .values(
          chunk.map((fid) => ({
            case_file_id: fid,
            at: now,
            type: 'archive_transferred',
            actor_id: auth.actorId,
            office_id: liaison.id,
            data: JSON.stringify({ number: num, destination }),
          })),
        )
        .execute();
    }
    await appendAuditBatch(trx, ctx.store, [
      auditEntry(ctx, actor, auth, 'archive.transfer', {
        targetType: 'archiveTransfer',
        targetId: id,
        summary: { number: num, destination, reference, files: ids.length },
      }),
    ]);
    return num;
  });
  return { id, number, destination, reference, fileCount: ids.length, transferredAt: now };
}

export async function listArchiveTransfers(ctx: AppContext, actor: Actor, centreId: string) {
  const centre = await loadCentre(ctx.store.db, centreId);
  await requireCentreReader(ctx, actor, 'caseFile.read', centre, { type: 'organization', id: centre.id });
  const rows = await ctx.store.db
    .selectFrom('archive_transfers as t')
    .leftJoin('agents as a', 'a.id', 't.transferred_by')
    .select([
      't.id',
      't.number',
      't.destination',
      't.reference',
      't.file_count',
      't.transferred_at',
      't.transferred_by',
      'a.first_names',
      'a.last_name',
    ])
    .where('t.centre_id', '=', centreId)
    .orderBy('t.transferred_at', 'desc')
    .limit(200)
    .execute();
  return {
    items: rows.map((r) => ({
      id: r.id,
      number: r.number,
      destination: r.destination,
      reference: r.reference,
      fileCount: r.file_count,
      transferredAt: r.transferred_at,
      transferredBy: personName(r.first_names, r.last_name, r.transferred_by),
    })),
  };
}
