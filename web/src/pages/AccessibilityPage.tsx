// Accessibility statement (RGAA): the footer links here.
import { usePageTitle } from '../hooks.ts';
import { useSession } from '../session.tsx';

export function AccessibilityPage() {
  const headingRef = usePageTitle('Déclaration d’accessibilité');
  const { platformName } = useSession();
  return (
    <div className="fr-grid-row">
      <div className="fr-col-12 fr-col-lg-8">
        <h1 ref={headingRef} tabIndex={-1}>
          Déclaration d’accessibilité
        </h1>
        <p>
          {platformName} s’engage à rendre son portail accessible conformément à l’article 47 de la loi n° 2005-102 du
          11 février 2005, selon le référentiel général d’amélioration de l’accessibilité (RGAA 4.1).
        </p>
        <h2>État de conformité</h2>
        <p>
          Le portail n’a pas encore fait l’objet d’un audit de conformité : il est donc déclaré{' '}
          <strong>non conforme</strong>. Chaque page est néanmoins vérifiée automatiquement (axe-core) à chaque
          modification du logiciel, et conçue avec le Système de design de l’État (DSFR) : titres hiérarchisés, liens
          d’évitement, étiquettes sur tous les champs, tableaux titrés, navigation au clavier.
        </p>
        <h2>Retour d’information et contact</h2>
        <p>
          Si vous n’arrivez pas à accéder à un contenu ou à un service, contactez l’administrateur de la plateforme de
          votre organisation pour être orienté vers une alternative accessible.
        </p>
        <h2>Voies de recours</h2>
        <p>
          Si vous constatez un défaut d’accessibilité vous empêchant d’accéder à un contenu ou une fonctionnalité, que
          vous nous l’avez signalé et que vous n’avez pas obtenu de réponse satisfaisante, vous pouvez écrire au
          Défenseur des droits ou contacter son délégué dans votre région.
        </p>
      </div>
    </div>
  );
}
