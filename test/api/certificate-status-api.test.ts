// Issue 13, item 3: the certificate routes go through the card. A card's certificate is accepted at
// the card's activation only, suspended, resumed and revoked with its card (all its certificates,
// one transaction), every change signed by the operator's card; OCSP (openssl) agrees with the card.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { declareLossOrTheft } from '../../src/app/desk/card-incidents.ts';
import { certificateAction } from '../../src/app/pki/certificates.ts';
import { toPem } from '../../src/pki/profiles.ts';
import type { CertificateEvent } from '../../src/domain/certificate-status.ts';
import { actorFor, forEachDatabase, openTestPlatform, type TestPlatform } from '../support/platform.ts';
import { startServer, type Client, type TestServer } from '../support/http.ts';
import { ensureTestPki, signingKeyFor, type TestSigner } from '../support/signing.ts';
import { virtualCardFor } from '../support/card-fixture.ts';
import { openssl } from '../support/openssl.ts';

forEachDatabase('certificate status through the card (issue 13: 3)', (dialect) => {
  let p: TestPlatform;
  let server: TestServer;
  let dir: string;
  let operator: Client; // martin.c77011, card officer of the town
  let ra: Client; // lefebvre.s77, registration authority of the prefecture
  let martin: TestSigner;
  let lefebvre: TestSigner;

  before(async () => {
    p = await openTestPlatform(dialect);
    await ensureTestPki(p);
    server = await startServer(p, { rateLimitPerMinute: 100_000 });
    dir = mkdtempSync(join(tmpdir(), 'cartes-certstatus-'));
    operator = await server.signIn('martin.c77011');
    ra = await server.signIn('lefebvre.s77');
    martin = await signingKeyFor(p, 'martin.c77011');
    lefebvre = await signingKeyFor(p, 'lefebvre.s77');
  });
  after(async () => {
    await server?.close();
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const signedBy = async (who: TestSigner, identifier: string, serial: string, event: CertificateEvent) =>
    who.signAction(await actorFor(p.ctx, identifier), certificateAction(serial, event));
  const byMartin = (serial: string, event: CertificateEvent) => signedBy(martin, 'martin.c77011', serial, event);
  const byLefebvre = (serial: string, event: CertificateEvent) => signedBy(lefebvre, 'lefebvre.s77', serial, event);

  const cardState = async (cardId: string) =>
    (await p.store.db.selectFrom('cards').select('state').where('id', '=', cardId).executeTakeFirstOrThrow()).state;
  const certificatesOf = async (cardId: string) =>
    p.store.db
      .selectFrom('certificates as c')
      .innerJoin('certification_authorities as ca', 'ca.id', 'c.ca_id')
      .select(['c.serial', 'c.status', 'c.revocation_reason', 'c.der', 'ca.name as ca'])
      .where('c.card_id', '=', cardId)
      .orderBy('c.serial')
      .execute();

  /** What `openssl ocsp` says of each certificate of the card. */
  async function ocsp(cardId: string): Promise<string[]> {
    const out: string[] = [];
    for (const c of await certificatesOf(cardId)) {
      for (const name of [c.ca, 'root']) {
        const res = await fetch(`${server.baseUrl}/pki/ca/${name}.cer`);
        writeFileSync(join(dir, `${name}.pem`), toPem(new Uint8Array(await res.arrayBuffer())));
      }
      writeFileSync(join(dir, `${c.serial}.pem`), toPem(new Uint8Array(c.der)));
      const r = await openssl([
        'ocsp',
        '-issuer',
        join(dir, `${c.ca}.pem`),
        '-cert',
        join(dir, `${c.serial}.pem`),
        '-url',
        `${server.baseUrl}/pki/ocsp`,
        '-CAfile',
        join(dir, 'root.pem'),
      ]);
      assert.match(r.out, /Response verify OK/, r.out);
      out.push(/: good/.test(r.out) ? 'good' : /: revoked/.test(r.out) ? 'revoked' : r.out);
    }
    return out;
  }

  it('refuses to accept, suspend or revoke the certificates of a card only received, with the reason', async () => {
    const card = await virtualCardFor(p, '2010002684dh', { state: 'received', activated: false });
    const [first] = await certificatesOf(card.cardId);
    const serial = first!.serial;
    const accept = await operator.post(`/api/certificates/${serial}/accept`, {
      signature: await byMartin(serial, { kind: 'accept' }),
    });
    assert.equal(accept.status, 409, accept.text);
    assert.match(accept.json.detail, /« Reçue, à remettre » : elle n'a pas été remise à son porteur/);
    const revoke = await operator.post(`/api/certificates/${serial}/revoke`, {
      reason: 'keyCompromise',
      signature: await byMartin(serial, { kind: 'revoke', reason: 'keyCompromise' }),
    });
    assert.equal(revoke.status, 409, revoke.text);
    assert.match(revoke.json.detail, /s'invalide/);
    const suspend = await operator.post(`/api/certificates/${serial}/suspend`, {
      signature: await byMartin(serial, { kind: 'suspend' }),
    });
    assert.equal(suspend.status, 409);
    assert.equal(await cardState(card.cardId), 'received');
    assert.deepEqual(
      (await certificatesOf(card.cardId)).map((c) => c.status),
      ['issued', 'issued'],
    );
  });

  it('resumes a card after a temporary loss only with the card and a signature: card and OCSP agree', async () => {
    const card = await virtualCardFor(p, 'leroy.a77011', { state: 'active', activated: true });
    const holder = await actorFor(p.ctx, 'leroy.a77011');
    await declareLossOrTheft(p.ctx, holder, card.cardId, { kind: 'temporary_loss' });
    assert.equal(await cardState(card.cardId), 'suspended');
    // Declared outside the server: its responder learns it from the status change log (one poll).
    let seen = await ocsp(card.cardId);
    for (let i = 0; i < 40 && seen.join() !== 'revoked,revoked'; i++) {
      await new Promise((r) => setTimeout(r, 250));
      seen = await ocsp(card.cardId);
    }
    assert.deepEqual(seen, ['revoked', 'revoked']);
    const serial = (await certificatesOf(card.cardId))[0]!.serial;

    const unsigned = await ra.post(`/api/certificates/${serial}/resume`, {});
    assert.equal(unsigned.status, 422, unsigned.text);
    assert.match(unsigned.json.detail, /confirmée avec votre carte/);
    const wrong = await ra.post(`/api/certificates/${serial}/resume`, {
      signature: await byLefebvre(serial, { kind: 'suspend' }),
    });
    assert.equal(wrong.status, 403, wrong.text);
    assert.equal(await cardState(card.cardId), 'suspended');

    const resumed = await ra.post(`/api/certificates/${serial}/resume`, {
      signature: await byLefebvre(serial, { kind: 'resume' }),
    });
    assert.equal(resumed.status, 200, resumed.text);
    assert.equal(resumed.json.status, 'valid');
    assert.deepEqual([resumed.json.card.state, resumed.json.card.stateLabel], ['active', 'Active']);
    assert.equal(await cardState(card.cardId), 'active');
    assert.deepEqual(
      (await certificatesOf(card.cardId)).map((c) => c.status),
      ['valid', 'valid'],
    );
    assert.deepEqual(await ocsp(card.cardId), ['good', 'good']);
    const record = await p.store.db
      .selectFrom('audit_log')
      .select(['action', 'summary', 'evidence'])
      .where('target_id', '=', card.cardId)
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    assert.equal(record.action, 'card.resume');
    assert.deepEqual(JSON.parse(record.summary).requestedOn, { certificate: serial });
    assert.match(record.evidence, /signature:/);
  });

  it('suspends and revokes the whole card through one certificate; a revoked card is never resumed', async () => {
    const card = await virtualCardFor(p, 'moreau.jp77011', { state: 'active', activated: true });
    const serial = (await certificatesOf(card.cardId))[1]!.serial;
    const suspended = await operator.post(`/api/certificates/${serial}/suspend`, {
      signature: await byMartin(serial, { kind: 'suspend' }),
    });
    assert.equal(suspended.status, 200, suspended.text);
    assert.equal(await cardState(card.cardId), 'suspended');
    assert.deepEqual(
      (await certificatesOf(card.cardId)).map((c) => [c.status, c.revocation_reason]),
      [
        ['suspended', 'certificateHold'],
        ['suspended', 'certificateHold'],
      ],
    );
    const escalation = await p.store.db
      .selectFrom('jobs')
      .select('payload')
      .where('kind', '=', 'card.suspension-escalate')
      .execute();
    assert.ok(escalation.some((j) => JSON.parse(j.payload).cardId === card.cardId));

    const revoked = await operator.post(`/api/certificates/${serial}/revoke`, {
      reason: 'keyCompromise',
      signature: await byMartin(serial, { kind: 'revoke', reason: 'keyCompromise' }),
    });
    assert.equal(revoked.status, 200, revoked.text);
    assert.equal(await cardState(card.cardId), 'revoked');
    assert.deepEqual(
      (await certificatesOf(card.cardId)).map((c) => [c.status, c.revocation_reason]),
      [
        ['revoked', 'keyCompromise'],
        ['revoked', 'keyCompromise'],
      ],
    );
    assert.deepEqual(await ocsp(card.cardId), ['revoked', 'revoked']);
    const again = await ra.post(`/api/certificates/${serial}/resume`, {
      signature: await byLefebvre(serial, { kind: 'resume' }),
    });
    assert.equal(again.status, 409);
    assert.match(again.json.detail, /« Révoquée » : seule une carte suspendue/);
  });

  it('refuses a change on the certificates of one’s own card (audited)', async () => {
    const own = await virtualCardFor(p, 'martin.c77011', { state: 'active', activated: true });
    const serial = (await certificatesOf(own.cardId))[0]!.serial;
    const res = await operator.post(`/api/certificates/${serial}/suspend`, {
      signature: await byMartin(serial, { kind: 'suspend' }),
    });
    assert.equal(res.status, 403, res.text);
    assert.match(res.json.detail, /votre propre carte/);
    assert.equal(await cardState(own.cardId), 'active');
  });
});
