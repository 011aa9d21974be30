// Browser test of the card pages (docs/cards.md): the real server (API + web/dist) on demo data with
// the demo PKI and demo cards, a real card agent on 127.0.0.1 holding the virtual reader, and
// Debian's chromium. The walk: the operator signs in with her card, orders a card for Hugues
// DILINDIEN (prerequisites shown one by one), signs it, composes a signed batch, signs out; the
// registration authority signs in with her card and validates the batch; the simulated manufacturer
// produces and ships the card; the operator finds it in « Supports à remettre » and receives it.
// axe-core checks every new page and dialog.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { DEMO_CARD_PINS } from '../../src/app/demo/cards.ts';
import { productionEnvironment } from '../../src/app/requests/production.ts';
import { localSimulator, productionRound } from '../../src/cli/manufacturer.ts';
import { registerProductionJobs } from '../../src/jobs/production-jobs.ts';
import { agentId } from '../support/platform.ts';
import {
  enterPin,
  expectAccessible,
  insertCard,
  journey,
  needsChromium,
  openOperation,
  readerPanel,
  signInWithCard as signInWith,
  signOut as signOutOf,
  startCardDesk,
  type CardDesk,
} from './journey.ts';

const TIMEOUT = { timeout: 240_000 };
const OPERATOR_CARD = '9900000001'; // Camille MARTIN, opératrice de la mairie d'Aubepierre-Ozouer-le-Repos
const RA_CARD = '9900000002'; // Sophie LEFEBVRE, autorité d'enregistrement de la préfecture
const MODEL = 'Carte pour les agents des collectivités territoriales 2017-2020';

let desk: CardDesk;

const signInWithCard = (page: Page, serial: string, greeting: string) =>
  signInWith(page, desk.baseUrl, serial, DEMO_CARD_PINS.auth, greeting);

describe('pages des cartes', needsChromium, () => {
  before(async () => {
    desk = await startCardDesk();
  });

  after(async () => {
    await desk?.close();
  });

  test(
    'commande, lot, validation, production et réception d’une carte, avec la carte et les codes PIN',
    TIMEOUT,
    async () => {
      const { agent, baseUrl, pki, platform } = desk;
      const hugues = await agentId(platform.ctx, '2010002684dh');
      // The demo's directory record of Hugues DILINDIEN is missing at first: the order shows why.
      await platform.store.db.updateTable('agents').set({ directory_record: 0 }).where('id', '=', hugues).execute();

      await journey(
        desk.browser,
        async ({ page, problems }) => {
          page.on('request', (r) => {
            const u = r.url();
            // PINs go to the card agent only, never to the platform's server.
            const body = r.postData() ?? '';
            if (
              u.startsWith(baseUrl) &&
              (body.includes(`"${DEMO_CARD_PINS.auth}"`) ||
                body.includes(`"${DEMO_CARD_PINS.sign}"`) ||
                /"pin"/i.test(body))
            ) {
              problems.push(`code PIN envoyé au serveur : ${r.method()} ${u}`);
            }
            if (!u.startsWith(baseUrl) && !u.startsWith(agent.url) && !u.startsWith('data:'))
              problems.push(`requête externe : ${u}`);
          });
          // --- Pairing with the card agent, from the sign-in page.
          await page.goto(`${baseUrl}/connexion`);
          await page.getByRole('heading', { level: 1, name: 'Connexion' }).waitFor();
          await readerPanel(page).getByText('pas encore appairé').waitFor();
          await page.getByRole('button', { name: 'Appairer l’agent de carte' }).first().click();
          const pairing = page.getByRole('dialog', { name: 'Appairer l’agent de carte' });
          await pairing.waitFor();
          await pairing.getByLabel('Adresse de l’agent de carte').fill(agent.url);
          await pairing
            .getByLabel("Code d'appairage affiché par l'agent de carte")
            .fill(agent.pairingCode === '000000' ? '000001' : '000000');
          await pairing.getByRole('button', { name: 'Appairer' }).click();
          const pairingAlert = pairing.getByRole('alert');
          await pairingAlert.waitFor();
          assert.match(await pairingAlert.innerText(), /Code d'appairage erroné : encore 4 essais/);
          await expectAccessible(page, 'dialogue d’appairage');
          await pairing.getByLabel("Code d'appairage affiché par l'agent de carte").fill(agent.pairingCode);
          await pairing.getByRole('button', { name: 'Appairer' }).click();
          await pairing.waitFor({ state: 'hidden' });
          await readerPanel(page).getByText('Lecteur : virtuel').waitFor();
          await readerPanel(page).getByText('aucune carte insérée. Veuillez insérer le support.').waitFor();
          await expectAccessible(page, 'connexion avec le lecteur appairé');

          // --- The operator signs in with her card: a wrong PIN first, then the right one.
          await insertCard(page, OPERATOR_CARD);
          await readerPanel(page).getByText('PIN Global : 3 tentatives restantes').waitFor();
          await page.getByRole('button', { name: 'Se connecter avec ma carte' }).click();
          await page.getByRole('dialog', { name: 'Vérification PIN' }).getByText('3 tentatives restantes').waitFor();
          await expectAccessible(page, 'dialogue « Vérification PIN »');
          await enterPin(page, 'PIN Global', '0000', { tries: 3, closes: false });
          const pinDialog = page.getByRole('dialog', { name: 'Vérification PIN' });
          await pinDialog.getByText('2 tentatives restantes').waitFor();
          await pinDialog.getByRole('alert').waitFor();
          await enterPin(page, 'PIN Global', DEMO_CARD_PINS.auth, { tries: 2 });
          await page.getByRole('heading', { level: 1, name: 'Bonjour Camille MARTIN' }).waitFor();
          assert.equal(page.url(), `${baseUrl}/`);
          await page.getByRole('button', { name: `Carte n° ${OPERATOR_CARD}` }).waitFor();

          // --- Order a card for Hugues DILINDIEN from his page.
          await page.goto(`${baseUrl}/agents/${hugues}`);
          await page.getByRole('heading', { level: 1, name: 'Hugues DILINDIEN' }).waitFor();
          await page.getByRole('link', { name: 'Commander une carte' }).click();
          await page.getByRole('heading', { level: 1, name: 'Commander une carte pour Hugues DILINDIEN' }).waitFor();
          await page.getByLabel('Modèle de carte').selectOption({ label: MODEL });
          await page.getByLabel('Type de demande').selectOption({ label: 'Première demande' });
          await expectAccessible(page, 'commande : modèle et type');
          await page.getByRole('button', { name: 'Vérifier les prérequis' }).click();
          const checklist = page.getByRole('list', { name: 'Prérequis de la commande' });
          await checklist.waitFor();
          const lines = await checklist.locator('li').allInnerTexts();
          assert.equal(lines.length, 7, lines.join(' / '));
          const directory = checklist.locator('li', { hasText: 'Fiche annuaire' });
          assert.match(await directory.innerText(), /non satisfait/);
          assert.match(await directory.innerText(), /n'a pas de fiche annuaire/);
          await page.getByText('1 prérequis non satisfait').waitFor();
          await expectAccessible(page, 'commande : prérequis non satisfaits');
          // The directory record arrives (HR feed); the operator checks again.
          await platform.store.db.updateTable('agents').set({ directory_record: 1 }).where('id', '=', hugues).execute();
          await page.getByRole('button', { name: 'Modifier le modèle ou le type' }).click();
          await page.getByRole('button', { name: 'Vérifier les prérequis' }).click();
          await page.getByText('Tous les prérequis sont satisfaits.').waitFor();
          assert.equal(await checklist.locator('li', { hasText: 'non satisfait' }).count(), 0);
          await page.getByText(/Facturation : carte gratuite/).waitFor();
          await page.getByRole('button', { name: 'Créer la demande' }).click();
          const requestHeading = page.getByRole('heading', { level: 2, name: /^Demande D-\d{4}-\d{6}$/ });
          await requestHeading.waitFor();
          const requestNumber = (await requestHeading.innerText()).replace('Demande ', '');
          await page.getByText('Complète').first().waitFor();
          await page.getByRole('button', { name: 'Signer la demande' }).click();
          await enterPin(page, 'PIN Propre', DEMO_CARD_PINS.sign, { tries: 3 });
          await page.getByText(`La demande ${requestNumber} est signée.`).waitFor();
          await expectAccessible(page, 'commande : demande signée');

          // --- « Suivi des demandes »: the request, signed.
          await openOperation(page, 'Suivi des demandes');
          await page.getByLabel('Nom du porteur').fill('dilindien');
          await page.getByRole('button', { name: 'Rechercher' }).click();
          await page.waitForURL(/\/demandes\?q=dilindien$/);
          const requestRow = page.getByRole('row').filter({ hasText: requestNumber });
          await requestRow.waitFor();
          assert.match(await requestRow.innerText(), /Signée/i);
          await expectAccessible(page, 'suivi des demandes');
          await requestRow.getByRole('link', { name: requestNumber }).click();
          await page.getByRole('heading', { level: 1, name: `Demande ${requestNumber}` }).waitFor();
          await expectAccessible(page, 'détail d’une demande');

          // --- « Saisie d'un lot de demandes »: the batch, signed.
          await openOperation(page, 'Saisie d’un lot de demandes');
          await expectAccessible(page, 'saisie d’un lot');
          // DSFR checkboxes: the label is what one clicks.
          await page.locator('label', { hasText: 'Ajouter au lot la demande de Hugues DILINDIEN' }).click();
          assert.equal(await page.getByLabel('Ajouter au lot la demande de Hugues DILINDIEN').isChecked(), true);
          await page.getByText('1 demande choisie.').waitFor();
          await page.getByRole('button', { name: 'Créer et signer le lot' }).click();
          await enterPin(page, 'PIN Propre', DEMO_CARD_PINS.sign);
          const created = page.getByText(/Le lot L-\d{4}-\d{4} est créé/);
          await created.waitFor();
          const batchNumber = /L-\d{4}-\d{4}/.exec(await created.innerText())![0];
          await page.getByText('Aucune demande signée n’attend d’être mise en lot.').waitFor();
          await openOperation(page, 'Suivi des lots de demandes');
          await page.getByRole('row').filter({ hasText: batchNumber }).getByText('À valider').waitFor();
          await expectAccessible(page, 'suivi des lots');
          assert.equal(
            await page
              .getByRole('navigation', { name: /menu principal/i })
              .getByRole('link', { name: 'Validation des lots de demandes' })
              .count(),
            0,
          );

          // --- The registration authority, on the same workstation, with her own card.
          await signOutOf(page, baseUrl);
          await signInWithCard(page, RA_CARD, 'Bonjour Sophie LEFEBVRE');
          await openOperation(page, 'Validation des lots de demandes');
          await expectAccessible(page, 'validation des lots');
          await page.getByRole('link', { name: batchNumber }).click();
          await page.getByRole('heading', { level: 1, name: `Lot ${batchNumber}` }).waitFor();
          await page.getByRole('row').filter({ hasText: requestNumber }).getByText('Hugues DILINDIEN').waitFor();
          await expectAccessible(page, 'détail d’un lot à valider');
          await page.getByRole('button', { name: 'Valider le lot' }).click();
          await enterPin(page, 'PIN Propre', DEMO_CARD_PINS.sign);
          await page.getByText(`Le lot ${batchNumber} est validé`).waitFor();

          // --- The manufacturer (simulator) makes and ships the card.
          registerProductionJobs(pki);
          const env = productionEnvironment(platform.dataDir, pki, {});
          const simulator = localSimulator(platform.ctx, env, () => {});
          await productionRound(platform.ctx, env, simulator, () => {});
          const card = await platform.store.db
            .selectFrom('cards')
            .select(['id', 'serial', 'state'])
            .where('agent_id', '=', hugues)
            .executeTakeFirstOrThrow();
          assert.equal(card.state, 'shipped');
          await page.reload();
          await page.getByRole('heading', { level: 1, name: `Lot ${batchNumber}` }).waitFor();
          const messages = page.getByRole('table', {
            name: `Messages échangés avec le fabricant pour le lot ${batchNumber}`,
          });
          await messages.waitFor();
          assert.ok(
            (await messages.locator('tbody tr').count()) >= 3,
            'commande, accusé de réception, production, expédition',
          );
          await expectAccessible(page, 'détail d’un lot produit');
          await openOperation(page, 'Suivi des lots de demandes');
          const batchRow = page.getByRole('row').filter({ hasText: batchNumber });
          await batchRow.getByText('Terminé').waitFor();
          await batchRow.getByText(/Avis d'expédition/).waitFor();
          await expectAccessible(page, 'suivi des lots après production');

          // --- Back to the operator: the card to hand over, received.
          await signOutOf(page, baseUrl);
          await signInWithCard(page, OPERATOR_CARD, 'Bonjour Camille MARTIN');
          await openOperation(page, 'Supports à remettre');
          await page.getByLabel('Critère de recherche').fill(card.serial);
          await page.getByRole('button', { name: 'Rechercher' }).click();
          const cardRow = page.getByRole('row').filter({ hasText: card.serial });
          await cardRow.waitFor();
          assert.match(await cardRow.innerText(), /DILINDIEN/);
          assert.match(await cardRow.innerText(), /Expédiée/i);
          assert.equal(await cardRow.getByRole('button', { name: 'Remettre' }).isDisabled(), true);
          await expectAccessible(page, 'supports à remettre');
          await cardRow.getByRole('button', { name: /^Réceptionner la carte/ }).click();
          await enterPin(page, 'PIN Propre', DEMO_CARD_PINS.sign);
          await page.getByText(`La carte ${card.serial} de Hugues DILINDIEN est réceptionnée`).waitFor();
          await page.getByRole('row').filter({ hasText: card.serial }).getByText('Reçue, à remettre').waitFor();
          const after = await platform.store.db
            .selectFrom('cards')
            .select('state')
            .where('id', '=', card.id)
            .executeTakeFirstOrThrow();
          assert.equal(after.state, 'received');
          // « Renvoi du code d'activation par courrier ou par messagerie ».
          await page.getByRole('button', { name: 'Renvoyer le code par courrier à Hugues DILINDIEN' }).click();
          await enterPin(page, 'PIN Propre', DEMO_CARD_PINS.sign);
          await page.getByText('Le code d’activation de Hugues DILINDIEN sera renvoyé par courrier.').waitFor();
          await page.getByRole('row').filter({ hasText: card.serial }).getByText('Renvoyé par courrier').waitFor();
          await expectAccessible(page, 'supports à remettre après réception');

          // --- The other new pages, each checked by axe.
          const pages: [string, string, string][] = [
            ['accueil Opération', '/operation', 'Opération'],
            ['suivi des porteurs', '/porteurs', 'Suivi des porteurs'],
            ['liste des supports', '/supports', 'Liste des supports personnalisables'],
            ['détail d’une carte', `/supports/${card.id}`, `Carte n° ${card.serial}`],
            ['facturation', '/facturation', 'Facturation'],
            ['test de la connectivité', '/connectivite', 'Test de la connectivité'],
          ];
          for (const [label, path, h1] of pages) {
            await page.goto(baseUrl + path);
            await page
              .getByRole('heading', { level: 1, name: h1 })
              .waitFor()
              .catch(async (err: unknown) => {
                throw new Error(
                  `${label} : titre « ${h1} » absent ; la page affiche : ${(await page.locator('main').innerText()).slice(0, 600)}`,
                  { cause: err },
                );
              });
            assert.equal(await page.title(), `${h1} — Cartes Agents`, `titre de la page ${label}`);
            await expectAccessible(page, label);
          }
          // The connectivity test: every link OK with the operator's card in the reader.
          const results = page.getByRole('table', { name: 'Résultat du test de la connectivité' });
          await results.waitFor();
          assert.equal(await results.getByText('OK', { exact: true }).count(), 4, await results.innerText());
          await page.getByRole('button', { name: `Carte n° ${OPERATOR_CARD}` }).click();
          await page
            .getByRole('dialog', { name: 'Lecteur de carte' })
            .getByText(`carte n° ${OPERATOR_CARD} insérée`)
            .waitFor();
          await expectAccessible(page, 'dialogue « Lecteur de carte »');
          assert.deepEqual(problems, []);
        },
        { console: true },
      );
    },
  );
});
