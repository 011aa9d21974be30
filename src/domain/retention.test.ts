import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addMonths, agentEndedAt, agentPurgeDue, identityCopyDue, photoDue, type AgentFacts } from './retention.ts';

const left: AgentFacts = {
  status: 'inactive',
  updatedAt: '2020-01-10T00:00:00.000Z',
  cards: [{ state: 'destroyed', stateChangedAt: '2020-02-01T00:00:00.000Z' }],
  certificates: [
    { status: 'revoked', notAfter: '2022-05-01T00:00:00.000Z', revokedAt: '2020-01-15T00:00:00.000Z' },
    { status: 'expired', notAfter: '2021-03-01T00:00:00.000Z', revokedAt: null },
  ],
  requestsInProgress: 0,
};

describe('retention rules', () => {
  it('counts 7 years from the latest end: card, certificate expiry, departure', () => {
    assert.equal(agentEndedAt(left), '2022-05-01T00:00:00.000Z');
    assert.equal(agentPurgeDue(left, '2029-04-30T23:59:59.000Z', 7), false);
    assert.equal(agentPurgeDue(left, '2029-05-01T00:00:00.000Z', 7), true);
  });

  it('keeps everything while the agent, a card, a certificate or a request is still going', () => {
    assert.equal(agentEndedAt({ ...left, status: 'active' }), null);
    assert.equal(agentEndedAt({ ...left, requestsInProgress: 1 }), null);
    assert.equal(agentEndedAt({ ...left, cards: [{ state: 'active', stateChangedAt: '2020-01-01T00:00:00Z' }] }), null);
    assert.equal(
      agentEndedAt({
        ...left,
        certificates: [{ status: 'valid', notAfter: '2021-01-01T00:00:00Z', revokedAt: null }],
      }),
      null,
    );
    assert.equal(agentPurgeDue({ ...left, status: 'active' }, '2099-01-01T00:00:00Z', 7), false);
  });

  it('deletes identity copies of ended cards and photos when nothing needs them', () => {
    const ended = { state: 'destroyed', stateChangedAt: '2020-01-01T00:00:00.000Z' };
    assert.equal(identityCopyDue(ended, '2026-12-31T00:00:00.000Z', 7), false);
    assert.equal(identityCopyDue(ended, '2027-01-01T00:00:00.000Z', 7), true);
    assert.equal(identityCopyDue({ ...ended, state: 'active' }, '2099-01-01T00:00:00.000Z', 7), false);
    const photo = { status: 'active', updatedAt: '2020-01-01T00:00:00Z', lastProducedAt: '2024-06-01T00:00:00Z' };
    assert.equal(photoDue({ ...photo, inProgress: 0 }, '2025-05-31T00:00:00Z', 12), false);
    assert.equal(photoDue({ ...photo, inProgress: 0 }, '2025-06-01T00:00:00Z', 12), true);
    assert.equal(photoDue({ ...photo, inProgress: 1 }, '2099-01-01T00:00:00Z', 12), false);
    assert.equal(photoDue({ ...photo, lastProducedAt: null, inProgress: 0 }, '2099-01-01T00:00:00Z', 12), false);
    assert.equal(addMonths('2024-01-31T00:00:00.000Z', 1), '2024-03-02T00:00:00.000Z');
  });
});
