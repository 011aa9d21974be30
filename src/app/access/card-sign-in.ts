// Sign-in with a card (ARCHITECTURE.md "Authentication"): the card's AUTH key signs a fresh server
// challenge bound to the portal origin, or a trusted reverse proxy passes the TLS client certificate
// it verified. Both end in the same certificate checks (certificate-checks.ts); every refusal is
// audited with its French reason and changes nothing but the spent challenge.
import { createHash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { signInText } from '../../domain/card-sign-in.ts';
import { appendAudit } from '../../store/audit.ts';
import { checkPresentedCertificate, signatureValid } from './certificate-checks.ts';
import { AppError } from '../errors.ts';
import { hashSecret, newSecret } from '../secrets.ts';
import { SESSION_HOURS } from './sessions.ts';
import type { AppContext } from '../context.ts';

export const SIGN_IN_CHALLENGE_MINUTES = 2;

export interface SignInChallenge {
  /**
   * What the page sends back: the challenge itself in base64url. Only its hash is stored, and the
   * challenge is no secret (it is useless without the card's signature), so it names itself.
   */
  challengeId: string;
  /** Base64 of 32 random bytes: the page has the card sign signInText(challenge, origin). */
  challenge: string;
  expiresAt: string;
}

export interface CardSignInInput {
  challengeId: string;
  /** The challenge as received (base64), if the page sends it back: it must be the challenge of challengeId. */
  challenge?: string | undefined;
  /** AUTH certificate read from the card (DER). */
  certificate: Uint8Array;
  /** Signature of signInText(challenge, origin) by the AUTH key (ECDSA DER or RSA PKCS#1 v1.5, SHA-256). */
  signature: Uint8Array;
  /** The portal origin, from the configuration (never from the request). */
  origin: string;
}

export interface OpenedSession {
  sessionId: string;
  csrfToken: string;
  agentId: string;
}

type Method = 'card' | 'tls';

export async function createSignInChallenge(ctx: AppContext): Promise<SignInChallenge> {
  const bytes = randomBytes(32);
  const challenge = bytes.toString('base64');
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + SIGN_IN_CHALLENGE_MINUTES * 60_000).toISOString();
  // Anyone may ask for a challenge: those past their time for a day go, so the table stays small.
  await ctx.store.db
    .deleteFrom('challenges')
    .where('purpose', '=', 'sign_in')
    .where('expires_at', '<', new Date(now.getTime() - 86_400_000).toISOString())
    .execute();
  await ctx.store.db
    .insertInto('challenges')
    .values({
      id: ctx.newId(),
      purpose: 'sign_in',
      value_hash: hashSecret(challenge),
      agent_id: null,
      created_at: now.toISOString(),
      expires_at: expiresAt,
      used_at: null,
    })
    .execute();
  return { challengeId: bytes.toString('base64url'), challenge, expiresAt };
}

function refuse(message: string): never {
  throw new AppError('unauthenticated', message);
}

/** The challenge (base64) a challengeId stands for; null when it cannot be one. */
function challengeOf(challengeId: string): string | null {
  if (!/^[A-Za-z0-9_-]{43}$/.test(challengeId)) return null;
  const bytes = Buffer.from(challengeId, 'base64url');
  return bytes.length === 32 ? bytes.toString('base64') : null;
}

/** Spends the challenge whatever comes next, so that no attempt can be retried with it; returns it. */
async function spendChallenge(
  ctx: AppContext,
  input: Pick<CardSignInInput, 'challengeId' | 'challenge'>,
): Promise<string> {
  const now = ctx.now().toISOString();
  const challenge = challengeOf(input.challengeId);
  const row =
    challenge === null
      ? undefined
      : await ctx.store.db
          .selectFrom('challenges')
          .select(['id', 'expires_at'])
          .where('value_hash', '=', hashSecret(challenge))
          .where('purpose', '=', 'sign_in')
          .executeTakeFirst();
  if (!row || challenge === null) refuse('Défi de connexion inconnu : recommencez la connexion.');
  const spent = await ctx.store.db
    .updateTable('challenges')
    .set({ used_at: now })
    .where('id', '=', row.id)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  if (Number(spent.numUpdatedRows) !== 1) refuse('Ce défi de connexion a déjà servi : recommencez la connexion.');
  if (row.expires_at <= now)
    refuse(
      `Ce défi de connexion a expiré (validité : ${SIGN_IN_CHALLENGE_MINUTES} minutes) : recommencez la connexion.`,
    );
  if (input.challenge !== undefined && input.challenge !== challenge)
    refuse('Le défi signé ne correspond pas à celui remis par le serveur.');
  return challenge;
}

/** Card sign-in: challenge, certificate, then signature; a session for the certificate's agent. */
export async function signInWithCard(
  ctx: AppContext,
  input: CardSignInInput,
  requestId: string | null,
): Promise<OpenedSession> {
  return attempt(ctx, 'card', input.certificate, requestId, async () => {
    const challenge = await spendChallenge(ctx, input);
    const cert = await certificateChecks(ctx, input.certificate);
    if (!signatureValid(cert.publicKey, signInText(challenge, input.origin), input.signature)) {
      refuse('La signature de la carte ne correspond pas au défi de connexion : connexion refusée.');
    }
    return cert;
  });
}

/** Sign-in with a TLS client certificate a trusted reverse proxy verified: same checks minus the challenge. */
export async function signInWithClientCertificate(
  ctx: AppContext,
  certificate: Uint8Array,
  requestId: string | null,
): Promise<OpenedSession> {
  return attempt(ctx, 'tls', certificate, requestId, () => certificateChecks(ctx, certificate));
}

async function certificateChecks(ctx: AppContext, der: Uint8Array) {
  try {
    return await checkPresentedCertificate(ctx, der, 'auth');
  } catch (err) {
    // Same reasons, but a sign-in refusal is "not authenticated" (401).
    if (err instanceof AppError) refuse(err.message);
    throw err;
  }
}

async function attempt(
  ctx: AppContext,
  method: Method,
  certificate: Uint8Array,
  requestId: string | null,
  check: () => Promise<{ agentId: string; serial: string }>,
): Promise<OpenedSession> {
  const action = `session.${method}`;
  let cert: { agentId: string; serial: string };
  try {
    cert = await check();
  } catch (err) {
    if (err instanceof AppError) await auditRefusal(ctx, action, method, certificate, err.message, requestId);
    throw err;
  }
  const now = ctx.now().toISOString();
  const sessionId = newSecret();
  const csrfToken = newSecret();
  await ctx.store.db.transaction().execute(async (trx) => {
    const agent = await trx
      .selectFrom('agents')
      .select('organization_id')
      .where('id', '=', cert.agentId)
      .executeTakeFirstOrThrow();
    const expiresAt = new Date(ctx.now().getTime() + SESSION_HOURS * 3600_000).toISOString();
    await trx
      .insertInto('sessions')
      .values({
        id_hash: hashSecret(sessionId),
        agent_id: cert.agentId,
        csrf_token: csrfToken,
        created_at: now,
        expires_at: expiresAt,
      })
      .execute();
    await appendAudit(trx, ctx.store, {
      at: now,
      actorId: cert.agentId,
      actorRole: null,
      organizationId: agent.organization_id,
      action,
      outcome: 'ok',
      targetType: 'agent',
      targetId: cert.agentId,
      requestId,
      summary: { method, certificate: cert.serial },
    });
  });
  return { sessionId, csrfToken, agentId: cert.agentId };
}

async function auditRefusal(
  ctx: AppContext,
  action: string,
  method: Method,
  certificate: Uint8Array,
  reason: string,
  requestId: string | null,
): Promise<void> {
  // Whose certificate it claims to be, when it is one of ours: the refusal then shows in their history.
  const sha256 = createHash('sha256').update(certificate).digest('hex');
  const known = certificate.length
    ? await ctx.store.db
        .selectFrom('certificates as c')
        .leftJoin('agents as a', 'a.id', 'c.agent_id')
        .select(['c.serial', 'c.agent_id', 'a.organization_id'])
        .where('c.sha256', '=', sha256)
        .executeTakeFirst()
    : undefined;
  await ctx.store.db.transaction().execute(async (trx) => {
    await appendAudit(trx, ctx.store, {
      at: ctx.now().toISOString(),
      actorId: known?.agent_id ?? null,
      actorRole: null,
      organizationId: known?.organization_id ?? null,
      action,
      outcome: 'refused',
      targetType: known?.agent_id ? 'agent' : null,
      targetId: known?.agent_id ?? null,
      requestId,
      summary: { method, reason, certificate: known?.serial ?? null, sha256 },
    });
  });
}

/** Audits a TLS sign-in refused before any certificate was read (untrusted caller, no header). */
export async function refuseClientCertificate(
  ctx: AppContext,
  reason: string,
  requestId: string | null,
  from: string | null,
): Promise<never> {
  await ctx.store.db.transaction().execute(async (trx) => {
    await appendAudit(trx, ctx.store, {
      at: ctx.now().toISOString(),
      actorId: null,
      actorRole: null,
      organizationId: null,
      action: 'session.tls',
      outcome: 'refused',
      requestId,
      summary: { method: 'tls', reason, from },
    });
  });
  return refuse(reason);
}

// ---------------------------------------------------------------------------------------------
// What the reverse proxy passes

/** `::ffff:10.0.0.1` and `10.0.0.1` are the same caller. */
export function normalizeAddress(address: string | undefined | null): string | null {
  if (!address) return null;
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return v4 ? v4[1]! : address.toLowerCase();
}

export function isTrustedProxy(address: string | undefined | null, trusted: readonly string[]): boolean {
  const a = normalizeAddress(address);
  return a !== null && isIP(a) !== 0 && trusted.some((t) => normalizeAddress(t) === a);
}

/**
 * The DER of the certificate in a proxy header: PEM, URL-encoded (nginx $ssl_client_escaped_cert)
 * or with its line breaks folded into spaces or tabs; null when it is not one.
 */
export function certificateFromHeader(value: string): Uint8Array | null {
  let text = value;
  if (text.includes('%')) {
    try {
      text = decodeURIComponent(text);
    } catch {
      return null;
    }
  }
  const m = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(text);
  if (!m) return null;
  const der = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  return der.length ? new Uint8Array(der) : null;
}
