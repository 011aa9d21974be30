import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { enqueue } from '../jobs/queue.ts';
import type { AppContext } from './context.ts';

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

export async function deliverMail(ctx: AppContext, mailId: string): Promise<void> {
  const mail = await ctx.store.db.selectFrom('mails').selectAll().where('id', '=', mailId).executeTakeFirst();
  if (!mail || mail.status === 'sent') return;
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
      })
      .where('id', '=', mailId)
      .execute();
  } catch (err) {
    await ctx.store.db
      .updateTable('mails')
      .set({ error: err instanceof Error ? err.message : String(err) })
      .where('id', '=', mailId)
      .execute();
    throw err;
  }
}
