// /renouvellement — « Renouvellement de certificat(s) »: which certificates of a card can be renewed
// and why not; the holder proves presence by signing the server's challenge with the card's AUTH
// key (PIN Global), which opens the renewal window. Generating the new key on the card needs a
// card-agent route that does not exist yet (see the notice on the page).
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { useState } from 'react';
import { holderName } from '../../cardLabels.ts';
import type { Card } from '../../cardsApi.ts';
import { isCancelled, useCardAgent } from '../../components/cards/CardAgentProvider.tsx';
import { ReaderPanel } from '../../components/cards/ReaderPanel.tsx';
import { CardFinder } from '../../components/life/CardFinder.tsx';
import { requireInsertedCard } from '../../components/life/cardCheck.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { formatDate, formatDateTime } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { lifeApi } from '../../lifeApi.ts';

const PROFILE_LABELS: Record<string, string> = { auth: 'Authentification', sign: 'Signature', enc: 'Chiffrement' };
const STATUS_LABELS: Record<string, string> = { issued: 'Émis', valid: 'Valide', suspended: 'Suspendu', expired: 'Expiré', revoked: 'Révoqué' };

export function RenewalPage() {
  const headingRef = usePageTitle('Renouvellement de certificat(s)');
  const [card, setCard] = useState<Card | null>(null);
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Renouvellement de certificat(s)
      </h1>
      {card ? (
        <Renewal card={card} onBack={() => setCard(null)} />
      ) : (
        <CardFinder
          state="active"
          caption="Cartes actives"
          empty="Aucune carte active dans votre périmètre."
          action={(c) => (
            <Button size="small" priority="secondary" nativeButtonProps={{ 'aria-label': `Certificats renouvelables de la carte ${c.serial}` }} onClick={() => setCard(c)}>
              Voir les certificats
            </Button>
          )}
        />
      )}
    </>
  );
}

function Renewal(props: { card: Card; onBack: () => void }) {
  const c = props.card;
  const agent = useCardAgent();
  const view = useAsync(() => lifeApi.renewal(c.id), [c.id]);
  const [windowUntil, setWindowUntil] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const v = view.data;
  const renewable = v?.certificates.some((x) => x.renewable) ?? false;

  const presence = async () => {
    setBusy(true);
    setError(null);
    try {
      await requireInsertedCard(agent, c.serial);
      const ch = await lifeApi.presenceChallenge(c.id);
      const signed = await agent.signWithCard('auth', ch.text, `Présence du porteur ${holderName(c)} : le porteur saisit son code PIN Global.`);
      const r = await lifeApi.presence(c.id, { challengeId: ch.challengeId, challenge: ch.challenge, signature: signed.signature, certificate: signed.certificate });
      setWindowUntil(r.windowUntil);
    } catch (err) {
      if (!isCancelled(err)) setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <p>
        Carte n° <strong className="ca-code">{c.serial}</strong> de {holderName(c)}.
      </p>
      <ProblemAlert error={view.error} title="Impossible d’afficher les certificats" />
      <ProblemAlert error={error} title="La preuve de présence n’a pas abouti" />
      {view.loading && !v && <p role="status">Chargement…</p>}
      {v && (
        <>
          {v.newCardNeeded && <Alert severity="warning" small description={v.newCardNeeded} className="fr-mb-3w" />}
          <DataTable
            caption={`Certificats de la carte ${v.serial}`}
            multiline
            headers={['Usage', 'Numéro de série', 'État', 'Fin de validité', 'Renouvelable']}
            rowKeys={v.certificates.map((x) => x.serial)}
            rows={v.certificates.map((x) => [
              PROFILE_LABELS[x.profile] ?? x.profile,
              <span className="ca-code">{x.serial}</span>,
              STATUS_LABELS[x.status] ?? x.status,
              formatDate(x.notAfter),
              x.renewable ? 'Oui' : `Non — ${x.reason ?? ''}`,
            ])}
          />
          {v.certificates.length === 0 && <p>Aucun certificat à renouveler sur cette carte.</p>}
          {renewable && (
            <section aria-labelledby="presence-porteur" className="fr-mb-4w">
              <h2 id="presence-porteur" className="fr-h4">
                Présence du porteur
              </h2>
              <ReaderPanel headingLevel="h3" prompt={`Insérez la carte n° ${c.serial} du porteur.`} />
              {windowUntil ? (
                <Alert severity="success" small className="fr-mb-2w" description={`Présence du porteur prouvée : renouvellement possible jusqu’à ${formatDateTime(windowUntil)}.`} />
              ) : (
                <Button onClick={() => void presence()} disabled={busy}>
                  Prouver la présence du porteur
                </Button>
              )}
            </section>
          )}
          <Alert
            severity="info"
            small
            className="fr-mb-3w"
            description="La génération de la nouvelle clé sur la carte n’est pas encore proposée par l’agent de carte de ce poste : le renouvellement s’arrête ici à la preuve de présence du porteur."
          />
        </>
      )}
      <Button priority="secondary" onClick={props.onBack}>
        Choisir une autre carte
      </Button>
    </>
  );
}
