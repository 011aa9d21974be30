// Past self-assessments of an organisation, most recent first.
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import type { Measure, SelfAssessment } from '../../api.ts';
import { formatDate, formatDateTime } from '../../format.ts';
import { DataTable } from '../DataTable.tsx';

const RESULT_SEVERITY = { conform: 'success', minor: 'warning', major: 'error' } as const;

function labelOf(measures: Measure[], code: string): string {
  for (const m of measures) for (const p of m.controlPoints) if (p.code === code) return p.label;
  return code;
}

export function SelfAssessmentHistory(props: { assessments: SelfAssessment[]; measures: Measure[] }) {
  const sorted = [...props.assessments].sort((a, b) =>
    a.assessedOn < b.assessedOn ? 1 : a.assessedOn > b.assessedOn ? -1 : 0,
  );
  if (sorted.length === 0) return <p>Aucune auto-évaluation n’a encore été enregistrée.</p>;
  return (
    <DataTable
      caption="Historique des auto-évaluations"
      hideCaption
      multiline
      headers={['Date', 'Résultat', 'Points non conformes', 'Saisie par', 'Suspension levée le']}
      rowKeys={sorted.map((s) => s.id)}
      rows={sorted.map((s) => {
        const failures = Object.entries(s.answers).filter(([, a]) => !a.conform);
        return [
          <span className="ca-nowrap">{formatDate(s.assessedOn)}</span>,
          <Badge severity={RESULT_SEVERITY[s.result]} small>
            {s.resultLabel}
          </Badge>,
          failures.length === 0 ? (
            'Aucun'
          ) : (
            <ul className="fr-mb-0">
              {failures.map(([code, a]) => (
                <li key={code}>
                  <abbr title={labelOf(props.measures, code)}>{code}</abbr>
                  {a.major ? ' (majeure)' : ''}
                  {a.comment ? ` : ${a.comment}` : ''}
                </li>
              ))}
            </ul>
          ),
          s.recordedBy ?? '—',
          s.result === 'major' ? (s.liftedAt ? formatDateTime(s.liftedAt) : 'Non levée') : '—',
        ];
      })}
    />
  );
}
