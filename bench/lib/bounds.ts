// What every benchmark needs around its measurements: its options, a work folder removed at exit,
// stop on Ctrl-C / SIGTERM, and a time bound (a benchmark never runs unbounded).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Reads the integer value after option `name` at argv[i]; exits 2 with the usage when out of range. */
export function intOption(argv: string[], i: number, name: string, min: number, max: number, usage: string): number {
  const v = Number(argv[i]);
  if (!Number.isInteger(v) || v < min || v > max) {
    console.error(`${name}: integer from ${min} to ${max} expected.\n${usage}`);
    process.exit(2);
  }
  return v;
}

type Options = Record<string, number | boolean | string>;

/**
 * What an option does to the options object: `[key, min, max]` reads an integer into `key`,
 * `[key, value]` sets `key` to a constant (flags such as `--no-pg`), `[key, [choices…]]` reads one of them.
 */
export type OptionSpec<T extends Options> =
  | readonly [keyof T & string, number, number]
  | readonly [keyof T & string, boolean]
  | readonly [keyof T & string, readonly string[]];

/**
 * The command line into `defaults`' shape; `--timeout-s S` and `--keep` come with every benchmark whose
 * defaults have `timeoutS` / `keep`. An unknown argument or a value out of range exits 2 with the usage.
 */
export function parseArgs<T extends Options>(
  argv: string[],
  usage: string,
  defaults: T,
  specs: Record<string, OptionSpec<T>>,
): T {
  const opts: Options = { ...defaults };
  const all: Record<string, OptionSpec<T>> = { ...specs };
  if ('timeoutS' in defaults) all['--timeout-s'] ??= ['timeoutS', 10, 6 * 3600];
  if ('keep' in defaults) all['--keep'] ??= ['keep', true];
  for (let i = 0; i < argv.length; i++) {
    const a = String(argv[i]);
    const spec = all[a];
    if (!spec) {
      console.error(`Unknown argument ${a}.\n${usage}`);
      process.exit(2);
    }
    const [key, x, y] = spec;
    if (typeof x === 'number') opts[key] = intOption(argv, ++i, a, x, y as number, usage);
    else if (typeof x === 'boolean') opts[key] = x;
    else {
      const v = String(argv[++i]);
      if (!x.includes(v)) {
        console.error(`${a}: one of ${x.join(', ')} expected.\n${usage}`);
        process.exit(2);
      }
      opts[key] = v;
    }
  }
  return opts as T;
}

/**
 * Removes `work` (if any) at exit (unless `keep`), runs `onExit` (e.g. kill children), turns SIGINT/SIGTERM
 * into exits 130/143, and exits 3 after `timeoutS`. Returns the time bound's timer, to clear at the end.
 */
export function boundRun(opts: {
  work?: string;
  keep?: boolean;
  timeoutS: number;
  onExit?: () => void;
}): NodeJS.Timeout {
  process.on('exit', () => {
    opts.onExit?.();
    if (opts.work && !opts.keep) rmSync(opts.work, { recursive: true, force: true });
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

/** A fresh work folder `cartes-bench-NAME-…` under boundRun: removed at exit, the run bounded in time. */
export function benchWork(
  name: string,
  opts: { keep: boolean; timeoutS: number },
  onExit?: () => void,
): { work: string; deadline: NodeJS.Timeout } {
  const work = mkdtempSync(join(tmpdir(), `cartes-bench-${name}-`));
  return {
    work,
    deadline: boundRun({ work, keep: opts.keep, timeoutS: opts.timeoutS, ...(onExit ? { onExit } : {}) }),
  };
}

/**
 * Runs `main`, then the `cleanups` (last first) and ends the time bound; exits 1 when `main` threw or
 * `problems` lists anything (under `heading`), else 0. The exit handler of boundRun removes the work folder.
 */
export async function finishBench(
  main: () => Promise<void>,
  run: { problems: string[]; heading: string; cleanups: (() => Promise<void> | void)[]; deadline: NodeJS.Timeout },
): Promise<never> {
  let exitCode = 0;
  try {
    await main();
    if (run.problems.length) {
      exitCode = 1;
      console.error(`\n${run.heading}:\n  - ${run.problems.join('\n  - ')}`);
    }
  } catch (err) {
    exitCode = 1;
    console.error('\nBenchmark failed:', err);
  } finally {
    for (const c of run.cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
    clearTimeout(run.deadline);
  }
  process.exit(exitCode);
}

/** PASS when `ok`, else BELOW (a BELOW figure never fails the run). */
export const verdict = (ok: boolean): string => (ok ? 'PASS' : 'BELOW');

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
export const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
