// /facturation — « Facturation »: the ledger of billed cards per organisation, and its CSV export.
import { Download } from '@codegouvfr/react-dsfr/Download';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { api, withQuery } from '../../api.ts';
import { formatEuros, holderName } from '../../cardLabels.ts';
import { cardsApi } from '../../cardsApi.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
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
      <ProblemAlert error={ledger.error} title="Impossible d’afficher la facturation" />
      <div role="status" className="fr-mb-2w">
        {ledger.loading ? (
          <p className="fr-mb-0">Chargement…</p>
        ) : ledger.data ? (
          <p className="fr-mb-0">
            {items.length === 0
              ? 'Aucune carte facturée pour cette sélection.'
              : `${plural(ledger.data.total, 'carte facturée', 'cartes facturées')}, total ${formatEuros(total)} € HT${
                  ledger.data.total > items.length
                    ? ` (les ${items.length} plus récentes ci-dessous ; le relevé CSV les contient toutes)`
                    : ''
                }.`}
          </p>
        ) : null}
      </div>
      {items.length > 0 && (
        <DataTable
          caption="Relevé des cartes facturées"
          headers={['Date', 'Organisation', 'Demande', 'Porteur', 'Libellé', 'Montant (€ HT)']}
          rowKeys={items.map((e) => e.id)}
          rows={items.map((e) => [
            formatDateTime(e.createdAt),
            e.organizationName ?? '—',
            <Link href={`/demandes/${encodeURIComponent(e.requestId)}`} className="ca-code">
              {e.requestNumber ?? 'Demande'}
            </Link>,
            holderName(e),
            e.label,
            formatEuros(e.amountCents),
          ])}
        />
      )}
    </>
  );
}
