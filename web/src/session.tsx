// Who is signed in, and the platform's branding. Loaded once at start-up; a 401 from any API
// call clears the session and sends the person to /connexion with a message.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, setCsrfToken, setUnauthorizedHandler, type Branding, type Session } from './api.ts';
import { navigate } from './router.tsx';

export interface SignInNotice {
  reason: 'required' | 'expired' | 'signedOut';
}

interface SessionContextValue {
  session: Session | null;
  branding: Branding;
  platformName: string;
  setSession: (session: Session | null) => void;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<SessionContextValue | null>(null);

const RETURN_KEY = 'cartes.returnTo';

/** Remembers where to go back after signing in. */
export function rememberReturnPath(path: string): void {
  try {
    if (!path.startsWith('/connexion')) sessionStorage.setItem(RETURN_KEY, path);
  } catch {
    // storage disabled: the person lands on the home page
  }
}

export function takeReturnPath(): string {
  try {
    const path = sessionStorage.getItem(RETURN_KEY);
    sessionStorage.removeItem(RETURN_KEY);
    if (path && path.startsWith('/') && !path.startsWith('//')) return path;
  } catch {
    // ignore
  }
  return '/';
}

export function applyBranding(branding: Branding): void {
  const html = document.documentElement;
  html.classList.toggle('neutral', branding === 'neutral');
  html.dataset.branding = branding;
}

export function SessionProvider(props: {
  initialSession: Session | null;
  branding: Branding;
  platformName: string;
  children: ReactNode;
}) {
  const [session, setSessionState] = useState<Session | null>(props.initialSession);
  const [branding, setBranding] = useState<Branding>(props.branding);

  const setSession = useCallback((s: Session | null) => {
    setCsrfToken(s?.csrfToken ?? null);
    if (s) {
      setBranding(s.branding);
      applyBranding(s.branding);
    }
    setSessionState(s);
  }, []);

  useEffect(() => {
    setCsrfToken(props.initialSession?.csrfToken ?? null);
  }, [props.initialSession]);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      setCsrfToken(null);
      setSessionState(null);
      rememberReturnPath(window.location.pathname + window.location.search);
      navigate('/connexion', { replace: true, state: { reason: 'expired' } satisfies SignInNotice });
    });
    return () => setUnauthorizedHandler(null);
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.logout();
    } finally {
      setCsrfToken(null);
      setSessionState(null);
      navigate('/connexion', { state: { reason: 'signedOut' } satisfies SignInNotice });
    }
  }, []);

  const value = useMemo(
    () => ({ session, branding, platformName: props.platformName, setSession, signOut }),
    [session, branding, props.platformName, setSession, signOut],
  );
  return <SessionContext.Provider value={value}>{props.children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('useSession outside SessionProvider');
  return ctx;
}

/** The signed-in person's session (pages behind the sign-in guard only). */
export function useRequiredSession(): Session {
  const { session } = useSession();
  if (!session) throw new Error('no session');
  return session;
}
