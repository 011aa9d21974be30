// /dossiers/types — the kinds of case files (configuration loaded at start): pieces the slip must
// list, form checks, offices, target time; the national administrator edits a kind here.
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { useState } from 'react';
import { backofficeApi, type Kind, type KindDefinition } from '../../backofficeApi.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { Loading } from '../../components/Loading.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { formatDateTime, plural } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { isAdmin } from '../../permissions.ts';
import { useRequiredSession } from '../../session.tsx';

export function KindsPage() {
  const headingRef = usePageTitle('Types de dossiers');
  const kinds = useAsync(() => backofficeApi.kinds(), []);
  const admin = isAdmin(useRequiredSession());
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Types de dossiers
      </h1>
      <p>
        Chaque type fixe les pièces que le bordereau d’envoi doit mentionner, les contrôles de forme du bureau de
        liaison, les bureaux de traitement qui peuvent le prendre et le délai cible de traitement.
      </p>
      {kinds.error ? (
        <ProblemAlert error={kinds.error} />
      ) : !kinds.data ? (
        <Loading />
      ) : (
        kinds.data.items.map((k) => <KindCard key={k.code} kind={k} admin={admin} onSaved={kinds.reload} />)
      )}
    </>
  );
}

function definition(k: Kind): KindDefinition {
  return {
    code: k.code,
    family: k.family as 'card' | 'unit',
    label: k.label,
    pieces: k.pieces,
    checks: k.checks,
    offices: k.offices,
    routing: k.routing,
    targetDays: k.targetDays,
    amount: k.amount,
    transferTo: k.transferTo,
    active: k.active,
  };
}

function KindCard(props: { kind: Kind; admin: boolean; onSaved: () => void }) {
  const k = props.kind;
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(() => JSON.stringify(definition(k), null, 2));
  const [error, setError] = useState<unknown>(null);
  const save = async () => {
    setError(null);
    let def: KindDefinition;
    try {
      def = JSON.parse(text) as KindDefinition;
    } catch {
      setError(new Error('La définition n’est pas un JSON valide.'));
      return;
    }
    try {
      await backofficeApi.updateKind(k.code, def);
      setEditing(false);
      props.onSaved();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section className="ca-measure fr-mb-4w" aria-labelledby={`type-${k.code}`}>
      <h2 id={`type-${k.code}`} className="fr-h5">
        {k.label} {k.active ? '' : '(inactif)'}
      </h2>
      <p className="fr-text--sm">
        {k.familyLabel} — bureaux : {k.offices.join(', ')} — délai cible : {plural(k.targetDays, 'jour', 'jours')}
        {k.amount ? ' — montant du décompte enregistré' : ''}
        {k.transferTo ? ` — transfert : ${k.transferTo}` : ''} — version {k.version} (
        {k.source === 'admin' ? 'modifiée par l’administration nationale' : 'fichier de configuration'},{' '}
        {formatDateTime(k.updatedAt)})
      </p>
      <DataTable
        caption={`Pièces : ${k.label}`}
        headers={['Pièce', 'Obligatoire', 'Peut s’obtenir par un simple contact']}
        rows={k.pieces.map((p) => [
          p.label,
          p.required ? 'Oui' : 'Non',
          p.byContact ? 'Oui' : 'Non (nouvelle signature)',
        ])}
      />
      {k.checks.length > 0 && (
        <DataTable
          caption={`Contrôles de forme : ${k.label}`}
          headers={['Contrôle', 'Peut se régulariser par un simple contact']}
          rows={k.checks.map((c) => [c.label, c.byContact ? 'Oui' : 'Non (nouvelle signature)'])}
        />
      )}
      {props.admin &&
        (editing ? (
          <div>
            <ProblemAlert error={error} />
            <Input
              label={`Définition du type « ${k.label} » (JSON)`}
              textArea
              nativeTextAreaProps={{
                value: text,
                rows: 16,
                className: 'ca-code',
                onChange: (e) => setText(e.target.value),
              }}
            />
            <ul className="fr-btns-group fr-btns-group--inline-md">
              <li>
                <Button onClick={() => void save()}>Enregistrer</Button>
              </li>
              <li>
                <Button priority="secondary" onClick={() => setEditing(false)}>
                  Annuler
                </Button>
              </li>
            </ul>
          </div>
        ) : (
          <Button priority="secondary" size="small" onClick={() => setEditing(true)}>
            Modifier le type « {k.label} »
          </Button>
        ))}
    </section>
  );
}
