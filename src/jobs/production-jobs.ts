import { productionEnvironment, sendCodeResend, sendOrder, MANUFACTURER } from '../app/requests/production.ts';
import type { PkiEnvironment } from '../app/pki/certificates.ts';
import { registerJobHandler } from './worker.ts';

/**
 * Outbox jobs of production: the order of a validated batch ('manufacturer.send-order', queued by
 * batch validation) and a request to re-send an activation code ('manufacturer.code-resend').
 */
export function registerProductionJobs(pki: PkiEnvironment): void {
  registerJobHandler('manufacturer.send-order', async (ctx, payload) => {
    await sendOrder(
      ctx,
      MANUFACTURER,
      productionEnvironment(ctx.dataDir, pki),
      (payload as { batchId: string }).batchId,
    );
  });
  registerJobHandler('manufacturer.code-resend', async (ctx, payload) => {
    await sendCodeResend(
      ctx,
      productionEnvironment(ctx.dataDir, pki),
      payload as { messageId: string; cardId: string; channel: 'post' | 'email' },
    );
  });
}
