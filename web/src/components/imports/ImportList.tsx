// Past HR feed imports, latest first.
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import type { ImportRun } from '../../api.ts';
import { formatDateTime, formatNumber, FORMAT_LABELS, IMPORT_STATUS_LABELS, label } from '../../format.ts';
import { Link } from '../../router.tsx';
import { DataTable } from '../DataTable.tsx';
import { IMPORT_STATUS_SEVERITY } from './ImportResult.tsx';

export function ImportList(props: { runs: ImportRun[] }) {
  if (props.runs.length === 0) return <p>Aucun import n’a encore été réalisé.</p>;
  return (
    <DataTable
      caption="Imports précédents"
      hideCaption
      headers={[
        'Fichier',
        'Commencé le',
        'Organisation',
        'Format',
        'Mode',
        'Statut',
        'Lignes',
        'Rejetées',
        'Désactivés',
      ]}
      rowKeys={props.runs.map((r) => r.id)}
      rowHeader
      rows={props.runs.map((r) => [
        <Link href={`/imports/${encodeURIComponent(r.id)}`}>{r.fileName || 'Import sans nom'}</Link>,
        <span className="ca-nowrap">{formatDateTime(r.startedAt)}</span>,
        r.organizationName,
        label(FORMAT_LABELS, r.format),
        r.fullMode ? 'Complet' : 'Partiel',
        <Badge small noIcon severity={IMPORT_STATUS_SEVERITY[r.status] ?? 'info'}>
          {label(IMPORT_STATUS_LABELS, r.status)}
        </Badge>,
        formatNumber(r.total),
        formatNumber(r.rejected),
        formatNumber(r.deactivated),
      ])}
    />
  );
}
