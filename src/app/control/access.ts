import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../store/schema.ts';
import type { Permission } from '../../domain/roles.ts';
import { authorize, type Authorization } from '../access/authorize.ts';
import { AppError, notFound } from '../errors.ts';
import { refuseAudited } from '../refusals.ts';
import type { Actor, AppContext } from '../context.ts';
import { loadCentre, readsCentre, type CentreFacts, type OfficeFacts } from '../backoffice/access.ts';

// Who may do what in the internal control of a centre (seed 003 §4). The « organisation et
// méthodes » office (BOM) holds the control: its controllers (or the national internal controller
// above the centre) are authorized on that office; its head is an office head granted there. The
// head of centre sets the plans and gives the last visa; the head of the office concerned records
// the follow-up. Nobody controls their own work or a file about themselves.

type Db = Kysely<Database> | Transaction<Database>;

export function methodsOffice(centre: CentreFacts): OfficeFacts {
  const o = centre.offices.find((x) => x.function === 'methods');
  if (!o)
    throw new AppError('conflict', `Le centre « ${centre.name} » n'a pas de bureau « organisation et méthodes ».`);
  return o;
}

/** The stamp of the BOM written on every file it controls (§4.3.2). */
export function controlStamp(centre: CentreFacts): string {
  return `${centre.code} — ${methodsOffice(centre).name}`;
}

/** Authorizes `permission` on the BOM of the centre (controllers, the BOM's head). */
export function authorizeOnBom(
  ctx: AppContext,
  actor: Actor,
  permission: Permission,
  centre: CentreFacts,
  target: { type: string; id: string },
): Promise<Authorization> {
  return authorize(ctx, actor, permission, methodsOffice(centre).id, target);
}

/** Reading the control of a centre: its head, office heads, the BOM, national control and audit. */
export async function requireControlReader(
  ctx: AppContext,
  actor: Actor,
  centre: CentreFacts,
  target: { type: string; id: string },
): Promise<void> {
  if (readsCentre(actor, 'control.read', centre)) return;
  await refuseAudited(
    ctx,
    actor,
    'control.read',
    centre.id,
    target,
    "Le contrôle interne de ce centre n'est pas dans votre périmètre.",
  );
}

export const OWN_CONTROL =
  'Nul ne contrôle son propre travail ni un dossier qui le concerne : un autre contrôleur doit le faire.';

/** Refuses (audited) a control by whoever worked on the file or is its subject. */
export async function refuseOwnWork(
  ctx: AppContext,
  actor: Actor,
  action: string,
  file: {
    id: string;
    centre_id: string;
    agent_id: string | null;
    taken_by: string | null;
    processed_by: string | null;
    self_checked_by: string | null;
  },
): Promise<void> {
  if (actor.kind !== 'person') return;
  const me = actor.agentId;
  if ([file.agent_id, file.taken_by, file.processed_by, file.self_checked_by].includes(me))
    await refuseAudited(ctx, actor, action, file.centre_id, { type: 'caseFile', id: file.id }, OWN_CONTROL);
}

export async function centreOf(db: Db, centreId: string): Promise<CentreFacts> {
  return loadCentre(db, centreId);
}

export { agentNames } from '../directory/agents.ts';

export function nameIn(map: Map<string, string>, id: string | null): string | null {
  if (!id) return null;
  if (id.startsWith('system:')) return 'Plateforme';
  return map.get(id) ?? id;
}

export function requireFound<T>(row: T | undefined, message: string): T {
  if (!row) throw notFound(message);
  return row;
}
