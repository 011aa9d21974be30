import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, it } from 'node:test';
import { importAgents } from '../../src/app/directory/hr-import/import-agents.ts';
import { listImportRejects } from '../../src/app/directory/hr-import/import-runs.ts';
import { AppError } from '../../src/app/errors.ts';
import { countRows } from '../../src/store/audit.ts';
import type { ImportRunTable } from '../../src/store/schema.ts';
import { actorFor, forEachDatabase, openTestPlatform, orgId } from '../support/platform.ts';
import type { PersonActor, TestPlatform } from '../support/platform.ts';
import { letters } from '../support/rows.ts';

const SAMPLE = readFileSync(new URL('../fixtures/hr-feed-sample.csv', import.meta.url));
const SAMPLE_TEXT = SAMPLE.toString('utf8');
const HEADER =
  'identifiant;type_identifiant;nom;prenoms;sexe;date_naissance;lieu_naissance;courriel;telephone;adresse_unite;statut;categorie;profil;habilitations;organisation';
/** Identifiers of the valid rows of the sample feed. */
const SAMPLE_VALID = [
  '2010002684dh',
  '1234567890',
  '198765432101234',
  'N0042.dupre',
  '3000000001',
  '4200000007',
  'mil-5521',
  '2010003001ab',
  '5566778899',
];

/** Feeds the bytes in small chunks, as a network upload would arrive. */
async function* chunks(bytes: Uint8Array, size = 997): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

function generatedFeed(rows: number): Buffer {
  const lines = ['\uFEFF' + HEADER];
  const apps = ['COMEDEC', 'HELIOS', 'ACTES', 'CIMS|CHORUS', ''];
  for (let i = 0; i < rows; i++) {
    const day = String((i % 28) + 1).padStart(2, '0');
    const month = String((i % 12) + 1).padStart(2, '0');
    lines.push(
      [
        `gen-${String(i).padStart(6, '0')}`,
        'interne',
        `Nom-${letters(i)}`,
        i % 3 === 0 ? 'Éloïse Marie' : 'Jean',
        i % 2 ? 'M' : 'F',
        `${day}/${month}/${1960 + (i % 40)}`,
        'Melun',
        `agent${i}@mairie-aubepierre.fr`,
        i % 5 ? '01 60 00 00 00' : '',
        '',
        i % 7 ? 'civil' : 'militaire',
        'B',
        '',
        apps[i % apps.length],
        '',
      ].join(';'),
    );
  }
  return Buffer.from(lines.join('\r\n') + '\r\n');
}

forEachDatabase('HR feed import', (dialect) => {
  let p: TestPlatform;
  let town: string;
  let brest: string;
  let ra77: PersonActor;

  before(async () => {
    p = await openTestPlatform(dialect);
    town = await orgId(p.ctx, '77011');
    brest = await orgId(p.ctx, 'BN-BREST');
    ra77 = await actorFor(p.ctx, 'lefebvre.s77');
  });
  after(async () => {
    await p?.close();
  });

  const run = (
    bytes: Uint8Array,
    opts: { full?: boolean; org?: string; fileName?: string } = {},
  ): Promise<ImportRunTable> =>
    importAgents(p.ctx, ra77, {
      organizationId: opts.org ?? town,
      format: 'csv',
      full: opts.full ?? false,
      fileName: opts.fileName ?? 'flux.csv',
      input: chunks(bytes),
      bytesTotal: bytes.length,
    });
  const agent = (identifier: string) =>
    p.store.db.selectFrom('agents').selectAll().where('identifier', '=', identifier).executeTakeFirst();

  it('imports the sample feed: 12 lines, 3 rejected with line, field and reason', async () => {
    const before = await countRows(p.store.db, 'agents');
    const r = await run(SAMPLE, { fileName: 'hr-feed-sample.csv' });
    assert.equal(r.status, 'done');
    assert.deepEqual(
      {
        total: r.total,
        inserted: r.inserted,
        updated: r.updated,
        unchanged: r.unchanged,
        rejected: r.rejected,
        deactivated: r.deactivated,
      },
      { total: 12, inserted: 8, updated: 1, unchanged: 0, rejected: 3, deactivated: 0 },
    );
    assert.equal(r.bytes_read, SAMPLE.length);
    assert.match(
      r.message ?? '',
      /12 ligne\(s\) lue\(s\) : 8 créé\(s\), 1 modifié\(s\), 0 inchangé\(s\), 3 ligne\(s\) rejetée\(s\)/,
    );
    assert.equal(await countRows(p.store.db, 'agents'), before + 8);

    const rejects = await listImportRejects(p.ctx, ra77, r.id, 1, 50);
    assert.deepEqual([...new Set(rejects.items.map((x) => x.line))], [8, 10, 12]);
    for (const x of rejects.items) {
      assert.ok(x.field.length > 0 && x.reason.length > 0);
    }
    assert.deepEqual(
      rejects.items.map((x) => [x.line, x.field]),
      [
        [8, 'date_naissance'],
        [10, '(ligne)'],
        [12, 'courriel'],
        [12, 'habilitations'],
      ],
    );
    assert.match(rejects.items[0]!.reason, /date inexistante « 31\/02\/1990 »/);
    assert.match(rejects.items[1]!.reason, /nombre de colonnes incorrect/);

    // Normalised values landed in the directory, in the town, marked as coming from the feed.
    const sophie = await agent('1234567890');
    assert.ok(sophie);
    assert.equal(sophie.organization_id, town);
    assert.equal(sophie.last_name, 'MARTIN');
    assert.equal(sophie.unit_address, 'Préfecture du Rhône; bureau des titres\n106 rue Pierre Corneille, 69003 Lyon');
    assert.equal(sophie.phone, '+33465710001');
    assert.deepEqual(JSON.parse(sophie.habilitations), ['SAIP', 'TES']); // « TES|SAIP », in reference order
    assert.equal(sophie.source, 'hr_feed');
    assert.equal(sophie.identity_verified, 1);
    assert.equal((await agent('N0042.dupre'))?.email, 'helene.dupre@dgfip.finances.gouv.fr');
    assert.equal(await agent('ag-7781'), undefined, 'a rejected line creates nobody');
  });

  it('re-importing the same feed changes nothing', async () => {
    const snapshot = await p.store.db
      .selectFrom('agents')
      .selectAll()
      .where('identifier', 'in', SAMPLE_VALID)
      .orderBy('identifier')
      .execute();
    const r = await run(SAMPLE);
    assert.deepEqual([r.total, r.inserted, r.updated, r.unchanged, r.rejected], [12, 0, 0, 9, 3]);
    const again = await p.store.db
      .selectFrom('agents')
      .selectAll()
      .where('identifier', 'in', SAMPLE_VALID)
      .orderBy('identifier')
      .execute();
    assert.deepEqual(
      again.map((a) => ({ ...a })),
      snapshot.map((a) => ({ ...a })),
    );
  });

  it('a modified row is the only one updated', async () => {
    const modified = Buffer.from(SAMPLE_TEXT.replace('06 39 98 12 34', '06 39 98 12 35'));
    assert.notEqual(modified.toString(), SAMPLE_TEXT);
    const r = await run(modified);
    assert.deepEqual([r.inserted, r.updated, r.unchanged, r.rejected], [0, 1, 8, 3]);
    assert.equal((await agent('4200000007'))?.phone, '+33639981235');
    assert.equal((await agent('4200000007'))?.last_import_id, r.id);
  });

  it('a full feed deactivates the feed agents missing from it, never the ones created by hand', async () => {
    const smaller = Buffer.from(
      SAMPLE_TEXT.split('\n')
        .filter((l) => !l.startsWith('3000000001;') && !l.startsWith('4200000007;'))
        .join('\n'),
    );
    const manual = ['martin.c77011', 'moreau.jp77011', 'leroy.a77011'];
    for (const id of manual) assert.equal((await agent(id))?.status, 'active');
    const r = await run(smaller, { full: true });
    assert.equal(r.total, 10);
    assert.equal(r.deactivated, 2);
    assert.equal((await agent('3000000001'))?.status, 'inactive');
    assert.equal((await agent('4200000007'))?.status, 'inactive');
    for (const id of manual) assert.equal((await agent(id))?.status, 'active', `${id} (created by hand) stays active`);
    for (const id of ['1002345678', '1003456789'])
      assert.equal((await agent(id))?.status, 'active', 'outside the import scope');
    assert.equal((await agent('1234567890'))?.status, 'active');

    // The next full feed with them back reactivates them.
    const back = await run(SAMPLE, { full: true });
    assert.deepEqual([back.updated, back.deactivated], [2, 0]);
    assert.equal((await agent('3000000001'))?.status, 'active');
  });

  it('a full feed does not deactivate an agent whose line is present but rejected', async () => {
    // Hélène Dupré's line now has a typo in her email: the line is rejected, she is not "missing".
    const typo = Buffer.from(SAMPLE_TEXT.replace('Helene.Dupre@dgfip.finances.gouv.fr', 'Helene.Dupre@'));
    assert.notEqual(typo.toString(), SAMPLE_TEXT);
    const r = await run(typo, { full: true });
    assert.deepEqual([r.rejected, r.deactivated], [4, 0]);
    const rejects = await listImportRejects(p.ctx, ra77, r.id, 1, 50);
    assert.ok(rejects.items.some((x) => x.line === 6 && x.field === 'courriel'));
    assert.equal((await agent('N0042.dupre'))?.status, 'active');
    assert.equal((await agent('N0042.dupre'))?.email, 'helene.dupre@dgfip.finances.gouv.fr', 'kept as it was');
  });

  it('refuses a file that is not a feed (binary, wrong header) without writing any agent', async () => {
    const binary = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]),
      Buffer.alloc(2000, 0x41),
    ]);
    const wrongHeader = Buffer.from('numero;libelle;montant\n1;Fournitures;12,50\n2;Papier;3,20\n');
    for (const [label, bytes, message] of [
      ['binary', binary, /données binaires/],
      ['header', wrongHeader, /en-tête|colonne/i],
    ] as const) {
      const agentsBefore = await p.store.db
        .selectFrom('agents')
        .select(['id', 'updated_at', 'status'])
        .orderBy('id')
        .execute();
      const rejectsBefore = await countRows(p.store.db, 'import_rejects');
      let err: unknown;
      try {
        await run(bytes, { full: true, fileName: `${label}.csv` });
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof AppError, `${label}: AppError`);
      assert.equal(err.code, 'invalid');
      assert.match(err.message, message);
      const agentsAfter = await p.store.db
        .selectFrom('agents')
        .select(['id', 'updated_at', 'status'])
        .orderBy('id')
        .execute();
      assert.deepEqual(
        agentsAfter.map((a) => ({ ...a })),
        agentsBefore.map((a) => ({ ...a })),
        `${label}: no agent written or deactivated`,
      );
      assert.equal(await countRows(p.store.db, 'import_rejects'), rejectsBefore);
      const runRow = await p.store.db
        .selectFrom('import_runs')
        .selectAll()
        .where('file_name', '=', `${label}.csv`)
        .executeTakeFirstOrThrow();
      assert.equal(runRow.status, 'refused');
      assert.equal(runRow.message, err.message);
      assert.ok(runRow.finished_at);
      const refusal = await p.store.db
        .selectFrom('audit_log')
        .select('action')
        .where('target_id', '=', runRow.id)
        .orderBy('seq')
        .execute();
      assert.deepEqual(
        refusal.map((a) => a.action),
        ['hrImport.start', 'hrImport.refuse'],
      );
    }
  });

  it('never takes over an agent of an organisation outside the import scope', async () => {
    const brestAgent = await agent('1003456789');
    assert.ok(brestAgent);
    const feed = Buffer.from(
      [
        HEADER,
        '1003456789;alliance;Usurpateur;Jean;M;01/01/1990;Melun;jean@exemple.fr;;;civil;B;;;',
        'nouveau-77;interne;Nouveau;Paul;M;02/02/1991;Melun;;;;civil;B;;;',
        'autre-org;interne;Ailleurs;Anne;F;03/03/1992;Brest;;;;civil;B;;;BN-BREST',
        '',
      ].join('\n'),
    );
    const r = await run(feed);
    assert.deepEqual([r.total, r.inserted, r.updated, r.rejected], [3, 1, 0, 2]);
    const rejects = await listImportRejects(p.ctx, ra77, r.id, 1, 50);
    assert.deepEqual(
      rejects.items.map((x) => [x.line, x.field]),
      [
        [2, 'identifiant'],
        [4, 'organisation'],
      ],
    );
    assert.match(rejects.items[0]!.reason, /appartient à un agent d'une autre organisation/);
    assert.match(rejects.items[1]!.reason, /« BN-BREST » inconnue ou hors du périmètre/);
    const after = await agent('1003456789');
    assert.deepEqual({ ...after }, { ...brestAgent }, 'the Brest agent is untouched');
    assert.equal(after?.organization_id, brest);
    assert.equal(await agent('autre-org'), undefined);
    assert.equal((await agent('nouveau-77'))?.organization_id, town);
  });

  it('a batch whose every row is rejected is written whole: 9,000 rejects in one batch (issue 13: 8)', async () => {
    const rows = 9000;
    const lines = ['\uFEFF' + HEADER];
    for (let i = 0; i < rows; i++) lines.push(`rej-${i};interne;Nom;Jean;M;31/02/1970;Melun;;;;civil;B;;;`); // 31 February: no such date
    const feed = Buffer.from(lines.join('\n') + '\n');
    const r = await importAgents(p.ctx, ra77, {
      organizationId: town,
      format: 'csv',
      full: false,
      fileName: 'rejets.csv',
      input: chunks(feed, 64 * 1024),
      bytesTotal: feed.length,
    });
    assert.deepEqual([r.status, r.total, r.inserted, r.rejected], ['done', rows, 0, rows], r.message ?? '');
    assert.equal(
      Number(
        (
          await p.store.db
            .selectFrom('import_rejects')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('import_id', '=', r.id)
            .executeTakeFirstOrThrow()
        ).n,
      ),
      rows,
    );
  });

  it('a run that fails on an internal error keeps a French message (issue 13: 9)', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('\uFEFF' + HEADER + '\n');
      throw new Error('SQLITE_IOERR: disk I/O error');
    }
    await assert.rejects(
      importAgents(p.ctx, ra77, {
        organizationId: town,
        format: 'csv',
        full: false,
        fileName: 'coupe.csv',
        input: failing(),
        bytesTotal: null,
      }),
      /disk I\/O error/,
    );
    const failed = await p.store.db
      .selectFrom('import_runs')
      .selectAll()
      .where('file_name', '=', 'coupe.csv')
      .executeTakeFirstOrThrow();
    assert.equal(failed.status, 'failed');
    assert.match(failed.message ?? '', /^L'import s'est arrêté sur une erreur interne \(journalisée\)/);
    assert.doesNotMatch(failed.message ?? '', /disk|error/i);
  });

  it('imports a generated feed of 20,000 rows', async () => {
    const rows = 20_000;
    const feed = generatedFeed(rows);
    const before = await countRows(p.store.db, 'agents');
    const r = await importAgents(p.ctx, ra77, {
      organizationId: town,
      format: 'csv',
      full: false,
      fileName: 'gros.csv',
      input: chunks(feed, 64 * 1024),
      bytesTotal: feed.length,
      batchRows: 2000,
    });
    assert.deepEqual(
      [r.status, r.total, r.inserted, r.updated, r.unchanged, r.rejected],
      ['done', rows, rows, 0, 0, 0],
    );
    assert.equal(r.bytes_read, feed.length);
    assert.equal(await countRows(p.store.db, 'agents'), before + rows);
    const inTown = await p.store.db
      .selectFrom('agents')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('organization_id', '=', town)
      .where('identifier', 'like', 'gen-%')
      .executeTakeFirstOrThrow();
    assert.equal(Number(inTown.n), rows);
    const last = await agent('gen-019999');
    assert.equal(last?.last_name, `NOM-${letters(19999)}`);
    assert.equal(last?.source, 'hr_feed');
    const third = await agent('gen-000003');
    assert.equal(third?.first_names, 'Éloïse Marie');
    assert.equal(third?.search_text.includes('eloise marie'), true);
    // Batches are audited as they commit.
    const batches = await p.store.db
      .selectFrom('audit_log')
      .select('seq')
      .where('target_id', '=', r.id)
      .where('action', '=', 'hrImport.batch')
      .execute();
    assert.equal(batches.length, 10, `${batches.length} batches of 2,000 rows`);
  });
});
