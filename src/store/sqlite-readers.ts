// Reads that do not wait for each other on SQLite (docs/architecture-decisions.md, "Read concurrency").
// node:sqlite runs a statement on the calling thread until it finishes, so one slow query would stall
// every request of the process. Reads outside a transaction go instead to a few read connections, each
// on its own worker thread over the same WAL file: the event loop only posts the statement and takes
// the rows back, readers run side by side and never wait for the writer (WAL snapshots).
import { Worker } from 'node:worker_threads';
import type { SQLInputValue } from 'node:sqlite';

interface Pending {
  resolve: (rows: unknown[]) => void;
  reject: (err: Error) => void;
}

interface Reader {
  worker: Worker;
  pending: Map<number, Pending>;
  failed: Error | null;
}

/** The error a reader reports, shaped like node:sqlite's own. */
export class SqliteReadError extends Error {
  readonly code: string | undefined;
  readonly errcode: number | undefined;
  readonly errstr: string | undefined;
  constructor(e: { message: string; code?: string; errcode?: number; errstr?: string }) {
    super(e.message);
    this.name = 'SqliteReadError';
    this.code = e.code;
    this.errcode = e.errcode;
    this.errstr = e.errstr;
  }
}

export class SqliteReaderPool {
  readonly size: number;
  readonly #path: string;
  readonly #readers: (Reader | null)[];
  #next = 1;
  #closed = false;

  constructor(path: string, size: number) {
    this.#path = path;
    this.size = size;
    this.#readers = new Array<Reader | null>(size).fill(null);
  }

  /** Runs one read statement on the least busy reader (started on first use). */
  query(sql: string, params: SQLInputValue[]): Promise<unknown[]> {
    if (this.#closed) return Promise.reject(new Error('SQLite reader pool closed'));
    let best = 0;
    let load = Infinity;
    for (let i = 0; i < this.size; i++) {
      const r = this.#readers[i];
      const n = r ? r.pending.size : 0;
      if (n < load) {
        best = i;
        load = n;
        if (n === 0) break;
      }
    }
    const reader = this.#reader(best);
    const id = this.#next++;
    return new Promise<unknown[]>((resolve, reject) => {
      reader.pending.set(id, { resolve, reject });
      // A reader with work keeps the process alive; an idle one does not hold it at exit.
      if (reader.pending.size === 1) reader.worker.ref();
      reader.worker.postMessage({ id, sql, params });
    });
  }

  #reader(i: number): Reader {
    const existing = this.#readers[i];
    if (existing && !existing.failed) return existing;
    const worker = new Worker(new URL('./sqlite-reader-worker.ts', import.meta.url), {
      workerData: { path: this.#path },
    });
    worker.unref();
    const reader: Reader = { worker, pending: new Map(), failed: null };
    const settle = (id: number): Pending | undefined => {
      const p = reader.pending.get(id);
      reader.pending.delete(id);
      if (reader.pending.size === 0) worker.unref();
      return p;
    };
    worker.on(
      'message',
      (m: { id: number; rows?: unknown[]; error?: { message: string; code?: string; errcode?: number } }) => {
        const p = settle(m.id);
        if (!p) return;
        if (m.error) p.reject(new SqliteReadError(m.error));
        else p.resolve(m.rows ?? []);
      },
    );
    const fail = (err: Error) => {
      // The next query starts a new reader; the ones in flight fail with this error.
      reader.failed = err;
      if (this.#readers[i] === reader) this.#readers[i] = null;
      for (const id of [...reader.pending.keys()]) settle(id)?.reject(err);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`SQLite reader stopped (exit ${code})`)));
    this.#readers[i] = reader;
    return reader;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const running = this.#readers.filter((r): r is Reader => r !== null);
    this.#readers.fill(null);
    await Promise.all(
      running.map(
        (r) =>
          new Promise<void>((resolve) => {
            r.worker.once('exit', () => resolve());
            r.worker.ref(); // an idle reader is unref'd: keep the process up until it has closed
            r.worker.postMessage('close');
          }),
      ),
    );
  }
}
