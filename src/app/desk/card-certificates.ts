import type { Transaction, Updateable } from 'kysely';
import type { CardState } from '../../domain/card-lifecycle.ts';
import {
  transition,
  type CertificateEvent,
  type CertificateStatus,
  type RevocationReason,
} from '../../domain/certificate-status.ts';
import { enqueue } from '../../jobs/queue.ts';
import type { CardTable, Database } from '../../store/schema.ts';
import { AppError } from '../errors.ts';
import { writeCertificateStatus } from '../pki/certificates.ts';
import type { AppContext } from '../context.ts';

// Card state and certificate status change in the same transaction (ARCHITECTURE.md "Data
// safety"): the card workflows call this inside their own transaction, and the CRLs of the CAs
// concerned are republished through the outbox once it commits (OCSP reads the rows directly).

/**
 * Moves the card row from `from` to `to` only if it still is in `from` (another desk or instance may have
 * moved it meanwhile), setting `also` with it; otherwise a conflict that tells the user to `retry`.
 */
export async function moveCardRow(
  trx: Transaction<Database>,
  cardId: string,
  from: CardState,
  to: CardState,
  now: string,
  opts: { also?: Updateable<CardTable>; retry?: string } = {},
): Promise<void> {
  const moved = await trx
    .updateTable('cards')
    .set({ ...opts.also, state: to, state_changed_at: now, updated_at: now })
    .where('id', '=', cardId)
    .where('state', '=', from)
    .executeTakeFirst();
  if (Number(moved.numUpdatedRows) !== 1)
    throw new AppError('conflict', `La carte vient de changer d’état : ${opts.retry ?? 'rechargez la page'}.`);
}

export interface CardCertificateChange {
  serial: string;
  before: CertificateStatus;
  after: CertificateStatus;
}

/** Applies one event to every certificate of a card it applies to; final states are left alone. */
export async function changeCardCertificates(
  ctx: AppContext,
  trx: Transaction<Database>,
  cardId: string,
  event: CertificateEvent,
  opts: { invalidityDate?: string | null } = {},
): Promise<CardCertificateChange[]> {
  const certs = await trx
    .selectFrom('certificates')
    .select(['serial', 'ca_id', 'status', 'revocation_reason'])
    .where('card_id', '=', cardId)
    .orderBy('serial')
    .execute();
  const now = ctx.now().toISOString();
  const changes: CardCertificateChange[] = [];
  const cas = new Set<string>();
  for (const c of certs) {
    const before = {
      status: c.status as CertificateStatus,
      reason: (c.revocation_reason as RevocationReason | null) ?? null,
    };
    if (before.status === 'revoked' || before.status === 'expired') continue;
    if (event.kind === 'accept' && before.status !== 'issued') continue;
    if (event.kind === 'resume' && before.status !== 'suspended') continue;
    if (event.kind === 'suspend' && before.status !== 'valid') continue;
    // A held certificate stays held (and published as revoked) until the hold is resolved.
    if (event.kind === 'expire' && before.status === 'suspended') continue;
    const next = transition(before, event);
    if (!next.ok) throw new AppError('conflict', next.message);
    if (!(await writeCertificateStatus(trx, c, next.state, now, opts.invalidityDate)))
      throw new AppError('conflict', 'Le statut d’un certificat de la carte vient de changer : recommencez.');
    changes.push({ serial: c.serial, before: before.status, after: next.state.status });
    if (event.kind !== 'accept') cas.add(c.ca_id);
  }
  for (const caId of cas)
    await enqueue(trx, { id: ctx.newId(), kind: 'crl.publish', payload: { caId }, runAt: now, now });
  return changes;
}
