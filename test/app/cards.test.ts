import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { actorFor, forEachDatabase, openTestPlatform, type TestPlatform } from '../support/platform.ts';
import { signingKeyFor, type TestSigner } from '../support/signing.ts';
import { cardOnDesk } from '../support/card-fixture.ts';
import {
  cardsToHandOver,
  receiveCard,
  receiveContent,
  resendActivationCode,
  resendContent,
} from '../../src/app/desk/cards.ts';

// The card officer's desk up to reception: refusals (own card, wrong state, used code, no email).
forEachDatabase('cards at the operator desk', (dialect) => {
  let p: TestPlatform;
  let signer: TestSigner;
  let operator: Awaited<ReturnType<typeof actorFor>>;

  before(async () => {
    p = await openTestPlatform(dialect);
    signer = await signingKeyFor(p, '1002345678');
    operator = await actorFor(p.ctx, '1002345678');
  });
  after(async () => p.close());

  it('refuses to receive one’s own card, or a card not shipped', async () => {
    const own = await cardOnDesk(p, '1002345678', 'shipped');
    await assert.rejects(
      receiveCard(
        p.ctx,
        operator,
        own.cardId,
        await signer.signAction(operator, receiveContent({ id: own.cardId, serial: own.serial })),
      ),
      (err: Error & { code?: string }) => err.code === 'forbidden' && /propre carte/.test(err.message),
    );
    const received = await cardOnDesk(p, '1003456789', 'received');
    await assert.rejects(
      receiveCard(
        p.ctx,
        operator,
        received.cardId,
        await signer.signAction(operator, receiveContent({ id: received.cardId, serial: received.serial })),
      ),
      (err: Error & { code?: string }) => err.code === 'conflict' && /Reçue, à remettre/.test(err.message),
    );
    const listed = await cardsToHandOver(p.ctx, operator, { q: received.serial });
    assert.deepEqual(
      listed.items.map((c) => c.id),
      [received.cardId],
    );
  });

  it('refuses to re-send a used code, or by email to a holder without one', async () => {
    const card = await cardOnDesk(p, '1004567890', 'received');
    const post = async () =>
      resendActivationCode(
        p.ctx,
        operator,
        card.cardId,
        { channel: 'post' },
        await signer.signAction(operator, resendContent({ id: card.cardId, serial: card.serial }, 'post')),
      );
    await assert.rejects(
      post(),
      (err: Error & { code?: string }) => err.code === 'conflict' && /commande d'un lot/.test(err.message),
    );
    await p.store.db.updateTable('cards').set({ batch_id: 'lot-fictif' }).where('id', '=', card.cardId).execute();
    await p.store.db.updateTable('agents').set({ email: null }).where('id', '=', card.agentId).execute();
    await assert.rejects(
      resendActivationCode(
        p.ctx,
        operator,
        card.cardId,
        { channel: 'email' },
        await signer.signAction(operator, resendContent({ id: card.cardId, serial: card.serial }, 'email')),
      ),
      (err: Error & { code?: string }) => err.code === 'invalid' && /adresse de messagerie/.test(err.message),
    );
    await p.store.db
      .updateTable('cards')
      .set({ activation_code_used_at: new Date().toISOString() })
      .where('id', '=', card.cardId)
      .execute();
    await assert.rejects(
      post(),
      (err: Error & { code?: string }) => err.code === 'conflict' && /déjà été utilisé/.test(err.message),
    );
    const jobs = await p.store.db
      .selectFrom('jobs')
      .select('id')
      .where('kind', '=', 'manufacturer.code-resend')
      .execute();
    assert.equal(jobs.length, 0, 'nothing was asked of the manufacturer');
  });

  it('a signature over another card does not confirm this one', async () => {
    const a = await cardOnDesk(p, '1005678901', 'shipped');
    const b = await cardOnDesk(p, '1003456789', 'shipped');
    await assert.rejects(
      receiveCard(
        p.ctx,
        operator,
        a.cardId,
        await signer.signAction(operator, receiveContent({ id: b.cardId, serial: b.serial })),
      ),
    );
    assert.equal(
      (await p.store.db.selectFrom('cards').select('state').where('id', '=', a.cardId).executeTakeFirstOrThrow()).state,
      'shipped',
    );
  });
});
