// `cartes backup …`, `cartes jobs …`, `cartes retention …`: the operator's commands.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { systemActor } from '../app/context.ts';
import { AppError, invalid } from '../app/errors.ts';
import { pkiEnvironment } from '../app/pki/certificates.ts';
import {
  backupSecrets,
  createBackup,
  findBackup,
  listBackups,
  pruneBackups,
  restoreBackup,
  verifyBackup,
} from '../app/operations/backups.ts';
import { listJobs, retryJob } from '../app/operations/jobs.ts';
import { dailyPass } from '../app/operations/daily-pass.ts';
import { RETENTION_LABELS, runRetention, type RetentionCounts } from '../app/operations/retention.ts';
import { exportPersonalData, personalDataPdf } from '../app/operations/personal-data.ts';
import { dailySlot, parisInstant } from '../domain/calendar.ts';
import { runTaskOnce } from '../jobs/scheduler.ts';
import { INSTANCE_ID } from '../logger.ts';
import { registerPkiJobs } from '../jobs/pki-jobs.ts';
import { reportError, runWithPlatform, type GlobalOptions } from './shared.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];
const frDateTime = (iso: string) => new Date(iso).toLocaleString('fr-FR', { timeZone: 'Europe/Paris' });
const size = (n: number) =>
  n >= 1 << 30
    ? `${(n / (1 << 30)).toFixed(1)} Gio`
    : n >= 1 << 20
      ? `${(n / (1 << 20)).toFixed(1)} Mio`
      : `${Math.ceil(n / 1024)} Kio`;

/**
 * `--at DATE` of run-daily: a date (the pass runs as at its daily time, Paris) or an instant (ISO).
 */
export function parseAt(text: string, dailyTime: string): Date {
  const date = /^\d{4}-\d{2}-\d{2}$/.test(text) ? parisInstant(text, dailyTime) : new Date(text);
  if (Number.isNaN(date.getTime()))
    throw invalid(`Date invalide « ${text} » (AAAA-MM-JJ ou date et heure ISO 8601, ex. 2026-06-01T03:10:00+02:00).`);
  return date;
}

export function registerOperationsCommands(program: Command): void {
  const global = () => program.opts<GlobalOptions>();

  const backup = program.command('backup').description('sauvegardes (annexe V) : créer, lister, vérifier, restaurer');
  backup
    .command('create')
    .description('fait une sauvegarde maintenant (base en service, fichiers du dossier de données, manifeste)')
    .option('--out <dossier>', 'dossier des sauvegardes (défaut : CARTES_BACKUP_DIR ou <data>/backups)')
    .action((opts: { out?: string }) =>
      runWithPlatform(global(), async ({ ctx, config }) => {
        const b = await createBackup(ctx, systemActor('cli'), config, {
          reason: 'manual',
          ...(opts.out ? { outDir: opts.out } : {}),
        });
        console.log(`Sauvegarde faite : ${b.path}`);
        console.log(
          `  ${size(b.size)}, ${Object.values(b.manifest.tables).reduce((a, n) => a + n, 0)} lignes dans ${Object.keys(b.manifest.tables).length} tables, tête du journal d'audit n° ${b.manifest.auditHead?.seq ?? 0}.`,
        );
        console.log(`  Non inclus (à conserver à part) : ${b.manifest.notIncluded.join(' ; ')}.`);
      }),
    );
  backup
    .command('list')
    .description('liste les sauvegardes du dossier des sauvegardes')
    .action(() =>
      runWithPlatform(global(), async ({ config }) => {
        const items = await listBackups(config);
        if (!items.length) {
          console.log(`Aucune sauvegarde dans ${config.operations.backupDir}.`);
          return;
        }
        for (const b of items)
          console.log(
            `${b.id}  ${frDateTime(b.createdAt)}  ${b.reason.padEnd(13)}  ${size(b.size).padStart(9)}  audit n° ${b.auditHeadSeq}  ${b.path}`,
          );
      }),
    );
  backup
    .command('verify')
    .description(
      "vérifie une sauvegarde : empreintes, restauration dans un emplacement temporaire, lignes par table, chaîne d'audit, clés",
    )
    .argument('<sauvegarde>', 'chemin ou identifiant de la sauvegarde')
    .option('--db <url>', 'base PostgreSQL vide où la restaurer pour la vérifier (défaut : une base temporaire)')
    .action((target: string, opts: { db?: string }) =>
      runWithPlatform(global(), async ({ ctx, config }) => {
        const path = await findBackup(config, target);
        const r = await verifyBackup(config, backupSecrets(ctx, config), path, {
          ...(opts.db ? { db: opts.db } : {}),
          journal: { ctx, actor: systemActor('cli') },
        });
        for (const c of r.checks) console.log(`${c.ok ? '✔' : '✘'} ${c.label}${c.detail ? ` : ${c.detail}` : ''}`);
        console.log(r.ok ? `Sauvegarde ${r.backupId} vérifiée.` : `Sauvegarde ${r.backupId} NON conforme.`);
        if (!r.ok) process.exitCode = 2;
      }),
    );
  backup
    .command('restore')
    .description(
      'restaure une sauvegarde dans la base et le dossier de données donnés ; la numérotation des CRL reprend au-delà de tout ce qui a été publié et les révocations publiées depuis sont rejouées',
    )
    .argument('<sauvegarde>', 'chemin de la sauvegarde')
    .option('--force', 'remplace une base qui contient déjà des données (arrêtez les instances avant)')
    .option(
      '--crl <fichier|dossier>',
      'CRL publiée(s) depuis la sauvegarde (DER ou PEM), p. ex. téléchargées du point de distribution ; répétable',
      collect,
      [],
    )
    .option('--without-published-crls', "confirme qu'aucune CRL n'a été publiée depuis la sauvegarde")
    .action(async (target: string, opts: { force?: boolean; crl: string[]; withoutPublishedCrls?: boolean }) => {
      try {
        const g = global();
        const config = loadConfig({ data: g.data, db: g.db });
        const report = await restoreBackup(config, target, {
          force: opts.force ?? false,
          crlSources: opts.crl,
          withoutPublishedCrls: opts.withoutPublishedCrls ?? false,
        });
        for (const l of report.lines) console.log(l);
        console.log(
          'Démarrez les instances (cartes serve) : une CRL numérotée au-delà de tout ce qui a été publié part à leur démarrage.',
        );
      } catch (err) {
        reportError(err);
      }
    });
  backup
    .command('prune')
    .description('supprime les sauvegardes plus anciennes que CARTES_BACKUP_KEEP_DAYS (7 jours)')
    .action(() =>
      runWithPlatform(global(), async ({ ctx, config }) => {
        const removed = await pruneBackups(ctx, systemActor('cli'), config);
        console.log(removed.length ? `Supprimée(s) : ${removed.join(', ')}` : 'Aucune sauvegarde échue.');
      }),
    );

  const jobs = program.command('jobs').description('tâches de fond et passes planifiées');
  jobs
    .command('list')
    .description('liste les tâches de fond (les plus récentes d’abord)')
    .option('--failed', 'seulement les tâches en échec')
    .option('--kind <type>', 'seulement ce type (ex. mail.send, crl.publish)')
    .option('--limit <n>', 'nombre de tâches (défaut : 50)', (v) => Number(v))
    .action((opts: { failed?: boolean; kind?: string; limit?: number }) =>
      runWithPlatform(global(), async ({ ctx }) => {
        const { items } = await listJobs(ctx, systemActor('cli'), {
          ...(opts.failed ? { status: 'failed' } : {}),
          ...(opts.kind ? { kind: opts.kind } : {}),
          ...(opts.limit ? { limit: opts.limit } : {}),
        });
        if (!items.length) console.log(opts.failed ? 'Aucune tâche en échec.' : 'Aucune tâche.');
        for (const j of items)
          console.log(
            `${j.id}  ${j.kind.padEnd(26)} ${j.statusLabel.padEnd(10)} essais ${j.attempts}  créée ${frDateTime(j.createdAt)}  (${j.kindLabel})${j.lastError ? `\n    erreur : ${j.lastError}` : ''}`,
          );
      }),
    );
  jobs
    .command('retry')
    .description('relance une tâche en échec')
    .argument('<id>', 'identifiant de la tâche')
    .action((id: string) =>
      runWithPlatform(global(), async ({ ctx }) => {
        const j = await retryJob(ctx, systemActor('cli'), id);
        console.log(`Tâche ${j.id} (${j.kindLabel}) remise en file : ${j.statusLabel.toLowerCase()}.`);
      }),
    );
  jobs
    .command('run-daily')
    .description(
      'fait la passe quotidienne (échéances, avis, renouvellements, répondeurs OCSP, conservation) pour une date, une seule fois toutes instances confondues',
    )
    .option('--at <date>', 'date de la passe (AAAA-MM-JJ, ou date et heure ISO) ; défaut : maintenant')
    .option('--force', 'refait la passe même si elle a déjà été faite pour cette date')
    .action((opts: { at?: string; force?: boolean }) =>
      runWithPlatform(global(), async ({ ctx, config }) => {
        const at = opts.at ? parseAt(opts.at, config.operations.dailyTime) : ctx.now();
        // The pass sees the clock at that date (its offset from now kept while it runs).
        const offset = at.getTime() - ctx.now().getTime();
        const base = ctx.now;
        const dated = { ...ctx, now: () => new Date(base().getTime() + offset) };
        const slot = dailySlot(at, '00:00')!;
        const pki = pkiEnvironment(config);
        registerPkiJobs(pki);
        const r = await runTaskOnce(dated, 'daily', slot, () => dailyPass(dated, { pki, config }), {
          owner: INSTANCE_ID,
          force: opts.force ?? false,
        });
        // Jobs the dated pass queued (mails…) are due at its date; the workers run on the real clock:
        // make those queued in the future due now (only they were created after the real now).
        const realNow = base().toISOString();
        if (offset > 0)
          await ctx.store.db
            .updateTable('jobs')
            .set({ run_at: realNow })
            .where('status', '=', 'pending')
            .where('created_at', '>', realNow)
            .where('run_at', '>', realNow)
            .execute();
        if (r.status === 'skipped') {
          console.log(
            `Passe quotidienne du ${slot} déjà faite ou en cours (instance ${r.owner}) : rien à faire (--force pour la refaire).`,
          );
          return;
        }
        if (r.status === 'failed') throw new AppError('conflict', `Passe quotidienne du ${slot} en échec : ${r.error}`);
        console.log(`Passe quotidienne du ${slot} faite : ${JSON.stringify(r.result)}`);
      }),
    );

  const retention = program.command('retention').description('conservation des données personnelles');
  retention
    .command('run')
    .description('efface ce qui dépasse sa durée de conservation (journalisé)')
    .option('--dry-run', 'montre ce qui serait effacé, sans rien changer')
    .action((opts: { dryRun?: boolean }) =>
      runWithPlatform(global(), async ({ ctx, config }) => {
        const r = await runRetention(ctx, systemActor('cli'), config.operations.retention, {
          dryRun: opts.dryRun ?? false,
          mailDir: config.mailDir,
        });
        console.log(r.dryRun ? 'Simulation (rien n’a été effacé) :' : 'Passe de conservation faite :');
        for (const [k, n] of Object.entries(r.counts))
          console.log(`  ${String(n).padStart(6)} ${RETENTION_LABELS[k as keyof RetentionCounts]}`);
      }),
    );
  retention
    .command('export')
    .description("exporte tout ce que la plateforme détient sur un agent (droit d'accès) en JSON, ou en PDF")
    .requiredOption('--agent <identifiant>', "identifiant de l'agent")
    .requiredOption('--out <fichier>', 'fichier à écrire (.json ou .pdf)')
    .action((opts: { agent: string; out: string }) =>
      runWithPlatform(global(), async ({ ctx }) => {
        const agent = await ctx.store.db
          .selectFrom('agents')
          .select('id')
          .where('identifier', '=', opts.agent)
          .executeTakeFirst();
        if (!agent) throw new AppError('not_found', `Agent inconnu : ${opts.agent}`);
        const data = await exportPersonalData(ctx, systemActor('cli'), agent.id);
        writeFileSync(
          opts.out,
          opts.out.toLowerCase().endsWith('.pdf') ? await personalDataPdf(data) : JSON.stringify(data, null, 2) + '\n',
          { mode: 0o600 },
        );
        console.log(
          `Données de ${String(data.agent['first_names'])} ${String(data.agent['last_name'])} exportées : ${opts.out}`,
        );
      }),
    );
}
