// Client of the steering routes (seed 003 annex II): dashboards, monthly figures, thresholds, archive,
// each user's to-do. The shapes come from the server's schemas (src/http/schemas/steering.ts).
import type { Static } from '@sinclair/typebox';
import type * as S from '../../src/http/schemas/steering.ts';
import { request, withQuery } from './api.ts';

export type CentreDashboard = Static<typeof S.CentreDashboard>;
export type CentreMonth = Static<typeof S.CentreMonth>;
export type CardDashboard = Static<typeof S.CardDashboard>;
export type MonthlyFigures = Static<typeof S.MonthlyFigures>;
export type Tasks = Static<typeof S.Tasks>;
export type Task = Static<typeof S.Task>;
export type ArchivedDashboards = Static<typeof S.ArchivedDashboards>;

const centre = (id: string) => `/api/steering/centres/${encodeURIComponent(id)}`;

export const steeringApi = {
  tasks: () => request<Tasks>('GET', '/api/tasks'),
  dashboard: (centreId: string) => request<CentreDashboard>('GET', `${centre(centreId)}/dashboard`),
  dashboardHref: (centreId: string, format: 'csv' | 'pdf') => withQuery(`${centre(centreId)}/dashboard`, { format }),
  figures: (centreId: string, month: string) =>
    request<MonthlyFigures>('GET', `${centre(centreId)}/figures/${encodeURIComponent(month)}`),
  enterFigures: (centreId: string, month: string, figures: MonthlyFigures) =>
    request<MonthlyFigures>('PUT', `${centre(centreId)}/figures/${encodeURIComponent(month)}`, { json: figures }),
  setThreshold: (centreId: string, indicator: string, threshold: number | null) =>
    request<{ indicator: string; threshold: number | null }>(
      'PUT',
      `${centre(centreId)}/thresholds/${encodeURIComponent(indicator)}`,
      { json: { threshold } },
    ),
  archive: (centreId: string) => request<ArchivedDashboards>('GET', `${centre(centreId)}/archive`),
  archivedHref: (id: string, format: 'csv' | 'pdf') => `/api/steering/archive/${encodeURIComponent(id)}/${format}`,
  cards: (organizationId?: string) =>
    request<CardDashboard>('GET', '/api/steering/cards', { query: { organizationId } }),
};
