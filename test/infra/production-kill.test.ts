// kill -9 of `cartes manufacturer run --once` in the middle of a batch's production: the database
// keeps no certificate without its card and no card number twice, and a second run finishes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, it } from 'node:test';
import { forEachDatabase, openTestPlatform, type TestPlatform } from '../support/platform.ts';
import { ensureTestPki } from '../support/signing.ts';
import { addHolders, validatedBatch, type FixtureBatch } from '../manufacturer/fixture.ts';
import { verifyAuditChain } from '../../src/store/audit.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const CARDS = 300;

function runOnce(p: TestPlatform) {
  const child = spawn(
    process.execPath,
    [MAIN, '--data', p.dataDir, '--db', p.dbTarget, 'manufacturer', 'run', '--once'],
    {
      env: { PATH: process.env['PATH'] ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, done, output: () => out };
}

async function invariants(p: TestPlatform, batch: FixtureBatch) {
  const db = p.store.db;
  const orphans = await db
    .selectFrom('certificates as x')
    .leftJoin('cards as c', 'c.id', 'x.card_id')
    .innerJoin('card_requests as r', 'r.agent_id', 'x.agent_id')
    .where('r.batch_id', '=', batch.batchId)
    .where('c.id', 'is', null)
    .select('x.serial')
    .execute();
  assert.deepEqual(orphans, [], 'no certificate without its card');
  const cards = await db
    .selectFrom('cards')
    .select(['id', 'serial', 'request_id'])
    .where('batch_id', '=', batch.batchId)
    .execute();
  assert.equal(new Set(cards.map((c) => c.serial)).size, cards.length, 'no card number twice');
  for (const c of cards) {
    const n = await db
      .selectFrom('certificates')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('card_id', '=', c.id)
      .executeTakeFirstOrThrow();
    assert.equal(Number(n.n), 3, `card ${c.serial} has its 3 certificates`);
  }
  const requests = await db
    .selectFrom('card_requests')
    .select(['id', 'state', 'card_id'])
    .where('batch_id', '=', batch.batchId)
    .execute();
  for (const r of requests) {
    const card = cards.find((c) => c.request_id === r.id);
    assert.equal(
      r.state === 'fulfilled',
      card !== undefined,
      `request ${r.id}: fulfilled exactly when its card exists`,
    );
    if (card) assert.equal(r.card_id, card.id);
  }
  assert.equal((await verifyAuditChain(p.store)).ok, true);
  return cards.length;
}

forEachDatabase('kill -9 during the production of a batch', (dialect) => {
  let p: TestPlatform;
  let batch: FixtureBatch;

  before(async () => {
    p = await openTestPlatform(dialect);
    await ensureTestPki(p);
    batch = await validatedBatch(p, 'BN-BREST', await addHolders(p, 'BN-BREST', CARDS));
  });
  after(async () => p.close());

  it('leaves no half-made card, and a second run finishes the batch', { timeout: 240_000 }, async () => {
    const first = runOnce(p);
    let killedAt = -1;
    let stateAtKill = '';
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const n = await p.store.db
        .selectFrom('cards')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('batch_id', '=', batch.batchId)
        .executeTakeFirstOrThrow();
      if (Number(n.n) > 0) {
        first.child.kill('SIGKILL');
        killedAt = Number(n.n);
        stateAtKill = (
          await p.store.db
            .selectFrom('request_batches')
            .select('state')
            .where('id', '=', batch.batchId)
            .executeTakeFirstOrThrow()
        ).state;
        break;
      }
      await sleep(5);
    }
    const end = await first.done;
    assert.equal(end.signal, 'SIGKILL', `killed (output: ${first.output().slice(-500)})`);
    assert.ok(killedAt > 0, 'cards were being written when killed');
    assert.notEqual(stateAtKill, 'closed', 'the batch was not finished when killed');
    const afterKill = await invariants(p, batch);
    assert.ok(afterKill < CARDS || stateAtKill !== 'closed');

    const second = runOnce(p);
    const r = await second.done;
    assert.equal(r.code, 0, second.output().slice(-2000));
    assert.equal(await invariants(p, batch), CARDS);
    const b = await p.store.db
      .selectFrom('request_batches')
      .select('state')
      .where('id', '=', batch.batchId)
      .executeTakeFirstOrThrow();
    assert.equal(b.state, 'closed');
    const shipped = await p.store.db
      .selectFrom('cards')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('batch_id', '=', batch.batchId)
      .where('state', '=', 'shipped')
      .executeTakeFirstOrThrow();
    assert.equal(Number(shipped.n), CARDS);
    // The manufacturer's side: one card file and one letter per card, numbers given once.
    const files = readdirSync(join(p.dataDir, 'cards')).filter((f) => /^124\d{7}\.carte$/.test(f));
    assert.equal(files.length, CARDS);
    const serials = (
      await p.store.db.selectFrom('cards').select('serial').where('batch_id', '=', batch.batchId).execute()
    )
      .map((c) => `${c.serial}.carte`)
      .sort();
    assert.deepEqual(files.sort(), serials);
    const journal = readdirSync(join(p.dataDir, 'manufacturer', 'atelier'))
      .filter((f) => f.endsWith('.journal'))
      .flatMap((f) =>
        readFileSync(join(p.dataDir, 'manufacturer', 'atelier', f), 'utf8')
          .split('\n')
          .filter(Boolean),
      );
    assert.equal(
      new Set(journal.map((l) => l.split(' ')[1])).size,
      journal.length,
      'the manufacturer gave no number twice',
    );
    for (const s of serials)
      assert.ok(existsSync(join(p.dataDir, 'manufacturer', 'courrier', s.replace('.carte', '.pdf'))));
  });
});
