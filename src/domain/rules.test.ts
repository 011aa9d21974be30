import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assessmentResult, checkAnswers, CONTROL_POINT_CODES, MEASURES } from './self-assessment.ts';
import { checkOrganization, childPath, isValidSiren, isWithin } from './organization.ts';
import { roleGrants, ROLES } from './roles.ts';
import { auditHash, checkLink, GENESIS_HASH } from './audit-chain.ts';

test('the self-assessment has the 9 measures of annex 3 and their 18 control points', () => {
  assert.equal(MEASURES.length, 9);
  assert.equal(CONTROL_POINT_CODES.length, 18);
  assert.equal(new Set(CONTROL_POINT_CODES).size, 18);
});

test('assessment result: conform, minor, major', () => {
  const all = (conform: boolean) => Object.fromEntries(CONTROL_POINT_CODES.map((c) => [c, { conform }]));
  assert.equal(assessmentResult(all(true)), 'conform');
  assert.equal(assessmentResult({ ...all(true), 'M3.1': { conform: false } }), 'minor');
  assert.equal(assessmentResult({ ...all(true), 'M3.1': { conform: false, major: true } }), 'major');
  assert.deepEqual(checkAnswers(all(true)), []);
  const missing = checkAnswers({ 'M1.1': { conform: true } });
  assert.equal(missing.length, 17);
  assert.match(missing[0]!.reason, /n'a pas de réponse/);
  assert.equal(checkAnswers({ ...all(true), 'M10.1': { conform: true } })[0]!.field, 'M10.1');
  assert.match(checkAnswers({ ...all(true), 'M2.1': { conform: true, major: true } })[0]!.reason, /conforme/);
});

test('SIREN check digit (Luhn) and municipality fields', () => {
  assert.equal(isValidSiren('217700103'), true);
  assert.equal(isValidSiren('217700104'), false);
  assert.equal(isValidSiren('21770010'), false);
  assert.deepEqual(
    checkOrganization({
      code: '77011',
      kind: 'municipality',
      name: 'Aubepierre-Ozouer-le-Repos',
      inseeCode: '77011',
      siren: '217700103',
    }),
    [],
  );
  const errs = checkOrganization({ code: 'bad code!', kind: 'castle', name: ' ', inseeCode: '7701', siren: '123' });
  assert.deepEqual(errs.map((e) => e.field).sort(), ['code', 'kind', 'name', 'siren']);
  const town = checkOrganization({ code: 'X', kind: 'municipality', name: 'X', inseeCode: '7701', siren: '123' });
  assert.deepEqual(town.map((e) => e.field).sort(), ['inseeCode', 'siren']);
  assert.deepEqual(
    checkOrganization({ code: '2A004', kind: 'municipality', name: 'Ajaccio', inseeCode: '2A004', siren: '212000046' }),
    [],
  );
});

test('materialised paths express subtrees', () => {
  const root = childPath(null, 'a');
  const child = childPath(root, 'b');
  assert.equal(child, '/a/b/');
  assert.equal(isWithin(child, 'a'), true);
  assert.equal(isWithin(child, 'b'), true);
  assert.equal(isWithin(root, 'b'), false);
  assert.equal(isWithin('/ab/', 'a'), false);
});

test('permissions: the auditor reads but never writes; only the admin assigns roles', () => {
  assert.equal(roleGrants('auditor', 'audit.read'), true);
  assert.equal(roleGrants('auditor', 'agent.write'), false);
  assert.equal(roleGrants('holder', 'agent.read'), false);
  for (const r of ROLES) assert.equal(roleGrants(r, 'role.assign'), r === 'admin');
});

test('audit links: a changed field, a wrong predecessor or a wrong number breaks the chain', () => {
  const r = {
    seq: 1,
    at: '2026-01-01T00:00:00.000Z',
    actor_id: 'x',
    actor_role: 'admin',
    organization_id: null,
    action: 'a',
    outcome: 'ok',
    target_type: null,
    target_id: null,
    request_id: null,
    summary: '{}',
    evidence: '[]',
  };
  const hash = auditHash(GENESIS_HASH, r);
  const rec = { ...r, prev_hash: GENESIS_HASH, hash };
  assert.equal(checkLink(1, GENESIS_HASH, rec), null);
  assert.match(checkLink(1, GENESIS_HASH, { ...rec, summary: '{"x":1}' })!, /modifié/);
  assert.match(checkLink(1, hash, rec)!, /précédente/);
  assert.match(checkLink(2, GENESIS_HASH, rec)!, /numéro attendu 2/);
});
