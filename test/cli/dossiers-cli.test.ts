// `cartes dossiers …` on the demonstration data: the ageing report as a table and as CSV, per
// processing office, and the monthly pass that never runs twice in a month.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../support/platform.ts';
import { cartes as run } from '../support/process.ts';

/** `cartes --data DATA ARGS` (the shared runner: clean environment, 240 s at most). */
const cartes = (args: string[], data: string) => run(['--data', data, ...args], {}, { timeoutMs: 240_000 });

describe('cartes dossiers', { timeout: 600_000 }, () => {
  let data: string;
  before(async () => {
    data = tempDir('dossiers');
    const load = await cartes(['demo', 'load'], data);
    assert.equal(load.code, 0, load.stderr);
    assert.match(load.stdout, /dossiers d'une année d'activité du centre de traitement/);
  });
  after(() => rmSync(data, { recursive: true, force: true }));

  it('prints the files registered over 30 days ago and not archived, per office, as a table and as CSV', async () => {
    const table = await cartes(['dossiers', 'ageing'], data);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /dossiers enregistrés depuis plus de 30 jours et non archivés/);
    for (const office of [
      'Bureau des déplacements temporaires',
      'Bureau des mutations',
      'Bureau des dossiers de cartes',
    ])
      assert.match(table.stdout, new RegExp(`${office} : \\d+ dossier`));
    const total = Number(/ : (\d+) dossier\(s\)\./.exec(table.stdout)?.[1]);
    assert.ok(total > 0);

    const csv = await cartes(['dossiers', 'ageing', '--format', 'csv', '--days', '30', '--centre', 'CAMID'], data);
    assert.equal(csv.code, 0, csv.stderr);
    const lines = csv.stdout
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    assert.equal(
      lines[0],
      'bureau;numero;type;administre;formation;enregistre_le;anciennete_jours;situation;priorite;echeance',
    );
    assert.equal(lines.length, total + 1);
    assert.ok(
      lines.slice(1).every((l) => Number(l.split(';')[6]) >= 30),
      'every file is older than 30 days',
    );

    const wrong = await cartes(['dossiers', 'ageing', '--format', 'xml'], data);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /valeur « xml » non admise/);
    const unknown = await cartes(['dossiers', 'ageing', '--centre', 'NOPE'], data);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Centre de traitement inconnu : NOPE/);
  });

  it('runs the monthly pass once per month (the demonstration year already holds this month’s report)', async () => {
    const run = await cartes(['dossiers', 'monthly'], data);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Comptes rendus du mois déjà établis : rien à faire\./);
  });

  it('prints the centre’s dashboard over 12 months as CSV after the steering pass (demo: filled months, one red)', async () => {
    const run = await cartes(['dossiers', 'dashboard', '--centre', 'CAMID'], data);
    assert.equal(run.code, 0, run.stderr);
    // `demo load` already ran the pass: its red indicator is not signalled twice.
    assert.match(run.stderr, /Chiffres mis à jour .* ; 0 clignotant\(s\) au rouge signalé\(s\)/);
    const lines = run.stdout
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    assert.equal(lines[0]!.split(';').length, 14, 'heading, indicator, 12 months');
    const registered = lines.find((l) => l.startsWith('L’activité;Dossiers enregistrés;'))!;
    assert.ok(
      registered
        .split(';')
        .slice(2)
        .some((v) => Number(v) > 0),
      registered,
    );
    const actual = lines.find((l) => l.startsWith('Les moyens;Effectif réalisé;'))!;
    assert.ok(
      actual
        .split(';')
        .slice(2)
        .every((v) => Number(v) > 0),
      `12 filled months: ${actual}`,
    );
  });
});
