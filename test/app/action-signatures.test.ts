// Action signatures: the operator's SIGN key confirms the exact content of an action, once.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { after, before, it } from 'node:test';
import { issueActionNonce, requireActionSignature, type SignedAction } from '../../src/app/access/action-signatures.ts';
import { canonicalAction } from '../../src/domain/action-signature.ts';
import { revokeCertificate } from '../../src/app/pki/certificates.ts';
import { systemActor } from '../../src/app/context.ts';
import { actorFor, forEachDatabase, openTestPlatform, type TestPlatform } from '../support/platform.ts';
import { signingKeyFor, type TestSigner } from '../support/signing.ts';
import { fails } from '../support/errors.ts';

const ACTION: SignedAction = {
  action: 'card-request.sign',
  target: 'demande-1',
  content: { kind: 'first_issue', model: 'collectivites-2017' },
};

const refused = (promise: Promise<unknown>, message: RegExp) => fails(promise, null, message);

forEachDatabase('action signatures', (dialect) => {
  let p: TestPlatform;
  let martin: TestSigner;
  let lefebvre: TestSigner;

  before(async () => {
    p = await openTestPlatform(dialect);
    martin = await signingKeyFor(p, 'martin.c77011');
    lefebvre = await signingKeyFor(p, 'lefebvre.s77');
  });
  after(() => p?.close());

  const refusals = async () =>
    (
      await p.store.db
        .selectFrom('audit_log')
        .select('seq')
        .where('outcome', '=', 'refused')
        .where('action', 'like', 'signature.%')
        .execute()
    ).length;

  it('accepts the operator’s own signature of the exact content and returns it as evidence', async () => {
    const actor = await actorFor(p.ctx, 'martin.c77011');
    const signed = await martin.signAction(actor, ACTION);
    const r = await requireActionSignature(p.ctx, actor, ACTION, signed);
    assert.equal(r.certificateSerial, martin.serial);
    assert.deepEqual(r.evidence, [`signature:${martin.serial}:${signed.signature}`]);
  });

  it('refuses a replayed signature, a changed content, another person’s nonce or certificate, and audits each refusal', async () => {
    const actor = await actorFor(p.ctx, 'martin.c77011');
    const other = await actorFor(p.ctx, 'lefebvre.s77');
    const before = await refusals();
    const signed = await martin.signAction(actor, ACTION);
    await requireActionSignature(p.ctx, actor, ACTION, signed);
    await refused(requireActionSignature(p.ctx, actor, ACTION, signed), /rejouée/);
    const forContent = await martin.signAction(actor, ACTION);
    await refused(
      requireActionSignature(
        p.ctx,
        actor,
        { ...ACTION, content: { kind: 'replacement', model: 'collectivites-2017' } },
        forContent,
      ),
      /ne correspond pas/,
    );
    const foreignNonce = await lefebvre.signAction(other, ACTION);
    await refused(requireActionSignature(p.ctx, actor, ACTION, { ...foreignNonce }), /rejouée|inconnue/);
    // Martin's nonce signed by Sophie's card: not his certificate.
    const { nonce } = await issueActionNonce(p.ctx, actor);
    await refused(
      requireActionSignature(p.ctx, actor, ACTION, {
        nonce,
        signature: lefebvre.sign(canonicalAction({ ...ACTION, nonce })),
        certificate: Buffer.from(lefebvre.certificate).toString('base64'),
      }),
      /pas le vôtre/,
    );
    // An AUTH certificate cannot sign an action.
    const n2 = (await issueActionNonce(p.ctx, actor)).nonce;
    await refused(
      requireActionSignature(p.ctx, actor, ACTION, {
        nonce: n2,
        signature: martin.signAuth(canonicalAction({ ...ACTION, nonce: n2 })),
        certificate: Buffer.from(martin.authCertificate).toString('base64'),
      }),
      /pas un certificat de signature/,
    );
    // A key the platform never certified, with a self-made certificate: unknown.
    const n3 = (await issueActionNonce(p.ctx, actor)).nonce;
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const sig = nodeSign('sha256', Buffer.from(canonicalAction({ ...ACTION, nonce: n3 })), {
      key: privateKey,
      dsaEncoding: 'der',
    }).toString('base64');
    await refused(
      requireActionSignature(p.ctx, actor, ACTION, {
        nonce: n3,
        signature: sig,
        certificate: Buffer.from(martin.certificate).toString('base64'),
      }),
      /ne correspond pas/,
    );
    await refused(
      requireActionSignature(p.ctx, actor, ACTION, null),
      /confirmée avec votre carte \(code PIN de signature\)/,
    );
    assert.equal(await refusals(), before + 6);
  });

  it('refuses a signature made with a revoked certificate', async () => {
    const moreau = await signingKeyFor(p, 'moreau.jp77011');
    const actor = await actorFor(p.ctx, 'moreau.jp77011');
    await revokeCertificate(p.ctx, systemActor('test'), moreau.serial, 'keyCompromise');
    await refused(requireActionSignature(p.ctx, actor, ACTION, await moreau.signAction(actor, ACTION)), /révoqué/);
  });

  it('refuses an expired nonce', async () => {
    const actor = await actorFor(p.ctx, 'martin.c77011');
    const signed = await martin.signAction(actor, ACTION);
    const realNow = p.ctx.now;
    p.ctx.now = () => new Date(realNow().getTime() + 6 * 60_000);
    try {
      await refused(requireActionSignature(p.ctx, actor, ACTION, signed), /expirée/);
    } finally {
      p.ctx.now = realNow;
    }
  });
});
