// Card case files (seed 003 over the card workflows), on both databases: a card ordered through
// today's flow appears as a case file at the centre, whose history follows the card step by step
// and whose pieces are the documents the steps produced; a loss opens an incident file, a return
// and a destruction a return file; the centre self-checks and archives them.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { actorFor, forEachDatabase, openTestPlatform, orgId, type TestPlatform } from '../support/platform.ts';
import { ensureTestPki, signingKeyFor } from '../support/signing.ts';
import { fails } from '../support/errors.ts';
import { createCardRequest, signCardRequest } from '../../src/app/requests/card-requests.ts';
import { createBatch, getBatch, validateBatch } from '../../src/app/requests/batches.ts';
import { productionEnvironment } from '../../src/app/requests/production.ts';
import { receiveCard, receiveContent } from '../../src/app/desk/cards.ts';
import { handOverCard, handoverContent, uploadIdentityCopy } from '../../src/app/desk/handover.ts';
import { destroyCard, returnCard, revokeCard } from '../../src/app/desk/card-incidents.ts';
import { issueActionNonce } from '../../src/app/access/action-signatures.ts';
import { canonicalAction } from '../../src/domain/action-signature.ts';
import { createBatchAction } from '../../src/domain/card-request.ts';
import { localSimulator, productionRound } from '../../src/cli/manufacturer.ts';
import { registerProductionJobs } from '../../src/jobs/production-jobs.ts';
import { runDueJobs } from '../../src/jobs/worker.ts';
import { getCaseFile, pieceDocument } from '../../src/app/backoffice/files.ts';
import { selfCheck } from '../../src/app/backoffice/processing.ts';
import { archiveFile } from '../../src/app/backoffice/archive.ts';
import { takeFile } from '../../src/app/backoffice/processing.ts';
import { registerSlip } from '../../src/app/backoffice/intake.ts';

const PDF = Buffer.from('%PDF-1.4\n% copie certifiée conforme\n');
const quiet = () => {};

forEachDatabase('card case files', (dialect) => {
  let p: TestPlatform;

  before(async () => {
    p = await openTestPlatform(dialect);
  });
  after(() => p?.close());

  async function filesOf(where: { card_request_id?: string; card_id?: string }) {
    let q = p.store.db.selectFrom('case_files').selectAll();
    if (where.card_request_id) q = q.where('card_request_id', '=', where.card_request_id);
    if (where.card_id) q = q.where('card_id', '=', where.card_id);
    return q.orderBy('created_at').execute();
  }

  it('a card ordered through today’s flow is a case file whose history follows the card', async () => {
    const pki = await ensureTestPki(p);
    registerProductionJobs(pki);
    const env = productionEnvironment(p.dataDir, pki, {});
    const sim = localSimulator(p.ctx, env, quiet);
    const martin = await actorFor(p.ctx, 'martin.c77011');
    const ra = await actorFor(p.ctx, 'lefebvre.s77');
    const opKey = await signingKeyFor(p, 'martin.c77011');
    const raKey = await signingKeyFor(p, 'lefebvre.s77');
    const hugues = await p.store.db
      .selectFrom('agents')
      .select(['id', 'organization_id'])
      .where('identifier', '=', '2010002684dh')
      .executeTakeFirstOrThrow();
    await p.store.db.updateTable('agents').set({ directory_record: 1 }).where('id', '=', hugues.id).execute();

    const r = await createCardRequest(p.ctx, martin, {
      agentId: hugues.id,
      modelId: 'collectivites-2017',
      kind: 'first_issue',
    });
    assert.equal(r.state, 'complete', JSON.stringify(r.prerequisites));
    const [opened] = await filesOf({ card_request_id: r.id });
    assert.ok(opened, 'the order opened a case file');
    assert.equal(opened.kind_code, 'card_order');
    assert.equal(opened.family, 'card');
    assert.equal(opened.status, 'routed');
    assert.equal(opened.agent_id, hugues.id);
    assert.equal(opened.unit_reference, r.number);
    const bc = await p.store.db
      .selectFrom('backoffice_offices')
      .select('organization_id')
      .where('code', '=', 'BC')
      .executeTakeFirstOrThrow();
    assert.equal(opened.office_id, bc.organization_id);

    await signCardRequest(p.ctx, martin, r.id, await opKey.signAction(martin, r.toSign!));
    const town = hugues.organization_id;
    const b = await createBatch(p.ctx, martin, {
      requestIds: [r.id],
      signature: await opKey.signAction(martin, createBatchAction(town, [r.id])),
    });
    await validateBatch(p.ctx, ra, b.id, await raKey.signAction(ra, (await getBatch(p.ctx, ra, b.id)).toSign!));
    await runDueJobs(p.ctx);
    await productionRound(p.ctx, env, sim, quiet);
    const card = await p.store.db
      .selectFrom('cards')
      .selectAll()
      .where('request_id', '=', r.id)
      .executeTakeFirstOrThrow();
    await receiveCard(p.ctx, martin, card.id, await opKey.signAction(martin, receiveContent(card)));
    await uploadIdentityCopy(p.ctx, martin, card.id, {
      fileName: 'cni.pdf',
      contentType: 'application/pdf',
      bytes: PDF,
    });
    const { nonce } = await issueActionNonce(p.ctx, martin);
    const content = handoverContent(card, { type: 'passport', number: 'X4RTBPFW4', remarks: null });
    await handOverCard(p.ctx, martin, card.id, {
      identityDocumentType: 'passport',
      identityDocumentNumber: 'X4RTBPFW4',
      signature: {
        nonce,
        signature: opKey.signAuth(canonicalAction({ action: 'card.handover', target: card.id, content, nonce })),
        certificate: Buffer.from(opKey.authCertificate).toString('base64'),
      },
    });

    const liaison = await actorFor(p.ctx, 'morvan.g.camid');
    const file = await getCaseFile(p.ctx, liaison, opened.id);
    assert.equal(file.cardId, card.id);
    const steps = file.timeline.filter((e) => e.type === 'card_step').map((e) => e.data['action']);
    assert.deepEqual(steps, [
      'cardRequest.create',
      'cardRequest.sign',
      'batch.create',
      'batch.validate',
      'batch.send',
      'batch.acknowledge',
      'card.produce',
      'card.ship',
      'card.receive',
      'card.identity-copy',
      'card.handover',
    ]);
    assert.equal(file.timeline[0]!.type, 'opened');
    const piece = (code: string) => file.pieces.find((x) => x.code === code)!;
    assert.equal(piece('photo').state, 'present');
    assert.match(piece('photo').document!.sha256, /^[0-9a-f]{64}$/);
    assert.equal(piece('identity_copy').state, 'present');
    assert.equal(piece('handover_record').state, 'present');
    assert.match(piece('handover_record').note!, /X4RTBPFW4/);
    assert.equal(piece('attestation').state, 'expected', 'no activation yet');
    assert.equal(file.status, 'routed', 'the card’s story goes on');
    // Nobody takes a card file by hand: the card's own steps process it.
    await fails(takeFile(p.ctx, await actorFor(p.ctx, 'riou.m.camid'), opened.id), 'conflict', /étapes de la carte/);

    // Lost: the card is revoked, an incident file opens and is processed at once; the order ends there.
    const sign = (action: string, c: unknown) => opKey.signAction(martin, { action, target: card.id, content: c });
    await p.store.db.updateTable('cards').set({ state: 'active' }).where('id', '=', card.id).execute();
    await revokeCard(p.ctx, martin, card.id, {
      reason: 'lost',
      signature: await sign('card.revoke', { cardId: card.id, serial: card.serial, reason: 'lost' }),
    });
    const files = await filesOf({ card_id: card.id });
    const incident = files.find((f) => f.kind_code === 'card_incident')!;
    assert.equal(incident.status, 'processed');
    assert.equal(incident.outcome, 'Carte révoquée');
    const order = files.find((f) => f.kind_code === 'card_order')!;
    assert.equal(order.status, 'processed');
    assert.equal(order.outcome, 'Carte révoquée');
    await returnCard(p.ctx, martin, card.id, {
      signature: await sign('card.return', { cardId: card.id, serial: card.serial }),
    });
    await destroyCard(p.ctx, martin, card.id, {
      method: 'shredder',
      signature: await sign('card.destroy', { cardId: card.id, serial: card.serial, method: 'shredder' }),
    });
    const ret = (await filesOf({ card_id: card.id })).find((f) => f.kind_code === 'card_return')!;
    assert.equal(ret.status, 'processed');
    const retView = await getCaseFile(p.ctx, liaison, ret.id);
    assert.equal(retView.pieces.find((x) => x.code === 'destruction_record')!.state, 'present');
    assert.equal(retView.pieces.find((x) => x.code === 'return_record')!.state, 'present');

    // The centre closes the order file: self-control by the office head (not the card officer who
    // processed it), then archive; the identity copy is readable by the office that processed it.
    const riou = await actorFor(p.ctx, 'riou.m.camid');
    const copy = await pieceDocument(p.ctx, riou, opened.id, piece('identity_copy').id);
    assert.deepEqual(copy.bytes, PDF);
    await fails(
      pieceDocument(p.ctx, await actorFor(p.ctx, 'lebihan.s.camid'), opened.id, piece('identity_copy').id),
      'forbidden',
    );
    assert.equal((await selfCheck(p.ctx, riou, opened.id, { ok: true })).status, 'checked');
    const archived = await archiveFile(p.ctx, liaison, opened.id, {
      locationKind: 'digital',
      reference: 'GED/CARTES/2026/1',
    });
    assert.equal(archived.status, 'archived');
  });

  it('a card step rolls back with its case file: a refused step leaves neither', async () => {
    const martin = await actorFor(p.ctx, 'martin.c77011');
    const before = await p.store.db.selectFrom('case_files').select('id').execute();
    // Martin cannot order his own card: the refusal is audited, no case file is opened.
    const self = await p.store.db
      .selectFrom('agents')
      .select('id')
      .where('identifier', '=', 'martin.c77011')
      .executeTakeFirstOrThrow();
    await fails(
      createCardRequest(p.ctx, martin, { agentId: self.id, modelId: 'collectivites-2017', kind: 'first_issue' }),
      'forbidden',
    );
    assert.equal((await p.store.db.selectFrom('case_files').select('id').execute()).length, before.length);
  });

  it('intakes and card orders at the same time draw distinct numbers and never deadlock', async () => {
    const martin = await actorFor(p.ctx, 'martin.c77011');
    const liaison = await actorFor(p.ctx, 'morvan.g.camid');
    const centreId = await orgId(p.ctx, 'CAMID');
    const unit = await orgId(p.ctx, 'GFM-BREST');
    const agents = await p.store.db
      .selectFrom('agents')
      .select('id')
      .where('identifier', 'in', ['moreau.jp77011', 'leroy.a77011'])
      .execute();
    const slips = Array.from({ length: 4 }, (_, i) =>
      registerSlip(p.ctx, liaison, {
        centreId,
        sendingOrganizationId: unit,
        unitReference: `GFM/PAR/${i}`,
        slipDate: p.ctx.now().toISOString().slice(0, 10),
        files: Array.from({ length: 5 }, (_, j) => ({
          kind: 'fd_mission',
          personName: `Fusilier ${i}-${j}`,
          pieces: ['ordre_mission'],
        })),
      }),
    );
    const orders = agents.map((a) =>
      createCardRequest(p.ctx, martin, { agentId: a.id, modelId: 'collectivites-2017', kind: 'first_issue' }),
    );
    const done = await Promise.allSettled([...slips, ...orders]);
    assert.deepEqual(
      done.filter((d) => d.status === 'rejected').map((d) => String((d as PromiseRejectedResult).reason)),
      [],
    );
    const numbers = (await p.store.db.selectFrom('case_files').select('number').execute()).map((r) => r.number);
    assert.equal(new Set(numbers).size, numbers.length, 'every number drawn once');
    assert.equal(
      (await p.store.db.selectFrom('case_files').select('id').where('person_name', 'like', 'Fusilier %').execute())
        .length,
      20,
    );
  });
});
