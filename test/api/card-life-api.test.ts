// The card's life through the HTTP API with a real virtual card, on both databases: identity copy
// upload, hand-over signed with the operator's AUTH key, activation (code, PINs set on the card
// through administration responses, countersignature), the holder's secrets, the officer's
// initials; then the holder without a card: identification by secrets, unblock, theft.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { activationCodeVerifier, loadActivationKey } from '../../src/app/requests/production.ts';
import { canonicalAction } from '../../src/domain/action-signature.ts';
import { forEachDatabase, openTestPlatform, type TestPlatform } from '../support/platform.ts';
import { startServer, type Client, type TestServer } from '../support/http.ts';
import { signingKeyFor, type TestSigner } from '../support/signing.ts';
import { FIXTURE_PINS, virtualCardFor } from '../support/card-fixture.ts';

const PDF = Buffer.from('%PDF-1.4\n% copie certifiée conforme\n');
const SECRETS = {
  personalCode: 'Adec+2024',
  questions: [
    { question: 'ville_naissance_mere', answer: 'Noir' },
    { question: 'premier_animal', answer: 'Rex' },
    { question: 'ecole_primaire', answer: 'Jaurès' },
  ],
};

forEachDatabase('card life over HTTP', (dialect) => {
  let p: TestPlatform;
  let s: TestServer;
  let martin: TestSigner;
  let operator: Client;

  before(async () => {
    p = await openTestPlatform(dialect);
    s = await startServer(p);
    martin = await signingKeyFor(p, 'martin.c77011');
    operator = await s.signIn('martin.c77011');
  });
  after(async () => {
    await s?.close();
    await p?.close();
  });

  /** Martin's signature of an action, with a nonce fetched over HTTP. */
  async function signed(action: string, target: string, content: unknown, key: 'sign' | 'auth' = 'sign') {
    const { nonce } = (await operator.post('/api/signatures/nonce')).json as { nonce: string };
    const text = canonicalAction({ action, target, content, nonce });
    return key === 'sign'
      ? { nonce, signature: martin.sign(text), certificate: Buffer.from(martin.certificate).toString('base64') }
      : {
          nonce,
          signature: martin.signAuth(text),
          certificate: Buffer.from(martin.authCertificate).toString('base64'),
        };
  }

  it('hand-over, activation, secrets and initials of Hugues DILINDIEN’s card', async () => {
    const vc = await virtualCardFor(p, '2010002684dh', { state: 'received', activated: false });
    await p.store.db
      .updateTable('cards')
      .set({ activation_code_hash: activationCodeVerifier(loadActivationKey(p.dataDir, {}), vc.serial, '482913') })
      .where('id', '=', vc.cardId)
      .execute();
    const view = await operator.get(`/api/cards/${vc.cardId}/handover`);
    assert.equal(view.status, 200);
    assert.equal(view.json.holder.lastName, 'DILINDIEN');
    assert.equal(
      (
        await operator.put(`/api/cards/${vc.cardId}/identity-copy?fileName=passeport.pdf`, undefined, {
          raw: Buffer.from('pas un pdf'),
          contentType: 'application/pdf',
        })
      ).status,
      422,
    );
    assert.equal(
      (
        await operator.put(`/api/cards/${vc.cardId}/identity-copy?fileName=passeport.pdf`, undefined, {
          raw: PDF,
          contentType: 'application/pdf',
        })
      ).status,
      200,
    );
    const content = {
      cardId: vc.cardId,
      serial: vc.serial,
      identityDocumentType: 'passport',
      identityDocumentNumber: '22AZ25916',
      remarks: null,
    };
    const handed = await operator.post(`/api/cards/${vc.cardId}/handover`, {
      identityDocumentType: 'passport',
      identityDocumentNumber: '22AZ25916',
      remarks: null,
      signature: await signed('card.handover', vc.cardId, content, 'auth'),
    });
    assert.equal(handed.status, 200, handed.text);

    const activation = await operator.get(`/api/cards/${vc.cardId}/activation`);
    assert.deepEqual(
      activation.json.certificates.map((c: { label: string }) => c.label),
      ['ANTS-ACT3-AUTH', 'ANTS-ACT3-SIGN'],
    );
    const pdf = await operator.get(`/api/cards/${vc.cardId}/attestation.pdf`);
    assert.equal(pdf.headers.get('content-type'), 'application/pdf');
    assert.equal(pdf.bytes.subarray(0, 5).toString('latin1'), '%PDF-');
    const wrong = await operator.post(`/api/cards/${vc.cardId}/activation/code`, { code: '111111' });
    assert.equal(wrong.status, 403);
    assert.match(wrong.json.detail, /il reste 4 essais/);
    assert.equal((await operator.post(`/api/cards/${vc.cardId}/activation/code`, { code: '482913' })).status, 200);
    const card = await vc.open();
    for (const pin of ['auth', 'sign'] as const) {
      const challenge = Buffer.from(await card.adminChallenge()).toString('base64');
      const r = await operator.post(`/api/cards/${vc.cardId}/activation/admin-response`, {
        operation: `set-pin:${pin}`,
        challenge,
      });
      assert.equal(r.status, 200, r.text);
      await card.setPinWithAdmin(pin, Buffer.from(r.json.response, 'base64'), FIXTURE_PINS[pin]);
    }
    const toSign = (await operator.get(`/api/cards/${vc.cardId}/activation/content`)).json;
    const done = await operator.post(`/api/cards/${vc.cardId}/activation/complete`, {
      signature: await signed('card.activate', vc.cardId, toSign),
    });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.json.message, 'Le support et ses certificats ont été activés avec succès.');

    // The holder, signed in (here with a link; the browser test signs in with the card), defines the secrets.
    const holder = await s.signIn('2010002684dh');
    const mine = await holder.get('/api/me/cards');
    assert.equal(mine.json.cards[0].state, 'activated');
    assert.equal((await holder.post('/api/me/secrets', { ...SECRETS, personalCode: 'faible' })).status, 422);
    const saved = await holder.post('/api/me/secrets', SECRETS);
    assert.deepEqual(saved.json.awaitingFinalization, [vc.serial]);
    const fin = await operator.post(`/api/cards/${vc.cardId}/finalize`, {
      signature: await signed('card.finalize', vc.cardId, { cardId: vc.cardId, serial: vc.serial }),
    });
    assert.equal(fin.json.state, 'active');

    // Without the card: identification by secrets (exact case), unblock response, theft.
    const bad = await s.request('POST', '/api/holder-access', {
      organization: '77011',
      identifier: '2010002684dh',
      personalCode: SECRETS.personalCode,
      answers: SECRETS.questions.map((q) => ({ ...q, answer: q.answer.toLowerCase() })),
    });
    assert.equal(bad.status, 401);
    const access = await s.request('POST', '/api/holder-access', {
      organization: '77011',
      identifier: 'Hugues DILINDIEN 2010002684dh',
      personalCode: SECRETS.personalCode,
      answers: SECRETS.questions,
    });
    assert.equal(access.status, 200, access.text);
    const headers = { 'x-holder-access': access.json.token as string };
    for (let i = 0; i < 3; i++) await assert.rejects(card.verifyPin('auth', '0000'));
    const challenge = Buffer.from(await card.adminChallenge()).toString('base64');
    const unblock = await s.request(
      'POST',
      '/api/holder-access/unblock-response',
      { serial: vc.serial, operation: 'reset-pin:auth', challenge },
      { headers },
    );
    assert.equal(unblock.status, 200, unblock.text);
    await card.setPinWithAdmin('auth', Buffer.from(unblock.json.response, 'base64'), '5831');
    await card.verifyPin('auth', '5831');
    const theft = await s.request(
      'POST',
      `/api/holder-access/cards/${vc.cardId}/declare`,
      { kind: 'theft', policeReportReference: 'PV 2026/42' },
      { headers },
    );
    assert.equal(theft.json.state, 'revoked');
    await card.close();
  });

  it('refuses another organisation’s card on every desk route of the town operator, audited', async () => {
    const brest = await virtualCardFor(p, '1003456789', { state: 'received', activated: false });
    const before = (await p.store.db.selectFrom('audit_log').select('seq').where('outcome', '=', 'refused').execute())
      .length;
    const calls = [
      operator.get(`/api/cards/${brest.cardId}/handover`),
      operator.get(`/api/cards/${brest.cardId}/activation`),
      operator.post(`/api/cards/${brest.cardId}/activation/code`, { code: '123456' }),
    ];
    for (const r of await Promise.all(calls)) assert.equal(r.status, 403);
    const after = (await p.store.db.selectFrom('audit_log').select('seq').where('outcome', '=', 'refused').execute())
      .length;
    assert.equal(after - before, 3);
  });
});
