// Activation with a real virtual card (seed 001 "Activation d'un support"): identity and
// certificates presented, attestation, activation code (brute force bounded), PINs set on the card
// through the administration key, countersignature; refusal of the certificates.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  ACTIVATION_CODE_ATTEMPTS,
  activationAdminResponse,
  activationContent,
  activationView,
  completeActivation,
  refuseCertificates,
  submitActivationCode,
} from '../../src/app/desk/activation.ts';
import { activationCodeVerifier, loadActivationKey } from '../../src/app/requests/production.ts';
import { AppError } from '../../src/app/errors.ts';
import { pinFaults } from '../../src/domain/pin-policy.ts';
import { actorFor, forEachDatabase, type TestPlatform } from '../support/platform.ts';
import { openDesk, type TestSigner } from '../support/signing.ts';
import { FIXTURE_PINS, virtualCardFor, type FixtureVirtualCard } from '../support/card-fixture.ts';

const CODE = '482913';

forEachDatabase('activation', (dialect) => {
  let p: TestPlatform;
  let martin: TestSigner;

  before(async () => ({ p, martin } = await openDesk(dialect)));
  after(() => p?.close());

  async function handedOver(identifier: string): Promise<FixtureVirtualCard> {
    const vc = await virtualCardFor(p, identifier, { state: 'handed_over', activated: false });
    await p.store.db
      .updateTable('cards')
      .set({ activation_code_hash: activationCodeVerifier(loadActivationKey(p.dataDir, {}), vc.serial, CODE) })
      .where('id', '=', vc.cardId)
      .execute();
    return vc;
  }

  it('presents the holder, the certificates and the attestation of the guide', async () => {
    const vc = await handedOver('2010002684dh');
    const v = await activationView(p.ctx, await actorFor(p.ctx, 'martin.c77011'), vc.cardId);
    assert.equal(v.holder.lastName, 'DILINDIEN');
    assert.deepEqual(
      v.certificates.map((c) => [c.label, c.rgsLevel, c.usages]),
      [
        ['ANTS-ACT3-AUTH', 'Renforcé', 'Signature numérique'],
        ['ANTS-ACT3-SIGN', 'Renforcé', 'Non Repudiation'],
      ],
    );
    assert.match(
      v.attestation[0]!,
      /^Je soussigné\(e\) Hugues DILINDIEN né\(e\) le 01\/01\/1970 atteste avoir reçu de Camille MARTIN/,
    );
    assert.equal(v.codeAttemptsLeft, ACTIVATION_CODE_ATTEMPTS);
  });

  it('a brute force of 10,000 codes gets 5 evaluations, then even the right code is refused', async () => {
    const vc = await handedOver('moreau.jp77011');
    const actor = await actorFor(p.ctx, 'martin.c77011');
    const evaluations = async () =>
      (
        await p.store.db
          .selectFrom('audit_log')
          .select('summary')
          .where('action', '=', 'card.activation-code')
          .where('target_id', '=', vc.cardId)
          .execute()
      ).filter((r) => /erroné/.test(r.summary)).length;
    let next = 0;
    const worker = async () => {
      while (next < 10_000) {
        const code = String(next++).padStart(6, '0');
        if (code === CODE) continue;
        await assert.rejects(submitActivationCode(p.ctx, actor, vc.cardId, code), AppError);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    assert.equal(await evaluations(), ACTIVATION_CODE_ATTEMPTS);
    await assert.rejects(submitActivationCode(p.ctx, actor, vc.cardId, CODE), /verrouillé/);
  });

  it('activates: right code, PINs set on the card under the administration key, countersigned; the PINs work', async () => {
    const vc = await handedOver('2010002684dh');
    const actor = await actorFor(p.ctx, 'martin.c77011');
    const card = await vc.open();
    await assert.rejects(
      activationAdminResponse(p.ctx, actor, vc.cardId, {
        operation: 'set-pin:auth',
        challenge: Buffer.from(await card.adminChallenge()).toString('base64'),
      }),
      /code d’activation/,
    );
    await assert.rejects(submitActivationCode(p.ctx, actor, vc.cardId, '000000'), /il reste 4 essais/);
    await submitActivationCode(p.ctx, actor, vc.cardId, CODE);
    // Typed again (page reloaded): the same letter still serves until the activation completes.
    await submitActivationCode(p.ctx, actor, vc.cardId, CODE);
    // The page refuses 1234 and a birth-date PIN before asking the card (rules of the guide).
    assert.deepEqual(
      pinFaults('1234', '1234', '1970-01-01').map((f) => f.code),
      ['run'],
    );
    assert.deepEqual(
      pinFaults('0170', '0170', '1970-01-01').map((f) => f.code),
      ['birth_date'],
    );
    for (const pin of ['auth', 'sign'] as const) {
      const { response } = await activationAdminResponse(p.ctx, actor, vc.cardId, {
        operation: `set-pin:${pin}`,
        challenge: Buffer.from(await card.adminChallenge()).toString('base64'),
      });
      await card.setPinWithAdmin(pin, Buffer.from(response, 'base64'), FIXTURE_PINS[pin]);
    }
    // A response for this card is worthless on any other card (e.g. the operator's, left in the reader).
    const other = await virtualCardFor(p, 'leroy.a77011', { state: 'handed_over', activated: false });
    const otherCard = await other.open();
    const { response } = await activationAdminResponse(p.ctx, actor, vc.cardId, {
      operation: 'set-pin:auth',
      challenge: Buffer.from(await otherCard.adminChallenge()).toString('base64'),
    });
    await assert.rejects(
      otherCard.setPinWithAdmin('auth', Buffer.from(response, 'base64'), '7395'),
      /admin|administration/i,
    );
    await otherCard.close();
    const content = await activationContent(p.ctx, vc.cardId);
    const r = await completeActivation(p.ctx, actor, vc.cardId, {
      signature: await martin.signAction(actor, { action: 'card.activate', target: vc.cardId, content }),
    });
    assert.equal(r.message, 'Le support et ses certificats ont été activés avec succès.');
    await assert.rejects(submitActivationCode(p.ctx, actor, vc.cardId, CODE), /Activée|déjà été utilisé/);
    const certs = await p.store.db
      .selectFrom('certificates')
      .select('status')
      .where('card_id', '=', vc.cardId)
      .execute();
    assert.deepEqual(
      certs.map((c) => c.status),
      ['valid', 'valid'],
    );
    const mail = await p.store.db
      .selectFrom('mails')
      .select('body')
      .where('subject', '=', `Attestation de remise de votre carte n° ${vc.serial}`)
      .executeTakeFirstOrThrow();
    assert.match(mail.body, /Je soussigné\(e\) Hugues DILINDIEN/);
    await card.verifyPin('auth', FIXTURE_PINS.auth);
    await assert.rejects(card.verifyPin('sign', '1111'), /il reste 2 essais/);
    await card.close();
  });

  it('the holder refuses all certificates: they are revoked and the card is unusable', async () => {
    const vc = await handedOver('leroy.a77011');
    const actor = await actorFor(p.ctx, 'martin.c77011');
    await refuseCertificates(p.ctx, actor, vc.cardId, {
      signature: await martin.signAction(actor, {
        action: 'card.refuse-certificates',
        target: vc.cardId,
        content: { cardId: vc.cardId, serial: vc.serial },
      }),
    });
    const certs = await p.store.db
      .selectFrom('certificates')
      .select(['status', 'revocation_reason'])
      .where('card_id', '=', vc.cardId)
      .execute();
    assert.deepEqual(
      certs.map((c) => c.status),
      ['revoked', 'revoked'],
    );
    const c = await p.store.db
      .selectFrom('cards')
      .select('state')
      .where('id', '=', vc.cardId)
      .executeTakeFirstOrThrow();
    assert.equal(c.state, 'revoked');
  });
});
