// /courriels/:id — one mail and its body.
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Breadcrumb } from '@codegouvfr/react-dsfr/Breadcrumb';
import { api } from '../../api.ts';
import { DescriptionList } from '../../components/DescriptionList.tsx';
import { Loading } from '../../components/Loading.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { formatDateTime, label, MAIL_STATUS_LABELS } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { MAIL_STATUS_SEVERITY } from './MailsPage.tsx';

export function MailPage({ params }: { params: Record<string, string> }) {
  const id = params.id ?? '';
  const mail = useAsync(() => api.mail(id), [id]);
  const m = mail.data;
  const title = m ? m.subject || '(sans objet)' : 'Courriel';
  const headingRef = usePageTitle(title);
  return (
    <>
      <Breadcrumb
        currentPageLabel={title}
        homeLinkProps={{ href: '/' }}
        segments={[{ label: 'Courriels', linkProps: { href: '/courriels' } }]}
      />
      <h1 ref={headingRef} tabIndex={-1}>
        {title}
      </h1>
      <ProblemAlert error={mail.error} title="Impossible d’afficher le courriel" />
      {mail.loading && !m && <Loading />}
      {m && (
        <>
          <DescriptionList
            items={[
              ['Destinataire', m.recipient],
              ['Objet', m.subject],
              [
                'Statut',
                <Badge small noIcon severity={MAIL_STATUS_SEVERITY[m.status] ?? 'info'}>
                  {label(MAIL_STATUS_LABELS, m.status)}
                </Badge>,
              ],
              ['Transport', m.transport],
              ['Créé le', formatDateTime(m.createdAt)],
              ['Envoyé le', formatDateTime(m.sentAt)],
            ]}
          />
          <h2 className="fr-h4">Message</h2>
          <pre className="ca-mail-body">{m.body}</pre>
        </>
      )}
    </>
  );
}
