import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ageInDays,
  ageingCutoff,
  CASE_FILE_STATUSES,
  euros,
  freeText,
  monthBounds,
  moveCaseFile,
  parseEuros,
  registrationBlockers,
  type CaseFileStatus,
} from './case-file.ts';

test('a unit file goes received → registered → routed → in progress → processed → checked → transferred → archived', () => {
  const path: CaseFileStatus[] = [
    'received',
    'registered',
    'routed',
    'in_progress',
    'processed',
    'checked',
    'transferred',
    'archived',
  ];
  for (let i = 1; i < path.length; i++)
    assert.deepEqual(
      moveCaseFile(path[i - 1]!, path[i]!, { family: 'unit', transfer: true }),
      { ok: true },
      `${path[i - 1]} → ${path[i]}`,
    );
});

test('refused moves say why, in French', () => {
  const no = (from: CaseFileStatus, to: CaseFileStatus, opts = {}) => {
    const m = moveCaseFile(from, to, opts);
    assert.equal(m.ok, false, `${from} → ${to}`);
    return m.ok ? '' : m.reason;
  };
  assert.match(no('received', 'processed'), /ne peut pas passer/);
  assert.match(no('routed', 'processed', { family: 'unit' }), /pris en charge/);
  assert.deepEqual(moveCaseFile('routed', 'processed', { family: 'card' }), { ok: true });
  assert.match(no('checked', 'archived', { transfer: true }), /transféré/);
  assert.match(no('checked', 'transferred', { transfer: false }), /ne se transfère pas/);
  for (const s of CASE_FILE_STATUSES) {
    assert.equal(moveCaseFile('archived', s).ok, false, 'archived is final');
    assert.equal(moveCaseFile('returned', s).ok, false, 'returned is final');
  }
  assert.equal(moveCaseFile('processed', 'returned').ok, false, 'a processed file is not sent back');
});

test('registration needs every required piece present or obtained and every check conform or resolved', () => {
  const pieces = [
    { code: 'om', label: 'Ordre de mission', required: true, state: 'present' as const },
    { code: 'ef', label: 'État de frais', required: true, state: 'obtained' as const },
    { code: 'jh', label: 'Hébergement', required: false, state: 'expected' as const },
  ];
  const checks = [
    { code: 'sig', label: 'Signatures', state: 'ok' as const },
    { code: 'imp', label: 'Imputation', state: 'resolved' as const },
  ];
  assert.deepEqual(registrationBlockers(pieces, checks), []);
  const blocked = registrationBlockers(
    [
      { ...pieces[0]!, state: 'missing' },
      { ...pieces[1]!, state: 'expected' },
    ],
    [
      { ...checks[0]!, state: 'failed' },
      { ...checks[1]!, state: 'pending' },
    ],
  );
  assert.deepEqual(
    blocked.map((b) => b.field),
    ['pieces.om', 'pieces.ef', 'checks.sig', 'checks.imp'],
  );
  assert.match(blocked[0]!.reason, /Pièce manquante : Ordre de mission/);
  assert.match(blocked[2]!.reason, /non conforme/);
});

test('ages in whole days; the cutoff of the ageing report', () => {
  assert.equal(ageInDays('2026-01-01T10:00:00.000Z', '2026-01-31T09:59:59.000Z'), 29);
  assert.equal(ageInDays('2026-01-01T10:00:00.000Z', '2026-01-31T10:00:00.000Z'), 30);
  assert.equal(ageingCutoff('2026-03-31T12:00:00.000Z', 30), '2026-03-01T12:00:00.000Z');
  assert.deepEqual(monthBounds('2026-12'), { from: '2026-12-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z' });
  assert.equal(monthBounds('2026-13'), null);
});

test('amounts as the liquidation application prints them', () => {
  assert.equal(parseEuros('1 234,56'), 123_456);
  assert.equal(parseEuros('1234.5'), 123_450);
  assert.equal(parseEuros('12 €'), 1200);
  assert.equal(parseEuros('1,234.56'), null);
  assert.equal(parseEuros('abc'), null);
  assert.equal(euros(123_456), '1 234,56 €');
  assert.equal(euros(-5), '-0,05 €');
  for (const cents of [0, 1, 99, 100, 123_456, 99_999_999]) assert.equal(parseEuros(euros(cents)), cents);
});

test('free text: bounded, no control or bidi override characters, NFC', () => {
  assert.deepEqual(freeText('  Bonjour  ', 20), { ok: true, value: 'Bonjour' });
  assert.deepEqual(freeText('', 20), { ok: true, value: null });
  assert.equal(freeText('', 20, { required: true }).ok, false);
  assert.equal(freeText('a\u0000b', 20).ok, false);
  assert.equal(freeText('abc\u202Edef', 20).ok, false);
  assert.equal(freeText('ligne\nligne', 20).ok, false);
  assert.equal(freeText('ligne\nligne', 20, { multiline: true }).ok, true);
  assert.equal(freeText('e\u0301', 20).ok, false, 'decomposed accents are refused');
  assert.equal(freeText('x'.repeat(21), 20).ok, false);
  assert.equal(freeText(42, 20).ok, false);
});
