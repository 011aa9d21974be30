#!/usr/bin/env node
// The `cartes` command. The code is TypeScript run natively by Node 24; when this shim is started
// by an older system Node, it hands over to the Node 24 pinned in node_modules (npm package `node`):
// the child gets the terminal, every signal sent to this process is passed on to it (so that
// `kill -TERM` or a service manager stops the real server), and its exit code comes back.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
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
  const child = spawn(pinned, [main, ...process.argv.slice(2)], { stdio: 'inherit' });
  const forwarded = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
  for (const sig of forwarded)
    process.on(sig, () => {
      // A terminal's Ctrl-C reaches the whole process group: the child has it already.
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    });
  child.on('error', (err) => {
    console.error(`Impossible de démarrer Node 24 (${pinned}) : ${err.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      // Ended by a signal: end the same way, so the caller sees it (a shell reports 128 + n).
      for (const sig of forwarded) process.removeAllListeners(sig);
      process.kill(process.pid, signal);
      setTimeout(() => process.exit(128 + (constants.signals[signal] ?? 0)), 1000).unref();
      return;
    }
    process.exit(code ?? 1);
  });
}
