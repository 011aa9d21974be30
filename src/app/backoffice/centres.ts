import type { OrganizationTable } from '../../store/schema.ts';
import { appendAuditBatch } from '../../store/audit.ts';
import { checkOrganization, childPath } from '../../domain/organization.ts';
import { authorize } from '../access/authorize.ts';
import { auditEntry } from '../audit-trail.ts';
import { AppError, invalid, notFound } from '../errors.ts';
import type { Actor, AppContext } from '../context.ts';
import {
  loadCentre,
  OFFICE_FUNCTIONS,
  readableCentreIds,
  requireCentreReader,
  type CentreFacts,
  type OfficeFunction,
} from './access.ts';

// A processing centre is created by the national administrator with its offices, in one
// transaction: the centre and each office are organisations (kinds « centre » and « office ») so
// that roles are granted on them like anywhere else in the directory.

export interface OfficeInput {
  code: string;
  name: string;
  function: string;
  email?: string | null;
}

export interface CentreInput {
  code: string;
  name: string;
  parentId: string;
  servesOrganizationId: string;
  addressLine?: string | null;
  postalCode?: string | null;
  city?: string | null;
  offices: OfficeInput[];
}

const OFFICE_CODE = /^[A-Z][A-Z0-9_-]{0,15}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function checkOffices(offices: OfficeInput[]): { field: string; reason: string }[] {
  const errors: { field: string; reason: string }[] = [];
  const seen = new Set<string>();
  offices.forEach((o, i) => {
    if (!OFFICE_CODE.test(o.code ?? ''))
      errors.push({ field: `offices[${i}].code`, reason: 'Code : majuscules, chiffres, tirets (16 au plus).' });
    else if (seen.has(o.code)) errors.push({ field: `offices[${i}].code`, reason: 'Code en double.' });
    seen.add(o.code);
    if (!o.name?.trim() || o.name.length > 200)
      errors.push({ field: `offices[${i}].name`, reason: 'Nom obligatoire.' });
    if (!(o.function in OFFICE_FUNCTIONS))
      errors.push({ field: `offices[${i}].function`, reason: 'liaison, processing ou methods.' });
    if (o.email && !EMAIL.test(o.email)) errors.push({ field: `offices[${i}].email`, reason: 'Adresse invalide.' });
  });
  if (!offices.some((o) => o.function === 'liaison'))
    errors.push({ field: 'offices', reason: 'Un centre a un bureau de liaison.' });
  if (!offices.some((o) => o.function === 'processing'))
    errors.push({ field: 'offices', reason: 'Un centre a au moins un bureau de traitement.' });
  return errors;
}

export async function createCentre(ctx: AppContext, actor: Actor, input: CentreInput) {
  const errors = [
    ...checkOrganization({ code: input.code, kind: 'centre', name: input.name ?? '' }),
    ...checkOffices(input.offices ?? []),
  ];
  if (errors.length) throw invalid('Le centre de traitement n’est pas valide.', errors);
  const db = ctx.store.db;
  const parent = await db.selectFrom('organizations').selectAll().where('id', '=', input.parentId).executeTakeFirst();
  if (!parent) throw notFound('Organisation de rattachement introuvable.');
  const served = await db
    .selectFrom('organizations')
    .select('id')
    .where('id', '=', input.servesOrganizationId)
    .executeTakeFirst();
  if (!served) throw notFound('Organisation desservie introuvable.');
  const auth = await authorize(ctx, actor, 'centre.write', parent.id, { type: 'organization', id: parent.id });
  const codes = [input.code, ...input.offices.map((o) => `${input.code}-${o.code}`)];
  const clash = await db.selectFrom('organizations').select('code').where('code', 'in', codes).executeTakeFirst();
  if (clash) throw new AppError('conflict', `Le code « ${clash.code} » est déjà utilisé.`);
  const now = ctx.now().toISOString();
  const id = ctx.newId();
  const org = (oid: string, code: string, kind: string, name: string, parentRow: { id: string; path: string }) =>
    ({
      id: oid,
      code,
      kind,
      name: name.trim(),
      parent_id: parentRow.id,
      registration_authority_id: null,
      path: childPath(parentRow.path, oid),
      insee_code: null,
      siren: null,
      address_line: input.addressLine ?? null,
      postal_code: input.postalCode ?? null,
      city: input.city ?? null,
      status: 'active',
      trusted_roles_suspended: 0,
      created_at: now,
      updated_at: now,
    }) satisfies OrganizationTable;
  await db.transaction().execute(async (trx) => {
    const centreRow = org(id, input.code, 'centre', input.name, parent);
    await trx.insertInto('organizations').values(centreRow).execute();
    await trx
      .insertInto('backoffice_centres')
      .values({ organization_id: id, serves_organization_id: served.id, created_at: now })
      .execute();
    for (const o of input.offices) {
      const oid = ctx.newId();
      await trx
        .insertInto('organizations')
        .values(org(oid, `${input.code}-${o.code}`, 'office', o.name, centreRow))
        .execute();
      await trx
        .insertInto('backoffice_offices')
        .values({
          organization_id: oid,
          centre_id: id,
          code: o.code,
          function: o.function,
          email: o.email ?? null,
          created_at: now,
        })
        .execute();
    }
    await appendAuditBatch(trx, ctx.store, [
      auditEntry(ctx, actor, { ...auth, organizationId: id }, 'centre.create', {
        targetType: 'organization',
        targetId: id,
        summary: {
          after: {
            code: input.code,
            name: input.name,
            serves: served.id,
            offices: input.offices.map((o) => ({ code: o.code, function: o.function })),
          },
        },
      }),
    ]);
  });
  return centreView(await loadCentre(db, id));
}

export function centreView(c: CentreFacts) {
  return {
    id: c.id,
    code: c.code,
    name: c.name,
    servesOrganizationId: c.servesId,
    address: [c.addressLine, [c.postalCode, c.city].filter(Boolean).join(' ')].filter(Boolean).join(', ') || null,
    offices: c.offices.map((o) => ({
      id: o.id,
      code: o.code,
      name: o.name,
      function: o.function,
      functionLabel: OFFICE_FUNCTIONS[o.function as OfficeFunction],
      email: o.email,
    })),
  };
}

/** The centres the actor works in or oversees. */
export async function listCentres(ctx: AppContext, actor: Actor) {
  const ids = await readableCentreIds(ctx, actor);
  let q = ctx.store.db.selectFrom('backoffice_centres').select('organization_id');
  if (ids !== null) q = q.where('organization_id', 'in', ids.length ? ids : ['-']);
  const rows = await q.execute();
  const centres = [];
  for (const r of rows) centres.push(centreView(await loadCentre(ctx.store.db, r.organization_id)));
  centres.sort((a, b) => a.name.localeCompare(b.name, 'fr'));
  return { items: centres };
}

export async function getCentre(ctx: AppContext, actor: Actor, id: string) {
  const centre = await loadCentre(ctx.store.db, id);
  await requireCentreReader(ctx, actor, 'caseFile.read', centre, { type: 'organization', id });
  return centreView(centre);
}

/** The centre that follows the card files of an organisation: the nearest one serving an ancestor. */
export async function centreServing(
  db: CentreDb,
  orgPath: string,
): Promise<{ centreId: string; servesPath: string } | null> {
  const rows = await db
    .selectFrom('backoffice_centres as c')
    .innerJoin('organizations as s', 's.id', 'c.serves_organization_id')
    .select(['c.organization_id as centreId', 's.path as servesPath'])
    .execute();
  let best: { centreId: string; servesPath: string } | null = null;
  for (const r of rows)
    if (orgPath.startsWith(r.servesPath) && (!best || r.servesPath.length > best.servesPath.length)) best = r;
  return best;
}

type CentreDb = Parameters<typeof loadCentre>[0];

/** The units a centre administers (sending units and delegating authorities offered at the intake desk). */
export async function centreUnits(ctx: AppContext, actor: Actor, id: string) {
  const centre = await loadCentre(ctx.store.db, id);
  await requireCentreReader(ctx, actor, 'caseFile.read', centre, { type: 'organization', id });
  const rows = await ctx.store.db
    .selectFrom('organizations')
    .select(['id', 'code', 'name', 'kind'])
    .where('path', 'like', `${centre.servesPath}%`)
    .where('kind', 'in', ['unit', 'directorate', 'ministry'])
    .where('status', '=', 'active')
    .orderBy('name')
    .limit(2000)
    .execute();
  return { items: rows.map((r) => ({ id: r.id, code: r.code, name: r.name })) };
}
