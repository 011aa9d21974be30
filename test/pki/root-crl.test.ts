// Issue 13, item 4: the root CA publishes its CRL. Signed at the key ceremony under the custodians'
// dual control, valid a year, served at /pki/crl/root.crl (the issuing CAs' distribution point),
// renewed by `cartes ca root-crl` with a reminder before it expires. Checked by the real peers:
// `openssl verify -crl_check_all` on a card certificate's chain, and GnuTLS certtool.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { initPki, issueFromCsr, pkiEnvironment, type PkiEnvironment } from '../../src/app/pki/certificates.ts';
import { remindRootCrl, ROOT_CRL_VALIDITY_DAYS, signRootCrl } from '../../src/app/pki/root-crl.ts';
import { toPem } from '../../src/pki/profiles.ts';
import { verifyAuditChain } from '../../src/store/audit.ts';
import { actorFor, forEachDatabase, openTestPlatform, type TestPlatform } from '../support/platform.ts';
import { startServer, type TestServer } from '../support/http.ts';
import { fails } from '../support/errors.ts';
import { openssl } from '../support/openssl.ts';

const SECRETS = ['premier secret du dépositaire', 'second secret du dépositaire'];
const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

const certtool = (args: string[]) => {
  const r = spawnSync('certtool', args, { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

function cartes(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      env: { PATH: process.env['PATH'] ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

forEachDatabase('root CA CRL (issue 13: 4)', (dialect) => {
  let p: TestPlatform;
  let pki: PkiEnvironment;
  let server: TestServer;
  let dir: string;

  before(async () => {
    p = await openTestPlatform(dialect);
    pki = pkiEnvironment(p.config, {});
    await initPki(p.ctx, await actorFor(p.ctx, 'admin.national'), pki, { custodianSecrets: SECRETS });
    server = await startServer(p);
    dir = mkdtempSync(join(tmpdir(), 'cartes-rootcrl-'));
    for (const name of ['root', 'collectivites', 'armees']) {
      const res = await fetch(`${server.baseUrl}/pki/ca/${name}.cer`);
      assert.equal(res.status, 200);
      writeFileSync(join(dir, `${name}.pem`), toPem(new Uint8Array(await res.arrayBuffer())));
    }
  });
  after(async () => {
    await server?.close();
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Fetches a CRL from the server, as PEM in `dir`; returns its path. */
  async function crl(name: string, file = `${name}.crl.pem`): Promise<string> {
    const res = await fetch(`${server.baseUrl}/pki/crl/${name}.crl`);
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('content-type'), 'application/pkix-crl');
    const path = join(dir, file);
    writeFileSync(path, toPem(new Uint8Array(await res.arrayBuffer()), 'X509 CRL'));
    return path;
  }

  /** A certificate of the agent from a CSR made by openssl; returns the PEM path and its CA. */
  async function leaf(name: string, agentIdentifier: string): Promise<{ path: string; ca: string }> {
    const key = join(dir, `${name}.key`);
    const csr = join(dir, `${name}.csr`);
    const made = await openssl([
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-subj',
      '/CN=x',
      '-out',
      csr,
    ]);
    assert.equal(made.status, 0, made.out);
    const c = await issueFromCsr(p.ctx, await actorFor(p.ctx, 'admin.national'), pki, {
      csr: readFileSync(csr, 'utf8'),
      profile: 'auth',
      agentIdentifier,
    });
    const path = join(dir, `${name}.pem`);
    writeFileSync(path, c.pem);
    return { path, ca: c.caName };
  }

  const verify = (cert: string, ca: string, crls: string[]) =>
    openssl([
      'verify',
      '-crl_check_all',
      '-x509_strict',
      '-CAfile',
      join(dir, 'root.pem'),
      '-untrusted',
      join(dir, `${ca}.pem`),
      ...crls.flatMap((c) => ['-CRLfile', c]),
      cert,
    ]);

  it('the ceremony signed the root CRL: served at /pki/crl/root.crl, valid a year, verified by openssl and GnuTLS', async () => {
    const path = await crl('root');
    const text = await openssl(['crl', '-in', path, '-CAfile', join(dir, 'root.pem'), '-verify', '-noout', '-text']);
    assert.equal(text.status, 0, text.out);
    assert.match(text.out, /verify OK/);
    assert.match(text.out, /Issuer: C\s*=\s*FR, O\s*=\s*Cartes Agents, CN\s*=\s*AC Racine Cartes Agents/);
    assert.match(text.out, /X509v3 CRL Number:\s*\n\s*1\s*\n/);
    assert.match(text.out, /No Revoked Certificates/);
    const last = new Date(/Last Update: (.+)/.exec(text.out)![1]!);
    const next = new Date(/Next Update: (.+)/.exec(text.out)![1]!);
    assert.equal(Math.round((next.getTime() - last.getTime()) / 86_400_000), ROOT_CRL_VALIDITY_DAYS);
    const gnutls = certtool(['--verify-crl', '--load-ca-certificate', join(dir, 'root.pem'), '--infile', path]);
    assert.equal(gnutls.status, 0, gnutls.out);
    assert.match(gnutls.out, /Verification output: Verified/);
  });

  it('openssl verify -crl_check_all and certtool accept a card certificate with both CRLs; without the root CRL openssl cannot', async () => {
    const { path, ca } = await leaf('hugues', '2010002684dh');
    const rootCrl = await crl('root');
    const issuingCrl = await crl(ca);
    const ok = await verify(path, ca, [rootCrl, issuingCrl]);
    assert.equal(ok.status, 0, ok.out);
    assert.match(ok.out, /: OK/);
    const without = await verify(path, ca, [issuingCrl]);
    assert.notEqual(without.status, 0, without.out);
    assert.match(without.out, /unable to get certificate CRL/);

    const chain = join(dir, 'hugues-chain.pem');
    writeFileSync(chain, readFileSync(path, 'utf8') + readFileSync(join(dir, `${ca}.pem`), 'utf8'));
    const crls = join(dir, 'crls.pem');
    writeFileSync(crls, readFileSync(rootCrl, 'utf8') + readFileSync(issuingCrl, 'utf8'));
    const gnutls = certtool([
      '--verify',
      '--load-ca-certificate',
      join(dir, 'root.pem'),
      '--load-crl',
      crls,
      '--infile',
      chain,
    ]);
    assert.equal(gnutls.status, 0, gnutls.out);
    assert.match(gnutls.out, /Chain verification output: Verified/);
  });

  it('a renewal ceremony needs both custodians; revoking an issuing CA puts it in the root CRL and verifiers refuse its certificates', async () => {
    const admin = await actorFor(p.ctx, 'admin.national');
    const before = await leaf('brest', '1003456789');
    assert.equal(before.ca, 'armees');
    await fails(
      signRootCrl(p.ctx, admin, { custodianSecrets: [SECRETS[0]!, 'un autre secret long'] }),
      'forbidden',
      /dépositaires/,
    );
    await fails(signRootCrl(p.ctx, admin, { custodianSecrets: [SECRETS[0]!] }), 'invalid', /cérémonie/);
    const holder = await actorFor(p.ctx, '2010002684dh');
    await fails(signRootCrl(p.ctx, holder, { custodianSecrets: SECRETS }), 'forbidden');
    const renewed = await signRootCrl(p.ctx, admin, { custodianSecrets: SECRETS });
    assert.deepEqual([renewed.crlNumber, renewed.entries], [2, 0]);
    assert.match(await crl('root').then((f) => readFileSync(f, 'utf8')), /BEGIN X509 CRL/);

    const revoked = await signRootCrl(p.ctx, admin, {
      custodianSecrets: SECRETS,
      revoke: { caName: 'armees', reason: 'cACompromise' },
    });
    assert.deepEqual([revoked.crlNumber, revoked.entries], [3, 1]);
    assert.match(revoked.report.join('\n'), /AC « armees » révoquée/);
    const rootCrl = await crl('root', 'root-3.crl.pem');
    const text = await openssl(['crl', '-in', rootCrl, '-noout', '-text']);
    assert.match(text.out, /CA Compromise/);
    const refused = await verify(before.path, 'armees', [rootCrl, await crl('armees')]);
    assert.notEqual(refused.status, 0, refused.out);
    assert.match(refused.out, /certificate revoked/);
    const chain = join(dir, 'brest-chain.pem');
    writeFileSync(chain, readFileSync(before.path, 'utf8') + readFileSync(join(dir, 'armees.pem'), 'utf8'));
    const gnutls = certtool([
      '--verify',
      '--load-ca-certificate',
      join(dir, 'root.pem'),
      '--load-crl',
      rootCrl,
      '--infile',
      chain,
    ]);
    assert.notEqual(gnutls.status, 0, gnutls.out);
    assert.match(gnutls.out, /revoked/i);
    // A revoked CA issues nothing any more.
    await assert.rejects(leaf('brest2', '1003456789'), /n'est pas une AC émettrice active/);
    await fails(
      signRootCrl(p.ctx, admin, { custodianSecrets: SECRETS, revoke: { caName: 'armees', reason: 'superseded' } }),
      'conflict',
      /déjà révoquée/,
    );
    assert.equal((await verifyAuditChain(p.store)).ok, true);
  });

  it('reminds the national administrators before the root CRL expires, once a week', async () => {
    assert.equal(await remindRootCrl(p.ctx), 0, 'far from expiry: no reminder');
    const later = { ...p.ctx, now: () => new Date(Date.now() + (ROOT_CRL_VALIDITY_DAYS - 30) * 86_400_000) };
    const mails = await p.store.db.selectFrom('mails').select('id').execute();
    assert.equal(await remindRootCrl(later), 1);
    const sent = await p.store.db
      .selectFrom('mails')
      .selectAll()
      .where('id', 'not in', mails.length ? mails.map((m) => m.id) : [''])
      .execute();
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.recipient, 'jeanne.duval@ants.gouv.fr');
    assert.match(sent[0]!.subject, /renouvellement de la CRL de l'AC racine/);
    assert.match(sent[0]!.body, /expire le .* \(dans 29 jour\(s\)\)[\s\S]*npx cartes ca root-crl/);
    assert.equal(await remindRootCrl(later), 0, 'once a week');
  });

  it('cartes ca root-crl signs under dual control from the command line, and --status tells the state', async () => {
    writeFileSync(join(dir, 'a.secret'), `${SECRETS[0]}\n`);
    writeFileSync(join(dir, 'b.secret'), `${SECRETS[1]}\n`);
    const common = ['--data', p.dataDir, '--db', p.dbTarget, 'ca', 'root-crl'];
    const signed = await cartes([
      ...common,
      '--custodian-secret-file',
      join(dir, 'a.secret'),
      '--custodian-secret-file',
      join(dir, 'b.secret'),
    ]);
    assert.equal(signed.code, 0, signed.stderr);
    assert.match(signed.stdout, /CRL de l'AC racine n° 4 signée sous double contrôle : 1 AC révoquée\(s\)/);
    const status = await cartes([...common, '--status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /CRL de l'AC racine n° 4, valable jusqu'au .* \(36[45] jour\(s\) restant\(s\)\)/);
    const one = await cartes([...common, '--custodian-secret-file', join(dir, 'a.secret')]);
    assert.equal(one.code, 1);
    assert.match(one.stderr, /Deux fichiers de secret sont nécessaires/);
  });
});
