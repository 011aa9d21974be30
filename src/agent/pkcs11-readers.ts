// PKCS#11 readers: one per slot holding a token at start (SoftHSM fixes its slot list when the module
// initialises: restart the agent after plugging a token). The card is the token with its companion
// record (PIN counters, second PIN, administration: see src/cards/pkcs11-card.ts), kept in
// <stateDir>/<token label>.pkcs11. The token's own user PIN lives in that record: no PIN file here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CardError } from '../cards/card.ts';
import { readHeader } from '../cards/chip.ts';
import { openPkcs11Card, PKCS11_CARD_FORMAT } from '../cards/pkcs11-card.ts';
import { acquirePkcs11Module, releasePkcs11Module } from '../pki/pkcs11-module.ts';
import { describe, Reader, type InsertedCard } from './readers.ts';

export interface Pkcs11ReaderOptions {
  /** PKCS#11 module (.so), e.g. /usr/lib/softhsm/libsofthsm2.so */
  module: string;
  /** Folder of the companion records `<token label>.pkcs11`. */
  stateDir: string;
  chipKey: Buffer;
}

export const PKCS11_READER_PREFIX = 'pkcs11:';

/** Companion record of a token (file name safe whatever the label holds). */
export function pkcs11StateFile(stateDir: string, tokenLabel: string): string {
  return join(stateDir, `${tokenLabel.replace(/[^A-Za-z0-9._-]/g, '_')}.pkcs11`);
}

export class Pkcs11Reader extends Reader {
  readonly kind = 'pkcs11' as const;
  readonly tokenLabel: string;
  readonly #options: Pkcs11ReaderOptions;
  #card: InsertedCard | null = null;
  #problem: { code: string; message: string } | null = null;

  constructor(tokenLabel: string, options: Pkcs11ReaderOptions) {
    super(PKCS11_READER_PREFIX + tokenLabel);
    this.tokenLabel = tokenLabel;
    this.#options = options;
  }

  /** Opens the token on first use, and again after a failure (record written since, token back). */
  protected async load(): Promise<InsertedCard | null> {
    if (this.#card) return this.#card;
    const stateFile = pkcs11StateFile(this.#options.stateDir, this.tokenLabel);
    try {
      const driver = await openPkcs11Card({
        modulePath: this.#options.module,
        tokenLabel: this.tokenLabel,
        stateFile,
        chipKey: this.#options.chipKey,
      });
      let holder: string | null = null;
      try {
        holder = readHeader(readFileSync(stateFile), PKCS11_CARD_FORMAT)?.holder ?? null;
      } catch {
        // the driver has just read it; a listing label is not worth failing for
      }
      this.#card = { driver, holder, file: null };
      this.#problem = null;
    } catch (err) {
      this.#problem =
        err instanceof CardError
          ? describe(err)
          : { code: 'unreadable', message: `Jeton PKCS#11 « ${this.tokenLabel} » illisible.` };
    }
    return this.#card;
  }

  protected override problem(): { code: string; message: string } | null {
    return this.#problem;
  }

  protected async release(): Promise<void> {
    const card = this.#card;
    this.#card = null;
    await card?.driver.close();
  }
}

/** Labels of the tokens present, read through the process's module registry (shared with the card driver). */
export async function listTokenLabels(modulePath: string): Promise<string[]> {
  const m = await acquirePkcs11Module(
    modulePath,
    (what, cause) =>
      new Error(
        what === 'load'
          ? `Module PKCS#11 introuvable ou illisible : ${modulePath}.`
          : `Module PKCS#11 ${modulePath} : initialisation impossible.`,
        { cause },
      ),
  );
  try {
    return m.p11
      .C_GetSlotList(true)
      .map((slot) => m.p11.C_GetTokenInfo(slot).label.trim())
      .filter((label) => label !== '');
  } finally {
    releasePkcs11Module(modulePath, m);
  }
}

export async function openPkcs11Readers(
  options: Pkcs11ReaderOptions,
  log: (line: string) => void,
): Promise<Pkcs11Reader[]> {
  const labels = await listTokenLabels(options.module);
  if (labels.length === 0) log(`Aucun jeton dans les lecteurs PKCS#11 (${options.module}).`);
  return [...new Set(labels)].sort().map((label) => new Pkcs11Reader(label, options));
}
