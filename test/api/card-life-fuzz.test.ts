// Every form of the card's life fuzzed over HTTP: whatever the body, a French problem+json answer,
// never a crash, and nothing about the card changes.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import { forEachDatabase, openTestPlatform, type TestPlatform } from '../support/platform.ts';
import { startServer, type Client, type TestServer } from '../support/http.ts';
import { cardOnDesk, type FixtureCard } from '../support/card-fixture.ts';

const OK_REFUSALS = new Set([400, 401, 403, 404, 409, 413, 415, 422, 429]);

const value = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 10 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
  fc.constantFrom(
    'passport',
    '22AZ25916',
    'set-pin:auth',
    'theft',
    '123456',
    'Adec+2024',
    '%PDF',
    '\u0000',
    '../../etc/passwd',
    'A'.repeat(5000),
  ),
);
const body = fc.dictionary(
  fc.constantFrom(
    'identityDocumentType',
    'identityDocumentNumber',
    'remarks',
    'signature',
    'code',
    'operation',
    'challenge',
    'reason',
    'personalCode',
    'questions',
    'kind',
    'policeReportReference',
    'organization',
    'identifier',
    'answers',
    'method',
    'extra',
  ),
  value,
  { maxKeys: 6 },
);

forEachDatabase('card life forms, fuzzed', (dialect) => {
  let p: TestPlatform;
  let s: TestServer;
  let operator: Client;
  let holder: Client;
  let card: FixtureCard;

  before(async () => {
    p = await openTestPlatform(dialect);
    s = await startServer(p, { rateLimitPerMinute: 100_000 });
    operator = await s.signIn('martin.c77011');
    holder = await s.signIn('2010002684dh');
    card = await cardOnDesk(p, '2010002684dh', 'received');
  });
  after(async () => {
    await s?.close();
    await p?.close();
  });

  it('answers every random body with a French refusal and changes nothing', async () => {
    const snapshot = async () =>
      JSON.stringify(
        await p.store.db.selectFrom('cards').selectAll().where('id', '=', card.cardId).executeTakeFirstOrThrow(),
      ) +
      JSON.stringify(
        await p.store.db
          .selectFrom('certificates')
          .select(['serial', 'status'])
          .where('card_id', '=', card.cardId)
          .orderBy('serial')
          .execute(),
      ) +
      JSON.stringify(await p.store.db.selectFrom('holder_secrets').selectAll().execute());
    const before = await snapshot();
    const targets: [Client | null, string][] = [
      [operator, `/api/cards/${card.cardId}/handover`],
      [operator, `/api/cards/${card.cardId}/invalidate`],
      [operator, `/api/cards/${card.cardId}/activation/code`],
      [operator, `/api/cards/${card.cardId}/activation/admin-response`],
      [operator, `/api/cards/${card.cardId}/activation/complete`],
      [operator, `/api/cards/${card.cardId}/revoke`],
      [operator, `/api/cards/${card.cardId}/destroy`],
      [holder, '/api/me/secrets'],
      [holder, `/api/me/cards/${card.cardId}/declare`],
      [null, '/api/holder-access'],
      [null, '/api/holder-access/unblock-response'],
    ];
    const failures: string[] = [];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets), body, async ([client, path], b) => {
        const res = client ? await client.post(path, b) : await s.request('POST', path, b);
        if (
          !OK_REFUSALS.has(res.status) ||
          typeof res.json?.detail !== 'string' ||
          !/[éèàçùâêîôû’]|\b(le|la|les|de|du|des|est|une?)\b/i.test(res.json.detail)
        ) {
          failures.push(`${path} ${JSON.stringify(b).slice(0, 80)} → ${res.status} ${res.text.slice(0, 100)}`);
        }
      }),
      { numRuns: 300 },
    );
    assert.deepEqual(failures, []);
    assert.equal(await snapshot(), before);
  });
});
