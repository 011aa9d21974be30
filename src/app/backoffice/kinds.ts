import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Kysely, Transaction } from 'kysely';
import type { CaseFileKindTable, Database } from '../../store/schema.ts';
import { appendAudit } from '../../store/audit.ts';
import { canonicalJson } from '../../domain/action-signature.ts';
import {
  CASE_FAMILY_LABELS,
  checkKindDefinition,
  normalizeKind,
  parseKindsFile,
  type CaseKindDefinition,
} from '../../domain/case-kinds.ts';
import { authorize } from '../access/authorize.ts';
import { auditEntry } from '../audit-trail.ts';
import { AppError, invalid, notFound } from '../errors.ts';
import type { Actor, AppContext } from '../context.ts';

// Kinds of case files are configuration: a JSON file read at start (CARTES_CASE_KINDS, default
// config/case-file-kinds.json) fills the table; the national administrator edits a kind in the
// portal, and an edited kind is kept as edited when the file changes later (source « admin »).

export const DEFAULT_KINDS_FILE = fileURLToPath(new URL('../../../config/case-file-kinds.json', import.meta.url));

type Db = Kysely<Database> | Transaction<Database>;

function hashOf(def: CaseKindDefinition): string {
  return createHash('sha256').update(canonicalJson(def)).digest('hex');
}

export class KindsFileError extends Error {}

/** Reads and checks a kinds file; throws a French error naming the faulty fields. */
export function readKindsFile(path: string): CaseKindDefinition[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new KindsFileError(`Fichier des types de dossiers illisible (${path}) : ${(err as Error).message}`);
  }
  const { kinds, errors } = parseKindsFile(json);
  if (errors.length)
    throw new KindsFileError(
      `Fichier des types de dossiers invalide (${path}) : ${errors
        .slice(0, 5)
        .map((e) => `${e.field} : ${e.reason}`)
        .join(' ; ')}`,
    );
  return kinds;
}

/** Loads the kinds file into the table: new kinds inserted, changed ones updated unless edited by the administrator. */
export async function loadKindsFile(
  ctx: AppContext,
  path: string = DEFAULT_KINDS_FILE,
): Promise<{ created: number; updated: number; kept: number }> {
  const kinds = readKindsFile(path);
  const counts = { created: 0, updated: 0, kept: 0 };
  const now = ctx.now().toISOString();
  await ctx.store.db.transaction().execute(async (trx) => {
    const existing = new Map((await trx.selectFrom('case_file_kinds').selectAll().execute()).map((k) => [k.code, k]));
    const changed: string[] = [];
    for (const def of kinds) {
      const hash = hashOf(def);
      const row = existing.get(def.code);
      if (row && (row.source === 'admin' || row.file_hash === hash)) {
        counts.kept++;
        continue;
      }
      if (row) {
        await trx
          .updateTable('case_file_kinds')
          .set({
            family: def.family,
            label: def.label,
            definition: JSON.stringify(def),
            file_hash: hash,
            version: row.version + 1,
            updated_by: 'system:kinds-file',
            updated_at: now,
          })
          .where('code', '=', def.code)
          .execute();
        counts.updated++;
      } else {
        await trx
          .insertInto('case_file_kinds')
          .values({
            code: def.code,
            family: def.family,
            label: def.label,
            definition: JSON.stringify(def),
            source: 'file',
            file_hash: hash,
            version: 1,
            updated_by: 'system:kinds-file',
            updated_at: now,
          })
          .execute();
        counts.created++;
      }
      changed.push(def.code);
    }
    if (changed.length)
      await appendAudit(trx, ctx.store, {
        at: now,
        actorId: 'system:kinds-file',
        actorRole: 'system',
        organizationId: null,
        action: 'caseKind.load',
        outcome: 'ok',
        targetType: 'caseKind',
        targetId: changed.join(','),
        summary: { file: path, created: counts.created, updated: counts.updated },
      });
  });
  return counts;
}

export function kindDefinition(row: Pick<CaseFileKindTable, 'definition'>): CaseKindDefinition {
  return JSON.parse(row.definition) as CaseKindDefinition;
}

export async function loadKind(db: Db, code: string): Promise<CaseKindDefinition | null> {
  const row = await db.selectFrom('case_file_kinds').select('definition').where('code', '=', code).executeTakeFirst();
  return row ? kindDefinition(row) : null;
}

/** Every kind, for the files of a query (one read per query, not per file). */
export async function kindMap(db: Db): Promise<Map<string, CaseKindDefinition>> {
  const rows = await db.selectFrom('case_file_kinds').select(['code', 'definition']).execute();
  return new Map(rows.map((r) => [r.code, kindDefinition(r)]));
}

function kindView(row: CaseFileKindTable) {
  const def = kindDefinition(row);
  return {
    ...def,
    familyLabel: CASE_FAMILY_LABELS[def.family],
    source: row.source,
    version: row.version,
    updatedAt: row.updated_at,
  };
}

/** Reference data every signed-in person may read (labels of the files they see). */
export async function listKinds(ctx: AppContext, actor: Actor) {
  if (actor.kind !== 'system' && actor.kind !== 'person') throw new AppError('forbidden', 'Accès réservé.');
  const rows = await ctx.store.db.selectFrom('case_file_kinds').selectAll().orderBy('family').orderBy('code').execute();
  return { items: rows.map(kindView) };
}

/** The national administrator edits a kind (pieces, checks, offices, routing, target time). */
export async function updateKind(ctx: AppContext, actor: Actor, code: string, input: unknown) {
  const row = await ctx.store.db.selectFrom('case_file_kinds').selectAll().where('code', '=', code).executeTakeFirst();
  if (!row) throw notFound('Type de dossier introuvable.');
  const auth = await authorize(ctx, actor, 'caseKind.write', null, { type: 'caseKind', id: code });
  const problems = checkKindDefinition(input);
  if (problems.length) throw invalid('La définition du type de dossier est invalide.', problems);
  const def = normalizeKind(input as CaseKindDefinition);
  if (def.code !== code)
    throw invalid('Le code d’un type ne change pas.', [{ field: 'code', reason: `Code attendu : ${code}.` }]);
  if (def.family !== row.family)
    throw invalid('La famille d’un type ne change pas.', [
      { field: 'family', reason: `Famille attendue : ${row.family}.` },
    ]);
  const now = ctx.now().toISOString();
  await ctx.store.db.transaction().execute(async (trx) => {
    const done = await trx
      .updateTable('case_file_kinds')
      .set({
        label: def.label,
        definition: JSON.stringify(def),
        source: 'admin',
        version: row.version + 1,
        updated_by: auth.actorId,
        updated_at: now,
      })
      .where('code', '=', code)
      .where('version', '=', row.version)
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) !== 1)
      throw new AppError('conflict', 'Ce type vient d’être modifié par ailleurs : rechargez-le.');
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'caseKind.update', {
        targetType: 'caseKind',
        targetId: code,
        summary: {
          before: { version: row.version, definition: JSON.parse(row.definition) },
          after: { version: row.version + 1, definition: def },
        },
      }),
    );
  });
  return kindView(
    await ctx.store.db.selectFrom('case_file_kinds').selectAll().where('code', '=', code).executeTakeFirstOrThrow(),
  );
}
