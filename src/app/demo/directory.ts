import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { systemActor, type AppContext } from '../context.ts';
import {
  addAllocationPlanEntry,
  assignRole,
  createOrganization,
  setAgreement,
  submitSelfAssessment,
  type OrganizationInput,
} from '../directory/organizations.ts';
import { createAgent, uploadPhoto, type AgentInput } from '../directory/agents.ts';
import { CONTROL_POINT_CODES } from '../../domain/self-assessment.ts';
import { ensureCardModels } from '../requests/card-models.ts';
import { loadDemoCentre } from './backoffice.ts';

// Demonstration data, with the identities of the source documents. Loading twice changes nothing.

const ORGS: (Omit<OrganizationInput, 'parentId' | 'registrationAuthorityId'> & {
  parent: string | null;
  ra?: string;
})[] = [
  {
    code: 'ANTS',
    kind: 'agency',
    name: 'Agence nationale des titres sécurisés',
    parent: null,
    addressLine: '18 rue Irénée Carré',
    postalCode: '08000',
    city: 'Charleville-Mézières',
  },
  {
    code: 'PREF77',
    kind: 'prefecture',
    name: 'Préfecture de Seine-et-Marne',
    parent: 'ANTS',
    addressLine: '12 rue des Saints-Pères',
    postalCode: '77000',
    city: 'Melun',
  },
  {
    code: '77011',
    kind: 'municipality',
    name: 'Aubepierre-Ozouer-le-Repos',
    parent: 'PREF77',
    ra: 'PREF77',
    inseeCode: '77011',
    siren: '217700103',
    addressLine: '1 place de la Mairie',
    postalCode: '77720',
    city: 'Aubepierre-Ozouer-le-Repos',
  },
  {
    code: 'MINARM',
    kind: 'ministry',
    name: 'Ministère des Armées',
    parent: 'ANTS',
    addressLine: '60 boulevard du Général Martial Valin',
    postalCode: '75015',
    city: 'Paris',
  },
  {
    code: 'SCA',
    kind: 'directorate',
    name: 'Service du commissariat des armées',
    parent: 'MINARM',
    addressLine: '14 rue Saint-Dominique',
    postalCode: '75007',
    city: 'Paris',
  },
  {
    code: 'BN-BREST',
    kind: 'unit',
    name: 'Base navale de Brest',
    parent: 'SCA',
    ra: 'SCA',
    addressLine: 'Rue du Commandant Malbert',
    postalCode: '29200',
    city: 'Brest',
  },
];

type Person = AgentInput & { org: string; roles: [string, string][]; plan?: number };

const PEOPLE: Person[] = [
  {
    org: '77011',
    identifier: '2010002684dh',
    identifierKind: 'internal',
    lastName: 'DILINDIEN',
    firstNames: 'Hugues',
    sex: 'M',
    birthDate: '1970-01-01',
    birthPlace: 'Melun',
    email: 'hugues.dilindien@mairie-aubepierre.fr',
    staffStatus: 'civil',
    profile: "Officier d'état civil",
    habilitations: ['COMEDEC'],
    roles: [['holder', '77011']],
  },
  {
    org: '77011',
    identifier: 'martin.c77011',
    identifierKind: 'internal',
    lastName: 'MARTIN',
    firstNames: 'Camille',
    sex: 'F',
    birthDate: '1982-06-14',
    birthPlace: 'Provins',
    email: 'camille.martin@mairie-aubepierre.fr',
    staffStatus: 'civil',
    profile: 'Responsable carte',
    habilitations: ['COMEDEC', 'ACTES'],
    roles: [
      ['operator', '77011'],
      ['holder', '77011'],
    ],
  },
  {
    org: '77011',
    identifier: 'moreau.jp77011',
    identifierKind: 'internal',
    lastName: 'MOREAU',
    firstNames: 'Jean-Pierre',
    sex: 'M',
    birthDate: '1961-03-02',
    birthPlace: 'Coulommiers',
    email: 'maire@mairie-aubepierre.fr',
    staffStatus: 'civil',
    profile: "Officier d'état civil",
    habilitations: ['COMEDEC'],
    roles: [['holder', '77011']],
  },
  {
    org: '77011',
    identifier: 'leroy.a77011',
    identifierKind: 'internal',
    lastName: 'LEROY',
    firstNames: 'Agathe',
    sex: 'F',
    birthDate: '1990-11-23',
    birthPlace: 'Meaux',
    email: 'agathe.leroy@mairie-aubepierre.fr',
    staffStatus: 'civil',
    profile: "Agent d'état civil",
    habilitations: ['COMEDEC'],
    roles: [],
  },
  {
    org: 'PREF77',
    identifier: 'lefebvre.s77',
    identifierKind: 'internal',
    lastName: 'LEFEBVRE',
    firstNames: 'Sophie',
    sex: 'F',
    birthDate: '1978-09-09',
    birthPlace: 'Fontainebleau',
    email: 'sophie.lefebvre@seine-et-marne.gouv.fr',
    staffStatus: 'civil',
    profile: "Autorité d'enregistrement",
    habilitations: ['TES'],
    roles: [
      ['registration_authority', 'PREF77'],
      ['holder', 'PREF77'],
    ],
  },
  {
    org: 'ANTS',
    identifier: 'admin.national',
    identifierKind: 'internal',
    lastName: 'DUVAL',
    firstNames: 'Jeanne',
    sex: 'F',
    birthDate: '1975-04-17',
    birthPlace: 'Paris',
    email: 'jeanne.duval@ants.gouv.fr',
    staffStatus: 'civil',
    profile: 'Administratrice nationale',
    habilitations: [],
    roles: [
      ['admin', 'ANTS'],
      ['holder', 'ANTS'],
    ],
  },
  {
    org: 'ANTS',
    identifier: 'controle.interne',
    identifierKind: 'internal',
    lastName: 'BERNARD',
    firstNames: 'Marc',
    sex: 'M',
    birthDate: '1980-02-28',
    birthPlace: 'Reims',
    email: 'marc.bernard@ants.gouv.fr',
    staffStatus: 'civil',
    profile: 'Contrôleur interne',
    habilitations: [],
    roles: [['controller', 'ANTS']],
  },
  {
    org: 'ANTS',
    identifier: 'auditeur.externe',
    identifierKind: 'internal',
    lastName: 'PETIT',
    firstNames: 'Claire',
    sex: 'F',
    birthDate: '1985-12-05',
    birthPlace: 'Lille',
    email: 'claire.petit@ccomptes.fr',
    staffStatus: 'civil',
    profile: 'Auditrice',
    habilitations: [],
    roles: [['auditor', 'ANTS']],
  },
  {
    org: 'SCA',
    identifier: '1001234567',
    identifierKind: 'alliance',
    lastName: 'ROUX',
    firstNames: 'Nathalie',
    sex: 'F',
    birthDate: '1976-07-30',
    birthPlace: 'Toulon',
    email: 'nathalie.roux@intradef.gouv.fr',
    staffStatus: 'military',
    category: 'Officier',
    profile: "Autorité d'enregistrement",
    habilitations: ['CIMS'],
    roles: [
      ['registration_authority', 'SCA'],
      ['holder', 'SCA'],
    ],
  },
  {
    org: 'BN-BREST',
    identifier: '1002345678',
    identifierKind: 'alliance',
    lastName: 'GIRARD',
    firstNames: 'Paul',
    sex: 'M',
    birthDate: '1984-05-12',
    birthPlace: 'Brest',
    email: 'paul.girard@intradef.gouv.fr',
    staffStatus: 'military',
    category: 'Sous-officier',
    profile: 'Opérateur CIMS',
    habilitations: ['CIMS', 'SOURCE_SOLDE'],
    roles: [
      ['operator', 'BN-BREST'],
      ['holder', 'BN-BREST'],
    ],
    plan: 2026,
  },
  {
    org: 'BN-BREST',
    identifier: '1003456789',
    identifierKind: 'alliance',
    lastName: 'LE GALL',
    firstNames: 'Yann',
    sex: 'M',
    birthDate: '1992-10-01',
    birthPlace: 'Quimper',
    email: 'yann.le-gall@intradef.gouv.fr',
    staffStatus: 'military',
    category: 'Militaire du rang',
    profile: 'Marin',
    habilitations: ['CIMS'],
    roles: [],
    plan: 2026,
  },
  {
    org: 'BN-BREST',
    identifier: '1004567890',
    identifierKind: 'alliance',
    lastName: 'KERBRAT',
    firstNames: 'Maëlle',
    sex: 'F',
    birthDate: '1988-03-21',
    birthPlace: 'Morlaix',
    email: 'maelle.kerbrat@intradef.gouv.fr',
    staffStatus: 'military',
    category: 'Officier',
    profile: 'Officier de marine',
    habilitations: ['CIMS', 'CHORUS'],
    roles: [],
    plan: 2026,
  },
  {
    org: 'BN-BREST',
    identifier: '1005678901',
    identifierKind: 'alliance',
    lastName: 'TANGUY',
    firstNames: 'Erwan',
    sex: 'M',
    birthDate: '1979-08-14',
    birthPlace: 'Lorient',
    email: 'erwan.tanguy@intradef.gouv.fr',
    staffStatus: 'civil',
    category: 'Catégorie B',
    profile: 'Agent civil',
    habilitations: ['CIMS'],
    roles: [],
  },
];

const DEMO_PHOTO = fileURLToPath(new URL('../../../test/fixtures/photo-valid.jpg', import.meta.url));

export async function loadDemoData(ctx: AppContext): Promise<{ created: number }> {
  const actor = systemActor('demo');
  const db = ctx.store.db;
  let created = 0;
  await ensureCardModels(ctx);
  const orgIds = new Map<string, string>();
  for (const o of ORGS) {
    const found = await db.selectFrom('organizations').select('id').where('code', '=', o.code).executeTakeFirst();
    if (found) {
      orgIds.set(o.code, found.id);
      continue;
    }
    const { parent, ra, ...fields } = o;
    const org = await createOrganization(ctx, actor, {
      ...fields,
      parentId: parent ? orgIds.get(parent)! : null,
      registrationAuthorityId: ra ? orgIds.get(ra)! : null,
    });
    orgIds.set(o.code, org.id);
    created++;
  }
  const agentIds = new Map<string, string>();
  for (const p of PEOPLE) {
    const found = await db.selectFrom('agents').select('id').where('identifier', '=', p.identifier!).executeTakeFirst();
    if (found) {
      agentIds.set(p.identifier!, found.id);
      continue;
    }
    const { org, roles, plan, ...fields } = p;
    const agent = await createAgent(ctx, actor, { ...fields, organizationId: orgIds.get(org)! });
    // The demonstration identities count as checked against their identity documents (card prerequisite).
    await db.updateTable('agents').set({ identity_verified: 1 }).where('id', '=', agent.id).execute();
    agentIds.set(p.identifier!, agent.id);
    created++;
    for (const [role, roleOrg] of roles)
      await assignRole(ctx, actor, { agentId: agent.id, role, organizationId: orgIds.get(roleOrg)! });
    if (plan)
      await addAllocationPlanEntry(ctx, actor, orgIds.get(org)!, {
        agentId: agent.id,
        year: plan,
        reason: 'Plan annuel de dotation',
      });
  }
  const town = orgIds.get('77011')!;
  const agreement = await db
    .selectFrom('agreements')
    .select('id')
    .where('organization_id', '=', town)
    .executeTakeFirst();
  if (!agreement) {
    await setAgreement(ctx, actor, town, {
      signedOn: '2021-03-15',
      mayorName: 'Jean-Pierre MOREAU',
      delegateIds: [agentIds.get('martin.c77011')!],
    });
    await submitSelfAssessment(ctx, actor, town, {
      assessedOn: '2021-03-15',
      answers: Object.fromEntries(CONTROL_POINT_CODES.map((c) => [c, { conform: true }])),
    });
    created++;
  }
  const hugues = agentIds.get('2010002684dh')!;
  const photo = await db
    .selectFrom('agent_photos')
    .select('agent_id')
    .where('agent_id', '=', hugues)
    .executeTakeFirst();
  if (!photo && existsSync(DEMO_PHOTO)) await uploadPhoto(ctx, actor, hugues, readFileSync(DEMO_PHOTO));
  // The processing centre of seed 003, its offices, staff and sending units (its year of activity: demo/backoffice.ts).
  created += (await loadDemoCentre(ctx)).created;
  return { created };
}
