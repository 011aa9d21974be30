import { authorize, scopeRoots } from '../../access/authorize.ts';
import { notFound } from '../../errors.ts';
import { pathUnder } from '../../scope.ts';
import type { Actor, AppContext } from '../../context.ts';
import { importRunView } from './import-agents.ts';

async function loadRun(ctx: AppContext, actor: Actor, id: string) {
  const run = await ctx.store.db
    .selectFrom('import_runs as r')
    .innerJoin('organizations as o', 'o.id', 'r.organization_id')
    .selectAll('r')
    .select('o.name as organization_name')
    .where('r.id', '=', id)
    .executeTakeFirst();
  if (!run) throw notFound('Import introuvable.');
  await authorize(ctx, actor, 'import.run', run.organization_id, { type: 'importRun', id });
  return run;
}

export async function getImportRun(ctx: AppContext, actor: Actor, id: string) {
  const run = await loadRun(ctx, actor, id);
  return importRunView(run, run.organization_name);
}

export async function listImportRuns(ctx: AppContext, actor: Actor, organizationId: string | null) {
  const roots = await scopeRoots(ctx, actor, 'import.run');
  let q = ctx.store.db
    .selectFrom('import_runs as r')
    .innerJoin('organizations as o', 'o.id', 'r.organization_id')
    .selectAll('r')
    .select('o.name as organization_name')
    .where(pathUnder(roots, 'o.path'));
  if (organizationId) q = q.where('r.organization_id', '=', organizationId);
  const rows = await q.orderBy('r.started_at', 'desc').limit(50).execute();
  return { items: rows.map((r) => importRunView(r, r.organization_name)) };
}

export async function listImportRejects(ctx: AppContext, actor: Actor, id: string, page: number, pageSize: number) {
  await loadRun(ctx, actor, id);
  const base = ctx.store.db.selectFrom('import_rejects').where('import_id', '=', id);
  const total = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const items = await base
    .select(['line', 'field', 'reason'])
    .orderBy('line')
    .orderBy('id')
    .limit(pageSize)
    .offset((page - 1) * pageSize)
    .execute();
  return { items, total: Number(total.n), page, pageSize };
}

export async function rejectsCsv(ctx: AppContext, actor: Actor, id: string): Promise<string> {
  await loadRun(ctx, actor, id);
  const rows = await ctx.store.db
    .selectFrom('import_rejects')
    .select(['line', 'field', 'reason'])
    .where('import_id', '=', id)
    .orderBy('line')
    .orderBy('id')
    .execute();
  const esc = (v: string) => (/[;"\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return (
    '\uFEFFligne;champ;motif\n' +
    rows.map((r) => `${r.line};${esc(r.field)};${esc(r.reason)}`).join('\n') +
    (rows.length ? '\n' : '')
  );
}
