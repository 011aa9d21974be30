import { Option, type Command } from 'commander';
import { systemActor } from '../app/context.ts';
import { AppError } from '../app/errors.ts';
import {
  ageingCsv,
  ageingReport,
  DEFAULT_AGEING_DAYS,
  monthlyAgeingPass,
  type AgeingReport,
} from '../app/backoffice/ageing.ts';
import { loadKindsFile, DEFAULT_KINDS_FILE } from '../app/backoffice/kinds.ts';
import { centreDashboard } from '../app/steering/centre-dashboard.ts';
import { dashboardCsv } from '../app/steering/report.ts';
import { steeringPass } from '../app/steering/pass.ts';
import { runWithPlatform } from './shared.ts';

// `cartes dossiers …`: the processing centre's back office from the command line (seed 003).

function table(r: AgeingReport): string {
  const lines = [
    `${r.centre.name} — dossiers enregistrés depuis plus de ${r.days} jours et non archivés`,
    `Situation au ${new Date(r.asOf).toLocaleString('fr-FR', { timeZone: 'Europe/Paris' })} : ${r.total} dossier(s).`,
  ];
  for (const o of r.offices) {
    lines.push('', `${o.name} : ${o.count} dossier(s)`);
    if (!o.files.length) continue;
    const rows = o.files.map((f) => [
      f.number,
      String(f.ageDays),
      f.statusLabel,
      f.priorityLabel,
      f.kindLabel,
      f.personName,
      f.sendingUnit,
    ]);
    const head = ['Numéro', 'Jours', 'Situation', 'Priorité', 'Type', 'Administré', 'Formation'];
    const widths = head.map((h, i) => Math.min(48, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
    const fmt = (cells: string[]) =>
      cells
        .map((c, i) => (c.length > widths[i]! ? `${c.slice(0, widths[i]! - 1)}…` : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd();
    lines.push(`  ${fmt(head)}`, ...rows.map((r) => `  ${fmt(r)}`));
  }
  return lines.join('\n');
}

async function centreIdOf(ctx: Parameters<Parameters<typeof runWithPlatform>[1]>[0]['ctx'], code: string | undefined) {
  const centres = await ctx.store.db
    .selectFrom('backoffice_centres as c')
    .innerJoin('organizations as o', 'o.id', 'c.organization_id')
    .select(['o.id', 'o.code'])
    .execute();
  if (code) {
    const c = centres.find((x) => x.code === code);
    if (!c) throw new AppError('not_found', `Centre de traitement inconnu : ${code}`);
    return [c.id];
  }
  if (!centres.length)
    throw new AppError(
      'not_found',
      'Aucun centre de traitement (chargez les données de démonstration ou créez-en un).',
    );
  return centres.map((c) => c.id);
}

export function registerDossierCommands(program: Command): void {
  const dossiers = program
    .command('dossiers')
    .description('dossiers des centres de traitement (bureau de liaison, bureaux de traitement)');
  dossiers
    .command('ageing')
    .description('dossiers enregistrés depuis plus de N jours et non archivés, par bureau de traitement')
    .option('--days <n>', `seuil en jours (défaut : ${DEFAULT_AGEING_DAYS})`, (v) => Number(v))
    .addOption(new Option('--format <format>', 'présentation').choices(['table', 'csv']).default('table'))
    .option('--centre <code>', 'code du centre (défaut : tous)')
    .action((opts: { days?: number; format: 'table' | 'csv'; centre?: string }) =>
      runWithPlatform(program.opts(), async ({ ctx }) => {
        const actor = systemActor('cli');
        for (const [i, centreId] of (await centreIdOf(ctx, opts.centre)).entries()) {
          const r = await ageingReport(ctx, actor, { centreId, days: opts.days ?? DEFAULT_AGEING_DAYS });
          if (opts.format === 'csv')
            process.stdout.write(i === 0 ? ageingCsv(r) : ageingCsv(r).replace(/^\uFEFF[^\n]*\n/, ''));
          else console.log(`${i ? '\n' : ''}${table(r)}`);
        }
      }),
    );
  dossiers
    .command('monthly')
    .description(
      'établit maintenant le compte rendu mensuel de chaque centre et l’envoie aux chefs de centre (une fois par mois)',
    )
    .action(() =>
      runWithPlatform(program.opts(), async ({ ctx }) => {
        const made = await monthlyAgeingPass(ctx);
        console.log(
          made
            ? `${made} compte(s) rendu(s) mensuel(s) établi(s) et envoyé(s).`
            : 'Comptes rendus du mois déjà établis : rien à faire.',
        );
      }),
    );
  dossiers
    .command('dashboard')
    .description(
      'tableau de bord des centres sur 12 mois glissants (CSV « ; »), après la mise à jour des chiffres, des clignotants et du recueil',
    )
    .option('--centre <code>', 'code du centre (défaut : tous)')
    .option('--month <AAAA-MM>', 'dernier mois affiché (défaut : le mois en cours)')
    .action((opts: { centre?: string; month?: string }) =>
      runWithPlatform(program.opts(), async ({ ctx }) => {
        const pass = await steeringPass(ctx);
        console.error(
          `Chiffres mis à jour (${pass.refreshed}) ; ${pass.alerts} clignotant(s) au rouge signalé(s) ; ${pass.archived} tableau(x) archivé(s).`,
        );
        const actor = systemActor('cli');
        for (const [i, centreId] of (await centreIdOf(ctx, opts.centre)).entries()) {
          const d = await centreDashboard(ctx, actor, centreId, opts.month ? { month: opts.month } : {});
          process.stdout.write(i === 0 ? dashboardCsv(d) : dashboardCsv(d).replace(/^\uFEFF[^\n]*\n/, ''));
        }
      }),
    );
  dossiers
    .command('kinds')
    .description(
      'recharge le fichier des types de dossiers (CARTES_CASE_KINDS ; les types modifiés par l’administrateur national sont conservés)',
    )
    .option('--file <fichier>', 'fichier JSON des types')
    .action((opts: { file?: string }) =>
      runWithPlatform(program.opts(), async ({ ctx }) => {
        const r = await loadKindsFile(ctx, opts.file ?? (process.env['CARTES_CASE_KINDS'] || DEFAULT_KINDS_FILE));
        console.log(
          `Types de dossiers : ${r.created} créé(s), ${r.updated} mis à jour, ${r.kept} inchangé(s) ou conservé(s).`,
        );
      }),
    );
}
