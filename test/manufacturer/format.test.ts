import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  activationCodeVerifier,
  canonicalJson,
  IN_KINDS,
  loadExchangeKey,
  OUT_KINDS,
  parseMessage,
  sealMessage,
  writeMessage,
} from '../../src/manufacturer/format.ts';

const key = randomBytes(32);
const spki = Buffer.alloc(91, 1).toString('base64');
const production = () =>
  sealMessage(key, {
    id: 'production-1',
    kind: 'production',
    batchNumber: 'L-2026-0001',
    createdAt: '2026-11-25T10:00:00.000Z',
    items: [
      {
        requestId: 'r1',
        serial: '1240000001',
        keys: [
          { slot: 'auth', spki },
          { slot: 'sign', spki },
        ],
      },
    ],
  });

describe('exchange format cartes-fabricant v1', () => {
  it('seals and reads back a message; key order does not matter', () => {
    const m = production();
    const r = parseMessage(JSON.stringify(m), key, IN_KINDS);
    assert.ok(r.ok);
    const reordered = Object.fromEntries(Object.entries(m).reverse());
    assert.ok(parseMessage(JSON.stringify(reordered, null, 2), key, IN_KINDS).ok);
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
  });

  it('refuses a message of the wrong direction, a wrong key, and every truncation', () => {
    const text = JSON.stringify(production());
    assert.match((parseMessage(text, key, OUT_KINDS) as { reason: string }).reason, /Type de message inattendu/);
    assert.match((parseMessage(text, randomBytes(32), IN_KINDS) as { reason: string }).reason, /mac\) invalide/);
    for (let n = 0; n < text.length; n += 7) assert.equal(parseMessage(text.slice(0, n), key, IN_KINDS).ok, false);
  });

  it('refuses any change of one character of a sealed message (fuzz)', () => {
    const text = JSON.stringify(production());
    fc.assert(
      fc.property(fc.integer({ min: 0, max: text.length - 1 }), fc.integer({ min: 32, max: 126 }), (at, code) => {
        const ch = String.fromCharCode(code);
        fc.pre(text[at] !== ch);
        const changed = text.slice(0, at) + ch + text.slice(at + 1);
        const r = parseMessage(changed, key, IN_KINDS);
        // Only a change JSON does not see (whitespace outside strings) may keep the same message.
        if (r.ok) assert.deepEqual(JSON.parse(changed), JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it('checks the items of each kind, in French', () => {
    const bad = sealMessage(key, {
      id: 'p2',
      kind: 'production',
      batchNumber: 'L',
      createdAt: '2026-11-25T10:00:00.000Z',
      items: [{ requestId: 'r1', serial: '12', keys: [] }],
    });
    assert.match(
      (parseMessage(JSON.stringify(bad), key, IN_KINDS) as { reason: string }).reason,
      /Élément n° 1 invalide : demande ou numéro de carte invalide/,
    );
    const v2 = { ...production(), version: 2 };
    assert.match(
      (parseMessage(JSON.stringify(v2), key, IN_KINDS) as { reason: string }).reason,
      /Version 2 du format non prise en charge/,
    );
  });

  it('writes messages atomically and keeps the exchange key in a 0600 file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cartes-format-'));
    try {
      const name = writeMessage(join(dir, 'outbox'), production());
      assert.match(name, /^20261125-100000-production-production-1\.json$/);
      assert.ok(parseMessage(readFileSync(join(dir, 'outbox', name), 'utf8'), key, IN_KINDS).ok);
      const k1 = loadExchangeKey(dir, {});
      assert.deepEqual(loadExchangeKey(dir, {}), k1);
      assert.equal(statSync(join(dir, 'manufacturer', 'exchange.key')).mode & 0o777, 0o600);
      assert.deepEqual(
        loadExchangeKey(dir, { CARTES_MANUFACTURER_KEY: 'ab'.repeat(32) }),
        Buffer.from('ab'.repeat(32), 'hex'),
      );
      assert.throws(() => loadExchangeKey(dir, { CARTES_MANUFACTURER_KEY: 'court' }), /64 caractères hexadécimaux/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('binds the activation verifier to the key, the card and the code', () => {
    const v = activationCodeVerifier(key, '1240000001', '123456');
    assert.match(v, /^[0-9a-f]{64}$/);
    assert.notEqual(v, activationCodeVerifier(randomBytes(32), '1240000001', '123456'));
    assert.notEqual(v, activationCodeVerifier(key, '1240000002', '123456'));
    assert.notEqual(v, activationCodeVerifier(key, '1240000001', '123457'));
  });
});
