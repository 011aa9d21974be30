// The certification authorities end to end, on SQLite and PostgreSQL: key ceremony under dual
// control, issuance from CSRs made by OpenSSL, chains verified by `openssl verify -x509_strict`, the
// profile checker, bad requests, status transitions, authorization, audit; and the `cartes ca` CLI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { systemActor } from '../../src/app/context.ts';
import { AppError } from '../../src/app/errors.ts';
import {
  acceptCertificate,
  certificateAction,
  checkAll,
  expireCertificates,
  initPki,
  issueFromCsr,
  listAuthorities,
  listCertificates,
  pkiEnvironment,
  resumeCertificate,
  revokeCertificate,
  suspendCertificate,
  type PkiEnvironment,
} from '../../src/app/pki/certificates.ts';
import { custodyDir, openRootSigner, openServiceSigner, parseKeyRef } from '../../src/pki/ca-init.ts';
import { keyPlace } from '../../src/app/pki/key-place.ts';
import { checkCardCertificate } from '../../src/pki/checker.ts';
import { KeyStoreError } from '../../src/pki/keystore.ts';
import { randomSerial, signCertificate, toPem, wholeSeconds, addYears } from '../../src/pki/profiles.ts';
import * as x509 from '../../src/pki/x509.ts';
import { countRows } from '../../src/store/audit.ts';
import { actorFor, forEachDatabase, openTestPlatform, tempDir, type TestPlatform } from '../support/platform.ts';
import { signingKeyFor } from '../support/signing.ts';
import type { CertificateEvent } from '../../src/domain/certificate-status.ts';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1 from '@peculiar/asn1-x509';
import { cartes as cartesCli } from '../support/process.ts';
import { opensslCsr, opensslCsrFile } from '../support/openssl.ts';
import { fails } from '../support/errors.ts';

const SECRET_A = 'premier dépositaire : cheval agrafe';
const SECRET_B = 'second dépositaire : batterie correcte';
const HUGUES = '2010002684dh';

function openssl(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8', input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

forEachDatabase('certification authorities', (dialect) => {
  let p: TestPlatform;
  let pki: PkiEnvironment;
  let dir: string;
  const sys = systemActor('test');

  before(async () => {
    p = await openTestPlatform(dialect);
    pki = pkiEnvironment({ publicUrl: 'https://cartes.example.gouv.fr', dataDir: p.dataDir }, {});
    dir = tempDir('pki');
  });
  after(async () => {
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const certCount = () => countRows(p.store.db, 'certificates');
  const auditCount = () => countRows(p.store.db, 'audit_log');

  it('refuses a ceremony without two distinct, long enough secrets, or by a non-administrator, and writes nothing', async () => {
    const admin = await actorFor(p.ctx, 'admin.national');
    await fails(
      initPki(p.ctx, admin, pki, { custodianSecrets: [SECRET_A] }),
      'invalid',
      /cérémonie des clés ne peut pas commencer/,
    );
    await assert.rejects(initPki(p.ctx, admin, pki, { custodianSecrets: [SECRET_A, SECRET_A] }), (err: AppError) => {
      assert.ok(err.errors.some((e) => /même secret/.test(e.reason)));
      return true;
    });
    await assert.rejects(
      initPki(p.ctx, admin, pki, { custodianSecrets: [SECRET_A, 'trop court'] }),
      (err: AppError) => {
        assert.ok(err.errors.some((e) => /second dépositaire est trop court/.test(e.reason)));
        return true;
      },
    );
    const operator = await actorFor(p.ctx, 'martin.c77011');
    await fails(
      initPki(p.ctx, operator, pki, { custodianSecrets: [SECRET_A, SECRET_B] }),
      'forbidden',
      /droits nécessaires/,
    );
    assert.equal(await countRows(p.store.db, 'certification_authorities'), 0);
  });

  it('runs the key ceremony: root under dual control, three issuing CAs with their OCSP responders, all audited', async () => {
    const admin = await actorFor(p.ctx, 'admin.national');
    const before = await auditCount();
    const r = await initPki(p.ctx, admin, pki, { custodianSecrets: [SECRET_A, SECRET_B] });
    assert.deepEqual(
      r.authorities.map((a) => `${a.kind}:${a.name}`),
      [
        'root:root',
        'issuing:collectivites',
        'ocsp:collectivites-ocsp',
        'issuing:etat',
        'ocsp:etat-ocsp',
        'issuing:armees',
        'ocsp:armees-ocsp',
      ],
    );
    assert.match(r.report[0]!, /^Cérémonie des clés — /);
    assert.ok(
      r.report.some((l) => /AC émettrice créée \(armees\) : C=FR, O=Cartes Agents, CN=AC Ministère des Armées/.test(l)),
    );
    assert.match(r.report.at(-1)!, /7 autorité\(s\) créée\(s\)/);

    const audit = await p.store.db
      .selectFrom('audit_log')
      .select(['action', 'outcome', 'target_id'])
      .where('seq', '>', before)
      .orderBy('seq')
      .execute();
    assert.deepEqual(
      audit.map((a) => a.action),
      [
        'pki.ca.create',
        'pki.ca.create',
        'pki.ocsp.create',
        'pki.ca.create',
        'pki.ocsp.create',
        'pki.ca.create',
        'pki.ocsp.create',
        // The root's first CRL, signed while the custodians' secrets have opened its key.
        'pki.root-crl.sign',
        'pki.init',
      ],
    );
    assert.ok(audit.every((a) => a.outcome === 'ok'));

    const rows = await p.store.db.selectFrom('certification_authorities').selectAll().execute();
    const root = rows.find((c) => c.kind === 'root')!;
    const rootCert = new x509.X509Certificate(new Uint8Array(root.certificate_der));
    assert.equal(rootCert.subject, rootCert.issuer);
    assert.equal(rootCert.getExtension(x509.BasicConstraintsExtension)?.pathLength, 1);
    // Exactly the period, both dates included (RFC 5280): it ends one second before the anniversary.
    const inclusive = (c: x509.X509Certificate) => c.notAfter.getTime() + 1000;
    assert.equal(inclusive(rootCert), addYears(rootCert.notBefore, 20).getTime());
    for (const issuing of rows.filter((c) => c.kind === 'issuing')) {
      const cert = new x509.X509Certificate(new Uint8Array(issuing.certificate_der));
      assert.equal(cert.getExtension(x509.BasicConstraintsExtension)?.pathLength, 0);
      assert.equal(inclusive(cert), addYears(cert.notBefore, 10).getTime());
      assert.equal(issuing.parent_id, root.id);
    }
    for (const ocsp of rows.filter((c) => c.kind === 'ocsp')) {
      const cert = new x509.X509Certificate(new Uint8Array(ocsp.certificate_der));
      assert.deepEqual(
        [...cert.getExtension(x509.ExtendedKeyUsageExtension)!.usages],
        [x509.ExtendedKeyUsage.ocspSigning],
      );
      assert.ok(cert.getExtension('1.3.6.1.5.5.7.48.1.5'), 'id-pkix-ocsp-nocheck');
      assert.equal((inclusive(cert) - cert.notBefore.getTime()) / 86_400_000, 30);
      // The service keys open with the key-encryption key alone, and only with it.
      const signer = await openServiceSigner(keyPlace(p.ctx), ocsp.key_ref, pki.kek);
      assert.deepEqual(Buffer.from(signer.publicKeySpki), Buffer.from(cert.publicKey.rawData));
      await assert.rejects(
        openServiceSigner(keyPlace(p.ctx), ocsp.key_ref, Buffer.alloc(32, 7)),
        (e: KeyStoreError) => e.code === 'wrong_secret',
      );
    }

    // Dual control: both secrets open the root key; one of them with anything else does not.
    const ref = parseKeyRef(root.key_ref);
    assert.equal(ref.custody, 'dual-control');
    assert.equal(
      statSync(join(custodyDir(p.dataDir, 'dual-control'), ref.store === 'file' ? ref.path : '')).mode & 0o777,
      0o600,
    );
    const signer = await openRootSigner(p.dataDir, root.key_ref, [SECRET_A, SECRET_B]);
    assert.deepEqual(Buffer.from(signer.publicKeySpki), Buffer.from(rootCert.publicKey.rawData));
    await assert.rejects(
      openRootSigner(p.dataDir, root.key_ref, [SECRET_A, 'un autre secret bien long']),
      (e: KeyStoreError) => e.code === 'wrong_secret',
    );
    await assert.rejects(
      openRootSigner(p.dataDir, root.key_ref, [SECRET_B, SECRET_A]),
      (e: KeyStoreError) => e.code === 'wrong_secret',
    );
    await assert.rejects(openServiceSigner(keyPlace(p.ctx), root.key_ref, pki.kek), /double contrôle/);
    assert.equal(statSync(join(p.dataDir, 'pki', 'kek')).mode & 0o777, 0o600);

    // No second ceremony over the first one.
    await fails(initPki(p.ctx, admin, pki, { custodianSecrets: [SECRET_A, SECRET_B] }), 'conflict', /déjà initialisée/);
  });

  it('issues AUTH, SIGN and ENC certificates from OpenSSL requests that openssl verify -x509_strict accepts and the checker passes', async () => {
    const cas = await listAuthorities(p.ctx, sys);
    writeFileSync(join(dir, 'root.pem'), cas.find((c) => c.name === 'root')!.pem);
    writeFileSync(join(dir, 'collectivites.pem'), cas.find((c) => c.name === 'collectivites')!.pem);
    const issuing = new x509.X509Certificate(cas.find((c) => c.name === 'collectivites')!.pem);
    const admin = await actorFor(p.ctx, 'admin.national');
    const cases: [string, 'auth' | 'sign' | 'enc', 'ec' | 'rsa', number][] = [
      ['auth', 'auth', 'ec', x509.KeyUsageFlags.digitalSignature],
      ['sign', 'sign', 'ec', x509.KeyUsageFlags.nonRepudiation],
      ['enc-ec', 'enc', 'ec', x509.KeyUsageFlags.keyAgreement],
      ['enc-rsa', 'enc', 'rsa', x509.KeyUsageFlags.keyEncipherment],
    ];
    const serials = new Set<string>();
    for (const [name, profile, key, usage] of cases) {
      const issued = await issueFromCsr(p.ctx, admin, pki, {
        csr: opensslCsr(dir, name, key),
        profile,
        agentIdentifier: HUGUES,
      });
      assert.equal(issued.caName, 'collectivites');
      assert.equal(
        issued.subjectDn,
        'C=FR, O=Aubepierre-Ozouer-le-Repos, OU=0002 217700103, CN=Hugues DILINDIEN 2010002684dh',
      );
      assert.match(issued.serial, /^[0-7][0-9a-f]{31}$/);
      serials.add(issued.serial);
      const file = join(dir, `${name}.cert.pem`);
      writeFileSync(file, issued.pem);
      const v = openssl([
        'verify',
        '-x509_strict',
        '-CAfile',
        join(dir, 'root.pem'),
        '-untrusted',
        join(dir, 'collectivites.pem'),
        file,
      ]);
      assert.equal(v.status, 0, v.stderr + v.stdout);
      assert.match(v.stdout, /: OK$/m);
      const text = openssl(['x509', '-in', file, '-noout', '-text']).stdout;
      assert.match(text, /OCSP - URI:https:\/\/cartes\.example\.gouv\.fr\/pki\/ocsp/);
      assert.match(text, /CA Issuers - URI:https:\/\/cartes\.example\.gouv\.fr\/pki\/ca\/collectivites\.cer/);
      assert.match(text, /URI:https:\/\/cartes\.example\.gouv\.fr\/pki\/crl\/collectivites\.crl/);
      const cert = new x509.X509Certificate(issued.pem);
      assert.equal(cert.getExtension(x509.KeyUsagesExtension)?.usages, usage);
      assert.equal(cert.getExtension(x509.KeyUsagesExtension)?.critical, true);
      assert.deepEqual(await checkCardCertificate(issued.der, profile, issuing), []);
      // The subject's attributes: C PrintableString, the others UTF8String (tags 0x13 and 0x0c).
      const subject = AsnConvert.parse(cert.subjectName.toArrayBuffer(), asn1.Name);
      assert.deepEqual(
        [...subject].map((rdn) =>
          rdn[0]!.value.printableString !== undefined ? 'P' : rdn[0]!.value.utf8String !== undefined ? 'U' : '?',
        ),
        ['P', 'U', 'U', 'U'],
      );
    }
    assert.equal(serials.size, 4);
    const check = await checkAll(p.ctx, admin, pki);
    assert.deepEqual({ checked: check.checked, good: check.good, bad: check.bad }, { checked: 4, good: 4, bad: 0 });
    const stored = await listCertificates(p.ctx, admin, { agentId: undefined });
    assert.equal(stored.length, 4);
    assert.ok(stored.every((c) => c.status === 'issued' && c.agentIdentifier === HUGUES));
    const auditIssue = await p.store.db
      .selectFrom('audit_log')
      .select('target_id')
      .where('action', '=', 'certificate.issue')
      .execute();
    assert.deepEqual(new Set(auditIssue.map((a) => a.target_id)), serials);
    // An agent of the armed forces gets the armed forces' CA.
    const navy = await issueFromCsr(p.ctx, admin, pki, {
      csr: opensslCsr(dir, 'navy'),
      profile: 'auth',
      agentIdentifier: '1002345678',
    });
    assert.equal(navy.caName, 'armees');
  });

  it('finds the faults of a deliberately bad certificate', async () => {
    const ca = await p.store.db
      .selectFrom('certification_authorities')
      .selectAll()
      .where('name', '=', 'collectivites')
      .executeTakeFirstOrThrow();
    const issuing = new x509.X509Certificate(new Uint8Array(ca.certificate_der));
    const signer = await openServiceSigner(keyPlace(p.ctx), ca.key_ref, pki.kek);
    const csr = new x509.Pkcs10CertificateRequest(opensslCsr(dir, 'bad'));
    const notBefore = wholeSeconds(new Date());
    const der = await signCertificate(
      {
        serial: randomSerial(),
        subject: [{ type: 'CN', value: 'hugues dilindien' }],
        issuer: AsnConvert.parse(issuing.subjectName.toArrayBuffer(), asn1.Name),
        notBefore,
        notAfter: addYears(notBefore, 4),
        spki: new Uint8Array(csr.publicKey.rawData),
        extensions: [
          AsnConvert.parse(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, false).rawData, asn1.Extension),
        ],
      },
      signer,
    );
    const faults = await checkCardCertificate(der, 'auth', issuing);
    for (const expected of [
      /keyUsage n'est pas critique/,
      /Usages de clé « keyCertSign » au lieu de « digitalSignature »/,
      /clientAuth absent/,
      /subjectKeyIdentifier absente/,
      /authorityKeyIdentifier absente/,
      /certificatePolicies absente/,
      /authorityInfoAccess absente/,
      /cRLDistributionPoints absente/,
      /supérieure à 3 ans/,
      /DN du sujet de forme « CN »/,
    ]) {
      assert.ok(
        faults.some((f) => expected.test(f)),
        `${expected} in ${faults.join(' | ')}`,
      );
    }
    // Signed by another key: the signature check catches it.
    const other = await openServiceSigner(
      keyPlace(p.ctx),
      (
        await p.store.db
          .selectFrom('certification_authorities')
          .select('key_ref')
          .where('name', '=', 'etat')
          .executeTakeFirstOrThrow()
      ).key_ref,
      pki.kek,
    );
    const good = await p.store.db
      .selectFrom('certificates')
      .select(['der'])
      .where('profile', '=', 'sign')
      .executeTakeFirstOrThrow();
    const tbs = AsnConvert.parse(new Uint8Array(good.der), asn1.Certificate).tbsCertificate;
    const forged = await signCertificate(
      {
        serial: new Uint8Array(tbs.serialNumber),
        subject: [
          { type: 'C', value: 'FR' },
          { type: 'O', value: 'Aubepierre-Ozouer-le-Repos' },
          { type: 'OU', value: '0002 217700103' },
          { type: 'CN', value: 'Hugues DILINDIEN 2010002684dh' },
        ],
        issuer: tbs.issuer,
        notBefore: tbs.validity.notBefore.getTime(),
        notAfter: tbs.validity.notAfter.getTime(),
        spki: new Uint8Array(AsnConvert.serialize(tbs.subjectPublicKeyInfo)),
        extensions: [...tbs.extensions!],
      },
      other,
    );
    assert.deepEqual(await checkCardCertificate(forged, 'sign', issuing), [
      "Signature invalide : le certificat n'est pas signé par l'autorité émettrice.",
    ]);
  });

  it('refuses unreadable requests and requests with a bad signature, in French, writing nothing', async () => {
    const admin = await actorFor(p.ctx, 'admin.national');
    const [certs, audits] = [await certCount(), await auditCount()];
    const pem = opensslCsr(dir, 'tamper');
    const der = new x509.Pkcs10CertificateRequest(pem).rawData;
    const bytes = new Uint8Array(der.slice(0));
    // Flip a bit inside the signed part (the subject's CN): the signature no longer matches.
    const at = Buffer.from(bytes).indexOf(Buffer.from('ignored by the CA'));
    assert.ok(at > 0);
    bytes[at] = bytes[at]! ^ 0x01;
    await fails(
      issueFromCsr(p.ctx, admin, pki, {
        csr: toPem(bytes, 'CERTIFICATE REQUEST'),
        profile: 'auth',
        agentIdentifier: HUGUES,
      }),
      'invalid',
      /Signature de la demande de certificat invalide/,
    );
    await fails(
      issueFromCsr(p.ctx, admin, pki, { csr: bytes, profile: 'auth', agentIdentifier: HUGUES }),
      'invalid',
      /Signature de la demande de certificat invalide/,
    );
    await fails(
      issueFromCsr(p.ctx, admin, pki, { csr: 'ceci n’est pas une demande', profile: 'auth', agentIdentifier: HUGUES }),
      'invalid',
      /Demande de certificat \(CSR\) illisible/,
    );
    await fails(
      issueFromCsr(p.ctx, admin, pki, {
        csr: new Uint8Array([0x30, 0x82, 0x01, 0x00, 1, 2, 3]),
        profile: 'auth',
        agentIdentifier: HUGUES,
      }),
      'invalid',
      /illisible/,
    );
    await fails(
      issueFromCsr(p.ctx, admin, pki, {
        csr: '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n',
        profile: 'auth',
        agentIdentifier: HUGUES,
      }),
      'invalid',
      /illisible/,
    );
    await fails(
      issueFromCsr(p.ctx, admin, pki, { csr: pem, profile: 'chiffre', agentIdentifier: HUGUES }),
      'invalid',
      /Profil de certificat inconnu/,
    );
    await fails(
      issueFromCsr(p.ctx, admin, pki, { csr: pem, profile: 'auth', agentIdentifier: 'inconnu' }),
      'not_found',
      /Agent inconnu/,
    );
    assert.equal(await certCount(), certs);
    assert.equal(await auditCount(), audits);
  });

  it('suspends, resumes and revokes; a revoked certificate is never reinstated', async () => {
    const admin = await actorFor(p.ctx, 'admin.national');
    const c = await issueFromCsr(p.ctx, admin, pki, {
      csr: opensslCsr(dir, 'life'),
      profile: 'auth',
      agentIdentifier: HUGUES,
    });
    // Every change is confirmed with the operator's card (issue 13: 3).
    const adminSigner = await signingKeyFor(p, 'admin.national');
    const signed = (event: CertificateEvent) => adminSigner.signAction(admin, certificateAction(c.serial, event));
    await fails(suspendCertificate(p.ctx, admin, c.serial), 'conflict', /Seul un certificat valide peut être suspendu/);
    await fails(acceptCertificate(p.ctx, admin, c.serial), 'invalid', /confirmée avec votre carte/);
    assert.equal((await acceptCertificate(p.ctx, admin, c.serial, await signed({ kind: 'accept' }))).status, 'valid');
    const held = await suspendCertificate(p.ctx, admin, c.serial, await signed({ kind: 'suspend' }));
    assert.deepEqual([held.status, held.reason], ['suspended', 'certificateHold']);
    await fails(
      resumeCertificate(p.ctx, admin, c.serial, await signed({ kind: 'suspend' })),
      'forbidden',
      /ne correspond pas au contenu/,
    );
    assert.equal((await resumeCertificate(p.ctx, admin, c.serial, await signed({ kind: 'resume' }))).status, 'valid');
    await fails(revokeCertificate(p.ctx, admin, c.serial, 'certificateHold'), 'conflict', /suspension/);
    await fails(revokeCertificate(p.ctx, admin, c.serial, 'parce que'), 'invalid', /Motif de révocation inconnu/);
    const revoked = await revokeCertificate(
      p.ctx,
      admin,
      c.serial.toUpperCase(),
      'keyCompromise',
      await signed({ kind: 'revoke', reason: 'keyCompromise' }),
    );
    assert.deepEqual(
      [revoked.status, revoked.reason, revoked.reasonLabel],
      ['revoked', 'keyCompromise', 'Compromission de la clé'],
    );
    for (const again of [resumeCertificate, suspendCertificate, acceptCertificate]) {
      await fails(again(p.ctx, admin, c.serial), 'conflict', /révocation est définitive/);
    }
    await fails(revokeCertificate(p.ctx, admin, c.serial, 'superseded'), 'conflict', /définitive/);
    const row = await p.store.db
      .selectFrom('certificates')
      .selectAll()
      .where('serial', '=', c.serial)
      .executeTakeFirstOrThrow();
    assert.equal(row.status, 'revoked');
    assert.equal(row.revocation_reason, 'keyCompromise');
    assert.ok(row.revoked_at);
    const actions = await p.store.db
      .selectFrom('audit_log')
      .select('action')
      .where('target_type', '=', 'certificate')
      .where('target_id', '=', c.serial)
      .where('outcome', '=', 'ok')
      .orderBy('seq')
      .execute();
    assert.deepEqual(
      actions.map((a) => a.action),
      ['certificate.issue', 'certificate.accept', 'certificate.suspend', 'certificate.resume', 'certificate.revoke'],
    );
    await fails(revokeCertificate(p.ctx, admin, 'zz', 'unspecified'), 'invalid', /Numéro de série invalide/);
    // Past its notAfter, a certificate expires; a revoked one stays revoked.
    const later = { ...p.ctx, now: () => new Date(Date.now() + 4 * 366 * 86_400_000) };
    const expired = await expireCertificates(later, admin);
    assert.ok(expired.length > 0 && !expired.includes(c.serial));
    const statuses = await p.store.db.selectFrom('certificates').select(['serial', 'status']).execute();
    assert.ok(
      statuses.every((s) =>
        s.serial === c.serial ? s.status === 'revoked' : s.status === 'expired' || s.status === 'revoked',
      ),
    );
    assert.deepEqual(await expireCertificates(later, admin), []);
    // (The next test issues its own certificate: these ones are all expired or revoked now.)
    await fails(revokeCertificate(p.ctx, admin, 'abcdef', 'unspecified'), 'not_found', /Certificat inconnu/);
  });

  it('lets operators revoke within their organisations only, and records the refusal', async () => {
    const admin = await actorFor(p.ctx, 'admin.national');
    const c = await issueFromCsr(p.ctx, admin, pki, {
      csr: opensslCsr(dir, 'scope'),
      profile: 'sign',
      agentIdentifier: HUGUES,
    });
    const brest = await actorFor(p.ctx, '1002345678');
    await fails(revokeCertificate(p.ctx, brest, c.serial, 'affiliationChanged'), 'forbidden', /périmètre/);
    const refusal = await p.store.db
      .selectFrom('audit_log')
      .select(['outcome', 'target_id'])
      .where('action', '=', 'certificate.revoke')
      .where('outcome', '=', 'refused')
      .executeTakeFirst();
    assert.equal(refusal?.target_id, c.serial);
    assert.equal(
      (await listCertificates(p.ctx, brest)).some((x) => x.serial === c.serial),
      false,
    );
    const holder = await actorFor(p.ctx, HUGUES);
    await fails(revokeCertificate(p.ctx, holder, c.serial, 'keyCompromise'), 'forbidden', /droits nécessaires/);
    await fails(
      issueFromCsr(p.ctx, holder, pki, { csr: opensslCsr(dir, 'self'), profile: 'auth', agentIdentifier: HUGUES }),
      'forbidden',
      /droits/,
    );
    const local = await actorFor(p.ctx, 'martin.c77011');
    assert.ok((await listCertificates(p.ctx, local)).some((x) => x.serial === c.serial));
    const martin = await signingKeyFor(p, 'martin.c77011');
    const signature = await martin.signAction(
      local,
      certificateAction(c.serial, { kind: 'revoke', reason: 'affiliationChanged' }),
    );
    assert.equal((await revokeCertificate(p.ctx, local, c.serial, 'affiliationChanged', signature)).status, 'revoked');
  });
});

const cartes = (args: string[], env: Record<string, string> = {}) => cartesCli(args, env, { timeoutMs: 60_000 });

describe('cartes ca (CLI)', () => {
  let data: string;
  before(() => {
    data = tempDir('ca-cli');
  });
  after(() => {
    rmSync(data, { recursive: true, force: true });
  });

  it('prints French help', async () => {
    for (const cmd of [['ca'], ['ca', 'init'], ['ca', 'issue'], ['ca', 'revoke'], ['ca', 'check']]) {
      const r = await cartes([...cmd, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Utilisation : cartes ${cmd.join(' ')} `));
      assert.doesNotMatch(r.stdout, /\b(Usage|Options|Commands):|display help/);
    }
  });

  it('runs the ceremony with secret files, issues from a CSR, checks, suspends and revokes', async () => {
    assert.equal((await cartes(['--data', data, 'demo', 'load'])).code, 0);
    writeFileSync(join(data, 'a.secret'), `${SECRET_A}\n`, { mode: 0o600 });
    writeFileSync(join(data, 'b.secret'), `${SECRET_B}\n`, { mode: 0o600 });
    const one = await cartes(['--data', data, 'ca', 'init', '--custodian-secret-file', join(data, 'a.secret')]);
    assert.equal(one.code, 1);
    assert.match(one.stderr, /^Erreur : Deux fichiers de secret sont nécessaires/);
    const same = await cartes([
      '--data',
      data,
      'ca',
      'init',
      '--custodian-secret-file',
      join(data, 'a.secret'),
      '--custodian-secret-file',
      join(data, 'a.secret'),
    ]);
    assert.equal(same.code, 1);
    assert.match(same.stderr, /même secret/);

    const init = await cartes([
      '--data',
      data,
      'ca',
      'init',
      '--custodian-secret-file',
      join(data, 'a.secret'),
      '--custodian-secret-file',
      join(data, 'b.secret'),
    ]);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /^Cérémonie des clés — /);
    assert.match(init.stdout, /AC racine créée \(root\)/);
    assert.match(init.stdout, /7 autorité\(s\) créée\(s\)/);

    const certs = await cartes(['--data', data, 'ca', 'certs', '--out', join(data, 'out')]);
    assert.equal(certs.code, 0, certs.stderr);
    const csr = opensslCsrFile(data, 'agent');
    const issue = await cartes([
      '--data',
      data,
      'ca',
      'issue',
      '--csr',
      csr,
      '--profile',
      'auth',
      '--subject-agent',
      HUGUES,
    ]);
    assert.equal(issue.code, 0, issue.stderr);
    assert.match(issue.stdout, /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    const serial = /numéro de série ([0-9a-f]{32})/.exec(issue.stderr)?.[1];
    assert.ok(serial, issue.stderr);
    writeFileSync(join(data, 'agent.pem'), issue.stdout);
    const v = openssl([
      'verify',
      '-x509_strict',
      '-CAfile',
      join(data, 'out', 'root.pem'),
      '-untrusted',
      join(data, 'out', 'collectivites.pem'),
      join(data, 'agent.pem'),
    ]);
    assert.equal(v.status, 0, v.stderr + v.stdout);

    const garbage = join(data, 'garbage.csr');
    writeFileSync(garbage, 'pas une demande');
    const bad = await cartes([
      '--data',
      data,
      'ca',
      'issue',
      '--csr',
      garbage,
      '--profile',
      'auth',
      '--subject-agent',
      HUGUES,
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^Erreur : Demande de certificat \(CSR\) illisible/);

    const check = await cartes(['--data', data, 'ca', 'check']);
    assert.equal(check.code, 0, check.stderr);
    assert.equal(check.stdout, 'Certificats vérifiés : 1 — conformes : 1 — non conformes : 0\n');

    assert.equal((await cartes(['--data', data, 'ca', 'accept', '--serial', serial])).code, 0);
    const suspend = await cartes(['--data', data, 'ca', 'suspend', '--serial', serial]);
    assert.equal(suspend.code, 0, suspend.stderr);
    assert.equal((await cartes(['--data', data, 'ca', 'resume', '--serial', serial])).code, 0);
    const revoke = await cartes(['--data', data, 'ca', 'revoke', '--serial', serial, '--reason', 'keyCompromise']);
    assert.equal(revoke.code, 0, revoke.stderr);
    assert.equal(revoke.stdout, `Certificat ${serial} révoqué (motif : Compromission de la clé).\n`);
    const again = await cartes(['--data', data, 'ca', 'resume', '--serial', serial]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /révocation est définitive/);
    const wrongReason = await cartes([
      '--data',
      data,
      'ca',
      'revoke',
      '--serial',
      serial,
      '--reason',
      'certificateHold',
    ]);
    assert.equal(wrongReason.code, 1);
    assert.match(wrongReason.stderr, /valeur « certificateHold » non admise/);
    const audit = await cartes(['--data', data, 'verify-audit']);
    assert.equal(audit.code, 0, audit.stderr);
  });
});
