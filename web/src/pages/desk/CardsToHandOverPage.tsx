// /supports/a-remettre — « Supports à remettre » (seed 001): search by name or card number,
// receive shipped cards, re-send the activation code by post or email; « Remettre » opens the
// face-to-face hand-over of a received card (pages/life/HandoverPage.tsx).
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { useEffect, useState, type FormEvent } from 'react';
import { withQuery } from '../../api.ts';
import { CARD_STATE_LABELS, holderName, LETTER_STATE_LABELS } from '../../cardLabels.ts';

const SIGN_PURPOSE = 'saisissez votre code PIN de signature.';
import { cardsApi, receiveCardAction, resendCodeAction, type Card } from '../../cardsApi.ts';
import { isCancelled } from '../../components/cards/CardAgentProvider.tsx';
import { useActionSigner } from '../../components/cards/useActionSigner.ts';
import { StateBadge } from '../../components/cards/StateBadge.tsx';
import { DataTable } from '../../components/DataTable.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { label, plural } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { can } from '../../permissions.ts';
import { Link, navigate, useSearchParams } from '../../router.tsx';
import { useRequiredSession } from '../../session.tsx';

const HANDOVER_LATER = 'La remise en main propre se fait une fois la carte réceptionnée.';

export function CardsToHandOverPage() {
  const headingRef = usePageTitle('Supports à remettre');
  const session = useRequiredSession();
  const q = useSearchParams().get('q') ?? '';
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  const results = useAsync(() => cardsApi.cardsToHandOver({ q }), [q]);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const operate = can(session, 'card.operate');
  const signAction = useActionSigner();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(withQuery('/supports/a-remettre', { q: text.trim() }));
  };

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

  const items = results.data?.items ?? [];

  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Supports à remettre
      </h1>
      <form role="search" aria-label="Rechercher un support à remettre" onSubmit={submit} className="fr-mb-4w">
        <div className="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom">
          <div className="fr-col-12 fr-col-md-8">
            <Input
              label="Critère de recherche"
              hintText="Nom du porteur ou numéro de la carte à remettre"
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
      <div role="status">{notice && <Alert severity="success" small description={notice} className="fr-mb-3w" />}</div>
      <ProblemAlert error={error} title="L’action n’a pas abouti" />
      <ProblemAlert error={results.error} title="Impossible d’afficher les supports à remettre" />
      <div role="status" className="fr-mb-2w">
        {results.loading ? (
          <p className="fr-mb-0">Chargement…</p>
        ) : results.data ? (
          <p className="fr-mb-0">
            {items.length === 0
              ? q
                ? 'Aucun support à remettre ne correspond à votre recherche.'
                : 'Aucun support à remettre : les cartes expédiées par le fabricant apparaîtront ici.'
              : `${plural(items.length, 'support à remettre', 'supports à remettre')}.`}
          </p>
        ) : null}
      </div>
      {items.length > 0 && (
        <DataTable
          caption="Supports à remettre"
          hideCaption
          multiline
          headers={['Numéro de carte', 'Nom', 'Prénom', 'Organisation', 'État', 'Code d’activation', 'Actions']}
          rowKeys={items.map((c) => c.id)}
          rows={items.map((c) => {
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
                    <Button
                      size="small"
                      priority="secondary"
                      iconId="fr-icon-user-line"
                      disabled
                      title={HANDOVER_LATER}
                    >
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
          })}
        />
      )}
    </>
  );
}
