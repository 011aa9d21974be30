import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashHumanSecret, verifyHumanSecret } from './secrets.ts';

test('human secrets: Argon2id (m=19456, t=2, 16-byte salt), case-sensitive, salted differently each time', async () => {
  const h = await hashHumanSecret('Noir');
  assert.match(h, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9_-]{22}\$/);
  assert.equal(await verifyHumanSecret('Noir', h), true);
  assert.equal(await verifyHumanSecret('noir', h), false);
  assert.notEqual(await hashHumanSecret('Noir'), h);
  assert.equal(await verifyHumanSecret('Noir', 'garbage'), false);
});
