// /supports — « Liste des supports personnalisables », /supports/:id — one card, and
// /porteurs — « Suivi des porteurs » (the holders of cards, with their latest card).
import { Breadcrumb } from '@codegouvfr/react-dsfr/Breadcrumb';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useEffect, useState, type FormEvent } from 'react';
import { withQuery } from '../../api.ts';
import { CARD_STATE_LABELS, holderName, LETTER_STATE_LABELS } from '../../cardLabels.ts';
import { cardsApi } from '../../cardsApi.ts';
import { StateBadge } from '../../components/cards/StateBadge.tsx';
import { DataTable } from '../../components/DataTable.tsx';
import { DescriptionList } from '../../components/DescriptionList.tsx';
import { Loading } from '../../components/Loading.tsx';
import { hrefWith, Pager } from '../../components/Pager.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { formatDate, formatDateTime, label, OUTCOME_LABELS, plural, pluralTotal } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { Link, navigate, useSearchParams } from '../../router.tsx';

const PAGE_SIZE = 50;

function useCardSearch(path: string) {
  const sp = useSearchParams();
  const q = sp.get('q') ?? '';
  const state = sp.get('etat') ?? '';
  const page = Math.max(1, Number(sp.get('page')) || 1);
  const [form, setForm] = useState({ q, state });
  useEffect(() => setForm({ q, state }), [q, state]);
  const results = useAsync(() => cardsApi.cards({ q, state, page, pageSize: PAGE_SIZE }), [q, state, page]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(withQuery(path, { q: form.q.trim(), etat: form.state }));
  };
  return { q, state, page, form, setForm, results, submit };
}

function SearchForm(props: {
  label: string;
  form: { q: string; state: string };
  setForm: (f: { q: string; state: string }) => void;
  submit: (e: FormEvent) => void;
}) {
  const { form, setForm } = props;
  return (
    <form role="search" aria-label={props.label} onSubmit={props.submit} className="fr-mb-4w">
      <div className="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom">
        <div className="fr-col-12 fr-col-lg-5">
          <Input
            label="Rechercher"
            hintText="Nom du porteur ou numéro de carte"
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
            label="État de la carte"
            nativeSelectProps={{
              name: 'etat',
              value: form.state,
              onChange: (e) => setForm({ ...form, state: e.target.value }),
            }}
          >
            <option value="">Tous les états</option>
            {Object.entries(CARD_STATE_LABELS).map(([code, text]) => (
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
  );
}

export function CardsPage() {
  const headingRef = usePageTitle('Liste des supports personnalisables');
  const s = useCardSearch('/supports');
  const data = s.results.data;
  const total = data ? (data.total ?? data.items.length) : 0;
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Liste des supports personnalisables
      </h1>
      <SearchForm label="Rechercher des cartes" form={s.form} setForm={s.setForm} submit={s.submit} />
      <ProblemAlert error={s.results.error} title="Impossible d’afficher les cartes" />
      <div role="status" className="fr-mb-2w">
        {s.results.loading ? (
          <p className="fr-mb-0">Chargement…</p>
        ) : data ? (
          <p className="fr-mb-0">
            {total === 0
              ? s.q || s.state
                ? 'Aucune carte ne correspond à votre recherche.'
                : 'Aucune carte dans votre périmètre.'
              : `${data.totalExact === false ? 'plus de ' : ''}${plural(total, 'carte', 'cartes')}.`}
          </p>
        ) : null}
      </div>
      {data && data.items.length > 0 && (
        <DataTable
          caption="Cartes"
          hideCaption
          headers={['Numéro de carte', 'Porteur', 'Organisation', 'Modèle', 'État', 'Expire le']}
          rowKeys={data.items.map((c) => c.id)}
          rows={data.items.map((c) => [
            <Link href={`/supports/${encodeURIComponent(c.id)}`} className="ca-code">
              {c.serial}
            </Link>,
            holderName(c),
            c.organizationName,
            c.modelLabel,
            <StateBadge state={c.state} labels={CARD_STATE_LABELS} />,
            formatDate(c.expiresAt),
          ])}
          footer={
            <Pager
              total={total}
              exact={data.totalExact}
              page={s.page}
              pageSize={PAGE_SIZE}
              href={(p) => hrefWith({ page: p === 1 ? null : p })}
            />
          }
        />
      )}
    </>
  );
}

export function CardPage({ params }: { params: Record<string, string> }) {
  const id = params.id ?? '';
  const card = useAsync(() => cardsApi.card(id), [id]);
  const c = card.data;
  const headingRef = usePageTitle(c ? `Carte n° ${c.serial}` : 'Carte');
  return (
    <>
      {c && (
        <Breadcrumb
          currentPageLabel={`Carte n° ${c.serial}`}
          homeLinkProps={{ href: '/' }}
          segments={[{ label: 'Liste des supports personnalisables', linkProps: { href: '/supports' } }]}
        />
      )}
      <h1 ref={headingRef} tabIndex={-1}>
        {c ? `Carte n° ${c.serial}` : 'Carte'}
      </h1>
      <ProblemAlert error={card.error} title="Impossible d’afficher la carte" />
      {card.loading && !c && <Loading />}
      {c && (
        <>
          <p>
            <StateBadge state={c.state} labels={CARD_STATE_LABELS} />
          </p>
          <section aria-labelledby="porteur" className="fr-mb-4w">
            <h2 id="porteur" className="fr-h4">
              Informations porteur
            </h2>
            <DescriptionList
              items={[
                ['Nom', <Link href={`/agents/${encodeURIComponent(c.holder.id)}`}>{c.holder.lastName}</Link>],
                ['Prénom', c.holder.firstNames],
                ['Identifiant', <span className="ca-code">{c.holder.identifier}</span>],
                ['E-mail', c.holder.email],
                ['Téléphone', c.holder.phone],
                ['DN', c.certificates[0]?.subjectDn ?? null],
                ['Organisation', c.organizationName],
                ['Responsable carte', c.operatorOrganizationName],
              ]}
            />
          </section>
          <section aria-labelledby="support" className="fr-mb-4w">
            <h2 id="support" className="fr-h4">
              Support
            </h2>
            <DescriptionList
              items={[
                ['Modèle', c.modelLabel],
                [
                  'Demande',
                  c.requestId ? (
                    <Link href={`/demandes/${encodeURIComponent(c.requestId)}`}>
                      {c.requestNumber ?? 'Voir la demande'}
                    </Link>
                  ) : null,
                ],
                [
                  'Lot',
                  c.batchId ? (
                    <Link href={`/lots/${encodeURIComponent(c.batchId)}`}>{c.batchNumber ?? 'Voir le lot'}</Link>
                  ) : null,
                ],
                ['Produite le', formatDateTime(c.producedAt)],
                ['Expédiée le', formatDateTime(c.shippedAt)],
                ['Réceptionnée le', formatDateTime(c.receivedAt)],
                [
                  'Courrier du code d’activation',
                  c.letter.state
                    ? `${c.letter.stateLabel ?? label(LETTER_STATE_LABELS, c.letter.state)}${c.letter.sentAt ? ` le ${formatDateTime(c.letter.sentAt)}` : ''}`
                    : null,
                ],
                [
                  'Code d’activation',
                  c.letter.codeUsedAt
                    ? `utilisé le ${formatDateTime(c.letter.codeUsedAt)}`
                    : c.letter.codeAvailable
                      ? 'en attente d’utilisation'
                      : 'aucun code valide',
                ],
                ['Fin de validité', formatDate(c.expiresAt)],
              ]}
            />
          </section>
          {c.certificates.length > 0 && (
            <DataTable
              caption="Certificats de la carte"
              multiline
              headers={['Usage', 'Numéro de série', 'État', 'Début de validité', 'Fin de validité', 'Autorité']}
              rowKeys={c.certificates.map((x) => x.serial)}
              rows={c.certificates.map((x) => [
                x.profileLabel,
                <span className="ca-code">{x.serial}</span>,
                x.statusLabel,
                formatDate(x.notBefore),
                formatDate(x.notAfter),
                x.caName,
              ])}
            />
          )}
          {c.history.length > 0 && (
            <DataTable
              caption="Historique de la carte"
              multiline
              headers={['Date', 'Action', 'Par', 'Résultat']}
              rowKeys={c.history.map((h) => String(h.seq))}
              rows={c.history.map((h) => [
                formatDateTime(h.at),
                label(CARD_ACTION_LABELS, h.action),
                h.actor ?? '—',
                label(OUTCOME_LABELS, h.outcome),
              ])}
            />
          )}
        </>
      )}
    </>
  );
}

const CARD_ACTION_LABELS: Record<string, string> = {
  'card.produce': 'Production',
  'card.ship': 'Expédition',
  'card.receive': 'Réception',
  'card.resend-code': 'Renvoi du code d’activation',
  'card.handover': 'Remise',
};

export function HoldersPage() {
  const headingRef = usePageTitle('Suivi des porteurs');
  const sp = useSearchParams();
  const q = sp.get('q') ?? '';
  const page = Math.max(1, Number(sp.get('page')) || 1);
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  const results = useAsync(() => cardsApi.holders({ q, page, pageSize: PAGE_SIZE }), [q, page]);
  const data = results.data;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(withQuery('/porteurs', { q: text.trim() }));
  };
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Suivi des porteurs
      </h1>
      <form role="search" aria-label="Rechercher des porteurs" onSubmit={submit} className="fr-mb-4w">
        <div className="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom">
          <div className="fr-col-12 fr-col-md-8">
            <Input
              label="Rechercher"
              hintText="Nom, prénoms ou identifiant du porteur, ou numéro de carte"
              nativeInputProps={{ type: 'search', name: 'q', value: text, onChange: (e) => setText(e.target.value) }}
            />
          </div>
          <div className="fr-col-12 fr-col-md-4">
            <Button type="submit" iconId="fr-icon-search-line" className="fr-mb-3v">
              Rechercher
            </Button>
          </div>
        </div>
      </form>
      <ProblemAlert error={results.error} title="Impossible d’afficher les porteurs" />
      <div role="status" className="fr-mb-2w">
        {results.loading ? (
          <p className="fr-mb-0">Chargement…</p>
        ) : data ? (
          <p className="fr-mb-0">
            {data.total === 0
              ? q
                ? 'Aucun porteur de carte ne correspond.'
                : 'Aucun porteur de carte dans votre périmètre.'
              : `${pluralTotal(data, 'porteur', 'porteurs')}.`}
          </p>
        ) : null}
      </div>
      {data && data.items.length > 0 && (
        <DataTable
          caption="Porteurs et leur dernière carte"
          hideCaption
          headers={['Nom', 'Prénoms', 'Identifiant', 'Organisation', 'Cartes', 'Dernière carte']}
          rowKeys={data.items.map((h) => h.agentId)}
          rows={data.items.map((h) => [
            <Link href={`/agents/${encodeURIComponent(h.agentId)}`}>{h.lastName}</Link>,
            h.firstNames,
            <span className="ca-code">{h.identifier}</span>,
            h.organizationName,
            h.cardCount,
            h.latestCard ? (
              <>
                <Link href={`/supports/${encodeURIComponent(h.latestCard.id)}`} className="ca-code">
                  {h.latestCard.serial}
                </Link>{' '}
                <StateBadge state={h.latestCard.state} labels={CARD_STATE_LABELS} />
              </>
            ) : (
              '—'
            ),
          ])}
          footer={
            <Pager
              total={data.total}
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
