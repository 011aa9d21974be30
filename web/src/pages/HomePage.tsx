// Home: greeting, the person's roles, tiles to the sections they may use (with cheap counts).
import { Tile } from '@codegouvfr/react-dsfr/Tile';
import { api, type Count, type HomeCounts } from '../api.ts';
import { SECTIONS } from '../components/Layout.tsx';
import { plural } from '../format.ts';
import { useAsync, usePageTitle } from '../hooks.ts';
import { can } from '../permissions.ts';
import { useRequiredSession } from '../session.tsx';

const DESCRIPTIONS: Record<string, string> = {
  '/organisations': 'Arborescence, conventions d’adhésion, auto-évaluations de la sécurité du poste de travail.',
  '/agents': 'Annuaire des agents : recherche, fiche, photo d’identité, désactivation.',
  '/imports': 'Import du flux SIRH (CSV ou JSON lines) et rapports de rejets.',
  '/journal': 'Journal d’audit chaîné et vérification de son intégrité.',
  '/courriels': 'Courriels envoyés par la plateforme.',
  '/operation': 'Demandes et lots de demandes, porteurs, supports à remettre, test de la connectivité.',
  '/facturation': 'Cartes facturées par organisation et relevé CSV.',
  '/dossiers':
    'Centre de traitement : arrivée des dossiers, files des bureaux, archives, dossiers de plus de 30 jours.',
};

export function HomePage() {
  const session = useRequiredSession();
  const headingRef = usePageTitle('Accueil');
  const sections = SECTIONS.filter((s) => s.href !== '/' && s.permission && can(session, s.permission));

  // One request: the server reads maintained counters, never counts a big table.
  const counts = useAsync<HomeCounts | undefined>(() => api.counts().catch(() => undefined), [session.person.id]);

  const count = (c: Count | null | undefined, one: string, many: string): string | undefined =>
    c ? `${c.exact ? '' : 'plus de '}${plural(c.count, one, many)}` : undefined;

  const detail = (href: string): string | undefined => {
    const c = counts.data;
    if (!c) return undefined;
    switch (href) {
      case '/organisations':
        return count(c.organizations, 'organisation', 'organisations');
      case '/agents':
        return count(c.agents, 'agent', 'agents');
      case '/journal':
        return count(c.audit, 'entrée', 'entrées');
      case '/courriels':
        return count(c.mails, 'courriel', 'courriels');
      default:
        return undefined;
    }
  };

  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Bonjour {session.person.firstNames} {session.person.lastName}
      </h1>
      <h2 className="fr-h5">Vos rôles</h2>
      {session.roles.length === 0 ? (
        <p>Vous n’avez aucun rôle sur la plateforme.</p>
      ) : (
        <ul>
          {session.roles.map((r) => (
            <li key={r.id}>
              <strong>{r.roleLabel}</strong> — {r.organizationName}
            </li>
          ))}
        </ul>
      )}
      <h2 className="fr-mt-4w">Rubriques</h2>
      {sections.length === 0 ? (
        <p>
          Votre rôle de porteur ne donne accès à aucune rubrique de gestion. Adressez-vous à l’opérateur de votre
          organisation pour toute question sur votre carte.
        </p>
      ) : (
        <ul className="fr-grid-row fr-grid-row--gutters ca-unstyled-list">
          {sections.map((s) => (
            <li key={s.href} className="fr-col-12 fr-col-md-6 fr-col-lg-4">
              <Tile
                title={s.text}
                titleAs="h3"
                desc={DESCRIPTIONS[s.href]}
                detail={detail(s.href)}
                linkProps={{ href: s.href }}
                enlargeLinkOrButton
                orientation="vertical"
              />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
