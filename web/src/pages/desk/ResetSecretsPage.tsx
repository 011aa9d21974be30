// /questions-secretes — « Réinitialisation des questions secrètes »: a holder whose secrets are locked
// (or forgotten) gets them erased; they define new ones at their next sign-in with the card.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { useState } from 'react';
import { cardsApi, type Holder } from '../../cardsApi.ts';
import { isCancelled } from '../../components/cards/CardAgentProvider.tsx';
import { useActionSigner } from '../../components/cards/useActionSigner.ts';
import { createConfirm } from '../../components/ConfirmModal.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { SearchForm, SearchResults, useLocalCriteria } from '../../components/SearchList.tsx';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { lifeApi } from '../../lifeApi.ts';

const confirmReset = createConfirm('confirmer-reinitialisation-secrets');

export function ResetSecretsPage() {
  const headingRef = usePageTitle('Réinitialisation des questions secrètes');
  const sign = useActionSigner();
  const s = useLocalCriteria(['q']);
  const { q } = s.criteria;
  const results = useAsync(() => cardsApi.holders({ q, pageSize: 50 }), [q]);
  const [target, setTarget] = useState<Holder | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const name = (h: Holder) => `${h.firstNames} ${h.lastName}`;

  const reset = async () => {
    if (!target) return;
    setError(null);
    setNotice(null);
    try {
      const signature = await sign(
        { action: 'holder.reset-secrets', target: target.agentId, content: { agentId: target.agentId } },
        `Réinitialisation des questions secrètes de ${name(target)} : saisissez votre code PIN de signature.`,
      );
      await lifeApi.resetSecrets(target.agentId, signature);
      setNotice(
        `Les questions secrètes de ${name(target)} sont réinitialisées : il les définira de nouveau à sa prochaine connexion avec sa carte.`,
      );
    } catch (err) {
      if (!isCancelled(err)) setError(err);
    }
  };

  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Réinitialisation des questions secrètes
      </h1>
      <p>
        Pour un porteur dont les secrets sont verrouillés ou oubliés : il devra en définir de nouveaux en se connectant
        avec sa carte.
      </p>
      <SearchForm
        label="Rechercher un porteur"
        search={s}
        className="fr-mb-3w"
        fields={[
          { key: 'q', col: 'fr-col-md-8', label: 'Critère de recherche', hint: 'Nom ou identifiant du porteur' },
        ]}
      />
      <div role="status">{notice && <Alert severity="success" small description={notice} className="fr-mb-3w" />}</div>
      <ProblemAlert error={error} title="La réinitialisation n’a pas abouti" />
      <SearchResults
        results={results}
        texts={{
          error: 'Impossible d’afficher les porteurs',
          noun: ['porteur', 'porteurs'],
          empty: 'Aucun porteur ne correspond.',
        }}
        table={{ caption: 'Porteurs', hideCaption: true, headers: ['Nom', 'Identifiant', 'Organisation', 'Action'] }}
        rowKey={(h) => h.agentId}
        row={(h) => [
          name(h),
          <span className="ca-code">{h.identifier}</span>,
          h.organizationName,
          <Button
            size="small"
            priority="secondary"
            nativeButtonProps={{ 'aria-label': `Réinitialiser les questions secrètes de ${name(h)}` }}
            onClick={() => {
              setTarget(h);
              confirmReset.open();
            }}
          >
            Réinitialiser
          </Button>,
        ]}
      />
      <confirmReset.Dialog
        title="Réinitialiser les questions secrètes ?"
        confirmLabel="Réinitialiser"
        onConfirm={() => void reset()}
      >
        <p>
          {target
            ? `Le code personnel et les trois questions secrètes de ${name(target)} seront effacés. Il ne pourra plus débloquer sa carte seul avant d’en avoir défini de nouveaux.`
            : ''}
        </p>
      </confirmReset.Dialog>
    </>
  );
}
