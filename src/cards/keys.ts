// The platform's card secrets: the master key (card administration keys derive from it) and the
// chip key (stands for the chips' hardware secret: it seals virtual card files and the companion
// records of PKCS#11 cards). Each comes from the environment (64 hex) or from a 0600 file under
// <data>/cards, created with 32 random bytes on first use.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class CardKeyError extends Error {
  override readonly name = 'CardKeyError';
}

const HEX64 = /^[0-9a-fA-F]{64}$/;

/**
 * A 32-byte key from `variable` (64 hex) or from `<dir>/<fileName>` (0600, created with random bytes
 * on first use, never overwritten); `error` builds the caller's French error. Shared by the card
 * keys and the manufacturer's exchange and activation keys.
 */
export function loadHexKey(
  dir: string,
  env: NodeJS.ProcessEnv,
  variable: string,
  fileName: string,
  what: string,
  error: (message: string) => Error = (m) => new CardKeyError(m),
): Buffer {
  const fromEnv = env[variable];
  if (fromEnv !== undefined && fromEnv !== '') {
    const value = fromEnv.trim();
    if (!HEX64.test(value)) {
      throw error(
        `${variable} : ${what} invalide, 64 caractères hexadécimaux attendus (32 octets), reçu ${value.length} caractère(s).`,
      );
    }
    return Buffer.from(value, 'hex');
  }
  const file = join(dir, fileName);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    // 'wx': never overwrite a key another process has just created.
    writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const value = readFileSync(file, 'utf8').trim();
  if (!HEX64.test(value)) {
    throw error(
      `${what} illisible dans ${file} : 64 caractères hexadécimaux attendus. Restaurez le fichier depuis une sauvegarde (le remplacer rend inutilisable ce qu'il protège).`,
    );
  }
  return Buffer.from(value, 'hex');
}

function loadKey(dataDir: string, env: NodeJS.ProcessEnv, variable: string, fileName: string, what: string): Buffer {
  return loadHexKey(join(dataDir, 'cards'), env, variable, fileName, what);
}

/** Master key of the card administration keys: CARTES_CARD_MASTER_KEY or <data>/cards/master.key. */
export function loadCardMasterKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  return loadKey(dataDir, env, 'CARTES_CARD_MASTER_KEY', 'master.key', 'clé maîtresse des cartes');
}

/** Chip key (hardware secret of the emulated chips): CARTES_CARD_CHIP_KEY or <data>/cards/chip.key. */
export function loadChipKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  return loadKey(dataDir, env, 'CARTES_CARD_CHIP_KEY', 'chip.key', 'clé de puce');
}
