// The card agent as the pages see it: pairing, the reader's state (polled), and card signatures
// with the PIN asked in a dialog. One provider for the whole application.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import {
  activeReader,
  CardAgentClient,
  CardAgentError,
  PIN_LABELS,
  pinForSlot,
  storedAgentToken,
  storedAgentUrl,
  storePairing,
  type AgentStatus,
  type CardSigned,
  type CardSlot,
  type ReaderStatus,
} from '../../cardAgent.ts';
import { usePairingDialog } from './PairingDialog.tsx';
import { usePinDialog } from './PinDialog.tsx';

const POLL_MS = 2000;

export interface CardAgentValue {
  url: string;
  paired: boolean;
  /** Last answer of GET /status (null before the first one or when unreachable). */
  status: AgentStatus | null;
  /** Why the last status request failed (unreachable, unpaired...). */
  error: CardAgentError | null;
  /** The reader in use (the one holding a card, else the virtual reader). */
  reader: ReaderStatus | null;
  client: CardAgentClient | null;
  refresh: () => Promise<AgentStatus | null>;
  /** Opens the pairing dialog; true once paired. */
  requestPairing: () => Promise<boolean>;
  unpair: () => void;
  /**
   * Signs `text` with the inserted card: asks the slot's PIN (again after a wrong one) and returns
   * the signature and the slot's certificate. Throws CardAgentError ('cancelled' when the person gives up).
   */
  signWithCard: (slot: CardSlot, text: string, purpose: string) => Promise<CardSigned>;
}

const CardAgentContext = createContext<CardAgentValue | null>(null);

export function isCancelled(err: unknown): boolean {
  return err instanceof CardAgentError && err.code === 'cancelled';
}

export function CardAgentProvider(props: { children: ReactNode }) {
  const [url, setUrl] = useState(storedAgentUrl);
  const [token, setToken] = useState(storedAgentToken);
  const [status, setStatus] = useState<AgentStatus | null>(null);
  const [error, setError] = useState<CardAgentError | null>(null);
  const lastJson = useRef('');

  const client = useMemo(() => (token ? new CardAgentClient(url, token) : null), [url, token]);

  const forget = useCallback(() => {
    storePairing(url, null);
    setToken(null);
    setStatus(null);
    lastJson.current = '';
  }, [url]);

  const refresh = useCallback(async (): Promise<AgentStatus | null> => {
    if (!client) return null;
    try {
      const s = await client.status();
      const json = JSON.stringify(s);
      if (json !== lastJson.current) {
        lastJson.current = json;
        setStatus(s);
      }
      setError((e) => (e ? null : e));
      return s;
    } catch (err) {
      const e = err instanceof CardAgentError ? err : new CardAgentError('unreachable', String(err));
      if (e.status === 401) forget();
      lastJson.current = '';
      setStatus(null);
      setError(e);
      return null;
    }
  }, [client, forget]);

  useEffect(() => {
    if (!client) return;
    void refresh();
    const timer = window.setInterval(() => {
      if (document.visibilityState !== 'hidden') void refresh();
    }, POLL_MS);
    return () => window.clearInterval(timer);
  }, [client, refresh]);

  const pair = useCallback(async (newUrl: string, code: string) => {
    const c = await CardAgentClient.pair(newUrl, code);
    storePairing(c.url, c.token);
    setError(null);
    setUrl(c.url);
    setToken(c.token);
  }, []);

  const { open: openPairing, dialog: pairingDialog } = usePairingDialog({ currentUrl: url, pair });
  const { ask: askPin, dialog: pinDialog } = usePinDialog();

  const signWithCard = useCallback(
    async (slot: CardSlot, text: string, purpose: string): Promise<CardSigned> => {
      let c = client;
      if (!c) {
        const ok = await openPairing();
        if (!ok) throw new CardAgentError('cancelled', 'Appairage annulé.');
        const t = storedAgentToken();
        if (!t) throw new CardAgentError('unpaired', "L'agent de carte n'est pas appairé.");
        c = new CardAgentClient(storedAgentUrl(), t);
      }
      const s = await c.status().catch((err: unknown) => {
        if (err instanceof CardAgentError && err.status === 401) forget();
        throw err;
      });
      const reader = activeReader(s);
      const card = reader?.card;
      if (!reader || !card) {
        throw new CardAgentError('no_card', 'Veuillez insérer votre carte dans le lecteur, puis recommencez.');
      }
      const kind = pinForSlot(slot);
      const state = card.pins[kind];
      if (state?.blocked) {
        throw new CardAgentError(
          'pin_blocked',
          `Le ${PIN_LABELS[kind]} de cette carte est bloqué : faites débloquer la carte.`,
        );
      }
      let triesLeft = state?.triesLeft ?? 3;
      let previous: string | undefined;
      const cardLabel = `${card.serial}${card.holder ? ` — ${card.holder}` : ''}`;
      for (;;) {
        const value = await askPin({ pin: kind, triesLeft, purpose, cardLabel, error: previous });
        if (value === null) throw new CardAgentError('cancelled', 'Saisie du code PIN annulée.');
        try {
          const signed = await c.sign(reader.name, slot, text, value);
          void refresh();
          return signed;
        } catch (err) {
          if (err instanceof CardAgentError && err.code === 'pin_wrong') {
            triesLeft = err.triesLeft ?? Math.max(0, triesLeft - 1);
            previous = err.message || 'Code PIN erroné.';
            void refresh();
            continue;
          }
          void refresh();
          throw err;
        }
      }
    },
    [client, openPairing, askPin, forget, refresh],
  );

  const value = useMemo<CardAgentValue>(
    () => ({
      url,
      paired: !!client,
      status,
      error,
      reader: activeReader(status),
      client,
      refresh,
      requestPairing: openPairing,
      unpair: forget,
      signWithCard,
    }),
    [url, client, status, error, refresh, openPairing, forget, signWithCard],
  );

  return (
    <CardAgentContext.Provider value={value}>
      {props.children}
      {pairingDialog}
      {pinDialog}
    </CardAgentContext.Provider>
  );
}

export function useCardAgent(): CardAgentValue {
  const ctx = useContext(CardAgentContext);
  if (!ctx) throw new Error('useCardAgent outside CardAgentProvider');
  return ctx;
}
