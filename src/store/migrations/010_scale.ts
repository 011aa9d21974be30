import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

// National scale (docs/architecture-decisions.md): word-prefix search indexes, maintained agent
// counters, and an index for each long list's filter and sort (keyset pagination).

const FOLD: Record<string, string> = { œ: 'oe', æ: 'ae', ß: 'ss', ø: 'o', đ: 'd', ł: 'l', ð: 'd', þ: 'th' };

/** The search text as words (a frozen copy of app/directory/agents.ts searchText at this migration). */
function searchWords(...parts: (string | null)[]): string {
  return parts
    .filter(Boolean)
    .join(' ')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[œæßøđłðþ]/g, (c) => FOLD[c] ?? c)
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The name order text (a frozen copy of agent-search.ts nameSortText at this migration). */
function sortName(lastName: string, firstNames: string): string {
  return `${lastName} ${firstNames}`
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[œæßøđłðþ]/g, (c) => FOLD[c] ?? c)
    .replace(/[^a-z]+/g, ' ')
    .trim();
}

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const s = db.schema;
  // Name order: (sort_name, id) on both databases; on SQLite the rowid is a position in that order,
  // so the table and its full-text index are in name order (app/directory/agent-search.ts).
  if (dialect === 'postgres') await sql`alter table agents add column sort_name text collate "C"`.execute(db);
  else await s.alterTable('agents').addColumn('sort_name', 'text').execute();
  await rewriteAgents(db);
  await s.dropIndex('agents_name').execute();
  await s.dropIndex('agents_org_name').execute();
  await s.createIndex('agents_sort').on('agents').columns(['sort_name', 'id']).execute();
  if (dialect === 'postgres') {
    await s.createIndex('agents_org_sort').on('agents').columns(['organization_id', 'sort_name', 'id']).execute();
  } else {
    await renumberAgents(db);
    // Every index ends with the rowid: (organization_id) lists an organisation in name order.
    await s.createIndex('agents_org').on('agents').column('organization_id').execute();
  }

  // Audit trail: newest first, by organisation (audit_log_org), target, outcome or action prefix.
  // (target_id, seq) replaces (target_type, target_id): every lookup by target gives the id.
  await s.dropIndex('audit_log_target').execute();
  await s.createIndex('audit_log_target').on('audit_log').columns(['target_id', 'seq']).execute();
  await s.createIndex('audit_log_outcome').on('audit_log').columns(['outcome', 'seq']).execute();
  if (dialect === 'postgres')
    await sql`create index audit_log_action on audit_log (action text_pattern_ops, seq)`.execute(db);
  else await s.createIndex('audit_log_action').on('audit_log').columns(['action', 'seq']).execute();
  // Cards, newest change first: all, by organisation, by desk, by state; « supports à remettre »
  // (shipped or received) by desk or for every desk, from partial indexes that hold only those.
  await s.createIndex('cards_updated').on('cards').columns(['updated_at', 'serial']).execute();
  await s.createIndex('cards_org_updated').on('cards').columns(['organization_id', 'updated_at', 'serial']).execute();
  await s
    .createIndex('cards_operator_updated')
    .on('cards')
    .columns(['operator_organization_id', 'updated_at', 'serial'])
    .execute();
  await s.createIndex('cards_state_updated').on('cards').columns(['state', 'updated_at', 'serial']).execute();
  await sql`create index cards_to_hand_over on cards (operator_organization_id, updated_at, serial)
    where state in ('shipped', 'received')`.execute(db);
  await sql`create index cards_to_hand_over_updated on cards (updated_at, serial)
    where state in ('shipped', 'received')`.execute(db);
  // Card requests, newest first, by organisation.
  await s.createIndex('card_requests_created').on('card_requests').columns(['created_at', 'number']).execute();
  await s
    .createIndex('card_requests_org_created')
    .on('card_requests')
    .columns(['organization_id', 'created_at', 'number'])
    .execute();
  await s.createIndex('mails_created').on('mails').column('created_at').execute();
  // CRL: the revoked and suspended serials of one CA, in order, from one index range.
  await sql`create index certificates_revoked on certificates (ca_id, serial, revoked_at, revocation_reason)
    where status in ('revoked', 'suspended')`.execute(db);
  if (dialect === 'postgres') {
    // Subtree scopes read organisations by path prefix (LIKE 'prefix%' needs the pattern operator class
    // unless the database collation is C).
    await sql`create index organizations_path_prefix on organizations (path text_pattern_ops)`.execute(db);
  }

  // Agents per organisation and status, maintained by triggers: the home page and unfiltered lists
  // never count the whole table.
  await s
    .createTable('directory_counts')
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('agents', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('directory_counts_pk', ['organization_id', 'status'])
    .execute();
  await sql`insert into directory_counts (organization_id, status, agents)
    select organization_id, status, count(*) from agents group by organization_id, status`.execute(db);

  if (dialect === 'sqlite') await sqliteSearchAndCounters(db);
  else await postgresSearchAndCounters(db);
}

/** Search text as words and the name order text for every agent. */
async function rewriteAgents(db: Kysely<unknown>): Promise<void> {
  type Row = { id: string; last_name: string; first_names: string; identifier: string; email: string | null };
  let after = '';
  for (;;) {
    const rows = (
      await sql<Row>`select id, last_name, first_names, identifier, email from agents where id > ${after}
        order by id limit 5000`.execute(db)
    ).rows;
    for (const r of rows) {
      await sql`update agents set search_text = ${searchWords(r.last_name, r.first_names, r.identifier, r.email)},
        sort_name = ${sortName(r.last_name, r.first_names)} where id = ${r.id}`.execute(db);
    }
    if (rows.length < 5000) return;
    after = rows.at(-1)!.id;
  }
}

/**
 * SQLite: rowids evenly spread over [2^32, 2^62) in (sort_name, id) order (agent-search.ts
 * allocateRowids keeps them so). Old rowids are far below 2^32: no collision while renumbering.
 */
async function renumberAgents(db: Kysely<unknown>): Promise<void> {
  const n = Number((await sql<{ n: number }>`select count(*) as n from agents`.execute(db)).rows[0]!.n);
  const low = 1n << 32n;
  const step = ((1n << 62n) - low) / BigInt(n + 1);
  let rank = 0n;
  let after: { name: string; id: string } | null = null;
  for (;;) {
    const rows: { id: string; sort_name: string }[] = (
      await sql<{ id: string; sort_name: string }>`select id, sort_name from agents
        where ${after ? sql`(sort_name, id) > (${after.name}, ${after.id})` : sql`1 = 1`}
        order by sort_name, id limit 5000`.execute(db)
    ).rows;
    for (const r of rows) {
      rank += 1n;
      await sql`update agents set rowid = ${low + step * rank} where id = ${r.id}`.execute(db);
    }
    if (rows.length < 5000) return;
    after = { name: rows.at(-1)!.sort_name, id: rows.at(-1)!.id };
  }
}

async function sqliteSearchAndCounters(db: Kysely<unknown>): Promise<void> {
  // External-content FTS5 index over agents.search_text, keyed by the agents' rowid, which is in name
  // order: a MATCH streams its rows in that order, so the first page of a common word is read at once
  // (VACUUM keeps rowids: test/store/search.test.ts checks the index after one). Prefix terms of 1 to
  // 3 characters are indexed so that "m", "ma", "mar" read one doclist each.
  await sql`create virtual table agents_fts using fts5(search_text, content='agents', content_rowid='rowid',
    tokenize='unicode61 remove_diacritics 2', prefix='1 2 3', detail='none')`.execute(db);
  await sql`insert into agents_fts (agents_fts) values ('rebuild')`.execute(db);
  await sql`create trigger agents_ai after insert on agents begin
    insert into agents_fts (rowid, search_text) values (new.rowid, new.search_text);
    insert into directory_counts (organization_id, status, agents) values (new.organization_id, new.status, 1)
      on conflict (organization_id, status) do update set agents = agents + 1;
  end`.execute(db);
  await sql`create trigger agents_ad after delete on agents begin
    insert into agents_fts (agents_fts, rowid, search_text) values ('delete', old.rowid, old.search_text);
    update directory_counts set agents = agents - 1
      where organization_id = old.organization_id and status = old.status;
  end`.execute(db);
  // A change of name moves the row (new rowid, placeAgent): the index follows the rowid too.
  await sql`create trigger agents_au_search after update on agents
    when old.rowid != new.rowid or old.search_text is not new.search_text begin
    insert into agents_fts (agents_fts, rowid, search_text) values ('delete', old.rowid, old.search_text);
    insert into agents_fts (rowid, search_text) values (new.rowid, new.search_text);
  end`.execute(db);
  await sql`create trigger agents_au_count after update of organization_id, status on agents
    when old.organization_id is not new.organization_id or old.status is not new.status begin
    update directory_counts set agents = agents - 1
      where organization_id = old.organization_id and status = old.status;
    insert into directory_counts (organization_id, status, agents) values (new.organization_id, new.status, 1)
      on conflict (organization_id, status) do update set agents = agents + 1;
  end`.execute(db);
}

async function postgresSearchAndCounters(db: Kysely<unknown>): Promise<void> {
  // search_text is already lower-case words without accents: the 'simple' configuration keeps each
  // word as it is, and a GIN index answers word-prefix queries (to_tsquery('simple', 'mar:*')).
  await sql`create index agents_search on agents using gin (to_tsvector('simple', search_text))`.execute(db);
  // Inserts and deletes: statement-level triggers with transition tables, one counter update per
  // statement (an import batch), not per row. Updates: a row trigger whose WHEN clause skips the
  // function unless the organisation or the status changed (transition tables allow no column list).
  await sql`create function directory_counts_statement() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        insert into directory_counts (organization_id, status, agents)
          select organization_id, status, count(*) from new_rows group by organization_id, status
          order by organization_id, status
          on conflict (organization_id, status) do update set agents = directory_counts.agents + excluded.agents;
      else
        update directory_counts d set agents = d.agents - x.n
          from (select organization_id, status, count(*) as n from old_rows group by organization_id, status) x
          where d.organization_id = x.organization_id and d.status = x.status;
      end if;
      return null;
    end $$`.execute(db);
  await sql`create function directory_counts_row() returns trigger language plpgsql as $$
    begin
      update directory_counts set agents = agents - 1
        where organization_id = old.organization_id and status = old.status;
      insert into directory_counts (organization_id, status, agents) values (new.organization_id, new.status, 1)
        on conflict (organization_id, status) do update set agents = directory_counts.agents + 1;
      return null;
    end $$`.execute(db);
  await sql`create trigger agents_count_insert after insert on agents referencing new table as new_rows
    for each statement execute function directory_counts_statement()`.execute(db);
  await sql`create trigger agents_count_delete after delete on agents referencing old table as old_rows
    for each statement execute function directory_counts_statement()`.execute(db);
  await sql`create trigger agents_count_update after update of organization_id, status on agents for each row
    when (old.organization_id is distinct from new.organization_id or old.status is distinct from new.status)
    execute function directory_counts_row()`.execute(db);
}
