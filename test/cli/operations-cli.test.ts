// `cartes jobs list [--failed]`, `cartes jobs retry <id>`, `cartes retention run [--dry-run]` and
// `cartes retention export --agent <id> --out <file>` run as the operator runs them (the real CLI in a
// child process, on the platform's data folder and database), on SQLite and PostgreSQL: exit codes,
// French output, and their effect read back from the database.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { setAgentStatus } from '../../src/app/directory/agents.ts';
import { enqueue } from '../../src/jobs/queue.ts';
import { countRows } from '../../src/store/audit.ts';
import { actorFor, agentId, forEachDatabase, openTestPlatform, type TestPlatform } from '../support/platform.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

forEachDatabase('cartes jobs and cartes retention', (dialect) => {
  let p: TestPlatform;
  before(async () => {
    p = await openTestPlatform(dialect);
  });
  after(async () => {
    await p?.close();
  });

  /** The real CLI on this platform's data folder and database, with a clean environment. */
  const cartes = (args: string[], env: Record<string, string> = {}): Promise<Run> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [MAIN, '--data', p.dataDir, '--db', p.dbTarget, ...args], {
        env: { PATH: process.env['PATH'] ?? '', ...env },
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

  const job = (id: string) => p.store.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('lists the background jobs, the failed ones with their error, and relaunches a failed one', async () => {
    const none = await cartes(['jobs', 'list', '--failed']);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, 'Aucune tâche en échec.\n');

    const now = p.ctx.now().toISOString();
    const pending = p.ctx.newId();
    const failed = p.ctx.newId();
    await enqueue(p.store.db, { id: pending, kind: 'crl.publish', payload: { ca: 'etat' }, runAt: now, now });
    await enqueue(p.store.db, { id: failed, kind: 'mail.send', payload: { mailId: 'm-1' }, runAt: now, now });
    await p.store.db
      .updateTable('jobs')
      .set({ status: 'failed', attempts: 5, last_attempt_at: now, finished_at: now, last_error: 'SMTP injoignable' })
      .where('id', '=', failed)
      .execute();

    const all = await cartes(['jobs', 'list']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(
      all.stdout,
      new RegExp(`^${pending}  crl\\.publish +En attente +essais 0  créée \\d{2}/\\d{2}/\\d{4}`, 'm'),
    );
    assert.match(all.stdout, new RegExp(`^${failed}  mail\\.send +En échec +essais 5  créée `, 'm'));
    assert.match(
      all.stdout,
      new RegExp(`^${failed}  mail\\.send .*  \\(Envoi de courriel\\)$`, 'm'),
      'the French label',
    );
    const onlyFailed = await cartes(['jobs', 'list', '--failed']);
    assert.equal(onlyFailed.code, 0, onlyFailed.stderr);
    assert.deepEqual(onlyFailed.stdout.trimEnd().split('\n').length, 2, onlyFailed.stdout);
    assert.match(
      onlyFailed.stdout,
      new RegExp(`^${failed}  mail\\.send +En échec +essais 5 .*\\n    erreur : SMTP injoignable\\n$`),
    );
    assert.doesNotMatch(onlyFailed.stdout, new RegExp(pending));

    const retried = await cartes(['jobs', 'retry', failed]);
    assert.equal(retried.code, 0, retried.stderr);
    assert.equal(retried.stdout, `Tâche ${failed} (Envoi de courriel) remise en file : en attente.\n`);
    const back = await job(failed);
    assert.deepEqual([back.status, back.attempts, back.finished_at], ['pending', 0, null]);
    assert.ok(back.run_at <= new Date().toISOString(), 'due now');
    const audit = await p.store.db
      .selectFrom('audit_log')
      .select(['actor_id', 'outcome', 'summary'])
      .where('action', '=', 'operations.job.retry')
      .where('target_id', '=', failed)
      .execute();
    assert.equal(audit.length, 1);
    assert.deepEqual([audit[0]!.actor_id, audit[0]!.outcome], ['system:cli', 'ok']);
    assert.match(audit[0]!.summary ?? '', /SMTP injoignable/);
    assert.equal((await cartes(['jobs', 'list', '--failed'])).stdout, 'Aucune tâche en échec.\n');

    // Only a failed job can be relaunched; an unknown one is not found; both in French, exit code 1.
    const again = await cartes(['jobs', 'retry', failed]);
    assert.equal(again.code, 1);
    assert.equal(again.stdout, '');
    assert.equal(again.stderr, 'Erreur : Seule une tâche en échec peut être relancée (celle-ci est « En attente »).\n');
    const unknown = await cartes(['jobs', 'retry', 'tache-inconnue']);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'Erreur : Tâche introuvable.\n');
    const missing = await cartes(['jobs', 'retry']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^Erreur : argument obligatoire manquant : id\n/);
    assert.equal((await job(pending)).status, 'pending', 'the other job untouched');
  });

  it('exports everything held about an agent, as JSON and as PDF, for a subject access request', async () => {
    const out = join(p.dataDir, 'export-dilindien.json');
    const r = await cartes(['retention', 'export', '--agent', '2010002684dh', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Données de Hugues DILINDIEN exportées : ${out}\n`);
    const data = JSON.parse(readFileSync(out, 'utf8')) as {
      format: string;
      agent: Record<string, unknown>;
      organization: { code: string } | null;
      auditRecords: unknown[];
    };
    assert.equal(data.format, 'cartes-agents-donnees-personnelles');
    assert.equal(data.agent['identifier'], '2010002684dh');
    assert.equal(data.agent['last_name'], 'DILINDIEN');
    assert.ok(data.organization?.code);
    assert.equal(statSync(out).mode & 0o777, 0o600, 'personal data readable by its owner only');
    const hugues = await agentId(p.ctx, '2010002684dh');
    const audited = await p.store.db
      .selectFrom('audit_log')
      .select(['actor_id', 'outcome'])
      .where('action', '=', 'personalData.export')
      .where('target_id', '=', hugues)
      .execute();
    assert.deepEqual(audited, [{ actor_id: 'system:cli', outcome: 'ok' }]);

    const pdfOut = join(p.dataDir, 'export-dilindien.pdf');
    const pdf = await cartes(['retention', 'export', '--agent', '2010002684dh', '--out', pdfOut]);
    assert.equal(pdf.code, 0, pdf.stderr);
    assert.equal(readFileSync(pdfOut).subarray(0, 5).toString('latin1'), '%PDF-');

    const unknownOut = join(p.dataDir, 'inconnu.json');
    const unknown = await cartes(['retention', 'export', '--agent', 'personne.inconnue', '--out', unknownOut]);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'Erreur : Agent inconnu : personne.inconnue\n');
    assert.equal(existsSync(unknownOut), false);
    const noOut = await cartes(['retention', 'export', '--agent', '2010002684dh']);
    assert.equal(noOut.code, 1);
    assert.match(noOut.stderr, /option obligatoire manquante : --out <fichier>/);
  });

  it('simulates the retention pass without changing anything, then erases the agents past their period', async () => {
    // An agent who left; eight years later (CARTES_CLOCK_OFFSET) their records are past the 7 years.
    const admin = await actorFor(p.ctx, 'admin.national');
    const leaver = await agentId(p.ctx, '1003456789');
    await setAgentStatus(p.ctx, admin, leaver, 'inactive');
    const later = { CARTES_CLOCK_OFFSET: '+2930d' };
    const purged = async () =>
      Number(
        (
          await p.store.db
            .selectFrom('agents')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('status', '=', 'purged')
            .executeTakeFirstOrThrow()
        ).n,
      );
    const retentionEntries = () =>
      p.store.db
        .selectFrom('operations_journal')
        .select(['summary', 'actor_id'])
        .where('kind', '=', 'retention')
        .execute();
    const erasedLine = /^ +(\d+) agents effacés \(7 ans après la fin de leur dernière carte\)$/m;

    // Today, nobody is due.
    const today = await cartes(['retention', 'run', '--dry-run']);
    assert.equal(today.code, 0, today.stderr);
    assert.equal(erasedLine.exec(today.stdout)?.[1], '0', today.stdout);

    const auditBefore = await countRows(p.store.db, 'audit_log');
    const dry = await cartes(['retention', 'run', '--dry-run'], later);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^Simulation \(rien n’a été effacé\) :\n/);
    for (const label of ["copies de pièce d'identité supprimées", 'photos supprimées', 'courriels supprimés'])
      assert.match(dry.stdout, new RegExp(`^ +\\d+ ${label}$`, 'm'), label);
    const wouldErase = Number(erasedLine.exec(dry.stdout)?.[1]);
    assert.ok(wouldErase >= 1, dry.stdout);
    assert.equal(await purged(), 0, 'the dry run erases nobody');
    assert.equal(
      (await p.store.db.selectFrom('agents').select('status').where('id', '=', leaver).executeTakeFirstOrThrow())
        .status,
      'inactive',
    );
    assert.equal(await countRows(p.store.db, 'audit_log'), auditBefore, 'nor writes anything');
    assert.deepEqual(await retentionEntries(), []);

    const run = await cartes(['retention', 'run'], later);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Passe de conservation faite :\n/);
    assert.equal(Number(erasedLine.exec(run.stdout)?.[1]), wouldErase, 'as many as the simulation said');
    assert.equal(await purged(), wouldErase);
    const erased = await p.store.db.selectFrom('agents').selectAll().where('id', '=', leaver).executeTakeFirstOrThrow();
    assert.deepEqual([erased.status, erased.last_name, erased.identifier], ['purged', 'EFFACÉ', `efface-${leaver}`]);
    const tombstoned = Number(/^ +(\d+) enregistrements d'audit effacés/m.exec(run.stdout)?.[1]);
    assert.ok(tombstoned >= 1, 'the audit records about the leaver are tombstoned');
    const entries = await retentionEntries();
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.actor_id, 'system:cli');
    assert.equal((JSON.parse(entries[0]!.summary) as { agentsErased: number }).agentsErased, wouldErase);

    // The chain still verifies after the tombstones; the erased agent is gone from the export.
    const verified = await cartes(['verify-audit']);
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stdout, /^Journal d'audit intègre/);
    const gone = await cartes(['retention', 'export', '--agent', '1003456789', '--out', join(p.dataDir, 'x.json')]);
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr, 'Erreur : Agent inconnu : 1003456789\n');

    // Run again: nothing left to erase.
    const second = await cartes(['retention', 'run'], later);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(erasedLine.exec(second.stdout)?.[1], '0');
  });
});
