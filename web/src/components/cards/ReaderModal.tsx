// The reader panel in a dialog, opened from the header on every page.
import { createModal } from '@codegouvfr/react-dsfr/Modal';
import { useCardAgent } from './CardAgentProvider.tsx';
import { ReaderPanel } from './ReaderPanel.tsx';

export const readerModal = createModal({ id: 'lecteur-carte', isOpenedByDefault: false });

/** Short state of the reader for the header button. */
export function useReaderLabel(): string {
  const agent = useCardAgent();
  if (!agent.paired) return 'Lecteur de carte : non appairé';
  if (agent.error) return 'Lecteur de carte : injoignable';
  const card = agent.reader?.card;
  return card ? `Carte n° ${card.serial}` : 'Lecteur de carte : vide';
}

export function ReaderModal() {
  return (
    <readerModal.Component
      title="Lecteur de carte"
      titleAs="h2"
      size="large"
      buttons={[{ children: 'Fermer', priority: 'secondary' }]}
    >
      <ReaderPanel headingLevel="h3" title="État du lecteur" />
    </readerModal.Component>
  );
}
