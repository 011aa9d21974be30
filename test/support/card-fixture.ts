// A card as it arrives on the card officer's desk (state "received"), made directly in the
// database with certificates from the test PKI, for tests of what happens after reception.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { adminResponse, deriveCardAdminKey } from '../../src/cards/admin-key.ts';
import type { CardDriver } from '../../src/cards/card.ts';
import { loadCardMasterKey, loadChipKey } from '../../src/cards/keys.ts';
import { openVirtualCard, personalizeVirtualCard } from '../../src/cards/virtual-card.ts';
import { systemActor } from '../../src/app/context.ts';
import { issueForPublicKey } from '../../src/app/pki/certificates.ts';
import { changeCertificateStatus } from '../../src/app/desk/certificate-status.ts';
import type { CardState } from '../../src/domain/card-lifecycle.ts';
import type { TestPlatform } from './platform.ts';
import { ensureTestPki } from './signing.ts';
import { cardRow } from './rows.ts';

let counter = 0;

export interface FixtureCard {
  cardId: string;
  serial: string;
  agentId: string;
  certificates: { profile: 'auth' | 'sign'; serial: string; der: Uint8Array; privateKey: KeyObject }[];
}

async function fixtureModel(p: TestPlatform): Promise<string> {
  const found = await p.store.db
    .selectFrom('card_models')
    .select('id')
    .where('code', '=', 'collectivites-2017')
    .executeTakeFirst();
  if (found) return found.id;
  const id = p.ctx.newId();
  await p.store.db
    .insertInto('card_models')
    .values({
      id,
      code: 'collectivites-2017',
      label: 'Carte pour les agents des collectivités territoriales 2017-2020',
      population: 'collectivites',
      kind: 'personalizable',
      profiles: JSON.stringify(['auth', 'sign']),
      card_years: 6,
      status: 'active',
      created_at: new Date().toISOString(),
    })
    .execute();
  return id;
}

/** A card row of `identifier` in `state`, its serial `prefix` + pid + counter; `own` gives what differs. */
async function insertCard(
  p: TestPlatform,
  identifier: string,
  prefix: string,
  state: CardState,
  own: (
    serial: string,
    now: string,
  ) => { file_name: string | null; received_at: string | null; expires_at: string | null },
) {
  const agent = await p.store.db
    .selectFrom('agents')
    .select(['id', 'organization_id'])
    .where('identifier', '=', identifier)
    .executeTakeFirstOrThrow();
  const modelId = await fixtureModel(p);
  const cardId = p.ctx.newId();
  const serial = `${prefix}${String(process.pid % 10000).padStart(4, '0')}${String(++counter).padStart(3, '0')}`;
  const now = p.ctx.now().toISOString();
  await p.store.db
    .insertInto('cards')
    .values(
      cardRow(now, {
        id: cardId,
        serial,
        model_id: modelId,
        agent_id: agent.id,
        organization_id: agent.organization_id,
        state,
        ...own(serial, now),
      }),
    )
    .execute();
  return { cardId, serial, agent };
}

/** A card of `identifier`, shipped to the holder's own organisation, in `state` (default received). */
export async function cardOnDesk(
  p: TestPlatform,
  identifier: string,
  state: CardState = 'received',
): Promise<FixtureCard> {
  const pki = await ensureTestPki(p);
  const { cardId, serial, agent } = await insertCard(p, identifier, '199', state, (_, now) => ({
    file_name: null,
    received_at: state === 'received' ? now : null,
    expires_at: null,
  }));
  const certificates: FixtureCard['certificates'] = [];
  for (const profile of ['auth', 'sign'] as const) {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const issued = await issueForPublicKey(p.ctx, systemActor('fabricant'), pki, {
      spki: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
      profile,
      agentIdentifier: identifier,
      cardId,
    });
    certificates.push({ profile, serial: issued.serial, der: issued.der, privateKey });
  }
  return { cardId, serial, agentId: agent.id, certificates };
}

/** Demo-like PINs that respect the rules of the guide (not a run, not a year, not the birth date). */
export const FIXTURE_PINS = { auth: '7395', sign: '8264' } as const;

export interface FixtureVirtualCard {
  cardId: string;
  serial: string;
  file: string;
  open(): Promise<CardDriver>;
}

/**
 * A real virtual card of `identifier` (keys generated inside, certificates from the test PKI),
 * recorded in `state`; with `activated`, its certificates are valid and both PINs set.
 */
export async function virtualCardFor(
  p: TestPlatform,
  identifier: string,
  opts: { state?: CardState; activated?: boolean } = {},
): Promise<FixtureVirtualCard> {
  const pki = await ensureTestPki(p);
  const state = opts.state ?? 'active';
  const { cardId, serial } = await insertCard(p, identifier, '198', state, (serial, now) => ({
    file_name: `${serial}.carte`,
    received_at: now,
    expires_at: new Date(Date.now() + 6 * 365 * 86_400_000).toISOString(),
  }));
  const chipKey = loadChipKey(p.dataDir, {});
  const adminKey = deriveCardAdminKey(loadCardMasterKey(p.dataDir, {}), serial);
  const dir = join(p.dataDir, 'cards');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${serial}.carte`);
  const system = systemActor('fabricant');
  const serials: string[] = [];
  await personalizeVirtualCard({
    file,
    chipKey,
    serial,
    model: 'collectivites-2017',
    adminKey,
    holder: identifier,
    slots: ['auth', 'sign'],
    durable: false,
    certify: async (slot, spki) => {
      const issued = await issueForPublicKey(p.ctx, system, pki, {
        spki,
        profile: slot,
        agentIdentifier: identifier,
        cardId,
      });
      serials.push(issued.serial);
      return issued.der;
    },
  });
  if (opts.activated ?? state === 'active') {
    for (const s of serials) await changeCertificateStatus(p.ctx, system, s, { kind: 'accept' });
    const card = await openVirtualCard(file, chipKey);
    for (const pin of ['auth', 'sign'] as const) {
      const challenge = await card.adminChallenge();
      await card.setPinWithAdmin(pin, adminResponse(adminKey, challenge, `set-pin:${pin}`), FIXTURE_PINS[pin]);
    }
    await card.close();
  }
  return { cardId, serial, file, open: () => openVirtualCard(file, chipKey) };
}
