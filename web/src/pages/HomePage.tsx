// Home: greeting, the person's roles, tiles to the sections they may use (with cheap counts).
import { Tile } from '@codegouvfr/react-dsfr/Tile';
import { api } from '../api.ts';
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

interface Counts {
  organizations?: number;
  agents?: number;
  audit?: number;
  mails?: number;
}

export function HomePage() {
  const session = useRequiredSession();
  const headingRef = usePageTitle('Accueil');
  const sections = SECTIONS.filter((s) => s.href !== '/' && s.permission && can(session, s.permission));

  const counts = useAsync<Counts>(async () => {
    const settle = <T,>(p: Promise<T>) =>
      p.then(
        (v) => v,
        () => undefined,
      );
    const [orgs, agents, audit, mails] = await Promise.all([
      can(session, 'organization.read') ? settle(api.organizations()) : undefined,
      can(session, 'agent.read') ? settle(api.agents({ pageSize: 1 })) : undefined,
      can(session, 'audit.read') ? settle(api.audit({ pageSize: 1 })) : undefined,
      can(session, 'mail.read') ? settle(api.mails()) : undefined,
    ]);
    return {
      organizations: orgs?.items.length,
      agents: agents?.total,
      audit: audit?.total,
      mails: mails?.items.length,
    };
  }, [session.person.id]);

  const detail = (href: string): string | undefined => {
    const c = counts.data;
    if (!c) return undefined;
    switch (href) {
      case '/organisations':
        return c.organizations !== undefined ? plural(c.organizations, 'organisation', 'organisations') : undefined;
      case '/agents':
        return c.agents !== undefined ? plural(c.agents, 'agent', 'agents') : undefined;
      case '/journal':
        return c.audit !== undefined ? plural(c.audit, 'entrée', 'entrées') : undefined;
      case '/courriels':
        return c.mails !== undefined ? plural(c.mails, 'courriel', 'courriels') : undefined;
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
