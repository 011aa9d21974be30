// Identity photo of an agent, and the upload form (raw JPEG sent with PUT). Each rule the
// server's photo check fails is listed in French.
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Upload } from '@codegouvfr/react-dsfr/Upload';
import { useRef, useState, type FormEvent } from 'react';
import { api, ApiError, errorMessage, type Agent } from '../../api.ts';
import { formatBytes } from '../../format.ts';

export function AgentPhoto(props: { agent: Agent; canUpload: boolean; onUploaded: () => void }) {
  const { agent } = props;
  const [version, setVersion] = useState(() => agent.updatedAt);
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [success, setSuccess] = useState<string | null>(null);
  const [reasons, setReasons] = useState<string[]>([]);
  const [fileError, setFileError] = useState<string | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const name = `${agent.firstNames} ${agent.lastName}`;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSuccess(null);
    setReasons([]);
    if (!file) {
      setFileError('Choisissez un fichier JPEG.');
      inputRef.current?.focus();
      return;
    }
    if (file.type && file.type !== 'image/jpeg') {
      setFileError('Le fichier doit être une image JPEG (.jpg ou .jpeg).');
      inputRef.current?.focus();
      return;
    }
    setFileError(null);
    setBusy(true);
    try {
      const r = await api.uploadPhoto(agent.id, file);
      setSuccess(`Photo enregistrée : ${r.width} × ${r.height} pixels, ${formatBytes(r.size)}.`);
      setVersion(String(Date.now()));
      setFile(null);
      if (inputRef.current) inputRef.current.value = '';
      props.onUploaded();
    } catch (err) {
      const list = err instanceof ApiError ? err.fieldErrors.map((f) => f.reason) : [];
      setReasons(list.length > 0 ? list : [errorMessage(err)]);
    } finally {
      setBusy(false);
    }
  };

  const hasPhoto = agent.hasPhoto || success !== null;
  return (
    <section aria-labelledby="photo-title">
      <h2 id="photo-title" className="fr-h4">
        Photo d’identité
      </h2>
      {hasPhoto ? (
        <img className="ca-photo" src={api.photoUrl(agent.id, version)} alt={`Photo d’identité de ${name}`} />
      ) : (
        <p className="ca-photo ca-photo--empty fr-text--sm">Aucune photo enregistrée</p>
      )}
      {props.canUpload && (
        <form onSubmit={(e) => void submit(e)} className="fr-mt-3w" noValidate>
          <div role="status" aria-live="polite">
            {success && <Alert severity="success" small description={success} className="fr-mb-2w" />}
          </div>
          <div role="alert">
            {reasons.length > 0 && (
              <Alert
                severity="error"
                className="fr-mb-2w"
                title="La photo a été refusée"
                description={
                  <ul>
                    {reasons.map((r, i) => (
                      <li key={i}>{r}</li>
                    ))}
                  </ul>
                }
              />
            )}
          </div>
          <Upload
            label={hasPhoto ? 'Remplacer la photo' : 'Ajouter une photo'}
            hint="Image JPEG conforme aux normes de la photo d’identité. Les dimensions, le poids et le format sont vérifiés à l’envoi."
            state={fileError ? 'error' : 'default'}
            stateRelatedMessage={fileError}
            nativeInputProps={{
              ref: inputRef,
              accept: 'image/jpeg',
              onChange: (e) => {
                setFile(e.target.files?.[0] ?? null);
                setFileError(null);
              },
            }}
          />
          <Button type="submit" className="fr-mt-2w" iconId="fr-icon-upload-line" disabled={busy}>
            {busy ? 'Envoi en cours…' : 'Envoyer la photo'}
          </Button>
        </form>
      )}
    </section>
  );
}
