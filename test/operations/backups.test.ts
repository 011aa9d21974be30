// Backups on both databases: taken while an import writes, verified by a restore into a temporary
// place, restored elsewhere and over the live database; a restore continues the CRL numbering above
// anything published, replays the revocations published since, and refuses what it cannot replay.
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { systemActor } from '../../src/app/context.ts';
import { importAgents } from '../../src/app/directory/hr-import/import-agents.ts';
import { pkiEnvironment, revokeCertificate, type PkiEnvironment } from '../../src/app/pki/certificates.ts';
import { signCertificateEvent } from '../support/signing.ts';

import { newestCrlDer, publishCrl } from '../../src/app/pki/publication.ts';
import { loadDemoPki } from '../../src/app/demo/pki.ts';
import {
  backupSecrets,
  createBackup,
  listBackups,
  readManifest,
  restoreBackup,
  verifyBackup,
  type BackupManifest,
} from '../../src/app/operations/backups.ts';
import { listJournal } from '../../src/app/operations/journal.ts';
import { readCrl, serialKey } from '../../src/pki/crl-reader.ts';
import { countRows, verifyAuditChain } from '../../src/store/audit.ts';
import { openPlatform } from '../../src/platform.ts';
import { AppError } from '../../src/app/errors.ts';
import {
  actorFor,
  forEachDatabase,
  freshPgDatabase,
  openTestPlatform,
  orgId,
  tempDir,
  type TestPlatform,
} from '../support/platform.ts';
import { feed, issueCertificate, sharedSecrets, stream } from '../support/operations.ts';

forEachDatabase('backups', (dialect) => {
  const env = sharedSecrets();
  let p: TestPlatform;
  let pki: PkiEnvironment;
  let backupPath: string;
  let manifest: BackupManifest;
  const serials: string[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  /** An empty target: another data folder and another database, with the same secrets. */
  const emptyTarget = async () => {
    const dataDir = tempDir('cible');
    let db = join(dataDir, 'cartes.sqlite');
    if (dialect === 'postgres') {
      const fresh = await freshPgDatabase('cible');
      db = fresh.url;
      cleanups.push(fresh.drop);
    }
    return { dataDir, db };
  };
  const open = (t: { dataDir: string; db: string }) => openPlatform({ data: t.dataDir, db: t.db }, env);

  before(async () => {
    p = await openTestPlatform(dialect, { env });
    pki = pkiEnvironment(p.config, env);
    await loadDemoPki(p.ctx, pki);
    for (let i = 0; i < 3; i++) serials.push(await issueCertificate(p.ctx, pki));
  });
  after(async () => {
    await p?.close();
    for (const c of cleanups) await c().catch(() => undefined);
  });

  it('takes a consistent backup while an import writes, and verifies it', async () => {
    const ra = await actorFor(p.ctx, 'lefebvre.s77');
    const bytes = feed(6000);
    const before = await countRows(p.store.db, 'agents');
    const importing = importAgents(p.ctx, ra, {
      organizationId: await orgId(p.ctx, '77011'),
      format: 'csv',
      full: false,
      fileName: 'pendant-la-sauvegarde.csv',
      input: stream(bytes),
      bytesTotal: bytes.length,
      batchRows: 300,
    });
    // Start the backup once the first batches are in.
    for (let i = 0; i < 400 && (await countRows(p.store.db, 'agents')) === before; i++)
      await new Promise((r) => setTimeout(r, 10));
    const taken = await createBackup(p.ctx, systemActor('test'), p.config);
    const run = await importing;
    assert.equal(run.status, 'done');
    backupPath = taken.path;
    manifest = taken.manifest;
    // A snapshot of one instant: some of the import's agents, and exactly the audit records of then.
    const agents = manifest.tables['agents']!;
    assert.ok(agents >= before && agents <= before + 6000, `${agents} agents in the backup`);
    assert.equal(manifest.dialect, dialect);
    assert.ok(manifest.auditHead && manifest.auditHead.seq > 0);
    assert.ok(manifest.parts.some((x) => x.path.startsWith('database.')));
    assert.ok(
      manifest.parts.some((x) => x.path.startsWith('files/pki/root/')),
      'the root key (under dual control)',
    );
    assert.equal(existsSync(join(backupPath, 'files', 'pki', 'kek')), false, 'the KEK is kept apart');
    assert.equal((await listBackups(p.config))[0]?.id, manifest.id);

    const report = await verifyBackup(p.config, backupSecrets(p.ctx, p.config, env), backupPath, {
      journal: { ctx: p.ctx, actor: systemActor('test') },
    });
    assert.ok(report.ok, JSON.stringify(report.checks));
    assert.ok(report.checks.some((c) => c.label.startsWith('Chaîne du journal') && c.ok));
    assert.ok(report.checks.some((c) => c.label.startsWith('Clés de service') && c.ok && /6 clé/.test(c.detail!)));
    const journal = await listJournal(p.ctx, await actorFor(p.ctx, 'admin.national'));
    assert.deepEqual(
      journal.items.slice(0, 2).map((e) => [e.kind, e.status, e.backupId]),
      [
        ['verify', 'ok', manifest.id],
        ['backup', 'ok', manifest.id],
      ],
    );
  });

  it('finds a part changed after the backup', async () => {
    const copy = tempDir('alteree');
    cleanups.push(async () => rmSync(copy, { recursive: true, force: true }));
    cpSync(backupPath, copy, { recursive: true });
    const part = manifest.parts.find((x) => x.path.startsWith('database.'))!;
    const bytes = readFileSync(join(copy, part.path));
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(join(copy, part.path), bytes);
    const report = await verifyBackup(p.config, backupSecrets(p.ctx, p.config, env), copy);
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.checks.filter((c) => c.label.startsWith('Empreinte de')).map((c) => [c.label, c.ok, c.detail]),
      [[`Empreinte de ${part.path}`, false, 'contenu modifié (SHA-256 différent)']],
    );
    const target = await emptyTarget();
    await assert.rejects(
      restoreBackup({ ...p.config, dataDir: target.dataDir, db: target.db }, copy, { env }),
      /Sauvegarde altérée/,
    );
    assert.equal(existsSync(join(target.dataDir, 'cartes.sqlite')), false, 'nothing restored');
  });

  it('restores elsewhere: counts and audit head of the backup, CRL numbering above what was published since, revocations replayed', async () => {
    const admin = await actorFor(p.ctx, 'admin.national');
    await revokeCertificate(
      p.ctx,
      admin,
      serials[0]!,
      'keyCompromise',
      await signCertificateEvent(
        p,
        'admin.national',
        admin,
        serials[0]!,
        { kind: 'revoke', reason: 'keyCompromise' },
        { pki },
      ),
    );
    const published = await publishCrl(p.ctx, pki, 'collectivites');
    const crlFile = join(tempDir('crl'), 'collectivites.crl');
    writeFileSync(crlFile, (await newestCrlDer(p.ctx, 'collectivites'))!);

    const target = await emptyTarget();
    // Without the CRLs published since, the restore cannot know where numbering stands: refused.
    await assert.rejects(
      restoreBackup({ ...p.config, dataDir: target.dataDir, db: target.db }, backupPath, { env }),
      (err: unknown) => err instanceof AppError && /CRL publiées depuis la sauvegarde sont inconnues/.test(err.message),
    );
    const otherCrls = tempDir('crls');
    for (const ca of ['etat', 'armees']) writeFileSync(join(otherCrls, `${ca}.crl`), (await newestCrlDer(p.ctx, ca))!);
    const report = await restoreBackup({ ...p.config, dataDir: target.dataDir, db: target.db }, backupPath, {
      env,
      crlSources: [crlFile, otherCrls],
    });
    assert.equal(report.replayed, 1);
    assert.equal(report.crlNumbers['collectivites'], published.crlNumber + 1);

    const restored = await open(target);
    try {
      const db = restored.store.db;
      for (const [table, n] of Object.entries(manifest.tables))
        if (!['jobs', 'operations_journal', 'audit_log', 'audit_head', 'certificates'].includes(table))
          assert.equal(await countRows(db, table as 'agents'), n, table);
      const chain = await verifyAuditChain(restored.store);
      assert.ok(chain.ok, JSON.stringify(chain.firstBroken));
      const atBackup = await db
        .selectFrom('audit_log')
        .select(['hash'])
        .where('seq', '=', manifest.auditHead!.seq)
        .executeTakeFirstOrThrow();
      assert.equal(atBackup.hash, manifest.auditHead!.hash, 'the chain of the backup, continued');
      const replay = await db
        .selectFrom('audit_log')
        .select(['action', 'target_id'])
        .where('action', '=', 'pki.certificate.replay')
        .execute();
      assert.deepEqual(
        replay.map((r) => r.target_id),
        [serials[0]],
      );
      const c0 = await db
        .selectFrom('certificates')
        .select(['status', 'revocation_reason'])
        .where('serial', '=', serials[0]!)
        .executeTakeFirstOrThrow();
      assert.deepEqual([c0.status, c0.revocation_reason], ['revoked', 'keyCompromise']);
      // The next CRL of the restored installation comes after everything published, and lists the revocation.
      const next = await publishCrl(restored.ctx, pkiEnvironment(restored.config, env), 'collectivites');
      assert.equal(next.crlNumber, published.crlNumber + 1);
      const crl = readCrl((await newestCrlDer(restored.ctx, 'collectivites'))!);
      assert.ok(crl.entries.some((e) => serialKey(e.serialHex) === serialKey(serials[0]!)));
      const journal = await db.selectFrom('operations_journal').select(['kind', 'status']).execute();
      assert.ok(journal.some((e) => e.kind === 'restore' && e.status === 'ok'));
    } finally {
      await restored.store.close();
    }
  });

  it('refuses to replace a live database without --force, then replaces it and continues its numbering', async () => {
    const beforeNumber = (await publishCrl(p.ctx, pki, 'collectivites')).crlNumber;
    await assert.rejects(
      restoreBackup(p.config, backupPath, { env }),
      (err: unknown) => err instanceof AppError && err.code === 'conflict' && /--force/.test(err.message),
    );
    const report = await restoreBackup(p.config, backupPath, { env, force: true });
    assert.equal(report.crlNumbers['collectivites'], beforeNumber + 1, 'read from the database being replaced');
    assert.equal(report.replayed, 1);
    // SQLite: the file was replaced under this platform; open it again.
    await p.store.close();
    const reopened = await openPlatform({ data: p.dataDir, db: p.dbTarget }, env);
    cleanups.push(() => reopened.store.close());
    p.store = reopened.store;
    p.ctx = reopened.ctx;
    const chain = await verifyAuditChain(p.store);
    assert.ok(chain.ok, JSON.stringify(chain.firstBroken));
    assert.equal((await publishCrl(p.ctx, pki, 'collectivites')).crlNumber, beforeNumber + 1);
    const c0 = await p.store.db
      .selectFrom('certificates')
      .select('status')
      .where('serial', '=', serials[0]!)
      .executeTakeFirstOrThrow();
    assert.equal(c0.status, 'revoked', 'never brought back');
  });

  it('refuses, before changing anything, a restore that would drop a revocation it cannot replay', async () => {
    // Issued after the backup, then revoked: the backup does not know it.
    const late = await issueCertificate(p.ctx, pki);
    const lateAdmin = await actorFor(p.ctx, 'admin.national');
    await revokeCertificate(
      p.ctx,
      lateAdmin,
      late,
      'superseded',
      await signCertificateEvent(
        p,
        'admin.national',
        lateAdmin,
        late,
        { kind: 'revoke', reason: 'superseded' },
        { pki },
      ),
    );
    await publishCrl(p.ctx, pki, 'collectivites');
    const agentsBefore = await countRows(p.store.db, 'agents');
    await assert.rejects(
      restoreBackup(p.config, backupPath, { env, force: true }),
      (err: unknown) => err instanceof AppError && err.message.includes(late) && /plus récente/.test(err.message),
    );
    assert.equal(await countRows(p.store.db, 'agents'), agentsBefore, 'nothing changed');
    const c = await p.store.db
      .selectFrom('certificates')
      .select('status')
      .where('serial', '=', late)
      .executeTakeFirstOrThrow();
    assert.equal(c.status, 'revoked');
    assert.ok((await readManifest(backupPath)).id);
  });
});
