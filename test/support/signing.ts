// Signing keys for tests that need an operator's signature without a card: a Node key pair whose
// public key gets a SIGN (and AUTH) certificate from the test platform's own PKI, accepted (valid).
import { generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { systemActor, type Actor, type AppContext } from '../../src/app/context.ts';
import {
  acceptCertificate,
  certificateAction,
  initPki,
  issueForPublicKey,
  pkiEnvironment,
  type PkiEnvironment,
} from '../../src/app/pki/certificates.ts';
import { issueActionNonce, type ActionSignature, type SignedAction } from '../../src/app/access/action-signatures.ts';
import type { CertificateEvent } from '../../src/domain/certificate-status.ts';
import { DEMO_CUSTODIAN_SECRETS } from '../../src/app/demo/pki.ts';
import { canonicalAction } from '../../src/domain/action-signature.ts';
import type { Dialect } from '../../src/store/database.ts';
import { openTestPlatform, type TestPlatform } from './platform.ts';

const environments = new WeakMap<TestPlatform, Promise<PkiEnvironment>>();

/** The platform's PKI, set up once (demonstration custodian secrets) on first use. */
export function ensureTestPki(p: TestPlatform): Promise<PkiEnvironment> {
  let env = environments.get(p);
  if (!env) {
    env = (async () => {
      const pki = pkiEnvironment({ publicUrl: p.config.publicUrl, dataDir: p.dataDir }, {});
      const existing = await p.store.db.selectFrom('certification_authorities').select('id').executeTakeFirst();
      if (!existing) await initPki(p.ctx, systemActor('test'), pki, { custodianSecrets: [...DEMO_CUSTODIAN_SECRETS] });
      return pki;
    })();
    environments.set(p, env);
  }
  return env;
}

export interface TestSigner {
  identifier: string;
  /** Serial and DER of the SIGN certificate. */
  serial: string;
  certificate: Uint8Array;
  /** Serial and DER of the AUTH certificate. */
  authSerial: string;
  authCertificate: Uint8Array;
  /** Signature (base64, ECDSA DER, SHA-256) of a text with the SIGN key. */
  sign(text: string): string;
  /** Signature (base64) of a text with the AUTH key. */
  signAuth(text: string): string;
  /** A complete action signature: fresh nonce from the platform, canonical text, SIGN key. */
  signAction(actor: Actor, action: SignedAction): Promise<ActionSignature>;
}

function signWith(key: KeyObject, text: string): string {
  return nodeSign('sha256', Buffer.from(text, 'utf8'), { key, dsaEncoding: 'der' }).toString('base64');
}

/** Gives the agent `identifier` valid AUTH and SIGN certificates for Node-held keys. */
export async function signingKeyFor(
  p: TestPlatform | { ctx: AppContext },
  identifier: string,
  opts: { cardId?: string | null; pki?: PkiEnvironment } = {},
): Promise<TestSigner> {
  // A platform opened outside the test helpers (several processes on one database) brings its own PKI.
  const pki = opts.pki ?? (await ensureTestPki(p as TestPlatform));
  const system = systemActor('test');
  const issue = async (profile: 'auth' | 'sign') => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
    const issued = await issueForPublicKey(p.ctx, system, pki, {
      spki,
      profile,
      agentIdentifier: identifier,
      cardId: opts.cardId ?? null,
    });
    await acceptCertificate(p.ctx, system, issued.serial);
    return { serial: issued.serial, der: issued.der, privateKey };
  };
  const signKey = await issue('sign');
  const authKey = await issue('auth');
  const certificate = Buffer.from(signKey.der).toString('base64');
  return {
    identifier,
    serial: signKey.serial,
    certificate: signKey.der,
    authSerial: authKey.serial,
    authCertificate: authKey.der,
    sign: (text) => signWith(signKey.privateKey, text),
    signAuth: (text) => signWith(authKey.privateKey, text),
    async signAction(actor, action) {
      const { nonce } = await issueActionNonce(p.ctx, actor);
      return { nonce, signature: signWith(signKey.privateKey, canonicalAction({ ...action, nonce })), certificate };
    },
  };
}

/**
 * The action signature of a certificate status change by `actor` (whose identifier is `identifier`). A fresh signing
 * key each time: a key kept across calls would outlive a restore that drops its certificate.
 */
export async function signCertificateEvent(
  p: TestPlatform | { ctx: AppContext },
  identifier: string,
  actor: Actor,
  serial: string,
  event: CertificateEvent,
  opts: { pki?: PkiEnvironment } = {},
): Promise<ActionSignature> {
  const signer = await signingKeyFor(p, identifier, opts);
  return signer.signAction(actor, certificateAction(serial, event));
}

/** A platform on `dialect` (demo data) and the signing key of its operator Camille MARTIN (martin.c77011). */
export async function openDesk(dialect: Dialect): Promise<{ p: TestPlatform; martin: TestSigner }> {
  const p = await openTestPlatform(dialect);
  return { p, martin: await signingKeyFor(p, 'martin.c77011') };
}
