// PKCS#11 readers of the card agent against real SoftHSM2 tokens: one reader per token, the card
// being the token with its companion record; PINs, administration and signatures through the agent.
import assert from 'node:assert/strict';
import { createPublicKey, randomBytes, verify as nodeVerify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initSoftHsmToken, type SoftHsmToken } from '../../scripts/lib/softhsm.js';
import { adminResponse, deriveCardAdminKey, pkcs11SoPin } from '../../src/cards/admin-key.ts';
import { createPkcs11Card, openPkcs11Card } from '../../src/cards/pkcs11-card.ts';
import { CardAgentClient, CardAgentError } from '../../src/agent/client.ts';
import { pkcs11StateFile } from '../../src/agent/pkcs11-readers.ts';
import { startCardAgent, type CardAgent } from '../../src/agent/server.ts';

const ORIGIN = 'https://cartes.test.gouv.fr';
const SERIAL = '7391990001';
const LABEL = 'carte-7391';
const READER = `pkcs11:${LABEL}`;
const master = randomBytes(32);
const chipKey = randomBytes(32);
const adminKey = deriveCardAdminKey(master, SERIAL);

let dir: string;
let token: SoftHsmToken;
let agent: CardAgent;
let client: CardAgentClient;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cartes-agent-p11-'));
  token = await initSoftHsmToken({ label: LABEL, soPin: pkcs11SoPin(adminKey), userPin: '11223344' });
  // A second token that is no card of ours (no companion record).
  await initSoftHsmToken({ label: 'autre-jeton', soPin: '87654321', userPin: '11223344', dir: token.dir });
  const stateFile = pkcs11StateFile(dir, LABEL);
  await createPkcs11Card({
    modulePath: token.modulePath,
    tokenLabel: LABEL,
    stateFile,
    chipKey,
    serial: SERIAL,
    model: 'etat-agent',
    adminKey,
    holder: 'Sacha Roux',
  });
  // Personalisation, as the manufacturer does it: a key pair generated on the token.
  const card = await openPkcs11Card({ modulePath: token.modulePath, tokenLabel: LABEL, stateFile, chipKey });
  await card.generateKeyPair('auth', adminResponse(adminKey, await card.adminChallenge(), 'personalize'));
  await card.close();
  agent = await startCardAgent({
    port: 0,
    portalOrigin: ORIGIN,
    cardsDir: dir,
    chipKey,
    pkcs11: { module: token.modulePath },
  });
  client = await CardAgentClient.pair(agent.url, agent.pairingCode, ORIGIN);
});

after(async () => {
  await agent?.close();
  await token?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('card agent: PKCS#11 readers', () => {
  it('one reader per token: our card with its holder, the other token unreadable', async () => {
    const s = await client.status();
    // Sorted by token label, whatever the slot order.
    assert.deepEqual(
      s.readers.map((r) => [r.name, r.kind]),
      [
        ['virtuel', 'virtual'],
        ['pkcs11:autre-jeton', 'pkcs11'],
        [READER, 'pkcs11'],
      ],
    );
    const ours = s.readers[2]!;
    assert.equal(ours.card?.serial, SERIAL);
    assert.equal(ours.card?.holder, 'Sacha Roux');
    assert.equal(ours.card?.driver, 'pkcs11');
    assert.deepEqual(ours.card?.keys, ['auth']);
    const other = s.readers[1]!;
    assert.equal(other.card, null);
    assert.equal(other.error?.code, 'unreadable');
    await assert.rejects(
      client.verifyPin('pkcs11:autre-jeton', 'auth', '1234'),
      (e: unknown) => e instanceof CardAgentError && e.status === 409 && e.code === 'no_card',
    );
  });

  it('takes no virtual card', async () => {
    await assert.rejects(
      client.insert('x.carte', READER),
      (e: unknown) => e instanceof CardAgentError && e.status === 400 && e.code === 'reader_fixed',
    );
    await assert.rejects(
      client.remove(READER),
      (e: unknown) => e instanceof CardAgentError && e.code === 'reader_fixed',
    );
  });

  it('activation, PIN counter and signature through the agent', async () => {
    const challenge = await client.adminChallenge(READER);
    await client.adminSetPin(READER, 'auth', adminResponse(adminKey, challenge, 'set-pin:auth'), '4321');
    await assert.rejects(
      client.verifyPin(READER, 'auth', '0000'),
      (e: unknown) => e instanceof CardAgentError && e.status === 403 && e.code === 'pin_wrong' && e.triesLeft === 2,
    );
    assert.equal((await client.status()).readers[2]!.card!.pins.auth.triesLeft, 2);
    const data = Buffer.from('cartes-connexion-v1\nAAAA\n' + ORIGIN);
    const { signature, certificate } = await client.sign(READER, 'auth', data, '4321');
    assert.equal(certificate, null);
    const spki = (await client.card(READER)).publicKeys.find((k) => k.slot === 'auth')!.spki;
    assert.ok(nodeVerify('sha256', data, createPublicKey({ key: spki, format: 'der', type: 'spki' }), signature));
    assert.equal((await client.status()).readers[2]!.card!.pins.auth.triesLeft, 3);
  });
});
