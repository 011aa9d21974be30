import { Command, Help, Option } from 'commander';
import { serveCommand } from './serve.ts';
import { runWithPlatform } from './shared.ts';
import { importAgentsCommand } from './import-agents.ts';
import { registerCaCommands } from './ca.ts';
import { registerOcspCommands } from './ocsp.ts';
import { registerManufacturerCommands } from './manufacturer.ts';
import { registerAgentCommands } from './agent.ts';
import { registerOperationsCommands } from './operations.ts';
import { registerDossierCommands } from './dossiers.ts';
import { registerControlCommands } from './control.ts';
import { loadDemoActivity } from '../app/demo/backoffice.ts';
import { loadDemoSteering } from '../app/demo/steering.ts';
import { loadDemoControl } from '../app/demo/control.ts';
import { loadDemoData } from '../app/demo/directory.ts';
import { loadDemoPki } from '../app/demo/pki.ts';
import { demoCardsNotice, loadDemoCards } from '../app/demo/cards.ts';
import { pkiEnvironment } from '../app/pki/certificates.ts';
import { createServiceToken, createSignInLink, revokeServiceToken } from '../app/access/sessions.ts';
import { systemActor } from '../app/context.ts';
import { verifyAuditChain } from '../store/audit.ts';
import { AppError } from '../app/errors.ts';

// Commander's help is in English; its headings and fixed phrases are translated here.
const FRENCH_HELP: [RegExp, string][] = [
  [/^Usage:/gm, 'Utilisation :'],
  [/^Options:/gm, 'Options :'],
  [/^Commands:/gm, 'Commandes :'],
  [/^Arguments:/gm, 'Arguments :'],
  [/\(choices: /g, '(valeurs : '],
  [/\(default: /g, '(défaut : '],
  [/\[command\]/g, '[commande]'],
];
const FRENCH_ERRORS: [RegExp, string][] = [
  [/^error: /, 'Erreur : '],
  [/required option '([^']+)' not specified/, 'option obligatoire manquante : $1'],
  [/missing required argument '([^']+)'/, 'argument obligatoire manquant : $1'],
  [/unknown command '([^']+)'/, 'commande inconnue : $1'],
  [/unknown option '([^']+)'/, 'option inconnue : $1'],
  [/too many arguments/, "trop d'arguments"],
  [
    /option '([^']+)' argument '([^']+)' is invalid. Allowed choices are (.*)\./,
    'option $1 : valeur « $2 » non admise (valeurs : $3).',
  ],
  [/option '([^']+)' argument '([^']+)' is invalid\. /, 'option $1 : valeur « $2 » invalide : '],
];

const program = new Command();
program
  .configureHelp({
    formatHelp: (cmd, helper) =>
      FRENCH_HELP.reduce((text, [re, fr]) => text.replace(re, fr), Help.prototype.formatHelp.call(helper, cmd, helper)),
  })
  .helpOption('-h, --help', "affiche l'aide de la commande")
  .helpCommand('help [commande]', "affiche l'aide d'une commande")
  .configureOutput({
    outputError: (str, write) => write(FRENCH_ERRORS.reduce((text, [re, fr]) => text.replace(re, fr), str)),
  })
  .name('cartes')
  .description('Cartes Agents — gestion des cartes à puce des agents publics')
  .option('--data <dossier>', 'dossier des données (défaut : $CARTES_DATA ou ./data)')
  .option('--db <cible>', 'base : chemin SQLite ou URL postgres:// (défaut : $CARTES_DB ou <data>/cartes.sqlite)')
  .showHelpAfterError('(aide : cartes --help)');

program
  .command('serve')
  .description('démarre la plateforme (API, portail web, tâches de fond)')
  .option('--port <n>', "port d'écoute (défaut : $CARTES_PORT ou 3000)", (v) => Number(v))
  .option('--host <adresse>', "adresse d'écoute (défaut : 127.0.0.1)")
  .option(
    '--demo',
    "charge les données de démonstration si besoin (IGC, cartes de démonstration) et démarre l'agent de carte",
  )
  .option('--agent', "démarre aussi l'agent de carte local (127.0.0.1, CARTES_AGENT_PORT)")
  .action(async (opts: { port?: number; host?: string; demo?: boolean; agent?: boolean }) =>
    serveCommand(program.opts(), opts),
  );

program
  .command('migrate')
  .description('applique les migrations du schéma de la base')
  .action(() =>
    runWithPlatform(program.opts(), async ({ store }) => {
      console.log(`Base à jour : ${store.location}`);
    }),
  );

const demo = program.command('demo').description('données de démonstration');
demo
  .command('load')
  .description('charge les données de démonstration (sans effet si déjà chargées)')
  .action(() =>
    runWithPlatform(program.opts(), async ({ ctx }) => {
      const { created } = await loadDemoData(ctx);
      const activity = await loadDemoActivity(ctx);
      await loadDemoSteering(ctx);
      await loadDemoControl(ctx);
      console.log(
        created || activity.created
          ? `Données de démonstration chargées (${created} éléments créés, ${activity.created} dossiers d'une année d'activité du centre de traitement).`
          : 'Données de démonstration déjà présentes : rien à faire.',
      );
    }),
  );

demo
  .command('pki')
  .description(
    "crée l'IGC de démonstration (secrets des dépositaires publics : démonstration uniquement ; sans effet si une IGC existe)",
  )
  .action(() =>
    runWithPlatform(program.opts(), async ({ ctx, config }) => {
      const created = await loadDemoPki(ctx, pkiEnvironment(config));
      console.log(
        created
          ? 'IGC de démonstration créée (AC racine, AC émettrices, répondeurs OCSP, CRL publiées).'
          : 'Une IGC existe déjà : rien à faire.',
      );
    }),
  );

demo
  .command('cards')
  .description(
    'crée les cartes virtuelles de démonstration, actives, dans <data>/cards (après « demo load » et « demo pki » ; codes PIN publics : démonstration uniquement)',
  )
  .action(() =>
    runWithPlatform(program.opts(), async ({ ctx, config }) => {
      const { created, cards } = await loadDemoCards(ctx, pkiEnvironment(config));
      console.log(
        created
          ? `${created} carte(s) de démonstration créée(s).`
          : 'Cartes de démonstration déjà présentes : rien à faire.',
      );
      for (const line of demoCardsNotice(cards)) console.log(line);
    }),
  );

const imp = program.command('import').description('imports');
imp
  .command('agents')
  .description("importe un flux SIRH d'agents (CSV « ; » ou JSON lines)")
  .argument('<fichier>', 'fichier du flux')
  .requiredOption('--org <code>', "code de l'organisation destinataire")
  .addOption(new Option('--format <format>', 'format du fichier').choices(['csv', 'jsonl']))
  .option('--full', 'flux complet : désactive les agents absents du fichier')
  .action((file: string, opts: { org: string; format?: 'csv' | 'jsonl'; full?: boolean }) =>
    importAgentsCommand(program.opts(), file, opts),
  );

program
  .command('verify-audit')
  .description("vérifie l'intégrité du journal d'audit (chaîne d'empreintes)")
  .action(() =>
    runWithPlatform(program.opts(), async ({ store }) => {
      const r = await verifyAuditChain(store);
      if (r.ok) {
        console.log(`Journal d'audit intègre : ${r.checked} enregistrement(s) vérifié(s).`);
      } else {
        console.error(
          `Journal d'audit ALTÉRÉ : premier enregistrement en défaut n° ${r.firstBroken!.seq} — ${r.firstBroken!.reason}.`,
        );
        process.exitCode = 2;
      }
    }),
  );

const admin = program.command('admin').description("commandes d'administration");
admin
  .command('sign-in-link')
  .description('crée un lien de connexion à usage unique (10 minutes) pour une personne')
  .requiredOption('--person <identifiant>', 'identifiant de la personne (NID, numéro Alliance ou identifiant interne)')
  .action((opts: { person: string }) =>
    runWithPlatform(program.opts(), async ({ ctx, config }) => {
      const link = await createSignInLink(ctx, systemActor('cli'), opts.person);
      console.log(`${config.publicUrl}/connexion?jeton=${link.token}`);
      console.error(`Lien valable jusqu'à ${new Date(link.expiresAt).toLocaleString('fr-FR')}, une seule fois.`);
    }),
  );

const tokens = admin.command('service-token').description('comptes de service (flux SIRH par API)');
tokens
  .command('create')
  .description('crée un compte de service et affiche son jeton (une seule fois)')
  .requiredOption('--name <nom>', 'nom du compte (ex. « SIRH Seine-et-Marne »)')
  .requiredOption('--org <code>', "code de l'organisation couverte (et ses sous-organisations)")
  .option('--scope <portée>', 'portée accordée', 'hr_import')
  .action((opts: { name: string; org: string; scope: string }) =>
    runWithPlatform(program.opts(), async ({ ctx }) => {
      const org = await ctx.store.db
        .selectFrom('organizations')
        .select('id')
        .where('code', '=', opts.org)
        .executeTakeFirst();
      if (!org) throw new AppError('not_found', `Organisation inconnue : ${opts.org}`);
      const t = await createServiceToken(ctx, systemActor('cli'), {
        name: opts.name,
        organizationId: org.id,
        scopes: [opts.scope],
      });
      console.log(t.token);
      console.error(
        `Compte de service ${t.id} créé. Conservez ce jeton : il ne sera plus affiché (en-tête « Authorization: Bearer <jeton> »).`,
      );
    }),
  );
tokens
  .command('revoke')
  .description('révoque un compte de service')
  .argument('<id>', 'identifiant du compte de service')
  .action((id: string) =>
    runWithPlatform(program.opts(), async ({ ctx }) => {
      await revokeServiceToken(ctx, systemActor('cli'), id);
      console.log('Compte de service révoqué.');
    }),
  );

registerCaCommands(program);
registerOcspCommands(program);
registerManufacturerCommands(program);
registerAgentCommands(program);
registerOperationsCommands(program);
registerDossierCommands(program);
registerControlCommands(program);

await program.parseAsync(process.argv);
