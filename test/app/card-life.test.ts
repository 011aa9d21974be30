// The holder's life with the card after activation: secrets, self-service identification and
// unblock, loss/theft/temporary loss, offline revocation, return, destruction, departure, transfer.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { checkAdminResponse, deriveCardAdminKey } from '../../src/cards/admin-key.ts';
import { loadCardMasterKey } from '../../src/cards/keys.ts';
import { finalizeActivation } from '../../src/app/desk/activation.ts';
import {
  declareLossOrTheft,
  destroyCard,
  escalateSuspension,
  recordDeparture,
  resumeCard,
  returnCard,
  revokeCard,
  transferAgent,
} from '../../src/app/desk/card-incidents.ts';
import { defineHolderSecrets } from '../../src/app/desk/holder-secrets.ts';
import { holderUnblockResponse, identifyHolder, resetSecretQuestions } from '../../src/app/access/holder-access.ts';
import { actorFor, agentId, forEachDatabase, openTestPlatform, orgId, type TestPlatform } from '../support/platform.ts';
import { cardOnDesk } from '../support/card-fixture.ts';
import { signingKeyFor, type TestSigner } from '../support/signing.ts';
import { fails } from '../support/errors.ts';

const SECRETS = {
  personalCode: 'Adec+2024',
  questions: [
    { question: 'ville_naissance_mere', answer: 'Noir' },
    { question: 'premier_animal', answer: 'Rex' },
    { question: 'ecole_primaire', answer: 'Jean Jaurès' },
  ],
};

forEachDatabase('card life', (dialect) => {
  let p: TestPlatform;
  let martin: TestSigner;
  let girard: TestSigner;

  before(async () => {
    p = await openTestPlatform(dialect);
    martin = await signingKeyFor(p, 'martin.c77011');
    girard = await signingKeyFor(p, '1002345678');
  });
  after(() => p?.close());

  const state = async (cardId: string) =>
    (await p.store.db.selectFrom('cards').select('state').where('id', '=', cardId).executeTakeFirstOrThrow()).state;
  const certStates = async (cardId: string) =>
    (
      await p.store.db
        .selectFrom('certificates')
        .select('status')
        .where('card_id', '=', cardId)
        .orderBy('profile')
        .execute()
    ).map((c) => c.status);

  it('the holder defines the personal code and three questions; a municipal card then waits for the officer’s initials', async () => {
    const card = await cardOnDesk(p, '2010002684dh', 'activated');
    const hugues = await actorFor(p.ctx, '2010002684dh');
    await fails(defineHolderSecrets(p.ctx, hugues, { ...SECRETS, personalCode: 'court' }), 'invalid', /corrigez/);
    await fails(
      defineHolderSecrets(p.ctx, hugues, { ...SECRETS, questions: SECRETS.questions.slice(0, 2) }),
      'invalid',
      /corrigez/,
    );
    const r = await defineHolderSecrets(p.ctx, hugues, SECRETS);
    assert.deepEqual(r.awaitingFinalization, [card.serial]);
    assert.equal(await state(card.cardId), 'activated');
    const stored = await p.store.db
      .selectFrom('holder_secrets')
      .selectAll()
      .where('agent_id', '=', card.agentId)
      .executeTakeFirstOrThrow();
    assert.doesNotMatch(stored.answers + stored.personal_code_hash, /Noir|Rex|Adec/);
    const actor = await actorFor(p.ctx, 'martin.c77011');
    await finalizeActivation(p.ctx, actor, card.cardId, {
      signature: await martin.signAction(actor, {
        action: 'card.finalize',
        target: card.cardId,
        content: { cardId: card.cardId, serial: card.serial },
      }),
    });
    assert.equal(await state(card.cardId), 'active');
  });

  it('outside municipalities the card is active as soon as the secrets are defined', async () => {
    const card = await cardOnDesk(p, '1003456789', 'activated');
    const r = await defineHolderSecrets(p.ctx, await actorFor(p.ctx, '1003456789'), SECRETS);
    assert.deepEqual(r.cardsActivated, [card.serial]);
    assert.equal(await state(card.cardId), 'active');
  });

  it('identification by secrets: exact case required, one answer for every failure, suspended an hour after 3 errors, reset by the operator', async () => {
    const id = {
      organization: '77011',
      identifier: 'Hugues DILINDIEN 2010002684dh',
      personalCode: SECRETS.personalCode,
    };
    await fails(
      identifyHolder(p.ctx, {
        ...id,
        answers: [{ ...SECRETS.questions[0]!, answer: 'noir' }, SECRETS.questions[1]!, SECRETS.questions[2]!],
      }),
      'unauthenticated',
      /Identification impossible/,
    );
    await fails(
      identifyHolder(p.ctx, { ...id, organization: 'BN-BREST', answers: SECRETS.questions }),
      'unauthenticated',
      /Identification impossible/,
    );
    const ok = await identifyHolder(p.ctx, { ...id, answers: SECRETS.questions });
    assert.ok(ok.token.length > 20);
    for (let i = 0; i < 3; i++)
      await fails(
        identifyHolder(p.ctx, { ...id, personalCode: 'Faux+code1', answers: SECRETS.questions }),
        'unauthenticated',
        /Identification impossible/,
      );
    // Suspended: even the right secrets get the very same answer.
    await fails(
      identifyHolder(p.ctx, { ...id, answers: SECRETS.questions }),
      'unauthenticated',
      /Identification impossible/,
    );
    const realNow = p.ctx.now;
    p.ctx.now = () => new Date(realNow().getTime() + 61 * 60_000);
    try {
      assert.ok((await identifyHolder(p.ctx, { ...id, answers: SECRETS.questions })).token);
    } finally {
      p.ctx.now = realNow;
    }
    const actor = await actorFor(p.ctx, 'martin.c77011');
    const hugues = await agentId(p.ctx, '2010002684dh');
    await resetSecretQuestions(p.ctx, actor, hugues, {
      signature: await martin.signAction(actor, {
        action: 'holder.reset-secrets',
        target: hugues,
        content: { agentId: hugues },
      }),
    });
    assert.equal(
      (await p.store.db.selectFrom('holder_secrets').select('agent_id').where('agent_id', '=', hugues).execute())
        .length,
      0,
    );
    await fails(
      holderUnblockResponse(p.ctx, ok.token, {
        serial: '1',
        operation: 'reset-pin:auth',
        challenge: Buffer.alloc(16).toString('base64'),
      }),
      'unauthenticated',
      /expiré/,
    );
    await defineHolderSecrets(p.ctx, await actorFor(p.ctx, '2010002684dh'), SECRETS);
  });

  it('self-service unblock: the response resets a PIN of the holder’s own card only', async () => {
    const { token } = await identifyHolder(p.ctx, {
      organization: 'BN-BREST',
      identifier: '1003456789',
      personalCode: SECRETS.personalCode,
      answers: SECRETS.questions,
    });
    const card = await p.store.db
      .selectFrom('cards')
      .select(['serial'])
      .where('agent_id', '=', await agentId(p.ctx, '1003456789'))
      .executeTakeFirstOrThrow();
    const challenge = Buffer.alloc(16, 7);
    const { response } = await holderUnblockResponse(p.ctx, token, {
      serial: card.serial,
      operation: 'reset-pin:auth',
      challenge: challenge.toString('base64'),
    });
    const key = deriveCardAdminKey(loadCardMasterKey(p.dataDir, {}), card.serial);
    assert.equal(checkAdminResponse(key, challenge, 'reset-pin:auth', Buffer.from(response, 'base64')), true);
    assert.equal(checkAdminResponse(key, challenge, 'reset-pin:sign', Buffer.from(response, 'base64')), false);
    const other = await cardOnDesk(p, '1004567890', 'active');
    await fails(
      holderUnblockResponse(p.ctx, token, {
        serial: other.serial,
        operation: 'reset-pin:auth',
        challenge: challenge.toString('base64'),
      }),
      'forbidden',
      /pas la vôtre/,
    );
    await fails(
      holderUnblockResponse(p.ctx, token, {
        serial: card.serial,
        operation: 'terminate',
        challenge: challenge.toString('base64'),
      }),
      'invalid',
      /non permise/,
    );
    await fails(
      holderUnblockResponse(p.ctx, 'x'.repeat(43), {
        serial: card.serial,
        operation: 'reset-pin:auth',
        challenge: challenge.toString('base64'),
      }),
      'unauthenticated',
      /expiré/,
    );
  });

  it('theft needs the police report and revokes card and certificates at once; a temporary loss suspends, then escalates', async () => {
    const card = await cardOnDesk(p, 'moreau.jp77011', 'active');
    const moreau = await actorFor(p.ctx, 'moreau.jp77011');
    await fails(declareLossOrTheft(p.ctx, moreau, card.cardId, { kind: 'theft' }), 'invalid', /plainte/);
    await fails(
      declareLossOrTheft(p.ctx, await actorFor(p.ctx, 'leroy.a77011'), card.cardId, { kind: 'loss' }),
      'forbidden',
      /pas la vôtre/,
    );
    await declareLossOrTheft(p.ctx, moreau, card.cardId, { kind: 'theft', policeReportReference: 'PV 2026/123456' });
    assert.equal(await state(card.cardId), 'revoked');
    assert.deepEqual(await certStates(card.cardId), ['revoked', 'revoked']);

    const lost = await cardOnDesk(p, 'moreau.jp77011', 'active');
    const r = await declareLossOrTheft(p.ctx, moreau, lost.cardId, { kind: 'temporary_loss' });
    assert.equal(await state(lost.cardId), 'suspended');
    assert.ok(r.escalatesAt);
    const job = await p.store.db
      .selectFrom('jobs')
      .select(['payload', 'run_at'])
      .where('kind', '=', 'card.suspension-escalate')
      .where('payload', 'like', `%${lost.cardId}%`)
      .executeTakeFirstOrThrow();
    assert.equal(job.run_at, r.escalatesAt);
    assert.equal(
      await escalateSuspension(p.ctx, JSON.parse(job.payload) as { cardId: string; suspendedAt: string }),
      true,
    );
    assert.equal(await state(lost.cardId), 'revoked');
    assert.deepEqual(await certStates(lost.cardId), ['revoked', 'revoked']);

    const found = await cardOnDesk(p, 'moreau.jp77011', 'active');
    await declareLossOrTheft(p.ctx, moreau, found.cardId, { kind: 'temporary_loss' });
    const actor = await actorFor(p.ctx, 'martin.c77011');
    await resumeCard(p.ctx, actor, found.cardId, {
      signature: await martin.signAction(actor, {
        action: 'card.resume',
        target: found.cardId,
        content: { cardId: found.cardId, serial: found.serial },
      }),
    });
    assert.equal(await state(found.cardId), 'active');
    const job2 = await p.store.db
      .selectFrom('jobs')
      .select('payload')
      .where('kind', '=', 'card.suspension-escalate')
      .where('payload', 'like', `%${found.cardId}%`)
      .executeTakeFirstOrThrow();
    assert.equal(
      await escalateSuspension(p.ctx, JSON.parse(job2.payload) as { cardId: string; suspendedAt: string }),
      false,
    );
    assert.equal(await state(found.cardId), 'active');
  });

  it('offline revocation, return and destruction with its record', async () => {
    const card = await cardOnDesk(p, 'leroy.a77011', 'active');
    const actor = await actorFor(p.ctx, 'martin.c77011');
    const sign = (action: string, content: unknown) =>
      martin.signAction(actor, { action, target: card.cardId, content });
    await fails(returnCard(p.ctx, actor, card.cardId, { signature: null }), 'conflict', /Révoquez d’abord/);
    await fails(revokeCard(p.ctx, actor, card.cardId, { reason: 'ennui', signature: null }), 'invalid', /Motif/);
    await revokeCard(p.ctx, actor, card.cardId, {
      reason: 'damaged',
      signature: await sign('card.revoke', { cardId: card.cardId, serial: card.serial, reason: 'damaged' }),
    });
    assert.deepEqual(await certStates(card.cardId), ['revoked', 'revoked']);
    await returnCard(p.ctx, actor, card.cardId, {
      signature: await sign('card.return', { cardId: card.cardId, serial: card.serial }),
    });
    const { recordId } = await destroyCard(p.ctx, actor, card.cardId, {
      method: 'shredder',
      witness: 'Jean-Pierre MOREAU',
      signature: await sign('card.destroy', { cardId: card.cardId, serial: card.serial, method: 'shredder' }),
    });
    assert.equal(await state(card.cardId), 'destroyed');
    const doc = await p.store.db
      .selectFrom('card_documents')
      .select('bytes')
      .where('id', '=', recordId)
      .executeTakeFirstOrThrow();
    assert.match(
      Buffer.from(doc.bytes).toString('utf8'),
      /PROCÈS-VERBAL DE DESTRUCTION[\s\S]*Broyeur agréé[\s\S]*en présence de Jean-Pierre MOREAU/,
    );
  });

  it('departure revokes, except for a general of the 2nd section who keeps the card; a card not handed over is invalidated', async () => {
    const actor = await actorFor(p.ctx, '1002345678');
    const kerbrat = await agentId(p.ctx, '1004567890');
    const tanguy = await agentId(p.ctx, '1005678901');
    await p.store.db
      .updateTable('agents')
      .set({ category: 'Général de 2e section' })
      .where('id', '=', kerbrat)
      .execute();
    const kept = await cardOnDesk(p, '1004567890', 'active');
    const gone = await cardOnDesk(p, '1005678901', 'active');
    const pending = await cardOnDesk(p, '1005678901', 'received');
    const sign = (id: string) =>
      girard.signAction(actor, {
        action: 'agent.departure',
        target: id,
        content: { agentId: id, reason: 'retirement' },
      });
    const a = await recordDeparture(p.ctx, actor, kerbrat, { reason: 'retirement', signature: await sign(kerbrat) });
    assert.ok(a.kept.includes(kept.serial));
    assert.equal(await state(kept.cardId), 'active');
    const b = await recordDeparture(p.ctx, actor, tanguy, { reason: 'retirement', signature: await sign(tanguy) });
    assert.deepEqual([b.revoked, b.invalidated], [[gone.serial], [pending.serial]]);
    assert.equal(await state(gone.cardId), 'revoked');
    assert.equal(await state(pending.cardId), 'invalidated');
  });

  it('transfer inside the ministry keeps the card; a card not yet handed over follows the holder; another ministry is refused', async () => {
    const ra = await actorFor(p.ctx, '1001234567');
    const raSigner = await signingKeyFor(p, '1001234567');
    const legall = await agentId(p.ctx, '1003456789');
    const waiting = await cardOnDesk(p, '1003456789', 'received');
    const sca = await orgId(p.ctx, 'SCA');
    const content = { agentId: legall, toOrganizationId: sca, habilitations: ['CIMS', 'CHORUS'] };
    const r = await transferAgent(p.ctx, ra, legall, {
      toOrganizationId: sca,
      habilitations: ['CIMS', 'CHORUS'],
      signature: await raSigner.signAction(ra, { action: 'agent.transfer', target: legall, content }),
    });
    assert.deepEqual(r.followed, [waiting.serial]);
    const card = await p.store.db
      .selectFrom('cards')
      .select(['operator_organization_id'])
      .where('id', '=', waiting.cardId)
      .executeTakeFirstOrThrow();
    assert.equal(card.operator_organization_id, sca);
    // Another ministry: out of this RA's scope, and out of any transfer even for someone covering both.
    await fails(
      transferAgent(p.ctx, ra, legall, {
        toOrganizationId: await orgId(p.ctx, '77011'),
        habilitations: [],
        signature: null,
      }),
      'forbidden',
      /périmètre/,
    );
    const both = {
      ...ra,
      grants: [
        ...ra.grants,
        {
          id: 'test',
          role: 'operator' as const,
          organizationId: await orgId(p.ctx, '77011'),
          organizationName: 'Aubepierre',
        },
      ],
    };
    await fails(
      transferAgent(p.ctx, both, legall, {
        toOrganizationId: await orgId(p.ctx, '77011'),
        habilitations: [],
        signature: null,
      }),
      'invalid',
      /même ministère/,
    );
  });
});
