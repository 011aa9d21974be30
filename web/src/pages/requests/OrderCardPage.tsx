// /agents/:id/commander — « Commander une carte »: model and kind, then the prerequisites one by one
// with their French reasons, then the request, signed with the operator's card.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Breadcrumb } from '@codegouvfr/react-dsfr/Breadcrumb';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { Stepper } from '@codegouvfr/react-dsfr/Stepper';
import { useState, type FormEvent } from 'react';
import { api } from '../../api.ts';
import {
  formatEuros,
  RENEWAL_REASONS,
  REPLACEMENT_REASONS,
  REQUEST_KIND_LABELS,
  REQUEST_REASON_LABELS,
  REQUEST_STATE_LABELS,
  itemsOf,
} from '../../cardLabels.ts';
import { cardsApi, type CardRequestDetail, type CardRequestInput, type PrerequisitesResult } from '../../cardsApi.ts';
import { PrerequisiteList } from '../../components/cards/PrerequisiteList.tsx';
import { StateBadge } from '../../components/cards/StateBadge.tsx';
import { Loading } from '../../components/Loading.tsx';
import { useAction } from '../../components/cards/useAction.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { label } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { Link } from '../../router.tsx';
import { useSignRequest } from './RequestPage.tsx';

const STEPS = ['Modèle et type de demande', 'Prérequis', 'Signature de la demande'];

export function OrderCardPage({ params }: { params: Record<string, string> }) {
  const agentId = params.id ?? '';
  const agent = useAsync(() => api.agent(agentId), [agentId]);
  const models = useAsync(() => cardsApi.cardModels(), []);
  const a = agent.data;
  const name = a ? `${a.firstNames} ${a.lastName}` : 'agent';
  const headingRef = usePageTitle(`Commander une carte pour ${name}`);
  const signRequest = useSignRequest();

  const [modelId, setModelId] = useState('');
  const [kind, setKind] = useState<CardRequestInput['kind']>('first_issue');
  const [reason, setReason] = useState('');
  const [check, setCheck] = useState<PrerequisitesResult | null>(null);
  const [created, setCreated] = useState<CardRequestDetail | null>(null);
  const { busy, error, run: guard } = useAction();

  const activeModels = itemsOf(models.data).filter((m) => m.status !== 'retired');
  const chosenModel = modelId || activeModels[0]?.id || '';
  const reasons = kind === 'renewal' ? RENEWAL_REASONS : kind === 'replacement' ? REPLACEMENT_REASONS : [];
  const step = created ? 3 : check ? 2 : 1;

  const verify = (e: FormEvent) => {
    e.preventDefault();
    void guard(async () => {
      setCheck(await cardsApi.prerequisites(agentId, chosenModel, kind, reasons.length ? reason : undefined));
    });
  };

  const create = () =>
    guard(async () => {
      setCreated(
        await cardsApi.createRequest({ agentId, modelId: chosenModel, kind, reason: reasons.length ? reason : null }),
      );
    });

  const sign = (r: CardRequestDetail) =>
    guard(async () => {
      setCreated(await signRequest(r));
    });

  if (!a) {
    return (
      <>
        <h1 ref={headingRef} tabIndex={-1}>
          Commander une carte
        </h1>
        <ProblemAlert error={agent.error} title="Impossible d’afficher l’agent" />
        {agent.loading && <Loading />}
      </>
    );
  }

  const allOk = check ? check.ok : false;
  const failing = check ? check.prerequisites.filter((p) => !p.ok).length : 0;

  return (
    <>
      <Breadcrumb
        currentPageLabel="Commander une carte"
        homeLinkProps={{ href: '/' }}
        segments={[
          { label: 'Agents', linkProps: { href: '/agents' } },
          { label: name, linkProps: { href: `/agents/${encodeURIComponent(agentId)}` } },
        ]}
      />
      <h1 ref={headingRef} tabIndex={-1}>
        Commander une carte pour {name}
      </h1>
      <Stepper currentStep={step} stepCount={3} title={STEPS[step - 1]!} nextTitle={STEPS[step]} />
      <ProblemAlert error={error} title="La commande n’a pas abouti" />

      {step === 1 && (
        <form onSubmit={verify} className="fr-mb-4w">
          <ProblemAlert error={models.error} title="Impossible de lister les modèles de carte" />
          {models.loading ? (
            <Loading />
          ) : activeModels.length === 0 ? (
            <p>Aucun modèle de carte n’est disponible.</p>
          ) : (
            <>
              <Select
                label="Modèle de carte"
                nativeSelectProps={{ value: chosenModel, onChange: (e) => setModelId(e.target.value) }}
              >
                {activeModels.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.label}
                  </option>
                ))}
              </Select>
              <Select
                label="Type de demande"
                nativeSelectProps={{
                  value: kind,
                  onChange: (e) => {
                    setKind(e.target.value as CardRequestInput['kind']);
                    setReason('');
                  },
                }}
              >
                {Object.entries(REQUEST_KIND_LABELS).map(([code, text]) => (
                  <option key={code} value={code}>
                    {text}
                  </option>
                ))}
              </Select>
              {reasons.length > 0 && (
                <Select
                  label="Motif"
                  nativeSelectProps={{ value: reason, required: true, onChange: (e) => setReason(e.target.value) }}
                >
                  <option value="" disabled>
                    Choisir un motif
                  </option>
                  {reasons.map((code) => (
                    <option key={code} value={code}>
                      {label(REQUEST_REASON_LABELS, code)}
                    </option>
                  ))}
                </Select>
              )}
              <Button
                type="submit"
                iconId="fr-icon-arrow-right-line"
                iconPosition="right"
                disabled={busy || (reasons.length > 0 && !reason)}
              >
                Vérifier les prérequis
              </Button>
            </>
          )}
        </form>
      )}

      {step === 2 && check && (
        <section aria-labelledby="prerequis" className="fr-mb-4w">
          <h2 id="prerequis" className="fr-h4">
            Prérequis de la commande
          </h2>
          <div role="status">
            <p>
              {allOk
                ? 'Tous les prérequis sont satisfaits.'
                : `${failing} prérequis non satisfait${failing > 1 ? 's' : ''} : la demande restera en brouillon et ne pourra pas être signée.`}
            </p>
          </div>
          <PrerequisiteList items={check.prerequisites} />
          <p>
            <strong>Facturation :</strong>{' '}
            {check.quota.billing === 'billed'
              ? `carte facturée ${formatEuros(check.quota.priceCents)} € HT`
              : 'carte gratuite'}
            {check.quota.reason ? ` — ${check.quota.reason}` : ''}
          </p>
          <ul className="fr-btns-group fr-btns-group--inline-md fr-btns-group--icon-left">
            <li>
              <Button iconId="fr-icon-check-line" disabled={busy} onClick={() => void create()}>
                {allOk ? 'Créer la demande' : 'Enregistrer la demande en brouillon'}
              </Button>
            </li>
            <li>
              <Button priority="secondary" onClick={() => setCheck(null)}>
                Modifier le modèle ou le type
              </Button>
            </li>
          </ul>
        </section>
      )}

      {step === 3 && created && (
        <section aria-labelledby="signature" className="fr-mb-4w">
          <h2 id="signature" className="fr-h4">
            Demande {created.number}
          </h2>
          <p>
            État : <StateBadge state={created.state} labels={REQUEST_STATE_LABELS} />
          </p>
          {created.state === 'complete' ? (
            <>
              <p>Signez la demande avec votre carte : le code PIN de signature (PIN Propre) vous sera demandé.</p>
              <Button iconId="fr-icon-edit-line" disabled={busy} onClick={() => void sign(created)}>
                Signer la demande
              </Button>
            </>
          ) : created.state === 'signed' ? (
            <div role="status">
              <Alert
                severity="success"
                small
                className="fr-mb-3w"
                description={`La demande ${created.number} est signée. Elle pourra être ajoutée à un lot dans « Saisie d’un lot de demandes ».`}
              />
            </div>
          ) : (
            <Alert
              severity="warning"
              small
              className="fr-mb-3w"
              description="La demande est enregistrée en brouillon : elle ne pourra être signée qu’une fois tous les prérequis satisfaits."
            />
          )}
          <ul className="fr-btns-group fr-btns-group--inline-md">
            <li>
              <Button priority="secondary" linkProps={{ href: `/demandes/${encodeURIComponent(created.id)}` }}>
                Voir la demande
              </Button>
            </li>
            {created.state === 'signed' && (
              <li>
                <Button priority="secondary" linkProps={{ href: '/lots/saisie' }}>
                  Saisir un lot de demandes
                </Button>
              </li>
            )}
          </ul>
          <p>
            <Link href={`/agents/${encodeURIComponent(agentId)}`}>Retour à la fiche de {name}</Link>
          </p>
        </section>
      )}
    </>
  );
}
