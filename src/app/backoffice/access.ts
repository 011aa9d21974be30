import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { CENTRE_ROLES, roleGrants, type Permission, type Role } from '../../domain/roles.ts';
import { isWithin } from '../../domain/organization.ts';
import { authorize, type Authorization } from '../access/authorize.ts';
import { refuseAudited } from '../refusals.ts';
import { AppError, notFound } from '../errors.ts';
import type { Actor, AppContext } from '../context.ts';

// Who may do what in a processing centre. A centre is an organisation (kind « centre ») whose
// offices are its child organisations (kind « office »): a role granted on the centre covers all its
// offices, a role granted on an office covers that office only. Status is visible to the whole
// centre (« connaître la situation de chaque dossier », §2.2); documents only to those who need to
// know them (§2.3); units see the files they sent.

type Db = Kysely<Database> | Transaction<Database>;

export const OFFICE_FUNCTIONS = {
  liaison: 'Bureau de liaison',
  processing: 'Bureau de traitement',
  methods: 'Bureau « organisation et méthodes »',
} as const;
export type OfficeFunction = keyof typeof OFFICE_FUNCTIONS;

export interface OfficeFacts {
  id: string;
  code: string;
  name: string;
  function: OfficeFunction;
  email: string | null;
}

export interface CentreFacts {
  id: string;
  code: string;
  name: string;
  path: string;
  addressLine: string | null;
  postalCode: string | null;
  city: string | null;
  servesId: string;
  servesPath: string;
  offices: OfficeFacts[];
}

/** Roles that see a whole centre from above it (national administration, internal control, audit). */
const NATIONAL_READERS: readonly Role[] = ['admin', 'controller', 'auditor'];
/** Roles that see the files their organisations sent. */
const SENDER_READERS: readonly Role[] = ['operator', 'registration_authority'];
/** Roles that may open a file's documents (need to know): the centre's staff by office, control, audit. */
const DOCUMENT_READERS: readonly Role[] = [...CENTRE_ROLES, 'controller', 'auditor'];

export async function loadCentre(db: Db, centreId: string): Promise<CentreFacts> {
  const row = await db
    .selectFrom('backoffice_centres as c')
    .innerJoin('organizations as o', 'o.id', 'c.organization_id')
    .innerJoin('organizations as s', 's.id', 'c.serves_organization_id')
    .select([
      'o.id',
      'o.code',
      'o.name',
      'o.path',
      'o.address_line',
      'o.postal_code',
      'o.city',
      's.id as serves_id',
      's.path as serves_path',
    ])
    .where('c.organization_id', '=', centreId)
    .executeTakeFirst();
  if (!row) throw notFound('Centre de traitement introuvable.');
  const offices = await db
    .selectFrom('backoffice_offices as b')
    .innerJoin('organizations as o', 'o.id', 'b.organization_id')
    .select(['o.id', 'b.code', 'o.name', 'b.function', 'b.email'])
    .where('b.centre_id', '=', centreId)
    .orderBy('b.code')
    .execute();
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    path: row.path,
    addressLine: row.address_line,
    postalCode: row.postal_code,
    city: row.city,
    servesId: row.serves_id,
    servesPath: row.serves_path,
    offices: offices.map((o) => ({ ...o, function: o.function as OfficeFunction })),
  };
}

export function liaisonOffice(centre: CentreFacts): OfficeFacts {
  const o = centre.offices.find((x) => x.function === 'liaison');
  if (!o) throw new AppError('conflict', `Le centre « ${centre.name} » n'a pas de bureau de liaison.`);
  return o;
}

export function officeOf(centre: CentreFacts, officeId: string | null): OfficeFacts | null {
  return officeId ? (centre.offices.find((o) => o.id === officeId) ?? null) : null;
}

/** Authorizes an act of `permission` in `office` (or the whole centre): the grant must cover it. */
export function authorizeIn(
  ctx: AppContext,
  actor: Actor,
  permission: Permission,
  centre: CentreFacts,
  office: OfficeFacts | null,
  target: { type: string; id: string },
): Promise<Authorization> {
  return authorize(ctx, actor, permission, office?.id ?? centre.id, target);
}

function grantInCentre(centre: CentreFacts, orgId: string): boolean {
  return orgId === centre.id || centre.offices.some((o) => o.id === orgId);
}

/** May the actor read this centre's files and reports with `permission`? */
export function readsCentre(actor: Actor, permission: Permission, centre: CentreFacts): boolean {
  if (actor.kind === 'system') return true;
  if (actor.kind !== 'person') return false;
  return actor.grants.some(
    (g) =>
      roleGrants(g.role, permission) &&
      ((CENTRE_ROLES.includes(g.role) && grantInCentre(centre, g.organizationId)) ||
        (NATIONAL_READERS.includes(g.role) && isWithin(centre.path, g.organizationId))),
  );
}

/** Like readsCentre, but refuses (audited) when not. */
export async function requireCentreReader(
  ctx: AppContext,
  actor: Actor,
  permission: Permission,
  centre: CentreFacts,
  target: { type: string; id: string },
): Promise<void> {
  if (readsCentre(actor, permission, centre)) return;
  await refuseAudited(
    ctx,
    actor,
    permission,
    centre.id,
    target,
    "Ce centre de traitement n'est pas dans votre périmètre.",
  );
}

/** Organisations whose sent files the actor sees as a sending unit (operators, registration authorities). */
export function senderRoots(actor: Actor): string[] {
  if (actor.kind !== 'person') return [];
  return actor.grants
    .filter((g) => SENDER_READERS.includes(g.role) && roleGrants(g.role, 'caseFile.read'))
    .map((g) => g.organizationId);
}

/** Centres whose files the actor sees (staff, national readers). */
export async function readableCentreIds(ctx: AppContext, actor: Actor): Promise<string[] | null> {
  if (actor.kind === 'system') return null;
  if (actor.kind !== 'person') return [];
  const centres = await ctx.store.db
    .selectFrom('backoffice_centres as c')
    .innerJoin('organizations as o', 'o.id', 'c.organization_id')
    .select(['c.organization_id as id', 'o.path'])
    .execute();
  const offices = await ctx.store.db
    .selectFrom('backoffice_offices')
    .select(['organization_id', 'centre_id'])
    .execute();
  const out = new Set<string>();
  for (const g of actor.grants) {
    if (!roleGrants(g.role, 'caseFile.read')) continue;
    if (CENTRE_ROLES.includes(g.role)) {
      if (centres.some((c) => c.id === g.organizationId)) out.add(g.organizationId);
      const office = offices.find((o) => o.organization_id === g.organizationId);
      if (office) out.add(office.centre_id);
    } else if (NATIONAL_READERS.includes(g.role)) {
      for (const c of centres) if (isWithin(c.path, g.organizationId)) out.add(c.id);
    }
  }
  return [...out];
}

export interface FileScope {
  centre_id: string;
  office_id: string | null;
  processed_office_id: string | null;
  sending_path: string;
}

/** Reading a file: the centre's staff and national readers, or the unit that sent it. */
export function readsFile(actor: Actor, centre: CentreFacts, file: FileScope): boolean {
  if (readsCentre(actor, 'caseFile.read', centre)) return true;
  return senderRoots(actor).some((r) => isWithin(file.sending_path, r));
}

/** Opening a file's documents: the liaison office, the centre's head and BOM, the office that holds or processed it, control and audit. */
export function readsDocuments(actor: Actor, centre: CentreFacts, file: FileScope): boolean {
  if (actor.kind === 'system') return true;
  if (actor.kind !== 'person') return false;
  const fileOffices = [file.office_id, file.processed_office_id].filter(Boolean) as string[];
  return actor.grants.some((g) => {
    if (!DOCUMENT_READERS.includes(g.role)) return false;
    if (g.role === 'controller' || g.role === 'auditor') return isWithin(centre.path, g.organizationId);
    if (!grantInCentre(centre, g.organizationId)) return false;
    if (g.role === 'processing_agent' || g.role === 'office_head')
      return g.organizationId === centre.id || fileOffices.includes(g.organizationId);
    if (g.role === 'liaison_agent')
      return (
        g.organizationId === centre.id || centre.offices.find((o) => o.id === g.organizationId)?.function === 'liaison'
      );
    if (g.role === 'bom_controller')
      return (
        g.organizationId === centre.id || centre.offices.find((o) => o.id === g.organizationId)?.function === 'methods'
      );
    return g.role === 'centre_head';
  });
}

export const OWN_FILE = 'Personne ne traite un dossier qui le concerne : un autre agent du centre doit le faire.';
export const OWN_WORK = 'Nul ne contrôle son propre travail : l’auto-contrôle revient à un autre chef de bureau.';

/** Refuses (audited) an act on a file about the actor themselves. */
export async function refuseOwnFile(
  ctx: AppContext,
  actor: Actor,
  action: string,
  file: { id: string; agent_id: string | null; centre_id: string },
): Promise<void> {
  if (actor.kind === 'person' && file.agent_id && file.agent_id === actor.agentId)
    await refuseAudited(ctx, actor, action, file.centre_id, { type: 'caseFile', id: file.id }, OWN_FILE);
}
