// /revocation — « Révocation de support hors-ligne » and the end of a card's life: revoke (reason,
// comment), resume a suspended card found again, record its return, destroy it (record kept in the
// case file). Each act is confirmed, then signed with the operator's card (PIN Propre).
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useState } from 'react';
import { holderName } from '../../cardLabels.ts';
import type { Card } from '../../cardsApi.ts';
import { isCancelled } from '../../components/cards/CardAgentProvider.tsx';
import { useActionSigner } from '../../components/cards/useActionSigner.ts';
import { createConfirm } from '../../components/ConfirmModal.tsx';
import { CardFinder } from '../../components/life/CardFinder.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { usePageTitle } from '../../hooks.ts';
import { cardAction, DESTRUCTION_METHODS, lifeApi, REVOCATION_REASONS } from '../../lifeApi.ts';

type Act = 'revoke' | 'resume' | 'return' | 'destroy';
const confirmAct = createConfirm('confirmer-fin-de-vie');
const REVOCABLE = new Set(['handed_over', 'activated', 'active', 'blocked', 'suspended']);
const DESTROYABLE = new Set(['returned', 'invalidated', 'revoked', 'expired']);

const ACT_LABELS: Record<Act, string> = {
  revoke: 'Révoquer',
  resume: 'Lever la suspension',
  return: 'Enregistrer la restitution',
  destroy: 'Détruire',
};

function actsFor(state: string): Act[] {
  const acts: Act[] = [];
  if (REVOCABLE.has(state)) acts.push('revoke');
  if (state === 'suspended') acts.push('resume');
  if (state === 'revoked' || state === 'expired') acts.push('return');
  if (DESTROYABLE.has(state)) acts.push('destroy');
  return acts;
}

export function RevocationPage() {
  const headingRef = usePageTitle('Révocation de support hors-ligne');
  const sign = useActionSigner();
  const [card, setCard] = useState<Card | null>(null);
  const [act, setAct] = useState<Act | null>(null);
  const [reason, setReason] = useState('');
  const [comment, setComment] = useState('');
  const [method, setMethod] = useState('shredder');
  const [witness, setWitness] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const [missing, setMissing] = useState(false);

  const choose = (c: Card, a: Act) => {
    setCard(c);
    setAct(a);
    setError(null);
    setNotice(null);
    setMissing(false);
  };

  const proceed = () => {
    if (act === 'revoke' && !reason) {
      setMissing(true);
      return;
    }
    setMissing(false);
    confirmAct.open();
  };

  const perform = async () => {
    if (!card || !act) return;
    setError(null);
    try {
      const purpose = `${ACT_LABELS[act]} la carte n° ${card.serial} : saisissez votre code PIN de signature.`;
      let state: string;
      if (act === 'revoke')
        state = (
          await lifeApi.revoke(
            card.id,
            reason,
            comment.trim() || null,
            await sign(cardAction('card.revoke', card, { reason }), purpose),
          )
        ).state;
      else if (act === 'resume')
        state = (await lifeApi.resume(card.id, await sign(cardAction('card.resume', card), purpose))).state;
      else if (act === 'return')
        state = (await lifeApi.returnCard(card.id, await sign(cardAction('card.return', card), purpose))).state;
      else
        state = (
          await lifeApi.destroy(
            card.id,
            method,
            witness.trim() || null,
            await sign(cardAction('card.destroy', card, { method }), purpose),
          )
        ).state;
      const labels: Record<string, string> = {
        revoked: 'révoquée',
        active: 'de nouveau active',
        returned: 'restituée',
        destroyed: 'détruite (procès-verbal joint au dossier)',
      };
      setNotice(`La carte n° ${card.serial} de ${holderName(card)} est ${labels[state] ?? state}.`);
      setAct(null);
      setCard(null);
      setGeneration((g) => g + 1);
    } catch (err) {
      if (!isCancelled(err)) setError(err);
    }
  };

  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Révocation de support hors-ligne
      </h1>
      <p>Révocation d’une carte (perte, vol, départ…), levée d’une suspension, restitution et destruction.</p>
      <div role="status">{notice && <Alert severity="success" small description={notice} className="fr-mb-3w" />}</div>
      <ProblemAlert error={error} title="L’action n’a pas abouti" />
      {card && act && (
        <section className="fr-mb-4w fr-p-3w ca-reader" aria-labelledby="acte-en-cours">
          <h2 id="acte-en-cours" className="fr-h4">
            {ACT_LABELS[act]} la carte n° {card.serial} ({holderName(card)})
          </h2>
          {act === 'revoke' && (
            <>
              <Select
                label="Motif de la révocation"
                state={missing ? 'error' : 'default'}
                stateRelatedMessage={missing ? 'Choisissez le motif de la révocation.' : undefined}
                nativeSelectProps={{ value: reason, onChange: (e) => setReason(e.target.value), required: true }}
              >
                <option value="">Choisissez un motif</option>
                {REVOCATION_REASONS.map((r) => (
                  <option key={r.code} value={r.code}>
                    {r.label}
                  </option>
                ))}
              </Select>
              <Input
                label="Commentaire (facultatif)"
                textArea
                nativeTextAreaProps={{
                  value: comment,
                  onChange: (e) => setComment(e.target.value),
                  maxLength: 500,
                  rows: 2,
                }}
              />
            </>
          )}
          {act === 'destroy' && (
            <>
              <Select
                label="Mode de destruction"
                nativeSelectProps={{ value: method, onChange: (e) => setMethod(e.target.value) }}
              >
                {DESTRUCTION_METHODS.map((m) => (
                  <option key={m.code} value={m.code}>
                    {m.label}
                  </option>
                ))}
              </Select>
              <Input
                label="Témoin (facultatif)"
                nativeInputProps={{ value: witness, onChange: (e) => setWitness(e.target.value), maxLength: 200 }}
              />
            </>
          )}
          <ul className="fr-btns-group fr-btns-group--inline-md">
            <li>
              <Button onClick={proceed}>{ACT_LABELS[act]}</Button>
            </li>
            <li>
              <Button priority="secondary" onClick={() => setAct(null)}>
                Annuler
              </Button>
            </li>
          </ul>
        </section>
      )}
      <CardFinder
        key={generation}
        caption="Cartes"
        empty="Aucune carte dans votre périmètre."
        action={(c) => {
          const acts = actsFor(c.state);
          if (acts.length === 0) return '—';
          return (
            <ul className="fr-btns-group fr-btns-group--sm fr-btns-group--inline-lg">
              {acts.map((a) => (
                <li key={a}>
                  <Button
                    size="small"
                    priority={a === 'revoke' || a === 'destroy' ? 'primary' : 'secondary'}
                    nativeButtonProps={{ 'aria-label': `${ACT_LABELS[a]} la carte ${c.serial}` }}
                    onClick={() => choose(c, a)}
                  >
                    {ACT_LABELS[a]}
                  </Button>
                </li>
              ))}
            </ul>
          );
        }}
      />
      <confirmAct.Dialog
        title="Confirmer l’action ?"
        confirmLabel={act ? ACT_LABELS[act] : 'Confirmer'}
        onConfirm={() => void perform()}
      >
        <p>
          {card && act
            ? act === 'resume'
              ? `La carte n° ${card.serial} retrouvée redevient active et ses certificats sont rétablis.`
              : `${ACT_LABELS[act]} la carte n° ${card.serial} de ${holderName(card)} : cette action est irréversible.`
            : ''}
        </p>
      </confirmAct.Dialog>
    </>
  );
}
