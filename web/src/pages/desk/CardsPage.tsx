// /supports — « Liste des supports personnalisables », /supports/:id — one card, and
// /porteurs — « Suivi des porteurs » (the holders of cards, with their latest card).
import { Breadcrumb } from '@codegouvfr/react-dsfr/Breadcrumb';
import { CARD_STATE_LABELS, holderName, LETTER_STATE_LABELS } from '../../cardLabels.ts';
import { cardsApi } from '../../cardsApi.ts';
import { StateBadge } from '../../components/cards/StateBadge.tsx';
import { DataTable } from '../../components/DataTable.tsx';
import { DescriptionList } from '../../components/DescriptionList.tsx';
import { Loading } from '../../components/Loading.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { SearchForm, SearchResults, useUrlCriteria } from '../../components/SearchList.tsx';
import { formatDate, formatDateTime, label, OUTCOME_LABELS } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { Link } from '../../router.tsx';

const PAGE_SIZE = 50;

export function CardsPage() {
  const headingRef = usePageTitle('Liste des supports personnalisables');
  const s = useUrlCriteria('/supports', { q: 'q', state: 'etat' });
  const { q, state } = s.criteria;
  const page = s.page;
  const results = useAsync(() => cardsApi.cards({ q, state, page, pageSize: PAGE_SIZE }), [q, state, page]);
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Liste des supports personnalisables
      </h1>
      <SearchForm
        label="Rechercher des cartes"
        search={s}
        buttonCol="fr-col-lg-3"
        fields={[
          { key: 'q', col: 'fr-col-lg-5', label: 'Rechercher', hint: 'Nom du porteur ou numéro de carte' },
          {
            key: 'state',
            col: 'fr-col-lg-4',
            label: 'État de la carte',
            options: CARD_STATE_LABELS,
            any: 'Tous les états',
          },
        ]}
      />
      <SearchResults
        results={results}
        texts={{
          error: 'Impossible d’afficher les cartes',
          noun: ['carte', 'cartes'],
          empty: s.any ? 'Aucune carte ne correspond à votre recherche.' : 'Aucune carte dans votre périmètre.',
        }}
        table={{
          caption: 'Cartes',
          hideCaption: true,
          headers: ['Numéro de carte', 'Porteur', 'Organisation', 'Modèle', 'État', 'Expire le'],
        }}
        rowKey={(c) => c.id}
        row={(c) => [
          <Link href={`/supports/${encodeURIComponent(c.id)}`} className="ca-code">
            {c.serial}
          </Link>,
          holderName(c),
          c.organizationName,
          c.modelLabel,
          <StateBadge state={c.state} labels={CARD_STATE_LABELS} />,
          formatDate(c.expiresAt),
        ]}
        paging={{ page, pageSize: PAGE_SIZE }}
      />
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
  const s = useUrlCriteria('/porteurs', { q: 'q' });
  const { q } = s.criteria;
  const page = s.page;
  const results = useAsync(() => cardsApi.holders({ q, page, pageSize: PAGE_SIZE }), [q, page]);
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Suivi des porteurs
      </h1>
      <SearchForm
        label="Rechercher des porteurs"
        search={s}
        fields={[
          {
            key: 'q',
            col: 'fr-col-md-8',
            label: 'Rechercher',
            hint: 'Nom, prénoms ou identifiant du porteur, ou numéro de carte',
          },
        ]}
      />
      <SearchResults
        results={results}
        texts={{
          error: 'Impossible d’afficher les porteurs',
          noun: ['porteur', 'porteurs'],
          empty: q ? 'Aucun porteur de carte ne correspond.' : 'Aucun porteur de carte dans votre périmètre.',
        }}
        table={{
          caption: 'Porteurs et leur dernière carte',
          hideCaption: true,
          headers: ['Nom', 'Prénoms', 'Identifiant', 'Organisation', 'Cartes', 'Dernière carte'],
        }}
        rowKey={(h) => h.agentId}
        row={(h) => [
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
        ]}
        paging={{ page, pageSize: PAGE_SIZE }}
      />
    </>
  );
}
