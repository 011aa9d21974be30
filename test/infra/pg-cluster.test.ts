// Self-test of the throw-away PostgreSQL cluster used by the test suite.
import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { createDatabase, startPgCluster, type PgCluster } from '../../scripts/lib/pg-cluster.js';

let baseUrl = process.env['CARTES_TEST_PG_URL'];
let own: PgCluster | undefined;

before(async () => {
  // Run alone (`node --test` without scripts/test.js): start a cluster of our own.
  if (!baseUrl) {
    own = await startPgCluster({ log: () => {} });
    baseUrl = own.url;
  }
});

after(async () => {
  await own?.stop();
});

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

test('createDatabase gives a fresh PostgreSQL 15 database', async () => {
  assert.ok(baseUrl);
  const url = await createDatabase(baseUrl, 'infra_self_test');
  assert.match(url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/infra_self_test$/);

  const [row] = await query<{ version: string; server_version: string; db: string; usr: string }>(
    url,
    `select version() as version, current_setting('server_version') as server_version,
            current_database() as db, current_user as usr`,
  );
  assert.ok(row);
  assert.ok(row.version.includes('PostgreSQL 15'), row.version);
  assert.ok(row.server_version.startsWith('15'), row.server_version);
  assert.equal(row.db, 'infra_self_test');
  assert.equal(row.usr, 'postgres');

  // Data written there is gone once the database is created again.
  await query(url, 'create table t (x int); insert into t values (1)');
  const again = await createDatabase(baseUrl, 'infra_self_test');
  assert.equal(again, url);
  const [tables] = await query<{ n: string }>(url, `select count(*) as n from pg_tables where tablename = 't'`);
  assert.equal(tables?.n, '0');
});

test('createDatabase without a name makes a unique one', async () => {
  assert.ok(baseUrl);
  const [a, b] = await Promise.all([createDatabase(baseUrl), createDatabase(baseUrl)]);
  assert.notEqual(a, b);
  const [row] = await query<{ db: string }>(b, 'select current_database() as db');
  assert.equal(`/${row?.db}`, new URL(b).pathname);
});

test('the server does not run as root', async () => {
  assert.ok(baseUrl);
  const url = await createDatabase(baseUrl, 'infra_os_user');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('create temp table who (name text)');
    await client.query(`copy who from program 'id -un'`);
    const { rows } = await client.query<{ name: string }>('select name from who');
    const expected = process.getuid?.() === 0 ? 'cartes-pg' : userInfo().username;
    assert.equal(rows[0]?.name, expected);
  } finally {
    await client.end();
  }
});
