// Small data-loading hooks.
import { useCallback, useEffect, useRef, useState, type DependencyList } from 'react';
import { navigationCount } from './router.tsx';
import { useSession } from './session.tsx';

export interface AsyncState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  /** Replaces the data (after a mutation that returned the new value). */
  setData: (data: T) => void;
}

/** Runs `load` when `deps` change; ignores answers that arrive after a newer request. */
export function useAsync<T>(load: () => Promise<T>, deps: DependencyList): AsyncState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const generation = useRef(0);

  useEffect(() => {
    const gen = ++generation.current;
    setLoading(true);
    setError(null);
    load().then(
      (value) => {
        if (gen !== generation.current) return;
        setData(value);
        setLoading(false);
      },
      (err: unknown) => {
        if (gen !== generation.current) return;
        setError(err);
        setLoading(false);
      },
    );
  }, [...deps, tick]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload, setData };
}

/**
 * Sets document.title ("Page — Cartes Agents") and, after a client-side navigation, moves the
 * focus to the page's main heading so screen reader users hear the new page (RGAA 12.x).
 */
export function usePageTitle(title: string) {
  const { platformName } = useSession();
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = title ? `${title} — ${platformName}` : platformName;
  }, [title, platformName]);
  useEffect(() => {
    if (navigationCount() > 0) headingRef.current?.focus({ preventScroll: true });
  }, []);
  return headingRef;
}
