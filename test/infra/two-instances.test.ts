// Fault scenarios with two real `cartes serve` processes (started through bin/cartes.js) on one
// PostgreSQL of their own, which the suite stops and starts: the database restarted under load, daily
// passes run at the same time (each mail once, on a real SMTP server), CRL numbers from both instances,
// a backup taken during an import then restored and verified, a crash during an import then a start.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { openPlatform } from '../../src/platform.ts';
import { loadDemoData } from '../../src/app/demo/directory.ts';
import { loadDemoPki } from '../../src/app/demo/pki.ts';
import { pkiEnvironment } from '../../src/app/pki/certificates.ts';
import type { RevocationReason } from '../../src/domain/certificate-status.ts';
import { createSignInLink } from '../../src/app/access/sessions.ts';
import { systemActor, type AppContext } from '../../src/app/context.ts';
import { publishCrl } from '../../src/app/pki/publication.ts';
import { countRows, verifyAuditChain } from '../../src/store/audit.ts';
import { readCrl, serialKey } from '../../src/pki/crl-reader.ts';
import type { Store } from '../../src/store/database.ts';
import { createDatabase, startPgCluster, type PgCluster } from '../../scripts/lib/pg-cluster.js';
import { feed, issueCertificate, sharedSecrets } from '../support/operations.ts';
import { messageId, startSmtp } from '../support/smtp.ts';
import { signCertificateEvent } from '../support/signing.ts';
import { actorFor } from '../support/platform.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const LAUNCHER = join(ROOT, 'bin', 'cartes.js');
const BOUND_MS = 90_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** Ends a wait at once (a process that exited): other errors of a probe mean « not yet ». */
class Fatal extends Error {}

/** Polls `probe` until it returns a value (bounded in time). */
async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = BOUND_MS): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch((err: unknown) => {
      if (err instanceof Fatal) throw err;
      return null;
    });
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(15_000) });
  const bytes = Buffer.from(await res.arrayBuffer());
  const type = res.headers.get('content-type') ?? '';
  return {
    status: res.status,
    headers: res.headers,
    bytes,
    text: bytes.toString('utf8'),
    json: /json/.test(type) && bytes.length ? JSON.parse(bytes.toString('utf8')) : null,
  };
}

interface Instance {
  name: string;
  dataDir: string;
  port: number;
  url: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

interface Session {
  post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> | null }>;
}

describe('two instances on one PostgreSQL, with faults', { timeout: 600_000 }, () => {
  let cluster: PgCluster;
  let dbUrl: string;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let env: NodeJS.ProcessEnv;
  let seed: { store: Store; ctx: AppContext; dataDir: string };
  const dirs: string[] = [];
  const instances: Instance[] = [];
  let a: Instance;
  let b: Instance;

  const tempDir = (label: string) => {
    const d = mkdtempSync(join(tmpdir(), `cartes-two-${label}-`));
    dirs.push(d);
    return d;
  };

  function cli(dataDir: string, args: string[], db = dbUrl) {
    const child = spawn(process.execPath, [LAUNCHER, '--data', dataDir, '--db', db, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const done = new Promise<{ code: number | null; out: string }>((resolve) =>
      child.on('exit', (code) => resolve({ code, out })),
    );
    return { child, done };
  }

  async function startInstance(name: string, dataDir: string, port?: number): Promise<Instance> {
    const p = port ?? (await freePort());
    const run = cli(dataDir, ['serve', '--port', String(p), '--host', '127.0.0.1']);
    let out = '';
    run.child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    run.child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      run.child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    const inst: Instance = {
      name,
      dataDir,
      port: p,
      url: `http://127.0.0.1:${p}`,
      child: run.child,
      output: () => out,
      exited,
    };
    instances.push(inst);
    await until(`${name} ready`, async () => {
      if (run.child.exitCode !== null) throw new Fatal(`${name} exited: ${out.slice(-2000)}`);
      return (await get(`${inst.url}/readyz`)).status === 200;
    });
    return inst;
  }

  async function stopInstance(inst: Instance): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (inst.child.exitCode === null && inst.child.signalCode === null) inst.child.kill('SIGTERM');
    const timer = setTimeout(() => inst.child.kill('SIGKILL'), 30_000);
    const r = await inst.exited;
    clearTimeout(timer);
    return r;
  }

  /** Signs in as the person on that instance (one-time link made in the database, redeemed over HTTP). */
  async function signIn(inst: Instance, identifier: string): Promise<Session> {
    const token = (await createSignInLink(seed.ctx, systemActor('test'), identifier)).token;
    const res = await fetch(`${inst.url}/api/auth/link`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    const body = (await res.json()) as { csrfToken: string };
    assert.equal(res.status, 200, JSON.stringify(body));
    const cookie = res.headers
      .getSetCookie()
      .find((c) => c.startsWith('cartes_session='))!
      .split(';')[0]!;
    return {
      post: async (path, payload) => {
        const r = await fetch(inst.url + path, {
          method: 'POST',
          headers: { cookie, 'x-csrf-token': body.csrfToken, 'content-type': 'application/json' },
          body: JSON.stringify(payload),
          signal: AbortSignal.timeout(15_000),
        });
        const text = await r.text();
        return {
          status: r.status,
          json: text && /json/.test(r.headers.get('content-type') ?? '') ? JSON.parse(text) : null,
        };
      },
    };
  }

  before(async () => {
    cluster = await startPgCluster({ durable: true, log: () => {} });
    dbUrl = await createDatabase(cluster.url, 'deux_instances');
    smtp = await startSmtp();
    env = {
      PATH: process.env['PATH'] ?? '',
      ...sharedSecrets(),
      CARTES_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      CARTES_LOG_LEVEL: 'warn',
      CARTES_BACKUP_BEFORE_MIGRATION: 'false',
      // The daily pass runs at a date years ahead; its retention step would otherwise delete the mails just sent.
      CARTES_RETENTION_MAIL_MONTHS: '1200',
    };
    // The installation: directory and PKI made once, from an operator's folder.
    const dataDir = tempDir('seed');
    const opened = await openPlatform({ data: dataDir, db: dbUrl }, env);
    seed = { store: opened.store, ctx: opened.ctx, dataDir };
    await loadDemoData(seed.ctx);
    await loadDemoPki(seed.ctx, pkiEnvironment(opened.config, env));
    // Two instances, each with an empty folder of its own: nothing copied from the seed's.
    a = await startInstance('A', tempDir('a'));
    b = await startInstance('B', tempDir('b'));
  });

  after(async () => {
    for (const inst of instances) await stopInstance(inst).catch(() => undefined);
    await seed?.store.close().catch(() => undefined);
    await smtp?.close();
    await cluster?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('runs two instances from the database alone: keys loaded, no key file copied', async () => {
    for (const inst of [a, b]) {
      const ready = await get(`${inst.url}/readyz`);
      assert.equal(ready.status, 200, ready.text);
      assert.equal(ready.json.checks.keys.ok, true);
      assert.deepEqual(
        readdirSync(inst.dataDir).filter((f) => f === 'pki'),
        [],
        'no PKI folder in the instance’s data folder',
      );
    }
    const [va, vb] = [(await get(`${a.url}/version`)).json, (await get(`${b.url}/version`)).json];
    assert.notEqual(va.instance, vb.instance);
    assert.equal(va.schema, vb.schema);
  });

  it('numbers CRLs strictly upwards from both instances, and both serve the newest', async () => {
    const pki = pkiEnvironment({ publicUrl: 'http://127.0.0.1', dataDir: seed.dataDir }, env);
    const serials: string[] = [];
    for (let i = 0; i < 8; i++) serials.push(await issueCertificate(seed.ctx, pki));
    const ca = await seed.store.db
      .selectFrom('certificates as c')
      .innerJoin('certification_authorities as a', 'a.id', 'c.ca_id')
      .select(['a.name', 'a.id'])
      .where('c.serial', '=', serials[0]!)
      .executeTakeFirstOrThrow();
    const [sa, sb] = [await signIn(a, 'admin.national'), await signIn(b, 'admin.national')];
    // Every status change carries the administrator's action signature (a Node key with a SIGN certificate).
    const admin = await actorFor(seed.ctx, 'admin.national');
    const revocation = async (serial: string, reason: RevocationReason) => ({
      reason,
      signature: await signCertificateEvent(seed, 'admin.national', admin, serial, { kind: 'revoke', reason }, { pki }),
    });
    // Revocations sent to both at the same time (each queues a CRL job that either worker runs),
    // while an operator publishes from each instance's folder too.
    const bodies: Awaited<ReturnType<typeof revocation>>[] = [];
    for (const [i, s] of serials.entries()) bodies.push(await revocation(s, i % 3 ? 'superseded' : 'keyCompromise'));
    const [answers, ...published] = await Promise.all([
      Promise.all(serials.map((s, i) => (i % 2 ? sb : sa).post(`/api/certificates/${s}/revoke`, bodies[i]))),
      cli(a.dataDir, ['ca', 'crl', '--ca', ca.name]).done,
      cli(b.dataDir, ['ca', 'crl', '--ca', ca.name]).done,
    ]);
    assert.deepEqual(
      answers.map((r) => r.status),
      serials.map(() => 200),
      JSON.stringify(answers.find((r) => r.status !== 200)?.json),
    );
    for (const r of published) assert.equal(r.code, 0, r.out);
    // Both serve the newest, listing every revocation, once the queued publications have run.
    const [fa] = await until('both serving a CRL with every revocation', async () => {
      const pair = [await get(`${a.url}/pki/crl/${ca.name}.crl`), await get(`${b.url}/pki/crl/${ca.name}.crl`)];
      const listed = new Set(readCrl(pair[0]!.bytes).entries.map((e) => serialKey(e.serialHex)));
      return serials.every((s) => listed.has(serialKey(s))) && pair[0]!.bytes.equals(pair[1]!.bytes) ? pair : null;
    });
    const rows = await seed.store.db
      .selectFrom('published_crls')
      .select(['crl_number', 'created_at', 'published_by'])
      .where('ca_id', '=', ca.id)
      .where('status', '=', 'published')
      .orderBy('created_at')
      .orderBy('crl_number')
      .execute();
    const numbers = rows.map((p) => Number(p.crl_number));
    assert.equal(new Set(numbers).size, numbers.length, 'no number twice');
    assert.deepEqual(
      numbers,
      [...numbers].sort((x, y) => x - y),
      'in the order of publication',
    );
    assert.ok(new Set(rows.map((p) => p.published_by)).size >= 2, 'published by several processes');
    assert.equal(fa!.status, 200);
    const crl = readCrl(fa!.bytes);
    assert.equal(Number(crl.crlNumber), Math.max(...numbers), 'the newest');
    // One more through B: A serves it, with a higher number.
    const more = await issueCertificate(seed.ctx, pki);
    assert.equal((await sb.post(`/api/certificates/${more}/revoke`, await revocation(more, 'superseded'))).status, 200);
    const next = await until('A serving the next CRL', async () => {
      const c = readCrl((await get(`${a.url}/pki/crl/${ca.name}.crl`)).bytes);
      return c.entries.some((e) => serialKey(e.serialHex) === serialKey(more)) ? c : null;
    });
    assert.ok(next.crlNumber! > crl.crlNumber!);
  });

  it('sends each mail once when both instances run the daily pass at the same time (real SMTP)', async () => {
    const pki = pkiEnvironment({ publicUrl: 'http://127.0.0.1', dataDir: seed.dataDir }, env);
    const serials = [await issueCertificate(seed.ctx, pki), await issueCertificate(seed.ctx, pki)];
    for (const s of serials)
      await seed.store.db.updateTable('certificates').set({ status: 'valid' }).where('serial', '=', s).execute();
    const notAfter = await seed.store.db
      .selectFrom('certificates')
      .select('not_after')
      .where('serial', '=', serials[0]!)
      .executeTakeFirstOrThrow();
    const at = new Date(Date.parse(notAfter.not_after) - 10 * 86_400_000).toISOString();
    const passes = await Promise.all([
      cli(a.dataDir, ['jobs', 'run-daily', '--at', at]).done,
      cli(b.dataDir, ['jobs', 'run-daily', '--at', at]).done,
    ]);
    for (const r of passes) assert.equal(r.code, 0, r.out);
    assert.equal(passes.filter((r) => /faite :/.test(r.out)).length, 1, passes.map((r) => r.out).join('\n'));
    assert.equal(passes.filter((r) => /déjà faite ou en cours/.test(r.out)).length, 1);
    const notices = await seed.store.db
      .selectFrom('audit_log')
      .select('target_id')
      .where('action', '=', 'certificate.expiry-notice')
      .execute();
    // The administrator's signing certificates of an earlier test expire the same day: noticed too, once.
    const noticed = notices.map((n) => n.target_id);
    assert.equal(new Set(noticed).size, noticed.length, 'no certificate noticed twice');
    for (const s of serials) assert.ok(noticed.includes(s), `one notice for ${s}`);
    // The two instances' workers deliver every queued mail, each once.
    const mails = await until('every mail delivered', async () => {
      const rows = await seed.store.db.selectFrom('mails').select(['id', 'status']).execute();
      return rows.length > 0 && rows.every((m) => m.status === 'sent') && smtp.received.length >= rows.length
        ? rows
        : null;
    });
    await sleep(1000); // a duplicate, if any, would arrive now
    // Notices queue their mails one after the other: read the queue again once it is all sent.
    const all = await until('every queued mail delivered', async () => {
      const rows = await seed.store.db.selectFrom('mails').select(['id', 'status']).execute();
      return rows.length >= mails.length && rows.every((m) => m.status === 'sent') ? rows : null;
    });
    const ids = smtp.received.map((m) => messageId(m.raw));
    assert.equal(new Set(ids).size, ids.length, 'no message twice');
    assert.deepEqual(ids.sort(), all.map((m) => `<${m.id}@cartes-agents>`).sort());
  });

  it('survives a database restart under load: 503 then answers again, no acknowledged write lost', async () => {
    const org = (
      await seed.store.db.selectFrom('organizations').select('id').where('code', '=', '77011').executeTakeFirstOrThrow()
    ).id;
    const sessions = [await signIn(a, 'admin.national'), await signIn(b, 'admin.national')];
    const acknowledged: string[] = [];
    const statuses = new Map<number, number>();
    let stop = false;
    let n = 0;
    const writer = async (w: number) => {
      const end = Date.now() + BOUND_MS;
      while (!stop && Date.now() < end) {
        const identifier = `charge.${w}.${++n}`;
        const r = await sessions[w % 2]!.post('/api/agents', {
          organizationId: org,
          identifier,
          identifierKind: 'internal',
          lastName: 'Charge',
          firstNames: 'Test',
          sex: 'F',
          birthDate: '1990-02-28',
          birthPlace: 'Melun',
          staffStatus: 'civil',
        }).catch(() => ({ status: 0, json: null }));
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 201) acknowledged.push(identifier);
        else if (r.status === 503) {
          assert.match(String(r.json?.['detail']), /momentanément indisponible/);
          assert.equal(typeof r.json?.['requestId'], 'string');
        }
        await sleep(r.status === 201 ? 20 : 200);
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    await until('writes going through', async () => acknowledged.length >= 10);
    await cluster.pause();
    for (const inst of [a, b]) {
      const ready = await until(`${inst.name} not ready`, async () => {
        const r = await get(`${inst.url}/readyz`);
        return r.status === 503 ? r : null;
      });
      assert.equal(ready.json.checks.database.ok, false);
      assert.equal((await get(`${inst.url}/livez`)).status, 200, 'alive, only not ready');
    }
    const duringOutage = acknowledged.length;
    await sleep(2000);
    await cluster.resume();
    for (const inst of [a, b])
      await until(`${inst.name} ready again`, async () => (await get(`${inst.url}/readyz`)).status === 200);
    await until('writes going through again', async () => acknowledged.length >= duringOutage + 10);
    stop = true;
    await Promise.all(writers);
    assert.ok((statuses.get(503) ?? 0) > 0, `some answers were 503: ${JSON.stringify([...statuses])}`);
    for (const inst of [a, b]) assert.equal(inst.child.exitCode, null, `${inst.name} never exited`);
    const stored = new Set(
      (
        await seed.store.db.selectFrom('agents').select('identifier').where('identifier', 'like', 'charge.%').execute()
      ).map((r) => r.identifier),
    );
    const lost = acknowledged.filter((id) => !stored.has(id));
    assert.deepEqual(lost, [], `${acknowledged.length} acknowledged writes`);
    assert.ok((await verifyAuditChain(seed.store)).ok);
  });

  it('takes a backup during an import, verifies it, and restores it with the CRL numbering continued', async () => {
    const feedFile = join(tempDir('feed'), 'flux.csv');
    writeFileSync(feedFile, feed(30000, 'sauve'));
    const before = await countRows(seed.store.db, 'agents');
    const importing = cli(seed.dataDir, ['import', 'agents', feedFile, '--org', '77011']);
    await until('the import writing', async () => {
      if (importing.child.exitCode !== null) throw new Fatal(`import ended: ${(await importing.done).out}`);
      return (await countRows(seed.store.db, 'agents')) > before;
    });
    // Asked of instance A while the import runs (POST /api/operations/backups, as from the operations page).
    const admin = await signIn(a, 'admin.national');
    const taken = await admin.post('/api/operations/backups', {});
    assert.equal(taken.status, 201, JSON.stringify(taken.json));
    const imported = await importing.done;
    assert.equal(imported.code, 0, imported.out);
    const path = String(taken.json!['path']);
    const manifest = JSON.parse(readFileSync(join(path, 'manifest.json'), 'utf8')) as {
      tables: Record<string, number>;
      auditHead: { seq: number; hash: string };
    };
    const agents = manifest.tables['agents']!;
    assert.ok(agents > before && agents < before + 30000, `${agents} agents: taken during the import`);
    const verify = await cli(seed.dataDir, ['backup', 'verify', path]).done;
    assert.equal(verify.code, 0, verify.out);

    // Published since the backup, served by the instances: what the restore continues from.
    const authorities = await seed.store.db.selectFrom('certification_authorities').select(['id', 'name']).execute();
    const crlDir = tempDir('crl');
    let highest = 0;
    for (const ca of authorities) {
      const r = await get(`${b.url}/pki/crl/${ca.name}.crl`);
      if (r.status !== 200) continue;
      writeFileSync(join(crlDir, `${ca.name}.crl`), r.bytes);
      if (ca.name === 'collectivites') highest = Number(readCrl(r.bytes).crlNumber);
    }
    assert.ok(highest > 0);
    const target = await createDatabase(cluster.url, 'restauree');
    const restoreDir = tempDir('restore');
    const restored = await cli(restoreDir, ['backup', 'restore', path, '--crl', crlDir], target).done;
    assert.equal(restored.code, 0, restored.out);
    const audit = await cli(restoreDir, ['verify-audit'], target).done;
    assert.equal(audit.code, 0, audit.out);
    const r = await openPlatform({ data: restoreDir, db: target }, env);
    try {
      assert.equal(await countRows(r.store.db, 'agents'), agents);
      const head = await r.store.db
        .selectFrom('audit_log')
        .select('hash')
        .where('seq', '=', manifest.auditHead.seq)
        .executeTakeFirstOrThrow();
      assert.equal(head.hash, manifest.auditHead.hash, 'the audit chain of the backup, continued');
      const next = await publishCrl(r.ctx, pkiEnvironment(r.config, env), 'collectivites');
      assert.ok(next.crlNumber > highest, `${next.crlNumber} after ${highest}`);
      const revoked = await r.store.db
        .selectFrom('certificates')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'revoked')
        .executeTakeFirstOrThrow();
      const revokedLive = await seed.store.db
        .selectFrom('certificates')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'revoked')
        .executeTakeFirstOrThrow();
      assert.equal(Number(revoked.n), Number(revokedLive.n), 'no revoked certificate brought back');
    } finally {
      await r.store.close();
    }
  });

  it('marks an import killed mid-way as failed at the next start, and a re-run completes', async () => {
    const feedFile = join(tempDir('crash'), 'flux.csv');
    mkdirSync(join(feedFile, '..'), { recursive: true });
    writeFileSync(feedFile, feed(20000, 'crash'));
    const run = cli(seed.dataDir, ['import', 'agents', feedFile, '--org', '77011']);
    const started = await until('the import writing', async () => {
      const r = await seed.store.db
        .selectFrom('import_runs')
        .select(['id', 'status', 'inserted'])
        .where('file_name', '=', 'flux.csv')
        .where('status', '=', 'running')
        .executeTakeFirst();
      return r && r.inserted > 0 ? r : null;
    });
    run.child.kill('SIGKILL');
    await run.done;
    // A restarted instance puts the leftover right; the launcher passed SIGTERM on and the exit code back.
    const stopped = await stopInstance(a);
    assert.equal(stopped.code, 0, a.output().slice(-2000));
    a = await startInstance('A', a.dataDir, a.port);
    const closed = await until('the run marked failed', async () => {
      const r = await seed.store.db
        .selectFrom('import_runs')
        .select(['status', 'message', 'inserted'])
        .where('id', '=', started.id)
        .executeTakeFirstOrThrow();
      return r.status === 'failed' ? r : null;
    });
    assert.match(closed.message ?? '', /Import interrompu/);
    assert.ok(closed.inserted > 0 && closed.inserted < 20000, `${closed.inserted} committed`);
    assert.doesNotMatch(closed.message ?? '', /Error|at .*\.ts/);
    const again = await cli(seed.dataDir, ['import', 'agents', feedFile, '--org', '77011']).done;
    assert.equal(again.code, 0, again.out);
    const last = await seed.store.db
      .selectFrom('import_runs')
      .select(['status', 'inserted', 'unchanged', 'rejected'])
      .where('file_name', '=', 'flux.csv')
      .orderBy('started_at', 'desc')
      .executeTakeFirstOrThrow();
    assert.equal(last.status, 'done');
    assert.equal(last.inserted + last.unchanged, 20000);
    assert.equal(
      Number(
        (
          await seed.store.db
            .selectFrom('agents')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('identifier', 'like', 'crash-%')
            .executeTakeFirstOrThrow()
        ).n,
      ),
      20000,
    );
  });

  it('shows the figures in /metrics', async () => {
    const m = (await get(`${b.url}/metrics`)).text;
    for (const line of [
      /^cartes_http_request_duration_seconds_bucket\{.*route="\/api\/agents".*\} \d+/m,
      /^# TYPE cartes_jobs gauge/m,
      /^# TYPE cartes_jobs_oldest_due_age_seconds gauge/m,
      /^cartes_crl_age_seconds\{ca="collectivites"\} [\d.]+/m,
      /^cartes_crl_number\{ca="collectivites"\} \d+/m,
      /^cartes_import_runs\{.*status="failed".*\} [1-9]/m,
      /^cartes_mails\{.*status="sent".*\} [1-9]/m,
      /^cartes_database_up 1/m,
      /^cartes_database_connection_errors_total/m,
    ])
      assert.match(m, line);
    // Each process counts the mails it handed over itself: the two instances' workers share the queue.
    const delivered = [m, (await get(`${a.url}/metrics`)).text].some((text) =>
      /^cartes_mails_delivered_total\{.*outcome="sent".*\} [1-9]/m.test(text),
    );
    assert.ok(delivered, 'one of the instances counts the mails it delivered');
  });
});
