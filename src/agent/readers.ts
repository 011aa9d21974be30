// Readers of the card agent. The virtual reader takes a card file from the agent's card folder (by
// file name only); PKCS#11 readers are token slots whose card is the token itself. Every operation
// on one reader runs after the previous one (a card does one thing at a time: no racing PIN tries).
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CardDriver, CardIdentity } from '../cards/card.ts';
import { openVirtualCard, readVirtualCardHeader, type VirtualCardHeader } from '../cards/virtual-card.ts';
import { AgentError } from './errors.ts';

export const VIRTUAL_READER = 'virtuel';

export type ReaderKind = 'virtual' | 'pkcs11';

export interface InsertedCard {
  driver: CardDriver;
  /** Holder label (virtual card header; token label for PKCS#11). */
  holder: string | null;
  /** Card file name (virtual reader). */
  file: string | null;
}

export interface CardView extends CardIdentity {
  holder: string | null;
  file: string | null;
}

export interface ReaderStatus {
  name: string;
  kind: ReaderKind;
  card: CardView | null;
  /** Set when a card is in the reader but cannot be read (file removed, edited, other chip key). */
  error?: { code: string; message: string };
}

export interface CardFile extends VirtualCardHeader {
  file: string;
}

/** One reader: a card slot with a queue of operations. */
export abstract class Reader {
  readonly name: string;
  abstract readonly kind: ReaderKind;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(name: string) {
    this.name = name;
  }

  /** The card in the reader (opened on demand), or null. Called inside exclusive(). */
  protected abstract load(): Promise<InsertedCard | null>;

  /** Why the reader holds no usable card although one may be there (e.g. unreadable token). */
  protected problem(): { code: string; message: string } | null {
    return null;
  }

  /** Runs `work` once the reader is free. */
  protected exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Runs `work` on the inserted card; 409 when the reader is empty. */
  withCard<T>(work: (card: InsertedCard) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const card = await this.load();
      if (!card)
        throw new AgentError('no_card', this.problem()?.message ?? `Aucune carte dans le lecteur « ${this.name} ».`);
      return work(card);
    });
  }

  status(): Promise<ReaderStatus> {
    return this.exclusive(async () => {
      const card = await this.load();
      const base = { name: this.name, kind: this.kind };
      if (!card) {
        const problem = this.problem();
        return problem ? { ...base, card: null, error: problem } : { ...base, card: null };
      }
      try {
        const identity = await card.driver.identity();
        return { ...base, card: { ...identity, holder: card.holder, file: card.file } };
      } catch (err) {
        return { ...base, card: null, error: describe(err) };
      }
    });
  }

  /** Closes the card's driver (the reader can open it again later). */
  async close(): Promise<void> {
    await this.exclusive(() => this.release());
  }

  protected abstract release(): Promise<void>;
}

export function describe(err: unknown): { code: string; message: string } {
  const e = err as { code?: unknown; message?: unknown };
  return {
    code: typeof e.code === 'string' ? e.code : 'unreadable',
    message: typeof e.message === 'string' ? e.message : 'Carte illisible.',
  };
}

/** A card file name: no folder part, no "..", nothing hidden, reasonable characters only. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,199}$/;

export function checkCardFileName(file: string): void {
  if (!FILE_NAME.test(file) || file.includes('..')) {
    throw new AgentError(
      'file_name',
      `Nom de fichier refusé : « ${file.slice(0, 80)} ». Donnez le seul nom d'un fichier du dossier des cartes de l'agent (sans chemin ni « .. »).`,
    );
  }
}

function isRegularFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

export class VirtualReader extends Reader {
  readonly kind = 'virtual' as const;
  readonly cardsDir: string;
  readonly #chipKey: Buffer;
  #card: InsertedCard | null = null;

  constructor(name: string, cardsDir: string, chipKey: Buffer) {
    super(name);
    this.cardsDir = cardsDir;
    this.#chipKey = chipKey;
  }

  protected async load(): Promise<InsertedCard | null> {
    return this.#card;
  }

  protected async release(): Promise<void> {
    const card = this.#card;
    this.#card = null;
    await card?.driver.close();
  }

  /** Card files of the folder (header readable without the chip key). */
  listCards(): CardFile[] {
    let names: string[];
    try {
      names = readdirSync(this.cardsDir);
    } catch {
      return [];
    }
    const cards: CardFile[] = [];
    for (const file of names.sort()) {
      if (!FILE_NAME.test(file)) continue;
      const path = join(this.cardsDir, file);
      if (!isRegularFile(path)) continue;
      const header = readVirtualCardHeader(path);
      if (header) cards.push({ file, ...header });
    }
    return cards;
  }

  insert(file: string): Promise<InsertedCard> {
    checkCardFileName(file);
    return this.exclusive(async () => {
      if (this.#card) {
        throw new AgentError(
          'reader_busy',
          `Une carte est déjà dans le lecteur « ${this.name} » : retirez-la avant d'en insérer une autre.`,
        );
      }
      const path = join(this.cardsDir, file);
      // A regular file of the folder itself: a symbolic link could point anywhere.
      const header = isRegularFile(path) ? readVirtualCardHeader(path) : null;
      if (!header) {
        throw new AgentError(
          'file_unknown',
          `Aucune carte virtuelle « ${file} » dans le dossier des cartes de l'agent.`,
        );
      }
      const driver = await openVirtualCard(path, this.#chipKey);
      this.#card = { driver, holder: header.holder, file };
      return this.#card;
    });
  }

  /** Removes the card; null when the reader was already empty. */
  remove(): Promise<InsertedCard | null> {
    return this.exclusive(async () => {
      const card = this.#card;
      await this.release();
      return card;
    });
  }
}
