export interface PgCluster {
  /** postgres://postgres@127.0.0.1:PORT/cartes_test */
  url: string;
  /** Stop the server (fast) and delete its folder. Idempotent. */
  stop(): Promise<void>;
  /** Stop the server (fast shutdown), keeping its data and port. */
  pause(): Promise<void>;
  /** Start it again after pause(). */
  resume(): Promise<void>;
}

/** `durable`: fsync and synchronous commit on (default off: faster, for tests that never stop it). */
export function startPgCluster(options?: { log?: (message: string) => void; durable?: boolean }): Promise<PgCluster>;

/** Create (or re-create empty) database `name` on the server of `url`; returns its URL. */
export function createDatabase(url: string, name?: string): Promise<string>;
