// /imports/:id — one past import: counters, rejects, report.
import { Breadcrumb } from '@codegouvfr/react-dsfr/Breadcrumb';
import { useEffect } from 'react';
import { api } from '../../api.ts';
import { ImportResult } from '../../components/imports/ImportResult.tsx';
import { Loading } from '../../components/Loading.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useAsync, usePageTitle } from '../../hooks.ts';

export function ImportPage({ params }: { params: Record<string, string> }) {
  const id = params.id ?? '';
  const run = useAsync(() => api.importRun(id), [id]);
  const title = run.data ? `Import « ${run.data.fileName} »` : 'Import';
  const headingRef = usePageTitle(title);

  // A run still in progress: refresh every two seconds.
  const running = run.data?.status === 'running';
  useEffect(() => {
    if (!running) return;
    const t = window.setInterval(run.reload, 2000);
    return () => window.clearInterval(t);
  }, [running, run.reload]);

  return (
    <>
      <Breadcrumb
        currentPageLabel={title}
        homeLinkProps={{ href: '/' }}
        segments={[{ label: 'Import du flux SIRH', linkProps: { href: '/imports' } }]}
      />
      <h1 ref={headingRef} tabIndex={-1}>
        {title}
      </h1>
      <ProblemAlert error={run.error} title="Impossible d’afficher l’import" />
      {run.loading && !run.data && <Loading />}
      {run.data && <ImportResult run={run.data} />}
    </>
  );
}
