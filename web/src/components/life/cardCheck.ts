// « Attendre que le lecteur arrête de clignoter, puis cliquez sur le bouton OK »: the page checks
// which card the reader holds before going on (the card to hand over, the operator's card…).
import { CardAgentError } from '../../cardAgent.ts';
import type { CardAgentValue } from '../cards/CardAgentProvider.tsx';

/** The reader and client holding the card `serial`; throws a French CardAgentError otherwise. */
export async function requireInsertedCard(agent: CardAgentValue, serial: string) {
  if (!agent.client) throw new CardAgentError('unpaired', 'Appairez d’abord l’agent de carte de ce poste.');
  const status = await agent.refresh();
  const reader = status?.readers.find((r) => r.card) ?? null;
  if (!reader?.card)
    throw new CardAgentError('no_card', `Aucune carte dans le lecteur : insérez la carte n° ${serial}.`);
  if (reader.card.serial !== serial) {
    throw new CardAgentError(
      'wrong_card',
      `La carte insérée (n° ${reader.card.serial}) n’est pas la carte n° ${serial} : retirez-la et insérez la bonne carte.`,
    );
  }
  return { client: agent.client, reader: reader.name, card: reader.card };
}

/** The operator's own card: any card but `notSerial` (the holder's). */
export async function requireOtherCard(agent: CardAgentValue, notSerial: string, what: string) {
  if (!agent.client) throw new CardAgentError('unpaired', 'Appairez d’abord l’agent de carte de ce poste.');
  const status = await agent.refresh();
  const reader = status?.readers.find((r) => r.card) ?? null;
  if (!reader?.card) throw new CardAgentError('no_card', `Aucune carte dans le lecteur : ${what}`);
  if (reader.card.serial === notSerial)
    throw new CardAgentError(
      'wrong_card',
      `La carte du porteur (n° ${notSerial}) est encore dans le lecteur : ${what}`,
    );
  return { client: agent.client, reader: reader.name, card: reader.card };
}
