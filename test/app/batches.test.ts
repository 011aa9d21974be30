// Batches of requests: entry by an operator from signed requests of one organisation, validation by
// a registration authority who took no part in them, the order queued for the manufacturer.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  cancelCardRequest,
  createCardRequest,
  getCardRequest,
  signCardRequest,
} from '../../src/app/requests/card-requests.ts';
import { createBatch, getBatch, listBatches, SEND_ORDER_JOB, validateBatch } from '../../src/app/requests/batches.ts';
import { assignRole } from '../../src/app/directory/organizations.ts';
import { createAgent } from '../../src/app/directory/agents.ts';
import { verifyAuditChain } from '../../src/store/audit.ts';
import { systemActor } from '../../src/app/context.ts';
import { cancelRequestAction, createBatchAction } from '../../src/domain/card-request.ts';
import { actorFor, agentId, forEachDatabase, openTestPlatform, orgId } from '../support/platform.ts';
import type { PersonActor, TestPlatform } from '../support/platform.ts';
import { signingKeyFor, type TestSigner } from '../support/signing.ts';
import { fails } from '../support/errors.ts';
import { letters } from '../support/rows.ts';

const TOWN_MODEL = 'collectivites-2017';

forEachDatabase('batches of requests', (dialect) => {
  let p: TestPlatform;
  let operator: PersonActor; // martin.c77011
  let ra: PersonActor; // lefebvre.s77
  let ra2: PersonActor; // a second registration authority of the prefecture
  let brestOperator: PersonActor;
  let keys: Record<string, TestSigner>;
  let town: string;
  let seq = 0;
  const system = systemActor('test');

  async function townAgent(): Promise<string> {
    seq++;
    const a = await createAgent(p.ctx, system, {
      organizationId: town,
      identifier: `lot.${seq}.${dialect}`,
      identifierKind: 'internal',
      lastName: 'Lot',
      firstNames: `Agent ${letters(seq)}`,
      sex: 'M',
      birthDate: '1980-01-01',
      birthPlace: 'Melun',
      staffStatus: 'civil',
      profile: "Agent d'état civil",
    });
    await p.store.db
      .updateTable('agents')
      .set({ identity_verified: 1, has_photo: 1, directory_record: 1 })
      .where('id', '=', a.id)
      .execute();
    return a.id;
  }

  const keyOf = (actor: PersonActor) => keys[actor.agentId]!;

  async function signedRequest(by: PersonActor = operator, agent?: string, model = TOWN_MODEL): Promise<string> {
    const r = await createCardRequest(p.ctx, by, {
      agentId: agent ?? (await townAgent()),
      modelId: model,
      kind: 'first_issue',
    });
    assert.equal(r.state, 'complete', JSON.stringify(r.prerequisites));
    const s = await signCardRequest(p.ctx, by, r.id, await keyOf(by).signAction(by, r.toSign!));
    assert.equal(s.state, 'signed');
    return r.id;
  }

  async function batchOf(by: PersonActor, ids: string[]) {
    const orgOf = (await getCardRequest(p.ctx, by, ids[0]!)).organizationId;
    return createBatch(p.ctx, by, {
      requestIds: ids,
      signature: await keyOf(by).signAction(by, createBatchAction(orgOf, ids)),
    });
  }

  async function validate(by: PersonActor, batchId: string) {
    const b = await getBatch(p.ctx, by, batchId);
    assert.ok(b.toSign, 'the batch has something to sign');
    return validateBatch(p.ctx, by, batchId, await keyOf(by).signAction(by, b.toSign));
  }

  before(async () => {
    p = await openTestPlatform(dialect);
    town = await orgId(p.ctx, '77011');
    const pref = await orgId(p.ctx, 'PREF77');
    const second = await createAgent(p.ctx, system, {
      organizationId: pref,
      identifier: `ra2.${dialect}`,
      identifierKind: 'internal',
      lastName: 'Garnier',
      firstNames: 'Luc',
      sex: 'M',
      birthDate: '1979-03-03',
      birthPlace: 'Melun',
      staffStatus: 'civil',
      profile: "Autorité d'enregistrement",
    });
    await assignRole(p.ctx, system, { agentId: second.id, role: 'registration_authority', organizationId: pref });
    operator = await actorFor(p.ctx, 'martin.c77011');
    ra = await actorFor(p.ctx, 'lefebvre.s77');
    ra2 = await actorFor(p.ctx, `ra2.${dialect}`);
    brestOperator = await actorFor(p.ctx, '1002345678');
    keys = {
      [operator.agentId]: await signingKeyFor(p, 'martin.c77011'),
      [ra.agentId]: await signingKeyFor(p, 'lefebvre.s77'),
      [ra2.agentId]: await signingKeyFor(p, `ra2.${dialect}`),
      [brestOperator.agentId]: await signingKeyFor(p, '1002345678'),
    };
  });
  after(async () => {
    await p?.close();
  });

  it('the operator enters a batch of signed requests; a registration authority validates it; the order is queued for the manufacturer', async () => {
    const ids = [await signedRequest(), await signedRequest(), await signedRequest()];
    const batch = await batchOf(operator, ids);
    assert.match(batch.number, /^L-\d{4}-\d{4}$/);
    assert.deepEqual(
      [batch.state, batch.stateLabel, batch.organizationId, batch.requestCount, batch.createdBy],
      ['open', 'À valider', town, 3, 'Camille MARTIN'],
    );
    assert.deepEqual(
      batch.requests.map((r) => r.state),
      ['in_batch', 'in_batch', 'in_batch'],
    );
    assert.deepEqual(new Set(batch.requests.map((r) => r.batch?.number)), new Set([batch.number]));
    const created = await p.store.db
      .selectFrom('audit_log')
      .select('evidence')
      .where('action', '=', 'batch.create')
      .where('target_id', '=', batch.id)
      .executeTakeFirstOrThrow();
    assert.match(JSON.parse(created.evidence)[0], /^signature:/);

    // The operator may not validate (no right), nor may anyone without the signature.
    await fails(
      validateBatch(p.ctx, operator, batch.id, await keyOf(operator).signAction(operator, batch.toSign!)),
      'forbidden',
      /droits nécessaires/,
    );
    await fails(validateBatch(p.ctx, ra, batch.id, null), 'invalid', /code PIN de signature/);
    assert.equal(
      await p.store.db.selectFrom('jobs').select('id').where('kind', '=', SEND_ORDER_JOB).executeTakeFirst(),
      undefined,
    );

    const validated = await validate(ra, batch.id);
    assert.deepEqual(
      [validated.state, validated.stateLabel, validated.validatedBy],
      ['validated', 'Validé', 'Sophie LEFEBVRE'],
    );
    assert.ok(validated.validatedAt);
    assert.deepEqual(
      validated.requests.map((r) => [r.state, r.stateLabel]),
      Array(3).fill(['validated', 'Lot validé']),
    );
    assert.equal(validated.toSign, null);
    const jobs = await p.store.db
      .selectFrom('jobs')
      .select(['kind', 'payload', 'status'])
      .where('kind', '=', SEND_ORDER_JOB)
      .execute();
    assert.deepEqual(
      jobs.map((j) => [JSON.parse(j.payload), j.status]),
      [[{ batchId: batch.id }, 'pending']],
    );
    const rec = await p.store.db
      .selectFrom('audit_log')
      .select(['actor_id', 'evidence'])
      .where('action', '=', 'batch.validate')
      .where('outcome', '=', 'ok')
      .where('target_id', '=', batch.id)
      .executeTakeFirstOrThrow();
    assert.equal(rec.actor_id, ra.agentId);
    assert.match(JSON.parse(rec.evidence)[0], new RegExp(`^signature:${keyOf(ra).serial}:`));

    // Once validated: no second validation, no cancellation of its requests.
    await fails(
      validateBatch(
        p.ctx,
        ra2,
        batch.id,
        await keyOf(ra2).signAction(ra2, { action: 'batch.validate', target: batch.id, content: {} }),
      ),
      'conflict',
      /ne se valide plus/,
    );
    const r0 = await getCardRequest(p.ctx, operator, ids[0]!);
    await fails(
      cancelCardRequest(
        p.ctx,
        operator,
        ids[0]!,
        'trop tard',
        await keyOf(operator).signAction(operator, cancelRequestAction(r0, 'trop tard')),
      ),
      'conflict',
    );
  });

  it('a batch takes signed requests of one organisation only', async () => {
    const signed = await signedRequest();
    const draft = await createCardRequest(p.ctx, operator, {
      agentId: await townAgent(),
      modelId: TOWN_MODEL,
      kind: 'first_issue',
    });
    await fails(batchOf(operator, [signed, draft.id]), 'conflict', new RegExp(`${draft.number} \\(« Complète »\\)`));
    const yann = await agentId(p.ctx, '1003456789');
    await p.store.db.updateTable('agents').set({ has_photo: 1 }).where('id', '=', yann).execute();
    const year = new Date().getUTCFullYear();
    const planned = await p.store.db
      .selectFrom('allocation_plan_entries')
      .select('id')
      .where('agent_id', '=', yann)
      .where('year', '=', year)
      .executeTakeFirst();
    if (!planned)
      await p.store.db
        .insertInto('allocation_plan_entries')
        .values({
          id: p.ctx.newId(),
          organization_id: await orgId(p.ctx, 'BN-BREST'),
          agent_id: yann,
          year,
          reason: null,
          created_at: new Date().toISOString(),
        })
        .execute();
    const brestSigned = await signedRequest(brestOperator, yann, 'cims-agent');
    const mixed = await fails(
      createBatch(p.ctx, operator, { requestIds: [signed, brestSigned], signature: null }),
      'invalid',
      /même organisation/,
    );
    assert.equal(mixed.errors[0]!.field, 'requestIds');
    // The town operator cannot batch Brest's request.
    await fails(
      createBatch(p.ctx, operator, {
        requestIds: [brestSigned],
        signature: await keyOf(operator).signAction(operator, createBatchAction('x', [brestSigned])),
      }),
      'forbidden',
      /périmètre/,
    );
    await fails(createBatch(p.ctx, operator, { requestIds: [], signature: null }), 'invalid');
    await fails(
      createBatch(p.ctx, operator, { requestIds: [p.ctx.newId()], signature: null }),
      'invalid',
      /introuvables/,
    );
    // A signature of another list of requests does not create this batch.
    const other = await signedRequest();
    await fails(
      createBatch(p.ctx, operator, {
        requestIds: [signed, other],
        signature: await keyOf(operator).signAction(operator, createBatchAction(town, [signed])),
      }),
      'forbidden',
      /ne correspond pas/,
    );
    assert.equal((await getCardRequest(p.ctx, operator, signed)).state, 'signed');
    const ok = await batchOf(operator, [signed, other]);
    assert.equal(ok.requestCount, 2);
    // A request already in a batch cannot enter another one.
    await fails(batchOf(operator, [signed]), 'conflict', /Dans un lot/);
  });

  it('nobody validates a batch they entered, signed a request of, or hold a request in (REG-6.2.2-26); each refusal is audited', async () => {
    const refusals = async () =>
      (
        await p.store.db
          .selectFrom('audit_log')
          .select('seq')
          .where('action', '=', 'batch.validate')
          .where('outcome', '=', 'refused')
          .execute()
      ).length;
    const start = await refusals();

    // Entered by the registration authority herself.
    const own = await batchOf(ra, [await signedRequest(ra)]);
    await fails(validate(ra, own.id), 'forbidden', /Vous avez saisi ce lot/);
    assert.equal((await getBatch(p.ctx, ra, own.id)).state, 'open');
    assert.equal((await validate(ra2, own.id)).state, 'validated');

    // A request signed by the registration authority, batch entered by the operator.
    const signedByRa = await signedRequest(ra);
    const b2 = await batchOf(operator, [signedByRa, await signedRequest()]);
    await fails(validate(ra, b2.id), 'forbidden', /Vous avez signé une demande de ce lot/);

    // A request for the second registration authority's own card.
    const ra2Agent = ra2.agentId;
    await p.store.db
      .updateTable('agents')
      .set({ identity_verified: 1, has_photo: 1, directory_record: 1 })
      .where('id', '=', ra2Agent)
      .execute();
    const forRa2 = await createCardRequest(p.ctx, ra, {
      agentId: ra2Agent,
      modelId: 'etat-agent',
      kind: 'first_issue',
    });
    assert.equal(forRa2.state, 'complete', JSON.stringify(forRa2.prerequisites));
    await signCardRequest(p.ctx, ra, forRa2.id, await keyOf(ra).signAction(ra, forRa2.toSign!));
    const pref = await orgId(p.ctx, 'PREF77');
    const b3 = await createBatch(p.ctx, ra, {
      requestIds: [forRa2.id],
      signature: await keyOf(ra).signAction(ra, createBatchAction(pref, [forRa2.id])),
    });
    await fails(validate(ra2, b3.id), 'forbidden', /soi-même/);
    // And nobody puts their own request in a batch either.
    const forRa = await createCardRequest(p.ctx, ra2, {
      agentId: ra.agentId,
      modelId: 'etat-agent',
      kind: 'first_issue',
    });
    await p.store.db
      .updateTable('agents')
      .set({ has_photo: 1, identity_verified: 1 })
      .where('id', '=', ra.agentId)
      .execute();
    const forRaRechecked = await getCardRequest(p.ctx, ra2, forRa.id);
    await signCardRequest(p.ctx, ra2, forRa.id, await keyOf(ra2).signAction(ra2, forRaRechecked.toSign!));
    await fails(createBatch(p.ctx, ra, { requestIds: [forRa.id], signature: null }), 'forbidden', /soi-même/);

    assert.equal(await refusals(), start + 3);
    const byBatch = await p.store.db
      .selectFrom('audit_log')
      .select(['target_id', 'actor_id'])
      .where('action', '=', 'batch.validate')
      .where('outcome', '=', 'refused')
      .orderBy('seq')
      .execute();
    assert.deepEqual(
      byBatch.slice(-3).map((r) => [r.target_id, r.actor_id]),
      [
        [own.id, ra.agentId],
        [b2.id, ra.agentId],
        [b3.id, ra2.agentId],
      ],
    );
  });

  it('a batch whose requests were all cancelled cannot be validated; tracking lists stay in scope', async () => {
    const id = await signedRequest();
    const b = await batchOf(operator, [id]);
    const r = await getCardRequest(p.ctx, operator, id);
    const cancelled = await cancelCardRequest(
      p.ctx,
      operator,
      id,
      'Départ de l’agent',
      await keyOf(operator).signAction(operator, cancelRequestAction(r, 'Départ de l’agent')),
    );
    assert.equal(cancelled.state, 'cancelled');
    const after = await getBatch(p.ctx, ra, b.id);
    assert.deepEqual([after.requestCount, after.cancelledCount, after.toSign], [0, 1, null]);
    await fails(
      validateBatch(
        p.ctx,
        ra,
        b.id,
        await keyOf(ra).signAction(ra, { action: 'batch.validate', target: b.id, content: {} }),
      ),
      'conflict',
      /aucune demande/,
    );

    const townList = await listBatches(p.ctx, operator, { pageSize: 100 });
    assert.ok(townList.total >= 3);
    assert.ok(townList.items.every((x) => x.organizationId === town));
    assert.equal(townList.items.find((x) => x.id === b.id)!.cancelledCount, 1);
    const open = await listBatches(p.ctx, operator, { state: 'open', pageSize: 100 });
    assert.ok(open.items.every((x) => x.state === 'open'));
    assert.deepEqual(
      (await listBatches(p.ctx, operator, { q: b.number.toLowerCase() })).items.map((x) => x.id),
      [b.id],
    );
    assert.equal((await listBatches(p.ctx, brestOperator, {})).total, 0);
    await fails(getBatch(p.ctx, brestOperator, b.id), 'forbidden', /périmètre/);
    await fails(validateBatch(p.ctx, brestOperator, b.id, null), 'forbidden');
    // The prefecture sees the batches of the towns attached to it, and its own.
    const prefList = await listBatches(p.ctx, ra, { pageSize: 100 });
    assert.ok(prefList.total > townList.total);
  });

  it('batch numbers are unique when batches are entered at the same time', async () => {
    const ids = await Promise.all(Array.from({ length: 5 }, () => signedRequest()));
    const batches = await Promise.all(ids.map((id) => batchOf(operator, [id])));
    const numbers = batches.map((b) => b.number);
    assert.equal(new Set(numbers).size, numbers.length);
    const all = (await p.store.db.selectFrom('request_batches').select('number').execute())
      .map((b) => Number(b.number.slice(-4)))
      .sort((a, b) => a - b);
    assert.deepEqual(
      all,
      Array.from({ length: all.length }, (_, i) => i + 1),
    );
  });

  it('leaves an intact audit chain after all of the above', async () => {
    const v = await verifyAuditChain(p.store);
    assert.equal(v.ok, true, JSON.stringify(v));
  });
});
