// Throw-away SoftHSM2 tokens for tests and demos: a fresh folder holds the token files and a
// softhsm2.conf pointing at it; SOFTHSM2_CONF is set for the current process (and its children),
// so the SoftHSM module loaded afterwards sees the new token. Call before loading the module:
// SoftHSM reads its configuration and token list in C_Initialize.
import { execFile } from 'node:child_process';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { which } from './system-deps.js';

const execFileAsync = promisify(execFile);

/** Usual places of the SoftHSM2 PKCS#11 module (Debian/Ubuntu, Fedora, Homebrew). */
const MODULE_CANDIDATES = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib64/pkcs11/libsofthsm2.so',
  '/usr/lib/pkcs11/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
  '/opt/homebrew/lib/softhsm/libsofthsm2.so',
];

/** Path of the SoftHSM2 module (SOFTHSM2_MODULE overrides), or null when not installed. */
export async function findSoftHsmModule() {
  const candidates = process.env.SOFTHSM2_MODULE ? [process.env.SOFTHSM2_MODULE] : MODULE_CANDIDATES;
  for (const file of candidates) {
    try {
      await access(file);
      return file;
    } catch {
      // next
    }
  }
  return null;
}

/**
 * Create and initialise a SoftHSM2 token.
 * Without `dir`: a new temporary folder with its own softhsm2.conf. With `dir` (the `dir` of a
 * previous call): one more token in that folder, same configuration.
 */
export async function initSoftHsmToken({ label, soPin, userPin, dir: existingDir } = {}) {
  if (!label || !soPin || !userPin) throw new Error('initSoftHsmToken: label, soPin and userPin are required');
  const util = which('softhsm2-util');
  if (!util) throw new Error('softhsm2-util is not installed (Debian package softhsm2)');
  const modulePath = await findSoftHsmModule();
  if (!modulePath) throw new Error('SoftHSM2 module libsofthsm2.so not found (set SOFTHSM2_MODULE)');

  const dir = existingDir ?? (await mkdtemp(join(tmpdir(), 'cartes-softhsm-')));
  const tokenDir = join(dir, 'tokens');
  const configFile = join(dir, 'softhsm2.conf');
  if (!existingDir) {
    await mkdir(tokenDir, { mode: 0o700 });
    await writeFile(
      configFile,
      [
        `directories.tokendir = ${tokenDir}`,
        'objectstore.backend = file',
        'log.level = ERROR',
        'slots.removable = false',
        'slots.mechanisms = ALL',
        '',
      ].join('\n'),
    );
  }
  const env = { ...process.env, SOFTHSM2_CONF: configFile };
  try {
    await execFileAsync(util, ['--init-token', '--free', '--label', label, '--so-pin', soPin, '--pin', userPin], {
      env,
    });
  } catch (err) {
    if (!existingDir) await rm(dir, { recursive: true, force: true });
    const e = /** @type {{ stderr?: string, message: string }} */ (err);
    throw new Error(`softhsm2-util --init-token failed: ${(e.stderr ?? '').trim() || e.message}`, { cause: err });
  }
  process.env.SOFTHSM2_CONF = configFile;
  return {
    modulePath,
    configFile,
    tokenLabel: label,
    userPin,
    dir,
    /** Delete the token folder. Close the PKCS#11 sessions first. */
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
