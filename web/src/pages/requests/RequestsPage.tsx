// /demandes — « Suivi des demandes »: card requests with filters on state and name (in the URL).
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useEffect, useState, type FormEvent } from 'react';
import { withQuery } from '../../api.ts';
import {
  BILLING_LABELS,
  formatEuros,
  holderName,
  REQUEST_KIND_LABELS,
  REQUEST_STATE_LABELS,
} from '../../cardLabels.ts';
import { cardsApi } from '../../cardsApi.ts';
import { StateBadge } from '../../components/cards/StateBadge.tsx';
import { DataTable } from '../../components/DataTable.tsx';
import { hrefWith, Pager } from '../../components/Pager.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { formatDateTime, label, plural } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { Link, navigate, useSearchParams } from '../../router.tsx';

const PAGE_SIZE = 50;

export function RequestsPage() {
  const headingRef = usePageTitle('Suivi des demandes');
  const sp = useSearchParams();
  const q = sp.get('q') ?? '';
  const state = sp.get('etat') ?? '';
  const page = Math.max(1, Number(sp.get('page')) || 1);
  const [form, setForm] = useState({ q, state });
  useEffect(() => setForm({ q, state }), [q, state]);
  const results = useAsync(() => cardsApi.requests({ q, state, page, pageSize: PAGE_SIZE }), [q, state, page]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(withQuery('/demandes', { q: form.q.trim(), etat: form.state }));
  };
  const data = results.data;
  const total = data ? (data.total ?? data.items.length) : 0;
  const criteria = q || state;

  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Suivi des demandes
      </h1>
      <form role="search" aria-label="Rechercher des demandes" onSubmit={submit} className="fr-mb-4w">
        <div className="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom">
          <div className="fr-col-12 fr-col-lg-5">
            <Input
              label="Nom du porteur"
              hintText="Nom, prénoms, identifiant ou numéro de demande"
              nativeInputProps={{
                type: 'search',
                name: 'q',
                value: form.q,
                onChange: (e) => setForm({ ...form, q: e.target.value }),
              }}
            />
          </div>
          <div className="fr-col-12 fr-col-lg-4">
            <Select
              label="État"
              nativeSelectProps={{
                name: 'etat',
                value: form.state,
                onChange: (e) => setForm({ ...form, state: e.target.value }),
              }}
            >
              <option value="">Tous les états</option>
              {Object.entries(REQUEST_STATE_LABELS).map(([code, text]) => (
                <option key={code} value={code}>
                  {text}
                </option>
              ))}
            </Select>
          </div>
          <div className="fr-col-12 fr-col-lg-3">
            <Button type="submit" iconId="fr-icon-search-line" className="fr-mb-3v">
              Rechercher
            </Button>
          </div>
        </div>
      </form>

      <ProblemAlert error={results.error} title="Impossible d’afficher les demandes" />
      <div role="status" className="fr-mb-2w">
        {results.loading ? (
          <p className="fr-mb-0">Chargement…</p>
        ) : data ? (
          <p className="fr-mb-0">
            {total === 0
              ? criteria
                ? 'Aucune demande ne correspond à votre recherche.'
                : 'Aucune demande de carte dans votre périmètre. Une demande se crée depuis la fiche de l’agent (« Commander une carte »).'
              : `${data.totalExact === false ? 'plus de ' : ''}${plural(total, 'demande', 'demandes')}.`}
          </p>
        ) : null}
      </div>
      {data && data.items.length > 0 && (
        <DataTable
          caption="Demandes de carte"
          hideCaption
          headers={['Numéro', 'Porteur', 'Modèle', 'Type', 'État', 'Facturation', 'Lot', 'Créée le']}
          rowKeys={data.items.map((r) => r.id)}
          rows={data.items.map((r) => [
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
          ])}
          footer={
            <Pager
              total={total}
              exact={data.totalExact}
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
