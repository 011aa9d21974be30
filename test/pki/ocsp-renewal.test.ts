// Renewal of the OCSP responder certificates (30 days): 25 days after the ceremony each issuing CA
// gets a new responder, the old one is retired, and the running responder signs with the new one.
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forEachDatabase, openTestPlatform, actorFor, type TestPlatform } from '../support/platform.ts';
import { startServer, type TestServer } from '../support/http.ts';
import { initPki, issueFromCsr, pkiEnvironment, type PkiEnvironment } from '../../src/app/pki/certificates.ts';
import { renewOcspResponders } from '../../src/app/pki/responder-renewal.ts';
import { openOcspSource } from '../../src/app/pki/ocsp-responder.ts';
import { issuerIdentity, toHex } from '../../src/pki/ocsp.ts';
import type { AppContext } from '../../src/app/context.ts';
import { openssl, opensslCsr } from '../support/openssl.ts';

forEachDatabase('OCSP responder renewal', (dialect) => {
  let p: TestPlatform;
  let pki: PkiEnvironment;
  let server: TestServer;
  let dir: string;

  before(async () => {
    p = await openTestPlatform(dialect);
    dir = mkdtempSync(join(tmpdir(), 'cartes-renew-'));
    pki = pkiEnvironment(p.config, {});
    await initPki(p.ctx, await actorFor(p.ctx, 'admin.national'), pki, {
      custodianSecrets: ['premier secret du dépositaire', 'second secret du dépositaire'],
    });
    server = await startServer(p);
    for (const name of ['root', 'collectivites']) {
      const res = await fetch(`${server.baseUrl}/pki/ca/${name}.cer`);
      assert.equal(res.status, 200);
      writeFileSync(join(dir, `${name}.der`), Buffer.from(await res.arrayBuffer()));
      assert.equal(
        (await openssl(['x509', '-inform', 'DER', '-in', join(dir, `${name}.der`), '-out', join(dir, `${name}.pem`)]))
          .status,
        0,
      );
    }
    const c = await issueFromCsr(p.ctx, await actorFor(p.ctx, 'admin.national'), pki, {
      csr: opensslCsr(dir, 'a'),
      profile: 'auth',
      agentIdentifier: '2010002684dh',
    });
    writeFileSync(join(dir, 'a.pem'), c.pem);
  });
  after(async () => {
    await server?.close();
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const responders = () =>
    p.store.db
      .selectFrom('certification_authorities')
      .select(['id', 'name', 'status', 'certificate_der', 'not_after', 'parent_id'])
      .where('kind', '=', 'ocsp')
      .orderBy('created_at')
      .orderBy('name')
      .execute();
  /** openssl ocsp against the server; the response is kept to see which responder signed it. */
  const ocsp = (at: Date) =>
    openssl([
      'ocsp',
      '-issuer',
      join(dir, 'collectivites.pem'),
      '-cert',
      join(dir, 'a.pem'),
      '-url',
      `${server.baseUrl}/pki/ocsp`,
      '-CAfile',
      join(dir, 'root.pem'),
      '-attime',
      String(Math.floor(at.getTime() / 1000)),
      '-respout',
      join(dir, 'resp.der'),
    ]);

  it('renews nothing while the responders are fresh', async () => {
    assert.deepEqual(await renewOcspResponders(p.ctx, pki), []);
    const answer = await ocsp(p.ctx.now());
    assert.equal(answer.status, 0, answer.out);
    assert.match(answer.out, /Response verify OK/);
  });

  it('25 days later: a new responder per issuing CA, the old one retired, audited; the server signs with the new one', async () => {
    const before = await responders();
    assert.equal(before.length, 3);
    const oldCollectivites = before.find((r) => r.name === 'collectivites-ocsp')!;
    // A source opened before the renewal (like another responder of this process) follows it too.
    const other = await openOcspSource(p.ctx, pki);
    const issuing = await p.store.db
      .selectFrom('certification_authorities')
      .select('certificate_der')
      .where('name', '=', 'collectivites')
      .executeTakeFirstOrThrow();
    const keyHash = toHex(issuerIdentity(issuing.certificate_der).hashes.sha1.keyHash);
    assert.deepEqual(
      Buffer.from((await other.responderFor(keyHash, 'sha1'))!.responder.certDer),
      Buffer.from(oldCollectivites.certificate_der),
    );

    const future = new Date(p.ctx.now().getTime() + 25 * 86_400_000);
    const later: AppContext = { ...p.ctx, now: () => future };
    const done = await renewOcspResponders(later, pki);
    assert.deepEqual(done.map((d) => d.caName).sort(), ['armees', 'collectivites', 'etat']);
    assert.ok(done.every((d) => d.retired !== null && d.renewed.name === `${d.caName}-ocsp`));

    const rows = await responders();
    assert.equal(rows.length, 6);
    assert.equal(rows.filter((r) => r.status === 'active').length, 3);
    assert.equal(rows.filter((r) => r.status === 'retired').length, 3);
    const retired = rows.find((r) => r.id === oldCollectivites.id)!;
    assert.equal(retired.status, 'retired');
    assert.match(retired.name, /^collectivites-ocsp-\d{8}-\d{6}-/);
    const renewed = rows.find((r) => r.name === 'collectivites-ocsp')!;
    assert.equal(renewed.status, 'active');
    assert.notEqual(renewed.id, oldCollectivites.id);
    assert.ok(new Date(renewed.not_after).getTime() - future.getTime() >= 29 * 86_400_000);

    const audit = await p.store.db
      .selectFrom('audit_log')
      .select(['action', 'target_id', 'outcome'])
      .where('action', '=', 'pki.ocsp.renew')
      .execute();
    assert.equal(audit.length, 3);
    assert.ok(audit.some((a) => a.target_id === renewed.id && a.outcome === 'ok'));

    // The in-process sources were reloaded: the running server and the other source use the new responder.
    assert.deepEqual(
      Buffer.from((await other.responderFor(keyHash, 'sha1'))!.responder.certDer),
      Buffer.from(renewed.certificate_der),
    );
    other.stop();
    // The new responder's certificate starts 25 days from now: openssl checks the chain at that date.
    const answer = await ocsp(future);
    assert.equal(answer.status, 0, answer.out);
    assert.match(answer.out, /Response verify OK/);
    assert.match(answer.out, /a\.pem: good/);
    const resp = readFileSync(join(dir, 'resp.der'));
    assert.ok(
      resp.indexOf(Buffer.from(renewed.certificate_der)) >= 0,
      'signed by the new responder (its certificate is in the response)',
    );
    assert.equal(resp.indexOf(Buffer.from(oldCollectivites.certificate_der)), -1);

    // Nothing left to renew the same day.
    assert.deepEqual(await renewOcspResponders(later, pki), []);
  });

  it('a responder process reloads on its timer', async () => {
    const source = await openOcspSource(p.ctx, pki, { reloadMs: 50 });
    try {
      const issuing = await p.store.db
        .selectFrom('certification_authorities')
        .select('certificate_der')
        .where('name', '=', 'etat')
        .executeTakeFirstOrThrow();
      const keyHash = toHex(issuerIdentity(issuing.certificate_der).hashes.sha1.keyHash);
      const current = await p.store.db
        .selectFrom('certification_authorities')
        .select(['id', 'certificate_der'])
        .where('name', '=', 'etat-ocsp')
        .executeTakeFirstOrThrow();
      assert.deepEqual(
        Buffer.from((await source.responderFor(keyHash, 'sha1'))!.responder.certDer),
        Buffer.from(current.certificate_der),
      );
      // Renewed 50 days later, as if by another process: only the timer tells this source.
      // (A store object of its own: the in-process reload only reaches sources of the same store.)
      const later: AppContext = {
        ...p.ctx,
        store: { ...p.ctx.store },
        now: () => new Date(Date.now() + 50 * 86_400_000),
      };
      const done = await renewOcspResponders(later, pki);
      assert.equal(done.length, 3);
      const renewed = await p.store.db
        .selectFrom('certification_authorities')
        .select('certificate_der')
        .where('name', '=', 'etat-ocsp')
        .executeTakeFirstOrThrow();
      let der = Buffer.alloc(0);
      // A generous deadline (30 s) for a loaded machine: this waits for the reload, it does not time it.
      for (let i = 0; i < 600; i++) {
        der = Buffer.from((await source.responderFor(keyHash, 'sha1'))!.responder.certDer);
        if (der.equals(Buffer.from(renewed.certificate_der))) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(der, Buffer.from(renewed.certificate_der));
    } finally {
      source.stop();
    }
  });
});
