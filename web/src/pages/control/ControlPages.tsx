// Internal control by the « organisation et méthodes » office (seed 003 §4):
// /controle — the month's control plan (set by the head of centre), its sample (drawn by the
//   platform, files added by hand), the centre's plans;
// /controle/controles/:id — the control of a file: three objects, each with its verdict, then a
//   control sheet on an anomaly or a transmission to the unit's verifying service;
// /controle/fiches, /controle/fiches/:id — the control sheets and their visas, in order;
// /controle/syntheses — the « recueil des synthèses mensuelles ».
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { RadioButtons } from '@codegouvfr/react-dsfr/RadioButtons';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { useState, type FormEvent } from 'react';
import type { Centre } from '../../backofficeApi.ts';
import { euros } from '../../backofficeApi.ts';
import {
  ANOMALY_RULE_OPTIONS,
  controlApi,
  type Control,
  type Plan,
  type PlanList,
  type Sheet,
} from '../../controlApi.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { DescriptionList } from '../../components/DescriptionList.tsx';
import { Loading } from '../../components/Loading.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { formatDate, formatDateTime, plural } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { can } from '../../permissions.ts';
import { Link, navigate } from '../../router.tsx';
import { useRequiredSession } from '../../session.tsx';
import { WithCentre } from '../backoffice/common.tsx';

const thisMonth = () => new Date().toISOString().slice(0, 7);

function Menu() {
  return (
    <ul className="fr-btns-group fr-btns-group--inline-md fr-btns-group--sm fr-mb-2w">
      <li>
        <Link className="fr-btn fr-btn--tertiary" href="/controle">
          Plans et échantillons
        </Link>
      </li>
      <li>
        <Link className="fr-btn fr-btn--tertiary" href="/controle/fiches">
          Fiches de contrôle
        </Link>
      </li>
      <li>
        <Link className="fr-btn fr-btn--tertiary" href="/controle/syntheses">
          Synthèses mensuelles
        </Link>
      </li>
    </ul>
  );
}

/** Runs an action with its busy and error states. */
function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

// ---------------------------------------------------------------------------------------------
// /controle

export function ControlHomePage() {
  const headingRef = usePageTitle('Contrôle interne');
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Contrôle interne
      </h1>
      <Menu />
      <WithCentre>{(centre) => <Plans centre={centre} />}</WithCentre>
    </>
  );
}

function Plans(props: { centre: Centre }) {
  const plans = useAsync(() => controlApi.plans(props.centre.id), [props.centre.id]);
  const month = thisMonth();
  const current = plans.data?.items.find((p) => p.type === 'monthly' && p.period === month);
  const [planId, setPlanId] = useState<string | null>(null);
  if (plans.error) return <ProblemAlert error={plans.error} />;
  if (!plans.data) return <Loading />;
  const shown = planId ?? current?.id ?? null;
  return (
    <>
      <p>
        {props.centre.name} — contrôle a posteriori, fondé sur le risque, des dossiers traités par les bureaux (§ 4.3).
      </p>
      {shown ? (
        <PlanView key={shown} planId={shown} onChange={plans.reload} />
      ) : (
        <p>Aucun plan de contrôle pour ce mois.</p>
      )}
      <PlanForm list={plans.data} centre={props.centre} onDone={(id) => (setPlanId(id), plans.reload())} />
      <DataTable
        caption="Plans de contrôle du centre"
        headers={['Période', 'Type', 'Tirage', 'À contrôler', 'Contrôlés', 'Plan']}
        rows={plans.data.items.map((p) => [
          p.periodLabel,
          p.type === 'deontological' ? 'Contrôle déontologique' : 'Plan mensuel',
          p.drawnAt ? formatDateTime(p.drawnAt) : 'Non tiré',
          String(p.toControl),
          String(p.controlled),
          <Button key="v" size="small" priority="tertiary" onClick={() => setPlanId(p.id)}>
            {`Voir le plan de ${p.periodLabel}`}
          </Button>,
        ])}
        rowKeys={plans.data.items.map((p) => p.id)}
      />
    </>
  );
}

function PlanView(props: { planId: string; onChange: () => void }) {
  const session = useRequiredSession();
  const plan = useAsync(() => controlApi.plan(props.planId), [props.planId]);
  const action = useAction();
  const [number, setNumber] = useState('');
  const [reason, setReason] = useState('');
  if (plan.error) return <ProblemAlert error={plan.error} />;
  if (!plan.data) return <Loading />;
  const p: Plan = plan.data;
  const controller = can(session, 'control.perform');
  const update = (next: Plan) => {
    plan.setData(next);
    props.onChange();
  };
  const add = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      update(await controlApi.addFile(p.id, number, reason));
      setNumber('');
      setReason('');
    });
  };
  return (
    <section aria-labelledby="plan-titre">
      <h2 id="plan-titre">
        {p.type === 'deontological' ? 'Contrôle déontologique' : 'Plan de contrôle'} — {p.periodLabel}
      </h2>
      <DescriptionList
        items={[
          ['Fixé par', p.createdBy ? `${p.createdBy}, le ${formatDateTime(p.createdAt)}` : null],
          ['Tirage', p.drawnAt ? `le ${formatDateTime(p.drawnAt)} par ${p.drawnBy ?? '—'}` : 'Pas encore tiré'],
          ['Graine du tirage', <code key="s">{p.seed}</code>],
          [
            'Reproductibilité',
            p.reproducible === null
              ? null
              : p.reproducible
                ? 'Le tirage refait depuis la graine donne le même échantillon.'
                : 'Le tirage refait depuis la graine diffère : dossiers modifiés depuis.',
          ],
          ['Observation', p.note],
        ]}
      />
      {p.lines.length > 0 && (
        <DataTable
          caption="Objectifs par type de dossier et bureau"
          headers={[
            'Type de dossier',
            'Bureau',
            'Potentialité d’erreur',
            'Montants en jeu',
            'Résultats du mois précédent',
            'Dossiers traités',
            'Objectif proposé',
            'Objectif',
          ]}
          rows={p.lines.map((l) => [
            l.kindLabel,
            l.office?.name ?? 'Tous',
            l.errorPotentialLabel,
            l.amountStakesLabel,
            l.lastMonthControls
              ? `${l.lastMonthAnomalies} anomalie(s) sur ${l.lastMonthControls} contrôle(s)`
              : 'Aucun contrôle',
            String(l.population),
            String(l.suggested),
            String(l.objective),
          ])}
          rowKeys={p.lines.map((l) => l.id)}
        />
      )}
      <ProblemAlert error={action.error} />
      {controller && p.type === 'monthly' && !p.drawnAt && (
        <Button disabled={action.busy} onClick={() => void action.run(async () => update(await controlApi.draw(p.id)))}>
          Tirer l’échantillon
        </Button>
      )}
      <DataTable
        caption={`Échantillon — ${plural(p.controls.length, 'dossier', 'dossiers')}`}
        headers={['Dossier', 'Type', 'Administré', 'Bureau', 'Traité le', 'Origine', 'Situation', 'Contrôle']}
        rows={p.controls.map((c) => [
          <Link key="f" href={`/dossiers/${c.fileId}`}>
            {c.fileNumber}
          </Link>,
          c.kindLabel,
          c.personName,
          c.office ?? '—',
          formatDate(c.processedAt),
          c.originLabel,
          c.status === 'controlled' ? (
            <Badge key="b" small severity={c.anomaly ? 'warning' : 'success'}>
              {c.anomaly ? 'Anomalie' : 'Conforme'}
            </Badge>
          ) : (
            c.statusLabel
          ),
          <Link key="c" href={`/controle/controles/${c.id}`}>
            {c.status === 'controlled' ? `Voir le contrôle ${c.fileNumber}` : `Contrôler ${c.fileNumber}`}
          </Link>,
        ])}
        rowKeys={p.controls.map((c) => c.id)}
      />
      {controller && p.type === 'monthly' && (
        <form onSubmit={add} aria-labelledby="ajout-titre" className="fr-mt-2w">
          <h3 id="ajout-titre">Ajouter un dossier à la main</h3>
          <Input
            label="Numéro du dossier"
            nativeInputProps={{ value: number, onChange: (e) => setNumber(e.target.value), required: true }}
          />
          <Input
            label="Motif (facultatif)"
            nativeInputProps={{ value: reason, onChange: (e) => setReason(e.target.value) }}
          />
          <Button type="submit" priority="secondary" disabled={action.busy}>
            Ajouter au plan
          </Button>
        </form>
      )}
    </section>
  );
}

interface LineDraft {
  kindCode: string;
  officeId: string;
  errorPotential: string;
  amountStakes: string;
  objective: string;
}

function PlanForm(props: { list: PlanList; centre: Centre; onDone: (id: string) => void }) {
  const session = useRequiredSession();
  const [period, setPeriod] = useState(thisMonth());
  const empty = (): LineDraft => ({
    kindCode: props.list.kinds[0]?.code ?? '',
    officeId: props.list.offices[0]?.id ?? '',
    errorPotential: '2',
    amountStakes: '2',
    objective: '',
  });
  const [lines, setLines] = useState<LineDraft[]>([empty()]);
  const action = useAction();
  if (!can(session, 'control.plan')) return null;
  const set = (i: number, patch: Partial<LineDraft>) =>
    setLines(lines.map((l, j) => (j === i ? { ...l, ...patch } : l)));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      const plan = await controlApi.setPlan({
        centreId: props.centre.id,
        period,
        lines: lines.map((l) => ({
          kindCode: l.kindCode,
          officeId: l.officeId || null,
          errorPotential: Number(l.errorPotential),
          amountStakes: Number(l.amountStakes),
          objective: l.objective === '' ? null : Number(l.objective),
        })),
      });
      props.onDone(plan.id);
    });
  };
  const levels = [
    ['1', 'Faible'],
    ['2', 'Moyen'],
    ['3', 'Élevé'],
  ];
  return (
    <form onSubmit={submit} aria-labelledby="plan-form-titre" className="fr-mt-4w fr-mb-4w">
      <h2 id="plan-form-titre">Fixer le plan de contrôle d’un mois</h2>
      <p className="fr-text--sm">
        Objectif par type de dossier et bureau, selon les potentialités d’erreur, l’importance des montants et les
        résultats du mois précédent (§ 4.3.2). Sans objectif saisi, celui proposé par la plateforme s’applique.
      </p>
      <Input
        label="Mois (AAAA-MM)"
        nativeInputProps={{ value: period, onChange: (e) => setPeriod(e.target.value), pattern: '\\d{4}-\\d{2}' }}
      />
      {lines.map((l, i) => (
        <fieldset key={i} className="fr-fieldset">
          <legend className="fr-fieldset__legend">Ligne {i + 1}</legend>
          <Select
            label="Type de dossier"
            nativeSelectProps={{ value: l.kindCode, onChange: (e) => set(i, { kindCode: e.target.value }) }}
          >
            {props.list.kinds.map((k) => (
              <option key={k.code} value={k.code}>
                {k.label}
              </option>
            ))}
          </Select>
          <Select
            label="Bureau"
            nativeSelectProps={{ value: l.officeId, onChange: (e) => set(i, { officeId: e.target.value }) }}
          >
            <option value="">Tous les bureaux</option>
            {props.list.offices.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </Select>
          <Select
            label="Potentialité d’erreur ou d’anomalie"
            nativeSelectProps={{ value: l.errorPotential, onChange: (e) => set(i, { errorPotential: e.target.value }) }}
          >
            {levels.map(([v, t]) => (
              <option key={v} value={v}>
                {t}
              </option>
            ))}
          </Select>
          <Select
            label="Importance des montants financiers"
            nativeSelectProps={{ value: l.amountStakes, onChange: (e) => set(i, { amountStakes: e.target.value }) }}
          >
            {levels.map(([v, t]) => (
              <option key={v} value={v}>
                {t}
              </option>
            ))}
          </Select>
          <Input
            label="Objectif (nombre de dossiers, facultatif)"
            nativeInputProps={{
              value: l.objective,
              inputMode: 'numeric',
              onChange: (e) => set(i, { objective: e.target.value }),
            }}
          />
        </fieldset>
      ))}
      <ProblemAlert error={action.error} />
      <ul className="fr-btns-group fr-btns-group--inline-md">
        <li>
          <Button type="button" priority="secondary" onClick={() => setLines([...lines, empty()])}>
            Ajouter une ligne
          </Button>
        </li>
        <li>
          <Button type="submit" disabled={action.busy}>
            Enregistrer le plan
          </Button>
        </li>
      </ul>
    </form>
  );
}

// ---------------------------------------------------------------------------------------------
// /controle/controles/:id

export function ControlPage(props: { params: Record<string, string> }) {
  const id = props.params['id']!;
  const control = useAsync(() => controlApi.control(id), [id]);
  const headingRef = usePageTitle(control.data ? `Contrôle du dossier ${control.data.file.number}` : 'Contrôle');
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        {control.data ? `Contrôle du dossier ${control.data.file.number}` : 'Contrôle'}
      </h1>
      <Menu />
      {control.error ? (
        <ProblemAlert error={control.error} />
      ) : !control.data ? (
        <Loading />
      ) : (
        <ControlView control={control.data} onChange={(c) => control.setData(c)} reload={control.reload} />
      )}
    </>
  );
}

function ControlView(props: { control: Control; onChange: (c: Control) => void; reload: () => void }) {
  const c = props.control;
  const session = useRequiredSession();
  const controller = can(session, 'control.perform');
  const [verdicts, setVerdicts] = useState<Record<string, { verdict: string; note: string }>>(
    Object.fromEntries(c.objects.map((o) => [o.code, { verdict: '', note: '' }])),
  );
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      const v = (code: string) => ({
        verdict: verdicts[code]!.verdict as 'conform' | 'anomaly',
        note: verdicts[code]!.note || null,
      });
      props.onChange(
        await controlApi.record(c.id, {
          verdicts: { evidence: v('evidence'), coherence: v('coherence'), rules: v('rules') },
        }),
      );
    });
  };
  return (
    <>
      <DescriptionList
        items={[
          ['Dossier', <Link key="f" href={`/dossiers/${c.file.id}`}>{`${c.file.number} — ${c.file.kindLabel}`}</Link>],
          ['Administré', c.file.personName],
          ['Bureau', c.file.office],
          [
            'Traité',
            c.file.processedAt ? `le ${formatDateTime(c.file.processedAt)} par ${c.file.processedBy ?? '—'}` : null,
          ],
          ['Montant du décompte', c.file.amountCents === null ? null : euros(c.file.amountCents)],
          ['Situation du dossier', c.file.statusLabel],
          ['Origine', c.originLabel],
          [
            'Marque du contrôle',
            c.controlledAt
              ? `Contrôlé le ${formatDate(c.controlledAt)} par ${c.controller ?? '—'} — timbre : ${c.stamp ?? ''}`
              : null,
          ],
        ]}
      />
      {c.status === 'controlled' ? (
        <DataTable
          caption="Objets du contrôle (§ 4.3.1)"
          headers={['Objet', 'Verdict', 'Observation']}
          rows={c.objects.map((o) => [o.label, o.verdictLabel ?? '—', o.note ?? '—'])}
          rowKeys={c.objects.map((o) => o.code)}
          multiline
        />
      ) : c.ownWork ? (
        <p className="fr-alert fr-alert--warning fr-alert--sm">
          Vous avez travaillé sur ce dossier, ou il vous concerne : un autre contrôleur doit le contrôler.
        </p>
      ) : controller ? (
        <form onSubmit={submit} aria-labelledby="controle-titre">
          <h2 id="controle-titre">Contrôler le dossier</h2>
          {c.objects.map((o) => (
            <div key={o.code}>
              <RadioButtons
                legend={o.label}
                name={`verdict-${o.code}`}
                orientation="horizontal"
                options={[
                  ['conform', 'Conforme'],
                  ['anomaly', 'Anomalie'],
                ].map(([value, label]) => ({
                  label,
                  nativeInputProps: {
                    value,
                    required: true,
                    checked: verdicts[o.code]!.verdict === value,
                    onChange: () => setVerdicts({ ...verdicts, [o.code]: { ...verdicts[o.code]!, verdict: value! } }),
                  },
                }))}
              />
              {verdicts[o.code]!.verdict === 'anomaly' && (
                <Input
                  label={`Anomalie constatée — ${o.label}`}
                  textArea
                  nativeTextAreaProps={{
                    required: true,
                    value: verdicts[o.code]!.note,
                    onChange: (e) =>
                      setVerdicts({ ...verdicts, [o.code]: { ...verdicts[o.code]!, note: e.target.value } }),
                  }}
                />
              )}
            </div>
          ))}
          <ProblemAlert error={action.error} />
          <Button type="submit" disabled={action.busy}>
            Enregistrer le contrôle
          </Button>
        </form>
      ) : (
        <p>Ce dossier attend son contrôle par le bureau « organisation et méthodes ».</p>
      )}
      {c.sheets.length > 0 && (
        <>
          <h2 className="fr-mt-4w">Fiches de contrôle</h2>
          <ul>
            {c.sheets.map((s) => (
              <li key={s.id}>
                <Link href={`/controle/fiches/${s.id}`}>Fiche {s.number}</Link>
              </li>
            ))}
          </ul>
        </>
      )}
      {c.status === 'controlled' && c.anomaly && controller && !c.ownWork && <SheetForm control={c} />}
      {c.status === 'controlled' && controller && !c.ownWork && c.file.paid && c.file.regularInForm && (
        <TransmissionForm control={c} onDone={props.reload} />
      )}
      {c.transmissions.length > 0 && (
        <>
          <h2 className="fr-mt-4w">Transmissions au service vérificateur</h2>
          <ul>
            {c.transmissions.map((t) => (
              <li key={t.id}>
                <a href={controlApi.transmissionHref(t.id)} download>
                  Lettre {t.number} du {formatDate(t.createdAt)} (PDF)
                </a>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

function SheetForm(props: { control: Control }) {
  const anomalies = props.control.objects.filter((o) => o.verdict === 'anomaly');
  const [object, setObject] = useState(anomalies[0]?.code ?? 'rules');
  const [rule, setRule] = useState('wrong_rule');
  const [findings, setFindings] = useState(anomalies[0]?.note ?? '');
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      const sheet = await controlApi.openSheet(props.control.id, {
        object: object as 'evidence' | 'coherence' | 'rules',
        rule,
        findings,
      });
      navigate(`/controle/fiches/${sheet.id}`);
    });
  };
  return (
    <form onSubmit={submit} aria-labelledby="fiche-titre" className="fr-mt-4w">
      <h2 id="fiche-titre">Établir une fiche de contrôle</h2>
      <Select
        label="Objet du contrôle en anomalie"
        nativeSelectProps={{ value: object, onChange: (e) => setObject(e.target.value) }}
      >
        {anomalies.map((o) => (
          <option key={o.code} value={o.code}>
            {o.label}
          </option>
        ))}
      </Select>
      <Select
        label="Nature de l’anomalie"
        nativeSelectProps={{ value: rule, onChange: (e) => setRule(e.target.value) }}
      >
        {ANOMALY_RULE_OPTIONS.map(([v, t]) => (
          <option key={v} value={v}>
            {t}
          </option>
        ))}
      </Select>
      <Input
        label="Anomalie constatée"
        textArea
        nativeTextAreaProps={{ value: findings, required: true, onChange: (e) => setFindings(e.target.value) }}
      />
      <ProblemAlert error={action.error} />
      <Button type="submit" disabled={action.busy}>
        Établir la fiche de contrôle
      </Button>
    </form>
  );
}

function TransmissionForm(props: { control: Control; onDone: () => void }) {
  const [grounds, setGrounds] = useState('');
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      await controlApi.transmit(props.control.id, grounds);
      setGrounds('');
      props.onDone();
    });
  };
  return (
    <form onSubmit={submit} aria-labelledby="transmission-titre" className="fr-mt-4w">
      <h2 id="transmission-titre">Transmettre au service vérificateur de la formation</h2>
      <p className="fr-text--sm">
        Dossier déjà payé, régulier en la forme, mais qui pourrait être irrégulier sur le fond (fausse déclaration,
        conditions de déplacement irrégulières…) : une copie est transmise au service vérificateur de la formation
        expéditrice (§ 4.3.1).
      </p>
      <Input
        label="Éléments relevés"
        textArea
        nativeTextAreaProps={{ value: grounds, required: true, onChange: (e) => setGrounds(e.target.value) }}
      />
      <ProblemAlert error={action.error} />
      <Button type="submit" priority="secondary" disabled={action.busy}>
        Transmettre avec une lettre
      </Button>
    </form>
  );
}

// ---------------------------------------------------------------------------------------------
// /controle/fiches

export function SheetsPage() {
  const headingRef = usePageTitle('Fiches de contrôle');
  const [mine, setMine] = useState(false);
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Fiches de contrôle
      </h1>
      <Menu />
      <div className="fr-checkbox-group fr-mb-2w">
        <input id="mes-fiches" type="checkbox" checked={mine} onChange={(e) => setMine(e.target.checked)} />
        <label className="fr-label" htmlFor="mes-fiches">
          Seulement celles qui attendent mon visa ou ma suite
        </label>
      </div>
      <WithCentre>{(centre) => <SheetList centre={centre} mine={mine} />}</WithCentre>
    </>
  );
}

function SheetList(props: { centre: Centre; mine: boolean }) {
  const sheets = useAsync(() => controlApi.sheets(props.centre.id, props.mine), [props.centre.id, props.mine]);
  if (sheets.error) return <ProblemAlert error={sheets.error} />;
  if (!sheets.data) return <Loading />;
  return (
    <DataTable
      caption={`Fiches de contrôle — ${plural(sheets.data.items.length, 'fiche', 'fiches')}`}
      headers={['Fiche', 'Dossier', 'Bureau concerné', 'Anomalie', 'Situation', 'Étape attendue']}
      rows={sheets.data.items.map((s) => [
        <Link key="s" href={`/controle/fiches/${s.id}`}>
          {s.number}
        </Link>,
        s.file.number,
        s.office?.name ?? '—',
        s.ruleLabel,
        s.statusLabel,
        s.nextStepLabel ?? '—',
      ])}
      rowKeys={sheets.data.items.map((s) => s.id)}
      multiline
    />
  );
}

// ---------------------------------------------------------------------------------------------
// /controle/fiches/:id

export function SheetPage(props: { params: Record<string, string> }) {
  const id = props.params['id']!;
  const sheet = useAsync(() => controlApi.sheet(id), [id]);
  const headingRef = usePageTitle(sheet.data ? `Fiche de contrôle ${sheet.data.number}` : 'Fiche de contrôle');
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        {sheet.data ? `Fiche de contrôle ${sheet.data.number}` : 'Fiche de contrôle'}
      </h1>
      <Menu />
      {sheet.error ? (
        <ProblemAlert error={sheet.error} />
      ) : !sheet.data ? (
        <Loading />
      ) : (
        <SheetView sheet={sheet.data} onChange={(s) => sheet.setData(s)} />
      )}
    </>
  );
}

const STEP_BUTTON: Record<string, string> = {
  bomVisa: 'Viser et adresser au bureau concerné',
  followUp: 'Enregistrer la suite donnée',
  centreVisa: 'Viser la fiche (chef de centre)',
  archive: 'Archiver la fiche au BOM',
};

function SheetView(props: { sheet: Sheet; onChange: (s: Sheet) => void }) {
  const s = props.sheet;
  const [text, setText] = useState('');
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!s.nextStep) return;
    void action.run(async () => {
      props.onChange(
        await controlApi.step(
          s.id,
          s.nextStep as 'bomVisa' | 'followUp' | 'centreVisa' | 'archive',
          s.nextStep === 'followUp' ? { followUp: text } : { note: text || null },
        ),
      );
      setText('');
    });
  };
  return (
    <>
      <p>
        <Badge severity={s.status === 'archived' ? 'success' : 'info'} noIcon>
          {s.statusLabel}
        </Badge>
      </p>
      <DescriptionList
        items={[
          ['Bureau concerné', s.office?.name ?? null],
          [
            'Dossier contrôlé',
            <Link key="f" href={`/dossiers/${s.file.id}`}>{`${s.file.number} — ${s.file.kindLabel}`}</Link>,
          ],
          ['Administré', s.file.personName],
          [
            'Traité',
            s.file.processedAt ? `le ${formatDateTime(s.file.processedAt)} par ${s.file.processedBy ?? '—'}` : null,
          ],
          ['Montant du décompte', s.amountCents === null ? null : euros(s.amountCents)],
          ['Contrôle', s.controlledAt ? `le ${formatDate(s.controlledAt)} par ${s.controller ?? '—'}` : null],
          ['Objet du contrôle', s.objectLabel],
          ['Nature de l’anomalie', s.ruleLabel],
          ['Anomalie constatée', s.findings],
        ]}
      />
      <DataTable
        caption="Visas et suite donnée"
        headers={['Étape', 'Par', 'Le', 'Mention']}
        rows={s.steps.map((x) => [x.label, x.by ?? '—', x.at ? formatDateTime(x.at) : 'En attente', x.text ?? '—'])}
        rowKeys={s.steps.map((x) => x.step)}
        multiline
      />
      <p>
        <a href={controlApi.sheetPdfHref(s.id)} download>
          Télécharger la fiche {s.number} (PDF)
        </a>
      </p>
      {s.canAct && s.nextStep && (
        <form onSubmit={submit} aria-labelledby="etape-titre">
          <h2 id="etape-titre">{s.nextStepLabel}</h2>
          {s.nextStep !== 'archive' && (
            <Input
              label={s.nextStep === 'followUp' ? 'Suite donnée à la fiche' : 'Mention du visa (facultative)'}
              textArea
              nativeTextAreaProps={{
                value: text,
                required: s.nextStep === 'followUp',
                onChange: (e) => setText(e.target.value),
              }}
            />
          )}
          <ProblemAlert error={action.error} />
          <Button type="submit" disabled={action.busy}>
            {STEP_BUTTON[s.nextStep] ?? 'Valider'}
          </Button>
        </form>
      )}
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// /controle/syntheses

export function SynthesesPage() {
  const headingRef = usePageTitle('Synthèses mensuelles de contrôle');
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Recueil des synthèses mensuelles de contrôle
      </h1>
      <Menu />
      <WithCentre>{(centre) => <Syntheses centre={centre} />}</WithCentre>
    </>
  );
}

function Syntheses(props: { centre: Centre }) {
  const session = useRequiredSession();
  const list = useAsync(() => controlApi.syntheses(props.centre.id), [props.centre.id]);
  const [period, setPeriod] = useState(thisMonth());
  const [months, setMonths] = useState('3');
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      await controlApi.establish(props.centre.id, period, Number(months));
      list.reload();
    });
  };
  if (list.error) return <ProblemAlert error={list.error} />;
  if (!list.data) return <Loading />;
  return (
    <>
      {can(session, 'control.perform') && (
        <form onSubmit={submit} aria-labelledby="synthese-titre" className="fr-mb-4w">
          <h2 id="synthese-titre">Établir la synthèse d’un mois</h2>
          <Input
            label="Mois (AAAA-MM)"
            nativeInputProps={{ value: period, onChange: (e) => setPeriod(e.target.value) }}
          />
          <Input
            label="Anomalies récurrentes : nombre de mois consécutifs"
            nativeInputProps={{ value: months, inputMode: 'numeric', onChange: (e) => setMonths(e.target.value) }}
          />
          <ProblemAlert error={action.error} />
          <Button type="submit" disabled={action.busy}>
            Établir la synthèse
          </Button>
        </form>
      )}
      {list.data.items.length === 0 && <p>Aucune synthèse établie.</p>}
      {list.data.items.map((s) => (
        <section key={s.id} aria-labelledby={`s-${s.id}`} className="fr-mb-4w">
          <h2 id={`s-${s.id}`}>Synthèse de {s.periodLabel}</h2>
          <p>
            {s.totals.controlled} dossier(s) contrôlé(s), {s.totals.anomalies} avec anomalie (
            {(s.totals.anomalyRate * 100).toLocaleString('fr-FR', { maximumFractionDigits: 1 })} %) ; montants contrôlés{' '}
            {euros(s.totals.amountCents)}, dont {euros(s.totals.anomalyAmountCents)} en anomalie. Établie le{' '}
            {formatDate(s.createdAt)} par {s.createdBy ?? '—'}.{' '}
            <a href={controlApi.synthesisPdfHref(s.id)} download>
              Télécharger la synthèse de {s.periodLabel} (PDF)
            </a>
          </p>
          {s.proposals.length > 0 && (
            <div className="fr-alert fr-alert--warning fr-alert--sm fr-mb-2w">
              <p>
                Anomalies récurrentes ({s.recurrenceMonths} mois consécutifs) — proposition de contrôle approfondi au
                chef de centre :
              </p>
              <ul>
                {s.proposals.map((p) => (
                  <li key={`${p.kind}-${p.office}-${p.rule}`}>
                    {p.ruleLabel} — {p.kindLabel}, {p.office} : {p.sheets} fiche(s)
                  </li>
                ))}
              </ul>
            </div>
          )}
          {s.sheets.length > 0 && (
            <DataTable
              caption={`Fiches de contrôle de ${s.periodLabel}`}
              headers={['Fiche', 'Dossier', 'Bureau', 'Anomalie', 'Situation']}
              rows={s.sheets.map((x) => [
                <Link key="l" href={`/controle/fiches/${x.id}`}>
                  {x.number}
                </Link>,
                x.fileNumber,
                x.office,
                x.ruleLabel,
                x.statusLabel,
              ])}
              rowKeys={s.sheets.map((x) => x.id)}
              multiline
            />
          )}
        </section>
      ))}
    </>
  );
}
