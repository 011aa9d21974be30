// Unknown address.
import { usePageTitle } from '../hooks.ts';
import { Link } from '../router.tsx';

export function NotFoundPage() {
  const headingRef = usePageTitle('Page introuvable');
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Page introuvable
      </h1>
      <p>La page que vous cherchez n’existe pas ou a été déplacée.</p>
      <p>
        <Link href="/">Retourner à l’accueil</Link>
      </p>
    </>
  );
}
