#!/usr/bin/env node
// The `cartes` command. The code is TypeScript run natively by Node 24; when this shim is started
// by an older system Node, it hands over to the Node 24 pinned in node_modules (npm package `node`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
if (major >= 24) {
  await import(main);
} else {
  const pinned = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(pinned)) {
    console.error(
      `Cartes Agents demande Node 24 (trouvé ${process.version}) : lancez « npm install » dans le dossier du projet.`,
    );
    process.exit(1);
  }
  const r = spawnSync(pinned, [main, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
