// A bounded pool for signatures made on demand (OCSP answers with a nonce, unusual CertIDs, a status
// that just changed): at most `concurrency` at once, at most `queue` waiting; beyond that the caller
// is told at once (OCSP answers tryLater) instead of piling work up behind a flood of requests.

export class PoolBusyError extends Error {
  constructor() {
    super('signing pool full');
    this.name = 'PoolBusyError';
  }
}

export interface SigningPoolOptions {
  /** Signatures running at once. Default 4 (libuv's default thread pool size). */
  concurrency?: number;
  /** Signatures waiting for a slot. Default 256. */
  queue?: number;
}

export class SigningPool {
  readonly concurrency: number;
  readonly queueLimit: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** Tasks refused because the pool was full (since start). */
  refused = 0;
  /** Tasks run (since start). */
  done = 0;

  constructor(opts: SigningPoolOptions = {}) {
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
    this.queueLimit = Math.max(0, opts.queue ?? 256);
  }

  /** True when a new task would be refused. */
  get full(): boolean {
    return this.running >= this.concurrency && this.waiting.length >= this.queueLimit;
  }

  get pending(): number {
    return this.running + this.waiting.length;
  }

  /** Runs `task` when a slot is free; rejects with PoolBusyError at once when the queue is full. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queueLimit) {
        this.refused++;
        throw new PoolBusyError();
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      this.done++;
      const next = this.waiting.shift();
      // The slot passes to the next task as is (running stays counted).
      if (next) next();
      else this.running--;
    }
  }
}
