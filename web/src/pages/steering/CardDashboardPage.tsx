// /pilotage/cartes — the card programme's dashboard (seed 003 annex II applied to the cards): the whole
// programme for the national administrator, control and audit; its own organisation for a
// registration authority. 12 rolling months, each chart followed by its table.
import { Select } from '@codegouvfr/react-dsfr/Select';
import { monthLabel } from '../../../../src/domain/steering.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { FigureChart } from '../../components/FigureChart.tsx';
import { Loading } from '../../components/Loading.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { formatDateTime } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { navigate, useSearchParams } from '../../router.tsx';
import { useRequiredSession } from '../../session.tsx';
import { steeringApi, type CardDashboard } from '../../steeringApi.ts';

const fr = (v: number | null | undefined) =>
  v === null || v === undefined ? '—' : v.toLocaleString('fr-FR', { maximumFractionDigits: 1 });
const short = (m: string) => `${m.slice(5, 7)}/${m.slice(2, 4)}`;

export function CardDashboardPage() {
  const headingRef = usePageTitle('Tableau de bord des cartes');
  const session = useRequiredSession();
  const sp = useSearchParams();
  const national = session.roles.some((r) => ['admin', 'controller', 'auditor'].includes(r.role));
  const own = session.roles.filter((r) => r.role === 'registration_authority');
  const choices = [
    ...(national ? [{ id: '', name: 'Ensemble du programme' }] : []),
    ...own.map((r) => ({ id: r.organizationId, name: r.organizationName })),
  ];
  const chosen = sp.get('organisation') ?? choices[0]?.id ?? '';
  const d = useAsync(() => steeringApi.cards(chosen || undefined), [chosen]);
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Tableau de bord des cartes
      </h1>
      {choices.length > 1 && (
        <Select
          label="Périmètre"
          nativeSelectProps={{
            value: chosen,
            onChange: (e) => navigate(`/pilotage/cartes?organisation=${encodeURIComponent(e.target.value)}`),
          }}
        >
          {choices.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </Select>
      )}
      {d.error ? <ProblemAlert error={d.error} /> : !d.data ? <Loading /> : <Cards d={d.data} />}
    </>
  );
}

function Cards(props: { d: CardDashboard }) {
  const { d } = props;
  const labels = d.months.map((m) => short(m.month));
  const headers = ['Indicateur', ...d.months.map((m) => monthLabel(m.month))];
  const reasons = [...new Set(d.months.flatMap((m) => Object.keys(m.revokedByReason)))].sort();
  return (
    <>
      <p>
        {d.organizationName} — 12 mois glissants. Chiffres mis à jour le {formatDateTime(d.refreshedAt)}.
      </p>
      <ul className="fr-grid-row fr-grid-row--gutters ca-unstyled-list">
        <li className="fr-col-12 fr-col-md-6">
          <p className="fr-h4 fr-mb-0">
            {d.waitingOver48h.exact ? '' : 'plus de '}
            {fr(d.waitingOver48h.count)}
          </p>
          <p>cartes en attente de remise depuis plus de 48 heures</p>
        </li>
        <li className="fr-col-12 fr-col-md-6">
          <p className="fr-h4 fr-mb-0">
            {d.expiringWithin30Days.exact ? '' : 'plus de '}
            {fr(d.expiringWithin30Days.count)}
          </p>
          <p>certificats expirant dans les 30 jours</p>
        </li>
      </ul>
      <h2>Cycle de vie des cartes</h2>
      <FigureChart
        title="Cartes commandées, produites, remises, activées, révoquées"
        labels={labels}
        series={[
          { label: 'Commandées', data: d.months.map((m) => m.ordered) },
          { label: 'Produites', data: d.months.map((m) => m.produced) },
          { label: 'Remises', data: d.months.map((m) => m.handedOver) },
          { label: 'Activées', data: d.months.map((m) => m.activated) },
          { label: 'Révoquées', data: d.months.map((m) => m.revoked) },
        ]}
      />
      <DataTable
        caption="Cycle de vie des cartes — valeurs par mois"
        headers={headers}
        rowHeader
        bordered
        rows={[
          ['Cartes commandées', ...d.months.map((m) => fr(m.ordered))],
          ['Cartes produites', ...d.months.map((m) => fr(m.produced))],
          ['Cartes remises', ...d.months.map((m) => fr(m.handedOver))],
          ['Cartes activées', ...d.months.map((m) => fr(m.activated))],
          ['Cartes révoquées', ...d.months.map((m) => fr(m.revoked))],
          ...reasons.map((r) => [
            `dont ${d.reasonLabels[r] ?? r}`,
            ...d.months.map((m) => fr(m.revokedByReason[r] ?? 0)),
          ]),
          ['Délai moyen de la commande à la remise (jours)', ...d.months.map((m) => fr(m.averageHandoverDays))],
          ['Facturation (€)', ...d.months.map((m) => fr(m.billedCents / 100))],
        ]}
      />
      <h2>Délai de la commande à la remise</h2>
      <FigureChart
        title="Délai moyen de la commande à la remise (jours)"
        kind="line"
        labels={labels}
        series={[{ label: 'Jours', data: d.months.map((m) => m.averageHandoverDays) }]}
      />
      <DataTable
        caption="Délai moyen de la commande à la remise — valeurs par mois"
        headers={headers}
        rowHeader
        bordered
        rows={[['Jours', ...d.months.map((m) => fr(m.averageHandoverDays))]]}
      />
    </>
  );
}
