// « Question 1* / Réponse 1* » ×3: three different questions from the proposed list, each answered.
import { Fragment } from 'react';
import { SECRET_QUESTIONS } from '../../../../src/domain/pin-policy.ts';
import type { SecretsInput } from '../../lifeApi.ts';

/** One question and its answer, as the API takes them. */
export type Answer = SecretsInput['questions'][number];

export function SecretQuestionFields(props: {
  value: Answer[];
  onChange: (v: Answer[]) => void;
  faults: string[];
  answerType: 'text' | 'password';
}) {
  const set = (i: number, patch: Partial<Answer>) =>
    props.onChange(props.value.map((a, j) => (j === i ? { ...a, ...patch } : a)));
  const faultsFor = (n: number) =>
    props.faults.filter((f) => f.startsWith(`Question ${n} `) || f.startsWith(`Réponse ${n} `));
  const general = props.faults.filter((f) => !/^(Question|Réponse) \d /.test(f));
  return (
    <>
      {props.value.map((a, i) => {
        const n = i + 1;
        const mine = faultsFor(n);
        const err = mine.length > 0;
        return (
          <Fragment key={i}>
            <div className={`fr-select-group${err ? ' fr-select-group--error' : ''}`}>
              <label className="fr-label" htmlFor={`question-${n}`}>
                Question {n}* :
              </label>
              <select
                id={`question-${n}`}
                className={`fr-select${err ? ' fr-select--error' : ''}`}
                value={a.question}
                required
                aria-describedby={err ? `question-${n}-erreurs` : undefined}
                onChange={(e) => set(i, { question: e.target.value })}
              >
                <option value="">Choisissez une question</option>
                {SECRET_QUESTIONS.map((q) => (
                  <option
                    key={q.code}
                    value={q.code}
                    disabled={props.value.some((o, j) => j !== i && o.question === q.code)}
                  >
                    {q.label}
                  </option>
                ))}
              </select>
            </div>
            <div className={`fr-input-group${err ? ' fr-input-group--error' : ''}`}>
              <label className="fr-label" htmlFor={`reponse-${n}`}>
                Réponse {n}* :
              </label>
              <input
                id={`reponse-${n}`}
                className={`fr-input${err ? ' fr-input--error' : ''}`}
                type={props.answerType}
                autoComplete="off"
                required
                value={a.answer}
                aria-describedby={err ? `question-${n}-erreurs` : undefined}
                onChange={(e) => set(i, { answer: e.target.value })}
              />
              {err && (
                <div id={`question-${n}-erreurs`}>
                  {mine.map((f) => (
                    <p key={f} className="fr-error-text">
                      {f}
                    </p>
                  ))}
                </div>
              )}
            </div>
          </Fragment>
        );
      })}
      {general.map((f) => (
        <p key={f} className="fr-error-text fr-mb-2w">
          {f}
        </p>
      ))}
    </>
  );
}
