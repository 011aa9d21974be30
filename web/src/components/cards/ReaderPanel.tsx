// The card reader as the card agent reports it: pairing, reader name, inserted card (number,
// holder, PIN tries), and for the virtual reader the "insert / remove" buttons that stand for the
// person's hand.
import { Button } from '@codegouvfr/react-dsfr/Button';
import { useEffect, useId, useState } from 'react';
import { errorMessage } from '../../api.ts';
import { PIN_LABELS, VIRTUAL_READER, type AgentCardFile } from '../../cardAgent.ts';
import { plural } from '../../format.ts';
import { useCardAgent } from './CardAgentProvider.tsx';

const CHIP_STATE_LABELS: Record<string, string> = {
  blank: 'Vierge',
  transport: 'En transport (codes PIN non définis)',
  active: 'Active',
  terminated: 'Hors d’usage',
};

function cardFileLabel(c: AgentCardFile): string {
  const parts = [c.serial ?? c.file];
  if (c.holder) parts.push(c.holder);
  return parts.join(' — ');
}

export function ReaderPanel(props: {
  /** What the person must do now, e.g. « Vous devez retirer votre carte du lecteur et insérer la carte à remettre ». */
  prompt?: string;
  headingLevel?: 'h2' | 'h3';
  /** Heading text (default « Lecteur de carte »). */
  title?: string;
}) {
  const agent = useCardAgent();
  const id = useId();
  const [files, setFiles] = useState<AgentCardFile[] | null>(null);
  const [choice, setChoice] = useState('');
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const reader = agent.reader;
  const card = reader?.card ?? null;
  const virtual = reader?.name === VIRTUAL_READER || reader?.kind === 'virtual';
  const Heading = props.headingLevel ?? 'h2';

  useEffect(() => {
    if (!agent.client || !virtual || card) return;
    let stale = false;
    agent.client.cards().then(
      (list) => {
        if (stale) return;
        setFiles(list);
        setChoice((c) => (c && list.some((f) => f.file === c) ? c : (list[0]?.file ?? '')));
      },
      (err: unknown) => {
        if (!stale) setActionError(errorMessage(err));
      },
    );
    return () => {
      stale = true;
    };
  }, [agent.client, virtual, card]);

  const run = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setActionError(null);
    try {
      await fn();
      await agent.refresh();
    } catch (err) {
      setActionError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="ca-reader fr-p-3w fr-mb-4w" aria-labelledby={`${id}-title`}>
      <Heading id={`${id}-title`} className="fr-h5 fr-mb-2w">
        <span className="fr-icon-bank-card-line fr-mr-1w" aria-hidden="true" />
        {props.title ?? 'Lecteur de carte'}
      </Heading>
      {!agent.paired ? (
        <>
          <p>Ce navigateur n’est pas encore appairé avec l’agent de carte de ce poste.</p>
          <Button iconId="fr-icon-links-line" priority="secondary" onClick={() => void agent.requestPairing()}>
            Appairer l’agent de carte
          </Button>
        </>
      ) : agent.error ? (
        <>
          <div className="fr-alert fr-alert--warning fr-alert--sm fr-mb-2w">
            <p>{agent.error.message}</p>
          </div>
          <ul className="fr-btns-group fr-btns-group--inline-sm fr-btns-group--icon-left">
            <li>
              <Button priority="secondary" iconId="fr-icon-refresh-line" onClick={() => void agent.refresh()}>
                Réessayer
              </Button>
            </li>
            <li>
              <Button priority="tertiary" iconId="fr-icon-links-line" onClick={() => void agent.requestPairing()}>
                Appairer à nouveau
              </Button>
            </li>
          </ul>
        </>
      ) : !agent.status ? (
        <p role="status">Interrogation de l’agent de carte…</p>
      ) : !reader ? (
        <p>L’agent de carte ne signale aucun lecteur.</p>
      ) : (
        <>
          <div role="status" aria-live="polite">
            {props.prompt && (
              <p className="fr-text--bold fr-mb-1w">
                <span className="fr-icon-information-line fr-mr-1w" aria-hidden="true" />
                {props.prompt}
              </p>
            )}
            <p className="fr-mb-1w">
              Lecteur : <strong>{reader.name}</strong>
              {virtual ? ' (lecteur virtuel)' : ''} —{' '}
              {card ? (
                <>
                  carte n° <strong className="ca-code">{card.serial}</strong> insérée
                  {card.holder ? (
                    <>
                      {' '}
                      (porteur : <strong>{card.holder}</strong>)
                    </>
                  ) : null}
                </>
              ) : reader.error ? (
                'carte illisible.'
              ) : (
                'aucune carte insérée. Veuillez insérer le support.'
              )}
            </p>
          </div>
          {reader.error && (
            <div className="fr-alert fr-alert--warning fr-alert--sm fr-mb-2w">
              <p>{reader.error.message}</p>
            </div>
          )}
          {card && (
            <ul className="fr-text--sm fr-mb-2w">
              <li>État de la puce : {CHIP_STATE_LABELS[card.chipState] ?? card.chipState}</li>
              {(['auth', 'sign'] as const).map((k) => {
                const p = card.pins?.[k];
                if (!p) return null;
                return (
                  <li key={k}>
                    {PIN_LABELS[k]} :{' '}
                    {!p.set
                      ? 'non défini'
                      : p.blocked
                        ? 'bloqué'
                        : plural(p.triesLeft, 'tentative restante', 'tentatives restantes')}
                  </li>
                );
              })}
            </ul>
          )}
          {actionError && (
            <div className="fr-alert fr-alert--error fr-alert--sm fr-mb-2w" role="alert">
              <p>{actionError}</p>
            </div>
          )}
          {virtual && (card || reader.error) && (
            <Button
              priority="secondary"
              iconId="fr-icon-logout-box-r-line"
              disabled={busy}
              onClick={() => void run(() => agent.client!.remove(reader.name))}
            >
              Retirer la carte
            </Button>
          )}
          {virtual && !card && !reader.error && (
            <form
              className="ca-reader__insert"
              onSubmit={(e) => {
                e.preventDefault();
                if (choice) void run(() => agent.client!.insert(reader.name, choice));
              }}
            >
              {files === null ? (
                <p role="status">Chargement des cartes disponibles…</p>
              ) : files.length === 0 ? (
                <p>Aucune carte virtuelle n’est disponible dans le dossier de l’agent de carte.</p>
              ) : (
                <>
                  <div className="fr-select-group fr-mb-2w">
                    <label className="fr-label" htmlFor={`${id}-file`}>
                      Carte à insérer dans le lecteur virtuel
                    </label>
                    <select
                      id={`${id}-file`}
                      className="fr-select"
                      value={choice}
                      onChange={(e) => setChoice(e.target.value)}
                    >
                      {files.map((f) => (
                        <option key={f.file} value={f.file}>
                          {cardFileLabel(f)}
                        </option>
                      ))}
                    </select>
                  </div>
                  <Button type="submit" iconId="fr-icon-arrow-right-line" disabled={busy || !choice}>
                    Insérer une carte
                  </Button>
                </>
              )}
            </form>
          )}
        </>
      )}
    </section>
  );
}
