// /lots/saisie — « Saisie d'un lot de demandes »: choose signed requests of one organisation,
// then create the batch, signed with the operator's card.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useState } from 'react';
import { createBatchAction } from '../../../../src/domain/card-request.ts';
import { holderName, REQUEST_KIND_LABELS } from '../../cardLabels.ts';
import { cardsApi, type Batch } from '../../cardsApi.ts';
import { useActionSigner } from '../../components/cards/useActionSigner.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { Loading } from '../../components/Loading.tsx';
import { useAction } from '../../components/cards/useAction.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { formatDateTime, label, plural } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { Link } from '../../router.tsx';

export function BatchComposePage() {
  const headingRef = usePageTitle('Saisie d’un lot de demandes');
  const signed = useAsync(() => cardsApi.requests({ state: 'signed', pageSize: 100 }), []);
  const signAction = useActionSigner();
  const [orgChoice, setOrgChoice] = useState('');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const { busy, error, run } = useAction();
  const [created, setCreated] = useState<Batch | null>(null);

  const all = signed.data?.items ?? [];
  const orgs = [...new Map(all.map((r) => [r.organizationId, r.organizationName ?? r.organizationId])).entries()].sort(
    (x, y) => x[1].localeCompare(y[1], 'fr'),
  );
  const organizationId = orgChoice || orgs[0]?.[0] || '';
  const requests = all.filter((r) => r.organizationId === organizationId);
  const chosen = requests.filter((r) => selected.has(r.id)).map((r) => r.id);

  const toggle = (id: string, on: boolean) =>
    setSelected((s) => {
      const next = new Set(s);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  const create = () =>
    run(async () => {
      const signature = await signAction(
        createBatchAction(organizationId, chosen),
        `Création d’un lot de ${plural(chosen.length, 'demande', 'demandes')} : saisissez votre code PIN de signature.`,
      );
      setCreated(await cardsApi.createBatch({ requestIds: chosen, signature }));
      setSelected(new Set());
      signed.reload();
    });

  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Saisie d’un lot de demandes
      </h1>
      <p>
        Un lot regroupe des demandes signées d’une même organisation. Une fois créé et signé, il est transmis à
        l’autorité d’enregistrement qui le valide avant son envoi au fabricant.
      </p>
      <div role="status">
        {created && (
          <Alert
            severity="success"
            small
            className="fr-mb-3w"
            description={
              <>
                Le lot <Link href={`/lots/${encodeURIComponent(created.id)}`}>{created.number}</Link> est créé : il
                attend la validation de l’autorité d’enregistrement.
              </>
            }
          />
        )}
      </div>
      <ProblemAlert error={error} title="Le lot n’a pas été créé" />
      <ProblemAlert error={signed.error} title="Impossible de lister les demandes signées" />
      {signed.loading && !signed.data ? (
        <Loading />
      ) : all.length === 0 ? (
        <p>Aucune demande signée n’attend d’être mise en lot.</p>
      ) : (
        <>
          {orgs.length > 1 && (
            <Select
              label="Organisation"
              nativeSelectProps={{
                value: organizationId,
                onChange: (e) => {
                  setOrgChoice(e.target.value);
                  setSelected(new Set());
                },
              }}
            >
              {orgs.map(([id, name]) => (
                <option key={id} value={id}>
                  {name}
                </option>
              ))}
            </Select>
          )}
          <DataTable
            caption={`Demandes signées — ${orgs.find(([id]) => id === organizationId)?.[1] ?? ''}`}
            headers={['Choisir', 'Numéro', 'Porteur', 'Modèle', 'Type', 'Signée le']}
            rowKeys={requests.map((r) => r.id)}
            rows={requests.map((r) => [
              <div className="fr-checkbox-group fr-checkbox-group--sm">
                <input
                  type="checkbox"
                  id={`choix-${r.id}`}
                  checked={selected.has(r.id)}
                  onChange={(e) => toggle(r.id, e.target.checked)}
                />
                <label className="fr-label" htmlFor={`choix-${r.id}`}>
                  <span className="fr-sr-only">Ajouter au lot la demande de </span>
                  {holderName(r)}
                </label>
              </div>,
              <Link href={`/demandes/${encodeURIComponent(r.id)}`} className="ca-code">
                {r.number}
              </Link>,
              holderName(r),
              r.model.label,
              label(REQUEST_KIND_LABELS, r.kind),
              formatDateTime(r.signedAt),
            ])}
          />
          <p role="status">{plural(chosen.length, 'demande choisie', 'demandes choisies')}.</p>
          <Button iconId="fr-icon-edit-line" disabled={busy || chosen.length === 0} onClick={() => void create()}>
            Créer et signer le lot
          </Button>
        </>
      )}
    </>
  );
}
