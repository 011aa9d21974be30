// Interoperability with GnuTLS: the chains of the certificates the CAs issue (AUTH, SIGN, ENC) are
// checked by certtool, an X.509 implementation independent of OpenSSL and of our own checker.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { initPki, issueFromCsr, listAuthorities, pkiEnvironment } from '../../src/app/pki/certificates.ts';
import type { PkiEnvironment } from '../../src/app/pki/certificates.ts';
import { toPem } from '../../src/pki/profiles.ts';
import { actorFor, forEachDatabase, openTestPlatform, tempDir, type TestPlatform } from '../support/platform.ts';
import { opensslCsrFile } from '../support/openssl.ts';

const HUGUES = '2010002684dh';

function run(cmd: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const certtool = (args: string[]) => run('certtool', args);

forEachDatabase('GnuTLS certtool interoperability', (dialect) => {
  let p: TestPlatform;
  let pki: PkiEnvironment;
  let dir: string;
  const pems: Record<string, string> = {};

  before(async () => {
    p = await openTestPlatform(dialect);
    pki = pkiEnvironment({ publicUrl: 'https://cartes.example.gouv.fr', dataDir: p.dataDir }, {});
    dir = tempDir('gnutls');
    const admin = await actorFor(p.ctx, 'admin.national');
    await initPki(p.ctx, admin, pki, {
      custodianSecrets: ['premier secret du dépositaire', 'second secret du dépositaire'],
    });
    for (const a of await listAuthorities(p.ctx, admin)) {
      pems[a.name] = a.pem;
      writeFileSync(join(dir, `${a.name}.pem`), a.pem);
    }
  });
  after(async () => {
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const issue = async (profile: 'auth' | 'sign' | 'enc'): Promise<{ pem: string; caName: string }> => {
    const csr = opensslCsrFile(dir, profile);
    const c = await issueFromCsr(p.ctx, await actorFor(p.ctx, 'admin.national'), pki, {
      csr: readFileSync(csr, 'utf8'),
      profile,
      agentIdentifier: HUGUES,
    });
    return { pem: c.pem, caName: c.caName };
  };

  for (const profile of ['auth', 'sign', 'enc'] as const) {
    it(`certtool verifies the chain of a ${profile.toUpperCase()} certificate, with and without the root as trust anchor`, async () => {
      const { pem, caName } = await issue(profile);
      const full = join(dir, `${profile}-full.pem`);
      writeFileSync(full, pem + pems[caName]! + pems['root']!);
      const chain = certtool(['--verify-chain', '--infile', full]);
      assert.equal(chain.status, 0, chain.out);
      assert.match(chain.out, /Chain verification output: Verified/);
      assert.doesNotMatch(chain.out, /Not verified/);

      const partial = join(dir, `${profile}-chain.pem`);
      writeFileSync(partial, pem + pems[caName]!);
      const anchored = certtool(['--verify', '--load-ca-certificate', join(dir, 'root.pem'), '--infile', partial]);
      assert.equal(anchored.status, 0, anchored.out);
      assert.match(anchored.out, /Chain verification output: Verified/);

      // Another root as trust anchor: refused.
      const other = join(dir, 'other-root');
      assert.equal(
        run('openssl', [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-keyout',
          `${other}.key`,
          '-subj',
          '/C=FR/O=Cartes Agents/CN=AC Racine Cartes Agents',
          '-days',
          '30',
          '-out',
          `${other}.pem`,
        ]).status,
        0,
      );
      const foreign = certtool(['--verify', '--load-ca-certificate', `${other}.pem`, '--infile', partial]);
      assert.notEqual(foreign.status, 0, foreign.out);
    });
  }

  it('certtool refuses a tampered certificate', async () => {
    const { pem, caName } = await issue('auth');
    const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    // Change one byte of the holder's identifier in the subject (to-be-signed part): the signature no longer matches.
    const at = der.indexOf(Buffer.from(HUGUES, 'utf8'));
    assert.ok(at > 0, 'identifier in the subject');
    const tampered = Buffer.from(der);
    tampered[at] = tampered[at]! ^ 0x01;
    const file = join(dir, 'tampered.pem');
    writeFileSync(file, toPem(new Uint8Array(tampered)) + pems[caName]! + pems['root']!);
    const r = certtool(['--verify-chain', '--infile', file]);
    assert.notEqual(r.status, 0, r.out);
    assert.match(r.out, /Not verified|signature/i);
    const anchored = join(dir, 'tampered-chain.pem');
    writeFileSync(anchored, toPem(new Uint8Array(tampered)) + pems[caName]!);
    const r2 = certtool(['--verify', '--load-ca-certificate', join(dir, 'root.pem'), '--infile', anchored]);
    assert.notEqual(r2.status, 0, r2.out);
  });
});
