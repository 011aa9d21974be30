// /exploitation — the operations page: the instance's state, the backups and the operations journal
// that the head of centre checks (seed 003 annex V §3), background jobs and failures, retention.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { useState, type FormEvent } from 'react';
import { DataTable } from '../../components/DataTable.tsx';
import { Loading } from '../../components/Loading.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { formatBytes, formatDateTime, formatNumber } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { operationsApi, type JournalEntry, type RetentionResult, type VerifyReport } from '../../operationsApi.ts';
import { can } from '../../permissions.ts';
import { useSession } from '../../session.tsx';

const CHECK_LABELS: Record<string, string> = {
  database: 'Base de données',
  migrations: 'Schéma de la base',
  disk: 'Dossier de données',
  keys: 'Clés des autorités',
};

const REASON_LABELS: Record<string, string> = {
  daily: 'quotidienne',
  manual: 'manuelle',
  'pre-migration': 'avant migration',
};

const TASK_LABELS: Record<string, string> = {
  daily: 'Passe quotidienne',
  backup: 'Sauvegarde',
  'crl.refresh': 'Republication des CRL',
};

function StatusBadge(props: { ok: boolean; yes?: string; no?: string }) {
  return (
    <Badge small noIcon severity={props.ok ? 'success' : 'error'}>
      {props.ok ? (props.yes ?? 'Conforme') : (props.no ?? 'En défaut')}
    </Badge>
  );
}

function InstanceSection() {
  const status = useAsync(() => operationsApi.status(), []);
  const s = status.data;
  return (
    <section aria-labelledby="etat-title" className="fr-mb-6w">
      <h2 id="etat-title">État de l’instance</h2>
      <ProblemAlert error={status.error} title="État indisponible" />
      {status.loading && !s && <Loading />}
      {s && (
        <>
          <p>
            Version {s.version.version}
            {s.version.commit ? ` (${s.version.commit})` : ''}, schéma {s.version.schema}, instance{' '}
            <span className="ca-nowrap">{s.version.instance}</span> démarrée le {formatDateTime(s.version.startedAt)}.
          </p>
          <DataTable
            caption="Disponibilité de l’instance (/readyz)"
            headers={['Contrôle', 'État', 'Détail']}
            rowHeader
            rows={Object.entries(s.readiness.checks).map(([k, c]) => [
              CHECK_LABELS[k] ?? k,
              <StatusBadge ok={c.ok} />,
              c.detail,
            ])}
          />
          <DataTable
            caption="Dernières passes planifiées (une seule instance les fait)"
            headers={['Passe', 'Échéance', 'État', 'Début', 'Fin', 'Erreur']}
            rowHeader
            multiline
            rows={s.tasks.map((t) => [
              TASK_LABELS[t.task] ?? t.task,
              t.slot,
              <Badge small noIcon severity={t.status === 'done' ? 'success' : t.status === 'failed' ? 'error' : 'info'}>
                {t.status === 'done' ? 'Faite' : t.status === 'failed' ? 'En échec' : 'En cours'}
              </Badge>,
              formatDateTime(t.startedAt),
              formatDateTime(t.finishedAt),
              t.error ?? '—',
            ])}
          />
        </>
      )}
    </section>
  );
}

function BackupsSection(props: { canManage: boolean; onChange: () => void }) {
  const backups = useAsync(() => operationsApi.backups(), []);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [report, setReport] = useState<VerifyReport | null>(null);
  const run = async (key: string, work: () => Promise<unknown>) => {
    setBusy(key);
    setError(null);
    try {
      await work();
      backups.reload();
      props.onChange();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  const b = backups.data;
  return (
    <section aria-labelledby="sauvegardes-title" className="fr-mb-6w">
      <h2 id="sauvegardes-title">Sauvegardes</h2>
      {b && (
        <p>
          Une sauvegarde chaque jour ouvrable à {b.time} (heure de Paris), conservée {b.keepDays} jours, dans{' '}
          <code>{b.folder}</code>. Les secrets (clé de chiffrement des clés, clé du journal d’audit) n’y figurent pas :
          ils sont conservés à part.
        </p>
      )}
      {props.canManage && (
        <Button
          iconId="fr-icon-save-line"
          priority="secondary"
          disabled={busy !== null}
          onClick={() => void run('now', () => operationsApi.backupNow())}
        >
          {busy === 'now' ? 'Sauvegarde en cours…' : 'Faire une sauvegarde maintenant'}
        </Button>
      )}
      <ProblemAlert error={error} title="L’opération n’a pas abouti" />
      <ProblemAlert error={backups.error} title="Impossible de lister les sauvegardes" />
      {backups.loading && !b && <Loading />}
      <div role="status" aria-live="polite">
        {report && (
          <Alert
            className="fr-mt-2w"
            severity={report.ok ? 'success' : 'error'}
            title={report.ok ? `Sauvegarde ${report.backupId} vérifiée` : `Sauvegarde ${report.backupId} non conforme`}
            description={report.checks
              .map((c) => `${c.ok ? '✔' : '✘'} ${c.label}${c.detail ? ` : ${c.detail}` : ''}`)
              .join(' — ')}
          />
        )}
      </div>
      {b &&
        (b.items.length === 0 ? (
          <p className="fr-mt-2w">Aucune sauvegarde.</p>
        ) : (
          <DataTable
            caption="Sauvegardes présentes, les plus récentes d’abord"
            headers={['Date', 'Motif', 'Taille', 'Lignes', 'Vérification', ...(props.canManage ? ['Action'] : [])]}
            rowKeys={b.items.map((i) => i.id)}
            rowHeader
            rows={b.items.map((i) => [
              formatDateTime(i.createdAt),
              REASON_LABELS[i.reason] ?? i.reason,
              formatBytes(i.size),
              formatNumber(i.rows),
              i.verifiedAt ? (
                <>
                  <StatusBadge ok={!!i.verifiedOk} yes="Vérifiée" no="Non conforme" /> {formatDateTime(i.verifiedAt)}
                </>
              ) : (
                'Non vérifiée'
              ),
              ...(props.canManage
                ? [
                    <Button
                      size="small"
                      priority="tertiary"
                      disabled={busy !== null}
                      onClick={() =>
                        void run(i.id, async () => {
                          setReport(null);
                          setReport(await operationsApi.verify(i.id));
                        })
                      }
                    >
                      {busy === i.id ? 'Vérification…' : 'Vérifier'}
                    </Button>,
                  ]
                : []),
            ])}
          />
        ))}
    </section>
  );
}

function JournalSection(props: { canCheck: boolean; version: number }) {
  const journal = useAsync(() => operationsApi.journal({ limit: 100 }), [props.version]);
  const [checking, setChecking] = useState<JournalEntry | null>(null);
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!checking) return;
    setSaving(true);
    setError(null);
    try {
      await operationsApi.check(checking.id, note);
      setChecking(null);
      setNote('');
      journal.reload();
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };
  const j = journal.data;
  return (
    <section aria-labelledby="journal-ops-title" className="fr-mb-6w">
      <h2 id="journal-ops-title">Journal des opérations</h2>
      <p>
        Chaque sauvegarde, vérification, restauration et passe de conservation y est inscrite. Le chef de centre vérifie
        la régularité, la réalité et les conditions de stockage des sauvegardes et consigne son contrôle.
      </p>
      <ProblemAlert error={journal.error} title="Impossible de charger le journal" />
      {journal.loading && !j && <Loading />}
      {checking && (
        <form onSubmit={(e) => void submit(e)} className="fr-mb-3w" aria-label="Contrôle du chef de centre">
          <Input
            label={`Compte rendu du contrôle — ${checking.kindLabel} du ${formatDateTime(checking.at)}`}
            hintText="Régularité, réalité et conditions de stockage constatées (3 à 1 000 caractères)"
            textArea
            nativeTextAreaProps={{
              name: 'note',
              value: note,
              required: true,
              minLength: 3,
              maxLength: 1000,
              onChange: (e) => setNote(e.target.value),
            }}
          />
          <ProblemAlert error={error} title="Le contrôle n’a pas été enregistré" />
          <Button type="submit" disabled={saving} className="fr-mr-2w">
            {saving ? 'Enregistrement…' : 'Enregistrer le contrôle'}
          </Button>
          <Button type="button" priority="secondary" onClick={() => setChecking(null)}>
            Annuler
          </Button>
        </form>
      )}
      {j &&
        (j.items.length === 0 ? (
          <p>Aucune opération.</p>
        ) : (
          <DataTable
            caption="Opérations, les plus récentes d’abord"
            headers={['Date', 'Opération', 'Résultat', 'Détail', 'Contrôle']}
            rowKeys={j.items.map((e) => e.id)}
            rowHeader
            multiline
            rows={j.items.map((e) => [
              formatDateTime(e.at),
              `${e.kindLabel}${e.reason ? ` (${REASON_LABELS[e.reason] ?? e.reason})` : ''}`,
              <StatusBadge ok={e.status === 'ok'} yes="Réussie" no="En échec" />,
              e.location ?? (typeof e.summary['error'] === 'string' ? e.summary['error'] : '—'),
              e.checkedAt ? (
                `Contrôlée le ${formatDateTime(e.checkedAt)} : ${e.checkNote ?? ''}`
              ) : props.canCheck && ['backup', 'restore', 'prune'].includes(e.kind) ? (
                <Button size="small" priority="tertiary" onClick={() => setChecking(e)}>
                  Contrôler
                </Button>
              ) : (
                'À contrôler'
              ),
            ])}
          />
        ))}
    </section>
  );
}

function JobsSection(props: { canManage: boolean }) {
  const jobs = useAsync(() => operationsApi.jobs({ status: 'failed' }), []);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const retry = async (id: string) => {
    setBusy(id);
    setError(null);
    try {
      await operationsApi.retry(id);
      jobs.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  const d = jobs.data;
  return (
    <section aria-labelledby="taches-title" className="fr-mb-6w">
      <h2 id="taches-title">Tâches de fond</h2>
      <ProblemAlert error={jobs.error} title="Impossible de charger les tâches" />
      <ProblemAlert error={error} title="La tâche n’a pas été relancée" />
      {jobs.loading && !d && <Loading />}
      {d && (
        <>
          {d.queue.length === 0 ? (
            <p>File vide : aucune tâche en attente, en cours ou en échec.</p>
          ) : (
            <DataTable
              caption="File des tâches non terminées"
              headers={['Type', 'État', 'Nombre', 'Plus ancienne échéance']}
              rowHeader
              rows={d.queue.map((q) => [q.kind, q.status, formatNumber(q.count), formatDateTime(q.oldest)])}
            />
          )}
          {d.items.length === 0 ? (
            <p>Aucune tâche en échec.</p>
          ) : (
            <DataTable
              caption="Tâches en échec (abandonnées après leurs essais)"
              headers={['Tâche', 'Essais', 'Dernier essai', 'Erreur', ...(props.canManage ? ['Action'] : [])]}
              rowKeys={d.items.map((j) => j.id)}
              rowHeader
              multiline
              rows={d.items.map((j) => [
                j.kindLabel,
                formatNumber(j.attempts),
                formatDateTime(j.lastAttemptAt),
                j.lastError ?? '—',
                ...(props.canManage
                  ? [
                      <Button
                        size="small"
                        priority="tertiary"
                        disabled={busy !== null}
                        onClick={() => void retry(j.id)}
                      >
                        {busy === j.id ? 'Relance…' : 'Relancer'}
                      </Button>,
                    ]
                  : []),
              ])}
            />
          )}
        </>
      )}
    </section>
  );
}

function RetentionSection() {
  const [result, setResult] = useState<RetentionResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const simulate = async () => {
    setBusy(true);
    setError(null);
    try {
      setResult(await operationsApi.retention(true));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="conservation-title" className="fr-mb-6w">
      <h2 id="conservation-title">Conservation des données personnelles</h2>
      <p>
        Chaque nuit, la passe de conservation efface ce qui dépasse sa durée : dossiers d’agents sept ans après la fin
        de leur dernière carte (le journal d’audit garde ses liens), copies de pièces d’identité, photos, courriels.
      </p>
      <Button priority="secondary" disabled={busy} onClick={() => void simulate()}>
        {busy ? 'Simulation…' : 'Simuler la passe (sans rien effacer)'}
      </Button>
      <ProblemAlert error={error} title="La simulation n’a pas abouti" />
      <div role="status" aria-live="polite">
        {result && (
          <ul className="fr-mt-2w">
            {Object.entries(result.counts).map(([k, n]) => (
              <li key={k}>
                {formatNumber(n)} {result.labels[k] ?? k}
              </li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}

export function OperationsPage() {
  const headingRef = usePageTitle('Exploitation');
  const { session } = useSession();
  const canManage = can(session, 'operations.manage');
  const [version, setVersion] = useState(0);
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Exploitation
      </h1>
      <InstanceSection />
      <BackupsSection canManage={canManage} onChange={() => setVersion((v) => v + 1)} />
      <JournalSection canCheck={can(session, 'operations.check')} version={version} />
      <JobsSection canManage={canManage} />
      {canManage && <RetentionSection />}
    </>
  );
}
