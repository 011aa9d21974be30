// Roles and what each may do. Scope (which organisations) is checked separately in app/.

export const ROLES = [
  'holder',
  'operator',
  'registration_authority',
  'admin',
  'controller',
  'auditor',
  // A processing centre's staff (seed 003), granted on the centre or one of its offices.
  'centre_head',
  'liaison_agent',
  'processing_agent',
  'office_head',
  'bom_controller',
] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  holder: 'Porteur',
  operator: 'Opérateur (responsable carte)',
  registration_authority: "Autorité d'enregistrement",
  admin: 'Administrateur national',
  controller: 'Contrôleur interne',
  auditor: 'Auditeur',
  centre_head: 'Chef de centre',
  liaison_agent: 'Agent du bureau de liaison',
  processing_agent: 'Agent de bureau de traitement',
  office_head: 'Chef de bureau de traitement',
  bom_controller: 'Contrôleur du bureau « organisation et méthodes »',
};

/** Roles that only exist inside a processing centre: granted on the centre or on one of its offices. */
export const CENTRE_ROLES: readonly Role[] = [
  'centre_head',
  'liaison_agent',
  'processing_agent',
  'office_head',
  'bom_controller',
];

export const PERMISSIONS = [
  'organization.read',
  'organization.write',
  'agreement.write',
  'selfAssessment.submit',
  'selfAssessment.control',
  'agent.read',
  'agent.write',
  'agent.contact',
  'agent.photo',
  'allocationPlan.write',
  'import.run',
  'audit.read',
  'role.assign',
  'serviceToken.manage',
  'mail.read',
  'pki.admin',
  'certificate.read',
  'certificate.revoke',
  'card.read',
  'card.operate',
  'cardRequest.write',
  'batch.validate',
  'billing.read',
  'cardModel.write',
  'manufacturer.run',
  'operations.read',
  'operations.manage',
  'operations.check',
  'personalData.export',
  // Back office of a processing centre (seed 003).
  'caseFile.read',
  'caseFile.intake',
  'caseFile.process',
  'caseFile.selfCheck',
  'caseFile.priority',
  'caseFile.archive',
  'backoffice.report',
  'backoffice.review',
  'caseKind.write',
  'centre.write',
  // The card programme's dashboard (seed 003 annex II), as a whole or per organisation.
  'steering.cards',
  // Internal control by the « organisation et méthodes » office (seed 003 §4).
  'control.read',
  'control.plan',
  'control.perform',
  'control.visa',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const READERS: Role[] = ['operator', 'registration_authority', 'admin', 'controller', 'auditor'];

const GRANTS: Record<Permission, Role[]> = {
  'organization.read': READERS,
  'organization.write': ['admin'],
  'agreement.write': ['admin'],
  'selfAssessment.submit': ['operator', 'registration_authority', 'admin'],
  'selfAssessment.control': ['admin'],
  'agent.read': READERS,
  'agent.write': ['registration_authority', 'admin'],
  'agent.contact': ['operator', 'registration_authority', 'admin'],
  'agent.photo': ['operator', 'registration_authority', 'admin'],
  'allocationPlan.write': ['registration_authority', 'admin'],
  'import.run': ['registration_authority', 'admin'],
  'audit.read': ['admin', 'controller', 'auditor'],
  'role.assign': ['admin'],
  'serviceToken.manage': ['admin'],
  'mail.read': ['admin', 'auditor'],
  'pki.admin': ['admin'],
  'certificate.read': READERS,
  'certificate.revoke': ['operator', 'registration_authority', 'admin'],
  'card.read': READERS,
  // Receive, hand over, resend the activation code...: the card officer's desk work.
  'card.operate': ['operator', 'registration_authority'],
  'cardRequest.write': ['operator', 'registration_authority'],
  'batch.validate': ['registration_authority'],
  'billing.read': READERS,
  'cardModel.write': ['admin'],
  'manufacturer.run': ['admin'],
  // Operations journal, jobs, backups (seed 003 annex V §3): the head of centre checks the backups
  // (the national administrator too, who held that check before the role existed).
  'operations.read': ['admin', 'auditor', 'centre_head'],
  'operations.manage': ['admin'],
  'operations.check': ['admin', 'centre_head'],
  // Subject access request: everything held about an agent (the holder gets their own in their space).
  'personalData.export': ['registration_authority', 'admin'],
  // Where each file stands is visible to the centre's staff and to the units that sent it.
  'caseFile.read': [...READERS, ...CENTRE_ROLES],
  'caseFile.intake': ['liaison_agent'],
  'caseFile.process': ['processing_agent', 'office_head'],
  'caseFile.selfCheck': ['office_head'],
  'caseFile.priority': ['centre_head'],
  'caseFile.archive': ['liaison_agent'],
  'backoffice.report': ['centre_head', 'liaison_agent', 'office_head', 'bom_controller', 'controller', 'auditor'],
  'backoffice.review': ['centre_head'],
  'caseKind.write': ['admin'],
  'centre.write': ['admin'],
  'steering.cards': ['registration_authority', 'admin', 'controller', 'auditor'],
  // The head of centre sets the control plans and gives a sheet's last visa; the BOM's controllers
  // (or the national internal controller) draw, control files, open and archive sheets, establish the
  // syntheses and the transmissions; an office head gives the first visa on the BOM (its head) and
  // the follow-up on the office concerned: the organisation of the grant tells which.
  'control.read': ['centre_head', 'office_head', 'bom_controller', 'controller', 'auditor'],
  'control.plan': ['centre_head'],
  'control.perform': ['bom_controller', 'controller'],
  'control.visa': ['office_head'],
};

/** Trusted roles are the ones a major non-conformity suspends in an organisation. */
export const TRUSTED_ROLES: Role[] = ['operator', 'registration_authority'];

export function roleGrants(role: Role, permission: Permission): boolean {
  return GRANTS[permission].includes(role);
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** A centre's roles are granted on a centre or one of its offices, and only those roles there. */
export function roleFitsOrganization(role: Role, organizationKind: string): boolean {
  const centreOrg = organizationKind === 'centre' || organizationKind === 'office';
  return CENTRE_ROLES.includes(role) ? centreOrg : true;
}
