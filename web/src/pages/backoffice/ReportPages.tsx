// /dossiers/archives — the archive register and the transfers of archives;
// /dossiers/anciennete — files registered for more than 30 days and not archived, per office, with
// the head of centre's « compte rendu d'exploitation » (annex III);
// /dossiers/depenses — monthly statement of the delegating authorities' expenses.
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { useState, type FormEvent } from 'react';
import { backofficeApi, euros, type AgeingRecord, type Centre } from '../../backofficeApi.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { Loading } from '../../components/Loading.tsx';
import { hrefWith, Pager } from '../../components/Pager.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { formatDate, formatDateTime, plural, todayIso } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { can } from '../../permissions.ts';
import { Link, navigate, useSearchParams } from '../../router.tsx';
import { useRequiredSession } from '../../session.tsx';
import { PriorityBadge, StatusBadge, WithCentre } from './common.tsx';

// ---------------------------------------------------------------------------------------------
// Archive register

export function ArchivePage() {
  const headingRef = usePageTitle('Registre des archives');
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Registre des archives
      </h1>
      <WithCentre>{(centre) => <Archive centre={centre} />}</WithCentre>
    </>
  );
}

function Archive(props: { centre: Centre }) {
  const sp = useSearchParams();
  const q = sp.get('q') ?? '';
  const page = Math.max(1, Number(sp.get('page')) || 1);
  const [form, setForm] = useState(q);
  const session = useRequiredSession();
  const register = useAsync(
    () => backofficeApi.archiveRegister({ centreId: props.centre.id, q: q || undefined, page }),
    [props.centre.id, q, page],
  );
  const transfers = useAsync(() => backofficeApi.archiveTransfers(props.centre.id), [props.centre.id]);
  const [versement, setVersement] = useState({
    destination: 'Service historique de la défense',
    reference: '',
    archivedBefore: '',
  });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await backofficeApi.transferArchives({ centreId: props.centre.id, ...versement });
      transfers.reload();
      register.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <form
        role="search"
        aria-label="Rechercher dans le registre des archives"
        className="fr-mb-3w"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(hrefWith({ q: form.trim(), page: null }));
        }}
      >
        <div className="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom">
          <div className="fr-col-12 fr-col-md-8">
            <Input
              label="Dossier, administré, boîte ou référence"
              nativeInputProps={{ type: 'search', value: form, onChange: (e) => setForm(e.target.value) }}
            />
          </div>
          <div className="fr-col-12 fr-col-md-4">
            <Button type="submit" iconId="fr-icon-search-line" className="fr-mb-3v">
              Rechercher
            </Button>
          </div>
        </div>
      </form>
      {register.error ? (
        <ProblemAlert error={register.error} />
      ) : !register.data ? (
        <Loading />
      ) : (
        <>
          <p role="status">{plural(register.data.total, 'dossier archivé', 'dossiers archivés')}</p>
          <DataTable
            caption="Registre des archives"
            hideCaption
            headers={['Dossier', 'Type', 'Administré', 'Formation', 'Emplacement', 'Archivé le', 'Par', 'Versement']}
            rowKeys={register.data.items.map((e) => e.fileId)}
            rows={register.data.items.map((e) => [
              <Link key="n" href={`/dossiers/${e.fileId}`}>
                {e.number}
              </Link>,
              e.kindLabel,
              e.personName,
              e.sendingOrganizationName,
              e.locationKind === 'box'
                ? `Boîte ${e.box ?? ''}${e.shelf ? `, ${e.shelf}` : ''}`
                : `Numérique : ${e.reference ?? ''}`,
              formatDateTime(e.archivedAt),
              e.archivedBy ?? '—',
              e.transfer ? `${e.transfer.number}` : '—',
            ])}
          />
          <Pager
            total={register.data.total}
            page={register.data.page}
            pageSize={register.data.pageSize}
            href={(p) => hrefWith({ page: p })}
          />
        </>
      )}
      <h2 className="fr-mt-4w">Versements d’archives</h2>
      {transfers.data && transfers.data.items.length > 0 ? (
        <DataTable
          caption="Versements d’archives"
          hideCaption
          headers={['Versement', 'Destinataire', 'Référence', 'Dossiers', 'Le', 'Par']}
          rows={transfers.data.items.map((t) => [
            t.number,
            t.destination,
            t.reference ?? '—',
            String(t.fileCount),
            formatDateTime(t.transferredAt),
            t.transferredBy ?? '—',
          ])}
        />
      ) : (
        <p>Aucun versement enregistré.</p>
      )}
      {can(session, 'caseFile.archive') && (
        <form onSubmit={(e) => void submit(e)} aria-labelledby="nouveau-versement">
          <h3 id="nouveau-versement" className="fr-h6">
            Enregistrer un versement
          </h3>
          <ProblemAlert error={error} />
          <Input
            label="Destinataire"
            nativeInputProps={{
              value: versement.destination,
              required: true,
              onChange: (e) => setVersement({ ...versement, destination: e.target.value }),
            }}
          />
          <Input
            label="Référence du bordereau de versement (facultative)"
            nativeInputProps={{
              value: versement.reference,
              onChange: (e) => setVersement({ ...versement, reference: e.target.value }),
            }}
          />
          <Input
            label="Dossiers archivés avant le"
            nativeInputProps={{
              type: 'date',
              value: versement.archivedBefore,
              required: true,
              onChange: (e) => setVersement({ ...versement, archivedBefore: e.target.value }),
            }}
          />
          <Button type="submit" disabled={busy}>
            Enregistrer le versement
          </Button>
        </form>
      )}
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Ageing

export function AgeingPage() {
  const headingRef = usePageTitle('Dossiers enregistrés depuis plus de 30 jours');
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Dossiers enregistrés depuis plus de 30 jours et non archivés
      </h1>
      <WithCentre>{(centre) => <Ageing centre={centre} />}</WithCentre>
    </>
  );
}

function Ageing(props: { centre: Centre }) {
  const sp = useSearchParams();
  const days = Math.min(3650, Math.max(1, Number(sp.get('jours')) || 30));
  const [form, setForm] = useState(String(days));
  const report = useAsync(() => backofficeApi.ageing(props.centre.id, days), [props.centre.id, days]);
  return (
    <>
      <form
        className="fr-mb-3w"
        aria-label="Seuil du rapport"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(hrefWith({ jours: form }));
        }}
      >
        <div className="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom">
          <div className="fr-col-12 fr-col-md-4">
            <Input
              label="Enregistrés depuis plus de (jours)"
              nativeInputProps={{
                type: 'number',
                min: 1,
                max: 3650,
                value: form,
                onChange: (e) => setForm(e.target.value),
              }}
            />
          </div>
          <div className="fr-col-12 fr-col-md-8">
            <ul className="fr-btns-group fr-btns-group--inline-md">
              <li>
                <Button type="submit">Afficher</Button>
              </li>
              <li>
                <a
                  className="fr-btn fr-btn--secondary"
                  href={backofficeApi.ageingHref(props.centre.id, days, 'csv')}
                  download
                >
                  Télécharger (CSV)
                </a>
              </li>
              <li>
                <a
                  className="fr-btn fr-btn--secondary"
                  href={backofficeApi.ageingHref(props.centre.id, days, 'pdf')}
                  download
                >
                  Télécharger (PDF)
                </a>
              </li>
            </ul>
          </div>
        </div>
      </form>
      {report.error ? (
        <ProblemAlert error={report.error} />
      ) : !report.data ? (
        <Loading />
      ) : (
        <>
          <p role="status">
            Situation au {formatDateTime(report.data.asOf)} : {plural(report.data.total, 'dossier', 'dossiers')}.
          </p>
          <DataTable
            caption="Nombre de dossiers par bureau"
            headers={['Bureau', 'Dossiers']}
            rowHeader
            rows={report.data.offices.map((o) => [o.name, String(o.count)])}
          />
          {report.data.offices
            .filter((o) => o.count > 0)
            .map((o) => (
              <section key={o.officeId ?? 'liaison'} className="fr-mt-4w">
                <h2 className="fr-h4">
                  {o.name} — {plural(o.count, 'dossier', 'dossiers')}
                </h2>
                <DataTable
                  caption={`Dossiers de plus de ${report.data!.days} jours : ${o.name}`}
                  hideCaption
                  headers={[
                    'Dossier',
                    'Type',
                    'Administré',
                    'Formation',
                    'Enregistré le',
                    'Ancienneté',
                    'Situation',
                    'Priorité',
                  ]}
                  rowKeys={o.files.slice(0, 200).map((f) => f.id)}
                  rows={o.files.slice(0, 200).map((f) => [
                    <Link key="n" href={`/dossiers/${f.id}`}>
                      {f.number}
                    </Link>,
                    f.kindLabel,
                    f.personName,
                    f.sendingUnit,
                    formatDate(f.registeredAt),
                    plural(f.ageDays, 'jour', 'jours'),
                    <StatusBadge key="s" status={f.status} />,
                    <PriorityBadge key="p" priority={f.priority} />,
                  ])}
                />
                {o.files.length > 200 && (
                  <p className="fr-text--sm">
                    Les 200 premiers sont affichés ; la liste complète est dans le fichier CSV ou PDF.
                  </p>
                )}
              </section>
            ))}
        </>
      )}
      <Reviews centre={props.centre} days={days} />
    </>
  );
}

function Reviews(props: { centre: Centre; days: number }) {
  const session = useRequiredSession();
  const reports = useAsync(() => backofficeApi.ageingReports(props.centre.id), [props.centre.id]);
  const [error, setError] = useState<unknown>(null);
  const isHead = can(session, 'backoffice.review');
  const record = async () => {
    setError(null);
    try {
      await backofficeApi.recordAgeing(props.centre.id, props.days);
      reports.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section className="fr-mt-6w" aria-labelledby="comptes-rendus">
      <h2 id="comptes-rendus">Comptes rendus d’exploitation</h2>
      <p>
        Le chef du centre analyse avec son adjoint et les chefs de bureau les raisons internes et externes de la
        situation, et prend les mesures pour traiter en priorité relative ou absolue les dossiers les plus sensibles.
      </p>
      <ProblemAlert error={error} />
      {isHead && (
        <Button priority="secondary" className="fr-mb-3w" onClick={() => void record()}>
          Établir le compte rendu de la situation du jour
        </Button>
      )}
      {reports.error ? (
        <ProblemAlert error={reports.error} />
      ) : !reports.data ? (
        <Loading />
      ) : reports.data.items.length === 0 ? (
        <p>Aucun compte rendu.</p>
      ) : (
        reports.data.items.map((r) => <Review key={r.id} report={r} editable={isHead} onSaved={reports.reload} />)
      )}
    </section>
  );
}

function Review(props: { report: AgeingRecord; editable: boolean; onSaved: () => void }) {
  const r = props.report;
  const [form, setForm] = useState({ analysis: r.analysis ?? '', measures: r.measures ?? '' });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const title = `${r.period ? `Compte rendu mensuel ${r.period}` : 'Compte rendu'} — situation au ${formatDate(r.asOf)} : ${plural(r.fileCount, 'dossier', 'dossiers')}`;
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await backofficeApi.analysis(r.id, form.analysis, form.measures);
      props.onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="ca-measure fr-mb-3w">
      <h3 className="fr-h6">{title}</h3>
      <p className="fr-text--sm">{r.totals.map((t) => `${t.name} : ${t.count}`).join(' — ')}</p>
      {r.analysedAt && (
        <p className="fr-text--sm">
          Analyse de {r.analysedBy ?? '—'} le {formatDateTime(r.analysedAt)}.
        </p>
      )}
      {props.editable ? (
        <form onSubmit={(e) => void save(e)}>
          <ProblemAlert error={error} />
          <Input
            label="Analyse (raisons internes et externes)"
            textArea
            nativeTextAreaProps={{
              value: form.analysis,
              required: true,
              onChange: (e) => setForm({ ...form, analysis: e.target.value }),
            }}
          />
          <Input
            label="Mesures prises"
            textArea
            nativeTextAreaProps={{
              value: form.measures,
              required: true,
              onChange: (e) => setForm({ ...form, measures: e.target.value }),
            }}
          />
          <Button type="submit" size="small" disabled={busy}>
            Enregistrer l’analyse
          </Button>
        </form>
      ) : (
        <>
          <p>
            <strong>Analyse :</strong> {r.analysis ?? 'non encore établie'}
          </p>
          <p>
            <strong>Mesures :</strong> {r.measures ?? '—'}
          </p>
        </>
      )}
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Expenses

export function ExpensesPage() {
  const headingRef = usePageTitle('Dépenses des autorités délégataires');
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Situation des dépenses des autorités délégataires
      </h1>
      <WithCentre>{(centre) => <Expenses centre={centre} />}</WithCentre>
    </>
  );
}

function Expenses(props: { centre: Centre }) {
  const sp = useSearchParams();
  const month = /^\d{4}-\d{2}$/.test(sp.get('mois') ?? '') ? sp.get('mois')! : todayIso().slice(0, 7);
  const [form, setForm] = useState(month);
  const s = useAsync(() => backofficeApi.expenses(props.centre.id, month), [props.centre.id, month]);
  return (
    <>
      <form
        className="fr-mb-3w"
        aria-label="Mois de la situation"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(hrefWith({ mois: form }));
        }}
      >
        <div className="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom">
          <div className="fr-col-12 fr-col-md-4">
            <Input
              label="Mois"
              nativeInputProps={{ type: 'month', value: form, onChange: (e) => setForm(e.target.value) }}
            />
          </div>
          <div className="fr-col-12 fr-col-md-8">
            <ul className="fr-btns-group fr-btns-group--inline-md">
              <li>
                <Button type="submit">Afficher</Button>
              </li>
              <li>
                <a
                  className="fr-btn fr-btn--secondary"
                  href={backofficeApi.expensesHref(props.centre.id, month)}
                  download
                >
                  Télécharger (CSV)
                </a>
              </li>
            </ul>
          </div>
        </div>
      </form>
      {s.error ? (
        <ProblemAlert error={s.error} />
      ) : !s.data ? (
        <Loading />
      ) : (
        <DataTable
          caption={`Dépenses de déplacement décomptées en ${month}`}
          headers={['Autorité délégataire', 'Dossiers', 'Montant']}
          rowHeader
          rows={[
            ...s.data.items.map((i) => [i.name, String(i.files), euros(i.totalCents)]),
            ['Total', String(s.data.files), euros(s.data.totalCents)],
          ]}
        />
      )}
    </>
  );
}
