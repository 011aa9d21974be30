// A section the person's roles do not open (the server would refuse its data anyway).
import { usePageTitle } from '../hooks.ts';
import { Link } from '../router.tsx';

export function ForbiddenPage() {
  const headingRef = usePageTitle('Accès refusé');
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Accès refusé
      </h1>
      <p>
        Vos rôles ne donnent pas accès à cette rubrique. Si vous pensez qu’il s’agit d’une erreur, adressez-vous à un
        administrateur de la plateforme.
      </p>
      <p>
        <Link href="/">Retourner à l’accueil</Link>
      </p>
    </>
  );
}
