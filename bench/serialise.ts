// `npm run bench -- serialise [--requests N] [--timeout-s S]`
//
// Serialisation through the response schemas (src/http/schemas/, docs/api.md "Where the shapes live").
//   - The answer: a page of 100 card requests as GET /api/card-requests?pageSize=100 sends it
//     (Page(CardRequest)), built from a seeded PRNG.
//   - Ours: a Fastify route declaring that response schema, as every API route does: Fastify compiles
//     a serialiser for it (fast-json-stringify) and sends only what the schema lists.
//   - Peer: JSON.stringify of the same object, what Fastify does for a route without response schema.
// Both serialise the same object N times, in alternating rounds after a warm-up, timed with the same
// clock. The schema's output is checked to be what the route sends, and to parse to the same JSON as
// the peer's. Informational target: ours ≥ the peer's throughput.
// The exit code is non-zero only if the check fails or the time bound is reached.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import Fastify from 'fastify';
import type { Static } from '@sinclair/typebox';
import { Page, responses } from '../src/http/schemas/common.ts';
import { CardRequest } from '../src/http/schemas/requests.ts';
import { prng } from '../src/domain/prng.ts';
import { boundRun, fmtInt, parseArgs } from './lib/bounds.ts';

const USAGE = 'Usage: npm run bench -- serialise [--requests N] [--timeout-s S]';
const ROUNDS = 10;

const { requests, timeoutS } = parseArgs(
  process.argv.slice(2),
  USAGE,
  { requests: 20_000, timeoutS: 600 },
  { '--requests': ['requests', ROUNDS, 10_000_000] },
);
const bound = boundRun({ timeoutS });

// --- The answer --------------------------------------------------------------------------------
const rnd = prng(20260514);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const NAMES = ['Dupont', 'Le Floc’h', 'N’Diaye', 'Martin', 'Lefèvre', 'Moreau-Giraud'];
const FIRST = ['Jean-Pierre', 'Élodie', 'Aïcha', 'François', 'Maëlle'];
const STATES = ['draft', 'complete', 'signed', 'in_batch', 'validated', 'sent', 'fulfilled'];
const iso = () => new Date(Date.UTC(2026, 0, 1) + Math.floor(rnd() * 3e10)).toISOString();
const maybe = <T>(v: T): T | null => (rnd() < 0.5 ? v : null);

const item = (i: number): Static<typeof CardRequest> => ({
  id: `0190f3a2-${String(i).padStart(4, '0')}-7000-8000-${String(Math.floor(rnd() * 1e12)).padStart(12, '0')}`,
  number: `D-2026-${String(i + 1).padStart(6, '0')}`,
  state: pick(STATES),
  stateLabel: 'Signée',
  kind: 'first_issue',
  kindLabel: 'Première demande',
  reason: maybe('loss'),
  reasonLabel: maybe('Perte'),
  agent: { id: `agent-${i}`, identifier: `A${100000 + i}`, firstNames: pick(FIRST), lastName: pick(NAMES) },
  organizationId: 'org-77011',
  organizationName: 'Mairie de Melun',
  model: { id: 'model-agent', code: 'AGENT', label: 'Carte agent' },
  billing: 'free',
  billingLabel: 'Gratuite',
  priceCents: rnd() < 0.2 ? 3000 : 0,
  batch: rnd() < 0.5 ? { id: `batch-${i % 7}`, number: maybe(`L-2026-000${i % 7}`) } : null,
  replacesCardId: null,
  cardId: maybe(`card-${i}`),
  createdBy: 'Claire Martin',
  signedBy: maybe('Claire Martin'),
  signedAt: maybe(iso()),
  rejectionReason: null,
  cancelReason: null,
  cancelledAt: null,
  createdAt: iso(),
  updatedAt: iso(),
});
const answer = { items: Array.from({ length: 100 }, (_, i) => item(i)), total: 1234, page: 1, pageSize: 100 };

// --- The two serialisers -----------------------------------------------------------------------
// Ours: the function Fastify compiled for the route's response schema, taken from a real request.
let ours: ((payload: unknown) => string) | null = null;
const app = Fastify({ logger: false });
app.get('/api/card-requests', { schema: { response: responses({ 200: Page(CardRequest) }) } }, async (_req, reply) => {
  ours = reply.getSerializationFunction('200') as (payload: unknown) => string;
  return answer;
});
const res = await app.inject({ method: 'GET', url: '/api/card-requests' });
await app.close();
assert.equal(res.statusCode, 200);
if (!ours) throw new Error('no serialiser compiled for the route');
const serialise: (payload: unknown) => string = ours;
const peer = (payload: unknown) => JSON.stringify(payload);
assert.deepEqual(JSON.parse(serialise(answer)), JSON.parse(peer(answer)), 'the two answers differ');
assert.equal(res.body, serialise(answer));
console.log(`Answer: a page of ${answer.items.length} card requests, ${fmtInt(res.body.length)} bytes of JSON.`);

const timed = { ours: 0, peer: 0 };
const perRound = Math.floor(requests / ROUNDS);
let sink = 0;
const run = (fn: (p: unknown) => string) => {
  const t0 = performance.now();
  for (let i = 0; i < perRound; i++) sink += fn(answer).length;
  return performance.now() - t0;
};
run(serialise); // warm-up of both
run(peer);
for (let round = 0; round < ROUNDS; round++) {
  if (round % 2) {
    timed.peer += run(peer);
    timed.ours += run(serialise);
  } else {
    timed.ours += run(serialise);
    timed.peer += run(peer);
  }
}
clearTimeout(bound);
assert.ok(sink > 0);

const total = perRound * ROUNDS;
const rate = (ms: number) => (total / ms) * 1000;
const ratio = rate(timed.ours) / rate(timed.peer);
console.log(`\n| figure | value |`);
console.log(`|---|---|`);
console.log(
  `| with the response schema (fast-json-stringify, as the API serialises) | ${fmtInt(rate(timed.ours))} answers/s |`,
);
console.log(`| peer: JSON.stringify of the same object (before the schemas) | ${fmtInt(rate(timed.peer))} answers/s |`);
console.log(`| ratio | ${ratio.toFixed(2)}× — ${ratio >= 1 ? 'PASS' : 'BELOW'} (target ≥ 1×) |`);
console.log(`\n${fmtInt(total)} answers each, ${ROUNDS} alternating rounds after a warm-up.`);
