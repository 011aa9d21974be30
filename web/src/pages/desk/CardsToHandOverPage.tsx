// /supports/a-remettre — « Supports à remettre » (seed 001): search by name or card number,
// receive shipped cards, re-send the activation code by post or email; « Remettre » opens the
// face-to-face hand-over of a received card (pages/life/HandoverPage.tsx).
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { useState } from 'react';
import { CARD_STATE_LABELS, holderName, LETTER_STATE_LABELS } from '../../cardLabels.ts';

const SIGN_PURPOSE = 'saisissez votre code PIN de signature.';
import { cardsApi, receiveCardAction, resendCodeAction, type Card } from '../../cardsApi.ts';
import { isCancelled } from '../../components/cards/CardAgentProvider.tsx';
import { useActionSigner } from '../../components/cards/useActionSigner.ts';
import { StateBadge } from '../../components/cards/StateBadge.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { SearchForm, SearchResults, useUrlCriteria } from '../../components/SearchList.tsx';
import { label } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { can } from '../../permissions.ts';
import { Link } from '../../router.tsx';
import { useRequiredSession } from '../../session.tsx';

const HANDOVER_LATER = 'La remise en main propre se fait une fois la carte réceptionnée.';

export function CardsToHandOverPage() {
  const headingRef = usePageTitle('Supports à remettre');
  const session = useRequiredSession();
  const s = useUrlCriteria('/supports/a-remettre', { q: 'q' });
  const { q } = s.criteria;
  const results = useAsync(() => cardsApi.cardsToHandOver({ q }), [q]);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const operate = can(session, 'card.operate');
  const signAction = useActionSigner();

  const act = async (c: Card, fn: () => Promise<unknown>, done: string) => {
    setBusy(c.id);
    setError(null);
    setNotice(null);
    try {
      await fn();
      setNotice(done);
      results.reload();
    } catch (err) {
      if (!isCancelled(err)) setError(err);
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Supports à remettre
      </h1>
      <SearchForm
        label="Rechercher un support à remettre"
        search={s}
        fields={[
          {
            key: 'q',
            col: 'fr-col-md-8',
            label: 'Critère de recherche',
            hint: 'Nom du porteur ou numéro de la carte à remettre',
          },
        ]}
      />
      <div role="status">{notice && <Alert severity="success" small description={notice} className="fr-mb-3w" />}</div>
      <ProblemAlert error={error} title="L’action n’a pas abouti" />
      <SearchResults
        results={results}
        texts={{
          error: 'Impossible d’afficher les supports à remettre',
          noun: ['support à remettre', 'supports à remettre'],
          empty: q
            ? 'Aucun support à remettre ne correspond à votre recherche.'
            : 'Aucun support à remettre : les cartes expédiées par le fabricant apparaîtront ici.',
        }}
        table={{
          caption: 'Supports à remettre',
          hideCaption: true,
          multiline: true,
          headers: ['Numéro de carte', 'Nom', 'Prénom', 'Organisation', 'État', 'Code d’activation', 'Actions'],
        }}
        rowKey={(c) => c.id}
        row={(c) => {
          const name = holderName(c);
          const canResend = operate && (c.state === 'shipped' || c.state === 'received');
          return [
            <Link
              href={`/supports/${encodeURIComponent(c.id)}`}
              className="ca-code"
              title={`Détail de la carte de ${name}`}
            >
              {c.serial}
            </Link>,
            c.holder.lastName,
            c.holder.firstNames,
            c.organizationName,
            <StateBadge state={c.state} labels={CARD_STATE_LABELS} />,
            c.letterState ? (c.letterStateLabel ?? label(LETTER_STATE_LABELS, c.letterState)) : '—',
            <ul className="fr-btns-group fr-btns-group--sm fr-btns-group--icon-left">
              {operate && c.state === 'shipped' && (
                <li>
                  <Button
                    size="small"
                    iconId="fr-icon-inbox-line"
                    disabled={busy === c.id}
                    nativeButtonProps={{ 'aria-label': `Réceptionner la carte ${c.serial} de ${name}` }}
                    onClick={() =>
                      void act(
                        c,
                        async () =>
                          cardsApi.receiveCard(
                            c.id,
                            await signAction(
                              receiveCardAction(c),
                              `Réception de la carte n° ${c.serial} : ${SIGN_PURPOSE}`,
                            ),
                          ),
                        `La carte ${c.serial} de ${name} est réceptionnée : invitez le porteur à venir la retirer sous 48 heures.`,
                      )
                    }
                  >
                    Réceptionner
                  </Button>
                </li>
              )}
              <li>
                {operate && c.state === 'received' ? (
                  <Link
                    className="fr-btn fr-btn--sm fr-btn--secondary fr-icon-user-line fr-btn--icon-left"
                    href={`/supports/a-remettre/${encodeURIComponent(c.id)}`}
                    aria-label={`Remettre la carte ${c.serial} à ${name}`}
                  >
                    Remettre
                  </Link>
                ) : (
                  <Button size="small" priority="secondary" iconId="fr-icon-user-line" disabled title={HANDOVER_LATER}>
                    Remettre
                  </Button>
                )}
              </li>
              {canResend && (
                <>
                  <li>
                    <Button
                      size="small"
                      priority="tertiary"
                      iconId="fr-icon-mail-line"
                      disabled={busy === c.id}
                      title="Renvoi du code d’activation par courrier"
                      nativeButtonProps={{ 'aria-label': `Renvoyer le code par courrier à ${name}` }}
                      onClick={() =>
                        void act(
                          c,
                          async () =>
                            cardsApi.resendCode(
                              c.id,
                              'post',
                              await signAction(
                                resendCodeAction(c, 'post'),
                                `Renvoi par courrier du code d’activation de ${name} : ${SIGN_PURPOSE}`,
                              ),
                            ),
                          `Le code d’activation de ${name} sera renvoyé par courrier.`,
                        )
                      }
                    >
                      Renvoyer le code par courrier
                    </Button>
                  </li>
                  {c.holder.email && (
                    <li>
                      <Button
                        size="small"
                        priority="tertiary"
                        iconId="fr-icon-send-plane-line"
                        disabled={busy === c.id}
                        title="Renvoi du code d’activation par messagerie"
                        nativeButtonProps={{ 'aria-label': `Renvoyer le code par messagerie à ${name}` }}
                        onClick={() =>
                          void act(
                            c,
                            async () =>
                              cardsApi.resendCode(
                                c.id,
                                'email',
                                await signAction(
                                  resendCodeAction(c, 'email'),
                                  `Renvoi par messagerie du code d’activation de ${name} : ${SIGN_PURPOSE}`,
                                ),
                              ),
                            `Le code d’activation de ${name} sera renvoyé par messagerie à ${c.holder.email}.`,
                          )
                        }
                      >
                        Renvoyer le code par messagerie
                      </Button>
                    </li>
                  )}
                </>
              )}
            </ul>,
          ];
        }}
      />
    </>
  );
}
