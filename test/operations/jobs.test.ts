// Background work that several instances share: jobs claimed one by one under leases renewed while
// they run, scheduled passes run once per slot, side effects done once (idempotency keys), failures
// logged and retried, and what a crash leaves (imports « running », temporary files) put right.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { mkdirSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, it } from 'node:test';
import pino from 'pino';
import { systemActor } from '../../src/app/context.ts';
import { enqueue, MAX_ATTEMPTS } from '../../src/jobs/queue.ts';
import { registerJobHandler, runDueJobs } from '../../src/jobs/worker.ts';
import { runTaskOnce } from '../../src/jobs/scheduler.ts';
import { listJobs, retryJob } from '../../src/app/operations/jobs.ts';
import { failInterruptedImports, removeStaleTempFiles, tempRoot } from '../../src/app/operations/crash-leftovers.ts';
import { sendExpiryNotices } from '../../src/app/desk/renewal.ts';
import { loadDemoPki } from '../../src/app/demo/pki.ts';
import { pkiEnvironment } from '../../src/app/pki/certificates.ts';
import { countRows } from '../../src/store/audit.ts';
import { AppError } from '../../src/app/errors.ts';
import { actorFor, forEachDatabase, openTestPlatform, orgId, type TestPlatform } from '../support/platform.ts';
import { issueCertificate, sharedSecrets } from '../support/operations.ts';

/** A logger whose lines the test reads. */
function capturingLogger(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

forEachDatabase('jobs and scheduled passes', (dialect) => {
  let p: TestPlatform;
  before(async () => {
    p = await openTestPlatform(dialect, { env: sharedSecrets() });
  });
  after(async () => {
    await p?.close();
  });

  const queue = async (kind: string, payload: unknown = {}) => {
    const id = p.ctx.newId();
    const now = p.ctx.now().toISOString();
    await enqueue(p.store.db, { id, kind, payload, runAt: now, now });
    return id;
  };

  it('renews the lease of a job while it runs: a second worker never takes it', async () => {
    let runs = 0;
    registerJobHandler(`test.slow.${dialect}`, async () => {
      runs++;
      await sleep(600);
    });
    const id = await queue(`test.slow.${dialect}`);
    // Lease of 150 ms, renewed every 50 ms: the job outlives four leases.
    const first = runDueJobs(p.ctx, 'worker-a', { leaseMs: 150 });
    await sleep(300);
    const second = await runDueJobs(p.ctx, 'worker-b', { leaseMs: 150 });
    assert.equal(second, 0, 'nothing for the second worker while the first runs');
    assert.equal(await first, 1);
    assert.equal(runs, 1);
    const job = await p.store.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    assert.deepEqual([job.status, job.attempts], ['done', 1]);
  });

  it('claims due jobs one by one, so none waits under a lease taken for a batch', async () => {
    const seen: string[] = [];
    registerJobHandler(`test.order.${dialect}`, async (_ctx, payload) => {
      const { n } = payload as { n: number };
      // While job n runs, the next one is still pending and claimable by another worker.
      const pending = await p.store.db
        .selectFrom('jobs')
        .select(['status'])
        .where('kind', '=', `test.order.${dialect}`)
        .where('status', '=', 'running')
        .execute();
      seen.push(`${n}:${pending.length}`);
    });
    for (let n = 0; n < 3; n++) await queue(`test.order.${dialect}`, { n });
    assert.equal(await runDueJobs(p.ctx, 'worker-c'), 3);
    assert.deepEqual(seen.sort(), ['0:1', '1:1', '2:1']);
  });

  it('logs failures, gives up after its attempts, and runs again when retried', async () => {
    const { log, lines } = capturingLogger();
    let fail = true;
    registerJobHandler(`test.flaky.${dialect}`, async () => {
      if (fail) throw new Error('serveur distant indisponible');
    });
    const id = await queue(`test.flaky.${dialect}`);
    const base = Date.now();
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      // Each retry waits 2^n seconds: move the clock past it.
      p.ctx.now = () => new Date(base + attempt * 3_700_000);
      assert.equal(await runDueJobs(p.ctx, 'worker-d', { log }), 1, `attempt ${attempt}`);
    }
    p.ctx.now = () => new Date();
    const warn = lines.filter((l) => l['msg'] === 'job failed, will be retried' && l['jobId'] === id);
    const error = lines.filter((l) => l['level'] === 50 && l['jobId'] === id);
    assert.equal(warn.length, MAX_ATTEMPTS - 1);
    assert.equal(error.length, 1);
    assert.equal(error[0]!['error'], 'serveur distant indisponible');
    const admin = await actorFor(p.ctx, 'admin.national');
    const failed = await listJobs(p.ctx, admin, { status: 'failed' });
    assert.deepEqual(
      failed.items.filter((j) => j.id === id).map((j) => [j.statusLabel, j.attempts, j.lastError]),
      [['En échec', MAX_ATTEMPTS, 'serveur distant indisponible']],
    );
    // Only someone managing operations may retry, and only a failed job.
    await assert.rejects(
      retryJob(p.ctx, await actorFor(p.ctx, 'martin.c77011'), id),
      (err: unknown) => err instanceof AppError && err.code === 'forbidden',
    );
    fail = false;
    const retried = await retryJob(p.ctx, admin, id);
    assert.deepEqual([retried.status, retried.attempts], ['pending', 0]);
    assert.equal(await runDueJobs(p.ctx, 'worker-d', { log }), 1);
    await assert.rejects(
      retryJob(p.ctx, admin, id),
      (err: unknown) => err instanceof AppError && err.code === 'conflict',
    );
    const audit = await p.store.db
      .selectFrom('audit_log')
      .select('action')
      .where('target_id', '=', id)
      .where('outcome', '=', 'ok')
      .execute();
    assert.deepEqual(
      audit.map((a) => a.action),
      ['operations.job.retry'],
    );
  });

  it('runs a scheduled pass once per slot across concurrent instances, and takes over a dead one', async () => {
    let runs = 0;
    const work = async () => {
      runs++;
      await sleep(200);
      return { ok: true };
    };
    const outcomes = await Promise.all(
      ['instance-1', 'instance-2', 'instance-3'].map((owner) =>
        runTaskOnce(p.ctx, 'test.daily', '2030-01-02', work, { owner }),
      ),
    );
    assert.equal(runs, 1);
    assert.deepEqual(outcomes.map((o) => o.status).sort(), ['done', 'skipped', 'skipped']);
    // Already done: skipped again, unless forced (an operator's explicit re-run).
    assert.equal((await runTaskOnce(p.ctx, 'test.daily', '2030-01-02', work, { owner: 'x' })).status, 'skipped');
    assert.equal((await runTaskOnce(p.ctx, 'test.daily', '2030-01-02', work, { force: true })).status, 'done');
    assert.equal(runs, 2);
    // An instance died holding a slot: once its lease has run out, another takes the slot over.
    await p.store.db
      .insertInto('task_runs')
      .values({
        task: 'test.daily',
        slot: '2030-01-03',
        owner: 'instance-morte',
        status: 'running',
        started_at: new Date(Date.now() - 3_600_000).toISOString(),
        lease_until: new Date(Date.now() - 60_000).toISOString(),
        finished_at: null,
        result: null,
        error: null,
      })
      .execute();
    const taken = await runTaskOnce(p.ctx, 'test.daily', '2030-01-03', work, { owner: 'instance-1' });
    assert.deepEqual([taken.status, taken.owner], ['done', 'instance-1']);
    // A failed pass is not hammered: tried again after a pause.
    const failing = async () => {
      throw new Error('base occupée');
    };
    assert.equal((await runTaskOnce(p.ctx, 'test.daily', '2030-01-04', failing)).status, 'failed');
    assert.equal((await runTaskOnce(p.ctx, 'test.daily', '2030-01-04', work)).status, 'skipped');
    const later = Date.now() + 16 * 60_000;
    const ctxLater = { ...p.ctx, now: () => new Date(later) };
    assert.equal((await runTaskOnce(ctxLater, 'test.daily', '2030-01-04', work)).status, 'done');
  });

  it('sends each expiry notice once when two daily passes run at the same time', async () => {
    const env = sharedSecrets();
    const pki = pkiEnvironment(p.config, env);
    await loadDemoPki(p.ctx, pki);
    const serials = [await issueCertificate(p.ctx, pki), await issueCertificate(p.ctx, pki)];
    const notAfter = await p.store.db
      .selectFrom('certificates')
      .select('not_after')
      .where('serial', '=', serials[0]!)
      .executeTakeFirstOrThrow();
    for (const s of serials)
      await p.store.db.updateTable('certificates').set({ status: 'valid' }).where('serial', '=', s).execute();
    const at = Date.parse(notAfter.not_after) - 10 * 86_400_000;
    const dated = { ...p.ctx, now: () => new Date(at) };
    const mailsBefore = await countRows(p.store.db, 'mails');
    const [a, b] = await Promise.all([sendExpiryNotices(dated), sendExpiryNotices(dated)]);
    assert.equal(a + b, serials.length, `${a} + ${b} notices`);
    assert.equal(await countRows(p.store.db, 'mails'), mailsBefore + serials.length);
    const notices = await p.store.db
      .selectFrom('audit_log')
      .select('target_id')
      .where('action', '=', 'certificate.expiry-notice')
      .execute();
    assert.deepEqual(notices.map((n) => n.target_id).sort(), [...serials].sort());
    assert.equal(await sendExpiryNotices(dated), 0, 'a later pass finds nothing to send');
  });

  it('closes the imports a dead process left « running », with what they committed', async () => {
    const org = await orgId(p.ctx, '77011');
    const started = new Date(Date.now() - 60_000).toISOString();
    const row = (id: string, owner: string, heartbeat: string) => ({
      id,
      organization_id: org,
      file_name: `${id}.csv`,
      format: 'csv',
      full_mode: 0,
      status: 'running',
      total: 4000,
      inserted: 3000,
      updated: 500,
      unchanged: 400,
      rejected: 100,
      deactivated: 0,
      bytes_total: null,
      bytes_read: 0,
      message: null,
      started_by: null,
      started_at: started,
      finished_at: null,
      owner,
      heartbeat_at: heartbeat,
    });
    await p.store.db
      .insertInto('import_runs')
      .values([
        // A process of this machine that no longer exists.
        row(`dead-${dialect}`, `${hostname()}/2147483646/x`, started),
        // This very process, alive.
        row(`alive-${dialect}`, `${hostname()}/${process.pid}/x`, started),
        // Another machine, silent for an hour.
        row(`silent-${dialect}`, 'autre-machine/123/x', new Date(Date.now() - 3_600_000).toISOString()),
        // Another machine, alive a minute ago.
        row(`recent-${dialect}`, 'autre-machine/124/x', new Date(Date.now() - 60_000).toISOString()),
      ])
      .execute();
    const closed = await failInterruptedImports(p.ctx);
    assert.deepEqual(closed.map((c) => c.id).sort(), [`dead-${dialect}`, `silent-${dialect}`]);
    const dead = await p.store.db
      .selectFrom('import_runs')
      .selectAll()
      .where('id', '=', `dead-${dialect}`)
      .executeTakeFirstOrThrow();
    assert.equal(dead.status, 'failed');
    assert.match(dead.message ?? '', /Import interrompu .* 4000 ligne\(s\) lue\(s\) et enregistrée\(s\)/);
    assert.match(dead.message ?? '', /3000 créé\(s\), 500 modifié\(s\), 400 inchangé\(s\), 100 rejetée\(s\)/);
    const audit = await p.store.db
      .selectFrom('audit_log')
      .select('action')
      .where('target_id', '=', `dead-${dialect}`)
      .execute();
    assert.deepEqual(
      audit.map((a) => a.action),
      ['hrImport.interrupted'],
    );
    assert.deepEqual(await failInterruptedImports(p.ctx), [], 'once');
  });

  it('removes the temporary files of dead processes only', async () => {
    const root = tempRoot(p.dataDir);
    mkdirSync(join(root, '2147483646-verif-x'), { recursive: true });
    mkdirSync(join(root, `${process.pid}-verif-y`), { recursive: true });
    mkdirSync(join(p.dataDir, 'pki', 'crl'), { recursive: true });
    const old = join(p.dataDir, 'pki', 'crl', 'collectivites.crl.1.abc.tmp');
    writeFileSync(old, 'x');
    const removed = await removeStaleTempFiles(p.dataDir, new Date(Date.now() + 2 * 3600_000));
    assert.deepEqual(removed.sort(), [join(root, '2147483646-verif-x'), old].sort());
    assert.ok(existsSync(join(root, `${process.pid}-verif-y`)));
  });

  it('fails a job of an unknown kind for good; a retry from the CLI is audited as the CLI', async () => {
    const id = await queue('inconnu.kind');
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      p.ctx.now = () => new Date(Date.now() + (i + 1) * 3_700_000);
      await runDueJobs(p.ctx, 'worker-e');
    }
    p.ctx.now = () => new Date();
    const job = await p.store.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    assert.equal(job.status, 'failed');
    assert.match(job.last_error ?? '', /type de tâche inconnu/);
    await retryJob(p.ctx, systemActor('cli'), id);
    const audit = await p.store.db
      .selectFrom('audit_log')
      .select('actor_id')
      .where('target_id', '=', id)
      .executeTakeFirstOrThrow();
    assert.equal(audit.actor_id, 'system:cli');
  });
});
