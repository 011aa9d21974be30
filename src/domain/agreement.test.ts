import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agreementView } from './agreement.ts';
import { addMonths, addYears, isIsoDate, frenchDate } from './dates.ts';

test('an agreement runs 6 years from signature, then renews tacitly by 6-year periods', () => {
  const a = { signedOn: '2021-03-15', suspended: false, noticeGivenOn: null };
  assert.deepEqual(agreementView(a, '2026-11-25'), {
    state: 'active',
    currentPeriodEndsOn: '2027-03-15',
    renewals: 0,
    terminationEffectiveOn: null,
  });
  assert.equal(agreementView(a, '2027-03-14').currentPeriodEndsOn, '2027-03-15');
  const renewed = agreementView(a, '2027-03-15');
  assert.equal(renewed.renewals, 1);
  assert.equal(renewed.currentPeriodEndsOn, '2033-03-15');
  assert.equal(agreementView(a, '2040-01-01').renewals, 3);
});

test('notice ends the agreement 3 months later', () => {
  const a = { signedOn: '2021-03-15', suspended: false, noticeGivenOn: '2026-11-30' };
  assert.equal(agreementView(a, '2026-12-01').state, 'notice');
  assert.equal(agreementView(a, '2026-12-01').terminationEffectiveOn, '2027-02-28');
  assert.equal(agreementView(a, '2027-02-27').state, 'notice');
  assert.equal(agreementView(a, '2027-02-28').state, 'terminated');
});

test('before signature, and suspended', () => {
  assert.equal(
    agreementView({ signedOn: '2030-01-01', suspended: false, noticeGivenOn: null }, '2026-01-01').state,
    'not_started',
  );
  assert.equal(
    agreementView({ signedOn: '2020-01-01', suspended: true, noticeGivenOn: null }, '2026-01-01').state,
    'suspended',
  );
});

test('calendar helpers clamp month ends and reject impossible dates', () => {
  assert.equal(addMonths('2024-01-31', 1), '2024-02-29');
  assert.equal(addYears('2024-02-29', 1), '2025-02-28');
  assert.equal(addMonths('2024-11-30', 3), '2025-02-28');
  assert.equal(isIsoDate('2024-02-30'), false);
  assert.equal(isIsoDate('2024-2-3'), false);
  assert.equal(isIsoDate('2024-02-29'), true);
  assert.equal(frenchDate('1970-01-01'), '01/01/1970');
});
