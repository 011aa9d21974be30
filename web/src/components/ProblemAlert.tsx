// Shows an API error: its French detail and, if any, the list of field problems.
// DSFR alert markup with a paragraph title: an error may appear anywhere in the page, a heading
// would break the heading order.
import { ApiError, errorMessage } from '../api.ts';

export function ProblemAlert(props: { error: unknown; title?: string; fieldLabels?: Record<string, string> }) {
  if (!props.error) return null;
  const err = props.error;
  const problems = err instanceof ApiError ? err.fieldErrors : [];
  const fieldName = (f: string) => props.fieldLabels?.[f] ?? f;
  const title = props.title ?? (err instanceof ApiError && err.problem.title ? err.problem.title : 'Erreur');
  return (
    <div className="fr-alert fr-alert--error fr-mb-3w" role="alert">
      <p className="fr-alert__title">{title}</p>
      <p>{errorMessage(err)}</p>
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
    </div>
  );
}
