// /agents — directory search. The criteria live in the URL (?q=&organisation=&statut=&page=),
// so results can be bookmarked and the back button works.
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { api } from '../../api.ts';
import { pageOfPages, SearchForm, SearchResults, useUrlCriteria } from '../../components/SearchList.tsx';
import { AGENT_STATUS_LABELS, formatDate, label, pluralTotal } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { Link } from '../../router.tsx';

const PAGE_SIZE = 20;
const AGENT_STATUS_FILTER = { active: 'Actifs', inactive: 'Inactifs' };

export function AgentsPage() {
  const headingRef = usePageTitle('Agents');
  const s = useUrlCriteria('/agents', { q: 'q', organizationId: 'organisation', status: 'statut' });
  const { q, organizationId, status } = s.criteria;
  const page = s.page;
  const orgs = useAsync(() => api.organizations(), []);
  const results = useAsync(
    () =>
      api.agents({
        q,
        organizationId,
        status: status === 'active' || status === 'inactive' ? status : undefined,
        page,
        pageSize: PAGE_SIZE,
      }),
    [q, organizationId, status, page],
  );
  const organizations = [...(orgs.data?.items ?? [])]
    .sort((a, b) => a.name.localeCompare(b.name, 'fr'))
    .map((o) => [o.id, o.name] as const);

  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Agents
      </h1>
      <SearchForm
        label="Rechercher des agents"
        search={s}
        buttonCol="fr-col-md-2"
        fields={[
          {
            key: 'q',
            col: 'fr-col-md-5',
            label: 'Rechercher',
            hint: 'Nom, prénoms, identifiant ou courriel (sans tenir compte des accents)',
          },
          {
            key: 'organizationId',
            col: 'fr-col-md-3',
            label: 'Organisation',
            options: organizations,
            any: 'Toutes les organisations',
          },
          { key: 'status', col: 'fr-col-md-2', label: 'Statut', options: AGENT_STATUS_FILTER, any: 'Tous' },
        ]}
      />

      <SearchResults
        results={results}
        texts={{
          error: 'La recherche a échoué',
          loading: 'Recherche en cours…',
          found: (total, exact) =>
            `${pluralTotal({ total, totalExact: exact }, 'agent trouvé', 'agents trouvés')}${pageOfPages(page, total, PAGE_SIZE, exact)}.`,
          empty: s.any ? 'Aucun agent ne correspond à votre recherche.' : 'Aucun agent dans votre périmètre.',
        }}
        table={{
          caption: s.any ? 'Résultats de la recherche d’agents' : 'Agents de votre périmètre',
          headers: ['Nom', 'Prénoms', 'Identifiant', 'Date de naissance', 'Organisation', 'Statut', 'Photo'],
        }}
        rowKey={(a) => a.id}
        row={(a) => [
          <Link href={`/agents/${encodeURIComponent(a.id)}`}>{a.lastName}</Link>,
          a.firstNames,
          <span className="ca-code">{a.identifier}</span>,
          <span className="ca-nowrap">{formatDate(a.birthDate)}</span>,
          a.organizationName,
          <Badge small severity={a.status === 'active' ? 'success' : 'info'} noIcon>
            {label(AGENT_STATUS_LABELS, a.status)}
          </Badge>,
          a.hasPhoto ? 'Oui' : 'Non',
        ]}
        paging={{ page, pageSize: PAGE_SIZE }}
      />
    </>
  );
}
