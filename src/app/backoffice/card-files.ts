import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../store/schema.ts';
import type { AuditEntry } from '../../store/audit.ts';
import type { AuditObserver } from '../../store/database.ts';
import { caseFileNumber, dueOn } from '../../domain/case-file.ts';
import { routeFile, type CaseKindDefinition } from '../../domain/case-kinds.ts';
import { CARD_STATE_LABELS, type CardState } from '../../domain/card-lifecycle.ts';
import type { AppContext } from '../context.ts';
import { drawNumbers } from './numbers.ts';
import { kindMap } from './kinds.ts';
import { centreServing } from './centres.ts';
import { emptyFile } from './intake.ts';

// Card case files follow the card workflows without changing them: every card step already writes
// an audit record in its own transaction; this observer, registered on the store, turns the records
// of card actions into the case file's history in that same transaction (opening the file at the
// order, a declaration, a return), attaches the documents the step produced as the file's pieces,
// and marks the file processed when the card reaches the end of that story.

type Db = Kysely<Database> | Transaction<Database>;
type Family = 'card_order' | 'card_incident' | 'card_return';

/** French labels of the card steps shown in a case file's timeline. */
export const CARD_STEP_LABELS: Record<string, string> = {
  'cardRequest.create': 'Demande de carte saisie',
  'cardRequest.update': 'Demande modifiée',
  'cardRequest.recheck': 'Prérequis vérifiés de nouveau',
  'cardRequest.sign': 'Demande signée par l’opérateur',
  'cardRequest.cancel': 'Demande annulée',
  'batch.create': 'Demande placée dans un lot',
  'batch.validate': 'Lot validé par l’autorité d’enregistrement',
  'batch.send': 'Commande envoyée au fabricant',
  'batch.acknowledge': 'Commande acquittée par le fabricant',
  'card_request.reject': 'Demande rejetée par le fabricant',
  'card.produce': 'Carte fabriquée',
  'card.ship': 'Carte expédiée',
  'card.receive': 'Carte reçue par l’opérateur',
  'card.resend-code': 'Code d’activation renvoyé',
  'card.identity-copy': 'Copie de la pièce d’identité jointe',
  'card.handover': 'Carte remise en face à face',
  'card.invalidate': 'Carte invalidée',
  'card.refuse-certificates': 'Certificats refusés par le porteur',
  'card.activation-code': 'Code d’activation saisi',
  'card.activate': 'Carte activée (attestation de remise)',
  'card.finalize': 'Activation finalisée (paraphe)',
  'card.declare-loss': 'Perte déclarée par le porteur',
  'card.declare-theft': 'Vol déclaré par le porteur',
  'card.declare-temporary-loss': 'Perte temporaire déclarée par le porteur',
  'card.suspension-escalate': 'Perte temporaire non levée : carte révoquée',
  'card.resume': 'Carte retrouvée : suspension levée',
  'card.revoke': 'Carte révoquée',
  'card.departure': 'Départ de l’agent',
  'card.return': 'Carte restituée',
  'card.destroy': 'Carte détruite (procès-verbal)',
};

const BATCH_ACTIONS = new Set(['batch.create', 'batch.validate', 'batch.send', 'batch.acknowledge']);
const REQUEST_ACTIONS = new Set([
  'cardRequest.create',
  'cardRequest.update',
  'cardRequest.recheck',
  'cardRequest.sign',
  'cardRequest.cancel',
  'card_request.reject',
]);
const ORDER_CARD_ACTIONS = new Set([
  'card.produce',
  'card.ship',
  'card.receive',
  'card.resend-code',
  'card.identity-copy',
  'card.handover',
  'card.invalidate',
  'card.refuse-certificates',
  'card.activation-code',
  'card.activate',
  'card.finalize',
]);
const INCIDENT_OPENERS = new Set(['card.declare-loss', 'card.declare-theft', 'card.declare-temporary-loss']);
const INCIDENT_CLOSERS = new Set(['card.resume', 'card.suspension-escalate']);
const RETURN_ACTIONS = new Set(['card.departure', 'card.return', 'card.destroy']);
const LOSS_REASONS = /perte|vol/i;

/** States where an order's story ends (the file can be self-checked and archived). */
const ORDER_END: readonly CardState[] = ['active', 'invalidated', 'revoked', 'destroyed', 'expired'];

interface Subject {
  agentId: string;
  personName: string;
  identifier: string;
  orgId: string;
  orgPath: string;
  orgCode: string;
}

interface OpenFile {
  id: string;
  status: string;
  centre_id: string;
  office_id: string | null;
}

export function caseFileTracker(ctx: AppContext): AuditObserver {
  return async (trx, entries) => {
    const relevant = entries.filter((e) => e.action in CARD_STEP_LABELS);
    if (!relevant.length) return;
    const kinds = await kindMap(trx);
    const tracker = new Tracker(ctx, trx, kinds);
    for (const e of relevant) await tracker.apply(e);
    await tracker.flush();
  };
}

class Tracker {
  private events: {
    case_file_id: string;
    at: string;
    type: string;
    actor_id: string | null;
    office_id: string | null;
    data: string;
  }[] = [];
  private readonly ctx: AppContext;
  private readonly db: Db;
  private readonly kinds: Map<string, CaseKindDefinition>;

  constructor(ctx: AppContext, db: Db, kinds: Map<string, CaseKindDefinition>) {
    this.ctx = ctx;
    this.db = db;
    this.kinds = kinds;
  }

  async apply(e: AuditEntry): Promise<void> {
    if (BATCH_ACTIONS.has(e.action)) {
      const files = await this.db
        .selectFrom('case_files as f')
        .innerJoin('card_requests as r', 'r.id', 'f.card_request_id')
        .select(['f.id', 'f.status', 'f.centre_id', 'f.office_id'])
        .where('r.batch_id', '=', e.targetId ?? '-')
        .where('f.kind_code', '=', 'card_order')
        .execute();
      for (const f of files) this.event(f, e);
      return;
    }
    if (REQUEST_ACTIONS.has(e.action)) {
      const requestId = e.targetId ?? '-';
      let file = await this.fileBy('card_request_id', requestId, 'card_order');
      if (!file && e.action === 'cardRequest.create') file = await this.openForRequest(requestId, e);
      if (!file) return;
      this.event(file, e);
      if (e.action === 'cardRequest.cancel') await this.finish(file, 'Demande annulée', e);
      if (e.action === 'card_request.reject') await this.finish(file, 'Demande rejetée par le fabricant', e);
      return;
    }
    if (e.targetType !== 'card' || !e.targetId) return;
    const cardId = e.targetId;
    if (ORDER_CARD_ACTIONS.has(e.action)) {
      const file = await this.orderFileOfCard(cardId, e);
      if (!file) return;
      this.event(file, e);
      if (e.action === 'card.identity-copy')
        await this.attachCardDocument(file, cardId, 'identity_copy', 'identity_copy', e);
      if (e.action === 'card.handover') await this.attachHandover(file, cardId, e);
      if (e.action === 'card.activate') await this.attachCardDocument(file, cardId, 'attestation', 'attestation', e);
      await this.finishOrderIfEnded(file, cardId, e);
      return;
    }
    const summary = (e.summary ?? {}) as Record<string, unknown>;
    if (
      INCIDENT_OPENERS.has(e.action) ||
      (e.action === 'card.revoke' && LOSS_REASONS.test(String(summary['reason'] ?? '')))
    ) {
      const file = await this.openForCard(cardId, 'card_incident', e);
      if (!file) return;
      this.event(file, e);
      const what = [summary['declaration'] ?? summary['reason'], summary['circumstances']].filter(Boolean).join(' — ');
      await this.markPiece(file.id, 'declaration', { note: what || null, by: e.actorId });
      if (summary['policeReportReference'])
        await this.markPiece(file.id, 'police_report', {
          note: `Référence : ${String(summary['policeReportReference'])}`,
          by: e.actorId,
        });
      if (e.action !== 'card.declare-temporary-loss') await this.finish(file, 'Carte révoquée', e);
      await this.noteOnOrder(cardId, e);
      return;
    }
    if (INCIDENT_CLOSERS.has(e.action)) {
      const file = await this.fileBy('card_id', cardId, 'card_incident');
      if (!file) return;
      this.event(file, e);
      await this.finish(file, e.action === 'card.resume' ? 'Carte retrouvée, réactivée' : 'Carte révoquée', e);
      return;
    }
    if (RETURN_ACTIONS.has(e.action)) {
      const file = await this.openForCard(cardId, 'card_return', e);
      if (!file) return;
      this.event(file, e);
      if (e.action === 'card.return')
        await this.markPiece(file.id, 'return_record', { note: 'Carte restituée par le porteur', by: e.actorId });
      if (e.action === 'card.destroy') {
        await this.attachCardDocument(file, cardId, 'destruction_record', 'destruction_record', e);
        await this.finish(file, 'Carte détruite', e);
      }
      await this.noteOnOrder(cardId, e);
      return;
    }
    if (e.action === 'card.revoke') await this.noteOnOrder(cardId, e);
  }

  async flush(): Promise<void> {
    for (let i = 0; i < this.events.length; i += 400)
      await this.db
        .insertInto('case_file_events')
        .values(this.events.slice(i, i + 400))
        .execute();
    this.events = [];
  }

  private event(file: OpenFile, e: AuditEntry): void {
    const summary = (e.summary ?? {}) as Record<string, unknown>;
    const after = (summary['after'] ?? {}) as Record<string, unknown>;
    this.events.push({
      case_file_id: file.id,
      at: e.at,
      type: 'card_step',
      actor_id: e.actorId,
      office_id: null,
      data: JSON.stringify({
        action: e.action,
        label: CARD_STEP_LABELS[e.action],
        state: typeof after['state'] === 'string' ? after['state'] : null,
        reason: typeof summary['reason'] === 'string' ? summary['reason'] : null,
      }),
    });
  }

  private async fileBy(
    column: 'card_request_id' | 'card_id',
    value: string,
    kind: Family,
  ): Promise<OpenFile | undefined> {
    return this.db
      .selectFrom('case_files')
      .select(['id', 'status', 'centre_id', 'office_id'])
      .where(column, '=', value)
      .where('kind_code', '=', kind)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
  }

  private async subjectOfAgent(agentId: string): Promise<Subject | undefined> {
    const row = await this.db
      .selectFrom('agents as a')
      .innerJoin('organizations as o', 'o.id', 'a.organization_id')
      .select(['a.id', 'a.first_names', 'a.last_name', 'a.identifier', 'o.id as org_id', 'o.path', 'o.code'])
      .where('a.id', '=', agentId)
      .executeTakeFirst();
    return row
      ? {
          agentId: row.id,
          personName: `${row.first_names} ${row.last_name}`,
          identifier: row.identifier,
          orgId: row.org_id,
          orgPath: row.path,
          orgCode: row.code,
        }
      : undefined;
  }

  private async openForRequest(requestId: string, e: AuditEntry): Promise<OpenFile | undefined> {
    const r = await this.db
      .selectFrom('card_requests')
      .select(['agent_id', 'number'])
      .where('id', '=', requestId)
      .executeTakeFirst();
    if (!r) return undefined;
    const subject = await this.subjectOfAgent(r.agent_id);
    if (!subject) return undefined;
    const file = await this.open(
      'card_order',
      subject,
      { cardRequestId: requestId, cardId: null, reference: r.number },
      e,
    );
    if (file) await this.attachPhoto(file, subject.agentId, e);
    return file;
  }

  private async openForCard(cardId: string, kind: Family, e: AuditEntry): Promise<OpenFile | undefined> {
    const open = await this.db
      .selectFrom('case_files')
      .select(['id', 'status', 'centre_id', 'office_id'])
      .where('card_id', '=', cardId)
      .where('kind_code', '=', kind)
      .where('status', 'in', ['routed', 'in_progress', 'deferred'])
      .executeTakeFirst();
    if (open) return open;
    const card = await this.db
      .selectFrom('cards')
      .select(['agent_id', 'serial', 'request_id'])
      .where('id', '=', cardId)
      .executeTakeFirst();
    if (!card) return undefined;
    const subject = await this.subjectOfAgent(card.agent_id);
    if (!subject) return undefined;
    return this.open(kind, subject, { cardRequestId: card.request_id, cardId, reference: `Carte ${card.serial}` }, e);
  }

  /** The order file of a card: found by the card, by its request, or opened for a card made outside an order. */
  private async orderFileOfCard(cardId: string, e: AuditEntry): Promise<OpenFile | undefined> {
    const byCard = await this.fileBy('card_id', cardId, 'card_order');
    if (byCard) return byCard;
    const card = await this.db.selectFrom('cards').select(['request_id']).where('id', '=', cardId).executeTakeFirst();
    if (card?.request_id) {
      const byRequest = await this.fileBy('card_request_id', card.request_id, 'card_order');
      if (byRequest) {
        await this.db
          .updateTable('case_files')
          .set({ card_id: cardId, updated_at: e.at })
          .where('id', '=', byRequest.id)
          .execute();
        return byRequest;
      }
    }
    return this.openForCard(cardId, 'card_order', e);
  }

  private async open(
    kindCode: Family,
    s: Subject,
    refs: { cardRequestId: string | null; cardId: string | null; reference: string },
    e: AuditEntry,
  ): Promise<OpenFile | undefined> {
    const kind = this.kinds.get(kindCode);
    if (!kind?.active) return undefined;
    const served = await centreServing(this.db, s.orgPath);
    if (!served) return undefined;
    const offices = await this.db
      .selectFrom('backoffice_offices')
      .select(['organization_id', 'code'])
      .where('centre_id', '=', served.centreId)
      .where('function', '=', 'processing')
      .execute();
    // Card files are many and automatic: rules, else the kind's first office present (no load count).
    const officeCode = routeFile(kind, s.orgCode, new Map(offices.map((o) => [o.code, 0])));
    const officeId = offices.find((o) => o.code === officeCode)?.organization_id ?? null;
    const year = new Date(e.at).getUTCFullYear();
    const [n] = await drawNumbers(this.db, this.ctx.store, `case_file:${year}`, 1);
    const id = this.ctx.newId();
    const status = officeId ? 'routed' : 'registered';
    await this.db
      .insertInto('case_files')
      .values({
        ...emptyFile(),
        id,
        number: caseFileNumber(year, n!),
        kind_code: kindCode,
        family: 'card',
        centre_id: served.centreId,
        office_id: officeId,
        sending_organization_id: s.orgId,
        delegating_authority_id: null,
        slip_id: null,
        agent_id: s.agentId,
        person_name: s.personName,
        person_identifier: s.identifier,
        unit_reference: refs.reference,
        card_request_id: refs.cardRequestId,
        card_id: refs.cardId,
        status,
        priority: 'normal',
        priority_note: null,
        received_at: e.at,
        registered_at: e.at,
        due_on: dueOn(e.at, kind.targetDays),
        routed_at: officeId ? e.at : null,
        status_changed_at: e.at,
        created_at: e.at,
        updated_at: e.at,
      })
      .execute();
    await this.db
      .insertInto('case_file_pieces')
      .values(
        kind.pieces.map((p) => ({
          id: this.ctx.newId(),
          case_file_id: id,
          code: p.code,
          label: p.label,
          listed: 1,
          state: 'expected',
          note: null,
          file_name: null,
          content_type: null,
          bytes: null,
          size: null,
          sha256: null,
          source_ref: null,
          attached_by: null,
          attached_at: null,
          checked_by: null,
          checked_at: null,
        })),
      )
      .execute();
    const file = { id, status, centre_id: served.centreId, office_id: officeId };
    this.events.push({
      case_file_id: id,
      at: e.at,
      type: 'opened',
      actor_id: e.actorId,
      office_id: officeId,
      data: JSON.stringify({ reference: refs.reference }),
    });
    return file;
  }

  private async markPiece(
    fileId: string,
    code: string,
    p: {
      note?: string | null;
      by: string | null;
      sha256?: string;
      sourceRef?: string;
      fileName?: string;
      contentType?: string;
      size?: number;
    },
  ): Promise<void> {
    await this.db
      .updateTable('case_file_pieces')
      .set({
        state: 'present',
        note: p.note ?? null,
        sha256: p.sha256 ?? null,
        source_ref: p.sourceRef ?? null,
        file_name: p.fileName ?? null,
        content_type: p.contentType ?? null,
        size: p.size ?? null,
        attached_by: p.by,
        attached_at: this.ctx.now().toISOString(),
      })
      .where('case_file_id', '=', fileId)
      .where('code', '=', code)
      .execute();
  }

  private async attachPhoto(file: OpenFile, agentId: string, e: AuditEntry): Promise<void> {
    const photo = await this.db
      .selectFrom('agent_photos')
      .select(['jpeg', 'size'])
      .where('agent_id', '=', agentId)
      .executeTakeFirst();
    if (!photo) return;
    await this.markPiece(file.id, 'photo', {
      by: e.actorId,
      sha256: createHash('sha256').update(photo.jpeg).digest('hex'),
      sourceRef: `agent_photo:${agentId}`,
      fileName: 'photo.jpg',
      contentType: 'image/jpeg',
      size: photo.size,
    });
  }

  private async attachCardDocument(
    file: OpenFile,
    cardId: string,
    docKind: string,
    pieceCode: string,
    e: AuditEntry,
  ): Promise<void> {
    const doc = await this.db
      .selectFrom('card_documents')
      .select(['id', 'sha256', 'file_name', 'content_type', (eb) => eb.fn('length', ['bytes']).as('size')])
      .where('card_id', '=', cardId)
      .where('kind', '=', docKind)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    if (!doc) return;
    await this.markPiece(file.id, pieceCode, {
      by: e.actorId,
      sha256: doc.sha256,
      sourceRef: `card_document:${doc.id}`,
      fileName: doc.file_name,
      contentType: doc.content_type,
      size: Number(doc.size),
    });
  }

  private async attachHandover(file: OpenFile, cardId: string, e: AuditEntry): Promise<void> {
    const h = await this.db.selectFrom('card_handovers').selectAll().where('card_id', '=', cardId).executeTakeFirst();
    if (!h) return;
    await this.markPiece(file.id, 'handover_record', {
      by: e.actorId,
      note: `Remise le ${new Date(h.handed_over_at).toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris' })}, pièce d'identité n° ${h.identity_document_number}`,
      sourceRef: `card_handover:${cardId}`,
    });
  }

  private async finishOrderIfEnded(file: OpenFile, cardId: string, e: AuditEntry): Promise<void> {
    const card = await this.db.selectFrom('cards').select('state').where('id', '=', cardId).executeTakeFirst();
    const state = card?.state as CardState | undefined;
    if (state && ORDER_END.includes(state))
      await this.finish(file, `Carte ${CARD_STATE_LABELS[state].toLowerCase()}`, e);
  }

  /** A revocation or return also ends an order file still open (the card's story stopped there). */
  private async noteOnOrder(cardId: string, e: AuditEntry): Promise<void> {
    const order = await this.fileBy('card_id', cardId, 'card_order');
    if (!order) return;
    this.event(order, e);
    await this.finishOrderIfEnded(order, cardId, e);
  }

  /** The card workflow processed the file: it now waits for the office head's self-control. */
  private async finish(file: OpenFile, outcome: string, e: AuditEntry): Promise<void> {
    if (!['registered', 'routed', 'in_progress', 'deferred'].includes(file.status)) return;
    await this.db
      .updateTable('case_files')
      .set({
        status: 'processed',
        processed_at: e.at,
        processed_by: e.actorId,
        processed_office_id: file.office_id,
        outcome,
        status_changed_at: e.at,
        updated_at: e.at,
      })
      .where('id', '=', file.id)
      .execute();
    file.status = 'processed';
    this.events.push({
      case_file_id: file.id,
      at: e.at,
      type: 'processed',
      actor_id: e.actorId,
      office_id: file.office_id,
      data: JSON.stringify({ outcome }),
    });
  }
}
