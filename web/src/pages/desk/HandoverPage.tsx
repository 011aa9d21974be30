// /supports/a-remettre/:id — « Confirmer la remise en main propre de ce support » (seed 001, étape 1):
// holder's data, check of the card to hand over in the reader, identity document and its certified
// copy, then the operator's card back in the reader and the confirmation signed with the operator's
// AUTHENTICATION key (PIN Global), as the guide says.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useState, type FormEvent } from 'react';
import { canonicalAction } from '../../../../src/domain/action-signature.ts';
import { cardsApi } from '../../cardsApi.ts';
import { useCardAgent } from '../../components/cards/CardAgentProvider.tsx';
import { ReaderPanel } from '../../components/cards/ReaderPanel.tsx';
import { requireInsertedCard, requireOtherCard } from '../../components/life/cardCheck.ts';
import { HolderDetails } from '../../components/life/HolderDetails.tsx';
import { createConfirm } from '../../components/ConfirmModal.tsx';
import { useAction } from '../../components/cards/useAction.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useActionSigner } from '../../components/cards/useActionSigner.ts';
import { formatDateTime } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { cardAction, handoverAction, lifeApi, normalizeDocumentNumber } from '../../lifeApi.ts';
import { Link } from '../../router.tsx';

type Step = 'check' | 'form' | 'operator' | 'done' | 'invalidated';

const confirmInvalidation = createConfirm('confirmer-invalidation');

const FIELD_LABELS = {
  identityDocumentType: 'Type de pièce d’identité',
  identityDocumentNumber: 'Numéro de la pièce d’identité',
  remarks: 'Commentaire',
  identityCopy: 'Copie certifiée conforme',
  file: 'Fichier',
};

export function HandoverPage(props: { params: Record<string, string> }) {
  const cardId = props.params.id ?? '';
  const headingRef = usePageTitle('Confirmer la remise en main propre de ce support');
  const view = useAsync(() => lifeApi.handover(cardId), [cardId]);
  const agent = useCardAgent();
  const [step, setStep] = useState<Step>('check');
  const { busy, error, run } = useAction();
  const [docType, setDocType] = useState('passport');
  const [docNumber, setDocNumber] = useState('');
  const [remarks, setRemarks] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [uploaded, setUploaded] = useState<string | null>(null);
  // Data error found at the desk: the card is invalidated instead (signed with the PIN Propre).
  const [invalidation, setInvalidation] = useState<string | null>(null);
  const [reasonMissing, setReasonMissing] = useState(false);
  const [mode, setMode] = useState<'handover' | 'invalidate'>('handover');
  const signAction = useActionSigner();

  const v = view.data;

  const checkCard = () =>
    run(async () => {
      await requireInsertedCard(agent, v!.card.serial);
      setStep('form');
    });

  const validate = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      if (!/^[A-Z0-9]{5,20}$/.test(normalizeDocumentNumber(docNumber))) {
        throw new Error('Numéro de la pièce d’identité : 5 à 20 lettres ou chiffres.');
      }
      if (!v!.identityCopy && !uploaded && !file) {
        throw new Error(
          'Joignez la copie de la pièce d’identité, certifiée conforme à l’original et signée par le porteur.',
        );
      }
      if (file) {
        const r = await lifeApi.uploadIdentityCopy(cardId, file);
        setUploaded(r.fileName);
        setFile(null);
      }
      setMode('handover');
      setStep('operator');
    });
  };

  const askInvalidation = () => {
    const reason = (invalidation ?? '').trim();
    setReasonMissing(reason.length < 5);
    if (reason.length >= 5) confirmInvalidation.open();
  };

  const confirm = () =>
    run(async () => {
      await requireOtherCard(agent, v!.card.serial, 'Veuillez insérer la carte de l’opérateur.');
      if (mode === 'invalidate') {
        const reason = (invalidation ?? '').trim();
        const signature = await signAction(
          cardAction('card.invalidate', v!.card, { reason }),
          `Invalidation de la carte n° ${v!.card.serial} : saisissez votre code PIN de signature.`,
        );
        await lifeApi.invalidate(cardId, reason, signature);
        setStep('invalidated');
        view.reload();
        return;
      }
      const f = { type: docType, number: docNumber, remarks: remarks.trim() || null };
      const a = handoverAction(v!.card, f);
      const { nonce } = await cardsApi.signatureNonce();
      const signed = await agent.signWithCard(
        'auth',
        canonicalAction({ ...a, nonce }),
        `Remise de la carte n° ${v!.card.serial} à ${v!.holder.firstNames} ${v!.holder.lastName} : saisissez votre code PIN d’authentification.`,
      );
      await lifeApi.handOver(cardId, {
        identityDocumentType: f.type,
        identityDocumentNumber: normalizeDocumentNumber(f.number),
        remarks: f.remarks,
        signature: { nonce, signature: signed.signature, certificate: signed.certificate },
      });
      setStep('done');
      view.reload();
    });

  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Confirmer la remise en main propre de ce support
      </h1>
      <ProblemAlert error={view.error} title="Impossible d’afficher la carte à remettre" />
      {view.loading && !v && <p role="status">Chargement…</p>}
      {v && (
        <>
          <p>
            Carte n° <strong className="ca-code">{v.card.serial}</strong> — {v.card.modelLabel} — état :{' '}
            {v.card.stateLabel}.
          </p>
          <HolderDetails holder={v.holder} dn={v.dn} />
          <ProblemAlert error={error} title="La remise n’a pas abouti" fieldLabels={FIELD_LABELS} />
          {step === 'invalidated' ? (
            <>
              <Alert
                severity="warning"
                title="Carte invalidée"
                description={`La carte n° ${v.card.serial} n’est pas remise : ses certificats sont révoqués et elle est à détruire. Les données d’identité de ${v.holder.firstNames} ${v.holder.lastName} sont à vérifier avant une nouvelle commande.`}
                className="fr-mb-3w"
              />
              <Link className="fr-btn fr-btn--secondary" href="/supports/a-remettre">
                Retour aux supports à remettre
              </Link>
            </>
          ) : step === 'done' ? (
            <>
              <Alert
                severity="success"
                title="Remise enregistrée"
                description={`La carte n° ${v.card.serial} est remise en main propre à ${v.holder.firstNames} ${v.holder.lastName}. L’activation peut commencer, en présence du porteur.`}
                className="fr-mb-3w"
              />
              <ul className="fr-btns-group fr-btns-group--inline-md">
                <li>
                  <Link className="fr-btn" href={`/activation/${encodeURIComponent(cardId)}`}>
                    Activer le support
                  </Link>
                </li>
                <li>
                  <Link className="fr-btn fr-btn--secondary" href="/supports/a-remettre">
                    Retour aux supports à remettre
                  </Link>
                </li>
              </ul>
            </>
          ) : v.card.state !== 'received' ? (
            <Alert
              severity="info"
              small
              description={`Cette carte est « ${v.card.stateLabel} » : seule une carte reçue peut être remise.`}
              className="fr-mb-3w"
            />
          ) : step === 'check' ? (
            <section aria-labelledby="controle-carte">
              <h2 id="controle-carte" className="fr-h4">
                Veuillez insérer le support à remettre
              </h2>
              <ReaderPanel
                headingLevel="h3"
                prompt="Vous devez retirer votre carte du lecteur et insérer la carte à remettre"
              />
              <p>Attendez que le lecteur arrête de clignoter, puis cliquez sur le bouton OK.</p>
              <ul className="fr-btns-group fr-btns-group--inline-md">
                <li>
                  <Button onClick={() => void checkCard()} disabled={busy}>
                    OK
                  </Button>
                </li>
                <li>
                  <Link className="fr-btn fr-btn--secondary" href="/supports/a-remettre">
                    Annuler
                  </Link>
                </li>
              </ul>
            </section>
          ) : step === 'form' ? (
            <form onSubmit={validate} noValidate aria-labelledby="commentaire">
              <h2 id="commentaire" className="fr-h4">
                Commentaire
              </h2>
              <p>
                Comparez les informations affichées avec la pièce d’identité de la personne à qui la carte est remise.
              </p>
              <Select
                label="Type de pièce d’identité"
                nativeSelectProps={{ value: docType, onChange: (e) => setDocType(e.target.value), required: true }}
              >
                {v.identityDocumentTypes.map((t) => (
                  <option key={t.code} value={t.code}>
                    {t.label}
                  </option>
                ))}
              </Select>
              <Input
                label="Numéro de la pièce d’identité"
                hintText="Tel qu’il figure sur la pièce, par exemple 22AZ25916"
                nativeInputProps={{
                  value: docNumber,
                  onChange: (e) => setDocNumber(e.target.value),
                  required: true,
                  autoComplete: 'off',
                }}
              />
              <div className="fr-upload-group fr-mb-3w">
                <label className="fr-label" htmlFor="copie-identite">
                  Copie de la pièce d’identité, certifiée conforme à l’original et signée par le porteur
                  <span className="fr-hint-text">
                    PDF, JPEG ou PNG, 5 Mo au plus.
                    {(uploaded ?? v.identityCopy?.fileName) &&
                      ` Copie déjà jointe : ${uploaded ?? v.identityCopy!.fileName}${!uploaded && v.identityCopy ? ` (${formatDateTime(v.identityCopy.uploadedAt)})` : ''}.`}
                  </span>
                </label>
                <input
                  className="fr-upload"
                  type="file"
                  id="copie-identite"
                  accept="application/pdf,image/jpeg,image/png"
                  onChange={(e) => setFile(e.target.files?.[0] ?? null)}
                />
              </div>
              <Input
                label="Informations complémentaires"
                hintText="Nom d’état civil pour les personnes mariées, particularité lors de la remise…"
                textArea
                nativeTextAreaProps={{
                  value: remarks,
                  onChange: (e) => setRemarks(e.target.value),
                  maxLength: 500,
                  rows: 3,
                }}
              />
              <p className="fr-text--bold">Avez-vous bien remis ce support en main propre à son porteur ?</p>
              <ul className="fr-btns-group fr-btns-group--inline-md">
                <li>
                  <Button type="submit" disabled={busy}>
                    Valider
                  </Button>
                </li>
                <li>
                  <Button type="button" priority="secondary" onClick={() => setStep('check')}>
                    Annuler
                  </Button>
                </li>
              </ul>
              <details className="fr-mt-4w">
                <summary>Les données de la carte ne correspondent pas à la pièce d’identité</summary>
                <p className="fr-mt-2w">
                  La carte n’est alors pas remise : elle est invalidée (certificats révoqués) et sera détruite ; les
                  données du porteur seront à corriger avant une nouvelle commande.
                </p>
                <Input
                  label="Motif de l’invalidation"
                  hintText="Données erronées constatées (5 caractères au moins)"
                  state={reasonMissing ? 'error' : 'default'}
                  stateRelatedMessage={
                    reasonMissing ? 'Indiquez le motif de l’invalidation (5 caractères au moins).' : undefined
                  }
                  textArea
                  nativeTextAreaProps={{
                    value: invalidation ?? '',
                    onChange: (e) => setInvalidation(e.target.value),
                    maxLength: 500,
                    rows: 2,
                  }}
                />
                <Button type="button" priority="tertiary" iconId="fr-icon-close-circle-line" onClick={askInvalidation}>
                  Invalider la carte
                </Button>
              </details>
            </form>
          ) : (
            <section aria-labelledby="carte-operateur">
              <h2 id="carte-operateur" className="fr-h4">
                Veuillez insérer la carte de l’opérateur.
              </h2>
              <ReaderPanel
                headingLevel="h3"
                prompt="Retirez la carte à remettre du lecteur et insérez votre carte (opérateur de remise)."
              />
              {mode === 'invalidate' ? (
                <p>
                  Invalidation de la carte : {(invalidation ?? '').trim()}. Cliquez sur OK : votre code PIN de signature
                  (PIN Propre) vous sera demandé.
                </p>
              ) : (
                <>
                  <p>
                    Pièce d’identité : {v.identityDocumentTypes.find((t) => t.code === docType)?.label}{' '}
                    {normalizeDocumentNumber(docNumber)}
                    {remarks.trim() ? ` — ${remarks.trim()}` : ''}.
                  </p>
                  <p>
                    Attendez que le lecteur arrête de clignoter, puis cliquez sur OK : votre code PIN d’authentification
                    (PIN Global) vous sera demandé.
                  </p>
                </>
              )}
              <ul className="fr-btns-group fr-btns-group--inline-md">
                <li>
                  <Button onClick={() => void confirm()} disabled={busy}>
                    OK
                  </Button>
                </li>
                <li>
                  <Button
                    priority="secondary"
                    onClick={() => {
                      setMode('handover');
                      setStep('form');
                    }}
                  >
                    Annuler
                  </Button>
                </li>
              </ul>
            </section>
          )}
          <confirmInvalidation.Dialog
            title="Invalider la carte ?"
            confirmLabel="Invalider la carte"
            onConfirm={() => {
              setMode('invalidate');
              setStep('operator');
            }}
          >
            <p>
              La carte n° {v.card.serial} ne sera pas remise : ses certificats seront révoqués et elle sera détruite.
              Cette action est irréversible. Votre code PIN de signature vous sera demandé avec votre carte d’opérateur.
            </p>
          </confirmInvalidation.Dialog>
        </>
      )}
    </>
  );
}
