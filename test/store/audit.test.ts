import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { headMac, verifyAuditChain, type AuditVerification } from '../../src/store/audit.ts';
import { auditHash } from '../../src/domain/audit-chain.ts';
import type { AuditTable } from '../../src/store/schema.ts';
import { forEachDatabase, openTestPlatform, type TestPlatform } from '../support/platform.ts';
import { cartes } from '../support/process.ts';

forEachDatabase('audit chain', (dialect) => {
  let p: TestPlatform;
  let n = 0;

  before(async () => {
    p = await openTestPlatform(dialect);
    n = (await p.store.db.selectFrom('audit_head').select('seq').executeTakeFirstOrThrow()).seq;
  });
  after(async () => {
    await p?.close();
  });

  const verify = (): Promise<AuditVerification> => verifyAuditChain(p.store);
  const row = async (seq: number): Promise<AuditTable> => ({
    ...(await p.store.db.selectFrom('audit_log').selectAll().where('seq', '=', seq).executeTakeFirstOrThrow()),
  });
  const reinsert = async (r: AuditTable): Promise<void> => {
    await p.store.db.insertInto('audit_log').values(r).execute();
  };
  async function assertIntact(when: string): Promise<void> {
    const v = await verify();
    assert.deepEqual(v, { ok: true, checked: n, headSeq: n, firstBroken: null }, `chain intact ${when}`);
  }
  function assertBrokenAt(v: AuditVerification, seq: number, reason: RegExp, what: string): void {
    assert.equal(v.ok, false, `${what}: detected`);
    assert.equal(v.firstBroken?.seq, seq, `${what}: first broken record`);
    assert.match(v.firstBroken?.reason ?? '', reason, what);
    assert.equal(v.headSeq, n);
  }
  /** Every position on SQLite; on PostgreSQL the ends, the middle and every 7th record. */
  function positions(): number[] {
    if (dialect === 'sqlite') return Array.from({ length: n }, (_, i) => i + 1);
    const s = new Set([1, 2, 3, Math.floor(n / 2), n - 1, n]);
    for (let i = 7; i < n; i += 7) s.add(i);
    return [...s].sort((a, b) => a - b);
  }

  it('is intact after the demo data is loaded, with a dense sequence and a head on the last record', async () => {
    assert.ok(n > 30, `demo data writes a real chain (${n} records)`);
    await assertIntact('after demo load');
    const seqs = await p.store.db.selectFrom('audit_log').select('seq').orderBy('seq').execute();
    assert.deepEqual(
      seqs.map((r) => r.seq),
      Array.from({ length: n }, (_, i) => i + 1),
    );
    const head = await p.store.db.selectFrom('audit_head').select(['seq', 'hash']).executeTakeFirstOrThrow();
    assert.equal(head.hash, (await row(n)).hash);
  });

  it('detects an edited summary at every position, naming that record', async () => {
    for (const k of positions()) {
      const before = await row(k);
      await sql`update audit_log set summary = ${'{"falsifie":true}'} where seq = ${k}`.execute(p.store.db);
      assertBrokenAt(await verify(), k, /modifié/, `edit of record ${k}`);
      await sql`update audit_log set summary = ${before.summary} where seq = ${k}`.execute(p.store.db);
    }
    await assertIntact('after restoring every edit');
  });

  it('detects edits of other fields (outcome, actor, time, evidence) too', async () => {
    const k = Math.floor(n / 2) + 1;
    const original = await row(k);
    const edits: [string, () => Promise<unknown>][] = [
      [
        'outcome',
        () =>
          sql`update audit_log set outcome = ${original.outcome === 'ok' ? 'refused' : 'ok'} where seq = ${k}`.execute(
            p.store.db,
          ),
      ],
      ['actor', () => sql`update audit_log set actor_id = ${'someone-else'} where seq = ${k}`.execute(p.store.db)],
      ['time', () => sql`update audit_log set at = ${'2000-01-01T00:00:00.000Z'} where seq = ${k}`.execute(p.store.db)],
      [
        'evidence',
        () => sql`update audit_log set evidence = ${'["piece-ajoutee"]'} where seq = ${k}`.execute(p.store.db),
      ],
    ];
    for (const [field, edit] of edits) {
      await edit();
      assertBrokenAt(await verify(), k, /modifié/, `edit of ${field} in record ${k}`);
      await p.store.db.deleteFrom('audit_log').where('seq', '=', k).execute();
      await reinsert(original);
    }
    await assertIntact('after restoring field edits');
  });

  it('detects a deleted record at every position, naming its number', async () => {
    for (const k of positions()) {
      const saved = await row(k);
      await sql`delete from audit_log where seq = ${k}`.execute(p.store.db);
      const v = await verify();
      if (k < n) assertBrokenAt(v, k, new RegExp(`numéro attendu ${k}, trouvé ${k + 1}`), `deletion of record ${k}`);
      else assertBrokenAt(v, k, /tête de chaîne annonce/, 'deletion of the last record');
      await reinsert(saved);
    }
    await assertIntact('after restoring every deletion');
  });

  it('detects reordering (two records swap their numbers) at the first of the two', async () => {
    const pairs: [number, number][] = [
      [1, 2],
      [Math.floor(n / 2), Math.floor(n / 2) + 1],
      [n - 1, n],
      [3, n - 2],
    ];
    for (const [a, b] of pairs) {
      await sql`update audit_log set seq = ${-1} where seq = ${a}`.execute(p.store.db);
      await sql`update audit_log set seq = ${a} where seq = ${b}`.execute(p.store.db);
      await sql`update audit_log set seq = ${b} where seq = ${-1}`.execute(p.store.db);
      assertBrokenAt(await verify(), a, /empreinte précédente ne correspond pas/, `swap of ${a} and ${b}`);
      await sql`update audit_log set seq = ${-1} where seq = ${a}`.execute(p.store.db);
      await sql`update audit_log set seq = ${a} where seq = ${b}`.execute(p.store.db);
      await sql`update audit_log set seq = ${b} where seq = ${-1}`.execute(p.store.db);
    }
    await assertIntact('after undoing the swaps');
  });

  it('detects a truncated tail (last records removed, head left alone)', async () => {
    for (const drop of [1, 3]) {
      const saved = await p.store.db
        .selectFrom('audit_log')
        .selectAll()
        .where('seq', '>', n - drop)
        .orderBy('seq')
        .execute();
      assert.equal(saved.length, drop);
      await sql`delete from audit_log where seq > ${n - drop}`.execute(p.store.db);
      const v = await verify();
      assertBrokenAt(
        v,
        n - drop + 1,
        /tête de chaîne annonce \d+ enregistrements, \d+ trouvés/,
        `truncation of ${drop} record(s)`,
      );
      assert.equal(v.checked, n - drop);
      for (const r of saved) await reinsert({ ...r });
    }
    await assertIntact('after restoring the tail');
  });

  it('detects a truncated tail whose head was rewritten without the sealing key', async () => {
    assert.ok(p.store.auditKey, 'the platform seals the head');
    const head = await p.store.db.selectFrom('audit_head').selectAll().executeTakeFirstOrThrow();
    const last = await row(n);
    const previous = await row(n - 1);
    await sql`delete from audit_log where seq = ${n}`.execute(p.store.db);
    try {
      // Without the key, a forger can leave the old seal, blank it, or seal with a key of their own.
      const forgedMacs = [head.mac, '', headMac(Buffer.alloc(32, 7), n - 1, previous.hash)];
      for (const mac of forgedMacs) {
        await sql`update audit_head set seq = ${n - 1}, hash = ${previous.hash}, mac = ${mac} where id = 1`.execute(
          p.store.db,
        );
        const v = await verify();
        assert.equal(v.ok, false, `forged head with mac « ${mac.slice(0, 8)}… » detected`);
        assert.equal(v.firstBroken?.seq, n - 1);
        assert.match(v.firstBroken?.reason ?? '', /sceau de la tête de chaîne est invalide/);
      }
    } finally {
      await sql`update audit_head set seq = ${head.seq}, hash = ${head.hash}, mac = ${head.mac} where id = 1`.execute(
        p.store.db,
      );
      await reinsert(last);
    }
    await assertIntact('after restoring the head and the last record');
  });

  it('detects a record rewritten with a recomputed hash at the next link', async () => {
    for (const k of [1, Math.floor(n / 2), n]) {
      const original = await row(k);
      const forged = { ...original, summary: '{"falsifie":true}' };
      forged.hash = auditHash(original.prev_hash, forged);
      await sql`update audit_log set summary = ${forged.summary}, hash = ${forged.hash} where seq = ${k}`.execute(
        p.store.db,
      );
      const v = await verify();
      if (k < n) assertBrokenAt(v, k + 1, /empreinte précédente/, `forged record ${k}`);
      else assertBrokenAt(v, n + 1, /tête de chaîne/, 'forged last record (head hash differs)');
      await sql`update audit_log set summary = ${original.summary}, hash = ${original.hash} where seq = ${k}`.execute(
        p.store.db,
      );
    }
    await assertIntact('after undoing the forgeries');
  });

  it('`cartes verify-audit` exits 0 on an intact chain and 2 with the record number once tampered', async () => {
    const args = ['--data', p.dataDir, '--db', p.dbTarget, 'verify-audit'];
    const ok = await cartes(args);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`Journal d'audit intègre : ${n} enregistrement\\(s\\) vérifié\\(s\\)\\.`));

    const k = Math.max(2, Math.floor(n / 3));
    const before = await row(k);
    await sql`update audit_log set summary = ${'{}'} where seq = ${k}`.execute(p.store.db);
    try {
      const bad = await cartes(args);
      assert.equal(bad.code, 2, bad.stdout + bad.stderr);
      assert.match(
        bad.stderr,
        new RegExp(
          `Journal d'audit ALTÉRÉ : premier enregistrement en défaut n° ${k} — l'empreinte ne correspond pas au contenu \\(enregistrement modifié\\)\\.`,
        ),
      );
      assert.equal(bad.stdout, '');
    } finally {
      await sql`update audit_log set summary = ${before.summary} where seq = ${k}`.execute(p.store.db);
    }
    await assertIntact('after the CLI check');
  });
});
