// Throw-away PostgreSQL cluster for tests: temp folder, random port, non-root user.
import { spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { which } from './system-deps.js';

const PG_USER = 'cartes-pg';
const DB_NAME = 'cartes_test';

const isRoot = () => process.getuid?.() === 0;

/** Folder holding initdb/pg_ctl: 15 first, else the newest installed, else PATH. */
function findPgBin() {
  const root = '/usr/lib/postgresql';
  const preferred = join(root, '15', 'bin');
  if (existsSync(join(preferred, 'initdb'))) return preferred;
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+(\.\d+)?$/.test(v) && existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  const initdb = which('initdb');
  if (initdb && which('pg_ctl')) return dirname(initdb);
  throw new Error(
    'PostgreSQL binaries not found (looked in /usr/lib/postgresql/*/bin and PATH); apt-get install postgresql-15',
  );
}

/** [file, argv] running cmd as PG_USER when we are root (postgres refuses root). */
function asPgUser(cmd, args) {
  if (!isRoot()) return [cmd, args];
  const runuser = which('runuser');
  if (runuser) return [runuser, ['-u', PG_USER, '--', cmd, ...args]];
  const quoted = [cmd, ...args].map((a) => `'${String(a).replaceAll("'", `'\\''`)}'`).join(' ');
  return ['su', ['-s', '/bin/sh', PG_USER, '-c', quoted]];
}

/** Run a command as PG_USER. Resolves with its output; rejects with it on failure. */
function run(cmd, args, { cwd } = {}) {
  const [file, argv] = asPgUser(cmd, args);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${out.trim()}`));
    });
  });
}

function idOf(flag) {
  const r = spawnSync('id', [flag, PG_USER], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : null;
}

/** Create the system user that runs postgres (root only; postgres refuses to run as root). */
function ensurePgUser(log) {
  if (idOf('-u') !== null) return;
  log(`creating system user ${PG_USER}`);
  const r = spawnSync(
    which('useradd') ?? 'useradd',
    ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', PG_USER],
    {
      encoding: 'utf8',
    },
  );
  // Another process may have created it at the same time: only the end state matters.
  if (idOf('-u') === null) throw new Error(`useradd ${PG_USER} failed: ${r.stderr || r.error}`);
}

/** True when every ancestor folder of dir can be traversed by other users. */
function traversableByOthers(dir) {
  for (let d = dir; ; d = dirname(d)) {
    try {
      if ((statSync(d).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    if (dirname(d) === d) return true;
  }
}

/** A free TCP port on 127.0.0.1 (bind port 0, read it, release it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

// Clusters still running, stopped synchronously when the process ends.
const live = new Set();
let hooksInstalled = false;

function installExitHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const c of live) c.stopSync();
  });
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ]) {
    process.on(sig, () => {
      for (const c of live) c.stopSync();
      process.exit(code);
    });
  }
}

/**
 * Start a throw-away PostgreSQL cluster with database `cartes_test`. `durable` keeps every commit
 * on disk (fsync, synchronous commit) for tests that stop the server under load; `pause`/`resume`
 * stop and start the same server (same data, same port).
 * @returns {Promise<{ url: string, stop: () => Promise<void>, pause: () => Promise<void>, resume: () => Promise<void> }>}
 */
export async function startPgCluster({ log = console.log, durable = false } = {}) {
  const bin = findPgBin();
  const asRoot = isRoot();
  if (asRoot) ensurePgUser(log);

  let base = tmpdir();
  if (asRoot && !traversableByOthers(base)) base = '/tmp';
  const dir = mkdtempSync(join(base, 'cartes-pg-'));
  if (asRoot) chownSync(dir, idOf('-u') ?? 0, idOf('-g') ?? 0);
  const data = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  const pgCtl = join(bin, 'pg_ctl');

  // Also true when a failed `pg_ctl start` left a server behind.
  let started = false;
  const running = () => started || existsSync(join(data, 'postmaster.pid'));
  let stopping = null;
  const postmasterPid = () => {
    try {
      return Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]) || 0;
    } catch {
      return 0;
    }
  };
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const cluster = {
    stopSync() {
      live.delete(cluster);
      if (running()) {
        const [file, argv] = asPgUser(pgCtl, ['-D', data, 'stop', '-m', 'immediate', '-w']);
        spawnSync(file, argv, { stdio: 'ignore', cwd: dir });
        started = false;
      }
      removeDir();
    },
  };
  const stop = () => {
    stopping ??= (async () => {
      live.delete(cluster);
      try {
        if (running()) {
          const pid = postmasterPid();
          await run(pgCtl, ['-D', data, 'stop', '-m', 'fast', '-w', '-t', '60'], { cwd: dir });
          started = false;
          // pg_ctl returns once the pid file is gone; wait until init has reaped the process too.
          for (let i = 0; pid && i < 50 && existsSync(`/proc/${pid}`); i++) await sleep(100);
          log('postgres stopped');
        }
      } finally {
        removeDir();
      }
    })();
    return stopping;
  };
  live.add(cluster);
  installExitHooks();

  try {
    const t0 = Date.now();
    await run(
      join(bin, 'initdb'),
      ['-D', data, '-A', 'trust', '-U', 'postgres', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions'],
      { cwd: dir },
    );
    log(`initdb done in ${Date.now() - t0} ms (${dir})`);

    // The port may be taken between freePort() and startup: retry a few times.
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      appendFileSync(
        join(data, 'postgresql.conf'),
        [
          '',
          '# cartes test cluster',
          "listen_addresses = '127.0.0.1'",
          `port = ${port}`,
          `unix_socket_directories = '${dir}'`,
          'max_connections = 200',
          ...(durable ? [] : ['fsync = off', 'synchronous_commit = off', 'full_page_writes = off']),
          "log_min_messages = 'warning'",
          '',
        ].join('\n'),
      );
      try {
        await run(pgCtl, ['-D', data, '-l', logFile, '-w', '-t', '60', 'start'], { cwd: dir });
        started = true;
        break;
      } catch (err) {
        const pgLog = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
        if (attempt >= 3 || !/could not bind|address already in use/i.test(pgLog)) {
          throw new Error(`${err instanceof Error ? err.message : err}\n--- postgres.log ---\n${pgLog}`, {
            cause: err,
          });
        }
        log(`port ${port} taken, retrying`);
      }
    }

    const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const url = await createDatabase(adminUrl, DB_NAME);
    log(`postgres ${bin.split('/').at(-2)} ready at ${url} in ${Date.now() - t0} ms`);
    // The server goes away (fast shutdown: sessions are ended, committed work is on disk) and comes back.
    const pause = async () => {
      await run(pgCtl, ['-D', data, 'stop', '-m', 'fast', '-w', '-t', '60'], { cwd: dir });
      started = false;
    };
    const resume = async () => {
      await run(pgCtl, ['-D', data, '-l', logFile, '-w', '-t', '60', 'start'], { cwd: dir });
      started = true;
    };
    return { url, stop, pause, resume };
  } catch (err) {
    await stop().catch(() => cluster.stopSync());
    throw err;
  }
}

/**
 * Create (or re-create empty) database `name` on the server of `url`; returns its URL.
 * Without a name, a unique one is made up.
 */
export async function createDatabase(url, name) {
  name ??= `t_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const ident = client.escapeIdentifier(name);
    await client.query(`drop database if exists ${ident} with (force)`);
    await client.query(`create database ${ident}`);
  } finally {
    await client.end();
  }
  const out = new URL(url);
  out.pathname = `/${encodeURIComponent(name)}`;
  return out.toString();
}
