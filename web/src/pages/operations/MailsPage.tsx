// /courriels — mails sent (or queued) by the platform.
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { api } from '../../api.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { Loading } from '../../components/Loading.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { formatDateTime, label, MAIL_STATUS_LABELS } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { Link } from '../../router.tsx';

export const MAIL_STATUS_SEVERITY: Record<string, 'success' | 'error' | 'info'> = { sent: 'success', failed: 'error' };

export function MailsPage() {
  const headingRef = usePageTitle('Courriels');
  const mails = useAsync(() => api.mails(), []);
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Courriels
      </h1>
      <p>Courriels envoyés par la plateforme (liens, notifications), avec leur état de remise.</p>
      <ProblemAlert error={mails.error} title="Impossible de charger les courriels" />
      {mails.loading && !mails.data && <Loading />}
      {mails.data &&
        (mails.data.items.length === 0 ? (
          <p>Aucun courriel.</p>
        ) : (
          <DataTable
            caption="Courriels, les plus récents d’abord"
            headers={['Objet', 'Destinataire', 'Créé le', 'Statut', 'Transport', 'Envoyé le']}
            rowKeys={mails.data.items.map((m) => m.id)}
            rowHeader
            rows={mails.data.items.map((m) => [
              <Link href={`/courriels/${encodeURIComponent(m.id)}`}>{m.subject || '(sans objet)'}</Link>,
              m.recipient,
              <span className="ca-nowrap">{formatDateTime(m.createdAt)}</span>,
              <Badge small noIcon severity={MAIL_STATUS_SEVERITY[m.status] ?? 'info'}>
                {label(MAIL_STATUS_LABELS, m.status)}
              </Badge>,
              m.transport,
              m.sentAt ? <span className="ca-nowrap">{formatDateTime(m.sentAt)}</span> : '—',
            ])}
          />
        ))}
    </>
  );
}
