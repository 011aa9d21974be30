// Demonstration cards: real virtual cards (keys made on the card, certificates of the demo PKI,
// PINs set), recorded active, created once; and a sign-in with one of them end to end.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { after, before, it } from 'node:test';
import { createSignInChallenge, signInWithCard } from '../../src/app/access/card-sign-in.ts';
import { DEMO_CARD_HOLDERS, DEMO_CARD_PINS, demoCardsNotice, loadDemoCards } from '../../src/app/demo/cards.ts';
import { loadDemoPki } from '../../src/app/demo/pki.ts';
import { pkiEnvironment, type PkiEnvironment } from '../../src/app/pki/certificates.ts';
import { loadChipKey } from '../../src/cards/keys.ts';
import { openVirtualCard } from '../../src/cards/virtual-card.ts';
import { CardError } from '../../src/cards/card.ts';
import { CARD_USABLE, type CardState } from '../../src/domain/card-lifecycle.ts';
import { signInText } from '../../src/domain/card-sign-in.ts';
import { pinFaults } from '../../src/domain/pin-policy.ts';
import { forEachDatabase, openTestPlatform, type TestPlatform } from '../support/platform.ts';
import { openssl } from '../support/openssl.ts';

const pem = (der: Uint8Array) =>
  `-----BEGIN CERTIFICATE-----\n${Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;

forEachDatabase('demo cards', (dialect) => {
  let p: TestPlatform;
  let pki: PkiEnvironment;
  let first: Awaited<ReturnType<typeof loadDemoCards>>;
  const cardsDir = () => join(p.dataDir, 'cards');

  before(async () => {
    p = await openTestPlatform(dialect);
    pki = pkiEnvironment({ publicUrl: p.config.publicUrl, dataDir: p.dataDir }, {});
    await loadDemoPki(p.ctx, pki);
    first = await loadDemoCards(p.ctx, pki, {});
  });
  after(() => p?.close());

  const count = async (table: 'cards' | 'certificates' | 'audit_log') =>
    Number(
      (
        await p.store.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('creates one active card per demo holder, with its file in <data>/cards', async () => {
    assert.equal(first.created, DEMO_CARD_HOLDERS.length);
    assert.deepEqual(
      first.cards.map((c) => c.file).sort(),
      DEMO_CARD_HOLDERS.map((h) => `demo-${h.identifier}.carte`).sort(),
    );
    assert.deepEqual(
      readdirSync(cardsDir())
        .filter((f) => f.endsWith('.carte'))
        .sort(),
      first.cards.map((c) => c.file).sort(),
    );
    const rows = await p.store.db
      .selectFrom('cards as c')
      .innerJoin('agents as a', 'a.id', 'c.agent_id')
      .innerJoin('card_models as m', 'm.id', 'c.model_id')
      .select([
        'c.id',
        'c.state',
        'c.file_name',
        'c.serial',
        'c.organization_id',
        'a.identifier',
        'a.organization_id as agent_org',
        'm.code',
        'm.population',
        'm.profiles',
      ])
      .execute();
    assert.equal(rows.length, DEMO_CARD_HOLDERS.length);
    for (const r of rows) {
      assert.equal(r.state, 'active');
      assert.ok(CARD_USABLE.includes(r.state as CardState));
      assert.equal(r.file_name, `demo-${r.identifier}.carte`);
      assert.equal(r.organization_id, r.agent_org);
      const certs = await p.store.db
        .selectFrom('certificates as c')
        .innerJoin('certification_authorities as ca', 'ca.id', 'c.ca_id')
        .select(['c.profile', 'c.status', 'ca.name'])
        .where('c.card_id', '=', r.id)
        .orderBy('c.profile')
        .execute();
      assert.deepEqual(
        certs.map((c) => c.profile),
        (JSON.parse(r.profiles) as string[]).sort(),
        r.identifier,
      );
      for (const c of certs) {
        assert.equal(c.status, 'valid');
        assert.equal(c.name, r.population, `${r.identifier}: certificate from the CA of the model's population`);
      }
    }
    const martin = rows.find((r) => r.identifier === 'martin.c77011');
    assert.equal(martin?.code, 'collectivites-2017');
    assert.equal(rows.find((r) => r.identifier === '1002345678')?.population, 'armees');
  });

  it('the demo PINs respect the PIN rules for every holder', async () => {
    for (const h of DEMO_CARD_HOLDERS) {
      const { birth_date } = await p.store.db
        .selectFrom('agents')
        .select('birth_date')
        .where('identifier', '=', h.identifier)
        .executeTakeFirstOrThrow();
      for (const pin of Object.values(DEMO_CARD_PINS))
        assert.deepEqual(pinFaults(pin, pin, birth_date), [], `${pin} for ${h.identifier}`);
    }
    assert.notEqual(DEMO_CARD_PINS.auth, DEMO_CARD_PINS.sign);
  });

  it('loading again changes nothing', async () => {
    const counts = [await count('cards'), await count('certificates'), await count('audit_log')];
    const files = first.cards.map((c) => [readFileSync(c.path), statSync(c.path).mtimeMs] as const);
    const again = await loadDemoCards(p.ctx, pki, {});
    assert.equal(again.created, 0);
    assert.deepEqual(again.cards, first.cards);
    assert.deepEqual([await count('cards'), await count('certificates'), await count('audit_log')], counts);
    first.cards.forEach((c, i) => {
      assert.ok(readFileSync(c.path).equals(files[i]![0]));
      assert.equal(statSync(c.path).mtimeMs, files[i]![1]);
    });
  });

  it('each card holds its keys and certificates; the PINs work and a wrong one counts', async () => {
    const chipKey = loadChipKey(p.dataDir, {});
    for (const c of first.cards) {
      const card = await openVirtualCard(c.path, chipKey);
      try {
        const id = await card.identity();
        assert.equal(id.serial, c.serial);
        assert.equal(id.model, c.model);
        assert.equal(id.chipState, 'active');
        assert.ok(id.keys.includes('auth') && id.keys.includes('sign'));
        assert.deepEqual(id.certificates, id.keys);
        await card.verifyPin('auth', DEMO_CARD_PINS.auth);
        await card.verifyPin('sign', DEMO_CARD_PINS.sign);
        const cert = new X509Certificate(Buffer.from((await card.readCertificate('sign'))!));
        const data = Buffer.from('bon pour accord');
        const sig = await card.sign('sign', data, DEMO_CARD_PINS.sign);
        assert.ok(
          (await import('node:crypto')).verify('sha256', data, { key: cert.publicKey, dsaEncoding: 'der' }, sig),
        );
      } finally {
        await card.close();
      }
    }
    const card = await openVirtualCard(first.cards[0]!.path, chipKey);
    await assert.rejects(
      card.verifyPin('auth', '0000'),
      (err: unknown) => err instanceof CardError && err.code === 'pin_wrong' && err.triesLeft === 2,
    );
    await card.verifyPin('auth', DEMO_CARD_PINS.auth); // back to 3 tries
    assert.equal((await card.identity()).pins.auth.triesLeft, 3);
    await card.close();
  });

  it('the certificates chain to the demo root with openssl verify', async () => {
    const cas = await p.store.db
      .selectFrom('certification_authorities')
      .select(['name', 'kind', 'certificate_der'])
      .execute();
    const root = cas.find((c) => c.kind === 'root')!;
    const dir = p.dataDir;
    writeFileSync(join(dir, 'root.pem'), pem(root.certificate_der));
    writeFileSync(
      join(dir, 'issuing.pem'),
      cas
        .filter((c) => c.kind === 'issuing')
        .map((c) => pem(c.certificate_der))
        .join(''),
    );
    const chipKey = loadChipKey(p.dataDir, {});
    for (const c of first.cards) {
      const card = await openVirtualCard(c.path, chipKey);
      const der = (await card.readCertificate('auth'))!;
      await card.close();
      writeFileSync(join(dir, 'leaf.pem'), pem(der));
      const r = await openssl([
        'verify',
        '-CAfile',
        join(dir, 'root.pem'),
        '-untrusted',
        join(dir, 'issuing.pem'),
        join(dir, 'leaf.pem'),
      ]);
      assert.equal(r.status, 0, r.out);
      assert.match(r.out, /leaf\.pem: OK/);
    }
  });

  it('a demo card signs in: the card signs the challenge with the PIN Global', async () => {
    const chipKey = loadChipKey(p.dataDir, {});
    const c = first.cards.find((x) => x.identifier === 'lefebvre.s77')!;
    const card = await openVirtualCard(c.path, chipKey);
    try {
      const origin = new URL(p.config.publicUrl).origin;
      const { challengeId, challenge } = await createSignInChallenge(p.ctx);
      const signature = await card.sign('auth', Buffer.from(signInText(challenge, origin)), DEMO_CARD_PINS.auth);
      const certificate = (await card.readCertificate('auth'))!;
      const opened = await signInWithCard(p.ctx, { challengeId, certificate, signature, origin }, null);
      const agent = await p.store.db
        .selectFrom('agents')
        .select('identifier')
        .where('id', '=', opened.agentId)
        .executeTakeFirstOrThrow();
      assert.equal(agent.identifier, 'lefebvre.s77');
      // The SIGN key cannot stand in for the AUTH certificate.
      const again = await createSignInChallenge(p.ctx);
      const wrongKey = await card.sign('sign', Buffer.from(signInText(again.challenge, origin)), DEMO_CARD_PINS.sign);
      await assert.rejects(
        signInWithCard(p.ctx, { challengeId: again.challengeId, certificate, signature: wrongKey, origin }, null),
        /ne correspond pas/,
      );
    } finally {
      await card.close();
    }
  });

  it('prints the cards with both PINs and the demonstration warning', () => {
    const text = demoCardsNotice(first.cards).join('\n');
    assert.match(text, /démonstration uniquement/);
    assert.match(text, /demo-martin\.c77011\.carte\s+Camille MARTIN \(martin\.c77011\)/);
    assert.match(text, /PIN Global 7395, PIN Propre 8264/);
  });
});
