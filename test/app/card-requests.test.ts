// Card requests: prerequisites one by one, states, operator signatures, quota and billing, scope,
// separation of duties, numbers — on SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  cancelCardRequest,
  cardPrerequisites,
  createCardRequest,
  getCardRequest,
  listCardRequests,
  recheckCardRequest,
  signCardRequest,
  updateCardRequest,
} from '../../src/app/requests/card-requests.ts';
import { listCardModels } from '../../src/app/requests/card-models.ts';
import { billingCsv, listBilling } from '../../src/app/requests/billing.ts';
import { createAgent, uploadPhoto } from '../../src/app/directory/agents.ts';
import { addAllocationPlanEntry, liftSuspension, submitSelfAssessment } from '../../src/app/directory/organizations.ts';
import { AppError } from '../../src/app/errors.ts';
import { systemActor } from '../../src/app/context.ts';
import { cancelRequestAction, signRequestAction } from '../../src/domain/card-request.ts';
import { canonicalAction } from '../../src/domain/action-signature.ts';
import { CONTROL_POINT_CODES } from '../../src/domain/self-assessment.ts';
import { countRows } from '../../src/store/audit.ts';
import { actorsFor, agentId, forEachDatabase, openTestPlatform, orgIds } from '../support/platform.ts';
import type { PersonActor, TestPlatform } from '../support/platform.ts';
import { signingKeyFor, type TestSigner } from '../support/signing.ts';
import { fails } from '../support/errors.ts';
import { cardRow } from '../support/rows.ts';

const PHOTO = readFileSync(new URL('../fixtures/photo-valid.jpg', import.meta.url));
const TOWN_MODEL = 'collectivites-2017';

forEachDatabase('card requests', (dialect) => {
  let p: TestPlatform;
  let operator: PersonActor; // martin.c77011, operator (and delegate) of the town
  let ra: PersonActor; // lefebvre.s77, registration authority of the prefecture
  let admin: PersonActor;
  let brestOperator: PersonActor; // 1002345678
  let martinKey: TestSigner;
  let raKey: TestSigner;
  let brestKey: TestSigner;
  let town: string;
  let brest: string;
  let hugues: string;
  let seq = 0;
  const system = systemActor('test');
  const year = new Date().getUTCFullYear();

  /** A town agent meeting every prerequisite unless told otherwise. */
  async function townAgent(
    overrides: {
      profile?: string;
      identity_verified?: number;
      has_photo?: number;
      directory_record?: number;
      org?: string;
    } = {},
  ): Promise<string> {
    seq++;
    const a = await createAgent(p.ctx, system, {
      organizationId: overrides.org ?? town,
      identifier: `essai.${seq}.${dialect}`,
      identifierKind: 'internal',
      lastName: `Essai${String.fromCharCode(65 + (seq % 26))}`,
      firstNames: 'Alix',
      sex: 'F',
      birthDate: '1985-05-05',
      birthPlace: 'Melun',
      staffStatus: 'civil',
      profile: overrides.profile ?? "Agent d'état civil",
    });
    await p.store.db
      .updateTable('agents')
      .set({
        identity_verified: overrides.identity_verified ?? 1,
        has_photo: overrides.has_photo ?? 1,
        directory_record: overrides.directory_record ?? 1,
      })
      .where('id', '=', a.id)
      .execute();
    return a.id;
  }

  async function failing(agent: string, actor: PersonActor = operator, model = TOWN_MODEL): Promise<string[]> {
    const r = await cardPrerequisites(p.ctx, actor, agent, { modelId: model, kind: 'first_issue' });
    assert.equal(
      r.ok,
      r.prerequisites.every((x) => x.ok),
    );
    for (const x of r.prerequisites) assert.equal(x.reason === null, x.ok, `${x.code}: a reason exactly when failing`);
    return r.prerequisites.filter((x) => !x.ok).map((x) => x.code);
  }

  async function sign(actor: PersonActor, key: TestSigner, id: string) {
    const r = await getCardRequest(p.ctx, actor, id);
    assert.ok(r.toSign, `request ${r.number} (${r.state}) has something to sign`);
    return signCardRequest(p.ctx, actor, id, await key.signAction(actor, r.toSign));
  }

  before(async () => {
    p = await openTestPlatform(dialect);
    [operator, ra, admin, brestOperator] = await actorsFor(
      p.ctx,
      'martin.c77011',
      'lefebvre.s77',
      'admin.national',
      '1002345678',
    );
    [town, brest] = await orgIds(p.ctx, '77011', 'BN-BREST');
    hugues = await agentId(p.ctx, '2010002684dh');
    martinKey = await signingKeyFor(p, 'martin.c77011');
    raKey = await signingKeyFor(p, 'lefebvre.s77');
    brestKey = await signingKeyFor(p, '1002345678');
  });
  after(async () => {
    await p?.close();
  });

  it('lists the card models of the sources, once each however often they are ensured', async () => {
    const models = await listCardModels(p.ctx, operator);
    assert.deepEqual(models.items.map((m) => m.code).sort(), [
      'cims-agent',
      'cims-exterieure',
      'collectivites-2017',
      'etat-agent',
    ]);
    assert.equal(await countRows(p.store.db, 'card_models'), 4);
    const town = models.items.find((m) => m.code === TOWN_MODEL)!;
    assert.equal(town.label, 'Carte pour les agents des collectivités territoriales 2017-2020');
    assert.deepEqual(town.profiles, ['auth', 'sign']);
  });

  describe('prerequisites', () => {
    it('Hugues DILINDIEN of the demo meets every prerequisite, with a free card', async () => {
      const r = await cardPrerequisites(p.ctx, operator, hugues, { modelId: TOWN_MODEL });
      assert.equal(r.ok, true, JSON.stringify(r.prerequisites.filter((x) => !x.ok)));
      assert.deepEqual(
        r.prerequisites.map((x) => x.code),
        [
          'eligibility',
          'identity',
          'unit_address',
          'photo',
          'directory_record',
          'no_card_in_progress',
          'trusted_roles',
        ],
      );
      assert.equal(r.quota.billing, 'free');
      assert.equal(r.quota.priceCents, 0);
    });

    it('fails each prerequisite on its own, with a French reason', async () => {
      assert.deepEqual(await failing(await townAgent()), []);
      assert.deepEqual(await failing(await townAgent({ identity_verified: 0 })), ['identity']);
      assert.deepEqual(await failing(await townAgent({ has_photo: 0 })), ['photo']);
      assert.deepEqual(await failing(await townAgent({ directory_record: 0 })), ['directory_record']);
      assert.deepEqual(await failing(await townAgent({ profile: 'Agent technique' })), ['eligibility']);
      const r = await cardPrerequisites(p.ctx, operator, await townAgent({ profile: 'Agent technique' }), {
        modelId: TOWN_MODEL,
      });
      assert.match(r.prerequisites[0]!.reason!, /profil de l'agent n'ouvre pas droit/);

      // The mayor named in the agreement qualifies whatever his profile says.
      const moreau = await agentId(p.ctx, 'moreau.jp77011');
      await p.store.db
        .updateTable('agents')
        .set({ profile: 'Maire de la commune', has_photo: 1 })
        .where('id', '=', moreau)
        .execute();
      assert.deepEqual(await failing(moreau), []);
      await p.store.db.updateTable('agents').set({ profile: 'Élu' }).where('id', '=', moreau).execute();
      assert.deepEqual(await failing(moreau), []);

      // Unit address: neither the agent nor the town has one.
      const noAddress = await townAgent();
      const saved = await p.store.db
        .selectFrom('organizations')
        .select(['address_line', 'postal_code', 'city'])
        .where('id', '=', town)
        .executeTakeFirstOrThrow();
      await p.store.db
        .updateTable('organizations')
        .set({ address_line: null, postal_code: null, city: null })
        .where('id', '=', town)
        .execute();
      try {
        assert.deepEqual(await failing(noAddress), ['unit_address']);
        await p.store.db
          .updateTable('agents')
          .set({ unit_address: '2 rue de la Mairie, 77720 Aubepierre' })
          .where('id', '=', noAddress)
          .execute();
        assert.deepEqual(await failing(noAddress), []);
      } finally {
        await p.store.db.updateTable('organizations').set(saved).where('id', '=', town).execute();
      }

      // Agreement: suspended, then none.
      const agent = await townAgent();
      await p.store.db
        .updateTable('agreements')
        .set({ status: 'suspended' })
        .where('organization_id', '=', town)
        .execute();
      try {
        const sus = await cardPrerequisites(p.ctx, operator, agent, { modelId: TOWN_MODEL });
        assert.deepEqual(
          sus.prerequisites.filter((x) => !x.ok).map((x) => [x.code, x.reason]),
          [['eligibility', "La convention d'adhésion de la commune n'est pas en vigueur."]],
        );
      } finally {
        await p.store.db
          .updateTable('agreements')
          .set({ status: 'active' })
          .where('organization_id', '=', town)
          .execute();
      }

      // A card of the same model on its way to the agent.
      const withCard = await townAgent();
      const model = (await listCardModels(p.ctx, operator)).items.find((m) => m.code === TOWN_MODEL)!;
      const now = new Date().toISOString();
      await p.store.db
        .insertInto('cards')
        .values(
          cardRow(now, {
            id: p.ctx.newId(),
            serial: `90${String(seq).padStart(8, '0')}`,
            model_id: model.id,
            agent_id: withCard,
            organization_id: town,
            state: 'shipped',
            letter_state: null,
            letter_sent_at: null,
            produced_at: null,
          }),
        )
        .execute();
      const inProgress = await cardPrerequisites(p.ctx, operator, withCard, { modelId: TOWN_MODEL });
      assert.deepEqual(
        inProgress.prerequisites.filter((x) => !x.ok).map((x) => x.code),
        ['no_card_in_progress'],
      );
      assert.match(inProgress.prerequisites[5]!.reason!, /déjà en cours .*Expédiée/);
    });

    it('armed forces: only agents in this year’s allocation plan', async () => {
      const yann = await agentId(p.ctx, '1003456789'); // in the plan
      const erwan = await agentId(p.ctx, '1005678901'); // not in the plan
      await p.store.db.updateTable('agents').set({ has_photo: 1 }).where('id', 'in', [yann, erwan]).execute();
      const inPlan = await p.store.db
        .selectFrom('allocation_plan_entries')
        .select('id')
        .where('agent_id', '=', yann)
        .where('year', '=', year)
        .executeTakeFirst();
      if (!inPlan) await addAllocationPlanEntry(p.ctx, system, brest, { agentId: yann, year });
      assert.deepEqual(await failing(yann, brestOperator, 'cims-agent'), []);
      assert.deepEqual(await failing(erwan, brestOperator, 'cims-agent'), ['eligibility']);
      const r = await cardPrerequisites(p.ctx, brestOperator, erwan, { modelId: 'cims-agent' });
      assert.equal(
        r.prerequisites[0]!.reason,
        `L'agent ne figure pas au plan annuel de dotation ${year} de son unité.`,
      );
      // A town model is not for a naval base.
      await fails(
        createCardRequest(p.ctx, brestOperator, { agentId: yann, modelId: TOWN_MODEL, kind: 'first_issue' }),
        'invalid',
        /n'est pas destiné aux agents/,
      );
    });

    it('a suspended town: its operator sees the prerequisite fail and may not order; the prefecture places the order', async () => {
      const agent = await townAgent();
      const assessment = await submitSelfAssessment(p.ctx, admin, town, {
        assessedOn: '2026-06-01',
        answers: {
          ...Object.fromEntries(CONTROL_POINT_CODES.map((c) => [c, { conform: true }])),
          [CONTROL_POINT_CODES[0]!]: { conform: false, major: true },
        },
      });
      try {
        assert.deepEqual(await failing(agent, operator), ['trusted_roles']);
        await fails(
          createCardRequest(p.ctx, operator, { agentId: agent, modelId: TOWN_MODEL, kind: 'first_issue' }),
          'forbidden',
          /suspendus/,
        );
        assert.deepEqual(await failing(agent, ra), []);
        const r = await createCardRequest(p.ctx, ra, { agentId: agent, modelId: TOWN_MODEL, kind: 'first_issue' });
        assert.equal(r.state, 'complete');
        const signed = await sign(ra, raKey, r.id);
        assert.equal(signed.state, 'signed');
      } finally {
        await liftSuspension(p.ctx, admin, town, assessment.id);
      }
    });
  });

  describe('life of a request', () => {
    it('draft while a prerequisite fails, refused at signature, complete once fixed, then signed with the operator’s signature in the audit trail', async () => {
      const leroy = await agentId(p.ctx, 'leroy.a77011');
      const created = await createCardRequest(p.ctx, operator, {
        agentId: leroy,
        modelId: TOWN_MODEL,
        kind: 'first_issue',
      });
      assert.match(created.number, new RegExp(`^D-${year}-\\d{6}$`));
      assert.equal(created.state, 'draft');
      assert.equal(created.stateLabel, 'Brouillon');
      assert.equal(created.toSign, null);
      assert.deepEqual(
        created.prerequisites.filter((x) => !x.ok).map((x) => x.code),
        ['photo'],
      );

      const asIs = signRequestAction({
        id: created.id,
        number: created.number,
        agentId: leroy,
        modelId: created.model.id,
        kind: 'first_issue',
        reason: null,
        replacesCardId: null,
        billing: 'free',
        priceCents: 0,
      });
      const refusal = await fails(
        signCardRequest(p.ctx, operator, created.id, await martinKey.signAction(operator, asIs)),
        'invalid',
        /prérequis ne sont pas remplis/,
      );
      assert.deepEqual(
        refusal.errors.map((e) => e.field),
        ['photo'],
      );
      assert.equal((await getCardRequest(p.ctx, operator, created.id)).state, 'draft');

      await uploadPhoto(p.ctx, operator, leroy, PHOTO);
      // The detail shows the facts as they are now; the stored state moves at the re-check.
      assert.equal((await getCardRequest(p.ctx, operator, created.id)).prerequisitesOk, true);
      const rechecked = await recheckCardRequest(p.ctx, operator, created.id);
      assert.equal(rechecked.state, 'complete');

      const signed = await sign(operator, martinKey, created.id);
      assert.equal(signed.state, 'signed');
      assert.equal(signed.signedBy, 'Camille MARTIN');
      assert.ok(signed.signedAt);
      assert.equal(signed.billing, 'free');
      const rec = await p.store.db
        .selectFrom('audit_log')
        .select(['evidence', 'outcome', 'actor_id'])
        .where('action', '=', 'cardRequest.sign')
        .where('target_id', '=', created.id)
        .executeTakeFirstOrThrow();
      assert.equal(rec.actor_id, operator.agentId);
      const evidence = JSON.parse(rec.evidence) as string[];
      assert.equal(evidence.length, 1);
      assert.match(evidence[0]!, new RegExp(`^signature:${martinKey.serial}:`));
      assert.equal(signed.toSign, null);
      await fails(
        signCardRequest(p.ctx, operator, created.id, await martinKey.signAction(operator, rechecked.toSign!)),
        'conflict',
        /« Signée » ne peut pas passer/,
      );
    });

    it('a complete request that no longer meets a prerequisite at signature goes back to draft', async () => {
      const agent = await townAgent();
      const r = await createCardRequest(p.ctx, operator, { agentId: agent, modelId: TOWN_MODEL, kind: 'first_issue' });
      assert.equal(r.state, 'complete');
      const toSign = r.toSign!;
      await p.store.db.updateTable('agents').set({ directory_record: 0 }).where('id', '=', agent).execute();
      const err = await fails(
        signCardRequest(p.ctx, operator, r.id, await martinKey.signAction(operator, toSign)),
        'invalid',
      );
      assert.deepEqual(
        err.errors.map((e) => e.field),
        ['directory_record'],
      );
      assert.equal((await getCardRequest(p.ctx, operator, r.id)).state, 'draft');
      const audit = await p.store.db
        .selectFrom('audit_log')
        .select('summary')
        .where('action', '=', 'cardRequest.recheck')
        .where('target_id', '=', r.id)
        .executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(audit.summary).after.failing, ['directory_record']);
    });

    it('refuses a second open request for the same agent and model, and bad kinds or reasons', async () => {
      const agent = await townAgent();
      const r = await createCardRequest(p.ctx, operator, { agentId: agent, modelId: TOWN_MODEL, kind: 'first_issue' });
      await fails(
        createCardRequest(p.ctx, operator, { agentId: agent, modelId: TOWN_MODEL, kind: 'first_issue' }),
        'conflict',
        new RegExp(r.number),
      );
      const detail = await cardPrerequisites(p.ctx, operator, agent, { modelId: TOWN_MODEL });
      assert.match(
        detail.prerequisites.find((x) => x.code === 'no_card_in_progress')!.reason!,
        new RegExp(`${r.number}, « Complète »`),
      );
      const bad = await fails(
        createCardRequest(p.ctx, operator, { agentId: await townAgent(), modelId: TOWN_MODEL, kind: 'replacement' }),
        'invalid',
      );
      assert.deepEqual(
        bad.errors.map((e) => e.field),
        ['reason'],
      );
      await fails(
        createCardRequest(p.ctx, operator, {
          agentId: await townAgent(),
          modelId: 'pas-un-modele',
          kind: 'first_issue',
        }),
        'invalid',
        /Modèle de carte inconnu/,
      );
      await fails(
        createCardRequest(p.ctx, operator, { agentId: p.ctx.newId(), modelId: TOWN_MODEL, kind: 'first_issue' }),
        'not_found',
      );
    });

    it('modifies a draft or complete request, re-deciding the price, but not a signed one', async () => {
      const agent = await townAgent();
      const r = await createCardRequest(p.ctx, operator, { agentId: agent, modelId: TOWN_MODEL, kind: 'first_issue' });
      assert.equal(r.billing, 'free');
      const changed = await updateCardRequest(p.ctx, operator, r.id, { kind: 'replacement', reason: 'theft' });
      assert.deepEqual(
        [changed.kind, changed.reason, changed.reasonLabel, changed.billing, changed.priceCents, changed.state],
        ['replacement', 'theft', 'Vol', 'billed', 3000, 'complete'],
      );
      assert.equal(changed.number, r.number);
      const back = await updateCardRequest(p.ctx, operator, r.id, { kind: 'first_issue' });
      assert.deepEqual([back.kind, back.reason, back.billing], ['first_issue', null, 'free']);
      await sign(operator, martinKey, r.id);
      await fails(updateCardRequest(p.ctx, operator, r.id, { kind: 'instant' }), 'conflict', /ne se modifie plus/);
    });

    it('cancels with a reason and a signature until the batch is validated', async () => {
      const agent = await townAgent();
      const r = await createCardRequest(p.ctx, operator, { agentId: agent, modelId: TOWN_MODEL, kind: 'first_issue' });
      await fails(
        cancelCardRequest(
          p.ctx,
          operator,
          r.id,
          '  ',
          await martinKey.signAction(operator, cancelRequestAction(r, '')),
        ),
        'invalid',
        /motif d'annulation est obligatoire/,
      );
      await fails(cancelCardRequest(p.ctx, operator, r.id, 'Agent muté', null), 'invalid', /code PIN de signature/);
      const cancelled = await cancelCardRequest(
        p.ctx,
        operator,
        r.id,
        'Agent muté',
        await martinKey.signAction(operator, cancelRequestAction(r, 'Agent muté')),
      );
      assert.deepEqual(
        [cancelled.state, cancelled.stateLabel, cancelled.cancelReason],
        ['cancelled', 'Annulée', 'Agent muté'],
      );
      await fails(
        cancelCardRequest(
          p.ctx,
          operator,
          r.id,
          'encore',
          await martinKey.signAction(operator, cancelRequestAction(r, 'encore')),
        ),
        'conflict',
        /Annulée/,
      );
      // The agent's place is free again.
      const again = await createCardRequest(p.ctx, operator, {
        agentId: agent,
        modelId: TOWN_MODEL,
        kind: 'first_issue',
      });
      assert.equal(again.state, 'complete');
      assert.notEqual(again.number, r.number);
    });
  });

  describe('operator signature', () => {
    it('refuses a missing signature, a signature of other content, a replay, and another person’s card — changing nothing', async () => {
      const agent = await townAgent();
      const r = await createCardRequest(p.ctx, operator, { agentId: agent, modelId: TOWN_MODEL, kind: 'first_issue' });
      await fails(signCardRequest(p.ctx, operator, r.id, null), 'invalid', /code PIN de signature/);
      // Signed as a billed replacement: not what is being signed.
      const wrong = await martinKey.signAction(operator, {
        ...r.toSign!,
        content: { ...r.toSign!.content, billing: 'billed', priceCents: 3000 },
      });
      await fails(signCardRequest(p.ctx, operator, r.id, wrong), 'forbidden', /ne correspond pas/);
      // The same nonce cannot be tried again, even with the right content.
      await fails(
        signCardRequest(p.ctx, operator, r.id, {
          ...wrong,
          signature: martinKey.sign(canonicalAction({ ...r.toSign!, nonce: wrong.nonce })),
        }),
        'forbidden',
        /rejouée/,
      );
      // Sophie's card cannot sign for Camille.
      const foreign = await raKey.signAction(ra, r.toSign!);
      await fails(signCardRequest(p.ctx, operator, r.id, foreign), 'forbidden');
      assert.equal((await getCardRequest(p.ctx, operator, r.id)).state, 'complete');
      const good = await martinKey.signAction(operator, r.toSign!);
      assert.equal((await signCardRequest(p.ctx, operator, r.id, good)).state, 'signed');
      // A replay of the good signature on another request is refused.
      const other = await createCardRequest(p.ctx, operator, {
        agentId: await townAgent(),
        modelId: TOWN_MODEL,
        kind: 'first_issue',
      });
      await fails(signCardRequest(p.ctx, operator, other.id, good), 'forbidden', /rejouée/);
      assert.equal((await getCardRequest(p.ctx, operator, other.id)).state, 'complete');
      const refusals = await p.store.db
        .selectFrom('audit_log')
        .select('action')
        .where('outcome', '=', 'refused')
        .where('action', '=', 'signature.card-request.sign')
        .execute();
      assert.ok(refusals.length >= 3);
    });
  });

  describe('scope and separation of duties', () => {
    it('nobody orders, signs or cancels a card for themselves; the refusal is audited', async () => {
      const martin = operator.agentId;
      await p.store.db
        .updateTable('agents')
        .set({ has_photo: 1, identity_verified: 1 })
        .where('id', '=', martin)
        .execute();
      const before = await countRows(p.store.db, 'card_requests');
      await fails(
        createCardRequest(p.ctx, operator, { agentId: martin, modelId: TOWN_MODEL, kind: 'first_issue' }),
        'forbidden',
        /REG-6.2.2-26/,
      );
      assert.equal(await countRows(p.store.db, 'card_requests'), before);
      const rec = await p.store.db
        .selectFrom('audit_log')
        .select(['actor_id', 'target_id'])
        .where('action', '=', 'cardRequest.create')
        .where('outcome', '=', 'refused')
        .executeTakeFirstOrThrow();
      assert.deepEqual([rec.actor_id, rec.target_id], [martin, martin]);
      // The registration authority orders Camille's card; Camille may neither sign nor cancel it.
      const r = await createCardRequest(p.ctx, ra, { agentId: martin, modelId: TOWN_MODEL, kind: 'first_issue' });
      assert.equal(r.state, 'complete');
      await fails(
        signCardRequest(p.ctx, operator, r.id, await martinKey.signAction(operator, r.toSign!)),
        'forbidden',
        /soi-même/,
      );
      await fails(
        cancelCardRequest(
          p.ctx,
          operator,
          r.id,
          'non',
          await martinKey.signAction(operator, cancelRequestAction(r, 'non')),
        ),
        'forbidden',
        /soi-même/,
      );
      // She may read her own request.
      assert.equal((await getCardRequest(p.ctx, operator, r.id)).number, r.number);
      assert.equal((await sign(ra, raKey, r.id)).state, 'signed');
    });

    it('a request for an agent of another organisation is refused and audited; lists and details stay in scope', async () => {
      const yann = await agentId(p.ctx, '1003456789');
      const before = await p.store.db
        .selectFrom('audit_log')
        .select('seq')
        .where('outcome', '=', 'refused')
        .where('action', '=', 'cardRequest.write')
        .execute();
      await fails(
        createCardRequest(p.ctx, operator, { agentId: yann, modelId: 'cims-agent', kind: 'first_issue' }),
        'forbidden',
        /périmètre/,
      );
      const after = await p.store.db
        .selectFrom('audit_log')
        .select(['seq', 'actor_id', 'target_id'])
        .where('outcome', '=', 'refused')
        .where('action', '=', 'cardRequest.write')
        .execute();
      assert.equal(after.length, before.length + 1);
      assert.deepEqual([after.at(-1)!.actor_id, after.at(-1)!.target_id], [operator.agentId, yann]);

      const brestRequest = await createCardRequest(p.ctx, brestOperator, {
        agentId: yann,
        modelId: 'cims-agent',
        kind: 'first_issue',
      });
      assert.equal(brestRequest.state, 'complete', JSON.stringify(brestRequest.prerequisites));
      await fails(getCardRequest(p.ctx, operator, brestRequest.id), 'forbidden');
      await fails(
        signCardRequest(p.ctx, operator, brestRequest.id, await martinKey.signAction(operator, brestRequest.toSign!)),
        'forbidden',
      );
      await fails(cardPrerequisites(p.ctx, operator, yann, { modelId: 'cims-agent' }), 'forbidden');
      const mine = await listCardRequests(p.ctx, operator, { pageSize: 100 });
      assert.ok(mine.total > 0);
      assert.ok(mine.items.every((r) => r.organizationId === town));
      assert.equal((await listCardRequests(p.ctx, operator, { organizationId: brest })).total, 0);
      const theirs = await listCardRequests(p.ctx, brestOperator, { pageSize: 100 });
      assert.deepEqual(
        theirs.items.map((r) => r.id),
        [brestRequest.id],
      );
      assert.equal((await sign(brestOperator, brestKey, brestRequest.id)).state, 'signed');
      // The admin sees both.
      const all = await listCardRequests(p.ctx, admin, { pageSize: 100 });
      assert.equal(all.total, mine.total + 1);
    });

    it('searches by name and number, filters by state, pages without gaps', async () => {
      const byName = await listCardRequests(p.ctx, operator, { q: 'LEROY' });
      assert.deepEqual(
        byName.items.map((r) => r.agent.lastName),
        ['LEROY'],
      );
      const number = byName.items[0]!.number;
      assert.deepEqual(
        (await listCardRequests(p.ctx, operator, { q: number.toLowerCase() })).items.map((r) => r.number),
        [number],
      );
      const signed = await listCardRequests(p.ctx, operator, { state: 'signed', pageSize: 100 });
      assert.ok(signed.total > 0 && signed.items.every((r) => r.state === 'signed'));
      const several = await listCardRequests(p.ctx, operator, { state: 'signed,cancelled', pageSize: 100 });
      assert.ok(several.total > signed.total);
      const total = (await listCardRequests(p.ctx, operator, {})).total;
      const seen: string[] = [];
      for (let page = 1; page <= Math.ceil(total / 3); page++)
        seen.push(...(await listCardRequests(p.ctx, operator, { page, pageSize: 3 })).items.map((r) => r.id));
      assert.equal(seen.length, total);
      assert.equal(new Set(seen).size, total);
    });
  });

  describe('quota and billing', () => {
    it('a free first card, then 30 € HT beyond the quota; a defect is replaced free, a loss is billed; the ledger and its CSV follow, a cancellation credits back', async () => {
      const agent = await townAgent();
      const first = await createCardRequest(p.ctx, operator, {
        agentId: agent,
        modelId: TOWN_MODEL,
        kind: 'first_issue',
      });
      assert.equal(first.quota.billing, 'free');
      await sign(operator, martinKey, first.id);
      // The card was produced (a later stage of the chain): the agent's free card of the period is used.
      await p.store.db.updateTable('card_requests').set({ state: 'fulfilled' }).where('id', '=', first.id).execute();

      const ledgerBefore = await listBilling(p.ctx, operator, { organizationId: town });
      const beyond = await createCardRequest(p.ctx, operator, {
        agentId: agent,
        modelId: TOWN_MODEL,
        kind: 'first_issue',
      });
      assert.deepEqual([beyond.billing, beyond.priceCents], ['billed', 3000]);
      assert.match(beyond.quota.reason, /Contingent gratuit épuisé/);
      assert.equal(
        await countRows(p.store.db, 'billing_entries'),
        ledgerBefore.total,
        'nothing billed before signature',
      );
      await sign(operator, martinKey, beyond.id);
      const ledger = await listBilling(p.ctx, operator, { organizationId: town });
      assert.equal(ledger.total, ledgerBefore.total + 1);
      assert.equal(ledger.totalCents, ledgerBefore.totalCents + 3000);
      const entry = ledger.items.find((e) => e.requestId === beyond.id)!;
      assert.deepEqual([entry.amountCents, entry.requestNumber, entry.organizationId], [3000, beyond.number, town]);

      // Cancelling the billed request writes the opposite entry.
      await cancelCardRequest(
        p.ctx,
        operator,
        beyond.id,
        'Erreur de saisie',
        await martinKey.signAction(operator, cancelRequestAction(beyond, 'Erreur de saisie')),
      );
      const credited = await listBilling(p.ctx, operator, { organizationId: town });
      assert.equal(credited.totalCents, ledgerBefore.totalCents);
      assert.deepEqual(
        credited.items
          .filter((e) => e.requestId === beyond.id)
          .map((e) => e.amountCents)
          .sort((a, b) => a - b),
        [-3000, 3000],
      );

      // Replacement after a defect: free; after a loss: billed, even with the quota unused.
      const defect = await createCardRequest(p.ctx, operator, {
        agentId: agent,
        modelId: TOWN_MODEL,
        kind: 'replacement',
        reason: 'malfunction',
      });
      assert.equal(defect.billing, 'free');
      await cancelCardRequest(
        p.ctx,
        operator,
        defect.id,
        'essai',
        await martinKey.signAction(operator, cancelRequestAction(defect, 'essai')),
      );
      const lossAgent = await townAgent();
      const loss = await createCardRequest(p.ctx, operator, {
        agentId: lossAgent,
        modelId: TOWN_MODEL,
        kind: 'replacement',
        reason: 'loss',
      });
      assert.deepEqual([loss.billing, loss.priceCents], ['billed', 3000]);
      await sign(operator, martinKey, loss.id);

      // A free card signed more than 6 years ago no longer counts.
      const sevenYearsAgo = new Date(Date.now() - 7 * 366 * 86400_000).toISOString();
      await p.store.db
        .updateTable('card_requests')
        .set({ signed_at: sevenYearsAgo })
        .where('id', '=', first.id)
        .execute();
      const renewal = await createCardRequest(p.ctx, operator, {
        agentId: agent,
        modelId: TOWN_MODEL,
        kind: 'renewal',
        reason: 'card_expiry',
      });
      assert.equal(renewal.billing, 'free');

      const csv = await billingCsv(p.ctx, operator, { organizationId: town });
      assert.ok(csv.startsWith('\uFEFF'));
      const lines = csv.slice(1).trim().split('\n');
      assert.equal(lines[0], 'Date;Organisation;Demande;Identifiant;Agent;Libellé;Montant HT (€)');
      const lossLine = lines.find((l) => l.includes(loss.number))!;
      assert.match(
        lossLine,
        /^\d{4}-\d{2}-\d{2};Aubepierre-Ozouer-le-Repos;D-\d{4}-\d{6};essai\.\d+\.\w+;Alix ESSAI\w;Remplacement \(perte\) — Carte pour les agents des collectivités territoriales 2017-2020 — Alix ESSAI\w — D-\d{4}-\d{6};30,00$/,
      );
      assert.ok(lines.some((l) => l.includes(beyond.number) && l.endsWith(';-30,00')));
      const totalLine = lines.at(-1)!;
      assert.equal(totalLine, `Total;;;;;;${(credited.totalCents + 3000) / 100},00`);
      // Brest's operator sees none of the town's ledger.
      assert.equal((await listBilling(p.ctx, brestOperator, {})).total, 0);
      assert.equal((await billingCsv(p.ctx, brestOperator, {})).trim().split('\n').length, 2);
      await fails(listBilling(p.ctx, operator, { from: '2026-13-01' }), 'invalid');
    });
  });

  describe('numbers', () => {
    it('gives unique, increasing numbers to requests created at the same time', async () => {
      const agents = await Promise.all(Array.from({ length: 8 }, () => townAgent()));
      const made = await Promise.all(
        agents.map((a) => createCardRequest(p.ctx, operator, { agentId: a, modelId: TOWN_MODEL, kind: 'first_issue' })),
      );
      const numbers = made.map((r) => r.number);
      assert.equal(new Set(numbers).size, numbers.length);
      const all = await p.store.db.selectFrom('card_requests').select('number').execute();
      const n = all.map((r) => Number(r.number.slice(-6))).sort((a, b) => a - b);
      assert.deepEqual(
        n,
        Array.from({ length: n.length }, (_, i) => i + 1),
        'no gaps, no repeats',
      );
    });

    it('two orders for the same agent and model placed at once: one is made, the other refused', async () => {
      const agent = await townAgent();
      const both = await Promise.allSettled(
        [1, 2].map(() =>
          createCardRequest(p.ctx, operator, { agentId: agent, modelId: TOWN_MODEL, kind: 'first_issue' }),
        ),
      );
      assert.equal(both.filter((r) => r.status === 'fulfilled').length, 1);
      const refused = both.find((r) => r.status === 'rejected');
      assert.ok(
        refused && refused.reason instanceof AppError && refused.reason.code === 'conflict',
        String(refused && refused.reason),
      );
      const rows = await p.store.db.selectFrom('card_requests').select('id').where('agent_id', '=', agent).execute();
      assert.equal(rows.length, 1);
    });
  });
});
