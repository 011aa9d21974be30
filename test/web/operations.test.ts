// Browser test of the « Exploitation » page (/exploitation, issue 12): the national administrator sees
// the instance's state, takes a backup from the page and verifies it, checks it in the operations
// journal, relaunches a failed background job and simulates the retention pass (nothing erased); the
// head of centre (seed 003 annex V §3) reads the page without the administrator's actions and records
// his check of the daily backup; an operator without the operations permission gets « Accès refusé ».
// Every effect is read back from the database; axe-core finds nothing on the page.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { actAs, expectAccessible as expectAccessibleShared, launchBrowser, needsChromium } from './journey.ts';
import { systemActor } from '../../src/app/context.ts';
import { setAgentStatus } from '../../src/app/directory/agents.ts';
import { createBackup } from '../../src/app/operations/backups.ts';
import { enqueue } from '../../src/jobs/queue.ts';
import { actorFor, agentId } from '../support/platform.ts';
import { startTestServer, type PortalTestServer } from './server-fixture.ts';

const TIMEOUT = { timeout: 300_000 };

let browser: Browser;
let server: PortalTestServer;

const as = (identifier: string, path: string, work: (page: Page) => Promise<void>, width = 1280) =>
  actAs(browser, server, identifier, path, work, width);
const expectAccessible = (page: Page, label: string) =>
  expectAccessibleShared(page, label, { noHorizontalScroll: true });

const section = (page: Page, title: string) =>
  page.locator('section').filter({ has: page.getByRole('heading', { level: 2, name: title }) });

describe('page Exploitation', needsChromium, () => {
  before(async () => {
    server = await startTestServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test(
    'l’administrateur national : état, sauvegarde faite et vérifiée, contrôle, tâche relancée, simulation de conservation',
    TIMEOUT,
    async () => {
      const { ctx, store } = server.platform;
      // A mail given up after its attempts, as the worker leaves it.
      const jobId = ctx.newId();
      const now = ctx.now().toISOString();
      await enqueue(store.db, { id: jobId, kind: 'mail.send', payload: { mailId: 'm-test' }, runAt: now, now });
      await store.db
        .updateTable('jobs')
        .set({
          status: 'failed',
          attempts: 5,
          last_attempt_at: now,
          finished_at: now,
          last_error: 'Serveur SMTP injoignable',
        })
        .where('id', '=', jobId)
        .execute();
      // An agent who left more than seven years ago: the retention pass would erase them.
      const admin = await actorFor(ctx, 'admin.national');
      const leaver = await agentId(ctx, '1003456789');
      await setAgentStatus(ctx, admin, leaver, 'inactive');
      await store.db
        .updateTable('agents')
        .set({ updated_at: '2015-03-02T10:00:00.000Z' })
        .where('id', '=', leaver)
        .execute();

      await as('admin.national', '/', async (page) => {
        await page.locator('#navigation-principale').getByRole('link', { name: 'Exploitation' }).click();
        await page.getByRole('heading', { level: 1, name: 'Exploitation' }).waitFor();
        assert.equal(new URL(page.url()).pathname, '/exploitation');

        // Instance state: every readiness check is met, and the version is told.
        const readiness = page.getByRole('table', { name: 'Disponibilité de l’instance (/readyz)' });
        await readiness.waitFor();
        for (const check of ['Base de données', 'Schéma de la base', 'Dossier de données', 'Clés des autorités'])
          assert.match(
            (await readiness.getByRole('row').filter({ hasText: check }).textContent()) ?? '',
            /Conforme/,
            check,
          );
        assert.match(await section(page, 'État de l’instance').innerText(), /Version \d+\.\d+\.\d+.*, schéma \d{3}_/);

        // Backups: none yet; one taken from the page.
        const backups = section(page, 'Sauvegardes');
        await backups.getByText('Aucune sauvegarde.').waitFor();
        assert.match(await backups.innerText(), /conservée 7 jours/);
        await expectAccessible(page, 'exploitation');
        await backups.getByRole('button', { name: 'Faire une sauvegarde maintenant' }).click();
        const table = page.getByRole('table', { name: 'Sauvegardes présentes, les plus récentes d’abord' });
        await table.waitFor();
        const rows = table.getByRole('row').filter({ hasText: 'manuelle' });
        assert.equal(await rows.count(), 1);
        assert.match(await rows.innerText(), /Non vérifiée/);
        const made = await store.db
          .selectFrom('operations_journal')
          .selectAll()
          .where('kind', '=', 'backup')
          .executeTakeFirstOrThrow();
        assert.deepEqual([made.status, made.reason, made.actor_id], ['ok', 'manual', admin.agentId]);
        assert.ok(made.location && existsSync(made.location), `backup on disk: ${made.location}`);

        // Verified from the page: the report, and the verification in the table and the journal.
        await rows.getByRole('button', { name: 'Vérifier' }).click();
        await page.getByRole('status').getByText(`Sauvegarde ${made.backup_id} vérifiée`).waitFor();
        await rows.getByText('Vérifiée', { exact: true }).waitFor();
        const verify = await store.db
          .selectFrom('operations_journal')
          .select(['status', 'backup_id'])
          .where('kind', '=', 'verify')
          .executeTakeFirstOrThrow();
        assert.deepEqual(verify, { status: 'ok', backup_id: made.backup_id });

        // The operations journal lists both; the backup is checked from there.
        const journal = page.getByRole('table', { name: 'Opérations, les plus récentes d’abord' });
        await journal.getByRole('row').filter({ hasText: 'Vérification de sauvegarde' }).waitFor();
        const backupEntry = journal.getByRole('row').filter({ hasText: 'Sauvegarde (manuelle)' });
        await backupEntry.getByRole('button', { name: 'Contrôler' }).click();
        const form = page.getByRole('form', { name: 'Contrôle du chef de centre' });
        await form.getByLabel(/Compte rendu du contrôle — Sauvegarde du/).fill('Archive présente, taille cohérente.');
        await expectAccessible(page, 'exploitation, contrôle en cours');
        await form.getByRole('button', { name: 'Enregistrer le contrôle' }).click();
        await backupEntry.getByText(/Contrôlée le .* : Archive présente, taille cohérente\./).waitFor();
        const checked = await store.db
          .selectFrom('operations_journal')
          .select(['checked_by', 'check_note'])
          .where('id', '=', made.id)
          .executeTakeFirstOrThrow();
        assert.deepEqual(checked, { checked_by: admin.agentId, check_note: 'Archive présente, taille cohérente.' });

        // The failed job, with its error, relaunched.
        const failed = page.getByRole('table', { name: 'Tâches en échec (abandonnées après leurs essais)' });
        const jobRow = failed.getByRole('row').filter({ hasText: 'Envoi de courriel' });
        assert.match(await jobRow.innerText(), /Serveur SMTP injoignable/);
        await jobRow.getByRole('button', { name: 'Relancer' }).click();
        await section(page, 'Tâches de fond').getByText('Aucune tâche en échec.').waitFor();
        const queue = page.getByRole('table', { name: 'File des tâches non terminées' });
        assert.match(await queue.getByRole('row').filter({ hasText: 'mail.send' }).innerText(), /pending\s+1/);
        const job = await store.db
          .selectFrom('jobs')
          .select(['status', 'attempts'])
          .where('id', '=', jobId)
          .executeTakeFirstOrThrow();
        assert.deepEqual(job, { status: 'pending', attempts: 0 });
        const retried = await store.db
          .selectFrom('audit_log')
          .select(['actor_id', 'outcome'])
          .where('action', '=', 'operations.job.retry')
          .where('target_id', '=', jobId)
          .execute();
        assert.deepEqual(retried, [{ actor_id: admin.agentId, outcome: 'ok' }]);

        // Retention simulated: the leaver is counted, nothing is erased, nothing journaled.
        const retention = section(page, 'Conservation des données personnelles');
        await retention.getByRole('button', { name: 'Simuler la passe (sans rien effacer)' }).click();
        await retention
          .getByRole('status')
          .getByText(/^1 agents effacés \(7 ans après la fin de leur dernière carte\)$/)
          .waitFor();
        assert.match(await retention.getByRole('status').innerText(), /courriels supprimés/);
        const still = await store.db
          .selectFrom('agents')
          .select(['status', 'last_name'])
          .where('id', '=', leaver)
          .executeTakeFirstOrThrow();
        assert.equal(still.status, 'inactive');
        assert.notEqual(still.last_name, 'EFFACÉ');
        const passes = await store.db
          .selectFrom('operations_journal')
          .select('id')
          .where('kind', '=', 'retention')
          .execute();
        assert.deepEqual(passes, []);
        await expectAccessible(page, 'exploitation après les actions');
      });
    },
  );

  test('le chef de centre lit la page et consigne son contrôle de la sauvegarde quotidienne', TIMEOUT, async () => {
    const { ctx, config, store } = server.platform;
    // The daily backup, as `serve` takes it.
    const daily = await createBackup(ctx, systemActor('backup'), config, { reason: 'daily' });
    const entry = await store.db
      .selectFrom('operations_journal')
      .select('id')
      .where('kind', '=', 'backup')
      .where('backup_id', '=', daily.manifest.id)
      .executeTakeFirstOrThrow();
    const head = await actorFor(ctx, 'prigent.y.camid');
    const note = 'Sauvegarde du jour présente dans le coffre ignifugé, étiquetée.';

    await as('prigent.y.camid', '/exploitation', async (page) => {
      await page.getByRole('heading', { level: 1, name: 'Exploitation' }).waitFor();
      await page.getByRole('table', { name: 'Disponibilité de l’instance (/readyz)' }).waitFor();
      const backups = page.getByRole('table', { name: 'Sauvegardes présentes, les plus récentes d’abord' });
      await backups.getByRole('row').filter({ hasText: 'quotidienne' }).waitFor();
      await page
        .getByRole('table', { name: 'Tâches en échec (abandonnées après leurs essais)' })
        .or(page.getByText('Aucune tâche en échec.'))
        .waitFor();
      await expectAccessible(page, 'exploitation (chef de centre)');
      // He reads and checks; taking backups, verifying, relaunching and retention are the administrator's.
      for (const action of [
        'Faire une sauvegarde maintenant',
        'Vérifier',
        'Relancer',
        'Simuler la passe (sans rien effacer)',
      ])
        assert.equal(await page.getByRole('button', { name: action }).count(), 0, action);
      assert.equal(await page.getByRole('heading', { name: 'Conservation des données personnelles' }).count(), 0);

      const journal = page.getByRole('table', { name: 'Opérations, les plus récentes d’abord' });
      const row = journal.getByRole('row').filter({ hasText: 'Sauvegarde (quotidienne)' });
      await row.getByRole('button', { name: 'Contrôler' }).click();
      const form = page.getByRole('form', { name: 'Contrôle du chef de centre' });
      await form.getByLabel(/Compte rendu du contrôle — Sauvegarde du/).fill(note);
      await form.getByRole('button', { name: 'Enregistrer le contrôle' }).click();
      await row.getByText(`: ${note}`, { exact: false }).waitFor();
      assert.equal(await row.getByRole('button', { name: 'Contrôler' }).count(), 0);
    });
    const checked = await store.db
      .selectFrom('operations_journal')
      .select(['checked_by', 'check_note', 'checked_at'])
      .where('id', '=', entry.id)
      .executeTakeFirstOrThrow();
    assert.equal(checked.checked_by, head.agentId);
    assert.equal(checked.check_note, note);
    assert.ok(checked.checked_at);

    // The administrator sees the head of centre's check in the journal.
    await as('admin.national', '/exploitation', async (page) => {
      const row = page
        .getByRole('table', { name: 'Opérations, les plus récentes d’abord' })
        .getByRole('row')
        .filter({ hasText: 'Sauvegarde (quotidienne)' });
      await row.getByText(/Contrôlée le \d{2}\/\d{2}\/\d{4}/).waitFor();
      assert.match(await row.innerText(), new RegExp(note.replace(/\./g, '\\.')));
    });

    // The page works on a phone too.
    await as(
      'prigent.y.camid',
      '/exploitation',
      async (page) => {
        await page.getByRole('table', { name: 'Opérations, les plus récentes d’abord' }).waitFor();
        await expectAccessible(page, 'exploitation (375 px)');
      },
      375,
    );
  });

  test('sans le droit d’exploitation, la page est refusée en français et absente du menu', TIMEOUT, async () => {
    await as('martin.c77011', '/', async (page) => {
      await page.locator('#navigation-principale').getByText('Opération', { exact: true }).first().waitFor();
      assert.equal(await page.locator('#navigation-principale').getByRole('link', { name: 'Exploitation' }).count(), 0);
      await page.goto(`${server.baseUrl}/exploitation`);
      await page.getByRole('heading', { level: 1, name: 'Accès refusé' }).waitFor();
      await page.getByText('Vos rôles ne donnent pas accès à cette rubrique.').waitFor();
      assert.equal(await page.getByRole('heading', { name: 'Sauvegardes' }).count(), 0);
      await expectAccessible(page, 'exploitation refusée');
      // The server refuses the data as well.
      const res = await page.request.get(`${server.baseUrl}/api/operations/journal`);
      assert.equal(res.status(), 403);
      assert.match(((await res.json()) as { detail: string }).detail, /droits/);
    });
  });
});
