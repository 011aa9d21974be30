// Shows an API error: its French detail and, if any, the list of field problems.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { ApiError, errorMessage } from '../api.ts';

export function ProblemAlert(props: { error: unknown; title?: string; fieldLabels?: Record<string, string> }) {
  if (!props.error) return null;
  const err = props.error;
  const problems = err instanceof ApiError ? err.fieldErrors : [];
  const fieldName = (f: string) => props.fieldLabels?.[f] ?? f;
  return (
    <Alert
      severity="error"
      className="fr-mb-3w"
      title={props.title ?? (err instanceof ApiError && err.problem.title ? err.problem.title : 'Erreur')}
      description={
        <>
          <span className="ca-block">{errorMessage(err)}</span>
          {problems.length > 0 && (
            <ul className="fr-mt-1w">
              {problems.map((p, i) => (
                <li key={i}>
                  {p.line !== undefined ? `Ligne ${p.line} — ` : ''}
                  {p.field ? `${fieldName(p.field)} : ` : ''}
                  {p.reason}
                </li>
              ))}
            </ul>
          )}
        </>
      }
    />
  );
}
