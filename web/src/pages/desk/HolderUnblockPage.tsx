// /porteur/deblocage — « Débloquer ma carte », reachable without signing in (the card is blocked or
// lost): the holder proves who they are with organisation, identifier, personal code and the three
// answers; then chooses new PINs, checked here, that the card agent writes on the card once the
// server has answered the card's challenge. The same access declares a loss or a theft.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { useState, type FormEvent } from 'react';
import { PIN_LABELS, type PinKind } from '../../cardAgent.ts';
import { useCardAgent } from '../../components/cards/CardAgentProvider.tsx';
import { ReaderPanel } from '../../components/cards/ReaderPanel.tsx';
import { requireInsertedCard } from '../../components/life/cardCheck.ts';
import { DeclarationForm } from '../../components/life/DeclarationForm.tsx';
import { HolderLayout } from '../../components/life/lifeMenu.tsx';
import { CardSelect } from '../../components/life/CardSelect.tsx';
import {
  NewPinsFields,
  PIN_HINTS,
  pinFaults,
  type PinFault,
  type PinPair,
} from '../../components/life/PinPairFields.tsx';
import { ChoiceFieldset } from '../../components/Choices.tsx';
import { SecretQuestionFields, type Answer } from '../../components/life/SecretQuestionFields.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { formatDateTime } from '../../format.ts';
import { usePageTitle } from '../../hooks.ts';
import { lifeApi, setPinWithServer, type HolderAccessCard, type HolderAccessOpened } from '../../lifeApi.ts';

const UNBLOCKABLE = new Set(['activated', 'active', 'blocked']);
const PIN_CHOICES: readonly PinKind[] = ['auth', 'sign'];

/** The access opened by the secrets, with the holder's cards. */
export type Access = HolderAccessOpened & { cards: HolderAccessCard[] };

export function HolderUnblockPage() {
  const headingRef = usePageTitle('Débloquer ma carte');
  const [access, setAccess] = useState<Access | null>(null);
  return (
    <HolderLayout>
      <h1 ref={headingRef} tabIndex={-1}>
        Débloquer ma carte
      </h1>
      {access ? (
        <Unblock
          access={access}
          reload={async () => setAccess({ ...access, cards: (await lifeApi.holderAccessCards(access.token)).items })}
        />
      ) : (
        <HolderIdentifyForm onAccess={setAccess} />
      )}
    </HolderLayout>
  );
}

/** Organisation, identifier, personal code and the three answers → the holder's access (also used at renewal). */
export function HolderIdentifyForm(props: { onAccess: (a: Access) => void; intro?: string; submitLabel?: string }) {
  const [organization, setOrganization] = useState('');
  const [identifier, setIdentifier] = useState('');
  const [code, setCode] = useState('');
  const [answers, setAnswers] = useState<Answer[]>([
    { question: '', answer: '' },
    { question: '', answer: '' },
    { question: '', answer: '' },
  ]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await lifeApi.holderAccess({
        organization: organization.trim(),
        identifier: identifier.trim(),
        personalCode: code,
        answers,
      });
      const cards = await lifeApi.holderAccessCards(r.token);
      setCode('');
      props.onAccess({ token: r.token, expiresAt: r.expiresAt, holderName: r.holderName, cards: cards.items });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <p>
        {props.intro ?? (
          <>
            Après trois codes PIN erronés, votre carte est bloquée. Identifiez-vous avec les deux informations de votre
            attestation de remise (organisation et identifiant), votre code personnel et les réponses à vos trois
            questions secrètes (majuscules et minuscules comptent). Après trois erreurs, l’accès est suspendu : votre
            responsable carte peut aussi débloquer votre carte ou réinitialiser vos questions.
          </>
        )}
      </p>
      <ProblemAlert error={error} title="Identification impossible" />
      <form onSubmit={(e) => void submit(e)} noValidate className="fr-col-lg-8">
        <Input
          label="Organisation"
          hintText="Code de votre organisation, par exemple 77011"
          nativeInputProps={{
            value: organization,
            onChange: (e) => setOrganization(e.target.value),
            required: true,
            autoComplete: 'organization',
          }}
        />
        <Input
          label="Identifiant"
          hintText="Tel qu’indiqué sur votre attestation de remise"
          nativeInputProps={{
            value: identifier,
            onChange: (e) => setIdentifier(e.target.value),
            required: true,
            autoComplete: 'username',
          }}
        />
        <Input
          label="Code personnel"
          nativeInputProps={{
            type: 'password',
            value: code,
            onChange: (e) => setCode(e.target.value),
            required: true,
            autoComplete: 'current-password',
          }}
        />
        <SecretQuestionFields value={answers} onChange={setAnswers} faults={[]} answerType="password" />
        <Button type="submit" disabled={busy} iconId="fr-icon-lock-unlock-line">
          {props.submitLabel ?? 'M’identifier'}
        </Button>
      </form>
    </>
  );
}

const EMPTY: PinPair = { pin: '', confirmation: '' };

function Unblock(props: { access: Access; reload: () => Promise<void> }) {
  const agent = useCardAgent();
  const a = props.access;
  const cards = a.cards.filter((c) => UNBLOCKABLE.has(c.state));
  const [cardId, setCardId] = useState('');
  const card = cards.find((c) => c.id === (cardId || cards[0]?.id)) ?? null;
  const [which, setWhich] = useState<Record<PinKind, boolean>>({ auth: true, sign: true });
  const [pins, setPins] = useState<Record<PinKind, PinPair>>({ auth: EMPTY, sign: EMPTY });
  const [birthDate, setBirthDate] = useState('');
  const [faults, setFaults] = useState<Record<PinKind, PinFault[]> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!card) return;
    const f = {
      auth: which.auth ? pinFaults(pins.auth.pin, pins.auth.confirmation, birthDate) : [],
      sign: which.sign ? pinFaults(pins.sign.pin, pins.sign.confirmation, birthDate) : [],
    };
    setFaults(f);
    setError(null);
    if (f.auth.length + f.sign.length > 0 || (!which.auth && !which.sign)) return;
    setBusy(true);
    try {
      const { client, reader } = await requireInsertedCard(agent, card.serial);
      const reset: string[] = [];
      for (const pin of ['auth', 'sign'] as const) {
        if (!which[pin]) continue;
        await setPinWithServer(
          client,
          reader,
          pin,
          pins[pin].pin,
          async (challenge) =>
            (
              await lifeApi.holderUnblockResponse(a.token, {
                serial: card.serial,
                operation: `reset-pin:${pin}`,
                challenge,
              })
            ).response,
        );
        reset.push(PIN_LABELS[pin]);
        setWhich((w) => ({ ...w, [pin]: false }));
      }
      void agent.refresh();
      setPins({ auth: EMPTY, sign: EMPTY });
      setDone(
        `Votre carte n° ${card.serial} est débloquée : ${reset.join(' et ')} ${reset.length > 1 ? 'sont redéfinis' : 'est redéfini'}.`,
      );
      await props.reload().catch(() => {});
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Alert
        severity="info"
        small
        className="fr-mb-3w"
        description={`Identifié(e) : ${a.holderName}. Accès valable jusqu’à ${formatDateTime(a.expiresAt)}.`}
      />
      <div role="status">
        {done && <Alert severity="success" as="h2" title="Carte débloquée" description={done} className="fr-mb-3w" />}
      </div>
      <ProblemAlert error={error} title="Le déblocage n’a pas abouti" />
      <h2 className="fr-h4">Choisir de nouveaux codes PIN</h2>
      {cards.length === 0 ? (
        <p>Aucune de vos cartes ne peut être débloquée (seule une carte activée, active ou bloquée peut l’être).</p>
      ) : (
        <>
          <ReaderPanel
            headingLevel="h3"
            prompt={card ? `Insérez votre carte n° ${card.serial} dans le lecteur.` : undefined}
          />
          <form onSubmit={(e) => void submit(e)} noValidate>
            <CardSelect
              id="carte-a-debloquer"
              label="Carte à débloquer"
              cards={cards}
              value={card?.id ?? ''}
              onChange={setCardId}
            />
            <ChoiceFieldset
              type="checkbox"
              id="codes-a-redefinir"
              legend="Codes à redéfinir"
              options={PIN_CHOICES.map((k) => ({ value: k, label: `${PIN_LABELS[k]} (${PIN_HINTS[k]})` }))}
              checked={(k) => which[k]}
              onChange={(k, checked) => setWhich({ ...which, [k]: checked })}
            />
            <Input
              label="Date de naissance (facultative)"
              hintText="Pour vérifier que vos nouveaux codes ne reprennent pas votre date de naissance. Sans elle, cette règle n’est pas vérifiée ici : veillez-y vous-même."
              nativeInputProps={{
                type: 'date',
                value: birthDate,
                onChange: (e) => setBirthDate(e.target.value),
                autoComplete: 'bday',
              }}
            />
            <NewPinsFields shown={which} value={pins} onChange={setPins} faults={faults} />
            <Button type="submit" disabled={busy || (!which.auth && !which.sign)} iconId="fr-icon-lock-unlock-line">
              Débloquer ma carte
            </Button>
          </form>
        </>
      )}
      <h2 className="fr-h4 fr-mt-6w">Déclarer une perte ou un vol</h2>
      <DeclarationForm
        titleAs="h3"
        cards={a.cards}
        declare={(id, body) => lifeApi.holderAccessDeclare(a.token, id, body)}
        onDone={() => void props.reload().catch(() => {})}
      />
    </>
  );
}
