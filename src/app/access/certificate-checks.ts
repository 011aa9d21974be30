import { createHash, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { CARD_USABLE, type CardState } from '../../domain/card-lifecycle.ts';
import { AppError } from '../errors.ts';
import type { AppContext } from '../context.ts';

// The checks a certificate presented by a person must pass before the server believes a signature
// made with its key: issued by us (same bytes as recorded, signed by the recorded CA), the expected
// profile, valid status and dates, the card usable, the agent active.

export interface PresentedCertificate {
  serial: string;
  agentId: string;
  cardId: string | null;
  caId: string;
  publicKey: KeyObject;
}

const refuse = (message: string): never => {
  throw new AppError('forbidden', message);
};

export async function checkPresentedCertificate(
  ctx: AppContext,
  der: Uint8Array,
  profile: 'auth' | 'sign',
): Promise<PresentedCertificate> {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(der));
  } catch {
    return refuse('Certificat illisible : un certificat X.509 (DER) est attendu.');
  }
  const sha256 = createHash('sha256').update(der).digest('hex');
  const row = await ctx.store.db.selectFrom('certificates').selectAll().where('sha256', '=', sha256).executeTakeFirst();
  if (!row) return refuse("Ce certificat n'a pas été émis par la plateforme.");
  const ca = await ctx.store.db
    .selectFrom('certification_authorities')
    .select(['certificate_der', 'status'])
    .where('id', '=', row.ca_id)
    .executeTakeFirst();
  if (!ca) return refuse("L'autorité émettrice de ce certificat est inconnue.");
  const issuer = new X509Certificate(Buffer.from(ca.certificate_der));
  if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey))
    return refuse("Ce certificat n'est pas signé par son autorité émettrice.");
  if (row.profile !== profile) {
    return refuse(
      profile === 'auth'
        ? "Ce certificat n'est pas un certificat d'authentification."
        : "Ce certificat n'est pas un certificat de signature.",
    );
  }
  if (!row.agent_id) return refuse("Ce certificat n'appartient à aucun agent.");
  const now = ctx.now().toISOString();
  if (row.status === 'issued')
    refuse("Ce certificat n'a pas encore été accepté par son porteur (activation de la carte).");
  if (row.status === 'suspended') refuse('Ce certificat est suspendu.');
  if (row.status === 'revoked') refuse('Ce certificat est révoqué.');
  if (row.status !== 'valid' || now > row.not_after) refuse('Ce certificat a expiré.');
  if (now < row.not_before) refuse("Ce certificat n'est pas encore valide.");
  if (row.card_id) {
    const card = await ctx.store.db
      .selectFrom('cards')
      .select('state')
      .where('id', '=', row.card_id)
      .executeTakeFirst();
    if (!card || !CARD_USABLE.includes(card.state as CardState))
      refuse("La carte qui porte ce certificat n'est pas utilisable (non activée, bloquée, suspendue ou révoquée).");
  }
  const agent = await ctx.store.db
    .selectFrom('agents')
    .select('status')
    .where('id', '=', row.agent_id)
    .executeTakeFirst();
  if (agent?.status !== 'active') refuse('Le compte de cet agent est désactivé.');
  return { serial: row.serial, agentId: row.agent_id, cardId: row.card_id, caId: row.ca_id, publicKey: cert.publicKey };
}

/** ECDSA (DER-encoded) or RSA PKCS#1 v1.5 signature with SHA-256 over `data`. */
export function signatureValid(publicKey: KeyObject, data: Uint8Array | string, signature: Uint8Array): boolean {
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    return verify(
      'sha256',
      bytes,
      publicKey.asymmetricKeyType === 'ec' ? { key: publicKey, dsaEncoding: 'der' } : publicKey,
      signature,
    );
  } catch {
    return false;
  }
}
