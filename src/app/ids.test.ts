import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timeOrderedId } from './ids.ts';

test('time-ordered ids are RFC 9562 version 7 UUIDs that sort by time and never repeat', () => {
  const ids = Array.from({ length: 5000 }, (_, i) => timeOrderedId(1_700_000_000_000 + i));
  for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(Array.from({ length: 5000 }, () => timeOrderedId(0))).size, 5000);
  assert.equal(timeOrderedId(0x0123456789ab).slice(0, 13), '01234567-89ab');
});
