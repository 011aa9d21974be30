import { randomUUID } from 'node:crypto';
import type { Store } from '../store/database.ts';
import type { Role } from '../domain/roles.ts';
import type { Mailer } from '../notify/mailer.ts';

export interface RoleGrant {
  id: string;
  role: Role;
  organizationId: string;
  organizationName: string;
}

/** Who is acting: a signed-in person with role grants, a service account, or the system itself. */
export type Actor =
  | { kind: 'person'; agentId: string; displayName: string; grants: RoleGrant[]; requestId: string | null }
  | {
      kind: 'service';
      tokenId: string;
      name: string;
      organizationId: string;
      scopes: string[];
      requestId: string | null;
    }
  | { kind: 'system'; name: string; requestId: string | null };

export interface AppContext {
  store: Store;
  now: () => Date;
  mailer: Mailer;
  dataDir: string;
  newId: () => string;
}

export function makeContext(
  store: Store,
  mailer: Mailer,
  dataDir: string,
  now: () => Date = () => new Date(),
): AppContext {
  return { store, mailer, dataDir, now, newId: randomUUID };
}

export function systemActor(name: string): Actor {
  return { kind: 'system', name, requestId: null };
}

export function today(ctx: AppContext): string {
  return ctx.now().toISOString().slice(0, 10);
}
