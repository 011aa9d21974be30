// Route table and sign-in guard.
import { useEffect, type ComponentType } from 'react';
import { CardAgentProvider } from './components/cards/CardAgentProvider.tsx';
import { isOperationPath, OperationLayout } from './components/cards/operationMenu.tsx';
import { Layout } from './components/Layout.tsx';
import { BatchComposePage } from './pages/requests/BatchComposePage.tsx';
import { BatchesPage, BatchValidationPage } from './pages/requests/BatchesPage.tsx';
import { BatchPage } from './pages/requests/BatchPage.tsx';
import { BillingPage } from './pages/requests/BillingPage.tsx';
import { CardPage, CardsPage, HoldersPage } from './pages/desk/CardsPage.tsx';
import { CardsToHandOverPage } from './pages/desk/CardsToHandOverPage.tsx';
import { ConnectivityPage } from './pages/desk/ConnectivityPage.tsx';
import { LIFE_ROUTES } from './pages/desk/routes.tsx';
import { BACKOFFICE_ROUTES } from './pages/backoffice/routes.tsx';
import { STEERING_ROUTES } from './pages/steering/routes.tsx';
import { CONTROL_ROUTES } from './pages/control/routes.tsx';
import { OperationPage } from './pages/requests/OperationPage.tsx';
import { OrderCardPage } from './pages/requests/OrderCardPage.tsx';
import { RequestPage } from './pages/requests/RequestPage.tsx';
import { RequestsPage } from './pages/requests/RequestsPage.tsx';
import { AccessibilityPage } from './pages/AccessibilityPage.tsx';
import { AgentPage } from './pages/directory/AgentPage.tsx';
import { AgentsPage } from './pages/directory/AgentsPage.tsx';
import { AuditPage } from './pages/control/AuditPage.tsx';
import { HomePage } from './pages/HomePage.tsx';
import { ImportPage } from './pages/directory/ImportPage.tsx';
import { ImportsPage } from './pages/directory/ImportsPage.tsx';
import { MailPage } from './pages/operations/MailPage.tsx';
import { MailsPage } from './pages/operations/MailsPage.tsx';
import { OperationsPage } from './pages/operations/OperationsPage.tsx';
import { NotFoundPage } from './pages/NotFoundPage.tsx';
import { OrganizationPage } from './pages/directory/OrganizationPage.tsx';
import { OrganizationsPage } from './pages/directory/OrganizationsPage.tsx';
import { SignInPage } from './pages/SignInPage.tsx';
import { ForbiddenPage } from './pages/ForbiddenPage.tsx';
import { can, type Permission } from './permissions.ts';
import { matchPath, navigate, useLocation } from './router.tsx';
import { rememberReturnPath, useSession, type SignInNotice } from './session.tsx';

interface Route {
  path: string;
  component: ComponentType<{ params: Record<string, string> }>;
  /** Reachable without signing in. */
  public?: boolean;
  /** Needed to open the page (checked again by the server on every call). */
  permission?: Permission;
}

const ROUTES: Route[] = [
  { path: '/connexion', component: SignInPage, public: true },
  { path: '/accessibilite', component: AccessibilityPage, public: true },
  { path: '/', component: HomePage },
  { path: '/organisations', component: OrganizationsPage, permission: 'organization.read' },
  { path: '/organisations/:id', component: OrganizationPage, permission: 'organization.read' },
  { path: '/agents', component: AgentsPage, permission: 'agent.read' },
  { path: '/agents/:id', component: AgentPage, permission: 'agent.read' },
  { path: '/imports', component: ImportsPage, permission: 'import.run' },
  { path: '/imports/:id', component: ImportPage, permission: 'import.run' },
  { path: '/journal', component: AuditPage, permission: 'audit.read' },
  { path: '/courriels', component: MailsPage, permission: 'mail.read' },
  { path: '/courriels/:id', component: MailPage, permission: 'mail.read' },
  // Cards (docs/cards.md): the operator's universe, named as PGCA's menu.
  { path: '/agents/:id/commander', component: OrderCardPage, permission: 'cardRequest.write' },
  { path: '/operation', component: OperationPage, permission: 'card.read' },
  { path: '/demandes', component: RequestsPage, permission: 'card.read' },
  { path: '/demandes/:id', component: RequestPage, permission: 'card.read' },
  { path: '/lots', component: BatchesPage, permission: 'card.read' },
  { path: '/lots/saisie', component: BatchComposePage, permission: 'cardRequest.write' },
  { path: '/lots/validation', component: BatchValidationPage, permission: 'batch.validate' },
  { path: '/lots/:id', component: BatchPage, permission: 'card.read' },
  { path: '/porteurs', component: HoldersPage, permission: 'card.read' },
  { path: '/supports', component: CardsPage, permission: 'card.read' },
  { path: '/supports/a-remettre', component: CardsToHandOverPage, permission: 'card.read' },
  { path: '/supports/:id', component: CardPage, permission: 'card.read' },
  { path: '/connectivite', component: ConnectivityPage },
  { path: '/facturation', component: BillingPage, permission: 'billing.read' },
  { path: '/exploitation', component: OperationsPage, permission: 'operations.read' },
  // After reception: hand-over, activation, the card's life, the holder's space.
  ...LIFE_ROUTES,
  // The dashboards (seed 003 annex II), then the processing centre's back office (seed 003).
  ...STEERING_ROUTES,
  ...BACKOFFICE_ROUTES,
  // Its internal control by the « organisation et méthodes » office (seed 003 §4).
  ...CONTROL_ROUTES,
];

function resolve(pathname: string): { route: Route | null; params: Record<string, string> } {
  for (const route of ROUTES) {
    const params = matchPath(route.path, pathname);
    if (params) return { route, params };
  }
  return { route: null, params: {} };
}

export function App() {
  const { session } = useSession();
  const { pathname, search } = useLocation();
  const { route, params } = resolve(pathname);
  const blocked = !session && !route?.public;

  useEffect(() => {
    if (blocked) {
      rememberReturnPath(pathname + search);
      navigate('/connexion', { replace: true, state: { reason: 'required' } satisfies SignInNotice });
    }
  }, [blocked, pathname, search]);

  const allowed = !route?.permission || can(session, route.permission);
  const Page = !route ? NotFoundPage : allowed ? route.component : ForbiddenPage;
  return (
    <CardAgentProvider>
      <Layout>
        {blocked ? null : route && allowed && isOperationPath(pathname) ? (
          // The side menu stays in place from one operation page to the next.
          <OperationLayout>
            <Page key={pathname} params={params} />
          </OperationLayout>
        ) : (
          <Page key={pathname} params={params} />
        )}
      </Layout>
    </CardAgentProvider>
  );
}
