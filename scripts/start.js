// `npm start`: builds the web portal on first run, then starts the platform on the embedded SQLite
// database with the demonstration data, PKI and cards, and the card agent in the same process
// (`serve --demo`): it prints the portal and agent addresses, the pairing code, the demo cards with
// their PINs, and the sign-in link command as a fallback. npm puts node_modules/.bin first in PATH,
// so this runs on the pinned Node 24.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const node = process.execPath;
if (!existsSync(`${root}/web/dist/index.html`) && existsSync(`${root}/web/vite.config.ts`)) {
  console.log('Construction du portail web (première exécution)…');
  const r = spawnSync(
    node,
    [`${root}/node_modules/vite/bin/vite.js`, 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'],
    { cwd: root, stdio: 'inherit' },
  );
  if (r.status !== 0) process.exit(r.status ?? 1);
}
// A console for a person, not a log collector: warnings only unless asked otherwise.
const env = { ...process.env, CARTES_LOG_LEVEL: process.env.CARTES_LOG_LEVEL ?? 'warn' };
const child = spawn(node, [`${root}/src/cli/main.ts`, 'serve', '--demo', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env,
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code) => process.exit(code ?? 0));
