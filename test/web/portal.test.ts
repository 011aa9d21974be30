// Browser tests of the web portal (web/dist served by the real server on demo data):
// sign-in link, agent search, HR feed import with rejects, branding, and axe-core on every page.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestServer, type PortalTestServer } from './server-fixture.ts';
import { expectAccessible as checkAccessible, launchBrowser, needsChromium } from './journey.ts';

const ADMIN = 'admin.national'; // Jeanne DUVAL, administratrice nationale (demo data)
const TIMEOUT = { timeout: 90_000 };

/** The portal's pages (no fading card dialogs), checked once their data is in. */
const expectAccessible = (page: Page, label: string) => checkAccessible(page, label, { dialogs: false });

let browser: Browser;
let server: PortalTestServer;

/** A new browser context that records uncaught page errors and requests leaving the server. */
async function newContext(
  baseUrl: string,
): Promise<{ context: BrowserContext; page: Page; problems: string[]; requests: string[] }> {
  const context = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (e) => problems.push(`erreur JavaScript : ${e.message}`));
  page.on('request', (r) => {
    requests.push(r.url());
    if (!r.url().startsWith(baseUrl) && !r.url().startsWith('data:')) problems.push(`requête externe : ${r.url()}`);
  });
  return { context, page, problems, requests };
}

async function signIn(page: Page, srv: PortalTestServer, identifier: string): Promise<void> {
  await page.goto(await srv.signInLink(identifier));
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(`${srv.baseUrl}/`);
  await page.getByRole('heading', { level: 1, name: /^Bonjour / }).waitFor();
}

async function organizationId(page: Page, name: string): Promise<string> {
  const res = await page.request.get(`${server.baseUrl}/api/organizations`);
  assert.equal(res.status(), 200);
  const body = (await res.json()) as { items: { id: string; name: string }[] };
  const org = body.items.find((o) => o.name === name);
  assert.ok(org, `organisation ${name} absente des données de démonstration`);
  return org.id;
}

describe('portail web', needsChromium, () => {
  before(async () => {
    server = await startTestServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('la page de connexion sans jeton explique comment obtenir un lien', TIMEOUT, async () => {
    const { context, page, problems } = await newContext(server.baseUrl);
    try {
      await page.goto(`${server.baseUrl}/connexion`);
      await page.getByRole('heading', { level: 1, name: 'Connexion' }).waitFor();
      assert.equal(await page.title(), 'Connexion — Cartes Agents');
      assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
      await page.getByText('npx cartes admin sign-in-link --person <identifiant>').waitFor();
      await expectAccessible(page, 'connexion');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('se connecter avec un lien, qui ne sert qu’une fois, puis se déconnecter', TIMEOUT, async () => {
    const link = await server.signInLink(ADMIN);
    const first = await newContext(server.baseUrl);
    try {
      await first.page.goto(link);
      await first.page.getByText('Ce lien est à usage unique et valable 10 minutes').waitFor();
      await expectAccessible(first.page, 'connexion avec jeton');
      await first.page.getByRole('button', { name: 'Se connecter' }).click();
      await first.page.getByRole('heading', { level: 1, name: 'Bonjour Jeanne DUVAL' }).waitFor();
      assert.equal(first.page.url(), `${server.baseUrl}/`);
      assert.equal(await first.page.title(), 'Accueil — Cartes Agents');
      await first.page.getByText('Administrateur national').first().waitFor();

      await first.page.getByRole('button', { name: 'Se déconnecter' }).first().click();
      await first.page.waitForURL(`${server.baseUrl}/connexion`);
      await first.page.getByText('Vous êtes déconnecté.').waitFor();
      assert.deepEqual(first.problems, []);
    } finally {
      await first.context.close();
    }

    // The same link again: refused, with a French explanation.
    const second = await newContext(server.baseUrl);
    try {
      await second.page.goto(link);
      await second.page.getByRole('button', { name: 'Se connecter' }).click();
      await second.page.getByText('Connexion impossible').waitFor();
      assert.equal(second.page.url(), link);
    } finally {
      await second.context.close();
    }
  });

  test('sans session, une page protégée renvoie vers la connexion', TIMEOUT, async () => {
    const { context, page } = await newContext(server.baseUrl);
    try {
      await page.goto(`${server.baseUrl}/agents?q=dilindien`);
      await page.waitForURL(`${server.baseUrl}/connexion`);
      await page.getByText('Vous devez vous connecter pour accéder à cette page.').waitFor();
      // After signing in, the person lands where they wanted to go.
      await page.goto(await server.signInLink(ADMIN));
      await page.getByRole('button', { name: 'Se connecter' }).click();
      await page.waitForURL(`${server.baseUrl}/agents?q=dilindien`);
      await page.getByRole('link', { name: 'DILINDIEN' }).waitFor();
    } finally {
      await context.close();
    }
  });

  test('rechercher l’agent DILINDIEN et ouvrir sa fiche', TIMEOUT, async () => {
    const { context, page, problems } = await newContext(server.baseUrl);
    try {
      await signIn(page, server, ADMIN);
      await page
        .getByRole('navigation', { name: /menu principal/i })
        .getByRole('link', { name: 'Agents' })
        .click();
      await page.getByRole('heading', { level: 1, name: 'Agents' }).waitFor();
      await page.getByRole('searchbox', { name: /Rechercher/ }).fill('dilindien');
      await page.getByRole('button', { name: 'Rechercher' }).click();
      await page.waitForURL(/\/agents\?q=dilindien$/);
      await page.getByText('1 agent trouvé.').waitFor();
      const row = page.getByRole('row').filter({ hasText: 'DILINDIEN' });
      assert.equal(await row.count(), 1);
      assert.match(await row.innerText(), /Hugues/);
      assert.match(await row.innerText(), /2010002684dh/);
      assert.match(await row.innerText(), /Aubepierre-Ozouer-le-Repos/);

      await row.getByRole('link', { name: 'DILINDIEN' }).click();
      await page.getByRole('heading', { level: 1, name: 'Hugues DILINDIEN' }).waitFor();
      assert.equal(await page.title(), 'Hugues DILINDIEN — Cartes Agents');
      const fiche = page.getByRole('region', { name: 'Fiche', exact: true });
      assert.match(await fiche.innerText(), /2010002684dh/);
      assert.match(await fiche.innerText(), /Aubepierre-Ozouer-le-Repos/);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('importer un flux CSV avec des lignes invalides et lire le rapport', TIMEOUT, async () => {
    const { context, page, problems } = await newContext(server.baseUrl);
    try {
      await signIn(page, server, ADMIN);
      await page.goto(`${server.baseUrl}/imports`);
      await page.getByRole('heading', { level: 1, name: 'Import du flux SIRH' }).waitFor();
      await page.getByRole('combobox', { name: 'Organisation' }).selectOption({ label: 'Aubepierre-Ozouer-le-Repos' });
      const header =
        'identifiant;type_identifiant;nom;prenoms;sexe;date_naissance;lieu_naissance;courriel;telephone;adresse_unite;statut;categorie;profil;habilitations;organisation';
      const csv = [
        header,
        'web.test001;interne;DURAND;Alice;F;12/03/1985;Melun;alice.durand@mairie-aubepierre.fr;01 60 00 00 01;;civil;B;;COMEDEC;',
        'web.test002;interne;FONTAINE;Bruno;M;1979-07-30;Provins;bruno.fontaine@mairie-aubepierre.fr;;;civil;C;;;',
        'web.test003;interne;GARNIER;Chloé;F;05/05/1990;Meaux;chloe.garnier@mairie-aubepierre.fr;;;civil;B;;ACTES;',
        'web.test004;interne;HENRY;Damien;M;31/02/1990;Nemours;damien.henry@mairie-aubepierre.fr;;;civil;B;;;',
        'web.test005;interne;;Émile;M;01/01/1980;Melun;emile@mairie-aubepierre.fr;;;civil;B;;;',
      ].join('\r\n');
      await page.getByLabel('Fichier du flux SIRH').setInputFiles({
        name: 'flux-test.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(`${csv}\r\n`, 'utf8'),
      });
      await page.getByRole('button', { name: 'Importer' }).click();

      const result = page.locator('section', { has: page.getByRole('heading', { name: 'Résultat de l’import' }) });
      await result.waitFor({ timeout: 30_000 });
      const counter = async (name: string) =>
        Number((await result.locator('li', { hasText: name }).locator('.ca-count').innerText()).replace(/\s/g, ''));
      assert.equal(await counter('Lignes lues'), 5);
      assert.equal(await counter('Créés'), 3);
      assert.equal(await counter('Rejetés'), 2);

      const rejects = result.locator('table', { has: page.locator('caption', { hasText: 'Motifs de rejet' }) });
      const lines = await rejects.locator('tbody tr').allInnerTexts();
      assert.ok(
        lines.some((l) => /^5\b/.test(l.trim())),
        `ligne 5 (date invalide) absente des rejets : ${lines.join(' / ')}`,
      );
      assert.ok(
        lines.some((l) => /^6\b/.test(l.trim())),
        `ligne 6 (nom manquant) absente des rejets : ${lines.join(' / ')}`,
      );

      const href = await result.getByRole('link', { name: /Télécharger le rapport des rejets/ }).getAttribute('href');
      assert.ok(href, 'lien du rapport absent');
      const report = await page.request.get(new URL(href, server.baseUrl).toString());
      assert.equal(report.status(), 200);
      const text = (await report.text()).replace(/^\uFEFF/, '');
      assert.match(text, /^ligne;champ;motif/);
      assert.match(text, /\n5;/);
      assert.match(text, /\n6;/);

      // The run is listed with the past imports and has its own page.
      await page.getByRole('link', { name: 'flux-test.csv' }).first().click();
      await page.getByRole('heading', { level: 1, name: 'Import « flux-test.csv »' }).waitFor();
      await expectAccessible(page, 'détail d’un import');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('aucune violation axe-core sur les pages du portail', TIMEOUT, async () => {
    const { context, page, problems } = await newContext(server.baseUrl);
    try {
      await signIn(page, server, ADMIN);
      const communeId = await organizationId(page, 'Aubepierre-Ozouer-le-Repos');
      const agents = await page.request.get(`${server.baseUrl}/api/agents?q=dilindien`);
      const agentId = ((await agents.json()) as { items: { id: string }[] }).items[0]?.id;
      assert.ok(agentId, 'agent DILINDIEN introuvable');

      // [label, path, main heading, document title]
      const pages: [string, string, string, string][] = [
        ['accueil', '/', 'Bonjour Jeanne DUVAL', 'Accueil'],
        ['arborescence des organisations', '/organisations', 'Organisations', 'Organisations'],
        [
          'détail d’une organisation',
          `/organisations/${communeId}`,
          'Aubepierre-Ozouer-le-Repos',
          'Aubepierre-Ozouer-le-Repos',
        ],
        ['recherche d’agents', '/agents?q=dilindien', 'Agents', 'Agents'],
        ['fiche agent', `/agents/${agentId}`, 'Hugues DILINDIEN', 'Hugues DILINDIEN'],
        ['imports', '/imports', 'Import du flux SIRH', 'Import du flux SIRH'],
        ['journal d’audit', '/journal', 'Journal d’audit', 'Journal d’audit'],
        ['courriels', '/courriels', 'Courriels', 'Courriels'],
        ['déclaration d’accessibilité', '/accessibilite', 'Déclaration d’accessibilité', 'Déclaration d’accessibilité'],
      ];
      for (const [label, path, h1, title] of pages) {
        await page.goto(server.baseUrl + path);
        await page.getByRole('heading', { level: 1, name: h1 }).waitFor();
        assert.equal(await page.title(), `${title} — Cartes Agents`, `titre de la page ${label}`);
        await expectAccessible(page, label);
      }

      // Forms opened on demand are checked too.
      await page.goto(`${server.baseUrl}/organisations/${communeId}`);
      await page.getByRole('button', { name: 'Saisir une auto-évaluation' }).click();
      await page.getByRole('group', { name: /^M1 — / }).waitFor();
      await expectAccessible(page, 'formulaire d’auto-évaluation');
      await page.goto(`${server.baseUrl}/agents/${agentId}`);
      await page.getByRole('button', { name: 'Modifier la fiche' }).click();
      await page.getByRole('button', { name: 'Enregistrer les modifications' }).waitFor();
      await expectAccessible(page, 'formulaire de modification d’un agent');
      await page.goto(`${server.baseUrl}/organisations`);
      await page.getByRole('button', { name: 'Tout déplier' }).click();
      await expectAccessible(page, 'arborescence dépliée');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('marque neutre : ni Marianne ni police Marianne', TIMEOUT, async () => {
    const neutral = await startTestServer({ branding: 'neutral' });
    const { context, page, requests } = await newContext(neutral.baseUrl);
    try {
      await signIn(page, neutral, ADMIN);
      assert.match((await page.locator('html').getAttribute('class')) ?? '', /\bneutral\b/);
      assert.equal(await page.locator('.fr-header .fr-logo').isVisible(), false);
      assert.equal(await page.getByText('République').count(), 0);
      await page.locator('.fr-header__service-title', { hasText: 'Cartes Agents' }).waitFor();
      await expectAccessible(page, 'accueil (marque neutre)');
      assert.deepEqual(
        requests.filter((u) => /Marianne/i.test(u)),
        [],
      );
    } finally {
      await context.close();
      await neutral.close();
    }
  });
});
