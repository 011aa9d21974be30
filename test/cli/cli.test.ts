import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DatabaseSync } from 'node:sqlite';
import { openPlatform } from '../../src/platform.ts';
import { redeemSignInLink } from '../../src/app/access/sessions.ts';
import { countRows } from '../../src/store/audit.ts';
import { freshPgDatabase, tempDir } from '../support/platform.ts';
import { cartes, CLI_SHIM as SHIM, ROOT, run } from '../support/process.ts';

const SAMPLE = join(ROOT, 'test', 'fixtures', 'hr-feed-sample.csv');

/** A `node` found on PATH that is not the Node 24 running this test (the system one, e.g. v20). */
function systemNode(): { path: string; major: number } | null {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter).concat(['/usr/bin', '/usr/local/bin'])) {
    const candidate = join(dir, 'node');
    if (!dir || dir.includes('node_modules') || !existsSync(candidate)) continue;
    const v = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    if (v.status !== 0) continue;
    const major = Number(v.stdout.trim().split('.')[0]);
    if (major < 24) return { path: candidate, major };
  }
  return null;
}

const ENGLISH = /\b(Usage|Options|Commands|Arguments):|display help|\(choices:|\(default:/;

describe('cartes CLI', () => {
  let data: string;
  before(() => {
    data = tempDir('cli');
  });
  after(() => {
    rmSync(data, { recursive: true, force: true });
  });

  it('prints French help for every command and exits 0', async () => {
    const commands: [string[], RegExp][] = [
      [[], /gestion des cartes à puce des agents publics/],
      [['serve'], /démarre la plateforme/],
      [['migrate'], /applique les migrations/],
      [['demo'], /données de démonstration/],
      [['demo', 'load'], /charge les données de démonstration/],
      [['import'], /imports/],
      [['import', 'agents'], /importe un flux SIRH/],
      [['verify-audit'], /vérifie l'intégrité du journal d'audit/],
      [['admin'], /commandes d'administration/],
      [['admin', 'sign-in-link'], /crée un lien de connexion à usage unique/],
      [['demo', 'pki'], /crée l'IGC de démonstration/],
    ];
    const results = await Promise.all(commands.map(([cmd]) => cartes([...cmd, '--help'])));
    results.forEach((r, i) => {
      const [cmd, description] = commands[i]!;
      const what = `cartes ${cmd.join(' ')} --help`;
      assert.equal(r.code, 0, `${what}: ${r.stderr}`);
      assert.equal(r.stderr, '', what);
      assert.match(r.stdout, new RegExp(`^Utilisation : cartes${cmd.length ? ' ' + cmd.join(' ') : ''} `), what);
      assert.match(r.stdout, description, what);
      assert.match(r.stdout, /Options :/, what);
      assert.match(r.stdout, /-h, --help +affiche l'aide de la commande/, what);
      assert.doesNotMatch(r.stdout, ENGLISH, what);
    });
    assert.match(results[6]!.stdout, /--org <code> +code de l'organisation destinataire/);
    assert.match(results[6]!.stdout, /\(valeurs : "csv", "jsonl"\)/);
    const viaHelp = await cartes(['help', 'admin']);
    assert.equal(viaHelp.code, 0);
    assert.match(viaHelp.stdout, /sign-in-link/);
  });

  it('reports usage errors in French with exit code 1', async () => {
    const r = await cartes(['--data', data, 'import', 'agents', SAMPLE]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Erreur : option obligatoire manquante : --org <code>/);
    const unknown = await cartes(['--data', data, 'nimporte']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /commande inconnue : nimporte/);
  });

  it('loads the demo data once, then finds it already there', async () => {
    const first = await cartes(['--data', data, 'demo', 'load']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stdout,
      /^Données de démonstration chargées \(\d+ éléments créés, \d+ dossiers d'une année d'activité du centre de traitement\)\.\n$/,
    );
    const second = await cartes(['--data', data, 'demo', 'load']);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, 'Données de démonstration déjà présentes : rien à faire.\n');
    assert.ok(existsSync(join(data, 'cartes.sqlite')));
  });

  it('creates the demonstration PKI once, with its CRLs published', async () => {
    const first = await cartes(['--data', data, 'demo', 'pki']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /IGC de démonstration créée/);
    // Published in the database, where every instance serves them from.
    const db = new DatabaseSync(join(data, 'cartes.sqlite'), { readOnly: true });
    const published = db
      .prepare(
        "select c.name from published_crls p join certification_authorities c on c.id = p.ca_id where p.status = 'published'",
      )
      .all()
      .map((r) => r['name']);
    db.close();
    for (const ca of ['collectivites', 'etat', 'armees']) assert.ok(published.includes(ca), ca);
    const second = await cartes(['--data', data, 'demo', 'pki']);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /existe déjà/);
    const init = await cartes(['--data', data, 'ca', 'list']);
    assert.equal(init.code, 0, init.stderr);
  });

  it('prints a one-time sign-in link that opens a session', async () => {
    const r = await cartes(['--data', data, 'admin', 'sign-in-link', '--person', 'admin.national']);
    assert.equal(r.code, 0, r.stderr);
    const m = /^(http:\/\/127\.0\.0\.1:3000)\/connexion\?jeton=([A-Za-z0-9_-]{43})\n$/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.match(r.stderr, /Lien valable jusqu'à .+, une seule fois\./);
    const { ctx, store } = await openPlatform({ data }, {});
    try {
      const session = await redeemSignInLink(ctx, m[2]!, null);
      const admin = await store.db
        .selectFrom('agents')
        .select('id')
        .where('identifier', '=', 'admin.national')
        .executeTakeFirstOrThrow();
      assert.equal(session.agentId, admin.id);
    } finally {
      await store.close();
    }
    const withUrl = await cartes(['--data', data, 'admin', 'sign-in-link', '--person', 'admin.national'], {
      CARTES_PUBLIC_URL: 'https://cartes.example.gouv.fr',
    });
    assert.match(withUrl.stdout, /^https:\/\/cartes\.example\.gouv\.fr\/connexion\?jeton=/);
  });

  it('refuses a sign-in link for an unknown person, in French, with exit code 1', async () => {
    const r = await cartes(['--data', data, 'admin', 'sign-in-link', '--person', 'personne.inconnue']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, "Erreur : Aucune personne n'a l'identifiant « personne.inconnue ».\n");
    const noRole = await cartes(['--data', data, 'admin', 'sign-in-link', '--person', 'leroy.a77011']);
    assert.equal(noRole.code, 1);
    assert.match(noRole.stderr, /Agathe LEROY n'a aucun rôle : la connexion est inutile\./);
  });

  it('imports an HR feed and prints the summary and the rejected lines', async () => {
    const r = await cartes(['--data', data, 'import', 'agents', SAMPLE, '--org', '77011']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(
      lines[0],
      '12 ligne(s) lue(s) : 8 créé(s), 1 modifié(s), 0 inchangé(s), 3 ligne(s) rejetée(s), 0 désactivé(s).',
    );
    assert.equal(lines[1], 'Lignes rejetées (20 premières) :');
    assert.match(r.stdout, /ligne 8, date_naissance : date inexistante « 31\/02\/1990 »/);
    assert.match(r.stdout, /ligne 12, courriel : adresse électronique invalide/);
    assert.match(r.stdout, /Rapport complet : portail, rubrique « Import du flux SIRH » \(import [0-9a-f-]{36}\)\./);
    const again = await cartes(['--data', data, 'import', 'agents', SAMPLE, '--org', '77011']);
    assert.equal(again.code, 0);
    assert.match(
      again.stdout,
      /^12 ligne\(s\) lue\(s\) : 0 créé\(s\), 0 modifié\(s\), 9 inchangé\(s\), 3 ligne\(s\) rejetée\(s\)/,
    );

    const unknownOrg = await cartes(['--data', data, 'import', 'agents', SAMPLE, '--org', 'NULLEPART']);
    assert.equal(unknownOrg.code, 1);
    assert.match(unknownOrg.stderr, /^Erreur : Organisation inconnue : NULLEPART/);
    const missing = await cartes(['--data', data, 'import', 'agents', join(data, 'absent.csv'), '--org', '77011']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Erreur : Fichier introuvable : .*absent\.csv/);
  });

  it('verifies the audit trail', async () => {
    const r = await cartes(['--data', data, 'verify-audit']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Journal d'audit intègre : \d+ enregistrement\(s\) vérifié\(s\)\.\n$/);
  });

  it('refuses to work on a sealed audit trail with the key of another data folder', async () => {
    // --db alone: the data folder (and its audit.key) defaults to ./data of the working directory.
    const elsewhere = tempDir('cli-cwd');
    try {
      const r = await cartes(['--db', join(data, 'cartes.sqlite'), 'verify-audit'], {}, { cwd: elsewhere });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(
        r.stderr,
        /^Erreur : Clé de scellement du journal d'audit introuvable \(.*audit\.key\) alors que ce journal est déjà scellé : indiquez le dossier de données de cette base/,
      );
      assert.equal(existsSync(join(elsewhere, 'data', 'audit.key')), false, 'no stray key left behind');
      const load = await cartes(['--db', join(data, 'cartes.sqlite'), 'demo', 'load'], {}, { cwd: elsewhere });
      assert.equal(load.code, 1, 'nothing is written under a foreign key either');
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
    const still = await cartes(['--data', data, 'verify-audit']);
    assert.equal(still.code, 0, still.stderr);
  });

  it('refuses an invalid configuration with "Configuration invalide" and exit code 1', async () => {
    const r = await cartes(['--data', data, 'serve'], { CARTES_PORT: 'abc' });
    assert.equal(r.code, 1, r.stdout);
    assert.match(
      r.stderr,
      /^Erreur : Configuration invalide :\n {2}- CARTES_PORT : port invalide « abc » \(0 à 65535\)\./,
    );
    const several = await cartes(['--data', data, 'migrate'], {
      CARTES_BRANDING: 'rose',
      CARTES_SMTP_URL: 'http://mail',
    });
    assert.equal(several.code, 1);
    assert.match(several.stderr, /Configuration invalide/);
    assert.match(several.stderr, /CARTES_BRANDING : « rose » inconnu/);
    assert.match(several.stderr, /CARTES_SMTP_URL : adresse SMTP invalide/);
  });

  it('bin/cartes.js started by an older system Node hands over to the pinned Node 24', async () => {
    const sys = systemNode();
    assert.ok(sys, 'a system node older than 24 is on PATH (the shim exists for it)');
    const help = await run(sys.path, [SHIM, '--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Utilisation : cartes /);
    // Real work needs Node 24 (TypeScript type stripping, node:sqlite): it only succeeds after the hand-over.
    const shimData = tempDir('cli-shim');
    try {
      const load = await run(sys.path, [SHIM, '--data', shimData, 'demo', 'load']);
      assert.equal(load.code, 0, load.stderr);
      assert.match(load.stdout, /Données de démonstration chargées/);
      const bad = await run(sys.path, [
        SHIM,
        '--data',
        shimData,
        'admin',
        'sign-in-link',
        '--person',
        'personne.inconnue',
      ]);
      assert.equal(bad.code, 1, 'the exit code of the Node 24 process is passed through');
      // The same shim run by Node 24 itself imports the CLI directly.
      const direct = await run(process.execPath, [SHIM, '--data', shimData, 'verify-audit']);
      assert.equal(direct.code, 0, direct.stderr);
    } finally {
      rmSync(shimData, { recursive: true, force: true });
    }
  });
});

describe('cartes CLI on PostgreSQL', () => {
  let data: string;
  let db: { url: string; drop: () => Promise<void> };
  before(async () => {
    data = tempDir('cli-pg');
    db = await freshPgDatabase('cli');
  });
  after(async () => {
    await db?.drop();
    rmSync(data, { recursive: true, force: true });
  });

  it('migrates, loads the demo once, creates a sign-in link and verifies the audit trail with --db postgres://', async () => {
    const migrated = await cartes(['--data', data, '--db', db.url, 'migrate']);
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.match(migrated.stdout, /^Base à jour : postgres:\/\/postgres@127\.0\.0\.1:\d+\/t_cli_/);
    const first = await cartes(['--data', data, '--db', db.url, 'demo', 'load']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /Données de démonstration chargées/);
    const second = await cartes(['--data', data, '--db', db.url, 'demo', 'load']);
    assert.equal(second.stdout, 'Données de démonstration déjà présentes : rien à faire.\n');
    const link = await cartes(['--data', data, '--db', db.url, 'admin', 'sign-in-link', '--person', 'lefebvre.s77']);
    assert.equal(link.code, 0, link.stderr);
    assert.match(link.stdout, /\/connexion\?jeton=[A-Za-z0-9_-]{43}\n$/);
    const imported = await cartes(['--data', data, '--db', db.url, 'import', 'agents', SAMPLE, '--org', '77011']);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /^12 ligne\(s\) lue\(s\) : 8 créé\(s\), 1 modifié\(s\)/);
    const verified = await cartes(['--data', data, '--db', db.url, 'verify-audit']);
    assert.equal(verified.code, 0, verified.stderr);
    // Nothing went to a SQLite file by mistake.
    assert.equal(existsSync(join(data, 'cartes.sqlite')), false);
    const { store } = await openPlatform({ data, db: db.url }, {});
    try {
      assert.equal(store.dialect, 'postgres');
      assert.equal(await countRows(store.db, 'organizations'), 18);
      assert.equal(await countRows(store.db, 'sign_in_links'), 1);
    } finally {
      await store.close();
    }
  });
});
