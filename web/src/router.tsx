// Minimal client-side router on the History API: pushState navigation, a location hook, path
// patterns with `:params`, and a Link that leaves modified clicks (new tab...) to the browser.
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

export interface Location {
  pathname: string;
  search: string;
  /** history.state of the current entry (e.g. a message for the sign-in page). */
  state: unknown;
}

const listeners = new Set<() => void>();
let navigations = 0;
let snapshot: Location = read();

function read(): Location {
  return { pathname: window.location.pathname, search: window.location.search, state: window.history.state };
}

function notify(): void {
  const next = read();
  if (next.pathname !== snapshot.pathname || next.search !== snapshot.search || next.state !== snapshot.state) {
    snapshot = next;
    navigations++;
    for (const l of listeners) l();
  }
}

window.addEventListener('popstate', notify);

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useLocation(): Location {
  return useSyncExternalStore(subscribe, () => snapshot);
}

/** Number of client-side navigations so far (0 on the first page load). */
export function navigationCount(): number {
  return navigations;
}

export function navigate(to: string, opts: { replace?: boolean; state?: unknown } = {}): void {
  const state = opts.state ?? null;
  if (opts.replace) window.history.replaceState(state, '', to);
  else window.history.pushState(state, '', to);
  const before = snapshot;
  notify();
  // A new page (not just new query parameters) starts at the top.
  if (snapshot.pathname !== before.pathname) window.scrollTo(0, 0);
}

/** Query parameters of the current location. */
export function useSearchParams(): URLSearchParams {
  const { search } = useLocation();
  return new URLSearchParams(search);
}

/** `/agents/:id` against `/agents/42` → `{ id: '42' }`; null when it does not match. */
export function matchPath(pattern: string, pathname: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean);
  const s = pathname.replace(/\/+$/, '').split('/').filter(Boolean);
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const seg = p[i]!;
    const val = s[i]!;
    if (seg.startsWith(':')) params[seg.slice(1)] = decodeURIComponent(val);
    else if (seg !== val) return null;
  }
  return params;
}

function isInternal(href: string): boolean {
  if (!href.startsWith('/') || href.startsWith('//')) return false;
  // API resources (downloads, images) are left to the browser.
  return !href.startsWith('/api/');
}

export type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { href: string; children?: ReactNode };

export function Link({ href, onClick, target, children, ...rest }: LinkProps) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    // DSFR components may pass no href at all.
    if (typeof href !== 'string' || (target && target !== '_self') || rest.download !== undefined) return;
    if (!isInternal(href)) return;
    e.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} target={target} onClick={handle} {...rest}>
      {children}
    </a>
  );
}
