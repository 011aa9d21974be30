// Prerequisites of an order, one by one, each with its French reason when it does not hold.
import type { Prerequisite } from '../../cardsApi.ts';

export function PrerequisiteList(props: { items: Prerequisite[]; caption?: string }) {
  return (
    <ul className="ca-checklist" aria-label={props.caption ?? 'Prérequis de la commande'}>
      {props.items.map((p) => (
        <li key={p.code}>
          <span
            className={`${p.ok ? 'fr-icon-checkbox-circle-line ca-ok' : 'fr-icon-close-circle-line ca-ko'}`}
            aria-hidden="true"
          />
          <div>
            <p className="fr-mb-0">
              <strong>{p.label}</strong> — {p.ok ? 'satisfait' : 'non satisfait'}
            </p>
            {!p.ok && p.reason && <p className="fr-mb-0 fr-text--sm">{p.reason}</p>}
          </div>
        </li>
      ))}
    </ul>
  );
}
