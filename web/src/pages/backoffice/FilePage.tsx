// /dossiers/:id — a case file: where it stands, its pieces and form checks, its timeline, and the
// actions the person may take now (the server decides again on every one).
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { RadioButtons } from '@codegouvfr/react-dsfr/RadioButtons';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useState, type FormEvent, type ReactNode } from 'react';
import {
  backofficeApi,
  CHANNEL_LABELS,
  euros,
  parseEuros,
  PRIORITY_LABELS,
  type CaseFile,
  type Centre,
} from '../../backofficeApi.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { DescriptionList } from '../../components/DescriptionList.tsx';
import { Loading } from '../../components/Loading.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { formatBytes, formatDate, formatDateTime, plural } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { Link } from '../../router.tsx';
import { PriorityBadge, StatusBadge } from './common.tsx';

type Run = (work: () => Promise<CaseFile>, done?: string) => Promise<boolean>;

export function FilePage(props: { params: Record<string, string> }) {
  const id = props.params['id']!;
  const file = useAsync(() => backofficeApi.file(id), [id]);
  const centres = useAsync(() => backofficeApi.centres(), []);
  const headingRef = usePageTitle(file.data ? `Dossier ${file.data.number}` : 'Dossier');
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run: Run = async (work, done) => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      file.setData(await work());
      if (done) setNotice(done);
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  };

  if (file.error) return <ProblemAlert error={file.error} />;
  const f = file.data;
  if (!f) return <Loading />;
  const centre = centres.data?.items.find((c) => c.id === f.centre.id);
  const can = (a: string) => f.actions.includes(a);

  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Dossier {f.number}
      </h1>
      <p>
        {f.kindLabel} — <StatusBadge status={f.status} /> <PriorityBadge priority={f.priority} />
      </p>
      <div aria-live="polite">
        {notice && (
          <div className="fr-alert fr-alert--success fr-alert--sm fr-mb-3w">
            <p>{notice}</p>
          </div>
        )}
      </div>
      <ProblemAlert error={error} />
      <Summary f={f} />
      <Pieces f={f} run={run} busy={busy} editable={can('check')} attach={can('attach')} />
      {f.checks.length > 0 && <Checks f={f} run={run} busy={busy} editable={can('check')} />}
      <h2 className="fr-mt-4w">Actions</h2>
      {f.actions.length === 0 ? (
        <p>Aucune action ne vous revient sur ce dossier dans sa situation actuelle.</p>
      ) : (
        <Actions f={f} centre={centre} run={run} busy={busy} />
      )}
      {f.letters.length > 0 && (
        <>
          <h2 className="fr-mt-4w">Courriers</h2>
          <ul>
            {f.letters.map((l) => (
              <li key={l.id}>
                <a href={backofficeApi.letterHref(f.id, l.id)} download>
                  Courrier de renvoi à la formation du {formatDateTime(l.createdAt)} (PDF)
                </a>
              </li>
            ))}
          </ul>
        </>
      )}
      <h2 className="fr-mt-4w">Historique du dossier</h2>
      <DataTable
        caption={`Historique du dossier ${f.number}`}
        hideCaption
        multiline
        headers={['Date', 'Étape', 'Par', 'Détail']}
        rows={f.timeline.map((e) => [formatDateTime(e.at), e.label, e.actor ?? '—', detail(e.data)])}
      />
      <p className="fr-mt-2w">
        <Link href="/dossiers">Retour à la recherche des dossiers</Link>
      </p>
    </>
  );
}

function detail(data: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const k of ['reason', 'note', 'summary', 'outcome', 'office', 'reference', 'box']) {
    const v = data[k];
    if (typeof v === 'string' && v) parts.push(v);
  }
  if (Array.isArray(data['reasons'])) parts.push((data['reasons'] as string[]).join(' ; '));
  if (typeof data['before'] === 'string' || typeof data['after'] === 'string')
    parts.push(`« ${String(data['before'] ?? '')} » → « ${String(data['after'] ?? '')} »`);
  return parts.join(' — ') || '—';
}

function Summary(props: { f: CaseFile }) {
  const f = props.f;
  return (
    <DescriptionList
      items={[
        ['Administré', `${f.personName}${f.personIdentifier ? ` (${f.personIdentifier})` : ''}`],
        ['Formation expéditrice', f.sendingOrganization.name],
        ['Autorité délégataire', f.delegatingAuthority?.name ?? null],
        ['Référence de la formation', f.unitReference],
        [
          'Bordereau d’envoi',
          f.slip ? (
            <Link href={`/dossiers/bordereaux/${f.slip.id}`}>
              {f.slip.number} ({f.slip.unitReference} du {formatDate(f.slip.slipDate)})
            </Link>
          ) : null,
        ],
        ['Reçu le', formatDateTime(f.receivedAt)],
        ['Enregistré le', f.registeredAt ? formatDateTime(f.registeredAt) : null],
        ['Ancienneté', plural(f.ageDays, 'jour', 'jours')],
        ['Échéance', f.dueOn ? formatDate(f.dueOn) : null],
        ['Bureau', f.office?.name ?? null],
        ['Pris en charge par', f.takenBy],
        [
          'Traitement différé',
          f.deferredReason ? `${f.deferredReason}${f.unitNotifiedAt ? ' — formation avertie' : ''}` : null,
        ],
        ['Traité', f.processedAt ? `le ${formatDateTime(f.processedAt)} par ${f.processedBy ?? '—'}` : null],
        ['Résultat', f.outcome],
        ['Montant du décompte', f.amountCents !== null ? euros(f.amountCents) : null],
        ['Référence du décompte', f.movementReference],
        [
          'Auto-contrôle',
          f.selfCheckedAt ? `le ${formatDateTime(f.selfCheckedAt)} par ${f.selfCheckedBy ?? '—'}` : null,
        ],
        [
          'Contrôle interne',
          f.controlMark
            ? `Contrôlé le ${formatDate(f.controlMark.controlledAt)} par ${f.controlMark.controller} — timbre : ${f.controlMark.stamp}`
            : null,
        ],
        [
          'Transfert',
          f.transferredAt
            ? `${f.transferTo ?? ''}, le ${formatDateTime(f.transferredAt)} (${f.transferReference ?? ''})`
            : null,
        ],
        [
          'Archivage',
          f.archive
            ? `${f.archive.locationKind === 'box' ? `Boîte ${f.archive.box ?? ''}${f.archive.shelf ? `, ${f.archive.shelf}` : ''}` : `Numérique : ${f.archive.reference ?? ''}`} — ${formatDateTime(f.archive.archivedAt)}${f.archive.transferred ? ' — versé' : ''}`
            : null,
        ],
        ['Motifs du renvoi', f.returnReasons.length ? f.returnReasons.join(' ; ') : null],
        [
          'Priorité',
          f.priorityNote ? `${PRIORITY_LABELS[f.priority as keyof typeof PRIORITY_LABELS]} : ${f.priorityNote}` : null,
        ],
      ]}
    />
  );
}

function Pieces(props: { f: CaseFile; run: Run; busy: boolean; editable: boolean; attach: boolean }) {
  const { f, run, busy } = props;
  return (
    <>
      <h2 className="fr-mt-4w">Pièces</h2>
      <DataTable
        caption={`Pièces du dossier ${f.number}`}
        hideCaption
        multiline
        headers={[
          'Pièce',
          'Sur le bordereau',
          'État',
          'Document',
          ...(props.editable || props.attach ? ['Contrôle'] : []),
        ]}
        rowKeys={f.pieces.map((p) => p.id)}
        rows={f.pieces.map((p) => [
          <span key="l">
            {p.label}
            {p.required ? '' : ' (facultative)'}
          </span>,
          p.listed ? 'Oui' : 'Non',
          <span
            key="s"
            className={
              p.state === 'missing' ? 'ca-ko' : p.state === 'present' || p.state === 'obtained' ? 'ca-ok' : undefined
            }
          >
            {p.stateLabel}
            {p.note ? ` — ${p.note}` : ''}
          </span>,
          p.document ? (
            p.document.readable ? (
              <a key="d" href={backofficeApi.pieceHref(f.id, p.id)} download>
                {p.document.fileName ?? 'Document'}
                {p.document.size !== null ? ` (${formatBytes(p.document.size)})` : ''}
              </a>
            ) : (
              'Numérisé (réservé à qui a besoin d’en connaître)'
            )
          ) : (
            '—'
          ),
          ...(props.editable || props.attach
            ? [
                <div key="a" className="fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm">
                  {props.editable && (
                    <>
                      <Button
                        size="small"
                        priority="secondary"
                        disabled={busy}
                        onClick={() => void run(() => backofficeApi.checkPiece(f.id, p.code, true))}
                        nativeButtonProps={{ 'aria-label': `${p.label} : présente` }}
                      >
                        Présente
                      </Button>
                      <Button
                        size="small"
                        priority="tertiary"
                        disabled={busy}
                        onClick={() => void run(() => backofficeApi.checkPiece(f.id, p.code, false))}
                        nativeButtonProps={{ 'aria-label': `${p.label} : manquante` }}
                      >
                        Manquante
                      </Button>
                    </>
                  )}
                  {props.attach && <AttachButton f={f} code={p.code} label={p.label} run={run} busy={busy} />}
                </div>,
              ]
            : []),
        ])}
      />
    </>
  );
}

function AttachButton(props: { f: CaseFile; code: string; label: string; run: Run; busy: boolean }) {
  const inputId = `piece-${props.code}`;
  return (
    <span className="fr-upload-group">
      <label className="fr-label fr-sr-only" htmlFor={inputId}>
        Joindre la pièce numérisée : {props.label}
      </label>
      <input
        id={inputId}
        className="fr-upload"
        type="file"
        accept="application/pdf,image/jpeg,image/png"
        disabled={props.busy}
        onChange={(e) => {
          const file = e.target.files?.[0];
          if (file)
            void props.run(
              () => backofficeApi.attach(props.f.id, props.code, file),
              `Pièce « ${props.label} » numérisée et jointe.`,
            );
        }}
      />
    </span>
  );
}

function Checks(props: { f: CaseFile; run: Run; busy: boolean; editable: boolean }) {
  const { f, run, busy } = props;
  const [reasons, setReasons] = useState<Record<string, string>>({});
  return (
    <>
      <h2 className="fr-mt-4w">Contrôles de forme</h2>
      <DataTable
        caption={`Contrôles de forme du dossier ${f.number}`}
        hideCaption
        multiline
        headers={['Contrôle', 'Résultat', ...(props.editable ? ['Contrôler'] : [])]}
        rowKeys={f.checks.map((c) => c.code)}
        rows={f.checks.map((c) => [
          c.label,
          <span
            key="s"
            className={
              c.state === 'failed' ? 'ca-ko' : c.state === 'ok' || c.state === 'resolved' ? 'ca-ok' : undefined
            }
          >
            {c.stateLabel}
            {c.reason ? ` — ${c.reason}` : ''}
          </span>,
          ...(props.editable
            ? [
                <div key="a">
                  <Button
                    size="small"
                    priority="secondary"
                    className="fr-mr-1w fr-mb-1w"
                    disabled={busy}
                    onClick={() => void run(() => backofficeApi.checkForm(f.id, c.code, true))}
                    nativeButtonProps={{ 'aria-label': `${c.label} : conforme` }}
                  >
                    Conforme
                  </Button>
                  <Input
                    label={`Motif de non-conformité — ${c.label}`}
                    classes={{ label: 'fr-sr-only' }}
                    nativeInputProps={{
                      placeholder: 'Motif de non-conformité',
                      value: reasons[c.code] ?? '',
                      onChange: (e) => setReasons({ ...reasons, [c.code]: e.target.value }),
                    }}
                  />
                  <Button
                    size="small"
                    priority="tertiary"
                    disabled={busy}
                    onClick={() => void run(() => backofficeApi.checkForm(f.id, c.code, false, reasons[c.code]))}
                    nativeButtonProps={{ 'aria-label': `${c.label} : non conforme` }}
                  >
                    Non conforme
                  </Button>
                </div>,
              ]
            : []),
        ])}
      />
    </>
  );
}

function Section(props: {
  title: string;
  children: ReactNode;
  onSubmit: () => void;
  submit: string;
  busy: boolean;
  secondary?: boolean;
}) {
  return (
    <form
      className="fr-mb-4w"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        props.onSubmit();
      }}
    >
      <fieldset className="fr-fieldset">
        <legend className="fr-fieldset__legend fr-h6">{props.title}</legend>
        <div className="fr-fieldset__element">{props.children}</div>
        <div className="fr-fieldset__element">
          <Button type="submit" disabled={props.busy} priority={props.secondary ? 'secondary' : 'primary'}>
            {props.submit}
          </Button>
        </div>
      </fieldset>
    </form>
  );
}

function Actions(props: { f: CaseFile; centre: Centre | undefined; run: Run; busy: boolean }) {
  const { f, run, busy, centre } = props;
  const can = (a: string) => f.actions.includes(a);
  const missingPieces = f.pieces.filter((p) => p.state === 'missing');
  const failedChecks = f.checks.filter((c) => c.state === 'failed');
  const [contact, setContact] = useState({
    channel: 'phone',
    contactName: f.slip?.contactName ?? '',
    summary: '',
    pieces: [] as string[],
    checks: [] as string[],
  });
  const [correction, setCorrection] = useState({ field: 'personName', value: '', note: '' });
  const defaultReasons = [
    ...missingPieces.map((p) => `Pièce manquante : ${p.label}.`),
    ...failedChecks.map((c) => `${c.label} : non conforme${c.reason ? ` (${c.reason})` : ''}.`),
  ].join('\n');
  // The reasons follow the pieces and checks found wrong until the agent edits them.
  const [typedReasons, setReasons] = useState<string | null>(null);
  const reasons = typedReasons ?? defaultReasons;
  const [returnNote, setReturnNote] = useState('');
  const processingOffices = (centre?.offices ?? []).filter((o) => o.function === 'processing');
  const [officeId, setOfficeId] = useState(processingOffices[0]?.id ?? '');
  const [priority, setPriority] = useState({ priority: f.priority === 'normal' ? 'relative' : f.priority, note: '' });
  const [deferReason, setDeferReason] = useState('');
  const [notify, setNotify] = useState({ channel: 'phone', contactName: f.slip?.contactName ?? '', summary: '' });
  const [outcome, setOutcome] = useState({ amount: '', reference: '', outcome: '' });
  const [check, setCheck] = useState({ ok: 'yes', note: '' });
  const [archive, setArchive] = useState({ locationKind: 'box', box: '', shelf: '', reference: '' });
  const [amountError, setAmountError] = useState<string | null>(null);

  return (
    <>
      {can('register') && (
        <Section
          title="Enregistrer le dossier"
          submit="Enregistrer et répartir"
          busy={busy}
          onSubmit={() => void run(() => backofficeApi.register(f.id), 'Dossier enregistré et réparti.')}
        >
          <p>
            Toutes les pièces mentionnées sur le bordereau doivent être présentes (ou obtenues) et chaque contrôle de
            forme conforme.
          </p>
        </Section>
      )}
      {can('contact') && (
        <Section
          title="Contact avec la formation (au lieu d’un renvoi)"
          submit="Enregistrer le contact"
          busy={busy}
          secondary
          onSubmit={() =>
            void run(
              () =>
                backofficeApi.contact(f.id, {
                  channel: contact.channel,
                  contactName: contact.contactName,
                  summary: contact.summary,
                  resolves: { pieces: contact.pieces, checks: contact.checks },
                }),
              'Contact enregistré.',
            )
          }
        >
          <Select
            label="Moyen"
            nativeSelectProps={{
              value: contact.channel,
              onChange: (e) => setContact({ ...contact, channel: e.target.value }),
            }}
          >
            {Object.entries(CHANNEL_LABELS).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </Select>
          <Input
            label="Interlocuteur à la formation"
            nativeInputProps={{
              value: contact.contactName,
              required: true,
              onChange: (e) => setContact({ ...contact, contactName: e.target.value }),
            }}
          />
          <Input
            label="Objet du contact"
            textArea
            nativeTextAreaProps={{
              value: contact.summary,
              required: true,
              onChange: (e) => setContact({ ...contact, summary: e.target.value }),
            }}
          />
          {missingPieces.length + failedChecks.length > 0 && (
            <fieldset className="fr-fieldset">
              <legend className="fr-fieldset__legend--regular fr-fieldset__legend">
                Éléments obtenus ou régularisés par ce contact
              </legend>
              {missingPieces.map((p) => (
                <div key={p.code} className="fr-fieldset__element">
                  <div className="fr-checkbox-group">
                    <input
                      type="checkbox"
                      id={`obtenu-${p.code}`}
                      checked={contact.pieces.includes(p.code)}
                      onChange={(e) =>
                        setContact({
                          ...contact,
                          pieces: e.target.checked
                            ? [...contact.pieces, p.code]
                            : contact.pieces.filter((x) => x !== p.code),
                        })
                      }
                    />
                    <label className="fr-label" htmlFor={`obtenu-${p.code}`}>
                      {p.label}
                      {!p.byContact && (
                        <span className="fr-hint-text">
                          Demande une nouvelle signature : ne s’obtient pas par un simple contact.
                        </span>
                      )}
                    </label>
                  </div>
                </div>
              ))}
              {failedChecks.map((c) => (
                <div key={c.code} className="fr-fieldset__element">
                  <div className="fr-checkbox-group">
                    <input
                      type="checkbox"
                      id={`regularise-${c.code}`}
                      checked={contact.checks.includes(c.code)}
                      onChange={(e) =>
                        setContact({
                          ...contact,
                          checks: e.target.checked
                            ? [...contact.checks, c.code]
                            : contact.checks.filter((x) => x !== c.code),
                        })
                      }
                    />
                    <label className="fr-label" htmlFor={`regularise-${c.code}`}>
                      {c.label}
                      {!c.byContact && (
                        <span className="fr-hint-text">
                          Demande une nouvelle signature : ne se régularise pas par un simple contact.
                        </span>
                      )}
                    </label>
                  </div>
                </div>
              ))}
            </fieldset>
          )}
        </Section>
      )}
      {can('correct') && (
        <Section
          title="Corriger une erreur matérielle manifeste"
          submit="Corriger"
          busy={busy}
          secondary
          onSubmit={() => void run(() => backofficeApi.correct(f.id, correction), 'Correction enregistrée.')}
        >
          <Select
            label="Champ"
            nativeSelectProps={{
              value: correction.field,
              onChange: (e) => setCorrection({ ...correction, field: e.target.value }),
            }}
          >
            <option value="personName">Nom de l’administré</option>
            <option value="personIdentifier">Identifiant de l’administré</option>
            <option value="unitReference">Référence de la formation</option>
          </Select>
          <Input
            label="Valeur corrigée"
            nativeInputProps={{
              value: correction.value,
              onChange: (e) => setCorrection({ ...correction, value: e.target.value }),
            }}
          />
          <Input
            label="Justification (par exemple, confirmation par téléphone)"
            nativeInputProps={{
              value: correction.note,
              required: true,
              onChange: (e) => setCorrection({ ...correction, note: e.target.value }),
            }}
          />
        </Section>
      )}
      {can('return') && (
        <Section
          title="Renvoyer le dossier à la formation"
          submit="Renvoyer avec le courrier"
          busy={busy}
          secondary
          onSubmit={() =>
            void run(
              () =>
                backofficeApi.returnFile(
                  f.id,
                  reasons
                    .split('\n')
                    .map((r) => r.trim())
                    .filter(Boolean),
                  returnNote,
                ),
              'Dossier renvoyé à la formation ; le courrier est joint au dossier.',
            )
          }
        >
          <p className="fr-text--sm">
            Seulement quand l’information manquante ne peut pas être obtenue par un simple contact, ou demande une
            nouvelle signature.
          </p>
          <Input
            label="Motifs du renvoi (un par ligne)"
            textArea
            nativeTextAreaProps={{
              value: reasons,
              required: true,
              rows: 3,
              onChange: (e) => setReasons(e.target.value),
            }}
          />
          <Input
            label="Observation (facultative)"
            textArea
            nativeTextAreaProps={{ value: returnNote, onChange: (e) => setReturnNote(e.target.value) }}
          />
        </Section>
      )}
      {can('route') && processingOffices.length > 0 && (
        <Section
          title="Répartir vers un bureau de traitement"
          submit="Répartir"
          busy={busy}
          secondary
          onSubmit={() => void run(() => backofficeApi.route(f.id, officeId), 'Dossier réparti.')}
        >
          <Select
            label="Bureau de traitement"
            nativeSelectProps={{ value: officeId, onChange: (e) => setOfficeId(e.target.value) }}
          >
            {processingOffices.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </Select>
        </Section>
      )}
      {can('priority') && (
        <Section
          title="Priorité (chef de centre)"
          submit="Fixer la priorité"
          busy={busy}
          secondary
          onSubmit={() =>
            void run(() => backofficeApi.priority(f.id, priority.priority, priority.note), 'Priorité fixée.')
          }
        >
          <Select
            label="Priorité"
            nativeSelectProps={{
              value: priority.priority,
              onChange: (e) => setPriority({ ...priority, priority: e.target.value }),
            }}
          >
            {Object.entries(PRIORITY_LABELS).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </Select>
          <Input
            label="Motif"
            nativeInputProps={{
              value: priority.note,
              onChange: (e) => setPriority({ ...priority, note: e.target.value }),
            }}
          />
        </Section>
      )}
      {(can('take') || can('release') || can('resume')) && (
        <ul className="fr-btns-group fr-btns-group--inline-md fr-mb-4w">
          {can('take') && (
            <li>
              <Button
                disabled={busy}
                onClick={() => void run(() => backofficeApi.take(f.id), 'Dossier pris en charge.')}
              >
                Prendre en charge
              </Button>
            </li>
          )}
          {can('resume') && (
            <li>
              <Button disabled={busy} onClick={() => void run(() => backofficeApi.resume(f.id), 'Traitement repris.')}>
                Reprendre le traitement
              </Button>
            </li>
          )}
          {can('release') && (
            <li>
              <Button
                priority="secondary"
                disabled={busy}
                onClick={() => void run(() => backofficeApi.release(f.id), 'Dossier remis dans la file du bureau.')}
              >
                Remettre dans la file
              </Button>
            </li>
          )}
        </ul>
      )}
      {can('process') && (
        <Section
          title="Résultat du traitement"
          submit="Enregistrer le résultat"
          busy={busy}
          onSubmit={() => {
            const cents = f.family === 'unit' ? parseEuros(outcome.amount) : null;
            if (f.family === 'unit' && cents === null) {
              setAmountError('Montant attendu en euros, par exemple 234,50.');
              return;
            }
            setAmountError(null);
            void run(
              () =>
                backofficeApi.process(f.id, {
                  amountCents: cents,
                  movementReference: outcome.reference || null,
                  outcome: outcome.outcome || null,
                }),
              'Résultat enregistré : le dossier attend l’auto-contrôle du chef de bureau.',
            );
          }}
        >
          {f.family === 'unit' && (
            <>
              <Input
                label="Montant du décompte (euros)"
                hintText="Tel que calculé par l’application de liquidation"
                state={amountError ? 'error' : 'default'}
                stateRelatedMessage={amountError ?? undefined}
                nativeInputProps={{
                  value: outcome.amount,
                  inputMode: 'decimal',
                  required: true,
                  onChange: (e) => setOutcome({ ...outcome, amount: e.target.value }),
                }}
              />
              <Input
                label="Référence du décompte"
                nativeInputProps={{
                  value: outcome.reference,
                  required: true,
                  onChange: (e) => setOutcome({ ...outcome, reference: e.target.value }),
                }}
              />
            </>
          )}
          <Input
            label="Observation (facultative)"
            nativeInputProps={{
              value: outcome.outcome,
              onChange: (e) => setOutcome({ ...outcome, outcome: e.target.value }),
            }}
          />
        </Section>
      )}
      {can('defer') && (
        <Section
          title="Différer le traitement"
          submit="Signaler le traitement différé"
          busy={busy}
          secondary
          onSubmit={() =>
            void run(
              () => backofficeApi.defer(f.id, deferReason),
              'Traitement différé : le bureau de liaison est averti.',
            )
          }
        >
          <Input
            label="Difficulté rencontrée"
            textArea
            nativeTextAreaProps={{
              value: deferReason,
              required: true,
              onChange: (e) => setDeferReason(e.target.value),
            }}
          />
        </Section>
      )}
      {can('notifyUnit') && (
        <Section
          title="Avertir la formation du traitement différé"
          submit="Enregistrer l’avertissement"
          busy={busy}
          onSubmit={() =>
            void run(() => backofficeApi.notifyUnit(f.id, notify), 'Avertissement de la formation enregistré.')
          }
        >
          <Select
            label="Moyen"
            nativeSelectProps={{
              value: notify.channel,
              onChange: (e) => setNotify({ ...notify, channel: e.target.value }),
            }}
          >
            {Object.entries(CHANNEL_LABELS).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </Select>
          <Input
            label="Interlocuteur à la formation"
            nativeInputProps={{
              value: notify.contactName,
              required: true,
              onChange: (e) => setNotify({ ...notify, contactName: e.target.value }),
            }}
          />
          <Input
            label="Message (facultatif)"
            nativeInputProps={{
              value: notify.summary,
              onChange: (e) => setNotify({ ...notify, summary: e.target.value }),
            }}
          />
        </Section>
      )}
      {can('selfCheck') && (
        <Section
          title="Auto-contrôle du chef de bureau"
          submit="Enregistrer l’auto-contrôle"
          busy={busy}
          onSubmit={() =>
            void run(
              () => backofficeApi.selfCheck(f.id, check.ok === 'yes', check.note),
              check.ok === 'yes' ? 'Auto-contrôle enregistré.' : 'Dossier renvoyé en traitement.',
            )
          }
        >
          <RadioButtons
            legend="Résultat"
            options={[
              {
                label: 'Conforme : le dossier peut être transféré',
                nativeInputProps: { checked: check.ok === 'yes', onChange: () => setCheck({ ...check, ok: 'yes' }) },
              },
              {
                label: 'Non conforme : renvoyer en traitement',
                nativeInputProps: { checked: check.ok === 'no', onChange: () => setCheck({ ...check, ok: 'no' }) },
              },
            ]}
          />
          <Input
            label="Observation (obligatoire si non conforme)"
            nativeInputProps={{ value: check.note, onChange: (e) => setCheck({ ...check, note: e.target.value }) }}
          />
        </Section>
      )}
      {can('transfer') && f.office && (
        <p>
          Ce dossier auto-contrôlé est à transférer au centre payeur depuis la{' '}
          <Link href={`/dossiers/bureaux/${f.office.id}`}>file du bureau</Link>.
        </p>
      )}
      {can('archive') && (
        <Section
          title="Archiver le dossier"
          submit="Archiver"
          busy={busy}
          onSubmit={() => void run(() => backofficeApi.archive(f.id, archive), 'Dossier archivé.')}
        >
          <Select
            label="Lieu d’archivage"
            nativeSelectProps={{
              value: archive.locationKind,
              onChange: (e) => setArchive({ ...archive, locationKind: e.target.value }),
            }}
          >
            <option value="box">Boîte d’archives</option>
            <option value="digital">Emplacement numérique</option>
          </Select>
          {archive.locationKind === 'box' ? (
            <>
              <Input
                label="Boîte"
                nativeInputProps={{
                  value: archive.box,
                  required: true,
                  onChange: (e) => setArchive({ ...archive, box: e.target.value }),
                }}
              />
              <Input
                label="Rayonnage (facultatif)"
                nativeInputProps={{
                  value: archive.shelf,
                  onChange: (e) => setArchive({ ...archive, shelf: e.target.value }),
                }}
              />
            </>
          ) : (
            <Input
              label="Référence de l’emplacement numérique"
              nativeInputProps={{
                value: archive.reference,
                required: true,
                onChange: (e) => setArchive({ ...archive, reference: e.target.value }),
              }}
            />
          )}
        </Section>
      )}
    </>
  );
}
