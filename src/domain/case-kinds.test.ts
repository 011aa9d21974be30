import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { checkKindDefinition, parseKindsFile, routeFile, type CaseKindDefinition } from './case-kinds.ts';

const shipped = JSON.parse(
  readFileSync(new URL('../../config/case-file-kinds.json', import.meta.url), 'utf8'),
) as unknown;

test('the shipped kinds file is valid: both families, the travel-expense files of seed 003', () => {
  const { kinds, errors } = parseKindsFile(shipped);
  assert.deepEqual(errors, []);
  assert.deepEqual(kinds.map((k) => k.code).sort(), [
    'card_incident',
    'card_order',
    'card_return',
    'fd_mission',
    'fd_mutation',
    'fd_stage',
  ]);
  const mission = kinds.find((k) => k.code === 'fd_mission')!;
  assert.deepEqual(
    mission.checks.map((c) => c.code),
    ['signatures', 'imputation', 'ayant_droit', 'visa_commissaire'],
  );
  assert.equal(
    mission.checks.find((c) => c.code === 'signatures')!.byContact,
    false,
    'a signature is never obtained by phone',
  );
  assert.ok(kinds.filter((k) => k.family === 'card').every((k) => !k.amount && k.transferTo === null));
});

test('faulty definitions are refused field by field, in French', () => {
  const base = parseKindsFile(shipped).kinds.find((k) => k.code === 'fd_mission') as CaseKindDefinition;
  const fields = (d: unknown) => checkKindDefinition(d).map((e) => e.field);
  assert.deepEqual(checkKindDefinition(base), []);
  assert.deepEqual(fields({ ...base, code: 'FD Mission' }), ['code']);
  assert.deepEqual(fields({ ...base, offices: ['bt1'] }), ['offices']);
  assert.deepEqual(fields({ ...base, targetDays: 0 }), ['targetDays']);
  assert.deepEqual(fields({ ...base, pieces: [...base.pieces, base.pieces[0]] }), ['pieces[4].code']);
  assert.deepEqual(fields({ ...base, routing: [{ office: 'BT9', sendingUnits: ['X'] }] }), ['routing[0].office']);
  assert.deepEqual(fields({ ...base, family: 'card' }), ['amount']);
  assert.ok(fields(null).length === 1 && fields([]).length === 1);
  const dup = parseKindsFile({ kinds: [base, base] });
  assert.match(dup.errors[0]!.reason, /double/);
  assert.deepEqual(
    parseKindsFile({}).errors.map((e) => e.field),
    ['kinds'],
  );
});

test('routing: the first rule naming the sending unit, else the least loaded office present', () => {
  const kind = { offices: ['BT1', 'BT2'], routing: [{ office: 'BT2', sendingUnits: ['ECOLE-NAVALE'] }] };
  assert.equal(
    routeFile(
      kind,
      'ECOLE-NAVALE',
      new Map([
        ['BT1', 0],
        ['BT2', 9],
      ]),
    ),
    'BT2',
  );
  assert.equal(
    routeFile(
      kind,
      'GFM-BREST',
      new Map([
        ['BT1', 5],
        ['BT2', 2],
      ]),
    ),
    'BT2',
  );
  assert.equal(
    routeFile(
      kind,
      'GFM-BREST',
      new Map([
        ['BT1', 2],
        ['BT2', 2],
      ]),
    ),
    'BT1',
    'ties: the kind’s order',
  );
  assert.equal(
    routeFile(kind, 'ECOLE-NAVALE', new Map([['BT1', 0]])),
    'BT1',
    'a rule to an office the centre lacks is skipped',
  );
  assert.equal(routeFile(kind, 'X', new Map([['BC', 0]])), null);
});
