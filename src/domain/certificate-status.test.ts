import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  isGood,
  publishedStatus,
  REVOCATION_REASONS,
  transition,
  type CertificateEvent,
  type CertificateState,
} from './certificate-status.ts';

const event: fc.Arbitrary<CertificateEvent> = fc.oneof(
  fc.constant<CertificateEvent>({ kind: 'accept' }),
  fc.constant<CertificateEvent>({ kind: 'suspend' }),
  fc.constant<CertificateEvent>({ kind: 'resume' }),
  fc.constant<CertificateEvent>({ kind: 'expire' }),
  fc.constantFrom(...REVOCATION_REASONS).map((reason): CertificateEvent => ({ kind: 'revoke', reason })),
);

const issued: CertificateState = { status: 'issued', reason: null };

describe('certificate status', () => {
  it('follows the documented transitions', () => {
    const valid = transition(issued, { kind: 'accept' });
    assert.ok(valid.ok && valid.state.status === 'valid');
    const held = transition(valid.state, { kind: 'suspend' });
    assert.ok(held.ok && held.state.status === 'suspended' && held.state.reason === 'certificateHold');
    assert.equal(publishedStatus(held.state), 'revoked');
    const back = transition(held.state, { kind: 'resume' });
    assert.ok(back.ok && back.state.status === 'valid' && back.state.reason === null);
    const revoked = transition(back.state, { kind: 'revoke', reason: 'keyCompromise' });
    assert.ok(revoked.ok && revoked.state.status === 'revoked' && revoked.state.reason === 'keyCompromise');
    for (const e of [{ kind: 'resume' }, { kind: 'accept' }, { kind: 'suspend' }] as CertificateEvent[]) {
      const r = transition(revoked.state, e);
      assert.ok(!r.ok && /définitive/.test(r.message));
    }
    assert.equal(transition(issued, { kind: 'suspend' }).ok, false);
    // Expiry: a good certificate stays good in OCSP, one on hold stays on hold.
    const expired = transition(back.state, { kind: 'expire' });
    assert.ok(expired.ok && expired.state.status === 'expired' && publishedStatus(expired.state) === 'good');
    const heldExpired = transition(held.state, { kind: 'expire' });
    assert.ok(heldExpired.ok && heldExpired.state.reason === 'certificateHold');
    assert.equal(publishedStatus(heldExpired.state), 'revoked');
    assert.equal(transition(heldExpired.state, { kind: 'resume' }).ok, false);
    assert.equal(transition(issued, { kind: 'revoke', reason: 'certificateHold' }).ok, false);
  });

  it('never makes a revoked certificate good again, whatever the sequence of operations', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (events) => {
        let state = issued;
        let revoked = false;
        for (const e of events) {
          const r = transition(state, e);
          if (revoked) {
            assert.equal(r.ok, false);
            continue;
          }
          if (r.ok) state = r.state;
          if (state.status === 'revoked') revoked = true;
          // A refused operation leaves the state as it was; a suspended one is never good.
          if (state.status === 'suspended') assert.equal(isGood(state), false);
        }
        if (revoked) {
          assert.equal(state.status, 'revoked');
          assert.equal(isGood(state), false);
          assert.equal(publishedStatus(state), 'revoked');
        }
      }),
      { numRuns: 2000 },
    );
  });
});
