export interface PgCluster {
  /** postgres://postgres@127.0.0.1:PORT/cartes_test */
  url: string;
  /** Stop the server (fast) and delete its folder. Idempotent. */
  stop(): Promise<void>;
}

export function startPgCluster(options?: { log?: (message: string) => void }): Promise<PgCluster>;

/** Create (or re-create empty) database `name` on the server of `url`; returns its URL. */
export function createDatabase(url: string, name?: string): Promise<string>;
