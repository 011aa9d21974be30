import { createReadStream, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import cliProgress from 'cli-progress';
import { importAgents } from '../app/directory/hr-import/import-agents.ts';
import { systemActor } from '../app/context.ts';
import { AppError } from '../app/errors.ts';
import { runWithPlatform, type GlobalOptions } from './shared.ts';

export async function importAgentsCommand(
  global: GlobalOptions,
  file: string,
  opts: { org: string; format?: 'csv' | 'jsonl'; full?: boolean },
): Promise<void> {
  await runWithPlatform(global, async ({ ctx }) => {
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      throw new AppError('not_found', `Fichier introuvable : ${file}`);
    }
    const org = await ctx.store.db
      .selectFrom('organizations')
      .select('id')
      .where('code', '=', opts.org)
      .executeTakeFirst();
    if (!org) throw new AppError('not_found', `Organisation inconnue : ${opts.org}`);
    const format =
      opts.format ?? (['.jsonl', '.ndjson', '.json'].includes(extname(file).toLowerCase()) ? 'jsonl' : 'csv');
    const bar = new cliProgress.SingleBar(
      {
        format: 'Import {bar} {percentage}% | {total_rows} lignes lues, {rejected} rejetées | {eta_formatted} restant',
        stream: process.stderr,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(size, 0, { total_rows: 0, rejected: 0 });
    try {
      const run = await importAgents(ctx, systemActor('cli'), {
        organizationId: org.id,
        format,
        full: opts.full ?? false,
        fileName: basename(file),
        input: createReadStream(file),
        bytesTotal: size,
        onProgress: (p) => bar.update(p.bytesRead, { total_rows: p.total, rejected: p.rejected }),
      });
      bar.update(size);
      bar.stop();
      console.log(run.message);
      if (run.rejected > 0) {
        const rejects = await ctx.store.db
          .selectFrom('import_rejects')
          .select(['line', 'field', 'reason'])
          .where('import_id', '=', run.id)
          .orderBy('line')
          .limit(20)
          .execute();
        console.log('Lignes rejetées (20 premières) :');
        for (const r of rejects) console.log(`  ligne ${r.line}, ${r.field} : ${r.reason}`);
        console.log(`Rapport complet : portail, rubrique « Import du flux SIRH » (import ${run.id}).`);
      }
    } catch (err) {
      bar.stop();
      throw err;
    }
  });
}
