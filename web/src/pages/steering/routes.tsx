// Routes of the dashboards (seed 003 annex II), spread into the application's route table before the
// back office's (/dossiers/tableau-de-bord comes before /dossiers/:id).
import type { ComponentType } from 'react';
import type { Permission } from '../../permissions.ts';
import { CardDashboardPage } from './CardDashboardPage.tsx';
import { DashboardPage } from './DashboardPage.tsx';

export interface SteeringRoute {
  path: string;
  component: ComponentType<{ params: Record<string, string> }>;
  permission: Permission;
}

export const STEERING_ROUTES: SteeringRoute[] = [
  { path: '/dossiers/tableau-de-bord', component: DashboardPage, permission: 'backoffice.report' },
  { path: '/pilotage/cartes', component: CardDashboardPage, permission: 'steering.cards' },
];
