// Routes of the internal control (seed 003 §4), spread into the application's route table.
import type { ComponentType } from 'react';
import type { Permission } from '../../permissions.ts';
import { ControlHomePage, ControlPage, SheetPage, SheetsPage, SynthesesPage } from './ControlPages.tsx';

export interface ControlRoute {
  path: string;
  component: ComponentType<{ params: Record<string, string> }>;
  permission: Permission;
}

export const CONTROL_ROUTES: ControlRoute[] = [
  { path: '/controle', component: ControlHomePage, permission: 'control.read' },
  { path: '/controle/controles/:id', component: ControlPage, permission: 'control.read' },
  { path: '/controle/fiches', component: SheetsPage, permission: 'control.read' },
  { path: '/controle/fiches/:id', component: SheetPage, permission: 'control.read' },
  { path: '/controle/syntheses', component: SynthesesPage, permission: 'control.read' },
];
