// One registry of loaded PKCS#11 modules per process, shared by the key store (CA keys) and the
// card driver: a module is initialised once and finalised when its last user lets go, so one
// closing never cuts the other off (C_Finalize is process-wide for a module).
import type * as Pkcs11js from 'pkcs11js';
import { KeyStoreError } from './keystore.ts';

export type Pkcs11Lib = typeof Pkcs11js;

export interface Pkcs11Module {
  lib: Pkcs11Lib;
  p11: Pkcs11js.PKCS11;
  /** false when someone else in this process had initialised the module: we must not finalise it. */
  ownsInit: boolean;
  users: number;
  /** Login state per token label, for the users that log in (the key store). */
  logins: Map<string, { pinDigest: Buffer; sessions: number }>;
}

/** What makes a generated private key a signing key only, kept on the token (SoftHSM would otherwise allow decrypt and unwrap). */
export function signingOnlyKey(lib: Pkcs11Lib) {
  return [
    { type: lib.CKA_CLASS, value: lib.CKO_PRIVATE_KEY },
    { type: lib.CKA_PRIVATE, value: true },
    { type: lib.CKA_SENSITIVE, value: true },
    { type: lib.CKA_EXTRACTABLE, value: false },
    { type: lib.CKA_SIGN, value: true },
    { type: lib.CKA_DECRYPT, value: false },
    { type: lib.CKA_UNWRAP, value: false },
    { type: lib.CKA_DERIVE, value: false },
  ];
}

/** Name of a PKCS#11 error (`CKR_PIN_INCORRECT`…), or null for other errors. */
export function ckr(err: unknown): string | null {
  const m = /^(CKR_[A-Z0-9_]+)/.exec(err instanceof Error ? err.message : '');
  return m ? m[1]! : null;
}

let libPromise: Promise<Pkcs11Lib> | null = null;

/** Loads the pkcs11js addon once; KeyStoreError 'unavailable' (French) if it cannot be loaded. */
export function loadPkcs11js(): Promise<Pkcs11Lib> {
  libPromise ??= import('pkcs11js').then(
    (mod) => (mod as unknown as { default?: Pkcs11Lib }).default ?? (mod as unknown as Pkcs11Lib),
    (err: unknown) => {
      libPromise = null;
      throw new KeyStoreError(
        'unavailable',
        `Module PKCS#11 indisponible : l'extension native « pkcs11js » ne se charge pas (${(err as Error).message}). ` +
          'Relancez « npm ci » (elle se compile avec node-gyp).',
        { cause: err },
      );
    },
  );
  return libPromise;
}

const modules = new Map<string, Promise<Pkcs11Module>>();

/**
 * The module at `modulePath`, loaded and initialised once; `fail` turns a load or initialisation
 * error into the caller's own French error (key store or card reader).
 */
export async function acquirePkcs11Module(
  modulePath: string,
  fail: (what: 'load' | 'init', cause: unknown) => Error,
): Promise<Pkcs11Module> {
  let entry = modules.get(modulePath);
  if (!entry) {
    entry = (async () => {
      const lib = await loadPkcs11js();
      const p11 = new lib.PKCS11();
      try {
        p11.load(modulePath);
      } catch (err) {
        throw fail('load', err);
      }
      let ownsInit = true;
      try {
        p11.C_Initialize({ flags: lib.CKF_OS_LOCKING_OK });
      } catch (err) {
        if (ckr(err) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
          p11.close();
          throw fail('init', err);
        }
        ownsInit = false;
      }
      return { lib, p11, ownsInit, users: 0, logins: new Map() };
    })();
    modules.set(modulePath, entry);
    entry.catch(() => modules.delete(modulePath));
  }
  const m = await entry;
  m.users++;
  return m;
}

export function releasePkcs11Module(modulePath: string, m: Pkcs11Module): void {
  m.users--;
  if (m.users > 0) return;
  modules.delete(modulePath);
  try {
    if (m.ownsInit) m.p11.C_Finalize();
  } finally {
    m.p11.close();
  }
}
