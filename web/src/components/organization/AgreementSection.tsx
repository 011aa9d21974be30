// Convention d'adhésion of a municipality: what is recorded, and (admin) the forms to record or
// modify it and to give notice.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { useState, type FormEvent } from 'react';
import { api, ApiError, type Agreement, type AgentSummary, type Organization, type PersonRef } from '../../api.ts';
import { formatDate, todayIso } from '../../format.ts';
import { createConfirm } from '../ConfirmModal.tsx';
import { DescriptionList } from '../DescriptionList.tsx';
import { ProblemAlert } from '../ProblemAlert.tsx';
import { FormActions } from '../FormActions.tsx';

const confirmNotice = createConfirm('confirmer-denonciation');

const STATE_SEVERITY: Record<string, 'success' | 'warning' | 'error' | 'info'> = {
  active: 'success',
  notice: 'warning',
  terminated: 'error',
  suspended: 'error',
  not_started: 'info',
};

function personName(p: PersonRef): string {
  return `${p.firstNames} ${p.lastName}`;
}

/** Adds three months to a calendar date (same rule as the server, for the confirmation text). */
function plusThreeMonths(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const target = new Date(Date.UTC(y, m - 1 + 3, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d, lastDay));
  return target.toISOString().slice(0, 10);
}

function fieldError(err: unknown, field: string): string | undefined {
  if (!(err instanceof ApiError)) return undefined;
  return err.fieldErrors.find((e) => e.field === field)?.reason;
}

function AgreementForm(props: { org: Organization; onSaved: (a: Agreement) => void; onCancel: () => void }) {
  const current = props.org.agreement;
  const [signedOn, setSignedOn] = useState(current?.signedOn ?? '');
  const [mayorName, setMayorName] = useState(current?.mayorName ?? '');
  const [delegates, setDelegates] = useState<PersonRef[]>(current?.delegates ?? []);
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<AgentSummary[] | null>(null);
  const [searchError, setSearchError] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const search = async () => {
    setSearchError(null);
    try {
      const page = await api.agents({ q: query, organizationId: props.org.id, status: 'active', pageSize: 10 });
      setResults(page.items);
    } catch (err) {
      setSearchError(err);
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const saved = await api.putAgreement(props.org.id, {
        signedOn,
        mayorName: mayorName.trim(),
        delegateIds: delegates.map((d) => d.id),
      });
      props.onSaved(saved);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const signedOnError = fieldError(error, 'signedOn');
  const mayorError = fieldError(error, 'mayorName');
  const delegatesError = fieldError(error, 'delegateIds');

  return (
    <form onSubmit={(e) => void submit(e)} className="fr-mb-4w" noValidate>
      <h3 className="fr-h5">{current ? 'Modifier la convention' : 'Enregistrer la convention'}</h3>
      <ProblemAlert
        error={error}
        title="La convention n’a pas été enregistrée"
        fieldLabels={{ signedOn: 'Date de signature', mayorName: 'Maire', delegateIds: 'Délégués' }}
      />
      <Input
        label="Date de signature"
        hintText="Format attendu : JJ/MM/AAAA"
        state={signedOnError ? 'error' : 'default'}
        stateRelatedMessage={signedOnError}
        nativeInputProps={{
          type: 'date',
          required: true,
          value: signedOn,
          onChange: (e) => setSignedOn(e.target.value),
        }}
      />
      <Input
        label="Nom du maire signataire"
        state={mayorError ? 'error' : 'default'}
        stateRelatedMessage={mayorError}
        nativeInputProps={{
          required: true,
          autoComplete: 'off',
          value: mayorName,
          onChange: (e) => setMayorName(e.target.value),
        }}
      />
      <fieldset className="fr-fieldset">
        <legend className="fr-fieldset__legend" id="delegates-legend">
          Délégués du maire
          <span className="fr-hint-text">Agents de la commune habilités par délégation.</span>
        </legend>
        <div className="fr-fieldset__element">
          {delegates.length === 0 ? (
            <p className="fr-text--sm">Aucun délégué.</p>
          ) : (
            <ul>
              {delegates.map((d) => (
                <li key={d.id} className="fr-mb-1w">
                  {personName(d)} <span className="ca-code">({d.identifier})</span>{' '}
                  <Button
                    type="button"
                    priority="tertiary"
                    size="small"
                    onClick={() => setDelegates(delegates.filter((x) => x.id !== d.id))}
                    nativeButtonProps={{ 'aria-label': `Retirer ${personName(d)} des délégués` }}
                  >
                    Retirer
                  </Button>
                </li>
              ))}
            </ul>
          )}
          {delegatesError && <p className="fr-error-text">{delegatesError}</p>}
        </div>
        <div className="fr-fieldset__element">
          <Input
            label="Ajouter un délégué"
            hintText="Nom, prénom, identifiant ou courriel d’un agent de l’organisation"
            nativeInputProps={{
              type: 'search',
              value: query,
              onChange: (e) => setQuery(e.target.value),
              onKeyDown: (e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  void search();
                }
              },
            }}
          />
          <Button type="button" priority="secondary" size="small" onClick={() => void search()}>
            Rechercher un agent
          </Button>
          <ProblemAlert error={searchError} title="Recherche impossible" />
          {results && (
            <div role="status" className="fr-mt-2w">
              {results.length === 0 ? (
                <p className="fr-text--sm">Aucun agent actif ne correspond.</p>
              ) : (
                <ul>
                  {results.map((a) => {
                    const already = delegates.some((d) => d.id === a.id);
                    return (
                      <li key={a.id} className="fr-mb-1w">
                        {a.firstNames} {a.lastName} <span className="ca-code">({a.identifier})</span>{' '}
                        {already ? (
                          <span className="fr-text--sm">(déjà délégué)</span>
                        ) : (
                          <Button
                            type="button"
                            priority="tertiary"
                            size="small"
                            onClick={() =>
                              setDelegates([
                                ...delegates,
                                { id: a.id, firstNames: a.firstNames, lastName: a.lastName, identifier: a.identifier },
                              ])
                            }
                            nativeButtonProps={{ 'aria-label': `Ajouter ${a.firstNames} ${a.lastName} aux délégués` }}
                          >
                            Ajouter
                          </Button>
                        )}
                      </li>
                    );
                  })}
                </ul>
              )}
            </div>
          )}
        </div>
      </fieldset>
      <FormActions submitLabel="Enregistrer la convention" busy={busy} onCancel={props.onCancel} />
    </form>
  );
}

function NoticeForm(props: { org: Organization; onSaved: (a: Agreement) => void }) {
  const [givenOn, setGivenOn] = useState(todayIso());
  const [error, setError] = useState<unknown>(null);
  const [invalid, setInvalid] = useState(false);

  const give = async () => {
    setError(null);
    try {
      props.onSaved(await api.giveNotice(props.org.id, givenOn));
    } catch (err) {
      setError(err);
    }
  };

  const givenOnError = invalid ? 'Indiquez la date de la dénonciation.' : fieldError(error, 'givenOn');
  return (
    <form
      className="fr-mt-4w"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (!/^\d{4}-\d{2}-\d{2}$/.test(givenOn)) {
          setInvalid(true);
          return;
        }
        setInvalid(false);
        confirmNotice.open();
      }}
    >
      <h3 className="fr-h5">Dénoncer la convention</h3>
      <p className="fr-text--sm">
        Chaque partie peut mettre fin à la convention avec un préavis de trois mois. Elle reste en vigueur jusqu’à la
        fin du préavis.
      </p>
      <ProblemAlert error={error} title="La dénonciation n’a pas été enregistrée" />
      <Input
        label="Date de la dénonciation"
        hintText="Date de réception du courrier de dénonciation"
        state={givenOnError ? 'error' : 'default'}
        stateRelatedMessage={givenOnError}
        nativeInputProps={{ type: 'date', required: true, value: givenOn, onChange: (e) => setGivenOn(e.target.value) }}
      />
      <Button type="submit" priority="secondary" iconId="fr-icon-close-circle-line">
        Dénoncer la convention
      </Button>
      <confirmNotice.Dialog
        title="Confirmer la dénonciation"
        confirmLabel="Dénoncer la convention"
        onConfirm={() => void give()}
      >
        <p>
          La convention d’adhésion de <strong>{props.org.name}</strong> sera dénoncée à la date du {formatDate(givenOn)}{' '}
          et prendra fin le{' '}
          <strong>{/^\d{4}-\d{2}-\d{2}$/.test(givenOn) ? formatDate(plusThreeMonths(givenOn)) : '—'}</strong> (préavis
          de trois mois).
        </p>
        <p>Cette action est inscrite au journal d’audit.</p>
      </confirmNotice.Dialog>
    </form>
  );
}

export function AgreementSection(props: {
  org: Organization;
  canWrite: boolean;
  onChanged: (agreement: Agreement) => void;
}) {
  const { org } = props;
  const a = org.agreement;
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);

  const onSaved = (agreement: Agreement, message: string) => {
    setEditing(false);
    setSaved(message);
    props.onChanged(agreement);
  };

  return (
    <section aria-labelledby="convention-title" className="fr-mb-6w">
      <h2 id="convention-title">Convention d’adhésion</h2>
      {saved && (
        <Alert
          severity="success"
          small
          description={saved}
          className="fr-mb-3w"
          closable
          onClose={() => setSaved(null)}
        />
      )}
      {a ? (
        <DescriptionList
          items={[
            [
              'État',
              <Badge key="s" severity={STATE_SEVERITY[a.state] ?? 'info'} small>
                {a.stateLabel}
              </Badge>,
            ],
            ['Signée le', formatDate(a.signedOn)],
            ['Maire signataire', a.mayorName],
            [
              'Délégués',
              a.delegates.length === 0 ? (
                'Aucun'
              ) : (
                <ul key="d">
                  {a.delegates.map((d) => (
                    <li key={d.id}>
                      {personName(d)} <span className="ca-code">({d.identifier})</span>
                    </li>
                  ))}
                </ul>
              ),
            ],
            [
              'Prochaine reconduction tacite',
              a.terminationEffectiveOn ? 'Aucune (convention dénoncée)' : formatDate(a.currentPeriodEndsOn),
            ],
            ['Reconductions', String(a.renewals)],
            ['Dénoncée le', a.noticeGivenOn ? formatDate(a.noticeGivenOn) : 'Non dénoncée'],
            ['Fin effective', a.terminationEffectiveOn ? formatDate(a.terminationEffectiveOn) : '—'],
          ]}
        />
      ) : (
        <p>Aucune convention d’adhésion n’est enregistrée pour cette organisation.</p>
      )}
      {props.canWrite && !editing && (
        <Button priority="secondary" iconId="fr-icon-edit-line" onClick={() => setEditing(true)}>
          {a ? 'Modifier la convention' : 'Enregistrer la convention'}
        </Button>
      )}
      {props.canWrite && editing && (
        <AgreementForm
          org={org}
          onSaved={(ag) => onSaved(ag, 'La convention d’adhésion a été enregistrée.')}
          onCancel={() => setEditing(false)}
        />
      )}
      {props.canWrite && a && !a.noticeGivenOn && a.state !== 'terminated' && (
        <NoticeForm org={org} onSaved={(ag) => onSaved(ag, 'La dénonciation de la convention a été enregistrée.')} />
      )}
    </section>
  );
}
