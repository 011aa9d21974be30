// Client of the internal control routes (/api/control/*, seed 003 §4). The shapes come from the
// server's schemas (src/http/schemas/internal-control.ts): one source for every API shape.
import type { Static } from '@sinclair/typebox';
import type * as S from '../../src/http/schemas/internal-control.ts';
import { request } from './api.ts';

export type Plan = Static<typeof S.Plan>;
export type PlanList = Static<typeof S.PlanList>;
export type PlanInput = Static<typeof S.PlanInput>;
export type Control = Static<typeof S.Control>;
export type ControlInput = Static<typeof S.ControlInput>;
export type Sheet = Static<typeof S.Sheet>;
export type SheetList = Static<typeof S.SheetList>;
export type SheetInput = Static<typeof S.SheetInput>;
export type Synthesis = Static<typeof S.Synthesis>;
export type Transmission = Static<typeof S.Transmission>;
export type SheetStep = Static<typeof S.SheetStepParams>['step'];

const enc = encodeURIComponent;

export const ANOMALY_RULE_OPTIONS: [string, string][] = [
  ['missing_piece', 'Pièce justificative absente des archives'],
  ['piece_mismatch', 'Incohérence entre les pièces et le décompte'],
  ['wrong_rate', 'Taux ou barème mal appliqué'],
  ['wrong_dates', 'Dates ou durée du déplacement erronées'],
  ['wrong_rule', 'Réglementation mal appliquée'],
  ['other', 'Autre anomalie'],
];

export const controlApi = {
  plans: (centreId: string) => request<PlanList>('GET', `/api/control/centres/${enc(centreId)}/plans`),
  plan: (id: string) => request<Plan>('GET', `/api/control/plans/${enc(id)}`),
  setPlan: (input: PlanInput) => request<Plan>('PUT', '/api/control/plans', { json: input }),
  draw: (id: string) => request<Plan>('POST', `/api/control/plans/${enc(id)}/draw`, { json: {} }),
  addFile: (id: string, fileNumber: string, reason: string) =>
    request<Plan>('POST', `/api/control/plans/${enc(id)}/files`, { json: { fileNumber, reason: reason || null } }),
  control: (id: string) => request<Control>('GET', `/api/control/controls/${enc(id)}`),
  record: (id: string, input: ControlInput) =>
    request<Control>('POST', `/api/control/controls/${enc(id)}`, { json: input }),
  openSheet: (controlId: string, input: SheetInput) =>
    request<Sheet>('POST', `/api/control/controls/${enc(controlId)}/sheets`, { json: input }),
  transmit: (controlId: string, grounds: string) =>
    request<Transmission>('POST', `/api/control/controls/${enc(controlId)}/transmissions`, { json: { grounds } }),
  transmissionHref: (id: string) => `/api/control/transmissions/${enc(id)}/letter`,
  sheets: (centreId: string, mine: boolean) =>
    request<SheetList>('GET', `/api/control/centres/${enc(centreId)}/sheets`, { query: { mine: mine || undefined } }),
  sheet: (id: string) => request<Sheet>('GET', `/api/control/sheets/${enc(id)}`),
  step: (id: string, step: SheetStep, input: { note?: string | null; followUp?: string | null }) =>
    request<Sheet>('POST', `/api/control/sheets/${enc(id)}/${step}`, { json: input }),
  sheetPdfHref: (id: string) => `/api/control/sheets/${enc(id)}/pdf`,
  syntheses: (centreId: string) =>
    request<{ items: Synthesis[] }>('GET', `/api/control/centres/${enc(centreId)}/syntheses`),
  establish: (centreId: string, period: string, recurrenceMonths: number) =>
    request<Synthesis>('POST', `/api/control/centres/${enc(centreId)}/syntheses`, {
      json: { period, recurrenceMonths },
    }),
  synthesisPdfHref: (id: string) => `/api/control/syntheses/${enc(id)}/pdf`,
};
