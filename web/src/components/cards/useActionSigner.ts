// Confirms an action with the operator's card (docs/cards.md §3): single-use nonce from the server,
// canonical text (the very function the server uses), signature by the card's SIGN key after the
// signature PIN ("PIN Propre"), returned as the body member `signature`.
import { useCallback } from 'react';
import { canonicalAction } from '../../../../src/domain/action-signature.ts';
import { cardsApi, type ActionSignaturePayload } from '../../cardsApi.ts';
import { useCardAgent } from './CardAgentProvider.tsx';

export interface ActionToConfirm {
  action: string;
  target: string;
  content: unknown;
}

export function useActionSigner() {
  const { signWithCard } = useCardAgent();
  return useCallback(
    async (a: ActionToConfirm, purpose: string): Promise<ActionSignaturePayload> => {
      const { nonce } = await cardsApi.signatureNonce();
      const text = canonicalAction({ action: a.action, target: a.target, content: a.content, nonce });
      const { signature, certificate } = await signWithCard('sign', text, purpose);
      return { nonce, signature, certificate };
    },
    [signWithCard],
  );
}
