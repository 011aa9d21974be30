// /facturation — « Facturation »: the ledger of billed cards per organisation, and its CSV export.
import { Download } from '@codegouvfr/react-dsfr/Download';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { api, withQuery } from '../../api.ts';
import { formatEuros, holderName } from '../../cardLabels.ts';
import { cardsApi } from '../../cardsApi.ts';
import { SearchResults } from '../../components/SearchList.tsx';
import { formatDateTime, plural } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { Link, navigate, useSearchParams } from '../../router.tsx';

export function BillingPage() {
  const headingRef = usePageTitle('Facturation');
  const organizationId = useSearchParams().get('organisation') ?? '';
  const orgs = useAsync(() => api.organizations(), []);
  const ledger = useAsync(() => cardsApi.billing({ organizationId, pageSize: 200 }), [organizationId]);
  const items = ledger.data?.items ?? [];
  const total = ledger.data?.totalCents ?? items.reduce((n, e) => n + e.amountCents, 0);
  const sortedOrgs = [...(orgs.data?.items ?? [])].sort((a, b) => a.name.localeCompare(b.name, 'fr'));

  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Facturation
      </h1>
      <p>
        Une carte par agent et par période de 6 ans dans l’organisation est gratuite ; au-delà, et pour un remplacement
        après perte, vol, casse ou oubli du code PIN, chaque carte est facturée 30 € HT.
      </p>
      <div className="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom fr-mb-2w">
        <div className="fr-col-12 fr-col-md-6">
          <Select
            label="Organisation"
            nativeSelectProps={{
              value: organizationId,
              onChange: (e) => navigate(withQuery('/facturation', { organisation: e.target.value }), { replace: true }),
            }}
          >
            <option value="">Toutes les organisations de votre périmètre</option>
            {sortedOrgs.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </Select>
        </div>
        <div className="fr-col-12 fr-col-md-6">
          <Download
            label="Télécharger le relevé (CSV)"
            details="CSV, séparateur point-virgule"
            linkProps={{
              href: cardsApi.billingCsvUrl({ organizationId: organizationId || undefined }),
              download: true,
            }}
          />
        </div>
      </div>
      <SearchResults
        results={ledger}
        texts={{
          error: 'Impossible d’afficher la facturation',
          found: (shown) =>
            `${plural(ledger.data?.total ?? shown, 'carte facturée', 'cartes facturées')}, total ${formatEuros(total)} € HT${
              (ledger.data?.total ?? shown) > shown
                ? ` (les ${shown} plus récentes ci-dessous ; le relevé CSV les contient toutes)`
                : ''
            }.`,
          empty: 'Aucune carte facturée pour cette sélection.',
        }}
        table={{
          caption: 'Relevé des cartes facturées',
          headers: ['Date', 'Organisation', 'Demande', 'Porteur', 'Libellé', 'Montant (€ HT)'],
        }}
        rowKey={(e) => e.id}
        row={(e) => [
          formatDateTime(e.createdAt),
          e.organizationName ?? '—',
          <Link href={`/demandes/${encodeURIComponent(e.requestId)}`} className="ca-code">
            {e.requestNumber ?? 'Demande'}
          </Link>,
          holderName(e),
          e.label,
          formatEuros(e.amountCents),
        ]}
      />
    </>
  );
}
