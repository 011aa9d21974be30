// `npm run bench -- NAME [args]`: runs bench/NAME.ts with Node 24 (the same node as this script,
// or the pinned one from the `node` package when started by an older one). Without a NAME, or with
// an unknown one, lists the benchmarks available.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();

const [name, ...args] = process.argv.slice(2);

if (!name || !available.includes(name)) {
  if (name) console.error(`Unknown benchmark "${name}".`);
  console.error('Usage: npm run bench -- NAME [args]   (e.g. npm run bench -- import --rows 20000)');
  console.error(`Benchmarks: ${available.length ? available.join(', ') : '(none)'}`);
  process.exit(name ? 2 : 1);
}

let node = process.execPath;
if (Number(process.versions.node.split('.')[0]) < 24) {
  const pinned = join(root, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(pinned)) {
    console.error(`Node ${process.version} is too old and ${pinned} is missing: run npm ci`);
    process.exit(1);
  }
  node = pinned;
}

const child = spawn(node, [...process.execArgv, join(here, `${name}.ts`), ...args], { stdio: 'inherit', cwd: root });
// The child is in our process group: a Ctrl-C reaches it directly; forward termination requests too.
for (const sig of ['SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
process.on('SIGINT', () => {}); // let the child clean up and decide the exit code
child.on('error', (err) => {
  console.error(`Cannot start ${node}: ${err.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
