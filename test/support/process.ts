// Child processes of the tests: the real `cartes` command and other tools, with a clean environment
// and a bound in time (a process that would run on, e.g. `serve` accepting its configuration, is killed).
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
/** The CLI's entry (`npm run cartes`), and the installed shim (`bin/cartes.js`, the `cartes` command). */
export const CLI_MAIN = join(ROOT, 'src', 'cli', 'main.ts');
export const CLI_SHIM = join(ROOT, 'bin', 'cartes.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** The whole environment (default: PATH alone, so the caller's CARTES_* never leak in). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Killed after this long (default 120 s: a loaded machine is slow, only a hung command takes that long). */
  timeoutMs?: number;
}

/** Runs `file` to its end and gives its exit code and output. */
export function run(file: string, args: string[], opts: RunOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: opts.cwd ?? ROOT,
      env: opts.env ?? { PATH: process.env['PATH'] ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `cartes ARGS` through the CLI's entry, with PATH and `env` as its only environment. */
export function cartes(args: string[], env: Record<string, string> = {}, opts: Omit<RunOptions, 'env'> = {}) {
  return run(process.execPath, [CLI_MAIN, ...args], { ...opts, env: { PATH: process.env['PATH'] ?? '', ...env } });
}
