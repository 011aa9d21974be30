// /lots — « Suivi des lots de demandes » and /lots/validation — « Validation des lots de demandes »
// (the registration authority's list of batches waiting for validation).
import { BATCH_STATE_LABELS, MESSAGE_KIND_LABELS } from '../../cardLabels.ts';
import { cardsApi } from '../../cardsApi.ts';
import { StateBadge } from '../../components/cards/StateBadge.tsx';
import { SearchForm, SearchResults, useUrlCriteria } from '../../components/SearchList.tsx';
import { formatDateTime, label } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { Link } from '../../router.tsx';

function BatchList(props: { state: string; emptyText: string; caption: string }) {
  const batches = useAsync(() => cardsApi.batches({ state: props.state, pageSize: 100 }), [props.state]);
  const production = useAsync(
    () => (props.state === 'open' ? Promise.resolve({ items: [] }) : cardsApi.production({ limit: 100 })),
    [props.state],
  );
  // Last message exchanged with the manufacturer, per batch.
  const lastMessage = new Map((production.data?.items ?? []).map((p) => [p.id, p.messages[p.messages.length - 1]]));
  return (
    <>
      <SearchResults
        results={batches}
        texts={{ error: 'Impossible d’afficher les lots', noun: ['lot', 'lots'], empty: props.emptyText }}
        table={{
          caption: props.caption,
          hideCaption: true,
          headers: [
            'Numéro',
            'Organisation',
            'Demandes',
            'État',
            'Créé le',
            'Validé le',
            'Dernier message du fabricant',
          ],
        }}
        rowKey={(b) => b.id}
        row={(b) => [
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
        ]}
      />
    </>
  );
}

export function BatchesPage() {
  const headingRef = usePageTitle('Suivi des lots de demandes');
  const s = useUrlCriteria('/lots', { state: 'etat' });
  const { state } = s.criteria;
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Suivi des lots de demandes
      </h1>
      <SearchForm
        label="Filtrer les lots"
        search={s}
        buttonCol="fr-col-md-6"
        filter
        fields={[
          {
            key: 'state',
            col: 'fr-col-md-6',
            label: 'État du lot',
            options: BATCH_STATE_LABELS,
            any: 'Tous les états',
          },
        ]}
      />
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
