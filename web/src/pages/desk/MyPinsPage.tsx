// /porteur/codes-pin — « Modifier mes codes PIN »: the holder, signed in with the card, changes the
// PIN Global or the PIN Propre knowing the current one. The new PIN is checked here against the
// guide's rules (with the birth date the server gives), then only the card agent receives the PINs.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { useState, type FormEvent } from 'react';
import { PIN_LABELS, type PinKind } from '../../cardAgent.ts';
import { useCardAgent } from '../../components/cards/CardAgentProvider.tsx';
import { ReaderPanel } from '../../components/cards/ReaderPanel.tsx';
import { requireInsertedCard } from '../../components/life/cardCheck.ts';
import { HolderLayout } from '../../components/life/lifeMenu.tsx';
import { CardSelect } from '../../components/life/CardSelect.tsx';
import {
  PIN_HINTS,
  pinFaults,
  PinPairFields,
  PinRules,
  type PinFault,
  type PinPair,
} from '../../components/life/PinPairFields.tsx';
import { ChoiceFieldset } from '../../components/Choices.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { cardAdmin, lifeApi } from '../../lifeApi.ts';

const USABLE = new Set(['activated', 'active']);
const EMPTY: PinPair = { pin: '', confirmation: '' };
const PIN_CHOICES: readonly PinKind[] = ['auth', 'sign'];

export function MyPinsPage() {
  const headingRef = usePageTitle('Modifier mes codes PIN');
  const agent = useCardAgent();
  const mine = useAsync(() => lifeApi.myCards(), []);
  const cards = (mine.data?.cards ?? []).filter((c) => USABLE.has(c.state));
  const [cardId, setCardId] = useState('');
  const card = cards.find((c) => c.id === (cardId || cards[0]?.id)) ?? null;
  const [kind, setKind] = useState<PinKind>('auth');
  const [oldPin, setOldPin] = useState('');
  const [oldMissing, setOldMissing] = useState(false);
  const [pair, setPair] = useState<PinPair>(EMPTY);
  const [faults, setFaults] = useState<PinFault[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!card) return;
    const missing = !/^\d{4}$/.test(oldPin);
    const f = pinFaults(pair.pin, pair.confirmation, mine.data?.holder?.birthDate ?? '');
    if (!missing && f.length === 0 && pair.pin === oldPin)
      f.push({ code: 'mismatch', message: 'Le nouveau code PIN doit être différent de l’ancien.' });
    setOldMissing(missing);
    setFaults(f);
    setError(null);
    setDone(null);
    if (missing || f.length > 0) return;
    setBusy(true);
    try {
      const { client, reader } = await requireInsertedCard(agent, card.serial);
      await cardAdmin.changePin(client, reader, kind, oldPin, pair.pin);
      void agent.refresh();
      setOldPin('');
      setPair(EMPTY);
      setFaults(null);
      setDone(`Le ${PIN_LABELS[kind]} (${PIN_HINTS[kind]}) de votre carte n° ${card.serial} est modifié.`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <HolderLayout>
      <h1 ref={headingRef} tabIndex={-1}>
        Modifier mes codes PIN
      </h1>
      <p>
        Choisissez le code à modifier, saisissez le code actuel puis deux fois le nouveau. Vos codes PIN ne sont
        transmis qu’à votre carte, par l’agent de carte de ce poste : jamais à la plateforme. Trois codes actuels
        erronés bloquent la carte.
      </p>
      <ProblemAlert error={mine.error} title="Impossible d’afficher vos cartes" />
      {mine.loading && !mine.data && <p role="status">Chargement…</p>}
      <div role="status">
        {done && <Alert severity="success" as="h2" title="Code PIN modifié" description={done} className="fr-mb-3w" />}
      </div>
      <ProblemAlert error={error} title="Le code PIN n’a pas été modifié" />
      {mine.data && cards.length === 0 && (
        <p>Aucune de vos cartes n’est activée : ses codes PIN ne peuvent pas être modifiés ici.</p>
      )}
      {card && (
        <>
          <ReaderPanel prompt={`Insérez votre carte n° ${card.serial} dans le lecteur.`} />
          <form onSubmit={(e) => void submit(e)} noValidate className="fr-mt-3w">
            {cards.length > 1 && (
              <CardSelect id="carte-codes" label="Carte" cards={cards} value={card.id} onChange={setCardId} />
            )}
            <ChoiceFieldset
              type="radio"
              id="code-a-modifier"
              name="code-a-modifier"
              legend="Code à modifier"
              options={PIN_CHOICES.map((k) => ({ value: k, label: `${PIN_LABELS[k]} (${PIN_HINTS[k]})` }))}
              checked={(k) => kind === k}
              onChange={(k) => setKind(k)}
            />
            <div className={`fr-input-group${oldMissing ? ' fr-input-group--error' : ''}`}>
              <label className="fr-label" htmlFor="ancien-code">
                Code PIN actuel — {PIN_LABELS[kind]}
                <span className="fr-hint-text">4 chiffres</span>
              </label>
              <input
                id="ancien-code"
                className={`fr-input${oldMissing ? ' fr-input--error' : ''}`}
                type="password"
                inputMode="numeric"
                autoComplete="off"
                maxLength={4}
                value={oldPin}
                aria-describedby={oldMissing ? 'ancien-code-erreur' : undefined}
                aria-invalid={oldMissing || undefined}
                onChange={(e) => setOldPin(e.target.value.replace(/\s/g, ''))}
              />
              {oldMissing && (
                <p id="ancien-code-erreur" className="fr-error-text">
                  Saisissez votre code PIN actuel (4 chiffres).
                </p>
              )}
            </div>
            <PinPairFields
              legend={`Nouveau ${PIN_LABELS[kind]}`}
              hint={PIN_HINTS[kind]}
              usage={kind === 'auth' ? 'Authentification' : 'Signature'}
              value={pair}
              onChange={setPair}
              faults={faults}
              disabled={busy}
            />
            <PinRules />
            <Button type="submit" disabled={busy} iconId="fr-icon-lock-line">
              Modifier le code PIN
            </Button>
          </form>
        </>
      )}
    </HolderLayout>
  );
}
