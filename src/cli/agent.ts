// `cartes agent`: the workstation card agent (docs/cards.md §2) and the commands that drive the
// running one through its local admin token (<data>/agent/admin.token).
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { CardAgentClient, CardAgentError, type StatusResponse } from '../agent/client.ts';
import { LocalAgentError } from '../agent/local.ts';
import { VIRTUAL_READER, type ReaderStatus } from '../agent/readers.ts';
import { startCardAgent } from '../agent/server.ts';
import { PIN_LABELS, PIN_KINDS } from '../cards/card.ts';
import { CardKeyError, loadChipKey } from '../cards/keys.ts';
import { ConfigError, loadConfig } from '../config.ts';
import type { GlobalOptions } from './shared.ts';

interface ServeOptions {
  port?: number;
  portalOrigin?: string;
  cardsDir?: string;
  pkcs11Module?: string;
  pkcs11StateDir?: string;
}

const CHIP_STATES: Record<string, string> = {
  blank: 'vierge',
  transport: 'transport (PIN non définis)',
  active: 'active',
  terminated: 'détruite',
};
const KINDS: Record<string, string> = { virtual: 'virtuel', pkcs11: 'PKCS#11' };

function fail(err: unknown): void {
  process.exitCode = 1;
  if (
    err instanceof CardAgentError ||
    err instanceof LocalAgentError ||
    err instanceof ConfigError ||
    err instanceof CardKeyError
  ) {
    console.error(`Erreur : ${err.message}`);
    return;
  }
  console.error(`Erreur : ${err instanceof Error ? err.message : String(err)}`);
}

const port = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('port attendu de 0 à 65535.');
  return n;
};

export function readerLine(r: ReaderStatus): string {
  const head = `Lecteur « ${r.name} » (${KINDS[r.kind] ?? r.kind}) : `;
  if (!r.card) return head + (r.error ? `carte illisible — ${r.error.message}` : 'aucune carte');
  const c = r.card;
  const pins = PIN_KINDS.map((k) => {
    const p = c.pins[k];
    return `${PIN_LABELS[k]} ${!p.set ? 'non défini' : p.blocked ? 'bloqué' : `${p.triesLeft} essai${p.triesLeft > 1 ? 's' : ''}`}`;
  }).join(', ');
  return (
    head +
    [
      `carte ${c.serial}`,
      c.model,
      c.holder ?? 'titulaire non indiqué',
      CHIP_STATES[c.chipState] ?? c.chipState,
      pins,
    ].join(' — ') +
    (c.file ? ` [${c.file}]` : '')
  );
}

export function statusLines(url: string, s: StatusResponse): string[] {
  return [
    `Agent de carte : ${url} (état n° ${s.version}, ${new Date(s.changedAt).toLocaleString('fr-FR')})`,
    ...s.readers.map(readerLine),
  ];
}

export function registerAgentCommands(program: Command): void {
  const global = (): GlobalOptions => program.opts();
  const dataDir = () => loadConfig({ data: global().data }).dataDir;
  const client = (opts: { port?: number }) => CardAgentClient.local(dataDir(), process.env, opts.port);

  const agent = program
    .command('agent')
    .description('agent de carte du poste de travail : lecteurs, carte virtuelle, appairage du portail');

  agent
    .command('serve', { isDefault: true })
    .description("démarre l'agent de carte sur 127.0.0.1 et affiche le code d'appairage (commande par défaut)")
    .option('--port <n>', "port d'écoute (défaut : $CARTES_AGENT_PORT ou 7391)", port)
    .option('--portal-origin <origine>', 'seule origine web servie (défaut : origine de $CARTES_PUBLIC_URL)')
    .option('--cards-dir <dossier>', 'dossier des cartes virtuelles (défaut : <data>/cards)')
    .option('--pkcs11-module <chemin>', 'module PKCS#11 (.so) : un lecteur par jeton présent')
    .option(
      '--pkcs11-state-dir <dossier>',
      'dossier des dossiers compagnons des jetons « <libellé>.pkcs11 » (défaut : dossier des cartes)',
    )
    .action(async (opts: ServeOptions) => {
      try {
        const config = loadConfig({ data: global().data });
        let portalOrigin: string;
        try {
          portalOrigin = new URL(opts.portalOrigin ?? config.publicUrl).origin;
        } catch {
          throw new Error(
            `origine du portail invalide : « ${opts.portalOrigin ?? config.publicUrl} » (ex. https://cartes.exemple.gouv.fr).`,
          );
        }
        const cardsDir = resolve(opts.cardsDir ?? join(config.dataDir, 'cards'));
        const started = await startCardAgent({
          port: opts.port ?? config.agentPort,
          portalOrigin,
          cardsDir,
          chipKey: loadChipKey(config.dataDir),
          ...(opts.pkcs11Module
            ? {
                pkcs11: {
                  module: opts.pkcs11Module,
                  ...(opts.pkcs11StateDir ? { stateDir: resolve(opts.pkcs11StateDir) } : {}),
                },
              }
            : {}),
          dataDir: config.dataDir,
          log: (line) => console.log(`${new Date().toLocaleTimeString('fr-FR')} ${line}`),
        });
        console.log(`Agent de carte démarré : ${started.url}`);
        console.log(`Portail autorisé : ${portalOrigin}`);
        console.log(`Cartes virtuelles : ${cardsDir}`);
        console.log(`Code d'appairage : ${started.pairingCode}`);
        const stop = async () => {
          await started.close();
          process.exit(0);
        };
        process.once('SIGINT', () => void stop());
        process.once('SIGTERM', () => void stop());
      } catch (err) {
        fail(err);
      }
    });

  agent
    .command('insert')
    .description("insère une carte virtuelle (fichier du dossier des cartes de l'agent) dans le lecteur virtuel")
    .argument('<fichier>', 'nom du fichier de la carte (sans chemin)')
    .option('--port <n>', "port de l'agent (défaut : celui de l'agent démarré sur ce dossier de données)", port)
    .action(async (file: string, opts: { port?: number }) => {
      try {
        const s = await client(opts).insert(file, VIRTUAL_READER);
        const r = s.readers.find((x) => x.name === VIRTUAL_READER);
        console.log(`Carte insérée. ${r ? readerLine(r) : ''}`.trim());
      } catch (err) {
        fail(err);
      }
    });

  agent
    .command('remove')
    .description('retire la carte du lecteur virtuel')
    .option('--port <n>', "port de l'agent (défaut : celui de l'agent démarré sur ce dossier de données)", port)
    .action(async (opts: { port?: number }) => {
      try {
        await client(opts).remove(VIRTUAL_READER);
        console.log(`Lecteur « ${VIRTUAL_READER} » vide.`);
      } catch (err) {
        fail(err);
      }
    });

  agent
    .command('status')
    .description("affiche les lecteurs de l'agent et les cartes insérées")
    .option('--port <n>', "port de l'agent (défaut : celui de l'agent démarré sur ce dossier de données)", port)
    .option('--json', 'sortie JSON')
    .action(async (opts: { port?: number; json?: boolean }) => {
      try {
        const c = client(opts);
        const s = await c.status();
        console.log(opts.json ? JSON.stringify(s, null, 2) : statusLines(c.url, s).join('\n'));
      } catch (err) {
        fail(err);
      }
    });

  agent
    .command('pairing-code')
    .description("fait afficher un nouveau code d'appairage (débloque l'appairage après 5 codes erronés)")
    .option('--port <n>', "port de l'agent (défaut : celui de l'agent démarré sur ce dossier de données)", port)
    .action(async (opts: { port?: number }) => {
      try {
        console.log(`Code d'appairage : ${await client(opts).pairingCode()}`);
      } catch (err) {
        fail(err);
      }
    });
}
