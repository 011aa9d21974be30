import { randomBytes } from 'node:crypto';
import { appendAudit } from '../../store/audit.ts';
import { previousQuarter, quarterOf, quarterRange, QUARTER_RE } from '../../domain/control.ts';
import { CENTRE_ROLES } from '../../domain/roles.ts';
import { invalid } from '../errors.ts';
import { systemActor, type AppContext } from '../context.ts';
import { centreOf } from './access.ts';
import { addControls } from './plans.ts';

// The quarterly deontological control (seed 003 §4.4): each quarter, every item processed for the
// centre's own staff is put under control. A scheduled step of the daily pass (once across the
// instances; a no-op once the quarter's plan exists) and `cartes control deontological`.

/** The centre's staff: whoever holds a role on the centre or one of its offices, or belongs to them. */
async function staffOf(ctx: AppContext, centreId: string, officeIds: string[]): Promise<string[]> {
  const orgs = [centreId, ...officeIds];
  const byRole = await ctx.store.db
    .selectFrom('role_assignments')
    .select('agent_id')
    .where('organization_id', 'in', orgs)
    .where('role', 'in', [...CENTRE_ROLES])
    .where('revoked_at', 'is', null)
    .execute();
  const members = await ctx.store.db.selectFrom('agents').select('id').where('organization_id', 'in', orgs).execute();
  return [...new Set([...byRole.map((r) => r.agent_id), ...members.map((m) => m.id)])];
}

/**
 * Puts under control, for each centre, the files of `quarter` (default: the quarter just ended)
 * processed for its own staff. Once per centre and quarter: a second run adds nothing.
 */
export async function deontologicalPass(ctx: AppContext, opts: { quarter?: string } = {}) {
  const quarter = opts.quarter ?? previousQuarter(quarterOf(ctx.now().toISOString()));
  if (!QUARTER_RE.test(quarter))
    throw invalid('Trimestre invalide.', [{ field: 'quarter', reason: 'Trimestre attendu (AAAA-Tn, ex. 2026-Q3).' }]);
  const actor = systemActor('deontology');
  const { start, end } = quarterRange(quarter);
  const centres = await ctx.store.db.selectFrom('backoffice_centres').select('organization_id').execute();
  const out: { centreId: string; centreName: string; quarter: string; files: number; created: boolean }[] = [];
  for (const c of centres) {
    const centre = await centreOf(ctx.store.db, c.organization_id);
    const staff = await staffOf(
      ctx,
      centre.id,
      centre.offices.map((o) => o.id),
    );
    const files = staff.length
      ? (
          await ctx.store.db
            .selectFrom('case_files')
            .select('id')
            .where('centre_id', '=', centre.id)
            .where('agent_id', 'in', staff)
            .where('processed_at', '>=', start)
            .where('processed_at', '<', end)
            .orderBy('id')
            .execute()
        ).map((r) => r.id)
      : [];
    const now = ctx.now().toISOString();
    const made = await ctx.store.db.transaction().execute(async (trx) => {
      const id = ctx.newId();
      const inserted = await trx
        .insertInto('control_plans')
        .values({
          id,
          centre_id: centre.id,
          type: 'deontological',
          period: quarter,
          seed: randomBytes(16).toString('hex'),
          note: 'Contrôle déontologique : décomptes établis au profit du personnel du centre (§ 4.4).',
          created_by: 'system:deontology',
          created_at: now,
          updated_at: now,
          drawn_by: 'system:deontology',
          drawn_at: now,
        })
        .onConflict((oc) => oc.columns(['centre_id', 'type', 'period']).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1) return null;
      const n = await addControls(trx, ctx, { id, centre_id: centre.id }, files, 'deontological', 'system:deontology');
      await appendAudit(trx, ctx.store, {
        at: now,
        actorId: 'system:deontology',
        actorRole: 'system',
        organizationId: centre.id,
        action: 'control.deontological',
        outcome: 'ok',
        targetType: 'controlPlan',
        targetId: id,
        requestId: actor.requestId,
        summary: { quarter, staff: staff.length, files: n },
      });
      return n;
    });
    out.push({ centreId: centre.id, centreName: centre.name, quarter, files: made ?? 0, created: made !== null });
  }
  return out;
}
