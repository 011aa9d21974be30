// What every benchmark needs around its measurements: integer options, a work folder removed at
// exit, stop on Ctrl-C / SIGTERM, and a time bound (a benchmark never runs unbounded).
import { rmSync } from 'node:fs';

/** Reads the integer value after option `name` at argv[i]; exits 2 with the usage when out of range. */
export function intOption(argv: string[], i: number, name: string, min: number, max: number, usage: string): number {
  const v = Number(argv[i]);
  if (!Number.isInteger(v) || v < min || v > max) {
    console.error(`${name}: integer from ${min} to ${max} expected.\n${usage}`);
    process.exit(2);
  }
  return v;
}

/**
 * Removes `work` at exit (unless `keep`), runs `onExit` (e.g. kill children), turns SIGINT/SIGTERM
 * into exits 130/143, and exits 3 after `timeoutS`. Returns the time bound's timer, to clear at the end.
 */
export function boundRun(opts: { work: string; keep: boolean; timeoutS: number; onExit?: () => void }): NodeJS.Timeout {
  process.on('exit', () => {
    opts.onExit?.();
    if (!opts.keep) rmSync(opts.work, { recursive: true, force: true });
  });
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: stopping.`);
      process.exit(code);
    });
  }
  return setTimeout(() => {
    console.error(`\nTime bound reached (${opts.timeoutS} s, --timeout-s): stopping.`);
    process.exit(3);
  }, opts.timeoutS * 1000);
}

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
export const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
