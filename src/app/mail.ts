import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { enqueue } from '../jobs/queue.ts';
import type { AppContext } from './context.ts';
import { mailsDelivered } from '../metrics.ts';

/** Queues a mail in the caller's transaction (outbox): it is sent only if the change commits. */
export async function queueMail(
  ctx: AppContext,
  trx: Transaction<Database> | Kysely<Database>,
  mail: { to: string; subject: string; text: string },
): Promise<string> {
  const id = ctx.newId();
  const now = ctx.now().toISOString();
  await trx
    .insertInto('mails')
    .values({
      id,
      recipient: mail.to,
      subject: mail.subject,
      body: mail.text,
      transport: ctx.mailer.transport,
      file_name: null,
      status: 'queued',
      created_at: now,
      sent_at: null,
      error: null,
    })
    .execute();
  await enqueue(trx, { id: ctx.newId(), kind: 'mail.send', payload: { mailId: id }, runAt: now, now });
  return id;
}

/** A delivery in progress for longer than this is taken to have died with its process. */
const SENDING_STALE_MS = 2 * 60_000;

/**
 * Delivers one queued mail, once: the mail row is claimed (queued → sending) before the transport
 * is called, so two workers never send it both; a claim left by a process that died is taken over
 * after SENDING_STALE_MS. The mail's id is its idempotency key on the wire (Message-ID
 * `<id@cartes-agents>`): a receiver can drop the one duplicate a crash between sending and recording
 * may cause.
 */
export async function deliverMail(ctx: AppContext, mailId: string): Promise<void> {
  const now = ctx.now();
  const claimed = await ctx.store.db
    .updateTable('mails')
    .set({ status: 'sending', sending_since: now.toISOString() })
    .where('id', '=', mailId)
    .where((eb) =>
      eb.or([
        eb('status', 'in', ['queued', 'failed']),
        eb.and([
          eb('status', '=', 'sending'),
          eb('sending_since', '<', new Date(now.getTime() - SENDING_STALE_MS).toISOString()),
        ]),
      ]),
    )
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) {
    const mail = await ctx.store.db.selectFrom('mails').select('status').where('id', '=', mailId).executeTakeFirst();
    if (!mail || mail.status === 'sent') return;
    throw new Error('courriel en cours d’envoi par un autre processus');
  }
  const mail = await ctx.store.db.selectFrom('mails').selectAll().where('id', '=', mailId).executeTakeFirstOrThrow();
  try {
    const { fileName } = await ctx.mailer.deliver({
      id: mail.id,
      to: mail.recipient,
      subject: mail.subject,
      text: mail.body,
    });
    await ctx.store.db
      .updateTable('mails')
      .set({
        status: 'sent',
        sent_at: ctx.now().toISOString(),
        file_name: fileName,
        error: null,
        transport: ctx.mailer.transport,
        sending_since: null,
      })
      .where('id', '=', mailId)
      .execute();
    mailsDelivered.inc({ transport: ctx.mailer.transport, outcome: 'sent' });
  } catch (err) {
    mailsDelivered.inc({ transport: ctx.mailer.transport, outcome: 'error' });
    await ctx.store.db
      .updateTable('mails')
      .set({ status: 'queued', sending_since: null, error: err instanceof Error ? err.message : String(err) })
      .where('id', '=', mailId)
      .execute();
    throw err;
  }
}
