// /connexion?jeton=... — redeems a single-use sign-in link; without a token, explains how to get one.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { CallOut } from '@codegouvfr/react-dsfr/CallOut';
import { useState } from 'react';
import { signInText } from '../../../src/domain/card-sign-in.ts';
import { api } from '../api.ts';
import { cardsApi } from '../cardsApi.ts';
import { isCancelled, useCardAgent } from '../components/cards/CardAgentProvider.tsx';
import { ReaderPanel } from '../components/cards/ReaderPanel.tsx';
import { ProblemAlert } from '../components/ProblemAlert.tsx';
import { usePageTitle } from '../hooks.ts';
import { Link, navigate, useLocation, useSearchParams } from '../router.tsx';
import { takeReturnPath, useSession, type SignInNotice } from '../session.tsx';

const NOTICES: Record<SignInNotice['reason'], { severity: 'info' | 'warning' | 'success'; text: string }> = {
  required: { severity: 'info', text: 'Vous devez vous connecter pour accéder à cette page.' },
  expired: { severity: 'warning', text: 'Votre session a expiré ou a été fermée : reconnectez-vous pour continuer.' },
  signedOut: { severity: 'success', text: 'Vous êtes déconnecté.' },
};

/** Challenge from the server, signed by the card's authentication key after the PIN Global. */
function CardSignIn() {
  const { setSession } = useSession();
  const agent = useCardAgent();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const signIn = async () => {
    setBusy(true);
    setError(null);
    try {
      const { challengeId, challenge, origin } = await cardsApi.cardChallenge();
      // The server names the portal origin it checks (its public address).
      const text = signInText(challenge, origin ?? window.location.origin);
      const { signature, certificate } = await agent.signWithCard(
        'auth',
        text,
        'Connexion au portail avec votre carte.',
      );
      const s = await cardsApi.cardSignIn({ challengeId, certificate, signature });
      setSession(s);
      navigate(takeReturnPath(), { replace: true });
    } catch (err) {
      if (!isCancelled(err)) setError(err);
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="connexion-carte" className="fr-mb-6w">
      <h2 id="connexion-carte" className="fr-h4">
        Se connecter avec sa carte
      </h2>
      <p>
        Insérez votre carte dans le lecteur, puis saisissez votre code PIN d’authentification (PIN Global) quand il est
        demandé. Ne le confondez pas avec le code PIN de signature, qui ne sert qu’à confirmer vos actions.
      </p>
      <ReaderPanel headingLevel="h3" />
      <ProblemAlert error={error} title="Connexion impossible" />
      <Button
        iconId="fr-icon-bank-card-line"
        onClick={() => void signIn()}
        disabled={busy}
        nativeButtonProps={{ 'aria-busy': busy }}
      >
        {busy ? 'Connexion en cours…' : 'Se connecter avec ma carte'}
      </Button>
    </section>
  );
}

function HowToGetALink(props: { fallback?: boolean }) {
  return (
    <>
      <h2 className="fr-h4">
        {props.fallback ? 'Sans carte : obtenir un lien de connexion' : 'Obtenir un lien de connexion'}
      </h2>
      <p>
        {props.fallback ? 'À défaut de carte, la connexion peut se faire' : 'La connexion se fait'} par un lien
        personnel, à usage unique et valable 10 minutes. Demandez-le à un administrateur de la plateforme : il le crée
        depuis le serveur avec la commande suivante, où <em>identifiant</em> est votre identifiant d'agent (par exemple
        votre NID) :
      </p>
      <pre className="fr-mb-3w">
        <code className="ca-code">npx cartes admin sign-in-link --person &lt;identifiant&gt;</code>
      </pre>
      <p>Ouvrez ensuite le lien reçu dans ce navigateur et cliquez sur « Se connecter ».</p>
    </>
  );
}

export function SignInPage() {
  const headingRef = usePageTitle('Connexion');
  const { session, setSession } = useSession();
  const { state } = useLocation();
  const token = useSearchParams().get('jeton')?.trim() ?? '';
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const reason = (state as Partial<SignInNotice> | null)?.reason;
  const notice = reason && reason in NOTICES ? NOTICES[reason] : null;

  const signIn = async () => {
    setBusy(true);
    setError(null);
    try {
      const s = await api.signIn(token);
      setSession(s);
      navigate(takeReturnPath(), { replace: true });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <div className="fr-grid-row fr-grid-row--center">
      <div className="fr-col-12 fr-col-md-10 fr-col-lg-8">
        <h1 ref={headingRef} tabIndex={-1}>
          Connexion
        </h1>
        {notice && !session && (
          <Alert severity={notice.severity} small description={notice.text} className="fr-mb-3w" />
        )}
        {session && !token ? (
          <>
            <p>
              Vous êtes connecté en tant que{' '}
              <strong>
                {session.person.firstNames} {session.person.lastName}
              </strong>
              .
            </p>
            <p>
              <Link href="/">Aller à l'accueil</Link>
            </p>
          </>
        ) : token ? (
          <>
            <CallOut title="Lien de connexion" titleAs="h2" iconId="fr-icon-lock-line" className="fr-mb-4w">
              Ce lien est à usage unique et valable 10 minutes après sa création. Une fois utilisé, il ne fonctionne
              plus : votre session reste ouverte 8 heures au plus dans ce navigateur.
            </CallOut>
            <ProblemAlert error={error} title="Connexion impossible" />
            <Button
              iconId="fr-icon-account-circle-line"
              onClick={() => void signIn()}
              disabled={busy}
              nativeButtonProps={{ 'aria-busy': busy }}
            >
              {busy ? 'Connexion en cours…' : 'Se connecter'}
            </Button>
            {error != null && (
              <div className="fr-mt-4w">
                <HowToGetALink />
              </div>
            )}
          </>
        ) : (
          <>
            <CardSignIn />
            <HowToGetALink fallback />
          </>
        )}
      </div>
    </div>
  );
}
