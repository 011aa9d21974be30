// The card officer's follow-up of personalised cards (seed 001, « Suivi des supports
// personnalisables »): « Liste des supports personnalisables », « Supports à remettre », the card
// detail (certificates, letter, history), « Suivi des porteurs », recording a card received, and
// « Renvoi du code d'activation par courrier ou par messagerie ».
import type { SelectQueryBuilder } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { appendAudit } from '../../store/audit.ts';
import { CARD_STATE_LABELS, isCardState, moveCard, type CardState } from '../../domain/card-lifecycle.ts';
import { STATUS_LABELS, type CertificateStatus } from '../../domain/certificate-status.ts';
import { PROFILE_LABELS, type CardProfile } from '../../pki/profiles.ts';
import { enqueue } from '../../jobs/queue.ts';
import { authorize, scopeRoots } from '../access/authorize.ts';
import { auditEntry } from '../audit-trail.ts';
import { requireActionSignature, type ActionSignature } from '../access/action-signatures.ts';
import { AppError, invalid, notFound } from '../errors.ts';
import { queueMail } from '../mail.ts';
import { inOrganizations, pathUnder, scopeOrganizations } from '../scope.ts';
import { matchAgents, nameOrder, queryWords } from '../directory/agent-search.ts';
import { boundedCount, decodeCursor, pageOf, pageWindow, SORT_LIMIT, type PageRequest } from '../paging.ts';
import { loadDeskCard, refuseOwnCard } from './handover.ts';
import { moveCardRow } from './card-certificates.ts';
import type { Actor, AppContext } from '../context.ts';

export const LETTER_STATE_LABELS: Record<string, string> = {
  printed: 'Imprimé',
  sent: 'Envoyé par courrier',
  resent_post: 'Renvoyé par courrier',
  resent_email: 'Renvoyé par messagerie',
};

/** Hours the holder has to come once the card is received (000: hand-over within 48 hours). */
export const HANDOVER_HOURS = 48;

export interface CardFilter extends PageRequest {
  q?: string;
  state?: string;
  organizationId?: string;
  batchId?: string;
}

type CardQuery = SelectQueryBuilder<
  Database & {
    c: Database['cards'];
    a: Database['agents'];
    o: Database['organizations'];
    op: Database['organizations'];
    m: Database['card_models'];
  },
  'c' | 'a' | 'o' | 'op' | 'm',
  object
>;

function baseQuery(ctx: AppContext): CardQuery {
  return ctx.store.db
    .selectFrom('cards as c')
    .innerJoin('agents as a', 'a.id', 'c.agent_id')
    .innerJoin('organizations as o', 'o.id', 'c.organization_id')
    .innerJoin('organizations as op', 'op.id', 'c.operator_organization_id')
    .innerJoin('card_models as m', 'm.id', 'c.model_id') as unknown as CardQuery;
}

async function scoped(ctx: AppContext, actor: Actor, q: CardQuery): Promise<CardQuery> {
  const roots = await scopeRoots(ctx, actor, 'card.read');
  // A card is seen from the holder's organisation and from the operator's desk that received it.
  return q.where((eb) =>
    eb.or([eb(pathUnder(roots, 'o.path'), '=', true), eb(pathUnder(roots, 'op.path'), '=', true)]),
  );
}

/** Card numbers are searched by their start; other words find the holder (agent-search.ts). */
function splitWords(q: string | undefined): { serials: string[]; names: string[] } {
  const words = queryWords(q);
  return { serials: words.filter((w) => /^\d{4,10}$/.test(w)), names: words.filter((w) => !/^\d{4,10}$/.test(w)) };
}

interface CardListing {
  /** Organisations whose cards (as holder's or desk's organisation) the caller sees; null = all. */
  visible: string[] | null;
  /** « Supports à remettre »: shipped or received cards at these desks (null = all desks). */
  desks?: string[] | null;
}

/**
 * One page of cards, newest change first (updated_at, serial), keyset by that pair. A probe counts the
 * matching cards through the filters' indexes up to COUNT_CAP: up to SORT_LIMIT they are gathered that
 * way and sorted; beyond, the query walks the updated_at index and tests each card (SQLite: the filter
 * columns are wrapped in +( ) so its planner does not gather them). Common holder names skip the count.
 */
async function page(ctx: AppContext, f: CardFilter, listing: CardListing) {
  const win = pageWindow(f, 20, 200);
  const after = f.after ? decodeCursor(f.after, ['string', 'string']) : null;
  if (f.state && !isCardState(f.state))
    throw invalid(`État de carte inconnu : « ${f.state} ».`, [{ field: 'state', reason: 'État inconnu.' }]);
  const { serials, names } = splitWords(f.q);
  const match = names.length ? await matchAgents(ctx, names) : null;
  const pg = ctx.store.dialect === 'postgres';
  const build = (indexed: boolean, joined: boolean): CardQuery => {
    const col = (name: string) => (indexed || pg ? sql.ref(name) : sql`+${sql.ref(name)}`);
    let q = (
      joined ? baseQuery(ctx) : ctx.store.db.selectFrom('cards as c').innerJoin('agents as a', 'a.id', 'c.agent_id')
    ) as CardQuery;
    const { visible, desks } = listing;
    if (visible !== null)
      q = q.where(
        sql<boolean>`(${inOrganizations(ctx, visible, 'c.organization_id', { index: indexed })} or ${inOrganizations(
          ctx,
          visible,
          'c.operator_organization_id',
          { index: indexed },
        )})`,
      );
    if (desks !== undefined) {
      // The literal state list matches the partial index cards_to_hand_over (migration 010).
      q = q.where(sql<boolean>`c.state in ('shipped', 'received')`);
      if (desks !== null) q = q.where(inOrganizations(ctx, desks, 'c.operator_organization_id', { index: indexed }));
    }
    if (f.state) q = q.where(sql<boolean>`${col('c.state')} = ${f.state}`);
    if (f.organizationId)
      q = q.where(
        sql<boolean>`(${col('c.organization_id')} = ${f.organizationId} or ${col('c.operator_organization_id')} = ${f.organizationId})`,
      );
    if (f.batchId) q = q.where(sql<boolean>`${col('c.batch_id')} = ${f.batchId}`);
    for (const d of serials) q = q.where(sql<boolean>`${col('c.serial')} >= ${d} and ${col('c.serial')} < ${`${d}:`}`);
    if (match) q = q.where(match.where('a'));
    return q;
  };
  const counted = match && !match.sparse ? null : await boundedCount(ctx.store.db, build(true, false));
  let q = build(counted !== null && counted.exact && counted.n <= SORT_LIMIT, true);
  if (after) q = q.where(sql<boolean>`(c.updated_at, c.serial) < (${after[0]}, ${after[1]})`);
  const rows = await q
    .select([...SUMMARY_COLUMNS, 'c.updated_at'])
    .orderBy('c.updated_at', 'desc')
    .orderBy('c.serial', 'desc')
    .limit(win.pageSize + 1)
    .offset(win.offset)
    .execute();
  return pageOf(
    rows as Record<string, unknown>[],
    win,
    summary,
    (r) => [r['updated_at'] as string, r['serial'] as string],
    counted,
  );
}

function summary(r: Record<string, unknown>) {
  const state = r['state'] as CardState;
  return {
    id: r['id'] as string,
    serial: r['serial'] as string,
    state,
    stateLabel: CARD_STATE_LABELS[state] ?? state,
    modelCode: r['model_code'] as string,
    modelLabel: r['model_label'] as string,
    holder: {
      id: r['agent_id'] as string,
      identifier: r['identifier'] as string,
      lastName: r['last_name'] as string,
      firstNames: r['first_names'] as string,
      email: r['email'] as string | null,
    },
    organizationId: r['organization_id'] as string,
    organizationName: r['org_name'] as string,
    operatorOrganizationId: r['operator_organization_id'] as string,
    operatorOrganizationName: r['op_name'] as string,
    letterState: r['letter_state'] as string | null,
    letterStateLabel: r['letter_state'] ? (LETTER_STATE_LABELS[r['letter_state'] as string] ?? null) : null,
    producedAt: r['produced_at'] as string | null,
    shippedAt: r['shipped_at'] as string | null,
    receivedAt: r['received_at'] as string | null,
    expiresAt: r['expires_at'] as string | null,
  };
}

const SUMMARY_COLUMNS = [
  'c.id',
  'c.serial',
  'c.state',
  'c.agent_id',
  'c.organization_id',
  'c.operator_organization_id',
  'c.letter_state',
  'c.produced_at',
  'c.shipped_at',
  'c.received_at',
  'c.expires_at',
  'm.code as model_code',
  'm.label as model_label',
  'a.identifier',
  'a.last_name',
  'a.first_names',
  'a.email',
  'o.name as org_name',
  'op.name as op_name',
] as const;

/** « Liste des supports personnalisables »: every card in the caller's scope. */
export async function listCards(ctx: AppContext, actor: Actor, f: CardFilter = {}) {
  const visible = await scopeOrganizations(ctx, await scopeRoots(ctx, actor, 'card.read'));
  return page(ctx, f, { visible });
}

/** « Supports à remettre »: cards shipped to or received at the operator's desk, not yet handed over. */
export async function cardsToHandOver(ctx: AppContext, actor: Actor, f: Omit<CardFilter, 'state'> = {}) {
  const visible = await scopeOrganizations(ctx, await scopeRoots(ctx, actor, 'card.read'));
  const desks = await scopeOrganizations(ctx, await scopeRoots(ctx, actor, 'card.operate'));
  return page(ctx, f, { visible, desks });
}

/** The card, its holder, certificates, activation letter and history. */
export async function cardDetail(ctx: AppContext, actor: Actor, cardId: string) {
  const row = await (
    await scoped(ctx, actor, baseQuery(ctx))
  )
    .select([
      ...SUMMARY_COLUMNS,
      'c.request_id',
      'c.batch_id',
      'c.letter_sent_at',
      'c.letter_reference',
      'c.activation_code_hash',
      'c.activation_code_attempts',
      'c.activation_code_used_at',
      'c.received_by',
      'c.state_changed_at',
      'c.created_at',
      'a.phone',
      'a.unit_address',
    ])
    .where('c.id', '=', cardId)
    .executeTakeFirst();
  if (!row) {
    const exists = await ctx.store.db
      .selectFrom('cards')
      .select(['id', 'operator_organization_id'])
      .where('id', '=', cardId)
      .executeTakeFirst();
    if (!exists) throw notFound('Carte introuvable.');
    await authorize(ctx, actor, 'card.read', exists.operator_organization_id, { type: 'card', id: cardId });
    throw notFound('Carte introuvable.');
  }
  const certificates = await ctx.store.db
    .selectFrom('certificates as x')
    .innerJoin('certification_authorities as ca', 'ca.id', 'x.ca_id')
    .select([
      'x.serial',
      'x.profile',
      'x.status',
      'x.subject_dn',
      'x.not_before',
      'x.not_after',
      'x.sha256',
      'ca.name as ca_name',
    ])
    .where('x.card_id', '=', cardId)
    .orderBy('x.profile')
    .execute();
  const batch = row.batch_id
    ? await ctx.store.db
        .selectFrom('request_batches')
        .select(['number'])
        .where('id', '=', row.batch_id)
        .executeTakeFirst()
    : undefined;
  const request = row.request_id
    ? await ctx.store.db
        .selectFrom('card_requests')
        .select(['number'])
        .where('id', '=', row.request_id)
        .executeTakeFirst()
    : undefined;
  const history = await ctx.store.db
    .selectFrom('audit_log as l')
    .leftJoin('agents as p', 'p.id', 'l.actor_id')
    .select(['l.seq', 'l.at', 'l.action', 'l.outcome', 'l.actor_id', 'l.summary', 'p.first_names', 'p.last_name'])
    .where('l.target_type', '=', 'card')
    .where('l.target_id', '=', cardId)
    .orderBy('l.seq')
    .limit(200)
    .execute();
  return {
    ...summary(row as Record<string, unknown>),
    holder: { ...summary(row as Record<string, unknown>).holder, phone: row.phone, unitAddress: row.unit_address },
    requestId: row.request_id,
    requestNumber: request?.number ?? null,
    batchId: row.batch_id,
    batchNumber: batch?.number ?? null,
    stateChangedAt: row.state_changed_at,
    createdAt: row.created_at,
    receivedBy: row.received_by,
    letter: {
      state: row.letter_state,
      stateLabel: row.letter_state ? (LETTER_STATE_LABELS[row.letter_state] ?? row.letter_state) : null,
      sentAt: row.letter_sent_at,
      reference: row.letter_reference,
      // Never the code nor its verifier: only whether one is waiting to be used.
      codeAvailable: row.activation_code_hash !== null && row.activation_code_used_at === null,
      codeAttempts: row.activation_code_attempts,
      codeUsedAt: row.activation_code_used_at,
    },
    certificates: certificates.map((c) => ({
      serial: c.serial,
      profile: c.profile,
      profileLabel: PROFILE_LABELS[c.profile as CardProfile] ?? c.profile,
      status: c.status,
      statusLabel: STATUS_LABELS[c.status as CertificateStatus] ?? c.status,
      subjectDn: c.subject_dn,
      notBefore: c.not_before,
      notAfter: c.not_after,
      sha256: c.sha256,
      caName: c.ca_name,
    })),
    history: history.map((h) => ({
      seq: Number(h.seq),
      at: h.at,
      action: h.action,
      outcome: h.outcome,
      actor: h.first_names
        ? `${h.first_names} ${h.last_name}`
        : h.actor_id === 'system:fabricant'
          ? 'Fabricant'
          : h.actor_id,
      summary: JSON.parse(h.summary) as unknown,
    })),
  };
}

/**
 * « Suivi des porteurs »: holders of cards in scope, by name, with their latest card. Read in name
 * order from the agents (a small scope through its organisations, a large one through the name index),
 * keeping those with a card the caller sees.
 */
export async function listHolders(ctx: AppContext, actor: Actor, f: { q?: string } & PageRequest = {}) {
  const win = pageWindow(f, 20, 200);
  const after = f.after ? (decodeCursor(f.after, ['string'])[0] as string) : null;
  const visible = await scopeOrganizations(ctx, await scopeRoots(ctx, actor, 'card.read'));
  const words = queryWords(f.q);
  const match = words.length ? await matchAgents(ctx, words) : null;
  const db = ctx.store.db;
  const inScope =
    visible === null
      ? Infinity
      : Number(
          (
            await db
              .selectFrom('directory_counts')
              .select(sql<number>`coalesce(sum(agents), 0)`.as('n'))
              .where(inOrganizations(ctx, visible, 'organization_id'))
              .executeTakeFirstOrThrow()
          ).n,
        );
  const small = inScope <= SORT_LIMIT;
  const seesCard = sql<boolean>`exists (select 1 from cards c where c.agent_id = a.id and (${inOrganizations(
    ctx,
    visible,
    'c.organization_id',
  )} or ${inOrganizations(ctx, visible, 'c.operator_organization_id')}))`;
  let q = db.selectFrom('agents as a').innerJoin('organizations as o', 'o.id', 'a.organization_id').where(seesCard);
  // A holder outside the scope's organisations is seen through a card at one of its desks: only the
  // small-scope path may restrict to the scope's agents when no desk card points elsewhere.
  if (small && visible !== null && !match?.sparse)
    q = q.where(
      sql<boolean>`(${inOrganizations(ctx, visible, 'a.organization_id')} or a.id in (select c.agent_id from cards c
        where ${inOrganizations(ctx, visible, 'c.operator_organization_id')}))`,
    );
  if (match) q = q.where(match.where('a'));
  const counted = small || match?.sparse ? await boundedCount(db, q) : null;
  const order = nameOrder(ctx, 'a');
  if (after) q = q.where(order.after(after));
  let rowsQuery = q.select([
    'a.id as agent_id',
    'a.identifier',
    'a.last_name',
    'a.first_names',
    'a.email',
    'o.name as org_name',
  ]);
  for (const c of order.columns) rowsQuery = rowsQuery.orderBy(c);
  const rows = await rowsQuery
    .limit(win.pageSize + 1)
    .offset(win.offset)
    .execute();
  const holders = rows.slice(0, win.pageSize);
  const cardCounts = new Map<string, number>();
  if (holders.length)
    for (const c of await db
      .selectFrom('cards')
      .select(['agent_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where(
        'agent_id',
        'in',
        holders.map((h) => h.agent_id),
      )
      .groupBy('agent_id')
      .execute())
      cardCounts.set(c.agent_id, Number(c.n));
  const latest =
    holders.length === 0
      ? []
      : await ctx.store.db
          .selectFrom('cards')
          .select(['agent_id', 'id', 'serial', 'state', 'created_at'])
          .where(
            'agent_id',
            'in',
            holders.map((h) => h.agent_id),
          )
          .orderBy('created_at', 'desc')
          .execute();
  const view = (h: (typeof rows)[number]) => {
    const card = latest.find((c) => c.agent_id === h.agent_id);
    return {
      agentId: h.agent_id,
      identifier: h.identifier,
      lastName: h.last_name,
      firstNames: h.first_names,
      email: h.email,
      organizationName: h.org_name,
      cardCount: cardCounts.get(h.agent_id) ?? 0,
      latestCard: card
        ? {
            id: card.id,
            serial: card.serial,
            state: card.state,
            stateLabel: CARD_STATE_LABELS[card.state as CardState] ?? card.state,
          }
        : null,
    };
  };
  return pageOf(rows, win, view, (h) => [h.agent_id], counted);
}

// ---------------------------------------------------------------------------------------------
// Desk operations (operator signature required)

export function receiveContent(card: { id: string; serial: string }) {
  return { action: 'card.receive', target: card.id, content: { serial: card.serial } };
}

/**
 * The operator records the card received at the desk: shipped → received, and the holder is
 * invited by mail to come within 48 hours with the identity document and the code letter.
 */
export async function receiveCard(
  ctx: AppContext,
  actor: Actor,
  cardId: string,
  signature: ActionSignature | null | undefined,
): Promise<{ state: CardState; mailed: boolean }> {
  const { card, auth } = await loadDeskCard(ctx, actor, cardId, 'card.operate');
  await refuseOwnCard(ctx, actor, card, 'réceptionner');
  const move = moveCard(card.state, 'received');
  if (!move.ok) throw new AppError('conflict', move.reason);
  const { evidence } = await requireActionSignature(ctx, actor, receiveContent(card), signature);
  const operator = await ctx.store.db
    .selectFrom('organizations')
    .select(['name', 'address_line', 'postal_code', 'city'])
    .where('id', '=', card.operatorOrganizationId)
    .executeTakeFirstOrThrow();
  const now = ctx.now().toISOString();
  let mailed = false;
  await ctx.store.db.transaction().execute(async (trx) => {
    await moveCardRow(trx, card.id, 'shipped', 'received', now, {
      also: { received_at: now, received_by: actor.kind === 'person' ? actor.agentId : null },
      retry: 'recommencez',
    });
    if (card.holder.email) {
      const where = [
        operator.name,
        [operator.address_line, [operator.postal_code, operator.city].filter(Boolean).join(' ')]
          .filter(Boolean)
          .join(', '),
      ]
        .filter(Boolean)
        .join(' — ');
      await queueMail(ctx, trx, {
        to: card.holder.email,
        subject: `Votre carte agent n° ${card.serial} est arrivée`,
        text: [
          `Bonjour ${card.holder.firstNames} ${card.holder.lastName},`,
          '',
          `Votre carte « ${card.modelLabel} » n° ${card.serial} a été reçue par votre responsable carte (${where}).`,
          `Merci de vous présenter dans les ${HANDOVER_HOURS} heures auprès de votre responsable carte pour la remise en main propre et l'activation de la carte, muni(e) :`,
          '- de votre pièce d’identité ;',
          '- du courrier contenant votre code d’activation à 6 chiffres, reçu séparément.',
          '',
          'Si vous n’avez pas reçu ce courrier, votre responsable carte peut demander le renvoi du code par courrier ou par messagerie.',
          '',
          'Cartes Agents',
        ].join('\n'),
      });
      mailed = true;
    }
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'card.receive', {
        targetType: 'card',
        targetId: card.id,
        summary: {
          before: { state: card.state },
          after: { state: 'received' },
          serial: card.serial,
          holderInvited: mailed,
        },
        evidence,
      }),
    );
  });
  return { state: 'received', mailed };
}

export type ResendChannel = 'post' | 'email';

export function resendContent(card: { id: string; serial: string }, channel: ResendChannel) {
  return { action: 'card.resend-code', target: card.id, content: { serial: card.serial, channel } };
}

/**
 * « Renvoi du code d'activation par courrier ou par messagerie »: the current code is void at once
 * (verifier cleared, attempts back to 0), and the manufacturer is asked for a new one, by post
 * (a new letter) or by email to the holder. The new verifier arrives with its « code-resent » reply.
 */
export async function resendActivationCode(
  ctx: AppContext,
  actor: Actor,
  cardId: string,
  input: { channel: string },
  signature: ActionSignature | null | undefined,
): Promise<{ letterState: string; messageId: string }> {
  const channel = input.channel;
  if (channel !== 'post' && channel !== 'email')
    throw invalid('Canal de renvoi inconnu : « courrier » (post) ou « messagerie » (email).', [
      { field: 'channel', reason: 'post ou email.' },
    ]);
  const { card, auth } = await loadDeskCard(ctx, actor, cardId, 'card.operate');
  await refuseOwnCard(ctx, actor, card, "demander le renvoi du code d'activation de");
  if (!['shipped', 'received', 'handed_over'].includes(card.state)) {
    throw new AppError(
      'conflict',
      `Le code d'activation ne peut plus être renvoyé : la carte n° ${card.serial} est « ${CARD_STATE_LABELS[card.state]} ».`,
    );
  }
  const row = await ctx.store.db
    .selectFrom('cards')
    .select(['activation_code_used_at', 'letter_state', 'batch_id'])
    .where('id', '=', card.id)
    .executeTakeFirstOrThrow();
  if (row.activation_code_used_at)
    throw new AppError('conflict', "Le code d'activation de cette carte a déjà été utilisé.");
  if (!row.batch_id)
    throw new AppError(
      'conflict',
      "Cette carte n'a pas été fabriquée sur commande d'un lot : le fabricant ne peut pas en renvoyer le code.",
    );
  if (channel === 'email' && !card.holder.email)
    throw invalid("Le porteur n'a pas d'adresse de messagerie : renvoyez le code par courrier.", [
      { field: 'channel', reason: 'Adresse de messagerie absente.' },
    ]);
  const { evidence } = await requireActionSignature(ctx, actor, resendContent(card, channel), signature);
  const letterState = channel === 'post' ? 'resent_post' : 'resent_email';
  const messageId = `renvoi-code-${ctx.newId()}`;
  const now = ctx.now().toISOString();
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('cards')
      .set({
        activation_code_hash: null,
        activation_code_attempts: 0,
        letter_state: letterState,
        letter_sent_at: null,
        letter_reference: null,
        updated_at: now,
      })
      .where('id', '=', card.id)
      .where('activation_code_used_at', 'is', null)
      .execute();
    await enqueue(trx, {
      id: ctx.newId(),
      kind: 'manufacturer.code-resend',
      payload: { messageId, cardId: card.id, channel },
      runAt: now,
      now,
    });
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'card.resend-code', {
        targetType: 'card',
        targetId: card.id,
        summary: {
          serial: card.serial,
          channel,
          before: { letter: row.letter_state },
          after: { letter: letterState },
          message: messageId,
        },
        evidence,
      }),
    );
  });
  return { letterState, messageId };
}
