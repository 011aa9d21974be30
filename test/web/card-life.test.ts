// Browser test of the card's life after reception (seed 001): the real server (API + web/dist) on
// demo data, a real card agent holding the virtual reader, Debian's chromium. The operator (demo
// card of martin.c77011) hands a received virtual card over to Hugues DILINDIEN (passport, certified
// copy), swaps cards as the guide says, activates it with the letter's code; the page refuses PINs
// breaking the rules (1234, a birth-date PIN) before anything reaches the card; the operator
// countersigns. Then the holder signs in with the new card and defines the secrets, the operator
// initials the attestation; three wrong PINs block the card, the holder unblocks it with the
// secrets without signing in, and declares its theft. Then the operator's other pages (offline
// unblock, renewal up to the holder's presence, documents, secret questions, revocation, return,
// destruction), a refusal of the certificates and an invalidation at the desk. axe-core checks
// each page.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser, type Page } from 'playwright-core';
import { DEMO_CARD_PINS } from '../../src/app/demo/cards.ts';
import { activationCodeVerifier, loadActivationKey } from '../../src/app/requests/production.ts';
import { FIXTURE_PINS, virtualCardFor, type FixtureVirtualCard } from '../support/card-fixture.ts';
import { openssl } from '../support/openssl.ts';
import type { TestPlatform } from '../support/platform.ts';
import {
  choosePin,
  enterPin,
  expectAccessible,
  insertCard,
  journey,
  needsChromium,
  openHolderPage,
  openOperation,
  pairAgent,
  readerPanel,
  signInWithCard,
  signOut as signOutOf,
  startCardDesk,
  type CardDesk,
} from './journey.ts';

const TIMEOUT = { timeout: 300_000 };
const OPERATOR_CARD = '9900000001'; // Camille MARTIN (martin.c77011), opératrice de la mairie
const HUGUES = '2010002684dh'; // Hugues DILINDIEN, born 01/01/1970
const CODE = '482913';
const NEW_PINS = { auth: '5829', sign: '6417' } as const;
const UNBLOCKED_PINS = { auth: '3816', sign: '9274' } as const;
const PERSONAL_CODE = 'Aubepierre!2026';
const ANSWERS = [
  { label: 'Quel était le nom de votre premier animal de compagnie ?', answer: 'Rex' },
  { label: 'Quel est le nom de votre école primaire ?', answer: 'Jaures' },
  { label: 'Quel est votre plat préféré ?', answer: 'Tartiflette' },
];

let desk: CardDesk;
let browser: Browser;
let platform: TestPlatform;
let baseUrl: string;
let card: FixtureVirtualCard;
let agathe: FixtureVirtualCard;
let refused: FixtureVirtualCard;
let wrongData: FixtureVirtualCard;
let moreauActive: FixtureVirtualCard;
let leGall: FixtureVirtualCard;
let kerbrat: FixtureVirtualCard;
let tanguy: FixtureVirtualCard;

const pair = (page: Page) => pairAgent(page, desk);
const signIn = (page: Page, serial: string, pin: string, greeting: string) =>
  signInWithCard(page, baseUrl, serial, pin, greeting);
const signOut = (page: Page) => signOutOf(page, baseUrl);

async function cardState(): Promise<string> {
  const row = await platform.store.db
    .selectFrom('cards')
    .select('state')
    .where('id', '=', card.cardId)
    .executeTakeFirstOrThrow();
  return row.state;
}

/** `openssl ocsp` against the server's responder, with the CA certificates it publishes under /pki/ca. */
async function ocspAnswer(serial: string): Promise<{ status: number | null; out: string }> {
  const db = platform.store.db;
  const cert = await db
    .selectFrom('certificates')
    .select(['der', 'ca_id'])
    .where('serial', '=', serial)
    .executeTakeFirstOrThrow();
  const chain: string[] = [];
  let caId: string | null = cert.ca_id;
  while (caId) {
    const ca: { name: string; parent_id: string | null } = await db
      .selectFrom('certification_authorities')
      .select(['name', 'parent_id'])
      .where('id', '=', caId)
      .executeTakeFirstOrThrow();
    chain.push(ca.name);
    caId = ca.parent_id;
  }
  const dir = mkdtempSync(join(tmpdir(), 'cartes-ocsp-'));
  try {
    const pem = async (name: string) => {
      const res = await fetch(`${baseUrl}/pki/ca/${name}.cer`);
      assert.equal(res.status, 200, `/pki/ca/${name}.cer`);
      const file = join(dir, `${name}.pem`);
      writeFileSync(file, new X509Certificate(Buffer.from(await res.arrayBuffer())).toString());
      return file;
    };
    const issuer = await pem(chain[0]!);
    const root = await pem(chain[chain.length - 1]!);
    const certFile = join(dir, 'cert.pem');
    writeFileSync(certFile, new X509Certificate(Buffer.from(cert.der)).toString());
    return await openssl([
      'ocsp',
      '-issuer',
      issuer,
      '-cert',
      certFile,
      '-url',
      `${baseUrl}/pki/ocsp`,
      '-CAfile',
      root,
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function fillSecrets(page: Page, withCode: boolean): Promise<void> {
  if (withCode) await page.getByLabel('Code personnel').fill(PERSONAL_CODE);
  for (const [i, a] of ANSWERS.entries()) {
    await page.getByLabel(`Question ${i + 1}* :`).selectOption({ label: a.label });
    await page.getByLabel(`Réponse ${i + 1}* :`).fill(a.answer);
  }
}

describe('remise, activation et vie de la carte', needsChromium, () => {
  before(async () => {
    desk = await startCardDesk(async (p) => {
      // Hugues DILINDIEN's card, received at the desk, PINs not set; the letter's code is known.
      card = await virtualCardFor(p, HUGUES, { state: 'received', activated: false });
      await p.store.db
        .updateTable('cards')
        .set({ activation_code_hash: activationCodeVerifier(loadActivationKey(p.dataDir), card.serial, CODE) })
        .where('id', '=', card.cardId)
        .execute();
      // Agathe LEROY's card, active (PINs FIXTURE_PINS), for the operator's other pages.
      agathe = await virtualCardFor(p, 'leroy.a77011', { state: 'active', activated: true });
      // Jean-Pierre MOREAU's card, handed over: he will refuse the certificates.
      refused = await virtualCardFor(p, 'moreau.jp77011', { state: 'handed_over', activated: false });
      // Another card of his, received, whose data turn out wrong at the desk.
      wrongData = await virtualCardFor(p, 'moreau.jp77011', { state: 'received', activated: false });
      // His active card (PINs FIXTURE_PINS), whose PINs he changes himself.
      moreauActive = await virtualCardFor(p, 'moreau.jp77011', { state: 'active', activated: true });
      // Brest: Yann LE GALL leaves; Maëlle KERBRAT, general of the 2nd section, keeps her card; Erwan
      // TANGUY, whose card waits at the desk, moves to the SCA.
      leGall = await virtualCardFor(p, '1003456789', { state: 'active', activated: true });
      kerbrat = await virtualCardFor(p, '1004567890', { state: 'active', activated: true });
      await p.store.db
        .updateTable('agents')
        .set({ category: 'Général de 2e section' })
        .where('identifier', '=', '1004567890')
        .execute();
      tanguy = await virtualCardFor(p, '1005678901', { state: 'received', activated: false });
    });
    ({ platform, baseUrl, browser } = desk);
  });

  after(async () => {
    await desk?.close();
  });

  test('remise en main propre, activation, secrets, paraphe, blocage, déblocage et vol', TIMEOUT, async () => {
    await journey(
      browser,
      async ({ page, problems }) => {
        // --- Pairing, then the operator signs in with her card.
        await pair(page);
        await signIn(page, OPERATOR_CARD, DEMO_CARD_PINS.auth, 'Bonjour Camille MARTIN');

        // --- « Supports à remettre » → « Remettre ».
        await page.goto(`${baseUrl}/supports/a-remettre`);
        await page.getByRole('heading', { level: 1, name: 'Supports à remettre' }).waitFor();
        await page.getByRole('link', { name: `Remettre la carte ${card.serial} à Hugues DILINDIEN` }).click();
        await page
          .getByRole('heading', { level: 1, name: 'Confirmer la remise en main propre de ce support' })
          .waitFor();
        await page.getByRole('heading', { name: 'Informations porteur' }).waitFor();
        await page.getByText('hugues.dilindien@mairie-aubepierre.fr').waitFor();
        await page.getByText('Vous devez retirer votre carte du lecteur et insérer la carte à remettre').waitFor();
        await expectAccessible(page, 'remise : contrôle de la carte');
        // OK with the operator's card still in: refused.
        await page.getByRole('button', { name: 'OK', exact: true }).click();
        await page.getByText(`n’est pas la carte n° ${card.serial}`).waitFor();
        await insertCard(page, card.serial);
        await page.getByRole('button', { name: 'OK', exact: true }).click();
        await page.getByText('Avez-vous bien remis ce support en main propre à son porteur ?').waitFor();
        await page.getByLabel('Type de pièce d’identité').selectOption({ label: 'Passeport' });
        await page.getByLabel('Numéro de la pièce d’identité').fill('22az 25916');
        await page.getByLabel(/Copie de la pièce d’identité/).setInputFiles({
          name: 'passeport-dilindien.pdf',
          mimeType: 'application/pdf',
          buffer: Buffer.from('%PDF-1.4\n% copie certifiée conforme\n%%EOF\n'),
        });
        await page
          .getByLabel('Informations complémentaires')
          .fill('Passeport présenté, copie certifiée conforme et signée.');
        await expectAccessible(page, 'remise : pièce d’identité');
        await page.getByRole('button', { name: 'Valider' }).click();
        await page.getByRole('heading', { name: 'Veuillez insérer la carte de l’opérateur.' }).waitFor();
        await insertCard(page, OPERATOR_CARD);
        await page.getByRole('button', { name: 'OK', exact: true }).click();
        await enterPin(page, 'PIN Global', DEMO_CARD_PINS.auth);
        await page.getByText('Remise enregistrée').waitFor();
        await expectAccessible(page, 'remise enregistrée');
        assert.equal(await cardState(), 'handed_over');
        const handover = await platform.store.db
          .selectFrom('card_handovers')
          .selectAll()
          .where('card_id', '=', card.cardId)
          .executeTakeFirstOrThrow();
        assert.equal(handover.identity_document_type, 'passport');
        assert.equal(handover.identity_document_number, '22AZ25916');
        const copy = await platform.store.db
          .selectFrom('card_documents')
          .select('file_name')
          .where('card_id', '=', card.cardId)
          .where('kind', '=', 'identity_copy')
          .executeTakeFirstOrThrow();
        assert.equal(copy.file_name, 'passeport-dilindien.pdf');

        // --- Activation: Identification → Présentation → Acceptation → Activation.
        await page.getByRole('link', { name: 'Activer le support' }).click();
        await page.getByRole('heading', { level: 1, name: 'Activation d’un support' }).waitFor();
        await page.getByText('Étape 1 sur 4').waitFor();
        await insertCard(page, card.serial);
        await expectAccessible(page, 'activation : identification');
        await page.getByRole('button', { name: 'Identité validée' }).click();
        await page.getByText('Étape 2 sur 4').waitFor();
        await page.getByRole('button', { name: 'Suivant' }).click();
        await page.getByText('Indiquez si le porteur accepte ou refuse les certificats.').waitFor();
        await page.getByLabel('J’accepte l’ensemble des certificats présents sur ma carte').check({ force: true }); // DSFR draws the box on the label
        await page.getByLabel('Je certifie avoir reçu').check({ force: true }); // DSFR draws the box on the label
        await page.getByLabel('Le porteur demande l’émission d’un certificat en son nom').check({ force: true }); // DSFR draws the box on the label
        await expectAccessible(page, 'activation : présentation');
        await page.getByRole('button', { name: 'Suivant' }).click();
        await page.getByText('Étape 3 sur 4').waitFor();
        await page
          .getByText(/Hugues DILINDIEN/)
          .first()
          .waitFor();
        assert.equal(
          await page.getByRole('link', { name: 'Télécharger le document' }).getAttribute('href'),
          `/api/cards/${card.cardId}/attestation.pdf`,
        );
        await expectAccessible(page, 'activation : acceptation');
        await page.getByRole('button', { name: 'Accepter' }).click();
        await page.getByText('Étape 4 sur 4').waitFor();
        await page.getByText('Les codes PIN ne doivent pas comporter une suite de chiffres').waitFor();
        await page.getByRole('textbox', { name: /^Code d’activation/ }).fill(CODE);
        // Rules of the guide, checked before the card is touched: a run, a birth-date part.
        await choosePin(page, 'Authentification', '1234');
        await choosePin(page, 'Signature', '0170');
        await page.getByRole('button', { name: 'Activer' }).click();
        await page
          .getByText('Le code PIN ne doit pas comporter une suite de chiffres (par exemple 1234 ou 4321).')
          .waitFor();
        await page.getByText(/ne doit pas reprendre une partie de votre date de naissance/).waitFor();
        await expectAccessible(page, 'activation : codes PIN refusés');
        const attempts = await platform.store.db
          .selectFrom('cards')
          .select(['activation_code_attempts', 'activation_code_used_at'])
          .where('id', '=', card.cardId)
          .executeTakeFirstOrThrow();
        assert.equal(attempts.activation_code_attempts, 0, 'nothing was sent while the PINs break the rules');
        const chip = await card.open();
        const before = await chip.identity();
        await chip.close();
        assert.equal(before.pins.auth.set, false);
        // A wrong code first: the server's French refusal with the tries left.
        await choosePin(page, 'Authentification', NEW_PINS.auth);
        await choosePin(page, 'Signature', NEW_PINS.sign, '6471');
        await page.getByRole('button', { name: 'Activer' }).click();
        await page.getByText('Les deux saisies du code PIN doivent être identiques.').waitFor();
        await choosePin(page, 'Signature', NEW_PINS.sign);
        await page.getByRole('textbox', { name: /^Code d’activation/ }).fill('111111');
        await page.getByRole('button', { name: 'Activer' }).click();
        await page.getByText('Code d’activation erroné : il reste 4 essais.').waitFor();
        await page.getByRole('textbox', { name: /^Code d’activation/ }).fill(CODE);
        await page.getByRole('button', { name: 'Activer' }).click();
        await page.getByRole('heading', { name: 'Veuillez insérer la carte de l’opérateur.' }).waitFor();
        await expectAccessible(page, 'activation : contre-signature');
        await insertCard(page, OPERATOR_CARD);
        await page.getByRole('button', { name: 'OK', exact: true }).click();
        await enterPin(page, 'PIN Propre', DEMO_CARD_PINS.sign);
        await page.getByText('Le support et ses certificats ont été activés avec succès.').first().waitFor();
        await page.getByRole('button', { name: 'OK', exact: true }).click();
        await enterPin(page, 'PIN Global', DEMO_CARD_PINS.auth);
        await page
          .getByText(/le porteur doit maintenant se connecter avec sa nouvelle carte et définir ses secrets/)
          .waitFor();
        await expectAccessible(page, 'activation réussie');
        assert.equal(await cardState(), 'activated');
        const activated = await card.open();
        await activated.verifyPin('auth', NEW_PINS.auth);
        await activated.verifyPin('sign', NEW_PINS.sign);
        await activated.close();

        // --- The holder signs in with the new card and defines the secrets.
        await signOut(page);
        await signIn(page, card.serial, NEW_PINS.auth, 'Bonjour Hugues DILINDIEN');
        await openHolderPage(page, 'Mes cartes', 'porteur : accueil');
        await page.getByText('Vos secrets ne sont pas définis').waitFor();
        await expectAccessible(page, 'porteur : mes cartes');
        await page.getByRole('link', { name: 'Définir mes secrets' }).click();
        await page.getByRole('heading', { level: 1, name: 'Édition des questions/réponses de sécurité' }).waitFor();
        await page.getByText('Conseils').waitFor();
        await page.getByLabel('Code personnel').fill('court');
        await fillSecrets(page, false);
        await page.getByRole('button', { name: 'Sauvegarder' }).click();
        await page.getByText('Le code personnel doit comporter au moins 8 caractères.').waitFor();
        await expectAccessible(page, 'porteur : secrets refusés');
        await page.getByLabel('Code personnel').fill(PERSONAL_CODE);
        await page.getByRole('button', { name: 'Sauvegarder' }).click();
        await page.getByText('Vos secrets sont enregistrés.').waitFor();
        await page.getByText(/votre responsable carte doit encore parapher/).waitFor();

        // --- The operator initials the attestation (« Finalisation de l'activation »).
        await signOut(page);
        await signIn(page, OPERATOR_CARD, DEMO_CARD_PINS.auth, 'Bonjour Camille MARTIN');
        await page.goto(`${baseUrl}/finalisation`);
        await page.getByRole('heading', { level: 1, name: 'Finalisation de l’activation' }).waitFor();
        await expectAccessible(page, 'finalisation');
        await page.getByRole('button', { name: `Parapher l’attestation de la carte ${card.serial}` }).click();
        const confirm = page.getByRole('dialog', { name: 'Parapher l’attestation de remise ?' });
        await confirm.waitFor();
        await confirm.getByRole('button', { name: 'Parapher' }).click();
        await enterPin(page, 'PIN Propre', DEMO_CARD_PINS.sign);
        await page.getByText(/est paraphée : la carte est active/).waitFor();
        assert.equal(await cardState(), 'active');
        await signOut(page);

        // --- Three wrong PINs block the card; the holder unblocks it with the secrets, signed out.
        const blocked = await card.open();
        for (let i = 0; i < 3; i++) await assert.rejects(blocked.verifyPin('auth', '0000'));
        await assert.rejects(blocked.verifyPin('auth', NEW_PINS.auth), /bloqu/i);
        await blocked.close();
        await page.getByRole('link', { name: 'Débloquer ma carte' }).first().click();
        await page.getByRole('heading', { level: 1, name: 'Débloquer ma carte' }).waitFor();
        await expectAccessible(page, 'déblocage : identification');
        await page.getByLabel('Organisation').fill('77011');
        await page.getByLabel('Identifiant').fill(HUGUES);
        await page.getByLabel('Code personnel').fill('Mauvais!Code1');
        await fillSecrets(page, false);
        await page.getByRole('button', { name: 'M’identifier' }).click();
        await page
          .getByRole('alert')
          .filter({ hasText: 'Identification impossible' })
          .getByText(/vérifiez l’organisation, l’identifiant/)
          .waitFor();
        await page.getByLabel('Code personnel').fill(PERSONAL_CODE);
        await page.getByRole('button', { name: 'M’identifier' }).click();
        await page.getByText('Identifié(e) : Hugues DILINDIEN', { exact: false }).waitFor();
        await insertCard(page, card.serial);
        await choosePin(page, 'Authentification', '2010');
        await choosePin(page, 'Signature', UNBLOCKED_PINS.sign);
        await page.getByRole('button', { name: 'Débloquer ma carte' }).click();
        await page.getByText('Le code PIN ne doit pas être une année (par exemple 1980 ou 2010).').waitFor();
        await expectAccessible(page, 'déblocage : codes à choisir');
        await choosePin(page, 'Authentification', UNBLOCKED_PINS.auth);
        await page.getByRole('button', { name: 'Débloquer ma carte' }).click();
        await page.getByText(`Votre carte n° ${card.serial} est débloquée`).waitFor();
        const unblocked = await card.open();
        await unblocked.verifyPin('auth', UNBLOCKED_PINS.auth);
        await unblocked.verifyPin('sign', UNBLOCKED_PINS.sign);
        await unblocked.close();

        // --- The card is stolen: declared with the police report, after a confirmation.
        await page.getByLabel('Vol').check({ force: true }); // DSFR draws the box on the label
        await page.getByRole('button', { name: 'Déclarer' }).click();
        await page
          .getByText(/référence du dépôt de plainte/)
          .first()
          .waitFor();
        await page.getByLabel('Référence du dépôt de plainte').fill('PV-2026-77-004512');
        await page.getByRole('button', { name: 'Déclarer' }).click();
        const declare = page.getByRole('dialog', { name: 'Confirmer la déclaration ?' });
        await declare.waitFor();
        await declare.getByText(/irréversible/).waitFor();
        await declare.getByRole('button', { name: 'Confirmer la déclaration' }).click();
        await page.getByText('Déclaration enregistrée').waitFor();
        await expectAccessible(page, 'déclaration de vol');
        assert.equal(await cardState(), 'revoked');
        const certs = await platform.store.db
          .selectFrom('certificates')
          .select('status')
          .where('card_id', '=', card.cardId)
          .execute();
        assert.ok(certs.length > 0 && certs.every((c) => c.status === 'revoked'), JSON.stringify(certs));
        // The OCSP responder tells any relying party: openssl ocsp, CA certificates from /pki/ca.
        const stolen = await platform.store.db
          .selectFrom('certificates')
          .select('serial')
          .where('card_id', '=', card.cardId)
          .where('profile', '=', 'auth')
          .executeTakeFirstOrThrow();
        const answer = await ocspAnswer(stolen.serial);
        assert.equal(answer.status, 0, answer.out);
        assert.match(answer.out, /Response verify OK/);
        assert.match(answer.out, /: revoked\b/);
        assert.match(answer.out, /Reason: keyCompromise/i);
        assert.deepEqual(problems, []);
      },
      { console: true },
    );
  });
  test(
    'pages de l’opérateur : déblocage hors ligne, renouvellement, documents, questions secrètes, révocation, restitution, destruction',
    TIMEOUT,
    async () => {
      await journey(browser, async ({ page, problems }) => {
        const state = async () =>
          (
            await platform.store.db
              .selectFrom('cards')
              .select('state')
              .where('id', '=', agathe.cardId)
              .executeTakeFirstOrThrow()
          ).state;
        const search = async (text: string) => {
          await page.getByLabel('Critère de recherche').fill(text);
          await page.getByRole('button', { name: 'Rechercher' }).click();
          await page.getByText(agathe.serial).first().waitFor();
        };
        await pair(page);
        await signIn(page, OPERATOR_CARD, DEMO_CARD_PINS.auth, 'Bonjour Camille MARTIN');

        // The cards waiting for activation (Jean-Pierre MOREAU's, refused in the next test); none to finalise.
        await openOperation(page, 'Activation de support');
        await page.getByRole('link', { name: `Activer la carte ${refused.serial}` }).waitFor();
        await page.getByText('1 carte.').waitFor();
        await expectAccessible(page, 'activation de support');
        await openOperation(page, 'Finalisation de l’activation');
        await page.getByText('Aucune carte à finaliser').waitFor();
        await expectAccessible(page, 'finalisation (vide)');

        // --- Offline unblock: Agathe's PIN Propre is blocked; she chooses a new one, the operator authorises.
        const chip = await agathe.open();
        for (let i = 0; i < 3; i++) await assert.rejects(chip.verifyPin('sign', '0000'));
        await chip.close();
        await openOperation(page, 'Déblocage de support');
        await page.getByText('Aucune carte bloquée').waitFor();
        await search('LEROY');
        await expectAccessible(page, 'déblocage de support : recherche');
        await page.getByRole('button', { name: `Débloquer la carte ${agathe.serial}` }).click();
        await page.getByRole('checkbox', { name: 'PIN Global' }).uncheck({ force: true });
        await choosePin(page, 'Signature', '1990');
        await page.getByRole('button', { name: 'Autoriser avec ma carte' }).click();
        await page.getByText('Le code PIN ne doit pas être une année (par exemple 1980 ou 2010).').waitFor();
        await expectAccessible(page, 'déblocage de support : codes');
        await choosePin(page, 'Signature', '5172');
        await page.getByRole('button', { name: 'Autoriser avec ma carte' }).click();
        await enterPin(page, 'PIN Propre', DEMO_CARD_PINS.sign);
        await page.getByRole('heading', { name: 'Veuillez insérer la carte à débloquer' }).waitFor();
        await page.getByRole('button', { name: 'OK', exact: true }).click();
        await page.getByText(`La carte insérée (n° ${OPERATOR_CARD}) n’est pas la carte n° ${agathe.serial}`).waitFor();
        await insertCard(page, agathe.serial);
        await page.getByRole('button', { name: 'OK', exact: true }).click();
        await page.getByText(`La carte n° ${agathe.serial} de Agathe LEROY est débloquée`).waitFor();
        const unblocked = await agathe.open();
        await unblocked.verifyPin('sign', '5172');
        await unblocked.verifyPin('auth', FIXTURE_PINS.auth);
        await unblocked.close();
        await insertCard(page, OPERATOR_CARD);

        // --- Renewal: certificates far from expiry are not renewable yet, and the page says why.
        await openOperation(page, 'Renouvellement de certificat(s)');
        await search('LEROY');
        await page.getByRole('button', { name: `Certificats renouvelables de la carte ${agathe.serial}` }).click();
        await page
          .getByText(/Renouvellement possible à partir de \d+ jours avant l’expiration/)
          .first()
          .waitFor();
        await expectAccessible(page, 'renouvellement : rien à renouveler');
        // A month before expiry they are: the holder proves presence with the card and the PIN Global.
        await platform.store.db
          .updateTable('certificates')
          .set({ not_after: new Date(Date.now() + 30 * 86_400_000).toISOString() })
          .where('card_id', '=', agathe.cardId)
          .execute();
        await page.getByRole('button', { name: 'Choisir une autre carte' }).click();
        await search('LEROY');
        await page.getByRole('button', { name: `Certificats renouvelables de la carte ${agathe.serial}` }).click();
        await page.getByRole('heading', { name: 'Présence du porteur' }).waitFor();
        assert.equal(await page.getByRole('cell', { name: 'Oui', exact: true }).count(), 2);
        // Without the PIN the holder's secrets can stand for it (seed 000): the form is offered.
        await page.getByRole('button', { name: 'Le porteur a oublié son code PIN' }).click();
        await page.getByRole('button', { name: 'Prouver la présence par les secrets' }).waitFor();
        await expectAccessible(page, 'renouvellement : présence par les secrets');
        await insertCard(page, agathe.serial);
        await page.getByRole('button', { name: 'Prouver la présence du porteur' }).click();
        await enterPin(page, 'PIN Global', FIXTURE_PINS.auth);
        await page.getByText(/Présence du porteur prouvée : renouvellement possible jusqu’à/).waitFor();
        await expectAccessible(page, 'renouvellement : présence prouvée');
        // The AUTH certificate: new key on Agathe's card, Camille's signature, the certificate written back.
        const oldAuth = (
          await platform.store.db
            .selectFrom('certificates')
            .select('serial')
            .where('card_id', '=', agathe.cardId)
            .where('profile', '=', 'auth')
            .where('status', '=', 'valid')
            .executeTakeFirstOrThrow()
        ).serial;
        await page.getByRole('button', { name: 'Renouveler le certificat Authentification' }).click();
        await page.getByRole('heading', { name: 'Veuillez insérer la carte de l’opérateur.' }).waitFor();
        await expectAccessible(page, 'renouvellement : changement de carte');
        await insertCard(page, OPERATOR_CARD);
        await page.getByRole('button', { name: 'OK', exact: true }).click();
        await enterPin(page, 'PIN Propre', DEMO_CARD_PINS.sign);
        await page
          .getByRole('heading', { name: `Veuillez insérer à nouveau la carte n° ${agathe.serial} du porteur.` })
          .waitFor();
        await insertCard(page, agathe.serial);
        await page.getByRole('button', { name: 'OK', exact: true }).click();
        await page.getByText(/Certificat\(s\) renouvelé\(s\) et enregistré\(s\) sur la carte/).waitFor();
        const after = await platform.store.db
          .selectFrom('certificates')
          .select(['serial', 'status', 'revocation_reason'])
          .where('card_id', '=', agathe.cardId)
          .where('profile', '=', 'auth')
          .execute();
        assert.equal(after.find((c) => c.serial === oldAuth)?.revocation_reason, 'superseded');
        const fresh = after.find((c) => c.status === 'valid')!;
        const renewedChip = await agathe.open();
        const onCard = await renewedChip.readCertificate('auth');
        const freshDer = await platform.store.db
          .selectFrom('certificates')
          .select('der')
          .where('serial', '=', fresh.serial)
          .executeTakeFirstOrThrow();
        assert.ok(
          onCard && Buffer.from(onCard).equals(Buffer.from(freshDer.der)),
          'the new certificate is on the card',
        );
        await renewedChip.close();
        await insertCard(page, OPERATOR_CARD);

        // --- Documents: the attestation of receipt as a PDF.
        await openOperation(page, 'Téléchargement de documents');
        await search('LEROY');
        await page.getByRole('button', { name: `Documents de la carte ${agathe.serial}` }).click();
        await page.getByText('Aucune pièce dans le dossier de cette carte.').waitFor();
        const href = await page
          .getByRole('link', { name: `Télécharger l’attestation de remise de la carte ${agathe.serial} (PDF)` })
          .getAttribute('href');
        const pdf = await page.request.get(`${baseUrl}${href}`);
        assert.equal(pdf.status(), 200);
        assert.match(pdf.headers()['content-type'] ?? '', /application\/pdf/);
        assert.equal((await pdf.body()).subarray(0, 5).toString('latin1'), '%PDF-');
        await expectAccessible(page, 'téléchargement de documents');

        // --- Secret questions: Agathe never defined any; the server's French refusal is shown.
        await openOperation(page, 'Réinitialisation des questions secrètes');
        await page.getByLabel('Critère de recherche').fill('LEROY');
        await page.getByRole('button', { name: 'Rechercher' }).click();
        await page.getByRole('button', { name: 'Réinitialiser les questions secrètes de Agathe LEROY' }).click();
        const reset = page.getByRole('dialog', { name: 'Réinitialiser les questions secrètes ?' });
        await reset.getByRole('button', { name: 'Réinitialiser' }).click();
        await enterPin(page, 'PIN Propre', DEMO_CARD_PINS.sign);
        await page.getByText('Ce porteur n’a pas de questions secrètes à réinitialiser.').waitFor();
        await expectAccessible(page, 'réinitialisation des questions secrètes');

        // --- Offline revocation, return, destruction — each confirmed, then signed.
        await openOperation(page, 'Révocation de support hors-ligne');
        await search('LEROY');
        await page.getByRole('button', { name: `Révoquer la carte ${agathe.serial}` }).click();
        await page.getByRole('heading', { name: `Révoquer la carte n° ${agathe.serial} (Agathe LEROY)` }).waitFor();
        await page.locator('main').getByRole('button', { name: 'Révoquer', exact: true }).click();
        await page.getByText('Choisissez le motif de la révocation.').waitFor();
        await expectAccessible(page, 'révocation : motif manquant');
        await page.getByLabel('Motif de la révocation').selectOption({ label: 'Dysfonctionnement ou casse' });
        await page.locator('main').getByRole('button', { name: 'Révoquer', exact: true }).click();
        const confirm = page.getByRole('dialog', { name: 'Confirmer l’action ?' });
        await confirm.getByText(/irréversible/).waitFor();
        await confirm.getByRole('button', { name: 'Révoquer' }).click();
        await enterPin(page, 'PIN Propre', DEMO_CARD_PINS.sign);
        await page.getByText(`La carte n° ${agathe.serial} de Agathe LEROY est révoquée.`).waitFor();
        assert.equal(await state(), 'revoked');
        await search('LEROY');
        await page.getByRole('button', { name: `Enregistrer la restitution la carte ${agathe.serial}` }).click();
        await page.locator('main').getByRole('button', { name: 'Enregistrer la restitution', exact: true }).click();
        await confirm.getByRole('button', { name: 'Enregistrer la restitution' }).click();
        await enterPin(page, 'PIN Propre', DEMO_CARD_PINS.sign);
        await page.getByText(`La carte n° ${agathe.serial} de Agathe LEROY est restituée.`).waitFor();
        assert.equal(await state(), 'returned');
        await search('LEROY');
        await page.getByRole('button', { name: `Détruire la carte ${agathe.serial}` }).click();
        await page.getByLabel('Mode de destruction').selectOption({ label: 'Broyeur' });
        await page.getByLabel('Témoin (facultatif)').fill('Agathe LEROY');
        await expectAccessible(page, 'destruction');
        await page.locator('main').getByRole('button', { name: 'Détruire', exact: true }).click();
        await confirm.getByRole('button', { name: 'Détruire' }).click();
        await enterPin(page, 'PIN Propre', DEMO_CARD_PINS.sign);
        await page.getByText(`La carte n° ${agathe.serial} de Agathe LEROY est détruite`).waitFor();
        assert.equal(await state(), 'destroyed');
        // The destruction record is in the card's case file.
        await openOperation(page, 'Téléchargement de documents');
        await search('LEROY');
        await page.getByRole('button', { name: `Documents de la carte ${agathe.serial}` }).click();
        const download = page.getByRole('link', { name: /^Télécharger / }).first();
        await download.waitFor();
        const file = await page.request.get(`${baseUrl}${await download.getAttribute('href')}`);
        assert.equal(file.status(), 200);
        assert.ok((await file.body()).length > 0);
        await expectAccessible(page, 'dossier de la carte détruite');
        assert.deepEqual(problems, []);
      });
    },
  );
  test('le porteur refuse les certificats : confirmation, carte de l’opérateur, révocation', TIMEOUT, async () => {
    await journey(browser, async ({ page }) => {
      await pair(page);
      await signIn(page, OPERATOR_CARD, DEMO_CARD_PINS.auth, 'Bonjour Camille MARTIN');
      await page.goto(`${baseUrl}/activation`);
      await page.getByRole('heading', { level: 1, name: 'Activation de support' }).waitFor();
      await page.getByRole('link', { name: `Activer la carte ${refused.serial}` }).click();
      await page.getByRole('heading', { level: 1, name: 'Activation d’un support' }).waitFor();
      await insertCard(page, refused.serial);
      await page.getByRole('button', { name: 'Identité validée' }).click();
      await page.getByLabel('Je refuse l’ensemble des certificats présents sur ma carte').check({ force: true }); // DSFR draws the box on the label
      await page.getByRole('button', { name: 'Suivant' }).click();
      const dialog = page.getByRole('dialog', { name: 'Refuser les certificats ?' });
      await dialog.getByText(/Le refus est définitif/).waitFor();
      await expectAccessible(page, 'refus : confirmation');
      await dialog.getByRole('button', { name: 'Refuser les certificats' }).click();
      await page.getByText('Veuillez insérer la carte de l’opérateur.').first().waitFor();
      await insertCard(page, OPERATOR_CARD);
      await page.getByRole('button', { name: 'OK', exact: true }).click();
      await enterPin(page, 'PIN Propre', DEMO_CARD_PINS.sign);
      await page.getByText('Certificats refusés').waitFor();
      await expectAccessible(page, 'refus enregistré');
      const row = await platform.store.db
        .selectFrom('cards')
        .select('state')
        .where('id', '=', refused.cardId)
        .executeTakeFirstOrThrow();
      assert.equal(row.state, 'revoked');
      const certs = await platform.store.db
        .selectFrom('certificates')
        .select('status')
        .where('card_id', '=', refused.cardId)
        .execute();
      assert.ok(certs.length === 2 && certs.every((c) => c.status === 'revoked'), JSON.stringify(certs));
    });
  });
  test('données erronées à la remise : la carte est invalidée, pas remise', TIMEOUT, async () => {
    await journey(browser, async ({ page }) => {
      await pair(page);
      await signIn(page, OPERATOR_CARD, DEMO_CARD_PINS.auth, 'Bonjour Camille MARTIN');
      await page.goto(`${baseUrl}/supports/a-remettre`);
      await page.getByRole('link', { name: `Remettre la carte ${wrongData.serial} à Jean-Pierre MOREAU` }).click();
      await page.getByRole('heading', { level: 1, name: 'Confirmer la remise en main propre de ce support' }).waitFor();
      await insertCard(page, wrongData.serial);
      await page.getByRole('button', { name: 'OK', exact: true }).click();
      await page.getByText('Les données de la carte ne correspondent pas à la pièce d’identité').click();
      await page.getByRole('button', { name: 'Invalider la carte' }).click();
      await page.getByText('Indiquez le motif de l’invalidation (5 caractères au moins).').waitFor();
      await page.getByLabel('Motif de l’invalidation').fill('Nom de naissance erroné sur la carte');
      await expectAccessible(page, 'invalidation : motif');
      await page.getByRole('button', { name: 'Invalider la carte' }).click();
      const dialog = page.getByRole('dialog', { name: 'Invalider la carte ?' });
      await dialog.getByText(/irréversible/).waitFor();
      await dialog.getByRole('button', { name: 'Invalider la carte' }).click();
      await page.getByRole('heading', { name: 'Veuillez insérer la carte de l’opérateur.' }).waitFor();
      await insertCard(page, OPERATOR_CARD);
      await page.getByRole('button', { name: 'OK', exact: true }).click();
      await enterPin(page, 'PIN Propre', DEMO_CARD_PINS.sign);
      await page.getByText('Carte invalidée').waitFor();
      await expectAccessible(page, 'carte invalidée');
      const row = await platform.store.db
        .selectFrom('cards')
        .select('state')
        .where('id', '=', wrongData.cardId)
        .executeTakeFirstOrThrow();
      assert.equal(row.state, 'invalidated');
      const agentRow = await platform.store.db
        .selectFrom('agents')
        .select('identity_verified')
        .where('identifier', '=', 'moreau.jp77011')
        .executeTakeFirstOrThrow();
      assert.equal(Number(agentRow.identity_verified), 0);
    });
  });
  test('le porteur modifie ses codes PIN : règles vérifiées dans la page, puis la carte', TIMEOUT, async () => {
    await journey(browser, async ({ page, problems }) => {
      const sent: string[] = [];
      page.on('request', (r) => {
        if (r.url().startsWith(baseUrl) && r.method() !== 'GET') sent.push(`${r.url()} ${r.postData() ?? ''}`);
      });
      await pair(page);
      // Jean-Pierre MOREAU, born 02/03/1961, signs in with his active card.
      await signIn(page, moreauActive.serial, FIXTURE_PINS.auth, 'Bonjour Jean-Pierre MOREAU');
      await openHolderPage(page, 'Modifier mes codes PIN');
      await readerPanel(page).getByText(`carte n° ${moreauActive.serial} insérée`).waitFor();
      await expectAccessible(page, 'porteur : modifier mes codes PIN');
      sent.length = 0; // from here on, nothing but the card agent may see a PIN
      // A run, then a part of the birth date: refused in the page, the card untouched.
      await page.getByLabel('PIN Global (code PIN d’authentification)').check({ force: true }); // DSFR draws the box on the label
      await page.getByLabel(/^Code PIN actuel — PIN Global/).fill(FIXTURE_PINS.auth);
      await choosePin(page, 'Authentification', '1234');
      await page.getByRole('button', { name: 'Modifier le code PIN' }).click();
      await page
        .getByText('Le code PIN ne doit pas comporter une suite de chiffres (par exemple 1234 ou 4321).')
        .waitFor();
      await expectAccessible(page, 'porteur : nouveau code PIN refusé');
      await choosePin(page, 'Authentification', '0203');
      await page.getByRole('button', { name: 'Modifier le code PIN' }).click();
      await page.getByText(/ne doit pas reprendre une partie de votre date de naissance/).waitFor();
      const untouched = await moreauActive.open();
      await untouched.verifyPin('auth', FIXTURE_PINS.auth);
      await untouched.close();
      // A wrong current PIN: the card's refusal, with the tries left.
      await page.getByLabel(/^Code PIN actuel — PIN Global/).fill('0000');
      await choosePin(page, 'Authentification', '5173');
      await page.getByRole('button', { name: 'Modifier le code PIN' }).click();
      await page.getByText(/Code PIN erroné : il reste 2 essais/).waitFor();
      // The right one: the new PIN is on the card.
      await page.getByLabel(/^Code PIN actuel — PIN Global/).fill(FIXTURE_PINS.auth);
      await choosePin(page, 'Authentification', '5173');
      await page.getByRole('button', { name: 'Modifier le code PIN' }).click();
      await page
        .getByText(`Le PIN Global (code PIN d’authentification) de votre carte n° ${moreauActive.serial} est modifié.`)
        .waitFor();
      await expectAccessible(page, 'porteur : code PIN modifié');
      // The PIN Propre too.
      await page.getByLabel('PIN Propre (code PIN de signature)').check({ force: true }); // DSFR draws the box on the label
      await page.getByLabel(/^Code PIN actuel — PIN Propre/).fill(FIXTURE_PINS.sign);
      await choosePin(page, 'Signature', '4718');
      await page.getByRole('button', { name: 'Modifier le code PIN' }).click();
      await page
        .getByText(`Le PIN Propre (code PIN de signature) de votre carte n° ${moreauActive.serial} est modifié.`)
        .waitFor();
      const changed = await moreauActive.open();
      await changed.verifyPin('auth', '5173');
      await changed.verifyPin('sign', '4718');
      await assert.rejects(changed.verifyPin('auth', FIXTURE_PINS.auth));
      await changed.verifyPin('auth', '5173');
      await changed.close();
      // No PIN ever reached the platform's server.
      for (const pin of ['5173', '4718', FIXTURE_PINS.sign, '0203'])
        assert.ok(!sent.some((r) => r.includes(pin)), `${pin} sent to the server: ${sent.join('\n')}`);
      assert.deepEqual(problems, []);
    });
  });
  test(
    'départ (carte révoquée ; général de 2e section : carte conservée) et mutation Brest → SCA',
    TIMEOUT,
    async () => {
      await journey(browser, async ({ page, problems }) => {
        const db = platform.store.db;
        const agentOf = async (identifier: string) =>
          await db
            .selectFrom('agents')
            .select(['id', 'organization_id', 'habilitations'])
            .where('identifier', '=', identifier)
            .executeTakeFirstOrThrow();
        const stateOf = async (c: FixtureVirtualCard) =>
          await db
            .selectFrom('cards')
            .select(['state', 'organization_id', 'operator_organization_id'])
            .where('id', '=', c.cardId)
            .executeTakeFirstOrThrow();
        const depart = async (identifier: string, name: string, reason: string) => {
          await page.goto(`${baseUrl}/agents/${(await agentOf(identifier)).id}`);
          await page.getByRole('heading', { level: 1, name }).waitFor();
          await page.getByRole('link', { name: 'Départ', exact: true }).click();
          await page.getByRole('heading', { level: 1, name: `Départ — ${name}` }).waitFor();
          await page.getByRole('button', { name: 'Enregistrer le départ' }).click();
          await page.getByText('Choisissez le motif du départ.').waitFor();
          await page.getByLabel('Motif du départ').selectOption({ label: reason });
          await page.getByRole('button', { name: 'Enregistrer le départ' }).click();
          const dialog = page.getByRole('dialog', { name: 'Confirmer le départ ?' });
          await dialog.getByText(/irréversible/).waitFor();
          await expectAccessible(page, `départ de ${name} : confirmation`);
          await dialog.getByRole('button', { name: 'Enregistrer le départ' }).click();
          await enterPin(page, 'PIN Propre', DEMO_CARD_PINS.sign);
          await page.getByText('Départ enregistré').waitFor();
        };
        await pair(page);
        // Paul GIRARD, operator of the naval base of Brest, with his demo card.
        await signIn(page, '9900000004', DEMO_CARD_PINS.auth, 'Bonjour Paul GIRARD');
        await depart('1003456789', 'Yann LE GALL', 'Départ à la retraite');
        await page.getByText(`Carte(s) révoquée(s), à restituer : ${leGall.serial}.`).waitFor();
        await expectAccessible(page, 'départ : carte révoquée');
        assert.equal((await stateOf(leGall)).state, 'revoked');
        const certs = await db
          .selectFrom('certificates')
          .select(['status', 'revocation_reason'])
          .where('card_id', '=', leGall.cardId)
          .execute();
        assert.ok(
          certs.length > 0 &&
            certs.every((c) => c.status === 'revoked' && c.revocation_reason === 'cessationOfOperation'),
          JSON.stringify(certs),
        );
        // A general of the 2nd section keeps the card.
        await depart('1004567890', 'Maëlle KERBRAT', 'Fin de contrat');
        await page
          .getByText(`Carte(s) conservée(s) par le porteur (officier général de la 2e section) : ${kerbrat.serial}.`)
          .waitFor();
        await expectAccessible(page, 'départ : carte conservée');
        assert.equal((await stateOf(kerbrat)).state, 'active');
        const audit = await db
          .selectFrom('audit_log')
          .select(['target_id', 'outcome'])
          .where('action', '=', 'agent.departure')
          .where('outcome', '=', 'ok')
          .execute();
        assert.equal(audit.length, 2);

        // Transfer: Nathalie ROUX, registration authority of the SCA, moves Erwan TANGUY from Brest to the SCA.
        await signOut(page);
        await signIn(page, '9900000005', DEMO_CARD_PINS.auth, 'Bonjour Nathalie ROUX');
        const before = await agentOf('1005678901');
        await page.goto(`${baseUrl}/agents/${before.id}`);
        await page.getByRole('heading', { level: 1, name: 'Erwan TANGUY' }).waitFor();
        await page.getByRole('link', { name: 'Mutation', exact: true }).click();
        await page.getByRole('heading', { level: 1, name: 'Mutation — Erwan TANGUY' }).waitFor();
        await page.getByRole('button', { name: 'Enregistrer la mutation' }).click();
        await page.getByText('Choisissez l’organisation d’arrivée.').waitFor();
        await page
          .getByLabel('Organisation d’arrivée')
          .selectOption({ label: 'Service du commissariat des armées (SCA)' });
        assert.equal(await page.getByLabel('CIMS').isChecked(), true);
        await page.getByLabel('Source Solde').check({ force: true }); // DSFR draws the box on the label
        await expectAccessible(page, 'mutation : organisation et habilitations');
        await page.getByRole('button', { name: 'Enregistrer la mutation' }).click();
        const dialog = page.getByRole('dialog', { name: 'Confirmer la mutation ?' });
        await dialog.getByText(/Service du commissariat des armées/).waitFor();
        await dialog.getByRole('button', { name: 'Enregistrer la mutation' }).click();
        await enterPin(page, 'PIN Propre', DEMO_CARD_PINS.sign);
        await page.getByText('Mutation enregistrée').waitFor();
        await page.getByText(`Carte(s) pas encore remise(s) qui suivent le porteur : ${tanguy.serial}.`).waitFor();
        await expectAccessible(page, 'mutation enregistrée');
        const sca = await db
          .selectFrom('organizations')
          .select('id')
          .where('code', '=', 'SCA')
          .executeTakeFirstOrThrow();
        const moved = await agentOf('1005678901');
        assert.equal(moved.organization_id, sca.id);
        assert.deepEqual(JSON.parse(moved.habilitations), ['CIMS', 'SOURCE_SOLDE']);
        const followed = await stateOf(tanguy);
        assert.equal(followed.state, 'received');
        assert.equal(followed.organization_id, sca.id);
        assert.equal(followed.operator_organization_id, sca.id);
        assert.deepEqual(problems, []);
      });
    },
  );
});
