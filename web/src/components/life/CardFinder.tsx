// Search of a card by holder's name or card number (« Critère de recherche »), optionally in one
// state, with one action per line given by the page.
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { useState, type FormEvent, type ReactNode } from 'react';
import { CARD_STATE_LABELS, holderName } from '../../cardLabels.ts';
import { cardsApi, type Card } from '../../cardsApi.ts';
import { plural } from '../../format.ts';
import { useAsync } from '../../hooks.ts';
import { DataTable } from '../DataTable.tsx';
import { ProblemAlert } from '../ProblemAlert.tsx';
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
  const items = results.data?.items ?? [];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setQ(text.trim());
    results.reload();
  };
  return (
    <>
      <form role="search" aria-label={`Rechercher : ${props.caption}`} onSubmit={submit} className="fr-mb-3w">
        <div className="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom">
          <div className="fr-col-12 fr-col-md-8">
            <Input
              label="Critère de recherche"
              hintText="Nom du porteur, identifiant ou numéro de la carte"
              nativeInputProps={{ type: 'search', value: text, onChange: (e) => setText(e.target.value) }}
            />
          </div>
          <div className="fr-col-12 fr-col-md-4">
            <Button type="submit" iconId="fr-icon-search-line" className="fr-mb-3v">
              Rechercher
            </Button>
          </div>
        </div>
      </form>
      <ProblemAlert error={results.error} title="Impossible d’afficher les cartes" />
      <div role="status" className="fr-mb-2w">
        {results.loading ? (
          <p className="fr-mb-0">Chargement…</p>
        ) : results.data ? (
          <p className="fr-mb-0">
            {items.length === 0
              ? q
                ? 'Aucune carte ne correspond à votre recherche.'
                : props.empty
              : `${plural(items.length, 'carte', 'cartes')}.`}
          </p>
        ) : null}
      </div>
      {items.length > 0 && (
        <DataTable
          caption={props.caption}
          hideCaption
          multiline
          headers={['Numéro de carte', 'Porteur', 'Organisation', 'Modèle', 'État', 'Action']}
          rowKeys={items.map((c) => c.id)}
          rows={items.map((c) => [
            <span className="ca-code">{c.serial}</span>,
            holderName(c),
            c.organizationName,
            c.modelLabel,
            <StateBadge state={c.state} labels={CARD_STATE_LABELS} />,
            props.action(c),
          ])}
        />
      )}
    </>
  );
}
