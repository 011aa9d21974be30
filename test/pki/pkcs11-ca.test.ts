// Issuing-CA and OCSP keys on a PKCS#11 token (SoftHSM2): the ceremony puts them there (the root
// stays in files under dual control), certificates and CRLs signed on the token verify with openssl,
// the keys cannot be extracted, the PIN is never stored; and the same through the `cartes ca` CLI.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initSoftHsmToken, type SoftHsmToken } from '../../scripts/lib/softhsm.js';
import { initPki, issueFromCsr, listAuthorities, pkiEnvironment } from '../../src/app/pki/certificates.ts';
import type { PkiEnvironment } from '../../src/app/pki/certificates.ts';
import { newestCrlDer, publishCrl } from '../../src/app/pki/publication.ts';
import { renewOcspResponders } from '../../src/app/pki/responder-renewal.ts';
import { custodyDir, parseKeyRef } from '../../src/pki/ca-init.ts';
import { closePkcs11Stores, pkcs11Store } from '../../src/pki/pkcs11-custody.ts';
import type { AppContext } from '../../src/app/context.ts';
import type { Dialect } from '../../src/store/database.ts';
import { startServer } from '../support/http.ts';
import { actorFor, DIALECTS, openTestPlatform, tempDir, type TestPlatform } from '../support/platform.ts';
import { run as runProcess } from '../support/process.ts';
import { opensslCsrFile } from '../support/openssl.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
const USER_PIN = '314159';
const SO_PIN = '27182818';
const SECRET_A = 'premier secret du dépositaire';
const SECRET_B = 'second secret du dépositaire';
const HUGUES = '2010002684dh';

/** Runs `cmd` with `env` (default: ours, for the SoftHSM configuration), bounded at 60 s. */
const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) =>
  runProcess(cmd, args, { env, timeoutMs: 60_000 });

const tokens: Record<string, SoftHsmToken> = {};

// Every token before the module loads: SoftHSM reads its token list at C_Initialize.
before(async () => {
  const first = await initSoftHsmToken({ label: `ca-${DIALECTS[0]}`, soPin: SO_PIN, userPin: USER_PIN });
  tokens[DIALECTS[0]!] = first;
  for (const label of [...DIALECTS.slice(1).map((d) => `ca-${d}`), 'ca-cli']) {
    tokens[label.slice(3)] = await initSoftHsmToken({ label, soPin: SO_PIN, userPin: USER_PIN, dir: first.dir });
  }
});
after(async () => {
  await closePkcs11Stores();
  await tokens[DIALECTS[0]!]?.cleanup();
});

for (const dialect of DIALECTS) {
  describe(`CA keys on a PKCS#11 token [${dialect as Dialect}]`, () => {
    let p: TestPlatform;
    let pki: PkiEnvironment;
    let dir: string;
    let token: SoftHsmToken;

    before(async () => {
      token = tokens[dialect]!;
      p = await openTestPlatform(dialect);
      pki = pkiEnvironment({ publicUrl: 'https://cartes.example.gouv.fr', dataDir: p.dataDir }, {});
      dir = tempDir('pkcs11-ca');
    });
    after(async () => {
      await p?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('runs the ceremony with the issuing-CA and OCSP keys on the token, the root in files; no PIN in the database', async () => {
      const admin = await actorFor(p.ctx, 'admin.national');
      const r = await initPki(p.ctx, admin, pki, {
        custodianSecrets: [SECRET_A, SECRET_B],
        pkcs11: { module: token.modulePath, tokenLabel: token.tokenLabel, pin: USER_PIN },
      });
      assert.ok(r.report.some((l) => l.includes(`sur le jeton PKCS#11 « ${token.tokenLabel} » (non exportable)`)));
      const rows = await p.store.db
        .selectFrom('certification_authorities')
        .select(['name', 'kind', 'key_ref'])
        .execute();
      for (const row of rows) {
        assert.doesNotMatch(row.key_ref, new RegExp(USER_PIN));
        const ref = parseKeyRef(row.key_ref);
        if (row.kind === 'root') {
          assert.equal(ref.store, 'file');
          assert.equal(ref.custody, 'dual-control');
        } else {
          assert.deepEqual(Object.keys(ref).sort(), [
            'algorithm',
            'custody',
            'keyLabel',
            'module',
            'store',
            'tokenLabel',
          ]);
          assert.equal(ref.store, 'pkcs11');
          assert.equal(ref.custody, 'service');
          if (ref.store !== 'pkcs11') continue;
          assert.equal(ref.tokenLabel, token.tokenLabel);
          // Sensitive, never extractable: the private key never left the token.
          const protection = await pkcs11Store(ref.module, ref.tokenLabel).protection(ref);
          assert.deepEqual(protection, {
            token: true,
            private: true,
            sensitive: true,
            extractable: false,
            alwaysSensitive: true,
            neverExtractable: true,
          });
        }
      }
      const serviceDir = custodyDir(p.dataDir, 'service');
      assert.ok(!existsSync(serviceDir) || readdirSync(serviceDir).length === 0, 'no service key file');
      // OpenSC sees six private keys on the token.
      const list = await run('pkcs11-tool', [
        '--module',
        token.modulePath,
        '--token-label',
        token.tokenLabel,
        '--login',
        '--pin',
        USER_PIN,
        '--list-objects',
        '--type',
        'privkey',
      ]);
      assert.equal(list.code, 0, list.stderr);
      assert.equal(list.stdout.match(/never extractable/g)?.length, 6);
    });

    it('issues a certificate signed on the token (openssl verify) and publishes a CRL that openssl verifies', async () => {
      const admin = await actorFor(p.ctx, 'admin.national');
      for (const a of await listAuthorities(p.ctx, admin)) writeFileSync(join(dir, `${a.name}.pem`), a.pem);
      const c = await issueFromCsr(p.ctx, admin, pki, {
        csr: readFileSync(opensslCsrFile(dir, 'a'), 'utf8'),
        profile: 'sign',
        agentIdentifier: HUGUES,
      });
      writeFileSync(join(dir, 'a.pem'), c.pem);
      const v = await run('openssl', [
        'verify',
        '-x509_strict',
        '-CAfile',
        join(dir, 'root.pem'),
        '-untrusted',
        join(dir, `${c.caName}.pem`),
        join(dir, 'a.pem'),
      ]);
      assert.equal(v.code, 0, v.stderr + v.stdout);

      await publishCrl(p.ctx, pki, c.caName);
      writeFileSync(join(dir, `${c.caName}.crl`), (await newestCrlDer(p.ctx, c.caName))!);
      writeFileSync(
        join(dir, 'chain.pem'),
        readFileSync(join(dir, `${c.caName}.pem`), 'utf8') + readFileSync(join(dir, 'root.pem'), 'utf8'),
      );
      const r = await run('openssl', [
        'crl',
        '-inform',
        'DER',
        '-in',
        join(dir, `${c.caName}.crl`),
        '-CAfile',
        join(dir, 'chain.pem'),
        '-verify',
        '-noout',
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr + r.stdout, /verify OK/);

      // The OCSP responder signs on the token too (server in this process: asynchronous openssl).
      const server = await startServer(p);
      try {
        const o = await run('openssl', [
          'ocsp',
          '-issuer',
          join(dir, `${c.caName}.pem`),
          '-cert',
          join(dir, 'a.pem'),
          '-url',
          `${server.baseUrl}/pki/ocsp`,
          '-CAfile',
          join(dir, 'root.pem'),
        ]);
        assert.equal(o.code, 0, o.stderr + o.stdout);
        assert.match(o.stderr + o.stdout, /Response verify OK/);
        assert.match(o.stdout, /a\.pem: good/);
      } finally {
        await server.close();
      }
    });

    it('renews an OCSP responder with a new key on the same token', async () => {
      const later: AppContext = { ...p.ctx, now: () => new Date(Date.now() + 25 * 86_400_000) };
      const done = await renewOcspResponders(later, pki);
      assert.equal(done.length, 3);
      const renewed = await p.store.db
        .selectFrom('certification_authorities')
        .select('key_ref')
        .where('id', '=', done[0]!.renewed.id)
        .executeTakeFirstOrThrow();
      const ref = parseKeyRef(renewed.key_ref);
      assert.equal(ref.store, 'pkcs11');
      if (ref.store === 'pkcs11')
        assert.equal((await pkcs11Store(ref.module, ref.tokenLabel).protection(ref)).extractable, false);
    });
  });
}

describe('cartes ca init --pkcs11-… (CLI)', () => {
  let data: string;
  before(() => {
    data = tempDir('pkcs11-cli');
  });
  after(() => {
    rmSync(data, { recursive: true, force: true });
  });

  it('runs the ceremony on the token; issue and crl read the PIN from CARTES_PKCS11_PIN_FILE', async () => {
    const token = tokens['cli']!;
    const base = { PATH: process.env['PATH'] ?? '', SOFTHSM2_CONF: token.configFile };
    const cartes = (args: string[], env: Record<string, string> = {}) =>
      run(process.execPath, [MAIN, '--data', data, ...args], { ...base, ...env });
    assert.equal((await cartes(['demo', 'load'])).code, 0);
    writeFileSync(join(data, 'a.secret'), `${SECRET_A}\n`, { mode: 0o600 });
    writeFileSync(join(data, 'b.secret'), `${SECRET_B}\n`, { mode: 0o600 });
    writeFileSync(join(data, 'pin'), `${USER_PIN}\n`, { mode: 0o600 });
    const secrets = [
      '--custodian-secret-file',
      join(data, 'a.secret'),
      '--custodian-secret-file',
      join(data, 'b.secret'),
    ];

    const half = await cartes(['ca', 'init', ...secrets, '--pkcs11-module', token.modulePath]);
    assert.equal(half.code, 1);
    assert.match(half.stderr, /--pkcs11-module et --pkcs11-token vont ensemble/);
    const init = await cartes([
      'ca',
      'init',
      ...secrets,
      '--pkcs11-module',
      token.modulePath,
      '--pkcs11-token',
      token.tokenLabel,
      '--pkcs11-pin-file',
      join(data, 'pin'),
    ]);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /sur le jeton PKCS#11 « ca-cli » \(non exportable\)/);
    assert.equal((await cartes(['ca', 'certs', '--out', join(data, 'out')])).code, 0);

    const request = opensslCsrFile(data, 'agent');
    const noPin = await cartes(['ca', 'issue', '--csr', request, '--profile', 'auth', '--subject-agent', HUGUES]);
    assert.equal(noPin.code, 1);
    assert.match(
      noPin.stderr,
      /^Erreur : PIN du jeton PKCS#11 « ca-cli » inconnu : définissez CARTES_PKCS11_PIN ou CARTES_PKCS11_PIN_FILE/,
    );
    const withPin = { CARTES_PKCS11_PIN_FILE: join(data, 'pin') };
    const issue = await cartes(
      ['ca', 'issue', '--csr', request, '--profile', 'auth', '--subject-agent', HUGUES],
      withPin,
    );
    assert.equal(issue.code, 0, issue.stderr);
    writeFileSync(join(data, 'agent.pem'), issue.stdout);
    const caName = /par l'AC (\S+)/.exec(issue.stderr)?.[1] ?? 'collectivites';
    const v = await run('openssl', [
      'verify',
      '-x509_strict',
      '-CAfile',
      join(data, 'out', 'root.pem'),
      '-untrusted',
      join(data, 'out', `${caName}.pem`),
      join(data, 'agent.pem'),
    ]);
    assert.equal(v.code, 0, v.stderr + v.stdout);

    const crl = await cartes(['ca', 'crl', '--ca', caName, '--out', join(data, 'ca.crl')], {
      CARTES_PKCS11_PIN: USER_PIN,
    });
    assert.equal(crl.code, 0, crl.stderr);
    writeFileSync(
      join(data, 'chain.pem'),
      readFileSync(join(data, 'out', `${caName}.pem`), 'utf8') + readFileSync(join(data, 'out', 'root.pem'), 'utf8'),
    );
    const r = await run('openssl', [
      'crl',
      '-inform',
      'DER',
      '-in',
      join(data, 'ca.crl'),
      '-CAfile',
      join(data, 'chain.pem'),
      '-verify',
      '-noout',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const wrong = await cartes(['ca', 'crl', '--ca', caName], { CARTES_PKCS11_PIN: '000000' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^Erreur : PIN incorrect/);
  });
});
