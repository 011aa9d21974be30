import { ROLES, ROLE_LABELS } from '../../domain/roles.ts';
import { ORGANIZATION_KINDS, ORGANIZATION_KIND_LABELS } from '../../domain/organization.ts';
import { MEASURES } from '../../domain/self-assessment.ts';
import { HABILITATION_CODES } from '../../domain/hr-feed.ts';

const APP_LABELS: Record<string, string> = {
  COMEDEC: 'COMEDEC',
  HELIOS: 'Hélios / PES V2',
  ACTES: 'ACTES',
  SAIP: 'SAIP',
  TES: 'TES (Titres électroniques sécurisés)',
  CHORUS: 'Chorus',
  SOURCE_SOLDE: 'Source Solde',
  CIMS: 'CIMS',
};

export function referenceData() {
  return {
    roles: ROLES.map((code) => ({ code, label: ROLE_LABELS[code] })),
    organizationKinds: ORGANIZATION_KINDS.map((code) => ({ code, label: ORGANIZATION_KIND_LABELS[code] })),
    clientApplications: HABILITATION_CODES.map((code) => ({ code, label: APP_LABELS[code] ?? code })),
    measures: MEASURES,
  };
}
