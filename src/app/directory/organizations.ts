import type { Transaction } from 'kysely';
import type { Database, OrganizationTable } from '../../store/schema.ts';
import {
  checkOrganization,
  childPath,
  ORGANIZATION_KIND_LABELS,
  type OrganizationKind,
} from '../../domain/organization.ts';
import { agreementView, AGREEMENT_STATE_LABELS, AGREEMENT_TERM_YEARS } from '../../domain/agreement.ts';
import { addYears, isIsoDate } from '../../domain/dates.ts';
import {
  assessmentResult,
  ASSESSMENT_RESULT_LABELS,
  checkAnswers,
  type AssessmentResult,
  type ControlPointAnswer,
} from '../../domain/self-assessment.ts';
import { isRole, ROLE_LABELS, roleFitsOrganization, roleGrants } from '../../domain/roles.ts';
import { authorize, scopeRoots } from '../access/authorize.ts';
import { changeWithAudit } from '../audit-trail.ts';
import { AppError, invalid, notFound } from '../errors.ts';
import { pathUnder } from '../scope.ts';
import { today, type Actor, type AppContext } from '../context.ts';

export function organizationSummary(o: OrganizationTable) {
  return {
    id: o.id,
    code: o.code,
    kind: o.kind,
    kindLabel: ORGANIZATION_KIND_LABELS[o.kind as OrganizationKind] ?? o.kind,
    name: o.name,
    parentId: o.parent_id,
    status: o.status,
    trustedRolesSuspended: o.trusted_roles_suspended === 1,
    inseeCode: o.insee_code,
    siren: o.siren,
  };
}

export async function listOrganizations(ctx: AppContext, actor: Actor) {
  const roots = await scopeRoots(ctx, actor, 'organization.read');
  const rows = await ctx.store.db
    .selectFrom('organizations')
    .selectAll()
    .where(pathUnder(roots, 'path'))
    .orderBy('name')
    .execute();
  return { items: rows.map(organizationSummary) };
}

async function loadOrg(ctx: AppContext, id: string): Promise<OrganizationTable> {
  const org = await ctx.store.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
  if (!org) throw notFound('Organisation introuvable.');
  return org;
}

export async function getOrganization(ctx: AppContext, actor: Actor, id: string) {
  const org = await loadOrg(ctx, id);
  await authorize(ctx, actor, 'organization.read', id, { type: 'organization', id });
  const db = ctx.store.db;
  const parent = org.parent_id
    ? await db.selectFrom('organizations').select(['id', 'name']).where('id', '=', org.parent_id).executeTakeFirst()
    : undefined;
  const ra = org.registration_authority_id
    ? await db
        .selectFrom('organizations')
        .select(['id', 'name'])
        .where('id', '=', org.registration_authority_id)
        .executeTakeFirst()
    : undefined;
  const count = await db
    .selectFrom('agents')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('organization_id', '=', id)
    .executeTakeFirstOrThrow();
  const assessments = await db
    .selectFrom('self_assessments as s')
    .leftJoin('agents as a', 'a.id', 's.recorded_by')
    .selectAll('s')
    .select(['a.first_names', 'a.last_name'])
    .where('s.organization_id', '=', id)
    .orderBy('s.created_at', 'desc')
    .execute();
  return {
    ...organizationSummary(org),
    parentName: parent?.name ?? null,
    registrationAuthority: ra ? { id: ra.id, name: ra.name } : null,
    addressLine: org.address_line,
    postalCode: org.postal_code,
    city: org.city,
    agentCount: Number(count.n),
    agreement: await agreementOf(ctx, id),
    selfAssessments: assessments.map((a) => ({
      id: a.id,
      assessedOn: a.assessed_on,
      result: a.result as AssessmentResult,
      resultLabel: ASSESSMENT_RESULT_LABELS[a.result as AssessmentResult] ?? a.result,
      answers: JSON.parse(a.answers) as Record<string, ControlPointAnswer>,
      recordedBy: a.last_name
        ? `${a.first_names} ${a.last_name}`
        : a.recorded_by?.startsWith('system:')
          ? 'Système'
          : a.recorded_by,
      liftedAt: a.lifted_at,
    })),
  };
}

export interface OrganizationInput {
  code: string;
  kind: string;
  name: string;
  parentId: string | null;
  registrationAuthorityId?: string | null;
  inseeCode?: string | null;
  siren?: string | null;
  addressLine?: string | null;
  postalCode?: string | null;
  city?: string | null;
}

export async function createOrganization(ctx: AppContext, actor: Actor, input: OrganizationInput) {
  const errors = checkOrganization(input);
  if (errors.length) throw invalid("L'organisation n'est pas valide.", errors);
  const parent = input.parentId ? await loadOrg(ctx, input.parentId) : null;
  // Creating a root organisation needs a national grant: authorise against the parent, or globally.
  const auth = await authorize(ctx, actor, 'organization.write', parent?.id ?? null);
  if (!parent && actor.kind === 'person' && !actor.grants.some((g) => roleGrants(g.role, 'organization.write')))
    throw new AppError('forbidden', 'Droits insuffisants.');
  const clash = await ctx.store.db
    .selectFrom('organizations')
    .select('id')
    .where('code', '=', input.code)
    .executeTakeFirst();
  if (clash) throw new AppError('conflict', `Le code « ${input.code} » est déjà utilisé.`);
  const id = ctx.newId();
  const now = ctx.now().toISOString();
  await changeWithAudit(ctx, actor, { ...auth, organizationId: id }, 'organization.create', async (trx) => {
    const row: OrganizationTable = {
      id,
      code: input.code,
      kind: input.kind,
      name: input.name.trim(),
      parent_id: parent?.id ?? null,
      registration_authority_id: input.registrationAuthorityId ?? parent?.registration_authority_id ?? null,
      path: childPath(parent?.path ?? null, id),
      insee_code: input.inseeCode ?? null,
      siren: input.siren ?? null,
      address_line: input.addressLine ?? null,
      postal_code: input.postalCode ?? null,
      city: input.city ?? null,
      status: 'active',
      trusted_roles_suspended: 0,
      created_at: now,
      updated_at: now,
    };
    await trx.insertInto('organizations').values(row).execute();
    return {
      result: id,
      targetType: 'organization',
      targetId: id,
      summary: { after: { code: row.code, name: row.name, kind: row.kind } },
    };
  });
  return getOrganization(ctx, actor, id);
}

export async function updateOrganization(ctx: AppContext, actor: Actor, id: string, patch: Partial<OrganizationInput>) {
  const org = await loadOrg(ctx, id);
  const auth = await authorize(ctx, actor, 'organization.write', id, { type: 'organization', id });
  const merged = {
    code: patch.code ?? org.code,
    kind: patch.kind ?? org.kind,
    name: patch.name ?? org.name,
    inseeCode: patch.inseeCode !== undefined ? patch.inseeCode : org.insee_code,
    siren: patch.siren !== undefined ? patch.siren : org.siren,
  };
  const errors = checkOrganization(merged);
  if (errors.length) throw invalid("L'organisation n'est pas valide.", errors);
  if (patch.parentId !== undefined && patch.parentId !== org.parent_id)
    throw invalid("Le rattachement d'une organisation ne se modifie pas ici.");
  const changes = {
    code: merged.code,
    kind: merged.kind,
    name: merged.name.trim(),
    insee_code: merged.inseeCode,
    siren: merged.siren,
    address_line: patch.addressLine !== undefined ? patch.addressLine : org.address_line,
    postal_code: patch.postalCode !== undefined ? patch.postalCode : org.postal_code,
    city: patch.city !== undefined ? patch.city : org.city,
    registration_authority_id:
      patch.registrationAuthorityId !== undefined ? patch.registrationAuthorityId : org.registration_authority_id,
  };
  await changeWithAudit(ctx, actor, auth, 'organization.update', async (trx) => {
    await trx
      .updateTable('organizations')
      .set({ ...changes, updated_at: ctx.now().toISOString() })
      .where('id', '=', id)
      .execute();
    return {
      result: null,
      targetType: 'organization',
      targetId: id,
      summary: diff(org as unknown as Record<string, unknown>, changes),
    };
  });
  return getOrganization(ctx, actor, id);
}

export function diff(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(after)) {
    if (before[k] !== v) {
      b[k] = before[k];
      a[k] = v;
    }
  }
  return { before: b, after: a };
}

// --- Agreement (convention d'adhésion) ---

async function agreementOf(ctx: AppContext, orgId: string) {
  const a = await ctx.store.db
    .selectFrom('agreements')
    .selectAll()
    .where('organization_id', '=', orgId)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  if (!a) return null;
  const delegates = await ctx.store.db
    .selectFrom('agreement_delegates as d')
    .innerJoin('agents as g', 'g.id', 'd.agent_id')
    .select(['g.id', 'g.first_names', 'g.last_name', 'g.identifier'])
    .where('d.agreement_id', '=', a.id)
    .execute();
  const view = agreementView(
    { signedOn: a.signed_on, suspended: a.status === 'suspended', noticeGivenOn: a.notice_given_on },
    today(ctx),
  );
  return {
    id: a.id,
    signedOn: a.signed_on,
    mayorName: a.mayor_name,
    delegates: delegates.map((d) => ({
      id: d.id,
      firstNames: d.first_names,
      lastName: d.last_name,
      identifier: d.identifier,
    })),
    state: view.state,
    stateLabel: AGREEMENT_STATE_LABELS[view.state],
    currentPeriodEndsOn: view.currentPeriodEndsOn,
    renewals: view.renewals,
    noticeGivenOn: a.notice_given_on,
    terminationEffectiveOn: view.terminationEffectiveOn,
  };
}

export async function setAgreement(
  ctx: AppContext,
  actor: Actor,
  orgId: string,
  input: { signedOn: string; mayorName: string; delegateIds: string[] },
) {
  const org = await loadOrg(ctx, orgId);
  const auth = await authorize(ctx, actor, 'agreement.write', orgId, { type: 'organization', id: orgId });
  const errors = [];
  if (org.kind !== 'municipality')
    errors.push({ field: 'organization', reason: "Seule une commune signe une convention d'adhésion." });
  if (!isIsoDate(input.signedOn))
    errors.push({ field: 'signedOn', reason: 'Date de signature invalide (AAAA-MM-JJ).' });
  if (!input.mayorName.trim()) errors.push({ field: 'mayorName', reason: 'Le nom du maire est obligatoire.' });
  if (input.delegateIds.length === 0)
    errors.push({
      field: 'delegateIds',
      reason: 'La convention nomme au moins un délégataire (responsable carte), ou le maire lui-même.',
    });
  const delegates = input.delegateIds.length
    ? await ctx.store.db
        .selectFrom('agents')
        .select(['id', 'organization_id'])
        .where('id', 'in', input.delegateIds)
        .execute()
    : [];
  if (delegates.length !== new Set(input.delegateIds).size || delegates.some((d) => d.organization_id !== orgId)) {
    errors.push({ field: 'delegateIds', reason: 'Les délégataires doivent être des agents de la commune.' });
  }
  if (errors.length) throw invalid("La convention n'est pas valide.", errors);
  const existing = await ctx.store.db
    .selectFrom('agreements')
    .selectAll()
    .where('organization_id', '=', orgId)
    .executeTakeFirst();
  const now = ctx.now().toISOString();
  await changeWithAudit(ctx, actor, auth, existing ? 'agreement.update' : 'agreement.create', async (trx) => {
    const id = existing?.id ?? ctx.newId();
    const endsOn = addYears(input.signedOn, AGREEMENT_TERM_YEARS);
    if (existing) {
      await trx
        .updateTable('agreements')
        .set({ signed_on: input.signedOn, ends_on: endsOn, mayor_name: input.mayorName.trim(), updated_at: now })
        .where('id', '=', id)
        .execute();
      await trx.deleteFrom('agreement_delegates').where('agreement_id', '=', id).execute();
    } else {
      await trx
        .insertInto('agreements')
        .values({
          id,
          organization_id: orgId,
          signed_on: input.signedOn,
          ends_on: endsOn,
          mayor_name: input.mayorName.trim(),
          status: 'active',
          notice_given_on: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
    }
    await trx
      .insertInto('agreement_delegates')
      .values([...new Set(input.delegateIds)].map((agentId) => ({ agreement_id: id, agent_id: agentId })))
      .execute();
    return {
      result: id,
      targetType: 'agreement',
      targetId: id,
      summary: { after: { signedOn: input.signedOn, mayorName: input.mayorName, delegates: input.delegateIds } },
    };
  });
  return savedAgreement(ctx, orgId);
}

export async function giveAgreementNotice(ctx: AppContext, actor: Actor, orgId: string, givenOn: string) {
  await loadOrg(ctx, orgId);
  const auth = await authorize(ctx, actor, 'agreement.write', orgId, { type: 'organization', id: orgId });
  if (!isIsoDate(givenOn))
    throw invalid('Date de préavis invalide (AAAA-MM-JJ).', [{ field: 'givenOn', reason: 'Date invalide.' }]);
  const a = await ctx.store.db
    .selectFrom('agreements')
    .selectAll()
    .where('organization_id', '=', orgId)
    .executeTakeFirst();
  if (!a) throw notFound("Cette commune n'a pas de convention.");
  if (a.notice_given_on) throw new AppError('conflict', `Un préavis a déjà été donné le ${a.notice_given_on}.`);
  if (givenOn < a.signed_on) throw invalid('Le préavis ne peut précéder la signature.');
  await changeWithAudit(ctx, actor, auth, 'agreement.notice', async (trx) => {
    await trx
      .updateTable('agreements')
      .set({ notice_given_on: givenOn, status: 'notice', updated_at: ctx.now().toISOString() })
      .where('id', '=', a.id)
      .execute();
    return { result: null, targetType: 'agreement', targetId: a.id, summary: { after: { noticeGivenOn: givenOn } } };
  });
  return savedAgreement(ctx, orgId);
}

/** The agreement just written (committed above, so present). */
async function savedAgreement(ctx: AppContext, orgId: string) {
  const saved = await agreementOf(ctx, orgId);
  if (!saved) throw notFound("Cette commune n'a pas de convention.");
  return saved;
}

// --- Workstation security self-assessment and suspension of trusted roles ---

export async function submitSelfAssessment(
  ctx: AppContext,
  actor: Actor,
  orgId: string,
  input: { assessedOn: string; answers: Record<string, ControlPointAnswer> },
) {
  await loadOrg(ctx, orgId);
  const flagsMajor = Object.values(input.answers).some((a) => a.major);
  const auth = await authorize(ctx, actor, flagsMajor ? 'selfAssessment.control' : 'selfAssessment.submit', orgId, {
    type: 'organization',
    id: orgId,
  });
  const errors = checkAnswers(input.answers);
  if (!isIsoDate(input.assessedOn))
    errors.push({ field: 'assessedOn', reason: "Date d'évaluation invalide (AAAA-MM-JJ)." });
  if (errors.length) throw invalid("L'auto-évaluation est incomplète ou invalide.", errors);
  const result = assessmentResult(input.answers);
  const id = ctx.newId();
  await changeWithAudit(ctx, actor, auth, 'selfAssessment.record', async (trx: Transaction<Database>) => {
    await trx
      .insertInto('self_assessments')
      .values({
        id,
        organization_id: orgId,
        assessed_on: input.assessedOn,
        answers: JSON.stringify(input.answers),
        result,
        recorded_by: auth.actorId,
        lifted_at: null,
        lifted_by: null,
        created_at: ctx.now().toISOString(),
      })
      .execute();
    if (result === 'major') {
      await trx
        .updateTable('organizations')
        .set({ trusted_roles_suspended: 1, updated_at: ctx.now().toISOString() })
        .where('id', '=', orgId)
        .execute();
    }
    return {
      result: id,
      targetType: 'organization',
      targetId: orgId,
      summary: { after: { result, trustedRolesSuspended: result === 'major' } },
    };
  });
  return (await getOrganization(ctx, actor, orgId)).selfAssessments.find((a) => a.id === id)!;
}

export async function liftSuspension(ctx: AppContext, actor: Actor, orgId: string, assessmentId: string) {
  await loadOrg(ctx, orgId);
  const auth = await authorize(ctx, actor, 'selfAssessment.control', orgId, { type: 'organization', id: orgId });
  const a = await ctx.store.db
    .selectFrom('self_assessments')
    .selectAll()
    .where('id', '=', assessmentId)
    .where('organization_id', '=', orgId)
    .executeTakeFirst();
  if (!a) throw notFound('Évaluation introuvable.');
  if (a.result !== 'major' || a.lifted_at)
    throw new AppError('conflict', "Cette évaluation n'a pas de suspension en cours.");
  const now = ctx.now().toISOString();
  await changeWithAudit(ctx, actor, auth, 'selfAssessment.lift', async (trx) => {
    await trx
      .updateTable('self_assessments')
      .set({ lifted_at: now, lifted_by: auth.actorId })
      .where('id', '=', assessmentId)
      .execute();
    const stillOpen = await trx
      .selectFrom('self_assessments')
      .select('id')
      .where('organization_id', '=', orgId)
      .where('result', '=', 'major')
      .where('lifted_at', 'is', null)
      .executeTakeFirst();
    if (!stillOpen)
      await trx
        .updateTable('organizations')
        .set({ trusted_roles_suspended: 0, updated_at: now })
        .where('id', '=', orgId)
        .execute();
    return {
      result: null,
      targetType: 'organization',
      targetId: orgId,
      summary: { after: { lifted: assessmentId, trustedRolesSuspended: Boolean(stillOpen) } },
    };
  });
  return (await getOrganization(ctx, actor, orgId)).selfAssessments.find((x) => x.id === assessmentId)!;
}

// --- Roles ---

export async function assignRole(
  ctx: AppContext,
  actor: Actor,
  input: { agentId: string; role: string; organizationId: string },
) {
  if (!isRole(input.role)) throw invalid(`Rôle inconnu : ${input.role}.`, [{ field: 'role', reason: 'Rôle inconnu.' }]);
  const org = await loadOrg(ctx, input.organizationId);
  if (!roleFitsOrganization(input.role, org.kind))
    throw invalid(
      `Le rôle « ${ROLE_LABELS[input.role]} » s'attribue sur un centre de traitement ou l'un de ses bureaux.`,
      [{ field: 'organizationId', reason: 'Centre ou bureau attendu.' }],
    );
  const agent = await ctx.store.db
    .selectFrom('agents')
    .select(['id'])
    .where('id', '=', input.agentId)
    .executeTakeFirst();
  if (!agent) throw notFound('Agent introuvable.');
  const auth = await authorize(ctx, actor, 'role.assign', input.organizationId, { type: 'agent', id: input.agentId });
  if (actor.kind === 'person' && actor.agentId === input.agentId)
    throw new AppError('forbidden', "Personne ne s'attribue un rôle à soi-même.");
  const id = ctx.newId();
  await changeWithAudit(ctx, actor, auth, 'role.assign', async (trx) => {
    await trx
      .insertInto('role_assignments')
      .values({
        id,
        agent_id: input.agentId,
        role: input.role,
        organization_id: input.organizationId,
        granted_by: auth.actorId,
        granted_at: ctx.now().toISOString(),
        revoked_at: null,
      })
      .execute();
    return {
      result: id,
      targetType: 'agent',
      targetId: input.agentId,
      summary: { after: { role: input.role, organizationId: input.organizationId } },
    };
  });
  return { id, role: input.role, roleLabel: ROLE_LABELS[input.role], organizationId: input.organizationId };
}

export async function revokeRole(ctx: AppContext, actor: Actor, id: string): Promise<void> {
  const r = await ctx.store.db.selectFrom('role_assignments').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r || r.revoked_at) throw notFound('Attribution de rôle introuvable.');
  const auth = await authorize(ctx, actor, 'role.assign', r.organization_id, { type: 'agent', id: r.agent_id });
  await changeWithAudit(ctx, actor, auth, 'role.revoke', async (trx) => {
    await trx
      .updateTable('role_assignments')
      .set({ revoked_at: ctx.now().toISOString() })
      .where('id', '=', id)
      .execute();
    return {
      result: null,
      targetType: 'agent',
      targetId: r.agent_id,
      summary: { before: { role: r.role, organizationId: r.organization_id } },
    };
  });
}

// --- Allocation plan (armed forces) ---

export async function listAllocationPlan(ctx: AppContext, actor: Actor, orgId: string, year: number | null) {
  await loadOrg(ctx, orgId);
  await authorize(ctx, actor, 'organization.read', orgId, { type: 'organization', id: orgId });
  let q = ctx.store.db
    .selectFrom('allocation_plan_entries as p')
    .innerJoin('agents as a', 'a.id', 'p.agent_id')
    .select(['p.id', 'p.agent_id', 'p.year', 'p.reason', 'a.first_names', 'a.last_name', 'a.identifier'])
    .where('p.organization_id', '=', orgId);
  if (year) q = q.where('p.year', '=', year);
  const rows = await q.orderBy('a.last_name').execute();
  return {
    items: rows.map((r) => ({
      id: r.id,
      agentId: r.agent_id,
      agentName: `${r.first_names} ${r.last_name}`,
      identifier: r.identifier,
      year: r.year,
      reason: r.reason,
    })),
  };
}

export async function addAllocationPlanEntry(
  ctx: AppContext,
  actor: Actor,
  orgId: string,
  input: { agentId: string; year: number; reason?: string | null },
) {
  const org = await loadOrg(ctx, orgId);
  const auth = await authorize(ctx, actor, 'allocationPlan.write', orgId, { type: 'organization', id: orgId });
  const agent = await ctx.store.db
    .selectFrom('agents as a')
    .innerJoin('organizations as o', 'o.id', 'a.organization_id')
    .select(['a.id', 'o.path'])
    .where('a.id', '=', input.agentId)
    .executeTakeFirst();
  if (!agent || !agent.path.startsWith(org.path))
    throw invalid("L'agent n'appartient pas à cette organisation.", [
      { field: 'agentId', reason: 'Agent hors périmètre.' },
    ]);
  if (!Number.isInteger(input.year) || input.year < 2000 || input.year > 2100)
    throw invalid('Année invalide.', [{ field: 'year', reason: 'Année invalide.' }]);
  const dup = await ctx.store.db
    .selectFrom('allocation_plan_entries')
    .select('id')
    .where('agent_id', '=', input.agentId)
    .where('year', '=', input.year)
    .executeTakeFirst();
  if (dup) throw new AppError('conflict', `Cet agent figure déjà au plan de dotation ${input.year}.`);
  const id = ctx.newId();
  await changeWithAudit(ctx, actor, auth, 'allocationPlan.add', async (trx) => {
    await trx
      .insertInto('allocation_plan_entries')
      .values({
        id,
        organization_id: orgId,
        agent_id: input.agentId,
        year: input.year,
        reason: input.reason ?? null,
        created_at: ctx.now().toISOString(),
      })
      .execute();
    return { result: id, targetType: 'agent', targetId: input.agentId, summary: { after: { year: input.year } } };
  });
  return { id };
}
