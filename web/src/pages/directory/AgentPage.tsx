// /agents/:id — every field of the agent, roles, photo, edit form, deactivation.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Breadcrumb } from '@codegouvfr/react-dsfr/Breadcrumb';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { useState } from 'react';
import { api, type Agent } from '../../api.ts';
import { AgentEditForm } from '../../components/agent/AgentEditForm.tsx';
import { AgentPhoto } from '../../components/agent/AgentPhoto.tsx';
import { createConfirm } from '../../components/ConfirmModal.tsx';
import { DataTable } from '../../components/DataTable.tsx';
import { DescriptionList } from '../../components/DescriptionList.tsx';
import { Loading } from '../../components/Loading.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import {
  AGENT_STATUS_LABELS,
  formatDate,
  formatDateTime,
  IDENTIFIER_KIND_LABELS,
  label,
  SEX_LABELS,
  STAFF_STATUS_LABELS,
} from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { can } from '../../permissions.ts';
import { Link } from '../../router.tsx';
import { useRequiredSession } from '../../session.tsx';

const confirmStatus = createConfirm('confirmer-statut-agent');

function directoryText(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'Oui' : 'Non';
  return JSON.stringify(value);
}

export function AgentPage({ params }: { params: Record<string, string> }) {
  const id = params.id ?? '';
  const session = useRequiredSession();
  const agent = useAsync(() => api.agent(id), [id]);
  const reference = useAsync(() => api.reference(), []);
  const a = agent.data;
  const name = a ? `${a.firstNames} ${a.lastName}` : 'Agent';
  const headingRef = usePageTitle(name);
  const [editing, setEditing] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [statusError, setStatusError] = useState<unknown>(null);

  const fullEdit = can(session, 'agent.write');
  const contactEdit = fullEdit || can(session, 'agent.contact');

  const toggleStatus = async (current: Agent) => {
    setStatusError(null);
    setNotice(null);
    try {
      const next =
        current.status === 'active' ? await api.deactivateAgent(current.id) : await api.reactivateAgent(current.id);
      agent.setData(next);
      setNotice(next.status === 'active' ? 'L’agent a été réactivé.' : 'L’agent a été désactivé.');
    } catch (err) {
      setStatusError(err);
    }
  };

  if (!a) {
    return (
      <>
        <h1 ref={headingRef} tabIndex={-1}>
          Agent
        </h1>
        <ProblemAlert error={agent.error} title="Impossible d’afficher l’agent" />
        {agent.loading && <Loading />}
      </>
    );
  }

  const apps = new Map((reference.data?.clientApplications ?? []).map((c) => [c.code, c.label]));
  const active = a.status === 'active';

  return (
    <>
      <Breadcrumb
        currentPageLabel={name}
        homeLinkProps={{ href: '/' }}
        segments={[{ label: 'Agents', linkProps: { href: '/agents' } }]}
      />
      <h1 ref={headingRef} tabIndex={-1}>
        {a.firstNames} {a.lastName}
      </h1>
      <ul className="fr-badges-group fr-mb-3w">
        <li>
          <Badge severity={active ? 'success' : 'info'}>{label(AGENT_STATUS_LABELS, a.status)}</Badge>
        </li>
        {a.identityVerified && (
          <li>
            <Badge severity="success" noIcon>
              Identité vérifiée
            </Badge>
          </li>
        )}
      </ul>
      <div role="status">{notice && <Alert severity="success" small description={notice} className="fr-mb-3w" />}</div>
      <ProblemAlert error={statusError} title="Le statut n’a pas été modifié" />

      <div className="fr-grid-row fr-grid-row--gutters fr-mb-4w">
        <div className="fr-col-12 fr-col-md-4">
          <AgentPhoto
            agent={a}
            canUpload={can(session, 'agent.photo')}
            onUploaded={() => agent.setData({ ...a, hasPhoto: true })}
          />
        </div>
        <div className="fr-col-12 fr-col-md-8">
          <section aria-labelledby="fiche-title">
            <h2 id="fiche-title" className="fr-h4">
              Fiche
            </h2>
            <DescriptionList
              items={[
                ['Nom', a.lastName],
                ['Prénoms', a.firstNames],
                ['Identifiant', <span className="ca-code">{a.identifier}</span>],
                ['Type d’identifiant', label(IDENTIFIER_KIND_LABELS, a.identifierKind)],
                ['Sexe', label(SEX_LABELS, a.sex)],
                ['Date de naissance', formatDate(a.birthDate)],
                ['Lieu de naissance', a.birthPlace],
                [
                  'Organisation',
                  <Link href={`/organisations/${encodeURIComponent(a.organizationId)}`}>{a.organizationName}</Link>,
                ],
                ['Courriel', a.email ? <a href={`mailto:${a.email}`}>{a.email}</a> : null],
                ['Téléphone', a.phone],
                ['Adresse de l’unité', a.unitAddress],
                ['Statut', label(STAFF_STATUS_LABELS, a.staffStatus)],
                ['Catégorie', a.category],
                ['Profil', a.profile],
                [
                  'Habilitations',
                  a.habilitations.length ? a.habilitations.map((h) => apps.get(h) ?? h).join(', ') : 'Aucune',
                ],
                ['Identité vérifiée', a.identityVerified ? 'Oui' : 'Non'],
                ['Inscription à l’annuaire', directoryText(a.directoryRecord)],
                ['Source', a.source],
                ['Créé le', formatDateTime(a.createdAt)],
                ['Modifié le', formatDateTime(a.updatedAt)],
              ]}
            />
          </section>
        </div>
      </div>

      <section aria-labelledby="roles-title" className="fr-mb-6w">
        <h2 id="roles-title">Rôles</h2>
        {a.roles.length === 0 ? (
          <p>Cet agent n’a aucun rôle sur la plateforme.</p>
        ) : (
          <DataTable
            caption={`Rôles de ${name}`}
            hideCaption
            headers={['Rôle', 'Organisation']}
            rowKeys={a.roles.map((r) => r.id)}
            rows={a.roles.map((r) => [
              r.roleLabel,
              <Link href={`/organisations/${encodeURIComponent(r.organizationId)}`}>{r.organizationName}</Link>,
            ])}
          />
        )}
      </section>

      {can(session, 'personalData.export') && (
        <section aria-labelledby="donnees-title" className="fr-mb-6w">
          <h2 id="donnees-title">Données personnelles</h2>
          <p>
            Tout ce que la plateforme détient sur cet agent (droit d’accès) : le détail complet en JSON, un résumé en
            PDF.
          </p>
          <ul className="fr-btns-group fr-btns-group--inline-md">
            <li>
              <a
                className="fr-btn fr-btn--secondary"
                href={`/api/agents/${encodeURIComponent(a.id)}/personal-data`}
                download
              >
                Exporter (JSON)
              </a>
            </li>
            <li>
              <a
                className="fr-btn fr-btn--secondary"
                href={`/api/agents/${encodeURIComponent(a.id)}/personal-data.pdf`}
                download
              >
                Exporter (PDF)
              </a>
            </li>
          </ul>
        </section>
      )}

      {can(session, 'cardRequest.write') && active && (
        <section aria-labelledby="carte-title" className="fr-mb-6w">
          <h2 id="carte-title">Carte</h2>
          <p>
            Commander une carte pour cet agent : choix du modèle et du type, contrôle des prérequis, puis signature de
            la demande.
          </p>
          <Button iconId="fr-icon-bank-card-line" linkProps={{ href: `/agents/${encodeURIComponent(a.id)}/commander` }}>
            Commander une carte
          </Button>
        </section>
      )}

      {can(session, 'card.operate') && (
        <section aria-labelledby="depart-mutation-title" className="fr-mb-6w">
          <h2 id="depart-mutation-title">Départ ou mutation</h2>
          <p>
            Départ (retraite, fin de contrat) : révocation des cartes. Mutation dans le ministère : le porteur garde sa
            carte.
          </p>
          <ul className="fr-btns-group fr-btns-group--inline-md">
            <li>
              <Button
                priority="secondary"
                iconId="fr-icon-logout-box-r-line"
                linkProps={{ href: `/agents/${encodeURIComponent(a.id)}/depart` }}
              >
                Départ
              </Button>
            </li>
            <li>
              <Button
                priority="secondary"
                iconId="fr-icon-arrow-right-line"
                linkProps={{ href: `/agents/${encodeURIComponent(a.id)}/mutation` }}
              >
                Mutation
              </Button>
            </li>
          </ul>
        </section>
      )}

      {contactEdit && (
        <section aria-labelledby="modifier-title" className="fr-mb-6w">
          <h2 id="modifier-title">Modifier la fiche</h2>
          {editing ? (
            <AgentEditForm
              agent={a}
              fullEdit={fullEdit}
              clientApplications={reference.data?.clientApplications ?? []}
              onSaved={(next) => {
                agent.setData(next);
                setEditing(false);
                setNotice('Les modifications ont été enregistrées.');
              }}
              onCancel={() => setEditing(false)}
            />
          ) : (
            <Button priority="secondary" iconId="fr-icon-edit-line" onClick={() => setEditing(true)}>
              {fullEdit ? 'Modifier la fiche' : 'Modifier les coordonnées'}
            </Button>
          )}
        </section>
      )}

      {fullEdit && (
        <section aria-labelledby="statut-title" className="fr-mb-6w">
          <h2 id="statut-title">{active ? 'Désactiver l’agent' : 'Réactiver l’agent'}</h2>
          <p>
            {active
              ? 'Un agent désactivé n’apparaît plus parmi les agents actifs : ses rôles et ses demandes de carte ne peuvent plus être utilisés.'
              : 'La réactivation rend à l’agent son statut actif.'}
          </p>
          <Button
            priority={active ? 'secondary' : 'primary'}
            iconId={active ? 'fr-icon-close-circle-line' : 'fr-icon-refresh-line'}
            nativeButtonProps={confirmStatus.buttonProps}
          >
            {active ? 'Désactiver l’agent' : 'Réactiver l’agent'}
          </Button>
          <confirmStatus.Dialog
            title={active ? 'Désactiver l’agent ?' : 'Réactiver l’agent ?'}
            confirmLabel={active ? 'Désactiver' : 'Réactiver'}
            onConfirm={() => void toggleStatus(a)}
          >
            <p>
              {active ? 'Désactiver' : 'Réactiver'} <strong>{name}</strong> ({a.identifier}) ? Cette action est inscrite
              au journal d’audit.
            </p>
          </confirmStatus.Dialog>
        </section>
      )}
    </>
  );
}
