import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { importAgents } from '../../src/app/directory/hr-import/import-agents.ts';
import { queueMail } from '../../src/app/mail.ts';
import { runDueJobs } from '../../src/jobs/worker.ts';
import { claimJobs } from '../../src/jobs/queue.ts';
import { AppError } from '../../src/app/errors.ts';
import { countRows } from '../../src/store/audit.ts';
import { actorFor, forEachDatabase, openTestPlatform, orgId, type TestPlatform } from '../support/platform.ts';

const SAMPLE = readFileSync(new URL('../fixtures/hr-feed-sample.csv', import.meta.url));

interface Received {
  from: string;
  to: string[];
  raw: string;
}

/** A real SMTP server on 127.0.0.1 (no TLS, no authentication), keeping every message it accepts. */
async function startSmtp(port = 0): Promise<{ port: number; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    secure: false,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const parts: Buffer[] = [];
      stream.on('data', (c: Buffer) => parts.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(parts).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  if (!address || typeof address !== 'object') throw new Error('no SMTP address');
  return { port: address.port, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A port nobody listens on (bound, read, released). */
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

/** Header value of a raw message, unfolded and with RFC 2047 encoded words decoded. */
function header(raw: string, name: string): string {
  const head = raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  if (!line) return '';
  return line
    .slice(name.length + 1)
    .trim()
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, _charset: string, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(
            text
              .replace(/_/g, ' ')
              .replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))),
            'latin1',
          ).toString('utf8'),
    );
}

const SUBJECT = 'Import du flux SIRH « hr-feed-sample.csv » terminé';
const LEFEBVRE = 'sophie.lefebvre@seine-et-marne.gouv.fr';

forEachDatabase('mail', (dialect) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });
  async function platform(smtpPort: number | null): Promise<TestPlatform> {
    const p = await openTestPlatform(dialect, {
      env: smtpPort ? { CARTES_SMTP_URL: `smtp://127.0.0.1:${smtpPort}` } : {},
    });
    cleanups.push(() => p.close());
    return p;
  }
  const importSample = async (p: TestPlatform) =>
    importAgents(p.ctx, await actorFor(p.ctx, 'lefebvre.s77'), {
      organizationId: await orgId(p.ctx, '77011'),
      format: 'csv',
      full: false,
      fileName: 'hr-feed-sample.csv',
      input: Readable.from([SAMPLE]),
      bytesTotal: SAMPLE.length,
    });

  it('sends the end-of-import mail through the SMTP server, once', async () => {
    const smtp = await startSmtp();
    cleanups.push(smtp.close);
    const p = await platform(smtp.port);
    assert.equal(p.config.smtpUrl, `smtp://127.0.0.1:${smtp.port}`);

    const run = await importSample(p);
    const mail = await p.store.db.selectFrom('mails').selectAll().executeTakeFirstOrThrow();
    assert.deepEqual(
      [mail.status, mail.transport, mail.recipient, mail.subject],
      ['queued', 'smtp', LEFEBVRE, SUBJECT],
    );
    assert.equal(smtp.received.length, 0, 'nothing is sent before the worker runs');

    assert.equal(await runDueJobs(p.ctx), 1);
    assert.equal(smtp.received.length, 1);
    const msg = smtp.received[0]!;
    assert.deepEqual(msg.to, [LEFEBVRE]);
    assert.equal(msg.from, 'ne-pas-repondre@cartes-agents.localhost');
    assert.equal(header(msg.raw, 'Subject'), SUBJECT);
    assert.match(header(msg.raw, 'Message-ID'), new RegExp(`<${mail.id}@cartes-agents>`));
    const sent = await p.store.db.selectFrom('mails').selectAll().where('id', '=', mail.id).executeTakeFirstOrThrow();
    assert.equal(sent.status, 'sent');
    assert.ok(sent.sent_at);
    assert.equal(sent.error, null);
    assert.equal(sent.file_name, null);
    assert.match(sent.body, new RegExp(`${run.total} ligne\\(s\\) lue\\(s\\)`));
    const job = await p.store.db.selectFrom('jobs').selectAll().executeTakeFirstOrThrow();
    assert.deepEqual([job.kind, job.status, job.attempts], ['mail.send', 'done', 1]);

    assert.equal(await runDueJobs(p.ctx), 0);
    assert.equal(smtp.received.length, 1, 'not sent twice');
  });

  it('queues no mail when the import is refused (the mail is part of the transaction)', async () => {
    const p = await platform(null);
    await assert.rejects(
      importAgents(p.ctx, await actorFor(p.ctx, 'lefebvre.s77'), {
        organizationId: await orgId(p.ctx, '77011'),
        format: 'csv',
        full: false,
        fileName: 'x.csv',
        input: Readable.from([Buffer.from([0, 1, 2, 3])]),
        bytesTotal: 4,
      }),
      (err: unknown) => err instanceof AppError && err.code === 'invalid',
    );
    assert.equal(await countRows(p.store.db, 'mails'), 0);
    assert.equal(await countRows(p.store.db, 'jobs'), 0);
    // A rolled-back transaction takes its queued mail with it.
    await assert.rejects(
      p.store.db.transaction().execute(async (trx) => {
        await queueMail(p.ctx, trx, { to: 'a@example.fr', subject: 'Annulé', text: 'x' });
        throw new Error('rollback');
      }),
      /rollback/,
    );
    assert.equal(await countRows(p.store.db, 'mails'), 0);
    assert.equal(await countRows(p.store.db, 'jobs'), 0);
  });

  it('without SMTP, writes each mail as an .eml file in <data>/mails', async () => {
    const p = await platform(null);
    assert.equal(p.config.smtpUrl, null);
    const id = await p.store.db.transaction().execute((trx) =>
      queueMail(p.ctx, trx, {
        to: 'hugues.dilindien@mairie-aubepierre.fr',
        subject: 'Votre carte est prête à être remise',
        text: 'Bonjour,\n\nVotre carte agent est disponible en mairie.\n',
      }),
    );
    const file = join(p.dataDir, 'mails', `${id}.eml`);
    assert.equal(existsSync(file), false);
    assert.equal(await runDueJobs(p.ctx), 1);
    assert.ok(existsSync(file), file);
    const eml = readFileSync(file, 'utf8');
    assert.equal(header(eml, 'To'), 'hugues.dilindien@mairie-aubepierre.fr');
    assert.equal(header(eml, 'Subject'), 'Votre carte est prête à être remise');
    assert.match(header(eml, 'From'), /ne-pas-repondre@cartes-agents\.localhost/);
    const row = await p.store.db.selectFrom('mails').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    assert.deepEqual([row.status, row.transport, row.file_name], ['sent', 'file', `${id}.eml`]);
  });

  it('keeps a mail queued while the SMTP server is down and sends it on a later pass', async () => {
    const port = await freePort();
    const p = await platform(port);
    await importSample(p);
    const start = Date.now();

    assert.equal(await runDueJobs(p.ctx), 1);
    const failed = await p.store.db.selectFrom('mails').selectAll().executeTakeFirstOrThrow();
    assert.equal(failed.status, 'queued');
    assert.match(failed.error ?? '', /ECONNREFUSED|connect/i);
    const job = await p.store.db.selectFrom('jobs').selectAll().executeTakeFirstOrThrow();
    assert.deepEqual([job.status, job.attempts, job.lease_owner], ['pending', 1, null]);
    assert.match(job.last_error ?? '', /ECONNREFUSED|connect/i);
    assert.ok(job.run_at > new Date(start).toISOString(), 'retried later, not at once');
    assert.equal(await runDueJobs(p.ctx), 0, 'not due yet');

    const smtp = await startSmtp(port);
    cleanups.push(smtp.close);
    p.ctx.now = () => new Date(Date.now() + 60_000);
    assert.equal(await runDueJobs(p.ctx), 1);
    assert.equal(smtp.received.length, 1);
    assert.equal(header(smtp.received[0]!.raw, 'Subject'), SUBJECT);
    const sent = await p.store.db.selectFrom('mails').selectAll().executeTakeFirstOrThrow();
    assert.deepEqual([sent.status, sent.error], ['sent', null]);
    const done = await p.store.db.selectFrom('jobs').selectAll().executeTakeFirstOrThrow();
    assert.deepEqual([done.status, done.attempts], ['done', 2]);
  });

  it('takes over a job whose worker died once its lease has run out', async () => {
    const p = await platform(null);
    const id = await p.store.db
      .transaction()
      .execute((trx) =>
        queueMail(p.ctx, trx, { to: 'agathe.leroy@mairie-aubepierre.fr', subject: 'Rappel', text: 'x' }),
      );
    const claimed = await claimJobs(p.store, 'worker-crashed', p.ctx.now(), 60_000, 10);
    assert.equal(claimed.length, 1);
    assert.equal(await runDueJobs(p.ctx), 0, 'leased to the crashed worker');
    const later = Date.now() + 61_000;
    p.ctx.now = () => new Date(later);
    assert.equal(await runDueJobs(p.ctx), 1);
    const row = await p.store.db.selectFrom('mails').select('status').where('id', '=', id).executeTakeFirstOrThrow();
    assert.equal(row.status, 'sent');
    const job = await p.store.db.selectFrom('jobs').selectAll().executeTakeFirstOrThrow();
    assert.deepEqual([job.status, job.attempts], ['done', 2]);
  });
});
