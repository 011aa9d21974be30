// Issue 13, item 13 (all but the OCSP parts): invalidityDate on keyCompromise entries when the
// holder gives a date, validity of exactly the profile's period (inclusive dates), the message for a
// secp256k1 request, the policy OIDs a deployment registers, and the ETSI EN 319 412-2 natural-person
// subject offered per CA. Checked with openssl and GnuTLS, on SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1 from '@peculiar/asn1-x509';
import {
  issueFromCsr,
  pkiEnvironment,
  policyOids,
  setSubjectForm,
  type PkiEnvironment,
} from '../../src/app/pki/certificates.ts';
import { newestCrlDer, publishCrl } from '../../src/app/pki/publication.ts';
import { keyPlace } from '../../src/app/pki/key-place.ts';
import { openServiceSigner } from '../../src/pki/ca-init.ts';
import { checkCardCertificate } from '../../src/pki/checker.ts';
import { addYears, agentSubject, randomSerial, signCertificate, toPem, wholeSeconds } from '../../src/pki/profiles.ts';
import * as x509 from '../../src/pki/x509.ts';
import { registerPkiJobs } from '../../src/jobs/pki-jobs.ts';
import { runDueJobs } from '../../src/jobs/worker.ts';
import { actorFor, forEachDatabase, openTestPlatform, type TestPlatform } from '../support/platform.ts';
import { startServer, type Client, type TestServer } from '../support/http.ts';
import { ensureTestPki } from '../support/signing.ts';
import { virtualCardFor } from '../support/card-fixture.ts';
import { fails } from '../support/errors.ts';
import { openssl } from '../support/openssl.ts';

const HUGUES = '2010002684dh';

function csr(dir: string, name: string, curve = 'P-256'): string {
  const out = join(dir, `${name}.csr`);
  const r = spawnSync('openssl', [
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    `ec_paramgen_curve:${curve}`,
    '-nodes',
    '-subj',
    '/CN=x',
    '-keyout',
    join(dir, `${name}.key`),
    '-out',
    out,
  ]);
  assert.equal(r.status, 0, String(r.stderr));
  return readFileSync(out, 'utf8');
}

forEachDatabase('PKI details (issue 13: 13)', (dialect) => {
  let p: TestPlatform;
  let pki: PkiEnvironment;
  let server: TestServer;
  let admin: Client;
  let dir: string;

  before(async () => {
    p = await openTestPlatform(dialect);
    pki = await ensureTestPki(p);
    registerPkiJobs(pki);
    server = await startServer(p);
    admin = await server.signIn('admin.national');
    dir = mkdtempSync(join(tmpdir(), 'cartes-pkidetails-'));
    for (const name of ['root', 'collectivites', 'etat']) {
      const res = await fetch(`${server.baseUrl}/pki/ca/${name}.cer`);
      writeFileSync(join(dir, `${name}.pem`), toPem(new Uint8Array(await res.arrayBuffer())));
    }
  });
  after(async () => {
    await server?.close();
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const crlText = async (ca: string) => {
    await publishCrl(p.ctx, pki, ca);
    const path = join(dir, `${ca}.crl`);
    writeFileSync(path, (await newestCrlDer(p.ctx, ca))!);
    const r = await openssl(['crl', '-inform', 'DER', '-in', path, '-noout', '-text']);
    assert.equal(r.status, 0, r.out);
    return r.out;
  };

  it('a lost card declared with its date: the keyCompromise entries carry that invalidityDate, the others none', async () => {
    const hugues = await server.signIn(HUGUES);
    const future = await virtualCardFor(p, HUGUES, { state: 'active', activated: true });
    const tomorrow = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    const refused = await hugues.post(`/api/me/cards/${future.cardId}/declare`, { kind: 'loss', lostOn: tomorrow });
    assert.equal(refused.status, 422, refused.text);
    assert.match(refused.json.detail, /ne peut pas être dans le futur/);
    assert.equal(
      (await hugues.post(`/api/me/cards/${future.cardId}/declare`, { kind: 'loss', lostOn: '3 mai' })).status,
      422,
    );

    const lost = future; // still active: the refusals changed nothing
    const res = await hugues.post(`/api/me/cards/${lost.cardId}/declare`, { kind: 'loss', lostOn: '2026-01-05' });
    assert.equal(res.status, 200, res.text);
    const other = await virtualCardFor(p, HUGUES, { state: 'active', activated: true });
    assert.equal(
      (
        await hugues.post(`/api/me/cards/${other.cardId}/declare`, {
          kind: 'theft',
          policeReportReference: 'PV-2026-0042',
        })
      ).status,
      200,
    );
    while ((await runDueJobs(p.ctx)) > 0) {
      /* the outbox republishes the CRL */
    }
    const serials = async (cardId: string) =>
      (await p.store.db.selectFrom('certificates').select('serial').where('card_id', '=', cardId).execute()).map((c) =>
        c.serial.toUpperCase(),
      );
    const text = await crlText('collectivites');
    const entry = (serial: string) => {
      const at = text.indexOf(`Serial Number: ${serial}`);
      assert.ok(at >= 0, `${serial} in the CRL`);
      const next = text.indexOf('Serial Number:', at + 10);
      return text.slice(at, next < 0 ? undefined : next);
    };
    for (const s of await serials(lost.cardId)) {
      assert.match(entry(s), /Key Compromise/);
      // 5 January at 00:00 in Paris at the earliest (UTC+2): never later than the loss.
      assert.match(entry(s), /Invalidity Date:\s*\n\s*Jan {2}4 22:00:00 2026 GMT/);
    }
    for (const s of await serials(other.cardId)) {
      assert.match(entry(s), /Key Compromise/);
      assert.doesNotMatch(entry(s), /Invalidity Date/);
    }
    writeFileSync(
      join(dir, 'chain.pem'),
      readFileSync(join(dir, 'collectivites.pem'), 'utf8') + readFileSync(join(dir, 'root.pem'), 'utf8'),
    );
    const verified = await openssl([
      'crl',
      '-inform',
      'DER',
      '-in',
      join(p.dataDir, 'pki', 'crl', 'collectivites.crl'),
      '-CAfile',
      join(dir, 'chain.pem'),
      '-verify',
      '-noout',
    ]);
    assert.match(verified.out, /verify OK/);
  });

  it('a certificate lasts exactly 3 years, both dates included; the checker flags one second more', async () => {
    const c = await issueFromCsr(p.ctx, await actorFor(p.ctx, 'admin.national'), pki, {
      csr: csr(dir, 'validity'),
      profile: 'auth',
      agentIdentifier: HUGUES,
    });
    const cert = new x509.X509Certificate(c.pem);
    assert.equal(cert.notAfter.getTime() + 1000, addYears(cert.notBefore, 3).getTime());
    const ca = await p.store.db
      .selectFrom('certification_authorities')
      .selectAll()
      .where('name', '=', c.caName)
      .executeTakeFirstOrThrow();
    const issuer = new x509.X509Certificate(new Uint8Array(ca.certificate_der));
    assert.deepEqual(
      await checkCardCertificate(new Uint8Array(cert.rawData), 'auth', issuer, { policies: pki.settings.policies }),
      [],
    );
    // The same certificate one second longer (what was issued before): too long now.
    const signer = await openServiceSigner(keyPlace(p.ctx), ca.key_ref, pki.kek);
    const notBefore = wholeSeconds(new Date());
    const tbs = AsnConvert.parse(cert.rawData, asn1.Certificate).tbsCertificate;
    const longer = await signCertificate(
      {
        serial: randomSerial(),
        subject: agentSubject({
          organizationName: 'Commune d’Aubepierre-Ozouer-le-Repos',
          siren: null,
          firstNames: 'Hugues',
          lastName: 'DILINDIEN',
          identifier: HUGUES,
        }),
        issuer: AsnConvert.parse(issuer.subjectName.toArrayBuffer(), asn1.Name),
        notBefore,
        notAfter: addYears(notBefore, 3),
        spki: new Uint8Array(AsnConvert.serialize(tbs.subjectPublicKeyInfo)),
        extensions: tbs.extensions ?? [],
      },
      signer,
    );
    const faults = await checkCardCertificate(longer, 'auth', issuer, { policies: pki.settings.policies });
    assert.ok(
      faults.some((f) => /supérieure à 3 ans \(dates de début et de fin incluses\)/.test(f)),
      faults.join(' | '),
    );
  });

  it('a secp256k1 request is refused for its curve, not as an unproven possession', async () => {
    const res = await admin.post('/api/certificates', {
      csr: csr(dir, 'k1', 'secp256k1'),
      profile: 'auth',
      agentIdentifier: HUGUES,
    });
    assert.equal(res.status, 422, res.text);
    assert.equal(res.json.detail, 'Courbe secp256k1 non admise : P-256 attendue.');
    assert.doesNotMatch(res.text, /possession/);
  });

  it('CARTES_CERT_POLICIES sets the registered policy OIDs written in the certificates', async () => {
    const env = { CARTES_CERT_POLICIES: 'auth=1.2.250.1.223.1.1.1, sign=1.2.250.1.223.1.1.2' };
    assert.deepEqual(policyOids(env), {
      auth: '1.2.250.1.223.1.1.1',
      sign: '1.2.250.1.223.1.1.2',
      enc: '1.2.250.1.999.1.3',
      ocsp: '1.2.250.1.999.1.4',
    });
    await fails(
      Promise.resolve().then(() => policyOids({ CARTES_CERT_POLICIES: 'auth=1.2.abc' })),
      'invalid',
      /OID/,
    );
    await fails(
      Promise.resolve().then(() => policyOids({ CARTES_CERT_POLICIES: 'carte=1.2.3' })),
      'invalid',
      /auth=<OID>/,
    );
    const registered = pkiEnvironment(p.config, env);
    const c = await issueFromCsr(p.ctx, await actorFor(p.ctx, 'admin.national'), registered, {
      csr: csr(dir, 'policy'),
      profile: 'auth',
      agentIdentifier: HUGUES,
    });
    writeFileSync(join(dir, 'policy.pem'), c.pem);
    const text = await openssl(['x509', '-in', join(dir, 'policy.pem'), '-noout', '-text']);
    assert.match(text.out, /Policy: 1\.2\.250\.1\.223\.1\.1\.1/);
    assert.doesNotMatch(text.out, /1\.2\.250\.1\.999/);
  });

  it('per CA, the ETSI natural-person subject (givenName, surname) beside C, O, OU, CN; the default stays the seed’s', async () => {
    const adminActor = await actorFor(p.ctx, 'admin.national');
    await fails(
      setSubjectForm(p.ctx, await actorFor(p.ctx, HUGUES), 'collectivites', 'etsi-natural-person'),
      'forbidden',
    );
    await fails(setSubjectForm(p.ctx, adminActor, 'collectivites', 'libre'), 'invalid', /Forme de sujet inconnue/);
    await fails(setSubjectForm(p.ctx, adminActor, 'root', 'seed'), 'invalid', /pas une AC émettrice/);
    const seed = await issueFromCsr(p.ctx, adminActor, pki, {
      csr: csr(dir, 'seed'),
      profile: 'sign',
      agentIdentifier: HUGUES,
    });
    assert.match(seed.subjectDn, /^C=FR, O=[^,]+, (OU=0002 \d{9}, )?CN=Hugues DILINDIEN 2010002684dh$/);

    assert.deepEqual(await setSubjectForm(p.ctx, adminActor, 'collectivites', 'etsi-natural-person'), {
      name: 'collectivites',
      subjectForm: 'etsi-natural-person',
    });
    const etsi = await issueFromCsr(p.ctx, adminActor, pki, {
      csr: csr(dir, 'etsi'),
      profile: 'sign',
      agentIdentifier: HUGUES,
    });
    assert.equal(etsi.caName, 'collectivites');
    assert.match(etsi.subjectDn, /, GN=Hugues, SN=DILINDIEN, CN=Hugues DILINDIEN 2010002684dh$/);
    writeFileSync(join(dir, 'etsi.pem'), etsi.pem);
    const text = await openssl(['x509', '-in', join(dir, 'etsi.pem'), '-noout', '-subject', '-nameopt', 'RFC2253']);
    assert.match(text.out, /CN=Hugues DILINDIEN 2010002684dh,SN=DILINDIEN,GN=Hugues,/);
    const verified = await openssl([
      'verify',
      '-x509_strict',
      '-CAfile',
      join(dir, 'root.pem'),
      '-untrusted',
      join(dir, 'collectivites.pem'),
      join(dir, 'etsi.pem'),
    ]);
    assert.equal(verified.status, 0, verified.out);
    const ca = await p.store.db
      .selectFrom('certification_authorities')
      .select('certificate_der')
      .where('name', '=', 'collectivites')
      .executeTakeFirstOrThrow();
    assert.deepEqual(
      await checkCardCertificate(
        new Uint8Array(new x509.X509Certificate(etsi.pem).rawData),
        'sign',
        new x509.X509Certificate(new Uint8Array(ca.certificate_der)),
        {
          policies: pki.settings.policies,
        },
      ),
      [],
    );
    writeFileSync(join(dir, 'etsi-chain.pem'), etsi.pem + readFileSync(join(dir, 'collectivites.pem'), 'utf8'));
    const gnutls = spawnSync(
      'certtool',
      ['--verify', '--load-ca-certificate', join(dir, 'root.pem'), '--infile', join(dir, 'etsi-chain.pem')],
      { encoding: 'utf8' },
    );
    assert.equal(gnutls.status, 0, gnutls.stdout + gnutls.stderr);
    // Another CA keeps the seed's form.
    const brest = await issueFromCsr(p.ctx, adminActor, pki, {
      csr: csr(dir, 'etat'),
      profile: 'auth',
      agentIdentifier: 'lefebvre.s77',
    });
    assert.doesNotMatch(brest.subjectDn, /GN=|SN=/);
    await setSubjectForm(p.ctx, adminActor, 'collectivites', 'seed');
    const back = await issueFromCsr(p.ctx, adminActor, pki, {
      csr: csr(dir, 'back'),
      profile: 'auth',
      agentIdentifier: HUGUES,
    });
    assert.doesNotMatch(back.subjectDn, /GN=/);
    const audit = await p.store.db
      .selectFrom('audit_log')
      .select('summary')
      .where('action', '=', 'pki.ca.subject-form')
      .execute();
    assert.equal(audit.length, 2);
  });
});
