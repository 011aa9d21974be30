// Browser test of the internal control (seed 003 §4), on the demonstration centre with its year of
// activity: the head of centre sets the month's plan; the BOM's controller draws the sample, controls
// a file (an anomaly on the rules) and opens a control sheet; the BOM's head, the head of the office
// concerned and the head of centre put their visas in order; the controller archives it, and the
// control mark shows on the case file's page. axe-core finds nothing on every page.
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

// The sample is drawn a posteriori among processed files: in the first days of a month, last month's.
const now = new Date();
const planMonth = (now.getUTCDate() < 3 ? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)) : now)
  .toISOString()
  .slice(0, 7);

describe('contrôle interne', needsChromium, () => {
  before(async () => {
    server = await startTestServer({ backofficeActivity: true });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('plan, tirage, contrôle d’un dossier, fiche de contrôle et ses quatre visas', TIMEOUT, async () => {
    await as('prigent.y.camid', '/controle', async (page) => {
      await page.getByRole('heading', { level: 1, name: 'Contrôle interne' }).waitFor();
      await page.getByText('Aucun plan de contrôle pour ce mois.').waitFor();
      await expectAccessible(page, 'contrôle interne, sans plan');
      await page.getByLabel('Mois (AAAA-MM)').fill(planMonth);
      await page
        .getByRole('combobox', { name: 'Type de dossier' })
        .selectOption({ label: 'Frais de déplacement temporaire — mission' });
      await page
        .getByRole('combobox', { name: 'Bureau' })
        .selectOption({ label: 'Bureau des déplacements temporaires' });
      await page
        .getByRole('combobox', { name: 'Potentialité d’erreur ou d’anomalie' })
        .selectOption({ label: 'Élevé' });
      await page.getByLabel('Objectif (nombre de dossiers, facultatif)').fill('3');
      await page.getByRole('button', { name: 'Enregistrer le plan' }).click();
      await page.getByRole('heading', { level: 2, name: /^Plan de contrôle — / }).waitFor();
      await expectAccessible(page, 'plan de contrôle fixé');
    });

    let controlPath = '';
    let filePath = '';
    await as('salaun.j.camid', '/controle', async (page) => {
      await page
        .getByRole('button', { name: /^Voir le plan de / })
        .first()
        .click();
      await page.getByRole('button', { name: 'Tirer l’échantillon' }).click();
      const first = page.getByRole('link', { name: /^Contrôler DOS-/ }).first();
      await first.waitFor();
      assert.equal(await page.getByRole('link', { name: /^Contrôler DOS-/ }).count(), 3);
      await page.getByText('Le tirage refait depuis la graine donne le même échantillon.').waitFor();
      await expectAccessible(page, 'échantillon tiré');
      controlPath = new URL((await first.getAttribute('href'))!, server.baseUrl).pathname;
      await first.click();
      await page.getByRole('heading', { level: 1, name: /^Contrôle du dossier DOS-/ }).waitFor();
      filePath = new URL((await page.locator('.ca-dl').getByRole('link').first().getAttribute('href'))!, server.baseUrl)
        .pathname;
      await expectAccessible(page, 'contrôle d’un dossier');
      const group = (name: RegExp) => page.getByRole('group', { name });
      await group(/^Existence d’une pièce justificative/)
        .getByLabel('Conforme')
        .check({ force: true });
      await group(/^Cohérence entre les pièces/)
        .getByLabel('Conforme')
        .check({ force: true });
      await group(/^Bonne application de la réglementation/)
        .getByLabel('Anomalie')
        .check({ force: true });
      await page
        .getByLabel(/^Anomalie constatée — Bonne application/)
        .fill('Indemnité journalière au taux de la zone de résidence au lieu du lieu de mission.');
      await page.getByRole('button', { name: 'Enregistrer le contrôle' }).click();
      await page.getByRole('table', { name: /Objets du contrôle/ }).waitFor();
      assert.match(await page.locator('.ca-dl').innerText(), /Contrôlé le .* par Jacques SALAÜN — timbre : CAMID/);
      await page
        .getByRole('combobox', { name: 'Nature de l’anomalie' })
        .selectOption({ label: 'Taux ou barème mal appliqué' });
      await expectAccessible(page, 'dossier contrôlé');
      await page.getByRole('button', { name: 'Établir la fiche de contrôle' }).click();
      await page.getByRole('heading', { level: 1, name: /^Fiche de contrôle FC-/ }).waitFor();
      await page.getByText('Ouverte, en attente du visa du chef du BOM').waitFor();
      await expectAccessible(page, 'fiche ouverte');
    });
    assert.ok(controlPath.startsWith('/controle/controles/'));

    // The sheet is found in each person's list of sheets waiting for them.
    const openSheet = async (page: Page) => {
      await page.getByLabel('Seulement celles qui attendent mon visa ou ma suite').check({ force: true });
      await page
        .getByRole('link', { name: /^FC-/ })
        .first()
        .click({ timeout: 20_000 })
        .catch(async (err: unknown) => {
          throw new Error(
            `${String(err)}\n--- ${page.url()} ---\n${(await page.locator('main').innerText()).slice(0, 2000)}`,
          );
        });
      await page.getByRole('heading', { level: 1, name: /^Fiche de contrôle FC-/ }).waitFor();
    };
    await as('kerjean.c.camid', '/controle/fiches', async (page) => {
      await openSheet(page);
      await page.getByLabel('Mention du visa (facultative)').fill('Vu, à traiter par le bureau.');
      await page.getByRole('button', { name: 'Viser et adresser au bureau concerné' }).click();
      await page.getByText('Visée par le chef du BOM, adressée au bureau concerné').waitFor();
    });
    await as('quere.h.camid', '/controle/fiches', async (page) => {
      await openSheet(page);
      await page.getByLabel('Suite donnée à la fiche').fill('Décompte rectifié, rappel de la règle fait au bureau.');
      await page.getByRole('button', { name: 'Enregistrer la suite donnée' }).click();
      await page.getByText('Suite indiquée, en attente du visa du chef de centre').waitFor();
      await expectAccessible(page, 'fiche suivie');
    });
    await as('prigent.y.camid', '/controle/fiches', async (page) => {
      await openSheet(page);
      await page.getByRole('button', { name: 'Viser la fiche (chef de centre)' }).click();
      await page.getByText('Visée par le chef de centre, en retour au BOM').waitFor();
    });
    await as('salaun.j.camid', '/controle/fiches', async (page) => {
      await openSheet(page);
      await page.getByRole('button', { name: 'Archiver la fiche au BOM' }).click();
      await page.getByText('Archivée au BOM').first().waitFor();
      const rows = await page.getByRole('table', { name: 'Visas et suite donnée' }).innerText();
      for (const who of ['Catherine KERJEAN', 'Hervé QUÉRÉ', 'Yves PRIGENT', 'Jacques SALAÜN'])
        assert.match(rows, new RegExp(who));
      const href = await page.getByRole('link', { name: /^Télécharger la fiche FC-/ }).getAttribute('href');
      const pdf = await page.request.get(new URL(href!, server.baseUrl).toString());
      assert.equal((await pdf.body()).subarray(0, 5).toString('latin1'), '%PDF-');
      await expectAccessible(page, 'fiche archivée');
    });
    // The control mark shows on the case file's page.
    await as('prigent.y.camid', filePath, async (page) => {
      await page.getByRole('heading', { level: 1, name: /^Dossier DOS-/ }).waitFor();
      assert.match(await page.locator('.ca-dl').first().innerText(), /Contrôlé le .* par Jacques SALAÜN/);
    });
  });
});
