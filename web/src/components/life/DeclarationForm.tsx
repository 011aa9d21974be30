// Declaration of a loss, a theft (with the police report's reference) or a temporary loss, with a
// confirmation before the irreversible act.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { useState, type FormEvent } from 'react';
import { formatDateTime, todayIso } from '../../format.ts';
import { DECLARATION_LABELS, type Declaration, type DeclarationKind } from '../../lifeApi.ts';
import { ChoiceFieldset } from '../Choices.tsx';
import { createConfirm } from '../ConfirmModal.tsx';
import { CardSelect } from './CardSelect.tsx';
import { ProblemAlert } from '../ProblemAlert.tsx';

const confirmDeclaration = createConfirm('confirmer-declaration');
const DECLARABLE = new Set(['handed_over', 'activated', 'active', 'blocked', 'suspended']);

const KIND_HINTS: Record<DeclarationKind, string> = {
  loss: 'La carte et ses certificats sont révoqués immédiatement et définitivement.',
  theft:
    'La carte et ses certificats sont révoqués immédiatement et définitivement. Munissez-vous du récépissé de votre plainte.',
  temporary_loss: 'La carte est suspendue ; si elle n’est pas retrouvée à temps, elle sera révoquée.',
};

export function DeclarationForm(props: {
  cards: { id: string; serial: string; state: string; stateLabel: string; modelLabel: string }[];
  declare: (cardId: string, body: Declaration) => Promise<{ state: string; escalatesAt: string | null }>;
  onDone?: () => void;
  /** Level of the success message's title (after the page's h1: h2). */
  titleAs?: 'h2' | 'h3';
}) {
  const cards = props.cards.filter((c) => DECLARABLE.has(c.state));
  const [cardId, setCardId] = useState('');
  const [kind, setKind] = useState<DeclarationKind | ''>('');
  const [police, setPolice] = useState('');
  const [circumstances, setCircumstances] = useState('');
  const [lostOn, setLostOn] = useState('');
  const [invalid, setInvalid] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const selected = cards.find((c) => c.id === (cardId || cards[0]?.id));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problems: string[] = [];
    if (!selected) problems.push('Choisissez la carte concernée.');
    if (!kind) problems.push('Choisissez le type de déclaration.');
    if (lostOn && lostOn > todayIso()) problems.push('La date de la perte ou du vol ne peut pas être dans le futur.');
    if (kind === 'theft' && police.trim().length < 4)
      problems.push(
        'Un vol se déclare avec la référence du dépôt de plainte (récépissé de la police ou de la gendarmerie).',
      );
    setInvalid(problems);
    if (problems.length === 0) confirmDeclaration.open();
  };

  const send = async () => {
    if (!selected || !kind) return;
    setError(null);
    try {
      const r = await props.declare(selected.id, {
        kind,
        policeReportReference: kind === 'theft' ? police.trim() : null,
        circumstances: circumstances.trim() || null,
        lostOn: kind !== 'temporary_loss' && lostOn ? lostOn : null,
      });
      setDone(
        r.state === 'suspended'
          ? `La carte n° ${selected.serial} est suspendue${r.escalatesAt ? ` : elle sera révoquée le ${formatDateTime(r.escalatesAt)} si elle n’est pas retrouvée et réactivée par votre responsable carte` : ''}.`
          : `La carte n° ${selected.serial} et ses certificats sont révoqués. Demandez une nouvelle carte à votre responsable carte.`,
      );
      props.onDone?.();
    } catch (err) {
      setError(err);
    }
  };

  if (cards.length === 0 && !done)
    return (
      <p>Aucune de vos cartes ne peut faire l’objet d’une déclaration (aucune carte remise, active ou bloquée).</p>
    );
  return (
    <>
      <div role="status">
        {done && (
          <Alert
            severity="success"
            as={props.titleAs ?? 'h2'}
            title="Déclaration enregistrée"
            description={done}
            className="fr-mb-3w"
          />
        )}
      </div>
      <ProblemAlert
        error={error}
        title="La déclaration n’a pas abouti"
        fieldLabels={{
          policeReportReference: 'Référence du dépôt de plainte',
          kind: 'Type',
          lostOn: 'Date de la perte ou du vol',
        }}
      />
      {!done && (
        <form onSubmit={submit} noValidate>
          {invalid.length > 0 && (
            <div className="fr-alert fr-alert--error fr-alert--sm fr-mb-3w" role="alert">
              <ul>
                {invalid.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            </div>
          )}
          <CardSelect
            id="carte-declaree"
            label="Carte concernée"
            cards={cards}
            value={selected?.id ?? ''}
            onChange={setCardId}
          />
          <ChoiceFieldset
            type="radio"
            id="type-declaration"
            name="declaration"
            legend="Type de déclaration"
            options={(Object.keys(DECLARATION_LABELS) as DeclarationKind[]).map((k) => ({
              value: k,
              label: DECLARATION_LABELS[k],
              hint: KIND_HINTS[k],
            }))}
            checked={(k) => kind === k}
            onChange={(k) => setKind(k)}
          />
          {kind === 'theft' && (
            <Input
              label="Référence du dépôt de plainte"
              hintText="Numéro du récépissé remis par la police ou la gendarmerie"
              nativeInputProps={{
                value: police,
                onChange: (e) => setPolice(e.target.value),
                maxLength: 60,
                required: true,
              }}
            />
          )}
          {kind && kind !== 'temporary_loss' && (
            <Input
              label="Date de la perte ou du vol (facultatif)"
              hintText="Si vous la connaissez : elle est publiée avec la révocation de vos certificats."
              nativeInputProps={{
                type: 'date',
                value: lostOn,
                max: todayIso(),
                onChange: (e) => setLostOn(e.target.value),
              }}
            />
          )}
          <Input
            label="Circonstances (facultatif)"
            textArea
            nativeTextAreaProps={{
              value: circumstances,
              onChange: (e) => setCircumstances(e.target.value),
              maxLength: 500,
              rows: 3,
            }}
          />
          <Button type="submit" iconId="fr-icon-alert-line">
            Déclarer
          </Button>
        </form>
      )}
      <confirmDeclaration.Dialog
        title="Confirmer la déclaration ?"
        confirmLabel="Confirmer la déclaration"
        onConfirm={() => void send()}
      >
        <p>
          {selected && kind
            ? `${DECLARATION_LABELS[kind]} de la carte n° ${selected.serial}. ${KIND_HINTS[kind]}${kind !== 'temporary_loss' ? ' Cette action est irréversible.' : ''}`
            : ''}
        </p>
      </confirmDeclaration.Dialog>
    </>
  );
}
