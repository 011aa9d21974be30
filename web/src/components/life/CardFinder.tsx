// Search of a card by holder's name or card number (« Critère de recherche »), optionally in one
// state, with one action per line given by the page.
import { useState, type ReactNode } from 'react';
import { CARD_STATE_LABELS, holderName } from '../../cardLabels.ts';
import { cardsApi, type Card } from '../../cardsApi.ts';
import { plural } from '../../format.ts';
import { useAsync } from '../../hooks.ts';
import { SearchForm, SearchInput, SearchResults } from '../SearchList.tsx';
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
  const [text, setText] = useState('');
  const [q, setQ] = useState('');
  const state = props.state ?? (q ? undefined : props.defaultState);
  const results = useAsync(() => cardsApi.cards({ q, state, pageSize: 50 }), [q, state]);
  return (
    <>
      <SearchForm
        label={`Rechercher : ${props.caption}`}
        onSubmit={(e) => {
          e.preventDefault();
          setQ(text.trim());
          results.reload();
        }}
        className="fr-mb-3w"
      >
        <SearchInput
          col="fr-col-md-8"
          label="Critère de recherche"
          hint="Nom du porteur, identifiant ou numéro de la carte"
          value={text}
          onChange={setText}
        />
      </SearchForm>
      <SearchResults
        results={results}
        errorTitle="Impossible d’afficher les cartes"
        found={(total) => `${plural(total, 'carte', 'cartes')}.`}
        empty={q ? 'Aucune carte ne correspond à votre recherche.' : props.empty}
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
