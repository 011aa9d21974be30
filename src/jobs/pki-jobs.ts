import type { PkiEnvironment } from '../app/pki/certificates.ts';
import { publishCrl } from '../app/pki/publication.ts';
import { registerJobHandler } from './worker.ts';

/** CRL publication queued by revocations, suspensions and resumptions (outbox kind 'crl.publish'). */
export function registerPkiJobs(pki: PkiEnvironment): void {
  registerJobHandler('crl.publish', async (ctx, payload) => {
    const { caId } = payload as { caId: string };
    const ca = await ctx.store.db
      .selectFrom('certification_authorities')
      .select('name')
      .where('id', '=', caId)
      .executeTakeFirst();
    if (ca) await publishCrl(ctx, pki, ca.name);
  });
}
