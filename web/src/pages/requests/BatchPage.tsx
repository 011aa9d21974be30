// /lots/:id — one batch: its requests, the manufacturer's messages, and for the registration
// authority the validation, signed with the card.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Breadcrumb } from '@codegouvfr/react-dsfr/Breadcrumb';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { useState } from 'react';
import { validateBatchAction } from '../../../../src/domain/card-request.ts';
import {
  BATCH_STATE_LABELS,
  CARD_STATE_LABELS,
  holderName,
  MESSAGE_DIRECTION_LABELS,
  MESSAGE_KIND_LABELS,
  REQUEST_KIND_LABELS,
  REQUEST_STATE_LABELS,
} from '../../cardLabels.ts';
import { cardsApi } from '../../cardsApi.ts';
import { StateBadge } from '../../components/cards/StateBadge.tsx';
import { useActionSigner } from '../../components/cards/useActionSigner.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { DescriptionList } from '../../components/DescriptionList.tsx';
import { Loading } from '../../components/Loading.tsx';
import { useAction } from '../../components/cards/useAction.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { formatDateTime, label, plural } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { can } from '../../permissions.ts';
import { Link } from '../../router.tsx';
import { useRequiredSession } from '../../session.tsx';

export function BatchPage({ params }: { params: Record<string, string> }) {
  const id = params.id ?? '';
  const session = useRequiredSession();
  const batch = useAsync(() => cardsApi.batch(id), [id]);
  const b = batch.data;
  const production = useAsync(
    () => (b && b.state !== 'open' ? cardsApi.production({ batchId: id }) : Promise.resolve({ items: [] })),
    [id, b?.state],
  );
  const headingRef = usePageTitle(b ? `Lot ${b.number}` : 'Lot de demandes');
  const signAction = useActionSigner();
  const { busy, error, run } = useAction();
  const [notice, setNotice] = useState<string | null>(null);

  if (!b) {
    return (
      <>
        <h1 ref={headingRef} tabIndex={-1}>
          Lot de demandes
        </h1>
        <ProblemAlert error={batch.error} title="Impossible d’afficher le lot" />
        {batch.loading && <Loading />}
      </>
    );
  }

  const list = b.requests ?? [];
  const prod = production.data?.items[0];
  const messages = prod?.messages ?? [];
  const cardCounts = Object.entries(prod?.cards ?? {});

  const validate = () =>
    run(async () => {
      setNotice(null);
      const pending = list.filter((r) => r.state === 'in_batch').map((r) => r.id);
      const signature = await signAction(
        b.toSign ?? validateBatchAction(b, pending),
        `Validation du lot ${b.number} (${plural(pending.length, 'demande', 'demandes')}) : saisissez votre code PIN de signature.`,
      );
      batch.setData(await cardsApi.validateBatch(b.id, signature));
      setNotice(`Le lot ${b.number} est validé : il sera envoyé au fabricant.`);
    });

  return (
    <>
      <Breadcrumb
        currentPageLabel={b.number}
        homeLinkProps={{ href: '/' }}
        segments={[{ label: 'Suivi des lots de demandes', linkProps: { href: '/lots' } }]}
      />
      <h1 ref={headingRef} tabIndex={-1}>
        Lot {b.number}
      </h1>
      <p>
        <StateBadge state={b.state} labels={BATCH_STATE_LABELS} />
      </p>
      <div role="status">{notice && <Alert severity="success" small description={notice} className="fr-mb-3w" />}</div>
      <ProblemAlert error={error} title="Le lot n’a pas été validé" />
      <DescriptionList
        items={[
          ['Organisation', b.organizationName],
          ['Créé le', `${formatDateTime(b.createdAt)}${b.createdBy ? ` par ${b.createdBy}` : ''}`],
          [
            'Validé le',
            b.validatedAt ? `${formatDateTime(b.validatedAt)}${b.validatedBy ? ` par ${b.validatedBy}` : ''}` : null,
          ],
          ['Envoyé au fabricant le', b.sentAt ? formatDateTime(b.sentAt) : null],
          ['Pris en compte le', b.acknowledgedAt ? formatDateTime(b.acknowledgedAt) : null],
          ['Terminé le', b.closedAt ? formatDateTime(b.closedAt) : null],
        ]}
      />
      {b.state === 'open' && can(session, 'batch.validate') && (
        <section aria-labelledby="valider" className="fr-mb-4w">
          <h2 id="valider" className="fr-h4">
            Valider le lot
          </h2>
          <p>Contrôlez les demandes ci-dessous. La validation est signée avec votre carte (code PIN de signature).</p>
          <Button iconId="fr-icon-check-line" disabled={busy || list.length === 0} onClick={() => void validate()}>
            Valider le lot
          </Button>
        </section>
      )}
      <section aria-labelledby="demandes" className="fr-mb-4w">
        <h2 id="demandes" className="fr-h4">
          Demandes du lot
        </h2>
        {list.length === 0 ? (
          <p>Ce lot ne contient aucune demande.</p>
        ) : (
          <DataTable
            caption={`Demandes du lot ${b.number}`}
            hideCaption
            headers={['Numéro', 'Porteur', 'Modèle', 'Type', 'État']}
            rowKeys={list.map((r) => r.id)}
            rows={list.map((r) => [
              <Link href={`/demandes/${encodeURIComponent(r.id)}`} className="ca-code">
                {r.number}
              </Link>,
              holderName(r),
              r.model.label,
              label(REQUEST_KIND_LABELS, r.kind),
              <StateBadge state={r.state} labels={REQUEST_STATE_LABELS} />,
            ])}
          />
        )}
      </section>
      <section aria-labelledby="messages" className="fr-mb-4w">
        <h2 id="messages" className="fr-h4">
          Messages de production
        </h2>
        <ProblemAlert error={production.error} title="Impossible d’afficher les messages de production" />
        {cardCounts.length > 0 && (
          <p>Cartes : {cardCounts.map(([state, n]) => `${n} « ${label(CARD_STATE_LABELS, state)} »`).join(', ')}.</p>
        )}
        {messages.length === 0 ? (
          <p>
            {b.state === 'open'
              ? 'Le lot sera envoyé au fabricant après sa validation.'
              : 'Aucun échange avec le fabricant pour ce lot.'}
          </p>
        ) : (
          <DataTable
            caption={`Messages échangés avec le fabricant pour le lot ${b.number}`}
            hideCaption
            multiline
            headers={['Date', 'Sens', 'Message', 'Détail']}
            rowKeys={messages.map((m) => m.id)}
            rows={messages.map((m) => [
              formatDateTime(m.createdAt),
              label(MESSAGE_DIRECTION_LABELS, m.direction),
              m.kindLabel ?? label(MESSAGE_KIND_LABELS, m.kind),
              m.message ?? '—',
            ])}
          />
        )}
      </section>
    </>
  );
}
