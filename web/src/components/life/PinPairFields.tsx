// A new PIN and its confirmation, checked in the page against the rules of the guide (seed 001,
// « ATTENTION ») before anything reaches the card. The value only ever goes to the card agent.
import { useId } from 'react';
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
  const describedBy = faulty ? errorId : undefined;
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
      <div className="fr-fieldset__element fr-fieldset__element--inline">
        <div className={`fr-input-group${faulty ? ' fr-input-group--error' : ''}`}>
          <label className="fr-label" htmlFor={`${id}-pin`}>
            Code PIN d’utilisation — {props.usage}
            <span className="fr-hint-text">4 chiffres</span>
          </label>
          <input
            id={`${id}-pin`}
            className={`fr-input${faulty ? ' fr-input--error' : ''}`}
            type="password"
            inputMode="numeric"
            autoComplete="off"
            maxLength={4}
            disabled={props.disabled}
            value={props.value.pin}
            aria-describedby={describedBy}
            aria-invalid={faulty || undefined}
            onChange={(e) => props.onChange({ ...props.value, pin: e.target.value.replace(/\s/g, '') })}
          />
        </div>
      </div>
      <div className="fr-fieldset__element fr-fieldset__element--inline">
        <div className={`fr-input-group${faulty ? ' fr-input-group--error' : ''}`}>
          <label className="fr-label" htmlFor={`${id}-confirmation`}>
            Confirmation du code PIN — {props.usage}
            <span className="fr-hint-text">les mêmes 4 chiffres</span>
          </label>
          <input
            id={`${id}-confirmation`}
            className={`fr-input${faulty ? ' fr-input--error' : ''}`}
            type="password"
            inputMode="numeric"
            autoComplete="off"
            maxLength={4}
            disabled={props.disabled}
            value={props.value.confirmation}
            aria-describedby={describedBy}
            aria-invalid={faulty || undefined}
            onChange={(e) => props.onChange({ ...props.value, confirmation: e.target.value.replace(/\s/g, '') })}
          />
        </div>
      </div>
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
