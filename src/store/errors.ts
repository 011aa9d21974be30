// What went wrong below the application, in categories the HTTP layer and the CLI answer in French
// without internals: the database is away (503, retry), busy, or the disk is full or failing.

export type StoreFailure = 'unavailable' | 'busy' | 'disk_full' | 'io';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

// node-postgres's own messages when a connection dies or cannot be had.
const PG_CONNECTION_MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /not queryable/i,
  /Client was closed and is not queryable/i,
  /Cannot use a pool after calling end/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /terminating connection due to administrator command/i,
  /is not currently accepting connections/i,
];

// SQLite primary result codes (node:sqlite puts them in `errcode`, possibly extended: low byte).
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_IOERR = 10;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;

/** The category of a database or disk failure, or null for anything else (a bug, a constraint…). */
export function classifyStoreError(err: unknown): StoreFailure | null {
  if (!err || typeof err !== 'object') return null;
  const e = err as { code?: unknown; errcode?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'disk_full';
  if (code === 'EIO' || code === 'EROFS') return 'io';
  if (NETWORK_CODES.has(code)) return 'unavailable';
  // PostgreSQL SQLSTATE: class 08 connection exception, 57P01-03 shutdown / cannot connect now,
  // 53300 too many connections, 53100 disk full.
  if (/^08[0-9A-Z]{3}$/.test(code) || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300')
    return 'unavailable';
  if (code === '53100') return 'disk_full';
  if (code === '55P03' || code === '40P01') return 'busy'; // lock not available, deadlock
  if (code === 'ERR_SQLITE_ERROR' && typeof e.errcode === 'number') {
    const primary = e.errcode & 0xff;
    if (primary === SQLITE_BUSY || primary === SQLITE_LOCKED) return 'busy';
    if (primary === SQLITE_FULL) return 'disk_full';
    if (primary === SQLITE_IOERR || primary === SQLITE_CANTOPEN) return 'io';
  }
  if (PG_CONNECTION_MESSAGES.some((re) => re.test(message))) return 'unavailable';
  // AggregateError (several addresses refused) and wrapped causes.
  if (Array.isArray(e.errors))
    for (const inner of e.errors) if (classifyStoreError(inner)) return classifyStoreError(inner);
  if (e.cause && e.cause !== err) return classifyStoreError(e.cause);
  return null;
}

/** The French sentence for a store failure: what happened and what to do, no internals. */
export function storeFailureMessage(kind: StoreFailure): string {
  switch (kind) {
    case 'unavailable':
      return 'Le service est momentanément indisponible : la base de données ne répond pas. Réessayez dans quelques instants.';
    case 'busy':
      return 'La base de données est occupée : réessayez dans quelques instants.';
    case 'disk_full':
      return "Le service ne peut pas enregistrer : l'espace disque est insuffisant. L'exploitant a été alerté ; réessayez plus tard.";
    case 'io':
      return "Le service ne peut pas lire ou écrire ses données (erreur du support de stockage). L'exploitant a été alerté ; réessayez plus tard.";
  }
}
