/** Install chromium, softhsm2, opensc and openssl with apt-get when missing (root only). */
export function ensureSystemDeps(options?: { log?: (message: string) => void }): Promise<void>;

/** Absolute path of a command found in PATH (plus sbin folders), or null. */
export function which(cmd: string): string | null;
