import type { Command } from 'commander';
import { deontologicalPass } from '../app/control/deontology.ts';
import { periodLabel } from '../domain/control.ts';
import { runWithPlatform } from './shared.ts';

// `cartes control …`: the internal control of the processing centres (seed 003 §4).

export function registerControlCommands(program: Command): void {
  const control = program.command('control').description('contrôle interne des centres de traitement (BOM)');
  control
    .command('deontological')
    .description(
      'contrôle déontologique : met sous contrôle les dossiers traités au profit du personnel de chaque centre (une fois par trimestre)',
    )
    .option('--quarter <AAAA-Qn>', 'trimestre (défaut : le trimestre écoulé), ex. 2026-Q3')
    .action((opts: { quarter?: string }) =>
      runWithPlatform(program.opts(), async ({ ctx }) => {
        const r = await deontologicalPass(ctx, opts.quarter ? { quarter: opts.quarter } : {});
        if (!r.length) console.log('Aucun centre de traitement.');
        for (const x of r)
          console.log(
            x.created
              ? `${periodLabel(x.quarter)} — ${x.centreName} : ${x.files} dossier(s) mis sous contrôle déontologique.`
              : `${periodLabel(x.quarter)} — ${x.centreName} : contrôle déontologique déjà établi, rien à faire.`,
          );
      }),
    );
}
