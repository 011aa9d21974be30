// Search of a card by holder's name or card number (« Critère de recherche »), optionally in one
// state, with one action per line given by the page.
import { useState, type ReactNode } from 'react';
import { CARD_STATE_LABELS, holderName } from '../../cardLabels.ts';
import { cardsApi, type Card } from '../../cardsApi.ts';
import { useAsync } from '../../hooks.ts';
import { SearchForm, SearchResults, useLocalCriteria } from '../SearchList.tsx';
import { StateBadge } from '../cards/StateBadge.tsx';

export function CardFinder(props: {
  /** Only cards in this state (GET /api/cards?state=). */
  state?: string;
  /** Only cards in this state while no search criterion is given (a search looks at every state). */
  defaultState?: string;
  caption: string;
  /** Said when nothing is found without a search criterion. */
  empty: string;
  action: (card: Card) => ReactNode;
}) {
  // A new search reloads even with the same text (the cards may have changed meanwhile).
  const [searches, setSearches] = useState(0);
  const s = useLocalCriteria(['q'], () => setSearches((n) => n + 1));
  const { q } = s.criteria;
  const state = props.state ?? (q ? undefined : props.defaultState);
  const results = useAsync(() => cardsApi.cards({ q, state, pageSize: 50 }), [q, state, searches]);
  return (
    <>
      <SearchForm
        label={`Rechercher : ${props.caption}`}
        search={s}
        className="fr-mb-3w"
        fields={[
          {
            key: 'q',
            col: 'fr-col-md-8',
            label: 'Critère de recherche',
            hint: 'Nom du porteur, identifiant ou numéro de la carte',
          },
        ]}
      />
      <SearchResults
        results={results}
        texts={{
          error: 'Impossible d’afficher les cartes',
          noun: ['carte', 'cartes'],
          empty: q ? 'Aucune carte ne correspond à votre recherche.' : props.empty,
        }}
        table={{
          caption: props.caption,
          hideCaption: true,
          multiline: true,
          headers: ['Numéro de carte', 'Porteur', 'Organisation', 'Modèle', 'État', 'Action'],
        }}
        rowKey={(c) => c.id}
        row={(c) => [
          <span className="ca-code">{c.serial}</span>,
          holderName(c),
          c.organizationName,
          c.modelLabel,
          <StateBadge state={c.state} labels={CARD_STATE_LABELS} />,
          props.action(c),
        ]}
      />
    </>
  );
}
