// Roles and what each may do. Scope (which organisations) is checked separately in app/.

export const ROLES = ['holder', 'operator', 'registration_authority', 'admin', 'controller', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  holder: 'Porteur',
  operator: 'Opérateur (responsable carte)',
  registration_authority: "Autorité d'enregistrement",
  admin: 'Administrateur national',
  controller: 'Contrôleur interne',
  auditor: 'Auditeur',
};

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
  // Operations journal, jobs, backups (seed 003 annex V §3). The head of centre checks the backups:
  // until that role exists, the national administrator does.
  'operations.read': ['admin', 'auditor'],
  'operations.manage': ['admin'],
  'operations.check': ['admin'],
  // Subject access request: everything held about an agent (the holder gets their own in their space).
  'personalData.export': ['registration_authority', 'admin'],
};

/** Trusted roles are the ones a major non-conformity suspends in an organisation. */
export const TRUSTED_ROLES: Role[] = ['operator', 'registration_authority'];

export function roleGrants(role: Role, permission: Permission): boolean {
  return GRANTS[permission].includes(role);
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
