// Card sign-in over HTTP: challenge → card signature → session cookie; and the TLS client
// certificate passed by a reverse proxy, believed only from CARTES_TRUSTED_PROXIES.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { revokeCertificate } from '../../src/app/pki/certificates.ts';
import { systemActor } from '../../src/app/context.ts';
import { signInText } from '../../src/domain/card-sign-in.ts';
import { forEachDatabase, openTestPlatform, type TestPlatform } from '../support/platform.ts';
import { signingKeyFor, type TestSigner } from '../support/signing.ts';
import { loadDemoPki } from '../../src/app/demo/pki.ts';
import { cardsDir, DEMO_CARD_PINS, loadDemoCards } from '../../src/app/demo/cards.ts';
import { pkiEnvironment } from '../../src/app/pki/certificates.ts';
import { loadChipKey } from '../../src/cards/keys.ts';
import { startCardAgent, type CardAgent } from '../../src/agent/server.ts';
import { startServer, type HttpResponse, type TestServer } from '../support/http.ts';

function assertProblem(res: HttpResponse, status: number, detail: RegExp): void {
  assert.equal(res.status, status, `status ${res.status}: ${res.text.slice(0, 300)}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.match(res.json.detail, detail);
  assert.equal(res.headers.getSetCookie().length, 0, 'no cookie on a refusal');
}

const pemHeader = (der: Uint8Array) =>
  encodeURIComponent(
    `-----BEGIN CERTIFICATE-----\n${Buffer.from(der)
      .toString('base64')
      .replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`,
  );

forEachDatabase('card sign-in API', (dialect) => {
  let p: TestPlatform;
  let server: TestServer;
  let untrusted: TestServer;
  let martin: TestSigner;
  let hugues: TestSigner;
  let origin: string;

  before(async () => {
    p = await openTestPlatform(dialect, { env: { CARTES_TRUSTED_PROXIES: '127.0.0.1, 10.1.2.3' } });
    assert.deepEqual(p.config.trustedProxies, ['127.0.0.1', '10.1.2.3']);
    assert.equal(p.config.tlsClientCertHeader, 'x-ssl-client-cert');
    origin = new URL(p.config.publicUrl).origin;
    server = await startServer(p);
    untrusted = await startServer({ ...p, config: { ...p.config, trustedProxies: [] } });
    martin = await signingKeyFor(p, 'martin.c77011');
    hugues = await signingKeyFor(p, '2010002684dh');
  });
  after(async () => {
    await server?.close();
    await untrusted?.close();
    await p?.close();
  });

  async function cardSignIn(
    s: TestServer,
    signer: TestSigner,
    opts: { origin?: string } = {},
  ): Promise<{ res: HttpResponse; body: Record<string, string> }> {
    const c = await s.request('POST', '/api/session/card/challenge');
    assert.equal(c.status, 200, c.text);
    assert.equal(c.json.origin, origin);
    const body = {
      challengeId: c.json.challengeId as string,
      certificate: Buffer.from(signer.authCertificate).toString('base64'),
      signature: signer.signAuth(signInText(c.json.challenge, opts.origin ?? origin)),
    };
    return { res: await s.request('POST', '/api/session/card', body), body };
  }

  it('challenge, signature, session cookie: the person is signed in', async () => {
    const { res, body } = await cardSignIn(server, martin);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.person.identifier, 'martin.c77011');
    assert.ok(res.json.roles.some((r: { role: string }) => r.role === 'operator'));
    const set = res.headers.getSetCookie().find((c) => c.startsWith('cartes_session='));
    assert.match(set ?? '', /HttpOnly/i);
    assert.match(set ?? '', /SameSite=Strict/i);
    const cookie = set!.split(';')[0]!;
    const s = await server.request('GET', '/api/session', undefined, { headers: { cookie } });
    assert.equal(s.status, 200);
    assert.equal(s.json.person.identifier, 'martin.c77011');
    // The same signed challenge a second time.
    assertProblem(await server.request('POST', '/api/session/card', body), 401, /déjà servi/);
  });

  it('refuses a signature made for another origin, a revoked certificate, and malformed bodies', async () => {
    assertProblem(
      (await cardSignIn(server, martin, { origin: 'https://hameconnage.example' })).res,
      401,
      /signature de la carte ne correspond pas/,
    );
    const c = await server.request('POST', '/api/session/card/challenge');
    const bad = await server.request('POST', '/api/session/card', {
      challengeId: c.json.challengeId,
      certificate: 'pas du base64 !',
      signature: 'AAAA',
    });
    assert.equal(bad.status >= 400 && bad.status < 500, true);
    const extra = await server.request('POST', '/api/session/card', {
      challengeId: c.json.challengeId,
      certificate: 'AAAA',
      signature: 'AAAA',
      agentId: 'x',
    });
    assert.equal(extra.status >= 400 && extra.status < 500, true);
    await revokeCertificate(p.ctx, systemActor('test'), hugues.authSerial, 'keyCompromise');
    assertProblem((await cardSignIn(server, hugues)).res, 401, /révoqué/);
  });

  it('TLS: a trusted proxy’s header opens a session', async () => {
    const res = await server.request('POST', '/api/session/tls', undefined, {
      headers: { 'x-ssl-client-cert': pemHeader(martin.authCertificate) },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.person.identifier, 'martin.c77011');
    assert.ok(res.headers.getSetCookie().some((c) => c.startsWith('cartes_session=')));
    assertProblem(
      await server.request('POST', '/api/session/tls', undefined, {
        headers: { 'x-ssl-client-cert': pemHeader(hugues.authCertificate) },
      }),
      401,
      /révoqué/,
    );
    assertProblem(
      await server.request('POST', '/api/session/tls', undefined, {
        headers: { 'x-ssl-client-cert': pemHeader(martin.certificate) },
      }),
      401,
      /pas un certificat d'authentification/,
    );
    assertProblem(await server.request('POST', '/api/session/tls'), 401, /Aucun certificat client/);
  });

  it('TLS: the same header from an address not in CARTES_TRUSTED_PROXIES is refused and audited', async () => {
    const before = (
      await p.store.db
        .selectFrom('audit_log')
        .select('seq')
        .where('action', '=', 'session.tls')
        .where('outcome', '=', 'refused')
        .execute()
    ).length;
    assertProblem(
      await untrusted.request('POST', '/api/session/tls', undefined, {
        headers: { 'x-ssl-client-cert': pemHeader(martin.authCertificate) },
      }),
      401,
      /mandataire inverse de confiance/,
    );
    const after = await p.store.db
      .selectFrom('audit_log')
      .select(['summary'])
      .where('action', '=', 'session.tls')
      .where('outcome', '=', 'refused')
      .orderBy('seq')
      .execute();
    assert.equal(after.length, before + 1);
    assert.match(String(after.at(-1)!.summary), /127\.0\.0\.1/);
  });

  it('documents the three routes in /api/docs', async () => {
    const spec = await server.request('GET', '/api/docs/json');
    for (const path of ['/api/session/card/challenge', '/api/session/card', '/api/session/tls']) {
      assert.ok(spec.json.paths[path]?.post?.summary, `${path} documented`);
    }
    assert.deepEqual(
      Object.keys(
        spec.json.paths['/api/session/card'].post.requestBody.content['application/json'].schema.properties,
      ).sort(),
      ['certificate', 'challenge', 'challengeId', 'signature'],
    );
  });

  it('limits card sign-in attempts to 10 a minute', async () => {
    const limited = await startServer(p);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++)
        statuses.push(
          (
            await limited.request('POST', '/api/session/card', {
              challengeId: 'inconnu',
              certificate: 'AAAA',
              signature: 'AAAA',
            })
          ).status,
        );
      assert.deepEqual(statuses.slice(0, 10), Array(10).fill(401));
      assert.equal(statuses[10], 429);
    } finally {
      await limited.close();
    }
  });
});

forEachDatabase('card sign-in through the card agent with a demo card', (dialect) => {
  let p: TestPlatform;
  let server: TestServer;
  let agent: CardAgent;

  before(async () => {
    p = await openTestPlatform(dialect);
    const pki = pkiEnvironment({ publicUrl: p.config.publicUrl, dataDir: p.dataDir }, {});
    await loadDemoPki(p.ctx, pki);
    await loadDemoCards(p.ctx, pki, {});
    server = await startServer(p);
    agent = await startCardAgent({
      host: '127.0.0.1',
      port: 0,
      portalOrigin: p.config.publicUrl,
      cardsDir: cardsDir(p.dataDir),
      chipKey: loadChipKey(p.dataDir, {}),
    });
  });
  after(async () => {
    await agent?.close();
    await server?.close();
    await p?.close();
  });

  it('the page pairs with the agent, inserts demo-martin.c77011.carte, has it sign the challenge, and is signed in', async () => {
    const origin = new URL(p.config.publicUrl).origin;
    const call = async (path: string, body: unknown, token?: string) => {
      const res = await fetch(agent.url + path, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { origin, 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      });
      const json = (await res.json()) as Record<string, string>;
      assert.equal(res.status, 200, JSON.stringify(json));
      return json;
    };
    const { token } = await call('/pair', { code: agent.pairingCode });
    await call('/readers/virtuel/insert', { file: 'demo-martin.c77011.carte' }, token);
    const c = await server.request('POST', '/api/session/card/challenge');
    const signed = await call(
      '/readers/virtuel/sign',
      {
        slot: 'auth',
        data: Buffer.from(signInText(c.json.challenge, c.json.origin)).toString('base64'),
        pin: DEMO_CARD_PINS.auth,
      },
      token,
    );
    const res = await server.request('POST', '/api/session/card', {
      challengeId: c.json.challengeId,
      certificate: signed.certificate,
      signature: signed.signature,
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.person.identifier, 'martin.c77011');
    assert.ok(res.headers.getSetCookie().some((x) => x.startsWith('cartes_session=')));
  });
});
