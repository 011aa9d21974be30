// /porteur/secrets — « Édition des questions/réponses de sécurité » (seed 001, « Définition des secrets
// dans PGCA Porteur »): the holder, signed in with the card just activated, chooses a personal code
// and three secret questions; they will unblock the card after three wrong PINs.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { useState, type FormEvent } from 'react';
import { personalCodeFaults, secretAnswersFaults } from '../../../../src/domain/pin-policy.ts';
import { HolderLayout } from '../../components/life/lifeMenu.tsx';
import { SecretQuestionFields, type Answer } from '../../components/life/SecretQuestionFields.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { lifeApi } from '../../lifeApi.ts';

export function MySecretsPage() {
  const headingRef = usePageTitle('Édition des questions/réponses de sécurité');
  const mine = useAsync(() => lifeApi.myCards(), []);
  const [code, setCode] = useState('');
  const [answers, setAnswers] = useState<Answer[]>([
    { question: '', answer: '' },
    { question: '', answer: '' },
    { question: '', answer: '' },
  ]);
  const [faults, setFaults] = useState<{ code: string[]; answers: string[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<{ cardsActivated: string[]; awaitingFinalization: string[] } | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const f = { code: personalCodeFaults(code), answers: secretAnswersFaults(answers) };
    setFaults(f);
    setError(null);
    if (f.code.length + f.answers.length > 0) return;
    setBusy(true);
    try {
      setResult(await lifeApi.defineSecrets({ personalCode: code, questions: answers }));
      setCode('');
      setAnswers(answers.map((a) => ({ ...a, answer: '' })));
      mine.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const codeFaulty = !!faults && faults.code.length > 0;
  return (
    <HolderLayout>
      <h1 ref={headingRef} tabIndex={-1}>
        Édition des questions/réponses de sécurité
      </h1>
      <p>
        Cette étape vous permettra de débloquer votre carte. Elle sera bloquée après trois saisies de codes erronées.
        Vous serez seul à connaître les saisies effectuées ici.
      </p>
      {mine.data && (
        <p role="status">
          {mine.data.secretsDefined
            ? 'Vos secrets sont déjà définis : en enregistrer de nouveaux remplace les anciens.'
            : 'Vous n’avez pas encore défini vos secrets.'}
        </p>
      )}
      <div role="status">
        {result && (
          <Alert
            severity="success"
            as="h2"
            title="Vos secrets sont enregistrés."
            className="fr-mb-3w"
            description={[
              result.cardsActivated.length > 0
                ? `Carte(s) désormais active(s) : ${result.cardsActivated.join(', ')}.`
                : '',
              result.awaitingFinalization.length > 0
                ? `Carte(s) ${result.awaitingFinalization.join(', ')} : votre responsable carte doit encore parapher l’attestation de remise.`
                : '',
            ]
              .filter(Boolean)
              .join(' ')}
          />
        )}
      </div>
      <ProblemAlert
        error={error}
        title="Vos secrets n’ont pas été enregistrés"
        fieldLabels={{ personalCode: 'Code personnel', questions: 'Questions' }}
      />
      <div className="fr-grid-row fr-grid-row--gutters">
        <form className="fr-col-12 fr-col-lg-7" onSubmit={(e) => void submit(e)} noValidate>
          <h2 className="fr-h4">Mon nouveau code personnel</h2>
          <div className={`fr-input-group${codeFaulty ? ' fr-input-group--error' : ''}`}>
            <label className="fr-label" htmlFor="code-personnel">
              Code personnel
              <span className="fr-hint-text">
                8 caractères au moins, minuscules et majuscules, au moins un caractère spécial.
              </span>
            </label>
            <input
              id="code-personnel"
              className={`fr-input${codeFaulty ? ' fr-input--error' : ''}`}
              type="password"
              autoComplete="new-password"
              value={code}
              aria-describedby={codeFaulty ? 'code-personnel-erreurs' : undefined}
              aria-invalid={codeFaulty || undefined}
              onChange={(e) => setCode(e.target.value)}
            />
            {codeFaulty && (
              <div id="code-personnel-erreurs">
                {faults!.code.map((f) => (
                  <p key={f} className="fr-error-text">
                    {f}
                  </p>
                ))}
              </div>
            )}
          </div>
          <h2 className="fr-h4">Mes nouvelles questions/réponses de sécurité</h2>
          <SecretQuestionFields
            value={answers}
            onChange={setAnswers}
            faults={faults?.answers ?? []}
            answerType="text"
          />
          <Button type="submit" disabled={busy}>
            Sauvegarder
          </Button>
        </form>
        <aside className="fr-col-12 fr-col-lg-5" aria-labelledby="conseils">
          <div className="fr-callout">
            <h2 id="conseils" className="fr-callout__title fr-h5">
              Conseils
            </h2>
            <p className="fr-callout__text fr-text--sm">
              Le <strong>Code personnel</strong> doit comporter au minimum 8 caractères (minuscules et majuscules) et au
              moins un caractère spécial (point d’exclamation, d’interrogation, slash…).
            </p>
            <p className="fr-callout__text fr-text--sm">
              Pour les réponses aux questions, ne pas mettre d’accents, saisir tout en minuscules ou majuscules (et se
              limiter à un seul mot, exemple Adec+202).
            </p>
            <p className="fr-callout__text fr-text--sm">
              Vous devrez <strong>vous souvenir de l’orthographe exacte utilisée lors de la définition</strong> (y
              compris l’utilisation ou non de majuscules, de simples ou doubles espaces si une phrase est saisie).
            </p>
          </div>
        </aside>
      </div>
    </HolderLayout>
  );
}
