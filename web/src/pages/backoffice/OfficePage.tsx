// /dossiers/bureaux/:id — a processing office's queue (filters: kind, age, priority, situation),
// the import of the liquidation application's amounts (CSV), and the transfer of the self-checked
// files to the paying centre.
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { useState, type FormEvent } from 'react';
import { backofficeApi, type AmountImportResult, type Centre } from '../../backofficeApi.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { Loading } from '../../components/Loading.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { plural } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { can } from '../../permissions.ts';
import { Link } from '../../router.tsx';
import { useRequiredSession } from '../../session.tsx';
import { FilterForm, OfficeResults, useFilters } from './FilesPage.tsx';
import { WithCentre } from './common.tsx';

export function OfficePage(props: { params: Record<string, string> }) {
  const id = props.params['id']!;
  return <WithCentre>{(centre) => <Office centre={centre} officeId={id} />}</WithCentre>;
}

function Office(props: { centre: Centre; officeId: string }) {
  const office = props.centre.offices.find((o) => o.id === props.officeId);
  const headingRef = usePageTitle(office ? office.name : 'Bureau');
  const filters = useFilters();
  const session = useRequiredSession();
  const [tick, setTick] = useState(0);
  if (!office) return <p>Ce bureau n’appartient pas à ce centre.</p>;
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        {office.name}
      </h1>
      <p>
        {props.centre.name} — <Link href="/dossiers/bureaux">tous les bureaux</Link>
      </p>
      <h2>File du bureau</h2>
      <FilterForm filters={filters} label={`Filtrer la file du bureau ${office.name}`} officeView />
      <OfficeResults key={tick} centre={props.centre} officeId={office.id} filters={filters} officeView />
      {can(session, 'caseFile.process') && (
        <>
          <AmountImport officeId={office.id} onDone={() => setTick((t) => t + 1)} />
          <Transfer officeId={office.id} onDone={() => setTick((t) => t + 1)} />
        </>
      )}
    </>
  );
}

function AmountImport(props: { officeId: string; onDone: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<AmountImportResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      setResult(await backofficeApi.importAmounts(props.officeId, file));
      props.onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="fr-mt-4w" onSubmit={(e) => void submit(e)} aria-labelledby="import-montants">
      <h2 id="import-montants">Importer les décomptes de l’application de liquidation</h2>
      <p className="fr-text--sm">
        Fichier CSV « ; » : <code>numero_dossier;montant;reference_decompte</code>. Les montants sont ceux calculés par
        l’application de liquidation : ils sont enregistrés, jamais recalculés ici.
      </p>
      <ProblemAlert error={error} />
      <div className="fr-upload-group fr-mb-2w">
        <label className="fr-label" htmlFor="fichier-montants">
          Fichier des décomptes
          <span className="fr-hint-text">CSV, 2 Mo au plus</span>
        </label>
        <input
          id="fichier-montants"
          className="fr-upload"
          type="file"
          accept=".csv,text/csv"
          onChange={(e) => setFile(e.target.files?.[0] ?? null)}
        />
      </div>
      <Button type="submit" disabled={busy || !file}>
        Importer
      </Button>
      {result && (
        <div role="status" className="fr-mt-2w">
          <p>{plural(result.processed, 'dossier traité', 'dossiers traités')}.</p>
          {result.rejected.length > 0 && (
            <DataTable
              caption="Lignes non prises en compte"
              headers={['Ligne', 'Dossier', 'Motif']}
              rows={result.rejected.map((r) => [String(r.line), r.number, r.reason])}
            />
          )}
        </div>
      )}
    </form>
  );
}

function Transfer(props: { officeId: string; onDone: () => void }) {
  const files = useAsync(
    () => backofficeApi.files({ officeId: props.officeId, status: 'checked', pageSize: 200 }),
    [props.officeId],
  );
  const [reference, setReference] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ready = (files.data?.items ?? []).filter((f) => f.family === 'unit');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await backofficeApi.transfer(
        props.officeId,
        ready.map((f) => f.id),
        reference,
      );
      setDone(`${plural(r.transferred.length, 'dossier transféré', 'dossiers transférés')} (${r.reference}).`);
      files.reload();
      props.onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  if (files.error) return <ProblemAlert error={files.error} />;
  if (!files.data) return <Loading />;
  return (
    <form className="fr-mt-4w" onSubmit={(e) => void submit(e)} aria-labelledby="transfert">
      <h2 id="transfert">Transfert au centre payeur</h2>
      <div aria-live="polite">{done && <p>{done}</p>}</div>
      <ProblemAlert error={error} />
      {ready.length === 0 ? (
        <p>Aucun dossier auto-contrôlé à transférer.</p>
      ) : (
        <>
          <p>
            {plural(ready.length, 'dossier auto-contrôlé prêt', 'dossiers auto-contrôlés prêts')} à être transférés.
          </p>
          <Input
            label="Référence du mouvement transmis"
            nativeInputProps={{ value: reference, required: true, onChange: (e) => setReference(e.target.value) }}
          />
          <Button type="submit" disabled={busy}>
            Transférer
          </Button>
        </>
      )}
    </form>
  );
}
