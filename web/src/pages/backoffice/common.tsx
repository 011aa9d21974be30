// Shared parts of the back office pages (seed 003): the centre the person works in, the section's
// menu, status and priority badges.
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Select } from '@codegouvfr/react-dsfr/Select';
import type { ReactNode } from 'react';
import { backofficeApi, PRIORITY_LABELS, STATUS_LABELS, type Centre } from '../../backofficeApi.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { Loading } from '../../components/Loading.tsx';
import { useAsync } from '../../hooks.ts';
import { navigate, useLocation, useSearchParams } from '../../router.tsx';

/** The centre shown: `?centre=` or the first the person works in (most people have one). */
export function useCentre(): { centre: Centre | undefined; centres: Centre[]; error: unknown; loading: boolean } {
  const sp = useSearchParams();
  const wanted = sp.get('centre');
  const all = useAsync(() => backofficeApi.centres(), []);
  const centres = all.data?.items ?? [];
  const centre = centres.find((c) => c.id === wanted) ?? centres[0];
  return { centre, centres, error: all.error, loading: all.loading };
}

/** Loading, error or « no centre » states, or the page with its centre. */
export function WithCentre(props: { children: (centre: Centre) => ReactNode; withoutCentre?: () => ReactNode }) {
  const { centre, centres, error, loading } = useCentre();
  const { pathname, search } = useLocation();
  if (error) return <ProblemAlert error={error} />;
  if (loading) return <Loading />;
  if (!centre) return props.withoutCentre?.() ?? <p>Vous ne travaillez dans aucun centre de traitement.</p>;
  return (
    <>
      {centres.length > 1 && (
        <Select
          label="Centre de traitement"
          nativeSelectProps={{
            value: centre.id,
            onChange: (e) => {
              const q = new URLSearchParams(search);
              q.set('centre', e.target.value);
              navigate(`${pathname}?${q.toString()}`);
            },
          }}
        >
          {centres.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </Select>
      )}
      {props.children(centre)}
    </>
  );
}

const SEVERITY: Record<string, 'success' | 'error' | 'info' | 'warning' | 'new' | undefined> = {
  received: 'new',
  registered: 'info',
  routed: 'info',
  in_progress: 'info',
  deferred: 'warning',
  processed: 'new',
  checked: 'success',
  transferred: 'success',
  archived: 'success',
  returned: 'error',
};

export function StatusBadge(props: { status: string }) {
  return (
    <Badge small noIcon severity={SEVERITY[props.status]}>
      {STATUS_LABELS[props.status as keyof typeof STATUS_LABELS] ?? props.status}
    </Badge>
  );
}

export function PriorityBadge(props: { priority: string }) {
  if (props.priority === 'normal') return <span>{PRIORITY_LABELS.normal}</span>;
  return (
    <Badge small severity={props.priority === 'absolute' ? 'error' : 'warning'}>
      {PRIORITY_LABELS[props.priority as keyof typeof PRIORITY_LABELS] ?? props.priority}
    </Badge>
  );
}
