import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  addToMonth,
  drawSample,
  hasAnomaly,
  moveSheet,
  nextSheetStep,
  previousQuarter,
  quarterOf,
  quarterRange,
  recurringAnomalies,
  SHEET_STEPS,
  suggestedObjective,
  type SheetStatus,
  type SheetStep,
} from './control.ts';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `file-${i}`);

test('the same seed and the same files give the same sample, whatever their order', () => {
  fc.assert(
    fc.property(
      fc.stringMatching(/^[0-9a-f]{16,32}$/),
      fc.uniqueArray(fc.uuid(), { minLength: 0, maxLength: 60 }),
      fc.nat(70),
      (seed, files, count) => {
        const a = drawSample(seed, files, count);
        const b = drawSample(seed, [...files].reverse(), count);
        assert.deepEqual(a, b);
        assert.equal(a.length, Math.min(count, files.length));
        assert.equal(new Set(a).size, a.length);
        for (const id of a) assert.ok(files.includes(id));
      },
    ),
  );
});

test('a larger objective keeps the smaller sample and adds to it; another seed draws another sample', () => {
  const files = ids(200);
  const ten = drawSample('00112233445566778899aabbccddeeff', files, 10);
  const twenty = drawSample('00112233445566778899aabbccddeeff', files, 20);
  assert.deepEqual(twenty.slice(0, 10), ten);
  const other = drawSample('ffeeddccbbaa99887766554433221100', files, 10);
  assert.notDeepEqual(other, ten);
});

test('the suggested objective grows with the error potential, the amounts and last month’s anomalies', () => {
  const low = suggestedObjective(200, { errorPotential: 1, amountStakes: 1, lastMonthAnomalyRate: null });
  assert.equal(low, 10); // 5 %
  assert.equal(suggestedObjective(200, { errorPotential: 3, amountStakes: 1, lastMonthAnomalyRate: null }), 20);
  assert.equal(suggestedObjective(200, { errorPotential: 3, amountStakes: 3, lastMonthAnomalyRate: null }), 40);
  assert.equal(suggestedObjective(200, { errorPotential: 1, amountStakes: 1, lastMonthAnomalyRate: 0.25 }), 15);
  assert.equal(suggestedObjective(200, { errorPotential: 1, amountStakes: 1, lastMonthAnomalyRate: 0.05 }), 10);
  assert.equal(suggestedObjective(3, { errorPotential: 1, amountStakes: 1, lastMonthAnomalyRate: null }), 1);
  assert.equal(suggestedObjective(0, { errorPotential: 3, amountStakes: 3, lastMonthAnomalyRate: 1 }), 0);
  assert.equal(suggestedObjective(4, { errorPotential: 3, amountStakes: 3, lastMonthAnomalyRate: 1 }), 2);
});

test('a control sheet takes its visas in order, each once', () => {
  let status: SheetStatus = 'opened';
  const seen: SheetStatus[] = [status];
  for (const step of SHEET_STEPS) {
    for (const other of SHEET_STEPS.filter((s) => s !== step)) {
      const m = moveSheet(status, other);
      assert.equal(m.ok, false, `${other} refused while ${status}`);
      if (!m.ok) assert.match(m.reason, /attend d’abord|archivée/);
    }
    assert.equal(nextSheetStep(status), step);
    const m = moveSheet(status, step);
    assert.ok(m.ok);
    status = m.to;
    seen.push(status);
  }
  assert.deepEqual(seen, ['opened', 'sent', 'followed_up', 'approved', 'archived']);
  assert.equal(nextSheetStep('archived'), null);
  for (const step of SHEET_STEPS) assert.equal(moveSheet('archived', step).ok, false);
});

test('any sequence of steps reaches a status only through the ones before it', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom<SheetStep>(...SHEET_STEPS), { maxLength: 12 }), (steps) => {
      let status: SheetStatus = 'opened';
      let done = 0;
      for (const s of steps) {
        const m = moveSheet(status, s);
        if (m.ok) {
          assert.equal(s, SHEET_STEPS[done]);
          done++;
          status = m.to;
        }
      }
    }),
  );
});

test('an anomaly on any object makes the control an anomaly', () => {
  assert.equal(hasAnomaly({ evidence: 'conform', coherence: 'conform', rules: 'conform' }), false);
  assert.equal(hasAnomaly({ evidence: 'conform', coherence: 'anomaly', rules: 'conform' }), true);
});

test('recurring anomalies: the same kind, office and rule in each of the last N months', () => {
  const s = (period: string, rule = 'wrong_rate', officeId: string | null = 'BT1', kind = 'DT') => ({
    period,
    kind,
    officeId,
    rule,
  });
  const sheets = [
    s('2026-10'),
    s('2026-11'),
    s('2026-12'),
    s('2026-12'),
    s('2026-10', 'missing_piece'),
    s('2026-12', 'missing_piece'),
    s('2026-10', 'wrong_rate', 'BT2'),
    s('2026-11', 'wrong_rate', 'BT2'),
    s('2026-12', 'wrong_rate', 'BT2', 'MUT'),
  ];
  const r = recurringAnomalies(sheets, '2026-12', 3);
  assert.deepEqual(r, [
    { kind: 'DT', officeId: 'BT1', rule: 'wrong_rate', months: ['2026-10', '2026-11', '2026-12'], sheets: 4 },
  ]);
  assert.equal(recurringAnomalies(sheets, '2026-12', 1).length, 3);
  assert.equal(recurringAnomalies(sheets, '2027-01', 3).length, 0);
});

test('periods: months and quarters', () => {
  assert.equal(addToMonth('2026-01', -1), '2025-12');
  assert.equal(addToMonth('2026-12', 1), '2027-01');
  assert.equal(quarterOf('2026-12-08T00:00:00.000Z'), '2026-Q4');
  assert.equal(previousQuarter('2026-Q1'), '2025-Q4');
  assert.deepEqual(quarterRange('2026-Q4'), { start: '2026-10-01T00:00:00.000Z', end: '2027-01-01T00:00:00.000Z' });
});
