// Search and long lists at scale (issue 16): word-prefix search with accents folded, keyset pages in
// name order that survive a change of name, and the query plan of every long list on both databases:
// no full scan of a big table (SQLite: `SCAN <table>` without an index; PostgreSQL: `Seq Scan` even
// with sequential scans disabled, i.e. no index can answer).
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { CompiledQuery, createQueryId, sql, type KyselyPlugin, type RootOperationNode } from 'kysely';
import { searchAgents, updateAgent } from '../../src/app/directory/agents.ts';
import { cardsToHandOver, listCards, listHolders } from '../../src/app/desk/cards.ts';
import { listAudit } from '../../src/app/control/audit-view.ts';
import { listCardRequests } from '../../src/app/requests/card-requests.ts';
import { homeCounts } from '../../src/app/control/home-counts.ts';
import type { AppContext } from '../../src/app/context.ts';
import { actorFor, agentId, forEachDatabase, openTestPlatform, type TestPlatform } from '../support/platform.ts';

const BIG = ['agents', 'cards', 'audit_log', 'card_requests', 'certificates'];

/** A context whose database records every query node it runs. */
function recording(ctx: AppContext): { ctx: AppContext; nodes: RootOperationNode[] } {
  const nodes: RootOperationNode[] = [];
  const plugin: KyselyPlugin = {
    transformQuery: (args) => {
      nodes.push(args.node);
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  return { ctx: { ...ctx, store: { ...ctx.store, db: ctx.store.db.withPlugin(plugin) } }, nodes };
}

/** The plan lines of one query that read a big table without an index. */
async function fullScans(p: TestPlatform, node: RootOperationNode): Promise<string[]> {
  const q = p.store.db.getExecutor().compileQuery(node, createQueryId());
  if (!/^\s*(with|select)\b/i.test(q.sql)) return [];
  if (p.dialect === 'sqlite') {
    const plan = await p.store.db.executeQuery<{ detail: string }>(
      CompiledQuery.raw(`explain query plan ${q.sql}`, [...q.parameters]),
    );
    // A table read in its rowid order (agents: name order; audit_log: seq) up to a LIMIT, with no
    // sort afterwards, is a walk that stops at the page's end, not a full scan.
    const walk =
      /\blimit\b/i.test(q.sql) && !plan.rows.some((r) => r.detail.startsWith('USE TEMP B-TREE FOR ORDER BY'));
    // The plan names a table by its alias: "agents" as "a" → SCAN a.
    const names = new Set(BIG);
    for (const m of q.sql.matchAll(/"(\w+)" as "(\w+)"/g)) if (BIG.includes(m[1]!)) names.add(m[2]!);
    return plan.rows
      .map((r) => r.detail)
      .filter((d) => {
        const m = /^SCAN (\w+)(.*)$/.exec(d);
        return m !== null && names.has(m[1]!) && !/USING (COVERING )?INDEX|VIRTUAL TABLE/.test(m[2]!) && !walk;
      })
      .map((d) => `${d} in: ${q.sql.slice(0, 300)}`);
  }
  return p.store.db.transaction().execute(async (trx) => {
    await sql`set local enable_seqscan = off`.execute(trx);
    const plan = await trx.executeQuery<{ 'QUERY PLAN': string }>(
      CompiledQuery.raw(`explain ${q.sql}`, [...q.parameters]),
    );
    return plan.rows
      .map((r) => r['QUERY PLAN'])
      .filter((l) => BIG.some((t) => new RegExp(`Seq Scan on ${t}\\b`).test(l)))
      .map((l) => `${l.trim()} in: ${q.sql.slice(0, 300)}`);
  });
}

forEachDatabase('search and long lists', (dialect) => {
  let p: TestPlatform;

  before(async () => {
    p = await openTestPlatform(dialect);
  });
  after(async () => {
    await p.close();
  });

  it('finds agents by the start of a word, accents and case folded', async () => {
    const admin = await actorFor(p.ctx, 'admin.national');
    const id = await agentId(p.ctx, 'moreau.jp77011');
    await updateAgent(p.ctx, admin, id, { lastName: 'DÉSIRÉ-LŒUVRE' });
    for (const q of ['desi', 'DÉSI', 'loeuvre', 'désiré lœu']) {
      const found = await searchAgents(p.ctx, admin, { q });
      assert.deepEqual(
        found.items.map((a) => a.id),
        [id],
        `q=${q}`,
      );
    }
    // A word inside another word is not a prefix: nothing.
    assert.equal((await searchAgents(p.ctx, admin, { q: 'siré' })).items.length, 0);
    if (dialect === 'sqlite') {
      // The full-text index is keyed by the rowid: VACUUM keeps rowids, so it still finds the row.
      await sql`vacuum`.execute(p.store.db);
      assert.deepEqual(
        (await searchAgents(p.ctx, admin, { q: 'loeuvre' })).items.map((a) => a.id),
        [id],
      );
    }
  });

  it('pages through the directory in name order with the after cursor, also after a change of name', async () => {
    const admin = await actorFor(p.ctx, 'admin.national');
    const id = await agentId(p.ctx, 'leroy.a77011');
    await updateAgent(p.ctx, admin, id, { lastName: 'AAAB' });
    const all = (await searchAgents(p.ctx, admin, { pageSize: 100 })).items;
    assert.ok(all.length > 6);
    assert.equal(all[0]!.id, id, 'the renamed agent moves to its place in the order');
    const fold = (s: string) =>
      s
        .normalize('NFD')
        .replace(/\p{M}/gu, '')
        .toLowerCase()
        .replace(/œ/g, 'oe')
        .replace(/[^a-z]+/g, ' ')
        .trim();
    const keys = all.map((a) => `${fold(`${a.lastName} ${a.firstNames}`)}\u0000${a.id}`);
    assert.deepEqual(keys, [...keys].sort(), 'name order');
    const paged: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 100; i++) {
      const page = await searchAgents(p.ctx, admin, { pageSize: 3, after: cursor });
      paged.push(...page.items.map((a) => a.id));
      if (!page.next) break;
      cursor = page.next;
    }
    assert.deepEqual(
      paged,
      all.map((a) => a.id),
    );
  });

  it('places a renamed agent by seeks in the name index, not by reading the table (SQLite)', async () => {
    if (dialect !== 'sqlite') return;
    const admin = await actorFor(p.ctx, 'admin.national');
    const id = await agentId(p.ctx, 'lefebvre.s77');
    const r = recording(p.ctx);
    await updateAgent(r.ctx, admin, id, { lastName: 'ZZYZX' });
    const plans: string[][] = [];
    for (const node of r.nodes) {
      const q = p.store.db.getExecutor().compileQuery(node, createQueryId());
      if (!/json_each/.test(q.sql) || !/sort_name desc/.test(q.sql)) continue;
      const plan = await p.store.db.executeQuery<{ detail: string }>(
        CompiledQuery.raw(`explain query plan ${q.sql}`, [...q.parameters]),
      );
      plans.push(plan.rows.map((x) => x.detail));
    }
    assert.equal(plans.length, 1, 'the neighbours are looked up once');
    const lines = plans[0]!.filter((l) => /\bagents\b/.test(l));
    assert.equal(lines.length, 2, plans[0]!.join('\n'));
    for (const l of lines) assert.match(l, /^SEARCH agents USING COVERING INDEX agents_sort /, plans[0]!.join('\n'));
    assert.equal((await searchAgents(p.ctx, admin, { pageSize: 100 })).items.at(-1)!.id, id);
  });

  it('reads every long list without a full scan of a big table', async () => {
    const admin = await actorFor(p.ctx, 'admin.national');
    const desk = await actorFor(p.ctx, 'martin.c77011');
    const checks: [string, (ctx: AppContext) => Promise<unknown>][] = [
      ['agents', (c) => searchAgents(c, admin, {})],
      ['agents by prefix', (c) => searchAgents(c, admin, { q: 'mar' })],
      ['agents by prefix, one organisation', (c) => searchAgents(c, desk, { q: 'mar' })],
      ['agents, second page', (c) => searchAgents(c, admin, { page: 2, pageSize: 2 })],
      ['cards', (c) => listCards(c, admin, {})],
      ['cards by state', (c) => listCards(c, admin, { state: 'active' })],
      ['cards to hand over', (c) => cardsToHandOver(c, admin, {})],
      ['cards to hand over at a desk', (c) => cardsToHandOver(c, desk, {})],
      ['holders', (c) => listHolders(c, admin, {})],
      ['audit trail', (c) => listAudit(c, admin, {})],
      ['audit trail by action', (c) => listAudit(c, admin, { action: 'agent.update' })],
      ['card requests', (c) => listCardRequests(c, admin, {})],
      ['card requests by name', (c) => listCardRequests(c, admin, { q: 'martin' })],
      ['home counters', (c) => homeCounts(c, admin)],
    ];
    const found: string[] = [];
    for (const [name, run] of checks) {
      const r = recording(p.ctx);
      await run(r.ctx);
      assert.ok(r.nodes.length > 0, `${name}: queries recorded`);
      for (const node of r.nodes) for (const line of await fullScans(p, node)) found.push(`${name}: ${line}`);
    }
    assert.deepEqual(found, []);
  });
});
