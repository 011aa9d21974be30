import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allHold,
  BILLED_CARD_CENTS,
  batchNumber,
  canMoveRequest,
  checkKindReason,
  eligibilityRule,
  evaluatePrerequisites,
  formatEuros,
  municipalProfileEntitled,
  populationFor,
  PREREQUISITE_CODES,
  quotaDecision,
  quotaWindowStart,
  requestNumber,
  signRequestAction,
  type PrerequisiteCode,
  type PrerequisiteFacts,
} from './card-request.ts';

const HOLDS: PrerequisiteFacts = {
  rule: 'agreement',
  agentActive: true,
  inAllocationPlan: false,
  planYear: 2026,
  agreementState: 'active',
  profile: "Officier d'état civil",
  isDelegateOrMayor: false,
  identityVerified: true,
  unitAddress: null,
  organizationAddress: '1 place de la Mairie, 77720 Aubepierre',
  hasPhoto: true,
  directoryRecord: true,
  otherRequest: null,
  cardInProgress: null,
  trustedRolesSuspended: false,
  actorTakesOver: false,
};

function failing(f: Partial<PrerequisiteFacts>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of evaluatePrerequisites({ ...HOLDS, ...f })) if (!p.ok) out[p.code] = p.reason!;
  return out;
}

test('every prerequisite is listed, in order, with a French label; all hold for a civil status officer of a town under agreement', () => {
  const list = evaluatePrerequisites(HOLDS);
  assert.deepEqual(
    list.map((p) => p.code),
    [...PREREQUISITE_CODES],
  );
  assert.ok(list.every((p) => p.ok && p.reason === null && p.label.length > 5));
  assert.equal(allHold(list), true);
});

test('each prerequisite fails alone with its own French reason', () => {
  const cases: [PrerequisiteCode, Partial<PrerequisiteFacts>, RegExp][] = [
    ['eligibility', { agentActive: false }, /fiche de l'agent est désactivée/],
    ['eligibility', { agreementState: null }, /pas signé de convention/],
    ['eligibility', { agreementState: 'terminated' }, /convention d'adhésion de la commune n'est pas en vigueur/],
    ['eligibility', { agreementState: 'suspended' }, /pas en vigueur/],
    ['eligibility', { profile: 'Agent technique' }, /profil de l'agent n'ouvre pas droit/],
    [
      'eligibility',
      { rule: 'allocation_plan', inAllocationPlan: false, planYear: 2027 },
      /plan annuel de dotation 2027/,
    ],
    ['identity', { identityVerified: false }, /données d'identité .* n'ont pas été vérifiées/],
    ['unit_address', { unitAddress: ' ', organizationAddress: null }, /adresse postale/],
    ['photo', { hasPhoto: false }, /photo d'identité conforme/],
    ['directory_record', { directoryRecord: false }, /fiche annuaire/],
    [
      'no_card_in_progress',
      { otherRequest: { number: 'D-2026-000004', state: 'signed' } },
      /autre demande est en cours pour ce modèle \(D-2026-000004, « Signée »\)/,
    ],
    [
      'no_card_in_progress',
      { cardInProgress: { serial: '0123456789', stateLabel: 'Expédiée' } },
      /carte de ce modèle est déjà en cours .*0123456789.*Expédiée/,
    ],
    ['trusted_roles', { trustedRolesSuspended: true }, /suspendus .*l'autorité d'enregistrement de rattachement/],
  ];
  for (const [code, facts, reason] of cases) {
    const f = failing(facts);
    assert.deepEqual(Object.keys(f), [code], JSON.stringify(facts));
    assert.match(f[code]!, reason);
  }
});

test('eligibility follows the organisation: allocation plan for units, agreement for towns, active agent elsewhere', () => {
  assert.equal(eligibilityRule('unit'), 'allocation_plan');
  assert.equal(eligibilityRule('municipality'), 'agreement');
  assert.equal(eligibilityRule('prefecture'), 'active_agent');
  assert.deepEqual(failing({ rule: 'allocation_plan', inAllocationPlan: true, profile: null }), {});
  assert.deepEqual(failing({ rule: 'active_agent', agreementState: null, profile: null }), {});
  // Under notice the agreement still runs; the mayor and the delegates qualify whatever their profile says.
  assert.deepEqual(failing({ agreementState: 'notice' }), {});
  assert.deepEqual(failing({ profile: 'Responsable carte', isDelegateOrMayor: true }), {});
  // A registration authority placing the order of a suspended town meets the trusted-roles prerequisite.
  assert.deepEqual(failing({ trustedRolesSuspended: true, actorTakesOver: true }), {});
});

test('entitled municipal profiles ignore case, accents and apostrophes', () => {
  for (const p of ["Officier d'état civil", 'AGENT D’ETAT CIVIL', 'agent d etat civil', 'Officier de recueil', 'Maire'])
    assert.equal(municipalProfileEntitled(p), true, p);
  for (const p of ['Agent technique', 'Secrétaire', '', null, 'Officier de police'])
    assert.equal(municipalProfileEntitled(p), false, String(p));
});

test('the free quota: one card per agent per 6 years; billed beyond, and after loss, theft, breakage or forgotten PIN; free for a defect', () => {
  assert.deepEqual(quotaDecision({ kind: 'first_issue', reason: null, freeCardsInWindow: 0 }).billing, 'free');
  const beyond = quotaDecision({ kind: 'first_issue', reason: null, freeCardsInWindow: 1 });
  assert.deepEqual([beyond.billing, beyond.priceCents], ['billed', BILLED_CARD_CENTS]);
  assert.match(beyond.reason, /Contingent gratuit épuisé.*30 € HT/);
  assert.equal(BILLED_CARD_CENTS, 3000);
  for (const reason of ['loss', 'theft', 'breakage', 'forgotten_pin']) {
    const d = quotaDecision({ kind: 'replacement', reason, freeCardsInWindow: 0 });
    assert.deepEqual([d.billing, d.priceCents], ['billed', 3000], reason);
    assert.match(d.reason, /^Remplacement après/);
  }
  const defect = quotaDecision({ kind: 'replacement', reason: 'malfunction', freeCardsInWindow: 3 });
  assert.deepEqual([defect.billing, defect.priceCents], ['free', 0]);
  assert.equal(quotaDecision({ kind: 'renewal', reason: 'card_expiry', freeCardsInWindow: 0 }).billing, 'free');
  assert.equal(quotaDecision({ kind: 'renewal', reason: 'status_change', freeCardsInWindow: 1 }).billing, 'billed');
  assert.equal(quotaDecision({ kind: 'instant', reason: null, freeCardsInWindow: 1 }).billing, 'billed');
  assert.equal(quotaWindowStart('2026-11-25T10:00:00.000Z'), '2020-11-25T10:00:00.000Z');
});

test('kinds and their reasons', () => {
  assert.equal(checkKindReason('first_issue', null), null);
  assert.equal(checkKindReason('instant', undefined), null);
  assert.equal(checkKindReason('renewal', 'card_expiry'), null);
  assert.equal(checkKindReason('replacement', 'forgotten_pin'), null);
  assert.equal(checkKindReason('other', null)?.field, 'kind');
  assert.match(checkKindReason('renewal', 'loss')!.reason, /expiration ou changement de statut/);
  assert.match(
    checkKindReason('replacement', null)!.reason,
    /dysfonctionnement, perte, vol, casse ou oubli du code PIN/,
  );
  assert.equal(checkKindReason('first_issue', 'loss')?.field, 'reason');
});

test('numbers, amounts and populations', () => {
  assert.equal(requestNumber(2026, 123), 'D-2026-000123');
  assert.equal(batchNumber(2026, 1), 'L-2026-0001');
  assert.equal(formatEuros(3000), '30,00');
  assert.equal(formatEuros(-3000), '-30,00');
  assert.equal(formatEuros(5), '0,05');
  assert.equal(formatEuros(123456), '1234,56');
  assert.equal(
    populationFor([
      { code: 'ANTS', kind: 'agency' },
      { code: 'PREF77', kind: 'prefecture' },
      { code: '77011', kind: 'municipality' },
    ]),
    'collectivites',
  );
  assert.equal(
    populationFor([
      { code: 'MINARM', kind: 'ministry' },
      { code: 'SCA', kind: 'directorate' },
    ]),
    'armees',
  );
  assert.equal(populationFor([{ code: 'X', kind: 'unit' }]), 'armees');
  assert.equal(populationFor([{ code: 'PREF77', kind: 'prefecture' }]), 'etat');
});

test('request states: signed only from complete, cancelled until the batch is validated', () => {
  assert.equal(canMoveRequest('complete', 'signed'), true);
  assert.equal(canMoveRequest('draft', 'signed'), false);
  assert.equal(canMoveRequest('in_batch', 'cancelled'), true);
  assert.equal(canMoveRequest('validated', 'cancelled'), false);
});

test('the signed content of a request carries its price: a changed price needs a new signature', () => {
  const r = {
    id: 'r1',
    number: 'D-2026-000001',
    agentId: 'a',
    modelId: 'm',
    kind: 'first_issue',
    reason: null,
    replacesCardId: null,
    billing: 'free',
    priceCents: 0,
  };
  const a = signRequestAction(r);
  assert.equal(a.action, 'card-request.sign');
  assert.equal(a.target, 'r1');
  assert.notDeepEqual(signRequestAction({ ...r, billing: 'billed', priceCents: 3000 }).content, a.content);
});
