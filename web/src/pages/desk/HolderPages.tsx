// The holder's universe (PGCA « Porteur »): home, own cards, loss or theft declaration.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Tile } from '@codegouvfr/react-dsfr/Tile';
import { CARD_STATE_LABELS } from '../../cardLabels.ts';
import { StateBadge } from '../../components/cards/StateBadge.tsx';
import { DataTable } from '../../components/DataTable.tsx';
import { DeclarationForm } from '../../components/life/DeclarationForm.tsx';
import { HOLDER_ENTRIES, HolderLayout } from '../../components/life/lifeMenu.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { AUDIT_ACTION_LABELS, formatDate, formatDateTime, label } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { lifeApi } from '../../lifeApi.ts';
import { Link } from '../../router.tsx';
import { useSession } from '../../session.tsx';

export function HolderHomePage() {
  const headingRef = usePageTitle('Porteur');
  const { session } = useSession();
  return (
    <HolderLayout>
      <h1 ref={headingRef} tabIndex={-1}>
        Porteur
      </h1>
      <p>Votre carte, vos codes et vos secrets.</p>
      <ul className="fr-grid-row fr-grid-row--gutters ca-unstyled-list">
        {HOLDER_ENTRIES.map((e) => (
          <li key={e.href} className="fr-col-12 fr-col-lg-6">
            <Tile
              title={e.text}
              titleAs="h2"
              desc={e.description}
              linkProps={{ href: e.href }}
              enlargeLinkOrButton
              orientation="vertical"
            />
          </li>
        ))}
      </ul>
      {session && (
        <p className="fr-mt-4w">
          Vos données personnelles (droit d’accès) :{' '}
          <a href={`/api/agents/${encodeURIComponent(session.person.id)}/personal-data.pdf`} download>
            télécharger le résumé (PDF)
          </a>{' '}
          ou{' '}
          <a href={`/api/agents/${encodeURIComponent(session.person.id)}/personal-data`} download>
            le détail complet (JSON)
          </a>
          .
        </p>
      )}
    </HolderLayout>
  );
}

const ACTION_LABELS: Record<string, string> = {
  'card.receive': 'Réception par le responsable carte',
  'card.handover': 'Remise en main propre',
  'card.activation-code': 'Code d’activation saisi',
  'card.admin-response': 'Code PIN défini',
  'card.activate': 'Activation',
  'card.finalize': 'Finalisation (paraphe)',
  'card.unblock': 'Déblocage',
  'card.declare-loss': 'Déclaration de perte',
  'card.declare-theft': 'Déclaration de vol',
  'card.declare-temporary-loss': 'Déclaration de perte temporaire',
  'card.revoke': 'Révocation',
  'card.resume': 'Levée de la suspension',
  'card.return': 'Restitution',
  'card.destroy': 'Destruction',
};

export function MyCardsPage() {
  const headingRef = usePageTitle('Mes cartes');
  const mine = useAsync(() => lifeApi.myCards(), []);
  const cards = mine.data?.cards ?? [];
  return (
    <HolderLayout>
      <h1 ref={headingRef} tabIndex={-1}>
        Mes cartes
      </h1>
      <ProblemAlert error={mine.error} title="Impossible d’afficher vos cartes" />
      {mine.loading && !mine.data && <p role="status">Chargement…</p>}
      {mine.data && !mine.data.secretsDefined && cards.length > 0 && (
        <Alert
          severity="warning"
          as="h2"
          className="fr-mb-3w"
          title="Vos secrets ne sont pas définis"
          description={
            <>
              Sans code personnel ni questions secrètes, vous ne pourrez pas débloquer votre carte vous-même.{' '}
              <Link href="/porteur/secrets">Définir mes secrets</Link>
            </>
          }
        />
      )}
      {mine.data && cards.length === 0 && <p>Vous n’avez aucune carte.</p>}
      {cards.map((c) => (
        <section key={c.id} className="fr-mb-6w" aria-labelledby={`carte-${c.id}`}>
          <h2 id={`carte-${c.id}`} className="fr-h4">
            Carte n° <span className="ca-code">{c.serial}</span>{' '}
            <StateBadge state={c.state} labels={CARD_STATE_LABELS} />
          </h2>
          <p>
            {c.modelLabel}
            {c.expiresAt ? ` — expire le ${formatDate(c.expiresAt)}` : ''}
          </p>
          {c.certificates.length > 0 ? (
            <DataTable
              caption={`Certificats de la carte ${c.serial}`}
              headers={['Usage', 'Numéro de série', 'État', 'Début de validité', 'Fin de validité']}
              rowKeys={c.certificates.map((x) => x.serial)}
              rows={c.certificates.map((x) => [
                x.profileLabel,
                <span className="ca-code">{x.serial}</span>,
                x.statusLabel,
                formatDate(x.notBefore),
                formatDate(x.notAfter),
              ])}
            />
          ) : (
            <p>Aucun certificat.</p>
          )}
          {c.documents.length > 0 && (
            <>
              <h3 className="fr-h6">Documents</h3>
              <ul>
                {c.documents.map((d) => (
                  <li key={d.id}>
                    <a
                      className="fr-link fr-icon-download-line fr-link--icon-left"
                      href={lifeApi.documentUrl(c.id, d.id)}
                      download
                    >
                      {d.fileName}
                    </a>{' '}
                    ({formatDateTime(d.createdAt)})
                  </li>
                ))}
              </ul>
            </>
          )}
          {c.history.length > 0 && (
            <DataTable
              caption={`Historique de la carte ${c.serial}`}
              headers={['Date', 'Événement']}
              rowKeys={c.history.map((h, i) => `${h.at}-${i}`)}
              rows={c.history.map((h) => [
                formatDateTime(h.at),
                ACTION_LABELS[h.action] ?? label(AUDIT_ACTION_LABELS, h.action),
              ])}
            />
          )}
        </section>
      ))}
    </HolderLayout>
  );
}

export function DeclarePage() {
  const headingRef = usePageTitle('Déclarer une perte ou un vol');
  const mine = useAsync(() => lifeApi.myCards(), []);
  return (
    <HolderLayout>
      <h1 ref={headingRef} tabIndex={-1}>
        Déclarer une perte ou un vol
      </h1>
      <p>
        Déclarez la perte ou le vol de votre carte dès que vous vous en apercevez. Si votre carte est perdue, vous
        pouvez aussi le faire sans carte depuis <Link href="/porteur/deblocage">Débloquer ma carte</Link>, avec vos
        secrets.
      </p>
      <ProblemAlert error={mine.error} title="Impossible d’afficher vos cartes" />
      {mine.loading && !mine.data && <p role="status">Chargement…</p>}
      {mine.data && <DeclarationForm cards={mine.data.cards} declare={lifeApi.declare} />}
    </HolderLayout>
  );
}
