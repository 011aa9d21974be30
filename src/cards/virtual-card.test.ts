import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openssl } from '../../test/support/openssl.ts';
import { adminResponse, deriveCardAdminKey } from './admin-key.ts';
import { CardError, type AdminOperation, type CardDriver, type CardErrorCode } from './card.ts';
import {
  createVirtualCard,
  openVirtualCard,
  personalizeVirtualCard,
  readVirtualCardHeader,
  VirtualCardBuilder,
} from './virtual-card.ts';

const master = randomBytes(32);
const chipKey = randomBytes(32);
const dir = mkdtempSync(join(tmpdir(), 'cartes-virtual-card-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function newSerial(): string {
  counter++;
  return `124000${String(1000 + counter).padStart(4, '0')}`;
}

/** What a new card is made from: a fresh serial, its file, the admin key derived from the master key. */
function cardInput(model: string, holder: string | null = null) {
  const serial = newSerial();
  return {
    file: join(dir, `${serial}.carte`),
    chipKey,
    serial,
    model,
    adminKey: deriveCardAdminKey(master, serial),
    holder,
  };
}

function newCard(model: string, holder: string | null = null) {
  const input = cardInput(model, holder);
  return { ...input, builder: VirtualCardBuilder.create(input) };
}

async function respond(card: CardDriver, serial: string, op: AdminOperation): Promise<Uint8Array> {
  return adminResponse(deriveCardAdminKey(master, serial), await card.adminChallenge(), op);
}

function isCardError(code: CardErrorCode, message?: RegExp, triesLeft?: number | null) {
  return (err: unknown) => {
    assert.ok(err instanceof CardError, `CardError expected, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    if (triesLeft !== undefined) assert.equal(err.triesLeft, triesLeft);
    return true;
  };
}

/** A personalised card (AUTH, SIGN, ENC keys and certificates), PINs set to auth/sign. */
async function activeCard(
  pins = { auth: '1357', sign: '2468' },
): Promise<{ card: CardDriver; file: string; serial: string; spki: Record<string, Uint8Array> }> {
  const { serial, file, builder } = newCard('cims-agent', 'Camille Martin');
  const spki: Record<string, Uint8Array> = {};
  for (const slot of ['auth', 'sign', 'enc'] as const) {
    spki[slot] = builder.generateKeyPair(slot);
    builder.writeCertificate(
      slot,
      Buffer.from(`30030201${slot === 'auth' ? '01' : slot === 'sign' ? '02' : '03'}`, 'hex'),
    );
  }
  await builder.save();
  const card = await openVirtualCard(file, chipKey);
  await card.setPinWithAdmin('auth', await respond(card, serial, 'set-pin:auth'), pins.auth);
  await card.setPinWithAdmin('sign', await respond(card, serial, 'set-pin:sign'), pins.sign);
  return { card, file, serial, spki };
}

describe('virtual card', () => {
  test('a blank card: header readable without the chip key, nothing else', async () => {
    const input = cardInput('etat-agent', 'Lou Bernard');
    const { serial, file } = input;
    await createVirtualCard(input);
    assert.deepEqual(readVirtualCardHeader(file), { serial, model: 'etat-agent', holder: 'Lou Bernard' });
    assert.equal(readVirtualCardHeader(join(dir, 'absent')), null);
    const card = await openVirtualCard(file, chipKey);
    assert.deepEqual(await card.identity(), {
      serial,
      model: 'etat-agent',
      chipState: 'blank',
      pins: { auth: { set: false, triesLeft: 3, blocked: false }, sign: { set: false, triesLeft: 3, blocked: false } },
      keys: [],
      certificates: [],
      driver: 'virtual',
      adminTriesLeft: 3,
    });
    assert.equal(await card.publicKey('auth'), null);
    assert.equal(await card.readCertificate('auth'), null);
    await assert.rejects(
      createVirtualCard({ file, chipKey, serial, model: 'etat-agent', adminKey: deriveCardAdminKey(master, serial) }),
      /existe déjà/,
    );
    await assert.rejects(
      createVirtualCard({ file: join(dir, 'x'), chipKey, serial: '12', model: 'etat-agent', adminKey: master }),
      /Numéro de carte invalide/,
    );
    // Personalisation on the card itself, under the administration key.
    const spki = await card.generateKeyPair('auth', await respond(card, serial, 'personalize'));
    assert.deepEqual(await card.publicKey('auth'), spki);
    assert.equal(
      createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).asymmetricKeyDetails?.namedCurve,
      'prime256v1',
    );
    // An occupied slot needs the renewal operation: 'personalize' is refused, 'replace-key' renews the key.
    await assert.rejects(
      card.generateKeyPair('auth', await respond(card, serial, 'personalize')),
      isCardError('admin_refused'),
    );
    const renewed = await card.generateKeyPair('auth', await respond(card, serial, 'replace-key:auth'));
    assert.notDeepEqual(renewed, spki);
    assert.deepEqual(await card.publicKey('auth'), renewed);
    await assert.rejects(
      card.writeCertificate('sign', Buffer.from('3000', 'hex'), await respond(card, serial, 'personalize')),
      isCardError('no_key'),
    );
    await card.writeCertificate('auth', Buffer.from('300100', 'hex'), await respond(card, serial, 'personalize'));
    assert.deepEqual(await card.readCertificate('auth'), new Uint8Array([0x30, 0x01, 0x00]));
    assert.equal((await card.identity()).chipState, 'transport');
    await card.close();
    await assert.rejects(card.identity(), isCardError('unreadable', /retirée/));
  });

  test('the builder hands out public keys only and saves once', async () => {
    const { file, builder } = newCard('collectivites-2017', null);
    const auth = builder.generateKeyPair('auth');
    assert.throws(() => builder.generateKeyPair('auth'), isCardError('slot_taken'));
    assert.throws(() => builder.writeCertificate('sign', Buffer.from('3000', 'hex')), isCardError('no_key'));
    assert.throws(() => builder.writeCertificate('auth', Buffer.from('not der')), isCardError('unsupported'));
    assert.equal(JSON.stringify(builder), '{}', 'no key material reachable on the object');
    assert.deepEqual(Object.keys(builder), []);
    await builder.save({ durable: false });
    await assert.rejects(builder.save(), /déjà enregistrée/);
    const card = await openVirtualCard(file, chipKey);
    const id = await card.identity();
    assert.equal(id.chipState, 'transport');
    assert.deepEqual(id.keys, ['auth']);
    assert.deepEqual(await card.publicKey('auth'), auth);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
      'no temp file left',
    );
  });

  test('personalizeVirtualCard: keys, certificates for their SPKIs, one write', async () => {
    const input = cardInput('collectivites-2017', 'Ana Roux');
    const { file } = input;
    const seen: string[] = [];
    const spkis = await personalizeVirtualCard({
      ...input,
      slots: ['auth', 'sign'],
      certify: (slot, spki) => {
        seen.push(slot);
        return Buffer.concat([Buffer.from([0x30, spki.length]), spki]);
      },
      durable: false,
    });
    assert.deepEqual(seen, ['auth', 'sign']);
    const card = await openVirtualCard(file, chipKey);
    const id = await card.identity();
    assert.deepEqual([id.chipState, id.keys, id.certificates], ['transport', ['auth', 'sign'], ['auth', 'sign']]);
    assert.deepEqual(await card.publicKey('sign'), spkis.sign);
    assert.deepEqual(Buffer.from((await card.readCertificate('sign'))!).subarray(2), Buffer.from(spkis.sign!));
  });

  test('PINs: not set, format, wrong counts down, blocked at 0, success resets, unblock under admin', async () => {
    const { serial, file, builder: b } = newCard('cims-agent');
    b.generateKeyPair('auth');
    await b.save();
    const card = await openVirtualCard(file, chipKey);
    await assert.rejects(
      card.verifyPin('auth', '1234'),
      isCardError('pin_not_set', /Le code PIN Global n'est pas encore défini/),
    );
    await assert.rejects(card.sign('auth', Buffer.from('x'), '1234'), isCardError('pin_not_set'));
    // Activation: the response must be for 'set-pin' while the PIN is not set.
    await assert.rejects(
      card.setPinWithAdmin('auth', await respond(card, serial, 'reset-pin:auth'), '1357'),
      isCardError('admin_refused'),
    );
    assert.equal((await card.identity()).adminTriesLeft, 2, 'the wrong response counted');
    await assert.rejects(
      card.setPinWithAdmin('auth', await respond(card, serial, 'set-pin:auth'), '13579'),
      isCardError('pin_format', /4 chiffres/),
    );
    await card.setPinWithAdmin('auth', await respond(card, serial, 'set-pin:auth'), '1357');
    assert.equal((await card.identity()).adminTriesLeft, 3, 'a right response resets the admin counter');

    for (const bad of ['12345', '123', 'abcd', '', '١٢٣٤']) {
      await assert.rejects(
        card.verifyPin('auth', bad),
        isCardError('pin_format', /Le code PIN doit comporter exactement 4 chiffres/),
      );
    }
    assert.equal((await card.identity()).pins.auth.triesLeft, 3, 'format errors do not count');

    await assert.rejects(
      card.verifyPin('auth', '0000'),
      isCardError('pin_wrong', /^Code PIN erroné : il reste 2 essais\.$/, 2),
    );
    await card.verifyPin('auth', '1357');
    assert.equal((await card.identity()).pins.auth.triesLeft, 3, 'success resets');
    await assert.rejects(card.verifyPin('auth', '0000'), isCardError('pin_wrong', /il reste 2 essais/, 2));
    await assert.rejects(
      card.verifyPin('auth', '0001'),
      isCardError('pin_wrong', /^Code PIN erroné : il reste 1 essai\.$/, 1),
    );
    await assert.rejects(
      card.verifyPin('auth', '0002'),
      isCardError('pin_blocked', /^Code PIN erroné : le code PIN Global est bloqué après trois erreurs\.$/, 0),
    );
    await assert.rejects(
      card.verifyPin('auth', '1357'),
      isCardError('pin_blocked', /^Le code PIN Global est bloqué après trois erreurs\.$/),
    );
    await assert.rejects(card.changePin('auth', '1357', '9999'), isCardError('pin_blocked'));
    assert.deepEqual((await card.identity()).pins.auth, { set: true, triesLeft: 0, blocked: true });

    // Another driver on the same file sees the same counters (state lives in the file).
    const again = await openVirtualCard(file, chipKey);
    assert.equal((await again.identity()).pins.auth.blocked, true);

    // Unblock: 'reset-pin' now, 'set-pin' refused.
    await assert.rejects(
      card.setPinWithAdmin('auth', await respond(card, serial, 'set-pin:auth'), '2468'),
      isCardError('admin_refused'),
    );
    await card.setPinWithAdmin('auth', await respond(card, serial, 'reset-pin:auth'), '2468');
    assert.deepEqual((await card.identity()).pins.auth, { set: true, triesLeft: 3, blocked: false });
    await assert.rejects(card.verifyPin('auth', '1357'), isCardError('pin_wrong'));
    await card.verifyPin('auth', '2468');

    // The holder changes a PIN: old value checked and counted.
    await assert.rejects(card.changePin('auth', '0000', '4321'), isCardError('pin_wrong', undefined, 2));
    await assert.rejects(card.changePin('auth', '2468', '43210'), isCardError('pin_format'));
    await card.changePin('auth', '2468', '4321');
    await card.verifyPin('auth', '4321');
    await assert.rejects(card.verifyPin('sign', '4321'), isCardError('pin_not_set', /PIN Propre/));
  });

  test('signatures: ECDSA P-256/SHA-256 DER, verified by node:crypto and openssl; each slot under its own PIN', async () => {
    const { card, spki } = await activeCard();
    assert.equal((await card.identity()).chipState, 'active');
    const data = Buffer.from(`cartes-connexion-v1\n${randomBytes(32).toString('base64')}\nhttps://cartes.example`);
    for (const [slot, pin] of [
      ['auth', '1357'],
      ['enc', '1357'],
      ['sign', '2468'],
    ] as const) {
      const sig = await card.sign(slot, data, pin);
      assert.equal(sig[0], 0x30, 'DER SEQUENCE');
      const pub = createPublicKey({ key: Buffer.from(spki[slot]!), format: 'der', type: 'spki' });
      assert.ok(verify('sha256', data, pub, sig), slot);
      assert.equal(verify('sha256', Buffer.concat([data, Buffer.from('!')]), pub, sig), false);
      const tag = `${slot}-${randomBytes(4).toString('hex')}`;
      writeFileSync(join(dir, `${tag}.pub`), pub.export({ format: 'pem', type: 'spki' }));
      writeFileSync(join(dir, `${tag}.sig`), sig);
      writeFileSync(join(dir, `${tag}.dat`), data);
      const r = await openssl([
        'dgst',
        '-sha256',
        '-verify',
        join(dir, `${tag}.pub`),
        '-signature',
        join(dir, `${tag}.sig`),
        join(dir, `${tag}.dat`),
      ]);
      assert.equal(r.status, 0, r.out);
      assert.match(r.out, /Verified OK/);
    }
    // The sign slot wants the PIN Propre, auth and enc the PIN Global; misses count on that PIN.
    await assert.rejects(card.sign('sign', data, '1357'), isCardError('pin_wrong', undefined, 2));
    await assert.rejects(card.sign('auth', data, '2468'), isCardError('pin_wrong', undefined, 2));
    const pins = (await card.identity()).pins;
    assert.equal(pins.sign.triesLeft, 2);
    assert.equal(pins.auth.triesLeft, 2);
    await assert.rejects(card.sign('auth', data, '12'), isCardError('pin_format'));
  });

  test('a card without a key in the slot refuses to sign before asking for the PIN', async () => {
    const { serial, file, builder: b } = newCard('etat-agent');
    b.generateKeyPair('auth');
    b.generateKeyPair('sign');
    await b.save();
    const card = await openVirtualCard(file, chipKey);
    await card.setPinWithAdmin('auth', await respond(card, serial, 'set-pin:auth'), '1111');
    await assert.rejects(
      card.sign('enc', Buffer.from('x'), '0000'),
      isCardError('no_key', /Aucune clé dans l'emplacement « chiffrement »/),
    );
    assert.equal((await card.identity()).pins.auth.triesLeft, 3);
  });

  test('administration: single-use challenge, replay and wrong operation refused, blocked after 3 wrong answers', async () => {
    const { card, serial } = await activeCard();
    const key = deriveCardAdminKey(master, serial);
    // No challenge yet.
    await assert.rejects(
      card.setPinWithAdmin('auth', adminResponse(key, randomBytes(16), 'reset-pin:auth'), '1111'),
      isCardError('admin_refused', /aucun défi en cours/),
    );
    // Replay: the same response a second time.
    const challenge = await card.adminChallenge();
    const response = adminResponse(key, challenge, 'reset-pin:sign');
    await card.setPinWithAdmin('sign', response, '1111');
    await assert.rejects(
      card.setPinWithAdmin('sign', response, '2222'),
      isCardError('admin_refused', /aucun défi en cours/),
    );
    await card.verifyPin('sign', '1111');
    // A challenge is consumed by a wrong answer: the right answer afterwards is refused.
    const c2 = await card.adminChallenge();
    await assert.rejects(
      card.setPinWithAdmin('sign', adminResponse(key, c2, 'terminate'), '2222'),
      isCardError('admin_refused', /incorrecte \(encore 2 essais/),
    );
    await assert.rejects(
      card.setPinWithAdmin('sign', adminResponse(key, c2, 'reset-pin:sign'), '2222'),
      isCardError('admin_refused', /aucun défi/),
    );
    // A newer challenge replaces the older one.
    const old = await card.adminChallenge();
    await card.adminChallenge();
    await assert.rejects(card.terminate(adminResponse(key, old, 'terminate')), isCardError('admin_refused'));
    // Another card's key.
    await assert.rejects(
      card.terminate(await respond(card, newSerial(), 'terminate')),
      isCardError('admin_refused', /maintenant bloquée/),
    );
    assert.equal((await card.identity()).adminTriesLeft, 0);
    await assert.rejects(
      card.terminate(await respond(card, serial, 'terminate')),
      isCardError('admin_refused', /clé d'administration de la carte est bloquée/),
    );
    // The holder's PINs still work.
    await card.verifyPin('auth', '1357');
    assert.equal((await card.identity()).chipState, 'active');
  });

  test('the file reveals nothing: no key, PIN or admin key in clear', async () => {
    const { card, file, serial, spki } = await activeCard({ auth: '8352', sign: '9461' });
    await card.sign('sign', Buffer.from('x'), '9461');
    const raw = readFileSync(file);
    const text = raw.toString('utf8');
    const json = JSON.parse(text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json).sort(), ['format', 'holder', 'model', 'sealed', 'serial', 'version']);
    assert.equal(json['format'], 'cartes-carte-virtuelle');
    // PKCS#8 of a P-256 key starts with this DER (version 0, id-ecPublicKey, prime256v1, OCTET STRING).
    const pkcs8Prefix = Buffer.from('020100301306072a8648ce3d020106082a8648ce3d030107', 'hex');
    const adminKey = deriveCardAdminKey(master, serial);
    for (const [name, needle] of [
      ['PKCS#8 DER', pkcs8Prefix],
      ['PKCS#8 base64', Buffer.from(pkcs8Prefix.toString('base64').slice(0, 24))],
      ['BEGIN PRIVATE', Buffer.from('PRIVATE KEY')],
      ['SPKI (public key, sealed too)', Buffer.from(Buffer.from(spki['auth']!).toString('base64').slice(0, 40))],
      ['admin key hex', Buffer.from(adminKey.toString('hex'))],
      ['admin key base64', Buffer.from(adminKey.toString('base64'))],
      ['PIN Global', Buffer.from('"8352"')],
      ['PIN Propre', Buffer.from('"9461"')],
      ['PIN field', Buffer.from('triesLeft')],
      ['key field', Buffer.from('pkcs8')],
    ] as const) {
      assert.equal(raw.indexOf(needle), -1, `${name} found in the file`);
    }
  });

  test('an edited, foreign or missing file is unreadable', async () => {
    const { file, serial } = await activeCard();
    const original = readFileSync(file, 'utf8');
    const json = JSON.parse(original) as { holder: string; model: string; sealed: { data: string } };

    writeFileSync(file, JSON.stringify({ ...json, holder: 'Quelqu’un d’autre' }));
    await assert.rejects(openVirtualCard(file, chipKey), isCardError('unreadable', /modifié ou abîmé/));
    writeFileSync(file, JSON.stringify({ ...json, model: 'etat-agent' }));
    await assert.rejects(openVirtualCard(file, chipKey), isCardError('unreadable'));
    const data = Buffer.from(json.sealed.data, 'base64');
    data[10] = data[10]! ^ 1;
    writeFileSync(file, JSON.stringify({ ...json, sealed: { ...json.sealed, data: data.toString('base64') } }));
    await assert.rejects(openVirtualCard(file, chipKey), isCardError('unreadable'));
    writeFileSync(file, 'garbage');
    await assert.rejects(openVirtualCard(file, chipKey), isCardError('unreadable', /n'est pas une carte/));

    writeFileSync(file, original);
    await assert.rejects(openVirtualCard(file, randomBytes(32)), isCardError('unreadable', /autre clé de puce/));
    const card = await openVirtualCard(file, chipKey);
    assert.equal((await card.identity()).serial, serial);
    // Copied under another name, with the serial changed in the header: still refused.
    const copy = join(dir, 'copie.carte');
    writeFileSync(copy, JSON.stringify({ ...json, serial: '9999999999' }));
    await assert.rejects(openVirtualCard(copy, chipKey), isCardError('unreadable'));
    rmSync(file);
    await assert.rejects(card.identity(), isCardError('unreadable', /introuvable/));
  });

  test('a terminated card refuses everything but identity', async () => {
    const { card, serial, file } = await activeCard();
    await card.terminate(await respond(card, serial, 'terminate'));
    const id = await card.identity();
    assert.equal(id.chipState, 'terminated');
    assert.deepEqual(id.keys, []);
    assert.deepEqual(id.certificates, []);
    const refused = isCardError('terminated', /désactivée définitivement/);
    await assert.rejects(card.verifyPin('auth', '1357'), refused);
    await assert.rejects(card.changePin('auth', '1357', '1111'), refused);
    await assert.rejects(card.sign('auth', Buffer.from('x'), '1357'), refused);
    await assert.rejects(card.adminChallenge(), refused);
    await assert.rejects(card.setPinWithAdmin('auth', Buffer.alloc(32), '1111'), refused);
    await assert.rejects(card.generateKeyPair('auth', Buffer.alloc(32)), refused);
    await assert.rejects(card.writeCertificate('auth', Buffer.from('3000', 'hex'), Buffer.alloc(32)), refused);
    await assert.rejects(card.publicKey('auth'), refused);
    await assert.rejects(card.readCertificate('auth'), refused);
    await assert.rejects(card.terminate(Buffer.alloc(32)), refused);
    assert.equal(readFileSync(file).indexOf(Buffer.from('terminated')), -1, 'the state is sealed too');
  });

  test('concurrent operations from two drivers of one file keep every count (serialised, atomic writes)', async () => {
    const { file } = await activeCard();
    const a = await openVirtualCard(file, chipKey);
    const b = await openVirtualCard(file, chipKey);
    const results = await Promise.allSettled([
      a.verifyPin('sign', '0000'),
      b.verifyPin('sign', '0001'),
      a.verifyPin('sign', '0002'),
      b.verifyPin('sign', '2468'),
    ]);
    assert.deepEqual(
      results.map((r) => (r.status === 'rejected' ? (r.reason as CardError).code : 'ok')),
      ['pin_wrong', 'pin_wrong', 'pin_blocked', 'pin_blocked'],
    );
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.tmp') || f.endsWith('.lock')),
      [],
      'no temp or lock file left',
    );
  });

  test('two processes on one card: both wrong PINs count (lock file around read-modify-write)', async () => {
    const { card, file } = await activeCard();
    const module = new URL('./virtual-card.ts', import.meta.url).href;
    const script = `
      const { openVirtualCard } = await import(${JSON.stringify(module)});
      const [file, key, at] = process.argv.slice(1);
      const card = await openVirtualCard(file, Buffer.from(key, 'hex'));
      await new Promise((r) => setTimeout(r, Math.max(0, Number(at) - Date.now())));
      try { await card.verifyPin('sign', '0000'); } catch (e) { console.log(e.code); }`;
    const at = String(Date.now() + 1500);
    const run = () =>
      promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, file, chipKey.toString('hex'), at], {
        encoding: 'utf8',
      });
    const outs = await Promise.all([run(), run()]);
    assert.deepEqual(outs.map((o) => o.stdout.trim()).sort(), ['pin_wrong', 'pin_wrong']);
    assert.equal((await card.identity()).pins.sign.triesLeft, 1, 'no lost update');
  });
});
