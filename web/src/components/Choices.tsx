// DSFR radio buttons and checkboxes: one box (label and hint), and a fieldset of them under a legend.
import type { ReactNode } from 'react';

/** One DSFR radio button or checkbox with its label (and hint). */
export function ChoiceBox(props: {
  type: 'radio' | 'checkbox';
  id: string;
  /** Radio group name. */
  name?: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  label: ReactNode;
  hint?: ReactNode;
  /** Extra class of the group (`fr-mb-2w`, `fr-checkbox-group--sm`…). */
  className?: string;
  describedBy?: string;
}) {
  const group = props.type === 'radio' ? 'fr-radio-group' : 'fr-checkbox-group';
  return (
    <div className={props.className ? `${group} ${props.className}` : group}>
      <input
        type={props.type}
        id={props.id}
        name={props.name}
        checked={props.checked}
        onChange={(e) => props.onChange(e.target.checked)}
        aria-describedby={props.describedBy}
      />
      <label className="fr-label" htmlFor={props.id}>
        {props.label}
        {props.hint && <span className="fr-hint-text">{props.hint}</span>}
      </label>
    </div>
  );
}

/**
 * A fieldset of radio buttons (one choice: `name` groups them) or checkboxes, one per option;
 * `error` is shown under them and marks the fieldset.
 */
export function ChoiceFieldset<T extends string>(props: {
  type: 'radio' | 'checkbox';
  /** Id of the legend; the boxes' ids are `${id}-${value}`. */
  id: string;
  legend: ReactNode;
  options: readonly { value: T; label: ReactNode; hint?: ReactNode }[];
  checked: (value: T) => boolean;
  onChange: (value: T, checked: boolean) => void;
  name?: string;
  error?: ReactNode;
}) {
  return (
    <fieldset className={`fr-fieldset${props.error ? ' fr-fieldset--error' : ''}`} aria-labelledby={props.id}>
      <legend id={props.id} className="fr-fieldset__legend">
        {props.legend}
      </legend>
      {props.options.map((o) => (
        <div key={o.value} className="fr-fieldset__element">
          <ChoiceBox
            type={props.type}
            id={`${props.id}-${o.value}`}
            name={props.name}
            checked={props.checked(o.value)}
            onChange={(checked) => props.onChange(o.value, checked)}
            label={o.label}
            hint={o.hint}
          />
        </div>
      ))}
      {props.error && <p className="fr-message fr-message--error fr-fieldset__element">{props.error}</p>}
    </fieldset>
  );
}
