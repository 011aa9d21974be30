// /deblocage — « Déblocage de support » (operator side, holder present with the card): the new PINs
// are checked here; the operator's card signs one authorisation per PIN (PIN Propre), then the
// holder's card goes in the reader and the server answers its challenges.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { useState, type FormEvent } from 'react';
import { PIN_LABELS, type PinKind } from '../../cardAgent.ts';
import { holderName } from '../../cardLabels.ts';
import type { ActionSignaturePayload, Card } from '../../cardsApi.ts';
import { isCancelled, useCardAgent } from '../../components/cards/CardAgentProvider.tsx';
import { ReaderPanel } from '../../components/cards/ReaderPanel.tsx';
import { useActionSigner } from '../../components/cards/useActionSigner.ts';
import { CardFinder } from '../../components/life/CardFinder.tsx';
import { requireInsertedCard, requireOtherCard } from '../../components/life/cardCheck.ts';
import { pinFaults, NewPinsFields, type PinFault, type PinPair } from '../../components/life/PinPairFields.tsx';
import { ChoiceFieldset } from '../../components/Choices.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { cardAction, lifeApi, setPinWithServer } from '../../lifeApi.ts';

const UNBLOCKABLE = new Set(['activated', 'active', 'blocked']);
const EMPTY: PinPair = { pin: '', confirmation: '' };
const PIN_CHOICES: readonly PinKind[] = ['auth', 'sign'];

export function OfflineUnblockPage() {
  const headingRef = usePageTitle('Déblocage de support');
  const [card, setCard] = useState<Card | null>(null);
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Déblocage de support
      </h1>
      {card ? (
        <Unblock card={card} onBack={() => setCard(null)} />
      ) : (
        <>
          <p>
            Le porteur, présent avec sa carte bloquée, choisit de nouveaux codes PIN ; vous autorisez leur écriture avec
            votre carte.
          </p>
          <CardFinder
            caption="Cartes à débloquer"
            defaultState="blocked"
            empty="Aucune carte bloquée. Pour une carte dont un code PIN est bloqué, recherchez-la par son numéro ou le nom du porteur."
            action={(c) =>
              UNBLOCKABLE.has(c.state) ? (
                <Button
                  size="small"
                  iconId="fr-icon-lock-unlock-line"
                  nativeButtonProps={{ 'aria-label': `Débloquer la carte ${c.serial}` }}
                  onClick={() => setCard(c)}
                >
                  Débloquer
                </Button>
              ) : (
                '—'
              )
            }
          />
        </>
      )}
    </>
  );
}

function Unblock(props: { card: Card; onBack: () => void }) {
  const c = props.card;
  const agent = useCardAgent();
  const sign = useActionSigner();
  const view = useAsync(() => lifeApi.handover(c.id), [c.id]);
  const [which, setWhich] = useState<Record<PinKind, boolean>>({ auth: true, sign: true });
  const [pins, setPins] = useState<Record<PinKind, PinPair>>({ auth: EMPTY, sign: EMPTY });
  const [faults, setFaults] = useState<Record<PinKind, PinFault[]> | null>(null);
  const [signatures, setSignatures] = useState<Partial<Record<PinKind, ActionSignaturePayload>> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const chosen = (['auth', 'sign'] as const).filter((k) => which[k]);

  const authorise = async (e: FormEvent) => {
    e.preventDefault();
    const birth = view.data?.holder.birthDate ?? '';
    const f = {
      auth: which.auth ? pinFaults(pins.auth.pin, pins.auth.confirmation, birth) : [],
      sign: which.sign ? pinFaults(pins.sign.pin, pins.sign.confirmation, birth) : [],
    };
    setFaults(f);
    setError(null);
    if (f.auth.length + f.sign.length > 0 || chosen.length === 0) return;
    setBusy(true);
    try {
      await requireOtherCard(agent, c.serial, 'insérez d’abord votre carte d’opérateur pour autoriser le déblocage.');
      const s: Partial<Record<PinKind, ActionSignaturePayload>> = {};
      for (const k of chosen) {
        s[k] = await sign(
          cardAction('card.unblock', c, { operation: `reset-pin:${k}` }),
          `Déblocage du ${PIN_LABELS[k]} de la carte n° ${c.serial} : saisissez votre code PIN de signature.`,
        );
      }
      setSignatures(s);
    } catch (err) {
      if (!isCancelled(err)) setError(err);
    } finally {
      setBusy(false);
    }
  };

  const write = async () => {
    setBusy(true);
    setError(null);
    try {
      const { client, reader } = await requireInsertedCard(agent, c.serial);
      for (const k of chosen) {
        const signature = signatures?.[k];
        if (!signature) continue;
        await setPinWithServer(
          client,
          reader,
          k,
          pins[k].pin,
          async (challenge) => (await lifeApi.unblockResponse(c.id, `reset-pin:${k}`, challenge, signature)).response,
        );
        setSignatures((s) => ({ ...s, [k]: undefined }));
      }
      void agent.refresh();
      setDone(
        `La carte n° ${c.serial} de ${holderName(c)} est débloquée : ${chosen.map((k) => PIN_LABELS[k]).join(' et ')} redéfini(s).`,
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <p>
        Carte n° <strong className="ca-code">{c.serial}</strong> de {holderName(c)} — {c.stateLabel ?? c.state}.
      </p>
      <ProblemAlert error={view.error} title="Impossible d’afficher le porteur" />
      <ProblemAlert error={error} title="Le déblocage n’a pas abouti" />
      {done ? (
        <>
          <Alert severity="success" as="h2" title="Carte débloquée" description={done} className="fr-mb-3w" />
          <ReaderPanel
            headingLevel="h2"
            prompt="Rendez sa carte au porteur et insérez de nouveau votre carte d’opérateur."
          />
          <Button priority="secondary" onClick={props.onBack}>
            Débloquer une autre carte
          </Button>
        </>
      ) : !signatures ? (
        <>
          <ReaderPanel
            headingLevel="h2"
            prompt="Votre carte d’opérateur doit être dans le lecteur : elle autorise le déblocage."
          />
          <form onSubmit={(e) => void authorise(e)} noValidate>
            <ChoiceFieldset
              type="checkbox"
              id="codes-a-redefinir"
              legend="Codes à redéfinir"
              options={PIN_CHOICES.map((k) => ({ value: k, label: PIN_LABELS[k] }))}
              checked={(k) => which[k]}
              onChange={(k, checked) => setWhich({ ...which, [k]: checked })}
            />
            <NewPinsFields
              shown={which}
              value={pins}
              onChange={setPins}
              faults={faults}
              hintSuffix=", saisi par le porteur"
            />
            <ul className="fr-btns-group fr-btns-group--inline-md">
              <li>
                <Button type="submit" disabled={busy || chosen.length === 0}>
                  Autoriser avec ma carte
                </Button>
              </li>
              <li>
                <Button type="button" priority="secondary" onClick={props.onBack}>
                  Annuler
                </Button>
              </li>
            </ul>
          </form>
        </>
      ) : (
        <section aria-labelledby="carte-a-debloquer">
          <h2 id="carte-a-debloquer" className="fr-h4">
            Veuillez insérer la carte à débloquer
          </h2>
          <ReaderPanel
            headingLevel="h3"
            prompt={`Retirez votre carte du lecteur et insérez la carte n° ${c.serial}.`}
          />
          <Button onClick={() => void write()} disabled={busy}>
            OK
          </Button>
        </section>
      )}
    </>
  );
}
