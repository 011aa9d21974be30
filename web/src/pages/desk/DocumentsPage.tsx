// /documents-supports — « Téléchargement de documents »: a card's case file (certified copy of the
// identity document, attestation of receipt, destruction record…), and the attestation of receipt
// regenerated as a PDF for a card handed over.
import { Button } from '@codegouvfr/react-dsfr/Button';
import { useState } from 'react';
import { holderName } from '../../cardLabels.ts';
import type { Card } from '../../cardsApi.ts';
import { CardFinder } from '../../components/life/CardFinder.tsx';
import { DataTable } from '../../components/DataTable.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { formatDateTime } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { lifeApi } from '../../lifeApi.ts';

const WITH_ATTESTATION = new Set([
  'handed_over',
  'activated',
  'active',
  'blocked',
  'suspended',
  'revoked',
  'returned',
  'expired',
]);

export function DocumentsPage() {
  const headingRef = usePageTitle('Téléchargement de documents');
  const [card, setCard] = useState<Card | null>(null);
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Téléchargement de documents
      </h1>
      <p>
        Pièces du dossier d’une carte : copie de la pièce d’identité, attestation de remise, procès-verbal de
        destruction.
      </p>
      {card ? (
        <CaseFile card={card} onBack={() => setCard(null)} />
      ) : (
        <CardFinder
          caption="Cartes"
          empty="Aucune carte dans votre périmètre."
          action={(c) => (
            <Button
              size="small"
              priority="secondary"
              iconId="fr-icon-folder-2-line"
              nativeButtonProps={{ 'aria-label': `Documents de la carte ${c.serial}` }}
              onClick={() => setCard(c)}
            >
              Documents
            </Button>
          )}
        />
      )}
    </>
  );
}

function CaseFile(props: { card: Card; onBack: () => void }) {
  const c = props.card;
  const docs = useAsync(() => lifeApi.documents(c.id), [c.id]);
  const items = docs.data?.items ?? [];
  return (
    <section aria-labelledby="dossier-carte">
      <h2 id="dossier-carte" className="fr-h4">
        Dossier de la carte n° {c.serial} ({holderName(c)})
      </h2>
      <ProblemAlert error={docs.error} title="Impossible d’afficher les documents" />
      {docs.loading && !docs.data && <p role="status">Chargement…</p>}
      {docs.data && items.length === 0 && <p>Aucune pièce dans le dossier de cette carte.</p>}
      {items.length > 0 && (
        <DataTable
          caption={`Pièces du dossier de la carte ${c.serial}`}
          headers={['Document', 'Fichier', 'Date', 'Téléchargement']}
          rowKeys={items.map((d) => d.id)}
          rows={items.map((d) => [
            d.kindLabel,
            d.fileName,
            formatDateTime(d.createdAt),
            <a
              className="fr-link fr-icon-download-line fr-link--icon-left"
              href={lifeApi.documentUrl(c.id, d.id)}
              download
              aria-label={`Télécharger ${d.kindLabel} (${d.fileName})`}
            >
              Télécharger
            </a>,
          ])}
        />
      )}
      {WITH_ATTESTATION.has(c.state) && (
        <p>
          <a
            className="fr-link fr-icon-download-line fr-link--icon-left"
            href={lifeApi.attestationUrl(c.id)}
            download
            aria-label={`Télécharger l’attestation de remise de la carte ${c.serial} (PDF)`}
          >
            Attestation de remise (PDF)
          </a>
        </p>
      )}
      <Button priority="secondary" onClick={props.onBack}>
        Choisir une autre carte
      </Button>
    </section>
  );
}
