// Issuance for public keys generated on the card (no CSR) and in batches, on SQLite and
// PostgreSQL: certificates accepted by `openssl verify -x509_strict` and by the profile checker,
// one audit record per certificate, unique serials, bad keys refused in French with nothing written.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { systemActor } from '../../src/app/context.ts';
import {
  checkAll,
  initPki,
  issueBatch,
  issueForPublicKey,
  listAuthorities,
  pkiEnvironment,
  type IssueForPublicKeyInput,
  type PkiEnvironment,
} from '../../src/app/pki/certificates.ts';
import { checkCardCertificate } from '../../src/pki/checker.ts';
import * as x509 from '../../src/pki/x509.ts';
import { countRows, verifyAuditChain } from '../../src/store/audit.ts';
import { actorFor, forEachDatabase, openTestPlatform, tempDir, type TestPlatform } from '../support/platform.ts';
import { fails } from '../support/errors.ts';

const SECRET_A = 'premier dépositaire : cheval agrafe';
const SECRET_B = 'second dépositaire : batterie correcte';
const HUGUES = '2010002684dh';

/** The ten active demo agents used for the batch (both populations: collectivités, État, armées); not the issuing admin herself (REG-6.2.2-26). */
const AGENTS = [
  '2010002684dh',
  'martin.c77011',
  'moreau.jp77011',
  'leroy.a77011',
  'lefebvre.s77',
  'controle.interne',
  '1001234567',
  '1002345678',
  '1003456789',
  '1004567890',
];

/** A key pair as a card would generate it; the card hands back the SPKI (DER). */
function cardKey(kind: 'ec' | 'rsa' = 'ec'): Uint8Array {
  const { publicKey } =
    kind === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
}

function opensslVerify(dir: string, caName: string, pem: string, name: string): { status: number | null; out: string } {
  const file = join(dir, `${name}.pem`);
  writeFileSync(file, pem);
  const r = spawnSync(
    'openssl',
    ['verify', '-x509_strict', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, `${caName}.pem`), file],
    { encoding: 'utf8' },
  );
  return { status: r.status, out: r.stdout + r.stderr };
}

forEachDatabase('issuance for card keys and in batches', (dialect) => {
  let p: TestPlatform;
  let pki: PkiEnvironment;
  let dir: string;
  const issuers = new Map<string, x509.X509Certificate>();

  before(async () => {
    p = await openTestPlatform(dialect);
    pki = pkiEnvironment({ publicUrl: 'https://cartes.example.gouv.fr', dataDir: p.dataDir }, {});
    dir = tempDir('pki-batch');
    await initPki(p.ctx, await actorFor(p.ctx, 'admin.national'), pki, { custodianSecrets: [SECRET_A, SECRET_B] });
    for (const ca of await listAuthorities(p.ctx, systemActor('test'))) {
      writeFileSync(join(dir, `${ca.name}.pem`), ca.pem);
      issuers.set(ca.name, new x509.X509Certificate(ca.pem));
    }
  });
  after(async () => {
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const counts = async () => [await countRows(p.store.db, 'certificates'), await countRows(p.store.db, 'audit_log')];

  it('refuses to let a person issue a certificate in their own name (REG-6.2.2-26), writing nothing', async () => {
    const admin = await actorFor(p.ctx, 'admin.national');
    const before = await p.store.db
      .selectFrom('certificates')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    await fails(
      issueForPublicKey(p.ctx, admin, pki, { spki: cardKey(), profile: 'auth', agentIdentifier: 'admin.national' }),
      'forbidden',
      /votre propre nom/,
    );
    const after = await p.store.db
      .selectFrom('certificates')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(Number(after.n), Number(before.n));
  });

  it('issues a certificate for a public key generated on the card (EC P-256 and RSA 2048)', async () => {
    const admin = await actorFor(p.ctx, 'admin.national');
    for (const [profile, kind, usage] of [
      ['auth', 'ec', x509.KeyUsageFlags.digitalSignature],
      ['enc', 'rsa', x509.KeyUsageFlags.keyEncipherment],
    ] as const) {
      const spki = cardKey(kind);
      const issued = await issueForPublicKey(p.ctx, admin, pki, {
        spki,
        profile,
        agentIdentifier: HUGUES,
        cardId: 'carte-0001',
      });
      assert.equal(issued.caName, 'collectivites');
      assert.equal(
        issued.subjectDn,
        'C=FR, O=Aubepierre-Ozouer-le-Repos, OU=0002 217700103, CN=Hugues DILINDIEN 2010002684dh',
      );
      const cert = new x509.X509Certificate(issued.der);
      assert.deepEqual(Buffer.from(cert.publicKey.rawData), Buffer.from(spki));
      assert.equal(cert.getExtension(x509.KeyUsagesExtension)?.usages, usage);
      assert.deepEqual(await checkCardCertificate(issued.der, profile, issuers.get('collectivites')!), []);
      const v = opensslVerify(dir, 'collectivites', issued.pem, `single-${profile}`);
      assert.equal(v.status, 0, v.out);
      const row = await p.store.db
        .selectFrom('certificates')
        .select(['card_id', 'status', 'profile'])
        .where('serial', '=', issued.serial)
        .executeTakeFirstOrThrow();
      assert.deepEqual({ ...row }, { card_id: 'carte-0001', status: 'issued', profile });
      const audit = await p.store.db
        .selectFrom('audit_log')
        .select(['action', 'outcome'])
        .where('target_id', '=', issued.serial)
        .execute();
      assert.deepEqual(
        audit.map((a) => ({ ...a })),
        [{ action: 'certificate.issue', outcome: 'ok' }],
      );
    }
  });

  it('issues a batch of 30 certificates (AUTH, SIGN, ENC × 10 agents): one audit record each, unique serials, all conforming', async () => {
    const admin = await actorFor(p.ctx, 'admin.national');
    const [certs, audits] = await counts();
    const items: IssueForPublicKeyInput[] = AGENTS.flatMap((agentIdentifier, n) =>
      (['auth', 'sign', 'enc'] as const).map((profile) => ({
        spki: cardKey(),
        profile,
        agentIdentifier,
        cardId: `carte-${String(n).padStart(4, '0')}`,
      })),
    );
    const progress: number[] = [];
    const issued = await issueBatch(p.ctx, admin, pki, items, { chunk: 7, onProgress: (done) => progress.push(done) });
    assert.deepEqual(progress, [7, 14, 21, 28, 30]);
    assert.equal(issued.length, 30);
    assert.deepEqual(
      issued.map((c) => c.profile),
      items.map((i) => i.profile),
    );
    assert.equal(new Set(issued.map((c) => c.serial)).size, 30);
    assert.ok(issued.every((c) => /^[0-7][0-9a-f]{31}$/.test(c.serial)));
    assert.deepEqual(await counts(), [certs! + 30, audits! + 30]);

    // Each agent gets the CA of its population; each certificate carries the key it was issued for.
    const byAgent = new Map(issued.map((c, i) => [items[i]!.agentIdentifier, c.caName]));
    assert.equal(byAgent.get(HUGUES), 'collectivites');
    assert.equal(byAgent.get('lefebvre.s77'), 'etat');
    assert.equal(byAgent.get('1002345678'), 'armees');
    for (let i = 0; i < issued.length; i++) {
      const cert = new x509.X509Certificate(issued[i]!.der);
      assert.deepEqual(Buffer.from(cert.publicKey.rawData), Buffer.from(items[i]!.spki));
      assert.match(issued[i]!.subjectDn, new RegExp(`${items[i]!.agentIdentifier}$`));
    }

    // Spot check with OpenSSL: one of each profile, across the three CAs.
    for (const i of [0, 4, 13, 20, 23, 29]) {
      const v = opensslVerify(dir, issued[i]!.caName, issued[i]!.pem, `batch-${i}`);
      assert.equal(v.status, 0, `${i}: ${v.out}`);
      assert.match(v.out, /: OK$/m);
    }
    const check = await checkAll(p.ctx, admin, pki);
    assert.deepEqual({ checked: check.checked, bad: check.bad }, { checked: certs! + 30, bad: 0 });

    const audit = await p.store.db
      .selectFrom('audit_log')
      .select(['action', 'target_id', 'summary'])
      .where('action', '=', 'certificate.issue')
      .where(
        'target_id',
        'in',
        issued.map((c) => c.serial),
      )
      .execute();
    assert.equal(audit.length, 30);
    const stored = await p.store.db
      .selectFrom('certificates')
      .select(['serial', 'card_id', 'sha256'])
      .where(
        'serial',
        'in',
        issued.map((c) => c.serial),
      )
      .execute();
    assert.deepEqual(
      new Map(stored.map((s) => [s.serial, s.sha256])),
      new Map(issued.map((c) => [c.serial, c.sha256])),
    );
    assert.equal(stored.find((s) => s.serial === issued[29]!.serial)?.card_id, 'carte-0009');
    const chain = await verifyAuditChain(p.store);
    assert.equal(chain.ok, true, JSON.stringify(chain.firstBroken));
  });

  it('refuses bad public keys in French and writes nothing, alone or anywhere in a batch', async () => {
    const admin = await actorFor(p.ctx, 'admin.national');
    const before = await counts();
    const p384 = new Uint8Array(
      generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'der' }),
    );
    const rsa1024 = new Uint8Array(
      generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' }),
    );
    const ed25519 = new Uint8Array(generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }));
    const good = cardKey();
    const offCurve = good.slice();
    offCurve[offCurve.length - 1] = offCurve[offCurve.length - 1]! ^ 0x01; // y no longer matches x
    const trailing = new Uint8Array([...good, 0x00]);
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array([1, 2, 3]), /Clé publique illisible/],
      [new Uint8Array(), /Clé publique illisible/],
      [trailing, /Clé publique illisible/],
      [p384, /Courbe secp384r1 non admise : P-256 attendue/],
      [rsa1024, /Clé RSA trop courte \(1024 bits\)/],
      [ed25519, /Type de clé non admis/],
      [offCurve, /point hors de la courbe/],
    ];
    for (const [spki, message] of cases) {
      await fails(
        issueForPublicKey(p.ctx, admin, pki, { spki, profile: 'auth', agentIdentifier: HUGUES }),
        'invalid',
        message,
      );
    }
    await fails(
      issueForPublicKey(p.ctx, admin, pki, { spki: good, profile: 'chiffre', agentIdentifier: HUGUES }),
      'invalid',
      /Profil de certificat inconnu/,
    );
    await fails(
      issueForPublicKey(p.ctx, admin, pki, { spki: good, profile: 'auth', agentIdentifier: 'inconnu' }),
      'not_found',
      /Agent inconnu/,
    );

    // One bad key at the end of a batch: the whole batch is refused, naming the item, nothing written.
    const items: IssueForPublicKeyInput[] = AGENTS.map((agentIdentifier) => ({
      spki: cardKey(),
      profile: 'auth',
      agentIdentifier,
    }));
    items.push({ spki: p384, profile: 'sign', agentIdentifier: '1003456789' });
    await fails(
      issueBatch(p.ctx, admin, pki, items, { chunk: 3 }),
      'invalid',
      /^Lot refusé, élément n° 11 \(1003456789, sign\) : Courbe secp384r1 non admise.*Aucun certificat n'a été émis\.$/,
    );
    await fails(
      issueBatch(p.ctx, admin, pki, [
        { spki: good, profile: 'auth', agentIdentifier: HUGUES },
        { spki: good, profile: 'auth', agentIdentifier: 'personne' },
      ]),
      'not_found',
      /élément n° 2 \(personne, auth\) : Agent inconnu/,
    );
    assert.deepEqual(await counts(), before);
    assert.deepEqual(await issueBatch(p.ctx, admin, pki, []), []);
  });

  it('refuses a batch the actor may not issue, recording the refusal only', async () => {
    const local = await actorFor(p.ctx, 'martin.c77011');
    const [certs] = await counts();
    await fails(
      issueBatch(p.ctx, local, pki, [{ spki: cardKey(), profile: 'auth', agentIdentifier: HUGUES }]),
      'forbidden',
      /^Lot refusé, élément n° 1 .*droits nécessaires/,
    );
    assert.equal(await countRows(p.store.db, 'certificates'), certs);
    const refusal = await p.store.db
      .selectFrom('audit_log')
      .select(['outcome', 'action'])
      .where('outcome', '=', 'refused')
      .where('action', '=', 'pki.admin')
      .executeTakeFirst();
    assert.ok(refusal, 'the refusal is audited');
  });
});
