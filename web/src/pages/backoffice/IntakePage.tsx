// /dossiers/arrivee — the liaison office's intake desk: the slips received (with the files still to
// check) and the registration of a new slip with the files and pieces it lists;
// /dossiers/bordereaux/:id — one slip and its files.
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useState, type FormEvent } from 'react';
import { backofficeApi, type Centre, type Kind } from '../../backofficeApi.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { DescriptionList } from '../../components/DescriptionList.tsx';
import { Loading } from '../../components/Loading.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { formatDate, formatDateTime, todayIso } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { Link, navigate } from '../../router.tsx';
import { WithCentre } from './common.tsx';
import { FileTable } from './FilesPage.tsx';

export function IntakePage() {
  const headingRef = usePageTitle('Arrivée des dossiers');
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Arrivée des dossiers
      </h1>
      <p>
        À l’arrivée des dossiers, le bureau de liaison s’assure de la présence de tous les documents mentionnés sur le
        bordereau d’envoi et contrôle leur validité en la forme, puis enregistre les dossiers exploitables.
      </p>
      <WithCentre>
        {(centre) => (
          <>
            <Slips centre={centre} />
            <SlipForm centre={centre} />
          </>
        )}
      </WithCentre>
    </>
  );
}

function Slips(props: { centre: Centre }) {
  const slips = useAsync(() => backofficeApi.slips(props.centre.id), [props.centre.id]);
  if (slips.error) return <ProblemAlert error={slips.error} />;
  if (!slips.data) return <Loading />;
  return (
    <>
      <h2>Bordereaux reçus</h2>
      <DataTable
        caption="Bordereaux reçus"
        hideCaption
        headers={['Bordereau', 'Formation', 'Référence', 'Daté du', 'Reçu le', 'Dossiers', 'À contrôler']}
        rowKeys={slips.data.items.map((s) => s.id)}
        rows={slips.data.items.map((s) => [
          <Link key="n" href={`/dossiers/bordereaux/${s.id}`}>
            {s.number}
          </Link>,
          s.sendingOrganizationName,
          s.unitReference,
          formatDate(s.slipDate),
          formatDateTime(s.receivedAt),
          String(s.fileCount),
          String(s.pendingCount),
        ])}
      />
    </>
  );
}

interface FileRow {
  kind: string;
  delegatingAuthorityId: string;
  personName: string;
  personIdentifier: string;
  unitReference: string;
  pieces: string[];
}

function emptyRow(kind: Kind | undefined): FileRow {
  return {
    kind: kind?.code ?? '',
    delegatingAuthorityId: '',
    personName: '',
    personIdentifier: '',
    unitReference: '',
    pieces: kind?.pieces.map((p) => p.code) ?? [],
  };
}

function SlipForm(props: { centre: Centre }) {
  const kinds = useAsync(() => backofficeApi.kinds(), []);
  const orgs = useAsync(() => backofficeApi.units(props.centre.id), [props.centre.id]);
  const unitKinds = (kinds.data?.items ?? []).filter((k) => k.family === 'unit' && k.active);
  const units = orgs.data?.items ?? [];
  const [head, setHead] = useState({
    sendingOrganizationId: '',
    unitReference: '',
    slipDate: todayIso(),
    contactName: '',
    contactPhone: '',
    contactEmail: '',
  });
  const [rows, setRows] = useState<FileRow[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const files = rows.length ? rows : [emptyRow(unitKinds[0])];
  const setRow = (i: number, patch: Partial<FileRow>) =>
    setRows(files.map((r, j) => (i === j ? { ...r, ...patch } : r)));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await backofficeApi.registerSlip({
        centreId: props.centre.id,
        sendingOrganizationId: head.sendingOrganizationId,
        unitReference: head.unitReference,
        slipDate: head.slipDate,
        contactName: head.contactName || null,
        contactPhone: head.contactPhone || null,
        contactEmail: head.contactEmail || null,
        files: files.map((f) => ({
          kind: f.kind,
          personName: f.personName,
          personIdentifier: f.personIdentifier || null,
          unitReference: f.unitReference || null,
          delegatingAuthorityId: f.delegatingAuthorityId || null,
          pieces: f.pieces,
        })),
      });
      navigate(`/dossiers/bordereaux/${created.id}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  if (kinds.error || orgs.error) return <ProblemAlert error={kinds.error ?? orgs.error} />;
  if (!kinds.data || !orgs.data) return <Loading />;
  return (
    <form onSubmit={(e) => void submit(e)} className="fr-mb-4w" aria-labelledby="nouveau-bordereau">
      <h2 id="nouveau-bordereau" className="fr-mt-4w">
        Enregistrer un bordereau d’envoi
      </h2>
      <ProblemAlert error={error} />
      <div className="fr-grid-row fr-grid-row--gutters">
        <div className="fr-col-12 fr-col-md-6">
          <Select
            label="Formation expéditrice"
            nativeSelectProps={{
              value: head.sendingOrganizationId,
              required: true,
              onChange: (e) => setHead({ ...head, sendingOrganizationId: e.target.value }),
            }}
          >
            <option value="">Choisir la formation</option>
            {units.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
          </Select>
        </div>
        <div className="fr-col-12 fr-col-md-3">
          <Input
            label="Numéro du bordereau"
            nativeInputProps={{
              value: head.unitReference,
              required: true,
              onChange: (e) => setHead({ ...head, unitReference: e.target.value }),
            }}
          />
        </div>
        <div className="fr-col-12 fr-col-md-3">
          <Input
            label="Daté du"
            nativeInputProps={{
              type: 'date',
              value: head.slipDate,
              required: true,
              onChange: (e) => setHead({ ...head, slipDate: e.target.value }),
            }}
          />
        </div>
        <div className="fr-col-12 fr-col-md-4">
          <Input
            label="Correspondant à la formation"
            nativeInputProps={{
              value: head.contactName,
              onChange: (e) => setHead({ ...head, contactName: e.target.value }),
            }}
          />
        </div>
        <div className="fr-col-12 fr-col-md-4">
          <Input
            label="Téléphone"
            nativeInputProps={{
              type: 'tel',
              value: head.contactPhone,
              onChange: (e) => setHead({ ...head, contactPhone: e.target.value }),
            }}
          />
        </div>
        <div className="fr-col-12 fr-col-md-4">
          <Input
            label="Courriel"
            nativeInputProps={{
              type: 'email',
              value: head.contactEmail,
              onChange: (e) => setHead({ ...head, contactEmail: e.target.value }),
            }}
          />
        </div>
      </div>
      {files.map((f, i) => {
        const kind = unitKinds.find((k) => k.code === f.kind);
        return (
          <fieldset key={i} className="fr-fieldset ca-measure fr-mt-3w">
            <legend className="fr-fieldset__legend">Dossier {i + 1} du bordereau</legend>
            <div className="fr-fieldset__element">
              <Select
                label={`Type du dossier ${i + 1}`}
                nativeSelectProps={{
                  value: f.kind,
                  onChange: (e) =>
                    setRow(i, {
                      kind: e.target.value,
                      pieces: unitKinds.find((k) => k.code === e.target.value)?.pieces.map((p) => p.code) ?? [],
                    }),
                }}
              >
                {unitKinds.map((k) => (
                  <option key={k.code} value={k.code}>
                    {k.label}
                  </option>
                ))}
              </Select>
              <Input
                label={`Nom de l’administré (dossier ${i + 1})`}
                nativeInputProps={{
                  value: f.personName,
                  required: true,
                  onChange: (e) => setRow(i, { personName: e.target.value }),
                }}
              />
              <Input
                label={`Identifiant de l’administré (dossier ${i + 1}, facultatif)`}
                nativeInputProps={{
                  value: f.personIdentifier,
                  onChange: (e) => setRow(i, { personIdentifier: e.target.value }),
                }}
              />
              <Input
                label={`Référence de la formation (dossier ${i + 1}, facultative)`}
                nativeInputProps={{
                  value: f.unitReference,
                  onChange: (e) => setRow(i, { unitReference: e.target.value }),
                }}
              />
              <Select
                label={`Autorité délégataire (dossier ${i + 1})`}
                nativeSelectProps={{
                  value: f.delegatingAuthorityId,
                  onChange: (e) => setRow(i, { delegatingAuthorityId: e.target.value }),
                }}
              >
                <option value="">La formation expéditrice</option>
                {units.map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.name}
                  </option>
                ))}
              </Select>
            </div>
            <fieldset className="fr-fieldset fr-fieldset__element">
              <legend className="fr-fieldset__legend--regular fr-fieldset__legend">
                Pièces mentionnées sur le bordereau (dossier {i + 1})
              </legend>
              {(kind?.pieces ?? []).map((p) => (
                <div key={p.code} className="fr-fieldset__element">
                  <div className="fr-checkbox-group">
                    <input
                      type="checkbox"
                      id={`dossier-${i}-${p.code}`}
                      checked={f.pieces.includes(p.code)}
                      onChange={(e) =>
                        setRow(i, {
                          pieces: e.target.checked ? [...f.pieces, p.code] : f.pieces.filter((x) => x !== p.code),
                        })
                      }
                    />
                    <label className="fr-label" htmlFor={`dossier-${i}-${p.code}`}>
                      {p.label}
                      {!p.required && <span className="fr-hint-text">Facultative</span>}
                    </label>
                  </div>
                </div>
              ))}
            </fieldset>
            {files.length > 1 && (
              <Button
                type="button"
                priority="tertiary"
                size="small"
                onClick={() => setRows(files.filter((_, j) => j !== i))}
              >
                Retirer le dossier {i + 1}
              </Button>
            )}
          </fieldset>
        );
      })}
      <ul className="fr-btns-group fr-btns-group--inline-md">
        <li>
          <Button type="button" priority="secondary" onClick={() => setRows([...files, emptyRow(unitKinds[0])])}>
            Ajouter un dossier
          </Button>
        </li>
        <li>
          <Button type="submit" disabled={busy}>
            Enregistrer le bordereau
          </Button>
        </li>
      </ul>
    </form>
  );
}

export function SlipPage(props: { params: Record<string, string> }) {
  const id = props.params['id']!;
  const slip = useAsync(() => backofficeApi.slip(id), [id]);
  const headingRef = usePageTitle(slip.data ? `Bordereau ${slip.data.number}` : 'Bordereau');
  if (slip.error) return <ProblemAlert error={slip.error} />;
  const s = slip.data;
  if (!s) return <Loading />;
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Bordereau {s.number}
      </h1>
      <DescriptionList
        items={[
          ['Formation expéditrice', s.sendingOrganization.name],
          ['Numéro du bordereau', s.unitReference],
          ['Daté du', formatDate(s.slipDate)],
          ['Reçu le', formatDateTime(s.receivedAt)],
          ['Correspondant', [s.contactName, s.contactPhone, s.contactEmail].filter(Boolean).join(' — ') || null],
          ['Dossiers', String(s.fileCount)],
        ]}
      />
      <h2 className="fr-mt-4w">Dossiers du bordereau</h2>
      <p>Ouvrez chaque dossier pour contrôler ses pièces et sa forme, puis l’enregistrer ou le renvoyer.</p>
      <FileTable items={s.files} caption={`Dossiers du bordereau ${s.number}`} withOffice />
      <p className="fr-mt-2w">
        <Link href="/dossiers/arrivee">Retour à l’arrivée des dossiers</Link>
      </p>
    </>
  );
}
