// Auto-évaluation de la sécurité du poste de travail: the 9 measures, each control point answered
// Conforme / Non conforme (+ "non-conformité majeure" for admins) with an optional comment.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Checkbox } from '@codegouvfr/react-dsfr/Checkbox';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { RadioButtons } from '@codegouvfr/react-dsfr/RadioButtons';
import { useRef, useState, type FormEvent } from 'react';
import { api, type ControlPointAnswer, type Measure, type SelfAssessment } from '../../api.ts';
import { todayIso } from '../../format.ts';
import { ProblemAlert } from '../ProblemAlert.tsx';
import { FormActions } from '../FormActions.tsx';

interface Draft {
  conform: boolean | null;
  major: boolean;
  comment: string;
}

const EMPTY: Draft = { conform: null, major: false, comment: '' };

function domId(code: string): string {
  return `point-${code.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

export function SelfAssessmentForm(props: {
  organizationId: string;
  measures: Measure[];
  isAdmin: boolean;
  onSubmitted: (assessment: SelfAssessment) => void;
  onCancel: () => void;
}) {
  const [assessedOn, setAssessedOn] = useState(todayIso());
  const [drafts, setDrafts] = useState<Record<string, Draft>>({});
  const [missing, setMissing] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const summaryRef = useRef<HTMLDivElement>(null);

  const draft = (code: string) => drafts[code] ?? EMPTY;
  const update = (code: string, change: Partial<Draft>) =>
    setDrafts((d) => ({ ...d, [code]: { ...(d[code] ?? EMPTY), ...change } }));

  const allCodes = props.measures.flatMap((m) => m.controlPoints.map((p) => p.code));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const unanswered = allCodes.filter((c) => draft(c).conform === null);
    setMissing(unanswered);
    if (unanswered.length > 0 || !assessedOn) {
      setTimeout(() => summaryRef.current?.focus(), 0);
      return;
    }
    const answers: Record<string, ControlPointAnswer> = {};
    for (const code of allCodes) {
      const d = draft(code);
      const a: ControlPointAnswer = { conform: d.conform === true };
      if (props.isAdmin && !a.conform && d.major) a.major = true;
      if (d.comment.trim()) a.comment = d.comment.trim();
      answers[code] = a;
    }
    setBusy(true);
    setError(null);
    try {
      props.onSubmitted(await api.submitSelfAssessment(props.organizationId, { assessedOn, answers }));
    } catch (err) {
      setError(err);
      setTimeout(() => summaryRef.current?.focus(), 0);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-label="Nouvelle auto-évaluation">
      <div ref={summaryRef} tabIndex={-1}>
        {(missing.length > 0 || !assessedOn) && (
          <Alert
            severity="error"
            className="fr-mb-3w"
            title="Le formulaire est incomplet"
            description={
              <>
                {!assessedOn && <span className="ca-block">Indiquez la date de l’auto-évaluation.</span>}
                {missing.length > 0 && (
                  <>
                    <span className="ca-block">Répondez à chaque point de contrôle. Sans réponse :</span>
                    <ul>
                      {missing.map((c) => (
                        <li key={c}>
                          <a href={`#${domId(c)}`}>Point {c}</a>
                        </li>
                      ))}
                    </ul>
                  </>
                )}
              </>
            }
          />
        )}
        <ProblemAlert error={error} title="L’auto-évaluation n’a pas été enregistrée" />
      </div>
      <Input
        label="Date de l’auto-évaluation"
        nativeInputProps={{
          type: 'date',
          required: true,
          value: assessedOn,
          onChange: (e) => setAssessedOn(e.target.value),
        }}
      />
      {props.measures.map((m) => (
        <fieldset key={m.code} className="ca-measure">
          <legend>
            {m.code} — {m.title}
          </legend>
          {m.controlPoints.map((p) => {
            const d = draft(p.code);
            const isMissing = missing.includes(p.code) && d.conform === null;
            return (
              <div key={p.code} className="ca-control-point" id={domId(p.code)}>
                <RadioButtons
                  legend={
                    <>
                      <span className="ca-code">{p.code}</span> {p.label}
                    </>
                  }
                  name={`answer-${p.code}`}
                  orientation="horizontal"
                  state={isMissing ? 'error' : 'default'}
                  stateRelatedMessage={isMissing ? 'Choisissez « Conforme » ou « Non conforme ».' : undefined}
                  options={[
                    {
                      label: 'Conforme',
                      nativeInputProps: {
                        value: 'conform',
                        checked: d.conform === true,
                        onChange: () => update(p.code, { conform: true, major: false }),
                      },
                    },
                    {
                      label: 'Non conforme',
                      nativeInputProps: {
                        value: 'nonconform',
                        checked: d.conform === false,
                        onChange: () => update(p.code, { conform: false }),
                      },
                    },
                  ]}
                />
                {props.isAdmin && d.conform === false && (
                  <Checkbox
                    small
                    options={[
                      {
                        label: 'Non-conformité majeure',
                        hintText:
                          'Suspend les rôles de confiance (opérateurs, autorités d’enregistrement) de l’organisation.',
                        nativeInputProps: {
                          name: `major-${p.code}`,
                          checked: d.major,
                          onChange: (e) => update(p.code, { major: e.target.checked }),
                        },
                      },
                    ]}
                  />
                )}
                <Input
                  label={`Commentaire sur le point ${p.code} (facultatif)`}
                  textArea
                  nativeTextAreaProps={{
                    rows: 2,
                    value: d.comment,
                    onChange: (e) => update(p.code, { comment: e.target.value }),
                  }}
                />
              </div>
            );
          })}
        </fieldset>
      ))}
      <FormActions submitLabel="Enregistrer l’auto-évaluation" busy={busy} onCancel={props.onCancel} />
    </form>
  );
}
