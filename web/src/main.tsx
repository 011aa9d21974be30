// Entry point: DSFR start-up, styles, branding, session probe, then the app.
import { startReactDsfr } from '@codegouvfr/react-dsfr/spa';
import '@codegouvfr/react-dsfr/dsfr/dsfr.min.css';
// Served by web/vite-plugin-dsfr-icons.ts with only the icons the portal uses.
import '@codegouvfr/react-dsfr/dsfr/utility/icons/icons.min.css';
import stateFavicon from '@codegouvfr/react-dsfr/favicon/favicon.svg';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { api, ApiError, setCsrfToken, type Config, type Session } from './api.ts';
import { App } from './App.tsx';
import { setDefaultAgentUrl } from './cardAgent.ts';
import { Link } from './router.tsx';
import { applyBranding, SessionProvider } from './session.tsx';
import './styles.css';

declare module '@codegouvfr/react-dsfr/spa' {
  interface RegisterLink {
    Link: typeof Link;
  }
}

startReactDsfr({ defaultColorScheme: 'system', Link });

function setFavicon(href: string): void {
  const link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
  if (link) {
    link.href = href;
    link.type = 'image/svg+xml';
  }
}

async function boot(): Promise<void> {
  // Server unreachable: the State's branding and the agent's default address.
  const config: Omit<Config, 'agentUrl'> & { agentUrl?: string } = await api
    .config()
    .catch(() => ({ branding: 'state', platformName: 'Cartes Agents' }));
  applyBranding(config.branding);
  setDefaultAgentUrl(config.agentUrl);
  if (config.branding === 'state') setFavicon(stateFavicon);

  let session: Session | null = null;
  try {
    session = await api.session();
    setCsrfToken(session.csrfToken);
  } catch (err) {
    // 401: not signed in. Anything else: the pages will show the error on their own calls.
    if (!(err instanceof ApiError) || err.status !== 401) console.error(err);
  }

  const root = document.getElementById('root');
  if (!root) throw new Error('#root missing');
  createRoot(root).render(
    <StrictMode>
      <SessionProvider
        initialSession={session}
        branding={session?.branding ?? config.branding}
        platformName={config.platformName || 'Cartes Agents'}
      >
        <App />
      </SessionProvider>
    </StrictMode>,
  );
}

void boot();
