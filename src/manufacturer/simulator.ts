// The card manufacturer, simulated: it reads the platform's messages in the outbox and answers in
// the inbox, as the real one would through its exchange server. Orders are acknowledged, items it
// cannot make are rejected, the others become virtual cards whose keys are generated ON the card;
// the public keys go back in a production report, the certificates come back and are written into
// the cards, then the cards are shipped to the ordering operator (the card agent's folder
// <data>/cards) and a letter with a 6-digit activation code goes to each holder.
import { randomInt, randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openVirtualCard, VirtualCardBuilder } from '../cards/virtual-card.ts';
import { deriveCardAdminKey } from '../cards/admin-key.ts';
import type { CardSlot } from '../cards/card.ts';
import { findCardModel } from '../domain/card-model.ts';
import { activationLetterPdf } from '../notify/letters.ts';
import type { Mailer } from '../notify/mailer.ts';
import {
  activationCodeVerifier,
  exchangeFolders,
  OUT_KINDS,
  parseMessage,
  sealMessage,
  writeMessage,
  type CodeResentItem,
  type ExchangeMessage,
  type OrderItem,
  type ProductionItem,
  type ShippingItem,
} from './format.ts';

export interface SimulatorOptions {
  dataDir: string;
  exchangeKey: Buffer;
  activationKey: Buffer;
  /** Hardware secret of the chips (src/cards/keys.ts loadChipKey). */
  chipKey: Buffer;
  /** Master key of the card administration keys (loadCardMasterKey). */
  masterKey: Buffer;
  /** The manufacturer's own mail, for codes re-sent by email. */
  mailer: Mailer;
  now?: () => Date;
  /** Why the manufacturer refuses an item, or null: see defaultRejection. */
  reject?: (item: OrderItem) => string | null;
  log?: (line: string) => void;
}

/** Marker that makes the simulator refuse an item (tests, demonstrations): in the holder's last name. */
export const REJECT_MARKER = 'REFUS-FABRICANT';

/** The simulator's rule: no photo, or the marker in the holder's name. */
export function defaultRejection(item: OrderItem): string | null {
  if (!item.holder.hasPhoto) return 'Photo refusée par le fabricant : photo absente.';
  if (item.holder.lastName.toUpperCase().includes(REJECT_MARKER))
    return 'Photo refusée par le fabricant : photo non conforme à la norme ICAO.';
  return null;
}

/** First card number: "124" then a 7-digit sequence (card numbers of the seeds: 1240001062). */
export const SERIAL_PREFIX = '124';

interface SimulatorState {
  handled: string[];
  /**
   * The outbox files already read (handled or refused): the cursor of the exchange. A file is read and
   * authenticated once; later steps only list the folder's names.
   */
  files: string[];
  /** Order file of each batch number (the letters need the holders' addresses). */
  orders: Record<string, string>;
  /** Letters printed per card (the reference counts them). */
  letters: Record<string, number>;
}

export interface Simulator {
  /**
   * Handles the new messages of the outbox, oldest first, reading `maxMessages` files at most (default:
   * all); returns how many it handled. Files read before are not read again.
   */
  step(opts?: { maxMessages?: number }): Promise<number>;
}

/** Cards made (or letters printed) between two pauses that let the server answer its requests. */
const CARDS_PER_SLICE = 20;
const pause = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createSimulator(opts: SimulatorOptions): Simulator {
  const folders = exchangeFolders(opts.dataDir);
  const workshop = join(folders.root, 'atelier');
  const desk = join(opts.dataDir, 'cards');
  const stateFile = join(folders.root, 'simulateur.json');
  const now = opts.now ?? (() => new Date());
  const log = opts.log ?? (() => {});
  const reject = opts.reject ?? defaultRejection;

  const loadState = (): SimulatorState => {
    try {
      return {
        handled: [],
        files: [],
        orders: {},
        letters: {},
        ...(JSON.parse(readFileSync(stateFile, 'utf8')) as Partial<SimulatorState>),
      };
    } catch {
      return { handled: [], files: [], orders: {}, letters: {} };
    }
  };
  const saveState = (s: SimulatorState) => {
    mkdirSync(folders.root, { recursive: true });
    const tmp = `${stateFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(s));
    renameSync(tmp, stateFile);
  };
  const send = <K extends ExchangeMessage['kind']>(
    kind: K,
    id: string,
    batchNumber: string,
    items: ExchangeMessage<K>['items'],
  ) => {
    writeMessage(
      folders.inbox,
      sealMessage(opts.exchangeKey, { id, kind, batchNumber, createdAt: now().toISOString(), items }),
    );
  };
  const adminKey = (serial: string) => deriveCardAdminKey(opts.masterKey, serial);

  // Card numbers: the journals (one per batch, "requestId serial" per line, written before the
  // card) are the memory of numbers given, so a crash never gives one twice.
  const journal = (batchNumber: string) => join(workshop, `${batchNumber.replace(/[^A-Za-z0-9._-]/g, '_')}.journal`);
  const readJournal = (file: string): Map<string, string> => {
    const map = new Map<string, string>();
    if (!existsSync(file)) return map;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const m = /^(\S+) (\d{10})$/.exec(line);
      if (m) map.set(m[1]!, m[2]!);
    }
    return map;
  };
  const lastSequence = (): number => {
    let max = 0;
    if (!existsSync(workshop)) return 0;
    for (const f of readdirSync(workshop).filter((n) => n.endsWith('.journal'))) {
      for (const serial of readJournal(join(workshop, f)).values())
        max = Math.max(max, Number(serial.slice(SERIAL_PREFIX.length)));
    }
    // A torn last line may hold a number given to a card file already: skip past any file too.
    for (const dir of [workshop, desk]) {
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir)) {
        const m = /^124(\d{7})\.carte$/.exec(f);
        if (m) max = Math.max(max, Number(m[1]));
      }
    }
    return max;
  };

  async function handleOrder(msg: ExchangeMessage<'order'>, state: SimulatorState, fileName: string): Promise<void> {
    state.orders[msg.batchNumber] = fileName;
    send(
      'acknowledgement',
      `ar-${msg.id}`,
      msg.batchNumber,
      msg.items.map((i) => ({ requestId: i.requestId })),
    );
    const refused = msg.items
      .map((i) => ({ requestId: i.requestId, reason: reject(i) }))
      .filter((r): r is { requestId: string; reason: string } => r.reason !== null);
    if (refused.length) send('rejection', `rejet-${msg.id}`, msg.batchNumber, refused);
    const refusedIds = new Set(refused.map((r) => r.requestId));
    mkdirSync(workshop, { recursive: true, mode: 0o700 });
    const journalFile = journal(msg.batchNumber);
    const given = readJournal(journalFile);
    let sequence = lastSequence();
    const produced: ProductionItem[] = [];
    let made = 0;
    for (const item of msg.items) {
      if (refusedIds.has(item.requestId)) continue;
      if (++made % CARDS_PER_SLICE === 0) await pause();
      let serial = given.get(item.requestId);
      if (!serial) {
        sequence++;
        serial = `${SERIAL_PREFIX}${String(sequence).padStart(7, '0')}`;
        appendFileSync(journalFile, `${item.requestId} ${serial}\n`);
      }
      const file = join(workshop, `${serial}.carte`);
      const keys: ProductionItem['keys'] = [];
      if (existsSync(file)) {
        // Made before an interruption: its keys are read back from the card.
        const card = await openVirtualCard(file, opts.chipKey);
        for (const slot of item.profiles as CardSlot[]) {
          const spki = await card.publicKey(slot);
          if (!spki) throw new Error(`carte ${serial} incomplète`);
          keys.push({ slot, spki: Buffer.from(spki).toString('base64') });
        }
        await card.close();
      } else {
        const builder = VirtualCardBuilder.create({
          file,
          chipKey: opts.chipKey,
          serial,
          model: item.model,
          adminKey: adminKey(serial),
          holder: item.letterTo.name,
        });
        for (const slot of item.profiles as CardSlot[])
          keys.push({ slot, spki: Buffer.from(builder.generateKeyPair(slot)).toString('base64') });
        // Not fsynced one by one: a killed process loses nothing the kernel holds (bulk production).
        await builder.save({ durable: false });
      }
      produced.push({ requestId: item.requestId, serial, keys });
    }
    if (produced.length) send('production', `production-${msg.id}`, msg.batchNumber, produced);
    log(`Commande ${msg.batchNumber} : ${produced.length} carte(s) fabriquée(s), ${refused.length} rejet(s).`);
  }

  function orderItems(state: SimulatorState, batchNumber: string): Map<string, OrderItem> {
    const file = state.orders[batchNumber];
    if (!file) return new Map();
    const order = JSON.parse(readFileSync(join(folders.outbox, file), 'utf8')) as ExchangeMessage<'order'>;
    return new Map(order.items.map((i) => [i.requestId, i]));
  }

  async function printLetter(
    state: SimulatorState,
    order: OrderItem,
    serial: string,
    resent: boolean,
  ): Promise<{ code: string; reference: string }> {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const n = (state.letters[serial] ?? 0) + 1;
    state.letters[serial] = n;
    const reference = `CS-${serial}-${n}`;
    const pdf = await activationLetterPdf({
      holderName: order.letterTo.name,
      unit: order.letterTo.unit,
      address: order.letterTo.address,
      serial,
      code,
      modelLabel: findCardModel(order.model)?.label ?? order.model,
      reference,
      date: now(),
      resent,
    });
    mkdirSync(folders.letters, { recursive: true });
    writeFileSync(join(folders.letters, `${serial}.pdf`), pdf);
    return { code, reference };
  }

  async function handleCertificates(msg: ExchangeMessage<'certificates'>, state: SimulatorState): Promise<void> {
    const orders = orderItems(state, msg.batchNumber);
    mkdirSync(desk, { recursive: true, mode: 0o700 });
    const shipped: ShippingItem[] = [];
    let done = 0;
    for (const item of msg.items) {
      if (++done % CARDS_PER_SLICE === 0) await pause();
      const order = orders.get(item.requestId);
      if (!order) throw new Error(`demande ${item.requestId} absente de la commande`);
      const inWorkshop = join(workshop, `${item.serial}.carte`);
      const onDesk = join(desk, `${item.serial}.carte`);
      const file = existsSync(inWorkshop) ? inWorkshop : onDesk;
      // The workshop holds the card's administration key: all certificates in one write (idempotent on re-runs).
      const card = VirtualCardBuilder.reopen({ file, chipKey: opts.chipKey, adminKey: adminKey(item.serial) });
      let changed = false;
      for (const c of item.certificates) {
        const der = new Uint8Array(Buffer.from(c.der, 'base64'));
        const present = card.certificate(c.slot as CardSlot);
        if (present && Buffer.from(present).equals(der)) continue;
        card.writeCertificate(c.slot as CardSlot, der);
        changed = true;
      }
      if (changed) await card.save({ durable: false });
      const { code, reference } = await printLetter(state, order, item.serial, false);
      if (file === inWorkshop) renameSync(inWorkshop, onDesk);
      shipped.push({
        requestId: item.requestId,
        serial: item.serial,
        activationVerifier: activationCodeVerifier(opts.activationKey, item.serial, code),
        letterReference: reference,
      });
    }
    send('shipping', `expedition-${msg.id}`, msg.batchNumber, shipped);
    log(`Lot ${msg.batchNumber} : ${shipped.length} carte(s) expédiée(s), courriers des codes d'activation postés.`);
  }

  async function handleCodeResend(msg: ExchangeMessage<'code-resend'>, state: SimulatorState): Promise<void> {
    const orders = orderItems(state, msg.batchNumber);
    const byJournal = readJournal(journal(msg.batchNumber));
    const out: CodeResentItem[] = [];
    for (const item of msg.items) {
      const requestId = [...byJournal.entries()].find(([, s]) => s === item.serial)?.[0];
      const order = requestId ? orders.get(requestId) : undefined;
      if (!order) throw new Error(`carte ${item.serial} inconnue du fabricant`);
      if (item.channel === 'post') {
        const { code, reference } = await printLetter(state, order, item.serial, true);
        out.push({
          serial: item.serial,
          channel: 'post',
          activationVerifier: activationCodeVerifier(opts.activationKey, item.serial, code),
          letterReference: reference,
        });
      } else {
        if (!item.email) throw new Error(`carte ${item.serial} : adresse de messagerie absente`);
        const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
        await opts.mailer.deliver({
          id: randomUUID(),
          to: item.email,
          subject: `Nouveau code d'activation de votre carte n° ${item.serial}`,
          text: [
            `Bonjour ${order.letterTo.name},`,
            '',
            `Votre nouveau code d'activation à usage unique pour la carte n° ${item.serial} est : ${code}`,
            '',
            'Ce code remplace le précédent, qui ne peut plus être utilisé.',
            'Présentez-vous à votre responsable carte avec votre pièce d’identité : vous saisirez vous-même ce code lors de l’activation.',
            'Ne le communiquez à personne.',
            '',
            'Le fabricant des cartes',
          ].join('\n'),
        });
        out.push({
          serial: item.serial,
          channel: 'email',
          activationVerifier: activationCodeVerifier(opts.activationKey, item.serial, code),
          letterReference: null,
        });
      }
    }
    send('code-resent', `renvoi-${msg.id}`, msg.batchNumber, out);
  }

  return {
    async step(stepOpts = {}) {
      if (!existsSync(folders.outbox)) return 0;
      const limit = stepOpts.maxMessages ?? Number.MAX_SAFE_INTEGER;
      const state = loadState();
      const handled = new Set(state.handled);
      const seen = new Set(state.files);
      // Names only: the files read before stay unread (the folder keeps every message ever sent).
      const fresh = readdirSync(folders.outbox)
        .filter((n) => n.endsWith('.json') && !n.startsWith('.') && !seen.has(n))
        .sort();
      let count = 0;
      let read = 0;
      for (const name of fresh) {
        if (read++ >= limit) break;
        const done = () => {
          state.files.push(name);
          seen.add(name);
          saveState(state);
        };
        const parsed = parseMessage(readFileSync(join(folders.outbox, name), 'utf8'), opts.exchangeKey, OUT_KINDS);
        if (!parsed.ok) {
          if (!handled.has(`refus:${name}`)) {
            log(`Fichier ${name} refusé par le fabricant : ${parsed.reason}`);
            state.handled.push(`refus:${name}`);
            handled.add(`refus:${name}`);
          }
          done();
          continue;
        }
        const msg = parsed.message;
        if (handled.has(msg.id)) {
          done();
          continue;
        }
        if (msg.kind === 'order') await handleOrder(msg as ExchangeMessage<'order'>, state, name);
        else if (msg.kind === 'certificates') await handleCertificates(msg as ExchangeMessage<'certificates'>, state);
        else if (msg.kind === 'code-resend') await handleCodeResend(msg as ExchangeMessage<'code-resend'>, state);
        state.handled.push(msg.id);
        handled.add(msg.id);
        done();
        count++;
        await pause();
      }
      return count;
    },
  };
}
