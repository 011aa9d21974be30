import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CARD_STATES, canMove, moveCard } from './card-lifecycle.ts';

test('a destroyed card goes nowhere, and every state has a French label in refusals', () => {
  for (const s of CARD_STATES) assert.equal(canMove('destroyed', s), false);
  const r = moveCard('destroyed', 'active');
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.reason, /Détruite.*Active/);
});

test('the order path of DOMAIN.md is allowed step by step and cannot skip the hand-over', () => {
  const path = ['ordered', 'in_production', 'shipped', 'received', 'handed_over', 'activated', 'active'] as const;
  for (let i = 1; i < path.length; i++)
    assert.equal(canMove(path[i - 1]!, path[i]!), true, `${path[i - 1]} → ${path[i]}`);
  assert.equal(canMove('received', 'activated'), false);
  assert.equal(canMove('shipped', 'handed_over'), false);
  assert.equal(canMove('revoked', 'active'), false);
});
