// /agents/:id/depart and /agents/:id/mutation — the holder leaves (« Départ » : retirement or end of
// contract) or moves inside the ministry (« Mutation »), seed 000. Each act is confirmed, then signed
// with the operator's card (PIN Propre); the page shows what became of the holder's cards.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Breadcrumb } from '@codegouvfr/react-dsfr/Breadcrumb';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useState, type ReactNode } from 'react';
import { api, type Agent } from '../../api.ts';
import { CARD_STATE_LABELS } from '../../cardLabels.ts';
import { cardsApi } from '../../cardsApi.ts';
import { isCancelled } from '../../components/cards/CardAgentProvider.tsx';
import { StateBadge } from '../../components/cards/StateBadge.tsx';
import { useActionSigner } from '../../components/cards/useActionSigner.ts';
import { createConfirm } from '../../components/ConfirmModal.tsx';
import { DataTable } from '../../components/DataTable.tsx';
import { Loading } from '../../components/Loading.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { DEPARTURE_REASONS, lifeApi, type DepartureReason, type DepartureResult } from '../../lifeApi.ts';

const confirmDeparture = createConfirm('confirmer-depart');
const confirmTransfer = createConfirm('confirmer-mutation');

function fullName(a: Agent): string {
  return `${a.firstNames} ${a.lastName}`;
}

/** Breadcrumb, heading, the holder's identity and cards; the act below. */
function AgentMoveFrame(props: { id: string; title: string; generation: number; children: (a: Agent) => ReactNode }) {
  const agent = useAsync(() => api.agent(props.id), [props.id, props.generation]);
  const cards = useAsync(async () => {
    const a = agent.data;
    if (!a) return [];
    const page = await cardsApi.cards({ q: a.identifier, pageSize: 50 });
    return page.items.filter((c) => c.holder.id === a.id);
  }, [agent.data]);
  const a = agent.data;
  const headingRef = usePageTitle(a ? `${props.title} — ${fullName(a)}` : props.title);
  return (
    <>
      {a && (
        <Breadcrumb
          currentPageLabel={props.title}
          homeLinkProps={{ href: '/' }}
          segments={[
            { label: 'Agents', linkProps: { href: '/agents' } },
            { label: fullName(a), linkProps: { href: `/agents/${encodeURIComponent(a.id)}` } },
          ]}
        />
      )}
      <h1 ref={headingRef} tabIndex={-1}>
        {a ? `${props.title} — ${fullName(a)}` : props.title}
      </h1>
      <ProblemAlert error={agent.error} title="Impossible d’afficher l’agent" />
      {agent.loading && !a && <Loading />}
      {a && (
        <>
          <p>
            {fullName(a)} (<span className="ca-code">{a.identifier}</span>) — {a.organizationName}
            {a.category ? ` — ${a.category}` : ''}
          </p>
          <ProblemAlert error={cards.error} title="Impossible d’afficher les cartes de l’agent" />
          {cards.data && cards.data.length === 0 && <p>Cet agent n’a aucune carte.</p>}
          {cards.data && cards.data.length > 0 && (
            <DataTable
              caption={`Cartes de ${fullName(a)}`}
              headers={['Numéro', 'Modèle', 'État', 'Organisation']}
              rowKeys={cards.data.map((c) => c.id)}
              rows={cards.data.map((c) => [
                <span className="ca-code">{c.serial}</span>,
                c.modelLabel,
                <StateBadge state={c.state} labels={CARD_STATE_LABELS} />,
                c.organizationName,
              ])}
            />
          )}
          {props.children(a)}
        </>
      )}
    </>
  );
}

function departureSummary(r: DepartureResult): string[] {
  const lines: string[] = [];
  if (r.revoked.length > 0) lines.push(`Carte(s) révoquée(s), à restituer : ${r.revoked.join(', ')}.`);
  if (r.kept.length > 0)
    lines.push(`Carte(s) conservée(s) par le porteur (officier général de la 2e section) : ${r.kept.join(', ')}.`);
  if (r.invalidated.length > 0)
    lines.push(`Carte(s) pas encore remise(s), invalidée(s) : ${r.invalidated.join(', ')}.`);
  if (lines.length === 0) lines.push('Aucune carte en usage : rien n’a été révoqué.');
  return lines;
}

export function DeparturePage({ params }: { params: Record<string, string> }) {
  const id = params.id ?? '';
  const sign = useActionSigner();
  const [reason, setReason] = useState<DepartureReason | ''>('');
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<DepartureResult | null>(null);
  const [generation, setGeneration] = useState(0);

  const proceed = () => {
    setMissing(!reason);
    if (reason) confirmDeparture.open();
  };

  const perform = async (a: Agent) => {
    if (!reason) return;
    setError(null);
    try {
      const signature = await sign(
        { action: 'agent.departure', target: a.id, content: { agentId: a.id, reason } },
        `Enregistrer le départ de ${fullName(a)} : saisissez votre code PIN de signature.`,
      );
      setResult(await lifeApi.departure(a.id, reason, signature));
      setGeneration((g) => g + 1);
    } catch (err) {
      if (!isCancelled(err)) setError(err);
    }
  };

  return (
    <AgentMoveFrame id={id} title="Départ" generation={generation}>
      {(a) => (
        <section aria-labelledby="depart-acte" className="fr-mt-4w">
          <h2 id="depart-acte">Enregistrer le départ</h2>
          <p>
            Départ à la retraite ou fin de contrat : les cartes en usage sont révoquées et doivent être restituées, sauf
            pour les officiers généraux de la 2e section qui conservent leur carte ; les cartes pas encore remises sont
            invalidées.
          </p>
          <div role="status">
            {result && (
              <Alert
                severity="success"
                as="h3"
                title="Départ enregistré"
                className="fr-mb-3w"
                description={departureSummary(result).join(' ')}
              />
            )}
          </div>
          <ProblemAlert error={error} title="Le départ n’a pas été enregistré" />
          {!result && (
            <>
              <Select
                label="Motif du départ"
                state={missing ? 'error' : 'default'}
                stateRelatedMessage={missing ? 'Choisissez le motif du départ.' : undefined}
                nativeSelectProps={{
                  value: reason,
                  onChange: (e) => setReason(e.target.value as DepartureReason | ''),
                  required: true,
                }}
              >
                <option value="">Choisissez un motif</option>
                {DEPARTURE_REASONS.map((r) => (
                  <option key={r.code} value={r.code}>
                    {r.label}
                  </option>
                ))}
              </Select>
              <Button iconId="fr-icon-logout-box-r-line" onClick={proceed}>
                Enregistrer le départ
              </Button>
            </>
          )}
          <confirmDeparture.Dialog
            title="Confirmer le départ ?"
            confirmLabel="Enregistrer le départ"
            onConfirm={() => void perform(a)}
          >
            <p>
              Départ de <strong>{fullName(a)}</strong> ({DEPARTURE_REASONS.find((r) => r.code === reason)?.label ?? ''})
              : ses cartes en usage seront révoquées, sauf pour un officier général de la 2e section. Cette action est
              irréversible.
            </p>
          </confirmDeparture.Dialog>
        </section>
      )}
    </AgentMoveFrame>
  );
}

export function TransferPage({ params }: { params: Record<string, string> }) {
  const id = params.id ?? '';
  const sign = useActionSigner();
  const organizations = useAsync(() => api.organizations(), []);
  const reference = useAsync(() => api.reference(), []);
  const [destination, setDestination] = useState('');
  const [habilitations, setHabilitations] = useState<string[] | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<{ followed: string[]; organization: string } | null>(null);
  const [generation, setGeneration] = useState(0);

  const perform = async (a: Agent, chosen: string[]) => {
    setError(null);
    try {
      const content = { agentId: a.id, toOrganizationId: destination, habilitations: chosen };
      const signature = await sign(
        { action: 'agent.transfer', target: a.id, content },
        `Enregistrer la mutation de ${fullName(a)} : saisissez votre code PIN de signature.`,
      );
      const r = await lifeApi.transfer(a.id, { toOrganizationId: destination, habilitations: chosen, signature });
      const organization = organizations.data?.items.find((o) => o.id === destination)?.name ?? '';
      setResult({ followed: r.followed, organization });
      setGeneration((g) => g + 1);
    } catch (err) {
      if (!isCancelled(err)) setError(err);
    }
  };

  return (
    <AgentMoveFrame id={id} title="Mutation" generation={generation}>
      {(a) => {
        const chosen = habilitations ?? a.habilitations;
        const targets = (organizations.data?.items ?? []).filter(
          (o) => o.id !== a.organizationId && o.status === 'active',
        );
        const target = targets.find((o) => o.id === destination);
        const apps = reference.data?.clientApplications ?? [];
        return (
          <section aria-labelledby="mutation-acte" className="fr-mt-4w">
            <h2 id="mutation-acte">Enregistrer la mutation</h2>
            <p>
              Mutation à l’intérieur du même ministère : le porteur conserve sa carte, rejoint sa nouvelle organisation
              avec ses nouvelles habilitations ; une carte pas encore remise suit le porteur chez son nouveau
              responsable carte. Hors du ministère, la carte est restituée et une nouvelle est commandée.
            </p>
            <div role="status">
              {result && (
                <Alert
                  severity="success"
                  as="h3"
                  title="Mutation enregistrée"
                  className="fr-mb-3w"
                  description={`${fullName(a)} rejoint ${result.organization}. ${
                    result.followed.length > 0
                      ? `Carte(s) pas encore remise(s) qui suivent le porteur : ${result.followed.join(', ')}.`
                      : 'Aucune carte en attente de remise : le porteur conserve sa carte.'
                  }`}
                />
              )}
            </div>
            <ProblemAlert error={error} title="La mutation n’a pas été enregistrée" />
            <ProblemAlert
              error={organizations.error ?? reference.error}
              title="Impossible d’afficher les organisations"
            />
            {!result && (
              <>
                <Select
                  label="Organisation d’arrivée"
                  hint="Parmi les organisations de votre périmètre."
                  state={missing ? 'error' : 'default'}
                  stateRelatedMessage={missing ? 'Choisissez l’organisation d’arrivée.' : undefined}
                  nativeSelectProps={{
                    value: destination,
                    onChange: (e) => setDestination(e.target.value),
                    required: true,
                  }}
                >
                  <option value="">Choisissez une organisation</option>
                  {targets.map((o) => (
                    <option key={o.id} value={o.id}>
                      {o.name} ({o.code})
                    </option>
                  ))}
                </Select>
                <fieldset className="fr-fieldset" aria-labelledby="mutation-habilitations">
                  <legend id="mutation-habilitations" className="fr-fieldset__legend">
                    Habilitations aux applications clientes
                    <span className="fr-hint-text">Celles de l’agent dans sa nouvelle organisation.</span>
                  </legend>
                  {apps.map((c) => (
                    <div key={c.code} className="fr-fieldset__element">
                      <div className="fr-checkbox-group">
                        <input
                          type="checkbox"
                          id={`habilitation-${c.code}`}
                          checked={chosen.includes(c.code)}
                          onChange={(e) =>
                            setHabilitations(
                              e.target.checked ? [...chosen, c.code] : chosen.filter((h) => h !== c.code),
                            )
                          }
                        />
                        <label className="fr-label" htmlFor={`habilitation-${c.code}`}>
                          {c.label}
                        </label>
                      </div>
                    </div>
                  ))}
                </fieldset>
                <Button
                  iconId="fr-icon-arrow-right-line"
                  onClick={() => {
                    setMissing(!destination);
                    if (destination) confirmTransfer.open();
                  }}
                >
                  Enregistrer la mutation
                </Button>
              </>
            )}
            <confirmTransfer.Dialog
              title="Confirmer la mutation ?"
              confirmLabel="Enregistrer la mutation"
              onConfirm={() => void perform(a, chosen)}
            >
              <p>
                Mutation de <strong>{fullName(a)}</strong> vers {target?.name ?? '—'}, habilitations :{' '}
                {chosen.length ? chosen.map((h) => apps.find((c) => c.code === h)?.label ?? h).join(', ') : 'aucune'}.
              </p>
            </confirmTransfer.Dialog>
          </section>
        );
      }}
    </AgentMoveFrame>
  );
}
