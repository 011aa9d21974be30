// Browser test of the processing centre's back office (seed 003), on the demonstration centre with
// its year of activity: the liaison office registers a slip of two files, returns the one that lacks
// a piece needing a new signature (with its letter) and registers the other; the processing office
// takes it and records the décompte; the office head self-checks it; it is transferred and the
// liaison office archives it. axe-core finds nothing on every page, at 1280 and 375 px.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { actAs, expectAccessible as expectAccessibleShared, launchBrowser, needsChromium } from './journey.ts';
import { startTestServer, type PortalTestServer } from './server-fixture.ts';

const TIMEOUT = { timeout: 300_000 };

let browser: Browser;
let server: PortalTestServer;

const as = (identifier: string, path: string, work: (page: Page) => Promise<void>, width = 1280) =>
  actAs(browser, server, identifier, path, work, width);
const expectAccessible = (page: Page, label: string) =>
  expectAccessibleShared(page, label, { noHorizontalScroll: true });

describe('bureau de liaison et bureaux de traitement', needsChromium, () => {
  before(async () => {
    server = await startTestServer({ backofficeActivity: true });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('un bordereau de l’arrivée à l’archivage, avec un renvoi et son courrier', TIMEOUT, async () => {
    let slipPath = '';
    await as('morvan.g.camid', '/dossiers/arrivee', async (page) => {
      await page.getByRole('heading', { level: 1, name: 'Arrivée des dossiers' }).waitFor();
      await expectAccessible(page, 'arrivée des dossiers');
      await page.getByRole('combobox', { name: 'Formation expéditrice' }).selectOption({ label: 'École navale' });
      await page.getByLabel('Numéro du bordereau').fill('EN/2026/0815');
      await page.getByLabel('Correspondant à la formation').fill('Premier maître GUIVARC’H');
      await page.getByLabel('Nom de l’administré (dossier 1)').fill('Loïc ABGRALL');
      await page.getByRole('button', { name: 'Ajouter un dossier' }).click();
      await page.getByLabel('Nom de l’administré (dossier 2)').fill('Katell CABON');
      await page.getByRole('button', { name: 'Enregistrer le bordereau' }).click();
      await page.getByRole('heading', { level: 1, name: /^Bordereau BE-/ }).waitFor();
      slipPath = new URL(page.url()).pathname;
      await expectAccessible(page, 'bordereau');
      assert.equal(await page.getByRole('row').filter({ hasText: 'Reçu, en contrôle' }).count(), 2);
    });

    // File 1: everything present and conform, registered and routed to the temporary-travel office.
    let firstPath = '';
    let secondPath = '';
    await as('morvan.g.camid', slipPath, async (page) => {
      await page.getByRole('link', { name: /^DOS-/ }).first().waitFor();
      const rows = page.getByRole('row');
      firstPath = new URL(
        (await rows.filter({ hasText: 'Loïc ABGRALL' }).getByRole('link').getAttribute('href')) ?? '',
        server.baseUrl,
      ).pathname;
      secondPath = new URL(
        (await rows.filter({ hasText: 'Katell CABON' }).getByRole('link').getAttribute('href')) ?? '',
        server.baseUrl,
      ).pathname;
      await page.goto(`${server.baseUrl}${firstPath}`);
      await page.getByRole('heading', { level: 1, name: /^Dossier DOS-/ }).waitFor();
      await expectAccessible(page, 'dossier à l’arrivée');
      for (const piece of [
        "Ordre de mission signé par l'autorité ayant ordonné le déplacement",
        "État des frais de déplacement signé par l'administré",
        'Justificatifs de transport (titres, factures)',
        "Justificatifs d'hébergement",
      ]) {
        await page.getByRole('button', { name: `${piece} : présente` }).click();
        await page.getByRole('row').filter({ hasText: piece }).locator('.ca-ok').waitFor();
      }
      for (const check of [
        'Présence des signatures nécessaires',
        "Existence d'un numéro d'imputation",
        "Identification de l'ayant droit",
        'Visa du commissaire',
      ]) {
        await page.getByRole('button', { name: `${check} : conforme` }).click();
        await page.getByRole('row').filter({ hasText: check }).locator('.ca-ok').waitFor();
      }
      await page.getByRole('button', { name: 'Enregistrer et répartir' }).click();
      await page.getByText('Dossier enregistré et réparti.').waitFor();
      assert.match(await page.locator('.ca-dl').innerText(), /Bureau des déplacements temporaires/);
    });

    // File 2: the mission order is missing and needs a signature: returned with its letter.
    await as('morvan.g.camid', secondPath, async (page) => {
      await page.getByRole('button', { name: /Ordre de mission.* : manquante/ }).click();
      await page.getByRole('row').filter({ hasText: 'Ordre de mission' }).locator('.ca-ko').waitFor();
      await page.getByRole('button', { name: 'Enregistrer et répartir' }).click();
      await page.getByText(/ne peut pas être enregistré/).waitFor();
      await page.getByRole('button', { name: 'Renvoyer avec le courrier' }).click();
      await page.getByText('Dossier renvoyé à la formation ; le courrier est joint au dossier.').waitFor();
      const letter = page.getByRole('link', { name: /Courrier de renvoi à la formation/ });
      const href = await letter.getAttribute('href');
      const pdf = await page.request.get(new URL(href!, server.baseUrl).toString());
      assert.equal(pdf.status(), 200);
      assert.equal((await pdf.body()).subarray(0, 5).toString('latin1'), '%PDF-');
      await expectAccessible(page, 'dossier renvoyé');
    });

    // Processing office: take, record the décompte.
    await as('lebihan.s.camid', firstPath, async (page) => {
      await page.getByRole('button', { name: 'Prendre en charge' }).click();
      await page.getByText('Dossier pris en charge.').waitFor();
      await page.getByLabel('Montant du décompte (euros)').fill('187,40');
      await page.getByLabel('Référence du décompte').fill('DEC-2026-4242');
      await page.getByRole('button', { name: 'Enregistrer le résultat' }).click();
      await page.getByText(/Résultat enregistré/).waitFor();
      assert.match(await page.locator('.ca-dl').innerText(), /187,40/);
      await expectAccessible(page, 'dossier traité');
    });
    // The office head self-checks it; the agent transfers it from the office's queue.
    await as('quere.h.camid', firstPath, async (page) => {
      await page.getByRole('button', { name: 'Enregistrer l’auto-contrôle' }).click();
      await page.getByText('Auto-contrôle enregistré.').waitFor();
    });
    await as('lebihan.s.camid', '/dossiers/bureaux', async (page) => {
      await page.getByRole('heading', { level: 1, name: 'Files des bureaux de traitement' }).waitFor();
      await expectAccessible(page, 'files des bureaux');
      await page.getByRole('link', { name: 'Bureau des déplacements temporaires' }).click();
      await page.getByRole('heading', { level: 1, name: 'Bureau des déplacements temporaires' }).waitFor();
      await expectAccessible(page, 'file d’un bureau');
      await page.getByLabel('Référence du mouvement transmis').fill('MVT-CIC-2026-0815');
      await page.getByRole('button', { name: 'Transférer' }).click();
      await page.getByText(/transférés? \(MVT-CIC-2026-0815\)/).waitFor();
    });
    // The liaison office archives it; the register shows it.
    await as('morvan.g.camid', firstPath, async (page) => {
      await page.getByLabel('Boîte', { exact: true }).fill('B-2026-EN');
      await page.getByRole('button', { name: 'Archiver' }).click();
      await page.getByText('Dossier archivé.').waitFor();
      const history = await page.getByRole('table', { name: /Historique du dossier/ }).innerText();
      for (const step of [
        'Reçu au bureau de liaison',
        'Enregistré',
        'Pris en charge',
        'Traité',
        'Auto-contrôle',
        'Transféré',
        'Archivé',
      ])
        assert.match(history, new RegExp(step), step);
      await page.goto(`${server.baseUrl}/dossiers/archives?q=ABGRALL`);
      await page.getByRole('row').filter({ hasText: 'B-2026-EN' }).waitFor();
      await expectAccessible(page, 'registre des archives');
    });
  });

  test(
    'les dossiers de plus de 30 jours par bureau, le compte rendu du chef de centre, et les autres pages',
    TIMEOUT,
    async () => {
      await as('prigent.y.camid', '/dossiers/anciennete', async (page) => {
        await page.getByRole('heading', { level: 1, name: /plus de 30 jours/ }).waitFor();
        await page
          .getByRole('status')
          .filter({ hasText: /Situation au/ })
          .waitFor();
        const counts = await page.getByRole('table', { name: 'Nombre de dossiers par bureau' }).innerText();
        assert.match(counts, /Bureau des déplacements temporaires\s+\d+/);
        const total = Number(
          /: ([\d\s ]+) dossiers?\./
            .exec(
              await page
                .getByRole('status')
                .filter({ hasText: /Situation au/ })
                .innerText(),
            )?.[1]
            ?.replace(/\s/g, ''),
        );
        assert.ok(total > 0, 'the demo has old files');
        const csv = await page.request.get(
          new URL(
            (await page.getByRole('link', { name: 'Télécharger (CSV)' }).getAttribute('href')) ?? '',
            server.baseUrl,
          ).toString(),
        );
        assert.equal(
          (await csv.text())
            .replace(/^\uFEFF/, '')
            .trim()
            .split('\r\n').length,
          total + 1,
        );
        await expectAccessible(page, 'ancienneté');
        await page.getByRole('button', { name: 'Établir le compte rendu de la situation du jour' }).click();
        const review = page
          .locator('.ca-measure')
          .filter({ hasText: /^Compte rendu — situation/ })
          .first();
        await review.getByLabel('Analyse (raisons internes et externes)').fill('Absences au bureau des mutations.');
        await review.getByLabel('Mesures prises').fill('Priorité absolue aux mutations de plus de 45 jours.');
        await review.getByRole('button', { name: 'Enregistrer l’analyse' }).click();
        await review.getByText(/Analyse de Yves PRIGENT/).waitFor();
        for (const path of ['/dossiers', '/dossiers/depenses', '/dossiers/types', '/dossiers/archives']) {
          await page.goto(`${server.baseUrl}${path}`);
          await page.getByRole('heading', { level: 1 }).waitFor();
          await expectAccessible(page, path);
        }
      });
      await as(
        'morvan.g.camid',
        '/dossiers/arrivee',
        async (page) => {
          for (const path of ['/dossiers/arrivee', '/dossiers', '/dossiers/anciennete']) {
            await page.goto(`${server.baseUrl}${path}`);
            await page.getByRole('heading', { level: 1 }).waitFor();
            await expectAccessible(page, `${path} (375 px)`);
          }
        },
        375,
      );
    },
  );
});
