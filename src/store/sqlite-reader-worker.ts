// A read connection on its own thread (sqlite-readers.ts): opens the WAL database query-only and
// answers { id, sql, params } with { id, rows } or { id, error }. Each statement is an autocommit
// read, so it sees everything committed before it started.
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

const { path } = workerData as { path: string };
const db = new DatabaseSync(path, { timeout: 10_000 });
db.exec('PRAGMA query_only = ON');
db.exec('PRAGMA busy_timeout = 10000');
db.exec('PRAGMA cache_size = -65536');

const CACHE_LIMIT = 256;
const cache = new Map<string, StatementSync>();

function statement(sql: string): StatementSync {
  let stmt = cache.get(sql);
  if (stmt) return stmt;
  stmt = db.prepare(sql);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(sql, stmt);
  return stmt;
}

parentPort!.on('message', (m: { id: number; sql: string; params: SQLInputValue[] } | 'close') => {
  if (m === 'close') {
    cache.clear();
    db.close();
    parentPort!.close();
    return;
  }
  try {
    parentPort!.postMessage({ id: m.id, rows: statement(m.sql).all(...m.params) });
  } catch (err) {
    const e = err as { message?: string; code?: string; errcode?: number; errstr?: string };
    parentPort!.postMessage({
      id: m.id,
      error: { message: String(e.message), code: e.code, errcode: e.errcode, errstr: e.errstr },
    });
  }
});
