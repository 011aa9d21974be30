// The back office's menu (seed 003), shown according to the person's permissions.
import type { Session } from '../../api.ts';
import { can, type Permission } from '../../permissions.ts';

export interface BackofficeEntry {
  href: string;
  text: string;
  permission: Permission;
  description: string;
}

export const BACKOFFICE_ENTRIES: BackofficeEntry[] = [
  {
    href: '/dossiers',
    text: 'Recherche des dossiers',
    permission: 'caseFile.read',
    description: 'Où en est chaque dossier : situation, bureau, ancienneté, priorité.',
  },
  {
    href: '/dossiers/arrivee',
    text: 'Bureau de liaison : arrivée des dossiers',
    permission: 'caseFile.intake',
    description: 'Enregistrer les bordereaux d’envoi, contrôler les dossiers, les enregistrer ou les renvoyer.',
  },
  {
    href: '/dossiers/bureaux',
    text: 'Files des bureaux de traitement',
    permission: 'caseFile.read',
    description: 'Dossiers à traiter par bureau, import des décomptes, transferts.',
  },
  {
    href: '/dossiers/archives',
    text: 'Registre des archives',
    permission: 'caseFile.read',
    description: 'Où se trouve chaque dossier archivé ; versements d’archives.',
  },
  {
    href: '/dossiers/anciennete',
    text: 'Dossiers de plus de 30 jours',
    permission: 'backoffice.report',
    description:
      'Dossiers enregistrés depuis plus de trente jours et non archivés, par bureau ; compte rendu d’exploitation.',
  },
  {
    href: '/dossiers/depenses',
    text: 'Dépenses des autorités délégataires',
    permission: 'backoffice.report',
    description: 'Situation mensuelle des dépenses de déplacement par autorité délégataire.',
  },
  {
    href: '/dossiers/types',
    text: 'Types de dossiers',
    permission: 'caseFile.read',
    description: 'Pièces du bordereau, contrôles de forme, bureaux et délais de chaque type.',
  },
];

export function backofficeEntries(session: Session | null): BackofficeEntry[] {
  return BACKOFFICE_ENTRIES.filter((e) => can(session, e.permission));
}

export function isBackofficePath(pathname: string): boolean {
  return pathname === '/dossiers' || pathname.startsWith('/dossiers/');
}
