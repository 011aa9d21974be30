// /demandes/:id — one card request: data, prerequisites, state; sign it or cancel it with the card.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Breadcrumb } from '@codegouvfr/react-dsfr/Breadcrumb';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { useState } from 'react';
import { cancelRequestAction, signRequestAction } from '../../../../src/domain/card-request.ts';
import {
  BILLING_LABELS,
  formatEuros,
  holderName,
  REQUEST_KIND_LABELS,
  REQUEST_REASON_LABELS,
  REQUEST_STATE_LABELS,
} from '../../cardLabels.ts';
import { cardsApi, type CardRequestDetail } from '../../cardsApi.ts';
import { PrerequisiteList } from '../../components/cards/PrerequisiteList.tsx';
import { StateBadge } from '../../components/cards/StateBadge.tsx';
import { useActionSigner } from '../../components/cards/useActionSigner.ts';
import { DescriptionList } from '../../components/DescriptionList.tsx';
import { Loading } from '../../components/Loading.tsx';
import { useAction } from '../../components/cards/useAction.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { formatDateTime, label } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { can } from '../../permissions.ts';
import { Link } from '../../router.tsx';
import { useRequiredSession } from '../../session.tsx';

const CANCELLABLE = ['draft', 'complete', 'signed', 'in_batch'];

/** Signs a complete request with the operator's card; shared with the order page. */
export function useSignRequest() {
  const signAction = useActionSigner();
  return async (r: CardRequestDetail): Promise<CardRequestDetail> => {
    // The server says what it will check; the same builder serves if it does not.
    const action =
      r.toSign ??
      signRequestAction({
        id: r.id,
        number: r.number,
        agentId: r.agent.id,
        modelId: r.model.id,
        kind: r.kind,
        reason: r.reason ?? null,
        replacesCardId: r.replacesCardId ?? null,
        billing: r.quota.billing,
        priceCents: r.quota.priceCents,
      });
    const signature = await signAction(
      action,
      `Signature de la demande ${r.number} : saisissez votre code PIN de signature.`,
    );
    return cardsApi.signRequest(r.id, signature);
  };
}

export function RequestPage({ params }: { params: Record<string, string> }) {
  const id = params.id ?? '';
  const session = useRequiredSession();
  const req = useAsync(() => cardsApi.request(id), [id]);
  const r = req.data;
  const headingRef = usePageTitle(r ? `Demande ${r.number}` : 'Demande de carte');
  const signRequest = useSignRequest();
  const signAction = useActionSigner();
  const action = useAction();
  const { busy, error } = action;
  const [notice, setNotice] = useState<string | null>(null);
  const [cancelReason, setCancelReason] = useState('');
  const [cancelling, setCancelling] = useState(false);
  const writer = can(session, 'cardRequest.write');

  const run = (fn: () => Promise<CardRequestDetail>, done: string) => {
    setNotice(null);
    return action.run(async () => {
      req.setData(await fn());
      setNotice(done);
      setCancelling(false);
    });
  };

  if (!r) {
    return (
      <>
        <h1 ref={headingRef} tabIndex={-1}>
          Demande de carte
        </h1>
        <ProblemAlert error={req.error} title="Impossible d’afficher la demande" />
        {req.loading && <Loading />}
      </>
    );
  }

  return (
    <>
      <Breadcrumb
        currentPageLabel={r.number}
        homeLinkProps={{ href: '/' }}
        segments={[{ label: 'Suivi des demandes', linkProps: { href: '/demandes' } }]}
      />
      <h1 ref={headingRef} tabIndex={-1}>
        Demande {r.number}
      </h1>
      <p>
        <StateBadge state={r.state} labels={REQUEST_STATE_LABELS} />
      </p>
      <div role="status">{notice && <Alert severity="success" small description={notice} className="fr-mb-3w" />}</div>
      <ProblemAlert error={error} title="L’action n’a pas abouti" />
      <DescriptionList
        items={[
          ['Porteur', <Link href={`/agents/${encodeURIComponent(r.agent.id)}`}>{holderName(r)}</Link>],
          ['Identifiant', <span className="ca-code">{r.agent.identifier}</span>],
          ['Organisation', r.organizationName],
          ['Modèle de carte', r.model.label],
          ['Type de demande', label(REQUEST_KIND_LABELS, r.kind)],
          ['Motif', r.reason ? label(REQUEST_REASON_LABELS, r.reason) : null],
          [
            'Facturation',
            `${r.billing === 'billed' ? `${label(BILLING_LABELS, r.billing)} — ${formatEuros(r.priceCents)} € HT` : label(BILLING_LABELS, r.billing)}${r.quota?.reason ? ` (${r.quota.reason})` : ''}`,
          ],
          ['Lot', r.batch ? <Link href={`/lots/${encodeURIComponent(r.batch.id)}`}>{r.batch.number}</Link> : null],
          ['Créée par', r.createdBy],
          ['Créée le', formatDateTime(r.createdAt)],
          ['Signée le', r.signedAt ? `${formatDateTime(r.signedAt)}${r.signedBy ? ` par ${r.signedBy}` : ''}` : null],
          [
            'Motif de l’annulation',
            r.cancelReason ? `${r.cancelReason}${r.cancelledAt ? ` (${formatDateTime(r.cancelledAt)})` : ''}` : null,
          ],
          ['Motif du rejet', r.rejectionReason],
          [
            'Carte produite',
            r.cardId ? <Link href={`/supports/${encodeURIComponent(r.cardId)}`}>Voir la carte</Link> : null,
          ],
        ]}
      />
      {r.prerequisites && r.prerequisites.length > 0 && (
        <section aria-labelledby="prerequis" className="fr-mb-4w">
          <h2 id="prerequis" className="fr-h4">
            Prérequis
          </h2>
          <PrerequisiteList items={r.prerequisites} />
        </section>
      )}
      {writer && r.state === 'complete' && (
        <section aria-labelledby="signer" className="fr-mb-4w">
          <h2 id="signer" className="fr-h4">
            Signer la demande
          </h2>
          <p>
            La signature avec votre carte (code PIN de signature) engage la commande : la demande pourra ensuite entrer
            dans un lot.
          </p>
          <Button
            iconId="fr-icon-edit-line"
            disabled={busy}
            onClick={() => void run(() => signRequest(r), 'La demande est signée.')}
          >
            Signer la demande
          </Button>
        </section>
      )}
      {writer && r.state === 'draft' && (
        <Alert
          severity="warning"
          small
          className="fr-mb-4w"
          description="Tous les prérequis ne sont pas satisfaits : la demande ne peut pas être signée. Corrigez la fiche de l’agent puis recommencez la commande."
        />
      )}
      {writer && CANCELLABLE.includes(r.state) && (
        <section aria-labelledby="annuler" className="fr-mb-4w">
          <h2 id="annuler" className="fr-h4">
            Annuler la demande
          </h2>
          {cancelling ? (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                const reason = cancelReason.trim();
                if (!reason) return;
                void run(async () => {
                  const signature = await signAction(
                    cancelRequestAction(r, reason),
                    `Annulation de la demande ${r.number} : saisissez votre code PIN de signature.`,
                  );
                  return cardsApi.cancelRequest(r.id, reason, signature);
                }, 'La demande est annulée.');
              }}
            >
              <Input
                label="Motif de l’annulation"
                nativeInputProps={{
                  value: cancelReason,
                  required: true,
                  onChange: (e) => setCancelReason(e.target.value),
                }}
              />
              <ul className="fr-btns-group fr-btns-group--inline-md">
                <li>
                  <Button type="submit" disabled={busy || !cancelReason.trim()}>
                    Signer l’annulation
                  </Button>
                </li>
                <li>
                  <Button type="button" priority="secondary" onClick={() => setCancelling(false)}>
                    Ne pas annuler
                  </Button>
                </li>
              </ul>
            </form>
          ) : (
            <Button priority="secondary" iconId="fr-icon-close-circle-line" onClick={() => setCancelling(true)}>
              Annuler la demande…
            </Button>
          )}
        </section>
      )}
    </>
  );
}
