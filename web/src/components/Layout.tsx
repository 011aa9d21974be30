// Page frame: skip links, DSFR header (State or neutral branding), main content, footer.
import { headerFooterDisplayItem } from '@codegouvfr/react-dsfr/Display';
import { Footer } from '@codegouvfr/react-dsfr/Footer';
import { Header } from '@codegouvfr/react-dsfr/Header';
import { MainNavigation, type MainNavigationProps } from '@codegouvfr/react-dsfr/MainNavigation';
import { SkipLinks } from '@codegouvfr/react-dsfr/SkipLinks';
import { useEffect, type ReactNode } from 'react';
import { can, type Permission } from '../permissions.ts';
import { readerModal, ReaderModal, useReaderLabel } from './cards/ReaderModal.tsx';
import { isOperationPath, operationEntries } from './cards/operationMenu.tsx';
import { useLocation } from '../router.tsx';
import { backofficeEntries, isBackofficePath } from './backoffice/backofficeMenu.ts';
import { useSession } from '../session.tsx';

interface Section {
  href: string;
  text: string;
  permission?: Permission;
}

export const SECTIONS: Section[] = [
  { href: '/', text: 'Accueil' },
  { href: '/organisations', text: 'Organisations', permission: 'organization.read' },
  { href: '/agents', text: 'Agents', permission: 'agent.read' },
  { href: '/imports', text: 'Imports SIRH', permission: 'import.run' },
  { href: '/journal', text: "Journal d'audit", permission: 'audit.read' },
  { href: '/courriels', text: 'Courriels', permission: 'mail.read' },
  { href: '/operation', text: 'Opération', permission: 'card.read' },
  { href: '/porteur', text: 'Porteur' },
  { href: '/facturation', text: 'Facturation', permission: 'billing.read' },
  { href: '/dossiers', text: 'Dossiers', permission: 'caseFile.read' },
  { href: '/controle', text: 'Contrôle interne', permission: 'control.read' },
  { href: '/exploitation', text: 'Exploitation', permission: 'operations.read' },
];

function isActive(href: string, pathname: string): boolean {
  return href === '/' ? pathname === '/' : pathname === href || pathname.startsWith(`${href}/`);
}

export function Layout(props: { children: ReactNode }) {
  const { session, branding, platformName, signOut } = useSession();
  const { pathname } = useLocation();
  const neutral = branding === 'neutral';

  const readerLabel = useReaderLabel();
  // Client-side navigation does not reload the page: close the menu the link was chosen from.
  useEffect(() => {
    const nav = document.getElementById('navigation-principale');
    nav?.querySelectorAll<HTMLButtonElement>('button[aria-expanded="true"]').forEach((b) => b.click());
  }, [pathname]);
  const navItems: MainNavigationProps.Item[] = session
    ? SECTIONS.filter((s) => !s.permission || can(session, s.permission)).map((s): MainNavigationProps.Item =>
        s.href === '/operation'
          ? {
              text: s.text,
              isActive: isOperationPath(pathname),
              menuLinks: [
                { text: 'Accueil Opération', linkProps: { href: '/operation' }, isActive: pathname === '/operation' },
                ...operationEntries(session).map((e) => ({
                  text: e.text,
                  linkProps: { href: e.href },
                  isActive: pathname === e.href,
                })),
              ],
            }
          : s.href === '/dossiers'
            ? {
                text: s.text,
                isActive: isBackofficePath(pathname),
                menuLinks: backofficeEntries(session).map((e) => ({
                  text: e.text,
                  linkProps: { href: e.href },
                  isActive: pathname === e.href,
                })),
              }
            : { text: s.text, linkProps: { href: s.href }, isActive: isActive(s.href, pathname) },
      )
    : [];

  const brandTop = neutral ? null : (
    <>
      République
      <br />
      Française
    </>
  );
  const homeLinkProps = { href: '/', title: `Accueil — ${platformName}` };

  return (
    <>
      <SkipLinks
        links={[
          { label: 'Contenu', anchor: '#contenu' },
          ...(navItems.length > 0 ? [{ label: 'Menu', anchor: '#navigation-principale' }] : []),
          { label: 'Pied de page', anchor: '#pied-de-page' },
        ]}
      />
      <Header
        brandTop={brandTop}
        homeLinkProps={homeLinkProps}
        serviceTitle={platformName}
        serviceTagline="Gestion des cartes à puce des agents publics"
        classes={neutral ? { logo: 'ca-hidden' } : undefined}
        navigation={navItems.length > 0 ? <MainNavigation id="navigation-principale" items={navItems} /> : undefined}
        quickAccessItems={
          session
            ? [
                {
                  iconId: 'fr-icon-bank-card-line',
                  text: readerLabel,
                  buttonProps: { type: 'button', ...readerModal.buttonProps },
                },
                {
                  iconId: 'fr-icon-account-circle-line',
                  text: `${session.person.firstNames} ${session.person.lastName}`,
                  linkProps: { href: '/' },
                },
                {
                  iconId: 'fr-icon-logout-box-r-line',
                  text: 'Se déconnecter',
                  buttonProps: { type: 'button', onClick: () => void signOut() },
                },
              ]
            : [
                {
                  iconId: 'fr-icon-bank-card-line',
                  text: readerLabel,
                  buttonProps: { type: 'button', ...readerModal.buttonProps },
                },
                // A holder whose card is blocked or lost has no way to sign in: this page needs none.
                {
                  iconId: 'fr-icon-lock-unlock-line',
                  text: 'Débloquer ma carte',
                  linkProps: { href: '/porteur/deblocage' },
                },
              ]
        }
      />
      <ReaderModal />
      <main id="contenu" tabIndex={-1} className="ca-main">
        <div className="fr-container fr-pt-4w fr-pb-8w">{props.children}</div>
      </main>
      <Footer
        id="pied-de-page"
        brandTop={brandTop}
        homeLinkProps={homeLinkProps}
        classes={neutral ? { brand: 'ca-hidden' } : undefined}
        accessibility="non compliant"
        accessibilityLinkProps={{ href: '/accessibilite' }}
        contentDescription={`${platformName} est la plateforme ouverte de gestion des cartes à puce des agents publics : porteurs, opérateurs et autorités d'enregistrement des communes, préfectures et unités.`}
        domains={neutral ? [] : undefined}
        license="Logiciel libre publié sous licence EUPL-1.2."
        bottomItems={[headerFooterDisplayItem]}
      />
    </>
  );
}
