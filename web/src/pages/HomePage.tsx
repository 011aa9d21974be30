// Home: greeting, what waits for this person (to-do, GET /api/tasks), the person's roles, tiles to the
// sections they may use (with cheap counts), links to the dashboards.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Tile } from '@codegouvfr/react-dsfr/Tile';
import { api, type Count, type HomeCounts } from '../api.ts';
import { SECTIONS } from '../components/Layout.tsx';
import { plural } from '../format.ts';
import { useAsync, usePageTitle } from '../hooks.ts';
import { can } from '../permissions.ts';
import { Link } from '../router.tsx';
import { useRequiredSession } from '../session.tsx';
import { steeringApi, type Tasks } from '../steeringApi.ts';

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
  const tasks = useAsync<Tasks | undefined>(() => steeringApi.tasks().catch(() => undefined), [session.person.id]);
  const dashboards = [
    ...(can(session, 'backoffice.report')
      ? [{ href: '/dossiers/tableau-de-bord', text: 'Tableau de bord du centre' }]
      : []),
    ...(can(session, 'steering.cards') ? [{ href: '/pilotage/cartes', text: 'Tableau de bord des cartes' }] : []),
  ];

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
      {tasks.data?.holderSetup && (
        <Alert
          severity="warning"
          title="Définissez votre code personnel et vos questions secrètes"
          description={
            <>
              Ils vous permettront de débloquer votre carte vous-même si vous oubliez votre code PIN.{' '}
              <Link href={tasks.data.holderSetup.href}>Les définir maintenant</Link>
            </>
          }
          className="fr-mb-3w"
        />
      )}
      {tasks.data && tasks.data.items.length > 0 && (
        <section aria-labelledby="a-faire" className="fr-mb-4w">
          <h2 id="a-faire">À faire</h2>
          <ul className="ca-unstyled-list">
            {tasks.data.items.map((t) => (
              <li key={t.key} className="fr-mb-1w">
                {t.href ? <Link href={t.href}>{t.label}</Link> : <span>{t.label}</span>}{' '}
                {t.count === null ? (
                  <Badge small>Bientôt disponible</Badge>
                ) : (
                  <Badge small severity={t.urgent ? 'error' : t.count > 0 ? 'info' : undefined} noIcon>
                    {`${t.exact ? '' : 'plus de '}${t.count}`}
                  </Badge>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
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
      {dashboards.length > 0 && (
        <>
          <h2 className="fr-mt-4w">Tableaux de bord</h2>
          <ul>
            {dashboards.map((d) => (
              <li key={d.href}>
                <Link href={d.href}>{d.text}</Link>
              </li>
            ))}
          </ul>
        </>
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
