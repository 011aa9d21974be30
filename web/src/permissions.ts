// What the interface offers to whom: the server sends the permissions of the person's roles with the
// session (the server decides anyway: a hidden button is comfort, not security).
import type { Session } from './api.ts';

/** A permission as the server names it (src/domain/roles.ts, through the session's schema). */
export type Permission = Session['permissions'][number];

/** True when one of the person's roles grants the permission (somewhere in their scope). */
export function can(session: Session | null, permission: Permission): boolean {
  return !!session?.permissions.includes(permission);
}

export function isAdmin(session: Session | null): boolean {
  return !!session?.roles.some((r) => r.role === 'admin');
}
