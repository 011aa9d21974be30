// Plan d'attribution des cartes of an organisation, for a chosen year.
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useState } from 'react';
import { api } from '../../api.ts';
import { useAsync } from '../../hooks.ts';
import { Link } from '../../router.tsx';
import { DataTable } from '../DataTable.tsx';
import { Loading } from '../Loading.tsx';
import { ProblemAlert } from '../ProblemAlert.tsx';

export function AllocationPlanSection(props: { organizationId: string }) {
  const thisYear = new Date().getFullYear();
  const [year, setYear] = useState(thisYear);
  const plan = useAsync(() => api.allocationPlan(props.organizationId, year), [props.organizationId, year]);
  const years = [thisYear - 2, thisYear - 1, thisYear, thisYear + 1];
  return (
    <section aria-labelledby="plan-title" className="fr-mb-6w">
      <h2 id="plan-title">Plan d’attribution</h2>
      <div className="fr-grid-row">
        <div className="fr-col-12 fr-col-sm-6 fr-col-md-3">
          <Select
            label="Année"
            nativeSelectProps={{ value: String(year), onChange: (e) => setYear(Number(e.target.value)) }}
          >
            {years.map((y) => (
              <option key={y} value={y}>
                {y}
              </option>
            ))}
          </Select>
        </div>
      </div>
      <ProblemAlert error={plan.error} title="Impossible de charger le plan d’attribution" />
      {plan.loading && <Loading />}
      {plan.data &&
        !plan.loading &&
        (plan.data.items.length === 0 ? (
          <p className="fr-mt-2w">Aucun agent n’est inscrit au plan d’attribution {year}.</p>
        ) : (
          <DataTable
            caption={`Plan d’attribution ${year}`}
            headers={['Agent', 'Identifiant', 'Année', 'Motif']}
            rowKeys={plan.data.items.map((e) => e.id)}
            rows={plan.data.items.map((e) => [
              <Link href={`/agents/${encodeURIComponent(e.agentId)}`}>{e.agentName}</Link>,
              <span className="ca-code">{e.identifier}</span>,
              String(e.year),
              e.reason ?? '—',
            ])}
          />
        ))}
    </section>
  );
}
