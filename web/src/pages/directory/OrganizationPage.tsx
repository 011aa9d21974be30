// /organisations/:id — identity, convention d'adhésion, auto-évaluation, allocation plan.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Breadcrumb } from '@codegouvfr/react-dsfr/Breadcrumb';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { useState } from 'react';
import { api, type Organization, type SelfAssessment } from '../../api.ts';
import { createConfirm } from '../../components/ConfirmModal.tsx';
import { DescriptionList } from '../../components/DescriptionList.tsx';
import { Loading } from '../../components/Loading.tsx';
import { AgreementSection } from '../../components/organization/AgreementSection.tsx';
import { AllocationPlanSection } from '../../components/organization/AllocationPlanSection.tsx';
import { SelfAssessmentForm } from '../../components/organization/SelfAssessmentForm.tsx';
import { SelfAssessmentHistory } from '../../components/organization/SelfAssessmentHistory.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { formatDate, label, ORGANIZATION_STATUS_LABELS, plural } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { can, isAdmin } from '../../permissions.ts';
import { Link } from '../../router.tsx';
import { useRequiredSession } from '../../session.tsx';

const confirmLift = createConfirm('confirmer-levee-suspension');

function address(org: Organization): string | null {
  const cityLine = [org.postalCode, org.city].filter(Boolean).join(' ');
  const parts = [org.addressLine, cityLine].filter(Boolean);
  return parts.length ? parts.join(', ') : null;
}

/** The assessment whose major non-conformity keeps the trusted roles suspended. */
function suspendingAssessment(org: Organization): SelfAssessment | undefined {
  return [...org.selfAssessments]
    .filter((s) => s.result === 'major' && !s.liftedAt)
    .sort((a, b) => (a.assessedOn < b.assessedOn ? 1 : -1))[0];
}

export function OrganizationPage({ params }: { params: Record<string, string> }) {
  const id = params.id ?? '';
  const session = useRequiredSession();
  const org = useAsync(() => api.organization(id), [id]);
  const reference = useAsync(() => api.reference(), []);
  const headingRef = usePageTitle(org.data ? org.data.name : 'Organisation');
  const [assessing, setAssessing] = useState(false);
  const [notice, setNotice] = useState<{ severity: 'success' | 'warning'; text: string } | null>(null);
  const [liftError, setLiftError] = useState<unknown>(null);

  const admin = isAdmin(session);
  const o = org.data;

  const lift = async (assessment: SelfAssessment) => {
    setLiftError(null);
    try {
      await api.liftSuspension(id, assessment.id);
      setNotice({ severity: 'success', text: 'La suspension des rôles de confiance a été levée.' });
      org.reload();
    } catch (err) {
      setLiftError(err);
    }
  };

  const onAssessed = (s: SelfAssessment) => {
    setAssessing(false);
    setNotice(
      s.result === 'major'
        ? {
            severity: 'warning',
            text: `Auto-évaluation enregistrée : ${s.resultLabel}. Les rôles de confiance de l’organisation sont suspendus.`,
          }
        : { severity: 'success', text: `Auto-évaluation enregistrée : ${s.resultLabel}.` },
    );
    org.reload();
  };

  if (!o) {
    return (
      <>
        <h1 ref={headingRef} tabIndex={-1}>
          Organisation
        </h1>
        <ProblemAlert error={org.error} title="Impossible d’afficher l’organisation" />
        {org.loading && <Loading />}
      </>
    );
  }

  const suspending = suspendingAssessment(o);
  const measures = reference.data?.measures ?? [];

  return (
    <>
      <Breadcrumb
        currentPageLabel={o.name}
        homeLinkProps={{ href: '/' }}
        segments={[{ label: 'Organisations', linkProps: { href: '/organisations' } }]}
      />
      <h1 ref={headingRef} tabIndex={-1}>
        {o.name}
      </h1>
      <ul className="fr-badges-group fr-mb-3w">
        <li>
          <Badge noIcon>{o.kindLabel}</Badge>
        </li>
        <li>
          <Badge severity={o.status === 'active' ? 'success' : 'info'} noIcon>
            {label(ORGANIZATION_STATUS_LABELS, o.status)}
          </Badge>
        </li>
        {o.trustedRolesSuspended && (
          <li>
            <Badge severity="error">Rôles de confiance suspendus</Badge>
          </li>
        )}
      </ul>

      {notice && (
        <Alert
          severity={notice.severity}
          small
          description={notice.text}
          className="fr-mb-3w"
          closable
          onClose={() => setNotice(null)}
        />
      )}

      {o.trustedRolesSuspended && (
        <Alert
          severity="warning"
          className="fr-mb-4w"
          as="h2"
          title="Rôles de confiance suspendus"
          description={
            <>
              <span className="ca-block">
                Une non-conformité majeure a été constatée
                {suspending ? ` lors de l’auto-évaluation du ${formatDate(suspending.assessedOn)}` : ''} : les
                opérateurs et autorités d’enregistrement de l’organisation ne peuvent plus agir jusqu’à la levée de la
                suspension.
              </span>
              {admin && suspending && (
                <Button
                  className="fr-mt-2w"
                  priority="secondary"
                  iconId="fr-icon-lock-unlock-line"
                  nativeButtonProps={confirmLift.buttonProps}
                >
                  Lever la suspension
                </Button>
              )}
            </>
          }
        />
      )}
      <ProblemAlert error={liftError} title="La suspension n’a pas été levée" />
      {suspending && (
        <confirmLift.Dialog
          title="Lever la suspension ?"
          confirmLabel="Lever la suspension"
          onConfirm={() => void lift(suspending)}
        >
          <p>
            Les rôles de confiance de <strong>{o.name}</strong> seront rétablis. Confirmez que la non-conformité majeure
            constatée le {formatDate(suspending.assessedOn)} a été corrigée.
          </p>
          <p>Cette action est inscrite au journal d’audit.</p>
        </confirmLift.Dialog>
      )}

      <section aria-labelledby="identite-title" className="fr-mb-6w">
        <h2 id="identite-title">Identité</h2>
        <DescriptionList
          items={[
            ['Code', <span className="ca-code">{o.code}</span>],
            ['Type', o.kindLabel],
            ['Code INSEE', o.inseeCode],
            ['SIREN', o.siren],
            ['Adresse', address(o)],
            [
              'Organisation parente',
              o.parentId ? (
                <Link href={`/organisations/${encodeURIComponent(o.parentId)}`}>{o.parentName ?? o.parentId}</Link>
              ) : null,
            ],
            [
              'Autorité d’enregistrement de rattachement',
              o.registrationAuthority ? (
                <Link href={`/organisations/${encodeURIComponent(o.registrationAuthority.id)}`}>
                  {o.registrationAuthority.name}
                </Link>
              ) : null,
            ],
            [
              'Agents',
              can(session, 'agent.read') ? (
                <Link href={`/agents?organisation=${encodeURIComponent(o.id)}`}>
                  {plural(o.agentCount, 'agent', 'agents')}
                </Link>
              ) : (
                plural(o.agentCount, 'agent', 'agents')
              ),
            ],
          ]}
        />
      </section>

      <AgreementSection
        org={o}
        canWrite={can(session, 'agreement.write')}
        onChanged={(agreement) => org.setData({ ...o, agreement })}
      />

      <section aria-labelledby="auto-evaluation-title" className="fr-mb-6w">
        <h2 id="auto-evaluation-title">Auto-évaluation de la sécurité du poste de travail</h2>
        <p>
          Les neuf mesures du guide de sécurité des postes de travail (annexe 3 de la convention). Une non-conformité
          majeure, constatée par un administrateur, suspend les rôles de confiance de l’organisation.
        </p>
        <ProblemAlert error={reference.error} title="Impossible de charger les mesures" />
        {can(session, 'selfAssessment.submit') &&
          measures.length > 0 &&
          (assessing ? (
            <SelfAssessmentForm
              organizationId={o.id}
              measures={measures}
              isAdmin={can(session, 'selfAssessment.control')}
              onSubmitted={onAssessed}
              onCancel={() => setAssessing(false)}
            />
          ) : (
            <Button iconId="fr-icon-survey-line" className="fr-mb-3w" onClick={() => setAssessing(true)}>
              Saisir une auto-évaluation
            </Button>
          ))}
        <h3 className="fr-mt-4w">Historique des auto-évaluations</h3>
        <SelfAssessmentHistory assessments={o.selfAssessments} measures={measures} />
      </section>

      <AllocationPlanSection organizationId={o.id} />
    </>
  );
}
