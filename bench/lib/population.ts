// A national-size population for the portal benchmark (bench/portal.ts), loaded through the
// platform's own code wherever one exists:
//   - organisations: `createOrganization` (100 communes under the prefecture, 30 units under the
//     armed forces' directorate), on top of the demonstration data (`loadDemoData`);
//   - agents: a generated HR feed (bench/lib/feed.ts) imported by `importAgents`, the code behind
//     `cartes import agents` and `POST /api/imports`, into the root organisation;
//   - cards: in bulk, one per agent, written with the columns production writes (card row,
//     manufacturer's letter), in the states of a card's life; the production workflow itself
//     (order file, manufacturer, certificates) costs ~2 ms per card and is measured by `bench -- issue`;
//   - audit: one `card.produce` record per card through `appendAuditBatch`, the chained append the
//     production workflow uses.
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CompiledQuery, sql } from 'kysely';
import { systemActor, type AppContext } from '../../src/app/context.ts';
import { loadDemoData } from '../../src/app/demo/directory.ts';
import { createOrganization } from '../../src/app/directory/organizations.ts';
import { importAgents } from '../../src/app/directory/hr-import/import-agents.ts';
import { timeOrderedId } from '../../src/app/ids.ts';
import { appendAuditBatch, type AuditEntry } from '../../src/store/audit.ts';
import { prng, writeFeed } from './feed.ts';

export interface Population {
  agents: number;
  cards: number;
  importSeconds: number;
  cardsSeconds: number;
}

const COMMUNES = 100;
const UNITS = 30;

/** Organisation code of feed row n from a uniform draw: spread over the communes, units and the demo's. */
function orgOf(_n: number, draw: number): string {
  if (draw < 0.45) return `77C${String(1 + Math.floor((draw / 0.45) * COMMUNES)).padStart(3, '0')}`;
  if (draw < 0.7) return `UNIT${String(1 + Math.floor(((draw - 0.45) / 0.25) * UNITS)).padStart(2, '0')}`;
  if (draw < 0.8) return 'PREF77';
  if (draw < 0.85) return '77011';
  if (draw < 0.95) return 'BN-BREST';
  return 'MINARM';
}

async function orgIdByCode(ctx: AppContext, code: string): Promise<string> {
  const r = await ctx.store.db.selectFrom('organizations').select('id').where('code', '=', code).executeTakeFirst();
  if (!r) throw new Error(`no organisation ${code}`);
  return r.id;
}

/** A 9-digit SIREN whose last digit is the Luhn key. */
function siren(n: number): string {
  const body = String(21_770_000 + n);
  for (let key = 0; key <= 9; key++) {
    const digits = `${body}${key}`;
    let sum = 0;
    for (let i = 0; i < digits.length; i++) {
      let d = Number(digits[digits.length - 1 - i]);
      if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    if (sum % 10 === 0) return digits;
  }
  throw new Error('unreachable');
}

async function createOrganizations(ctx: AppContext): Promise<void> {
  const actor = systemActor('bench');
  const pref = await orgIdByCode(ctx, 'PREF77');
  const sca = await orgIdByCode(ctx, 'SCA');
  for (let i = 1; i <= COMMUNES; i++) {
    await createOrganization(ctx, actor, {
      code: `77C${String(i).padStart(3, '0')}`,
      kind: 'municipality',
      name: `Commune de test ${i}`,
      parentId: pref,
      registrationAuthorityId: pref,
      inseeCode: `77${100 + i}`,
      siren: siren(i),
    });
  }
  for (let i = 1; i <= UNITS; i++) {
    await createOrganization(ctx, actor, {
      code: `UNIT${String(i).padStart(2, '0')}`,
      kind: 'unit',
      name: `Unité de test ${i}`,
      parentId: sca,
      registrationAuthorityId: sca,
    });
  }
}

/** Card states over a card's life: most in use, a few at the desk (« supports à remettre »). */
function cardState(draw: number): string {
  if (draw < 0.8) return 'active';
  if (draw < 0.82) return 'shipped';
  if (draw < 0.84) return 'received';
  if (draw < 0.87) return 'handed_over';
  if (draw < 0.9) return 'blocked';
  if (draw < 0.93) return 'revoked';
  if (draw < 0.96) return 'expired';
  if (draw < 0.98) return 'destroyed';
  return 'in_production';
}

const CARD_COLUMNS = [
  'id',
  'serial',
  'model_id',
  'agent_id',
  'organization_id',
  'operator_organization_id',
  'request_id',
  'batch_id',
  'state',
  'state_changed_at',
  'letter_state',
  'letter_sent_at',
  'letter_reference',
  'activation_code_hash',
  'activation_code_attempts',
  'activation_code_used_at',
  'file_name',
  'produced_at',
  'shipped_at',
  'received_at',
  'received_by',
  'expires_at',
  'created_at',
  'updated_at',
] as const;

async function insertCards(ctx: AppContext, rows: unknown[][]): Promise<void> {
  await ctx.store.db.transaction().execute(async (trx) => {
    if (ctx.store.dialect === 'postgres') {
      const cols = CARD_COLUMNS.map((c, i) => `$${i + 1}::${c === 'activation_code_attempts' ? 'integer' : 'text'}[]`);
      await trx.executeQuery(
        CompiledQuery.raw(
          `insert into cards (${CARD_COLUMNS.join(', ')}) select * from unnest(${cols.join(', ')})`,
          CARD_COLUMNS.map((_, i) => rows.map((r) => r[i])),
        ),
      );
    } else {
      const one = `(${CARD_COLUMNS.map(() => '?').join(', ')})`;
      for (let i = 0; i < rows.length; i += 500) {
        const chunk = rows.slice(i, i + 500);
        await trx.executeQuery(
          CompiledQuery.raw(
            `insert into cards (${CARD_COLUMNS.join(', ')}) values ${chunk.map(() => one).join(', ')}`,
            chunk.flat(),
          ),
        );
      }
    }
    const audit: AuditEntry[] = rows.map((r) => ({
      at: r[22] as string,
      actorId: 'system:manufacturer',
      actorRole: 'system',
      organizationId: r[4] as string,
      action: 'card.produce',
      outcome: 'ok',
      targetType: 'card',
      targetId: r[0] as string,
      summary: { serial: r[1], state: r[8] },
    }));
    await appendAuditBatch(trx, ctx.store, audit);
  });
}

async function loadCards(ctx: AppContext, count: number, log: (line: string) => void): Promise<number> {
  const models = await ctx.store.db.selectFrom('card_models').select(['id', 'population']).execute();
  const modelOf = new Map(models.map((m) => [m.population, m.id]));
  const orgs = await ctx.store.db.selectFrom('organizations').select(['id', 'path', 'code']).execute();
  const minarm = orgs.find((o) => o.code === 'MINARM')!.id;
  const pref = orgs.find((o) => o.code === 'PREF77')!.id;
  const population = new Map(
    orgs.map((o) => [o.id, o.path.includes(`/${minarm}/`) ? 'armees' : o.code === 'PREF77' ? 'etat' : 'collectivites']),
  );
  const rand = prng(0xc4ad5);
  const base = Date.parse('2024-01-01T00:00:00Z');
  let made = 0;
  let after = '';
  const started = performance.now();
  while (made < count) {
    const agents = await ctx.store.db
      .selectFrom('agents')
      .select(['id', 'organization_id'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(Math.min(20_000, count - made))
      .execute();
    if (agents.length === 0) break;
    after = agents.at(-1)!.id;
    const rows = agents.map((a, i) => {
      const n = made + i;
      const state = cardState(rand());
      const created = new Date(base + Math.floor(rand() * 2 * 365 * 86_400_000));
      const updated = new Date(created.getTime() + Math.floor(rand() * 30 * 86_400_000)).toISOString();
      const pop = population.get(a.organization_id) ?? 'collectivites';
      // Commune cards are handed over at the commune, or at the prefecture for one in five.
      const desk = pop === 'collectivites' && rand() < 0.2 ? pref : a.organization_id;
      const at = created.toISOString();
      return [
        timeOrderedId(),
        String(5_000_000_000 + n),
        modelOf.get(pop) ?? models[0]!.id,
        a.id,
        a.organization_id,
        desk,
        null,
        null,
        state,
        updated,
        'sent',
        at,
        `LC-${n}`,
        null,
        0,
        null,
        null,
        at,
        at,
        state === 'shipped' || state === 'in_production' ? null : updated,
        null,
        new Date(created.getTime() + 6 * 365 * 86_400_000).toISOString(),
        at,
        updated,
      ];
    });
    for (let i = 0; i < rows.length; i += 5_000) await insertCards(ctx, rows.slice(i, i + 5_000));
    made += rows.length;
    log(`  cards: ${made.toLocaleString('en-US')} (${Math.round(made / ((performance.now() - started) / 1000))} /s)`);
  }
  return made;
}

/** Loads demo data, organisations, `agents` agents through the HR import and `cards` cards. */
export async function populate(
  ctx: AppContext,
  opts: { agents: number; cards: number; work: string; log: (line: string) => void },
): Promise<Population> {
  await loadDemoData(ctx);
  await createOrganizations(ctx);
  const feed = join(opts.work, `portal-feed-${opts.agents}.csv`);
  await writeFeed(feed, opts.agents, orgOf);
  const root = await orgIdByCode(ctx, 'ANTS');
  const t0 = performance.now();
  const run = await importAgents(ctx, systemActor('bench'), {
    organizationId: root,
    format: 'csv',
    full: false,
    fileName: 'portal-feed.csv',
    input: createReadStream(feed),
    bytesTotal: null,
    onProgress: (p) => {
      if (p.total % 100_000 < 10_000) opts.log(`  agents: ${p.total.toLocaleString('en-US')} rows imported`);
    },
  });
  const importSeconds = (performance.now() - t0) / 1000;
  if (run.status !== 'done' || run.inserted !== opts.agents)
    throw new Error(`import: ${run.status}, ${run.inserted} inserted of ${opts.agents}: ${run.message}`);
  const t1 = performance.now();
  const cards = await loadCards(ctx, opts.cards, opts.log);
  const cardsSeconds = (performance.now() - t1) / 1000;
  // Fresh statistics for the planners, as after any bulk load.
  await sql`analyze`.execute(ctx.store.db);
  return { agents: run.inserted, cards, importSeconds, cardsSeconds };
}
