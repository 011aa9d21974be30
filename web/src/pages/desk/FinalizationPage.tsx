// /finalisation — « Finalisation de l'activation » (seed 002, « Parapher la carte »): once the holder
// has defined the secrets, the card officer initials the attestation of receipt with the
// signature PIN, and the card becomes active.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { useState } from 'react';
import { holderName } from '../../cardLabels.ts';
import type { Card } from '../../cardsApi.ts';
import { isCancelled } from '../../components/cards/CardAgentProvider.tsx';
import { useActionSigner } from '../../components/cards/useActionSigner.ts';
import { createConfirm } from '../../components/ConfirmModal.tsx';
import { CardFinder } from '../../components/life/CardFinder.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { usePageTitle } from '../../hooks.ts';
import { cardAction, lifeApi } from '../../lifeApi.ts';

const confirmInitials = createConfirm('confirmer-paraphe');

export function FinalizationPage() {
  const headingRef = usePageTitle('Finalisation de l’activation');
  const sign = useActionSigner();
  const [target, setTarget] = useState<Card | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);

  const initial = async () => {
    if (!target) return;
    setError(null);
    setNotice(null);
    try {
      const signature = await sign(
        cardAction('card.finalize', target),
        `Paraphe de l’attestation de remise de la carte n° ${target.serial} : saisissez votre code PIN de signature.`,
      );
      await lifeApi.finalize(target.id, signature);
      setNotice(
        `L’attestation de remise de la carte n° ${target.serial} de ${holderName(target)} est paraphée : la carte est active.`,
      );
      setGeneration((g) => g + 1);
    } catch (err) {
      if (!isCancelled(err)) setError(err);
    }
  };

  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Finalisation de l’activation
      </h1>
      <p>
        Après l’activation, le porteur se connecte avec sa nouvelle carte et définit ses secrets ; vous paraphez ensuite
        l’attestation de remise pour que la carte soit fonctionnelle.
      </p>
      <div role="status">{notice && <Alert severity="success" small description={notice} className="fr-mb-3w" />}</div>
      <ProblemAlert error={error} title="Le paraphe n’a pas abouti" />
      <CardFinder
        key={generation}
        state="activated"
        caption="Cartes activées, à finaliser"
        empty="Aucune carte à finaliser : une carte apparaît ici après son activation."
        action={(c) => (
          <Button
            size="small"
            iconId="fr-icon-edit-line"
            nativeButtonProps={{ 'aria-label': `Parapher l’attestation de la carte ${c.serial}` }}
            onClick={() => {
              setTarget(c);
              confirmInitials.open();
            }}
          >
            Parapher
          </Button>
        )}
      />
      <confirmInitials.Dialog
        title="Parapher l’attestation de remise ?"
        confirmLabel="Parapher"
        onConfirm={() => void initial()}
      >
        <p>
          {target
            ? `Vous confirmez avec votre carte (code PIN de signature) la remise de la carte n° ${target.serial} à ${holderName(target)}. La carte deviendra active.`
            : ''}
        </p>
      </confirmInitials.Dialog>
    </>
  );
}
