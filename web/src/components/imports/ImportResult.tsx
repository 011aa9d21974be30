// Outcome of one HR feed import: counters, rejected lines (paginated) and the CSV report link.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { useState } from 'react';
import { api, type ImportRun } from '../../api.ts';
import { formatDateTime, formatNumber, FORMAT_LABELS, IMPORT_STATUS_LABELS, label, plural } from '../../format.ts';
import { useAsync } from '../../hooks.ts';
import { DataTable } from '../DataTable.tsx';
import { Loading } from '../Loading.tsx';
import { hrefWith, Pager } from '../Pager.tsx';
import { ProblemAlert } from '../ProblemAlert.tsx';

const REJECTS_PAGE_SIZE = 50;

export const IMPORT_STATUS_SEVERITY = { running: 'info', done: 'success', refused: 'error', failed: 'error' } as const;

function Rejects(props: { run: ImportRun }) {
  const [page, setPage] = useState(1);
  const rejects = useAsync(() => api.importRejects(props.run.id, page, REJECTS_PAGE_SIZE), [props.run.id, page]);
  const data = rejects.data;
  return (
    <>
      <ProblemAlert error={rejects.error} title="Impossible de charger les rejets" />
      {rejects.loading && !data && <Loading />}
      {data && (
        <DataTable
          caption={`Motifs de rejet (${formatNumber(data.total)})`}
          headers={['Ligne', 'Champ', 'Motif']}
          multiline
          rowKeys={data.items.map((r, i) => `${r.line}-${r.field}-${i}`)}
          rows={data.items.map((r) => [String(r.line), <span className="ca-code">{r.field || '—'}</span>, r.reason])}
          footer={
            <Pager
              total={data.total}
              page={page}
              pageSize={REJECTS_PAGE_SIZE}
              href={(p) => hrefWith({ rejets: p === 1 ? null : p })}
              onPage={setPage}
            />
          }
        />
      )}
    </>
  );
}

export function ImportResult(props: { run: ImportRun; headingLevel?: 2 | 3 }) {
  const { run } = props;
  const H = props.headingLevel === 3 ? 'h3' : 'h2';
  const counters: [string, number][] = [
    ['Lignes lues', run.total],
    ['Créés', run.inserted],
    ['Modifiés', run.updated],
    ['Inchangés', run.unchanged],
    ['Rejetés', run.rejected],
    ['Désactivés', run.deactivated],
  ];
  return (
    <section aria-labelledby={`import-${run.id}-title`} className="fr-mb-6w">
      <H id={`import-${run.id}-title`}>Résultat de l’import</H>
      <p>
        <Badge severity={IMPORT_STATUS_SEVERITY[run.status] ?? 'info'}>{label(IMPORT_STATUS_LABELS, run.status)}</Badge>{' '}
        Fichier <strong>{run.fileName}</strong> ({label(FORMAT_LABELS, run.format)}, import{' '}
        {run.fullMode ? 'complet' : 'partiel'}) pour {run.organizationName}, commencé le {formatDateTime(run.startedAt)}
        {run.finishedAt ? `, terminé le ${formatDateTime(run.finishedAt)}` : ''}.
      </p>
      {run.message && (
        <Alert
          severity={run.status === 'done' ? 'info' : 'error'}
          small
          description={run.message}
          className="fr-mb-3w"
        />
      )}
      <ul className="ca-summary-tiles" aria-label="Compteurs de l’import">
        {counters.map(([name, n]) => (
          <li key={name}>
            <span className="ca-count">{formatNumber(n)}</span>
            {name}
          </li>
        ))}
      </ul>
      {run.rejected > 0 ? (
        <>
          <p>
            <a
              className="fr-link fr-link--download"
              href={api.importReportUrl(run.id)}
              download={`rejets-${run.id}.csv`}
            >
              Télécharger le rapport des rejets
              <span className="fr-link__detail">CSV – {plural(run.rejected, 'ligne rejetée', 'lignes rejetées')}</span>
            </a>
          </p>
          <Rejects run={run} />
        </>
      ) : (
        run.status === 'done' && <p>Aucune ligne rejetée.</p>
      )}
    </section>
  );
}
