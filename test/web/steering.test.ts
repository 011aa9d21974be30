// Browser test of the dashboards and the home page's to-do (seed 003 annex II), on the demonstration
// data with the dashboard's demo (twelve months of figures, thresholds, one red indicator this month):
// the head of centre sees the red indicator in the to-do, opens the dashboard (charts, each with its
// table, exports), raises the threshold and the indicator is no longer red; the national
// administrator opens the card programme's dashboard. axe-core finds nothing at 1280 and 375 px.
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

describe('tableaux de bord et liste des choses à faire', needsChromium, () => {
  before(async () => {
    server = await startTestServer({ steering: true });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('le chef de centre voit le clignotant rouge, le tableau de bord, et relève le seuil', TIMEOUT, async () => {
    for (const width of [1280, 375])
      await as(
        'prigent.y.camid',
        '/',
        async (page) => {
          await page.getByRole('heading', { level: 2, name: 'À faire' }).waitFor();
          const todo = page.getByRole('region', { name: 'À faire' });
          await todo.getByRole('link', { name: 'Clignotants au rouge ce mois-ci' }).waitFor();
          assert.match(await todo.innerText(), /Clignotants au rouge ce mois-ci\s*1/);
          // No internal-control demo data in this fixture: no sheet waits, the line links to the sheets.
          assert.match(await todo.innerText(), /Fiches de contrôle en attente de mon visa\s*0/);
          assert.equal(
            await todo.getByRole('link', { name: 'Fiches de contrôle en attente de mon visa' }).getAttribute('href'),
            '/controle/fiches',
          );
          await expectAccessibleShared(page, `accueil ${width}px`, { noHorizontalScroll: width === 1280 });
        },
        width,
      );

    for (const width of [1280, 375])
      await as(
        'prigent.y.camid',
        '/dossiers/tableau-de-bord',
        async (page) => {
          await page.getByRole('heading', { level: 1, name: 'Tableau de bord du centre' }).waitFor();
          await page.getByRole('status').filter({ hasText: '1 clignotant au rouge ce mois-ci.' }).waitFor();
          const charts = await page.locator('canvas[role="img"]').count();
          const tables = await page.locator('table').count();
          assert.ok(charts >= 6, `charts: ${charts}`);
          assert.ok(tables > charts, 'every chart has its table');
          assert.ok(await page.getByRole('link', { name: 'Télécharger (PDF)' }).isVisible());
          await page.getByRole('table', { name: 'Clignotants du mois en cours et leurs seuils' }).waitFor();
          await expectAccessibleShared(page, `tableau de bord ${width}px`, { noHorizontalScroll: width === 1280 });
        },
        width,
      );

    await as('prigent.y.camid', '/dossiers/tableau-de-bord', async (page) => {
      await page.getByRole('status').filter({ hasText: '1 clignotant au rouge ce mois-ci.' }).waitFor();
      const form = page.getByRole('form', { name: 'Seuils des clignotants' });
      await form.getByLabel('Mouvements rejetés par le CIC (mouvements)').fill('25');
      await form.getByRole('button', { name: 'Enregistrer les seuils' }).click();
      await page.getByRole('status').filter({ hasText: 'Seuils enregistrés.' }).waitFor();
      await page.getByRole('status').filter({ hasText: 'Aucun clignotant au rouge ce mois-ci.' }).waitFor();
    });
  });

  test('l’administrateur national voit le tableau de bord des cartes', TIMEOUT, async () => {
    for (const width of [1280, 375])
      await as(
        'admin.national',
        '/',
        async (page) => {
          await page.getByRole('link', { name: 'Tableau de bord des cartes' }).click();
          await page.getByRole('heading', { level: 1, name: 'Tableau de bord des cartes' }).waitFor();
          await page.getByRole('table', { name: /Cycle de vie des cartes/ }).waitFor();
          assert.ok((await page.locator('canvas[role="img"]').count()) >= 2);
          await expectAccessibleShared(page, `cartes ${width}px`, { noHorizontalScroll: width === 1280 });
        },
        width,
      );
  });

  test('un opérateur voit ses cartes à réceptionner et à remettre', TIMEOUT, async () => {
    await as('martin.c77011', '/', async (page) => {
      const todo = page.getByRole('region', { name: 'À faire' });
      await todo.getByRole('link', { name: 'Cartes à remettre' }).waitFor();
      await todo.getByRole('link', { name: 'Demandes à signer' }).waitFor();
      await todo.getByRole('link', { name: 'Cartes à remettre' }).click();
      await page.getByRole('heading', { level: 1 }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/supports/a-remettre');
    });
  });
});
