import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { actorFor, forEachDatabase, openTestPlatform, type TestPlatform } from '../support/platform.ts';
import { ensureTestPki, signingKeyFor, type TestSigner } from '../support/signing.ts';
import { addHolders, pdfText, validatedBatch, type FixtureBatch } from '../manufacturer/fixture.ts';
import {
  activationCodeVerifier,
  loadActivationKey,
  processInbox,
  productionEnvironment,
  sendOrder,
  MANUFACTURER,
  type ProductionEnvironment,
} from '../../src/app/requests/production.ts';
import {
  cardDetail,
  cardsToHandOver,
  listCards,
  listHolders,
  receiveCard,
  receiveContent,
  resendActivationCode,
  resendContent,
} from '../../src/app/desk/cards.ts';
import { localSimulator, productionRound } from '../../src/cli/manufacturer.ts';
import { registerProductionJobs } from '../../src/jobs/production-jobs.ts';
import { sealMessage, writeMessage } from '../../src/manufacturer/format.ts';
import { createSimulator, REJECT_MARKER } from '../../src/manufacturer/simulator.ts';
import { loadCardMasterKey, loadChipKey } from '../../src/cards/keys.ts';
import { openVirtualCard } from '../../src/cards/virtual-card.ts';
import { checkCardCertificate } from '../../src/pki/checker.ts';
import * as x509 from '../../src/pki/x509.ts';
import type { Simulator } from '../../src/manufacturer/simulator.ts';
import type { CardProfile } from '../../src/pki/profiles.ts';
import { createAgent } from '../../src/app/directory/agents.ts';
import { createCardRequest, signCardRequest } from '../../src/app/requests/card-requests.ts';
import { createBatch, getBatch, validateBatch } from '../../src/app/requests/batches.ts';
import { createBatchAction } from '../../src/domain/card-request.ts';
import { systemActor } from '../../src/app/context.ts';
import { runDueJobs } from '../../src/jobs/worker.ts';

const quiet = () => {};

async function snapshot(p: TestPlatform) {
  const db = p.store.db;
  return {
    cards: await db.selectFrom('cards').selectAll().orderBy('id').execute(),
    requests: await db
      .selectFrom('card_requests')
      .select(['id', 'state', 'card_id', 'rejection_reason'])
      .orderBy('id')
      .execute(),
    batches: await db.selectFrom('request_batches').select(['id', 'state']).orderBy('id').execute(),
    certificates: await db
      .selectFrom('certificates')
      .select(['serial', 'card_id', 'status'])
      .orderBy('serial')
      .execute(),
  };
}

forEachDatabase('production of cards by the manufacturer', (dialect) => {
  let p: TestPlatform;
  let env: ProductionEnvironment;
  let sim: Simulator;
  let batch: FixtureBatch;
  let operator: Awaited<ReturnType<typeof actorFor>>;
  let signer: TestSigner;
  const round = () => productionRound(p.ctx, env, sim, quiet);

  before(async () => {
    p = await openTestPlatform(dialect);
    const pki = await ensureTestPki(p);
    registerProductionJobs(pki);
    env = productionEnvironment(p.dataDir, pki, {});
    sim = localSimulator(p.ctx, env, quiet);
    await p.store.db
      .updateTable('agents')
      .set({ has_photo: 1 })
      .where('identifier', 'in', ['1003456789', '1004567890'])
      .execute();
    await p.store.db.updateTable('agents').set({ has_photo: 0 }).where('identifier', '=', '1005678901').execute();
    batch = await validatedBatch(p, 'BN-BREST', ['1003456789', '1004567890', '1005678901']);
    operator = await actorFor(p.ctx, '1002345678');
    signer = await signingKeyFor(p, '1002345678');
  });
  after(async () => p.close());

  it('takes a batch from order to shipping: cards, certificates on the cards, letters, rejection', async () => {
    await round();
    const b = await p.store.db
      .selectFrom('request_batches')
      .selectAll()
      .where('id', '=', batch.batchId)
      .executeTakeFirstOrThrow();
    assert.equal(b.state, 'closed');
    assert.ok(b.sent_at && b.acknowledged_at && b.closed_at);
    const requests = await p.store.db
      .selectFrom('card_requests')
      .selectAll()
      .where('batch_id', '=', batch.batchId)
      .execute();
    const rejected = requests.find((r) => r.id === batch.byIdentifier.get('1005678901'))!;
    assert.equal(rejected.state, 'rejected');
    assert.match(rejected.rejection_reason!, /Photo refusée par le fabricant/);
    const fulfilled = requests.filter((r) => r.state === 'fulfilled');
    assert.equal(fulfilled.length, 2);

    const cards = await p.store.db.selectFrom('cards').selectAll().where('batch_id', '=', batch.batchId).execute();
    assert.equal(cards.length, 2);
    const chipKey = loadChipKey(p.dataDir, {});
    const brest = (
      await p.store.db.selectFrom('organizations').select('id').where('code', '=', 'BN-BREST').executeTakeFirstOrThrow()
    ).id;
    const issuers = new Map(
      (await p.store.db.selectFrom('certification_authorities').select(['id', 'certificate_der']).execute()).map(
        (c) => [c.id, new x509.X509Certificate(new Uint8Array(c.certificate_der))],
      ),
    );
    for (const card of cards) {
      assert.match(card.serial, /^124\d{7}$/);
      assert.equal(card.state, 'shipped');
      assert.equal(card.operator_organization_id, brest);
      assert.equal(card.letter_state, 'sent');
      assert.match(card.activation_code_hash!, /^[0-9a-f]{64}$/);
      assert.equal(fulfilled.find((r) => r.id === card.request_id)!.card_id, card.id);
      assert.equal(new Date(card.expires_at!).getUTCFullYear() - new Date(card.produced_at!).getUTCFullYear(), 6);
      const certs = await p.store.db.selectFrom('certificates').selectAll().where('card_id', '=', card.id).execute();
      assert.deepEqual(certs.map((c) => c.profile).sort(), ['auth', 'enc', 'sign']);
      assert.ok(certs.every((c) => c.status === 'issued' && c.agent_id === card.agent_id));
      // The card in the operator's folder holds the keys it generated and the certificates for them.
      const file = join(p.dataDir, 'cards', `${card.serial}.carte`);
      const driver = await openVirtualCard(file, chipKey);
      for (const c of certs) {
        assert.deepEqual(Buffer.from((await driver.readCertificate(c.profile as CardProfile))!), Buffer.from(c.der));
        const onCard = Buffer.from((await driver.publicKey(c.profile as CardProfile))!);
        assert.deepEqual(Buffer.from(new x509.X509Certificate(new Uint8Array(c.der)).publicKey.rawData), onCard);
        assert.deepEqual(
          await checkCardCertificate(new Uint8Array(c.der), c.profile as CardProfile, issuers.get(c.ca_id)!),
          [],
        );
      }
      await driver.close();
      // The letter: addressed to the holder, with the code whose verifier the platform keeps.
      const text = await pdfText(readFileSync(join(p.dataDir, 'manufacturer', 'courrier', `${card.serial}.pdf`)));
      const agent = await p.store.db
        .selectFrom('agents')
        .selectAll()
        .where('id', '=', card.agent_id)
        .executeTakeFirstOrThrow();
      assert.ok(text.includes(agent.last_name.toUpperCase()), text);
      assert.ok(text.includes('Base navale de Brest'));
      assert.ok(text.includes(card.serial));
      assert.ok(text.includes('pièce d’identité'));
      const code = /^(\d) (\d) (\d) (\d) (\d) (\d)$/m.exec(text)!.slice(1).join('');
      assert.equal(
        activationCodeVerifier(loadActivationKey(p.dataDir, {}), card.serial, code),
        card.activation_code_hash,
      );
    }
    const messages = await p.store.db
      .selectFrom('manufacturer_messages')
      .select(['kind', 'direction', 'status'])
      .where('batch_id', '=', batch.batchId)
      .execute();
    assert.deepEqual(messages.map((m) => `${m.direction}:${m.kind}:${m.status}`).sort(), [
      'in:acknowledgement:processed',
      'in:production:processed',
      'in:rejection:processed',
      'in:shipping:processed',
      'out:certificates:written',
      'out:order:written',
    ]);
  });

  it('the manufacturer reads each exchange file once, and a bounded number of new ones per step', async () => {
    const outbox = env.folders.outbox;
    const logs: string[] = [];
    const manufacturer = localSimulator(p.ctx, env, (line) => logs.push(line)); // same state: same cursor
    const names = readdirSync(outbox).filter((n) => n.endsWith('.json'));
    assert.ok(names.length >= 2, names.join(', '));
    // Every message so far was read: spoilt now, a step reading them again would refuse them aloud.
    const saved = names.map((n) => [n, readFileSync(join(outbox, n))] as const);
    try {
      for (const n of names) writeFileSync(join(outbox, n), 'illisible');
      assert.equal(await manufacturer.step(), 0);
      assert.deepEqual(logs, []);
    } finally {
      for (const [n, bytes] of saved) writeFileSync(join(outbox, n), bytes);
    }
    // Two new files, one file a step: one read per step, in order, each once.
    writeFileSync(join(outbox, '20990101-000000-order-a.json'), 'pas un message');
    writeFileSync(join(outbox, '20990101-000001-order-b.json'), 'pas un message non plus');
    await manufacturer.step({ maxMessages: 1 });
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /20990101-000000-order-a\.json refusé/);
    await manufacturer.step({ maxMessages: 1 });
    assert.equal(logs.length, 2);
    assert.match(logs[1]!, /20990101-000001-order-b\.json refusé/);
    await manufacturer.step({ maxMessages: 1 });
    assert.equal(logs.length, 2);
  });

  it('lists the cards to hand over, the holders, and shows the detail with certificates and history', async () => {
    const list = await listCards(p.ctx, operator, { batchId: batch.batchId });
    assert.equal(list.total, 2);
    const toHand = await cardsToHandOver(p.ctx, operator, { q: 'kerbrat' });
    assert.equal(toHand.items.length, 1);
    const bySerial = await cardsToHandOver(p.ctx, operator, { q: toHand.items[0]!.serial });
    assert.equal(bySerial.items[0]!.id, toHand.items[0]!.id);
    const detail = await cardDetail(p.ctx, operator, toHand.items[0]!.id);
    assert.equal(detail.certificates.length, 3);
    assert.equal(detail.letter.codeAvailable, true);
    assert.ok(
      !JSON.stringify(detail).includes(
        (
          await p.store.db
            .selectFrom('cards')
            .select('activation_code_hash')
            .where('id', '=', detail.id)
            .executeTakeFirstOrThrow()
        ).activation_code_hash!,
      ),
    );
    assert.deepEqual(
      detail.history.map((h) => h.action),
      ['card.produce', 'card.ship'],
    );
    const holders = await listHolders(p.ctx, operator, {});
    assert.ok(holders.items.some((h) => h.lastName === 'KERBRAT' && h.latestCard?.state === 'shipped'));
    // The town's operator sees none of it.
    const town = await actorFor(p.ctx, 'martin.c77011');
    assert.equal((await listCards(p.ctx, town, { batchId: batch.batchId })).total, 0);
    await assert.rejects(cardDetail(p.ctx, town, detail.id), { code: 'forbidden' });
  });

  it('records a card received with the operator signature and invites the holder; another organisation cannot', async () => {
    const card = (await cardsToHandOver(p.ctx, operator, { q: 'kerbrat' })).items[0]!;
    const town = await actorFor(p.ctx, 'martin.c77011');
    await assert.rejects(receiveCard(p.ctx, town, card.id, null), { code: 'forbidden' });
    await assert.rejects(receiveCard(p.ctx, operator, card.id, null), { code: 'invalid' });
    assert.equal(
      (await p.store.db.selectFrom('cards').select('state').where('id', '=', card.id).executeTakeFirstOrThrow()).state,
      'shipped',
    );
    const signature = await signer.signAction(operator, receiveContent(card));
    const r = await receiveCard(p.ctx, operator, card.id, signature);
    assert.deepEqual(r, { state: 'received', mailed: true });
    const row = await p.store.db.selectFrom('cards').selectAll().where('id', '=', card.id).executeTakeFirstOrThrow();
    assert.equal(row.state, 'received');
    assert.equal(row.received_by, operator.agentId);
    const mail = await p.store.db
      .selectFrom('mails')
      .selectAll()
      .where('recipient', '=', 'maelle.kerbrat@intradef.gouv.fr')
      .executeTakeFirstOrThrow();
    assert.match(mail.body, /dans les 48 heures/);
    assert.match(mail.body, new RegExp(card.serial));
    await assert.rejects(
      receiveCard(p.ctx, operator, card.id, await signer.signAction(operator, receiveContent(card))),
      { code: 'conflict' },
    );
    const audit = await p.store.db
      .selectFrom('audit_log')
      .select(['evidence'])
      .where('action', '=', 'card.receive')
      .where('target_id', '=', card.id)
      .executeTakeFirstOrThrow();
    assert.notEqual(audit.evidence, '[]');
  });

  it('re-sends the activation code by post (new letter, old code void) and by email (file mailer)', async () => {
    const card = (await cardsToHandOver(p.ctx, operator, { q: 'kerbrat' })).items[0]!;
    const before = await p.store.db.selectFrom('cards').selectAll().where('id', '=', card.id).executeTakeFirstOrThrow();
    await p.store.db.updateTable('cards').set({ activation_code_attempts: 2 }).where('id', '=', card.id).execute();
    await resendActivationCode(
      p.ctx,
      operator,
      card.id,
      { channel: 'post' },
      await signer.signAction(operator, resendContent(card, 'post')),
    );
    const pending = await p.store.db
      .selectFrom('cards')
      .selectAll()
      .where('id', '=', card.id)
      .executeTakeFirstOrThrow();
    assert.equal(pending.activation_code_hash, null, 'the previous code is void at once');
    assert.equal(pending.activation_code_attempts, 0);
    await round();
    const post = await p.store.db.selectFrom('cards').selectAll().where('id', '=', card.id).executeTakeFirstOrThrow();
    assert.equal(post.letter_state, 'resent_post');
    assert.ok(post.letter_sent_at);
    assert.notEqual(post.activation_code_hash, before.activation_code_hash);
    const text = await pdfText(readFileSync(join(p.dataDir, 'manufacturer', 'courrier', `${card.serial}.pdf`)));
    assert.match(text, /remplace le précédent/);
    const code = /^(\d) (\d) (\d) (\d) (\d) (\d)$/m.exec(text)!.slice(1).join('');
    const key = loadActivationKey(p.dataDir, {});
    assert.equal(activationCodeVerifier(key, card.serial, code), post.activation_code_hash);

    await resendActivationCode(
      p.ctx,
      operator,
      card.id,
      { channel: 'email' },
      await signer.signAction(operator, resendContent(card, 'email')),
    );
    await round();
    const mailed = await p.store.db.selectFrom('cards').selectAll().where('id', '=', card.id).executeTakeFirstOrThrow();
    assert.equal(mailed.letter_state, 'resent_email');
    const mails = readdirSync(join(p.dataDir, 'mails'))
      .map((f) => readFileSync(join(p.dataDir, 'mails', f), 'utf8'))
      .filter(
        (m) => m.includes('maelle.kerbrat@intradef.gouv.fr') && m.includes(card.serial) && /code d'activation/i.test(m),
      );
    const codes = mails.map((m) => /est : (\d{6})/.exec(m)?.[1]).filter(Boolean) as string[];
    assert.equal(codes.length, 1);
    assert.equal(activationCodeVerifier(key, card.serial, codes[0]!), mailed.activation_code_hash);
    await assert.rejects(resendActivationCode(p.ctx, operator, card.id, { channel: 'pigeon' }, null), {
      code: 'invalid',
    });
  });

  describe('files from the manufacturer', () => {
    let other: FixtureBatch;
    let sent: Simulator;

    before(async () => {
      const ids = await addHolders(p, 'BN-BREST', 2, 'refus');
      await p.store.db
        .updateTable('agents')
        .set({ last_name: `Dupont ${REJECT_MARKER}` })
        .where('identifier', '=', ids[1]!)
        .execute();
      other = await validatedBatch(p, 'BN-BREST', ids);
      // A simulator that never answers: the test writes the manufacturer's files itself.
      sent = createSimulator({
        dataDir: join(p.dataDir, 'elsewhere'),
        exchangeKey: env.exchangeKey,
        activationKey: loadActivationKey(p.dataDir, {}),
        chipKey: loadChipKey(p.dataDir, {}),
        masterKey: loadCardMasterKey(p.dataDir, {}),
        mailer: p.ctx.mailer,
      });
      await sendOrder(p.ctx, MANUFACTURER, env, other.batchId);
    });

    it('refuses truncated, wrong-version, forged and unknown-batch files, changing nothing', async () => {
      const at = p.ctx.now().toISOString();
      const ack = sealMessage(env.exchangeKey, {
        id: 'ar-test-1',
        kind: 'acknowledgement',
        batchNumber: other.number,
        createdAt: at,
        items: [],
      });
      const inbox = env.folders.inbox;
      writeFileSync(join(inbox, '1-tronque.json'), JSON.stringify(ack).slice(0, 60));
      writeFileSync(join(inbox, '2-version.json'), JSON.stringify({ ...ack, version: 2 }));
      writeFileSync(join(inbox, '3-falsifie.json'), JSON.stringify({ ...ack, batchNumber: batch.number }));
      writeMessage(
        inbox,
        sealMessage(Buffer.alloc(32, 7), {
          id: 'ar-test-2',
          kind: 'acknowledgement',
          batchNumber: other.number,
          createdAt: at,
          items: [],
        }),
      );
      writeMessage(
        inbox,
        sealMessage(env.exchangeKey, {
          id: 'ar-test-3',
          kind: 'acknowledgement',
          batchNumber: 'L-INCONNU',
          createdAt: at,
          items: [],
        }),
      );
      writeMessage(
        inbox,
        sealMessage(env.exchangeKey, {
          id: 'rejet-test-4',
          kind: 'rejection',
          batchNumber: other.number,
          createdAt: at,
          items: [{ requestId: 'inconnue', reason: 'x' }],
        }),
      );
      const beforeState = await snapshot(p);
      const results = await processInbox(p.ctx, env);
      assert.equal(results.length, 6);
      assert.deepEqual(
        results.map((r) => r.outcome),
        Array(6).fill('refused'),
      );
      const reasons = results.map((r) => r.message).join('\n');
      assert.match(reasons, /JSON invalide ou tronqué/);
      assert.match(reasons, /Version 2 du format non prise en charge/);
      assert.match(reasons, /mac\) invalide/);
      assert.match(reasons, /Lot inconnu : « L-INCONNU »/);
      assert.match(reasons, /ne fait pas partie du lot/);
      assert.deepEqual(await snapshot(p), beforeState);
      const refused = await p.store.db
        .selectFrom('manufacturer_messages')
        .select(['status', 'message'])
        .where('status', '=', 'refused')
        .execute();
      assert.equal(refused.length, 6);
      assert.equal(readdirSync(join(inbox, 'refuses')).length, 6);
      assert.equal(readdirSync(inbox).filter((n) => n.endsWith('.json')).length, 0);
    });

    it('applies a message once: the same file again is « déjà traité » and changes nothing', async () => {
      const at = p.ctx.now().toISOString();
      const [good, bad] = other.requestIds;
      const rejection = sealMessage(env.exchangeKey, {
        id: 'rejet-test-5',
        kind: 'rejection',
        batchNumber: other.number,
        createdAt: at,
        items: [{ requestId: bad!, reason: 'Photo refusée par le fabricant' }],
      });
      const name = writeMessage(env.folders.inbox, rejection);
      const first = await processInbox(p.ctx, env);
      assert.equal(first[0]!.outcome, 'processed');
      const req = await p.store.db
        .selectFrom('card_requests')
        .select(['state', 'rejection_reason'])
        .where('id', '=', bad!)
        .executeTakeFirstOrThrow();
      assert.deepEqual({ ...req }, { state: 'rejected', rejection_reason: 'Photo refusée par le fabricant' });
      assert.equal(
        (await p.store.db.selectFrom('card_requests').select('state').where('id', '=', good!).executeTakeFirstOrThrow())
          .state,
        'sent',
      );
      const beforeState = await snapshot(p);
      const auditBefore = (
        await p.store.db
          .selectFrom('audit_log')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n;
      copyFileSync(join(env.folders.inbox, 'traites', name), join(env.folders.inbox, name));
      const again = await processInbox(p.ctx, env);
      assert.equal(again[0]!.outcome, 'duplicate');
      assert.match(again[0]!.message, /déjà traité/);
      assert.deepEqual(await snapshot(p), beforeState);
      assert.equal(
        (
          await p.store.db
            .selectFrom('audit_log')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
        auditBefore,
      );
      assert.ok(existsSync(join(env.folders.inbox, 'traites', name)));
      void sent;
    });
  });
});

forEachDatabase('production of a batch validated through the real workflow', (dialect) => {
  let p: TestPlatform;

  before(async () => {
    p = await openTestPlatform(dialect);
  });
  after(async () => p.close());

  it('validation queues the order; the job sends it; the card reaches the town desk and is received', async () => {
    const pki = await ensureTestPki(p);
    registerProductionJobs(pki);
    const env = productionEnvironment(p.dataDir, pki, {});
    const sim = localSimulator(p.ctx, env, quiet);
    const operator = await actorFor(p.ctx, 'martin.c77011');
    const ra = await actorFor(p.ctx, 'lefebvre.s77');
    const opKey = await signingKeyFor(p, 'martin.c77011');
    const raKey = await signingKeyFor(p, 'lefebvre.s77');
    const town = (
      await p.store.db.selectFrom('organizations').select('id').where('code', '=', '77011').executeTakeFirstOrThrow()
    ).id;
    const holder = await createAgent(p.ctx, systemActor('test'), {
      organizationId: town,
      identifier: `prod.${dialect}`,
      identifierKind: 'internal',
      lastName: 'Fabre',
      firstNames: 'Lucie',
      sex: 'F',
      birthDate: '1980-01-01',
      birthPlace: 'Melun',
      staffStatus: 'civil',
      profile: "Agent d'état civil",
      email: 'lucie.fabre@mairie-aubepierre.fr',
    });
    await p.store.db
      .updateTable('agents')
      .set({ identity_verified: 1, has_photo: 1, directory_record: 1 })
      .where('id', '=', holder.id)
      .execute();
    const r = await createCardRequest(p.ctx, operator, {
      agentId: holder.id,
      modelId: 'collectivites-2017',
      kind: 'first_issue',
    });
    assert.equal(r.state, 'complete', JSON.stringify(r.prerequisites));
    await signCardRequest(p.ctx, operator, r.id, await opKey.signAction(operator, r.toSign!));
    const b = await createBatch(p.ctx, operator, {
      requestIds: [r.id],
      signature: await opKey.signAction(operator, createBatchAction(town, [r.id])),
    });
    const toValidate = await getBatch(p.ctx, ra, b.id);
    await validateBatch(p.ctx, ra, b.id, await raKey.signAction(ra, toValidate.toSign!));

    await runDueJobs(p.ctx);
    assert.equal(
      (await p.store.db.selectFrom('request_batches').select('state').where('id', '=', b.id).executeTakeFirstOrThrow())
        .state,
      'sent',
    );
    await productionRound(p.ctx, env, sim, quiet);
    const card = await p.store.db
      .selectFrom('cards')
      .selectAll()
      .where('request_id', '=', r.id)
      .executeTakeFirstOrThrow();
    assert.equal(card.state, 'shipped');
    assert.equal(card.operator_organization_id, town);
    const certs = await p.store.db
      .selectFrom('certificates')
      .select('profile')
      .where('card_id', '=', card.id)
      .execute();
    assert.deepEqual(certs.map((c) => c.profile).sort(), ['auth', 'sign']);
    assert.equal(
      (await p.store.db.selectFrom('request_batches').select('state').where('id', '=', b.id).executeTakeFirstOrThrow())
        .state,
      'closed',
    );
    const desk = await cardsToHandOver(p.ctx, operator, { q: 'fabre' });
    assert.deepEqual(
      desk.items.map((c) => c.id),
      [card.id],
    );
    const done = await receiveCard(p.ctx, operator, card.id, await opKey.signAction(operator, receiveContent(card)));
    assert.equal(done.state, 'received');
    assert.ok(existsSync(join(p.dataDir, 'cards', `${card.serial}.carte`)));
  });
});

describe('production rejection rule of the simulator', () => {
  it('refuses an item without photo or with the marker, in French', async () => {
    const { defaultRejection } = await import('../../src/manufacturer/simulator.ts');
    const item = {
      requestId: 'r',
      requestNumber: 'n',
      holder: { identifier: 'x', lastName: 'Durand', firstNames: 'A', email: null, hasPhoto: true },
      subject: [],
      model: 'cims-agent',
      profiles: ['auth'],
      shipTo: { name: '', addressLine: '', postalCode: '', city: '' },
      letterTo: { name: '', unit: '', address: '' },
    };
    assert.equal(defaultRejection(item), null);
    assert.match(
      defaultRejection({ ...item, holder: { ...item.holder, hasPhoto: false } })!,
      /Photo refusée par le fabricant/,
    );
    assert.match(
      defaultRejection({ ...item, holder: { ...item.holder, lastName: `X ${REJECT_MARKER}` } })!,
      /Photo refusée par le fabricant/,
    );
  });
});
