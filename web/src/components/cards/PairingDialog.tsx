// Pairing of this browser with the card agent: the agent prints a 6-digit code at start; the page
// sends it once and keeps the token it gets back.
import { createModal } from '@codegouvfr/react-dsfr/Modal';
import { useIsModalOpen } from '@codegouvfr/react-dsfr/Modal/useIsModalOpen';
import { useCallback, useId, useRef, useState, type FormEvent } from 'react';
import { errorMessage } from '../../api.ts';
import { normalizeAgentUrl } from '../../cardAgent.ts';

const modal = createModal({ id: 'appairage-agent', isOpenedByDefault: false });

/** Mount once; `open` shows the dialog and resolves true once paired, false when closed. */
export function usePairingDialog(params: { currentUrl: string; pair: (url: string, code: string) => Promise<void> }) {
  const [url, setUrl] = useState(params.currentUrl);
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const resolver = useRef<((ok: boolean) => void) | null>(null);
  const codeRef = useRef<HTMLInputElement>(null);
  const id = useId();
  const formId = `${id}-form`;

  const settle = useCallback((ok: boolean) => {
    const r = resolver.current;
    resolver.current = null;
    r?.(ok);
  }, []);

  useIsModalOpen(modal, {
    onConceal: () => {
      setCode('');
      settle(false);
    },
    onDisclose: () => window.setTimeout(() => codeRef.current?.focus(), 50),
  });

  const open = useCallback((): Promise<boolean> => {
    settle(false);
    setUrl(params.currentUrl);
    setCode('');
    setError(null);
    return new Promise((resolve) => {
      resolver.current = resolve;
      window.setTimeout(() => modal.open(), 0);
    });
  }, [params.currentUrl, settle]);

  const urlOk = normalizeAgentUrl(url);
  const codeOk = /^\d{6}$/.test(code.trim());

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (!urlOk) {
      setError("L'adresse de l'agent de carte doit être une adresse http, par exemple http://127.0.0.1:7391.");
      return;
    }
    if (!codeOk) {
      setError("Le code d'appairage compte 6 chiffres : recopiez celui affiché par l'agent de carte.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await params.pair(urlOk, code.trim());
      setCode('');
      settle(true);
      modal.close();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const dialog = (
    <modal.Component
      title="Appairer l’agent de carte"
      titleAs="h2"
      iconId="fr-icon-links-line"
      buttons={[
        { children: 'Annuler', priority: 'secondary' },
        {
          children: busy ? 'Appairage…' : 'Appairer',
          type: 'submit',
          doClosesModal: false,
          disabled: busy,
          nativeButtonProps: { form: formId },
        },
      ]}
    >
      <form id={formId} onSubmit={(e) => void onSubmit(e)} noValidate>
        <p>
          L’agent de carte est le logiciel de ce poste qui gère le lecteur et la carte. Au démarrage, il affiche un code
          d’appairage à 6 chiffres : recopiez-le ci-dessous pour autoriser ce navigateur à l’utiliser.
        </p>
        {error && (
          <div className="fr-alert fr-alert--error fr-alert--sm fr-mb-2w" role="alert">
            <p>{error}</p>
          </div>
        )}
        <div className="fr-input-group">
          <label className="fr-label" htmlFor={`${id}-code`}>
            Code d'appairage affiché par l'agent de carte
            <span className="fr-hint-text">6 chiffres</span>
          </label>
          <input
            ref={codeRef}
            id={`${id}-code`}
            className="fr-input"
            type="text"
            inputMode="numeric"
            autoComplete="one-time-code"
            maxLength={6}
            value={code}
            onChange={(e) => setCode(e.target.value.replace(/\D/g, ''))}
          />
        </div>
        <div className="fr-input-group">
          <label className="fr-label" htmlFor={`${id}-url`}>
            Adresse de l’agent de carte
            <span className="fr-hint-text">
              Par défaut http://127.0.0.1:7391 ; à changer seulement sur indication du support.
            </span>
          </label>
          <input
            id={`${id}-url`}
            className="fr-input"
            type="url"
            autoComplete="off"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
          />
        </div>
      </form>
    </modal.Component>
  );

  return { open, dialog };
}
