// Card sign-in: a fresh challenge signed by the card's AUTH key, checked against our PKI, the card
// and the agent; and the TLS client certificate a trusted reverse proxy passes on.
import assert from 'node:assert/strict';
import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  sign as nodeSign,
  webcrypto,
  type KeyObject,
} from 'node:crypto';
import { after, before, it } from 'node:test';
import {
  certificateFromHeader,
  createSignInChallenge,
  isTrustedProxy,
  signInWithCard,
  signInWithClientCertificate,
  type CardSignInInput,
} from '../../src/app/access/card-sign-in.ts';
import { changeCertificateStatus } from '../../src/app/desk/certificate-status.ts';
import { issueForPublicKey, revokeCertificate, suspendCertificate } from '../../src/app/pki/certificates.ts';
import { resolveSession } from '../../src/app/access/sessions.ts';
import { systemActor, type AppContext } from '../../src/app/context.ts';
import { signInText } from '../../src/domain/card-sign-in.ts';
import * as x509 from '../../src/pki/x509.ts';
import { agentId, forEachDatabase, orgId, type TestPlatform } from '../support/platform.ts';
import { ensureTestPki, openDesk, type TestSigner } from '../support/signing.ts';
import { fails } from '../support/errors.ts';

const refusedSignIn = (promise: Promise<unknown>, message: RegExp) => fails(promise, 'unauthenticated', message);

const ORIGIN = 'https://cartes.example.gouv.fr';
const system = systemActor('test');

/** An AUTH certificate (status « issued » unless accepted) for a Node key, EC P-256 or RSA 2048. */
async function nodeAuthKey(
  p: TestPlatform,
  identifier: string,
  opts: { rsa?: boolean; accept?: boolean; cardId?: string } = {},
): Promise<{ serial: string; der: Uint8Array; key: KeyObject }> {
  const pki = await ensureTestPki(p);
  const pair = opts.rsa
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = new Uint8Array(pair.publicKey.export({ type: 'spki', format: 'der' }));
  const issued = await issueForPublicKey(p.ctx, system, pki, {
    spki,
    profile: 'auth',
    agentIdentifier: identifier,
    cardId: opts.cardId ?? null,
  });
  if (opts.accept ?? true) await changeCertificateStatus(p.ctx, system, issued.serial, { kind: 'accept' });
  return { serial: issued.serial, der: issued.der, key: pair.privateKey };
}

function signText(key: KeyObject, text: string): Uint8Array {
  return nodeSign(
    'sha256',
    Buffer.from(text, 'utf8'),
    key.asymmetricKeyType === 'ec' ? { key, dsaEncoding: 'der' } : key,
  );
}

forEachDatabase('card sign-in', (dialect) => {
  let p: TestPlatform;
  let martin: TestSigner;

  before(async () => ({ p, martin } = await openDesk(dialect)));
  after(() => p?.close());

  /** A fresh challenge and the input the page would send, signed with `sign`. */
  async function attemptWith(
    certificate: Uint8Array,
    sign: (text: string) => Uint8Array,
    ctx: AppContext = p.ctx,
  ): Promise<CardSignInInput> {
    const { challengeId, challenge } = await createSignInChallenge(ctx);
    return { challengeId, challenge, certificate, signature: sign(signInText(challenge, ORIGIN)), origin: ORIGIN };
  }
  const martinSigns = (text: string) => Buffer.from(martin.signAuth(text), 'base64');
  const count = async (table: 'sessions' | 'audit_log') =>
    Number(
      (
        await p.store.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const audits = (outcome: string) =>
    p.store.db
      .selectFrom('audit_log')
      .select(['action', 'summary', 'actor_id'])
      .where('action', '=', 'session.card')
      .where('outcome', '=', outcome)
      .orderBy('seq')
      .execute();

  it('builds the signed text the page replicates', () => {
    assert.equal(signInText('AAAA', 'https://x.fr'), 'cartes-connexion-v1\nAAAA\nhttps://x.fr');
  });

  it('gives out 32-byte single-use challenges stored hashed, valid 2 minutes', async () => {
    const c = await createSignInChallenge(p.ctx);
    assert.equal(Buffer.from(c.challenge, 'base64').length, 32);
    const row = await p.store.db
      .selectFrom('challenges')
      .selectAll()
      .where('value_hash', '=', createHash('sha256').update(c.challenge).digest('hex'))
      .executeTakeFirstOrThrow();
    assert.equal(row.purpose, 'sign_in');
    assert.equal(row.used_at, null);
    const stored = JSON.stringify(await p.store.db.selectFrom('challenges').selectAll().execute());
    assert.ok(!stored.includes(c.challenge) && !stored.includes(c.challengeId), 'the challenge is stored hashed only');
    assert.equal(new Date(row.expires_at).getTime() - new Date(row.created_at).getTime(), 120_000);
    // Challenges expired for more than a day are purged when new ones are given out.
    const nextWeek: AppContext = { ...p.ctx, now: () => new Date(Date.now() + 7 * 86_400_000) };
    await createSignInChallenge(nextWeek);
    assert.equal(
      await p.store.db.selectFrom('challenges').select('id').where('id', '=', row.id).executeTakeFirst(),
      undefined,
    );
  });

  it('opens a session for the card holder and audits it', async () => {
    const sessions = await count('sessions');
    // As the page does it: the challengeId names the challenge, the challenge itself is not sent back.
    const { challenge, ...withoutChallenge } = await attemptWith(martin.authCertificate, martinSigns);
    assert.equal(Buffer.from(withoutChallenge.challengeId, 'base64url').toString('base64'), challenge);
    const opened = await signInWithCard(p.ctx, withoutChallenge, 'req-1');
    assert.equal(opened.agentId, await agentId(p.ctx, 'martin.c77011'));
    const session = await resolveSession(p.ctx, opened.sessionId, null);
    assert.equal(session?.person.identifier, 'martin.c77011');
    assert.ok(session.actor.grants.some((g) => g.role === 'operator'));
    assert.equal(await count('sessions'), sessions + 1);
    const ok = await audits('ok');
    assert.equal(ok.at(-1)?.actor_id, opened.agentId);
    assert.match(String(ok.at(-1)?.summary), new RegExp(martin.authSerial));
  });

  it('accepts an RSA key (PKCS#1 v1.5) as well', async () => {
    const rsa = await nodeAuthKey(p, 'moreau.jp77011', { rsa: true });
    const opened = await signInWithCard(p.ctx, await attemptWith(rsa.der, (t) => signText(rsa.key, t)), null);
    assert.equal(opened.agentId, await agentId(p.ctx, 'moreau.jp77011'));
  });

  it('refuses a replayed, unknown, mismatched or expired challenge', async () => {
    const input = await attemptWith(martin.authCertificate, martinSigns);
    await signInWithCard(p.ctx, input, null);
    await refusedSignIn(signInWithCard(p.ctx, input, null), /déjà servi/);
    await refusedSignIn(
      signInWithCard(p.ctx, { ...input, challengeId: '00000000-0000-4000-8000-000000000000' }, null),
      /inconnu/,
    );
    // The id of one challenge with the value of another: refused, and the id is spent.
    const a = await attemptWith(martin.authCertificate, martinSigns);
    const b = await attemptWith(martin.authCertificate, martinSigns);
    await refusedSignIn(signInWithCard(p.ctx, { ...b, challengeId: a.challengeId }, null), /ne correspond pas/);
    await refusedSignIn(signInWithCard(p.ctx, a, null), /déjà servi/);
    // A challenge used after its 2 minutes.
    const late = await attemptWith(martin.authCertificate, martinSigns);
    const later: AppContext = { ...p.ctx, now: () => new Date(Date.now() + 121_000) };
    await refusedSignIn(signInWithCard(later, late, null), /expiré \(validité : 2 minutes\)/);
    await refusedSignIn(signInWithCard(p.ctx, late, null), /déjà servi/);
  });

  it('spends the challenge on a wrong signature: no second try', async () => {
    const sessions = await count('sessions');
    const { challengeId, challenge } = await createSignInChallenge(p.ctx);
    const good = martinSigns(signInText(challenge, ORIGIN));
    // Signed for another site's origin, then by a key that is not the certificate's.
    await refusedSignIn(
      signInWithCard(
        p.ctx,
        {
          challengeId,
          challenge,
          certificate: martin.authCertificate,
          signature: martinSigns(signInText(challenge, 'https://hameconnage.example')),
          origin: ORIGIN,
        },
        null,
      ),
      /signature de la carte ne correspond pas/,
    );
    await refusedSignIn(
      signInWithCard(
        p.ctx,
        { challengeId, challenge, certificate: martin.authCertificate, signature: good, origin: ORIGIN },
        null,
      ),
      /déjà servi/,
    );
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    await refusedSignIn(
      signInWithCard(p.ctx, await attemptWith(martin.authCertificate, (t) => signText(stranger, t)), null),
      /ne correspond pas/,
    );
    // The SIGN key signing with the SIGN certificate: not an authentication certificate.
    await refusedSignIn(
      signInWithCard(p.ctx, await attemptWith(martin.certificate, (t) => Buffer.from(martin.sign(t), 'base64')), null),
      /pas un certificat d'authentification/,
    );
    await refusedSignIn(
      signInWithCard(p.ctx, await attemptWith(Uint8Array.of(1, 2, 3), martinSigns), null),
      /illisible/,
    );
    assert.equal(await count('sessions'), sessions);
  });

  it('refuses a certificate another CA made with our issuing CA’s name, and a recorded certificate whose chain is broken', async () => {
    const issuing = await p.store.db
      .selectFrom('certification_authorities')
      .select(['certificate_der'])
      .where('kind', '=', 'issuing')
      .executeTakeFirstOrThrow();
    const ourCa = new x509.X509Certificate(new Uint8Array(issuing.certificate_der));
    const genuine = new x509.X509Certificate(martin.authCertificate);
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const caKeys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const leafKeys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const forged = await x509.X509CertificateGenerator.create({
      serialNumber: genuine.serialNumber,
      subject: genuine.subject,
      issuer: ourCa.subject,
      notBefore: genuine.notBefore,
      notAfter: genuine.notAfter,
      publicKey: leafKeys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: alg,
      extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
    });
    const forgedDer = new Uint8Array(forged.rawData);
    const leafKey = createPrivateKey({
      key: Buffer.from(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey)),
      format: 'der',
      type: 'pkcs8',
    });
    await refusedSignIn(
      signInWithCard(p.ctx, await attemptWith(forgedDer, (t) => signText(leafKey, t)), null),
      /pas été émis par la plateforme/,
    );
    // Even written into our own table (a tampered database), the forged certificate fails the chain.
    const row = await p.store.db
      .selectFrom('certificates')
      .selectAll()
      .where('serial', '=', martin.authSerial)
      .executeTakeFirstOrThrow();
    await p.store.db
      .insertInto('certificates')
      .values({
        ...row,
        serial: `${row.serial}ff`,
        der: forgedDer,
        sha256: createHash('sha256').update(forgedDer).digest('hex'),
      })
      .execute();
    await refusedSignIn(
      signInWithCard(p.ctx, await attemptWith(forgedDer, (t) => signText(leafKey, t)), null),
      /pas signé par son autorité/,
    );
  });

  it('refuses certificates not accepted, suspended, revoked or expired', async () => {
    const pending = await nodeAuthKey(p, 'leroy.a77011', { accept: false });
    await refusedSignIn(
      signInWithCard(p.ctx, await attemptWith(pending.der, (t) => signText(pending.key, t)), null),
      /pas encore été accepté/,
    );

    const hugues = await nodeAuthKey(p, '2010002684dh');
    const sign = (t: string) => signText(hugues.key, t);
    await signInWithCard(p.ctx, await attemptWith(hugues.der, sign), null);
    await suspendCertificate(p.ctx, system, hugues.serial);
    await refusedSignIn(signInWithCard(p.ctx, await attemptWith(hugues.der, sign), null), /suspendu/);
    await revokeCertificate(p.ctx, system, hugues.serial, 'keyCompromise');
    await refusedSignIn(signInWithCard(p.ctx, await attemptWith(hugues.der, sign), null), /révoqué/);

    // Past its notAfter (the daily job has not run yet), then marked expired.
    const notAfter = (
      await p.store.db
        .selectFrom('certificates')
        .select('not_after')
        .where('serial', '=', martin.authSerial)
        .executeTakeFirstOrThrow()
    ).not_after;
    const afterwards: AppContext = { ...p.ctx, now: () => new Date(new Date(notAfter).getTime() + 60_000) };
    await refusedSignIn(
      signInWithCard(afterwards, await attemptWith(martin.authCertificate, martinSigns, afterwards), null),
      /expiré/,
    );
    const yann = await nodeAuthKey(p, '1003456789');
    await p.store.db.updateTable('certificates').set({ status: 'expired' }).where('serial', '=', yann.serial).execute();
    await refusedSignIn(
      signInWithCard(p.ctx, await attemptWith(yann.der, (t) => signText(yann.key, t)), null),
      /expiré/,
    );
  });

  it('refuses a card that is not usable and an agent who is inactive', async () => {
    const kerbrat = await agentId(p.ctx, '1004567890');
    const brest = await orgId(p.ctx, 'BN-BREST');
    const now = new Date().toISOString();
    let model = await p.store.db.selectFrom('card_models').select('id').executeTakeFirst();
    if (!model) {
      model = { id: 'modele-test' };
      await p.store.db
        .insertInto('card_models')
        .values({
          id: model.id,
          code: 'test-modele',
          label: 'Modèle de test',
          population: 'armees',
          kind: 'personalizable',
          profiles: '["auth","sign"]',
          card_years: 6,
          status: 'active',
          created_at: now,
        })
        .execute();
    }
    const cardId = 'carte-test-kerbrat';
    await p.store.db
      .insertInto('cards')
      .values({
        id: cardId,
        serial: '9900000001',
        model_id: model.id,
        agent_id: kerbrat,
        organization_id: brest,
        operator_organization_id: brest,
        state: 'active',
        state_changed_at: now,
        activation_code_attempts: 0,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const onCard = await nodeAuthKey(p, '1004567890', { cardId });
    const sign = (t: string) => signText(onCard.key, t);
    await signInWithCard(p.ctx, await attemptWith(onCard.der, sign), null);
    for (const state of ['blocked', 'suspended', 'received']) {
      await p.store.db.updateTable('cards').set({ state }).where('id', '=', cardId).execute();
      await refusedSignIn(
        signInWithCard(p.ctx, await attemptWith(onCard.der, sign), null),
        /carte qui porte ce certificat n'est pas utilisable/,
      );
    }

    const tanguy = await nodeAuthKey(p, '1005678901');
    await p.store.db.updateTable('agents').set({ status: 'inactive' }).where('identifier', '=', '1005678901').execute();
    await refusedSignIn(
      signInWithCard(p.ctx, await attemptWith(tanguy.der, (t) => signText(tanguy.key, t)), null),
      /désactivé/,
    );
  });

  it('audits every refusal with its reason, under the certificate’s agent when known', async () => {
    const refusals = await audits('refused');
    assert.ok(refusals.length >= 15, `refusals audited: ${refusals.length}`);
    for (const r of refusals) assert.match(String(r.summary), /"reason":"[^"]+"/);
    const hugues = await agentId(p.ctx, '2010002684dh');
    assert.ok(refusals.some((r) => r.actor_id === hugues && /révoqué/.test(String(r.summary))));
  });

  it('TLS client certificate: same checks without a challenge', async () => {
    const opened = await signInWithClientCertificate(p.ctx, martin.authCertificate, null);
    assert.equal(opened.agentId, await agentId(p.ctx, 'martin.c77011'));
    await refusedSignIn(
      signInWithClientCertificate(p.ctx, martin.certificate, null),
      /pas un certificat d'authentification/,
    );
    const hugues = await p.store.db
      .selectFrom('certificates')
      .select('der')
      .where('agent_id', '=', await agentId(p.ctx, '2010002684dh'))
      .where('status', '=', 'revoked')
      .executeTakeFirstOrThrow();
    await refusedSignIn(signInWithClientCertificate(p.ctx, hugues.der, null), /révoqué/);
    const tls = await p.store.db
      .selectFrom('audit_log')
      .select('outcome')
      .where('action', '=', 'session.tls')
      .execute();
    assert.deepEqual(tls.map((r) => r.outcome).sort(), ['ok', 'refused', 'refused']);
  });
});

it('reads the proxy header: URL-encoded PEM, or PEM with folded lines', () => {
  const der = Buffer.from('3003020101', 'hex');
  const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`;
  assert.deepEqual(Buffer.from(certificateFromHeader(encodeURIComponent(pem))!), der);
  assert.deepEqual(Buffer.from(certificateFromHeader(pem.replace(/\n/g, ' '))!), der);
  assert.equal(certificateFromHeader('pas un certificat'), null);
  assert.equal(certificateFromHeader('%E0%A4%A'), null);
});

it('trusts only the configured proxies, IPv4-mapped addresses included', () => {
  assert.equal(isTrustedProxy('::ffff:10.0.0.5', ['10.0.0.5']), true);
  assert.equal(isTrustedProxy('10.0.0.5', ['10.0.0.5']), true);
  assert.equal(isTrustedProxy('10.0.0.6', ['10.0.0.5']), false);
  assert.equal(isTrustedProxy('127.0.0.1', []), false);
  assert.equal(isTrustedProxy(undefined, ['10.0.0.5']), false);
});
