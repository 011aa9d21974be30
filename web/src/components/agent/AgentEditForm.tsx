// Edit form of an agent (PATCH with the changed fields). Registration authorities and admins may
// change every field; operators only the contact details.
import { Checkbox } from '@codegouvfr/react-dsfr/Checkbox';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { RadioButtons } from '@codegouvfr/react-dsfr/RadioButtons';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useRef, useState, type FormEvent } from 'react';
import { api, ApiError, type Agent, type AgentPatch, type CodeLabel } from '../../api.ts';
import { IDENTIFIER_KIND_LABELS, STAFF_STATUS_LABELS } from '../../format.ts';
import { ProblemAlert } from '../ProblemAlert.tsx';
import { FormActions } from '../FormActions.tsx';

type TextField =
  | 'identifier'
  | 'lastName'
  | 'firstNames'
  | 'birthDate'
  | 'birthPlace'
  | 'email'
  | 'phone'
  | 'unitAddress'
  | 'category'
  | 'profile';

export const AGENT_FIELD_LABELS: Record<string, string> = {
  identifier: 'Identifiant',
  identifierKind: 'Type d’identifiant',
  lastName: 'Nom',
  firstNames: 'Prénoms',
  sex: 'Sexe',
  birthDate: 'Date de naissance',
  birthPlace: 'Lieu de naissance',
  email: 'Courriel',
  phone: 'Téléphone',
  unitAddress: 'Adresse de l’unité',
  staffStatus: 'Statut',
  category: 'Catégorie',
  profile: 'Profil',
  habilitations: 'Habilitations',
};

const CONTACT_FIELDS = new Set(['email', 'phone', 'unitAddress']);
const NULLABLE = new Set(['email', 'phone', 'unitAddress', 'category', 'profile']);

interface Values {
  identifier: string;
  identifierKind: string;
  lastName: string;
  firstNames: string;
  sex: string;
  birthDate: string;
  birthPlace: string;
  email: string;
  phone: string;
  unitAddress: string;
  staffStatus: string;
  category: string;
  profile: string;
  habilitations: string[];
}

function valuesOf(a: Agent): Values {
  return {
    identifier: a.identifier,
    identifierKind: a.identifierKind,
    lastName: a.lastName,
    firstNames: a.firstNames,
    sex: a.sex,
    birthDate: a.birthDate,
    birthPlace: a.birthPlace,
    email: a.email ?? '',
    phone: a.phone ?? '',
    unitAddress: a.unitAddress ?? '',
    staffStatus: a.staffStatus,
    category: a.category ?? '',
    profile: a.profile ?? '',
    habilitations: [...a.habilitations],
  };
}

export function AgentEditForm(props: {
  agent: Agent;
  fullEdit: boolean;
  clientApplications: CodeLabel[];
  onSaved: (agent: Agent) => void;
  onCancel: () => void;
}) {
  const initial = valuesOf(props.agent);
  const [values, setValues] = useState<Values>(initial);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const summaryRef = useRef<HTMLDivElement>(null);

  const editable = (field: string) => props.fullEdit || CONTACT_FIELDS.has(field);
  const errorFor = (field: string) =>
    error instanceof ApiError
      ? error.fieldErrors
          .filter((e) => e.field === field)
          .map((e) => e.reason)
          .join(' ') || undefined
      : undefined;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const patch: Record<string, unknown> = {};
    for (const key of Object.keys(values) as (keyof Values)[]) {
      if (!editable(key)) continue;
      const v = values[key];
      const before = initial[key];
      if (Array.isArray(v)) {
        if (JSON.stringify([...v].sort()) !== JSON.stringify([...(before as string[])].sort())) patch[key] = v;
      } else if (v.trim() !== (before as string)) {
        patch[key] = v.trim() === '' && NULLABLE.has(key) ? null : v.trim();
      }
    }
    if (Object.keys(patch).length === 0) {
      props.onCancel();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      props.onSaved(await api.patchAgent(props.agent.id, patch as AgentPatch));
    } catch (err) {
      setError(err);
      setTimeout(() => summaryRef.current?.focus(), 0);
    } finally {
      setBusy(false);
    }
  };

  const text = (
    field: TextField,
    opts: { type?: string; autoComplete?: string; textArea?: boolean; hint?: string } = {},
  ) => {
    if (!editable(field)) return null;
    const err = errorFor(field);
    const common = {
      label: AGENT_FIELD_LABELS[field],
      hintText: opts.hint,
      state: err ? ('error' as const) : ('default' as const),
      stateRelatedMessage: err,
    };
    return opts.textArea ? (
      <Input
        {...common}
        textArea
        nativeTextAreaProps={{
          name: field,
          rows: 3,
          value: values[field],
          onChange: (e) => setValues({ ...values, [field]: e.target.value }),
        }}
      />
    ) : (
      <Input
        {...common}
        nativeInputProps={{
          name: field,
          type: opts.type ?? 'text',
          autoComplete: opts.autoComplete ?? 'off',
          value: values[field],
          onChange: (e) => setValues({ ...values, [field]: e.target.value }),
        }}
      />
    );
  };

  const select = (field: 'identifierKind' | 'staffStatus', options: Record<string, string>) => {
    if (!editable(field)) return null;
    const err = errorFor(field);
    return (
      <Select
        label={AGENT_FIELD_LABELS[field]}
        state={err ? 'error' : 'default'}
        stateRelatedMessage={err}
        nativeSelectProps={{
          name: field,
          value: values[field],
          onChange: (e) => setValues({ ...values, [field]: e.target.value }),
        }}
      >
        {Object.entries(options).map(([code, text]) => (
          <option key={code} value={code}>
            {text}
          </option>
        ))}
      </Select>
    );
  };

  return (
    <form onSubmit={(e) => void submit(e)} noValidate className="fr-mb-4w">
      <div ref={summaryRef} tabIndex={-1}>
        <ProblemAlert
          error={error}
          title="Les modifications n’ont pas été enregistrées"
          fieldLabels={AGENT_FIELD_LABELS}
        />
      </div>
      {!props.fullEdit && (
        <p className="fr-text--sm">
          Votre rôle vous permet de modifier les coordonnées de l’agent. Les autres informations proviennent du flux
          SIRH ou de l’autorité d’enregistrement.
        </p>
      )}
      {text('lastName', { autoComplete: 'off' })}
      {text('firstNames')}
      {props.fullEdit && (
        <RadioButtons
          legend={AGENT_FIELD_LABELS.sex}
          name="sex"
          orientation="horizontal"
          state={errorFor('sex') ? 'error' : 'default'}
          stateRelatedMessage={errorFor('sex')}
          options={[
            {
              label: 'Féminin',
              nativeInputProps: {
                value: 'F',
                checked: values.sex === 'F',
                onChange: () => setValues({ ...values, sex: 'F' }),
              },
            },
            {
              label: 'Masculin',
              nativeInputProps: {
                value: 'M',
                checked: values.sex === 'M',
                onChange: () => setValues({ ...values, sex: 'M' }),
              },
            },
          ]}
        />
      )}
      {text('birthDate', { type: 'date' })}
      {text('birthPlace')}
      {text('identifier')}
      {select('identifierKind', IDENTIFIER_KIND_LABELS)}
      {text('email', { type: 'email', hint: 'Adresse professionnelle, par exemple prenom.nom@mairie.fr' })}
      {text('phone', { type: 'tel', hint: 'Par exemple 01 23 45 67 89' })}
      {text('unitAddress', { textArea: true })}
      {select('staffStatus', STAFF_STATUS_LABELS)}
      {text('category')}
      {text('profile')}
      {props.fullEdit && props.clientApplications.length > 0 && (
        <Checkbox
          legend={AGENT_FIELD_LABELS.habilitations}
          hintText="Applications auxquelles la carte donne accès"
          orientation="horizontal"
          state={errorFor('habilitations') ? 'error' : 'default'}
          stateRelatedMessage={errorFor('habilitations')}
          options={props.clientApplications.map((app) => ({
            label: app.label,
            nativeInputProps: {
              name: 'habilitations',
              value: app.code,
              checked: values.habilitations.includes(app.code),
              onChange: (e) =>
                setValues({
                  ...values,
                  habilitations: e.target.checked
                    ? [...values.habilitations, app.code]
                    : values.habilitations.filter((h) => h !== app.code),
                }),
            },
          }))}
        />
      )}
      <FormActions submitLabel="Enregistrer les modifications" busy={busy} onCancel={props.onCancel} />
    </form>
  );
}
