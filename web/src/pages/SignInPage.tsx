// /connexion?jeton=... — redeems a single-use sign-in link; without a token, explains how to get one.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { CallOut } from '@codegouvfr/react-dsfr/CallOut';
import { useState } from 'react';
import { api } from '../api.ts';
import { ProblemAlert } from '../components/ProblemAlert.tsx';
import { usePageTitle } from '../hooks.ts';
import { Link, navigate, useLocation, useSearchParams } from '../router.tsx';
import { takeReturnPath, useSession, type SignInNotice } from '../session.tsx';

const NOTICES: Record<SignInNotice['reason'], { severity: 'info' | 'warning' | 'success'; text: string }> = {
  required: { severity: 'info', text: 'Vous devez vous connecter pour accéder à cette page.' },
  expired: { severity: 'warning', text: 'Votre session a expiré ou a été fermée : reconnectez-vous pour continuer.' },
  signedOut: { severity: 'success', text: 'Vous êtes déconnecté.' },
};

function HowToGetALink() {
  return (
    <>
      <h2 className="fr-h4">Obtenir un lien de connexion</h2>
      <p>
        La connexion se fait par un lien personnel, à usage unique et valable 10 minutes. Demandez-le à un administrateur
        de la plateforme : il le crée depuis le serveur avec la commande suivante, où <em>identifiant</em> est votre
        identifiant d'agent (par exemple votre NID) :
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
              Ce lien est à usage unique et valable 10 minutes après sa création. Une fois utilisé, il ne fonctionne plus :
              votre session reste ouverte 8 heures au plus dans ce navigateur.
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
          <HowToGetALink />
        )}
      </div>
    </div>
  );
}
