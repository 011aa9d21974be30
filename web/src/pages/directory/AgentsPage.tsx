// /agents — directory search. The criteria live in the URL (?q=&organisation=&statut=&page=),
// so results can be bookmarked and the back button works.
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { api } from '../../api.ts';
import { SearchForm, SearchInput, SearchResults, SearchSelect, useUrlCriteria } from '../../components/SearchList.tsx';
import { AGENT_STATUS_LABELS, formatDate, label, plural } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { Link } from '../../router.tsx';

const PAGE_SIZE = 20;

export function AgentsPage() {
  const headingRef = usePageTitle('Agents');
  const s = useUrlCriteria('/agents', { q: 'q', organizationId: 'organisation', status: 'statut' });
  const { q, organizationId, status } = s.criteria;
  const page = s.page;
  const orgs = useAsync(() => api.organizations(), []);
  const results = useAsync(
    () => api.agents({ q, organizationId, status, page, pageSize: PAGE_SIZE }),
    [q, organizationId, status, page],
  );
  const sortedOrgs = [...(orgs.data?.items ?? [])].sort((a, b) => a.name.localeCompare(b.name, 'fr'));

  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Agents
      </h1>
      <SearchForm label="Rechercher des agents" onSubmit={s.submit} buttonCol="fr-col-md-2">
        <SearchInput
          col="fr-col-md-5"
          label="Rechercher"
          hint="Nom, prénoms, identifiant ou courriel (sans tenir compte des accents)"
          name="q"
          value={s.form.q}
          onChange={(v) => s.setField('q', v)}
        />
        <SearchSelect
          col="fr-col-md-3"
          label="Organisation"
          name="organisation"
          value={s.form.organizationId}
          onChange={(v) => s.setField('organizationId', v)}
          anyLabel="Toutes les organisations"
          options={sortedOrgs.map((o) => [o.id, o.name] as const)}
        />
        <SearchSelect
          col="fr-col-md-2"
          label="Statut"
          name="statut"
          value={s.form.status}
          onChange={(v) => s.setField('status', v)}
          anyLabel="Tous"
          options={[
            ['active', 'Actifs'],
            ['inactive', 'Inactifs'],
          ]}
        />
      </SearchForm>

      <SearchResults
        results={results}
        errorTitle="La recherche a échoué"
        loadingText="Recherche en cours…"
        found={(total) =>
          `${plural(total, 'agent trouvé', 'agents trouvés')}${
            total > PAGE_SIZE ? ` — page ${page} sur ${Math.ceil(total / PAGE_SIZE)}` : ''
          }.`
        }
        empty={s.any ? 'Aucun agent ne correspond à votre recherche.' : 'Aucun agent dans votre périmètre.'}
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
