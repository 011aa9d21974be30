// /dossiers — « Recherche des dossiers » and /dossiers/bureaux/:id — an office's queue: the files with
// their situation, office, age and priority, filtered in the URL (kind, situation, priority, age).
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useEffect, useState, type FormEvent } from 'react';
import { withQuery } from '../../api.ts';
import { backofficeApi, euros, STATUS_LABELS, type Centre, type FileSummary } from '../../backofficeApi.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { hrefWith, Pager } from '../../components/Pager.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { Loading } from '../../components/Loading.tsx';
import { formatDate, plural } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { Link, navigate, useLocation, useSearchParams } from '../../router.tsx';
import { PriorityBadge, StatusBadge, WithCentre } from './common.tsx';

const PAGE_SIZE = 25;

interface Filters {
  q: string;
  kind: string;
  status: string;
  priority: string;
  age: string;
}

function useFilters(): Filters & { page: number } {
  const sp = useSearchParams();
  return {
    q: sp.get('q') ?? '',
    kind: sp.get('type') ?? '',
    status: sp.get('situation') ?? '',
    priority: sp.get('priorite') ?? '',
    age: sp.get('anciennete') ?? '',
    page: Math.max(1, Number(sp.get('page')) || 1),
  };
}

function FilterForm(props: { filters: Filters; label: string; officeView?: boolean }) {
  const { pathname, search } = useLocation();
  const [form, setForm] = useState<Filters>(props.filters);
  useEffect(
    () => setForm(props.filters),
    [props.filters.q, props.filters.kind, props.filters.status, props.filters.priority, props.filters.age],
  );
  const kinds = useAsync(() => backofficeApi.kinds(), []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const keep = new URLSearchParams(search).get('centre');
    navigate(
      withQuery(pathname, {
        centre: keep,
        q: form.q.trim(),
        type: form.kind,
        situation: form.status,
        priorite: form.priority,
        anciennete: form.age,
      }),
    );
  };
  const set = (k: keyof Filters) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  return (
    <form role="search" aria-label={props.label} onSubmit={submit} className="fr-mb-4w">
      <div className="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom">
        <div className="fr-col-12 fr-col-md-4">
          <Input
            label="Dossier ou administré"
            hintText="Numéro, nom, identifiant ou référence"
            nativeInputProps={{ type: 'search', name: 'q', value: form.q, onChange: set('q') }}
          />
        </div>
        <div className="fr-col-12 fr-col-md-4">
          <Select label="Type de dossier" nativeSelectProps={{ name: 'type', value: form.kind, onChange: set('kind') }}>
            <option value="">Tous les types</option>
            {(kinds.data?.items ?? []).map((k) => (
              <option key={k.code} value={k.code}>
                {k.label}
              </option>
            ))}
          </Select>
        </div>
        <div className="fr-col-12 fr-col-md-4">
          <Select
            label="Situation"
            nativeSelectProps={{ name: 'situation', value: form.status, onChange: set('status') }}
          >
            <option value="">{props.officeView ? 'Dossiers du bureau à traiter' : 'Toutes les situations'}</option>
            {Object.entries(STATUS_LABELS).map(([code, text]) => (
              <option key={code} value={code}>
                {text}
              </option>
            ))}
          </Select>
        </div>
        <div className="fr-col-12 fr-col-md-4">
          <Select
            label="Priorité"
            nativeSelectProps={{ name: 'priorite', value: form.priority, onChange: set('priority') }}
          >
            <option value="">Toutes</option>
            <option value="absolute">Priorité absolue</option>
            <option value="relative">Priorité relative</option>
            <option value="normal">Normale</option>
          </Select>
        </div>
        <div className="fr-col-12 fr-col-md-4">
          <Input
            label="Ancienneté minimale (jours)"
            nativeInputProps={{
              type: 'number',
              min: 0,
              max: 3650,
              name: 'anciennete',
              value: form.age,
              onChange: set('age'),
            }}
          />
        </div>
        <div className="fr-col-12 fr-col-md-4">
          <Button type="submit" iconId="fr-icon-search-line" className="fr-mb-3v">
            Rechercher
          </Button>
        </div>
      </div>
    </form>
  );
}

export function FileTable(props: { items: FileSummary[]; caption: string; withOffice?: boolean }) {
  return (
    <DataTable
      caption={props.caption}
      hideCaption
      headers={[
        'Dossier',
        'Type',
        'Administré',
        'Formation',
        ...(props.withOffice ? ['Bureau'] : []),
        'Situation',
        'Priorité',
        'Ancienneté',
        'Montant',
      ]}
      rowKeys={props.items.map((f) => f.id)}
      rows={props.items.map((f) => [
        <Link key="n" href={`/dossiers/${f.id}`}>
          {f.number}
        </Link>,
        f.kindLabel,
        f.personName,
        f.sendingOrganization.name,
        ...(props.withOffice ? [f.office?.name ?? '—'] : []),
        <StatusBadge key="s" status={f.status} />,
        <PriorityBadge key="p" priority={f.priority} />,
        <span key="a" className={f.overdue ? 'ca-ko' : undefined}>
          {plural(f.ageDays, 'jour', 'jours')}
          {f.dueOn ? ` (échéance ${formatDate(f.dueOn)})` : ''}
        </span>,
        euros(f.amountCents),
      ])}
    />
  );
}

function Results(props: {
  centre: Centre | null;
  officeId?: string;
  filters: Filters & { page: number };
  officeView?: boolean;
}) {
  const f = props.filters;
  const results = useAsync(
    () =>
      backofficeApi.files({
        centreId: props.centre?.id,
        officeId: props.officeId,
        q: f.q || undefined,
        kind: f.kind || undefined,
        status: f.status || (props.officeView ? 'routed,in_progress,deferred,processed,checked' : undefined),
        priority: (f.priority || undefined) as 'normal' | 'relative' | 'absolute' | undefined,
        minAgeDays: f.age ? Number(f.age) : undefined,
        page: f.page,
        pageSize: PAGE_SIZE,
      }),
    [props.centre?.id, props.officeId, f.q, f.kind, f.status, f.priority, f.age, f.page],
  );
  if (results.error) return <ProblemAlert error={results.error} />;
  if (!results.data) return <Loading />;
  const d = results.data;
  return (
    <>
      <p role="status">{plural(d.total, 'dossier', 'dossiers')}</p>
      {d.items.length > 0 && <FileTable items={d.items} caption="Dossiers" withOffice={!props.officeId} />}
      <Pager total={d.total} page={d.page} pageSize={d.pageSize} href={(p) => hrefWith({ page: p })} />
    </>
  );
}

export function FilesPage() {
  const headingRef = usePageTitle('Recherche des dossiers');
  const filters = useFilters();
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Recherche des dossiers
      </h1>
      <WithCentre
        withoutCentre={() => (
          // A unit sees where the files it sent stand.
          <>
            <p>Les dossiers envoyés par vos formations aux centres de traitement.</p>
            <FilterForm filters={filters} label="Rechercher des dossiers" />
            <Results centre={null} filters={filters} />
          </>
        )}
      >
        {(centre) => (
          <>
            <p>{centre.name} — chacun peut connaître la situation de chaque dossier au sein du centre.</p>
            <FilterForm filters={filters} label="Rechercher des dossiers" />
            <Results centre={centre} filters={filters} />
          </>
        )}
      </WithCentre>
    </>
  );
}

export function QueuesPage() {
  const headingRef = usePageTitle('Files des bureaux de traitement');
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Files des bureaux de traitement
      </h1>
      <WithCentre>{(centre) => <Queues centre={centre} />}</WithCentre>
    </>
  );
}

const COUNTED: [string, string][] = [
  ['routed', 'À prendre'],
  ['in_progress', 'En traitement'],
  ['deferred', 'Différés'],
  ['processed', 'À auto-contrôler'],
  ['checked', 'À transférer ou archiver'],
];

function Queues(props: { centre: Centre }) {
  const q = useAsync(() => backofficeApi.queues(props.centre.id), [props.centre.id]);
  if (q.error) return <ProblemAlert error={q.error} />;
  if (!q.data) return <Loading />;
  const offices = q.data.offices.filter((o) => o.function === 'processing');
  return (
    <DataTable
      caption={`Bureaux de traitement de ${props.centre.name}`}
      headers={['Bureau', ...COUNTED.map(([, l]) => l)]}
      rowHeader
      rowKeys={offices.map((o) => o.id)}
      rows={offices.map((o) => [
        <Link key="o" href={`/dossiers/bureaux/${o.id}`}>
          {o.name}
        </Link>,
        ...COUNTED.map(([s]) => String(o.counts[s] ?? 0)),
      ])}
    />
  );
}

export { Results as OfficeResults, FilterForm, useFilters };
