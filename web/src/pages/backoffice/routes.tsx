// Routes of the processing centre's back office (seed 003), spread into the application's route table.
import type { ComponentType } from 'react';
import type { Permission } from '../../permissions.ts';
import { FilePage } from './FilePage.tsx';
import { FilesPage, QueuesPage } from './FilesPage.tsx';
import { IntakePage, SlipPage } from './IntakePage.tsx';
import { KindsPage } from './KindsPage.tsx';
import { OfficePage } from './OfficePage.tsx';
import { AgeingPage, ArchivePage, ExpensesPage } from './ReportPages.tsx';

export interface BackofficeRoute {
  path: string;
  component: ComponentType<{ params: Record<string, string> }>;
  permission: Permission;
}

// Fixed paths before /dossiers/:id.
export const BACKOFFICE_ROUTES: BackofficeRoute[] = [
  { path: '/dossiers', component: FilesPage, permission: 'caseFile.read' },
  { path: '/dossiers/arrivee', component: IntakePage, permission: 'caseFile.intake' },
  { path: '/dossiers/bordereaux/:id', component: SlipPage, permission: 'caseFile.read' },
  { path: '/dossiers/bureaux', component: QueuesPage, permission: 'caseFile.read' },
  { path: '/dossiers/bureaux/:id', component: OfficePage, permission: 'caseFile.read' },
  { path: '/dossiers/archives', component: ArchivePage, permission: 'caseFile.read' },
  { path: '/dossiers/anciennete', component: AgeingPage, permission: 'backoffice.report' },
  { path: '/dossiers/depenses', component: ExpensesPage, permission: 'backoffice.report' },
  { path: '/dossiers/types', component: KindsPage, permission: 'caseFile.read' },
  { path: '/dossiers/:id', component: FilePage, permission: 'caseFile.read' },
];
