// What the browser journeys share: Debian's chromium, axe-core on every page, the card desk (the real
// server with web/dist, the demo PKI and cards, a real card agent holding the virtual reader), and the
// gestures of a person at the desk: pair the agent, insert a card, answer the PIN dialog, sign in and out.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { startCardAgent, type CardAgent } from '../../src/agent/server.ts';
import { cardsDir, loadDemoCards } from '../../src/app/demo/cards.ts';
import { loadDemoPki } from '../../src/app/demo/pki.ts';
import { pkiEnvironment, type PkiEnvironment } from '../../src/app/pki/certificates.ts';
import { loadChipKey } from '../../src/cards/keys.ts';
import { buildServer } from '../../src/http/server.ts';
import { openTestPlatform, type TestPlatform } from '../support/platform.ts';
import { WEB_INDEX, type PortalTestServer } from './server-fixture.ts';

export const CHROMIUM = '/usr/bin/chromium';
/** The suite's option: the browser journeys need Debian's chromium. */
export const needsChromium = { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} absent` };

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Distinct free ports on 127.0.0.1 (all probes stay open until every port is known). */
export async function freePorts(n: number): Promise<number[]> {
  const probes = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = probes.map((s) => {
    const address = s.address();
    return typeof address === 'object' && address ? address.port : 0;
  });
  await Promise.all(probes.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** What the browser-side check below uses (the server's TypeScript settings have no DOM types). */
interface BrowserGlobals {
  document: { getAnimations(): { playState: string }[]; querySelectorAll(selector: string): ArrayLike<unknown> };
  getComputedStyle(element: unknown): { visibility: string; display: string };
}

/**
 * Waits for the page's data, then asserts axe-core finds nothing. Pages with dialogs that fade in and
 * out (the card pages) are checked once no transition runs and closed dialogs are gone (`dialogs`).
 */
export async function expectAccessible(
  page: Page,
  label: string,
  opts: { dialogs?: boolean; noHorizontalScroll?: boolean } = {},
): Promise<void> {
  await page.waitForLoadState('networkidle').catch(() => {});
  await page
    .getByText('Chargement…')
    .first()
    .waitFor({ state: 'detached' })
    .catch(() => {});
  if (opts.dialogs ?? true) await settledDialogs(page);
  const { violations } = await new AxeBuilder({ page }).analyze();
  const report = violations
    .map(
      (v) =>
        `${v.id} (${v.impact}) ${v.help}: ${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 5)
          .join(' | ')}`,
    )
    .join('\n  ');
  assert.equal(violations.length, 0, `${label} (${page.url()}) — violations axe :\n  ${report}`);
  if (opts.noHorizontalScroll && (page.viewportSize()?.width ?? 0) >= 1280) {
    const scroll = await page.evaluate<boolean>('document.documentElement.scrollWidth > window.innerWidth + 1');
    assert.equal(scroll, false, `${label} : défilement horizontal`);
  }
}

async function settledDialogs(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const g = globalThis as unknown as BrowserGlobals;
    const closed = Array.from(g.document.querySelectorAll('dialog.fr-modal:not(.fr-modal--opened)'));
    return (
      g.document.getAnimations().every((a) => a.playState !== 'running') &&
      closed.every((d) => g.getComputedStyle(d).visibility === 'hidden' || g.getComputedStyle(d).display === 'none')
    );
  });
}

export interface JourneyPage {
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors (and, with `console`, CSP or CORS errors of the console): a journey expects none. */
  problems: string[];
}

/**
 * A fresh French context and page (`width` px, desktop by default) that records the page's problems;
 * with `origin`, every request to another origin is one.
 */
export async function newJourneyPage(
  browser: Browser,
  opts: { console?: boolean; width?: number; origin?: string } = {},
): Promise<JourneyPage> {
  const context = await browser.newContext({ locale: 'fr-FR', viewport: { width: opts.width ?? 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`erreur JavaScript : ${e.message} (${page.url()})`));
  const origin = opts.origin;
  if (origin)
    page.on('request', (r) => {
      if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) problems.push(`requête externe : ${r.url()}`);
    });
  if (opts.console)
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|CORS/i.test(m.text()))
        problems.push(`console : ${m.text()}`);
    });
  return { context, page, problems };
}

/** Runs a journey in a fresh page; a failure shows what the page's main area said; the context is closed. */
export async function journey(
  browser: Browser,
  fn: (j: JourneyPage) => Promise<void>,
  opts: { console?: boolean } = {},
): Promise<void> {
  const j = await newJourneyPage(browser, opts);
  try {
    await fn(j);
  } catch (err) {
    const main = await j.page
      .locator('main')
      .innerText()
      .catch(() => '');
    throw new Error(`${String(err)}\n--- page ${j.page.url()} ---\n${main.slice(0, 3000)}`, { cause: err });
  } finally {
    await j.context.close();
  }
}

/** Signs `identifier` in on the portal test server through a one-time link. */
export async function signInByLink(page: Page, server: PortalTestServer, identifier: string): Promise<void> {
  await page.goto(await server.signInLink(identifier));
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.getByRole('heading', { level: 1, name: /^Bonjour / }).waitFor();
}

/** Acts as `identifier` on `path` of the portal test server in a fresh page; the page must raise no problem. */
export async function actAs(
  browser: Browser,
  server: PortalTestServer,
  identifier: string,
  path: string,
  work: (page: Page) => Promise<void>,
  width = 1280,
): Promise<void> {
  const { context, page, problems } = await newJourneyPage(browser, { width, origin: server.baseUrl });
  try {
    await signInByLink(page, server, identifier);
    await page.goto(`${server.baseUrl}${path}`);
    await work(page);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The card desk

export interface CardDesk {
  platform: TestPlatform;
  pki: PkiEnvironment;
  server: FastifyInstance;
  agent: CardAgent;
  browser: Browser;
  baseUrl: string;
  close(): Promise<void>;
}

/**
 * The server (API + web/dist) on demo data with the demo PKI and cards, and a card agent on 127.0.0.1
 * that the server's CSP lets the pages reach. `prepare` runs before the server starts.
 */
export async function startCardDesk(prepare?: (platform: TestPlatform) => Promise<void>): Promise<CardDesk> {
  if (!existsSync(WEB_INDEX))
    throw new Error('web/dist is missing: build the portal first (vite build --config web/vite.config.ts).');
  const [serverPort, agentPort] = (await freePorts(2)) as [number, number];
  const baseUrl = `http://127.0.0.1:${serverPort}`;
  const savedAgentUrl = process.env.CARTES_AGENT_URL;
  process.env.CARTES_AGENT_URL = `http://127.0.0.1:${agentPort}`;
  const platform = await openTestPlatform('sqlite', {
    env: { CARTES_PUBLIC_URL: baseUrl, CARTES_BRANDING: 'state' },
  });
  const pki = pkiEnvironment({ publicUrl: platform.config.publicUrl, dataDir: platform.dataDir }, {});
  await loadDemoPki(platform.ctx, pki);
  await loadDemoCards(platform.ctx, pki, {});
  await prepare?.(platform);
  const server = await buildServer(platform.ctx, platform.config, { logger: false });
  await server.listen({ port: serverPort, host: '127.0.0.1' });
  const agent = await startCardAgent({
    port: agentPort,
    portalOrigin: baseUrl,
    cardsDir: cardsDir(platform.dataDir),
    chipKey: loadChipKey(platform.dataDir, {}),
  });
  const browser = await launchBrowser();
  const close = async () => {
    await browser.close();
    await agent.close();
    await server.close();
    await platform.close();
    if (savedAgentUrl === undefined) delete process.env.CARTES_AGENT_URL;
    else process.env.CARTES_AGENT_URL = savedAgentUrl;
  };
  return { platform, pki, server, agent, browser, baseUrl, close };
}

/** The reader panel of the page (sign-in page, connectivity page, life pages). */
export function readerPanel(page: Page) {
  return page.locator('main .ca-reader').first();
}

/** Puts the card with this serial in the virtual reader (taking out the one inside). */
export async function insertCard(page: Page, serial: string): Promise<void> {
  const reader = readerPanel(page);
  await reader.getByText('Lecteur : virtuel').waitFor();
  if (await reader.getByRole('button', { name: 'Retirer la carte' }).isVisible()) {
    await reader.getByRole('button', { name: 'Retirer la carte' }).click();
  }
  const select = reader.getByLabel('Carte à insérer dans le lecteur virtuel');
  await select.waitFor();
  const option = select.locator('option', { hasText: serial });
  await select.selectOption((await option.getAttribute('value'))!);
  await reader.getByRole('button', { name: 'Insérer une carte' }).click();
  await reader.getByText(`carte n° ${serial} insérée`).waitFor();
}

/**
 * Answers the « Vérification PIN » dialog (a masked, numeric field). Waits for the dialog to close,
 * unless `closes` is false (a wrong PIN keeps it open); `tries` checks the tries left it shows.
 */
export async function enterPin(
  page: Page,
  kind: 'PIN Global' | 'PIN Propre',
  value: string,
  opts: { tries?: number; closes?: boolean } = {},
): Promise<void> {
  const dialog = page.getByRole('dialog', { name: 'Vérification PIN' });
  await dialog.waitFor();
  await dialog.getByText(`Nom du PIN : ${kind}`).waitFor();
  if (opts.tries !== undefined) await dialog.getByText(`${opts.tries} tentative`).waitFor();
  const input = dialog.getByLabel(`Code ${kind}`);
  assert.equal(await input.getAttribute('type'), 'password');
  assert.equal(await input.getAttribute('inputmode'), 'numeric');
  await input.fill(value);
  await dialog.getByRole('button', { name: 'OK' }).click();
  if (opts.closes ?? true) await dialog.waitFor({ state: 'hidden' });
}

/**
 * Fills a « Code PIN d’utilisation » / « Confirmation du code PIN » pair of the life pages (activation,
 * unblock, my PINs); `confirmation` differs from `pin` to try a mismatch.
 */
export async function choosePin(
  page: Page,
  usage: 'Authentification' | 'Signature',
  pin: string,
  confirmation = pin,
): Promise<void> {
  // The activation page names the usage after the certificate (… AUTH), the others by its word.
  const which = `(?:.*${usage === 'Authentification' ? 'AUTH' : 'SIGN'}|${usage})`;
  await page.getByLabel(new RegExp(`^Code PIN d’utilisation — ${which}`)).fill(pin);
  await page.getByLabel(new RegExp(`^Confirmation du code PIN — ${which}`)).fill(confirmation);
}

/** Pairs the page with the desk's card agent, from the sign-in page. */
export async function pairAgent(page: Page, desk: CardDesk): Promise<void> {
  await page.goto(`${desk.baseUrl}/connexion`);
  await page.getByRole('heading', { level: 1, name: 'Connexion' }).waitFor();
  await readerPanel(page).getByText('pas encore appairé').waitFor();
  await page.getByRole('button', { name: 'Appairer l’agent de carte' }).first().click();
  const pairing = page.getByRole('dialog', { name: 'Appairer l’agent de carte' });
  await pairing.waitFor();
  await pairing.getByLabel('Adresse de l’agent de carte').fill(desk.agent.url);
  await pairing.getByLabel("Code d'appairage affiché par l'agent de carte").fill(desk.agent.pairingCode);
  await pairing.getByRole('button', { name: 'Appairer' }).click();
  await pairing.waitFor({ state: 'hidden' });
}

/** Signs in with the card and its PIN Global; `greeting` is the home page's heading. */
export async function signInWithCard(
  page: Page,
  baseUrl: string,
  serial: string,
  pin: string,
  greeting: string,
): Promise<void> {
  await page.goto(`${baseUrl}/connexion`);
  await page.getByRole('heading', { level: 1, name: 'Connexion' }).waitFor();
  await insertCard(page, serial);
  await page.getByRole('button', { name: 'Se connecter avec ma carte' }).click();
  await enterPin(page, 'PIN Global', pin);
  await page.getByRole('heading', { level: 1, name: greeting }).waitFor();
}

export async function signOut(page: Page, baseUrl: string): Promise<void> {
  await page.getByRole('button', { name: 'Se déconnecter' }).first().click();
  await page.waitForURL(`${baseUrl}/connexion`);
  await page.getByText('Vous êtes déconnecté.').waitFor();
}

/** Opens an entry of the « Opération » menu of the header. */
export async function openOperation(page: Page, entry: string, heading = entry): Promise<void> {
  const nav = page.getByRole('navigation', { name: /menu principal/i });
  await nav.getByRole('button', { name: 'Opération' }).click();
  await nav.getByRole('link', { name: entry, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

/** Follows the « Porteur » entry of the header (axe-checked as `homeLabel` if given), then a link of that page. */
export async function openHolderPage(page: Page, link: string, homeLabel?: string): Promise<void> {
  await page
    .getByRole('navigation', { name: /menu principal/i })
    .getByRole('link', { name: 'Porteur' })
    .click();
  await page.getByRole('heading', { level: 1, name: 'Porteur' }).waitFor();
  if (homeLabel) await expectAccessible(page, homeLabel);
  await page.locator('main').getByRole('link', { name: link }).first().click();
  await page.getByRole('heading', { level: 1, name: link }).waitFor();
}
