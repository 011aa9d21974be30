// A new PIN and its confirmation, checked in the page against the rules of the guide (seed 001,
// « ATTENTION ») before anything reaches the card. The value only ever goes to the card agent.
import { useId } from 'react';
import { PIN_LABELS, type PinKind } from '../../cardAgent.ts';

const PIN_KINDS: readonly PinKind[] = ['auth', 'sign'];
import { pinFaults, type PinFault } from '../../../../src/domain/pin-policy.ts';

export { pinFaults, type PinFault };

export const PIN_RULES = [
  'Les codes PIN ne doivent pas comporter une suite de chiffres, par exemple 1234 ou 4321 sont interdits.',
  'Ne pas être une date, par exemple 1980, 2010.',
  'Ni une partie de votre date de naissance : 0506 ou 0680 si vous êtes né un 5 juin 1980.',
];

export function PinRules() {
  return (
    <div className="fr-alert fr-alert--warning fr-mb-3w">
      <p className="fr-alert__title">ATTENTION :</p>
      <ul>
        {PIN_RULES.map((r) => (
          <li key={r}>{r}</li>
        ))}
      </ul>
    </div>
  );
}

export interface PinPair {
  pin: string;
  confirmation: string;
}

/** One masked 4-digit field of a pair, its label saying which and for what. */
function PinInput(props: {
  id: string;
  label: string;
  hint: string;
  value: string;
  onChange: (value: string) => void;
  faulty: boolean;
  describedBy: string | undefined;
  disabled?: boolean;
}) {
  return (
    <div className="fr-fieldset__element fr-fieldset__element--inline">
      <div className={`fr-input-group${props.faulty ? ' fr-input-group--error' : ''}`}>
        <label className="fr-label" htmlFor={props.id}>
          {props.label}
          <span className="fr-hint-text">{props.hint}</span>
        </label>
        <input
          id={props.id}
          className={`fr-input${props.faulty ? ' fr-input--error' : ''}`}
          type="password"
          inputMode="numeric"
          autoComplete="off"
          maxLength={4}
          disabled={props.disabled}
          value={props.value}
          aria-describedby={props.describedBy}
          aria-invalid={props.faulty || undefined}
          onChange={(e) => props.onChange(e.target.value.replace(/\s/g, ''))}
        />
      </div>
    </div>
  );
}

/** Table row « Usage | Code PIN d'utilisation | Confirmation du code PIN », with the faults below. */
export function PinPairFields(props: {
  /** e.g. « Certificat(s) - Code PIN Global ». */
  legend: string;
  hint?: string;
  usage: string;
  value: PinPair;
  onChange: (v: PinPair) => void;
  faults: PinFault[] | null;
  disabled?: boolean;
}) {
  const id = useId();
  const faulty = !!props.faults && props.faults.length > 0;
  const errorId = `${id}-faults`;
  const input = { faulty, describedBy: faulty ? errorId : undefined, disabled: props.disabled };
  return (
    <fieldset className={`fr-fieldset fr-mb-3w${faulty ? ' fr-fieldset--error' : ''}`} aria-labelledby={`${id}-legend`}>
      <legend id={`${id}-legend`} className="fr-fieldset__legend fr-text--lg">
        {props.legend}
        {props.hint && <span className="fr-hint-text">{props.hint}</span>}
      </legend>
      <div className="fr-fieldset__element">
        <p className="fr-mb-1w">
          Usage : <strong>{props.usage}</strong>
        </p>
      </div>
      <PinInput
        {...input}
        id={`${id}-pin`}
        label={`Code PIN d’utilisation — ${props.usage}`}
        hint="4 chiffres"
        value={props.value.pin}
        onChange={(pin) => props.onChange({ ...props.value, pin })}
      />
      <PinInput
        {...input}
        id={`${id}-confirmation`}
        label={`Confirmation du code PIN — ${props.usage}`}
        hint="les mêmes 4 chiffres"
        value={props.value.confirmation}
        onChange={(confirmation) => props.onChange({ ...props.value, confirmation })}
      />
      {faulty && (
        <div className="fr-messages-group" id={errorId} aria-live="polite">
          {props.faults!.map((f) => (
            <p key={f.code} className="fr-message fr-message--error">
              {f.message}
            </p>
          ))}
        </div>
      )}
    </fieldset>
  );
}

export const PIN_HINTS: Record<PinKind, string> = {
  auth: 'code PIN d’authentification',
  sign: 'code PIN de signature',
};
const USAGES: Record<PinKind, string> = { auth: 'Authentification', sign: 'Signature' };

/**
 * The new PIN Global and PIN Propre, each a pair with its faults, then the rules; `shown` leaves
 * out a PIN not being set. `legend` and `usage` name each (default « Nouveau PIN Global », « Authentification »).
 */
export function NewPinsFields(props: {
  value: Record<PinKind, PinPair>;
  onChange: (value: Record<PinKind, PinPair>) => void;
  faults: Partial<Record<PinKind, PinFault[]>> | null;
  shown?: Record<PinKind, boolean>;
  legend?: (kind: PinKind) => string;
  usage?: Record<PinKind, string>;
  /** Said after the hint (« , saisi par le porteur »). */
  hintSuffix?: string;
  disabled?: Partial<Record<PinKind, boolean>>;
}) {
  return (
    <>
      {PIN_KINDS.filter((k) => props.shown?.[k] ?? true).map((k) => (
        <PinPairFields
          key={k}
          legend={props.legend ? props.legend(k) : `Nouveau ${PIN_LABELS[k]}`}
          hint={`${PIN_HINTS[k]}${props.hintSuffix ?? ''}`}
          usage={(props.usage ?? USAGES)[k]}
          value={props.value[k]}
          onChange={(pair) => props.onChange({ ...props.value, [k]: pair })}
          faults={props.faults?.[k] ?? null}
          disabled={props.disabled?.[k]}
        />
      ))}
      <PinRules />
    </>
  );
}
