// Face-to-face certificate renewal with a real virtual card: the holder proves presence with the
// PIN Global, the card generates a new key under the administration key, the new certificate
// replaces the old one (superseded) in one transaction; ENC is never renewed; expiry notices.
import assert from 'node:assert/strict';
import { X509Certificate, generateKeyPairSync, verify } from 'node:crypto';
import { after, before, it } from 'node:test';
import { AppError } from '../../src/app/errors.ts';
import {
  draftCardRenewals,
  expireCards,
  proveHolderPresence,
  proveHolderPresenceBySecrets,
  renewalAdminResponse,
  renewalPresenceChallenge,
  renewalView,
  renewCertificate,
  sendExpiryNotices,
} from '../../src/app/desk/renewal.ts';
import { createHash } from 'node:crypto';
import { defineHolderSecrets } from '../../src/app/desk/holder-secrets.ts';
import { identifyHolder } from '../../src/app/access/holder-access.ts';
import { actorFor, forEachDatabase, type TestPlatform } from '../support/platform.ts';
import { ensureTestPki, openDesk, type TestSigner } from '../support/signing.ts';
import { FIXTURE_PINS, virtualCardFor } from '../support/card-fixture.ts';

forEachDatabase('certificate renewal', (dialect) => {
  let p: TestPlatform;
  let martin: TestSigner;

  before(async () => ({ p, martin } = await openDesk(dialect)));
  after(() => p?.close());

  it('renews the AUTH certificate face to face: new key on the card, old certificate superseded', async () => {
    const vc = await virtualCardFor(p, '2010002684dh');
    const actor = await actorFor(p.ctx, 'martin.c77011');
    const early = await renewalView(p.ctx, actor, vc.cardId);
    assert.equal(
      early.certificates.every((c) => !c.renewable),
      true,
    );
    assert.match(early.certificates[0]!.reason ?? '', /à partir de 90 jours/);
    const old = await p.store.db
      .selectFrom('certificates')
      .select(['serial', 'not_after'])
      .where('card_id', '=', vc.cardId)
      .where('profile', '=', 'auth')
      .executeTakeFirstOrThrow();
    const realNow = p.ctx.now;
    p.ctx.now = () => new Date(new Date(old.not_after).getTime() - 10 * 86_400_000);
    try {
      const view = await renewalView(p.ctx, actor, vc.cardId);
      assert.deepEqual(
        view.certificates.map((c) => [c.profile, c.renewable]),
        [
          ['auth', true],
          ['sign', true],
        ],
      );
      const card = await vc.open();
      // Without the holder's presence, nothing.
      await assert.rejects(
        renewalAdminResponse(p.ctx, actor, vc.cardId, {
          operation: 'replace-key:auth',
          challenge: Buffer.from(await card.adminChallenge()).toString('base64'),
        }),
        /présenter sa carte/,
      );
      const presence = await renewalPresenceChallenge(p.ctx, actor, vc.cardId);
      await assert.rejects(card.sign('auth', Buffer.from(presence.text), '0000'), /Code PIN erroné/);
      const proof = await card.sign('auth', Buffer.from(presence.text), FIXTURE_PINS.auth);
      const authCert = (await card.readCertificate('auth'))!;
      await proveHolderPresence(p.ctx, actor, vc.cardId, {
        challengeId: presence.challengeId,
        challenge: presence.challenge,
        signature: Buffer.from(proof).toString('base64'),
        certificate: Buffer.from(authCert).toString('base64'),
      });
      const gen = await renewalAdminResponse(p.ctx, actor, vc.cardId, {
        operation: 'replace-key:auth',
        challenge: Buffer.from(await card.adminChallenge()).toString('base64'),
      });
      const spki = await card.generateKeyPair('auth', Buffer.from(gen.response, 'base64'));
      const spkiB64 = Buffer.from(spki).toString('base64');
      const content = {
        cardId: vc.cardId,
        serial: vc.serial,
        profile: 'auth',
        spkiSha256: createHash('sha256').update(spki).digest('hex'),
        replaces: old.serial,
      };
      const attestation = Buffer.from(await card.keyAttestation('auth')).toString('base64');
      // A key brought by the workstation (not made in the card) is refused, even with the operator's signature.
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const foreign = publicKey.export({ type: 'spki', format: 'der' });
      const foreignContent = { ...content, spkiSha256: createHash('sha256').update(foreign).digest('hex') };
      await assert.rejects(
        renewCertificate(p.ctx, actor, await ensureTestPki(p), vc.cardId, {
          profile: 'auth',
          spki: foreign.toString('base64'),
          attestation,
          signature: await martin.signAction(actor, {
            action: 'certificate.renew',
            target: vc.cardId,
            content: foreignContent,
          }),
        }),
        /pas été générée par la carte/,
      );
      const renewed = await renewCertificate(p.ctx, actor, await ensureTestPki(p), vc.cardId, {
        profile: 'auth',
        spki: spkiB64,
        attestation,
        signature: await martin.signAction(actor, { action: 'certificate.renew', target: vc.cardId, content }),
      });
      assert.equal(renewed.replaced, old.serial);
      const put = await renewalAdminResponse(p.ctx, actor, vc.cardId, {
        operation: 'personalize',
        challenge: Buffer.from(await card.adminChallenge()).toString('base64'),
      });
      await card.writeCertificate('auth', Buffer.from(renewed.der, 'base64'), Buffer.from(put.response, 'base64'));
      const statuses = await p.store.db
        .selectFrom('certificates')
        .select(['serial', 'status', 'revocation_reason'])
        .where('card_id', '=', vc.cardId)
        .where('profile', '=', 'auth')
        .execute();
      const replaced = statuses.find((s) => s.serial === old.serial);
      assert.deepEqual([replaced?.status, replaced?.revocation_reason], ['revoked', 'superseded']);
      assert.equal(statuses.find((s) => s.serial === renewed.serial)?.status, 'valid');
      const text = Buffer.from('après renouvellement');
      const sig = await card.sign('auth', text, FIXTURE_PINS.auth);
      assert.equal(
        verify(
          'sha256',
          text,
          { key: new X509Certificate(Buffer.from(renewed.der, 'base64')).publicKey, dsaEncoding: 'der' },
          sig,
        ),
        true,
      );
      await card.close();
    } finally {
      p.ctx.now = realNow;
    }
  });

  it('a holder who forgot the PIN proves presence with the secrets instead (seed 000); someone else’s secrets are refused', async () => {
    const vc = await virtualCardFor(p, '1003456789');
    const actor = await actorFor(p.ctx, '1002345678');
    const secrets = {
      personalCode: 'Marine+2026',
      questions: [
        { question: 'ville_naissance_mere', answer: 'Quimper' },
        { question: 'premier_animal', answer: 'Rex' },
        { question: 'ecole_primaire', answer: 'Jaurès' },
      ],
    };
    await defineHolderSecrets(p.ctx, await actorFor(p.ctx, '1003456789'), secrets);
    const access = await identifyHolder(p.ctx, {
      organization: 'BN-BREST',
      identifier: '1003456789',
      personalCode: secrets.personalCode,
      answers: secrets.questions,
    });
    const w = await proveHolderPresenceBySecrets(p.ctx, actor, vc.cardId, { holderAccess: access.token });
    assert.ok(w.windowUntil > new Date().toISOString());
    const other = await virtualCardFor(p, '1004567890');
    await assert.rejects(
      proveHolderPresenceBySecrets(p.ctx, actor, other.cardId, { holderAccess: access.token }),
      /pas ceux du porteur/,
    );
  });

  it('refuses the operator’s own card and a missing signature; mails the expiry notice once; expires cards at 6 years', async () => {
    const own = await virtualCardFor(p, 'martin.c77011');
    const actor = await actorFor(p.ctx, 'martin.c77011');
    await assert.rejects(
      renewalPresenceChallenge(p.ctx, actor, own.cardId),
      (e: unknown) => e instanceof AppError && /propre carte/.test(e.message),
    );
    const vc = await virtualCardFor(p, 'leroy.a77011');
    const cert = await p.store.db
      .selectFrom('certificates')
      .select('not_after')
      .where('card_id', '=', vc.cardId)
      .executeTakeFirstOrThrow();
    const realNow = p.ctx.now;
    p.ctx.now = () => new Date(new Date(cert.not_after).getTime() - 20 * 86_400_000);
    try {
      const first = await sendExpiryNotices(p.ctx);
      assert.ok(first >= 2);
      assert.equal(await sendExpiryNotices(p.ctx), 0);
      const mail = await p.store.db
        .selectFrom('mails')
        .select(['recipient', 'subject'])
        .where('recipient', '=', 'agathe.leroy@mairie-aubepierre.fr')
        .executeTakeFirstOrThrow();
      assert.equal(mail.subject, 'Votre certificat arrive à expiration');
    } finally {
      p.ctx.now = realNow;
    }
    // 60 days before the card's 6 years, its renewal request is drafted for the desk, once.
    await p.store.db
      .updateTable('cards')
      .set({ expires_at: new Date(Date.now() + 30 * 86_400_000).toISOString() })
      .where('id', '=', vc.cardId)
      .execute();
    const drafted = await draftCardRenewals(p.ctx);
    assert.equal(drafted.length, 1);
    assert.deepEqual(await draftCardRenewals(p.ctx), []);
    const req = await p.store.db
      .selectFrom('card_requests')
      .select(['kind', 'reason', 'replaces_card_id', 'state'])
      .where('number', '=', drafted[0]!)
      .executeTakeFirstOrThrow();
    assert.deepEqual([req.kind, req.reason, req.replaces_card_id], ['renewal', 'card_expiry', vc.cardId]);
    await p.store.db
      .updateTable('cards')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', vc.cardId)
      .execute();
    assert.equal(await expireCards(p.ctx), 1);
    const c = await p.store.db
      .selectFrom('cards')
      .select('state')
      .where('id', '=', vc.cardId)
      .executeTakeFirstOrThrow();
    assert.equal(c.state, 'expired');
  });
});
