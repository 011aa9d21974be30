// What a process killed in the middle of its work leaves behind, found and put right at start (and
// every minute for runs of other machines): HR imports still « running », temporary files.
import { hostname } from 'node:os';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { appendAudit } from '../../store/audit.ts';
import type { AppContext } from '../context.ts';

/** An import run by another machine is taken for dead when it showed no sign of life for this long. */
export const IMPORT_SILENCE_MS = 30 * 60_000;

/** Folder of this installation's temporary files (backups in progress, restores being verified…). */
export function tempRoot(dataDir: string): string {
  return join(dataDir, 'tmp');
}

/** A temporary folder named after this process, so that a later start knows whose leftovers it finds. */
export async function makeTempDir(dataDir: string, label: string): Promise<string> {
  const root = tempRoot(dataDir);
  await mkdir(root, { recursive: true, mode: 0o700 });
  const dir = join(root, `${process.pid}-${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`);
  await mkdir(dir, { mode: 0o700 });
  return dir;
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the process named by an owner « host/pid/… » is known to be gone. */
function ownerGone(owner: string | null, heartbeatAt: string | null, now: Date): boolean {
  const [host, pid] = (owner ?? '').split('/');
  if (owner && host === hostname()) return Number(pid) !== process.pid && !processAlive(Number(pid));
  const last = Date.parse(heartbeatAt ?? '') || 0;
  return now.getTime() - last > IMPORT_SILENCE_MS;
}

export interface InterruptedImport {
  id: string;
  fileName: string;
  committed: number;
}

/**
 * HR imports left « running » by a process that died: marked failed with what their committed
 * batches hold (the counters are written with each batch), audited 'hrImport.interrupted'. A re-run
 * of the same file completes them (rows already stored are unchanged).
 */
export async function failInterruptedImports(ctx: AppContext): Promise<InterruptedImport[]> {
  const now = ctx.now();
  const running = await ctx.store.db
    .selectFrom('import_runs')
    .selectAll()
    .where('status', '=', 'running')
    .limit(100)
    .execute();
  const done: InterruptedImport[] = [];
  for (const run of running) {
    if (!ownerGone(run.owner, run.heartbeat_at ?? run.started_at, now)) continue;
    const committed = run.inserted + run.updated + run.unchanged + run.rejected;
    const message = `Import interrompu (arrêt du service pendant l'import) : ${run.total} ligne(s) lue(s) et enregistrée(s) avant l'interruption (${run.inserted} créé(s), ${run.updated} modifié(s), ${run.unchanged} inchangé(s), ${run.rejected} rejetée(s)). Relancez l'import du même fichier pour le terminer : les lignes déjà enregistrées resteront inchangées.`;
    await ctx.store.db.transaction().execute(async (trx) => {
      const moved = await trx
        .updateTable('import_runs')
        .set({ status: 'failed', message, finished_at: now.toISOString() })
        .where('id', '=', run.id)
        .where('status', '=', 'running')
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) return;
      await appendAudit(trx, ctx.store, {
        at: now.toISOString(),
        actorId: 'system:recovery',
        actorRole: 'system',
        organizationId: run.organization_id,
        action: 'hrImport.interrupted',
        outcome: 'ok',
        targetType: 'importRun',
        targetId: run.id,
        summary: {
          before: { status: 'running', owner: run.owner, heartbeatAt: run.heartbeat_at },
          after: { status: 'failed' },
          committed: { total: run.total, inserted: run.inserted, updated: run.updated, unchanged: run.unchanged },
        },
      });
      done.push({ id: run.id, fileName: run.file_name, committed });
    });
  }
  return done;
}

/**
 * Temporary files of processes that are gone: folders under <data>/tmp named « <pid>-… » whose
 * process is dead, and « *.tmp » files of the data folder's own writers older than an hour.
 * Returns the paths removed.
 */
export async function removeStaleTempFiles(dataDir: string, now: Date = new Date()): Promise<string[]> {
  const removed: string[] = [];
  const root = tempRoot(dataDir);
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    await rm(join(root, name), { recursive: true, force: true });
    removed.push(join(root, name));
  }
  // Atomic writers elsewhere leave « <file>.<pid>.<uuid>.tmp » when killed between write and rename.
  for (const dir of [join(dataDir, 'pki', 'crl'), join(dataDir, 'mails'), join(dataDir, 'cards')]) {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!name.endsWith('.tmp')) continue;
      const path = join(dir, name);
      const info = await stat(path).catch(() => null);
      if (!info || now.getTime() - info.mtimeMs < 3600_000) continue;
      await rm(path, { force: true });
      removed.push(path);
    }
  }
  return removed;
}
