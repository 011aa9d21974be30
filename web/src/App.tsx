// Route table and sign-in guard.
import { useEffect, type ComponentType } from 'react';
import { Layout } from './components/Layout.tsx';
import { AccessibilityPage } from './pages/AccessibilityPage.tsx';
import { AgentPage } from './pages/AgentPage.tsx';
import { AgentsPage } from './pages/AgentsPage.tsx';
import { AuditPage } from './pages/AuditPage.tsx';
import { HomePage } from './pages/HomePage.tsx';
import { ImportPage } from './pages/ImportPage.tsx';
import { ImportsPage } from './pages/ImportsPage.tsx';
import { MailPage } from './pages/MailPage.tsx';
import { MailsPage } from './pages/MailsPage.tsx';
import { NotFoundPage } from './pages/NotFoundPage.tsx';
import { OrganizationPage } from './pages/OrganizationPage.tsx';
import { OrganizationsPage } from './pages/OrganizationsPage.tsx';
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
  return <Layout>{blocked ? null : <Page key={pathname} params={params} />}</Layout>;
}
