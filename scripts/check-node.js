// After `npm install`: check that the pinned Node 24 (npm package `node`) runs, so `npm start`,
// `npm test` and `npx cartes` use it even where the system Node is older.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const bin = new URL('../node_modules/.bin/node', import.meta.url).pathname;
if (!existsSync(bin)) {
  console.warn('Cartes Agents : le paquet « node » (Node 24) est absent ; relancez npm install.');
} else {
  const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  if (!version.startsWith('v24.')) console.warn(`Cartes Agents : Node 24 attendu, ${version} trouvé.`);
}
