// Subject access request (RGPD art. 15): everything the platform holds about an agent, as JSON (the
// complete data, documents included) and as a PDF summary in French. Asked by the agent for
// themselves, or by an administrator / the registration authority in scope; audited either way.
import { PDFDocument, StandardFonts, rgb, type PDFFont, type PDFPage } from 'pdf-lib';
import { actorId, authorize } from '../access/authorize.ts';
import { appendAudit } from '../../store/audit.ts';
import { AppError, notFound } from '../errors.ts';
import type { Actor, AppContext } from '../context.ts';
import { CARD_STATE_LABELS, isCardState } from '../../domain/card-lifecycle.ts';

export interface PersonalDataExport {
  format: 'cartes-agents-donnees-personnelles';
  version: 1;
  exportedAt: string;
  agent: Record<string, unknown>;
  organization: { id: string; code: string; name: string } | null;
  photo: { width: number; height: number; size: number; uploadedAt: string; jpegBase64: string } | null;
  roles: Record<string, unknown>[];
  cards: Record<string, unknown>[];
  certificates: Record<string, unknown>[];
  requests: Record<string, unknown>[];
  billing: Record<string, unknown>[];
  allocationPlan: Record<string, unknown>[];
  secrets: { defined: boolean; questions: string[]; definedAt: string | null; updatedAt: string | null };
  mails: Record<string, unknown>[];
  auditRecords: Record<string, unknown>[];
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** Who may have the export: the agent, or an admin / registration authority covering the agent. */
async function authorizeExport(ctx: AppContext, actor: Actor, agentId: string, organizationId: string) {
  if (actor.kind === 'person' && actor.agentId === agentId)
    return { actorId: actor.agentId, role: 'holder', organizationId };
  return authorize(ctx, actor, 'personalData.export', organizationId, { type: 'agent', id: agentId });
}

export async function exportPersonalData(ctx: AppContext, actor: Actor, agentId: string): Promise<PersonalDataExport> {
  const db = ctx.store.db;
  const agent = await db.selectFrom('agents').selectAll().where('id', '=', agentId).executeTakeFirst();
  if (!agent) throw notFound('Agent introuvable.');
  if (agent.status === 'purged')
    throw new AppError('not_found', 'Les données de cet agent ont été effacées (durée de conservation échue).');
  const auth = await authorizeExport(ctx, actor, agentId, agent.organization_id);
  const organization =
    (await db
      .selectFrom('organizations')
      .select(['id', 'code', 'name'])
      .where('id', '=', agent.organization_id)
      .executeTakeFirst()) ?? null;
  const photo = await db.selectFrom('agent_photos').selectAll().where('agent_id', '=', agentId).executeTakeFirst();
  const roles = await db
    .selectFrom('role_assignments as r')
    .innerJoin('organizations as o', 'o.id', 'r.organization_id')
    .select(['r.role', 'o.name as organization', 'r.granted_at', 'r.revoked_at'])
    .where('r.agent_id', '=', agentId)
    .execute();
  const cardRows = await db
    .selectFrom('cards as c')
    .innerJoin('card_models as m', 'm.id', 'c.model_id')
    .select([
      'c.id',
      'c.serial',
      'm.label as model',
      'c.state',
      'c.state_changed_at',
      'c.letter_state',
      'c.letter_sent_at',
      'c.produced_at',
      'c.shipped_at',
      'c.received_at',
      'c.expires_at',
      'c.created_at',
    ])
    .where('c.agent_id', '=', agentId)
    .orderBy('c.created_at')
    .execute();
  const cards: Record<string, unknown>[] = [];
  for (const c of cardRows) {
    const [handover, activation, documents] = await Promise.all([
      db.selectFrom('card_handovers').selectAll().where('card_id', '=', c.id).executeTakeFirst(),
      db.selectFrom('card_activations').selectAll().where('card_id', '=', c.id).executeTakeFirst(),
      db.selectFrom('card_documents').selectAll().where('card_id', '=', c.id).orderBy('created_at').execute(),
    ]);
    cards.push({
      ...c,
      handover: handover ?? null,
      activation: activation ?? null,
      documents: documents.map((d) => ({
        kind: d.kind,
        fileName: d.file_name,
        contentType: d.content_type,
        size: d.bytes.length,
        sha256: d.sha256,
        createdAt: d.created_at,
        base64: b64(d.bytes),
      })),
    });
  }
  const certificates = (
    await db
      .selectFrom('certificates as c')
      .innerJoin('certification_authorities as a', 'a.id', 'c.ca_id')
      .select([
        'c.serial',
        'c.profile',
        'a.name as ca',
        'c.subject_dn',
        'c.status',
        'c.not_before',
        'c.not_after',
        'c.revoked_at',
        'c.revocation_reason',
        'c.card_id',
        'c.der',
      ])
      .where('c.agent_id', '=', agentId)
      .orderBy('c.not_before')
      .execute()
  ).map(({ der, ...c }) => ({ ...c, derBase64: b64(der) }));
  const requests = await db
    .selectFrom('card_requests')
    .select(['number', 'kind', 'reason', 'state', 'billing', 'price_cents', 'created_at', 'updated_at'])
    .where('agent_id', '=', agentId)
    .orderBy('created_at')
    .execute();
  const billing = await db
    .selectFrom('billing_entries')
    .select(['label', 'amount_cents', 'created_at'])
    .where('agent_id', '=', agentId)
    .execute();
  const allocationPlan = await db
    .selectFrom('allocation_plan_entries')
    .select(['year', 'reason', 'created_at'])
    .where('agent_id', '=', agentId)
    .execute();
  const secrets = await db.selectFrom('holder_secrets').selectAll().where('agent_id', '=', agentId).executeTakeFirst();
  const mails = agent.email
    ? await db
        .selectFrom('mails')
        .select(['recipient', 'subject', 'body', 'status', 'created_at', 'sent_at'])
        .where('recipient', '=', agent.email)
        .orderBy('created_at')
        .limit(5000)
        .execute()
    : [];
  const targets = [agentId, ...cardRows.map((c) => c.id), ...certificates.map((c) => c.serial)];
  const auditRecords = await db
    .selectFrom('audit_log')
    .select(['seq', 'at', 'action', 'outcome', 'actor_role', 'target_type', 'target_id', 'summary'])
    .where((eb) => eb.or([eb('target_id', 'in', targets), eb('actor_id', '=', agentId)]))
    .orderBy('seq')
    .limit(5000)
    .execute();
  const { search_text: _search, feed_fingerprint: _fp, ...agentFields } = agent;
  const exported: PersonalDataExport = {
    format: 'cartes-agents-donnees-personnelles',
    version: 1,
    exportedAt: ctx.now().toISOString(),
    agent: agentFields,
    organization,
    photo: photo
      ? {
          width: photo.width,
          height: photo.height,
          size: photo.size,
          uploadedAt: photo.uploaded_at,
          jpegBase64: b64(photo.jpeg),
        }
      : null,
    roles,
    cards,
    certificates,
    requests,
    billing,
    allocationPlan,
    secrets: {
      // The answers and the personal code are kept only as Argon2id hashes: never exported.
      defined: !!secrets,
      questions: secrets ? (JSON.parse(secrets.answers) as { question: string }[]).map((a) => a.question) : [],
      definedAt: secrets?.created_at ?? null,
      updatedAt: secrets?.updated_at ?? null,
    },
    mails,
    auditRecords: auditRecords.map((r) => ({ ...r, summary: JSON.parse(r.summary) as unknown })),
  };
  await ctx.store.db.transaction().execute(async (trx) => {
    await appendAudit(trx, ctx.store, {
      at: exported.exportedAt,
      actorId: auth.actorId ?? actorId(actor),
      actorRole: auth.role,
      organizationId: agent.organization_id,
      action: 'personalData.export',
      outcome: 'ok',
      targetType: 'agent',
      targetId: agentId,
      requestId: actor.requestId,
      summary: { cards: cards.length, certificates: certificates.length, auditRecords: auditRecords.length },
    });
  });
  return exported;
}

// Standard PDF fonts speak WinAnsi only.
const winAnsi = (s: string) =>
  s.replace(/[\u202f\u00a0]/g, ' ').replace(/[^\n\u0020-\u00ff\u2019\u2018\u201c\u201d\u2013\u2014\u2022\u20ac]/g, '?');
const frDate = (iso: unknown) =>
  typeof iso === 'string' && iso ? new Date(iso).toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris' }) : '—';

/** The export as a PDF in French: a readable summary, the JSON being the complete answer. */
export async function personalDataPdf(e: PersonalDataExport): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const a = e.agent;
  doc.setTitle(`Données personnelles de ${String(a['first_names'])} ${String(a['last_name'])}`);
  doc.setLanguage('fr-FR');
  doc.setProducer('Cartes Agents');
  const regular = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const color = rgb(0.1, 0.1, 0.15);
  let page: PDFPage = doc.addPage([595.28, 841.89]);
  let y = 790;
  const write = (text: string, opts: { size?: number; font?: PDFFont; gap?: number; x?: number } = {}) => {
    const size = opts.size ?? 10;
    const font = opts.font ?? regular;
    const x = opts.x ?? 60;
    const words = winAnsi(text).split(/\s+/);
    let line = '';
    const lines: string[] = [];
    for (const w of words) {
      const next = line ? `${line} ${w}` : w;
      if (font.widthOfTextAtSize(next, size) > 535 - x && line) {
        lines.push(line);
        line = w;
      } else line = next;
    }
    if (line) lines.push(line);
    for (const l of lines) {
      if (y < 60) {
        page = doc.addPage([595.28, 841.89]);
        y = 790;
      }
      page.drawText(l, { x, y, size, font, color });
      y -= size + 4;
    }
    y -= opts.gap ?? 4;
  };
  const heading = (t: string) => write(t, { font: bold, size: 12, gap: 6 });
  write('Données personnelles détenues par Cartes Agents', { font: bold, size: 16, gap: 4 });
  write(`Export du ${frDate(e.exportedAt)} (droit d’accès, article 15 du RGPD).`, { gap: 12 });
  heading('Identité');
  write(`${String(a['first_names'])} ${String(a['last_name'])} — identifiant ${String(a['identifier'])}`);
  write(`Né(e) le ${frDate(a['birth_date'])} à ${String(a['birth_place'])} ; sexe ${String(a['sex'])}`);
  write(`Courriel : ${String(a['email'] ?? '—')} ; téléphone : ${String(a['phone'] ?? '—')}`);
  write(`Adresse de l’unité : ${String(a['unit_address'] ?? '—')}`);
  write(
    `Organisation : ${e.organization?.name ?? '—'} ; statut : ${String(a['staff_status'])} ; profil : ${String(a['profile'] ?? '—')}`,
  );
  write(
    `Photo : ${e.photo ? `oui (${e.photo.width} × ${e.photo.height}, déposée le ${frDate(e.photo.uploadedAt)})` : 'non'}`,
    {
      gap: 10,
    },
  );
  heading(`Cartes (${e.cards.length})`);
  for (const c of e.cards) {
    const state = String(c['state']);
    write(
      `Carte n° ${String(c['serial'])} — ${String(c['model'])} — ${isCardState(state) ? CARD_STATE_LABELS[state] : state} depuis le ${frDate(c['state_changed_at'])} ; documents : ${(c['documents'] as unknown[]).length}`,
      { x: 75, size: 9 },
    );
  }
  y -= 6;
  heading(`Certificats (${e.certificates.length})`);
  for (const c of e.certificates)
    write(
      `${String(c['profile']).toUpperCase()} n° ${String(c['serial'])} — ${String(c['status'])} — du ${frDate(c['not_before'])} au ${frDate(c['not_after'])}`,
      { x: 75, size: 9 },
    );
  y -= 6;
  heading(`Demandes de carte (${e.requests.length})`);
  for (const r of e.requests)
    write(
      `Demande n° ${String(r['number'])} — ${String(r['kind'])} — ${String(r['state'])} — ${frDate(r['created_at'])}`,
      {
        x: 75,
        size: 9,
      },
    );
  y -= 6;
  heading('Autres données');
  write(
    `Rôles : ${e.roles.length} ; facturation : ${e.billing.length} ligne(s) ; plan de dotation : ${e.allocationPlan.length}`,
  );
  write(
    `Code personnel et questions secrètes : ${e.secrets.defined ? `définis le ${frDate(e.secrets.definedAt)} (réponses conservées sous forme d’empreintes, jamais en clair)` : 'non définis'}`,
  );
  write(
    `Courriels envoyés : ${e.mails.length} ; enregistrements du journal d’audit vous concernant : ${e.auditRecords.length}`,
  );
  y -= 10;
  write(
    'Le fichier JSON joint à cet export contient le détail complet (documents et photo inclus). Durées de conservation : enregistrements d’audit et de certificats 7 ans après la fin de la dernière carte ; copies de pièces d’identité selon la même durée ; photo jusqu’à 12 mois après la fabrication de la dernière carte (paramétrables).',
    { size: 9 },
  );
  return doc.save();
}
