// `cartes ca …`: the certification authorities (key ceremony, issuance, status, profile check).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { systemActor } from '../app/context.ts';
import { AppError } from '../app/errors.ts';
import {
  acceptCertificate,
  checkAll,
  initPki,
  issueFromCsr,
  listAuthorities,
  listCertificates,
  pkiEnvironment,
  resumeCertificate,
  revokeCertificate,
  suspendCertificate,
} from '../app/pki/certificates.ts';
import { REASON_LABELS, REVOCATION_REASONS } from '../domain/certificate-status.ts';
import type { Population } from '../pki/ca-init.ts';
import { KeyStoreError } from '../pki/keystore.ts';
import { closePkcs11Stores, pkcs11PinFromEnv, readPinFile, type Pkcs11Target } from '../pki/pkcs11-custody.ts';
import { CARD_PROFILES } from '../pki/profiles.ts';
import { runWithPlatform, type GlobalOptions } from './shared.ts';
import { newestCrlDer, publishAllCrls, publishCrl } from '../app/pki/publication.ts';
import { registerPkiJobs } from '../jobs/pki-jobs.ts';
import { OCSP_RENEW_BEFORE_DAYS, renewOcspResponders } from '../app/pki/responder-renewal.ts';
import { runDueJobs } from '../jobs/worker.ts';
import type { AppContext } from '../app/context.ts';
import type { Config } from '../config.ts';

/** Runs the jobs a status change queued (CRL publication) before the command returns. */
async function publishQueued(ctx: AppContext, config: Config): Promise<void> {
  registerPkiJobs(pkiEnvironment(config));
  while ((await runDueJobs(ctx)) > 0) {
    /* drain */
  }
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Reads a line from the terminal without echoing it. */
function readHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY)
    return Promise.reject(
      new AppError(
        'invalid',
        'Pas de terminal pour saisir les secrets : utilisez deux fois --custodian-secret-file <fichier>.',
      ),
    );
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (err: Error | null) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done(null);
        if (ch === '\u0003') return done(new AppError('invalid', 'Saisie interrompue.'));
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

async function custodianSecrets(files: string[] | undefined): Promise<string[]> {
  if (files && files.length > 0) {
    if (files.length !== 2)
      throw new AppError(
        'invalid',
        `Deux fichiers de secret sont nécessaires (un par dépositaire), ${files.length} donné(s).`,
      );
    return files.map((f) => {
      try {
        return readFileSync(f, 'utf8').replace(/\r?\n$/, '');
      } catch {
        throw new AppError('invalid', `Fichier de secret illisible : ${f}.`);
      }
    });
  }
  const secrets: string[] = [];
  for (const who of ['premier', 'second']) {
    const first = await readHidden(`Secret du ${who} dépositaire (12 caractères au moins, non affiché) : `);
    const again = await readHidden(`Confirmez le secret du ${who} dépositaire : `);
    if (first !== again)
      throw new AppError(
        'invalid',
        `Les deux saisies du secret du ${who} dépositaire diffèrent : cérémonie abandonnée, rien n'a été créé.`,
      );
    secrets.push(first);
  }
  return secrets;
}

function parsePopulations(values: string[] | undefined): Population[] | undefined {
  if (!values || values.length === 0) return undefined;
  return values.map((v) => {
    const i = v.indexOf('=');
    if (i <= 0)
      throw new AppError(
        'invalid',
        `Population « ${v} » : forme attendue nom=libellé (ex. collectivites=Acteurs des Collectivités Territoriales).`,
      );
    return { name: v.slice(0, i).trim(), label: v.slice(i + 1).trim() };
  });
}

/** The ceremony's PKCS#11 target from the options: module and token together, PIN from the file or the environment. */
function pkcs11Option(opts: {
  pkcs11Module?: string;
  pkcs11Token?: string;
  pkcs11PinFile?: string;
}): Pkcs11Target | undefined {
  if (!opts.pkcs11Module && !opts.pkcs11Token && !opts.pkcs11PinFile) return undefined;
  if (!opts.pkcs11Module || !opts.pkcs11Token)
    throw new AppError('invalid', 'PKCS#11 : --pkcs11-module et --pkcs11-token vont ensemble.');
  try {
    const pin = opts.pkcs11PinFile ? readPinFile(opts.pkcs11PinFile) : pkcs11PinFromEnv();
    if (!pin)
      throw new AppError(
        'invalid',
        'PKCS#11 : PIN du jeton manquant (--pkcs11-pin-file, CARTES_PKCS11_PIN ou CARTES_PKCS11_PIN_FILE).',
      );
    return { module: opts.pkcs11Module, tokenLabel: opts.pkcs11Token, pin };
  } catch (err) {
    if (err instanceof KeyStoreError) throw new AppError('invalid', err.message);
    throw err;
  }
}

export function registerCaCommands(program: Command): void {
  const global = (): GlobalOptions => program.opts();
  const actor = systemActor('cli');
  const ca = program
    .command('ca')
    .description('autorités de certification (IGC) : cérémonie des clés, émission, révocation');

  ca.command('init')
    .description('cérémonie des clés : AC racine (double contrôle), AC émettrices et répondeurs OCSP')
    .option(
      '--custodian-secret-file <fichier>',
      'fichier du secret d’un dépositaire (à donner deux fois ; sinon saisie masquée)',
      collect,
    )
    .option(
      '--population <nom=libellé>',
      'AC émettrice à créer (répétable ; défaut : collectivites, etat, armees)',
      collect,
    )
    .option(
      '--pkcs11-module <chemin>',
      'module PKCS#11 (.so) : clés des AC émettrices et des répondeurs OCSP sur un jeton',
    )
    .option('--pkcs11-token <libellé>', 'libellé du jeton PKCS#11 (avec --pkcs11-module)')
    .option(
      '--pkcs11-pin-file <fichier>',
      'fichier du PIN du jeton (sinon CARTES_PKCS11_PIN ou CARTES_PKCS11_PIN_FILE) ; jamais enregistré en base',
    )
    .action(
      (opts: {
        custodianSecretFile?: string[];
        population?: string[];
        pkcs11Module?: string;
        pkcs11Token?: string;
        pkcs11PinFile?: string;
      }) =>
        runWithPlatform(global(), async ({ ctx, config }) => {
          const populations = parsePopulations(opts.population);
          const pkcs11 = pkcs11Option(opts);
          const secrets = await custodianSecrets(opts.custodianSecretFile);
          try {
            const result = await initPki(ctx, actor, pkiEnvironment(config), {
              custodianSecrets: secrets,
              ...(populations ? { populations } : {}),
              ...(pkcs11 ? { pkcs11 } : {}),
            });
            console.log(result.report.join('\n'));
          } finally {
            await closePkcs11Stores();
          }
        }),
    );

  ca.command('certs')
    .description('écrit les certificats des AC et des répondeurs OCSP (PEM) dans un dossier')
    .requiredOption('--out <dossier>', 'dossier de destination')
    .action((opts: { out: string }) =>
      runWithPlatform(global(), async ({ ctx }) => {
        const list = await listAuthorities(ctx, actor);
        if (list.length === 0)
          throw new AppError('not_found', "Aucune autorité de certification : lancez d'abord « cartes ca init ».");
        mkdirSync(opts.out, { recursive: true });
        for (const a of list) {
          const file = join(opts.out, `${a.name}.pem`);
          writeFileSync(file, a.pem);
          console.log(
            `${file} — ${a.subjectDn} (jusqu'au ${new Date(a.notAfter).toLocaleDateString('fr-FR', { timeZone: 'UTC' })})`,
          );
        }
      }),
    );

  ca.command('issue')
    .description('délivre un certificat de carte à partir d’une demande PKCS#10 (affiche le PEM)')
    .requiredOption('--csr <fichier>', 'demande de certificat (PEM ou DER)')
    .addOption(
      new Option('--profile <profil>', 'profil du certificat').choices([...CARD_PROFILES]).makeOptionMandatory(),
    )
    .requiredOption('--subject-agent <identifiant>', "identifiant de l'agent titulaire")
    .option('--ca <nom>', "AC émettrice (défaut : selon l'organisation de l'agent)")
    .option('--card <identifiant>', 'carte qui porte la clé')
    .action((opts: { csr: string; profile: string; subjectAgent: string; ca?: string; card?: string }) =>
      runWithPlatform(global(), async ({ ctx, config }) => {
        let csr: Uint8Array;
        try {
          csr = readFileSync(opts.csr);
        } catch {
          throw new AppError('invalid', `Fichier de demande illisible : ${opts.csr}.`);
        }
        const c = await issueFromCsr(ctx, actor, pkiEnvironment(config), {
          csr,
          profile: opts.profile,
          agentIdentifier: opts.subjectAgent,
          ...(opts.ca ? { caName: opts.ca } : {}),
          cardId: opts.card ?? null,
        });
        process.stdout.write(c.pem);
        console.error(
          `Certificat ${c.profile.toUpperCase()} délivré par l'AC ${c.caName} : numéro de série ${c.serial}, ${c.subjectDn}, valable jusqu'au ${new Date(c.notAfter).toLocaleDateString('fr-FR', { timeZone: 'UTC' })} (statut : émis).`,
        );
      }),
    );

  const reasons = REVOCATION_REASONS.filter((r) => r !== 'certificateHold');
  ca.command('revoke')
    .description('révoque un certificat (définitif)')
    .requiredOption('--serial <hex>', 'numéro de série (hexadécimal)')
    .addOption(new Option('--reason <motif>', 'motif RFC 5280').choices(reasons).default('unspecified'))
    .action((opts: { serial: string; reason: string }) =>
      runWithPlatform(global(), async ({ ctx, config }) => {
        const r = await revokeCertificate(ctx, actor, opts.serial, opts.reason);
        await publishQueued(ctx, config);
        console.log(`Certificat ${r.serial} révoqué (motif : ${REASON_LABELS[r.reason!]}).`);
      }),
    );

  ca.command('suspend')
    .description('suspend un certificat (certificateHold, réversible)')
    .requiredOption('--serial <hex>', 'numéro de série (hexadécimal)')
    .action((opts: { serial: string }) =>
      runWithPlatform(global(), async ({ ctx, config }) => {
        const r = await suspendCertificate(ctx, actor, opts.serial);
        await publishQueued(ctx, config);
        console.log(`Certificat ${r.serial} suspendu.`);
      }),
    );

  ca.command('resume')
    .description('lève la suspension d’un certificat')
    .requiredOption('--serial <hex>', 'numéro de série (hexadécimal)')
    .action((opts: { serial: string }) =>
      runWithPlatform(global(), async ({ ctx, config }) => {
        const r = await resumeCertificate(ctx, actor, opts.serial);
        await publishQueued(ctx, config);
        console.log(`Certificat ${r.serial} de nouveau valide.`);
      }),
    );

  ca.command('accept')
    .description('enregistre l’acceptation d’un certificat émis par son porteur (émis → valide)')
    .requiredOption('--serial <hex>', 'numéro de série (hexadécimal)')
    .action((opts: { serial: string }) =>
      runWithPlatform(global(), async ({ ctx }) => {
        const r = await acceptCertificate(ctx, actor, opts.serial);
        console.log(`Certificat ${r.serial} accepté : ${r.statusLabel.toLowerCase()}.`);
      }),
    );

  ca.command('list')
    .description('liste les certificats délivrés')
    .option('--status <statut>', 'filtre : issued, valid, suspended, revoked, expired')
    .option('--ca <nom>', 'filtre : AC émettrice')
    .action((opts: { status?: string; ca?: string }) =>
      runWithPlatform(global(), async ({ ctx }) => {
        const list = await listCertificates(ctx, actor, {
          ...(opts.status ? { status: opts.status } : {}),
          ...(opts.ca ? { caName: opts.ca } : {}),
          limit: 1000,
        });
        for (const c of list)
          console.log(
            `${c.serial}  ${c.profile.toUpperCase().padEnd(4)}  ${c.statusLabel.padEnd(10)}  ${c.caName}  ${c.subjectDn}`,
          );
        console.error(`${list.length} certificat(s).`);
      }),
    );

  ca.command('check')
    .description(
      'vérifie tous les certificats délivrés contre leur profil (sortie 2 si un certificat est non conforme)',
    )
    .action(() =>
      runWithPlatform(global(), async ({ ctx, config }) => {
        const r = await checkAll(ctx, actor, pkiEnvironment(config));
        console.log(`Certificats vérifiés : ${r.checked} — conformes : ${r.good} — non conformes : ${r.bad}`);
        for (const f of r.faults) {
          console.log(`${f.serial} (${f.profile.toUpperCase()}, ${f.subjectDn}) :`);
          for (const line of f.faults) console.log(`  - ${line}`);
        }
        if (r.bad > 0) process.exitCode = 2;
      }),
    );

  ca.command('renew-ocsp')
    .description('renouvelle les répondeurs OCSP qui expirent bientôt (nouvelle clé, ancien répondeur retiré)')
    .option(
      '--before-days <n>',
      `renouvelle ceux qui expirent dans moins de n jours (défaut : ${OCSP_RENEW_BEFORE_DAYS})`,
      (v) => Number(v),
    )
    .action((opts: { beforeDays?: number }) =>
      runWithPlatform(global(), async ({ ctx, config }) => {
        if (opts.beforeDays !== undefined && !Number.isInteger(opts.beforeDays))
          throw new AppError('invalid', '--before-days : nombre entier de jours attendu.');
        const done = await renewOcspResponders(ctx, pkiEnvironment(config), {
          actor,
          ...(opts.beforeDays !== undefined ? { beforeDays: opts.beforeDays } : {}),
        });
        for (const r of done) {
          console.log(
            `Répondeur OCSP de l'AC ${r.caName} renouvelé : numéro de série ${r.renewed.serial}, valable jusqu'au ${new Date(r.renewed.notAfter).toLocaleDateString('fr-FR', { timeZone: 'UTC' })}${r.retired ? ` ; ancien répondeur ${r.retired.serial} retiré (${r.retired.name})` : ''}.`,
          );
        }
        if (done.length === 0) console.log('Aucun répondeur OCSP à renouveler.');
      }),
    );

  ca.command('crl')
    .description("publie la liste de révocation (CRL, DER) d'une AC émettrice, ou de toutes")
    .option('--ca <nom>', 'AC émettrice (défaut : toutes)')
    .option('--out <fichier>', 'copie la CRL dans ce fichier (avec --ca)')
    .action((opts: { ca?: string; out?: string }) =>
      runWithPlatform(global(), async ({ ctx, config }) => {
        const env = pkiEnvironment(config);
        if (opts.out && !opts.ca) throw new AppError('invalid', '--out demande --ca <nom>.');
        if (opts.ca) {
          const r = await publishCrl(ctx, env, opts.ca);
          if (opts.out) writeFileSync(opts.out, (await newestCrlDer(ctx, opts.ca)) ?? Buffer.alloc(0));
          console.log(
            `CRL n° ${r.crlNumber} de l'AC ${opts.ca} : ${r.entries} entrée(s), prochaine mise à jour ${r.nextUpdate.toLocaleString('fr-FR', { timeZone: 'Europe/Paris' })}, publiée dans la base${opts.out ? ` → ${opts.out}` : ''}.`,
          );
        } else {
          const names = await publishAllCrls(ctx, env);
          console.log(`CRL publiées : ${names.join(', ') || 'aucune AC émettrice (lancez cartes ca init)'}.`);
        }
      }),
    );
}
