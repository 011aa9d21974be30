// /renouvellement — « Renouvellement de certificat(s) »: which certificates of a card can be renewed
// and why not; the holder proves presence by signing the server's challenge with the card's AUTH
// key (PIN Global), which opens the renewal window. Then, per certificate: the card generates the
// new key under the server's answer (with its attestation), the officer signs the renewal with
// their own card, the server issues the certificate and the card stores it.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { useRef, useState } from 'react';
import { CARD_PROFILE_LABELS } from '../../../../src/domain/card-model.ts';
import { STATUS_LABELS as CERTIFICATE_STATUS_LABELS } from '../../../../src/domain/certificate-status.ts';
import { holderName } from '../../cardLabels.ts';
import type { Card } from '../../cardsApi.ts';
import { useCardAgent } from '../../components/cards/CardAgentProvider.tsx';
import { ReaderPanel } from '../../components/cards/ReaderPanel.tsx';
import { CardFinder } from '../../components/life/CardFinder.tsx';
import { requireInsertedCard } from '../../components/life/cardCheck.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { useAction } from '../../components/cards/useAction.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { formatDate, formatDateTime } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { cardAdmin, lifeApi } from '../../lifeApi.ts';
import { HolderIdentifyForm } from './HolderUnblockPage.tsx';
import { useActionSigner } from '../../components/cards/useActionSigner.ts';
import { requireOtherCard } from '../../components/life/cardCheck.ts';

// The server's own label tables (pure domain modules).
const PROFILE_LABELS: Record<string, string> = CARD_PROFILE_LABELS;
const STATUS_LABELS: Record<string, string> = CERTIFICATE_STATUS_LABELS;

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
            <Button
              size="small"
              priority="secondary"
              nativeButtonProps={{ 'aria-label': `Certificats renouvelables de la carte ${c.serial}` }}
              onClick={() => setCard(c)}
            >
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
  const [bySecrets, setBySecrets] = useState(false);
  const { busy, error, setError, run } = useAction();
  const [step, setStep] = useState<string | null>(null);
  const [renewed, setRenewed] = useState<string[]>([]);
  const signAction = useActionSigner();
  const v = view.data;

  // « Attendre que le lecteur arrête de clignoter, puis cliquez sur le bouton OK »: each card swap
  // waits for the person's OK, then checks the card; a wrong card keeps the prompt with the reason.
  const okRef = useRef<(() => void) | null>(null);
  const swap = async (message: string, check: () => Promise<unknown>) => {
    for (;;) {
      setStep(message);
      await new Promise<void>((resolve) => {
        okRef.current = resolve;
      });
      try {
        await check();
        setStep(null);
        return;
      } catch (err) {
        if (!(err instanceof Error) || !/carte/i.test(err.message)) throw err;
        setError(err);
      }
    }
  };

  const renew = (profile: string, replaces: string) =>
    run(async () => {
      const holder = await requireInsertedCard(agent, c.serial);
      const { challenge } = await cardAdmin.challenge(holder.client, holder.reader);
      const gen = await lifeApi.renewalAdminResponse(c.id, `replace-key:${profile}`, challenge);
      const key = await cardAdmin.generateKey(holder.client, holder.reader, profile, gen.response);
      const digest = Array.from(
        new Uint8Array(
          await crypto.subtle.digest(
            'SHA-256',
            Uint8Array.from(atob(key.spki), (ch) => ch.charCodeAt(0)),
          ),
        ),
      )
        .map((b) => b.toString(16).padStart(2, '0'))
        .join('');
      await swap('Veuillez insérer la carte de l’opérateur.', () =>
        requireOtherCard(agent, c.serial, 'insérez votre carte d’opérateur.'),
      );
      const signature = await signAction(
        {
          action: 'certificate.renew',
          target: c.id,
          content: { cardId: c.id, serial: c.serial, profile, spkiSha256: digest, replaces },
        },
        'Renouvellement du certificat : saisissez votre code PIN de signature.',
      );
      const issued = await lifeApi.renewalIssue(c.id, {
        profile,
        spki: key.spki,
        attestation: key.attestation,
        signature,
      });
      await swap(`Veuillez insérer à nouveau la carte n° ${c.serial} du porteur.`, () =>
        requireInsertedCard(agent, c.serial),
      );
      const back = await requireInsertedCard(agent, c.serial);
      const { challenge: ch2 } = await cardAdmin.challenge(back.client, back.reader);
      const put = await lifeApi.renewalAdminResponse(c.id, 'personalize', ch2);
      await cardAdmin.writeCertificate(back.client, back.reader, profile, issued.der, put.response);
      setRenewed((r) => [...r, issued.serial]);
      setStep(null);
      view.reload();
    });
  const renewable = v?.certificates.some((x) => x.renewable) ?? false;

  const presence = () =>
    run(async () => {
      await requireInsertedCard(agent, c.serial);
      const ch = await lifeApi.presenceChallenge(c.id);
      const signed = await agent.signWithCard(
        'auth',
        ch.text,
        `Présence du porteur ${holderName(c)} : le porteur saisit son code PIN Global.`,
      );
      const r = await lifeApi.presence(c.id, {
        challengeId: ch.challengeId,
        challenge: ch.challenge,
        signature: signed.signature,
        certificate: signed.certificate,
      });
      setWindowUntil(r.windowUntil);
    });

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
              x.renewable ? (
                windowUntil ? (
                  <Button
                    size="small"
                    disabled={busy}
                    onClick={() => void renew(x.profile, x.serial)}
                    nativeButtonProps={{
                      'aria-label': `Renouveler le certificat ${PROFILE_LABELS[x.profile] ?? x.profile}`,
                    }}
                  >
                    Renouveler
                  </Button>
                ) : (
                  'Oui'
                )
              ) : (
                `Non — ${x.reason ?? ''}`
              ),
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
                <Alert
                  severity="success"
                  small
                  className="fr-mb-2w"
                  description={`Présence du porteur prouvée : renouvellement possible jusqu’à ${formatDateTime(windowUntil)}.`}
                />
              ) : (
                <>
                  <Button onClick={() => void presence()} disabled={busy}>
                    Prouver la présence du porteur
                  </Button>
                  {bySecrets ? (
                    <div className="fr-mt-3w">
                      <h3 className="fr-h5">Le porteur a oublié son code PIN</h3>
                      <HolderIdentifyForm
                        intro="Le porteur saisit lui-même son organisation, son identifiant, son code personnel et les réponses à ses trois questions secrètes."
                        submitLabel="Prouver la présence par les secrets"
                        onAccess={(a) =>
                          void lifeApi
                            .presenceBySecrets(c.id, a.token)
                            .then((r) => setWindowUntil(r.windowUntil), setError)
                        }
                      />
                    </div>
                  ) : (
                    <Button priority="tertiary" className="fr-ml-2w" onClick={() => setBySecrets(true)}>
                      Le porteur a oublié son code PIN
                    </Button>
                  )}
                </>
              )}
            </section>
          )}
          {step && (
            <section aria-labelledby="renouvellement-carte" className="fr-mb-3w">
              <h2 id="renouvellement-carte" className="fr-h4">
                {step}
              </h2>
              <p>
                Changez de carte dans le lecteur ci-dessus ; attendez que le lecteur arrête de clignoter, puis cliquez
                sur OK.
              </p>
              <Button
                onClick={() => {
                  setError(null);
                  okRef.current?.();
                }}
              >
                OK
              </Button>
            </section>
          )}
          {renewed.length > 0 && (
            <Alert
              severity="success"
              small
              className="fr-mb-3w"
              description={`Certificat(s) renouvelé(s) et enregistré(s) sur la carte : ${renewed.join(', ')}.`}
            />
          )}
        </>
      )}
      <Button priority="secondary" onClick={props.onBack}>
        Choisir une autre carte
      </Button>
    </>
  );
}
