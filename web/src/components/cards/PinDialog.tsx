// "Vérification PIN" (as in PGCA): a DSFR modal asking one of the card's PINs. The value goes back
// to the caller, who hands it to the card agent: it is never sent to the platform's server, and the
// field is emptied as soon as the dialog closes.
import { createModal } from '@codegouvfr/react-dsfr/Modal';
import { useIsModalOpen } from '@codegouvfr/react-dsfr/Modal/useIsModalOpen';
import { useCallback, useId, useRef, useState, type FormEvent } from 'react';
import { PIN_LABELS, type PinKind } from '../../cardAgent.ts';
import { plural } from '../../format.ts';

export interface PinRequest {
  pin: PinKind;
  triesLeft: number;
  /** What the PIN unlocks, e.g. « Connexion au portail ». */
  purpose: string;
  /** Serial and holder of the card, when known. */
  cardLabel?: string;
  /** Message of the previous attempt (wrong PIN...). */
  error?: string;
}

const modal = createModal({ id: 'verification-pin', isOpenedByDefault: false });

/** Mount once; `ask` opens the dialog and resolves with the PIN, or null when cancelled. */
export function usePinDialog() {
  const [request, setRequest] = useState<PinRequest | null>(null);
  const [value, setValue] = useState('');
  const resolver = useRef<((pin: string | null) => void) | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);

  const settle = useCallback((pin: string | null) => {
    const r = resolver.current;
    resolver.current = null;
    setValue('');
    r?.(pin);
  }, []);

  useIsModalOpen(modal, {
    onConceal: () => settle(null),
    onDisclose: () => window.setTimeout(() => inputRef.current?.focus(), 50),
  });

  const ask = useCallback(
    (req: PinRequest): Promise<string | null> => {
      settle(null);
      setRequest(req);
      setValue('');
      return new Promise((resolve) => {
        resolver.current = resolve;
        // Let React render the request before the DSFR script shows the dialog.
        window.setTimeout(() => modal.open(), 0);
      });
    },
    [settle],
  );

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (!/^\d{4,8}$/.test(value)) return;
    settle(value);
    modal.close();
  };

  return {
    ask,
    dialog: (
      <PinDialogView request={request} value={value} setValue={setValue} onSubmit={onSubmit} inputRef={inputRef} />
    ),
  };
}

function PinDialogView(props: {
  request: PinRequest | null;
  value: string;
  setValue: (v: string) => void;
  onSubmit: (e: FormEvent) => void;
  inputRef: React.RefObject<HTMLInputElement | null>;
}) {
  const id = useId();
  const formId = `${id}-form`;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const r = props.request;
  const invalid = props.value !== '' && !/^\d{4,8}$/.test(props.value);
  return (
    <modal.Component
      title="Vérification PIN"
      titleAs="h2"
      size="small"
      iconId="fr-icon-lock-line"
      buttons={[
        { children: 'Annuler', priority: 'secondary' },
        { children: 'OK', type: 'submit', doClosesModal: false, nativeButtonProps: { form: formId } },
      ]}
    >
      {r && (
        <form id={formId} onSubmit={props.onSubmit} noValidate>
          <p className="fr-mb-1w">{r.purpose}</p>
          <ul className="fr-mb-2w">
            <li>
              Nom du PIN : <strong>{PIN_LABELS[r.pin]}</strong>
            </li>
            <li>{plural(r.triesLeft, 'tentative restante', 'tentatives restantes')}</li>
            {r.cardLabel && <li>Carte : {r.cardLabel}</li>}
          </ul>
          {r.error && (
            <div className="fr-alert fr-alert--error fr-alert--sm fr-mb-2w" role="alert">
              <p>{r.error}</p>
            </div>
          )}
          <div className={`fr-input-group${invalid ? ' fr-input-group--error' : ''}`}>
            <label className="fr-label" htmlFor={`${id}-pin`}>
              Code {PIN_LABELS[r.pin]}
              <span className="fr-hint-text" id={hintId}>
                4 chiffres. Il est transmis à votre carte par l’agent de carte, jamais au serveur.
              </span>
            </label>
            <input
              ref={props.inputRef}
              id={`${id}-pin`}
              className={`fr-input${invalid ? ' fr-input--error' : ''}`}
              type="password"
              inputMode="numeric"
              autoComplete="off"
              maxLength={8}
              value={props.value}
              onChange={(e) => props.setValue(e.target.value.replace(/\s/g, ''))}
              aria-describedby={invalid ? `${hintId} ${errorId}` : hintId}
              aria-invalid={invalid || undefined}
            />
            {invalid && (
              <p className="fr-error-text" id={errorId}>
                Le code PIN ne contient que des chiffres (4 chiffres).
              </p>
            )}
          </div>
        </form>
      )}
    </modal.Component>
  );
}
