// /lots — « Suivi des lots de demandes » and /lots/validation — « Validation des lots de demandes »
// (the registration authority's list of batches waiting for validation).
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useEffect, useState, type FormEvent } from 'react';
import { withQuery } from '../../api.ts';
import { BATCH_STATE_LABELS, MESSAGE_KIND_LABELS } from '../../cardLabels.ts';
import { cardsApi } from '../../cardsApi.ts';
import { StateBadge } from '../../components/cards/StateBadge.tsx';
import { DataTable } from '../../components/DataTable.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { formatDateTime, label, plural } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { Link, navigate, useSearchParams } from '../../router.tsx';

function BatchList(props: { state: string; emptyText: string; caption: string }) {
  const batches = useAsync(() => cardsApi.batches({ state: props.state, pageSize: 100 }), [props.state]);
  const production = useAsync(
    () => (props.state === 'open' ? Promise.resolve({ items: [] }) : cardsApi.production({ limit: 100 })),
    [props.state],
  );
  const items = batches.data?.items ?? [];
  // Last message exchanged with the manufacturer, per batch.
  const lastMessage = new Map((production.data?.items ?? []).map((p) => [p.id, p.messages[p.messages.length - 1]]));
  return (
    <>
      <ProblemAlert error={batches.error} title="Impossible d’afficher les lots" />
      <div role="status" className="fr-mb-2w">
        {batches.loading ? (
          <p className="fr-mb-0">Chargement…</p>
        ) : batches.data ? (
          <p className="fr-mb-0">{items.length === 0 ? props.emptyText : `${plural(items.length, 'lot', 'lots')}.`}</p>
        ) : null}
      </div>
      {items.length > 0 && (
        <DataTable
          caption={props.caption}
          hideCaption
          headers={[
            'Numéro',
            'Organisation',
            'Demandes',
            'État',
            'Créé le',
            'Validé le',
            'Dernier message du fabricant',
          ]}
          rowKeys={items.map((b) => b.id)}
          rows={items.map((b) => [
            <Link href={`/lots/${encodeURIComponent(b.id)}`} className="ca-code">
              {b.number}
            </Link>,
            b.organizationName ?? '—',
            b.requestCount ?? '—',
            <StateBadge state={b.state} labels={BATCH_STATE_LABELS} />,
            formatDateTime(b.createdAt),
            formatDateTime(b.validatedAt),
            (() => {
              const m = lastMessage.get(b.id);
              return m ? `${m.kindLabel ?? label(MESSAGE_KIND_LABELS, m.kind)} (${formatDateTime(m.createdAt)})` : '—';
            })(),
          ])}
        />
      )}
    </>
  );
}

export function BatchesPage() {
  const headingRef = usePageTitle('Suivi des lots de demandes');
  const state = useSearchParams().get('etat') ?? '';
  const [form, setForm] = useState(state);
  useEffect(() => setForm(state), [state]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(withQuery('/lots', { etat: form }));
  };
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Suivi des lots de demandes
      </h1>
      <form role="search" aria-label="Filtrer les lots" onSubmit={submit} className="fr-mb-4w">
        <div className="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom">
          <div className="fr-col-12 fr-col-md-6">
            <Select label="État du lot" nativeSelectProps={{ value: form, onChange: (e) => setForm(e.target.value) }}>
              <option value="">Tous les états</option>
              {Object.entries(BATCH_STATE_LABELS).map(([code, text]) => (
                <option key={code} value={code}>
                  {text}
                </option>
              ))}
            </Select>
          </div>
          <div className="fr-col-12 fr-col-md-6">
            <Button type="submit" iconId="fr-icon-filter-line" className="fr-mb-3v">
              Filtrer
            </Button>
          </div>
        </div>
      </form>
      <BatchList
        state={state}
        caption="Lots de demandes"
        emptyText={state ? 'Aucun lot dans cet état.' : 'Aucun lot de demandes dans votre périmètre.'}
      />
    </>
  );
}

export function BatchValidationPage() {
  const headingRef = usePageTitle('Validation des lots de demandes');
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Validation des lots de demandes
      </h1>
      <p>
        Ouvrez un lot pour contrôler ses demandes, puis validez-le avec votre carte (code PIN de signature) : il part
        alors chez le fabricant.
      </p>
      <BatchList state="open" caption="Lots à valider" emptyText="Aucun lot n’attend votre validation." />
    </>
  );
}
