import { escalateSuspension } from '../app/desk/card-incidents.ts';
import { registerJobHandler } from './worker.ts';

/** Card life jobs: a temporary loss not resolved in time becomes a revocation. */
export function registerCardJobs(): void {
  registerJobHandler('card.suspension-escalate', async (ctx, payload) => {
    await escalateSuspension(ctx, payload as { cardId: string; suspendedAt: string });
  });
}
