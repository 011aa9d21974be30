// Face-to-face hand-over (seed 001) and invalidation on a data error, on both databases.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, it } from 'node:test';
import {
  handOverCard,
  handoverContent,
  handoverView,
  invalidateCard,
  uploadIdentityCopy,
} from '../../src/app/desk/handover.ts';
import { countRows } from '../../src/store/audit.ts';
import { actorFor, forEachDatabase, type TestPlatform } from '../support/platform.ts';
import { openDesk, type TestSigner } from '../support/signing.ts';
import { cardOnDesk } from '../support/card-fixture.ts';
import { issueActionNonce } from '../../src/app/access/action-signatures.ts';
import { canonicalAction } from '../../src/domain/action-signature.ts';
import { fails } from '../support/errors.ts';

const PDF = Buffer.from('%PDF-1.4\n% copie certifiée conforme à l’original\n');
const JPEG = readFileSync(new URL('../fixtures/photo-valid.jpg', import.meta.url));

forEachDatabase('hand-over', (dialect) => {
  let p: TestPlatform;
  let martin: TestSigner;

  before(async () => ({ p, martin } = await openDesk(dialect)));
  after(() => p?.close());

  /** The hand-over confirmation signed with Martin's AUTH key, as the guide has it. */
  async function authSigned(cardId: string, serial: string, type: string, number: string, remarks: string | null) {
    const actor = await actorFor(p.ctx, 'martin.c77011');
    const { nonce } = await issueActionNonce(p.ctx, actor);
    const content = handoverContent({ id: cardId, serial }, { type, number, remarks });
    return {
      nonce,
      signature: martin.signAuth(canonicalAction({ action: 'card.handover', target: cardId, content, nonce })),
      certificate: Buffer.from(martin.authCertificate).toString('base64'),
    };
  }

  it('hands the card over to Hugues DILINDIEN with passport 22AZ25916, the certified copy and the operator’s authentication signature', async () => {
    const card = await cardOnDesk(p, '2010002684dh');
    const actor = await actorFor(p.ctx, 'martin.c77011');
    const view = await handoverView(p.ctx, actor, card.cardId);
    assert.equal(view.holder.lastName, 'DILINDIEN');
    assert.match(view.dn ?? '', /^C=FR, O=.*, CN=Hugues DILINDIEN 2010002684dh$/);
    await fails(
      handOverCard(p.ctx, actor, card.cardId, {
        identityDocumentType: 'passport',
        identityDocumentNumber: '22AZ25916',
        signature: await authSigned(card.cardId, card.serial, 'passport', '22AZ25916', null),
      }),
      'invalid',
      /copie de la pièce d’identité/,
    );
    await uploadIdentityCopy(p.ctx, actor, card.cardId, {
      fileName: 'passeport.pdf',
      contentType: 'application/pdf',
      bytes: PDF,
    });
    const audit = await countRows(p.store.db, 'audit_log');
    await handOverCard(p.ctx, actor, card.cardId, {
      identityDocumentType: 'passport',
      identityDocumentNumber: '22AZ 25916',
      remarks: 'Nom d’usage : néant',
      signature: await authSigned(card.cardId, card.serial, 'passport', '22AZ25916', 'Nom d’usage : néant'),
    });
    const row = await p.store.db
      .selectFrom('cards')
      .select('state')
      .where('id', '=', card.cardId)
      .executeTakeFirstOrThrow();
    assert.equal(row.state, 'handed_over');
    const h = await p.store.db
      .selectFrom('card_handovers')
      .selectAll()
      .where('card_id', '=', card.cardId)
      .executeTakeFirstOrThrow();
    assert.equal(h.identity_document_number, '22AZ25916');
    const rec = await p.store.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'card.handover')
      .where('target_id', '=', card.cardId)
      .executeTakeFirstOrThrow();
    assert.match(rec.evidence, /signature:/);
    assert.ok((await countRows(p.store.db, 'audit_log')) >= audit + 1);
    // Twice: the card is no longer on the desk.
    await fails(
      handOverCard(p.ctx, actor, card.cardId, {
        identityDocumentType: 'passport',
        identityDocumentNumber: '22AZ25916',
        signature: await authSigned(card.cardId, card.serial, 'passport', '22AZ25916', null),
      }),
      'conflict',
      /Remise au porteur/,
    );
  });

  it('refuses a hand-over signed with the signature key, a bad document number, a non-PDF copy, one’s own card, another organisation — changing nothing', async () => {
    const card = await cardOnDesk(p, 'moreau.jp77011');
    const actor = await actorFor(p.ctx, 'martin.c77011');
    await fails(
      uploadIdentityCopy(p.ctx, actor, card.cardId, { fileName: 'x.pdf', contentType: 'application/pdf', bytes: JPEG }),
      'invalid',
      /ne correspond pas à son type/,
    );
    await uploadIdentityCopy(p.ctx, actor, card.cardId, {
      fileName: 'cni.jpg',
      contentType: 'image/jpeg',
      bytes: JPEG,
    });
    await fails(
      handOverCard(p.ctx, actor, card.cardId, {
        identityDocumentType: 'passport',
        identityDocumentNumber: '*',
        signature: null,
      }),
      'invalid',
      /corrigez/,
    );
    const wrongKey = await martin.signAction(actor, {
      action: 'card.handover',
      target: card.cardId,
      content: handoverContent(
        { id: card.cardId, serial: card.serial },
        { type: 'passport', number: '22AZ25916', remarks: null },
      ),
    });
    await fails(
      handOverCard(p.ctx, actor, card.cardId, {
        identityDocumentType: 'passport',
        identityDocumentNumber: '22AZ25916',
        signature: wrongKey,
      }),
      'forbidden',
      /pas un certificat d'authentification/,
    );
    const own = await cardOnDesk(p, 'martin.c77011');
    await fails(
      uploadIdentityCopy(p.ctx, actor, own.cardId, { fileName: 'x.pdf', contentType: 'application/pdf', bytes: PDF }),
      'forbidden',
      /propre carte/,
    );
    const brest = await cardOnDesk(p, '1003456789');
    await fails(handoverView(p.ctx, actor, brest.cardId), 'forbidden', /périmètre/);
    const row = await p.store.db
      .selectFrom('cards')
      .select('state')
      .where('id', '=', card.cardId)
      .executeTakeFirstOrThrow();
    assert.equal(row.state, 'received');
  });

  it('invalidates a card whose data are wrong: certificates revoked with it, identity to verify again', async () => {
    const card = await cardOnDesk(p, 'leroy.a77011');
    const actor = await actorFor(p.ctx, 'martin.c77011');
    const reason = 'Nom de naissance mal orthographié';
    await invalidateCard(p.ctx, actor, card.cardId, {
      reason,
      signature: await martin.signAction(actor, {
        action: 'card.invalidate',
        target: card.cardId,
        content: { cardId: card.cardId, serial: card.serial, reason },
      }),
    });
    const c = await p.store.db
      .selectFrom('cards')
      .select('state')
      .where('id', '=', card.cardId)
      .executeTakeFirstOrThrow();
    assert.equal(c.state, 'invalidated');
    const certs = await p.store.db
      .selectFrom('certificates')
      .select(['status', 'revocation_reason'])
      .where('card_id', '=', card.cardId)
      .execute();
    assert.deepEqual(
      certs.map((x) => x.status),
      ['revoked', 'revoked'],
    );
    const agent = await p.store.db
      .selectFrom('agents')
      .select('identity_verified')
      .where('id', '=', card.agentId)
      .executeTakeFirstOrThrow();
    assert.equal(agent.identity_verified, 0);
    const jobs = await p.store.db.selectFrom('jobs').select('kind').where('kind', '=', 'crl.publish').execute();
    assert.ok(jobs.length >= 1);
  });
});
