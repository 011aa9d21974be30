// The dashboard's formulas (seed 003 annex II, appendix II.B) on hand-made figures.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  availableStaff,
  centreMonth,
  checkEntry,
  emptySums,
  isRed,
  monthLabel,
  nextMonthStart,
  processingDays,
  rate,
  rollingMonths,
  warningValue,
} from './steering.ts';

it('computes rates to one decimal, unknown when the base is zero', () => {
  assert.equal(rate(1, 3), 33.3);
  assert.equal(rate(2, 3), 66.7);
  assert.equal(rate(0, 5), 0);
  assert.equal(rate(3, 0), null);
  assert.equal(rate(null, 4), null);
});

it('available staff = actual + MPE in the centre − MPE outside − absent the whole month', () => {
  assert.equal(availableStaff({ actual: 40, mpeIn: 2, mpeOut: 3, absentWholeMonth: 1 }), 38);
  assert.equal(availableStaff({ actual: 40 }), 40);
  assert.equal(availableStaff({ mpeIn: 2 }), null, 'no actual staff: unknown');
});

it('counts processing days from reception included to transfer included', () => {
  assert.equal(processingDays('2031-05-02T09:00:00Z', '2031-05-12T17:00:00Z'), 11);
  assert.equal(processingDays('2031-06-06T09:00:00Z', '2031-06-06T10:00:00Z'), 1);
  assert.equal(processingDays('2031-02-27T23:00:00Z', '2031-03-01T01:00:00Z'), 3);
});

it('builds a month with the seed’s formulas', () => {
  const s = emptySums();
  Object.assign(s, {
    registered: 10,
    processed: 8,
    controls: 4,
    anomalies: 1,
    controlledCents: 80_000,
    anomalyCents: 6_000,
  });
  s.transferredByKind = { fd_mission: { n: 2, days: 30 }, fd_stage: { n: 1, days: 3 } };
  const m = centreMonth('2031-06', s, {
    actual: 50,
    supervisors: 12,
    overpaymentsService: 1,
    overpaymentsHolders: 2,
    overpaymentAmountCents: 12_345,
  });
  assert.equal(m.means.supervisionRate, 24);
  assert.equal(m.warnings.controlAnomalyRate, 25);
  assert.equal(m.warnings.amountAnomalyRate, 7.5);
  assert.deepEqual(m.warnings.averageDaysByKind, { fd_mission: 15, fd_stage: 3 });
  assert.equal(m.warnings.averageDays, 11);
  assert.equal(m.warnings.overpayments, 3);
  assert.equal(m.warnings.overpaymentServiceRate, 33.3);
  assert.equal(m.warnings.overpaymentUnitsRate, 0, 'a cause left empty among entered ones counts 0');
  assert.equal(m.warnings.overpaymentAmount, 123.45);
  assert.equal(warningValue(m, 'averageDays'), 11);
  const empty = centreMonth('2031-07', emptySums(), {});
  assert.equal(empty.warnings.overpayments, null);
  assert.equal(empty.warnings.overpaymentServiceRate, null);
  assert.equal(empty.warnings.controlAnomalyRate, null, 'no control: no rate');
});

it('is red strictly past the threshold, never without a threshold or a value', () => {
  assert.equal(isRed(11, 10), true);
  assert.equal(isRed(10, 10), false);
  assert.equal(isRed(null, 10), false);
  assert.equal(isRed(11, null), false);
});

it('lists 12 rolling months ending with the current one', () => {
  assert.deepEqual(rollingMonths('2031-02-14T10:00:00Z'), [
    '2030-03',
    '2030-04',
    '2030-05',
    '2030-06',
    '2030-07',
    '2030-08',
    '2030-09',
    '2030-10',
    '2030-11',
    '2030-12',
    '2031-01',
    '2031-02',
  ]);
  assert.equal(nextMonthStart('2031-12'), '2032-01-01');
  assert.equal(monthLabel('2031-08'), 'août 2031');
});

it('checks the monthly entry: whole positive numbers, known fields', () => {
  assert.deepEqual(checkEntry({ actual: 3, planned: null, mpeIn: '' }), { ok: true, entry: { actual: 3 } });
  assert.equal(checkEntry({ actual: -1 }).ok, false);
  assert.equal(checkEntry({ actual: 1.5 }).ok, false);
  assert.equal(checkEntry({ salary: 3 }).ok, false);
});
