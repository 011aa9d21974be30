// Production of cards, platform side (docs/cards.md §5): the order of a validated batch goes to the
// manufacturer's outbox; the manufacturer's messages (acknowledgement, rejection, production
// report, shipping notice, code re-sent) are checked and applied once each. A production report
// creates the cards and issues their certificates in one transaction per chunk, so a crash never
// leaves a certificate without its card, and a re-run finishes what was left.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Selectable, Transaction } from 'kysely';
import type { Database, RequestBatchTable } from '../../store/schema.ts';
import { appendAudit, appendAuditBatch } from '../../store/audit.ts';
import { agentSubject, addYears } from '../../pki/profiles.ts';
import { CARD_YEARS } from '../../domain/card-lifecycle.ts';
import {
  exchangeFolders,
  IN_KINDS,
  loadActivationKey,
  loadExchangeKey,
  parseMessage,
  sealMessage,
  writeMessage,
  KIND_LABELS,
  type CertificatesItem,
  type ExchangeFolders,
  type ExchangeMessage,
  type ItemsOf,
  type MessageKind,
  type OrderItem,
} from '../../manufacturer/format.ts';
import {
  issueBatch,
  readCardPublicKey,
  type IssueForPublicKeyInput,
  type PkiEnvironment,
} from '../pki/certificates.ts';
import { authorize, scopeRoots, type Authorization } from '../access/authorize.ts';
import { auditEntry } from '../audit-trail.ts';
import { AppError, notFound } from '../errors.ts';
import { pathUnder } from '../scope.ts';
import { systemActor, type Actor, type AppContext } from '../context.ts';

export { activationCodeVerifier, loadActivationKey, loadExchangeKey } from '../../manufacturer/format.ts';

export interface ProductionEnvironment {
  exchangeKey: Buffer;
  folders: ExchangeFolders;
  pki: PkiEnvironment;
}

export function productionEnvironment(
  dataDir: string,
  pki: PkiEnvironment,
  env: NodeJS.ProcessEnv = process.env,
): ProductionEnvironment {
  // The activation key is created with the exchange key so both sides of one installation find it.
  loadActivationKey(dataDir, env);
  return { exchangeKey: loadExchangeKey(dataDir, env), folders: exchangeFolders(dataDir), pki };
}

/** The manufacturer as an actor of the audit trail. */
export const MANUFACTURER = systemActor('fabricant');

function systemAuth(orgId: string | null): Authorization {
  return { actorId: 'system:fabricant', role: 'system', organizationId: orgId };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

// ---------------------------------------------------------------------------------------------
// Orders

async function nearestSiren(ctx: AppContext, path: string, own: string | null): Promise<string | null> {
  if (own) return own;
  const ancestors = await ctx.store.db
    .selectFrom('organizations')
    .select(['siren', 'path'])
    .where('id', 'in', path.split('/').filter(Boolean))
    .execute();
  return ancestors.filter((o) => o.siren).sort((a, b) => b.path.length - a.path.length)[0]?.siren ?? null;
}

const orderId = (batchId: string) => `commande-${batchId}`;

/**
 * Writes the order of a validated batch to the outbox (the file first, then the state: a crash in
 * between rewrites the same message id, which the manufacturer takes once). Batch and requests →
 * sent. A batch already sent is left as it is.
 */
export async function sendOrder(
  ctx: AppContext,
  actor: Actor,
  env: ProductionEnvironment,
  batchId: string,
): Promise<{ sent: boolean; items: number }> {
  const batch = await ctx.store.db
    .selectFrom('request_batches')
    .selectAll()
    .where('id', '=', batchId)
    .executeTakeFirst();
  if (!batch) throw notFound('Lot inconnu.');
  const auth = await authorize(ctx, actor, 'manufacturer.run', batch.organization_id, { type: 'batch', id: batch.id });
  if (batch.state !== 'validated') {
    if (['sent', 'acknowledged', 'in_production', 'closed'].includes(batch.state)) return { sent: false, items: 0 };
    throw new AppError(
      'conflict',
      `Le lot ${batch.number} n'est pas validé : il ne peut pas être envoyé au fabricant.`,
    );
  }
  const shipTo = await ctx.store.db
    .selectFrom('organizations')
    .selectAll()
    .where('id', '=', batch.organization_id)
    .executeTakeFirstOrThrow();
  const rows = await ctx.store.db
    .selectFrom('card_requests as r')
    .innerJoin('agents as a', 'a.id', 'r.agent_id')
    .innerJoin('organizations as o', 'o.id', 'r.organization_id')
    .innerJoin('card_models as m', 'm.id', 'r.model_id')
    .select([
      'r.id',
      'r.number',
      'a.identifier',
      'a.last_name',
      'a.first_names',
      'a.email',
      'a.has_photo',
      'a.unit_address',
      'o.name as org_name',
      'o.siren',
      'o.path',
      'o.address_line',
      'o.postal_code',
      'o.city',
      'm.code as model',
      'm.profiles',
    ])
    .where('r.batch_id', '=', batch.id)
    .where('r.state', '=', 'validated')
    .orderBy('r.number')
    .execute();
  const sirens = new Map<string, string | null>();
  const items: OrderItem[] = [];
  for (const r of rows) {
    if (!sirens.has(r.path)) sirens.set(r.path, await nearestSiren(ctx, r.path, r.siren));
    const orgAddress = [r.address_line, [r.postal_code, r.city].filter(Boolean).join(' ')].filter(Boolean).join('\n');
    items.push({
      requestId: r.id,
      requestNumber: r.number,
      holder: {
        identifier: r.identifier,
        lastName: r.last_name,
        firstNames: r.first_names,
        email: r.email,
        hasPhoto: r.has_photo === 1,
      },
      subject: agentSubject({
        organizationName: r.org_name,
        siren: sirens.get(r.path) ?? null,
        firstNames: r.first_names,
        lastName: r.last_name,
        identifier: r.identifier,
      }),
      model: r.model,
      profiles: JSON.parse(r.profiles) as string[],
      shipTo: {
        name: shipTo.name,
        addressLine: shipTo.address_line ?? '',
        postalCode: shipTo.postal_code ?? '',
        city: shipTo.city ?? '',
      },
      letterTo: {
        name: `${r.first_names} ${r.last_name.toUpperCase()}`,
        unit: r.org_name,
        address: r.unit_address?.trim() || orgAddress,
      },
    });
  }
  const now = ctx.now().toISOString();
  const message = sealMessage(env.exchangeKey, {
    id: orderId(batch.id),
    kind: 'order',
    batchNumber: batch.number,
    createdAt: now,
    items,
  });
  const fileName = writeMessage(env.folders.outbox, message);
  await ctx.store.db.transaction().execute(async (trx) => {
    const moved = await trx
      .updateTable('request_batches')
      .set({ state: 'sent', sent_at: now, updated_at: now })
      .where('id', '=', batch.id)
      .where('state', '=', 'validated')
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== 1) throw new AppError('conflict', 'Le lot vient de changer : recommencez.');
    await trx
      .updateTable('card_requests')
      .set({ state: 'sent', updated_at: now })
      .where('batch_id', '=', batch.id)
      .where('state', '=', 'validated')
      .execute();
    await recordMessage(trx, ctx, {
      id: message.id,
      kind: 'order',
      direction: 'out',
      batchId: batch.id,
      text: JSON.stringify(message),
      fileName,
      status: 'written',
      note: null,
    });
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'batch.send', {
        targetType: 'batch',
        targetId: batch.id,
        summary: {
          before: { state: 'validated' },
          after: { state: 'sent' },
          number: batch.number,
          items: items.length,
          message: message.id,
        },
      }),
    );
  });
  return { sent: true, items: items.length };
}

/** Sends the order of every validated batch (the outbox job does it one by one; this catches up). */
export async function sendPendingOrders(ctx: AppContext, env: ProductionEnvironment): Promise<number> {
  const due = await ctx.store.db
    .selectFrom('request_batches')
    .select('id')
    .where('state', '=', 'validated')
    .orderBy('validated_at')
    .execute();
  let sent = 0;
  for (const b of due) if ((await sendOrder(ctx, MANUFACTURER, env, b.id)).sent) sent++;
  return sent;
}

async function recordMessage(
  trx: Transaction<Database>,
  ctx: AppContext,
  m: {
    id: string;
    kind: string;
    direction: 'in' | 'out';
    batchId: string | null;
    text: string;
    fileName: string;
    status: 'written' | 'processed' | 'refused';
    note: string | null;
  },
): Promise<void> {
  await trx
    .insertInto('manufacturer_messages')
    .values({
      id: m.id,
      kind: m.kind,
      direction: m.direction,
      batch_id: m.batchId,
      sha256: sha256(m.text),
      file_name: m.fileName,
      status: m.status,
      message: m.note,
      created_at: ctx.now().toISOString(),
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

// ---------------------------------------------------------------------------------------------
// Inbox

export type InboxOutcome = 'processed' | 'duplicate' | 'refused';

export interface InboxResult {
  file: string;
  id: string | null;
  kind: string | null;
  outcome: InboxOutcome;
  /** French: what was done, or why the file was refused. */
  message: string;
}

/** Refusal of one message: nothing of it is applied. */
class Refusal extends Error {}

type BatchRow = Selectable<RequestBatchTable>;

/**
 * Checks and applies one message file of the manufacturer. The same message twice is reported
 * « déjà traité » and changes nothing; a refused file (illegible, wrong version or MAC, unknown
 * batch, items that do not fit) is recorded as refused, audited, and changes nothing else.
 */
export async function processMessageText(
  ctx: AppContext,
  env: ProductionEnvironment,
  fileName: string,
  text: string,
): Promise<InboxResult> {
  const parsed = parseMessage(text, env.exchangeKey, IN_KINDS);
  if (!parsed.ok) return refuse(ctx, fileName, text, parsed.id, parsed.kind, null, parsed.reason);
  const msg = parsed.message;
  const seen = await ctx.store.db
    .selectFrom('manufacturer_messages')
    .select(['status', 'direction'])
    .where('id', '=', msg.id)
    .executeTakeFirst();
  if (seen && seen.direction === 'in' && seen.status === 'processed') {
    return {
      file: fileName,
      id: msg.id,
      kind: msg.kind,
      outcome: 'duplicate',
      message: `Message ${msg.id} déjà traité : rien n'a changé.`,
    };
  }
  if (seen)
    return refuse(
      ctx,
      fileName,
      text,
      msg.id,
      msg.kind,
      null,
      `Identifiant de message ${msg.id} déjà employé par un autre message.`,
    );
  const batch = await ctx.store.db
    .selectFrom('request_batches')
    .selectAll()
    .where('number', '=', msg.batchNumber)
    .executeTakeFirst();
  if (!batch) return refuse(ctx, fileName, text, msg.id, msg.kind, null, `Lot inconnu : « ${msg.batchNumber} ».`);
  try {
    const note = await apply(ctx, env, msg, batch, fileName, text);
    return { file: fileName, id: msg.id, kind: msg.kind, outcome: 'processed', message: note };
  } catch (err) {
    if (err instanceof Refusal) return refuse(ctx, fileName, text, msg.id, msg.kind, batch.id, err.message);
    throw err;
  }
}

async function refuse(
  ctx: AppContext,
  fileName: string,
  text: string,
  id: string | null,
  kind: string | null,
  batchId: string | null,
  reason: string,
): Promise<InboxResult> {
  const digest = sha256(text);
  await ctx.store.db.transaction().execute(async (trx) => {
    await recordMessage(trx, ctx, {
      id: `refus-${digest.slice(0, 40)}`,
      kind: kind && (IN_KINDS as readonly string[]).includes(kind) ? kind : 'inconnu',
      direction: 'in',
      batchId,
      text,
      fileName,
      status: 'refused',
      note: reason,
    });
    await appendAudit(trx, ctx.store, {
      ...auditEntry(ctx, MANUFACTURER, systemAuth(null), 'manufacturer.message.refuse', {
        targetType: 'manufacturer_message',
        targetId: id ?? digest.slice(0, 40),
        summary: { file: fileName, kind, reason },
      }),
      outcome: 'refused',
    });
  });
  return { file: fileName, id, kind, outcome: 'refused', message: `Fichier ${fileName} refusé : ${reason}` };
}

async function apply(
  ctx: AppContext,
  env: ProductionEnvironment,
  msg: ExchangeMessage,
  batch: BatchRow,
  fileName: string,
  text: string,
): Promise<string> {
  const record = (trx: Transaction<Database>) =>
    recordMessage(trx, ctx, {
      id: msg.id,
      kind: msg.kind,
      direction: 'in',
      batchId: batch.id,
      text,
      fileName,
      status: 'processed',
      note: null,
    });
  const kind = msg.kind as MessageKind;
  switch (kind) {
    case 'acknowledgement':
      await ctx.store.db.transaction().execute(async (trx) => {
        const now = ctx.now().toISOString();
        const moved = await trx
          .updateTable('request_batches')
          .set({ state: 'acknowledged', acknowledged_at: now, updated_at: now })
          .where('id', '=', batch.id)
          .where('state', '=', 'sent')
          .executeTakeFirst();
        if (Number(moved.numUpdatedRows) === 1) {
          await appendAudit(
            trx,
            ctx.store,
            auditEntry(ctx, MANUFACTURER, systemAuth(batch.organization_id), 'batch.acknowledge', {
              targetType: 'batch',
              targetId: batch.id,
              summary: { before: { state: 'sent' }, after: { state: 'acknowledged' }, message: msg.id },
            }),
          );
        }
        await record(trx);
      });
      return `Lot ${batch.number} pris en compte par le fabricant.`;
    case 'rejection':
      return applyRejection(ctx, msg as ExchangeMessage<'rejection'>, batch, record);
    case 'production':
      return applyProduction(ctx, env, msg as ExchangeMessage<'production'>, batch, record);
    case 'shipping':
      return applyShipping(ctx, msg as ExchangeMessage<'shipping'>, batch, record);
    case 'code-resent':
      return applyCodeResent(ctx, msg as ExchangeMessage<'code-resent'>, batch, record);
    default:
      throw new Refusal(`Type de message inattendu : « ${msg.kind} ».`);
  }
}

async function batchRequests(ctx: AppContext, batchId: string) {
  const rows = await ctx.store.db
    .selectFrom('card_requests as r')
    .innerJoin('agents as a', 'a.id', 'r.agent_id')
    .select([
      'r.id',
      'r.number',
      'r.state',
      'r.card_id',
      'r.agent_id',
      'r.organization_id',
      'r.model_id',
      'a.identifier',
    ])
    .where('r.batch_id', '=', batchId)
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

function unknownRequest(requestId: string, batch: BatchRow): Refusal {
  return new Refusal(`La demande ${requestId} ne fait pas partie du lot ${batch.number}.`);
}

/** Batch → closed (or rejected when nothing was produced) once every request is settled and every card shipped. */
async function closeBatchIfDone(trx: Transaction<Database>, ctx: AppContext, batch: BatchRow): Promise<void> {
  const open = await trx
    .selectFrom('card_requests')
    .select('id')
    .where('batch_id', '=', batch.id)
    .where('state', 'not in', ['fulfilled', 'rejected', 'cancelled'])
    .limit(1)
    .executeTakeFirst();
  if (open) return;
  const unshipped = await trx
    .selectFrom('cards')
    .select('id')
    .where('batch_id', '=', batch.id)
    .where('state', 'in', ['ordered', 'in_production'])
    .limit(1)
    .executeTakeFirst();
  if (unshipped) return;
  const produced = await trx
    .selectFrom('card_requests')
    .select('id')
    .where('batch_id', '=', batch.id)
    .where('state', '=', 'fulfilled')
    .limit(1)
    .executeTakeFirst();
  const state = produced ? 'closed' : 'rejected';
  const now = ctx.now().toISOString();
  const moved = await trx
    .updateTable('request_batches')
    .set({ state, closed_at: now, updated_at: now })
    .where('id', '=', batch.id)
    .where('state', 'not in', ['closed', 'rejected'])
    .executeTakeFirst();
  if (Number(moved.numUpdatedRows) === 1) {
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, MANUFACTURER, systemAuth(batch.organization_id), 'batch.close', {
        targetType: 'batch',
        targetId: batch.id,
        summary: { after: { state } },
      }),
    );
  }
}

async function applyRejection(
  ctx: AppContext,
  msg: ExchangeMessage<'rejection'>,
  batch: BatchRow,
  record: (trx: Transaction<Database>) => Promise<void>,
): Promise<string> {
  const requests = await batchRequests(ctx, batch.id);
  const todo: { id: string; reason: string; state: string; orgId: string }[] = [];
  for (const item of msg.items) {
    const r = requests.get(item.requestId);
    if (!r) throw unknownRequest(item.requestId, batch);
    if (r.state === 'rejected') continue;
    if (r.state !== 'sent' && r.state !== 'validated')
      throw new Refusal(`La demande ${r.number} est « ${r.state} » : elle ne peut plus être rejetée.`);
    todo.push({ id: r.id, reason: item.reason, state: r.state, orgId: r.organization_id });
  }
  await ctx.store.db.transaction().execute(async (trx) => {
    const now = ctx.now().toISOString();
    for (const t of todo) {
      await trx
        .updateTable('card_requests')
        .set({ state: 'rejected', rejection_reason: t.reason, updated_at: now })
        .where('id', '=', t.id)
        .execute();
    }
    await appendAuditBatch(
      trx,
      ctx.store,
      todo.map((t) =>
        auditEntry(ctx, MANUFACTURER, systemAuth(t.orgId), 'card_request.reject', {
          targetType: 'card_request',
          targetId: t.id,
          summary: { before: { state: t.state }, after: { state: 'rejected' }, reason: t.reason, batch: batch.number },
        }),
      ),
    );
    await closeBatchIfDone(trx, ctx, batch);
    await record(trx);
  });
  return `${todo.length} demande(s) rejetée(s) par le fabricant dans le lot ${batch.number}.`;
}

/** Cards per transaction when recording a production report (each with its certificates). */
export const PRODUCTION_CHUNK_CARDS = 100;

async function applyProduction(
  ctx: AppContext,
  env: ProductionEnvironment,
  msg: ExchangeMessage<'production'>,
  batch: BatchRow,
  record: (trx: Transaction<Database>) => Promise<void>,
): Promise<string> {
  const requests = await batchRequests(ctx, batch.id);
  const models = new Map(
    (await ctx.store.db.selectFrom('card_models').select(['id', 'code', 'profiles', 'card_years']).execute()).map(
      (m) => [m.id, { ...m, profileList: JSON.parse(m.profiles) as string[] }],
    ),
  );
  const serials = msg.items.map((i) => i.serial);
  if (new Set(serials).size !== serials.length)
    throw new Refusal('Numéro de carte présent deux fois dans le compte rendu.');
  const taken = new Map<string, string | null>();
  for (let i = 0; i < serials.length; i += 500) {
    for (const c of await ctx.store.db
      .selectFrom('cards')
      .select(['serial', 'request_id'])
      .where('serial', 'in', serials.slice(i, i + 500))
      .execute())
      taken.set(c.serial, c.request_id);
  }
  // Everything is checked before anything is written.
  const todo: {
    item: ItemsOf['production'];
    request: NonNullable<ReturnType<typeof requests.get>>;
    model: { id: string; code: string; profileList: string[]; card_years: number };
  }[] = [];
  for (const item of msg.items) {
    const r = requests.get(item.requestId);
    if (!r) throw unknownRequest(item.requestId, batch);
    const owner = taken.get(item.serial);
    if (r.state === 'fulfilled' && owner === r.id) continue; // already recorded by an interrupted run
    if (owner !== undefined) throw new Refusal(`Numéro de carte ${item.serial} déjà attribué à une autre carte.`);
    if (r.state !== 'sent')
      throw new Refusal(`La demande ${r.number} est « ${r.state} » : aucune carte ne peut lui être associée.`);
    const model = models.get(r.model_id)!;
    const slots = item.keys.map((k) => k.slot).sort();
    if (slots.join(',') !== [...model.profileList].sort().join(',')) {
      throw new Refusal(
        `Carte ${item.serial} : clés ${slots.join(', ')} reçues, ${model.profileList.join(', ')} attendues pour le modèle ${model.code}.`,
      );
    }
    for (const k of item.keys) {
      try {
        readCardPublicKey(new Uint8Array(Buffer.from(k.spki, 'base64')));
      } catch (err) {
        throw new Refusal(`Carte ${item.serial}, clé ${k.slot} : ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    todo.push({ item, request: r, model });
  }

  const now = ctx.now();
  // One issuance per model: a chunk of cards carries all of its certificates.
  const byModel = new Map<string, typeof todo>();
  for (const t of todo) byModel.set(t.model.id, [...(byModel.get(t.model.id) ?? []), t]);
  for (const group of byModel.values()) {
    const perCard = group[0]!.model.profileList.length;
    const cardIds = new Map<string, string>();
    const items: IssueForPublicKeyInput[] = [];
    for (const t of group) {
      const cardId = ctx.newId();
      cardIds.set(cardId, t.item.requestId);
      for (const profile of t.model.profileList) {
        const key = t.item.keys.find((k) => k.slot === profile)!;
        items.push({
          spki: new Uint8Array(Buffer.from(key.spki, 'base64')),
          profile,
          agentIdentifier: t.request.identifier,
          cardId,
        });
      }
    }
    const byRequest = new Map(group.map((t) => [t.item.requestId, t]));
    try {
      await issueBatch(ctx, MANUFACTURER, env.pki, items, {
        chunk: PRODUCTION_CHUNK_CARDS * perCard,
        inTransaction: async (trx, _issued, chunkItems) => {
          const at = now.toISOString();
          const ids = [...new Set(chunkItems.map((i) => i.cardId!))];
          const rows = ids.map((id) => {
            const t = byRequest.get(cardIds.get(id)!)!;
            return {
              id,
              serial: t.item.serial,
              model_id: t.model.id,
              agent_id: t.request.agent_id,
              organization_id: t.request.organization_id,
              operator_organization_id: batch.organization_id,
              request_id: t.request.id,
              batch_id: batch.id,
              state: 'in_production',
              state_changed_at: at,
              letter_state: null,
              letter_sent_at: null,
              letter_reference: null,
              activation_code_hash: null,
              activation_code_attempts: 0,
              activation_code_used_at: null,
              file_name: `${t.item.serial}.carte`,
              produced_at: at,
              shipped_at: null,
              received_at: null,
              received_by: null,
              expires_at: addYears(now, t.model.card_years || CARD_YEARS).toISOString(),
              created_at: at,
              updated_at: at,
            };
          });
          for (let i = 0; i < rows.length; i += 50)
            await trx
              .insertInto('cards')
              .values(rows.slice(i, i + 50))
              .execute();
          // One statement for the chunk: each request takes the id of the card just made for it.
          const moved = await trx
            .updateTable('card_requests')
            .set((eb) => ({
              state: 'fulfilled',
              updated_at: at,
              card_id: eb.selectFrom('cards').select('cards.id').whereRef('cards.request_id', '=', 'card_requests.id'),
            }))
            .where(
              'id',
              'in',
              rows.map((r) => r.request_id),
            )
            .where('state', '=', 'sent')
            .executeTakeFirst();
          if (Number(moved.numUpdatedRows) !== rows.length)
            throw new AppError('conflict', 'Une demande du lot vient de changer : recommencez.');
          await appendAuditBatch(
            trx,
            ctx.store,
            rows.map((row) =>
              auditEntry(ctx, MANUFACTURER, systemAuth(row.operator_organization_id), 'card.produce', {
                targetType: 'card',
                targetId: row.id,
                summary: {
                  after: { state: 'in_production', serial: row.serial, request: row.request_id, batch: batch.number },
                },
              }),
            ),
          );
          await trx
            .updateTable('request_batches')
            .set({ state: 'in_production', updated_at: at })
            .where('id', '=', batch.id)
            .where('state', 'in', ['sent', 'acknowledged'])
            .execute();
        },
      });
    } catch (err) {
      // A key or holder the CA refuses: nothing of this group was written (issueBatch checks first).
      if (err instanceof AppError && err.code !== 'conflict') throw new Refusal(err.message);
      throw err;
    }
  }

  // The certificates go back to the manufacturer, for every card of the report (also those an
  // interrupted run recorded); then the report counts as processed.
  const certItems = await certificatesFor(
    ctx,
    msg.items.map((i) => ({ requestId: i.requestId, serial: i.serial })),
  );
  const out = sealMessage(env.exchangeKey, {
    id: `certificats-${msg.id}`,
    kind: 'certificates',
    batchNumber: batch.number,
    createdAt: ctx.now().toISOString(),
    items: certItems,
  });
  const outName = writeMessage(env.folders.outbox, out);
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('request_batches')
      .set({ state: 'in_production', updated_at: ctx.now().toISOString() })
      .where('id', '=', batch.id)
      .where('state', 'in', ['sent', 'acknowledged'])
      .execute();
    await recordMessage(trx, ctx, {
      id: out.id,
      kind: 'certificates',
      direction: 'out',
      batchId: batch.id,
      text: JSON.stringify(out),
      fileName: outName,
      status: 'written',
      note: null,
    });
    await record(trx);
  });
  return `${todo.length} carte(s) enregistrée(s) en production dans le lot ${batch.number}, ${certItems.reduce((n, i) => n + i.certificates.length, 0)} certificat(s) envoyé(s) au fabricant.`;
}

async function certificatesFor(
  ctx: AppContext,
  items: { requestId: string; serial: string }[],
): Promise<CertificatesItem[]> {
  const out: CertificatesItem[] = [];
  for (let i = 0; i < items.length; i += 500) {
    const slice = items.slice(i, i + 500);
    const rows = await ctx.store.db
      .selectFrom('cards as c')
      .innerJoin('certificates as x', 'x.card_id', 'c.id')
      .select(['c.serial', 'x.profile', 'x.der'])
      .where(
        'c.serial',
        'in',
        slice.map((s) => s.serial),
      )
      .execute();
    const bySerial = new Map<string, { slot: string; der: string }[]>();
    for (const r of rows)
      bySerial.set(r.serial, [
        ...(bySerial.get(r.serial) ?? []),
        { slot: r.profile, der: Buffer.from(r.der).toString('base64') },
      ]);
    for (const s of slice)
      out.push({ requestId: s.requestId, serial: s.serial, certificates: bySerial.get(s.serial) ?? [] });
  }
  return out;
}

async function cardsBySerial(ctx: AppContext, serials: string[]) {
  const map = new Map<
    string,
    {
      id: string;
      serial: string;
      state: string;
      batch_id: string | null;
      request_id: string | null;
      operator_organization_id: string;
      letter_state: string | null;
    }
  >();
  for (let i = 0; i < serials.length; i += 500) {
    for (const c of await ctx.store.db
      .selectFrom('cards')
      .select(['id', 'serial', 'state', 'batch_id', 'request_id', 'operator_organization_id', 'letter_state'])
      .where('serial', 'in', serials.slice(i, i + 500))
      .execute())
      map.set(c.serial, c);
  }
  return map;
}

async function applyShipping(
  ctx: AppContext,
  msg: ExchangeMessage<'shipping'>,
  batch: BatchRow,
  record: (trx: Transaction<Database>) => Promise<void>,
): Promise<string> {
  const cards = await cardsBySerial(
    ctx,
    msg.items.map((i) => i.serial),
  );
  const todo: { card: NonNullable<ReturnType<typeof cards.get>>; item: ItemsOf['shipping'] }[] = [];
  for (const item of msg.items) {
    const card = cards.get(item.serial);
    if (!card || card.batch_id !== batch.id || card.request_id !== item.requestId)
      throw new Refusal(`Carte ${item.serial} inconnue dans le lot ${batch.number}.`);
    if (card.state === 'in_production') todo.push({ card, item });
    else if (card.state === 'ordered') throw new Refusal(`La carte ${item.serial} n'est pas encore produite.`);
  }
  await ctx.store.db.transaction().execute(async (trx) => {
    const at = ctx.now().toISOString();
    for (const { card, item } of todo) {
      await trx
        .updateTable('cards')
        .set({
          state: 'shipped',
          state_changed_at: at,
          shipped_at: at,
          letter_state: 'sent',
          letter_sent_at: at,
          letter_reference: item.letterReference,
          activation_code_hash: item.activationVerifier,
          activation_code_attempts: 0,
          activation_code_used_at: null,
          updated_at: at,
        })
        .where('id', '=', card.id)
        .where('state', '=', 'in_production')
        .execute();
    }
    await appendAuditBatch(
      trx,
      ctx.store,
      todo.map(({ card, item }) =>
        auditEntry(ctx, MANUFACTURER, systemAuth(card.operator_organization_id), 'card.ship', {
          targetType: 'card',
          targetId: card.id,
          summary: {
            before: { state: 'in_production' },
            after: { state: 'shipped', letter: 'sent' },
            serial: card.serial,
            letterReference: item.letterReference,
          },
        }),
      ),
    );
    await closeBatchIfDone(trx, ctx, batch);
    await record(trx);
  });
  return `${todo.length} carte(s) expédiée(s) du lot ${batch.number} ; courriers des codes d'activation envoyés aux porteurs.`;
}

async function applyCodeResent(
  ctx: AppContext,
  msg: ExchangeMessage<'code-resent'>,
  batch: BatchRow,
  record: (trx: Transaction<Database>) => Promise<void>,
): Promise<string> {
  const cards = await cardsBySerial(
    ctx,
    msg.items.map((i) => i.serial),
  );
  for (const item of msg.items) {
    const card = cards.get(item.serial);
    if (!card || card.batch_id !== batch.id)
      throw new Refusal(`Carte ${item.serial} inconnue dans le lot ${batch.number}.`);
  }
  await ctx.store.db.transaction().execute(async (trx) => {
    const at = ctx.now().toISOString();
    for (const item of msg.items) {
      const card = cards.get(item.serial)!;
      await trx
        .updateTable('cards')
        .set({
          activation_code_hash: item.activationVerifier,
          activation_code_attempts: 0,
          letter_state: item.channel === 'post' ? 'resent_post' : 'resent_email',
          letter_sent_at: at,
          letter_reference: item.letterReference ?? null,
          updated_at: at,
        })
        .where('id', '=', card.id)
        .where('activation_code_used_at', 'is', null)
        .execute();
    }
    await appendAuditBatch(
      trx,
      ctx.store,
      msg.items.map((item) =>
        auditEntry(
          ctx,
          MANUFACTURER,
          systemAuth(cards.get(item.serial)!.operator_organization_id),
          'card.activation-code.resent',
          {
            targetType: 'card',
            targetId: cards.get(item.serial)!.id,
            summary: { serial: item.serial, channel: item.channel, letterReference: item.letterReference },
          },
        ),
      ),
    );
    await record(trx);
  });
  return `Nouveau code d'activation envoyé pour ${msg.items.length} carte(s).`;
}

/**
 * Processes the message files of the inbox, oldest first (`maxFiles` at most); each file then moves to
 * inbox/traites or inbox/refuses so that the inbox holds only what is still to do: the folder is the
 * cursor, a file is read once.
 */
export async function processInbox(
  ctx: AppContext,
  env: ProductionEnvironment,
  opts: { maxFiles?: number } = {},
): Promise<InboxResult[]> {
  const { inbox } = env.folders;
  if (!existsSync(inbox)) return [];
  const names = readdirSync(inbox)
    .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
    .sort()
    .slice(0, opts.maxFiles ?? Number.MAX_SAFE_INTEGER);
  const results: InboxResult[] = [];
  for (const name of names) {
    if (results.length) await new Promise<void>((resolve) => setImmediate(resolve)); // requests go first
    let text: string;
    try {
      text = readFileSync(join(inbox, name), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // taken by another instance
      throw err;
    }
    const result = await processMessageText(ctx, env, name, text);
    const dest = join(inbox, result.outcome === 'refused' ? 'refuses' : 'traites');
    mkdirSync(dest, { recursive: true });
    try {
      renameSync(join(inbox, name), join(dest, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    results.push(result);
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Code re-sending (asked by cards.ts, written by the outbox job)

/** Writes the « code-resend » message of a card (job 'manufacturer.code-resend'). */
export async function sendCodeResend(
  ctx: AppContext,
  env: ProductionEnvironment,
  payload: { messageId: string; cardId: string; channel: 'post' | 'email' },
): Promise<void> {
  const done = await ctx.store.db
    .selectFrom('manufacturer_messages')
    .select('id')
    .where('id', '=', payload.messageId)
    .executeTakeFirst();
  if (done) return;
  const card = await ctx.store.db
    .selectFrom('cards as c')
    .innerJoin('agents as a', 'a.id', 'c.agent_id')
    .innerJoin('request_batches as b', 'b.id', 'c.batch_id')
    .select(['c.serial', 'c.batch_id', 'a.email', 'b.number'])
    .where('c.id', '=', payload.cardId)
    .executeTakeFirst();
  if (!card) return;
  const message = sealMessage(env.exchangeKey, {
    id: payload.messageId,
    kind: 'code-resend',
    batchNumber: card.number,
    createdAt: ctx.now().toISOString(),
    items: [{ serial: card.serial, channel: payload.channel, email: payload.channel === 'email' ? card.email : null }],
  });
  const fileName = writeMessage(env.folders.outbox, message);
  await ctx.store.db.transaction().execute((trx) =>
    recordMessage(trx, ctx, {
      id: message.id,
      kind: 'code-resend',
      direction: 'out',
      batchId: card.batch_id,
      text: JSON.stringify(message),
      fileName,
      status: 'written',
      note: null,
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Follow-up: batches and their messages (« Suivi des lots de demandes » on the production side)

export async function listProduction(ctx: AppContext, actor: Actor, filter: { batchId?: string; limit?: number } = {}) {
  const roots = await scopeRoots(ctx, actor, 'card.read');
  let q = ctx.store.db
    .selectFrom('request_batches as b')
    .innerJoin('organizations as o', 'o.id', 'b.organization_id')
    .select([
      'b.id',
      'b.number',
      'b.state',
      'b.organization_id',
      'o.name as organization_name',
      'b.validated_at',
      'b.sent_at',
      'b.acknowledged_at',
      'b.closed_at',
    ])
    .where('b.state', '!=', 'open')
    .where(pathUnder(roots, 'o.path'));
  if (filter.batchId) q = q.where('b.id', '=', filter.batchId);
  const batches = await q
    .orderBy('b.created_at', 'desc')
    .limit(Math.min(200, Math.max(1, filter.limit ?? 50)))
    .execute();
  if (batches.length === 0) return { items: [] };
  const ids = batches.map((b) => b.id);
  const messages = await ctx.store.db
    .selectFrom('manufacturer_messages')
    .select(['id', 'kind', 'direction', 'batch_id', 'file_name', 'status', 'message', 'created_at'])
    .where('batch_id', 'in', ids)
    .orderBy('created_at')
    .execute();
  const counts = await ctx.store.db
    .selectFrom('card_requests')
    .select(['batch_id', 'state', (eb) => eb.fn.countAll<number>().as('n')])
    .where('batch_id', 'in', ids)
    .groupBy(['batch_id', 'state'])
    .execute();
  const cardCounts = await ctx.store.db
    .selectFrom('cards')
    .select(['batch_id', 'state', (eb) => eb.fn.countAll<number>().as('n')])
    .where('batch_id', 'in', ids)
    .groupBy(['batch_id', 'state'])
    .execute();
  return {
    items: batches.map((b) => ({
      id: b.id,
      number: b.number,
      state: b.state,
      organizationId: b.organization_id,
      organizationName: b.organization_name,
      validatedAt: b.validated_at,
      sentAt: b.sent_at,
      acknowledgedAt: b.acknowledged_at,
      closedAt: b.closed_at,
      requests: Object.fromEntries(counts.filter((c) => c.batch_id === b.id).map((c) => [c.state, Number(c.n)])),
      cards: Object.fromEntries(cardCounts.filter((c) => c.batch_id === b.id).map((c) => [c.state, Number(c.n)])),
      messages: messages
        .filter((m) => m.batch_id === b.id)
        .map((m) => ({
          id: m.id,
          kind: m.kind,
          kindLabel: KIND_LABELS[m.kind as MessageKind] ?? m.kind,
          direction: m.direction,
          fileName: m.file_name,
          status: m.status,
          message: m.message,
          createdAt: m.created_at,
        })),
    })),
  };
}
