import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { getAgent, searchAgents, updateAgent } from '../../src/app/directory/agents.ts';
import {
  createOrganization,
  getOrganization,
  liftSuspension,
  listOrganizations,
  submitSelfAssessment,
} from '../../src/app/directory/organizations.ts';
import { listAudit } from '../../src/app/control/audit-view.ts';
import { CONTROL_POINT_CODES, type ControlPointAnswer } from '../../src/domain/self-assessment.ts';
import { actorsFor, agentId, forEachDatabase, openTestPlatform, orgId, orgIds } from '../support/platform.ts';
import type { PersonActor, TestPlatform } from '../support/platform.ts';
import { fails } from '../support/errors.ts';

const SUSPENDED =
  /rôles de confiance de cette organisation sont suspendus \(non-conformité majeure\).*autorité d'enregistrement de rattachement/;

function answers(overrides: Record<string, ControlPointAnswer> = {}): Record<string, ControlPointAnswer> {
  return { ...Object.fromEntries(CONTROL_POINT_CODES.map((c) => [c, { conform: true }])), ...overrides };
}

/** A refusal for want of rights. */
const refused = (promise: Promise<unknown>, message?: RegExp) => fails(promise, 'forbidden', message);

forEachDatabase('authorization', (dialect) => {
  let p: TestPlatform;
  let town: string;
  let pref: string;
  let brest: string;
  let operator: PersonActor; // martin.c77011, operator of the town
  let ra77: PersonActor; // lefebvre.s77, registration authority of the prefecture
  let brestOperator: PersonActor; // 1002345678
  let holder: PersonActor; // 2010002684dh, card holder only
  let admin: PersonActor;
  let townAgent: string; // leroy.a77011
  let brestAgent: string; // 1003456789

  before(async () => {
    p = await openTestPlatform(dialect);
    [town, pref, brest] = await orgIds(p.ctx, '77011', 'PREF77', 'BN-BREST');
    [operator, ra77, brestOperator, holder, admin] = await actorsFor(
      p.ctx,
      ...(['martin.c77011', 'lefebvre.s77', '1002345678', '2010002684dh', 'admin.national'] as const),
    );
    townAgent = await agentId(p.ctx, 'leroy.a77011');
    brestAgent = await agentId(p.ctx, '1003456789');
  });
  after(async () => {
    await p?.close();
  });

  it('the town operator finds only the agents of the town', async () => {
    const all = await searchAgents(p.ctx, operator, { pageSize: 100 });
    assert.equal(all.total, 4);
    assert.deepEqual(new Set(all.items.map((a) => a.organizationId)), new Set([town]));
    assert.deepEqual(all.items.map((a) => a.lastName).sort(), ['DILINDIEN', 'LEROY', 'MARTIN', 'MOREAU']);
    // Asking for another organisation explicitly does not widen the scope.
    const brestOnly = await searchAgents(p.ctx, operator, { organizationId: brest });
    assert.equal(brestOnly.total, 0);
    const named = await searchAgents(p.ctx, operator, { q: 'kerbrat' });
    assert.equal(named.total, 0, 'a Brest agent is not found by name');
    // The admin, by contrast, sees everybody: the filter above is the operator's scope, not an empty directory.
    assert.equal((await searchAgents(p.ctx, admin, { q: 'kerbrat' })).total, 1);
  });

  it('the town operator cannot read a Brest agent, and the refusal is in the audit trail', async () => {
    assert.equal((await getAgent(p.ctx, operator, townAgent)).lastName, 'LEROY');
    await refused(getAgent(p.ctx, operator, brestAgent), /pas dans votre périmètre/);
    const trail = await listAudit(p.ctx, admin, { targetId: brestAgent, outcome: 'refused' });
    assert.equal(trail.total, 1);
    const rec = trail.items[0]!;
    assert.equal(rec.actorId, operator.agentId);
    assert.equal(rec.action, 'agent.read');
    assert.equal(rec.outcome, 'refused');
    assert.equal(rec.organizationId, brest);
    assert.match(String((rec.summary as { reason: string }).reason), /périmètre/);
    await refused(getOrganization(p.ctx, operator, brest));
  });

  it('the registration authority of the prefecture reaches the town, and an organisation attached to it elsewhere', async () => {
    assert.equal((await getAgent(p.ctx, ra77, townAgent)).organizationId, town);
    assert.equal((await getOrganization(p.ctx, ra77, town)).registrationAuthority?.id, pref);
    const inTown = await searchAgents(p.ctx, ra77, { organizationId: town });
    assert.equal(inTown.total, 4);
    await refused(getAgent(p.ctx, ra77, brestAgent));

    // A town outside the prefecture's subtree but attached to it as registration authority.
    const ants = await orgId(p.ctx, 'ANTS');
    const attached = await createOrganization(p.ctx, admin, {
      code: 'ATTACHED77',
      kind: 'municipality',
      name: 'Commune rattachée',
      parentId: ants,
      registrationAuthorityId: pref,
      inseeCode: '77999',
      siren: '217700103',
    });
    assert.equal((await getOrganization(p.ctx, ra77, attached.id)).code, 'ATTACHED77');
    assert.ok((await listOrganizations(p.ctx, ra77)).items.some((o) => o.id === attached.id));
    // The town operator has no such attachment.
    await refused(getOrganization(p.ctx, operator, attached.id));
  });

  it('the Brest operator cannot reach the town', async () => {
    await refused(getOrganization(p.ctx, brestOperator, town));
    await refused(getAgent(p.ctx, brestOperator, townAgent));
    await refused(updateAgent(p.ctx, brestOperator, townAgent, { phone: '01 02 03 04 05' }));
    const seen = await searchAgents(p.ctx, brestOperator, { pageSize: 100 });
    assert.equal(seen.total, 4);
    assert.deepEqual(new Set(seen.items.map((a) => a.organizationId)), new Set([brest]));
    assert.ok(!(await listOrganizations(p.ctx, brestOperator)).items.some((o) => o.id === town));
  });

  it('a person who only holds a card cannot search the directory, only read their own record', async () => {
    assert.deepEqual(
      holder.grants.map((g) => g.role),
      ['holder'],
    );
    const res = await searchAgents(p.ctx, holder, {});
    assert.equal(res.total, 0);
    assert.deepEqual(res.items, []);
    assert.equal((await getAgent(p.ctx, holder, holder.agentId)).identifier, '2010002684dh');
    await refused(getAgent(p.ctx, holder, townAgent), /droits nécessaires/);
    assert.deepEqual((await listOrganizations(p.ctx, holder)).items, []);
  });

  it('an operator cannot flag a non-conformity as major (only a control can); a minor one is recorded', async () => {
    const before = await p.ctx.store.db
      .selectFrom('self_assessments')
      .select('id')
      .where('organization_id', '=', town)
      .execute();
    await refused(
      submitSelfAssessment(p.ctx, operator, town, {
        assessedOn: '2026-01-10',
        answers: answers({ 'M3.1': { conform: false, major: true } }),
      }),
      /droits nécessaires/,
    );
    const after = await p.ctx.store.db
      .selectFrom('self_assessments')
      .select('id')
      .where('organization_id', '=', town)
      .execute();
    assert.equal(after.length, before.length, 'nothing recorded');
    const minor = await submitSelfAssessment(p.ctx, operator, town, {
      assessedOn: '2026-01-10',
      answers: answers({ 'M3.1': { conform: false, comment: 'antivirus expiré' } }),
    });
    assert.equal(minor.result, 'minor');
    assert.equal((await getOrganization(p.ctx, operator, town)).trustedRolesSuspended, false);
  });

  it('a major non-conformity suspends the town’s trusted roles; the prefecture takes over; lifting restores', async () => {
    const phone = (n: number) => `01 60 00 00 0${n}`;
    assert.equal((await updateAgent(p.ctx, operator, townAgent, { phone: phone(1) })).phone, '+33160000001');

    const major = await submitSelfAssessment(p.ctx, admin, town, {
      assessedOn: '2026-02-01',
      answers: answers({ 'M2.1': { conform: false, major: true, comment: 'session administrateur partagée' } }),
    });
    assert.equal(major.result, 'major');
    assert.equal((await getOrganization(p.ctx, admin, town)).trustedRolesSuspended, true);

    await refused(updateAgent(p.ctx, operator, townAgent, { phone: phone(2) }), SUSPENDED);
    assert.equal((await getAgent(p.ctx, admin, townAgent)).phone, '+33160000001', 'the refused change was not applied');
    const trail = await listAudit(p.ctx, admin, { targetId: townAgent, outcome: 'refused' });
    assert.ok(trail.items.some((r) => r.action === 'agent.contact' && r.actorId === operator.agentId));

    // The registration authority of the prefecture still acts for the town.
    assert.equal((await updateAgent(p.ctx, ra77, townAgent, { phone: phone(3) })).phone, '+33160000003');
    // The suspension removes the power to act, not the sight of the town's own records.
    assert.equal((await getAgent(p.ctx, operator, townAgent)).phone, '+33160000003');
    assert.equal((await getAgent(p.ctx, ra77, townAgent)).phone, '+33160000003');

    const lifted = await liftSuspension(p.ctx, admin, town, major.id);
    assert.ok(lifted.liftedAt);
    assert.equal((await getOrganization(p.ctx, admin, town)).trustedRolesSuspended, false);
    assert.equal((await updateAgent(p.ctx, operator, townAgent, { phone: phone(4) })).phone, '+33160000004');
  });

  it('only the admin may lift a suspension', async () => {
    const major = await submitSelfAssessment(p.ctx, admin, town, {
      assessedOn: '2026-03-01',
      answers: answers({ 'M5.1': { conform: false, major: true } }),
    });
    await refused(liftSuspension(p.ctx, ra77, town, major.id));
    await refused(liftSuspension(p.ctx, operator, town, major.id));
    assert.equal((await getOrganization(p.ctx, admin, town)).trustedRolesSuspended, true);
    await liftSuspension(p.ctx, admin, town, major.id);
    assert.equal((await getOrganization(p.ctx, admin, town)).trustedRolesSuspended, false);
  });
});
