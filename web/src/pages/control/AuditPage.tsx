// /journal — the chained audit trail, filters in the URL, and the integrity check.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { useState } from 'react';
import { api, type AuditRecord, type AuditVerification } from '../../api.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { pageOfPages, SearchForm, SearchResults, useUrlCriteria } from '../../components/SearchList.tsx';
import {
  AUDIT_ACTION_LABELS,
  formatDateTime,
  formatNumber,
  label,
  OUTCOME_LABELS,
  plural,
  pluralTotal,
} from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';

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
  const s = useUrlCriteria('/journal', { action: 'action', outcome: 'resultat', targetId: 'cible' });
  const { action, outcome, targetId } = s.criteria;
  const page = s.page;
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
      <SearchForm
        label="Filtrer le journal"
        search={s}
        buttonCol="fr-col-md-2"
        filter
        className="fr-mb-3w"
        fields={[
          {
            key: 'action',
            col: 'fr-col-md-4',
            label: 'Action',
            hint: 'Code exact, par exemple auth.signIn',
            plain: true,
          },
          {
            key: 'outcome',
            col: 'fr-col-md-3',
            label: 'Résultat',
            options: { ok: 'Réussi', refused: 'Refusé' },
            any: 'Tous',
          },
          { key: 'targetId', col: 'fr-col-md-3', label: 'Identifiant de la cible', plain: true },
        ]}
      />

      <SearchResults
        results={log}
        texts={{
          error: 'Impossible de charger le journal',
          found: (total, exact) =>
            `${pluralTotal({ total, totalExact: exact }, 'entrée', 'entrées')}${pageOfPages(page, total, PAGE_SIZE, exact)}`,
          empty: 'Aucune entrée ne correspond.',
        }}
        table={{
          caption: 'Entrées du journal d’audit, les plus récentes d’abord',
          rowHeader: true,
          multiline: true,
          headers: ['N°', 'Date', 'Auteur', 'Rôle', 'Action', 'Résultat', 'Cible', 'Résumé'],
        }}
        rowKey={(r) => String(r.seq)}
        row={(r) => [
          formatNumber(r.seq),
          <span className="ca-nowrap">{formatDateTime(r.at)}</span>,
          r.actorName ?? r.actorId ?? 'Système',
          r.actorRole ?? '—',
          <>
            {label(AUDIT_ACTION_LABELS, r.action)}
            {AUDIT_ACTION_LABELS[r.action] && <span className="ca-block ca-code fr-text--xs fr-mb-0">{r.action}</span>}
          </>,
          <Badge small noIcon severity={r.outcome === 'ok' ? 'success' : 'error'}>
            {label(OUTCOME_LABELS, r.outcome)}
          </Badge>,
          <span className="ca-code">{target(r)}</span>,
          summaryText(r.summary) || '—',
        ]}
        paging={{ page, pageSize: PAGE_SIZE }}
      />
    </>
  );
}
