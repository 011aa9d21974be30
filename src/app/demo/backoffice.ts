import { createHash } from 'node:crypto';
import type { CaseFileTable } from '../../store/schema.ts';
import { appendAudit } from '../../store/audit.ts';
import { caseFileNumber, dueOn, euros, slipNumber } from '../../domain/case-file.ts';
import type { CaseKindDefinition } from '../../domain/case-kinds.ts';
import { returnLetterPdf } from '../../notify/backoffice-pdf.ts';
import { systemActor, type AppContext } from '../context.ts';
import { assignRole, createOrganization } from '../directory/organizations.ts';
import { createAgent } from '../directory/agents.ts';
import { createCentre } from '../backoffice/centres.ts';
import { loadCentre } from '../backoffice/access.ts';
import { kindMap } from '../backoffice/kinds.ts';
import { emptyFile } from '../backoffice/intake.ts';
import { prng } from '../../domain/prng.ts';

// Demonstration of the back office (seed 003): the Navy's travel-expense centre (CAMID) with its
// offices and staff, the units that send it files, and a year of deterministic activity: a few
// thousand files of both families across twelve months, most archived, some returned, some still
// open for more than thirty days, so that every page and report shows something on first start.

const UNITS = [
  { code: 'MARINE', kind: 'directorate', name: 'Marine nationale', parent: 'MINARM' },
  {
    code: 'CECLANT',
    kind: 'directorate',
    name: 'Commandement de la zone maritime Atlantique',
    parent: 'MARINE',
    city: 'Brest',
    postalCode: '29200',
    addressLine: 'Château de Brest',
  },
  {
    code: 'FREMM-AQUITAINE',
    kind: 'unit',
    name: 'Frégate multi-missions Aquitaine',
    parent: 'CECLANT',
    city: 'Brest Armées',
    postalCode: '29240',
    addressLine: 'Base navale, BP 61',
  },
  {
    code: 'ECOLE-NAVALE',
    kind: 'unit',
    name: 'École navale',
    parent: 'MARINE',
    city: 'Lanvéoc',
    postalCode: '29240',
    addressLine: 'BCRM de Brest, École navale',
  },
  {
    code: 'BAN-LANDIVISIAU',
    kind: 'unit',
    name: "Base d'aéronautique navale de Landivisiau",
    parent: 'CECLANT',
    city: 'Landivisiau',
    postalCode: '29400',
    addressLine: 'BAN Landivisiau',
  },
  {
    code: 'GFM-BREST',
    kind: 'unit',
    name: 'Groupement de fusiliers marins de Brest',
    parent: 'CECLANT',
    city: 'Brest',
    postalCode: '29200',
    addressLine: 'Quartier Bouvet',
  },
] as const;

export const DEMO_CENTRE_CODE = 'CAMID';

interface StaffMember {
  identifier: string;
  lastName: string;
  firstNames: string;
  sex: 'M' | 'F';
  birthDate: string;
  office: string | null; // null = the centre itself
  roles: string[];
}

/** The centre's staff (demonstration accounts, sign-in by link). */
export const DEMO_STAFF: StaffMember[] = [
  {
    identifier: 'prigent.y.camid',
    lastName: 'PRIGENT',
    firstNames: 'Yves',
    sex: 'M',
    birthDate: '1972-02-11',
    office: null,
    roles: ['centre_head'],
  },
  {
    identifier: 'morvan.g.camid',
    lastName: 'MORVAN',
    firstNames: 'Gwenaëlle',
    sex: 'F',
    birthDate: '1986-09-03',
    office: 'BL',
    roles: ['liaison_agent'],
  },
  {
    identifier: 'guillou.r.camid',
    lastName: 'GUILLOU',
    firstNames: 'Ronan',
    sex: 'M',
    birthDate: '1991-05-22',
    office: 'BL',
    roles: ['liaison_agent'],
  },
  {
    identifier: 'lebihan.s.camid',
    lastName: 'LE BIHAN',
    firstNames: 'Solenn',
    sex: 'F',
    birthDate: '1989-12-01',
    office: 'BT1',
    roles: ['processing_agent'],
  },
  {
    identifier: 'quere.h.camid',
    lastName: 'QUÉRÉ',
    firstNames: 'Hervé',
    sex: 'M',
    birthDate: '1974-07-19',
    office: 'BT1',
    roles: ['office_head'],
  },
  {
    identifier: 'cadiou.a.camid',
    lastName: 'CADIOU',
    firstNames: 'Anne',
    sex: 'F',
    birthDate: '1983-03-08',
    office: 'BT2',
    roles: ['processing_agent'],
  },
  {
    identifier: 'jaouen.p.camid',
    lastName: 'JAOUEN',
    firstNames: 'Pierre',
    sex: 'M',
    birthDate: '1970-10-30',
    office: 'BT2',
    roles: ['office_head'],
  },
  {
    identifier: 'riou.m.camid',
    lastName: 'RIOU',
    firstNames: 'Marie',
    sex: 'F',
    birthDate: '1980-01-15',
    office: 'BC',
    roles: ['processing_agent', 'office_head'],
  },
  {
    identifier: 'salaun.j.camid',
    lastName: 'SALAÜN',
    firstNames: 'Jacques',
    sex: 'M',
    birthDate: '1968-06-25',
    office: 'BOM',
    roles: ['bom_controller'],
  },
  {
    identifier: 'kerjean.c.camid',
    lastName: 'KERJEAN',
    firstNames: 'Catherine',
    sex: 'F',
    birthDate: '1977-04-14',
    office: 'BOM',
    // The head of the « organisation et méthodes » office: the first visa of the control sheets.
    roles: ['office_head'],
  },
];

/** The centre, its offices, the sending units and the staff. Loading twice changes nothing. */
export async function loadDemoCentre(ctx: AppContext): Promise<{ created: number }> {
  const actor = systemActor('demo');
  const db = ctx.store.db;
  let created = 0;
  const orgId = async (code: string) =>
    (await db.selectFrom('organizations').select('id').where('code', '=', code).executeTakeFirst())?.id;
  for (const u of UNITS) {
    if (await orgId(u.code)) continue;
    const { parent, ...fields } = u;
    await createOrganization(ctx, actor, { ...fields, parentId: (await orgId(parent))! });
    created++;
  }
  let centreId = await orgId(DEMO_CENTRE_CODE);
  if (!centreId) {
    const centre = await createCentre(ctx, actor, {
      code: DEMO_CENTRE_CODE,
      name: "Centre d'administration marine des indemnités de déplacement",
      parentId: (await orgId('SCA'))!,
      // In the demonstration the one centre also follows every card file of the platform.
      servesOrganizationId: (await orgId('ANTS'))!,
      addressLine: 'SERVAFIM, rue du Commandant Malbert',
      postalCode: '29240',
      city: 'Brest Cedex 9',
      offices: [
        { code: 'BL', name: 'Bureau de liaison', function: 'liaison', email: 'bureau-liaison.camid@intradef.gouv.fr' },
        {
          code: 'BT1',
          name: 'Bureau des déplacements temporaires',
          function: 'processing',
          email: 'bt1.camid@intradef.gouv.fr',
        },
        { code: 'BT2', name: 'Bureau des mutations', function: 'processing', email: 'bt2.camid@intradef.gouv.fr' },
        {
          code: 'BC',
          name: 'Bureau des dossiers de cartes',
          function: 'processing',
          email: 'cartes.camid@intradef.gouv.fr',
        },
        {
          code: 'BOM',
          name: 'Bureau « organisation et méthodes »',
          function: 'methods',
          email: 'bom.camid@intradef.gouv.fr',
        },
      ],
    });
    centreId = centre.id;
    created++;
  }
  const centre = await loadCentre(db, centreId);
  for (const s of DEMO_STAFF) {
    if (await db.selectFrom('agents').select('id').where('identifier', '=', s.identifier).executeTakeFirst()) continue;
    const office = s.office ? centre.offices.find((o) => o.code === s.office)! : null;
    const agent = await createAgent(ctx, actor, {
      organizationId: office?.id ?? centre.id,
      identifier: s.identifier,
      identifierKind: 'internal',
      lastName: s.lastName,
      firstNames: s.firstNames,
      sex: s.sex,
      birthDate: s.birthDate,
      birthPlace: 'Brest',
      email: `${s.identifier.replace(/\.camid$/, '')}@def.gouv.fr`,
      staffStatus: 'civil',
      profile: 'Personnel du CAMID',
      habilitations: [],
    });
    for (const role of s.roles)
      await assignRole(ctx, actor, { agentId: agent.id, role, organizationId: office?.id ?? centre.id });
    created++;
  }
  return { created };
}

// ---------------------------------------------------------------------------------------------
// A year of activity

const LAST = [
  'LE GALL',
  'KERBRAT',
  'LE GOFF',
  'TANGUY',
  'LE ROUX',
  'MORVAN',
  'GUÉGUEN',
  'LE MEUR',
  'CORRE',
  'LE BRAS',
  'NICOLAS',
  'HAMON',
  'PERON',
  'LE FLOC’H',
  'BERTHOU',
  'ABGRALL',
  'CABON',
  'KERVELLA',
  'PRIGENT',
  'LE BORGNE',
  'MADEC',
  'OLLIVIER',
  'SALIOU',
  'TREGUER',
  'DUPONT',
  'N’DIAYE',
  'MARTIN',
  'BERNARD',
  'DURAND',
  'PETIT',
];
const FIRST = [
  'Yann',
  'Maëlle',
  'Erwan',
  'Nolwenn',
  'Loïc',
  'Gwenola',
  'Tanguy',
  'Soizic',
  'Ronan',
  'Katell',
  'Kévin',
  'Anaïs',
  'Mathieu',
  'Léa',
  'Julien',
  'Camille',
  'Thomas',
  'Élodie',
  'Nicolas',
  'Marine',
  'Jean-Yves',
  'Marie-Anne',
];

const DAY = 86_400_000;

interface Plan {
  file: CaseFileTable;
  kind: CaseKindDefinition;
  slipIndex: number | null;
  events: { at: string; type: string; actor: string | null; office: string | null; data: Record<string, unknown> }[];
  returnedReasons: string[] | null;
  missingPiece: string | null;
}

/**
 * About 3,600 files over the last twelve months (roughly 3,000 sent by units with their slips, 600
 * card files), with their pieces, checks, timelines, return letters, archive entries, and the
 * monthly ageing reports of the past months. Loading twice changes nothing.
 */
export async function loadDemoActivity(ctx: AppContext): Promise<{ created: number }> {
  const db = ctx.store.db;
  const centreRow = await db
    .selectFrom('organizations')
    .select('id')
    .where('code', '=', DEMO_CENTRE_CODE)
    .executeTakeFirst();
  if (!centreRow) return { created: 0 };
  const already = await db
    .selectFrom('transmittal_slips')
    .select('id')
    .where('centre_id', '=', centreRow.id)
    .executeTakeFirst();
  if (already) return { created: 0 };
  const centre = await loadCentre(db, centreRow.id);
  const kinds = await kindMap(db);
  const staff = new Map(
    (
      await db
        .selectFrom('agents')
        .select(['id', 'identifier'])
        .where(
          'identifier',
          'in',
          DEMO_STAFF.map((s) => s.identifier),
        )
        .execute()
    ).map((a) => [a.identifier, a.id]),
  );
  const units = await db
    .selectFrom('organizations')
    .select(['id', 'code', 'name', 'address_line', 'postal_code', 'city'])
    .where('code', 'in', ['FREMM-AQUITAINE', 'ECOLE-NAVALE', 'BAN-LANDIVISIAU', 'GFM-BREST', 'BN-BREST'])
    .execute();
  const authority = (
    await db.selectFrom('organizations').select('id').where('code', '=', 'CECLANT').executeTakeFirstOrThrow()
  ).id;
  const cardUnits = await db
    .selectFrom('organizations')
    .select(['id', 'code'])
    .where('code', 'in', ['BN-BREST', '77011', 'PREF77', 'SCA'])
    .execute();
  const office = (code: string) => centre.offices.find((o) => o.code === code)!;
  const liaison = office('BL');
  const now = ctx.now();
  const today0 = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const rand = prng(20030724); // the circular's date
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const iso = (ms: number) => new Date(ms).toISOString();
  const liaisonAgents = [staff.get('morvan.g.camid')!, staff.get('guillou.r.camid')!];
  const agentsOf: Record<string, string> = {
    BT1: staff.get('lebihan.s.camid')!,
    BT2: staff.get('cadiou.a.camid')!,
    BC: staff.get('riou.m.camid')!,
  };
  const headsOf: Record<string, string> = {
    BT1: staff.get('quere.h.camid')!,
    BT2: staff.get('jaouen.p.camid')!,
    BC: staff.get('riou.m.camid')!,
  };
  const plans: Plan[] = [];
  const slips: { id: string; unit: (typeof units)[number]; at: number; number: string; reference: string }[] = [];
  const counters = new Map<number, number>();
  const nextNumber = (year: number) => {
    const n = (counters.get(year) ?? 0) + 1;
    counters.set(year, n);
    return n;
  };
  const slipCounters = new Map<number, number>();

  // Unit files: about two slips a working day, 1 to 8 files each, over 365 days.
  for (let d = 365; d >= 1; d--) {
    const dayMs = today0 - d * DAY;
    const weekday = new Date(dayMs).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    const slipsToday = 1 + Math.floor(rand() * 3);
    for (let s = 0; s < slipsToday; s++) {
      const unit = pick(units);
      const at = dayMs + (8 + Math.floor(rand() * 8)) * 3_600_000 + Math.floor(rand() * 3_600_000);
      const year = new Date(at).getUTCFullYear();
      const sn = (slipCounters.get(year) ?? 0) + 1;
      slipCounters.set(year, sn);
      const slip = {
        id: ctx.newId(),
        unit,
        at,
        number: slipNumber(year, sn),
        reference: `${unit.code}/${String(sn).padStart(4, '0')}`,
      };
      slips.push(slip);
      const files = 1 + Math.floor(rand() * 8);
      for (let i = 0; i < files; i++) plans.push(planUnitFile(slips.length - 1, slip.at, unit.id));
    }
  }
  // Card files: a couple a working day, ended by the card workflows, then self-checked and archived.
  for (let d = 365; d >= 1; d--) {
    const dayMs = today0 - d * DAY;
    const weekday = new Date(dayMs).getUTCDay();
    if (weekday === 0 || weekday === 6 || rand() < 0.15) continue;
    const n = 1 + Math.floor(rand() * 3);
    for (let i = 0; i < n; i++) plans.push(planCardFile(dayMs + (9 + Math.floor(rand() * 7)) * 3_600_000));
  }

  function planUnitFile(slipIndex: number, receivedMs: number, unitId: string): Plan {
    const r = rand();
    const kind = kinds.get(r < 0.55 ? 'fd_mission' : r < 0.8 ? 'fd_stage' : 'fd_mutation')!;
    const off = kind.offices[0]!;
    const year = new Date(receivedMs).getUTCFullYear();
    const received = iso(receivedMs);
    const ageDays = (today0 - receivedMs) / DAY;
    const liaisonAgent = pick(liaisonAgents);
    const person = `${pick(FIRST)} ${pick(LAST)}`;
    const file: CaseFileTable = {
      ...emptyFile(),
      id: ctx.newId(),
      number: caseFileNumber(year, nextNumber(year)),
      kind_code: kind.code,
      family: 'unit',
      centre_id: centre.id,
      sending_organization_id: unitId,
      delegating_authority_id: rand() < 0.35 ? authority : unitId,
      slip_id: null,
      person_name: person,
      person_identifier: String(1_100_000_000 + Math.floor(rand() * 800_000_000)),
      unit_reference: `OM-${year}-${String(Math.floor(rand() * 9000) + 1000)}`,
      status: 'received',
      priority: 'normal',
      received_at: received,
      status_changed_at: received,
      created_at: received,
      updated_at: received,
    };
    const plan: Plan = { file, kind, slipIndex, events: [], returnedReasons: null, missingPiece: null };
    const ev = (
      ms: number,
      type: string,
      actor: string | null,
      officeId: string | null,
      data: Record<string, unknown> = {},
    ) => plan.events.push({ at: iso(ms), type, actor, office: officeId, data });
    ev(receivedMs, 'received', liaisonAgent, liaison.id, { unitReference: slips[slipIndex]!.reference });
    let t = receivedMs + (1 + rand() * 20) * 3_600_000;
    // About 6 % cannot be used: returned to the unit with a letter.
    if (rand() < 0.06 && ageDays > 2) {
      const missing = pick(kind.pieces.filter((p) => p.required && !p.byContact));
      plan.missingPiece = missing.code;
      ev(t, 'piece', liaisonAgent, null, {
        code: missing.code,
        label: `${missing.label} : manquante`,
        state: 'missing',
      });
      plan.returnedReasons = [`Pièce manquante : ${missing.label}.`];
      ev(t + 600_000, 'returned', liaisonAgent, liaison.id, { reasons: plan.returnedReasons });
      Object.assign(file, {
        status: 'returned',
        returned_at: iso(t + 600_000),
        return_reasons: JSON.stringify(plan.returnedReasons),
      });
      file.status_changed_at = file.returned_at!;
      return plan;
    }
    if (ageDays < 1.5 && rand() < 0.7) return plan; // still at the desk
    if (rand() < 0.08) {
      const fixable = kind.pieces.find((p) => p.byContact && p.required) ?? kind.pieces.find((p) => p.byContact)!;
      ev(t, 'contact', liaisonAgent, null, {
        label: `Contact par téléphone avec le bureau administratif de la formation`,
        channel: 'phone',
        summary: `${fixable.label} transmis par courriel le jour même.`,
        resolvedPieces: [fixable.code],
      });
      plan.missingPiece = `obtained:${fixable.code}`;
      t += 3_600_000;
    }
    ev(t, 'check', liaisonAgent, null, { label: 'Contrôle d’arrivée du dossier' });
    ev(t, 'registered', liaisonAgent, null);
    const officeRow = office(off);
    ev(t, 'routed', liaisonAgent, officeRow.id, { office: officeRow.name, byHand: false });
    Object.assign(file, {
      status: 'routed',
      registered_at: iso(t),
      due_on: dueOn(iso(t), kind.targetDays),
      office_id: officeRow.id,
      routed_at: iso(t),
    });
    // Processing takes 3 to 40 days; a few files get stuck (the ageing report's population).
    const stuck = rand() < 0.045;
    const span = (3 + rand() * (kind.code === 'fd_mutation' ? 45 : 30)) * DAY;
    const steps: [string, number][] = [
      ['taken', t + span * 0.2],
      ['processed', t + span * 0.7],
      ['self_check', t + span * 0.85],
      ['transferred', t + span * 0.9],
      ['archived', t + span],
    ];
    const agent = agentsOf[off]!;
    const head = headsOf[off]!;
    for (const [type, ms] of steps) {
      if (ms > now.getTime()) break;
      if (stuck && type !== 'taken' && rand() < 0.6) {
        if (type === 'processed' && rand() < 0.5) {
          ev(ms, 'deferred', agent, officeRow.id, {
            reason: 'Ordre de mission en cours de réexamen par l’autorité ayant ordonné le déplacement.',
          });
          Object.assign(file, {
            status: 'deferred',
            deferred_at: iso(ms),
            deferred_reason: 'Ordre de mission en cours de réexamen par l’autorité ayant ordonné le déplacement.',
          });
          if (rand() < 0.7) {
            ev(ms + 7_200_000, 'unit_notified', liaisonAgent, liaison.id, {
              channel: 'phone',
              contactName: 'Bureau administratif',
              label: 'Formation avertie par téléphone (Bureau administratif)',
            });
            file.unit_notified_at = iso(ms + 7_200_000);
          }
        }
        break;
      }
      if (type === 'taken') {
        ev(ms, 'taken', agent, officeRow.id);
        Object.assign(file, { status: 'in_progress', taken_by: agent, taken_at: iso(ms) });
      } else if (type === 'processed') {
        const max = kind.code === 'fd_mutation' ? 600_000 : kind.code === 'fd_stage' ? 250_000 : 150_000;
        const cents = 8_000 + Math.floor(rand() * max);
        const ref = `DEC-${new Date(ms).getUTCFullYear()}-${String(Math.floor(rand() * 900000) + 100000)}`;
        ev(ms, 'processed', agent, officeRow.id, {
          amountCents: cents,
          movementReference: ref,
          label: `Traité : décompte de ${euros(cents)} (${ref})`,
        });
        Object.assign(file, {
          status: 'processed',
          processed_at: iso(ms),
          processed_by: agent,
          processed_office_id: officeRow.id,
          amount_cents: cents,
          movement_reference: ref,
          outcome: `Décompte de ${euros(cents)}`,
        });
      } else if (type === 'self_check') {
        ev(ms, 'self_check', head, officeRow.id, { note: null });
        Object.assign(file, { status: 'checked', self_checked_at: iso(ms), self_checked_by: head });
      } else if (type === 'transferred') {
        const ref = `MVT-${new Date(ms).toISOString().slice(0, 10)}-${off}`;
        ev(ms, 'transferred', agent, officeRow.id, { reference: ref, to: kind.transferTo });
        Object.assign(file, { status: 'transferred', transferred_at: iso(ms), transfer_reference: ref });
      } else {
        ev(ms, 'archived', liaisonAgent, liaison.id, { label: 'Archivé', box: boxOf(ms) });
        Object.assign(file, { status: 'archived', archived_at: iso(ms), office_id: liaison.id });
      }
      file.status_changed_at = plan.events.at(-1)!.at;
    }
    if (stuck && file.status !== 'archived' && rand() < 0.3) {
      file.priority = rand() < 0.5 ? 'absolute' : 'relative';
      file.priority_note = 'Dossier signalé au compte rendu d’exploitation : à traiter en priorité.';
    }
    file.updated_at = plan.events.at(-1)!.at;
    return plan;
  }

  function planCardFile(openMs: number): Plan {
    const r = rand();
    const code = r < 0.75 ? 'card_order' : r < 0.88 ? 'card_incident' : 'card_return';
    const kind = kinds.get(code)!;
    const year = new Date(openMs).getUTCFullYear();
    const bc = office('BC');
    const unit = pick(cardUnits);
    const open = iso(openMs);
    const serial = `12${String(Math.floor(rand() * 1e8)).padStart(8, '0')}`;
    const file: CaseFileTable = {
      ...emptyFile(),
      id: ctx.newId(),
      number: caseFileNumber(year, nextNumber(year)),
      kind_code: code,
      family: 'card',
      centre_id: centre.id,
      office_id: bc.id,
      sending_organization_id: unit.id,
      person_name: `${pick(FIRST)} ${pick(LAST)}`,
      person_identifier: String(1_100_000_000 + Math.floor(rand() * 800_000_000)),
      unit_reference: `Carte ${serial}`,
      status: 'routed',
      priority: 'normal',
      received_at: open,
      registered_at: open,
      due_on: dueOn(open, kind.targetDays),
      routed_at: open,
      status_changed_at: open,
      created_at: open,
      updated_at: open,
    };
    const plan: Plan = { file, kind, slipIndex: null, events: [], returnedReasons: null, missingPiece: null };
    const ev = (
      ms: number,
      type: string,
      data: Record<string, unknown>,
      actor: string | null = 'system:demo',
      officeId: string | null = null,
    ) => plan.events.push({ at: iso(ms), type, actor, office: officeId, data });
    ev(openMs, 'opened', { reference: file.unit_reference }, 'system:demo', bc.id);
    const steps =
      code === 'card_order'
        ? ['cardRequest.sign', 'batch.validate', 'card.ship', 'card.receive', 'card.handover', 'card.activate']
        : code === 'card_incident'
          ? ['card.declare-loss']
          : ['card.return', 'card.destroy'];
    const labels: Record<string, string> = {
      'cardRequest.sign': 'Demande signée par l’opérateur',
      'batch.validate': 'Lot validé par l’autorité d’enregistrement',
      'card.ship': 'Carte expédiée',
      'card.receive': 'Carte reçue par l’opérateur',
      'card.handover': 'Carte remise en face à face',
      'card.activate': 'Carte activée (attestation de remise)',
      'card.declare-loss': 'Perte déclarée par le porteur',
      'card.return': 'Carte restituée',
      'card.destroy': 'Carte détruite (procès-verbal)',
    };
    let t = openMs;
    for (const a of steps) {
      t += (1 + rand() * 6) * DAY;
      if (t > now.getTime()) return plan;
      ev(t, 'card_step', { action: a, label: labels[a] });
    }
    const outcome =
      code === 'card_order' ? 'Carte active' : code === 'card_incident' ? 'Carte révoquée' : 'Carte détruite';
    ev(t, 'processed', { outcome });
    Object.assign(file, {
      status: 'processed',
      processed_at: iso(t),
      processed_by: 'system:demo',
      processed_office_id: bc.id,
      outcome,
    });
    const head = headsOf['BC']!;
    const check = t + (1 + rand() * 10) * DAY;
    if (check < now.getTime() && rand() > 0.03) {
      ev(check, 'self_check', { note: null }, head, bc.id);
      Object.assign(file, { status: 'checked', self_checked_at: iso(check), self_checked_by: head });
      const arch = check + (1 + rand() * 5) * DAY;
      if (arch < now.getTime()) {
        ev(arch, 'archived', { label: 'Archivé', box: boxOf(arch) }, pick(liaisonAgents), liaison.id);
        Object.assign(file, { status: 'archived', archived_at: iso(arch), office_id: liaison.id });
      }
    }
    file.status_changed_at = plan.events.at(-1)!.at;
    file.updated_at = file.status_changed_at;
    return plan;
  }

  function boxOf(ms: number): string {
    const d = new Date(ms);
    return `B-${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
  }

  // Numbers follow whatever the counters already gave (card files opened by the demo's own flows).
  const seq = new Map<number, number>();
  for (const p of plans) {
    const year = Number(p.file.number.slice(4, 8));
    if (!seq.has(year)) seq.set(year, await counterValue(`case_file:${year}`));
    const n = seq.get(year)! + 1;
    seq.set(year, n);
    p.file.number = caseFileNumber(year, n);
  }
  const slipSeq = new Map<number, number>();
  for (const s of slips) {
    const year = new Date(s.at).getUTCFullYear();
    if (!slipSeq.has(year)) slipSeq.set(year, await counterValue(`slip:${year}`));
    const n = slipSeq.get(year)! + 1;
    slipSeq.set(year, n);
    s.number = slipNumber(year, n);
  }
  async function counterValue(name: string): Promise<number> {
    const row = await db.selectFrom('number_counters').select('value').where('name', '=', name).executeTakeFirst();
    return Number(row?.value ?? 0);
  }
  const letters: { fileId: string; pdf: Uint8Array }[] = [];
  const signer = DEMO_STAFF[1]!;
  for (const p of plans.filter((x) => x.returnedReasons)) {
    const slip = slips[p.slipIndex!]!;
    letters.push({
      fileId: p.file.id,
      pdf: await returnLetterPdf({
        centreName: centre.name,
        centreAddress: [centre.addressLine, centre.postalCode, centre.city].filter(Boolean).join(' '),
        liaisonOfficeName: liaison.name,
        unitName: slip.unit.name,
        unitAddress: [slip.unit.address_line, [slip.unit.postal_code, slip.unit.city].filter(Boolean).join(' ')]
          .filter(Boolean)
          .join('\n'),
        contactName: 'Bureau administratif',
        fileNumber: p.file.number,
        kindLabel: p.kind.label,
        personName: p.file.person_name,
        personIdentifier: p.file.person_identifier,
        unitReference: p.file.unit_reference,
        slipNumber: slip.number,
        slipUnitReference: slip.reference,
        slipDate: new Date(slip.at - DAY).toISOString().slice(0, 10),
        receivedAt: p.file.received_at,
        reasons: p.returnedReasons!,
        note: null,
        signedBy: `${signer.firstNames} ${signer.lastName}`,
        date: new Date(p.file.returned_at!),
      }),
    });
  }
  await db.transaction().execute(async (trx) => {
    for (const [name, n] of [
      ...[...seq].map(([y, n]) => [`case_file:${y}`, n] as const),
      ...[...slipSeq].map(([y, n]) => [`slip:${y}`, n] as const),
    ])
      await trx
        .insertInto('number_counters')
        .values({ name, value: n })
        .onConflict((oc) => oc.column('name').doUpdateSet({ value: n }))
        .execute();
    const slipFiles = new Map<number, number>();
    for (const p of plans) if (p.slipIndex !== null) slipFiles.set(p.slipIndex, (slipFiles.get(p.slipIndex) ?? 0) + 1);
    const slipRows = slips.map((s, i) => ({
      id: s.id,
      number: s.number,
      centre_id: centre.id,
      sending_organization_id: s.unit.id,
      unit_reference: s.reference,
      slip_date: new Date(s.at - DAY).toISOString().slice(0, 10),
      received_at: iso(s.at),
      contact_name: 'Bureau administratif',
      contact_phone: '02 98 22 00 00',
      contact_email: null,
      file_count: slipFiles.get(i) ?? 0,
      registered_by: liaisonAgents[0]!,
      created_at: iso(s.at),
    }));
    for (let i = 0; i < slipRows.length; i += 200)
      await trx
        .insertInto('transmittal_slips')
        .values(slipRows.slice(i, i + 200))
        .execute();
    for (const p of plans) if (p.slipIndex !== null) p.file.slip_id = slips[p.slipIndex]!.id;
    for (let i = 0; i < plans.length; i += 100)
      await trx
        .insertInto('case_files')
        .values(plans.slice(i, i + 100).map((p) => p.file))
        .execute();
    const pieces = plans.flatMap((p) =>
      p.kind.pieces
        .filter((d) => d.required || p.file.family === 'card')
        .map((d) => {
          const missing = p.missingPiece === d.code;
          const obtained = p.missingPiece === `obtained:${d.code}`;
          const done = p.file.status !== 'received' || p.file.family === 'card';
          const state = missing ? 'missing' : obtained ? 'obtained' : done ? 'present' : 'expected';
          return {
            id: ctx.newId(),
            case_file_id: p.file.id,
            code: d.code,
            label: d.label,
            listed: 1,
            state: p.file.family === 'card' && p.file.status === 'routed' ? 'expected' : state,
            note: obtained ? 'Obtenue par téléphone auprès du bureau administratif' : null,
            file_name: null,
            content_type: null,
            bytes: null,
            size: null,
            sha256: null, // paper pieces: checked, not digitised
            source_ref: null,
            attached_by: null,
            attached_at: null,
            checked_by: null,
            checked_at: state === 'expected' ? null : (p.file.registered_at ?? p.file.updated_at),
          };
        }),
    );
    for (let i = 0; i < pieces.length; i += 200)
      await trx
        .insertInto('case_file_pieces')
        .values(pieces.slice(i, i + 200))
        .execute();
    const checks = plans.flatMap((p) =>
      p.kind.checks.map((c) => ({
        case_file_id: p.file.id,
        code: c.code,
        label: c.label,
        state: p.file.status === 'received' || p.file.status === 'returned' ? 'pending' : 'ok',
        reason: null,
        checked_by: null,
        checked_at: p.file.registered_at,
      })),
    );
    for (let i = 0; i < checks.length; i += 300)
      await trx
        .insertInto('case_file_checks')
        .values(checks.slice(i, i + 300))
        .execute();
    const events = plans.flatMap((p) =>
      p.events.map((e) => ({
        case_file_id: p.file.id,
        at: e.at,
        type: e.type,
        actor_id: e.actor,
        office_id: e.office,
        data: JSON.stringify(e.data),
      })),
    );
    events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    for (let i = 0; i < events.length; i += 300)
      await trx
        .insertInto('case_file_events')
        .values(events.slice(i, i + 300))
        .execute();
    const archived = plans.filter((p) => p.file.status === 'archived');
    const entries = archived.map((p) => {
      const d = new Date(p.file.archived_at!);
      return {
        case_file_id: p.file.id,
        centre_id: centre.id,
        location_kind: 'box',
        box: `B-${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`,
        shelf: `Travée ${1 + (d.getUTCMonth() % 4)}`,
        reference: null,
        archived_by: p.events.at(-1)!.actor,
        archived_at: p.file.archived_at!,
        transfer_id: null,
      };
    });
    for (let i = 0; i < entries.length; i += 300)
      await trx
        .insertInto('archive_entries')
        .values(entries.slice(i, i + 300))
        .execute();
    for (const l of letters)
      await trx
        .insertInto('case_file_letters')
        .values({
          id: ctx.newId(),
          case_file_id: l.fileId,
          kind: 'return',
          pdf: l.pdf,
          sha256: createHash('sha256').update(l.pdf).digest('hex'),
          created_by: liaisonAgents[0]!,
          created_at: plans.find((p) => p.file.id === l.fileId)!.file.returned_at!,
        })
        .execute();
    // Monthly ageing reports of the past months, as the job would have recorded them.
    const head = staff.get('prigent.y.camid')!;
    for (let m = 11; m >= 1; m--) {
      const at = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - m + 1, 1, 5);
      const cutoff = at - 30 * DAY;
      const counts = new Map<string | null, number>();
      for (const p of plans) {
        const reg = p.file.registered_at ? Date.parse(p.file.registered_at) : null;
        if (reg === null || reg >= cutoff) continue;
        const arch = p.file.archived_at ? Date.parse(p.file.archived_at) : Infinity;
        if (arch <= at) continue;
        const holder = p.file.processed_office_id ?? (p.file.office_id === liaison.id ? null : p.file.office_id);
        counts.set(holder, (counts.get(holder) ?? 0) + 1);
      }
      const totals = centre.offices
        .filter((o) => o.function === 'processing')
        .map((o) => ({ officeId: o.id, code: o.code, name: o.name, count: counts.get(o.id) ?? 0 }));
      const analysed = m >= 2;
      await trx
        .insertInto('ageing_reports')
        .values({
          id: ctx.newId(),
          centre_id: centre.id,
          period: new Date(at).toISOString().slice(0, 7),
          as_of: iso(at),
          days: 30,
          totals: JSON.stringify(totals),
          file_count: totals.reduce((s, t) => s + t.count, 0),
          generated_by: 'system:ageing',
          analysis: analysed
            ? 'Retards liés pour l’essentiel à des ordres de mission en réexamen par l’autorité (causes externes) et à l’absence de deux décompteurs au bureau des mutations (cause interne).'
            : null,
          measures: analysed
            ? 'Relance hebdomadaire des formations par le bureau de liaison ; priorité absolue donnée aux mutations de plus de 45 jours ; renfort temporaire du bureau des mutations.'
            : null,
          analysed_by: analysed ? head : null,
          analysed_at: analysed ? iso(at + 5 * DAY) : null,
          created_at: iso(at),
        })
        .onConflict((oc) => oc.columns(['centre_id', 'period']).doNothing())
        .execute();
    }
    await appendAudit(trx, ctx.store, {
      at: now.toISOString(),
      actorId: 'system:demo',
      actorRole: 'system',
      organizationId: centre.id,
      action: 'demo.backoffice',
      outcome: 'ok',
      targetType: 'organization',
      targetId: centre.id,
      summary: { files: plans.length, slips: slips.length },
    });
  });
  return { created: plans.length };
}
