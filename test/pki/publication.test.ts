// CRL and OCSP publication end to end: the platform's HTTP endpoints checked with the real peer (openssl).
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forEachDatabase, openTestPlatform, actorFor, type TestPlatform } from '../support/platform.ts';
import { startServer, type TestServer } from '../support/http.ts';
import {
  certificateAction,
  initPki,
  issueFromCsr,
  pkiEnvironment,
  revokeCertificate,
  type PkiEnvironment,
} from '../../src/app/pki/certificates.ts';
import { publishCrl } from '../../src/app/pki/publication.ts';
import { registerPkiJobs } from '../../src/jobs/pki-jobs.ts';
import { runDueJobs } from '../../src/jobs/worker.ts';
import { openssl, opensslCsrFile } from '../support/openssl.ts';
import { signingKeyFor, type TestSigner } from '../support/signing.ts';
import type { CertificateEvent } from '../../src/domain/certificate-status.ts';

forEachDatabase('CRL and OCSP publication', (dialect) => {
  let p: TestPlatform;
  let pki: PkiEnvironment;
  let server: TestServer;
  let dir: string;
  const certs: Record<string, string> = {};
  let signer: TestSigner;
  /** The national administrator's signature of a status change (issue 13: 3). */
  const signed = async (serial: string, event: CertificateEvent) =>
    signer.signAction(await actorFor(p.ctx, 'admin.national'), certificateAction(serial, event));

  const issue = async (name: string): Promise<string> => {
    const csr = opensslCsrFile(dir, name);
    const admin = await actorFor(p.ctx, 'admin.national');
    const c = await issueFromCsr(p.ctx, admin, pki, {
      csr: readFileSync(csr, 'utf8'),
      profile: 'auth',
      agentIdentifier: '2010002684dh',
    });
    writeFileSync(join(dir, `${name}.pem`), c.pem);
    return c.serial;
  };
  const ocsp = (name: string, extra: string[] = []) =>
    openssl([
      'ocsp',
      '-issuer',
      join(dir, 'collectivites.pem'),
      '-cert',
      join(dir, `${name}.pem`),
      '-url',
      `${server.baseUrl}/pki/ocsp`,
      '-CAfile',
      join(dir, 'root.pem'),
      ...extra,
    ]);
  const crlText = async () => {
    const res = await fetch(`${server.baseUrl}/pki/crl/collectivites.crl`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/pkix-crl');
    writeFileSync(join(dir, 'c.crl'), Buffer.from(await res.arrayBuffer()));
    const r = await openssl([
      'crl',
      '-inform',
      'DER',
      '-in',
      join(dir, 'c.crl'),
      '-CAfile',
      join(dir, 'chain.pem'),
      '-verify',
      '-noout',
      '-text',
    ]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /verify OK/);
    return r.out;
  };

  before(async () => {
    p = await openTestPlatform(dialect);
    dir = mkdtempSync(join(tmpdir(), 'cartes-pub-'));
    pki = pkiEnvironment(p.config, {});
    await initPki(p.ctx, await actorFor(p.ctx, 'admin.national'), pki, {
      custodianSecrets: ['premier secret du dépositaire', 'second secret du dépositaire'],
    });
    registerPkiJobs(pki);
    signer = await signingKeyFor(p, 'admin.national');
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
      certs[name] = readFileSync(join(dir, `${name}.pem`), 'utf8');
    }
    writeFileSync(join(dir, 'chain.pem'), certs['collectivites']! + certs['root']!);
  });
  after(async () => {
    await server?.close();
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('OCSP answers good, revoked (with reason) and unknown; a non-critical nonce gets the pre-signed answer; a revocation through the API shows at once', async () => {
    const a = await issue('a');
    const good = await ocsp('a');
    assert.equal(good.status, 0, good.out);
    assert.match(good.out, /Response verify OK/);
    assert.match(good.out, /a\.pem: good/);
    // openssl's nonce is not critical: the answer signed ahead is given (RFC 5019 §4), openssl accepts it.
    assert.match(good.out, /WARNING: no nonce in response/);

    const admin = await server.signIn('admin.national');
    const r = await admin.post(`/api/certificates/${a}/revoke`, {
      reason: 'keyCompromise',
      signature: await signed(a, { kind: 'revoke', reason: 'keyCompromise' }),
    });
    assert.equal(r.status, 200, r.text);
    const revoked = await ocsp('a');
    assert.match(revoked.out, /a\.pem: revoked/);
    assert.match(revoked.out, /Reason: keyCompromise/);
    assert.match((await ocsp('a', ['-no_nonce'])).out, /a\.pem: revoked/);

    // A serial the CA never issued: same issuer, certificate made by hand with another serial.
    const bogus = await openssl([
      'ocsp',
      '-issuer',
      join(dir, 'collectivites.pem'),
      '-serial',
      '0x0123456789abcdef',
      '-url',
      `${server.baseUrl}/pki/ocsp`,
      '-CAfile',
      join(dir, 'root.pem'),
    ]);
    assert.match(bogus.out, /unknown/);
  });

  it('the CRL lists revoked and suspended certificates with their reasons; a resumption takes the entry out', async () => {
    const b = await issue('b');
    const c = await issue('c');
    const admin = await server.signIn('admin.national');
    const accepted = await admin.post(`/api/certificates/${b}/accept`, {
      signature: await signed(b, { kind: 'accept' }),
    });
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal(accepted.json.card, null);
    assert.equal(
      (await admin.post(`/api/certificates/${b}/suspend`, { signature: await signed(b, { kind: 'suspend' }) })).status,
      200,
    );
    const revoked = await admin.post(`/api/certificates/${c}/revoke`, {
      reason: 'affiliationChanged',
      signature: await signed(c, { kind: 'revoke', reason: 'affiliationChanged' }),
    });
    assert.equal(revoked.status, 200, revoked.text);
    // The outbox job republishes the CRL after each change.
    while ((await runDueJobs(p.ctx)) > 0) {
      /* drain */
    }
    let text = await crlText();
    assert.match(text, new RegExp(b.toUpperCase()));
    assert.match(text, /Certificate Hold/);
    assert.match(text, new RegExp(c.toUpperCase()));
    assert.match(text, /Affiliation Changed/);
    assert.match((await ocsp('b')).out, /b\.pem: revoked/);

    assert.equal(
      (await admin.post(`/api/certificates/${b}/resume`, { signature: await signed(b, { kind: 'resume' }) })).status,
      200,
    );
    while ((await runDueJobs(p.ctx)) > 0) {
      /* drain */
    }
    text = await crlText();
    assert.doesNotMatch(text, new RegExp(b.toUpperCase()));
    assert.match(text, new RegExp(c.toUpperCase()));
    assert.match((await ocsp('b')).out, /b\.pem: good/);
    // A revoked certificate is never reinstated.
    const again = await admin.post(`/api/certificates/${c}/resume`, { signature: await signed(c, { kind: 'resume' }) });
    assert.equal(again.status, 409);
  });

  it('a revocation made by another process reaches the responder through its polling', async () => {
    const d = await issue('d');
    assert.match((await ocsp('d')).out, /d\.pem: good/);
    // Another process: the use case alone, no HTTP route, so nothing invalidates this server's cache directly.
    await revokeCertificate(
      p.ctx,
      await actorFor(p.ctx, 'admin.national'),
      d,
      'superseded',
      await signed(d, { kind: 'revoke', reason: 'superseded' }),
    );
    let out = '';
    for (let i = 0; i < 40 && !/revoked/.test(out); i++) {
      await new Promise((r) => setTimeout(r, 100));
      out = (await ocsp('d')).out;
    }
    assert.match(out, /d\.pem: revoked/);
  });

  it('CRL numbers increase and nextUpdate is at most 24 hours away', async () => {
    const first = await publishCrl(p.ctx, pki, 'collectivites');
    const second = await publishCrl(p.ctx, pki, 'collectivites');
    assert.equal(second.crlNumber, first.crlNumber + 1);
    assert.ok(second.nextUpdate.getTime() - p.ctx.now().getTime() <= 24 * 3600_000 + 1000);
    const unknown = await fetch(`${server.baseUrl}/pki/crl/nope.crl`);
    assert.equal(unknown.status, 404);
    const badCa = await fetch(`${server.baseUrl}/pki/ca/..%2fetc.cer`);
    assert.equal(badCa.status, 404);
  });
});
