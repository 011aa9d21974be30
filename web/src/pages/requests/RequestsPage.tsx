// /demandes — « Suivi des demandes »: card requests with filters on state and name (in the URL).
import {
  BILLING_LABELS,
  formatEuros,
  holderName,
  REQUEST_KIND_LABELS,
  REQUEST_STATE_LABELS,
} from '../../cardLabels.ts';
import { cardsApi } from '../../cardsApi.ts';
import { StateBadge } from '../../components/cards/StateBadge.tsx';
import { SearchForm, SearchResults, useUrlCriteria } from '../../components/SearchList.tsx';
import { formatDateTime, label } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { Link } from '../../router.tsx';

const PAGE_SIZE = 50;

export function RequestsPage() {
  const headingRef = usePageTitle('Suivi des demandes');
  const s = useUrlCriteria('/demandes', { q: 'q', state: 'etat' });
  const { q, state } = s.criteria;
  const page = s.page;
  const results = useAsync(() => cardsApi.requests({ q, state, page, pageSize: PAGE_SIZE }), [q, state, page]);

  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Suivi des demandes
      </h1>
      <SearchForm
        label="Rechercher des demandes"
        search={s}
        buttonCol="fr-col-lg-3"
        fields={[
          {
            key: 'q',
            col: 'fr-col-lg-5',
            label: 'Nom du porteur',
            hint: 'Nom, prénoms, identifiant ou numéro de demande',
          },
          { key: 'state', col: 'fr-col-lg-4', label: 'État', options: REQUEST_STATE_LABELS, any: 'Tous les états' },
        ]}
      />

      <SearchResults
        results={results}
        texts={{
          error: 'Impossible d’afficher les demandes',
          noun: ['demande', 'demandes'],
          empty: s.any
            ? 'Aucune demande ne correspond à votre recherche.'
            : 'Aucune demande de carte dans votre périmètre. Une demande se crée depuis la fiche de l’agent (« Commander une carte »).',
        }}
        table={{
          caption: 'Demandes de carte',
          hideCaption: true,
          headers: ['Numéro', 'Porteur', 'Modèle', 'Type', 'État', 'Facturation', 'Lot', 'Créée le'],
        }}
        rowKey={(r) => r.id}
        row={(r) => [
          <Link href={`/demandes/${encodeURIComponent(r.id)}`} className="ca-code">
            {r.number}
          </Link>,
          holderName(r),
          r.model.label,
          label(REQUEST_KIND_LABELS, r.kind),
          <StateBadge state={r.state} labels={REQUEST_STATE_LABELS} />,
          r.billing === 'billed'
            ? `${label(BILLING_LABELS, r.billing)} (${formatEuros(r.priceCents)} € HT)`
            : label(BILLING_LABELS, r.billing),
          r.batch ? <Link href={`/lots/${encodeURIComponent(r.batch.id)}`}>{r.batch.number}</Link> : '—',
          formatDateTime(r.createdAt),
        ]}
        paging={{ page, pageSize: PAGE_SIZE }}
      />
    </>
  );
}
