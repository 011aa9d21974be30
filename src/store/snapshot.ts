// Consistent copies of the database while it is in use, and their restore.
// - SQLite: the online backup API (node:sqlite `backup`), all pages in one step under one read
//   transaction, so writers go on (WAL) and the copy is one instant of the database.
// - PostgreSQL: `pg_dump --format=custom` on a snapshot exported by a REPEATABLE READ transaction,
//   the same transaction that counts the rows and reads the audit head for the manifest, so the
//   dump and its manifest describe the same instant.
import { spawn } from 'node:child_process';
import { copyFile, rm } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { backup, DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import type { Dialect } from './database.ts';

export interface AuthorityFacts {
  id: string;
  name: string;
  kind: string;
  /** Reserved CRL number counter (certification_authorities.crl_number). */
  crlNumber: number;
  /** Newest published CRL number, null when none (or before published CRLs were kept in the database). */
  publishedCrl: number | null;
  /** Certificate, DER in base64 (public). */
  certificate: string;
}

export interface SnapshotFacts {
  /** Row count of every table. */
  tables: Record<string, number>;
  auditHead: { seq: number; hash: string } | null;
  migrations: string[];
  authorities: AuthorityFacts[];
}

type Query = (sql: string) => Promise<Record<string, unknown>[]>;

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function readFacts(query: Query, dialect: Dialect): Promise<SnapshotFacts> {
  const tableRows = await query(
    dialect === 'sqlite'
      ? "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name"
      : 'select tablename as name from pg_tables where schemaname = current_schema() order by tablename',
  );
  const names = tableRows.map((r) => String(r['name']));
  const tables: Record<string, number> = {};
  for (const name of names) tables[name] = Number((await query(`select count(*) as n from ${quote(name)}`))[0]!['n']);
  const head = names.includes('audit_head') ? (await query('select seq, hash from audit_head where id = 1'))[0] : null;
  const migrations = names.includes('kysely_migration')
    ? (await query('select name from kysely_migration order by name')).map((r) => String(r['name']))
    : [];
  const authorities: AuthorityFacts[] = [];
  if (names.includes('certification_authorities')) {
    const published = names.includes('published_crls')
      ? `(select max(p.crl_number) from published_crls p where p.ca_id = c.id and p.status = 'published')`
      : 'null';
    for (const r of await query(
      `select c.id, c.name, c.kind, c.crl_number, c.certificate_der, ${published} as published from certification_authorities c order by c.name`,
    )) {
      authorities.push({
        id: String(r['id']),
        name: String(r['name']),
        kind: String(r['kind']),
        crlNumber: Number(r['crl_number']),
        publishedCrl: r['published'] === null || r['published'] === undefined ? null : Number(r['published']),
        certificate: Buffer.from(r['certificate_der'] as Uint8Array).toString('base64'),
      });
    }
  }
  return {
    tables,
    auditHead: head ? { seq: Number(head['seq']), hash: String(head['hash']) } : null,
    migrations,
    authorities,
  };
}

/** The facts of a SQLite database file (read-only). */
export async function sqliteFacts(file: string): Promise<SnapshotFacts> {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return await readFacts(async (sql) => db.prepare(sql).all() as Record<string, unknown>[], 'sqlite');
  } finally {
    db.close();
  }
}

/** The facts of a PostgreSQL database, read in one REPEATABLE READ transaction. */
export async function postgresFacts(url: string): Promise<SnapshotFacts> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('begin isolation level repeatable read read only');
    const facts = await readFacts(
      async (sql) => (await client.query(sql)).rows as Record<string, unknown>[],
      'postgres',
    );
    await client.query('commit');
    return facts;
  } finally {
    await client.end();
  }
}

/** A PostgreSQL client tool (pg_dump, pg_restore) of the server's major version or newer. */
export function pgTool(
  name: 'pg_dump' | 'pg_restore',
  serverMajor: number,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const dir = env['CARTES_PG_BIN'];
  if (dir) return join(dir, name);
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const majors = readdirSync(root)
      .map(Number)
      .filter((v) => Number.isInteger(v) && v >= serverMajor && existsSync(join(root, String(v), 'bin', name)))
      .sort((a, b) => a - b);
    if (majors.length) return join(root, String(majors[0]), 'bin', name);
  }
  return name; // on the PATH
}

/** Connection URL without its password, and the environment that carries it instead (not in argv). */
function pgConnection(url: string): { url: string; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = '';
  return { url: u.toString(), env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) } };
}

function runTool(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      if (err.length < 20_000) err += d.toString();
    });
    child.on('error', (e) =>
      reject(
        new Error(
          (e as NodeJS.ErrnoException).code === 'ENOENT'
            ? `${file} introuvable : installez les outils clients PostgreSQL (paquet postgresql-client) ou indiquez leur dossier dans CARTES_PG_BIN.`
            : e.message,
        ),
      ),
    );
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${file.split('/').at(-1)} a échoué (code ${code}) : ${err.trim()}`)),
    );
  });
}

async function serverMajor(client: pg.Client): Promise<number> {
  const r = await client.query<{ v: string }>(`select current_setting('server_version_num') as v`);
  return Math.floor(Number(r.rows[0]!.v) / 10_000);
}

/**
 * Copies the database into `outFile` while it is in use and returns the facts of that copy.
 * `location` is the SQLite file or the PostgreSQL URL (with its password).
 */
export async function snapshotDatabase(dialect: Dialect, location: string, outFile: string): Promise<SnapshotFacts> {
  if (dialect === 'sqlite') {
    const source = new DatabaseSync(location, { readOnly: true, timeout: 10_000 });
    try {
      // All pages in one step: one read transaction, one instant of the database.
      await backup(source, outFile, { rate: 2_147_483_647 });
    } finally {
      source.close();
    }
    return sqliteFacts(outFile);
  }
  const client = new pg.Client({ connectionString: location });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('begin isolation level repeatable read read only');
    const snapshot = (await client.query<{ id: string }>('select pg_export_snapshot() as id')).rows[0]!.id;
    const facts = await readFacts(
      async (sql) => (await client.query(sql)).rows as Record<string, unknown>[],
      'postgres',
    );
    const conn = pgConnection(location);
    await runTool(
      pgTool('pg_dump', await serverMajor(client)),
      [
        '--format=custom',
        '--no-owner',
        '--no-privileges',
        `--snapshot=${snapshot}`,
        `--file=${outFile}`,
        `--dbname=${conn.url}`,
      ],
      conn.env,
    );
    await client.query('commit');
    return facts;
  } finally {
    await client.end();
  }
}

/** True when the database at `location` already holds tables (a live or used database). */
export async function databaseHasTables(dialect: Dialect, location: string): Promise<boolean> {
  if (dialect === 'sqlite') {
    if (!existsSync(location)) return false;
    const db = new DatabaseSync(location, { readOnly: true });
    try {
      const row = db.prepare("select count(*) as n from sqlite_master where type = 'table'").get();
      return Number(row?.['n'] ?? 0) > 0;
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: location });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const r = await client.query<{ n: string }>(
      'select count(*) as n from pg_tables where schemaname = current_schema()',
    );
    return Number(r.rows[0]!.n) > 0;
  } finally {
    await client.end();
  }
}

/**
 * Puts a copy back. SQLite: the file replaces `location` (written next to it, then renamed over it,
 * old WAL files removed). PostgreSQL: every table and function of the target schema is dropped, then
 * `pg_restore` loads the dump.
 */
export async function restoreDatabase(dialect: Dialect, dumpFile: string, location: string): Promise<void> {
  if (dialect === 'sqlite') {
    const temp = `${location}.restauration-${process.pid}`;
    await copyFile(dumpFile, temp);
    const { rename } = await import('node:fs/promises');
    await rm(`${location}-wal`, { force: true });
    await rm(`${location}-shm`, { force: true });
    await rename(temp, location);
    return;
  }
  const client = new pg.Client({ connectionString: location });
  client.on('error', () => undefined);
  await client.connect();
  let major: number;
  try {
    major = await serverMajor(client);
    const tables = await client.query<{ name: string }>(
      'select tablename as name from pg_tables where schemaname = current_schema()',
    );
    await client.query('begin');
    for (const t of tables.rows) await client.query(`drop table if exists ${quote(t.name)} cascade`);
    // Trigger functions (the directory counters of migration 010) belong to the schema, not to a table.
    const functions = await client.query<{ signature: string }>(
      `select p.oid::regprocedure::text as signature from pg_proc p
         join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = current_schema() and p.prokind = 'f'
          and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')`,
    );
    for (const f of functions.rows) await client.query(`drop function if exists ${f.signature} cascade`);
    await client.query('commit');
  } finally {
    await client.end();
  }
  const conn = pgConnection(location);
  await runTool(
    pgTool('pg_restore', major),
    ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', `--dbname=${conn.url}`, dumpFile],
    conn.env,
  );
}

/**
 * Serials and statuses of the certificates in a copy, for the serials asked (normalised lower-case
 * hex without leading zeros), read without restoring it: SQLite opens the file read-only,
 * PostgreSQL streams the certificates table's COPY data out of the dump (`pg_restore -f -`).
 */
export async function certificateStatusesInCopy(
  dialect: Dialect,
  dumpFile: string,
  wanted: Set<string>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Map<string, { status: string; caId: string }>> {
  const found = new Map<string, { status: string; caId: string }>();
  const key = (s: string) => s.toLowerCase().replace(/^0+/, '') || '0';
  if (dialect === 'sqlite') {
    const db = new DatabaseSync(dumpFile, { readOnly: true });
    try {
      for (const row of db.prepare('select serial, status, ca_id from certificates').iterate()) {
        const k = key(String(row['serial']));
        if (wanted.has(k)) found.set(k, { status: String(row['status']), caId: String(row['ca_id']) });
      }
    } finally {
      db.close();
    }
    return found;
  }
  const child = spawn(pgTool('pg_restore', 0, env), ['--data-only', '--table=certificates', '--file=-', dumpFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  let columns: string[] | null = null;
  let rest = '';
  let inCopy = false;
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (!inCopy) {
        const m = /^COPY \S*certificates \(([^)]*)\) FROM stdin;$/.exec(line);
        if (m) {
          columns = m[1]!.split(',').map((c) => c.trim().replace(/"/g, ''));
          inCopy = true;
        }
        continue;
      }
      if (line === '\\.') {
        inCopy = false;
        continue;
      }
      const cells = line.split('\t');
      const k = key(cells[columns!.indexOf('serial')] ?? '');
      if (wanted.has(k))
        found.set(k, {
          status: cells[columns!.indexOf('status')] ?? '',
          caId: cells[columns!.indexOf('ca_id')] ?? '',
        });
    }
  }
  const code = await exit;
  if (code !== 0) throw new Error(`pg_restore a échoué (code ${code}) : ${stderr.trim()}`);
  return found;
}
