// The workstation card agent over real HTTP, with real virtual card files: pairing, origin and token
// checks, the virtual reader, PIN counters, signatures checked against the slot certificate, and the
// `cartes agent` commands through the real binary.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, verify as nodeVerify, webcrypto, X509Certificate, createPublicKey } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as x509 from '../../src/pki/x509.ts';
import { adminResponse, deriveCardAdminKey } from '../../src/cards/admin-key.ts';
import type { CardSlot, PinKind } from '../../src/cards/card.ts';
import { loadChipKey } from '../../src/cards/keys.ts';
import { VirtualCardBuilder } from '../../src/cards/virtual-card.ts';
import { CardAgentClient, CardAgentError } from '../../src/agent/client.ts';
import { ADMIN_HEADER, adminTokenPath } from '../../src/agent/local.ts';
import { startCardAgent, type CardAgent } from '../../src/agent/server.ts';
import { CLI_SHIM as SHIM, ROOT, run } from '../support/process.ts';

const ORIGIN = 'https://cartes.test.gouv.fr';
const R = 'virtuel';

const master = randomBytes(32);
let root: string;
let dataDir: string;
let cardsDir: string;
let chipKey: Buffer;
let agent: CardAgent;
const logs: string[] = [];
let caKeys: webcrypto.CryptoKeyPair;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'cartes-agent-'));
  dataDir = join(root, 'data');
  cardsDir = join(dataDir, 'cards');
  chipKey = loadChipKey(dataDir, {});
  caKeys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  agent = await startCardAgent({
    port: 0,
    portalOrigin: ORIGIN,
    cardsDir,
    chipKey,
    dataDir,
    log: (line) => logs.push(line),
  });
});

after(async () => {
  await agent?.close();
  rmSync(root, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Helpers

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown> | null;
}

async function call(
  method: string,
  path: string,
  opts: { origin?: string | null; token?: string; admin?: string; body?: unknown; raw?: string; type?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  const origin = opts.origin === undefined ? ORIGIN : opts.origin;
  if (origin) headers['origin'] = origin;
  if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
  if (opts.admin) headers[ADMIN_HEADER] = opts.admin;
  let body: string | undefined;
  if (opts.raw !== undefined || opts.body !== undefined) {
    headers['content-type'] = opts.type ?? 'application/json';
    body = opts.raw ?? JSON.stringify(opts.body);
  }
  const res = await fetch(agent.url + path, { method, headers, body });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    json: text ? (JSON.parse(text) as Record<string, unknown>) : null,
  };
}

let serialCounter = 0;

/** A personalised card file (AUTH and SIGN keys, certificates from a test CA), PINs not set yet. */
async function makeCard(
  file: string,
  holder: string,
  dir = cardsDir,
  key = chipKey,
): Promise<{ file: string; serial: string; certificates: Record<string, Uint8Array> }> {
  serialCounter++;
  const serial = `7391${String(serialCounter).padStart(6, '0')}`;
  const builder = VirtualCardBuilder.create({
    file: join(dir, file),
    chipKey: key,
    serial,
    model: 'cims-agent',
    adminKey: deriveCardAdminKey(master, serial),
    holder,
  });
  const certificates: Record<string, Uint8Array> = {};
  for (const slot of ['auth', 'sign'] as const) {
    const spki = builder.generateKeyPair(slot);
    const publicKey = await webcrypto.subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'verify',
    ]);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomBytes(8)
        .toString('hex')
        .replace(/^[89a-f]/, '1'),
      subject: `CN=${holder} (${slot})`,
      issuer: 'CN=AC de test',
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    });
    certificates[slot] = new Uint8Array(cert.rawData);
    builder.writeCertificate(slot, certificates[slot]);
  }
  await builder.save();
  return { file, serial, certificates };
}

async function paired(): Promise<CardAgentClient> {
  return CardAgentClient.pair(agent.url, agent.pairingCode, ORIGIN);
}

/** Activation as the server would drive it: a response to the card's challenge under its admin key. */
async function setPin(
  client: CardAgentClient,
  serial: string,
  pin: PinKind,
  value: string,
  operation: 'set-pin' | 'reset-pin' = 'set-pin',
): Promise<void> {
  const challenge = await client.adminChallenge(R);
  await client.adminSetPin(
    R,
    pin,
    adminResponse(deriveCardAdminKey(master, serial), challenge, `${operation}:${pin}`),
    value,
  );
}

async function rejectsWith(
  p: Promise<unknown>,
  status: number,
  code: string,
  message?: RegExp,
  triesLeft?: number | null,
): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof CardAgentError, String(err));
    assert.equal(err.status, status, err.message);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    if (triesLeft !== undefined) assert.equal(err.triesLeft, triesLeft);
    return true;
  });
}

function verifies(certificate: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  return nodeVerify('sha256', data, new X509Certificate(Buffer.from(certificate)).publicKey, signature);
}

// ---------------------------------------------------------------------------------------------

describe('card agent: access', () => {
  it('listens on 127.0.0.1 only and refuses other bind addresses', async () => {
    assert.match(agent.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(agent.pairingCode, /^\d{6}$/);
    await assert.rejects(
      startCardAgent({ host: '0.0.0.0', port: 0, portalOrigin: ORIGIN, cardsDir, chipKey }),
      /boucle locale/,
    );
    const port = Number(new URL(agent.url).port);
    await assert.rejects(
      startCardAgent({ port, portalOrigin: ORIGIN, cardsDir, chipKey }),
      /Le port \d+ est déjà utilisé/,
    );
  });

  it('writes the admin token 0600 for the local CLI', () => {
    const file = adminTokenPath(dataDir);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(file, 'utf8').trim(), agent.adminToken);
  });

  it('serves the portal origin only, with CORS and preflight; other origins get 403 in French', async () => {
    const pre = await call('OPTIONS', '/status', { origin: ORIGIN });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), ORIGIN);
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /authorization/);
    assert.match(pre.headers.get('access-control-allow-methods') ?? '', /POST/);

    const res = await fetch(agent.url + '/status', {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-private-network': 'true' },
    });
    assert.equal(res.headers.get('access-control-allow-private-network'), 'true');

    for (const origin of [
      'https://evil.example',
      'https://cartes.test.gouv.fr.evil.example',
      'null',
      'http://cartes.test.gouv.fr',
    ]) {
      for (const [method, path] of [
        ['OPTIONS', '/status'],
        ['GET', '/status'],
        ['POST', '/pair'],
      ] as const) {
        const r = await call(method, path, {
          origin,
          ...(method === 'POST' ? { body: { code: agent.pairingCode } } : {}),
        });
        assert.equal(r.status, 403, `${origin} ${method} ${path}`);
        assert.equal(r.json?.['code'], 'origin_refused');
        assert.match(String(r.json?.['message']), /Origine refusée/);
        assert.equal(r.headers.get('access-control-allow-origin'), null);
      }
    }
    // A portal on this machine is the same page under 127.0.0.1 and localhost, never another port.
    const local = await startCardAgent({ port: 0, portalOrigin: 'http://127.0.0.1:3000', cardsDir, chipKey });
    try {
      for (const [origin, status] of [
        ['http://localhost:3000', 204],
        ['http://127.0.0.1:3000', 204],
        ['http://localhost:3001', 403],
        ['https://localhost:3000', 403],
      ] as const) {
        const r = await fetch(local.url + '/status', { method: 'OPTIONS', headers: { origin } });
        assert.equal(r.status, status, origin);
        assert.equal(r.headers.get('access-control-allow-origin'), status === 204 ? origin : null);
      }
    } finally {
      await local.close();
    }
    // Without Origin, only the admin token is accepted (the local CLI).
    const bare = await call('GET', '/status', { origin: null });
    assert.equal(bare.status, 403);
    assert.match(String(bare.json?.['message']), /origine absente/);
    const { token } = (await call('POST', '/pair', { body: { code: agent.pairingCode } })).json as { token: string };
    assert.equal((await call('GET', '/status', { token })).status, 200);
    const bearerOnly = await call('GET', '/status', { origin: null, token });
    assert.equal(bearerOnly.status, 403);
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const port = new URL(agent.url).port;
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/status',
          headers: { host: `evil.example:${port}`, [ADMIN_HEADER]: agent.adminToken },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 403);
    const ok = await fetch(agent.url.replace('127.0.0.1', 'localhost') + '/status', {
      headers: { [ADMIN_HEADER]: agent.adminToken },
    }).catch(() => null);
    if (ok) assert.equal(ok.status, 200); // localhost may resolve to ::1 only on some hosts: then there is nothing to check
  });

  it('needs the bearer token from pairing on every route but /pair', async () => {
    const routes: [string, string, unknown?][] = [
      ['GET', '/status'],
      ['GET', '/cards'],
      ['POST', `/readers/${R}/insert`, { file: 'x.carte' }],
      ['POST', `/readers/${R}/remove`],
      ['GET', `/readers/${R}/card`],
      ['POST', `/readers/${R}/verify-pin`, { pin: 'auth', value: '1234' }],
      ['POST', `/readers/${R}/change-pin`, { pin: 'auth', oldValue: '1234', newValue: '4321' }],
      ['POST', `/readers/${R}/sign`, { slot: 'auth', data: 'AA==', pin: '1234' }],
      ['POST', `/readers/${R}/admin/challenge`],
      ['POST', `/readers/${R}/admin/set-pin`, { pin: 'auth', response: 'AA==', newValue: '1234' }],
      ['POST', '/pairing-code'],
    ];
    for (const [method, path, body] of routes) {
      for (const token of [undefined, 'faux-jeton', randomBytes(32).toString('base64url')]) {
        const r = await call(method, path, { ...(token ? { token } : {}), ...(body ? { body } : {}) });
        assert.equal(r.status, 401, `${method} ${path} ${token ?? '(none)'}`);
        assert.equal(r.json?.['code'], 'unauthorized');
        assert.match(String(r.json?.['message']), /non appairé/);
        // The page can read the refusal: CORS headers on errors too.
        assert.equal(r.headers.get('access-control-allow-origin'), ORIGIN);
      }
    }
    // A wrong admin token is refused, not ignored.
    const wrongAdmin = await call('GET', '/status', { origin: null, admin: 'x'.repeat(43) });
    assert.equal(wrongAdmin.status, 401);
  });

  it('pairs with the 6-digit code; 5 wrong codes lock pairing until a new code is printed', async () => {
    const good = agent.pairingCode;
    const wrong = good === '000000' ? '000001' : '000000';
    const client = await paired();
    const first = await call('POST', '/pair', { body: { code: good } });
    assert.equal(first.status, 200);
    const token = String(first.json?.['token']);
    assert.equal(Buffer.from(token, 'base64url').length, 32);
    assert.equal((await call('GET', '/status', { token })).status, 200);

    for (let i = 1; i <= 4; i++) {
      const r = await call('POST', '/pair', { body: { code: wrong } });
      assert.equal(r.status, 403);
      assert.equal(r.json?.['code'], 'pairing_wrong');
      assert.equal(r.json?.['triesLeft'], 5 - i);
      assert.match(String(r.json?.['message']), /Code d'appairage erroné/);
    }
    const fifth = await call('POST', '/pair', { body: { code: wrong } });
    assert.equal(fifth.status, 423);
    assert.equal(fifth.json?.['code'], 'pairing_locked');
    assert.match(String(fifth.json?.['message']), /cartes agent pairing-code/);
    // Locked: even the right code is refused now.
    assert.equal((await call('POST', '/pair', { body: { code: good } })).status, 423);
    // Tokens already given keep working.
    assert.equal((await call('GET', '/status', { token })).status, 200);
    await client.status();

    // Only the local admin may print a new code.
    const byPage = await call('POST', '/pairing-code', { token });
    assert.equal(byPage.status, 403);
    assert.equal(byPage.json?.['code'], 'admin_only');
    const renewed = await CardAgentClient.local(dataDir, {}).pairingCode();
    assert.match(renewed, /^\d{6}$/);
    assert.equal(agent.pairingCode, renewed);
    assert.ok(logs.some((l) => l.includes(`Nouveau code d'appairage : ${renewed}`)));
    if (renewed !== good) assert.equal((await call('POST', '/pair', { body: { code: good } })).status, 403);
    assert.equal((await call('POST', '/pair', { body: { code: renewed } })).status, 200);
  });

  it('answers malformed requests with 400/415 in French, not 500', async () => {
    const { token } = (await call('POST', '/pair', { body: { code: agent.pairingCode } })).json as { token: string };
    const cases: [string, string, Parameters<typeof call>[2], number][] = [
      ['POST', '/pair', { raw: '{"code":', type: 'application/json' }, 400],
      // No type coercion: a number is not a code (and costs no pairing try).
      ['POST', '/pair', { body: { code: 123456 } }, 400],
      ['POST', '/pair', { raw: 'code=123456', type: 'text/plain' }, 415],
      ['POST', `/readers/${R}/verify-pin`, { token, body: { pin: 'admin', value: '1234' } }, 400],
      ['POST', `/readers/${R}/sign`, { token, body: { slot: 'root', data: 'AA==', pin: '1234' } }, 400],
      ['POST', `/readers/${R}/sign`, { token, body: { slot: 'auth', data: 'pas du base64 !', pin: '1234' } }, 400],
      ['POST', `/readers/${R}/sign`, { token, body: { slot: 'auth', data: 'AA==', pin: '1234', extra: 1 } }, 400],
      ['POST', `/readers/${R}/insert`, { token, raw: JSON.stringify({ file: 'x'.repeat(300_000) }) }, 413],
      ['GET', '/nulle-part', { token }, 404],
    ];
    for (const [method, path, opts, status] of cases) {
      const r = await call(method, path, opts);
      assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(opts).slice(0, 80)}`);
      assert.equal(typeof r.json?.['message'], 'string');
      assert.doesNotMatch(String(r.json?.['message']), /\b(body|must|required|Unsupported)\b/);
    }
  });
});

describe('card agent: virtual reader and card', () => {
  let client: CardAgentClient;
  let card: Awaited<ReturnType<typeof makeCard>>;

  before(async () => {
    client = await paired();
    card = await makeCard('camille.carte', 'Camille Martin');
    writeFileSync(join(cardsDir, 'notes.txt'), 'pas une carte');
    mkdirSync(join(root, 'outside'), { recursive: true });
    await makeCard('ailleurs.carte', 'Hors dossier', join(root, 'outside'));
    symlinkSync(join(root, 'outside', 'ailleurs.carte'), join(cardsDir, 'lien.carte'));
  });

  it('lists the card files of its folder only', async () => {
    const cards = await client.cards();
    assert.deepEqual(cards, [
      { file: 'camille.carte', serial: card.serial, model: 'cims-agent', holder: 'Camille Martin' },
    ]);
  });

  it('an empty reader: status shows it, card operations say so (409)', async () => {
    const s = await client.status();
    assert.deepEqual(s.readers, [{ name: R, kind: 'virtual', card: null }]);
    await rejectsWith(
      client.verifyPin(R, 'auth', '1234'),
      409,
      'no_card',
      /^Aucune carte dans le lecteur « virtuel »\.$/,
    );
    await rejectsWith(client.sign(R, 'auth', 'x', '1234'), 409, 'no_card');
    await rejectsWith(client.card(R), 409, 'no_card');
    await rejectsWith(client.card('lecteur-2'), 404, 'reader_unknown', /Lecteur inconnu/);
  });

  it('refuses anything but a file name of its card folder', async () => {
    const bad = [
      '../data/cards/camille.carte',
      '..',
      '/etc/passwd',
      join(cardsDir, 'camille.carte'),
      'sous/dossier.carte',
      '.cache',
      'a\\..\\b',
      '..carte',
      'c:\\x',
      'camille.carte/',
    ];
    for (const file of bad) await rejectsWith(client.insert(file), 400, 'file_name', /Nom de fichier refusé/);
    await rejectsWith(client.insert(''), 400, 'invalid');
    await rejectsWith(client.insert('absente.carte'), 404, 'file_unknown', /Aucune carte virtuelle « absente\.carte »/);
    await rejectsWith(client.insert('notes.txt'), 404, 'file_unknown');
    await rejectsWith(client.insert('lien.carte'), 404, 'file_unknown');
    // A card of another installation (other chip key): its header lists, its content does not open.
    await makeCard('etrangere.carte', 'Autre Installation', cardsDir, randomBytes(32));
    await rejectsWith(client.insert('etrangere.carte'), 409, 'unreadable', /illisible/);
    rmSync(join(cardsDir, 'etrangere.carte'));
    assert.equal((await client.status()).readers[0]!.card, null);
  });

  it('insert and remove move the status version; a second card is refused while one is in', async () => {
    const v0 = (await client.status()).version;
    const inserted = await client.insert('camille.carte');
    assert.ok(inserted.version > v0);
    const c = inserted.readers[0]!.card!;
    assert.equal(c.serial, card.serial);
    assert.equal(c.holder, 'Camille Martin');
    assert.equal(c.file, 'camille.carte');
    assert.equal(c.chipState, 'transport');
    assert.deepEqual(c.pins.auth, { set: false, triesLeft: 3, blocked: false });
    assert.deepEqual(c.keys, ['auth', 'sign']);
    const again = await client.status();
    assert.equal(again.version, inserted.version, 'nothing changed: same version');
    assert.equal(again.changedAt, inserted.changedAt);

    await makeCard('autre.carte', 'Autre Titulaire');
    await rejectsWith(client.insert('autre.carte'), 409, 'reader_busy', /retirez-la/);

    const removed = await client.remove();
    assert.ok(removed.version > inserted.version);
    assert.equal(removed.readers[0]!.card, null);
    // Removing an empty reader is harmless.
    assert.equal((await client.remove()).version, removed.version);
    await client.insert('camille.carte');
    assert.ok(logs.some((l) => l.includes(`Carte ${card.serial} insérée dans le lecteur « virtuel »`)));
  });

  it('reads identity and certificates', async () => {
    const details = await client.card(R);
    assert.equal(details.serial, card.serial);
    assert.equal(details.holder, 'Camille Martin');
    assert.deepEqual(
      details.certificates.map((x) => x.slot),
      ['auth', 'sign'],
    );
    assert.deepEqual(new Uint8Array(details.certificates[0]!.der), card.certificates['auth']);
    for (const k of details.publicKeys) {
      const cert = new X509Certificate(details.certificates.find((x) => x.slot === k.slot)!.der);
      assert.ok(cert.publicKey.equals(createPublicKey({ key: k.spki, format: 'der', type: 'spki' })));
    }
  });

  it('activation under the administration key; a wrong response is refused', async () => {
    await rejectsWith(client.verifyPin(R, 'auth', '1234'), 409, 'pin_not_set', /pas encore défini/);
    const challenge = await client.adminChallenge(R);
    assert.equal(challenge.length, 16);
    const forged = adminResponse(deriveCardAdminKey(randomBytes(32), card.serial), challenge, 'set-pin:auth');
    await rejectsWith(client.adminSetPin(R, 'auth', forged, '1234'), 403, 'admin_refused', /refusée/);
    await setPin(client, card.serial, 'auth', '1234');
    await setPin(client, card.serial, 'sign', '5678');
    const c = (await client.status()).readers[0]!.card!;
    assert.equal(c.chipState, 'active');
    assert.deepEqual(c.pins.sign, { set: true, triesLeft: 3, blocked: false });
  });

  it('wrong PINs: 403 with tries left, then 423 blocked; unblock resets', async () => {
    await client.verifyPin(R, 'auth', '1234');
    const versions: number[] = [(await client.status()).version];
    await rejectsWith(client.verifyPin(R, 'auth', '0000'), 403, 'pin_wrong', /Code PIN erroné/, 2);
    versions.push((await client.status()).version);
    await rejectsWith(client.verifyPin(R, 'auth', '0001'), 403, 'pin_wrong', undefined, 1);
    versions.push((await client.status()).version);
    await rejectsWith(client.verifyPin(R, 'auth', '0002'), 423, 'pin_blocked', /bloqué/, 0);
    const s = await client.status();
    versions.push(s.version);
    assert.deepEqual(s.readers[0]!.card!.pins.auth, { set: true, triesLeft: 0, blocked: true });
    for (let i = 1; i < versions.length; i++)
      assert.ok(versions[i]! > versions[i - 1]!, `version moves with the counters: ${versions.join(' → ')}`);
    // Blocked: even the right PIN is refused, and signing with AUTH too.
    await rejectsWith(client.verifyPin(R, 'auth', '1234'), 423, 'pin_blocked');
    await rejectsWith(client.sign(R, 'auth', 'x', '1234'), 423, 'pin_blocked');
    // The other PIN is untouched.
    await client.verifyPin(R, 'sign', '5678');
    await setPin(client, card.serial, 'auth', '2468', 'reset-pin');
    await client.verifyPin(R, 'auth', '2468');
    assert.deepEqual((await client.status()).readers[0]!.card!.pins.auth, { set: true, triesLeft: 3, blocked: false });
  });

  it('PIN format and change of PIN', async () => {
    await rejectsWith(client.verifyPin(R, 'auth', '12'), 400, 'pin_format', /4 chiffres/);
    await rejectsWith(client.changePin(R, 'sign', '0000', '1111'), 403, 'pin_wrong', undefined, 2);
    await client.changePin(R, 'sign', '5678', '8765');
    await rejectsWith(client.verifyPin(R, 'sign', '5678'), 403, 'pin_wrong');
    await client.verifyPin(R, 'sign', '8765');
  });

  it('signs with the slot key: the signature verifies against the slot certificate', async () => {
    const text = `cartes-connexion-v1\n${randomBytes(32).toString('base64')}\n${ORIGIN}`;
    const auth = await client.sign(R, 'auth', text, '2468');
    assert.deepEqual(new Uint8Array(auth.certificate!), card.certificates['auth']);
    assert.ok(verifies(auth.certificate!, Buffer.from(text, 'utf8'), auth.signature));
    assert.ok(!verifies(card.certificates['sign']!, Buffer.from(text, 'utf8'), auth.signature), 'not the SIGN key');
    // The certificate is from our test CA.
    const caPublic = createPublicKey({
      key: Buffer.from(await webcrypto.subtle.exportKey('spki', caKeys.publicKey)),
      format: 'der',
      type: 'spki',
    });
    assert.ok(new X509Certificate(auth.certificate!).verify(caPublic));

    const data = randomBytes(5000);
    const signed = await client.sign(R, 'sign', data, '8765');
    assert.ok(verifies(card.certificates['sign']!, data, signed.signature));
    // SIGN is guarded by the signature PIN, not the authentication one.
    await rejectsWith(client.sign(R, 'sign', data, '2468'), 403, 'pin_wrong');
    await rejectsWith(client.sign(R, 'enc' as CardSlot, data, '2468'), 409, 'no_key');
    await rejectsWith(client.sign(R, 'auth', randomBytes(70_000), '2468'), 400, 'invalid');
  });

  it('one card operation at a time: parallel wrong PINs cannot outrun the counter', async () => {
    await client.verifyPin(R, 'sign', '8765');
    const results = await Promise.allSettled(
      ['0000', '0001', '0002', '0003', '0004'].map((v) => client.verifyPin(R, 'sign', v)),
    );
    const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as CardAgentError).code : 'ok'));
    assert.deepEqual(codes.filter((c) => c === 'pin_wrong').length, 2, codes.join());
    assert.ok(
      codes.every((c) => c === 'pin_wrong' || c === 'pin_blocked'),
      codes.join(),
    );
    assert.equal((await client.status()).readers[0]!.card!.pins.sign.blocked, true);
  });

  it('a card file gone from the folder shows as unreadable, and removing it still works', async () => {
    await makeCard('ephemere.carte', 'Éphémère');
    await client.remove();
    await client.insert('ephemere.carte');
    rmSync(join(cardsDir, 'ephemere.carte'));
    const s = await client.status();
    assert.equal(s.readers[0]!.card, null);
    assert.equal(s.readers[0]!.error?.code, 'unreadable');
    await rejectsWith(client.verifyPin(R, 'auth', '1234'), 409, 'unreadable');
    await client.remove();
    assert.equal((await client.status()).readers[0]!.error, undefined);
  });

  it('never writes a PIN or a request body in its log', () => {
    const joined = logs.join('\n');
    assert.ok(logs.some((l) => l.includes('POST /readers/virtuel/verify-pin → 403')));
    for (const secret of ['1234', '5678', '8765', '2468', 'cartes-connexion-v1', '"value"', '"pin"'])
      assert.ok(!joined.includes(secret), secret);
  });
});

// ---------------------------------------------------------------------------------------------
// The real `cartes` command

const cartes = (args: string[]) => run(process.execPath, [SHIM, ...args]);

describe('cartes agent (command line)', () => {
  let data: string;
  let server: ChildProcess;
  let url: string;
  let code: string;
  let card: Awaited<ReturnType<typeof makeCard>>;

  before(async () => {
    data = join(root, 'cli-data');
    mkdirSync(join(data, 'cards'), { recursive: true });
    card = await makeCard('dominique.carte', 'Dominique Petit', join(data, 'cards'), loadChipKey(data, {}));
    server = spawn(process.execPath, [SHIM, '--data', data, 'agent', '--port', '0', '--portal-origin', ORIGIN], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    server.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`agent not started: ${out} ${err}`)), 30_000);
      server.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /Agent de carte démarré : (http:\/\/127\.0\.0\.1:\d+)[\s\S]*Code d'appairage : (\d{6})/.exec(out);
        if (m) {
          clearTimeout(timer);
          url = m[1]!;
          code = m[2]!;
          resolve();
        }
      });
      server.on('exit', (c) => reject(new Error(`agent exited ${c}: ${out} ${err}`)));
    });
  });

  after(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
  });

  it('prints French help', async () => {
    for (const cmd of [['agent'], ['agent', 'serve'], ['agent', 'insert'], ['agent', 'status']]) {
      const r = await cartes([...cmd, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Utilisation : cartes agent/);
      assert.doesNotMatch(r.stdout, /\b(Usage|Options|Commands|Arguments):/);
    }
  });

  it('serve prints the address and a pairing code that pairs the portal', async () => {
    const client = await CardAgentClient.pair(url, code, ORIGIN);
    assert.deepEqual(
      (await client.status()).readers.map((r) => r.name),
      [R],
    );
  });

  it('insert, status, remove through the admin token', async () => {
    const inserted = await cartes(['--data', data, 'agent', 'insert', 'dominique.carte']);
    assert.equal(inserted.code, 0, inserted.stderr);
    assert.match(
      inserted.stdout,
      new RegExp(
        `Carte insérée\\. Lecteur « virtuel » \\(virtuel\\) : carte ${card.serial} — cims-agent — Dominique Petit`,
      ),
    );

    const status = await cartes(['--data', data, 'agent', 'status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`^Agent de carte : ${url.replace(/\./g, '\\.')} `));
    assert.match(status.stdout, /PIN Global non défini, PIN Propre non défini \[dominique\.carte\]/);
    const json = JSON.parse((await cartes(['--data', data, 'agent', 'status', '--json'])).stdout) as {
      readers: { card: { serial: string; holder: string } | null }[];
    };
    assert.equal(json.readers[0]!.card!.serial, card.serial);
    assert.equal(json.readers[0]!.card!.holder, 'Dominique Petit');

    const traversal = await cartes(['--data', data, 'agent', 'insert', '../cards/dominique.carte']);
    assert.equal(traversal.code, 1);
    assert.match(traversal.stderr, /^Erreur : Nom de fichier refusé/);
    const busy = await cartes(['--data', data, 'agent', 'insert', 'dominique.carte']);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /déjà dans le lecteur/);

    const removed = await cartes(['--data', data, 'agent', 'remove']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout, 'Lecteur « virtuel » vide.\n');
    const after = await cartes(['--data', data, 'agent', 'status']);
    assert.match(after.stdout, /Lecteur « virtuel » \(virtuel\) : aucune carte/);
  });

  it('pairing-code unlocks pairing after 5 wrong codes', async () => {
    const wrong = code === '000000' ? '000001' : '000000';
    for (let i = 0; i < 5; i++) await assert.rejects(CardAgentClient.pair(url, wrong, ORIGIN));
    await rejectsWith(CardAgentClient.pair(url, code, ORIGIN), 423, 'pairing_locked');
    const r = await cartes(['--data', data, 'agent', 'pairing-code']);
    assert.equal(r.code, 0, r.stderr);
    const m = /^Code d'appairage : (\d{6})\n$/.exec(r.stdout);
    assert.ok(m, r.stdout);
    await CardAgentClient.pair(url, m[1]!, ORIGIN);
  });

  it('explains when no agent runs on the data folder, or when it is unreachable', async () => {
    const empty = join(root, 'no-agent');
    const r = await cartes(['--data', empty, 'agent', 'status']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Erreur : jeton d'administration de l'agent de carte introuvable/);
    const bad = await cartes(['--data', data, 'agent', 'status', '--port', '1']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^Erreur : Agent de carte injoignable à http:\/\/127\.0\.0\.1:1/);
    const port = await cartes(['--data', data, 'agent', 'status', '--port', 'abc']);
    assert.equal(port.code, 1);
    assert.match(port.stderr, /Erreur : option --port <n> : valeur « abc » invalide : port attendu/);
  });

  it('stops on SIGTERM and removes its admin token', async () => {
    assert.ok(existsSync(adminTokenPath(data)));
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(!existsSync(adminTokenPath(data)));
  });
});
