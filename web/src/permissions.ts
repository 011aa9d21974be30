// What the interface offers to whom: the server sends the permissions of the person's roles with the
// session (the server decides anyway: a hidden button is comfort, not security).
import type { Session } from './api.ts';

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
  | 'mail.read'
  | 'card.read'
  | 'card.operate'
  | 'cardRequest.write'
  | 'batch.validate'
  | 'billing.read'
  | 'operations.read'
  | 'operations.manage'
  | 'operations.check'
  | 'personalData.export';

/** True when one of the person's roles grants the permission (somewhere in their scope). */
export function can(session: Session | null, permission: Permission): boolean {
  return !!session?.permissions.includes(permission);
}

export function isAdmin(session: Session | null): boolean {
  return !!session?.roles.some((r) => r.role === 'admin');
}
