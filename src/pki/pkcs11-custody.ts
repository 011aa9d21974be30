// Service keys (issuing CAs, OCSP responders) on a PKCS#11 token instead of encrypted files.
//
// The database keeps { store: 'pkcs11', module, tokenLabel, keyLabel, algorithm, custody }: never the
// PIN. The PIN comes, at run time, from CARTES_PKCS11_PIN or from the file named by
// CARTES_PKCS11_PIN_FILE; a PIN given explicitly (the ceremony's --pkcs11-pin-file) also serves the
// rest of the process. One Pkcs11KeyStore (one logged-in session) per module and token per process.
import { readFileSync } from 'node:fs';
import { KeyStoreError } from './keystore.ts';
import { Pkcs11KeyStore } from './keystore-pkcs11.ts';

/** Where the service keys go when they are on a token (ceremony option). */
export interface Pkcs11Target {
  /** PKCS#11 module (.so). */
  module: string;
  tokenLabel: string;
  /** User PIN of the token; default: CARTES_PKCS11_PIN or CARTES_PKCS11_PIN_FILE. */
  pin?: string;
}

/** Reads a PIN file (first line, trailing newline dropped). */
export function readPinFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new KeyStoreError('invalid', `Fichier du PIN PKCS#11 illisible : ${file}.`, { cause: err });
  }
  const pin = text.split(/\r?\n/)[0] ?? '';
  if (!pin) throw new KeyStoreError('invalid', `Fichier du PIN PKCS#11 vide : ${file}.`);
  return pin;
}

/** The PIN from the environment (CARTES_PKCS11_PIN, else the file CARTES_PKCS11_PIN_FILE), or null. */
export function pkcs11PinFromEnv(env: NodeJS.ProcessEnv = process.env): string | null {
  const pin = env['CARTES_PKCS11_PIN'];
  if (pin) return pin;
  const file = env['CARTES_PKCS11_PIN_FILE'];
  return file ? readPinFile(file) : null;
}

const stores = new Map<string, { pin: string; store: Pkcs11KeyStore }>();
const opened: Pkcs11KeyStore[] = [];
const keyOf = (module: string, tokenLabel: string) => `${module}\0${tokenLabel}`;

/**
 * The process's key store for a module and token. PIN: the one given, else the environment's, else
 * the one already used for this token in this process.
 */
export function pkcs11Store(
  module: string,
  tokenLabel: string,
  pin?: string,
  env: NodeJS.ProcessEnv = process.env,
): Pkcs11KeyStore {
  const k = keyOf(module, tokenLabel);
  const known = stores.get(k);
  const wanted = pin ?? pkcs11PinFromEnv(env) ?? known?.pin;
  if (!wanted) {
    throw new KeyStoreError(
      'invalid',
      `PIN du jeton PKCS#11 « ${tokenLabel} » inconnu : définissez CARTES_PKCS11_PIN ou CARTES_PKCS11_PIN_FILE (fichier du PIN).`,
    );
  }
  if (known && known.pin === wanted) return known.store;
  // A previous store of this token stays open: signers opened from it (OCSP responders) keep working.
  const store = new Pkcs11KeyStore(module, tokenLabel, wanted);
  stores.set(k, { pin: wanted, store });
  opened.push(store);
  return store;
}

/** Closes the PKCS#11 sessions of this process (end of a command, tests). */
export async function closePkcs11Stores(): Promise<void> {
  const all = opened.splice(0);
  stores.clear();
  for (const s of all) await s.close();
}
