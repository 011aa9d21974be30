// Each user's to-do (home page, GET /api/tasks): what waits for this person, with counts and links.
// Cheap queries only: each count reads an index range bounded by COUNT_CAP (cards by operator
// organisation and state, requests and batches by organisation and state, case files by office and
// status), the red indicators from the alerts of the month; nothing scans a big table.
import { sql } from 'kysely';
import { CENTRE_ROLES, roleGrants, type Permission } from '../../domain/roles.ts';
import { scopeRoots } from '../access/authorize.ts';
import { boundedCount } from '../paging.ts';
import { inOrganizations, scopeOrganizations } from '../scope.ts';
import type { Actor, AppContext } from '../context.ts';
import { readableCentreIds } from '../backoffice/access.ts';
import { sheetsAwaitingMe } from '../control/sheets.ts';

export interface Task {
  key: string;
  label: string;
  /** null: the count is not available yet (a slot for a later feature). */
  count: number | null;
  exact: boolean;
  href: string | null;
  /** Something late or past a threshold: shown as a warning. */
  urgent: boolean;
}

export interface Tasks {
  /** A holder who has not yet defined the personal code and secret questions is led to do it first. */
  holderSetup: { href: string } | null;
  items: Task[];
}

function may(actor: Actor, permission: Permission): boolean {
  if (actor.kind !== 'person') return false;
  return actor.grants.some((g) => roleGrants(g.role, permission));
}

const HOURS_48 = 48 * 3_600_000;

export async function userTasks(ctx: AppContext, actor: Actor): Promise<Tasks> {
  const db = ctx.store.db;
  const out: Tasks = { holderSetup: null, items: [] };
  if (actor.kind !== 'person') return out;
  const add = (t: Omit<Task, 'exact' | 'urgent'> & { exact?: boolean; urgent?: boolean }) =>
    out.items.push({ exact: true, urgent: false, ...t });

  // The card officer's desk: cards shipped to receive, received to hand over (late beyond 48 hours),
  // activations waiting for the paraphe.
  if (may(actor, 'card.operate')) {
    const orgs = await scopeOrganizations(ctx, await scopeRoots(ctx, actor, 'card.operate'));
    const cards = (state: string) =>
      db
        .selectFrom('cards')
        .select('id')
        .where(inOrganizations(ctx, orgs, 'operator_organization_id'))
        .where('state', '=', state);
    const toReceive = await boundedCount(db, cards('shipped'));
    add({
      key: 'cardsToReceive',
      label: 'Cartes à réceptionner',
      count: toReceive.n,
      exact: toReceive.exact,
      href: '/supports?etat=shipped',
    });
    const toHand = await boundedCount(db, cards('received'));
    add({
      key: 'cardsToHandOver',
      label: 'Cartes à remettre',
      count: toHand.n,
      exact: toHand.exact,
      href: '/supports/a-remettre',
    });
    const cutoff = new Date(ctx.now().getTime() - HOURS_48).toISOString();
    const late = await boundedCount(db, cards('received').where('received_at', '<', cutoff));
    add({
      key: 'cardsWaitingOver48h',
      label: 'Cartes en attente de remise depuis plus de 48 heures',
      count: late.n,
      exact: late.exact,
      href: '/supports/a-remettre',
      urgent: late.n > 0,
    });
    const toFinalize = await boundedCount(db, cards('activated'));
    add({
      key: 'activationsToFinalize',
      label: 'Activations à finaliser (paraphe)',
      count: toFinalize.n,
      exact: toFinalize.exact,
      href: '/finalisation',
    });
  }
  if (may(actor, 'cardRequest.write')) {
    const orgs = await scopeOrganizations(ctx, await scopeRoots(ctx, actor, 'cardRequest.write'));
    const c = await boundedCount(
      db,
      db
        .selectFrom('card_requests')
        .select('id')
        .where(inOrganizations(ctx, orgs, 'organization_id'))
        .where('state', '=', 'complete'),
    );
    add({
      key: 'requestsToSign',
      label: 'Demandes à signer',
      count: c.n,
      exact: c.exact,
      href: '/demandes?etat=complete',
    });
  }
  if (may(actor, 'batch.validate')) {
    const orgs = await scopeOrganizations(ctx, await scopeRoots(ctx, actor, 'batch.validate'));
    const c = await boundedCount(
      db,
      db
        .selectFrom('request_batches')
        .select('id')
        .where(inOrganizations(ctx, orgs, 'organization_id'))
        .where('state', '=', 'open'),
    );
    add({ key: 'batchesToValidate', label: 'Lots à valider', count: c.n, exact: c.exact, href: '/lots/validation' });
  }

  // The processing centre: files to register (liaison office), to take in my offices' queues, to self-check.
  const centreGrants = actor.grants.filter((g) => CENTRE_ROLES.includes(g.role));
  if (centreGrants.length) {
    const centreIds = centreGrants.map((g) => g.organizationId);
    const offices = await db
      .selectFrom('backoffice_offices')
      .select(['organization_id', 'centre_id', 'code', 'function'])
      .where((eb) => eb.or([eb('centre_id', 'in', centreIds), eb('organization_id', 'in', centreIds)]))
      .execute();
    const officesFor = (permission: Permission, fn?: string) => {
      const ids = new Set<string>();
      for (const g of centreGrants) {
        if (!roleGrants(g.role, permission)) continue;
        for (const o of offices)
          if (
            (o.organization_id === g.organizationId || o.centre_id === g.organizationId) &&
            (!fn || o.function === fn)
          )
            ids.add(o.organization_id);
      }
      return [...ids];
    };
    const centresFor = (permission: Permission) => {
      const ids = new Set<string>();
      for (const g of centreGrants) {
        if (!roleGrants(g.role, permission)) continue;
        const o = offices.find((x) => x.organization_id === g.organizationId);
        ids.add(o ? o.centre_id : g.organizationId);
      }
      return [...ids];
    };
    const intakeCentres = centresFor('caseFile.intake');
    if (intakeCentres.length) {
      const c = await boundedCount(
        db,
        db
          .selectFrom('case_files')
          .select('id')
          .where('centre_id', 'in', intakeCentres)
          .where('status', '=', 'received'),
      );
      add({
        key: 'filesToRegister',
        label: 'Dossiers reçus à contrôler et enregistrer',
        count: c.n,
        exact: c.exact,
        href: '/dossiers/arrivee',
      });
    }
    const processing = officesFor('caseFile.process', 'processing');
    if (processing.length) {
      const c = await boundedCount(
        db,
        db.selectFrom('case_files').select('id').where('office_id', 'in', processing).where('status', '=', 'routed'),
      );
      add({
        key: 'filesToTake',
        label: 'Dossiers à prendre en charge',
        count: c.n,
        exact: c.exact,
        href: processing.length === 1 ? `/dossiers/bureaux/${processing[0]}` : '/dossiers/bureaux',
      });
    }
    const checking = officesFor('caseFile.selfCheck', 'processing');
    if (checking.length) {
      const c = await boundedCount(
        db,
        db.selectFrom('case_files').select('id').where('office_id', 'in', checking).where('status', '=', 'processed'),
      );
      add({
        key: 'filesToCheck',
        label: 'Dossiers traités à auto-contrôler',
        count: c.n,
        exact: c.exact,
        href: checking.length === 1 ? `/dossiers/bureaux/${checking[0]}` : '/dossiers/bureaux',
      });
    }
  }

  // Red warning indicators of the dashboards this person reads (this month's alerts).
  if (may(actor, 'backoffice.report')) {
    const centres = await readableCentreIds(ctx, actor);
    if (centres === null || centres.length) {
      const month = ctx.now().toISOString().slice(0, 7);
      let q = db
        .selectFrom('steering_alerts')
        .select(sql<number>`count(*)`.as('n'))
        .where('month', '=', month);
      if (centres !== null) q = q.where('scope_id', 'in', centres);
      const n = Number((await q.executeTakeFirstOrThrow()).n);
      add({
        key: 'redIndicators',
        label: 'Clignotants au rouge ce mois-ci',
        count: n,
        href: '/dossiers/tableau-de-bord',
        urgent: n > 0,
      });
    }
  }
  // Control sheets awaiting my visa, follow-up or archiving (internal control).
  if (actor.grants.some((g) => ['centre_head', 'office_head', 'bom_controller'].includes(g.role))) {
    const sheets = await sheetsAwaitingMe(ctx, actor);
    add({
      key: 'sheetsAwaitingVisa',
      label: 'Fiches de contrôle en attente de mon visa',
      count: sheets.length,
      href: '/controle/fiches',
    });
  }

  // A holder on first sign-in: the personal code and secret questions come first.
  const holds = await db
    .selectFrom('cards')
    .select('id')
    .where('agent_id', '=', actor.agentId)
    .where('state', 'in', ['activated', 'active'])
    .limit(1)
    .executeTakeFirst();
  if (holds) {
    const secrets = await db
      .selectFrom('holder_secrets')
      .select('agent_id')
      .where('agent_id', '=', actor.agentId)
      .executeTakeFirst();
    if (!secrets) out.holderSetup = { href: '/porteur/secrets' };
  }
  return out;
}
