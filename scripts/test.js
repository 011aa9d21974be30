// `npm test`: system deps, typecheck, lint, web build, PostgreSQL, then node's test runner.
// Extra arguments are path substrings selecting test files: `npm test -- src/store`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, globSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

// Node 24 is pinned through the npm `node` package; re-run with it if started by an older node.
const pinnedNode = join(root, 'node_modules', 'node', 'bin', 'node');
if (Number(process.versions.node.split('.')[0]) < 24) {
  if (!existsSync(pinnedNode)) {
    console.error(`Node ${process.version} is too old and ${pinnedNode} is missing: run npm ci`);
    process.exit(1);
  }
  const r = spawnSync(pinnedNode, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const { ensureSystemDeps } = await import('./lib/system-deps.js');
const { startPgCluster } = await import('./lib/pg-cluster.js');

const node = process.execPath;
const filters = process.argv.slice(2).filter((a) => a.trim() !== '');
const timings = [];
const log = (msg) => console.log(`  ${msg}`);

// Entry script of a package's bin, run with our node (its shebang would pick the system node).
function binScript(pkg, name) {
  const dir = join(root, 'node_modules', pkg);
  const { bin } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  return join(dir, typeof bin === 'string' ? bin : bin[name]);
}

// Child currently running, killed if we are told to stop.
let current = null;

function exec(file, args, env = process.env) {
  console.log(`  $ ${[relative(root, file) || file, ...args].join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'inherit', 'inherit'], env });
    current = child;
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      current = null;
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

class StepFailure extends Error {
  constructor(name, code) {
    super(`step "${name}" failed (exit ${code})`);
    this.code = code;
  }
}

async function step(name, fn) {
  console.log(`\n=== ${name} ===`);
  const t0 = performance.now();
  let ok = false;
  try {
    const code = await fn();
    if (typeof code === 'number' && code !== 0) throw new StepFailure(name, code);
    ok = true;
  } finally {
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    timings.push([name, secs, ok]);
    console.log(`--- ${name}: ${ok ? 'ok' : 'FAILED'} in ${secs}s`);
  }
}

function printTimings() {
  console.log('\n=== timings ===');
  for (const [name, secs, ok] of timings) console.log(`  ${ok ? '  ' : '✖ '}${name.padEnd(28)} ${secs.padStart(7)}s`);
}

function testFiles() {
  const all = globSync(['src/**/*.test.ts', 'test/**/*.test.ts'], {
    cwd: root,
    exclude: (p) => p.includes('node_modules'),
  }).sort();
  return filters.length === 0 ? all : all.filter((f) => filters.some((s) => f.includes(s)));
}

for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
]) {
  process.on(sig, () => {
    current?.kill('SIGTERM');
    process.exitCode = code;
  });
}

const files = testFiles();
if (files.length === 0) {
  console.error(
    filters.length ? `no test file matches ${filters.map((f) => `"${f}"`).join(', ')}` : 'no test files found',
  );
  process.exit(1);
}

let cluster = null;
let exitCode = 0;
let summary = null;
try {
  await step('system dependencies', () => ensureSystemDeps({ log }));

  await step('typecheck', async () => {
    const tsc = binScript('typescript', 'tsc');
    const code = await exec(node, [tsc, '--noEmit', '-p', 'tsconfig.json']);
    if (code !== 0 || !existsSync('web/tsconfig.json')) return code;
    return exec(node, [tsc, '--noEmit', '-p', 'web/tsconfig.json']);
  });

  if (['eslint.config.js', 'eslint.config.mjs', 'eslint.config.ts'].some((f) => existsSync(f))) {
    await step('lint', async () => {
      const code = await exec(node, [binScript('eslint', 'eslint'), '.']);
      // The formatter's check is part of the lint step (README: `npm run format` fixes it).
      return code !== 0 ? code : exec(node, [binScript('prettier', 'prettier'), '--check', '--log-level', 'warn', '.']);
    });
  } else {
    console.log('\n(no eslint.config.js: lint skipped)');
  }

  if (existsSync('web/vite.config.ts')) {
    await step('web build', () => exec(node, [binScript('vite', 'vite'), 'build', '--config', 'web/vite.config.ts']));
  } else {
    console.log('\n(no web/vite.config.ts: web build skipped)');
  }

  await step('postgresql', async () => {
    cluster = await startPgCluster({ log });
  });

  await step(`tests (${files.length} file${files.length === 1 ? '' : 's'})`, async () => {
    // Spec for people on stdout, TAP to a file for the closing counts.
    const tapDir = mkdtempSync(join(tmpdir(), 'cartes-tap-'));
    const tapFile = join(tapDir, 'report.tap');
    process.on('exit', () => rmSync(tapDir, { recursive: true, force: true }));
    try {
      const code = await exec(
        node,
        [
          '--test',
          '--test-concurrency=2',
          '--test-reporter=spec',
          '--test-reporter-destination=stdout',
          '--test-reporter=tap',
          `--test-reporter-destination=${tapFile}`,
          ...files,
        ],
        // Every server built by a test checks that its JSON answers fit their response schemas exactly.
        { ...process.env, CARTES_TEST_PG_URL: cluster.url, CARTES_CHECK_RESPONSES: '1' },
      );
      if (existsSync(tapFile)) {
        // Top-level summary lines of the TAP report (`# pass N`, `# fail N`, ...).
        summary = readFileSync(tapFile, 'utf8')
          .split('\n')
          .filter((l) => /^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /.test(l));
      }
      return code;
    } finally {
      rmSync(tapDir, { recursive: true, force: true });
    }
  });
} catch (err) {
  if (!(err instanceof StepFailure)) console.error(`\n${err instanceof Error ? err.stack : err}`);
  else console.error(`\n${err.message}`);
  exitCode = err instanceof StepFailure ? err.code : 1;
} finally {
  if (cluster) {
    try {
      await cluster.stop();
    } catch (err) {
      console.error(`could not stop postgres: ${err instanceof Error ? err.message : err}`);
      exitCode ||= 1;
    }
  }
  printTimings();
  if (summary?.length) {
    // Closing lines: node's test runner summary, then the plain count.
    const n = (k) => Number(summary.find((l) => l.startsWith(`# ${k} `))?.split(' ')[2] ?? 0);
    console.log('');
    for (const l of summary) console.log(l);
    console.log(`${n('pass')} passed, ${n('fail') + n('cancelled')} failed, ${n('skipped') + n('todo')} skipped`);
  }
}
process.exit(process.exitCode || exitCode);
