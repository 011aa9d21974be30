// Rate limits as deployed: relying parties download CRLs and CA certificates without being throttled
// (abuse only), signed-in people each have their own budget, and behind the configured reverse proxies
// the client's own address counts, not the proxy's. Over real sockets.
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { forEachDatabase, openTestPlatform, actorFor, type TestPlatform } from '../support/platform.ts';
import { startServer, type TestServer } from '../support/http.ts';
import { initPki, pkiEnvironment } from '../../src/app/pki/certificates.ts';
import { publishCrl } from '../../src/app/pki/publication.ts';

forEachDatabase('rate limits', (dialect) => {
  let p: TestPlatform;
  let server: TestServer;

  before(async () => {
    // 127.0.0.1 is the reverse proxy here: X-Forwarded-For from it names the client.
    p = await openTestPlatform(dialect, { env: { CARTES_TRUSTED_PROXIES: '127.0.0.1' } });
    const pki = pkiEnvironment(p.config, {});
    await initPki(p.ctx, await actorFor(p.ctx, 'admin.national'), pki, {
      custodianSecrets: ['premier secret du dépositaire', 'second secret du dépositaire'],
    });
    await publishCrl(p.ctx, pki, 'collectivites');
    server = await startServer(p, { rateLimitPerMinute: 5 });
  });
  after(async () => {
    await server?.close();
    await p?.close();
  });

  it('2,000 CRL downloads from one address within a minute: no 429', async () => {
    const statuses = new Map<number, number>();
    for (let i = 0; i < 2000; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: 50 }, async (_, k) => {
          const path = (i + k) % 10 === 0 ? '/pki/ca/collectivites.cer' : '/pki/crl/collectivites.crl';
          const r = await fetch(`${server.baseUrl}${path}`);
          await r.arrayBuffer();
          return r.status;
        }),
      );
      for (const s of batch) statuses.set(s, (statuses.get(s) ?? 0) + 1);
    }
    assert.deepEqual([...statuses], [[200, 2000]]);
  });

  it('behind a trusted proxy each client address has its own budget', async () => {
    const from = (address: string) =>
      server.request('GET', '/api/config', undefined, { headers: { 'x-forwarded-for': address } });
    for (let i = 0; i < 5; i++) assert.equal((await from('203.0.113.7')).status, 200);
    const sixth = await from('203.0.113.7');
    assert.equal(sixth.status, 429);
    assert.match(sixth.json.detail ?? sixth.json.message, /Trop de requêtes/);
    // Another client behind the same proxy is not held back by the first one.
    assert.equal((await from('203.0.113.8')).status, 200);
  });

  it('signed-in people are counted each on their own, not per address', async () => {
    const martin = await server.signIn('martin.c77011');
    const lefebvre = await server.signIn('lefebvre.s77');
    let last = 0;
    for (let i = 0; i < 6; i++) last = (await martin.get('/api/session')).status;
    assert.equal(last, 429);
    // Same address, another person: a budget of her own.
    assert.equal((await lefebvre.get('/api/session')).status, 200);
  });
});

forEachDatabase('rate limits without a trusted proxy', (dialect) => {
  let p: TestPlatform;
  let server: TestServer;
  before(async () => {
    p = await openTestPlatform(dialect);
    server = await startServer(p, { rateLimitPerMinute: 3 });
  });
  after(async () => {
    await server?.close();
    await p?.close();
  });

  it('X-Forwarded-For from an address that is not a configured proxy is ignored', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push(
        (await server.request('GET', '/api/config', undefined, { headers: { 'x-forwarded-for': `198.51.100.${i}` } }))
          .status,
      );
    assert.deepEqual(statuses, [200, 200, 200, 429]);
  });
});
