// Card requests, batches and billing over HTTP, as the portal uses them: nonce, card signature of
// the `toSign` the server returns, problem+json refusals in French.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { canonicalAction } from '../../src/domain/action-signature.ts';
import { agentId, forEachDatabase, openTestPlatform, orgId, type TestPlatform } from '../support/platform.ts';
import { startServer, type Client, type HttpResponse, type Json, type TestServer } from '../support/http.ts';
import { signingKeyFor, type TestSigner } from '../support/signing.ts';

function assertProblem(res: HttpResponse, status: number, detail?: RegExp): void {
  assert.equal(res.status, status, `status ${res.status}: ${res.text.slice(0, 300)}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(typeof res.json.detail, 'string');
  assert.doesNotMatch(res.json.detail, /\b(not found|error|invalid|forbidden|unauthorized|the|request)\b/i);
  if (detail) assert.match(res.json.detail, detail);
}

/** The portal's way: a nonce from the server, the card signs the canonical text of `toSign`. */
async function signed(
  client: Client,
  key: TestSigner,
  toSign: { action: string; target: string; content: unknown },
): Promise<Json> {
  const n = await client.post('/api/signatures/nonce');
  assert.equal(n.status, 200, n.text);
  const nonce = n.json.nonce as string;
  return {
    nonce,
    signature: key.sign(canonicalAction({ ...toSign, nonce })),
    certificate: Buffer.from(key.certificate).toString('base64'),
  };
}

forEachDatabase('card requests API', (dialect) => {
  let p: TestPlatform;
  let server: TestServer;
  let operator: Client; // martin.c77011
  let ra: Client; // lefebvre.s77
  let auditor: Client;
  let martinKey: TestSigner;
  let raKey: TestSigner;
  let town: string;
  let hugues: string;
  let martin: string;
  let brestAgent: string;

  before(async () => {
    p = await openTestPlatform(dialect);
    server = await startServer(p);
    operator = await server.signIn('martin.c77011');
    ra = await server.signIn('lefebvre.s77');
    auditor = await server.signIn('auditeur.externe');
    martinKey = await signingKeyFor(p, 'martin.c77011');
    raKey = await signingKeyFor(p, 'lefebvre.s77');
    town = await orgId(p.ctx, '77011');
    hugues = await agentId(p.ctx, '2010002684dh');
    martin = await agentId(p.ctx, 'martin.c77011');
    brestAgent = await agentId(p.ctx, '1003456789');
  });
  after(async () => {
    await server?.close();
    await p?.close();
  });

  describe('order of a card for Hugues DILINDIEN', () => {
    let requestId: string;
    let number: string;
    let batchId: string;

    it('lists the card models and shows Hugues’s prerequisites, all met, free of charge', async () => {
      const models = await operator.get('/api/card-models');
      assert.equal(models.status, 200);
      assert.ok(
        models.json.items.some(
          (m: Json) =>
            m.code === 'collectivites-2017' && m.populationLabel === 'Acteurs des Collectivités Territoriales',
        ),
      );
      const pre = await operator.get(
        `/api/agents/${hugues}/card-prerequisites?modelId=collectivites-2017&kind=first_issue`,
      );
      assert.equal(pre.status, 200, pre.text);
      assert.equal(pre.json.ok, true);
      assert.equal(pre.json.prerequisites.length, 7);
      assert.deepEqual(pre.json.quota, {
        billing: 'free',
        billingLabel: 'Gratuite',
        priceCents: 0,
        reason: pre.json.quota.reason,
      });
      // The auditor reads, the operator of the town only its own agents.
      assert.equal(
        (await auditor.get(`/api/agents/${hugues}/card-prerequisites?modelId=collectivites-2017`)).status,
        200,
      );
      assertProblem(
        await operator.get(`/api/agents/${brestAgent}/card-prerequisites?modelId=cims-agent`),
        403,
        /périmètre/,
      );
    });

    it('creates the request complete, then signs it with the operator’s card', async () => {
      const created = await operator.post('/api/card-requests', {
        agentId: hugues,
        modelId: 'collectivites-2017',
        kind: 'first_issue',
      });
      assert.equal(created.status, 201, created.text);
      assert.match(created.json.number, /^D-\d{4}-\d{6}$/);
      assert.deepEqual(
        [created.json.state, created.json.stateLabel, created.json.kindLabel, created.json.agent.lastName],
        ['complete', 'Complète', 'Première demande', 'DILINDIEN'],
      );
      requestId = created.json.id;
      number = created.json.number;
      assert.equal(created.json.toSign.action, 'card-request.sign');

      assertProblem(await operator.post(`/api/card-requests/${requestId}/sign`, {}), 400);
      const forOther = await signed(operator, martinKey, {
        ...created.json.toSign,
        content: { ...created.json.toSign.content, priceCents: 1 },
      });
      assertProblem(
        await operator.post(`/api/card-requests/${requestId}/sign`, { signature: forOther }),
        403,
        /ne correspond pas/,
      );
      const good = await signed(operator, martinKey, created.json.toSign);
      const ok = await operator.post(`/api/card-requests/${requestId}/sign`, { signature: good });
      assert.equal(ok.status, 200, ok.text);
      assert.deepEqual([ok.json.state, ok.json.signedBy, ok.json.toSign], ['signed', 'Camille MARTIN', null]);
      // Signing again: refused (already signed).
      assertProblem(await operator.post(`/api/card-requests/${requestId}/sign`, { signature: good }), 409);
      assertProblem(
        await operator.post('/api/card-requests', {
          agentId: hugues,
          modelId: 'collectivites-2017',
          kind: 'first_issue',
        }),
        409,
        new RegExp(number),
      );
    });

    it('finds it in "Suivi des demandes" by name and by number', async () => {
      const byName = await operator.get('/api/card-requests?q=dilindien');
      assert.equal(byName.status, 200);
      assert.deepEqual(
        byName.json.items.map((r: Json) => r.number),
        [number],
      );
      const byNumber = await operator.get(`/api/card-requests?q=${number}&state=signed`);
      assert.deepEqual(
        byNumber.json.items.map((r: Json) => r.id),
        [requestId],
      );
      assert.equal((await operator.get('/api/card-requests?state=draft')).json.total, 0);
      const detail = await operator.get(`/api/card-requests/${requestId}`);
      assert.equal(detail.json.prerequisitesOk, true);
      assert.equal(detail.json.model.code, 'collectivites-2017');
    });

    it('enters the batch, which the registration authority validates', async () => {
      const toSign = { action: 'batch.create', target: town, content: { requestIds: [requestId] } };
      const made = await operator.post('/api/batches', {
        requestIds: [requestId],
        signature: await signed(operator, martinKey, toSign),
      });
      assert.equal(made.status, 201, made.text);
      assert.match(made.json.number, /^L-\d{4}-\d{4}$/);
      assert.deepEqual(
        made.json.requests.map((r: Json) => r.state),
        ['in_batch'],
      );
      batchId = made.json.id;
      const list = await ra.get('/api/batches?state=open');
      assert.deepEqual(
        list.json.items.map((b: Json) => [b.id, b.requestCount]),
        [[batchId, 1]],
      );
      assertProblem(
        await operator.post(`/api/batches/${batchId}/validate`, {
          signature: await signed(operator, martinKey, made.json.toSign),
        }),
        403,
        /droits nécessaires/,
      );
      const validated = await ra.post(`/api/batches/${batchId}/validate`, {
        signature: await signed(ra, raKey, made.json.toSign),
      });
      assert.equal(validated.status, 200, validated.text);
      assert.deepEqual(
        [validated.json.state, validated.json.validatedBy, validated.json.requests[0].state],
        ['validated', 'Sophie LEFEBVRE', 'validated'],
      );
      const detail = await operator.get(`/api/card-requests/${requestId}`);
      assert.deepEqual([detail.json.state, detail.json.batch.number], ['validated', made.json.number]);
    });
  });

  describe('refusals', () => {
    it('nobody orders their own card; another organisation’s agent is out of scope; bad bodies get French details', async () => {
      assertProblem(
        await operator.post('/api/card-requests', {
          agentId: martin,
          modelId: 'collectivites-2017',
          kind: 'first_issue',
        }),
        403,
        /soi-même/,
      );
      assertProblem(
        await operator.post('/api/card-requests', { agentId: brestAgent, modelId: 'cims-agent', kind: 'first_issue' }),
        403,
        /périmètre/,
      );
      const leroy = await agentId(p.ctx, 'leroy.a77011');
      assertProblem(
        await operator.post('/api/card-requests', { agentId: leroy, modelId: 'collectivites-2017', kind: 'vol' }),
        400,
      );
      const noReason = await operator.post('/api/card-requests', {
        agentId: leroy,
        modelId: 'collectivites-2017',
        kind: 'replacement',
      });
      assertProblem(noReason, 422);
      assert.deepEqual(
        noReason.json.errors.map((e: Json) => e.field),
        ['reason'],
      );
      assertProblem(
        await operator.post(
          '/api/card-requests',
          { agentId: leroy, modelId: 'collectivites-2017', kind: 'first_issue' },
          { csrf: false },
        ),
        403,
      );
      assertProblem(
        await auditor.post('/api/card-requests', {
          agentId: leroy,
          modelId: 'collectivites-2017',
          kind: 'first_issue',
        }),
        403,
        /droits nécessaires/,
      );
    });

    it('a draft cannot be signed and says which prerequisite fails', async () => {
      const leroy = await agentId(p.ctx, 'leroy.a77011');
      const draft = await operator.post('/api/card-requests', {
        agentId: leroy,
        modelId: 'collectivites-2017',
        kind: 'replacement',
        reason: 'theft',
      });
      assert.equal(draft.status, 201, draft.text);
      assert.deepEqual(
        [draft.json.state, draft.json.billing, draft.json.priceCents, draft.json.toSign],
        ['draft', 'billed', 3000, null],
      );
      const failing = draft.json.prerequisites.filter((x: Json) => !x.ok);
      assert.deepEqual(
        failing.map((x: Json) => x.code),
        ['photo'],
      );
      const toSign = { action: 'card-request.sign', target: draft.json.id, content: {} };
      const res = await operator.post(`/api/card-requests/${draft.json.id}/sign`, {
        signature: await signed(operator, martinKey, toSign),
      });
      assertProblem(res, 422, /prérequis/);
      assert.deepEqual(res.json.errors, [{ field: 'photo', reason: failing[0].reason }]);
      const changed = await operator.patch(`/api/card-requests/${draft.json.id}`, {
        kind: 'replacement',
        reason: 'malfunction',
      });
      assert.deepEqual(
        [changed.status, changed.json.billing, changed.json.reasonLabel],
        [200, 'free', 'Dysfonctionnement'],
      );
      const rechecked = await operator.post(`/api/card-requests/${draft.json.id}/recheck`);
      assert.equal(rechecked.json.state, 'draft');
      const cancelled = await operator.post(`/api/card-requests/${draft.json.id}/cancel`, {
        reason: 'Photo introuvable',
        signature: await signed(operator, martinKey, {
          action: 'card-request.cancel',
          target: draft.json.id,
          content: { number: draft.json.number, reason: 'Photo introuvable' },
        }),
      });
      assert.equal(cancelled.status, 200, cancelled.text);
      assert.deepEqual([cancelled.json.state, cancelled.json.cancelReason], ['cancelled', 'Photo introuvable']);
    });
  });

  describe('billing', () => {
    it('shows the ledger and exports it as CSV for a spreadsheet', async () => {
      const agent = await agentId(p.ctx, 'moreau.jp77011');
      await p.store.db.updateTable('agents').set({ has_photo: 1 }).where('id', '=', agent).execute();
      const loss = await operator.post('/api/card-requests', {
        agentId: agent,
        modelId: 'collectivites-2017',
        kind: 'replacement',
        reason: 'loss',
      });
      assert.equal(loss.json.state, 'complete', JSON.stringify(loss.json.prerequisites));
      const s = await operator.post(`/api/card-requests/${loss.json.id}/sign`, {
        signature: await signed(operator, martinKey, loss.json.toSign),
      });
      assert.equal(s.status, 200, s.text);
      const ledger = await operator.get(`/api/billing?organizationId=${town}`);
      assert.equal(ledger.status, 200);
      assert.deepEqual([ledger.json.total, ledger.json.totalCents], [1, 3000]);
      assert.deepEqual(
        [ledger.json.items[0].requestNumber, ledger.json.items[0].agentName, ledger.json.items[0].amountCents],
        [loss.json.number, 'Jean-Pierre MOREAU', 3000],
      );
      const csv = await operator.get('/api/billing.csv');
      assert.equal(csv.status, 200);
      assert.match(csv.headers.get('content-type') ?? '', /^text\/csv; charset=utf-8/);
      assert.match(csv.headers.get('content-disposition') ?? '', /attachment; filename="facturation-cartes\.csv"/);
      assert.deepEqual([...csv.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 byte order mark');
      const lines = csv.text
        .replace(/^\uFEFF/, '')
        .trim()
        .split('\n');
      assert.equal(lines[0], 'Date;Organisation;Demande;Identifiant;Agent;Libellé;Montant HT (€)');
      assert.equal(lines.length, 3);
      assert.ok(
        lines[1]!.startsWith(
          `${new Date().toISOString().slice(0, 10)};Aubepierre-Ozouer-le-Repos;${loss.json.number};moreau.jp77011;Jean-Pierre MOREAU;Remplacement (perte) — `,
        ),
        lines[1],
      );
      assert.ok(lines[1]!.endsWith(';30,00'));
      assert.equal(lines[2], 'Total;;;;;;30,00');
      assertProblem(await operator.get('/api/billing?from=hier'), 422);
    });
  });
});
