// The OCSP responder as served: answers signed ahead and shared through the database, status changes
// followed through the change log by every responder (two responders here, each with its own database
// connection, as two processes have), the timers' queries checked to be index searches, expired
// certificates answered with their real status and the archive cutoff. Answers checked with openssl.
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompiledQuery } from 'kysely';
import { forEachDatabase, openTestPlatform, actorFor, type TestPlatform } from '../support/platform.ts';
import { openssl } from '../support/openssl.ts';
import {
  acceptCertificate,
  expireCertificates,
  initPki,
  issueBatch,
  pkiEnvironment,
  revokeCertificate,
  suspendCertificate,
  type PkiEnvironment,
} from '../../src/app/pki/certificates.ts';
import { drainOcspSigner, ocspQueries, openOcspSource, type OcspSource } from '../../src/app/pki/ocsp-responder.ts';
import { makeContext, type AppContext } from '../../src/app/context.ts';
import { openStore, type Store } from '../../src/store/database.ts';
import { createMailer } from '../../src/notify/mailer.ts';
import { issuerIdentity, toHex } from '../../src/pki/ocsp.ts';
import { signCertificateEvent } from '../support/signing.ts';

forEachDatabase('OCSP responder: pre-signed answers and the change log', (dialect) => {
  let p: TestPlatform;
  let pki: PkiEnvironment;
  let dir: string;
  let first: OcspSource;
  // A second responder: its own connection to the same database, as another process would have.
  let otherStore: Store;
  let otherCtx: AppContext;
  let second: OcspSource;
  let serials: string[];

  const pem = (der: Uint8Array) =>
    `-----BEGIN CERTIFICATE-----\n${Buffer.from(der)
      .toString('base64')
      .replace(/(.{64})/g, '$1\n')
      .trim()}\n-----END CERTIFICATE-----\n`;

  /** openssl's reading of an answer for `serial` (signature checked against the chain). */
  const read = async (der: Uint8Array, serial: string) => {
    const file = join(dir, `${serial}-${Math.random().toString(36).slice(2)}.der`);
    writeFileSync(file, der);
    const r = await openssl([
      'ocsp',
      '-respin',
      file,
      '-issuer',
      join(dir, 'issuer.pem'),
      '-serial',
      `0x${serial}`,
      '-CAfile',
      join(dir, 'root.pem'),
      '-verify_other',
      join(dir, 'issuer.pem'),
      '-no_nonce',
      '-resp_text',
    ]);
    assert.match(r.out, /Response verify OK/, r.out);
    return r.out;
  };

  const authorityOf = async (source: OcspSource) => {
    const ca = await p.store.db
      .selectFrom('certification_authorities')
      .select('certificate_der')
      .where('name', '=', 'collectivites')
      .executeTakeFirstOrThrow();
    const a = await source.responderFor(toHex(issuerIdentity(ca.certificate_der).hashes.sha1.keyHash), 'sha1');
    assert.ok(a);
    return a;
  };

  /** Asks `source` until the answer reads `expected` (its timer must bring the change), bounded. */
  const until = async (source: OcspSource, serial: string, expected: RegExp): Promise<string> => {
    const authority = await authorityOf(source);
    let out = '';
    for (let i = 0; i < 200; i++) {
      const answer = await source.presigned(authority, serial);
      assert.ok(answer);
      out = await read(answer.der, serial);
      if (expected.test(out)) return out;
      await new Promise((r) => setTimeout(r, 50));
    }
    return out;
  };

  before(async () => {
    p = await openTestPlatform(dialect);
    dir = mkdtempSync(join(tmpdir(), 'cartes-ocsp-responder-'));
    pki = pkiEnvironment(p.config, {});
    const admin = await actorFor(p.ctx, 'admin.national');
    await initPki(p.ctx, admin, pki, {
      custodianSecrets: ['premier secret du dépositaire', 'second secret du dépositaire'],
    });
    for (const [name, file] of [
      ['collectivites', 'issuer.pem'],
      ['root', 'root.pem'],
    ] as const) {
      const ca = await p.store.db
        .selectFrom('certification_authorities')
        .select('certificate_der')
        .where('name', '=', name)
        .executeTakeFirstOrThrow();
      writeFileSync(join(dir, file), pem(ca.certificate_der));
    }
    const spki = () =>
      new Uint8Array(
        generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }),
      );
    const issued = await issueBatch(
      p.ctx,
      admin,
      pki,
      Array.from({ length: 5 }, () => ({ spki: spki(), profile: 'auth' as const, agentIdentifier: '2010002684dh' })),
    );
    serials = issued.map((c) => c.serial);
    first = await openOcspSource(p.ctx, pki, { pollMs: 50 });
    otherStore = openStore(p.dbTarget, { auditKey: p.store.auditKey });
    otherCtx = makeContext(
      otherStore,
      createMailer({ from: 'x@y', smtpUrl: null, mailDir: join(dir, 'mails') }),
      p.dataDir,
    );
    second = await openOcspSource(otherCtx, pki, { pollMs: 50 });
  });
  after(async () => {
    await second?.stop();
    await first?.stop();
    await otherStore?.close();
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs an answer ahead for every certificate issued; another responder serves them from the database without signing', async () => {
    // The first source holds the background signer's lease: it signs what issuance logged.
    await drainOcspSigner(first, 60_000);
    const stored = await p.store.db
      .selectFrom('ocsp_responses')
      .select(['serial', 'next_update', 'this_update', 'refresh_at'])
      .where('serial', 'in', serials)
      .execute();
    assert.equal(stored.length, serials.length);
    for (const r of stored) {
      // 12 hours of validity, signed again at most 6 hours after (README « OCSP »).
      assert.equal(Date.parse(r.next_update) - Date.parse(r.this_update), 12 * 3600_000);
      assert.ok(Date.parse(r.refresh_at) - Date.parse(r.this_update) <= 6 * 3600_000);
      assert.ok(Date.parse(r.refresh_at) - Date.parse(r.this_update) >= 4.5 * 3600_000);
    }
    const authority = await authorityOf(second);
    const signedBefore = second.pool.done;
    const answer = await second.presigned(authority, serials[0]!);
    assert.ok(answer);
    assert.match(await read(answer.der, serials[0]!), new RegExp(`0x${serials[0]}: good`));
    assert.equal(second.pool.done, signedBefore, 'the second responder did not sign');
    const row = await p.store.db
      .selectFrom('ocsp_responses')
      .select('der')
      .where('serial', '=', serials[0]!)
      .executeTakeFirstOrThrow();
    assert.deepEqual(Buffer.from(answer.der), Buffer.from(row.der));
    // Memory next: the same bytes again without reading the database.
    const reads = second.stats().storeReads;
    assert.deepEqual(Buffer.from((await second.presigned(authority, serials[0]!))!.der), Buffer.from(row.der));
    assert.equal(second.stats().storeReads, reads);
  });

  it('a status change reaches the second responder through the change log, with index searches only', async () => {
    const admin = await actorFor(p.ctx, 'admin.national');
    const authority = await authorityOf(second);
    for (const s of serials.slice(0, 3)) await second.presigned(authority, s); // all in its memory now
    assert.match(await until(second, serials[0]!, /good/), /good/);

    // Made and re-signed by the first process (the API route calls sync() once the change commits).
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
    await first.sync();
    assert.match(
      await until(second, serials[0]!, /revoked/),
      new RegExp(`0x${serials[0]}: revoked[\\s\\S]*Reason: keyCompromise`),
    );

    // Made by a process without a responder (as `cartes ca suspend`): nobody calls sync().
    await acceptCertificate(
      p.ctx,
      admin,
      serials[1]!,
      await signCertificateEvent(p, 'admin.national', admin, serials[1]!, { kind: 'accept' }, { pki }),
    );
    await suspendCertificate(
      p.ctx,
      admin,
      serials[1]!,
      await signCertificateEvent(p, 'admin.national', admin, serials[1]!, { kind: 'suspend' }, { pki }),
    );
    assert.match(
      await until(second, serials[1]!, /revoked/),
      new RegExp(`0x${serials[1]}: revoked[\\s\\S]*Reason: certificateHold`),
    );

    // The queries of the timers: index searches whatever the size of the tables.
    const extra = Array.from({ length: 5000 }, (_, i) => ({
      serial: `ff${i.toString(16).padStart(8, '0')}`,
      ca_id: 'x',
      changed_at: new Date(0).toISOString(),
    }));
    for (let i = 0; i < extra.length; i += 500)
      await p.store.db
        .insertInto('certificate_status_changes')
        .values(extra.slice(i, i + 500))
        .execute();
    const future = new Date(Date.UTC(2100, 0, 1)).toISOString();
    for (let i = 0; i < extra.length; i += 500)
      await p.store.db
        .insertInto('ocsp_responses')
        .values(
          extra.slice(i, i + 500).map((e) => ({
            serial: e.serial,
            ca_id: 'x',
            responder_id: 'x',
            der: Uint8Array.of(0),
            this_update: future,
            next_update: future,
            refresh_at: future,
            change_id: 0,
          })),
        )
        .execute();
    const plan = async (q: { sql: string; parameters: readonly unknown[] }) => {
      const explain = dialect === 'postgres' ? 'explain ' : 'explain query plan ';
      const r = await p.store.db.executeQuery<Record<string, unknown>>(
        CompiledQuery.raw(explain + q.sql, [...q.parameters]),
      );
      return r.rows.map((row) => String(row['QUERY PLAN'] ?? row['detail'])).join('\n');
    };
    if (dialect === 'postgres') await p.store.db.executeQuery(CompiledQuery.raw('analyze'));
    const last = Number(
      (
        await p.store.db
          .selectFrom('certificate_status_changes')
          .select((eb) => eb.fn.max('id').as('m'))
          .executeTakeFirstOrThrow()
      ).m,
    );
    const changes = await plan(ocspQueries.changesAfter(p.store.db, last - 10, 2000).compile());
    const due = await plan(ocspQueries.dueAnswers(p.store.db, new Date().toISOString(), 200).compile());
    const stored = await plan({ sql: ocspQueries.storedAnswer(dialect), parameters: [serials[0]!] });
    if (dialect === 'sqlite') {
      assert.match(changes, /SEARCH certificate_status_changes USING INTEGER PRIMARY KEY \(rowid>\?\)/, changes);
      assert.match(due, /SEARCH ocsp_responses USING INDEX ocsp_responses_refresh \(refresh_at<\?\)/, due);
      assert.match(stored, /SEARCH ocsp_responses USING INDEX sqlite_autoindex_ocsp_responses_1 \(serial=\?\)/, stored);
      for (const text of [changes, due, stored]) assert.doesNotMatch(text, /\bSCAN\b/, text);
    } else {
      assert.match(changes, /Index Scan using certificate_status_changes_pkey/, changes);
      assert.match(due, /Index Scan using ocsp_responses_refresh/, due);
      assert.match(stored, /Index Scan using ocsp_responses_pkey/, stored);
      for (const text of [changes, due, stored]) assert.doesNotMatch(text, /Seq Scan/, text);
    }
  });

  it('an expired certificate keeps answering its real status, with the archive cutoff (RFC 6960 §4.4.4)', async () => {
    const admin = await actorFor(p.ctx, 'admin.national');
    const [good, held] = [serials[3]!, serials[4]!];
    await acceptCertificate(
      p.ctx,
      admin,
      good,
      await signCertificateEvent(p, 'admin.national', admin, good, { kind: 'accept' }, { pki }),
    );
    await acceptCertificate(
      p.ctx,
      admin,
      held,
      await signCertificateEvent(p, 'admin.national', admin, held, { kind: 'accept' }, { pki }),
    );
    await suspendCertificate(
      p.ctx,
      admin,
      held,
      await signCertificateEvent(p, 'admin.national', admin, held, { kind: 'suspend' }, { pki }),
    );
    // Certificates that ended yesterday (fixture: their validity moved back), expired by the daily pass
    // through the state machine.
    await p.store.db
      .updateTable('certificates')
      .set({ not_after: new Date(Date.now() - 86_400_000).toISOString() })
      .where('serial', 'in', [good, held])
      .execute();
    const expired = await expireCertificates(p.ctx, admin);
    assert.deepEqual(expired.filter((s) => s === good || s === held).sort(), [good, held].sort());
    const cutoffYear = new Date().getUTCFullYear() - 7;
    const g = await until(second, good, /Archive Cutoff/);
    assert.match(g, new RegExp(`0x${good}: good`), g);
    assert.match(g, new RegExp(`OCSP Archive Cutoff:[\\s\\S]*${cutoffYear} GMT`), g);
    const h = await until(second, held, /Archive Cutoff/);
    assert.match(h, new RegExp(`0x${held}: revoked[\\s\\S]*Reason: certificateHold`), h);
    assert.match(h, /OCSP Archive Cutoff/, h);
  });
});
