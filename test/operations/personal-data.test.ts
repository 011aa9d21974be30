// The personal-data lifecycle: the retention pass erases an agent 7 years after the end of their
// cards (dry run first), tombstones the audit records about them while `verify-audit` stays intact
// and still catches a forged erasure; the subject access export (JSON, PDF) and who may ask for it;
// the head of centre's check of the operations journal; the instance's readiness.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, it } from 'node:test';
import { systemActor } from '../../src/app/context.ts';
import { setAgentStatus, uploadPhoto } from '../../src/app/directory/agents.ts';
import { runRetention } from '../../src/app/operations/retention.ts';
import { exportPersonalData, personalDataPdf } from '../../src/app/operations/personal-data.ts';
import { checkJournalEntry, listJournal, recordOperation } from '../../src/app/operations/journal.ts';
import { readiness } from '../../src/app/operations/health.ts';
import { authorize } from '../../src/app/access/authorize.ts';
import { pkiEnvironment } from '../../src/app/pki/certificates.ts';
import { loadDemoPki } from '../../src/app/demo/pki.ts';
import { verifyAuditChain } from '../../src/store/audit.ts';
import { AppError } from '../../src/app/errors.ts';
import { actorFor, agentId, forEachDatabase, openTestPlatform, type TestPlatform } from '../support/platform.ts';
import { issueCertificate, sharedSecrets } from '../support/operations.ts';

const PHOTO = new Uint8Array(readFileSync(new URL('../fixtures/photo-valid.jpg', import.meta.url)));
const YEAR = 365.25 * 86_400_000;

forEachDatabase('personal data and the operations journal', (dialect) => {
  let p: TestPlatform;
  const env = sharedSecrets();
  before(async () => {
    p = await openTestPlatform(dialect, { env });
  });
  after(async () => {
    await p?.close();
  });

  it('exports everything held about an agent, to the agent and to those in scope only', async () => {
    const pki = pkiEnvironment(p.config, env);
    await loadDemoPki(p.ctx, pki);
    const serial = await issueCertificate(p.ctx, pki, '2010002684dh');
    const hugues = await agentId(p.ctx, '2010002684dh');
    await uploadPhoto(p.ctx, await actorFor(p.ctx, 'martin.c77011'), hugues, PHOTO);

    const own = await exportPersonalData(p.ctx, await actorFor(p.ctx, '2010002684dh'), hugues);
    assert.equal(own.agent['identifier'], '2010002684dh');
    assert.equal(own.agent['last_name'], 'DILINDIEN');
    assert.equal(own.photo?.width, 283);
    assert.deepEqual(Buffer.from(own.photo!.jpegBase64, 'base64'), Buffer.from(PHOTO));
    assert.deepEqual(
      own.certificates.map((c) => c['serial']),
      [serial],
    );
    assert.ok(own.auditRecords.some((r) => r['action'] === 'agent.photo'));
    assert.equal('search_text' in own.agent, false);
    const viaRa = await exportPersonalData(p.ctx, await actorFor(p.ctx, 'lefebvre.s77'), hugues);
    assert.equal(viaRa.agent['id'], hugues);
    // An operator of the town has no right to it; a registration authority of another scope neither.
    for (const who of ['martin.c77011', '1001234567'])
      await assert.rejects(
        exportPersonalData(p.ctx, await actorFor(p.ctx, who), hugues),
        (err: unknown) => err instanceof AppError && err.code === 'forbidden',
        who,
      );
    const pdf = Buffer.from(await personalDataPdf(own));
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
    const exports = await p.store.db
      .selectFrom('audit_log')
      .select(['actor_id', 'outcome'])
      .where('action', '=', 'personalData.export')
      .where('target_id', '=', hugues)
      .execute();
    assert.equal(exports.filter((e) => e.outcome === 'ok').length, 2);
  });

  it('erases an agent 7 years after they left: dry run first, audit tombstones, chain intact', async () => {
    const admin = await actorFor(p.ctx, 'admin.national');
    const brestAgent = await agentId(p.ctx, '1003456789');
    await setAgentStatus(p.ctx, admin, brestAgent, 'inactive');
    const periods = p.config.operations.retention;
    const records = async () =>
      p.store.db
        .selectFrom('audit_log')
        .select(['seq', 'summary', 'purged_at'])
        .where('target_id', '=', brestAgent)
        .orderBy('seq')
        .execute();
    const before = await records();
    assert.ok(before.length >= 1);

    // Six years on, nothing is due.
    p.ctx.now = () => new Date(Date.now() + 6 * YEAR);
    assert.equal((await runRetention(p.ctx, systemActor('test'), periods, { dryRun: true })).counts.agentsErased, 0);
    // Eight years on: the dry run counts without changing anything, the pass erases.
    p.ctx.now = () => new Date(Date.now() + 8 * YEAR);
    const dry = await runRetention(p.ctx, systemActor('test'), periods, { dryRun: true });
    assert.equal(dry.counts.agentsErased, 1);
    const unchanged = await p.store.db
      .selectFrom('agents')
      .select(['last_name', 'status'])
      .where('id', '=', brestAgent)
      .executeTakeFirstOrThrow();
    assert.equal(unchanged.status, 'inactive');
    const done = await runRetention(p.ctx, systemActor('test'), periods);
    p.ctx.now = () => new Date();
    assert.equal(done.counts.agentsErased, 1);
    assert.equal(done.counts.auditRecordsTombstoned, before.length);
    const erased = await p.store.db
      .selectFrom('agents')
      .selectAll()
      .where('id', '=', brestAgent)
      .executeTakeFirstOrThrow();
    assert.deepEqual(
      [erased.status, erased.last_name, erased.email, erased.birth_date, erased.search_text],
      ['purged', 'EFFACÉ', null, '0001-01-01', ''],
    );
    const after = await records();
    assert.ok(after.slice(0, before.length).every((r) => r.purged_at && r.summary === '{"effacé":true}'));
    const erasure = after.at(-1)!;
    assert.equal(erasure.purged_at, null, 'the erasure itself is recorded, not erased');
    const chain = await verifyAuditChain(p.store);
    assert.ok(chain.ok, JSON.stringify(chain.firstBroken));
    const journal = await listJournal(p.ctx, await actorFor(p.ctx, 'admin.national'), { kind: 'retention' });
    assert.equal(journal.items[0]?.summary['agentsErased'], 1);

    // Blanking another record and calling it an erasure is still caught.
    const victim = await p.store.db
      .selectFrom('audit_log')
      .select(['seq'])
      .where('purged_at', 'is', null)
      .orderBy('seq')
      .limit(1)
      .executeTakeFirstOrThrow();
    await p.store.db
      .updateTable('audit_log')
      .set({ summary: '{"effacé":true}', purged_at: new Date().toISOString(), purge_mac: 'ab'.repeat(32) })
      .where('seq', '=', victim.seq)
      .execute();
    const broken = await verifyAuditChain(p.store);
    assert.equal(broken.ok, false);
    assert.equal(broken.firstBroken?.seq, victim.seq);
    assert.match(broken.firstBroken?.reason ?? '', /effacement scellé/);
  });

  it('records the head of centre’s check of a backup, once, by someone allowed to', async () => {
    const admin = await actorFor(p.ctx, 'admin.national');
    const actor = systemActor('backup');
    const id = await recordOperation(p.ctx, actor, await authorize(p.ctx, actor, 'operations.manage', null), {
      kind: 'backup',
      status: 'ok',
      reason: 'daily',
      backupId: 'b-1',
      location: '/sauvegardes/b-1',
      summary: { size: 1 },
    });
    await assert.rejects(
      checkJournalEntry(p.ctx, await actorFor(p.ctx, 'auditeur.externe'), id, 'vu'),
      (err: unknown) => err instanceof AppError && err.code === 'forbidden',
    );
    await assert.rejects(
      checkJournalEntry(p.ctx, admin, id, ' '),
      (err: unknown) => err instanceof AppError && err.code === 'invalid',
    );
    const done = await checkJournalEntry(p.ctx, admin, id, 'Bande présente dans le coffre ignifugé, étiquetée.');
    assert.equal(done.id, id);
    await assert.rejects(
      checkJournalEntry(p.ctx, admin, id, 'deuxième contrôle'),
      (err: unknown) => err instanceof AppError && err.code === 'invalid',
    );
    const listed = await listJournal(p.ctx, await actorFor(p.ctx, 'auditeur.externe'));
    const entry = listed.items.find((e) => e.id === id)!;
    assert.equal(entry.checkNote, 'Bande présente dans le coffre ignifugé, étiquetée.');
    assert.equal(entry.checkedBy, admin.agentId);
    await assert.rejects(
      listJournal(p.ctx, await actorFor(p.ctx, 'martin.c77011')),
      (err: unknown) => err instanceof AppError && err.code === 'forbidden',
    );
  });

  it('is ready with its database, schema, disk and keys; not with too little disk', async () => {
    const pki = pkiEnvironment(p.config, env);
    const ready = await readiness(p.ctx, p.config, pki.kek);
    assert.ok(ready.ready, JSON.stringify(ready.checks));
    assert.match(ready.checks.keys.detail, /6 clé/);
    const full = await readiness(
      p.ctx,
      { ...p.config, operations: { ...p.config.operations, minFreeDiskMb: 1_000_000_000 } },
      pki.kek,
    );
    assert.equal(full.ready, false);
    assert.equal(full.checks.disk.ok, false);
    assert.match(full.checks.disk.detail, /espace libre/);
  });
});
