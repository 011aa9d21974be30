import { canonicalAction } from '../../domain/action-signature.ts';
import { checkPresentedCertificate, signatureValid } from './certificate-checks.ts';
import { AppError, invalid } from '../errors.ts';
import { hashSecret, newSecret } from '../secrets.ts';
import { auditRefusal } from '../refusals.ts';
import type { Actor, AppContext } from '../context.ts';

// Every operator action that changes a request, a card or a certificate is confirmed by the
// operator's signature key (signature PIN). The server hands out a single-use nonce, the card signs
// canonicalAction({ action, target, content, nonce }), the server checks it here and keeps the
// signature in the audit record as evidence.

export const ACTION_NONCE_MINUTES = 5;

export interface ActionSignature {
  nonce: string;
  /** Base64 of the signature (ECDSA DER or RSA PKCS#1 v1.5, SHA-256). */
  signature: string;
  /** Base64 of the signer's SIGN certificate (DER). */
  certificate: string;
}

export interface SignedAction {
  action: string;
  target: string;
  content: unknown;
}

export async function issueActionNonce(ctx: AppContext, actor: Actor): Promise<{ nonce: string; expiresAt: string }> {
  if (actor.kind !== 'person')
    throw new AppError('forbidden', 'Seule une personne munie de sa carte peut signer une action.');
  const nonce = newSecret();
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + ACTION_NONCE_MINUTES * 60_000).toISOString();
  await ctx.store.db
    .insertInto('challenges')
    .values({
      id: ctx.newId(),
      purpose: 'action',
      value_hash: hashSecret(nonce),
      agent_id: actor.agentId,
      created_at: now.toISOString(),
      expires_at: expiresAt,
      used_at: null,
    })
    .execute();
  return { nonce, expiresAt };
}

function decode(field: string, value: unknown): Buffer {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > 16_384 ||
    !/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)
  ) {
    throw invalid('Signature illisible.', [{ field: `signature.${field}`, reason: 'Base64 attendu.' }]);
  }
  return Buffer.from(value, 'base64');
}

/**
 * Checks the operator's signature of an action. The nonce is spent by the attempt, good or bad, so
 * a signature can never be replayed. Refusals are audited; success returns the evidence to store.
 */
export async function requireActionSignature(
  ctx: AppContext,
  actor: Actor,
  action: SignedAction,
  signed: ActionSignature | undefined | null,
  // The hand-over is confirmed with the authentication PIN (seed 001); everything else with the signature PIN.
  opts: { profile?: 'auth' | 'sign' } = {},
): Promise<{ evidence: string[]; certificateSerial: string }> {
  const profile = opts.profile ?? 'sign';
  if (actor.kind !== 'person')
    throw new AppError('forbidden', 'Seule une personne munie de sa carte peut signer une action.');
  if (!signed || typeof signed !== 'object') {
    const pin = profile === 'sign' ? 'code PIN de signature' : "code PIN d'authentification";
    throw invalid(`Cette action doit être confirmée avec votre carte (${pin}).`, [
      { field: 'signature', reason: 'Signature absente.' },
    ]);
  }
  if (typeof signed.nonce !== 'string' || signed.nonce.length > 200)
    throw invalid('Signature illisible.', [{ field: 'signature.nonce', reason: 'Valeur attendue.' }]);
  const signature = decode('signature', signed.signature);
  const certificate = decode('certificate', signed.certificate);
  try {
    const now = ctx.now().toISOString();
    const spent = await ctx.store.db
      .updateTable('challenges')
      .set({ used_at: now })
      .where('value_hash', '=', hashSecret(signed.nonce))
      .where('purpose', '=', 'action')
      .where('agent_id', '=', actor.agentId)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (Number(spent.numUpdatedRows) !== 1)
      throw new AppError('forbidden', 'Signature rejouée, expirée ou inconnue : recommencez la signature.');
    const cert = await checkPresentedCertificate(ctx, certificate, profile);
    if (cert.agentId !== actor.agentId)
      throw new AppError('forbidden', "Ce certificat n'est pas le vôtre : insérez votre propre carte.");
    const text = canonicalAction({ ...action, nonce: signed.nonce });
    if (!signatureValid(cert.publicKey, text, signature))
      throw new AppError('forbidden', 'La signature ne correspond pas au contenu de l’action : elle est refusée.');
    return { evidence: [`signature:${cert.serial}:${signature.toString('base64')}`], certificateSerial: cert.serial };
  } catch (err) {
    if (err instanceof AppError)
      await auditRefusal(
        ctx,
        actor,
        `signature.${action.action}`,
        null,
        { type: 'action', id: action.target },
        err.message,
      );
    throw err;
  }
}
