// /imports — Import du flux SIRH: upload a CSV / JSON lines feed for one organisation, follow the
// upload (XHR progress) then the processing (polling the runs list), show the result.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Checkbox } from '@codegouvfr/react-dsfr/Checkbox';
import { RadioButtons } from '@codegouvfr/react-dsfr/RadioButtons';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { Upload } from '@codegouvfr/react-dsfr/Upload';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, type FeedFormat, type ImportRun } from '../../api.ts';
import { createConfirm } from '../../components/ConfirmModal.tsx';
import { ImportList } from '../../components/imports/ImportList.tsx';
import { ImportResult } from '../../components/imports/ImportResult.tsx';
import { Loading } from '../../components/Loading.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { ProgressBar } from '../../components/ProgressBar.tsx';
import { formatBytes, formatNumber } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { useRequiredSession } from '../../session.tsx';

const confirmFull = createConfirm('confirmer-import-complet');

type Phase =
  | { kind: 'idle' }
  | { kind: 'uploading'; loaded: number; total: number }
  | { kind: 'processing'; run: ImportRun | null }
  | { kind: 'done'; run: ImportRun }
  | { kind: 'failed'; error: unknown };

function guessFormat(name: string): FeedFormat | null {
  const n = name.toLowerCase();
  if (n.endsWith('.csv') || n.endsWith('.txt')) return 'csv';
  if (n.endsWith('.jsonl') || n.endsWith('.ndjson') || n.endsWith('.json')) return 'jsonl';
  return null;
}

export function ImportsPage() {
  const headingRef = usePageTitle('Import du flux SIRH');
  const session = useRequiredSession();
  const orgs = useAsync(() => api.organizations(), []);
  const runs = useAsync(() => api.imports(), []);

  // Organisations where the person may import: those of their RA/admin roles, or all if admin.
  const importable = (orgs.data?.items ?? []).slice().sort((a, b) => a.name.localeCompare(b.name, 'fr'));
  const defaultOrg =
    session.roles.find((r) => r.role === 'registration_authority' || r.role === 'admin')?.organizationId ?? '';

  const [organizationId, setOrganizationId] = useState('');
  const [format, setFormat] = useState<FeedFormat>('csv');
  const [full, setFull] = useState(false);
  const [file, setFile] = useState<File | null>(null);
  const [errors, setErrors] = useState<{ organization?: string; file?: string }>({});
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const startedAt = useRef(0);
  const fileInput = useRef<HTMLInputElement>(null);

  const orgValue = organizationId || (importable.some((o) => o.id === defaultOrg) ? defaultOrg : '');
  const busy = phase.kind === 'uploading' || phase.kind === 'processing';

  // While the server processes the file (the POST only answers at the end), follow the run
  // through the list endpoint.
  useEffect(() => {
    if (phase.kind !== 'processing' || !file) return;
    let stopped = false;
    const poll = async () => {
      try {
        const { items } = await api.imports(orgValue);
        const run = items.find(
          (r) =>
            r.status === 'running' && r.fileName === file.name && Date.parse(r.startedAt) >= startedAt.current - 60_000,
        );
        if (!stopped && run) {
          setPhase((p) => (p.kind === 'processing' ? { kind: 'processing', run } : p));
        }
      } catch {
        // progress is a comfort: the final answer comes from the upload request
      }
    };
    const timer = window.setInterval(() => void poll(), 1000);
    void poll();
    return () => {
      stopped = true;
      window.clearInterval(timer);
    };
  }, [phase.kind, file, orgValue]);

  const start = async () => {
    if (!file) return;
    startedAt.current = Date.now();
    setPhase({ kind: 'uploading', loaded: 0, total: file.size });
    try {
      const run = await api.startImport({
        organizationId: orgValue,
        format,
        full,
        file,
        onUploadProgress: (loaded, total) =>
          setPhase((p) => (p.kind === 'uploading' ? { kind: 'uploading', loaded, total } : p)),
        onUploaded: () => setPhase((p) => (p.kind === 'uploading' ? { kind: 'processing', run: null } : p)),
      });
      setPhase({ kind: 'done', run });
    } catch (err) {
      setPhase({ kind: 'failed', error: err });
    } finally {
      runs.reload();
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const next: typeof errors = {};
    if (!orgValue) next.organization = 'Choisissez l’organisation concernée par le flux.';
    if (!file) next.file = 'Choisissez le fichier du flux SIRH.';
    setErrors(next);
    if (next.file) fileInput.current?.focus();
    if (next.organization || next.file) return;
    if (full) confirmFull.open();
    else void start();
  };

  const orgName = importable.find((o) => o.id === orgValue)?.name ?? '';

  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Import du flux SIRH
      </h1>
      <p>
        Le flux SIRH crée et met à jour les agents d’une organisation. Chaque ligne est vérifiée : les lignes invalides
        sont rejetées avec leur motif, les autres sont importées.
      </p>

      <form onSubmit={submit} noValidate className="fr-mb-6w" aria-labelledby="nouvel-import-title">
        <h2 id="nouvel-import-title">Nouvel import</h2>
        {orgs.loading && !orgs.data ? (
          <Loading />
        ) : (
          <Select
            label="Organisation"
            state={errors.organization ? 'error' : 'default'}
            stateRelatedMessage={errors.organization}
            nativeSelectProps={{
              name: 'organisation',
              required: true,
              value: orgValue,
              onChange: (e) => setOrganizationId(e.target.value),
              disabled: busy,
            }}
          >
            <option value="" disabled>
              Choisir une organisation
            </option>
            {importable.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </Select>
        )}
        <RadioButtons
          legend="Format du fichier"
          name="format"
          orientation="horizontal"
          disabled={busy}
          options={[
            {
              label: 'CSV',
              hintText: 'Séparateur point-virgule, première ligne d’en-tête',
              nativeInputProps: { value: 'csv', checked: format === 'csv', onChange: () => setFormat('csv') },
            },
            {
              label: 'JSON lines',
              hintText: 'Un objet JSON par ligne',
              nativeInputProps: { value: 'jsonl', checked: format === 'jsonl', onChange: () => setFormat('jsonl') },
            },
          ]}
        />
        <Checkbox
          disabled={busy}
          options={[
            {
              label: 'Import complet',
              hintText:
                'Le fichier contient tous les agents de l’organisation : les agents actifs absents du fichier seront désactivés.',
              nativeInputProps: { name: 'full', checked: full, onChange: (e) => setFull(e.target.checked) },
            },
          ]}
        />
        <Upload
          className="fr-mt-3w"
          label="Fichier du flux SIRH"
          hint="Fichier .csv ou .jsonl, encodé en UTF-8 (ou Windows-1252 pour le CSV)."
          state={errors.file ? 'error' : 'default'}
          stateRelatedMessage={errors.file}
          disabled={busy}
          nativeInputProps={{
            ref: fileInput,
            accept: '.csv,.txt,.jsonl,.ndjson,text/csv,application/x-ndjson',
            onChange: (e) => {
              const f = e.target.files?.[0] ?? null;
              setFile(f);
              const guessed = f ? guessFormat(f.name) : null;
              if (guessed) setFormat(guessed);
              setErrors((x) => ({ ...x, file: undefined }));
            },
          }}
        />
        <Button type="submit" className="fr-mt-3w" iconId="fr-icon-upload-2-line" disabled={busy}>
          Importer
        </Button>
      </form>

      <confirmFull.Dialog
        title="Confirmer l’import complet"
        confirmLabel="Lancer l’import complet"
        onConfirm={() => void start()}
      >
        <p>
          Les agents actifs de <strong>{orgName}</strong> absents du fichier <strong>{file?.name}</strong> seront{' '}
          <strong>désactivés</strong>.
        </p>
        <p>Ne choisissez l’import complet que si le fichier contient bien tous les agents de l’organisation.</p>
      </confirmFull.Dialog>

      <div role="status" aria-live="polite">
        {phase.kind === 'uploading' && (
          <ProgressBar
            label="Envoi du fichier"
            value={phase.loaded}
            max={phase.total}
            detail={`${formatBytes(phase.loaded)} sur ${formatBytes(phase.total)}`}
          />
        )}
        {phase.kind === 'processing' && (
          <ProgressBar
            label="Traitement du fichier"
            value={phase.run && (phase.run.bytesTotal ?? 0) > 0 ? phase.run.bytesRead : null}
            max={phase.run?.bytesTotal ?? 0}
            detail={
              phase.run
                ? `${formatNumber(phase.run.total)} lignes lues, ${formatNumber(phase.run.rejected)} rejetées`
                : 'Le serveur vérifie et importe les lignes…'
            }
          />
        )}
      </div>
      {phase.kind === 'failed' && <ProblemAlert error={phase.error} title="Le fichier n’a pas été importé" />}
      {phase.kind === 'done' && (
        <>
          <Alert
            severity={phase.run.status === 'done' ? 'success' : 'error'}
            small
            className="fr-mb-3w"
            description={phase.run.status === 'done' ? 'Import terminé.' : 'L’import n’a pas abouti.'}
          />
          <ImportResult run={phase.run} />
        </>
      )}

      <section aria-labelledby="historique-imports-title">
        <h2 id="historique-imports-title">Imports précédents</h2>
        <ProblemAlert error={runs.error} title="Impossible de charger les imports" />
        {runs.loading && !runs.data && <Loading />}
        {runs.data && <ImportList runs={runs.data.items} />}
      </section>
    </>
  );
}
