import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// What is running: the package version, the commit when known (CARTES_COMMIT, else the git checkout).

const root = fileURLToPath(new URL('..', import.meta.url));

export const APP_VERSION: string = (
  JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as { version: string }
).version;

let commit: string | null | undefined;

export function appCommit(): string | null {
  if (commit !== undefined) return commit;
  commit = process.env['CARTES_COMMIT'] ?? null;
  if (!commit) {
    const r = spawnSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, encoding: 'utf8', timeout: 2000 });
    commit = r.status === 0 ? r.stdout.trim() || null : null;
  }
  return commit;
}
