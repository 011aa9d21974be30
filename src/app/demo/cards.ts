// Demonstration cards: for a few demo people, an active virtual card in <data>/cards with keys
// generated on the card, certificates from the demo PKI (accepted: valid) and both PINs set, so that
// `npm start` lets one sign in with a card at once. Loading twice changes nothing.
// The PINs are public: demonstration only.
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { adminResponse, deriveCardAdminKey } from '../../cards/admin-key.ts';
import { loadCardMasterKey, loadChipKey } from '../../cards/keys.ts';
import { openVirtualCard, VirtualCardBuilder } from '../../cards/virtual-card.ts';
import { PIN_LABELS, type CardSlot, type PinKind } from '../../cards/card.ts';
import { appendAudit } from '../../store/audit.ts';
import { ensureCardModels } from '../requests/card-models.ts';
import { systemActor, type AppContext } from '../context.ts';
import { issueForPublicKey, writeCertificateStatus, type PkiEnvironment } from '../pki/certificates.ts';

/** PINs of every demo card: 4 digits, no run, no year, not made of a demo person's birth date. */
export const DEMO_CARD_PINS: Readonly<Record<PinKind, string>> = { auth: '7395', sign: '8264' };

export interface DemoCardHolder {
  identifier: string;
  /** What the person does on the platform, for the start-up notice. */
  role: string;
  /** Card model code (src/domain/card-model.ts): the one of the person's population. */
  model: string;
  /** Card number (10 digits), fixed so that the demo is the same on every installation. */
  serial: string;
}

export const DEMO_CARD_HOLDERS: readonly DemoCardHolder[] = [
  {
    identifier: 'martin.c77011',
    role: 'opératrice, mairie d’Aubepierre-Ozouer-le-Repos',
    model: 'collectivites-2017',
    serial: '9900000001',
  },
  {
    identifier: 'lefebvre.s77',
    role: 'autorité d’enregistrement, préfecture de Seine-et-Marne',
    model: 'etat-agent',
    serial: '9900000002',
  },
  { identifier: 'admin.national', role: 'administratrice nationale (ANTS)', model: 'etat-agent', serial: '9900000003' },
  { identifier: '1002345678', role: 'opérateur, base navale de Brest', model: 'cims-agent', serial: '9900000004' },
  {
    identifier: '1001234567',
    role: 'autorité d’enregistrement, service du commissariat des armées',
    model: 'cims-agent',
    serial: '9900000005',
  },
];

export function demoCardFileName(identifier: string): string {
  return `demo-${identifier}.carte`;
}

export function cardsDir(dataDir: string): string {
  return join(dataDir, 'cards');
}

export interface DemoCard {
  file: string;
  path: string;
  identifier: string;
  holder: string;
  role: string;
  serial: string;
  model: string;
  pins: Readonly<Record<PinKind, string>>;
}

/** Creates the demo cards that are missing (needs the demo PKI); returns them all. */
export async function loadDemoCards(
  ctx: AppContext,
  pki: PkiEnvironment,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ created: number; cards: DemoCard[] }> {
  await ensureCardModels(ctx);
  const dir = cardsDir(ctx.dataDir);
  const chipKey = loadChipKey(ctx.dataDir, env);
  const master = loadCardMasterKey(ctx.dataDir, env);
  const cards: DemoCard[] = [];
  let created = 0;
  for (const h of DEMO_CARD_HOLDERS) {
    const agent = await ctx.store.db
      .selectFrom('agents')
      .select(['id', 'organization_id', 'first_names', 'last_name'])
      .where('identifier', '=', h.identifier)
      .executeTakeFirst();
    if (!agent) continue; // demo people not loaded: nothing to give a card to
    const file = demoCardFileName(h.identifier);
    const path = join(dir, file);
    const holder = `${agent.first_names} ${agent.last_name}`;
    cards.push({
      file,
      path,
      identifier: h.identifier,
      holder,
      role: h.role,
      serial: h.serial,
      model: h.model,
      pins: DEMO_CARD_PINS,
    });
    const existing = await ctx.store.db
      .selectFrom('cards')
      .select('id')
      .where('serial', '=', h.serial)
      .executeTakeFirst();
    if (existing) continue;
    // A file without its row is the remains of an interrupted run: made again from scratch.
    if (existsSync(path)) rmSync(path);
    await makeDemoCard(ctx, pki, {
      ...h,
      agent,
      holder,
      path,
      chipKey,
      adminKey: deriveCardAdminKey(master, h.serial),
    });
    created++;
  }
  return { created, cards };
}

async function makeDemoCard(
  ctx: AppContext,
  pki: PkiEnvironment,
  c: DemoCardHolder & {
    agent: { id: string; organization_id: string };
    holder: string;
    path: string;
    chipKey: Buffer;
    adminKey: Buffer;
  },
): Promise<void> {
  const actor = systemActor('demo');
  const model = await ctx.store.db
    .selectFrom('card_models')
    .selectAll()
    .where('code', '=', c.model)
    .executeTakeFirstOrThrow();
  const cardId = ctx.newId();
  const card = VirtualCardBuilder.create({
    file: c.path,
    chipKey: c.chipKey,
    serial: c.serial,
    model: c.model,
    adminKey: c.adminKey,
    holder: c.holder,
  });
  const serials: string[] = [];
  for (const slot of JSON.parse(model.profiles) as CardSlot[]) {
    const spki = card.generateKeyPair(slot);
    const issued = await issueForPublicKey(ctx, actor, pki, {
      spki,
      profile: slot,
      agentIdentifier: c.identifier,
      cardId,
      caName: model.population,
    });
    card.writeCertificate(slot, issued.der);
    serials.push(issued.serial);
  }
  await card.save();
  // Activation as at the counter: both PINs set under the administration key.
  const chip = await openVirtualCard(c.path, c.chipKey);
  try {
    for (const pin of ['auth', 'sign'] as const) {
      const challenge = await chip.adminChallenge();
      await chip.setPinWithAdmin(pin, adminResponse(c.adminKey, challenge, `set-pin:${pin}`), DEMO_CARD_PINS[pin]);
    }
  } finally {
    await chip.close();
  }
  const now = ctx.now();
  const expires = new Date(now);
  expires.setUTCFullYear(expires.getUTCFullYear() + model.card_years);
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('cards')
      .values({
        id: cardId,
        serial: c.serial,
        model_id: model.id,
        agent_id: c.agent.id,
        organization_id: c.agent.organization_id,
        operator_organization_id: c.agent.organization_id,
        request_id: null,
        batch_id: null,
        state: 'active',
        state_changed_at: now.toISOString(),
        letter_state: null,
        letter_sent_at: null,
        activation_code_hash: null,
        activation_code_attempts: 0,
        activation_code_used_at: null,
        file_name: demoCardFileName(c.identifier),
        produced_at: now.toISOString(),
        shipped_at: null,
        received_at: now.toISOString(),
        received_by: null,
        expires_at: expires.toISOString(),
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
      })
      .execute();
    // Active from the start, as after an activation: its certificates accepted with the card.
    for (const serial of serials) {
      if (
        !(await writeCertificateStatus(
          trx,
          { serial, status: 'issued' },
          { status: 'valid', reason: null },
          now.toISOString(),
        ))
      )
        throw new Error(`demo card: certificate ${serial} changed meanwhile`);
      await appendAudit(trx, ctx.store, {
        at: now.toISOString(),
        actorId: 'system:demo',
        actorRole: 'system',
        organizationId: c.agent.organization_id,
        action: 'certificate.accept',
        outcome: 'ok',
        targetType: 'certificate',
        targetId: serial,
        requestId: null,
        summary: { before: { status: 'issued', reason: null }, after: { status: 'valid', reason: null }, card: cardId },
      });
    }
    await appendAudit(trx, ctx.store, {
      at: now.toISOString(),
      actorId: 'system:demo',
      actorRole: 'system',
      organizationId: c.agent.organization_id,
      action: 'card.demo',
      outcome: 'ok',
      targetType: 'card',
      targetId: cardId,
      requestId: null,
      summary: {
        serial: c.serial,
        model: c.model,
        holder: c.identifier,
        certificates: serials,
        file: demoCardFileName(c.identifier),
      },
    });
  });
}

/** The start-up notice of the demo cards (French, for the console). */
export function demoCardsNotice(cards: readonly DemoCard[]): string[] {
  if (cards.length === 0) return [];
  const lines = [
    `Cartes de démonstration (démonstration uniquement : codes publics), dans ${dirname(cards[0]!.path)} :`,
  ];
  for (const c of cards) {
    lines.push(
      `  ${c.file.padEnd(28)} ${c.holder} (${c.identifier}), ${c.role} — ${PIN_LABELS.auth} ${c.pins.auth}, ${PIN_LABELS.sign} ${c.pins.sign}`,
    );
  }
  return lines;
}
