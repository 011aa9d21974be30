// /activation and /activation/:id — « Activation d'un support » (seed 001, étape 2), holder present:
// Identification → Présentation → Acceptation → Activation. The server checks the letter's code
// and answers the card's challenges; the PINs go from this page to the card agent only. Then the
// operator's card countersigns (PIN Propre) and the operator authenticates (PIN Global).
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Stepper } from '@codegouvfr/react-dsfr/Stepper';
import { useState, type FormEvent } from 'react';
import { CardAgentError, PIN_LABELS, type PinKind } from '../../cardAgent.ts';
import { useCardAgent } from '../../components/cards/CardAgentProvider.tsx';
import { ReaderPanel } from '../../components/cards/ReaderPanel.tsx';
import { useActionSigner } from '../../components/cards/useActionSigner.ts';
import { CardFinder } from '../../components/life/CardFinder.tsx';
import { requireInsertedCard, requireOtherCard } from '../../components/life/cardCheck.ts';
import { HolderDetails } from '../../components/life/HolderDetails.tsx';
import { pinFaults, NewPinsFields, type PinFault, type PinPair } from '../../components/life/PinPairFields.tsx';
import { ChoiceBox, ChoiceFieldset } from '../../components/Choices.tsx';
import { createConfirm } from '../../components/ConfirmModal.tsx';
import { DataTable } from '../../components/DataTable.tsx';
import { useAction } from '../../components/cards/useAction.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { formatDate } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { cardAction, lifeApi, setPinWithServer, type ActivationView } from '../../lifeApi.ts';
import { Link } from '../../router.tsx';

const STEPS = ['Identification', 'Présentation', 'Acceptation', 'Activation'] as const;
const ACTIVATED = 'Le support et ses certificats ont été activés avec succès.';
const confirmRefusal = createConfirm('confirmer-refus-certificats');

export function ActivationListPage() {
  const headingRef = usePageTitle('Activation de support');
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Activation de support
      </h1>
      <p>Cartes remises à leur porteur, à activer en sa présence avec le code d’activation de son courrier.</p>
      <CardFinder
        state="handed_over"
        caption="Cartes à activer"
        empty="Aucune carte à activer : une carte apparaît ici après sa remise en main propre."
        action={(c) => (
          <Link
            className="fr-btn fr-btn--sm"
            href={`/activation/${encodeURIComponent(c.id)}`}
            aria-label={`Activer la carte ${c.serial}`}
          >
            Activer
          </Link>
        )}
      />
    </>
  );
}

type Phase =
  | 'identification'
  | 'presentation'
  | 'refusal'
  | 'acceptation'
  | 'activation'
  | 'operator'
  | 'authenticate'
  | 'done'
  | 'refused';

export function ActivationPage(props: { params: Record<string, string> }) {
  const cardId = props.params.id ?? '';
  const headingRef = usePageTitle('Activation d’un support');
  const view = useAsync(() => lifeApi.activation(cardId), [cardId]);
  const [phase, setPhase] = useState<Phase>('identification');
  const v = view.data;
  const stepIndex =
    phase === 'identification'
      ? 0
      : phase === 'presentation' || phase === 'refusal' || phase === 'refused'
        ? 1
        : phase === 'acceptation'
          ? 2
          : 3;

  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Activation d’un support
      </h1>
      <ProblemAlert error={view.error} title="Impossible d’afficher la carte à activer" />
      {view.loading && !v && <p role="status">Chargement…</p>}
      {v && v.card.state !== 'handed_over' && phase !== 'done' && phase !== 'authenticate' && phase !== 'refused' ? (
        <Alert
          severity="info"
          small
          className="fr-mb-3w"
          description={`La carte n° ${v.card.serial} est « ${v.card.stateLabel} » : seule une carte remise à son porteur peut être activée.`}
        />
      ) : v ? (
        <>
          <Stepper
            currentStep={stepIndex + 1}
            stepCount={STEPS.length}
            title={STEPS[stepIndex]!}
            nextTitle={STEPS[stepIndex + 1]}
          />
          {phase === 'identification' && <Identification view={v} onNext={() => setPhase('presentation')} />}
          {(phase === 'presentation' || phase === 'refusal') && (
            <Presentation
              view={v}
              refusing={phase === 'refusal'}
              onAccept={() => setPhase('acceptation')}
              onRefuse={() => setPhase('refusal')}
              onRefused={() => setPhase('refused')}
              onBack={() => setPhase('presentation')}
            />
          )}
          {phase === 'refused' && (
            <Alert
              severity="warning"
              title="Certificats refusés"
              className="fr-mb-3w"
              description={`Le porteur a refusé les certificats : la carte n° ${v.card.serial} et ses certificats sont révoqués.`}
            />
          )}
          {phase === 'acceptation' && <Acceptation view={v} onNext={() => setPhase('activation')} />}
          {(phase === 'activation' || phase === 'operator' || phase === 'authenticate' || phase === 'done') && (
            <Activation view={v} phase={phase} setPhase={setPhase} />
          )}
        </>
      ) : null}
    </>
  );
}

function Cancel() {
  return (
    <Link className="fr-btn fr-btn--secondary" href="/activation">
      Annuler
    </Link>
  );
}

function Identification(props: { view: ActivationView; onNext: () => void }) {
  const agent = useCardAgent();
  const [error, setError] = useState<unknown>(null);
  const v = props.view;
  const next = async () => {
    setError(null);
    try {
      await requireInsertedCard(agent, v.card.serial);
      props.onNext();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <ReaderPanel
        headingLevel="h2"
        prompt="Retirez du lecteur la carte de l’opérateur et insérez la carte à activer."
      />
      <HolderDetails holder={v.holder} dn={v.dn} />
      <p>Vérifiez les informations d’authentification du porteur avec sa pièce d’identité.</p>
      <ProblemAlert error={error} title="Carte à activer" />
      <ul className="fr-btns-group fr-btns-group--inline-md">
        <li>
          <Button iconId="fr-icon-check-line" onClick={() => void next()}>
            Identité validée
          </Button>
        </li>
        <li>
          <Cancel />
        </li>
      </ul>
    </>
  );
}

function CertificateTable(props: { view: ActivationView }) {
  return (
    <DataTable
      caption="Certificats présents sur la carte"
      multiline
      headers={[
        'Libellé',
        'Niveau RGS',
        'Numéro de série',
        'Date début validité',
        'Date fin validité',
        'Usages',
        'Usages étendus',
      ]}
      rowKeys={props.view.certificates.map((c) => c.serial)}
      rows={props.view.certificates.map((c) => [
        c.label,
        c.rgsLevel,
        <span className="ca-code">{c.serial}</span>,
        formatDate(c.notBefore),
        formatDate(c.notAfter),
        c.usages,
        c.extendedUsages,
      ])}
    />
  );
}

function Presentation(props: {
  view: ActivationView;
  refusing: boolean;
  onAccept: () => void;
  onRefuse: () => void;
  onRefused: () => void;
  onBack: () => void;
}) {
  const v = props.view;
  const agent = useCardAgent();
  const sign = useActionSigner();
  const [choice, setChoice] = useState<'accept' | 'refuse' | ''>('');
  const [received, setReceived] = useState(false);
  const [requested, setRequested] = useState(false);
  const { busy, error, setError, run } = useAction();
  const [tried, setTried] = useState(false);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    setError(null);
    if (choice === 'refuse') {
      confirmRefusal.open();
      return;
    }
    if (choice === 'accept' && received && requested) props.onAccept();
  };

  const refuse = () =>
    run(async () => {
      await requireOtherCard(agent, v.card.serial, 'Veuillez insérer la carte de l’opérateur.');
      const signature = await sign(
        cardAction('card.refuse-certificates', v.card),
        `Refus des certificats de la carte n° ${v.card.serial} : saisissez votre code PIN de signature.`,
      );
      await lifeApi.refuse(v.card.id, signature);
      props.onRefused();
    });

  const missing = tried && choice === 'accept' && (!received || !requested);
  return (
    <>
      <h2 className="fr-h4">Informations certificat sélectionné</h2>
      <p>
        Porteur — DN : <span className="ca-code">{v.dn ?? '—'}</span>
      </p>
      <ProblemAlert error={error} title="Le refus n’a pas abouti" />
      {props.refusing ? (
        <>
          <Alert
            severity="warning"
            small
            className="fr-mb-2w"
            description="Le porteur refuse l’ensemble des certificats : la carte sera révoquée. Confirmez avec votre carte d’opérateur."
          />
          <ReaderPanel headingLevel="h3" prompt="Veuillez insérer la carte de l’opérateur." />
          <ul className="fr-btns-group fr-btns-group--inline-md">
            <li>
              <Button onClick={() => void refuse()} disabled={busy}>
                OK
              </Button>
            </li>
            <li>
              <Button priority="secondary" onClick={props.onBack}>
                Annuler
              </Button>
            </li>
          </ul>
        </>
      ) : (
        <form onSubmit={submit} noValidate>
          <ChoiceFieldset
            type="radio"
            id="choix-certificats"
            name="certificats"
            legend="Acceptation des certificats par le porteur"
            options={CERTIFICATE_CHOICES}
            checked={(c) => choice === c}
            onChange={(c) => setChoice(c)}
            error={tried && !choice && 'Indiquez si le porteur accepte ou refuse les certificats.'}
          />
          <h3 className="fr-h5">Éléments restitués au porteur</h3>
          <ChoiceBox
            type="checkbox"
            id="certifie-recu"
            className="fr-mb-2w"
            checked={received}
            onChange={setReceived}
            label="Je certifie avoir reçu"
            hint="Le support de type carte pour le(s) certificat(s) suivant(s)."
          />
          <CertificateTable view={v} />
          <ChoiceBox
            type="checkbox"
            id="demande-certificat"
            className="fr-mb-3w"
            checked={requested}
            onChange={setRequested}
            label="Le porteur demande l’émission d’un certificat en son nom"
          />
          {missing && (
            <p className="fr-message fr-message--error fr-mb-2w" role="alert">
              Cochez « Je certifie avoir reçu » et « Le porteur demande l’émission d’un certificat en son nom » pour
              poursuivre.
            </p>
          )}
          <ul className="fr-btns-group fr-btns-group--inline-md">
            <li>
              <Button type="submit">Suivant</Button>
            </li>
            <li>
              <Cancel />
            </li>
          </ul>
        </form>
      )}
      <confirmRefusal.Dialog
        title="Refuser les certificats ?"
        confirmLabel="Refuser les certificats"
        onConfirm={props.onRefuse}
      >
        <p>
          Le refus est définitif : la carte n° {v.card.serial} et ses certificats seront révoqués et la carte ne pourra
          pas être utilisée. Une nouvelle demande de carte sera nécessaire.
        </p>
      </confirmRefusal.Dialog>
    </>
  );
}

function Acceptation(props: { view: ActivationView; onNext: () => void }) {
  const v = props.view;
  return (
    <>
      <h2 className="fr-h4">Attestation de remise</h2>
      <div className="fr-callout fr-mb-3w">
        {v.attestation.map((p, i) => (
          <p key={i} className="fr-callout__text fr-text--md">
            {p}
          </p>
        ))}
      </div>
      <p>Ce document sera envoyé à l’adresse de messagerie du porteur à l’issue de l’activation.</p>
      <ul className="fr-btns-group fr-btns-group--inline-md">
        <li>
          <Button onClick={props.onNext}>Accepter</Button>
        </li>
        <li>
          <a
            className="fr-btn fr-btn--secondary fr-icon-download-line fr-btn--icon-left"
            href={lifeApi.attestationUrl(v.card.id)}
            download
          >
            Télécharger le document
          </a>
        </li>
        <li>
          <Cancel />
        </li>
      </ul>
    </>
  );
}

const EMPTY: PinPair = { pin: '', confirmation: '' };
const CERTIFICATE_CHOICES = [
  { value: 'accept', label: 'J’accepte l’ensemble des certificats présents sur ma carte' },
  {
    value: 'refuse',
    label: 'Je refuse l’ensemble des certificats présents sur ma carte',
    hint: 'La carte ne sera pas utilisable dans les applications.',
  },
] as const;

function Activation(props: { view: ActivationView; phase: Phase; setPhase: (p: Phase) => void }) {
  const v = props.view;
  const agent = useCardAgent();
  const sign = useActionSigner();
  const [code, setCode] = useState('');
  const [pins, setPins] = useState<Record<PinKind, PinPair>>({ auth: EMPTY, sign: EMPTY });
  const [faults, setFaults] = useState<{ auth: PinFault[]; sign: PinFault[] } | null>(null);
  const [codeOk, setCodeOk] = useState(v.codeAccepted);
  const [pinsSet, setPinsSet] = useState<{ auth: boolean; sign: boolean }>({ auth: false, sign: false });
  const { busy, error, run } = useAction();
  const [codeError, setCodeError] = useState<string | null>(null);
  const authLabel = v.certificates.find((c) => c.profile === 'auth')?.label ?? 'Authentification';
  const signLabel = v.certificates.find((c) => c.profile === 'sign')?.label ?? 'Signature';
  const pinsDone = pinsSet.auth && pinsSet.sign;

  const activate = (e: FormEvent) => {
    e.preventDefault();
    const f = {
      auth: pinFaults(pins.auth.pin, pins.auth.confirmation, v.holder.birthDate),
      sign: pinFaults(pins.sign.pin, pins.sign.confirmation, v.holder.birthDate),
    };
    setFaults(f);
    setCodeError(!codeOk && !/^\d{6}$/.test(code) ? 'Le code d’activation comporte 6 chiffres.' : null);
    if (f.auth.length + f.sign.length > 0 || (!codeOk && !/^\d{6}$/.test(code))) return;
    void run(async () => {
      const { client, reader } = await requireInsertedCard(agent, v.card.serial);
      if (!codeOk) {
        await lifeApi.activationCode(v.card.id, code);
        setCodeOk(true);
      }
      const done = { ...pinsSet };
      for (const pin of ['auth', 'sign'] as const) {
        if (done[pin]) continue;
        await setPinWithServer(
          client,
          reader,
          pin,
          pins[pin].pin,
          async (challenge) => (await lifeApi.activationAdminResponse(v.card.id, `set-pin:${pin}`, challenge)).response,
        );
        done[pin] = true;
        setPinsSet({ ...done });
      }
      void agent.refresh();
      props.setPhase('operator');
    });
  };

  const countersign = () =>
    run(async () => {
      await requireOtherCard(agent, v.card.serial, 'Veuillez insérer la carte de l’opérateur.');
      const content = await lifeApi.activationContent(v.card.id);
      const signature = await sign(
        { action: 'card.activate', target: v.card.id, content },
        `Contre-signature de l’activation de la carte n° ${v.card.serial} : saisissez votre code PIN de signature.`,
      );
      await lifeApi.completeActivation(v.card.id, signature);
      props.setPhase('authenticate');
    });

  const authenticate = () =>
    run(async () => {
      // « Vérification PIN — PIN Global »: the operator's card checks the PIN while signing a local
      // text (nothing is sent to the server: the provider's PIN dialog is only reachable this way).
      await agent.signWithCard(
        'auth',
        `cartes-verification-pin\n${v.card.id}`,
        'Authentification de l’opérateur : saisissez votre code PIN d’authentification.',
      );
      props.setPhase('done');
    });

  const masked = (p: PinPair) => (p.pin ? '****' : '');
  return (
    <>
      <ProblemAlert
        error={error}
        title={error instanceof CardAgentError ? 'La carte a refusé l’opération' : 'L’activation n’a pas abouti'}
      />
      <DataTable
        caption="Code d’activation du support"
        headers={['Référence', 'Numéro', 'Modèle', 'Type', 'Code d’activation']}
        rowKeys={[v.card.id]}
        rows={[
          [
            v.card.reference,
            <span className="ca-code">{v.card.serial}</span>,
            v.card.modelLabel,
            v.card.type,
            codeOk ? '******' : 'à saisir ci-dessous',
          ],
        ]}
      />
      {props.phase === 'activation' ? (
        <form onSubmit={activate} noValidate>
          {!codeOk && (
            <div className={`fr-input-group${codeError ? ' fr-input-group--error' : ''}`}>
              <label className="fr-label" htmlFor="code-activation">
                Code d’activation
                <span className="fr-hint-text">
                  Les 6 chiffres du courrier sécurisé envoyé au porteur (
                  {v.codeLocked ? 'code verrouillé : demandez un renvoi' : `${v.codeAttemptsLeft} essai(s) restant(s)`}
                  ).
                </span>
              </label>
              <input
                id="code-activation"
                className={`fr-input${codeError ? ' fr-input--error' : ''}`}
                inputMode="numeric"
                autoComplete="off"
                maxLength={6}
                value={code}
                aria-describedby={codeError ? 'code-activation-erreur' : undefined}
                aria-invalid={!!codeError || undefined}
                onChange={(e) => setCode(e.target.value.replace(/\s/g, ''))}
              />
              {codeError && (
                <p className="fr-error-text" id="code-activation-erreur">
                  {codeError}
                </p>
              )}
            </div>
          )}
          <NewPinsFields
            legend={(k) => `Certificat(s) - Code ${PIN_LABELS[k]}`}
            usage={{ auth: authLabel, sign: signLabel }}
            value={pins}
            onChange={setPins}
            faults={faults}
            disabled={pinsSet}
          />
          <ul className="fr-btns-group fr-btns-group--inline-md">
            <li>
              <Button type="submit" disabled={busy}>
                Activer
              </Button>
            </li>
            <li>
              <Cancel />
            </li>
          </ul>
        </form>
      ) : (
        <>
          <p>
            Certificat(s) - Code PIN Global : {authLabel} {masked(pins.auth) || '****'} — Certificat(s) - Code PIN
            Propre : {signLabel} {masked(pins.sign) || '****'}
          </p>
          {props.phase === 'operator' && (
            <section aria-labelledby="contre-signature">
              <Alert
                severity="success"
                small
                className="fr-mb-2w"
                description={
                  pinsDone ? 'Les codes PIN du porteur sont enregistrés sur sa carte.' : 'Codes PIN enregistrés.'
                }
              />
              <h2 id="contre-signature" className="fr-h4">
                Veuillez insérer la carte de l’opérateur.
              </h2>
              <ReaderPanel
                headingLevel="h3"
                prompt="Retirez la carte activée du lecteur et insérez la carte de l’opérateur (responsable carte)."
              />
              <p>
                Attendez que le lecteur arrête de clignoter, puis cliquez sur OK : votre code PIN de signature
                confirmera l’activation.
              </p>
              <Button onClick={() => void countersign()} disabled={busy}>
                OK
              </Button>
            </section>
          )}
          {props.phase === 'authenticate' && (
            <>
              <Alert
                severity="success"
                title={ACTIVATED}
                className="fr-mb-2w"
                description="Cliquez sur OK puis saisissez votre code PIN d’authentification."
              />
              <Button onClick={() => void authenticate()} disabled={busy}>
                OK
              </Button>
            </>
          )}
          {props.phase === 'done' && (
            <>
              <Alert
                severity="success"
                title={ACTIVATED}
                className="fr-mb-3w"
                description="L’activation de la carte est réalisée : le porteur doit maintenant se connecter avec sa nouvelle carte et définir ses secrets (code personnel et trois questions secrètes)."
              />
              <ul>
                <li>Retirez la carte du responsable carte du lecteur.</li>
                <li>
                  Le porteur insère sa carte, se connecte au portail avec son code PIN Global et ouvre « Porteur » puis
                  « Mes secrets ».
                </li>
              </ul>
              <Link className="fr-btn fr-btn--secondary" href="/activation">
                Retour à l’activation de support
              </Link>
            </>
          )}
        </>
      )}
    </>
  );
}
