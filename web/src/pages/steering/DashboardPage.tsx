// /dossiers/tableau-de-bord — the processing centre's dashboard (seed 003 annex II): 12 rolling months of
// the means, the activity and the warning indicators, each chart followed by its table; CSV and PDF
// exports; the « recueil des tableaux de bord »; for the head of centre, the monthly entry of the
// figures outside the platform and the thresholds of the warning indicators.
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useState, type FormEvent, type ReactNode } from 'react';
import { ENTRY_FIELDS, monthLabel } from '../../../../src/domain/steering.ts';
import type { Centre } from '../../backofficeApi.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { FigureChart, type Series } from '../../components/FigureChart.tsx';
import { Loading } from '../../components/Loading.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { formatDateTime } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { can } from '../../permissions.ts';
import { useRequiredSession } from '../../session.tsx';
import { steeringApi, type CentreDashboard, type CentreMonth, type MonthlyFigures } from '../../steeringApi.ts';
import { WithCentre } from '../backoffice/common.tsx';

export function DashboardPage() {
  const headingRef = usePageTitle('Tableau de bord du centre');
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Tableau de bord du centre
      </h1>
      <WithCentre>{(centre) => <Dashboard centre={centre} />}</WithCentre>
    </>
  );
}

const fr = (v: number | null | undefined) =>
  v === null || v === undefined ? '—' : v.toLocaleString('fr-FR', { maximumFractionDigits: 1 });
const short = (m: string) => `${m.slice(5, 7)}/${m.slice(2, 4)}`;

interface Row {
  label: string;
  value: (m: CentreMonth) => number | null | undefined;
}

/** A chart of some rows, then the table of the same rows (months in columns). */
function Figures(props: {
  title: string;
  d: CentreDashboard;
  rows: Row[];
  chart?: Row[];
  kind?: 'bar' | 'line';
  threshold?: number | null;
}) {
  const labels = props.d.months.map((m) => short(m.month));
  const series: Series[] = (props.chart ?? props.rows).map((r) => ({
    label: r.label,
    data: props.d.months.map((m) => r.value(m) ?? null),
  }));
  return (
    <section className="fr-mb-4w">
      <h3>{props.title}</h3>
      <FigureChart title={props.title} labels={labels} series={series} kind={props.kind} threshold={props.threshold} />
      <DataTable
        caption={`${props.title} — valeurs par mois`}
        headers={['Indicateur', ...props.d.months.map((m) => monthLabel(m.month))]}
        rowHeader
        bordered
        rows={props.rows.map((r) => [r.label, ...props.d.months.map((m) => fr(r.value(m)))])}
      />
    </section>
  );
}

function Dashboard(props: { centre: Centre }) {
  const session = useRequiredSession();
  const [version, setVersion] = useState(0);
  const d = useAsync(() => steeringApi.dashboard(props.centre.id), [props.centre.id, version]);
  const head = can(session, 'backoffice.review');
  if (d.error) return <ProblemAlert error={d.error} />;
  if (!d.data) return <Loading />;
  const data = d.data;
  const threshold = (key: string) => data.warnings.find((w) => w.key === key)?.threshold ?? null;
  const red = data.warnings.filter((w) => w.red);
  return (
    <>
      <p>
        12 mois glissants, de {monthLabel(data.months[0]!.month)} à{' '}
        {monthLabel(data.months[data.months.length - 1]!.month)}. Chiffres mis à jour le{' '}
        {formatDateTime(data.refreshedAt)} (toutes les dix minutes).
      </p>
      <ul className="fr-btns-group fr-btns-group--inline-md">
        <li>
          <a className="fr-btn fr-btn--secondary" href={steeringApi.dashboardHref(props.centre.id, 'csv')} download>
            Télécharger (CSV)
          </a>
        </li>
        <li>
          <a className="fr-btn fr-btn--secondary" href={steeringApi.dashboardHref(props.centre.id, 'pdf')} download>
            Télécharger (PDF)
          </a>
        </li>
      </ul>

      <h2>Les clignotants</h2>
      <p role="status">
        {red.length === 0
          ? 'Aucun clignotant au rouge ce mois-ci.'
          : `${red.length} clignotant${red.length > 1 ? 's' : ''} au rouge ce mois-ci.`}
      </p>
      <DataTable
        caption="Clignotants du mois en cours et leurs seuils"
        headers={['Indicateur', 'Valeur du mois', 'Seuil', 'État']}
        rowHeader
        rows={data.warnings.map((w) => [
          w.label,
          `${fr(w.value)} ${w.value === null ? '' : w.unit}`,
          w.threshold === null ? 'Aucun' : `${fr(w.threshold)} ${w.unit}`,
          w.red ? (
            <Badge severity="error">Au rouge</Badge>
          ) : w.threshold === null ? (
            <Badge>Sans seuil</Badge>
          ) : (
            <Badge severity="success">Sous le seuil</Badge>
          ),
        ])}
      />
      <Figures
        title="Taux de contrôles ayant révélé une anomalie (%)"
        d={data}
        kind="line"
        threshold={threshold('controlAnomalyRate')}
        rows={[
          { label: 'Contrôles ayant révélé une anomalie (%)', value: (m) => m.warnings.controlAnomalyRate },
          { label: 'Anomalie des montants contrôlés (%)', value: (m) => m.warnings.amountAnomalyRate },
        ]}
      />
      <Figures
        title="Durée moyenne de traitement (jours, de la réception au transfert)"
        d={data}
        kind="line"
        threshold={threshold('averageDays')}
        rows={[
          { label: 'Toutes natures', value: (m) => m.warnings.averageDays },
          ...data.kinds.map((k) => ({
            label: k.label,
            value: (m: CentreMonth) => m.warnings.averageDaysByKind[k.code],
          })),
        ]}
        chart={[{ label: 'Toutes natures', value: (m) => m.warnings.averageDays }]}
      />
      <Figures
        title="Dossiers retournés et mouvements rejetés"
        d={data}
        rows={[
          { label: 'Dossiers retournés aux formations (Z 98)', value: (m) => m.warnings.returnedFiles },
          { label: 'Mouvements rejetés par le CIC', value: (m) => m.warnings.rejectedByPayingCentre },
          { label: 'Poursuites de dettes en cours', value: (m) => m.warnings.debtRecoveries },
        ]}
      />
      <Figures
        title="Trop-perçus d’indemnités de déplacement par cause (%)"
        d={data}
        rows={[
          { label: 'États RTFD reçus du CIC', value: (m) => m.warnings.overpayments },
          { label: 'Imputables au service (%)', value: (m) => m.warnings.overpaymentServiceRate },
          { label: 'Imputables aux administrés (%)', value: (m) => m.warnings.overpaymentHoldersRate },
          { label: 'Imputables aux formations (%)', value: (m) => m.warnings.overpaymentUnitsRate },
          { label: 'Imputables à d’autres causes (%)', value: (m) => m.warnings.overpaymentOtherRate },
          { label: 'Montant des trop-perçus (€)', value: (m) => m.warnings.overpaymentAmount },
        ]}
        chart={[
          { label: 'Service', value: (m) => m.warnings.overpaymentServiceRate },
          { label: 'Administrés', value: (m) => m.warnings.overpaymentHoldersRate },
          { label: 'Formations', value: (m) => m.warnings.overpaymentUnitsRate },
          { label: 'Autres causes', value: (m) => m.warnings.overpaymentOtherRate },
        ]}
      />

      <h2>L’activité</h2>
      <Figures
        title="Dossiers enregistrés, décomptes et contrôles"
        d={data}
        rows={[
          { label: 'Dossiers enregistrés', value: (m) => m.activity.registered },
          { label: 'Décomptes (dossiers traités)', value: (m) => m.activity.processed },
          { label: 'Contrôles', value: (m) => m.activity.controlled },
        ]}
      />

      <h2>Les moyens</h2>
      <Figures
        title="Effectifs"
        d={data}
        kind="line"
        rows={[
          { label: 'Effectif au plan d’armement', value: (m) => m.means.planned },
          { label: 'dont militaires (plan)', value: (m) => m.means.plannedMilitary },
          { label: 'dont ventilé décompteurs', value: (m) => m.means.plannedProcessing },
          { label: 'Effectif réalisé', value: (m) => m.means.actual },
          { label: 'dont militaires (réalisé)', value: (m) => m.means.actualMilitary },
          { label: 'Effectif disponible', value: (m) => m.means.available },
          { label: 'dont décompteurs', value: (m) => m.means.availableProcessing },
          { label: 'Taux d’encadrement (%)', value: (m) => m.means.supervisionRate },
          { label: 'Jours au plan d’armement réserve', value: (m) => m.means.reserveDaysPlanned },
          { label: 'Jours de période réalisés', value: (m) => m.means.reserveDaysDone },
        ]}
        chart={[
          { label: 'Plan d’armement', value: (m) => m.means.planned },
          { label: 'Réalisé', value: (m) => m.means.actual },
          { label: 'Disponible', value: (m) => m.means.available },
        ]}
      />
      <p className="fr-text--sm">
        Méthodologie (annexe II, appendice II.B) : effectif disponible = effectif réalisé + MPE au centre − MPE hors
        centre − personnel absent durant tout le mois ; taux d’encadrement = (officiers + agents civils cadre A + BS +
        BST + agents civils cadre B) réalisé / effectif réalisé × 100 ; taux de contrôles ayant révélé une anomalie =
        contrôles avec anomalie / contrôles × 100 (en attendant les fiches de contrôle : auto-contrôles renvoyés en
        traitement) ; durée moyenne de traitement : de la date incluse de réception à la date incluse de transfert.
      </p>

      {head && (
        <>
          <EntryForm
            centre={props.centre}
            months={data.months.map((m) => m.month)}
            onSaved={() => setVersion((v) => v + 1)}
          />
          <ThresholdForm centre={props.centre} d={data} onSaved={() => setVersion((v) => v + 1)} />
        </>
      )}
      <Archive centre={props.centre} />
    </>
  );
}

function Section(props: { title: string; children: ReactNode }) {
  return (
    <section className="fr-mt-4w">
      <h2>{props.title}</h2>
      {props.children}
    </section>
  );
}

function EntryForm(props: { centre: Centre; months: string[]; onSaved: () => void }) {
  const [month, setMonth] = useState(props.months[props.months.length - 1]!);
  const current = useAsync(() => steeringApi.figures(props.centre.id, month), [props.centre.id, month]);
  const [values, setValues] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const shown = (key: string) => values[key] ?? (current.data?.[key as keyof MonthlyFigures] ?? '').toString();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setSaved(false);
    const figures: Record<string, number | null> = {};
    for (const f of ENTRY_FIELDS) {
      const v = shown(f.key).trim();
      figures[f.key] = v === '' ? null : Number(v);
    }
    try {
      await steeringApi.enterFigures(props.centre.id, month, figures as MonthlyFigures);
      setSaved(true);
      setValues({});
      props.onSaved();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Section title="Saisie des chiffres du mois (hors plateforme)">
      <form onSubmit={submit} aria-label="Saisie des chiffres du mois">
        <Select
          label="Mois"
          nativeSelectProps={{
            value: month,
            onChange: (e) => {
              setMonth(e.target.value);
              setValues({});
              setSaved(false);
            },
          }}
        >
          {props.months.map((m) => (
            <option key={m} value={m}>
              {monthLabel(m)}
            </option>
          ))}
        </Select>
        <div className="fr-grid-row fr-grid-row--gutters">
          {ENTRY_FIELDS.map((f) => (
            <div key={f.key} className="fr-col-12 fr-col-md-6 fr-col-lg-4">
              <Input
                label={f.label}
                nativeInputProps={{
                  type: 'number',
                  min: 0,
                  step: 1,
                  inputMode: 'numeric',
                  value: shown(f.key),
                  onChange: (e) => setValues((v) => ({ ...v, [f.key]: e.target.value })),
                }}
              />
            </div>
          ))}
        </div>
        {error !== null && <ProblemAlert error={error} title="Chiffres non enregistrés" />}
        {saved && (
          <p role="status" className="fr-message fr-message--valid">
            Chiffres de {monthLabel(month)} enregistrés.
          </p>
        )}
        <Button type="submit">Enregistrer les chiffres du mois</Button>
      </form>
    </Section>
  );
}

function ThresholdForm(props: { centre: Centre; d: CentreDashboard; onSaved: () => void }) {
  const [values, setValues] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setSaved(false);
    try {
      for (const w of props.d.warnings) {
        const v = values[w.key];
        if (v === undefined) continue;
        await steeringApi.setThreshold(props.centre.id, w.key, v.trim() === '' ? null : Number(v));
      }
      setSaved(true);
      setValues({});
      props.onSaved();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Section title="Seuils des clignotants">
      <p>Un clignotant passe au rouge au-delà de son seuil ; vous en êtes averti par courriel, une fois par mois.</p>
      <form onSubmit={submit} aria-label="Seuils des clignotants">
        <div className="fr-grid-row fr-grid-row--gutters">
          {props.d.warnings.map((w) => (
            <div key={w.key} className="fr-col-12 fr-col-md-6">
              <Input
                label={`${w.label} (${w.unit})`}
                hintText="Laisser vide : pas de seuil"
                nativeInputProps={{
                  type: 'number',
                  min: 0,
                  step: 'any',
                  value: values[w.key] ?? (w.threshold === null ? '' : String(w.threshold)),
                  onChange: (e) => setValues((v) => ({ ...v, [w.key]: e.target.value })),
                }}
              />
            </div>
          ))}
        </div>
        {error !== null && <ProblemAlert error={error} title="Seuils non enregistrés" />}
        {saved && (
          <p role="status" className="fr-message fr-message--valid">
            Seuils enregistrés.
          </p>
        )}
        <Button type="submit">Enregistrer les seuils</Button>
      </form>
    </Section>
  );
}

function Archive(props: { centre: Centre }) {
  const a = useAsync(() => steeringApi.archive(props.centre.id), [props.centre.id]);
  return (
    <Section title="Recueil des tableaux de bord">
      {a.error ? (
        <ProblemAlert error={a.error} />
      ) : !a.data ? (
        <Loading />
      ) : a.data.items.length === 0 ? (
        <p>Aucun tableau de bord archivé pour l’instant (archivage le premier jour de chaque mois).</p>
      ) : (
        <DataTable
          caption="Tableaux de bord archivés, un par mois"
          headers={['Mois', 'Archivé le', 'Documents']}
          rowHeader
          rows={a.data.items.map((i) => [
            monthLabel(i.month),
            formatDateTime(i.createdAt),
            <>
              <a href={steeringApi.archivedHref(i.id, 'csv')} download>
                CSV<span className="fr-sr-only"> de {monthLabel(i.month)}</span>
              </a>
              {' · '}
              <a href={steeringApi.archivedHref(i.id, 'pdf')} download>
                PDF<span className="fr-sr-only"> de {monthLabel(i.month)}</span>
              </a>
            </>,
          ])}
        />
      )}
    </Section>
  );
}
