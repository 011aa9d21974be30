// /journal — the chained audit trail, filters in the URL, and the integrity check.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useEffect, useState, type FormEvent } from 'react';
import { api, withQuery, type AuditRecord, type AuditVerification } from '../../api.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { hrefWith, Pager } from '../../components/Pager.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { AUDIT_ACTION_LABELS, formatDateTime, formatNumber, label, OUTCOME_LABELS, plural } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { navigate, useSearchParams } from '../../router.tsx';

const PAGE_SIZE = 50;

function summaryText(summary: unknown): string {
  if (summary === null || summary === undefined) return '';
  if (typeof summary === 'string') return summary;
  if (typeof summary !== 'object') return String(summary);
  const entries = Object.entries(summary as Record<string, unknown>);
  return entries
    .map(([k, v]) => `${k} : ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(' ; ');
}

function target(r: AuditRecord): string {
  if (!r.targetType && !r.targetId) return '—';
  return [r.targetType, r.targetId].filter(Boolean).join(' ');
}

export function AuditPage() {
  const headingRef = usePageTitle('Journal d’audit');
  const sp = useSearchParams();
  const action = sp.get('action') ?? '';
  const outcome = sp.get('resultat') ?? '';
  const targetId = sp.get('cible') ?? '';
  const page = Math.max(1, Number(sp.get('page')) || 1);
  const [form, setForm] = useState({ action, outcome, targetId });
  useEffect(() => setForm({ action, outcome, targetId }), [action, outcome, targetId]);
  const log = useAsync(
    () =>
      api.audit({
        page,
        pageSize: PAGE_SIZE,
        action,
        outcome: outcome === 'ok' || outcome === 'refused' ? outcome : undefined,
        targetId,
      }),
    [page, action, outcome, targetId],
  );
  const [verification, setVerification] = useState<AuditVerification | null>(null);
  const [verifyError, setVerifyError] = useState<unknown>(null);
  const [verifying, setVerifying] = useState(false);

  const verify = async () => {
    setVerifying(true);
    setVerification(null);
    setVerifyError(null);
    try {
      setVerification(await api.verifyAudit());
    } catch (err) {
      setVerifyError(err);
    } finally {
      setVerifying(false);
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(
      withQuery('/journal', { action: form.action.trim(), resultat: form.outcome, cible: form.targetId.trim() }),
    );
  };

  const data = log.data;
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Journal d’audit
      </h1>
      <p>
        Chaque action sur la plateforme est inscrite dans un journal chaîné : chaque entrée contient l’empreinte de la
        précédente, ce qui rend toute modification détectable.
      </p>

      <section aria-labelledby="integrite-title" className="fr-mb-4w">
        <h2 id="integrite-title" className="fr-h4">
          Intégrité du journal
        </h2>
        <Button iconId="fr-icon-shield-line" priority="secondary" onClick={() => void verify()} disabled={verifying}>
          {verifying ? 'Vérification en cours…' : 'Vérifier l’intégrité'}
        </Button>
        <div role="status" aria-live="polite" className="fr-mt-2w">
          {verification &&
            (verification.ok ? (
              <Alert
                severity="success"
                title="Journal intègre"
                description={`${plural(verification.checked, 'entrée vérifiée', 'entrées vérifiées')}, jusqu’à l’entrée n° ${formatNumber(verification.headSeq)}. Aucune altération détectée.`}
              />
            ) : (
              <Alert
                severity="error"
                title="Journal altéré"
                description={
                  verification.firstBroken
                    ? `La chaîne est rompue à l’entrée n° ${formatNumber(verification.firstBroken.seq)} : ${verification.firstBroken.reason} (${plural(verification.checked, 'entrée vérifiée', 'entrées vérifiées')}).`
                    : `La vérification a échoué (${plural(verification.checked, 'entrée vérifiée', 'entrées vérifiées')}).`
                }
              />
            ))}
        </div>
        <ProblemAlert error={verifyError} title="La vérification n’a pas pu être faite" />
      </section>

      <h2 className="fr-h4">Entrées</h2>
      <form role="search" aria-label="Filtrer le journal" onSubmit={submit} className="fr-mb-3w">
        <div className="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom">
          <div className="fr-col-12 fr-col-md-4">
            <Input
              label="Action"
              hintText="Code exact, par exemple auth.signIn"
              nativeInputProps={{
                name: 'action',
                value: form.action,
                onChange: (e) => setForm({ ...form, action: e.target.value }),
              }}
            />
          </div>
          <div className="fr-col-12 fr-col-md-3">
            <Select
              label="Résultat"
              nativeSelectProps={{
                name: 'resultat',
                value: form.outcome,
                onChange: (e) => setForm({ ...form, outcome: e.target.value }),
              }}
            >
              <option value="">Tous</option>
              <option value="ok">Réussi</option>
              <option value="refused">Refusé</option>
            </Select>
          </div>
          <div className="fr-col-12 fr-col-md-3">
            <Input
              label="Identifiant de la cible"
              nativeInputProps={{
                name: 'cible',
                value: form.targetId,
                onChange: (e) => setForm({ ...form, targetId: e.target.value }),
              }}
            />
          </div>
          <div className="fr-col-12 fr-col-md-2">
            <Button type="submit" iconId="fr-icon-filter-line" className="fr-mb-3v">
              Filtrer
            </Button>
          </div>
        </div>
      </form>

      <ProblemAlert error={log.error} title="Impossible de charger le journal" />
      <div role="status" className="fr-mb-2w">
        {log.loading ? (
          <p className="fr-mb-0">Chargement…</p>
        ) : data ? (
          <p className="fr-mb-0">
            {data.total === 0 ? 'Aucune entrée ne correspond.' : plural(data.total, 'entrée', 'entrées')}
            {data.total > PAGE_SIZE ? ` — page ${page} sur ${Math.ceil(data.total / PAGE_SIZE)}` : ''}
          </p>
        ) : null}
      </div>
      {data && data.items.length > 0 && (
        <DataTable
          caption="Entrées du journal d’audit, les plus récentes d’abord"
          headers={['N°', 'Date', 'Auteur', 'Rôle', 'Action', 'Résultat', 'Cible', 'Résumé']}
          rowKeys={data.items.map((r) => String(r.seq))}
          rowHeader
          multiline
          rows={data.items.map((r) => [
            formatNumber(r.seq),
            <span className="ca-nowrap">{formatDateTime(r.at)}</span>,
            r.actorName ?? r.actorId ?? 'Système',
            r.actorRole ?? '—',
            <>
              {label(AUDIT_ACTION_LABELS, r.action)}
              {AUDIT_ACTION_LABELS[r.action] && (
                <span className="ca-block ca-code fr-text--xs fr-mb-0">{r.action}</span>
              )}
            </>,
            <Badge small noIcon severity={r.outcome === 'ok' ? 'success' : 'error'}>
              {label(OUTCOME_LABELS, r.outcome)}
            </Badge>,
            <span className="ca-code">{target(r)}</span>,
            summaryText(r.summary) || '—',
          ])}
          footer={
            <Pager
              total={data.total}
              page={page}
              pageSize={PAGE_SIZE}
              href={(p) => hrefWith({ page: p === 1 ? null : p })}
            />
          }
        />
      )}
    </>
  );
}
