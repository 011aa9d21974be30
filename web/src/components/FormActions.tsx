import { Button } from '@codegouvfr/react-dsfr/Button';

/** The submit + « Annuler » pair that ends every edit form. */
export function FormActions(props: { submitLabel: string; busy: boolean; onCancel: () => void }) {
  return (
    <ul className="fr-btns-group fr-btns-group--inline-md">
      <li>
        <Button type="submit" disabled={props.busy}>
          {props.submitLabel}
        </Button>
      </li>
      <li>
        <Button type="button" priority="secondary" onClick={props.onCancel}>
          Annuler
        </Button>
      </li>
    </ul>
  );
}
