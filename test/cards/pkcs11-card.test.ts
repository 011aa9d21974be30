// The card interface over real SoftHSM2 tokens (fresh token folder per run): the same behaviour as
// the virtual card where it applies, keys generated and kept on the token.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPublicKey, randomBytes, verify, webcrypto } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { initSoftHsmToken, type SoftHsmToken } from '../../scripts/lib/softhsm.js';
import { adminResponse, deriveCardAdminKey, pkcs11SoPin } from '../../src/cards/admin-key.ts';
import {
  CardError,
  type AdminOperation,
  type CardDriver,
  type CardErrorCode,
  type CardSlot,
} from '../../src/cards/card.ts';
import { openFile } from '../../src/cards/chip.ts';
import {
  createPkcs11Card,
  openPkcs11Card,
  PKCS11_CARD_FORMAT,
  type Pkcs11CardOptions,
} from '../../src/cards/pkcs11-card.ts';
import { openssl } from '../support/openssl.ts';
import * as x509 from '../../src/pki/x509.ts';

const execFileAsync = promisify(execFile);
const master = randomBytes(32);
const chipKey = randomBytes(32);
const SERIALS = { a: '1240002001', b: '1240002002', c: '1240002003', d: '1240002004' } as const;
type Name = keyof typeof SERIALS;
let tokens: SoftHsmToken;
const cards: CardDriver[] = [];

function options(name: Name | 'x'): Pkcs11CardOptions {
  return {
    modulePath: tokens.modulePath,
    tokenLabel: `carte-${name}`,
    stateFile: join(tokens.dir, `carte-${name}.pkcs11.json`),
    chipKey,
  };
}

before(async () => {
  // Every token exists before the module is loaded: SoftHSM reads its token list at C_Initialize.
  tokens = await initSoftHsmToken({
    label: 'carte-a',
    soPin: pkcs11SoPin(deriveCardAdminKey(master, SERIALS.a)),
    userPin: '0000',
  });
  for (const name of ['b', 'c', 'd'] as const) {
    await initSoftHsmToken({
      label: `carte-${name}`,
      soPin: pkcs11SoPin(deriveCardAdminKey(master, SERIALS[name])),
      userPin: '0000',
      dir: tokens.dir,
    });
  }
  await initSoftHsmToken({ label: 'carte-x', soPin: '12345678', userPin: '0000', dir: tokens.dir });
});
after(async () => {
  for (const c of cards) await c.close();
  await tokens?.cleanup();
});

async function make(name: Name): Promise<CardDriver> {
  const serial = SERIALS[name];
  await createPkcs11Card({
    ...options(name),
    serial,
    model: 'cims-agent',
    adminKey: deriveCardAdminKey(master, serial),
    holder: `Porteur ${name}`,
  });
  const card = await openPkcs11Card(options(name));
  cards.push(card);
  return card;
}

async function respond(card: CardDriver, serial: string, op: AdminOperation): Promise<Uint8Array> {
  return adminResponse(deriveCardAdminKey(master, serial), await card.adminChallenge(), op);
}

function isCardError(code: CardErrorCode, message?: RegExp, triesLeft?: number) {
  return (err: unknown) => {
    assert.ok(err instanceof CardError, `CardError expected, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    if (triesLeft !== undefined) assert.equal(err.triesLeft, triesLeft);
    return true;
  };
}

/** A certificate for the card's public key, issued by a throw-away CA (real X.509 DER). */
async function certificateFor(spki: Uint8Array, cn: string): Promise<Uint8Array> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const ca = (await webcrypto.subtle.generateKey(alg, false, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const publicKey = await webcrypto.subtle.importKey('spki', spki, alg, true, ['verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(8).toString('hex'),
    subject: `CN=${cn}`,
    issuer: 'CN=AC de test',
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2032-01-01T00:00:00Z'),
    signingAlgorithm: alg,
    publicKey,
    signingKey: ca.privateKey,
  });
  return new Uint8Array(cert.rawData);
}

async function personalize(
  card: CardDriver,
  serial: string,
  slots: readonly CardSlot[],
): Promise<Record<string, Uint8Array>> {
  const spki: Record<string, Uint8Array> = {};
  for (const slot of slots) {
    spki[slot] = await card.generateKeyPair(slot, await respond(card, serial, 'personalize'));
    await card.writeCertificate(
      slot,
      await certificateFor(spki[slot]!, `Porteur ${slot}`),
      await respond(card, serial, 'personalize'),
    );
  }
  return spki;
}

async function activate(card: CardDriver, serial: string, auth = '1357', sign = '2468'): Promise<void> {
  await card.setPinWithAdmin('auth', await respond(card, serial, 'set-pin:auth'), auth);
  await card.setPinWithAdmin('sign', await respond(card, serial, 'set-pin:sign'), sign);
}

async function opensslVerifies(spki: Uint8Array, data: Uint8Array, sig: Uint8Array): Promise<boolean> {
  const tag = randomBytes(4).toString('hex');
  const f = (ext: string) => join(tokens.dir, `${tag}.${ext}`);
  writeFileSync(
    f('pub'),
    createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({ format: 'pem', type: 'spki' }),
  );
  writeFileSync(f('sig'), sig);
  writeFileSync(f('dat'), data);
  const r = await openssl(['dgst', '-sha256', '-verify', f('pub'), '-signature', f('sig'), f('dat')]);
  return r.status === 0 && r.out.includes('Verified OK');
}

/** The token's user PIN, read from the sealed companion record with the chip key (tests only). */
function userSecret(name: Name): string {
  return openFile<{ userSecret: string }>(
    readFileSync(options(name).stateFile),
    PKCS11_CARD_FORMAT,
    chipKey,
    'cartes-pkcs11-card',
  ).content.userSecret;
}

async function pkcs11Tool(name: Name, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(
    'pkcs11-tool',
    ['--module', tokens.modulePath, '--token-label', `carte-${name}`, ...args],
    { encoding: 'utf8' },
  );
  return stdout;
}

describe('PKCS#11 card on SoftHSM2', () => {
  test('a token prepared for another card key is refused', async () => {
    await assert.rejects(
      createPkcs11Card({
        ...options('x'),
        serial: '1240002999',
        model: 'cims-agent',
        adminKey: deriveCardAdminKey(master, '1240002999'),
      }),
      isCardError('admin_refused', /n'a pas été préparé avec la clé d'administration de la carte 1240002999/),
    );
    await assert.rejects(openPkcs11Card(options('x')), isCardError('unreadable', /introuvable/));
    await assert.rejects(openPkcs11Card({ ...options('a'), tokenLabel: 'absent' }), isCardError('unreadable'));
  });

  test('personalisation on the token, activation, signatures verified by node:crypto, openssl and pkcs11-tool', async () => {
    const serial = SERIALS.a;
    const card = await make('a');
    const blank = await card.identity();
    assert.equal(blank.chipState, 'blank');
    assert.equal(blank.driver, 'pkcs11');
    assert.deepEqual(blank.keys, []);
    const spki = await personalize(card, serial, ['auth', 'sign', 'enc']);
    await assert.rejects(
      card.generateKeyPair('auth', await respond(card, serial, 'personalize')),
      isCardError('admin_refused'),
    );
    const transport = await card.identity();
    assert.equal(transport.chipState, 'transport');
    assert.deepEqual(transport.keys, ['auth', 'sign', 'enc']);
    assert.deepEqual(transport.certificates, ['auth', 'sign', 'enc']);
    assert.deepEqual(await card.publicKey('sign'), spki['sign']);
    const cert = new x509.X509Certificate(Buffer.from((await card.readCertificate('sign'))!));
    assert.equal(cert.subject, 'CN=Porteur sign');
    assert.deepEqual(new Uint8Array(cert.publicKey.rawData), spki['sign']);
    await assert.rejects(card.sign('auth', Buffer.from('x'), '1357'), isCardError('pin_not_set'));

    await activate(card, serial);
    assert.equal((await card.identity()).chipState, 'active');
    const data = Buffer.from(`cartes-action-v1\n${randomBytes(24).toString('base64')}`);
    for (const [slot, pin] of [
      ['auth', '1357'],
      ['enc', '1357'],
      ['sign', '2468'],
    ] as const) {
      const sig = await card.sign(slot, data, pin);
      assert.equal(sig[0], 0x30);
      const pub = createPublicKey({ key: Buffer.from(spki[slot]!), format: 'der', type: 'spki' });
      assert.ok(verify('sha256', data, pub, sig), slot);
      assert.equal(verify('sha256', Buffer.concat([data, Buffer.from('.')]), pub, sig), false);
      assert.ok(await opensslVerifies(spki[slot]!, data, sig), `openssl ${slot}`);
    }
    // The public key as OpenSC's pkcs11-tool reads it from the token.
    const out = join(tokens.dir, 'auth-pub.der');
    await pkcs11Tool('a', ['--read-object', '--type', 'pubkey', '--label', 'auth', '-o', out]);
    assert.deepEqual(new Uint8Array(readFileSync(out)), spki['auth']);
    // Private keys: sensitive, never extractable, generated on the token, signing only.
    const list = await pkcs11Tool('a', ['--login', '--pin', userSecret('a'), '--list-objects', '--type', 'privkey']);
    assert.equal(list.match(/Access:\s+sensitive, always sensitive, never extractable, local/g)?.length, 3, list);
    // The 4-digit PINs are not the token's PIN.
    await assert.rejects(pkcs11Tool('a', ['--login', '--pin', '1357', '--list-objects']), /CKR_PIN_INCORRECT/);
  });

  test('PINs: format, wrong counts down, blocked at 0, success resets, unblock under admin, each slot its own PIN', async () => {
    const serial = SERIALS.b;
    const card = await make('b');
    await personalize(card, serial, ['auth', 'sign']);
    await assert.rejects(card.verifyPin('sign', '2468'), isCardError('pin_not_set', /PIN Propre/));
    await assert.rejects(
      card.setPinWithAdmin('auth', await respond(card, serial, 'reset-pin:auth'), '1357'),
      isCardError('admin_refused'),
    );
    await activate(card, serial);
    await assert.rejects(card.verifyPin('auth', '13a7'), isCardError('pin_format'));
    await assert.rejects(
      card.sign('sign', Buffer.from('x'), '1357'),
      isCardError('pin_wrong', /^Code PIN erroné : il reste 2 essais\.$/, 2),
    );
    await card.sign('sign', Buffer.from('x'), '2468');
    assert.equal((await card.identity()).pins.sign.triesLeft, 3, 'success resets');
    await assert.rejects(card.verifyPin('sign', '0000'), isCardError('pin_wrong', undefined, 2));
    await assert.rejects(card.verifyPin('sign', '0001'), isCardError('pin_wrong', /il reste 1 essai\./, 1));
    await assert.rejects(
      card.verifyPin('sign', '0002'),
      isCardError('pin_blocked', /PIN Propre est bloqué après trois erreurs/, 0),
    );
    await assert.rejects(card.sign('sign', Buffer.from('x'), '2468'), isCardError('pin_blocked'));
    // The PIN Global is untouched and still signs with AUTH.
    assert.deepEqual((await card.identity()).pins, {
      auth: { set: true, triesLeft: 3, blocked: false },
      sign: { set: true, triesLeft: 0, blocked: true },
    });
    await card.sign('auth', Buffer.from('x'), '1357');
    await assert.rejects(card.sign('enc', Buffer.from('x'), '1357'), isCardError('no_key'));
    // Unblock under the administration key.
    await card.setPinWithAdmin('sign', await respond(card, serial, 'reset-pin:sign'), '8642');
    await card.sign('sign', Buffer.from('x'), '8642');
    await card.changePin('auth', '1357', '7531');
    await assert.rejects(card.verifyPin('auth', '1357'), isCardError('pin_wrong'));
    await card.verifyPin('auth', '7531');
    // State survives a new driver (another process would see the same).
    const again = await openPkcs11Card(options('b'));
    cards.push(again);
    assert.equal((await again.identity()).pins.auth.triesLeft, 3);
    const raw = readFileSync(options('b').stateFile);
    for (const needle of [
      '"7531"',
      '"8642"',
      userSecret('b'),
      deriveCardAdminKey(master, serial).toString('base64'),
      'triesLeft',
    ]) {
      assert.equal(raw.indexOf(needle), -1, `${needle} in the companion record`);
    }
  });

  test('administration: replayed, foreign and late responses refused; blocked after three', async () => {
    const serial = SERIALS.c;
    const card = await make('c');
    const key = deriveCardAdminKey(master, serial);
    const c1 = await card.adminChallenge();
    const r1 = adminResponse(key, c1, 'personalize');
    await card.generateKeyPair('auth', r1);
    await assert.rejects(card.generateKeyPair('sign', r1), isCardError('admin_refused', /aucun défi en cours/));
    await assert.rejects(
      card.generateKeyPair('sign', await respond(card, SERIALS.d, 'personalize')),
      isCardError('admin_refused', /encore 2 essais/),
    );
    await assert.rejects(
      card.generateKeyPair('sign', await respond(card, serial, 'terminate')),
      isCardError('admin_refused', /encore 1 essai /),
    );
    assert.deepEqual((await card.identity()).keys, ['auth'], 'nothing generated on refusal');
    await assert.rejects(
      card.generateKeyPair('sign', adminResponse(key, await card.adminChallenge(), 'set-pin:auth')),
      isCardError('admin_refused', /maintenant bloquée/),
    );
    await assert.rejects(
      card.generateKeyPair('sign', await respond(card, serial, 'personalize')),
      isCardError('admin_refused', /est bloquée/),
    );
    assert.equal((await card.identity()).adminTriesLeft, 0);
  });

  test('an edited companion record or one of another token is unreadable', async () => {
    const recordA = readFileSync(options('a').stateFile, 'utf8');
    const json = JSON.parse(recordA) as { holder: string };
    writeFileSync(options('d').stateFile, JSON.stringify({ ...json, holder: 'Autre' }));
    await assert.rejects(openPkcs11Card(options('d')), isCardError('unreadable'));
    writeFileSync(options('d').stateFile, recordA);
    await assert.rejects(openPkcs11Card(options('d')), isCardError('unreadable', /ne correspond pas à ce jeton/));
    await assert.rejects(
      openPkcs11Card({ ...options('a'), chipKey: randomBytes(32) }),
      isCardError('unreadable', /autre clé de puce/),
    );
  });

  test('terminate erases the token; the card refuses everything but identity', async () => {
    const serial = SERIALS.d;
    writeFileSync(options('d').stateFile, '');
    await assert.rejects(make('d'), /existe déjà/);
    await import('node:fs/promises').then((fs) => fs.rm(options('d').stateFile));
    const card = await make('d');
    await personalize(card, serial, ['auth', 'sign']);
    await activate(card, serial);
    const secret = userSecret('d');
    await card.terminate(await respond(card, serial, 'terminate'));
    const id = await card.identity();
    assert.equal(id.chipState, 'terminated');
    assert.deepEqual(id.keys, []);
    const refused = isCardError('terminated');
    await assert.rejects(card.sign('auth', Buffer.from('x'), '1357'), refused);
    await assert.rejects(card.verifyPin('auth', '1357'), refused);
    await assert.rejects(card.adminChallenge(), refused);
    await assert.rejects(card.readCertificate('auth'), refused);
    await assert.rejects(card.publicKey('auth'), refused);
    await assert.rejects(card.terminate(Buffer.alloc(32)), refused);
    // The token itself holds nothing any more and the old user PIN is gone.
    assert.doesNotMatch(await pkcs11Tool('d', ['--list-objects']), /Public Key Object|Certificate Object/);
    await assert.rejects(
      pkcs11Tool('d', ['--login', '--pin', secret, '--list-objects']),
      /CKR_USER_PIN_NOT_INITIALIZED|CKR_PIN_INCORRECT/,
    );
  });
});
