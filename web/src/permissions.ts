// What the interface offers to whom. Mirrors src/domain/roles.ts (the server decides anyway: a
// hidden button is comfort, not security).
import type { RoleCode, Session } from './api.ts';

export type Permission =
  | 'organization.read'
  | 'agreement.write'
  | 'selfAssessment.submit'
  | 'selfAssessment.control'
  | 'agent.read'
  | 'agent.write'
  | 'agent.contact'
  | 'agent.photo'
  | 'import.run'
  | 'audit.read'
  | 'mail.read';

const READERS: RoleCode[] = ['operator', 'registration_authority', 'admin', 'controller', 'auditor'];

const GRANTS: Record<Permission, RoleCode[]> = {
  'organization.read': READERS,
  'agreement.write': ['admin'],
  'selfAssessment.submit': ['operator', 'registration_authority', 'admin'],
  'selfAssessment.control': ['admin'],
  'agent.read': READERS,
  'agent.write': ['registration_authority', 'admin'],
  'agent.contact': ['operator', 'registration_authority', 'admin'],
  'agent.photo': ['operator', 'registration_authority', 'admin'],
  'import.run': ['registration_authority', 'admin'],
  'audit.read': ['admin', 'controller', 'auditor'],
  'mail.read': ['admin', 'auditor'],
};

/** True when one of the person's roles grants the permission (somewhere in their scope). */
export function can(session: Session | null, permission: Permission): boolean {
  if (!session) return false;
  return session.roles.some((r) => GRANTS[permission].includes(r.role));
}

export function isAdmin(session: Session | null): boolean {
  return !!session?.roles.some((r) => r.role === 'admin');
}
