import { timeOrderedId } from '../../ids.ts';
import { CompiledQuery, type Transaction } from 'kysely';
import { recordFingerprint, validateFeedRow, type AgentFeedRecord } from '../../../domain/hr-feed.ts';
import type { Database, ImportRunTable } from '../../../store/schema.ts';
import type { Dialect } from '../../../store/database.ts';
import { appendAudit } from '../../../store/audit.ts';
import { authorize, type Authorization } from '../../access/authorize.ts';
import { agentColumns } from '../agents.ts';
import { allocateRowids, placeAgent } from '../agent-search.ts';
import { AppError, notFound } from '../../errors.ts';
import { INSTANCE_ID } from '../../../logger.ts';
import { queueMail } from '../../mail.ts';
import { today, type Actor, type AppContext } from '../../context.ts';
import { FeedFormatError, readFeed, type FeedFormat } from './feed-reader.ts';

// HR feed import: streamed, validated row by row, committed in batches (each batch with its audit
// record) so memory stays flat and the database stays available to other users during a large import.
// A file that is not a feed at all is refused before anything is written.

// Rows per transaction. Larger batches write each index page once for many rows (the import is
// bound by index page writes, see bench/README.md) while a batch stays a fraction of a second of lock.
export const DEFAULT_BATCH_ROWS = 10_000;

export interface ImportRequest {
  organizationId: string;
  format: FeedFormat;
  full: boolean;
  fileName: string;
  input: AsyncIterable<Uint8Array> | NodeJS.ReadableStream;
  bytesTotal: number | null;
  onProgress?: (run: ImportProgress) => void;
  /** Rows per committed batch (default DEFAULT_BATCH_ROWS). */
  batchRows?: number;
}

export interface ImportProgress {
  bytesRead: number;
  bytesTotal: number | null;
  total: number;
  rejected: number;
}

interface Counts {
  total: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  deactivated: number;
}

interface PendingRow {
  line: number;
  record: AgentFeedRecord;
  organizationId: string;
  fingerprint: string;
}

interface Reject {
  line: number;
  field: string;
  reason: string;
}

export async function importAgents(ctx: AppContext, actor: Actor, req: ImportRequest): Promise<ImportRunTable> {
  const org = await ctx.store.db
    .selectFrom('organizations')
    .select(['id', 'path', 'code'])
    .where('id', '=', req.organizationId)
    .executeTakeFirst();
  if (!org) throw notFound('Organisation introuvable.');
  const auth = await authorize(ctx, actor, 'import.run', org.id, { type: 'organization', id: org.id });
  const batchRows = Math.max(1, req.batchRows ?? DEFAULT_BATCH_ROWS);
  const runId = ctx.newId();
  const startedAt = ctx.now().toISOString();
  const counts: Counts = { total: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0, deactivated: 0 };
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('import_runs')
      .values({
        id: runId,
        organization_id: org.id,
        file_name: req.fileName.slice(0, 200),
        format: req.format,
        full_mode: req.full ? 1 : 0,
        status: 'running',
        ...counts,
        bytes_total: req.bytesTotal,
        bytes_read: 0,
        message: null,
        started_by: auth.actorId,
        started_at: startedAt,
        finished_at: null,
        // Who runs it and its last sign of life: a run left « running » by a dead process is found at start.
        owner: INSTANCE_ID,
        heartbeat_at: startedAt,
      })
      .execute();
    await audit(ctx, trx, actor, auth, 'hrImport.start', runId, {
      fileName: req.fileName,
      format: req.format,
      full: req.full,
    });
  });

  const orgByCode = new Map<string, string | null>([[org.code, org.id]]);
  const seen = new Map<string, number>(); // identifier → first line, to reject duplicates and to know who is in a full feed
  const listed = new Set<string>(); // identifiers on rejected lines: in the file, so not "missing" from a full feed
  const todayIso = today(ctx);
  let bytesRead = 0;
  let pending: PendingRow[] = [];
  let rejects: Reject[] = [];

  // A batch is committed while the next one is read and validated (with PostgreSQL the two run on
  // separate cores); batches still commit one after the other, in file order. What a batch records
  // (rows read, bytes read) is taken when it is cut, as if nothing had been read since.
  let committing: Promise<void> = Promise.resolve();
  let totalAtFailure: number | null = null;
  const commitBatch = (rows: PendingRow[], rej: Reject[], total: number, bytes: number) =>
    ctx.store.db.transaction().execute(async (trx) => {
      const c = await applyBatch(ctx, trx, runId, org.path, rows);
      counts.inserted += c.inserted;
      counts.updated += c.updated;
      counts.unchanged += c.unchanged;
      rej.push(...c.rejects);
      counts.rejected += new Set(rej.map((r) => r.line)).size;
      if (rej.length)
        await trx
          .insertInto('import_rejects')
          .values(rej.map((r) => ({ import_id: runId, line: r.line, field: r.field, reason: r.reason })))
          .execute();
      await trx
        .updateTable('import_runs')
        .set({ ...counts, total, bytes_read: bytes, heartbeat_at: ctx.now().toISOString() })
        .where('id', '=', runId)
        .execute();
      await audit(ctx, trx, actor, auth, 'hrImport.batch', runId, {
        inserted: c.inserted,
        updated: c.updated,
        unchanged: c.unchanged,
        rejected: new Set(rej.map((r) => r.line)).size,
        lines: rows.length ? [rows[0]!.line, rows.at(-1)!.line] : [],
      });
    });

  const flush = async (): Promise<void> => {
    const rows = pending;
    const rej = rejects;
    const total = counts.total;
    const bytes = bytesRead;
    pending = [];
    rejects = [];
    try {
      await commitBatch(rows, rej, total, bytes);
    } catch (err) {
      totalAtFailure = total;
      throw err;
    }
    req.onProgress?.({ bytesRead: bytes, bytesTotal: req.bytesTotal, total, rejected: counts.rejected });
  };
  const startFlush = async (): Promise<void> => {
    await committing;
    committing = flush();
    committing.catch(() => {}); // awaited at the next cut or at the end
  };

  try {
    for await (const item of readFeed(req.input, req.format, {
      onProgress: (b) => {
        bytesRead = b;
      },
    })) {
      counts.total++;
      if (item.kind === 'bad') {
        for (const e of item.errors) rejects.push({ line: item.line, field: '(ligne)', reason: e });
      } else {
        const v = validateFeedRow(item.raw, { today: todayIso });
        if (!v.ok) {
          for (const e of v.errors) rejects.push({ line: item.line, field: e.field, reason: e.reason });
          const id = item.raw['identifiant']?.trim();
          if (id) listed.add(id);
        } else {
          const first = seen.get(v.record.identifier);
          const orgId = await resolveOrg(ctx, orgByCode, org.path, v.record.organizationCode);
          if (first !== undefined)
            rejects.push({
              line: item.line,
              field: 'identifiant',
              reason: `identifiant en double dans le fichier (déjà présent ligne ${first})`,
            });
          else if (!orgId) {
            rejects.push({
              line: item.line,
              field: 'organisation',
              reason: `organisation « ${v.record.organizationCode ?? ''} » inconnue ou hors du périmètre de l'import`,
            });
            listed.add(v.record.identifier);
          } else {
            seen.set(v.record.identifier, item.line);
            pending.push({
              line: item.line,
              record: v.record,
              organizationId: orgId,
              fingerprint: recordFingerprint(v.record) + orgId,
            });
          }
        }
      }
      if (pending.length + rejects.length >= batchRows) await startFlush();
    }
    await committing;
    // No empty last batch (and no audit record for nothing) when the file ends on a batch boundary.
    if (pending.length + rejects.length > 0) await flush();
    if (req.full)
      await deactivateMissing(ctx, actor, auth, runId, org.path, (id) => seen.has(id) || listed.has(id), counts);
  } catch (err) {
    await committing.catch(() => {}); // a batch still committing settles before the run is marked failed
    if (totalAtFailure !== null) counts.total = totalAtFailure;
    const refused = err instanceof FeedFormatError;
    const message = err instanceof Error ? err.message : String(err);
    await ctx.store.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('import_runs')
        .set({ ...counts, status: refused ? 'refused' : 'failed', message, finished_at: ctx.now().toISOString() })
        .where('id', '=', runId)
        .execute();
      await audit(ctx, trx, actor, auth, refused ? 'hrImport.refuse' : 'hrImport.fail', runId, { message });
    });
    if (refused) throw new AppError('invalid', message);
    throw err;
  }

  return ctx.store.db.transaction().execute(async (trx) => {
    const message = `${counts.total} ligne(s) lue(s) : ${counts.inserted} créé(s), ${counts.updated} modifié(s), ${counts.unchanged} inchangé(s), ${counts.rejected} ligne(s) rejetée(s), ${counts.deactivated} désactivé(s).`;
    await trx
      .updateTable('import_runs')
      .set({ ...counts, status: 'done', message, bytes_read: bytesRead, finished_at: ctx.now().toISOString() })
      .where('id', '=', runId)
      .execute();
    await audit(ctx, trx, actor, auth, 'hrImport.finish', runId, counts);
    if (actor.kind === 'person') {
      const me = await trx.selectFrom('agents').select('email').where('id', '=', actor.agentId).executeTakeFirst();
      if (me?.email) {
        await queueMail(ctx, trx, {
          to: me.email,
          subject: `Import du flux SIRH « ${req.fileName} » terminé`,
          text: `Bonjour,\n\nL'import du flux SIRH « ${req.fileName} » est terminé.\n${message}\n\nLe rapport détaillé des lignes rejetées est disponible dans le portail, rubrique « Import du flux SIRH ».\n\nCartes Agents`,
        });
      }
    }
    return trx.selectFrom('import_runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow();
  });
}

async function audit(
  ctx: AppContext,
  trx: Transaction<Database>,
  actor: Actor,
  auth: Authorization,
  action: string,
  runId: string,
  summary: unknown,
): Promise<void> {
  await appendAudit(trx, ctx.store, {
    at: ctx.now().toISOString(),
    actorId: auth.actorId,
    actorRole: auth.role,
    organizationId: auth.organizationId,
    action,
    outcome: 'ok',
    targetType: 'importRun',
    targetId: runId,
    requestId: actor.requestId,
    summary,
  });
}

async function resolveOrg(
  ctx: AppContext,
  cache: Map<string, string | null>,
  rootPath: string,
  code: string | null,
): Promise<string | null> {
  if (!code) return cache.values().next().value ?? null;
  if (cache.has(code)) return cache.get(code) ?? null;
  const row = await ctx.store.db
    .selectFrom('organizations')
    .select(['id', 'path'])
    .where('code', '=', code)
    .executeTakeFirst();
  const id = row && row.path.startsWith(rootPath) ? row.id : null;
  cache.set(code, id);
  return id;
}

async function applyBatch(
  ctx: AppContext,
  trx: Transaction<Database>,
  runId: string,
  rootPath: string,
  rows: PendingRow[],
) {
  const out = { inserted: 0, updated: 0, unchanged: 0, rejects: [] as Reject[] };
  if (rows.length === 0) return out;
  const existing = new Map<string, ExistingAgent>();
  for (let i = 0; i < rows.length; i += LOOKUP_CHUNK) {
    const ids = rows.slice(i, i + LOOKUP_CHUNK).map((r) => r.record.identifier);
    const found = await trx.executeQuery(existingAgentsQuery(ctx.store.dialect, ids));
    for (const f of found.rows) existing.set(f.identifier, f);
  }
  const now = ctx.now().toISOString();
  const inserts = [];
  for (const r of rows) {
    const e = existing.get(r.record.identifier);
    if (!e) {
      inserts.push({
        // Time-ordered ids (UUID v7): new rows land at the end of the primary-key index.
        id: timeOrderedId(),
        organization_id: r.organizationId,
        ...agentColumns(r.record),
        status: 'active',
        identity_verified: 1,
        directory_record: 0,
        has_photo: 0,
        source: 'hr_feed',
        feed_fingerprint: r.fingerprint,
        last_import_id: runId,
        created_at: now,
        updated_at: now,
      });
    } else if (!e.path.startsWith(rootPath)) {
      out.rejects.push({
        line: r.line,
        field: 'identifiant',
        reason: "cet identifiant appartient à un agent d'une autre organisation, hors du périmètre de l'import",
      });
    } else if (e.feed_fingerprint === r.fingerprint && e.status === 'active') {
      out.unchanged++;
    } else {
      await trx
        .updateTable('agents')
        .set({
          organization_id: r.organizationId,
          ...agentColumns(r.record),
          status: 'active',
          identity_verified: 1,
          feed_fingerprint: r.fingerprint,
          last_import_id: runId,
          updated_at: now,
        })
        .where('id', '=', e.id)
        .execute();
      await placeAgent(ctx, trx, e.id);
      out.updated++;
    }
  }
  await insertAgents(trx, ctx.store.dialect, inserts);
  out.inserted += inserts.length;
  return out;
}

type AgentInsert = Database['agents'];

interface ExistingAgent {
  id: string;
  identifier: string;
  organization_id: string;
  feed_fingerprint: string | null;
  status: string;
  path: string;
}

// The statements of a batch are written out once (fixed text per row count) rather than built by
// the query builder for each batch: at 2,000 rows a batch, building and compiling them cost as much
// as running them, and the fixed text lets the SQLite driver reuse its prepared statement.

/** Identifiers looked up per statement (SQLite: one bound variable each). */
const LOOKUP_CHUNK = 2048;
/** Rows per SQLite insert: 28 values × 500 rows stays under the 32,766 bound variables allowed. */
const SQLITE_INSERT_ROWS = 500;

const INSERT_COLUMNS = [
  'id',
  'organization_id',
  'identifier',
  'identifier_kind',
  'last_name',
  'first_names',
  'sex',
  'birth_date',
  'birth_place',
  'email',
  'phone',
  'unit_address',
  'staff_status',
  'category',
  'profile',
  'habilitations',
  'search_text',
  'sort_name',
  'status',
  'identity_verified',
  'directory_record',
  'has_photo',
  'source',
  'feed_fingerprint',
  'last_import_id',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof AgentInsert)[];
// Compile-time check: every column of the table is written.
const _everyColumn: [Exclude<keyof AgentInsert, (typeof INSERT_COLUMNS)[number]>] extends [never] ? true : never = true;
const PG_TYPES: Readonly<Record<string, string>> = {
  identity_verified: 'integer[]',
  directory_record: 'integer[]',
  has_photo: 'integer[]',
};

const LOOKUP_SELECT =
  'select a.id, a.identifier, a.organization_id, a.feed_fingerprint, a.status, o.path from agents as a inner join organizations as o on o.id = a.organization_id';
const sqliteLookupSql = new Map<number, string>();
const sqliteInsertSql = new Map<number, string>();
const PG_INSERT_SQL = `insert into agents (${INSERT_COLUMNS.join(', ')}) select * from unnest(${INSERT_COLUMNS.map((c, i) => `$${i + 1}::${PG_TYPES[c] ?? 'text[]'}`).join(', ')})`;

function cachedSql(cache: Map<number, string>, n: number, make: (n: number) => string): string {
  let text = cache.get(n);
  if (text === undefined) {
    text = make(n);
    cache.set(n, text);
  }
  return text;
}

function existingAgentsQuery(dialect: Dialect, ids: string[]): CompiledQuery<ExistingAgent> {
  if (dialect === 'postgres')
    return CompiledQuery.raw(`${LOOKUP_SELECT} where a.identifier = any($1::text[])`, [
      ids,
    ]) as CompiledQuery<ExistingAgent>;
  // Padded to a power of two (repeating an identifier changes nothing) so that few texts exist.
  let size = 16;
  while (size < ids.length) size *= 2;
  const padded = ids.concat(new Array<string>(size - ids.length).fill(ids[0]!));
  const text = cachedSql(
    sqliteLookupSql,
    size,
    (n) => `${LOOKUP_SELECT} where a.identifier in (${new Array<string>(n).fill('?').join(', ')})`,
  );
  return CompiledQuery.raw(text, padded) as CompiledQuery<ExistingAgent>;
}

async function insertAgents(trx: Transaction<Database>, dialect: Dialect, rows: AgentInsert[]): Promise<void> {
  if (rows.length === 0) return;
  if (dialect === 'sqlite') {
    // The rowid puts each agent in name order (agent-search.ts nameSortText).
    const rowids = await allocateRowids(
      trx,
      rows.map((r) => ({ sortName: r.sort_name ?? '', id: r.id })),
    );
    const row = `(${new Array<string>(INSERT_COLUMNS.length + 1).fill('?').join(', ')})`;
    // Full chunks of SQLITE_INSERT_ROWS rows, then the rest in power-of-two chunks: few texts exist.
    for (let i = 0; i < rows.length;) {
      let n = SQLITE_INSERT_ROWS;
      if (rows.length - i < n) for (n = 1; n * 2 <= rows.length - i; n *= 2);
      const chunk = rows.slice(i, i + n);
      const params: unknown[] = [];
      for (let j = 0; j < chunk.length; j++) {
        params.push(rowids[i + j]);
        for (const c of INSERT_COLUMNS) params.push(chunk[j]![c]);
      }
      i += n;
      const text = cachedSql(
        sqliteInsertSql,
        n,
        (k) =>
          `insert into agents (rowid, ${INSERT_COLUMNS.join(', ')}) values ${new Array<string>(k).fill(row).join(', ')}`,
      );
      await trx.executeQuery(CompiledQuery.raw(text, params));
    }
    return;
  }
  // PostgreSQL: one statement per batch with one array parameter per column (unnest) is several
  // times faster than multi-row VALUES, whose parse cost grows with the row count.
  await trx.executeQuery(
    CompiledQuery.raw(
      PG_INSERT_SQL,
      INSERT_COLUMNS.map((c) => rows.map((r) => r[c])),
    ),
  );
}

async function deactivateMissing(
  ctx: AppContext,
  actor: Actor,
  auth: Authorization,
  runId: string,
  rootPath: string,
  inFile: (identifier: string) => boolean,
  counts: Counts,
): Promise<void> {
  // Only agents that came from the feed are deactivated; those created by hand are left alone.
  const active = await ctx.store.db
    .selectFrom('agents as a')
    .innerJoin('organizations as o', 'o.id', 'a.organization_id')
    .select(['a.id', 'a.identifier'])
    .where('o.path', 'like', `${rootPath}%`)
    .where('a.status', '=', 'active')
    .where('a.source', '=', 'hr_feed')
    .execute();
  const missing = active.filter((a) => !inFile(a.identifier)).map((a) => a.id);
  for (let i = 0; i < missing.length; i += 500) {
    const chunk = missing.slice(i, i + 500);
    await ctx.store.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('agents')
        .set({ status: 'inactive', updated_at: ctx.now().toISOString(), last_import_id: runId })
        .where('id', 'in', chunk)
        .execute();
      counts.deactivated += chunk.length;
      await trx.updateTable('import_runs').set({ deactivated: counts.deactivated }).where('id', '=', runId).execute();
      await audit(ctx, trx, actor, auth, 'hrImport.deactivate', runId, { deactivated: chunk });
    });
  }
}

export function importRunView(r: ImportRunTable, organizationName: string) {
  return {
    id: r.id,
    organizationId: r.organization_id,
    organizationName,
    fileName: r.file_name,
    format: r.format,
    fullMode: r.full_mode === 1,
    status: r.status as 'running' | 'done' | 'refused' | 'failed',
    total: r.total,
    inserted: r.inserted,
    updated: r.updated,
    unchanged: r.unchanged,
    rejected: r.rejected,
    deactivated: r.deactivated,
    bytesTotal: r.bytes_total,
    bytesRead: r.bytes_read,
    message: r.message,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}
