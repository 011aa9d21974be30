// /agents — directory search. The criteria live in the URL (?q=&organisation=&statut=&page=),
// so results can be bookmarked and the back button works.
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useEffect, useState, type FormEvent } from 'react';
import { api, withQuery } from '../../api.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { hrefWith, Pager } from '../../components/Pager.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { AGENT_STATUS_LABELS, formatDate, label, plural } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { Link, navigate, useSearchParams } from '../../router.tsx';

const PAGE_SIZE = 20;

export function AgentsPage() {
  const headingRef = usePageTitle('Agents');
  const sp = useSearchParams();
  const q = sp.get('q') ?? '';
  const organizationId = sp.get('organisation') ?? '';
  const status = sp.get('statut') ?? '';
  const page = Math.max(1, Number(sp.get('page')) || 1);

  const [form, setForm] = useState({ q, organizationId, status });
  // Back/forward buttons change the URL: the form follows.
  useEffect(() => setForm({ q, organizationId, status }), [q, organizationId, status]);
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

  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(withQuery('/agents', { q: form.q.trim(), organisation: form.organizationId, statut: form.status }));
  };

  const sortedOrgs = [...(orgs.data?.items ?? [])].sort((a, b) => a.name.localeCompare(b.name, 'fr'));
  const data = results.data;
  const criteria = q || organizationId || status;

  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Agents
      </h1>
      <form role="search" aria-label="Rechercher des agents" onSubmit={submit} className="fr-mb-4w">
        <div className="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom">
          <div className="fr-col-12 fr-col-md-5">
            <Input
              label="Rechercher"
              hintText="Nom, prénoms, identifiant ou courriel (sans tenir compte des accents)"
              nativeInputProps={{
                type: 'search',
                name: 'q',
                value: form.q,
                onChange: (e) => setForm({ ...form, q: e.target.value }),
              }}
            />
          </div>
          <div className="fr-col-12 fr-col-md-3">
            <Select
              label="Organisation"
              nativeSelectProps={{
                name: 'organisation',
                value: form.organizationId,
                onChange: (e) => setForm({ ...form, organizationId: e.target.value }),
              }}
            >
              <option value="">Toutes les organisations</option>
              {sortedOrgs.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </Select>
          </div>
          <div className="fr-col-12 fr-col-md-2">
            <Select
              label="Statut"
              nativeSelectProps={{
                name: 'statut',
                value: form.status,
                onChange: (e) => setForm({ ...form, status: e.target.value }),
              }}
            >
              <option value="">Tous</option>
              <option value="active">Actifs</option>
              <option value="inactive">Inactifs</option>
            </Select>
          </div>
          <div className="fr-col-12 fr-col-md-2">
            <Button type="submit" iconId="fr-icon-search-line" className="fr-mb-3v">
              Rechercher
            </Button>
          </div>
        </div>
      </form>

      <ProblemAlert error={results.error} title="La recherche a échoué" />
      <div role="status" className="fr-mb-2w">
        {results.loading ? (
          <p className="fr-mb-0">Recherche en cours…</p>
        ) : data ? (
          <p className="fr-mb-0">
            {data.total === 0
              ? criteria
                ? 'Aucun agent ne correspond à votre recherche.'
                : 'Aucun agent dans votre périmètre.'
              : `${plural(data.total, 'agent trouvé', 'agents trouvés')}${
                  data.total > PAGE_SIZE ? ` — page ${page} sur ${Math.ceil(data.total / PAGE_SIZE)}` : ''
                }.`}
          </p>
        ) : null}
      </div>

      {data && data.items.length > 0 && (
        <DataTable
          caption={criteria ? 'Résultats de la recherche d’agents' : 'Agents de votre périmètre'}
          headers={['Nom', 'Prénoms', 'Identifiant', 'Date de naissance', 'Organisation', 'Statut', 'Photo']}
          rowKeys={data.items.map((a) => a.id)}
          rows={data.items.map((a) => [
            <Link href={`/agents/${encodeURIComponent(a.id)}`}>{a.lastName}</Link>,
            a.firstNames,
            <span className="ca-code">{a.identifier}</span>,
            <span className="ca-nowrap">{formatDate(a.birthDate)}</span>,
            a.organizationName,
            <Badge small severity={a.status === 'active' ? 'success' : 'info'} noIcon>
              {label(AGENT_STATUS_LABELS, a.status)}
            </Badge>,
            a.hasPhoto ? 'Oui' : 'Non',
          ])}
          footer={
            <Pager
              total={data.total}
              page={page}
              pageSize={PAGE_SIZE}
              href={(p) => hrefWith({ page: p === 1 ? null : p })}
            />
          }
        />
      )}
    </>
  );
}
