// Debian system packages the test suite needs (headless browser, PKCS#11 tooling, GnuTLS certtool).
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

// Each tool: how to find it, and the Debian package that provides it.
const TOOLS = [
  { name: 'chromium', path: '/usr/bin/chromium', pkg: 'chromium' },
  { name: 'softhsm2-util', pkg: 'softhsm2' },
  { name: 'pkcs11-tool', pkg: 'opensc' },
  { name: 'openssl', pkg: 'openssl' },
  // GnuTLS's certtool: a second, independent X.509 implementation that checks our chains.
  { name: 'certtool', pkg: 'gnutls-bin' },
];

const BASE_PACKAGES = ['chromium', 'softhsm2', 'opensc'];

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of a command found in PATH (plus sbin folders), or null. */
export function which(cmd) {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const extra of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    if (!dirs.includes(extra)) dirs.push(extra);
  }
  for (const dir of dirs) {
    const file = join(dir, cmd);
    if (isExecutable(file)) return file;
  }
  return null;
}

function run(cmd, args, log) {
  log(`$ ${cmd} ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

function missingTools() {
  return TOOLS.filter((t) => !(t.path ? isExecutable(t.path) : which(t.name)));
}

/**
 * Make sure chromium, softhsm2-util, pkcs11-tool, openssl and certtool are installed.
 * Installs them with apt-get when missing and running as root; no-op when all present.
 */
export async function ensureSystemDeps({ log = console.log } = {}) {
  const missing = missingTools();
  if (missing.length === 0) {
    log(`system deps present: ${TOOLS.map((t) => t.name).join(', ')}`);
    return;
  }
  const names = missing.map((t) => t.name).join(', ');
  const packages = [...new Set([...BASE_PACKAGES, ...missing.map((t) => t.pkg)])];
  if (process.getuid?.() !== 0) {
    throw new Error(
      `missing system tools: ${names}. Not root, so cannot install them; run as root:\n` +
        `  apt-get update && apt-get install -y --no-install-recommends ${packages.join(' ')}`,
    );
  }
  if (!which('apt-get')) throw new Error(`missing system tools: ${names}, and apt-get is not available`);
  log(`missing system tools: ${names}; installing ${packages.join(' ')}`);
  await run('apt-get', ['update'], log);
  await run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], log);
  const still = missingTools();
  if (still.length > 0) {
    throw new Error(`still missing after apt-get install: ${still.map((t) => t.name).join(', ')}`);
  }
  log('system deps installed');
}
