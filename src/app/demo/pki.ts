import { systemActor, type AppContext } from '../context.ts';
import { initPki, type PkiEnvironment } from '../pki/certificates.ts';
import { publishAllCrls } from '../pki/publication.ts';

// The demonstration platform comes with its certification authorities, so that CRLs and OCSP answer
// from the first start. Its custodians' secrets are public: demonstration only, never in production.
export const DEMO_CUSTODIAN_SECRETS = ['demonstration-depositaire-1', 'demonstration-depositaire-2'] as const;

/** Runs the key ceremony with the demonstration secrets when no authority exists yet. */
export async function loadDemoPki(ctx: AppContext, pki: PkiEnvironment): Promise<boolean> {
  const existing = await ctx.store.db.selectFrom('certification_authorities').select('id').executeTakeFirst();
  if (existing) return false;
  await initPki(ctx, systemActor('demo'), pki, { custodianSecrets: [...DEMO_CUSTODIAN_SECRETS] });
  await publishAllCrls(ctx, pki);
  return true;
}
