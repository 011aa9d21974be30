// /operation — the operator's universe (PGCA « Opération »): one tile per entry of the menu.
import { Tile } from '@codegouvfr/react-dsfr/Tile';
import { operationEntries } from '../../components/cards/operationMenu.tsx';
import { usePageTitle } from '../../hooks.ts';
import { useRequiredSession } from '../../session.tsx';

export function OperationPage() {
  const headingRef = usePageTitle('Opération');
  const session = useRequiredSession();
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Opération
      </h1>
      <p>Commande, suivi et remise des cartes de votre organisation.</p>
      <ul className="fr-grid-row fr-grid-row--gutters ca-unstyled-list">
        {operationEntries(session).map((e) => (
          <li key={e.href} className="fr-col-12 fr-col-lg-6">
            <Tile
              title={e.text}
              titleAs="h2"
              desc={e.description}
              linkProps={{ href: e.href }}
              enlargeLinkOrButton
              orientation="vertical"
            />
          </li>
        ))}
      </ul>
    </>
  );
}
