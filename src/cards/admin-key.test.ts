import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { adminResponse, checkAdminResponse, constantTimeEqual, deriveCardAdminKey, pkcs11SoPin } from './admin-key.ts';

const master = Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex');

test('deriveCardAdminKey is HMAC-SHA256(master, "cartes-card-admin|" + serial), one key per card', () => {
  const k = deriveCardAdminKey(master, '1240001062');
  assert.deepEqual(k, createHmac('sha256', master).update('cartes-card-admin|1240001062').digest());
  assert.equal(k.length, 32);
  assert.notDeepEqual(deriveCardAdminKey(master, '1240001063'), k);
  assert.notDeepEqual(deriveCardAdminKey(Buffer.alloc(32, 1), '1240001062'), k);
  assert.throws(() => deriveCardAdminKey(Buffer.alloc(16), '1240001062'), /trop courte/);
});

test('adminResponse is HMAC-SHA256(cardKey, challenge ‖ operation) and binds both', () => {
  const key = deriveCardAdminKey(master, '1240001062');
  const challenge = randomBytes(16);
  const r = adminResponse(key, challenge, 'reset-pin:auth');
  assert.deepEqual(
    r,
    createHmac('sha256', key)
      .update(Buffer.concat([challenge, Buffer.from('reset-pin:auth')]))
      .digest(),
  );
  assert.ok(checkAdminResponse(key, challenge, 'reset-pin:auth', r));
  assert.equal(checkAdminResponse(key, challenge, 'reset-pin:sign', r), false, 'another operation');
  assert.equal(checkAdminResponse(key, randomBytes(16), 'reset-pin:auth', r), false, 'another challenge');
  assert.equal(
    checkAdminResponse(deriveCardAdminKey(master, '1240001063'), challenge, 'reset-pin:auth', r),
    false,
    'another card',
  );
  assert.equal(checkAdminResponse(key, challenge, 'reset-pin:auth', r.subarray(0, 31)), false, 'truncated');
});

test('constantTimeEqual compares bytes of any length', () => {
  assert.ok(constantTimeEqual(new Uint8Array([1, 2, 3]), Buffer.from([1, 2, 3])));
  assert.equal(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4])), false);
  assert.equal(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2])), false);
  assert.ok(constantTimeEqual(new Uint8Array(0), new Uint8Array(0)));
  const big = randomBytes(64);
  assert.ok(constantTimeEqual(big.subarray(8, 40), Buffer.from(big.subarray(8, 40))), 'views with an offset');
});

test('pkcs11SoPin is the hex HMAC(cardAdminKey, "so-pin")', () => {
  const key = deriveCardAdminKey(master, '1240001062');
  assert.equal(pkcs11SoPin(key), createHmac('sha256', key).update('so-pin').digest('hex'));
  assert.match(pkcs11SoPin(key), /^[0-9a-f]{64}$/);
});
