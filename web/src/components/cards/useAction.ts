// A person's action that the card may interrupt (the PIN dialog closed): busy while it runs, its
// failure kept for the page's ProblemAlert, a cancellation ignored.
import { useState } from 'react';
import { isCancelled } from './CardAgentProvider.tsx';

export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (fn: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      if (!isCancelled(err)) setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}
