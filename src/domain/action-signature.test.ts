import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalAction, canonicalJson } from './action-signature.ts';

test('canonical JSON sorts keys at every level and drops undefined members', () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 'é' }], c: null }, u: undefined }),
    '{"a":{"c":null,"d":[2,{"y":"é","z":1}]},"b":1}',
  );
  assert.equal(canonicalJson({ x: 1, y: 2 }), canonicalJson({ y: 2, x: 1 }));
});

test('the action text changes with each of action, target, content and nonce', () => {
  const base = { action: 'card-request.sign', target: 'r1', content: { kind: 'first_issue' }, nonce: 'n1' };
  const text = canonicalAction(base);
  assert.match(
    text,
    /^cartes-action-v1\n\{"action":"card-request.sign","content":\{"kind":"first_issue"\},"nonce":"n1","target":"r1"\}$/,
  );
  for (const change of [{ action: 'x' }, { target: 'r2' }, { content: { kind: 'renewal' } }, { nonce: 'n2' }]) {
    assert.notEqual(canonicalAction({ ...base, ...change }), text);
  }
});
