import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { buildCrl } from './crl-writer.ts';
import { readCrl, serialKey, verifyCrlSignature } from './crl-reader.ts';
import { keyObjectSigner } from './keystore-file.ts';
import { sequence } from './der.ts';

describe('CRL reader', () => {
  it('reads back what the writer wrote, and checks the signature', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
    const issuer = sequence(); // an empty Name is enough for the structure
    const der = await buildCrl({
      issuer,
      thisUpdate: new Date('2026-03-01T10:00:00Z'),
      nextUpdate: new Date('2026-03-02T10:00:00Z'),
      entries: [
        { serialHex: '0a1b2c', revokedAt: new Date('2026-02-01T08:00:00Z'), reason: 'keyCompromise' },
        { serialHex: '7f00', revokedAt: new Date('2026-02-02T08:00:00Z'), reason: 'certificateHold' },
        { serialHex: 'ff', revokedAt: new Date('2026-02-03T08:00:00Z') },
      ],
      authorityKeyIdentifier: new Uint8Array([1, 2, 3]),
      crlNumber: 4242n,
      signer: keyObjectSigner(privateKey, 'ecdsa-p256'),
    });
    const crl = readCrl(der);
    assert.equal(crl.crlNumber, 4242n);
    assert.equal(crl.thisUpdate.toISOString(), '2026-03-01T10:00:00.000Z');
    assert.equal(crl.nextUpdate?.toISOString(), '2026-03-02T10:00:00.000Z');
    assert.deepEqual(Buffer.from(crl.issuer), Buffer.from(issuer));
    assert.deepEqual(
      crl.entries.map((e) => [serialKey(e.serialHex), e.revokedAt.toISOString(), e.reason]),
      [
        ['a1b2c', '2026-02-01T08:00:00.000Z', 'keyCompromise'],
        ['7f00', '2026-02-02T08:00:00.000Z', 'certificateHold'],
        ['ff', '2026-02-03T08:00:00.000Z', 'unspecified'],
      ],
    );
    const spki = (k: typeof publicKey) => new Uint8Array(k.export({ type: 'spki', format: 'der' }));
    assert.equal(verifyCrlSignature(crl, spki(publicKey)), true);
    assert.equal(verifyCrlSignature(crl, spki(other)), false);
    // One byte changed in the signed part: the signature no longer holds.
    const tampered = Buffer.from(der);
    tampered[tampered.indexOf(Buffer.from('0a1b2c', 'hex'))] = 0x0b;
    assert.equal(verifyCrlSignature(readCrl(tampered), spki(publicKey)), false);
    assert.throws(() => readCrl(Buffer.from('not a crl')), /CRL/);
  });
});
